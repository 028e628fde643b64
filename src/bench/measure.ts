/** Running one measurement: processes pinned to CPUs (taskset), their JSON line, a median. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export interface Placement {
  readonly name: string;
  /** CPU for the first and the second process; undefined: let the scheduler choose. */
  readonly cpus: readonly [number, number] | undefined;
}

export function pinned(cpu: number | undefined, argv: readonly string[]): string[] {
  return cpu === undefined ? [...argv] : ['taskset', '-c', String(cpu), ...argv];
}

export function start(argv: readonly string[]): ChildProcess {
  const [cmd, ...args] = argv;
  return spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
}

/** Waits for a process and returns its stdout; a failure says which command and what it printed. */
export async function output(child: ChildProcess, what: string): Promise<string> {
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`${what} exited with ${code}:\n${out}\n${err}`);
  return out;
}

/**
 * The stdout of each of several processes that work together; if one fails, the others are
 * killed at once, since a survivor may wait for its peer forever (a sem_wait has no EIDRM).
 */
export async function outputs<const T extends ReadonlyArray<readonly [ChildProcess, string]>>(
  children: T,
): Promise<{ [K in keyof T]: string }> {
  try {
    return (await Promise.all(children.map(([child, what]) => output(child, what)))) as { [K in keyof T]: string };
  } catch (error) {
    for (const [child] of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    throw error;
  }
}

export function lastJson<T>(text: string): T {
  const line = text
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (!line) throw new Error(`no JSON line in:\n${text}`);
  return JSON.parse(line) as T;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function repeat(times: number, measure: () => Promise<number>): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < times; i++) values.push(await measure());
  return median(values);
}
