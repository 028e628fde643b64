/**
 * Checks koffi struct layouts against a C compiler without running anything: every member's
 * offset and size, and each struct's size, become `_Static_assert`s, compiled with
 * -fsyntax-only by the arch's gcc (the host's, or a cross compiler for the other arch).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TypeObject } from 'koffi';
import type { Arch } from '../../src/libc/structs.ts';

const CROSS: Record<Arch, string> = { x64: 'x86_64-linux-gnu-gcc', arm64: 'aarch64-linux-gnu-gcc' };

/** The gcc for `arch`: the host's own, or the cross compiler for the other one. */
export function compilerFor(arch: Arch): string {
  const compiler = arch === process.arch ? 'gcc' : CROSS[arch];
  if (spawnSync(compiler, ['--version']).error) {
    throw new Error(
      `${compiler} is missing: install gcc-${arch === 'arm64' ? 'aarch64' : 'x86-64'}-linux-gnu (scripts/ci/docker-engine.sh does)`,
    );
  }
  return compiler;
}

/** Members whose names start with one of `skip` are glibc's reserved padding: not checked. */
export function assertLayoutWithGcc(
  arch: Arch,
  headers: readonly string[],
  structs: Record<string, TypeObject>,
  skip: readonly string[] = [],
): void {
  const lines = ['#include <stddef.h>', ...headers.map((h) => `#include <${h}>`)];
  for (const [struct, type] of Object.entries(structs)) {
    for (const [name, member] of Object.entries(type.members ?? {})) {
      if (skip.some((prefix) => name.startsWith(prefix))) continue;
      lines.push(
        `_Static_assert(offsetof(struct ${struct}, ${name}) == ${member.offset}, "${struct}.${name} is not at ${member.offset}");`,
      );
      lines.push(
        `_Static_assert(sizeof(((struct ${struct} *)0)->${name}) == ${member.type.size}, "${struct}.${name} is not ${member.type.size} ` +
          `bytes");`,
      );
    }
    lines.push(`_Static_assert(sizeof(struct ${struct}) == ${type.size}, "sizeof(struct ${struct}) is not ${type.size}");`);
  }
  const compiler = compilerFor(arch);
  const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-layout-'));
  try {
    const src = join(dir, 'layout.c');
    writeFileSync(src, `${lines.join('\n')}\n`);
    execFileSync(compiler, ['-std=c11', '-D_GNU_SOURCE', '-fsyntax-only', src], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(String((error as { stderr?: Buffer }).stderr ?? error));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
