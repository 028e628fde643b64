import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import koffi, { type TypeObject } from 'koffi';
import { describe, expect, it } from 'vitest';
import { semStructsFor } from '../../src/sysv/sem-structs.ts';
import type { Arch } from '../../src/sysv/structs.ts';

/** `_Static_assert`s of every koffi offset and size, so a cross compiler checks a layout without running it. */
function assertions(structs: Record<string, TypeObject>): string {
  const lines = ['#include <stddef.h>', '#include <sys/sem.h>', '#include <time.h>'];
  for (const [struct, type] of Object.entries(structs)) {
    for (const [name, member] of Object.entries(type.members ?? {})) {
      lines.push(`_Static_assert(offsetof(struct ${struct}, ${name}) == ${member.offset}, "${struct}.${name} is not at ${member.offset}");`);
      lines.push(`_Static_assert(sizeof(((struct ${struct} *)0)->${name}) == ${member.type.size}, "${struct}.${name} is not ${member.type.size} bytes");`);
    }
    lines.push(`_Static_assert(sizeof(struct ${struct}) == ${type.size}, "sizeof(struct ${struct}) is not ${type.size}");`);
  }
  return `${lines.join('\n')}\n`;
}

const compilers: Record<Arch, string> = { x64: 'x86_64-linux-gnu-gcc', arm64: 'aarch64-linux-gnu-gcc' };

function compilerFor(arch: Arch): string {
  return arch === process.arch ? 'gcc' : compilers[arch];
}

describe.each(['x64', 'arm64'] as const)('semaphore structs on %s', (arch) => {
  const { SEMID_DS, SEMBUF, TIMESPEC } = semStructsFor(arch);

  it('have every field where glibc puts it (checked by gcc at compile time)', () => {
    const compiler = compilerFor(arch);
    if (spawnSync(compiler, ['--version']).error) {
      throw new Error(`${compiler} is missing: install gcc-${arch === 'arm64' ? 'aarch64' : 'x86-64'}-linux-gnu (scripts/ci/docker-engine.sh does)`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-sem-structs-'));
    try {
      const src = join(dir, 'layout.c');
      writeFileSync(src, assertions({ semid_ds: SEMID_DS, sembuf: SEMBUF, timespec: TIMESPEC }));
      execFileSync(compiler, ['-std=c11', '-D_GNU_SOURCE', '-fsyntax-only', src], { stdio: 'pipe' });
    } catch (error) {
      throw new Error(String((error as { stderr?: Buffer }).stderr ?? error));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('share the six-byte sembuf and the 16-byte timespec', () => {
    expect(koffi.sizeof(SEMBUF)).toBe(6);
    expect(koffi.sizeof(TIMESPEC)).toBe(16);
  });
});

describe('struct semid_ds differs between the 64-bit arches, unlike shmid_ds', () => {
  it('keeps the __sem_*time_high words on x86_64 only', () => {
    expect(koffi.sizeof(semStructsFor('x64').SEMID_DS)).toBe(104);
    expect(koffi.offsetof(semStructsFor('x64').SEMID_DS, 'sem_nsems')).toBe(80);
    expect(koffi.sizeof(semStructsFor('arm64').SEMID_DS)).toBe(88);
    expect(koffi.offsetof(semStructsFor('arm64').SEMID_DS, 'sem_nsems')).toBe(64);
  });

  it('reuses the one ipc_perm of structs.ts', () => {
    for (const arch of ['x64', 'arm64'] as const) {
      expect(semStructsFor(arch).SEMID_DS.members?.['sem_perm']).toMatchObject({ offset: 0, type: { size: 48 } });
    }
  });
});
