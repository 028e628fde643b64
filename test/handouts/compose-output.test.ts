// No handout block may depend on what Compose prints about its own work: status lines differ
// between Compose 2.x and v5, between a pipe and a terminal, and from one release to the next.
// Each handout block is turned into an output that fits it (placeholders filled in, `...`
// empty), then Compose's status lines, in every style we know, are put wherever a Compose
// command that reports progress would print them: the block must still match.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { handoutFiles, parseHandout, type Step } from '../../scripts/handouts/blocks.ts';
import { matchOutput, normalizeOutput, type Bindings } from '../../scripts/handouts/expected.ts';
import { scanPlaceholders, type PlaceholderKind } from '../../scripts/handouts/placeholders.ts';
import { ROOT } from '../support/cli.ts';

/** A value of each kind, as a run would print it. */
const SAMPLE: Record<PlaceholderKind, string> = {
  shmid: '7',
  key: '0x4c0108e2',
  pid: '42',
  address: '0x7f5a980d2000',
  ns: '4026532253',
  time: '2026-11-26 17:02:38 UTC',
  age: '17 s',
  n: '12',
  hex: '0x2f',
  id: '3f2a9c01b7de',
  version: '2.40.3',
  word: 'x86_64',
};

/** Compose's status lines, as each version prints them in a pipe or on a terminal. */
const STYLES: Record<string, readonly string[]> = {
  'Compose 2.x, pipe': [
    ' Container ipc-lab-server-1  Recreate',
    ' Container ipc-lab-server-1  Recreated',
    ' Container ipc-lab-server-1  Started',
  ],
  'Compose 2.x, terminal': [
    '[+] Running 2/2',
    ' ✔ Container ipc-lab-server-1  Started                0.4s',
    ' ✔ Container ipc-lab-client-1  Started                0.6s',
  ],
  'Compose v5, pipe': ['[+] up 2/2', ' Container ipc-lab-server-1 Started ', ' Container ipc-lab-client-1 Started '],
  'Compose v5, run with dependencies': ['[+] run 1/1', ' Container ipc-lab-server-1 Running '],
};

/** Compose's subcommands that may report progress (not exec, logs, ps, config, version ...). */
const REPORTING = new Set(['up', 'down', 'stop', 'kill', 'run', 'rm', 'restart', 'start', 'create', 'build', 'pull']);
/** Global options that take a value: `docker compose --profile race up` runs `up`. */
const GLOBAL_WITH_VALUE = new Set([
  '--profile',
  '-p',
  '--project-name',
  '-f',
  '--file',
  '--project-directory',
  '--env-file',
  '--progress',
  '--ansi',
  '--parallel',
]);

/** Whether the line runs a Compose subcommand that may report progress. */
function reportsProgress(line: string): boolean {
  const words = line.trim().split(/\s+/);
  if (words[0] !== 'docker' || words[1] !== 'compose') return false;
  for (let i = 2; i < words.length; i++) {
    const word = words[i]!;
    if (GLOBAL_WITH_VALUE.has(word)) i++;
    else if (!word.startsWith('-')) return REPORTING.has(word);
  }
  return false;
}
const PROGRESS = { test: reportsProgress };

/** The block as a run could print it, with `status` lines after every Compose command that reports progress. */
function outputFor(step: Step, status: readonly string[]): string {
  const lines: string[] = [];
  if (PROGRESS.test(step.command.trim().split('\n')[0]!)) lines.push(...status);
  let pending = false; // a Compose command echoed by make, still continued on the next line (`\`)
  for (const line of normalizeOutput(step.expected!.text)) {
    if (line.trim() === '...') continue;
    const text = scanPlaceholders(line)
      .map((s) => ('text' in s ? s.text.replaceAll('...', 'x') : SAMPLE[s.kind]))
      .join('');
    lines.push(text);
    pending ||= PROGRESS.test(text);
    if (pending && !text.endsWith('\\')) {
      lines.push(...status);
      pending = false;
    }
  }
  return lines.join('\n');
}

const steps = handoutFiles(join(ROOT, 'docs/handouts')).flatMap((file) =>
  parseHandout(file)
    .steps.filter((s) => s.expected)
    .map((step) => ({ name: `${file.slice(file.lastIndexOf('/') + 1)}:${step.line} ${step.command.trim().split('\n')[0]}`, step })),
);

describe('handout blocks and Compose status lines', () => {
  it('finds the steps that run Compose', () => {
    expect(steps.filter(({ step }) => PROGRESS.test(outputFor(step, ['STATUS']).replaceAll('STATUS', ''))).length).toBeGreaterThan(10);
  });

  describe.each(Object.entries(STYLES))('%s', (_style, status) => {
    it.each(steps)('$name', ({ step }) => {
      const bindings: Bindings = new Map();
      const result = matchOutput(step.expected!.text, outputFor(step, status), bindings);
      expect(result.ok, result.ok ? '' : `${result.reason}\n--- output tried:\n${outputFor(step, status)}`).toBe(true);
    });
  });

  it('would catch a block that shows a status line', () => {
    const step = {
      ...steps[0]!.step,
      command: 'docker compose kill server',
      expected: { text: 'Container ipc-lab-server-1  Killed', line: 1 },
    };
    expect(matchOutput(step.expected.text, outputFor(step, STYLES['Compose v5, pipe']!)).ok).toBe(false);
  });
});
