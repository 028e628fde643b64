/**
 * The host's side of a check: the workbench reached through `docker compose` (the same commands
 * the README shows), so a check drives Docker exactly as a student's `make` does. A probe is one
 * `compose run --rm` of the workbench that prints its criteria as the last line; a program that
 * must be stopped the way Docker stops a service (exercise 4) or looked at by other users
 * (exercise 6) runs in a container of its own, which the check always removes.
 */
import { execFile } from 'node:child_process';
import { LabError } from '../core/errors.ts';
import { type CheckRequest, type Criterion, type Exercise, sourceFolder } from './model.ts';
import { logExcerpt } from './probe.ts';

/** The line a probe ends with: its criteria as JSON. */
export const CRITERIA_PREFIX = 'ipc-lab-criteria ';

export interface Shell {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function exec(command: string, args: readonly string[], timeoutMs = 300_000): Promise<Shell> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { encoding: 'utf8', maxBuffer: 64 << 20, timeout: timeoutMs, env: { ...process.env, NO_COLOR: '1' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr: stderr || (error && typeof error.code !== 'number' ? `${error.message}\n` : '') });
      },
    );
  });
}

/** Whether a process with this pid runs on this host (signal 0 tests without sending). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** How the lab calls Compose: $COMPOSE (the Makefile's), `docker compose` by default. */
export function composeCommand(): readonly string[] {
  return (process.env.COMPOSE?.trim() || 'docker compose').split(/\s+/);
}

/** What a check names the containers it starts (exercises 4 and 6): ipc-lab-exercise-4-<pid>-first. */
export const CONTAINER_PREFIX = 'ipc-lab-exercise-';

export class Bench {
  private readonly compose: readonly string[];
  /** The containers this check started and has not removed yet: what a Ctrl-C removes. */
  private readonly started = new Set<string>();

  constructor(compose: readonly string[] = composeCommand()) {
    this.compose = compose;
  }

  async composeRun(args: readonly string[], timeoutMs?: number): Promise<Shell> {
    const [command, ...rest] = this.compose;
    return exec(command!, [...rest, '--profile', 'workbench', ...args], timeoutMs);
  }

  /**
   * The workbench image built (quietly: its output only if it fails), and the lab's server up:
   * the workbench lives in its IPC namespace. A server that is not running is started, as make
   * up would; a running one is left as it is (every run below says --no-deps).
   */
  async prepare(say: (line: string) => void): Promise<void> {
    await this.removeStale();
    const built = await this.composeRun(['build', 'workbench'], 1_800_000);
    if (built.code !== 0) {
      throw new LabError('failed', `could not build the workbench image:\n${(built.stdout + built.stderr).trimEnd()}`, {
        hint: 'make doctor says whether Docker is ready; offline, run make offline-images first and pass OFFLINE=1',
      });
    }
    const running = await this.composeRun(['ps', '--status', 'running', '--quiet', 'server']);
    if (running.code !== 0)
      throw new LabError('failed', `docker compose ps failed:\n${running.stderr.trimEnd()}`, {
        hint: 'make doctor says what is wrong with Docker',
      });
    if (running.stdout.trim() !== '') return;
    say("the lab's server is not running: starting it (docker compose up --detach --wait server), as make up does");
    const up = await this.composeRun(['up', '--detach', '--wait', 'server'], 900_000);
    if (up.code !== 0)
      throw new LabError('failed', `the lab's server did not start:\n${(up.stdout + up.stderr).trimEnd()}`, { hint: 'make up shows why' });
  }

  /** A probe of `exercise` in a fresh workbench container (as `user`, if given): its criteria. */
  async probe(
    exercise: Exercise,
    probe: string,
    request: CheckRequest,
    options: { user?: string; args?: readonly string[] } = {},
  ): Promise<Criterion[]> {
    const ran = await this.composeRun([
      'run',
      '--rm',
      '--no-deps',
      '-T',
      ...(options.user ? ['--user', options.user] : []),
      'workbench',
      'probe',
      String(exercise.number),
      probe,
      `--track=${request.track}`,
      `--source=${request.source}`,
      ...(options.args ?? []),
    ]);
    const line = ran.stdout.split('\n').find((l) => l.startsWith(CRITERIA_PREFIX));
    if (!line) {
      throw new LabError(
        'failed',
        `the workbench's probe "${probe}" gave no result (exit ${ran.code}):\n${(ran.stdout + ran.stderr).trimEnd()}`,
        {
          hint: 'make down, then make check again; if it persists, it is a bug of the exercise: please report it',
        },
      );
    }
    return JSON.parse(line.slice(CRITERIA_PREFIX.length)) as Criterion[];
  }

