import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { LabProcess } from '../../support/cli.ts';
import { labFixture } from '../../support/lab-fixture.ts';
import { compileC } from '../../support/c-programs.ts';

const MESSAGE = 'PI is defined as: 22/7==3.14286\n\ngoodbye\n';

const lab = labFixture();

function server(...args: string[]): LabProcess {
  const p = lab.start(['server', '--key', lab.hexKey, ...args]);
  return p;
}

async function readyServer(...args: string[]): Promise<LabProcess> {
  const p = server(...args);
  await p.waitFor(/^ready: segment \d+/m);
  return p;
}

describe('server and client', () => {
  it('the client prints the exact message, and the server says what it did', async () => {
    const s = await readyServer();
    const c = await lab.run(['client', '--key', lab.hexKey]);
    expect(c.stderr).toBe('');
    expect(c.code).toBe(0);
    expect(c.stdout).toContain(`\n${MESSAGE}`);
    expect(c.stdout).toMatch(/shmat\(\d+, NULL, SHM_RDONLY\) = 0x[0-9a-f]+/);
    expect(c.stdout).toMatch(/shmdt\(0x[0-9a-f]+\) = 0/);
    expect(s.stdout).toMatch(new RegExp(`shmget\\(${lab.hexKey}, 1024, IPC_CREAT\\|IPC_EXCL\\|0600\\) = \\d+`));
    expect(s.stdout).toMatch(/shmat\(\d+, NULL, 0\) = 0x[0-9a-f]+/);
    expect(s.stdout).toMatch(/56\s+8\s+pi_message.double value\s+5\s+3.142857142857143/);
    expect(lab.ns.segmentWithKey(lab.key)).toMatchObject({ size: 1024, perms: 0o600, nattch: 1 });
    s.kill('SIGTERM');
    expect((await s.exited).code).toBe(0);
  });

  it('--quiet prints only the message; --layout adds the table', async () => {
    await readyServer();
    expect((await lab.run(['client', '--key', lab.hexKey, '--quiet'])).stdout).toBe(MESSAGE);
    const layout = await lab.run(['client', '--key', lab.hexKey, '--layout', '--quiet']);
    expect(layout.stdout).toMatch(/^\s+36\s+4\s+pi_message.int32_t numerator\s+1\s+22$/m);
    expect(layout.stdout).toMatch(/^\s+74\s+6\s+\(tail padding of pi_message\)/m);
  });

  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('the server removes the segment on %s and exits 0', async (signal) => {
    const s = await readyServer();
    expect(lab.ns.segmentWithKey(lab.key)).toBeDefined();
    s.kill(signal);
    const done = await s.exited;
    expect(done.code).toBe(0);
    expect(done.stdout).toContain(`${signal}: clean up`);
    expect(done.stdout).toMatch(/shmctl\(\d+, IPC_RMID, NULL\) = 0/);
    expect(lab.ns.segmentWithKey(lab.key)).toBeUndefined();
  });

  it('a second server on the same key fails with EEXIST, explains, and leaves the first intact', async () => {
    const first = await readyServer();
    const before = lab.ns.segmentWithKey(lab.key);
    const second = await lab.run(['server', '--key', lab.hexKey]);
    expect(second.code).toBe(1);
    expect(second.stdout).toMatch(/created by pid \d+ \(uid \d+\) .* 1 process\(es\) attached/);
    expect(second.stdout).toMatch(/remove it with: ipcrm -m \d+/);
    expect(second.stderr).toMatch(/shmget\(key=0x[0-9a-f]{8}, size=1024, shmflg=IPC_CREAT\|IPC_EXCL\|0600\) failed: EEXIST/);
    expect(second.stderr).toMatch(/^hint: /m);
    expect(lab.ns.segmentWithKey(lab.key)).toEqual(before);
    expect((await lab.run(['client', '--key', lab.hexKey, '--quiet'])).stdout).toBe(MESSAGE);
    first.kill('SIGTERM');
    await first.exited;
  });

  it('a client started before the server waits and then succeeds', async () => {
    const c = lab.start(['client', '--key', lab.hexKey, '--timeout', '20']);
    await c.waitFor(/waiting for the server/);
    const s = await readyServer();
    const done = await c.exited;
    expect(done.code).toBe(0);
    expect(done.stdout).toContain(MESSAGE);
    s.kill('SIGINT');
    await s.exited;
  });

  it('with ftok on a shared key file, both sides compute the same key', async () => {
    const keyFile = join(lab.dir, 'lab.key');
    const s = lab.start(['server', '--key-file', keyFile]);
    const [, made] = await s.waitFor(/ftok\(".*", 0x4c\) = (0x[0-9a-f]{8})/);
    lab.key = Number(made); // so afterEach checks this segment
    await s.waitFor(/^ready:/m);
    const c = await lab.run(['client', '--key-file', keyFile, '--quiet']);
    expect(c.stdout).toBe(MESSAGE);
    expect(s.stdout).toMatch(/proj_id 0x4c \| st_dev 0x[0-9a-f]+ & 0xff = 0x[0-9a-f]{2} \| st_ino \d+ & 0xffff = 0x[0-9a-f]{4}/);
    s.kill('SIGTERM');
    await s.exited;
  });

  it('a client with no server times out, pointing at the IPC namespace', async () => {
    const c = await lab.run(['client', '--key', lab.hexKey, '--timeout', '0.3']);
    expect(c.code).toBe(3);
    expect(c.stderr).toMatch(/gave up after 0.3 s: no segment has the key 0x[0-9a-f]{8} \(shmget: ENOENT\)/);
    expect(c.stderr).toMatch(/not in the server's IPC namespace/);
  });

  it('a client given --key says nothing of key files; one that finds another segment says the key differs', async () => {
    const alone = await lab.run(['client', '--key', lab.hexKey, '--timeout', '0.2']);
    expect(alone.stderr).toMatch(/both sides must pass the same --key/);
    expect(alone.stderr).not.toMatch(/key file|project id/);
    // Another segment in the namespace, on another key.
    const other = server();
    await other.waitFor(/^ready:/m);
    const wrongKey = (lab.key + 1) | 0;
    const c = await lab.run(['client', '--key', `0x${(wrongKey >>> 0).toString(16).padStart(8, '0')}`, '--timeout', '0.2']);
    expect(c.stderr).toMatch(/other segment\(s\), none with that key: the server used another key/);
  });

  it('a client after ipcrm, with the server still running, names the removed segment as the cause', async () => {
    const s = await readyServer();
    const row = lab.ns.segmentWithKey(lab.key)!;
    const [cmd, ...args] = lab.ns.wrap(['ipcrm', '-m', String(row.shmid)]);
    expect(spawnSync(cmd!, args).status).toBe(0);
    const c = await lab.run(['client', '--key', lab.hexKey, '--timeout', '0.2']);
    expect(c.code).toBe(3);
    expect(c.stderr).toMatch(
      new RegExp(
        `Segment ${row.shmid} in this namespace was removed \\(IPC_RMID: ipcrm, or ipc-lab clean --force\\) ` +
          'while 1 process\\(es\\) still had it attached',
      ),
    );
    expect(c.stderr).not.toMatch(/not in the server's IPC namespace/);
    s.kill('SIGTERM');
    await s.exited;
  });

  it('a client whose segment is removed before it is ready says so, exit code 5', async () => {
    const s = server('--step', '0.3');
    await s.waitFor(/shmat\(/);
    const c = lab.start(['client', '--key', lab.hexKey, '--timeout', '20']);
    await c.waitFor(/waiting for the server to finish writing/);
    s.kill('SIGTERM');
    const done = await c.exited;
    expect(done.code).toBe(5);
    expect(done.stderr).toMatch(/segment \d+ was removed \(IPC_RMID\) by its owner before it was ready \(state 1\)/);
    expect(done.stdout).toMatch(/shmdt\(0x[0-9a-f]+\) = 0/);
  });

  it('a client without the key file says so', async () => {
    const c = await lab.run(['client', '--key-file', join(lab.dir, 'missing.key'), '--timeout', '0.2']);
    expect(c.code).toBe(3);
    expect(c.stderr).toMatch(/the key file .*missing.key does not exist/);
  });

  it('a client under another uid gets EACCES on the 0600 segment, explained', async () => {
    await readyServer();
    const c = await lab.run(['client', '--key', lab.hexKey, '--timeout', '1'], { as: { uid: 65534, gid: 65534 } });
    expect(c.code).toBe(1);
    // shmget(key, 0, 0) asks for no permission bits, so it succeeds; shmat is refused.
    expect(c.stderr).toMatch(/shmat\(shmid=\d+, shmaddr=NULL, shmflg=SHM_RDONLY\) failed: EACCES \(13, Permission denied\)/);
    expect(c.stderr).toMatch(/hint: the segment's mode does not let this user in.*0600/);
  });
});

describe('segments that are not lab segments', () => {
  /** The C writer makes a valid segment; then `poke` overwrites a few bytes of it. */
  function corrupt(size: number, patch?: { offset: number; bytes: readonly number[] }): void {
    const writer = compileC('pi-writer');
    const [cmd, ...args] = lab.ns.wrap([writer, lab.hexKey, String(size)]);
    const made = spawnSync(cmd!, args, { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(made.stderr);
    if (patch) {
      const poke = compileC('poke');
      const [pc, ...pargs] = lab.ns.wrap([poke, lab.hexKey, String(patch.offset), ...patch.bytes.map(String)]);
      const poked = spawnSync(pc!, pargs, { encoding: 'utf8' });
      if (poked.status !== 0) throw new Error(poked.stderr);
    }
  }

  it.each([
    ['a bad magic', 1024, { offset: 0, bytes: [0x58, 0x58, 0x58, 0x58] }, /magic is "XXXX", not "IPCL"/],
    ['a wrong version', 1024, { offset: 4, bytes: [9, 0] }, /layout version 9/],
    ['an undefined state', 1024, { offset: 8, bytes: [7, 0, 0, 0] }, /state is 7/],
  ] as const)('rejects %s with exit code 4', async (_what, size, patch, message) => {
    corrupt(size, patch);
    const c = await lab.run(['client', '--key', lab.hexKey, '--timeout', '1']);
    expect(c.code).toBe(4);
    expect(c.stderr).toMatch(message);
    expect(c.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    lab.ownFixture(lab.key); // the test's own: the client must not have removed it
  });

  it('rejects a segment too small for the header with exit code 4', async () => {
    corruptTooSmall();
    const c = await lab.run(['client', '--key', lab.hexKey, '--timeout', '1']);
    expect(c.code).toBe(4);
    expect(c.stderr).toMatch(/the segment has 40 bytes, fewer than the 80/);
    lab.ownFixture(lab.key);
  });

  function corruptTooSmall(): void {
    const poke = compileC('poke');
    const [cmd, ...args] = lab.ns.wrap([poke, lab.hexKey, '--create', '40']);
    const made = spawnSync(cmd!, args, { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(made.stderr);
  }
});
