/** Runs the ipc-lab command line as a real process, inside a test's IPC namespace. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { IpcNamespace } from './ipc-namespace.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = ['node', '--import', 'tsx', 'src/cli.ts'];

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** Runs the command through this prefix, e.g. setpriv to change the uid. */
  prefix?: readonly string[];
}

export class LabProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Finished>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal, stdout: this.stdout, stderr: this.stderr }));
    });
  }

  /** Resolves once stdout matches, or rejects with what was printed if it exits or time runs out. */
  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true), () => (exited = true));
    for (;;) {
      const match = this.stdout.match(pattern);
      if (match) return match;
      if (exited || Date.now() > deadline) {
        throw new Error(`no ${pattern} in the output (${exited ? 'process exited' : 'timed out'}):\n${this.stdout}\n${this.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 5_000): Promise<Finished> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

export function startLab(ns: IpcNamespace, args: readonly string[], options: RunOptions = {}): LabProcess {
  const [cmd, ...rest] = ns.wrap([...(options.prefix ?? []), ...CLI, ...args]);
  const child = spawn(cmd!, rest, {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new LabProcess(child);
}

export function runLab(ns: IpcNamespace, args: readonly string[], options: RunOptions = {}): Promise<Finished> {
  return startLab(ns, args, options).exited;
}

/** A key no other test uses: tests in one namespace must still not collide. */
export function randomKey(): number {
  return (0x10000000 + Math.floor(Math.random() * 0x5fffffff)) | 0;
}
