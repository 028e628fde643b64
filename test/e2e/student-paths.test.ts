/**
 * The paths a student takes by mistake, typed as a student types them, against the real engine:
 * what the screen must say (what failed, in the student's own words, why, and the command that
 * fixes it), how fast a survivor ends, and that nothing is left behind: no container, volume or
 * network of the lab after each one. Ctrl-C is a SIGINT to the command's process group, as a
 * terminal sends it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ComposeLab } from '../../src/docker/compose-lab.ts';
import { ROOT } from '../support/cli.ts';
import { compose, make, run } from './support.ts';

const lab = new ComposeLab();

async function expectNothingLeft(): Promise<void> {
  expect(await lab.leftovers()).toEqual({ containers: [], volumes: [], networks: [] });
}

interface Interrupted {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Milliseconds from the start to the exit, and to the interrupt. */
  readonly ms: number;
  readonly interruptedAt: number | undefined;
}

/**
 * Runs `make ARGS` in a process group of its own; once `ready` says so (polled), sends SIGINT to
 * the whole group, as Ctrl-C in a terminal does. Without `ready`, it just runs.
 */
function makeInGroup(
  args: readonly string[],
  options: { env?: Record<string, string>; ready?: (out: string) => boolean | Promise<boolean> } = {},
): Promise<Interrupted> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn('make', [...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let interruptedAt: number | undefined;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const kill = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 240_000);
    const poll = options.ready
      ? setInterval(async () => {
          if (interruptedAt === undefined && (await options.ready!(stdout + stderr))) {
            interruptedAt = Date.now() - started;
            process.kill(-child.pid!, 'SIGINT');
          }
        }, 200)
      : undefined;
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(kill);
      if (poll) clearInterval(poll);
      resolve({ code, stdout, stderr, ms: Date.now() - started, interruptedAt });
    });
  });
}

