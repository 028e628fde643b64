// The exercises as a whole, read from the files: every exercise in the registry has its task,
// its hints (in levels, none of them the reference's code), a starter and a reference for every
// file of every track, marked gaps in each starter; the handout it follows links to it, and
// the exercises' index lists it. What the checks do is test/e2e/exercises.test.ts.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXERCISES } from '../../exercises/index.ts';
import { hints } from '../../src/exercises/files.ts';
import { exerciseFolder, sourceFolder, TRACKS } from '../../src/exercises/model.ts';
import { ROOT } from '../support/cli.ts';

const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

describe('the exercises', () => {
  it('are numbered 1 to 6 in order, each in its folder, and every folder is in the registry', () => {
    expect(EXERCISES.map((e) => e.number)).toEqual([1, 2, 3, 4, 5, 6]);
    const folders = readdirSync(join(ROOT, 'exercises')).filter((d) => /^\d\d-/.test(d));
    expect(folders.sort()).toEqual(EXERCISES.map((e) => exerciseFolder(e).replace('exercises/', '')));
  });

  it.each(EXERCISES.map((e) => [e.number, e] as const))(
    'exercise %i has a task, hints, and a starter and a reference for each file',
    (_, e) => {
      const folder = exerciseFolder(e);
      expect(read(`${folder}/README.md`)).toMatch(new RegExp(`^# Exercise ${e.number}: `));
      const levels = hints(e);
      expect(levels.length).toBeGreaterThanOrEqual(3);
      for (const track of TRACKS) {
        for (const file of e.tracks[track] ?? []) {
          const starter = read(`${sourceFolder(e, track, 'starter')}/${file}`);
          const solution = read(`${sourceFolder(e, track, 'solution')}/${file}`);
          expect(starter, `${file}: the starter marks its gap`).toMatch(/TODO/);
          expect(solution).not.toMatch(/TODO/);
          expect(starter).not.toBe(solution);
          // A hint teaches; it never hands over a line of the reference that the starter lacks.
          const given = solution
            .split('\n')
            .map((l) => l.trim())
            .filter((l) => l.length > 24 && !starter.includes(l));
          for (const hint of levels)
            for (const line of given) expect(hint, `a hint of exercise ${e.number} gives away: ${line}`).not.toContain(line);
        }
      }
    },
  );

  it.each(EXERCISES.map((e) => [e.number, e] as const))('exercise %i is linked from the handout it follows and from the index', (_, e) => {
    const handout = read(`docs/handouts/${e.handout}`);
    expect(handout).toContain(`](../../${exerciseFolder(e)}/README.md)`);
    expect(handout).toMatch(new RegExp(`^## Exercise ${e.number}: `, 'm'));
    expect(read(`${exerciseFolder(e)}/README.md`)).toContain(`](../../docs/handouts/${e.handout})`);
    expect(read('exercises/README.md')).toContain(`](${exerciseFolder(e).replace('exercises/', '')}/README.md)`);
  });

  it('keep their broken solutions where the workbench mounts them', () => {
    for (const fixture of ['02-no-tail-padding/ts/layout.ts', '03-no-undo/ts/writer.ts', '04-detach-only/ts/server.ts']) {
      expect(existsSync(join(ROOT, 'test/fixtures/exercises', fixture)), fixture).toBe(true);
    }
    expect(read('compose.yaml')).toContain('./test/fixtures/exercises:/src/test/fixtures/exercises:ro,z');
  });
});