  /**
   * The student's program `name` started in a workbench container of its own, named
   * `container`, detached: `exec` makes it the process docker-init signals, as a lab service is.
   */
  async startProgram(exercise: Exercise, request: CheckRequest, name: string, container: string): Promise<Shell> {
    const dir = `/src/${sourceFolder(exercise, request.track, request.source)}`;
    const script =
      request.track === 'ts'
        ? `exec node --import tsx ${dir}/${name}.ts`
        : `gcc -std=gnu11 -O2 -g -Wall -I${dir} -I/src/exercises/include -o /tmp/${name} ${dir}/${name}.c && exec /tmp/${name}`;
    this.started.add(container);
    return this.composeRun(['run', '--detach', '--no-deps', '--name', container, '--entrypoint', 'sh', 'workbench', '-c', script]);
  }

  /**
   * Ask the probe `ready` (which waits up to its first argument's seconds) until it passes, for
   * up to `seconds`, giving up at once when the container has exited: a server that failed.
   */
  async untilReady(exercise: Exercise, request: CheckRequest, container: string, seconds = 20): Promise<Criterion> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const [ready] = await this.probe(exercise, 'ready', request, { args: ['2'] });
      if (ready?.ok) return ready;
      if (!(await this.running(container)) || Date.now() > deadline) {
        const logs = logExcerpt(await this.logs(container));
        const exited = (await this.running(container)) ? `still running after ${seconds} s` : 'exited';
        return {
          name: ready?.name ?? 'ready',
          ok: false,
          detail: `${ready?.detail ?? 'no answer'}; your program ${exited}, and printed:\n  ${logs}`,
        };
      }
    }
  }

  /** `docker stop` (SIGTERM, then SIGKILL after `graceSeconds`): how long it took, the exit code, the logs. */
  async stopContainer(container: string, graceSeconds: number): Promise<{ seconds: number; exitCode: number; logs: string }> {
    const started = Date.now();
    await exec('docker', ['stop', '--time', String(graceSeconds), container]);
    const seconds = (Date.now() - started) / 1000;
    const state = await exec('docker', ['inspect', '--format', '{{.State.ExitCode}}', container]);
    const logs = await exec('docker', ['logs', container]);
    return { seconds, exitCode: Number(state.stdout.trim()), logs: logs.stdout + logs.stderr };
  }

  async logs(container: string): Promise<string> {
    const logs = await exec('docker', ['logs', container]);
    return logs.stdout + logs.stderr;
  }

  async running(container: string): Promise<boolean> {
    const state = await exec('docker', ['inspect', '--format', '{{.State.Running}}', container]);
    return state.stdout.trim() === 'true';
  }

  async removeContainer(container: string): Promise<void> {
    await exec('docker', ['rm', '--force', '--volumes', container]);
    this.started.delete(container);
  }

  /** Every container this check started and still has: on Ctrl-C, before the check exits. */
  async removeStarted(): Promise<void> {
    await Promise.all([...this.started].map((c) => this.removeContainer(c)));
  }

  /**
   * Containers an earlier check left (one killed with SIGKILL, say), removed before this one
   * starts: those whose name carries the pid of a check that is no longer running.
   */
  private async removeStale(): Promise<void> {
    const listed = await exec('docker', ['ps', '--all', '--format', '{{.Names}}', '--filter', `name=${CONTAINER_PREFIX}`]);
    const stale = listed.stdout.split('\n').filter((name) => {
      const pid = Number(/^ipc-lab-exercise-\d+-(\d+)-/.exec(name)?.[1]);
      return Number.isInteger(pid) && pid > 0 && !alive(pid);
    });
    if (stale.length > 0) await exec('docker', ['rm', '--force', '--volumes', ...stale]);
  }
}
