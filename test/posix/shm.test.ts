/**
 * The POSIX layer against the real libc: an object made by name is a file in /dev/shm with its
 * mode and size, two mappings of it share their bytes, a read-only mapping refuses writes, the
 * view dies with munmap, and every failure is a SysvError with a hint. A sem_t with pshared = 1
 * inside a mapping counts as sem_post and sem_wait say, and another process blocked in sem_wait
 * on its own mapping of the same object is woken by a post here.
 *
 * /dev/shm is shared with the whole host (it is not part of an IPC namespace): every name here is
 * the test's own, /ipc-lab-test-<random>, and checked for afterwards.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { EmptyObjectError, open, SHM_DIR, unlink } from '../../src/posix/shm.ts';
import { SEM_SIZE } from '../../src/posix/sem.ts';
import { isErrno, SysvError } from '../../src/sysv/errors.ts';

let names: string[] = [];
function newName(): string {
  const name = `/ipc-lab-test-${randomBytes(4).toString('hex')}`;
  names.push(name);
  return name;
}
afterEach(() => {
  const left = names.filter((n) => existsSync(`${SHM_DIR}${n}`));
  for (const n of left) rmSync(`${SHM_DIR}${n}`, { force: true });
  names = [];
  expect(left, 'the test left POSIX objects in /dev/shm').toEqual([]);
});

/** The error a call throws, for its fields. */
function thrown(f: () => unknown): SysvError {
  try {
    f();
  } catch (error) {
    if (error instanceof SysvError) return error;
    throw error;
  }
  throw new Error('it did not throw');
}

describe('POSIX shared memory', () => {
  it('shm_open + ftruncate + mmap: a file in /dev/shm of that mode and size; two mappings share their bytes', () => {
    const name = newName();
    const a = open(name, { create: { size: 8192, mode: 0o640 } });
    try {
      const st = statSync(`${SHM_DIR}${name}`);
      expect(st.size).toBe(8192);
      expect(st.mode & 0o777).toBe(0o640);
      expect(a.created).toBe(true);
      expect(a.fd).toBeGreaterThanOrEqual(0);
      const b = open(name, { readOnly: true });
      try {
        expect(b.created).toBe(false);
        expect(b.size).toBe(8192);
        expect(b.address).not.toBe(a.address);
        a.view.setUint32(4096, 0xdeadbeef);
        expect(b.view.getUint32(4096)).toBe(0xdeadbeef);
        expect(() => b.view.setUint32(0, 1)).toThrow(/read-only/);
      } finally {
        b.unmap();
      }
      expect(() => b.view.getUint32(0)).toThrow();
    } finally {
      a.unmap();
      unlink(name);
    }
    expect(existsSync(`${SHM_DIR}${name}`)).toBe(false);
  });

  it('the memory outlives the name: after shm_unlink a mapping still reads and writes it', () => {
    const name = newName();
    const m = open(name, { create: { size: 4096, mode: 0o600 } });
    unlink(name);
    expect(existsSync(`${SHM_DIR}${name}`)).toBe(false);
    m.view.setUint32(0, 42);
    expect(m.view.getUint32(0)).toBe(42);
    m.unmap();
    m.unmap(); // twice is a no-op
  });

  it('fails with the cause and a hint: EEXIST, ENOENT, an empty object, a bad name', () => {
    const name = newName();
    const m = open(name, { create: { size: 4096, mode: 0o600 } });
    try {
      const exists = thrown(() => open(name, { create: { size: 4096, mode: 0o600 } }));
      expect(exists.call).toBe('shm_open');
      expect(exists.code).toBe('EEXIST');
      expect(exists.hint).toMatch(/already exists in \/dev\/shm/);
      // The failed creator must not have unlinked the existing object.
      expect(existsSync(`${SHM_DIR}${name}`)).toBe(true);
    } finally {
      m.unmap();
      unlink(name);
    }
    const missing = thrown(() => open(newName()));
    expect(isErrno(missing, 'ENOENT')).toBe(true);
    expect(missing.hint).toMatch(/\/dev\/shm/);
    expect(
      isErrno(
        thrown(() => unlink(newName())),
        'ENOENT',
      ),
    ).toBe(true);

    const empty = newName();
    writeFileSync(`${SHM_DIR}${empty}`, '');
    expect(() => open(empty)).toThrow(EmptyObjectError);
    rmSync(`${SHM_DIR}${empty}`);

    expect(() => open('no-slash')).toThrow(/a POSIX shared memory name is "\/" and up to 254 characters/);
    expect(() => open('/a/b')).toThrow(RangeError);
  });
});

describe('a POSIX semaphore in shared memory (sem_init, pshared = 1)', () => {
  it('counts: post, wait, trywait, timedwait, getvalue; refuses a misplaced sem_t', () => {
    const name = newName();
    const m = open(name, { create: { size: 4096, mode: 0o600 } });
    unlink(name);
    try {
      expect(SEM_SIZE).toBe(32);
      const sem = m.semaphore(64).init(2);
      expect(sem.value()).toBe(2);
      sem.wait();
      expect(sem.tryWait()).toBe(true);
      expect(sem.tryWait()).toBe(false);
      const started = Date.now();
      expect(sem.timedWait(100)).toBe(false);
      expect(Date.now() - started).toBeGreaterThanOrEqual(90);
      sem.post();
      expect(sem.timedWait(100)).toBe(true);
      expect(sem.value()).toBe(0);
      sem.destroy();
      expect(() => m.semaphore(4)).toThrow(/8-byte aligned/);
      expect(() => m.semaphore(4096 - 16)).toThrow(/does not fit/);
    } finally {
      m.unmap();
    }
  });

  it('wakes a waiter in another process that maps the object: one blocked in sem_wait', async () => {
    const name = newName();
    const m = open(name, { create: { size: 4096, mode: 0o600 } });
    try {
      const sem = m.semaphore(0).init(0);
      // Another process maps the same object by name and blocks in sem_wait until this one posts.
      const script = [
        `const { open } = await import(${JSON.stringify(new URL('../../src/posix/shm.ts', import.meta.url).href)});`,
        `const m = open(${JSON.stringify(name)});`,
        "console.log('waiting');",
        'm.semaphore(0).wait();',
        'm.view.setUint32(64, 7);',
        'm.unmap();',
        "console.log('woken');",
      ].join(' ');
      const child = spawn('node', ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
      try {
        while (!out.includes('waiting') && child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
        await new Promise((r) => setTimeout(r, 100));
        expect(out.trim()).toBe('waiting');
        sem.post();
        expect(await exited).toBe(0);
        expect(out.trim().split('\n')).toEqual(['waiting', 'woken']);
      } finally {
        child.kill('SIGKILL');
      }
      expect(m.view.getUint32(64)).toBe(7);
    } finally {
      m.unmap();
      unlink(name);
    }
  });
});
