/**
 * The workbench's side of a check (exercises/inside.ts runs it in the container): one probe of
 * one exercise, its criteria printed as the last line for the host. A probe that throws is a
 * failed criterion with the reason (gcc's output, say), never a stack.
 */
import { parseArgs } from 'node:util';
import { CRITERIA_PREFIX } from './bench.ts';
import { exerciseNumbered, trackOf } from './files.ts';
import { type Criterion, type Exercise, fail } from './model.ts';
import { CompileError, ProbeContext } from './probe.ts';

export async function insideMain(exercises: readonly Exercise[], argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { track: { type: 'string' }, source: { type: 'string', default: 'work' } },
  });
  const [command, n, name, ...args] = positionals;
  if (command !== 'probe' || name === undefined) {
    process.stderr.write("the workbench runs a check's probes: make check N=... runs them (exercises/README.md)\n");
    return 2;
  }
  const exercise = exerciseNumbered(exercises, n);
  const probe = exercise.probes[name];
  if (!probe) throw new Error(`exercise ${exercise.number} has no probe ${name}`);
  const context = new ProbeContext(exercise, trackOf(exercise, values.track), values.source, args);
  let criteria: Criterion[];
  try {
    criteria = await probe(context);
  } catch (error) {
    // What the student's code did to the probe (a layout.ts that is not an array, a segment
    // removed under it, a mode the probe may not read) is a failed criterion with its reason.
    if (error instanceof CompileError) criteria = [fail(`it compiles (${error.file})`, error.message)];
    else criteria = [fail(`the check could run (${name})`, `it stopped on: ${error instanceof Error ? error.message : String(error)}`)];
  } finally {
    await context.close();
  }
  process.stdout.write(`${CRITERIA_PREFIX}${JSON.stringify(criteria)}\n`);
  return 0;
}
