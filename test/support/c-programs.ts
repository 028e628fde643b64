/** Compiles the C fixtures once per test process, into a temporary folder removed at exit. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const C_DIR = fileURLToPath(new URL('../fixtures/c/', import.meta.url));

let outDir: string | undefined;
const built = new Map<string, string>();

export function compileC(name: string, compiler = 'gcc', extra: readonly string[] = []): string {
  const id = `${compiler}:${name}`;
  const cached = built.get(id);
  if (cached) return cached;
  if (!outDir) {
    const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-c-'));
    outDir = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const out = join(outDir, `${name}-${compiler}`);
  execFileSync(compiler, ['-std=c11', '-D_GNU_SOURCE', '-Wall', '-Werror', '-O1', '-I', C_DIR, ...extra, '-o', out, join(C_DIR, `${name}.c`)], { stdio: 'pipe' });
  built.set(id, out);
  return out;
}

export function runC(name: string, args: readonly string[]): string {
  return execFileSync(compileC(name), args, { encoding: 'utf8' });
}
