/**
 * The handout checker: runs every `sh run` step of a handout, in order, from the repository's
 * root, the way a reader types it into a terminal, and compares what it prints (stdout and
 * stderr together, as a terminal shows them) with the expected-output block under it.
 *
 * A handout starts from nothing and must leave nothing: the checker removes the lab before and
 * after each handout, and reports a handout whose steps leave containers, volumes or networks.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import type { Handout, Step } from './blocks.ts';
import { matchOutput, type Bindings, type Streams } from './expected.ts';

export interface StepOutcome {
  readonly step: Step;
  readonly output: string;
  readonly code: number | null;
  readonly seconds: number;
  /** Why it failed, or undefined when it passed. */
  readonly failure: string | undefined;
}

export interface CheckOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Run each step on a pseudo-terminal, as a reader types it: programs see a terminal, so
   * Compose draws its progress, the lab colours its output, `docker compose exec` allocates a
   * TTY. (Without it, a pipe: what CI logs and scripts see.) Needs util-linux's `script`.
   */
  readonly terminal?: boolean;
  readonly onStep?: (outcome: StepOutcome) => void;
}

/** Why steps cannot run on a pseudo-terminal here, or undefined when they can. */
export function cannotUseTerminal(): string | undefined {
  if (process.platform !== 'linux') return 'running steps on a terminal needs Linux (util-linux script)';
  if (spawnSync('script', ['-qefc', 'true', '/dev/null'], { stdio: 'ignore' }).status !== 0)
    return 'util-linux script is missing (apt install bsdutils)';
  return undefined;
}

/** Handout 0 writes and then deletes this file: an instructor's own copy must not be lost. */
const SAVE_FILE = 'ipc-lab-images.tar';

/**
 * What a reader's fresh terminal would not have: make's own variables (a step's `make up` run
 * from `make test` would print "make[1]: Entering directory"), and the lab's knobs a caller may
 * have set (`make check-handouts UNSAFE=1` must not turn handout 6's locked run unsafe).
 * OFFLINE and the IPC_LAB_*_IMAGE build settings pass: they choose where images come from.
 */
const NOT_FROM_THE_CALLER = [
  'MAKELEVEL',
  'MAKEFLAGS',
  'MFLAGS',
  'MAKEOVERRIDES',
  'MAKE_TERMOUT',
  'MAKE_TERMERR',
  'UNSAFE',
  'STEP',
  'IPC_LAB_STEP',
  'TUI',
  'RACE_SECONDS',
  'RING_BYTES',
  'RING_SLOT_SIZE',
  'UP_FLAGS',
  'BUILD_FLAGS',
  'SAVE_FILE',
  'HANDOUTS',
  'CYCLES',
  'COMPOSE',
];

export function readerEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const clean = { ...env };
  for (const name of NOT_FROM_THE_CALLER) delete clean[name];
  return clean;
}

/** Process groups of the commands running now, and whether the checker was interrupted. */
const running = new Set<number>();
let interrupted = false;

const signalGroup = (pid: number, signal: NodeJS.Signals): void => {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
};

/**
 * Stops every running step and refuses new ones: for Ctrl-C. SIGTERM first, so a step's own
 * cleanup (make race's trap) can run, SIGKILL for whatever is left a few seconds later.
 */
export function interruptChecker(): void {
  interrupted = true;
  for (const pid of running) signalGroup(pid, 'SIGTERM');
  setTimeout(() => {
    for (const pid of running) signalGroup(pid, 'SIGKILL');
  }, 5000).unref();
}

export const wasInterrupted = (): boolean => interrupted;

interface Ran {
  /** stdout and stderr as they arrived. */
  output: string;
  /** The two apart (through a pipe; on a terminal they are one stream, all in `output`). */
  streams: Streams | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
}

/**
 * Runs one command through bash, in a pipe (stdout and stderr kept apart as well: Docker does
 * not keep their relative order, see matchOutput) or on a terminal (one stream); stops it at
 * the timeout. Refused once interrupted.
 */
