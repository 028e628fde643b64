/**
 * What a probe has to hand inside the workbench: the student's programs, ready to run (a
 * TypeScript file through tsx, a C file compiled by gcc with the lab's header), and one way to
 * run them: with a deadline, output kept, never left running. A probe's programs are its own
 * children, so a probe that ends (or fails) stops every one it started.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Exercise, Source, Track } from './model.ts';
import { ROOT, sourceFolder } from './model.ts';

/** The contract as C: what every C exercise includes. */
export const INCLUDE = join(ROOT, 'exercises', 'include');

export interface Program {
  /** "client.ts" or "client.c": what the student wrote, for messages. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
}

export interface Ran {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly ms: number;
}

/** A program's output for a message: the lines naming its error (never a stack's frames), else its last lines. */
export function lastLines(ran: Pick<Ran, 'stdout' | 'stderr'>, lines = 6): string {
  const text = `${ran.stdout}${ran.stderr}`;
  if (text.trim() === '') return 'it printed nothing';
  return `it printed:\n      ${logExcerpt(text, lines).split('\n  ').join('\n      ')}`;
}

/** A program's log for a message: the lines that name an error, if any (not a stack's frames), else the last few. */
export function logExcerpt(text: string, lines = 6): string {
  const all = text
    .trimEnd()
    .split('\n')
    .filter((l) => l.trim() !== '');
  if (all.length === 0) return '(nothing)';
  const errors = all.filter((l) => /^\S*Error\b|^error:|failed: E[A-Z]+/.test(l.trim()) && !/^\s*at /.test(l));
  return (errors.length > 0 ? errors.slice(0, 3) : all.slice(-lines)).join('\n  ');
}

/** "exited with code 1", "was killed by SIGKILL", "was still running after 10 s". */
export function howItEnded(ran: Ran, timeoutMs?: number): string {
  if (ran.timedOut) return `was still running after ${Math.round((timeoutMs ?? ran.ms) / 100) / 10} s (stopped it)`;
  if (ran.signal) return `was killed by ${ran.signal}`;
  return `exited with code ${ran.code}`;
}

/** gcc refused the student's C: the criterion that failed says what gcc said. */
export class CompileError extends Error {
  constructor(
    readonly file: string,
    readonly output: string,
  ) {
    super(`gcc could not compile ${file}:\n${output.trimEnd()}`);
  }
}

const KEEP = 64 * 1024; // the last bytes of each stream a program's result keeps

export class Running {
  private stdout = '';
  private stderr = '';
  private readonly started = Date.now();
  readonly done: Promise<Ran>;
  private timedOut = false;

  constructor(
    readonly program: Program,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      this.stdout = (this.stdout + d).slice(-KEEP);
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      this.stderr = (this.stderr + d).slice(-KEEP);
    });
    this.done = new Promise((resolveDone) => {
      child.on('close', (code, signal) =>
        resolveDone({ code, signal, stdout: this.stdout, stderr: this.stderr, timedOut: this.timedOut, ms: Date.now() - this.started }),
      );
      child.on('error', (error) =>
        resolveDone({ code: 127, signal: null, stdout: this.stdout, stderr: `${this.stderr}${error.message}\n`, timedOut: false, ms: 0 }),
      );
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** What it printed so far. */
  output(): string {
    return `${this.stdout}${this.stderr}`;
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.exited) this.child.kill(signal);
  }

  /** Its result, or SIGKILL (marked timed out) once `ms` have passed. */
  async within(ms: number): Promise<Ran> {
    const timer = setTimeout(() => {
      this.timedOut = !this.exited;
      this.signal('SIGKILL');
    }, ms);
    try {
      return await this.done;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`: how a probe ends a program it no longer needs. */
  async stop(graceMs = 2000): Promise<Ran> {
    if (this.exited) return this.done;
    this.signal('SIGTERM');
    const grace = new AbortController();
    const ended = await Promise.race([
      this.done,
      sleep(graceMs, undefined, { signal: grace.signal }).then(
        () => undefined,
        () => undefined,
      ),
    ]);
    grace.abort(); // the timer must not keep the probe alive once the program has ended
    if (ended) return ended;
    this.signal('SIGKILL');
    return this.done;
  }
}

export class ProbeContext {
  readonly tmp = mkdtempSync(join(tmpdir(), 'ipc-lab-check-'));
  private readonly running = new Set<Running>();

  constructor(
    readonly exercise: Exercise,
    readonly track: Track,
    readonly source: Source,
    /** What the host passed after the probe's name. */
    readonly args: readonly string[],
  ) {}

  /** The folder with the files the check runs (the student's, the starter, the reference, a fixture). */
  get dir(): string {
    return join(ROOT, sourceFolder(this.exercise, this.track, this.source));
  }

  /** The student's program `name` (client: client.ts or client.c), compiled if C. */
  program(name: string): Program {
    const file = join(this.dir, `${name}.${this.track}`);
    if (!existsSync(file))
      throw new CompileError(`${name}.${this.track}`, `there is no ${file}: make exercise N=${this.exercise.number} makes it`);
    return this.track === 'ts' ? this.typescript(file) : this.compile(file);
  }

  typescript(file: string): Program {
    return { name: basename(file), command: process.execPath, args: ['--import', 'tsx', file] };
  }

  /**
   * gcc, strict enough to catch what a C programmer should not ship, with the lab's header and
   * the source's own folder on the include path.
   */
  compile(file: string, extra: readonly string[] = []): Program {
    const out = join(this.tmp, basename(file).replace(/\.c$/, ''));
    const gcc = spawnSync(
      'gcc',
      [
        '-std=gnu11',
        '-O2',
        '-g',
        '-Wall',
        '-Wextra',
        '-Werror=implicit-function-declaration',
        `-I${this.dir}`,
        `-I${INCLUDE}`,
        '-o',
        out,
        file,
        ...extra,
      ],
      { encoding: 'utf8' },
    );
    if (gcc.error) throw new CompileError(basename(file), `gcc is missing here: ${gcc.error.message}`);
    if (gcc.status !== 0) throw new CompileError(basename(file), `${gcc.stdout}${gcc.stderr}`);
    return { name: basename(file), command: out, args: [] };
  }

  start(program: Program, args: readonly string[] = [], env: Readonly<Record<string, string>> = {}): Running {
    const child = spawn(program.command, [...program.args, ...args], {
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const running = new Running(program, child);
    this.running.add(running);
    void running.done.then(() => this.running.delete(running));
    return running;
  }

  /** Run to the end, within `timeoutMs`. */
  async run(
    program: Program,
    args: readonly string[] = [],
    options: { timeoutMs?: number; env?: Record<string, string> } = {},
  ): Promise<Ran> {
    return this.start(program, args, options.env).within(options.timeoutMs ?? 10_000);
  }

  /** Every program still running is killed, and the scratch folder removed. */
  async close(): Promise<void> {
    await Promise.all([...this.running].map((r) => r.stop(500)));
    rmSync(this.tmp, { recursive: true, force: true });
  }
}
