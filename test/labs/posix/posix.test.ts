/**
 * The POSIX lab as real processes: a server that makes a shared memory object by name in
 * /dev/shm and a client that reads the message from it; what each way of stopping leaves (nothing);
 * a client with no server, an object that is already there, objects of random bytes (never a
 * crash); and clean, which removes a leftover of the lab's, keeps one that is mapped, and never
 * touches a file that is not the lab's.
 *
 * /dev/shm is not part of an IPC namespace (a container gets its own through its mounts), so these
 * tests use names of their own, /ipc-lab-test-<random>, and check for them afterwards. This file
 * is the only one that makes POSIX objects on the host; its tests run one after the other.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { LabProcess } from '../../support/cli.ts';
import { labFixture } from '../../support/lab-fixture.ts';

let names: string[] = [];

/** A name of this test's own (removed afterwards, and checked for). */
function newName(): string {
  const name = `/ipc-lab-test-${randomBytes(4).toString('hex')}`;
  names.push(name);
  return name;
}
const file = (name: string): string => `/dev/shm${name}`;

afterEach(() => {
  const left = names.filter((n) => existsSync(file(n)));
  for (const n of left) rmSync(file(n), { force: true });
  names = [];
  expect(left, 'the test left POSIX objects in /dev/shm').toEqual([]);
});
// After the hook above, so that its own hook (stopping the test's processes) runs first.
const lab = labFixture();

const server = (name: string, ...args: string[]): LabProcess => lab.start(['posix', 'server', '--name', name, ...args]);
const client = (name: string, ...args: string[]) => lab.run(['posix', 'client', '--name', name, ...args]);
const clean = (...args: string[]) => lab.run(['clean', '--key-file', `${lab.dir}/no-key-file`, ...args]);

/** What a crash would look like: an internal error's exit code or a stack trace. */
function expectNoCrash(r: { code: number | null; stderr: string }): void {
  expect(r.code).not.toBe(70);
  expect(r.code).not.toBeNull();
  expect(r.stderr).not.toMatch(/This is a bug|^\s+at /m);
}

