// The handouts as documents: every one parses, has the parts a session needs, uses only known
// placeholders and make targets, links to files that exist, and the readers' placeholder table
// is the checker's. (Running their commands is run-handouts.test.ts.)
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { handoutFiles, parseHandout } from '../../scripts/handouts/blocks.ts';
import { PLACEHOLDERS, scanPlaceholders } from '../../scripts/handouts/placeholders.ts';
import { ROOT } from '../support/cli.ts';

const DIR = join(ROOT, 'docs/handouts');
const files = handoutFiles(DIR);
const sessions = files.filter((f) => /\/\d\d-[^/]+\.md$/.test(f));
const LITERAL_ANGLES = ['<target>'];
const makeTargets = new Set([...readFileSync(join(ROOT, 'Makefile'), 'utf8').matchAll(/^([a-z][\w-]*):/gm)].map((m) => m[1]));

describe('the handouts', () => {
  it('are sessions 00 to 09 and the instructor notes', () => {
    expect(sessions.map((f) => f.slice(f.lastIndexOf('/') + 1, f.lastIndexOf('/') + 3))).toEqual([
      '00',
      '01',
      '02',
      '03',
      '04',
      '05',
      '06',
      '07',
      '08',
      '09',
    ]);
    expect(files.some((f) => f.endsWith('instructor-notes.md'))).toBe(true);
  });

  it.each(sessions)('%s has a goal, commands with their output, questions and solutions', (file) => {
    const text = readFileSync(file, 'utf8');
    const handout = parseHandout(file);
    expect(handout.problems).toEqual([]);
    expect(text).toMatch(/\*\*Goal:\*\*/);
    expect(text).toMatch(/\*\*Time:\*\* \d+ minutes/);
    expect(text).toMatch(/^## What to notice$/m);
    expect(text).toMatch(/^## Questions$/m);
    expect(text).toMatch(/^## Solutions$/m);
    expect(text.indexOf('## Questions')).toBeLessThan(text.indexOf('## Solutions'));
    expect(handout.steps.length).toBeGreaterThan(0);
    for (const step of handout.steps) expect(step.expected, `${file}:${step.line}`).toBeDefined();
  });

  it.each(sessions)('%s runs `make down` after the last step that starts the lab', (file) => {
    const commands = parseHandout(file).steps.map((s) => s.command.trim());
    const lastStart = commands.reduce((last, c, i) => (/\bmake (up|race|ring)\b/.test(c) ? i : last), -1);
    if (lastStart >= 0) expect(commands.lastIndexOf('make down')).toBeGreaterThan(lastStart);
  });

  it('use only placeholders the checker knows (a typo would silently be plain text)', () => {
    for (const file of files) {
      for (const step of parseHandout(file).steps) {
        const unknown: string[] = [];
        for (const line of (step.expected?.text ?? '').split('\n')) scanPlaceholders(line, unknown);
        // What programs print in angle brackets themselves, such as make's usage line.
        expect(
          unknown.filter((u) => !LITERAL_ANGLES.includes(u)),
          `${file}:${step.expected?.line}`,
        ).toEqual([]);
      }
    }
  });

  it('run only make targets the Makefile has', () => {
    for (const file of files) {
      for (const step of parseHandout(file).steps) {
        for (const m of step.command.matchAll(/\bmake ([a-z][\w-]*)/g)) expect(makeTargets, `${file}:${step.line}`).toContain(m[1]);
      }
    }
  });

  it('link only to files that exist', () => {
    for (const file of [...files, join(DIR, 'README.md')]) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\]\(([^)#\s]+\.md)(#[^)]*)?\)/g)) {
        expect(existsSync(join(dirname(file), m[1]!)), `${file} links to ${m[1]}`).toBe(true);
      }
    }
  });

  it("README's placeholder table is the checker's, word for word", () => {
    const readme = readFileSync(join(DIR, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `<([a-z]+)>` \| (.+) \|$/gm)].map((m) => [m[1], m[2]]);
    expect(rows).toEqual(Object.entries(PLACEHOLDERS).map(([kind, p]) => [kind, p.means]));
  });
});
