/**
 * ipc-lab's exercises from the host (the Makefile's exercise, check, hint, solve, reset and
 * progress targets; exercises/cli.ts runs it with the registry):
 *
 *   exercise N [--track ts|c]          print the task, make the student's copy of the starter
 *   check N [--track] [--source]       run the check in the workbench, per criterion ok or why not
 *   hint N                             the next hint level
 *   solve N [--track] / reset N        the reference / the starter in place, the student's file kept
 *   progress                           which exercises pass
 *
 * --source starter|solution|<folder> checks another copy than the student's: CI checks every
 * reference (it passes), every starter and every broken fixture (each fails for its reason).
 */
import { parseArgs } from 'node:util';
import { LabError, UsageError } from '../core/errors.ts';
import { Bench } from './bench.ts';
import { exerciseNumbered, nextHint, place, startedTracks, startWork, taskPage, trackOf, workFiles } from './files.ts';
import { type Exercise, exerciseFolder, sourceFolder, TRACK_NAMES, TRACKS, type Track } from './model.ts';
import { criteriaText, verdictText } from './report.ts';

const say = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

/**
 * Ctrl-C (or SIGTERM) during a check: remove the containers it started, then exit 130 as the
 * shell does. Without a handler Node would exit at once and leave them running.
 */
function removeOnSignal(bench: Bench): void {
  const stop = (signal: string): void => {
    process.stderr.write(`\n${signal}: stopping the check, removing the containers it started\n`);
    void bench.removeStarted().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** A check of the student's copy needs one: before anything starts, say how to make it. */
function assertStarted(exercise: Exercise, track: Track, source: string): void {
  if (source === 'work' && workFiles(exercise, track).length === 0) {
    throw new UsageError(
      `exercise ${exercise.number} (${TRACK_NAMES[track]}) is not started: there is no ${sourceFolder(exercise, track, 'work')}/`,
      {
        hint: `make exercise N=${exercise.number}${track === 'c' ? ' TRACK=c' : ''} prints the task and makes your copy of the starter`,
      },
    );
  }
}

async function run(exercises: readonly Exercise[], argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { track: { type: 'string' }, source: { type: 'string', default: 'work' } },
  });
  const [command, n] = positionals;
  switch (command) {
    case 'exercise': {
      const exercise = exerciseNumbered(exercises, n);
      const track = trackOf(exercise, values.track);
      say(taskPage(exercise).trimEnd());
      const made = startWork(exercise, track);
      say();
      say(made.length > 0 ? `made your copy of the starter: ${made.join(', ')}` : `your copy: ${workFiles(exercise, track).join(', ')}`);
      const other = TRACKS.filter((t) => t !== track && exercise.tracks[t]);
      say(`edit it, then: make check N=${exercise.number}${track === 'c' ? ' TRACK=c' : ''}   (make hint N=${exercise.number}: a hint)`);
      if (other.length > 0) say(`(the ${TRACK_NAMES[other[0]!]} track: make exercise N=${exercise.number} TRACK=${other[0]})`);
      return 0;
    }
    case 'check': {
      const exercise = exerciseNumbered(exercises, n);
      const track = trackOf(exercise, values.track);
      const source = values.source;
      assertStarted(exercise, track, source);
      const bench = new Bench();
      removeOnSignal(bench);
      say(`exercise ${exercise.number}, ${exercise.title} (${TRACK_NAMES[track]}: ${sourceFolder(exercise, track, source)}/)`);
      await bench.prepare(say);
      const criteria = await exercise.check(bench, { track, source });
      say(criteriaText(criteria));
      say(verdictText(criteria, exercise.number));
      return criteria.every((c) => c.ok) ? 0 : 1;
    }
    case 'hint': {
      const exercise = exerciseNumbered(exercises, n);
      const hint = nextHint(exercise);
      say(`exercise ${exercise.number}, hint ${hint.level} of ${hint.of}:\n`);
      say(hint.text);
      if (hint.level < hint.of) say(`\n(make hint N=${exercise.number} again for the next one)`);
      else say(`\n(that was the last; make solve N=${exercise.number} puts the reference in place and keeps your file)`);
      return 0;
    }
    case 'solve':
    case 'reset': {
      const exercise = exerciseNumbered(exercises, n);
      const track = trackOf(exercise, values.track);
      const { saved, placed } = place(exercise, track, command === 'solve' ? 'solution' : 'starter');
      for (const file of saved) say(`kept your file as ${file}`);
      say(`${command === 'solve' ? 'the reference solution' : 'the starter'} is in place: ${placed.join(', ')}`);
      const trackVar = track === 'c' ? ' TRACK=c' : '';
      if (command === 'solve')
        say(`read it, then make check N=${exercise.number}${trackVar}; make reset N=${exercise.number}${trackVar} starts over`);
      return 0;
    }
    case 'progress': {
      const bench = new Bench();
      removeOnSignal(bench);
      let prepared = false;
      for (const exercise of exercises) {
        const tracks = startedTracks(exercise);
        if (tracks.length === 0) {
          say(`  -     ${exerciseFolder(exercise)}: not started (make exercise N=${exercise.number})`);
          continue;
        }
        if (!prepared) await bench.prepare(say);
        prepared = true;
        for (const track of tracks) {
          const criteria = await exercise.check(bench, { track, source: 'work' });
          const passed = criteria.filter((c) => c.ok).length;
          const mark = passed === criteria.length ? 'pass ' : 'todo ';
          say(`  ${mark} ${sourceFolder(exercise, track, 'work')}: ${passed} of ${criteria.length} criteria (${exercise.title})`);
        }
      }
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${command ?? '(none)'}: exercise, check, hint, solve, reset or progress, each with N`);
  }
}

/** The command line's end: a LabError is a message and a hint, never a stack. */
export async function main(exercises: readonly Exercise[], argv: readonly string[]): Promise<number> {
  try {
    return await run(exercises, argv);
  } catch (error) {
    if (error instanceof LabError) {
      process.stderr.write(`error: ${error.message}\n${error.hint ? `${error.hint}\n` : ''}`);
      return error.exitCode;
    }
    if (error instanceof TypeError && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