export async function runCommand(
  command: string,
  cwd: string,
  timeoutSeconds: number,
  env: NodeJS.ProcessEnv = process.env,
  terminal = false,
): Promise<Ran> {
  if (interrupted) return { output: '', streams: undefined, code: null, signal: 'SIGINT', timedOut: false };
  if (!terminal) return spawnCommand(['bash', '-o', 'pipefail', '-c', command], cwd, timeoutSeconds, env, false, true);
  // script(1) gives the command a pseudo-terminal and copies what it shows to our pipe.
  const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-step-'));
  try {
    writeFileSync(join(dir, 'step.sh'), `exec 2>&1\n${command}\n`);
    // Its stdin stays open and silent, like a reader's keyboard: at end-of-file script would
    // type ^D into the terminal, and programs reading it (docker compose exec) would echo it.
    return await spawnCommand(
      ['script', '-qefc', `bash -o pipefail ${join(dir, 'step.sh')}`, '/dev/null'],
      cwd,
      timeoutSeconds,
      { TERM: 'xterm-256color', ...env },
      true,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function spawnCommand(
  argv: readonly string[],
  cwd: string,
  timeoutSeconds: number,
  env: NodeJS.ProcessEnv,
  openStdin = false,
  withStderr = false,
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    // A process group of its own (detached), so a timeout stops the command and its children.
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd,
      env,
      stdio: [openStdin ? 'pipe' : 'ignore', 'pipe', withStderr ? 'pipe' : 'ignore'],
      detached: true,
    });
    child.stdin?.on('error', () => {}); // the command may exit without reading it
    const pipes = [child.stdout!, ...(child.stderr ? [child.stderr] : [])];
    const apart = ['', ''];
    let output = '';
    let timedOut = false;
    const pid = child.pid;
    if (pid !== undefined) running.add(pid);
    for (const [n, pipe] of pipes.entries()) {
      pipe.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
        apart[n] += chunk;
      });
    }
    const timers = [
      setTimeout(() => {
        timedOut = true;
        if (pid === undefined) return;
        signalGroup(pid, 'SIGTERM');
        timers.push(setTimeout(() => signalGroup(pid, 'SIGKILL'), 5000));
      }, timeoutSeconds * 1000),
    ];
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      child.stdin?.destroy();
      for (const t of timers) clearTimeout(t);
      if (pid !== undefined) {
        running.delete(pid);
        if (timedOut) signalGroup(pid, 'SIGKILL'); // children that outlived bash's SIGTERM
      }
      // A background grandchild may hold a pipe open: take what came within a moment.
      const done = (): void =>
        resolve({
          output,
          streams: withStderr ? { arrived: output, stdout: apart[0]!, stderr: apart[1]! } : undefined,
          code,
          signal,
          timedOut,
        });
      const open = pipes.filter((pipe) => !pipe.readableEnded);
      if (open.length === 0) return done();
      const grace = setTimeout(() => {
        for (const pipe of open) pipe.destroy();
        done();
      }, 2000);
      let left = open.length;
      for (const pipe of open)
        pipe.once('end', () => {
          if (--left === 0) {
            clearTimeout(grace);
            done();
          }
        });
    });
  });
}

export function describeStep(step: Step): string {
  const first = step.command.split('\n')[0] ?? '';
  return `${basename(step.file)}:${step.line} \`${first}${step.command.includes('\n') ? ' ...' : ''}\``;
}

