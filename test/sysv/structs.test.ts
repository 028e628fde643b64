import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import koffi, { type TypeObject } from 'koffi';
import { describe, expect, it } from 'vitest';
import { structsFor, type Arch } from '../../src/sysv/structs.ts';

/** `_Static_assert`s of every koffi offset, so a cross compiler checks a layout without running it. */
function assertions(shmidDs: TypeObject, ipcPerm: TypeObject): string {
  const lines = ['#include <stddef.h>', '#include <sys/shm.h>'];
  const check = (struct: string, type: TypeObject) => {
    for (const [name, member] of Object.entries(type.members ?? {})) {
      if (name.startsWith('__glibc_reserved') || name === '__pad2') continue;
      lines.push(`_Static_assert(offsetof(struct ${struct}, ${name}) == ${member.offset}, "${struct}.${name} is not at ${member.offset}");`);
      lines.push(`_Static_assert(sizeof(((struct ${struct} *)0)->${name}) == ${member.type.size}, "${struct}.${name} is not ${member.type.size} bytes");`);
    }
    lines.push(`_Static_assert(sizeof(struct ${struct}) == ${type.size}, "sizeof(struct ${struct}) is not ${type.size}");`);
  };
  check('ipc_perm', ipcPerm);
  check('shmid_ds', shmidDs);
  return `${lines.join('\n')}\n`;
}

const compilers: Record<Arch, string> = { x64: 'x86_64-linux-gnu-gcc', arm64: 'aarch64-linux-gnu-gcc' };
const hostCompiler = process.arch === 'x64' || process.arch === 'arm64' ? process.arch : undefined;

function compilerFor(arch: Arch): string {
  if (arch === hostCompiler) return 'gcc';
  return compilers[arch];
}

describe.each(['x64', 'arm64'] as const)('struct shmid_ds on %s', (arch) => {
  const { SHMID_DS, IPC_PERM } = structsFor(arch);

  it('has every field where glibc puts it (checked by gcc at compile time)', () => {
    const compiler = compilerFor(arch);
    if (spawnSync(compiler, ['--version']).error) {
      throw new Error(`${compiler} is missing: install gcc-${arch === 'arm64' ? 'aarch64' : 'x86-64'}-linux-gnu (scripts/ci/docker-engine.sh does)`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-structs-'));
    try {
      const src = join(dir, 'layout.c');
      writeFileSync(src, assertions(SHMID_DS, IPC_PERM));
      execFileSync(compiler, ['-std=c11', '-D_GNU_SOURCE', '-fsyntax-only', src], { stdio: 'pipe' });
    } catch (error) {
      throw new Error(String((error as { stderr?: Buffer }).stderr ?? error));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is the 112-byte struct of the 64-bit ABIs', () => {
    expect(koffi.sizeof(SHMID_DS)).toBe(112);
    expect(koffi.offsetof(SHMID_DS, 'shm_nattch')).toBe(88);
  });
});
