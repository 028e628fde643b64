// The exercises' checks on a real engine, as CI must prove them: for every exercise and track,
// the check passes on the reference solution and fails on the starter for the reason the task
// names, and each broken solution in test/fixtures/exercises fails for its own reason. Each
// check runs as a student's does (make check N=... TRACK=..., here with SOURCE=), in the
// workbench, in the lab's namespace. The lab is brought down at the end: nothing is left.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXERCISES } from '../../exercises/index.ts';
import { make, run } from './support.ts';

interface Expected {
  readonly n: number;
  readonly track: 'ts' | 'c';
  readonly source: string;
  /** Criteria that must fail, each with a piece of the reason it must give. */
  readonly fails: ReadonlyArray<readonly [criterion: string, reason: RegExp]>;
}

const STARTERS: readonly Expected[] = [
  { n: 1, track: 'ts', source: 'starter', fails: [['prints 22/7 = 3.14286', /wanted a line "22\/7 = 3\.14286"/]] },
  { n: 1, track: 'c', source: 'starter', fails: [['prints 22/7 = 3.14286', /wanted a line "22\/7 = 3\.14286"/]] },
  {
    n: 2,
    track: 'ts',
    source: 'starter',
    fails: [
      ['sizeof(struct pi_message) is 56', /gcc says 64: 15 bytes of padding/],
      ['the version is bumped', /still 1/],
    ],
  },
  {
    n: 2,
    track: 'c',
    source: 'starter',
    fails: [
      ['sizeof(struct pi_message) is 56', /gcc says 64/],
      ['the version is bumped', /still 1/],
    ],
  },
  {
    n: 3,
    track: 'ts',
    source: 'starter',
    fails: [
      ['the writer rewrites the record inside the lock', /torn copies of \d+ in 1 s: the writer changes the record outside the lock/],
      ['0 torn reads over 2 s', /reader saw \d+ torn reads in 2 s .*: the writer changes the record outside the lock/],
    ],
  },
  {
    n: 3,
    track: 'c',
    source: 'starter',
    fails: [['0 torn reads over 2 s', /reader saw \d+ torn reads in 2 s .*: the writer changes the record outside the lock/]],
  },
  {
    n: 4,
    track: 'ts',
    source: 'starter',
    fails: [
      ['nothing left in the namespace', /is still there after the server stopped .*never removed/],
      ['a second run starts cleanly', /EEXIST/],
    ],
  },
  {
    n: 4,
    track: 'c',
    source: 'starter',
    fails: [
      ['it ends on SIGTERM, exit code 0', /exit code 143/],
      ['nothing left in the namespace', /never removed/],
    ],
  },
  { n: 5, track: 'ts', source: 'starter', fails: [['SHA-256 equal at 4 KiB slots', /take a filled slot with P\(full\)/]] },
  {
    n: 6,
    track: 'ts',
    source: 'starter',
    fails: [
      ['a member of the group may not write it', /ipc-lab poke .* wrote: the mode gives the group w/],
      ['someone outside the group may not read it', /mode 0666 lets others read/],
    ],
  },
  {
    n: 6,
    track: 'c',
    source: 'starter',
    fails: [
      ['a member of the group may not write it', /wrote: the mode gives the group w/],
      ['someone outside the group may not read it', /lets others read/],
    ],
  },
];

const BROKEN: readonly Expected[] = [
  {
    n: 3,
    track: 'ts',
    source: 'test/fixtures/exercises/03-undo-on-p-only/ts',
    fails: [['the writer keeps writing', /your writer exited with code 1 .*ERANGE/]],
  },
  {
    n: 3,
    track: 'ts',
    source: 'test/fixtures/exercises/03-no-undo/ts',
    fails: [['the reader gets on after the writer is SIGKILLed holding the lock', /semaphore 0 stayed at 0.*SEM_UNDO/]],
  },
  {
    n: 2,
    track: 'ts',
    source: 'test/fixtures/exercises/02-no-tail-padding/ts',
    fails: [['gcc agrees with every offset and the size', /you say sizeof is 49, gcc says 56/]],
  },
  {
    n: 4,
    track: 'ts',
    source: 'test/fixtures/exercises/04-detach-only/ts',
    fails: [
      ['nothing left in the namespace', /never removed/],
      ['a second run starts cleanly', /EEXIST/],
    ],
  },
];

function check(n: number, track: string, source: string) {
  return make('check', { N: String(n), TRACK: track, SOURCE: source });
}

/** The criteria make check printed: `ok` or `FAIL`, the name, and the indented lines below it. */
function criteria(stdout: string): Map<string, { ok: boolean; detail: string }> {
  const found = new Map<string, { ok: boolean; detail: string }>();
  let current: { ok: boolean; detail: string } | undefined;
  for (const line of stdout.split('\n')) {
    const head = /^ {2}(ok {2}|FAIL) {2}(.+)$/.exec(line);
    if (head) {
      current = { ok: head[1]!.trim() === 'ok', detail: '' };
      found.set(head[2]!, current);
    } else if (current && line.startsWith('        ')) current.detail += `${line.trim()} `;
  }
  return found;
}

beforeAll(async () => {
  const up = await make('up');
  expect(up.code, up.stderr).toBe(0);
});

afterAll(async () => {
  const down = await make('down');
  expect(down.code, down.stderr).toBe(0);
  const left = await run('docker', ['ps', '--all', '--quiet', '--filter', 'label=com.docker.compose.project=ipc-lab']);
  expect(left.stdout.trim()).toBe('');
});

describe('every exercise and track', () => {
  const tracks = EXERCISES.flatMap((e) => (['ts', 'c'] as const).filter((t) => e.tracks[t]).map((t) => [e.number, t] as const));

  it.each(tracks)('exercise %i (%s): the reference solution passes every criterion', async (n, track) => {
    const ran = await check(n, track, 'solution');
    const seen = criteria(ran.stdout);
    expect(
      [...seen].filter(([, c]) => !c.ok),
      ran.stdout + ran.stderr,
    ).toEqual([]);
    expect(seen.size).toBeGreaterThanOrEqual(3);
    expect(ran.stdout).toMatch(/all \d+ criteria pass: exercise \d is done/);
    expect(ran.code).toBe(0);
  });

  it('has a starter case for each track, so none is left unchecked', () => {
    expect(STARTERS.map((s) => [s.n, s.track])).toEqual(tracks.map(([n, t]) => [n, t]));
  });
});

describe.each([...STARTERS, ...BROKEN])('exercise $n ($track) on $source', ({ n, track, source, fails }) => {
  it('fails, for the reason named, and exits 1 (make: Error 1)', async () => {
    const ran = await check(n, track, source);
    const seen = criteria(ran.stdout);
    for (const [name, reason] of fails) {
      const criterion = [...seen].find(([k]) => k.startsWith(name))?.[1];
      expect(criterion, `no criterion "${name}" in:\n${ran.stdout}${ran.stderr}`).toBeDefined();
      expect(criterion!.ok, ran.stdout).toBe(false);
      expect(criterion!.detail).toMatch(reason);
    }
    expect(ran.stdout).toMatch(/\d+ of \d+ criteria pass: exercise \d is not done yet \(make hint N=\d shows a hint\)/);
    expect(ran.stderr).not.toMatch(/^\s+at /m); // a verdict, never a stack trace
    // make check exits 1 (make itself then says "Error 1" and exits 2): any criterion failed.
    expect(ran.code).not.toBe(0);
    expect(ran.stderr).toMatch(/check\] Error 1/);
  });
});
