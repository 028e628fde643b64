/**
 * The rest of the family end to end, between containers on a real Docker Engine: `make queue`
 * (a dispatcher and two workers on one System V message queue) and `make posix` (the message in
 * /dev/shm, shared only with a client in the server's IPC namespace), what they print, and that
 * `make down` leaves nothing: no container, volume or network, and the POSIX object unlinked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComposeLab } from '../../src/docker/compose-lab.ts';
import { compose, make } from './support.ts';

const lab = new ComposeLab();

async function expectNothingLeft(): Promise<void> {
  expect(await lab.leftovers()).toEqual({ containers: [], volumes: [], networks: [] });
}

beforeAll(async () => {
  await make('down');
  await expectNothingLeft();
}, 600_000);

afterAll(async () => {
  await make('down');
});

describe('make queue', () => {
  it('sends each worker its own type only, shows the full queue (ipcs -q, EAGAIN), and removes its containers', async () => {
    const r = await make('queue', { QUEUE_JOBS: '20', QUEUE_DELAY: '0.1' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/== what queue-dispatcher printed/);
    expect(r.stdout).toMatch(/msgget\(0x4d[0-9a-f]{6}, IPC_CREAT\|IPC_EXCL\|0600\) = \d+/);
    expect(r.stdout).toMatch(/EAGAIN: the queue is full, 8 messages, 256 of 256 bytes \(msg_qbytes\)/);
    // ipcs -q inside the lab, a moment later: the key, the lab's user, its mode (the workers may have taken some by then).
    expect(r.stdout).toMatch(
      /ipcs -q, now:\nkey\s+msqid\s+owner\s+perms\s+used-bytes\s+messages\n0x4d[0-9a-f]{6}\s+\d+\s+lab\s+600\s+\d+\s+\d+\n/,
    );
    expect(r.stdout).toMatch(/blocked \d+ ms, until a worker took a message/);
    expect(r.stdout).toMatch(/worker 1: 10 jobs, in the order sent, every one of type 1/);
    expect(r.stdout).toMatch(/worker 2: 10 jobs, in the order sent, every one of type 2/);
    expect(r.stdout).toMatch(/msg_qnum 0, msg_cbytes 0, msg_lspid \d+ \(the last sender: this dispatcher\), msg_lrpid \d+/);
    expect(r.stdout).toMatch(/msgctl\(\d+, IPC_RMID, NULL\) = 0/);
    expect(await lab.containers()).toEqual([]);
  });

  it('names the variable a student set wrong, before anything starts', async () => {
    const r = await make('queue', { QUEUE_JOBS: 'many' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/QUEUE_JOBS/);
    expect(await lab.containers()).toEqual([]);
  });

  it('leaves nothing after make down', async () => {
    const down = await make('down');
    expect(down.code, down.stderr).toBe(0);
    await expectNothingLeft();
  });
});

describe('make posix', () => {
  it('reads the message through /dev/shm in the server IPC namespace; the object is a file with a mode', async () => {
    const r = await make('posix');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/shm_open\("\/ipc-lab-message", O_RDONLY, 0\) = \d+/);
    expect(r.stdout).toMatch(/PI is defined as: 22\/7==3\.14286\n\s*\n?\s*goodbye/);
    const ls = await lab.exec('posix-server', ['ls', '-l', '/dev/shm']);
    expect(ls.stdout).toMatch(/^-rw------- 1 lab lab 1024 .* ipc-lab-message$/m);
    // The client shares /dev/shm with the server because it shares its IPC namespace.
    const server = await lab.container('posix-server');
    expect(server?.ipcMode).toBe('shareable');
  });

  it('a client in an IPC namespace of its own sees another /dev/shm, and says so', async () => {
    const r = await compose('--profile', 'posix', 'run', '--rm', '--no-deps', 'posix-isolated');
    expect(r.code).toBe(3);
    const out = r.stdout + r.stderr;
    expect(out).toMatch(/gave up after 2 s: no \/dev\/shm\/ipc-lab-message here \(shm_open: ENOENT\)/);
    expect(out).toMatch(/ipc: "service:posix-server"/);
    expect(out).not.toMatch(/This is a bug|^\s+at /m);
  });

  it('make down stops the server, which unlinks the name, and leaves nothing', async () => {
    const down = await make('down');
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/SIGTERM: stopping/);
    expect(down.stdout).toMatch(/shm_unlink\("\/ipc-lab-message"\) = 0/);
    expect(down.stdout).toMatch(/posix-server exited with code 0/);
    await expectNothingLeft();
  });

  it('an object larger than shm_size: ENOSPC from posix_fallocate, explained, and nothing left', async () => {
    const r = await make('posix', { POSIX_SIZE: '32MiB' });
    expect(r.code).not.toBe(0);
    const out = r.stdout + r.stderr;
    expect(out).toMatch(/error: posix-server did not start; what it printed:/);
    expect(out).toMatch(/posix_fallocate.*ENOSPC/);
    expect(out).toMatch(/shm_size/);
    expect(out).not.toMatch(/This is a bug|^\s+at /m);
    await make('down');
    await expectNothingLeft();
  });
});
