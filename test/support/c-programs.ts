/** Compiles the C fixtures once per test process, into the run's temporary folder. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const C_DIR = fileURLToPath(new URL('../fixtures/c/', import.meta.url));

/** test/support/global-setup.ts makes one folder for the whole run and removes it after. */
function outDir(): string {
  const dir = process.env['IPC_LAB_C_BUILD_DIR'];
  if (!dir) throw new Error('IPC_LAB_C_BUILD_DIR is not set: run the tests through vitest (its globalSetup makes it)');
  return dir;
}
const built = new Map<string, string>();

export function compileC(name: string, compiler = 'gcc', extra: readonly string[] = []): string {
  const id = `${compiler}:${name}`;
  const cached = built.get(id);
  if (cached) return cached;
  const out = join(outDir(), `${name}-${compiler}-${process.pid}`);
  execFileSync(compiler, ['-std=c11', '-D_GNU_SOURCE', '-Wall', '-Werror', '-O1', '-I', C_DIR, ...extra, '-o', out, join(C_DIR, `${name}.c`)], { stdio: 'pipe' });
  built.set(id, out);
  return out;
}

export function runC(name: string, args: readonly string[]): string {
  return execFileSync(compileC(name), args, { encoding: 'utf8' });
}
