/** Compiles the C fixtures once per test process, into the run's temporary folder. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const C_DIR = fileURLToPath(new URL('../fixtures/c', import.meta.url));
/** How every probe is compiled, here or cross-compiled for another arch (scripts/ci/cross-probes.ts). */
export const C_FLAGS = ['-std=c11', '-D_GNU_SOURCE', '-Wall', '-Werror', '-O1', '-I', C_DIR];

/** test/support/global-setup.ts makes one folder for the whole run and removes it after. */
function outDir(): string {
  const dir = process.env.IPC_LAB_C_BUILD_DIR;
  if (!dir) throw new Error('IPC_LAB_C_BUILD_DIR is not set: run the tests through vitest (its globalSetup makes it)');
  return dir;
}
const built = new Map<string, string>();

/**
 * The compiled probe `name`. Where IPC_LAB_PREBUILT_C names a folder, the probes come from there
 * instead, built elsewhere (CI's arm64 run cross-compiles them on the host: no gcc under emulation).
 */
export function compileC(name: string, compiler = 'gcc', extra: readonly string[] = []): string {
  const prebuilt = process.env.IPC_LAB_PREBUILT_C;
  if (prebuilt && compiler === 'gcc' && extra.length === 0) {
    const path = join(prebuilt, name);
    if (!existsSync(path))
      throw new Error(`no prebuilt ${name} in ${prebuilt} (IPC_LAB_PREBUILT_C): build it from test/fixtures/c/${name}.c`);
    return path;
  }
  const id = `${compiler}:${name}`;
  const cached = built.get(id);
  if (cached) return cached;
  const out = join(outDir(), `${name}-${compiler}-${process.pid}`);
  execFileSync(compiler, [...C_FLAGS, ...extra, '-o', out, join(C_DIR, `${name}.c`)], { stdio: 'pipe' });
  built.set(id, out);
  return out;
}

export function runC(name: string, args: readonly string[]): string {
  return execFileSync(compileC(name), args, { encoding: 'utf8' });
}