/** A compose file beside compose.yaml that changes one service, to make one side fail for real. */
function override(yaml: string): { env: Record<string, string>; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-override-'));
  writeFileSync(join(dir, 'override.yaml'), yaml);
  return {
    env: { COMPOSE_FILE: `${join(ROOT, 'compose.yaml')}:${join(dir, 'override.yaml')}` },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const running = async (service: string): Promise<boolean> => (await lab.containers()).some((c) => c.service === service && c.running);
/** Whether the service's log shows `pattern` yet: the lab's own readiness, not a container state. */
const logged = async (service: string, pattern: RegExp): Promise<boolean> =>
  pattern.test((await compose('logs', '--no-log-prefix', service)).stdout);

beforeAll(async () => {
  await make('down');
  const built = await make('build');
  expect(built.code, built.stderr).toBe(0);
}, 900_000);

afterEach(async () => {
  await make('down');
  await expectNothingLeft();
});

describe('Docker itself', () => {
  it('as a Linux user not in the docker group: the real error, and the docker group as the fix', async () => {
    if (process.platform !== 'linux' || process.getuid?.() !== 0)
      throw new Error('this test runs make as another uid (setpriv): it needs Linux and root, as CI has');
    // The Makefile and its scripts where uid 65534 can read them (a checkout under /root cannot be).
    const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-nogroup-'));
    try {
      chmodSync(dir, 0o755);
      mkdirSync(join(dir, 'scripts', 'lab'), { recursive: true });
      for (const f of ['Makefile', 'compose.yaml', 'scripts/lab/preflight.sh', 'scripts/lab/check-vars.sh', 'scripts/lab/up.sh'])
        copyFileSync(join(ROOT, f), join(dir, f));
      const home = join(dir, 'home');
      mkdirSync(home, { mode: 0o777 });
      chmodSync(home, 0o777);
      const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'make', 'up'], {
        cwd: dir,
        env: { ...process.env, HOME: home, OFFLINE: '0' },
        encoding: 'utf8',
      });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/^error: this user may not use Docker: permission denied on the Docker socket$/m);
      expect(r.stderr).toMatch(/^ {2}docker says: permission denied while trying to connect to the Docker daemon socket/m);
      expect(r.stderr).toMatch(
        /fix: add yourself to the docker group: sudo usermod -aG docker \$USER, then log out and in again \(or run 'newgrp docker'/,
      );
      expect(r.stderr).not.toMatch(/not running|systemctl/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with DOCKER_HOST pointing at nothing: says so, not "start Docker"', async () => {
    const r = await run('make', ['up'], { DOCKER_HOST: 'unix:///nonexistent' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^error: no Docker Engine answers at DOCKER_HOST=unix:\/\/\/nonexistent$/m);
    expect(r.stderr).toMatch(/docker says: Cannot connect to the Docker daemon at unix:\/\/\/nonexistent/);
    expect(r.stderr).toMatch(/fix: start the engine there, or unset DOCKER_HOST/);
  });
});

describe('bad values, caught before any container starts, named as the student typed them', () => {
  it.each([
    [
      ['up', 'STEP=abc'],
      /^error: STEP is "abc": give the seconds the server pauses after each field, from 0 to 3600, as in make up STEP=1$/m,
    ],
    [
      ['race', 'RACE_SECONDS=-1'],
      /^error: RACE_SECONDS is "-1": give how long the reader reads, in seconds from 0 to 3600, as in make race RACE_SECONDS=3$/m,
    ],
    [['race', 'UNSAFE=yes'], /^error: UNSAFE is "yes": give 1 to run without the lock, or 0/m],
    [
      ['ring', 'RING_BYTES=lots'],
      /^error: RING_BYTES is "lots": give a size such as 4096, 64KiB, 256MiB or 1GiB, as in make ring RING_BYTES=64MiB$/m,
    ],
    [['ring', 'RING_SLOT_SIZE=32MiB'], /^error: RING_SLOT_SIZE is "32MiB": give 1 byte to 16MiB/m],
  ])('make %j', async (args, message) => {
    const started = Date.now();
    const r = await run('make', args);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/dependency failed|exited with code|IPC_LAB_|--seconds|--bytes/);
    expect(Date.now() - started).toBeLessThan(10_000);
    await expectNothingLeft();
  });

  it('a typo in a variable is pointed out, a typo in a target stops make with the list', async () => {
    const typo = await run('make', ['help', 'STPE=1']);
    expect(typo.stderr).toMatch(/STPE=1 is not a variable of the lab, so it changes nothing \(a typo\?\): the lab's are .*\bSTEP\b/);
    const target = await run('make', ['upp']);
    expect(target.code).not.toBe(0);
    expect(target.stderr).toMatch(/make has no target 'upp': run make \(or make help\) for the list/);
  });
});

describe('a server that dies while the lab starts', () => {
  it('make up prints its last lines and removes the half-started lab', async () => {
    const o = override('services:\n  server:\n    command: ["server", "--size=10"]\n');
    try {
      const up = await run('make', ['up'], o.env);
      expect(up.code).not.toBe(0);
      expect(up.stderr).toMatch(/== the server's last lines/);
      expect(up.stderr).toMatch(/error: --size is "10": give a size in bytes from 80/);
      expect(up.stderr).toMatch(/error: the server exited with code 2 before the message was ready, so the client never ran/);
      await expectNothingLeft();
    } finally {
      o.dispose();
    }
  });
});

describe('the race and ring labs, when one side goes', () => {
  it('a side that fails stops the other at once, within 2 s, and is named with its reason', async () => {
    // A reader that dies at once, as one with a bad option does: the writer would wait 30 s for it.
    const o = override('services:\n  race-reader:\n    command: ["race", "reader", "--seconds=-1"]\n');
    try {
      let failedAt: number | undefined;
      const r = await makeInGroup(['race'], {
        env: o.env,
        ready: (out) => {
          if (failedAt === undefined && /race-reader exited with code 2: stopping race-writer/.test(out)) failedAt = Date.now();
          return false;
        },
      });
      expect(r.code).toBe(2);
      expect(failedAt, r.stderr).toBeDefined();
      expect(Date.now() - failedAt!).toBeLessThan(2_500 + 500); // the writer's stop, its logs, the removal
      expect(r.stdout).toMatch(/== what race-writer printed/);
      expect(r.stdout).toMatch(/SIGTERM: stopping/);
      expect(r.stdout + r.stderr).toMatch(/--seconds is "-1": give a number of seconds from 0 to 3600/);
      expect(r.stderr).toMatch(/error: race-reader exited with code 2, so race-writer was stopped/);
      expect(r.ms).toBeLessThan(25_000);
    } finally {
      o.dispose();
    }
  });

  it('Ctrl-C during make ring: both sides say what they did, then everything goes, the volume too', async () => {
    const r = await makeInGroup(['ring', 'RING_BYTES=64GiB'], {
      ready: async () => (await running('ring-consumer')) && (await running('ring-producer')),
    });
    expect(r.interruptedAt, r.stderr).toBeDefined();
    expect(r.ms - r.interruptedAt!).toBeLessThan(12_000);
    expect(r.stderr).toMatch(
      /interrupted: stopping ring-producer and ring-consumer \(SIGTERM: each removes what it owns\), then what they said/,
    );
    expect(r.stdout).toMatch(/== what ring-producer printed \(docker logs\)[\s\S]*stopping: the stream is incomplete/);
    expect(r.stdout).toMatch(/== what ring-consumer printed \(docker logs\)/);
    expect(r.stderr).toMatch(/make ring was interrupted: both sides stopped, their output is above/);
    await expectNothingLeft();
  });

  it('Ctrl-C on a terminal (a ^C typed into a pseudo-terminal) during make ring: the same', async () => {
    // util-linux script gives make a terminal; ^C on its input is what the terminal turns into SIGINT.
    const started = Date.now();
    const child = spawn('script', ['-qfec', 'make ring RING_BYTES=64GiB', '/dev/null'], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const poll = setInterval(async () => {
      if ((await running('ring-consumer')) && (await running('ring-producer'))) {
        clearInterval(poll);
        child.stdin.write('\x03');
      }
    }, 200);
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    clearInterval(poll);
    expect(code).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(out).toMatch(/interrupted: stopping ring-producer and ring-consumer/);
    expect(out).toMatch(/== what ring-producer printed[\s\S]*stopping: the stream is incomplete/);
    await expectNothingLeft();
  });

  it('Ctrl-C during make race: the same, and no segment or set survives in a running lab either', async () => {
    const up = await make('up');
    expect(up.code, up.stderr).toBe(0);
    const r = await makeInGroup(['race', 'RACE_SECONDS=60'], {
      // Not just running: reading. A Ctrl-C before the reader reads ends it with nothing to count.
      ready: async (out) => /docker compose --profile race up/.test(out) && (await logged('race-reader', /reading for/)),
    });
    expect(r.stdout).toMatch(/== what race-reader printed[\s\S]*reads \d+, torn 0/);
    const ipcs = await lab.exec('server', ['ipcs', '-m', '-s']);
    expect(ipcs.stdout).not.toMatch(/^0x52/m); // the race lab's key ('R'): gone
    expect((await lab.containers()).map((c) => c.service).sort()).toEqual(['client', 'server']);
  });
});

describe('Ctrl-C while make up waits for the server', () => {
  it('removes what it started and says so', async () => {
    const r = await makeInGroup(['up', 'STEP=2'], { ready: async () => running('server') });
    expect(r.interruptedAt).toBeDefined();
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/make up was interrupted before the lab was up: removing what it started \(make down\)/);
    expect(r.stderr).toMatch(/removed: nothing of the lab is left/);
    await expectNothingLeft();
  });

  it('make inspect tells a container that never started from one that exited 0', async () => {
    // The state a Ctrl-C used to leave: the server up, the client created but never started.
    const created = await run('docker', ['compose', 'create', 'server', 'client']);
    expect(created.code, created.stderr).toBe(0);
    const started = await run('docker', ['compose', 'start', 'server']);
    expect(started.code, started.stderr).toBe(0);
    const inspect = await run('make', ['--silent', 'inspect']);
    expect(inspect.stdout).toMatch(/client\s+ipc-lab-client-1\s+created \(never started\)/);
    expect(inspect.stdout).not.toMatch(/client\s+ipc-lab-client-1\s+exited \(0\)/);
  });
});
