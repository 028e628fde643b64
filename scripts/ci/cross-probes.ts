/**
 * Cross-compiles every C probe of the tests (test/fixtures/c/*.c) for another architecture, on
 * this machine: CI's arm64 run has no gcc under emulation, so the probes come from here and the
 * tests find them through IPC_LAB_PREBUILT_C.
 *
 *   node --import tsx scripts/ci/cross-probes.ts aarch64-linux-gnu-gcc out/arm64-probes
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { C_DIR, C_FLAGS } from '../../test/support/c-programs.ts';

const [compiler, outDir] = process.argv.slice(2);
if (!compiler || !outDir) {
  process.stderr.write('usage: cross-probes.ts COMPILER OUT_DIR (e.g. aarch64-linux-gnu-gcc out/arm64-probes)\n');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
const probes = readdirSync(C_DIR)
  .filter((f) => f.endsWith('.c'))
  .map((f) => f.slice(0, -2));
for (const name of probes) execFileSync(compiler, [...C_FLAGS, '-o', join(outDir, name), join(C_DIR, `${name}.c`)], { stdio: 'inherit' });
process.stdout.write(`cross-probes: ${probes.length} probes for ${compiler} in ${outDir}: ${probes.join(', ')}\n`);
