// The student's side of the exercises, without Docker: make exercise, hint, solve and reset as a
// student runs them (the command line, npm run exercise), on a copy of exercises/ in a temporary
// folder ($IPC_LAB_EXERCISES_ROOT), so that no test ever touches a student's real files.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXERCISES } from '../../exercises/index.ts';
import { exerciseFolder, sourceFolder } from '../../src/exercises/model.ts';
import { ROOT } from '../support/cli.ts';

let root: string;

function exercise(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const ran = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'exercises', 'cli.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, IPC_LAB_EXERCISES_ROOT: root, NO_COLOR: '1' },
  });
  return { code: ran.status, stdout: ran.stdout, stderr: ran.stderr };
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ipc-lab-exercises-'));
  cpSync(join(ROOT, 'exercises'), join(root, 'exercises'), {
    recursive: true,
    // Not a student's copies or hint levels that this checkout may hold.
    filter: (src) => !/\/exercises\/\d\d-[^/]+\/(ts|c|\.hints-shown)$/.test(src),
  });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('make exercise', () => {
  it("prints the task and makes the student's copy of the starter, once", () => {
    const first = exercise('exercise', '3');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('# Exercise 3: make the lock');
    expect(first.stdout).toContain(
      'made your copy of the starter: exercises/03-make-the-lock/ts/writer.ts, exercises/03-make-the-lock/ts/reader.ts',
    );
    const work = join(root, 'exercises/03-make-the-lock/ts/writer.ts');
    expect(readFileSync(work, 'utf8')).toBe(readFileSync(join(ROOT, 'exercises/03-make-the-lock/starter/ts/writer.ts'), 'utf8'));
    writeFileSync(work, '// my work\n');
    const again = exercise('exercise', '3');
    expect(again.stdout).toContain('your copy: exercises/03-make-the-lock/ts/writer.ts');
    expect(readFileSync(work, 'utf8')).toBe('// my work\n');
  });

  it('takes TRACK=c where there is a C track, and says which tracks there are where not', () => {
    expect(exercise('exercise', '1', '--track=c').stdout).toContain('exercises/01-your-own-client/c/client.c');
    const none = exercise('exercise', '5', '--track=c');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/exercise 5 has no TRACK=c: it has TRACK=ts \(TypeScript\)/);
  });

  it('refuses a missing or unknown N, naming the exercises', () => {
    const missing = exercise('exercise');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/which exercise\? Say N=1 to N=6: 1 Your own client, 2 Fix the layout/);
    expect(exercise('check', '9').stderr).toMatch(/there is no exercise N=9: the exercises are 1 Your own client/);
    expect(exercise('check', 'x').stderr).not.toMatch(/\n\s+at /);
  });

  it('check refuses an exercise the student has not started, and says how to start it', () => {
    const check = exercise('check', '4', '--track=c');
    expect(check.code).toBe(2);
    expect(check.stderr).toMatch(/exercise 4 \(C\) is not started: there is no exercises\/04-clean-up\/c\//);
    expect(check.stderr).toMatch(/make exercise N=4 TRACK=c/);
  });
});

describe('make hint', () => {
  it('shows one more level each time, then the last again, never the solution file', () => {
    const levels = [1, 2, 3, 4].map(() => exercise('hint', '2').stdout);
    expect(levels[0]).toMatch(/^exercise 2, hint 1 of 3:/);
    expect(levels[1]).toMatch(/^exercise 2, hint 2 of 3:/);
    expect(levels[2]).toMatch(/^exercise 2, hint 3 of 3:[\s\S]*that was the last; make solve N=2/);
    expect(levels[3]).toMatch(/^exercise 2, hint 3 of 3:/);
    const solution = readFileSync(join(ROOT, 'exercises/02-fix-the-layout/solution/ts/layout.ts'), 'utf8');
    for (const text of levels)
      expect(text).not.toContain(
        solution
          .split('\n')
          .find((l) => l.includes("name: 'value'"))!
          .trim(),
      );
  });
});

describe('make solve and make reset', () => {
  it("round-trip without losing the student's file", () => {
    exercise('exercise', '1');
    const work = join(root, 'exercises/01-your-own-client/ts/client.ts');
    writeFileSync(work, "// the student's own attempt\n");

    const solved = exercise('solve', '1');
    expect(solved.code, solved.stderr).toBe(0);
    expect(solved.stdout).toContain('kept your file as exercises/01-your-own-client/ts/client.ts.mine');
    expect(readFileSync(work, 'utf8')).toBe(readFileSync(join(ROOT, 'exercises/01-your-own-client/solution/ts/client.ts'), 'utf8'));
    expect(readFileSync(`${work}.mine`, 'utf8')).toBe("// the student's own attempt\n");

    const reset = exercise('reset', '1');
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout).not.toContain('kept your file'); // the reference is nobody's work: nothing to keep
    expect(readFileSync(work, 'utf8')).toBe(readFileSync(join(ROOT, 'exercises/01-your-own-client/starter/ts/client.ts'), 'utf8'));
    expect(readFileSync(`${work}.mine`, 'utf8')).toBe("// the student's own attempt\n");

    // A second attempt, then solve again: the first .mine is never overwritten.
    writeFileSync(work, '// attempt two\n');
    expect(exercise('solve', '1').stdout).toContain('kept your file as exercises/01-your-own-client/ts/client.ts.mine.2');
    expect(readFileSync(`${work}.mine`, 'utf8')).toBe("// the student's own attempt\n");
    expect(readFileSync(`${work}.mine.2`, 'utf8')).toBe('// attempt two\n');
  });

  it("work for every exercise and track, and only on the student's copy", () => {
    for (const e of EXERCISES) {
      for (const track of ['ts', 'c'] as const) {
        if (!e.tracks[track]) continue;
        expect(exercise('solve', String(e.number), `--track=${track}`).code).toBe(0);
        for (const file of e.tracks[track]!) {
          const placed = readFileSync(join(root, sourceFolder(e, track, 'work'), file), 'utf8');
          expect(placed).toBe(readFileSync(join(ROOT, sourceFolder(e, track, 'solution'), file), 'utf8'));
        }
        expect(exercise('reset', String(e.number), `--track=${track}`).code).toBe(0);
      }
    }
    // The starters and solutions of the copy are as they were.
    for (const e of EXERCISES) {
      const folder = exerciseFolder(e);
      for (const sub of ['starter', 'solution']) {
        const list = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).sort() : []);
        expect(list(join(root, folder, sub))).toEqual(list(join(ROOT, folder, sub)));
      }
    }
  });
});
