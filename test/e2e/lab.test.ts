/**
 * The lab end to end against a real Docker Engine: `make up`, what the containers print and how
 * they are configured (read through dockerode), `make down` leaving nothing behind. CI builds
 * the images offline (OFFLINE=1 in the environment reaches make); a user's machine pulls.
 */
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComposeLab } from '../../src/docker/compose-lab.ts';
import { ROOT } from '../support/cli.ts';
import { compose, make, run, type Ran } from './support.ts';

const MESSAGE = 'PI is defined as: 22/7==3.14286\n\ngoodbye';
const lab = new ComposeLab();
let up: Ran;

async function expectNothingLeft(): Promise<void> {
  expect(await lab.leftovers()).toEqual({ containers: [], volumes: [], networks: [] });
}

beforeAll(async () => {
  await make('down');
  await expectNothingLeft();
  up = await make('up');
}, 900_000);

afterAll(async () => {
  await make('down');
});

describe('make up', () => {
  it('runs the client to the exact message and exit code 0', async () => {
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain(MESSAGE);
    const client = await lab.require('client');
    expect(client.running).toBe(false);
    expect(client.exitCode).toBe(0);
  });

  it('shows the server creating, attaching, writing and readying the segment, with key and shmid', async () => {
    const { stdout } = await lab.logs('server');
    const shmid = stdout.match(/shmget\((0x[0-9a-f]{8}), 1024, IPC_CREAT\|IPC_EXCL\|0600\) = (\d+)/);
    expect(shmid, stdout).not.toBeNull();
    expect(stdout).toMatch(new RegExp(`shmat\\(${shmid![2]}, NULL, 0\\) = 0x[0-9a-f]+`));
    expect(stdout).toContain("== write the message at the contract's offsets");
    expect(stdout).toMatch(new RegExp(`ready: segment ${shmid![2]} \\(key ${shmid![1]}\\)`));
  });

  it('writes plain text to the logs: no colour codes without a terminal', async () => {
    for (const service of ['server', 'client']) {
      const { stdout, stderr } = await lab.logs(service);
      expect(stdout + stderr).not.toMatch(/\x1b\[/);
    }
  });

  it('server and client see the same segment in one IPC namespace; isolated sees none', async () => {
    const serverIpcs = await lab.exec('server', ['ipcs', '-m']);
    const server = serverIpcs.stdout.match(/^(0x[0-9a-f]{8})\s+(\d+)\s+lab\s+600\s+1024\s+1\b/m);
    expect(server, serverIpcs.stdout).not.toBeNull();

    // The client container has exited; a one-off container of the client service joins the
    // same namespace the same way (ipc: "service:server").
    const clientIpcs = await compose('run', '--rm', '--no-deps', '--entrypoint', 'ipcs', 'client', '-m');
    expect(clientIpcs.stdout).toMatch(new RegExp(`^${server![1]}\\s+${server![2]}\\s+lab\\s+600`, 'm'));

    const isolated = await compose('--profile', 'isolated', 'run', '--rm', 'isolated');
    expect(isolated.code).toBe(0);
    expect(isolated.stdout).toContain('Shared Memory Segments');
    expect(isolated.stdout).not.toMatch(/^0x[0-9a-f]{8}/m);

    const serverNs = await lab.ipcNamespace('server');
    expect(serverNs).toMatch(/^ipc:\[\d+\]$/);
    expect((await lab.logs('server')).stdout).toContain(`IPC namespace ${serverNs}`);
    expect((await lab.logs('client')).stdout).toContain(`IPC namespace ${serverNs}`);
    // Nor can it attach: a client there waits for a segment it can never see, and says why.
    const outsider = await compose(
      '--profile',
      'isolated',
      'run',
      '--rm',
      '--entrypoint',
      'ipc-lab',
      'isolated',
      'client',
      '--timeout',
      '1',
    );
    expect(outsider.code).toBe(3);
    expect(outsider.stderr).toMatch(/no segment has the key 0x[0-9a-f]{8} \(shmget: ENOENT\).*not in the server's IPC namespace/);
    const isolatedNs = isolated.stdout.match(/ipc:\[\d+\]/)?.[0];
    expect(isolatedNs).toBeDefined();
    expect(isolatedNs).not.toBe(serverNs);
  });

  it('sets IpcMode: the server shareable, the client container:<server id>', async () => {
    const server = await lab.require('server');
    const client = await lab.require('client');
    expect(server.ipcMode).toBe('shareable');
    expect(client.ipcMode).toBe(`container:${server.id}`);
  });

  it('runs both as non-root, with no capabilities, a read-only root and no network', async () => {
    for (const service of ['server', 'client']) {
      const c = await lab.require(service);
      expect(c.user).toBe('10001:10001');
      expect(c.capDrop).toContain('ALL');
      expect(c.capAdd).toEqual([]);
      expect(c.readOnlyRoot).toBe(true);
      expect(c.networkMode).toBe('none');
      expect(c.securityOpt).toContain('no-new-privileges:true');
    }
    const status = await lab.exec('server', [
      'sh',
      '-c',
      'id -u; grep -E "^Cap(Eff|Prm)" /proc/self/status; touch /app/x 2>&1 || true; ls /sys/class/net',
    ]);
    expect(status.stdout).toMatch(/^10001$/m);
    expect(status.stdout).toMatch(/^CapEff:\s+0+$/m);
    expect(status.stdout).toMatch(/^CapPrm:\s+0+$/m);
    expect(status.stdout).toMatch(/Read-only file system/);
    expect(status.stdout.trim().split('\n').at(-1)).toBe('lo');
  });

  it("make gdb prints the segment at the server's attach address; only the debug container may ptrace", async () => {
    const gdb = await make('gdb');
    expect(gdb.code, gdb.stderr).toBe(0);
    expect(gdb.stdout).toMatch(/effective capabilities 0x0*80002 \(/); // SYS_PTRACE and DAC_OVERRIDE, no other
    expect(gdb.stdout).toMatch(/rw-s .*\/SYSV[0-9a-f]{8} \(deleted\)/);
    expect(gdb.stdout).toMatch(/^0x[0-9a-f]+:\s+0x49\s+0x50\s+0x43\s+0x4c\s+0x01\s+0x00\s+0x10\s+0x00$/m); // "IPCL", 1, 16
    expect(gdb.stdout).toMatch(/^0x[0-9a-f]+:\s+"PI is defined as: "$/m);
    expect(gdb.stdout).toMatch(/^0x[0-9a-f]+:\s+3\.1428571428571428$/m);
    // And by name, from exercises/include/ipc-lab.h's types (add-symbol-file), as for a C program built with -g.
    expect(gdb.stdout).toMatch(/print \*\(struct pi_message \*\) \(0x[0-9a-f]+\+16\)/);
    expect(gdb.stdout).toMatch(/^\s+numerator = 22,$/m);
    expect(gdb.stdout).toMatch(/^\s+value = 3\.1428571428571428,$/m);
    expect(gdb.stdout).toMatch(/^\s+intro = "PI is defined as: ",$/m);
    expect(gdb.stdout).toMatch(/Inferior 1 \(process \d+\) detached/);
    // The run --rm container is gone, and the lab's own containers still have no capabilities.
    const containers = await lab.containers();
    expect(containers.map((c) => c.service).sort()).toEqual(['client', 'server']);
    for (const c of containers) {
      expect(c.capDrop).toContain('ALL');
      expect(c.capAdd).toEqual([]);
    }
    expect((await lab.exec('server', ['grep', 'CapEff', '/proc/1/status'])).stdout).toMatch(/CapEff:\s+0+$/m);
  });

  it('a container joined to a restarted server is detected and explained; make up recovers the lab', async () => {
    const joined = await compose('run', '--detach', '--no-deps', '--name', 'ipc-lab-joiner', '--entrypoint', 'sleep', 'client', '300');
    expect(joined.code, joined.stderr).toBe(0);
    try {
      const restarted = await compose('restart', 'server');
      expect(restarted.code, restarted.stderr).toBe(0);
      const status = await run('node', ['--import', 'tsx', 'src/cli.ts', 'lab', 'status']);
      expect(status.code).toBe(1);
      expect(status.stdout).toMatch(
        /ipc-lab-joiner is in IPC namespace ipc:\[\d+\], but ipc-lab-server-1, whose namespace it joined, is now in ipc:\[\d+\]/,
      );
      expect(status.stdout).toMatch(/known Docker limitation.*Run `make up`/);
    } finally {
      await lab.docker.getContainer('ipc-lab-joiner').remove({ force: true });
    }
    const up2 = await make('up');
    expect(up2.code, up2.stderr).toBe(0);
    expect(up2.stdout).toContain(MESSAGE);
    const server = await lab.require('server');
    expect((await lab.require('client')).ipcMode).toBe(`container:${server.id}`);
  });

  it('works when run again while the lab is up, and a restarted client reads the message again', async () => {
    const again = await make('up');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(MESSAGE);
    const restarted = await compose('restart', 'client');
    expect(restarted.code).toBe(0);
    expect(await lab.wait('client')).toBe(0);
    // One container, two runs: the one `make up` started, and the restarted one.
    const { stdout } = await lab.logs('client');
    expect(stdout.split(MESSAGE).length - 1).toBeGreaterThanOrEqual(2);
  });
});

describe('the synchronisation labs in containers', () => {
  const torn = (out: string) => Number(out.match(/reads \d+, torn (\d+)/)?.[1] ?? NaN);

  it('make race UNSAFE=1 shows torn reads between two containers; make race shows none', async () => {
    const unsafe = await make('race', { UNSAFE: '1' });
    expect(unsafe.code, unsafe.stderr).toBe(0);
    expect(torn(unsafe.stdout)).toBeGreaterThan(0);
    const safe = await make('race');
    expect(safe.code, safe.stderr).toBe(0);
    expect(torn(safe.stdout)).toBe(0);
    expect(safe.stdout).toMatch(/semctl\(\d+, IPC_RMID\) = 0/);
  });

  it('make ring streams data from one container to another with the SHA-256 intact', async () => {
    const ring = await make('ring', { RING_BYTES: '64MiB' });
    expect(ring.code, ring.stderr).toBe(0);
    expect(ring.stdout).toMatch(/consumer: 67108864 bytes in 1024 messages/);
    expect(ring.stdout).toMatch(/SHA-256 [0-9a-f]{64} matches what was sent/);
    expect((await lab.containers()).map((c) => c.service).sort()).toEqual(['client', 'server']);
  });
});

describe('make down', () => {
  it('stops the server gracefully (it removes its segment and exits 0), then removes everything', async () => {
    const down = await make('down');
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/SIGTERM: clean up/);
    expect(down.stdout).toMatch(/shmctl\(\d+, IPC_RMID, NULL\) = 0/);
    expect(down.stdout).toMatch(/server exited with code 0/);
    await expectNothingLeft();
  });
});

describe('the offline build (how CI builds: make OFFLINE=1)', () => {
  const offline = process.env.OFFLINE === '1';

  it.runIf(offline)('builds from scratch with no network in any build container', async () => {
    // --no-cache: every RUN step really runs, with `network: none`, so any download would fail.
    const built = await run('make', ['build', 'BUILD_FLAGS=--no-cache', 'COMPOSE=docker compose --progress plain']);
    expect(built.code, built.stderr.slice(-3000)).toBe(0);
    const log = built.stdout + built.stderr;
    expect(log).toMatch(/npm ci --cache \/npm-cache .*--offline/);
    expect(log).not.toMatch(/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|Temporary failure resolving/);
    const config = await run('make', ['--silent', 'config', 'COMPOSE=docker compose']);
    expect(config.stdout).toMatch(/build:\n(\s+.*\n)*?\s+network: none/);
    expect(config.stdout).not.toMatch(/network: default/);
  });
});

describe('make save and make load', () => {
  it('carry the lab image as one tarball, into a folder that does not exist yet', async () => {
    const folder = `out/e2e-save-${process.pid}`;
    const file = `${folder}/images.tar`;
    try {
      const saved = await make('save', { SAVE_FILE: file });
      expect(saved.code, saved.stderr).toBe(0);
      expect(statSync(join(ROOT, file)).size).toBeGreaterThan(50_000_000);
      const loaded = await make('load', { SAVE_FILE: file });
      expect(loaded.code, loaded.stderr).toBe(0);
      expect(loaded.stdout).toMatch(/Loaded image: ipc-lab:latest/);
    } finally {
      rmSync(join(ROOT, folder), { recursive: true, force: true });
    }
  });
});
