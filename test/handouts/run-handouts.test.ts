// Handouts that cannot rot: every `sh run` block of every handout, run in order against the real
// lab (the real Docker Engine), must print what the `text output` block under it says. A
// handout must also leave nothing behind. Runs on the host, like the end-to-end tests.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { handoutFiles, parseHandout } from '../../scripts/handouts/blocks.ts';
import { cannotCheck, resetLab, runHandout } from '../../scripts/handouts/check.ts';
import { ROOT } from '../support/cli.ts';

const files = handoutFiles(join(ROOT, 'docs/handouts')).filter((f) => parseHandout(f).steps.length > 0);
// The handouts are typed into bash with make (macOS, Linux, WSL2). A Windows host without them
// skips this here (run the tests inside WSL2 to include it); CI has both, and must not skip.
const shellReady = spawnSync('bash', ['-c', 'command -v make'], { stdio: 'ignore' }).status === 0;
const withShell = shellReady || process.env['CI'] ? describe : describe.skip;

withShell('every handout prints what it says', () => {
  afterAll(() => resetLab(ROOT));

  it('can run here (no instructor file in the way)', () => {
    expect(cannotCheck(ROOT)).toBeUndefined();
  });

  it.each(files.map((f) => [f.slice(f.lastIndexOf('/') + 1), f]))('%s', async (_name, file) => {
    const handout = parseHandout(file);
    const report = await runHandout(handout, { cwd: ROOT });
    // The whole story on failure: which step, what differs, and what it printed.
    if (report.failure) expect.fail(report.failure);
    expect(report.outcomes).toHaveLength(handout.steps.length);
    expect(report.leftovers).toEqual([]);
  }, 1_800_000);
});
