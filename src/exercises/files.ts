/**
 * The student's files, on the host: the working copy made from the starter, the hints shown one
 * level at a time, and solve and reset, which never lose what the student wrote. Nothing here
 * needs Docker.
 *
 *   exercises/03-make-the-lock/
 *     README.md          the task          make exercise N=3
 *     hints.md           ## Hint 1, 2, ... make hint N=3 (the next one each time)
 *     starter/ts/        the starter       make reset N=3 puts it back
 *     solution/ts/       the reference     make solve N=3 puts it in place
 *     ts/                the student's copy (made by make exercise; git ignores it)
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { UsageError } from '../core/errors.ts';
import { type Exercise, exerciseFolder, ROOT, sourceFolder, TRACK_NAMES, TRACKS, type Track } from './model.ts';

/**
 * Where the exercises' files are: the repository, or $IPC_LAB_EXERCISES_ROOT (a copy of it, for
 * the tests of solve and reset, which must never touch a student's real files).
 */
const filesRoot = (): string => process.env.IPC_LAB_EXERCISES_ROOT ?? ROOT;
const abs = (path: string): string => join(filesRoot(), path);

/** The exercise numbered `n` ("3", "03"), or a usage error listing them. */
export function exerciseNumbered(exercises: readonly Exercise[], n: string | undefined): Exercise {
  const list = exercises.map((e) => `${e.number} ${e.title}`).join(', ');
  if (n === undefined || n === '') throw new UsageError(`which exercise? Say N=1 to N=${exercises.length}: ${list}`);
  const found = /^\d+$/.test(n) ? exercises.find((e) => e.number === Number(n)) : undefined;
  if (!found) throw new UsageError(`there is no exercise N=${n}: the exercises are ${list}`);
  return found;
}

/** The track asked for, or the exercise's first; a usage error if it has no such track. */
export function trackOf(exercise: Exercise, track: string | undefined): Track {
  const has = TRACKS.filter((t) => exercise.tracks[t]);
  if (track === undefined || track === '') return has[0]!;
  if (!has.includes(track as Track)) {
    throw new UsageError(
      `exercise ${exercise.number} has no TRACK=${track}: it has ${has.map((t) => `TRACK=${t} (${TRACK_NAMES[t]})`).join(' and ')}`,
    );
  }
  return track as Track;
}

export function taskPage(exercise: Exercise): string {
  return readFileSync(abs(`${exerciseFolder(exercise)}/README.md`), 'utf8');
}

/** The student's copy of the starter, made where it is missing; the files it made. */
export function startWork(exercise: Exercise, track: Track): string[] {
  const made: string[] = [];
  const work = sourceFolder(exercise, track, 'work');
  mkdirSync(abs(work), { recursive: true });
  for (const file of exercise.tracks[track] ?? []) {
    const target = abs(`${work}/${file}`);
    if (existsSync(target)) continue;
    copyFileSync(abs(`${sourceFolder(exercise, track, 'starter')}/${file}`), target);
    made.push(`${work}/${file}`);
  }
  return made;
}

/** The files of the student's copy that exist. */
export function workFiles(exercise: Exercise, track: Track): string[] {
  const work = sourceFolder(exercise, track, 'work');
  return (exercise.tracks[track] ?? []).filter((f) => existsSync(abs(`${work}/${f}`))).map((f) => `${work}/${f}`);
}

export interface Hint {
  readonly level: number;
  readonly of: number;
  readonly text: string;
}

/** hints.md's `## Hint N` sections, in order. */
export function hints(exercise: Exercise): string[] {
  const text = readFileSync(abs(`${exerciseFolder(exercise)}/hints.md`), 'utf8');
  return text
    .split(/^## Hint \d+.*$/m)
    .slice(1)
    .map((h) => h.trim());
}

const shownFile = (exercise: Exercise): string => abs(`${exerciseFolder(exercise)}/.hints-shown`);

/** The next hint (the last one again once all are shown), and remember it was shown. */
export function nextHint(exercise: Exercise): Hint {
  const all = hints(exercise);
  const shown = existsSync(shownFile(exercise)) ? Number(readFileSync(shownFile(exercise), 'utf8').trim()) || 0 : 0;
  const level = Math.min(shown + 1, all.length);
  writeFileSync(shownFile(exercise), `${level}\n`);
  return { level, of: all.length, text: all[level - 1]! };
}

/** `file.mine`, or `file.mine.2` and on where that is taken: never over an earlier save. */
function freeBackup(path: string): string {
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? `${path}.mine` : `${path}.mine.${n}`;
    if (!existsSync(candidate)) return candidate;
  }
}

export interface Placed {
  /** The student's files saved beside, as .mine. */
  readonly saved: readonly string[];
  readonly placed: readonly string[];
}

/**
 * Put `from` (the reference or the starter) in the student's copy. A student's file that is
 * neither the starter nor the reference (so holds their own work) is saved beside it first.
 */
export function place(exercise: Exercise, track: Track, from: 'solution' | 'starter'): Placed {
  const work = sourceFolder(exercise, track, 'work');
  mkdirSync(abs(work), { recursive: true });
  const saved: string[] = [];
  const placed: string[] = [];
  for (const file of exercise.tracks[track] ?? []) {
    const target = abs(`${work}/${file}`);
    const pristine = (['starter', 'solution'] as const).map((s) =>
      readFileSync(abs(`${sourceFolder(exercise, track, s)}/${file}`), 'utf8'),
    );
    if (existsSync(target)) {
      const mine = readFileSync(target, 'utf8');
      if (!pristine.includes(mine)) {
        const backup = freeBackup(target);
        copyFileSync(target, backup);
        saved.push(relative(filesRoot(), backup));
      }
    }
    copyFileSync(abs(`${sourceFolder(exercise, track, from)}/${file}`), target);
    placed.push(`${work}/${file}`);
  }
  return { saved, placed };
}

/** Whether any track of the exercise has been started (its folder exists). */
export function startedTracks(exercise: Exercise): Track[] {
  return TRACKS.filter(
    (t) =>
      exercise.tracks[t] &&
      existsSync(abs(sourceFolder(exercise, t, 'work'))) &&
      readdirSync(abs(sourceFolder(exercise, t, 'work'))).length > 0,
  );
}