describe('the POSIX lab', () => {
  it('server and client: the PI message through /dev/shm, a file with a mode; SIGTERM unlinks it', async () => {
    const name = newName();
    const s = server(name);
    await s.waitFor(/serving until stopped/);
    const st = statSync(file(name));
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.size).toBe(1024);
    expect(s.stdout).toMatch(new RegExp(`shm_open\\("${name}", O_RDWR\\|O_CREAT\\|O_EXCL, 0600\\) = \\d+`));
    expect(s.stdout).toMatch(/ftruncate\(\d+, 1024\) = 0/);
    expect(s.stdout).toMatch(/mmap\(NULL, 1024, PROT_READ\|PROT_WRITE, MAP_SHARED, \d+, 0\) = 0x[0-9a-f]+/);
    expect(s.stdout).toMatch(new RegExp(`-rw------- uid \\d+ gid \\d+ 1024 bytes /dev/shm${name}`));

    const c = await client(name);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/PI is defined as: 22\/7==3\.14286/);
    expect(c.stdout).toMatch(/goodbye/);
    expect(c.stdout).toMatch(new RegExp(`shm_open\\("${name}", O_RDONLY, 0\\) = \\d+`));
    expect(c.stdout).toMatch(/munmap\(0x[0-9a-f]+, 1024\) = 0/);
    expect(existsSync(file(name)), 'the client leaves the object to its server').toBe(true);

    s.kill('SIGTERM');
    const r = await s.exited;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SIGTERM: stopping/);
    expect(r.stdout).toMatch(new RegExp(`shm_unlink\\("${name}"\\) = 0`));
    expect(existsSync(file(name))).toBe(false);
  });

  it('Ctrl-C (SIGINT) on the server unlinks the name too; a --size and --mode of its own', async () => {
    const name = newName();
    const s = server(name, '--size', '8KiB', '--mode', '640');
    await s.waitFor(/serving until stopped/);
    expect(statSync(file(name)).size).toBe(8192);
    expect(statSync(file(name)).mode & 0o777).toBe(0o640);
    s.kill('SIGINT');
    const r = await s.exited;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/SIGINT: stopping/);
    expect(existsSync(file(name))).toBe(false);
  });

  it('a client with no server: gives up at its timeout, naming the name, /dev/shm and the IPC namespace', async () => {
    const name = newName();
    const c = await client(name, '--timeout', '1');
    expect(c.code).toBe(3);
    expect(c.stderr).toMatch(new RegExp(`gave up after 1 s: no /dev/shm${name} here \\(shm_open: ENOENT\\)`));
    expect(c.stderr).toMatch(/ipc: "service:posix-server"/);
    expectNoCrash(c);
  });

  it('a second server on the same name: EEXIST, explained, and the first one keeps its object', async () => {
    const name = newName();
    const s = server(name);
    await s.waitFor(/serving until stopped/);
    const second = await lab.run(['posix', 'server', '--name', name]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/shm_open.*EEXIST/);
    expect(second.stderr).toMatch(/already exists in \/dev\/shm/);
    expectNoCrash(second);
    expect(existsSync(file(name))).toBe(true);
    const c = await client(name);
    expect(c.code).toBe(0);
    await s.stop();
    expect(existsSync(file(name))).toBe(false);
  });

  it('bad input is a usage error naming the option: a name without its "/", a size too small', async () => {
    const bad = await lab.run(['posix', 'server', '--name', 'ipc-lab-x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--name is "ipc-lab-x": give a name such as \/ipc-lab-message/);
    const small = await lab.run(['posix', 'server', '--name', newName(), '--size', '10']);
    expect(small.code).toBe(2);
    expect(small.stderr).toMatch(/--size/);
    for (const r of [bad, small]) expectNoCrash(r);
  });

  it('objects of random bytes never crash a client: each is refused with a reason, or read', async () => {
    // The real object's bytes, to fuzz from: a valid one with a few bytes changed is the hard case.
    const source = newName();
    const s = server(source);
    await s.waitFor(/serving until stopped/);
    const real = readFileSync(file(source));
    await s.stop();

    const name = newName();
    const outcomes = new Map<number | null, number>();
    for (let i = 0; i < 24; i++) {
      let bytes: Buffer;
      if (i % 3 === 0) bytes = randomBytes(1 + Math.floor(Math.random() * 2048));
      else {
        bytes = Buffer.from(real);
        for (let k = 0; k < 1 + (i % 8); k++) bytes[Math.floor(Math.random() * 128)] = Math.floor(Math.random() * 256);
        if (i % 3 === 2) bytes = bytes.subarray(0, 16 + Math.floor(Math.random() * 200)); // cut short
      }
      writeFileSync(file(name), bytes);
      const c = await client(name, '--timeout', '0.2');
      expectNoCrash(c);
      expect([0, 3, 4], `exit ${c.code} for bytes ${bytes.subarray(0, 48).toString('hex')}: ${c.stderr}`).toContain(c.code);
      if (c.code === 4) expect(c.stderr).toMatch(/\S/);
      outcomes.set(c.code, (outcomes.get(c.code) ?? 0) + 1);
    }
    writeFileSync(file(name), Buffer.alloc(0));
    const empty = await client(name, '--timeout', '0.2');
    expectNoCrash(empty);
    expect(empty.code).toBe(3);
    expect(empty.stderr).toMatch(/never became ready|no \/dev\/shm/);
    rmSync(file(name));
    expect(outcomes.get(4) ?? 0, 'some of them are refused as not a lab segment').toBeGreaterThan(0);
  });

  it("clean removes a leftover of the lab's, keeps one that is mapped, and never a file whose bytes are not the lab's", async () => {
    // A server killed with SIGKILL leaves its object: no one unlinked the name.
    const leftover = newName();
    const killed = server(leftover);
    await killed.waitFor(/serving until stopped/);
    killed.kill('SIGKILL');
    await killed.exited;
    expect(existsSync(file(leftover))).toBe(true);

    const mapped = newName();
    const live = server(mapped);
    await live.waitFor(/serving until stopped/);

    const foreign = newName();
    writeFileSync(file(foreign), "not the lab's bytes: some other program keeps its state here\n");

    // All zeros and just made: a creator between shm_open and its first write, maybe.
    const fresh = newName();
    writeFileSync(file(fresh), Buffer.alloc(1024));

    const dry = await clean('--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(`would remove POSIX object /dev/shm${leftover} `));
    expect(existsSync(file(leftover))).toBe(true);

    const r = await clean();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`removed POSIX object /dev/shm${leftover} \\(posix, 1024 bytes, mode 0600`));
    expect(r.stdout + r.stderr).toMatch(
      new RegExp(`left alone: POSIX object /dev/shm${mapped} .*: pid ${live.child.pid} still maps it; stop it first, or --force`),
    );
    expect(r.stdout + r.stderr).toMatch(new RegExp(`left alone: POSIX object /dev/shm${foreign} .*: its bytes are not a lab segment's`));
    expect(existsSync(file(leftover))).toBe(false);
    expect(existsSync(file(mapped))).toBe(true);
    expect(r.stdout + r.stderr).toMatch(
      new RegExp(`left alone: POSIX object /dev/shm${fresh} .*: empty and made in the last minute: its creator may still be writing it`),
    );
    expect(existsSync(file(foreign))).toBe(true);
    expect(existsSync(file(fresh))).toBe(true);
    rmSync(file(foreign));
    rmSync(file(fresh));

    const stopped = await live.stop();
    expect(stopped.code).toBe(0);
    expect(readdirSync('/dev/shm').filter((e) => names.some((n) => n === `/${e}`))).toEqual([]);
  });
});
