/**
 * The handouts from the command line:
 *   render [--no-pdf]        out/handouts/*.html (and *.pdf with Chromium)   make handouts
 *   check [--terminal] [NN ...]  run the handouts' commands against the lab  make check-handouts
 *                            (--terminal: on a pseudo-terminal, as a reader types them)
 * `check` takes handout numbers or file names to run only some (check 01 03).
 */
import { basename, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { handoutFiles, parseHandout } from './blocks.ts';
import { cannotCheck, cannotUseTerminal, describeStep, interruptChecker, runHandout, wasInterrupted } from './check.ts';
import { renderHandouts } from './render.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOURCE = `${ROOT}docs/handouts`;
const OUT = `${ROOT}out/handouts`;

async function render(args: string[]): Promise<number> {
  const result = await renderHandouts(SOURCE, OUT, { pdf: !args.includes('--no-pdf') });
  console.log(`handouts: ${result.html.length} HTML files in ${relative(process.cwd(), OUT) || '.'}/ (open index.html)`);
  if (result.pdf.length > 0)
    console.log(`handouts: ${result.pdf.length} PDFs, all in one: ${relative(process.cwd(), `${OUT}/ipc-lab-handouts.pdf`)}`);
  else console.log(`handouts: no PDF: ${result.pdfSkipped}`);
  return 0;
}

async function check(argv: string[]): Promise<number> {
  const terminal = argv.includes('--terminal');
  const args = argv.filter((a) => a !== '--terminal');
  const files = handoutFiles(SOURCE)
    .filter((f) => args.length === 0 || args.some((a) => basename(f).startsWith(a)))
    .filter((f) => parseHandout(f).steps.length > 0);
  if (files.length === 0) {
    console.error(`check-handouts: no handout with steps matches ${args.join(' ')}: give numbers such as 01 03`);
    return 2;
  }
  const blocked = cannotCheck(ROOT) ?? (terminal ? cannotUseTerminal() : undefined);
  if (blocked) {
    console.error(`check-handouts: ${blocked}`);
    return 2;
  }
  // Ctrl-C (or the terminal closing): stop the running step; the handout's clean-up still runs.
  const stop = (): void => {
    if (wasInterrupted()) return;
    console.log('\ncheck-handouts: interrupted; removing the lab ...');
    interruptChecker();
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);
  let failed = 0;
  for (const file of files) {
    if (wasInterrupted()) break;
    const handout = parseHandout(file);
    console.log(`== ${handout.name}: ${handout.steps.length} steps`);
    const report = await runHandout(handout, {
      cwd: ROOT,
      terminal,
      onStep: (o) =>
        console.log(
          `${wasInterrupted() ? 'stop' : o.failure ? 'FAIL' : 'ok  '} ${describeStep(o.step)} (${o.seconds.toFixed(1)} s)` +
            (o.failure ? `\n${o.failure}` : ''),
        ),
    });
    if (report.outcomes.length === 0 || report.leftovers.length > 0) console.log(`FAIL ${report.failure}`);
    if (report.failure) failed++;
  }
  if (wasInterrupted()) return 130;
  console.log(
    failed === 0
      ? `check-handouts: all ${files.length} handouts print what they say`
      : `check-handouts: ${failed} of ${files.length} handouts drifted`,
  );
  return failed === 0 ? 0 : 1;
}

const [command, ...rest] = process.argv.slice(2);
const programs: Record<string, (args: string[]) => Promise<number>> = { render, check };
const program = command ? programs[command] : undefined;
if (!program) {
  console.error('usage: node --import tsx scripts/handouts/cli.ts render [--no-pdf] | check [--terminal] [NN ...]');
  process.exitCode = 2;
} else {
  process.exitCode = await program(rest);
}
