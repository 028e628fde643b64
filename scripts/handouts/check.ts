/**
 * The handout checker: runs every `sh run` step of a handout, in order, from the repository's
 * root, the way a reader types it into a terminal, and compares what it prints (stdout and
 * stderr as one stream, as a terminal shows them) with the expected-output block under it.
 *
 * A handout starts from nothing and must leave nothing: the checker removes any lab containers
 * before it starts, and reports a handout whose steps leave containers or volumes behind.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Handout, Step } from './blocks.ts';
import { matchOutput, type Bindings } from './expected.ts';

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
  readonly onStep?: (outcome: StepOutcome) => void;
}

/** Process groups of the commands running now, so an interrupted checker can stop them. */
const running = new Set<number>();

const killGroup = (pid: number): void => {
  try {
    process.kill(process.platform === 'win32' ? pid : -pid, 'SIGKILL');
  } catch {
    // already gone
  }
};

/** Kills every command the checker is running (on Ctrl-C: they run in process groups of their own). */
export function killRunning(): void {
  for (const pid of running) killGroup(pid);
}

/** Runs one command through bash with stdout and stderr in one pipe; kills it at the timeout. */
export function runCommand(command: string, cwd: string, timeoutSeconds: number, env: NodeJS.ProcessEnv = process.env): Promise<{ output: string; code: number | null; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    // detached: a process group of its own, so a timeout kills the command and its children
    const child = spawn('bash', ['-o', 'pipefail', '-c', `exec 2>&1\n${command}`], { cwd, env, stdio: ['ignore', 'pipe', 'ignore'], detached: process.platform !== 'win32' });
    let output = '';
    let timedOut = false;
    const pid = child.pid;
    if (pid !== undefined) running.add(pid);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) killGroup(pid);
    }, timeoutSeconds * 1000);
    child.once('error', reject);
    child.once('close', (code) => {
      if (pid !== undefined) running.delete(pid);
      clearTimeout(timer);
      resolve({ output, code, timedOut });
    });
  });
}

export function describeStep(step: Step): string {
  const first = step.command.split('\n')[0] ?? '';
  return `${basename(step.file)}:${step.line} \`${first}${step.command.includes('\n') ? ' ...' : ''}\``;
}

/** Runs the steps in order and stops at the first that fails: later steps build on it. */
export async function checkHandout(handout: Handout, options: CheckOptions): Promise<StepOutcome[]> {
  const outcomes: StepOutcome[] = [];
  let bindings: Bindings = new Map();
  for (const step of handout.steps) {
    const started = performance.now();
    const { output, code, timedOut } = await runCommand(step.command, options.cwd, step.timeoutSeconds, options.env);
    const seconds = (performance.now() - started) / 1000;
    let failure: string | undefined;
    if (timedOut) failure = `it was still running after ${step.timeoutSeconds} s (timeout=) and was killed`;
    else if (code !== step.exitCode) failure = `it exited with code ${code}, the handout expects ${step.exitCode}${step.exitCode === 0 ? '' : ' (exit=)'}`;
    if (step.expected) {
      const match = matchOutput(step.expected.text, output, bindings);
      if (match.ok) bindings = match.bindings;
      else failure = `${failure ? `${failure}; and ` : ''}its output does not match the block at line ${step.expected.line}: ${match.reason}`;
    }
    if (failure && !step.expected) failure += `\n--- what it printed ---\n${output}`;
    const outcome = { step, output, code, seconds, failure };
    outcomes.push(outcome);
    options.onStep?.(outcome);
    if (failure) break;
  }
  return outcomes;
}

/** The lab's containers and volumes, by compose's project label: what a handout must not leave. */
export async function labLeftovers(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const project = env['IPC_LAB_PROJECT'] ?? 'ipc-lab';
  const { output } = await runCommand(
    `docker ps --all --format 'container {{.Names}}' --filter label=com.docker.compose.project=${project}; ` +
    `docker volume ls --format 'volume {{.Name}}' --filter label=com.docker.compose.project=${project}`,
    cwd, 60, env);
  return output.split('\n').map((l) => l.trim()).filter(Boolean);
}

/** Removes everything of the lab, quietly: before a handout, and after one that failed. */
export async function resetLab(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await runCommand(`docker compose --profile '*' down --volumes --remove-orphans --timeout 5 >/dev/null 2>&1`, cwd, 120, env);
}

/** Handout 0 writes and then deletes this file: an instructor's own copy must not be lost. */
export const SAVE_FILE = 'ipc-lab-images.tar';

/** Why the handouts cannot be checked here right now, or undefined when they can. */
export function cannotCheck(cwd: string): string | undefined {
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
  await resetLab(options.cwd, options.env);
  try {
    const outcomes = await checkHandout(handout, options);
    const failed = outcomes.find((o) => o.failure);
    const leftovers = failed ? [] : await labLeftovers(options.cwd, options.env);
    const failure = failed
      ? `${describeStep(failed.step)}: ${failed.failure}`
      : leftovers.length > 0 ? `${handout.name} leaves ${leftovers.join(', ')} behind: end it with make down` : undefined;
    return { outcomes, leftovers, failure };
  } finally {
    await resetLab(options.cwd, options.env);
  }
}