/** Runs the steps in order and stops at the first that fails: later steps build on it. */
async function checkHandout(handout: Handout, options: CheckOptions): Promise<StepOutcome[]> {
  const outcomes: StepOutcome[] = [];
  const env = readerEnv(options.env);
  let bindings: Bindings = new Map();
  for (const step of handout.steps) {
    const started = performance.now();
    const { output, streams, code, signal, timedOut } = await runCommand(
      step.command,
      options.cwd,
      step.timeoutSeconds,
      env,
      options.terminal,
    );
    const seconds = (performance.now() - started) / 1000;
    const problems: string[] = [];
    if (interrupted) problems.push('the checker was interrupted');
    else if (timedOut) problems.push(`it was still running after ${step.timeoutSeconds} s (timeout=) and was stopped`);
    else if (code === null) problems.push(`it was killed by ${signal}`);
    else if (code !== step.exitCode)
      problems.push(`it exited with code ${code}, the handout expects ${step.exitCode}${step.exitCode === 0 ? '' : ' (exit=)'}`);
    let shown = false;
    if (step.expected && !interrupted) {
      const match = matchOutput(step.expected.text, streams ?? output, bindings);
      if (match.ok) bindings = match.bindings;
      else {
        problems.push(`its output does not match the block at line ${step.expected.line}: ${match.reason}`);
        shown = true; // the reason shows the output, the mismatching line marked
      }
    }
    // A wrong exit code alone: the output says why (an error the expected block's `...` hid).
    if (problems.length > 0 && !shown && !interrupted) problems.push(`--- what it printed ---\n${output}`);
    const outcome = { step, output, code, seconds, failure: problems.length > 0 ? problems.join('; and ') : undefined };
    outcomes.push(outcome);
    options.onStep?.(outcome);
    if (outcome.failure) break;
  }
  return outcomes;
}

const docker = async (args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> =>
  (await promisify(execFile)('docker', [...args], { env, encoding: 'utf8' })).stdout;

/** The lab's containers, volumes and networks, by compose's project label: what a handout must not leave. */
async function labLeftovers(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const label = `label=com.docker.compose.project=${env.IPC_LAB_PROJECT ?? 'ipc-lab'}`;
  const lists = await Promise.all([
    docker(['ps', '--all', '--format', 'container {{.Names}}', '--filter', label], env),
    docker(['volume', 'ls', '--format', 'volume {{.Name}}', '--filter', label], env),
    docker(['network', 'ls', '--format', 'network {{.Name}}', '--filter', label], env),
  ]);
  return lists
    .join('\n')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** Removes everything of the lab, quietly: before a handout, and after one, even after Ctrl-C. */
export async function resetLab(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await spawnCommand(
    ['bash', '-c', `docker compose --profile '*' down --volumes --remove-orphans --timeout 5 >/dev/null 2>&1`],
    cwd,
    120,
    readerEnv(env),
  );
}

/** Why the handouts cannot be checked here right now, or undefined when they can. */
export function cannotCheck(cwd: string): string | undefined {
  if (process.platform === 'win32') return 'the handouts are typed into bash with make: check them inside WSL2';
  if (existsSync(join(cwd, SAVE_FILE))) return `${SAVE_FILE} exists, and handout 00 writes and deletes that file: move it elsewhere first`;
  return undefined;
}

export interface HandoutReport {
  readonly outcomes: readonly StepOutcome[];
  /** What the handout's own steps left behind (only looked at when every step passed). */
  readonly leftovers: readonly string[];
  /** The first failure, ready to print, or undefined when the handout printed what it says. */
  readonly failure: string | undefined;
}

/** One handout from a clean lab to a clean lab: reset, every step, leftovers, reset. */
export async function runHandout(handout: Handout, options: CheckOptions): Promise<HandoutReport> {
  const blocked = cannotCheck(options.cwd) ?? (options.terminal ? cannotUseTerminal() : undefined);
  if (blocked) throw new Error(blocked);
  if (handout.problems.length > 0)
    return { outcomes: [], leftovers: [], failure: `${handout.name} is not well-formed:\n  ${handout.problems.join('\n  ')}` };
  await resetLab(options.cwd, options.env);
  try {
    const outcomes = await checkHandout(handout, options);
    const failed = outcomes.find((o) => o.failure);
    const leftovers = failed
      ? []
      : await labLeftovers(options.env).catch((error: unknown) => {
          if (interrupted) return []; // Ctrl-C reached docker too: the reset below cleans up anyway
          throw new Error(
            `could not list the lab's leftovers (is Docker running?): ${error instanceof Error ? error.message : String(error)}`,
          );
        });
    const failure = failed
      ? `${describeStep(failed.step)}: ${failed.failure}`
      : leftovers.length > 0
        ? `${handout.name} leaves ${leftovers.join(', ')} behind: end it with make down`
        : undefined;
    return { outcomes, leftovers, failure };
  } finally {
    await resetLab(options.cwd, options.env);
  }
}
