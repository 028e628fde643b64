/** Runs the ipc-lab command line as a real process, inside a test's IPC namespace. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { IpcNamespace } from './ipc-namespace.ts';
import { setprivAs } from './other-users.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = ['node', '--import', 'tsx', 'src/cli.ts'];

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** Runs the command as this uid and gid (setpriv, no supplementary groups): needs root. */
  as?: { readonly uid: number; readonly gid: number };
}

/** setpriv and the folder to run from, for a run as another uid (see other-users.ts). */
function otherUser(as: NonNullable<RunOptions['as']>): { prefix: string[]; cwd: string } {
  const problem = process.env.IPC_LAB_OTHER_USER_PROBLEM;
  if (problem) throw new Error(problem);
  const cwd = process.env.IPC_LAB_OTHER_USER_ROOT;
  if (process.getuid?.() !== 0 || !cwd)
    throw new Error(
      'this test runs ipc-lab as another uid (setpriv), which needs root: run it through the test runner (npm test), which provides it',
    );
  return { prefix: setprivAs(as.uid, as.gid), cwd };
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
    void this.exited.then(
      () => (exited = true),
      () => (exited = true),
    );
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
  const user = options.as ? otherUser(options.as) : { prefix: [], cwd: ROOT };
  const [cmd, ...rest] = ns.wrap([...user.prefix, ...CLI, ...args]);
  const child = spawn(cmd!, rest, {
    cwd: user.cwd,
    // HOME: the other uid's own would be unreadable; npm and tsx only need somewhere.
    env: { ...process.env, NO_COLOR: '1', ...(options.as ? { HOME: '/tmp' } : {}), ...options.env },
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
