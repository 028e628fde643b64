// The checker's parts apart from matching: reading steps out of Markdown (line numbers, format
// mistakes), running a step (stdout and stderr together and apart, a timeout that stops the whole process group),
// and the environment a step gets (a reader's fresh terminal, not the caller's make).
import { describe, expect, it } from 'vitest';
import { parseHandout } from '../../scripts/handouts/blocks.ts';
import { readerEnv, runCommand } from '../../scripts/handouts/check.ts';

const DOC = [
  '# A handout', // 1
  '', // 2
  '1. A list item with a block in it:', // 3
  '', // 4
  '   ```sh', // 5
  '   echo shown, never run', // 6
  '   ```', // 7
  '', // 8
  '```sh run', // 9
  'echo one', // 10
  '```', // 11
  '', // 12
  'It prints:', // 13
  '', // 14
  '```text output', // 15
  'one', // 16
  '```', // 17
  '', // 18
  '```sh run exit=3 timeout=5', // 19
  'exit 3', // 20
  '```', // 21
  '', // 22
  '```text output', // 23
  '```', // 24
].join('\n');

describe('reading a handout', () => {
  it("finds the steps, their fences' line numbers, their exit codes and timeouts", () => {
    const h = parseHandout('/x/01-test.md', DOC);
    expect(h.problems).toEqual([]);
    expect(h.title).toBe('A handout');
    expect(h.steps.map((s) => [s.line, s.command, s.exitCode, s.timeoutSeconds, s.expected?.line, s.expected?.text])).toEqual([
      [9, 'echo one', 0, 180, 15, 'one'],
      [19, 'exit 3', 3, 5, 23, ''],
    ]);
  });

  it('reads a file with CRLF line endings the same way', () => {
    const h = parseHandout('/x/01-test.md', DOC.replace(/\n/g, '\r\n'));
    expect(h.steps.map((s) => [s.line, s.command])).toEqual([
      [9, 'echo one'],
      [19, 'exit 3'],
    ]);
  });

  it('reports format mistakes instead of running something half-understood', () => {
    const bad = [
      '```text run',
      'echo hi',
      '```',
      '',
      '```sh run timeout=soon retries=2',
      'true',
      '```',
      '',
      '```text output',
      '```',
      '',
      '```text output',
      'orphan',
      '```',
      '',
      '```sh run',
      'true',
      '```',
    ].join('\n');
    const problems = parseHandout('/x/02-bad.md', bad).problems.join('\n');
    expect(problems).toContain('02-bad.md:1: only `sh run` (or `bash run`) blocks run, not `text run`');
    expect(problems).toContain('02-bad.md:1: a `sh run` block needs a `text output` block after it');
    expect(problems).toContain('02-bad.md:5: unknown attribute "retries"');
    expect(problems).toContain('02-bad.md:5: timeout= takes a number of seconds');
    expect(problems).toContain('02-bad.md:12: an output block must follow a `sh run` block');
    expect(problems).toContain('02-bad.md:16: a `sh run` block needs a `text output` block after it');
  });
});

describe('running a step', () => {
  it('gives stdout and stderr together as they arrived, and apart, each in its order', async () => {
    const r = await runCommand('echo out; sleep 0.2; echo err >&2; sleep 0.2; echo out again', process.cwd(), 10);
    expect([r.code, r.output]).toEqual([0, 'out\nerr\nout again\n']);
    expect(r.streams).toEqual({ arrived: r.output, stdout: 'out\nout again\n', stderr: 'err\n' });
  });

  it('on a terminal, gives one stream, as the terminal shows it', async () => {
    const r = await runCommand('echo out; echo err >&2', process.cwd(), 10, process.env, true);
    expect([r.code, r.output.replace(/\r\n/g, '\n'), r.streams]).toEqual([0, 'out\nerr\n', undefined]);
  });

  it('stops a step at its timeout, children included, and says so', async () => {
    const started = performance.now();
    const r = await runCommand('sleep 30 & sleep 30; echo never', process.cwd(), 0.5);
    expect(r.timedOut).toBe(true);
    expect(r.output).not.toContain('never');
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it("runs in a reader's environment: no make of the caller's, no lab knobs, the build settings kept", () => {
    const env = readerEnv({
      PATH: '/bin',
      MAKELEVEL: '1',
      MAKEFLAGS: 'w',
      UNSAFE: '1',
      IPC_LAB_STEP: '1',
      OFFLINE: '1',
      IPC_LAB_BASE_IMAGE: 'x',
    });
    expect(env).toEqual({ PATH: '/bin', OFFLINE: '1', IPC_LAB_BASE_IMAGE: 'x' });
  });
});
