// Handouts that cannot rot: every `sh run` block of every handout, run in order against the real
// lab (the real Docker Engine), must print what the `text output` block under it says. Twice:
// in a pipe, as CI logs and scripts see it, and on a pseudo-terminal, as a reader typing the
// commands sees it (Compose draws progress, programs colour, `docker compose exec` gets a TTY).
// A handout must also leave nothing behind. Runs on the host, like the end-to-end tests.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { handoutFiles, parseHandout } from '../../scripts/handouts/blocks.ts';
import { cannotCheck, cannotUseTerminal, resetLab, runHandout } from '../../scripts/handouts/check.ts';
import { ROOT } from '../support/cli.ts';

const files = handoutFiles(join(ROOT, 'docs/handouts')).filter((f) => parseHandout(f).steps.length > 0);
// The handouts are typed into bash with make (macOS, Linux, WSL2). A Windows host without them
// skips this here (run the tests inside WSL2 to include it); CI has both, and must not skip.
const shellReady = spawnSync('bash', ['-c', 'command -v make'], { stdio: 'ignore' }).status === 0;
const inCI = Boolean(process.env.CI);
const withShell = shellReady || inCI ? describe : describe.skip;
const withTerminal = (shellReady && !cannotUseTerminal()) || inCI ? describe : describe.skip;
const cases = files.map((f) => [f.slice(f.lastIndexOf('/') + 1), f] as const);

async function checkOne(file: string, terminal: boolean): Promise<void> {
  const handout = parseHandout(file);
  const report = await runHandout(handout, { cwd: ROOT, terminal });
  // The whole story on failure: which step, what differs, and what it printed.
  if (report.failure) expect.fail(report.failure);
  expect(report.outcomes).toHaveLength(handout.steps.length);
  expect(report.leftovers).toEqual([]);
}

withShell('every handout prints what it says, in a pipe', () => {
  afterAll(() => resetLab(ROOT));

  it('can run here (no instructor file in the way)', () => {
    expect(cannotCheck(ROOT)).toBeUndefined();
  });

  it.each(cases)('%s', (_name, file) => checkOne(file, false), 1_800_000);
});

withTerminal('every handout prints what it says, on a terminal', () => {
  afterAll(() => resetLab(ROOT));

  it.each(cases)('%s', (_name, file) => checkOne(file, true), 1_800_000);
});
