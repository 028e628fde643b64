import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import koffi from 'koffi';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SysvError } from '../../src/sysv/errors.ts';
import * as c from '../../src/libc/sem.ts';
import {
  createSemaphoreSet,
  describeSemOps,
  getAll,
  getSemaphoreSet,
  getValue,
  getWaitingCount,
  IPC_CREAT,
  IPC_EXCL,
  IPC_NOWAIT,
  IPC_PRIVATE,
  removeSemaphoreSet,
  SEM_UNDO,
  SemaphoreInitTimeoutError,
  semop,
  semopAsync,
  semTimedOp,
  setAll,
  setValue,
  statSemaphores,
} from '../../src/sysv/sem.ts';
import { compileC, runC } from '../support/c-programs.ts';
import { LabProcess, randomKey, ROOT } from '../support/cli.ts';

// By number, not name: errno 11 has two names (EAGAIN, EWOULDBLOCK).
const { EAGAIN } = constants.errno;
const SEM_TS = new URL('../../src/sysv/sem.ts', import.meta.url).href;

const made: number[] = [];
const keys: number[] = [];
const children: LabProcess[] = [];
let before = new Set<number>();

function make(nsems = 1, mode = 0o600, key = IPC_PRIVATE): number {
  const semid = getSemaphoreSet(key, nsems, IPC_CREAT | IPC_EXCL | mode);
  made.push(semid);
  return semid;
}

/** A random key whose set, whoever makes it, afterEach removes. */
function ownKey(): number {
  const key = randomKey();
  keys.push(key);
  return key;
}

function liveSets(): { key: number; semid: number }[] {
  return readFileSync('/proc/sysvipc/sem', 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/).map(Number))
    .map(([key, semid]) => ({ key: key!, semid: semid! }));
}

/** A node process running `body` with `sem` (src/sysv/sem.ts) imported, stopped by afterEach. */
function nodeChild(body: string): LabProcess {
  const script = `import * as sem from ${JSON.stringify(SEM_TS)};\n${body}`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lab = new LabProcess(child);
  children.push(lab);
  return lab;
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(5);
  }
}

/**
 * The call's failure. A wait that a signal interrupts fails with EINTR, and semop is never
 * restarted (signal(7)): a SIGCHLD from a child an earlier test started can land in this
 * worker's wait. That is not the failure under test, so the call is made again.
 */
function failureOf(call: () => unknown): SysvError {
  for (;;) {
    try {
      call();
    } catch (error) {
      if (error instanceof SysvError && error.errno === constants.errno.EINTR) continue;
      if (error instanceof SysvError) return error;
      throw error;
    }
    throw new Error('the call did not fail');
  }
}

compileC('sem-stat');
compileC('sem-op');

beforeEach(() => {
  before = new Set(liveSets().map((s) => s.semid));
});

afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.stop(1_000)));
  const ours = new Set(keys.splice(0));
  for (const { key, semid } of liveSets()) if (ours.has(key)) made.push(semid);
  for (const semid of made.splice(0)) {
    try {
      removeSemaphoreSet(semid);
    } catch (error) {
      if (!(error instanceof SysvError && (error.code === 'EINVAL' || error.code === 'EIDRM'))) throw error; // the test removed it itself
    }
  }
  // Anything still here that this test could have made (private, or one of its keys) leaked.
  // Other test files make no sets, and process tests make theirs in IPC namespaces of their own.
  const strays = liveSets().filter((s) => !before.has(s.semid) && (s.key === IPC_PRIVATE || ours.has(s.key)));
  for (const { semid } of strays) removeSemaphoreSet(semid);
  expect(strays, 'semaphore sets left behind').toEqual([]);
});

describe('semaphore values', () => {
  it('round-trips SETVAL/GETVAL and SETALL/GETALL', () => {
    const semid = make(3);
    expect(getAll(semid)).toEqual([0, 0, 0]); // Linux zeroes a new set (SUSv3 does not promise it)
    setValue(semid, 1, 5);
    expect(getValue(semid, 1)).toBe(5);
    setAll(semid, [1, 2, 32767]);
    expect(getAll(semid)).toEqual([1, 2, 32767]);
    expect(getValue(semid, 2)).toBe(32767);
  });

  it('applies a semop all at once or not at all', () => {
    const semid = make(2);
    setAll(semid, [1, 0]);
    semop(semid, [
      { num: 0, op: -1 },
      { num: 1, op: +2 },
    ]);
    expect(getAll(semid)).toEqual([0, 2]);
    expect(() =>
      semop(semid, [
        { num: 1, op: -1 },
        { num: 0, op: -1, flags: IPC_NOWAIT },
      ]),
    ).toThrow(SysvError);
    expect(getAll(semid)).toEqual([0, 2]); // the first op did not happen either
  });

  it('refuses values that koffi would silently wrap, and SETALL arrays of the wrong length', () => {
    const semid = make(2);
    expect(() => semop(semid, [{ num: 0, op: 65537 }])).toThrow(RangeError);
    expect(() => semop(semid, [{ num: 65536, op: 1 }])).toThrow(RangeError);
    expect(() => setValue(semid, 0, 2 ** 32 + 3)).toThrow(RangeError);
    expect(() => setAll(semid, [1, 65536])).toThrow(RangeError);
    expect(() => setAll(semid, [1])).toThrow(/has 2 semaphores, not 1/);
    expect(getAll(semid)).toEqual([0, 0]);
  });
});

describe('waiting', () => {
  it('IPC_NOWAIT gives EAGAIN with the operations in words and a hint', () => {
    const semid = make();
    const error = failureOf(() => semop(semid, [{ num: 0, op: -1, flags: SEM_UNDO | IPC_NOWAIT }]));
    expect(error).toMatchObject({ call: 'semop', errno: EAGAIN });
    expect(error.message).toContain(`semid=${semid}, sops=[{num 0, op -1, SEM_UNDO|IPC_NOWAIT}], nsops=1`);
    expect(error.hint).toMatch(/IPC_NOWAIT/);
  });

  it('semtimedop gives up with EAGAIN when its timeout runs out', () => {
    const semid = make();
    const error = failureOf(() => semTimedOp(semid, [{ num: 0, op: -1 }], 100));
    expect(error).toMatchObject({ call: 'semtimedop', errno: EAGAIN });
    expect(error.message).toContain('timeout=100 ms');
    expect(error.hint).toMatch(/timeout ran out/);
  });

  it('waits on a worker thread, so timers run, until another process releases it', async () => {
    const semid = make();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    let settled = false;
    const waiting = semopAsync(semid, [{ num: 0, op: -1 }]).finally(() => (settled = true));
    try {
      await until('the op waits in the kernel', () => getWaitingCount(semid, 0) === 1);
      const ticksThen = ticks;
      await until('the timer has run while it waits', () => ticks >= ticksThen + 3);
      expect(settled).toBe(false);
      expect(runC('sem-op', [String(semid), '0', '1'])).toBe('done\n');
      await waiting;
      expect(getValue(semid, 0)).toBe(0); // the C process gave one, the waiter took it
    } finally {
      clearInterval(timer);
    }
  });

  it('times out on a worker thread with EAGAIN, the errno read inside koffi’s callback', async () => {
    const semid = make();
    await expect(semopAsync(semid, [{ num: 0, op: -1 }], { timeoutMs: 100 })).rejects.toMatchObject({
      call: 'semtimedop',
      errno: EAGAIN,
      hint: expect.stringMatching(/timeout ran out/),
    });
  });

  it('IPC_RMID by the owner wakes a blocked waiter with EIDRM', async () => {
    const semid = make();
    const waiting = semopAsync(semid, [{ num: 0, op: -1 }]);
    await until('the op waits in the kernel', () => getWaitingCount(semid, 0) === 1);
    removeSemaphoreSet(semid);
    await expect(waiting).rejects.toMatchObject({
      name: 'SysvError',
      call: 'semop',
      code: 'EIDRM',
      hint: expect.stringMatching(/shutting down/),
    });
  });

  it('an abort signal ends the wait of a process that does not own the set', async () => {
    const semid = make();
    const controller = new AbortController();
    const waiting = semopAsync(semid, [{ num: 0, op: -1 }], { signal: controller.signal });
    await until('the op waits in the kernel', () => getWaitingCount(semid, 0) === 1);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    expect(getWaitingCount(semid, 0)).toBe(0); // no worker is left inside semtimedop
    expect(getValue(semid, 0)).toBe(0);
  });
});

describe('shutdown while waiting', () => {
  it('a signal with a handler interrupts a blocking semop with EINTR, then the handler runs', async () => {
    const semid = make();
    const waiter = nodeChild(`
      let handled;
      const ran = new Promise((resolve) => (handled = resolve));
      process.on('SIGTERM', () => (console.log('handler ran'), handled()));
      try {
        sem.semop(${semid}, [{ num: 0, op: -1 }]);
      } catch (error) {
        console.log(error.code, error.hint);
      }
      // The JS handler runs later, from the event loop, and a signal handle does not keep the
      // loop alive: without something that does, the process may exit before the handler runs.
      const keepAlive = setTimeout(() => {}, 10_000);
      await ran;
      clearTimeout(keepAlive);
    `);
    await until('the child waits in the kernel', () => getWaitingCount(semid, 0) === 1);
    waiter.kill('SIGTERM');
    expect(await waiter.exited).toMatchObject({ code: 0, stdout: expect.stringMatching(/^EINTR .*never restarted.*\nhandler ran\n$/) });
  });

  it('an owner waiting on a worker handles SIGTERM by removing the set, which ends its own wait', async () => {
    const owner = nodeChild(`
      const { semid } = await sem.createSemaphoreSet(sem.IPC_PRIVATE, [0]);
      process.on('SIGTERM', () => sem.removeSemaphoreSet(semid));
      console.log('semid', semid);
      await sem.semopAsync(semid, [{ num: 0, op: -1 }]).catch((error) => console.log(error.code));
    `);
    const semid = Number((await owner.waitFor(/semid (\d+)/))[1]);
    await until('the owner waits in the kernel', () => getWaitingCount(semid, 0) === 1);
    owner.kill('SIGTERM');
    expect(await owner.exited).toMatchObject({ code: 0, stdout: `semid ${semid}\nEIDRM\n` });
    expect(liveSets().map((s) => s.semid)).not.toContain(semid);
  });
});

describe('SEM_UNDO', () => {
  it.each([
    ['SEM_UNDO gives it back', SEM_UNDO, 1],
    ['without SEM_UNDO it stays taken', 0, 0],
  ])('a holder killed with SIGKILL: %s', async (_, flags, after) => {
    const semid = make();
    setValue(semid, 0, 1);
    const holder = nodeChild(`
      sem.semop(${semid}, [{ num: 0, op: -1, flags: ${flags} }]);
      console.log('taken');
      setInterval(() => {}, 1000);
    `);
    await holder.waitFor(/taken/);
    expect(getValue(semid, 0)).toBe(0);
    holder.kill('SIGKILL');
    expect((await holder.exited).signal).toBe('SIGKILL');
    expect(getValue(semid, 0)).toBe(after);
  });
});

describe('race-free initialisation (TLPI 47.5)', () => {
  it.each([[[1, 2]], [[0, 5]]])('creates %j, initialises it, and marks it ready with a semop that changes nothing', async (values) => {
    const { semid, created } = await createSemaphoreSet(IPC_PRIVATE, values);
    made.push(semid);
    expect(created).toBe(true);
    expect(getAll(semid)).toEqual(values);
    expect(statSemaphores(semid).otime).not.toBeNull();
  });

  it('makes a process that finds the set wait until its creator has done a semop', async () => {
    const key = ownKey();
    const semid = getSemaphoreSet(key, 2, IPC_CREAT | IPC_EXCL | 0o600); // a creator between its two steps
    let settled = false;
    const opening = createSemaphoreSet(key, [4, 1]).finally(() => (settled = true));
    setAll(semid, [4, 1]);
    await sleep(60); // several of the opener's polls: values alone do not make the set ready
    expect(settled).toBe(false);
    semop(semid, [
      { num: 0, op: -1 },
      { num: 0, op: +1 },
    ]);
    expect(await opening).toEqual({ semid, created: false });
  });

  it('gives up when the creator never initialises the set', async () => {
    const key = ownKey();
    const semid = getSemaphoreSet(key, 1, IPC_CREAT | IPC_EXCL | 0o600);
    const opening = createSemaphoreSet(key, [1], 0o600, { initTimeoutMs: 100 });
    await expect(opening).rejects.toBeInstanceOf(SemaphoreInitTimeoutError);
    await expect(opening).rejects.toMatchObject({ semid, key, message: expect.stringContaining(`ipcrm -s ${semid}`) });
  });

  it('removes the set it created when initialising fails, so nobody waits for it', async () => {
    await expect(createSemaphoreSet(IPC_PRIVATE, [1, 40000])).rejects.toMatchObject({
      call: 'semctl',
      code: 'ERANGE',
      hint: expect.stringMatching(/SEMVMX/),
    });
    // afterEach fails if the private set is still there
  });

  it('lets exactly one of two racing processes initialise, and both see the values', async () => {
    const key = ownKey();
    const racer = () =>
      nodeChild(`
        console.log('ready');
        await new Promise((go) => process.stdin.once('data', go));
        const set = await sem.createSemaphoreSet(${key}, [3, 0, 7]);
        console.log(JSON.stringify({ ...set, values: sem.getAll(set.semid) }));
        process.stdin.destroy();
      `);
    const racers = [racer(), racer()];
    await Promise.all(racers.map((r) => r.waitFor(/ready/)));
    for (const r of racers) r.child.stdin?.write('go\n');
    const results = await Promise.all(racers.map(async (r) => JSON.parse((await r.waitFor(/\{.*\}/))[0]) as Record<string, unknown>));
    expect(results.map((r) => r.created).sort()).toEqual([false, true]);
    expect(results[0]!.semid).toBe(results[1]!.semid);
    expect(results.map((r) => r.values)).toEqual([
      [3, 0, 7],
      [3, 0, 7],
    ]);
  });
});

describe('IPC_STAT', () => {
  it('decodes struct semid_ds as a C program reads it', () => {
    const key = ownKey();
    const semid = make(3, 0o640, key);
    expect(statSemaphores(semid).otime).toBeNull();
    semop(semid, [{ num: 2, op: +1 }]);
    const theirs = JSON.parse(runC('sem-stat', [String(semid)])) as Record<string, number>;
    const ours = statSemaphores(semid);
    expect(ours).toMatchObject({
      key: theirs.key,
      uid: theirs.uid,
      gid: theirs.gid,
      cuid: theirs.cuid,
      cgid: theirs.cgid,
      mode: theirs.mode,
      nsems: theirs.nsems,
    });
    expect(ours).toMatchObject({ key: key | 0, mode: 0o640, nsems: 3, uid: process.getuid!() });
    expect(ours.otime!.getTime() / 1000).toBe(theirs.otime);
    expect(ours.ctime.getTime() / 1000).toBe(theirs.ctime);
  });
});

describe('semctl is variadic: its fourth argument is a union semun', () => {
  // The raw C call, with types the typed declaration does not allow, to show what glibc reads.
  const semctl = c.semctl as unknown as (...args: unknown[]) => number;

  it('reads SETVAL’s val from the low half of the 64-bit slot, so an int is the union', () => {
    const semid = make();
    expect(semctl(semid, 0, c.SETVAL, 'int64_t', (0x7ead_beefn << 32n) | 9n)).toBe(0);
    expect(getValue(semid, 0)).toBe(9);
  });

  it('takes the union itself by value too (the portable way, right on big-endian as well)', () => {
    const semid = make(2);
    const SEMUN = koffi.union('semun_test', { val: 'int', buf: 'void *', array: 'unsigned short *' });
    expect(semctl(semid, 1, c.SETVAL, SEMUN, { val: 11 })).toBe(0);
    expect(getAll(semid)).toEqual([0, 11]);
  });
});

describe('failed calls become one error type', () => {
  it('EEXIST names the call, the key in hex, nsems, the flags in words, and a hint', () => {
    const key = ownKey();
    make(2, 0o600, key);
    const error = failureOf(() => getSemaphoreSet(key, 2, IPC_CREAT | IPC_EXCL | 0o600));
    expect(error).toMatchObject({ call: 'semget', code: 'EEXIST', errno: 17 });
    expect(error.message).toContain(`semget(key=0x${(key >>> 0).toString(16).padStart(8, '0')}, nsems=2, semflg=IPC_CREAT|IPC_EXCL|0600)`);
    expect(error.hint).toMatch(/ipcs -s/);
  });

  it.each([
    ['semget', 'ENOENT', () => getSemaphoreSet(randomKey(), 1, 0), /creates it/],
    ['semctl', 'EINVAL', () => getValue(0x7fff_fff0, 0), /not a live semaphore set/],
    ['semop', 'EFBIG', () => semop(make(), [{ num: 5, op: 1 }]), /nsems - 1/],
    ['semctl', 'ERANGE', () => setValue(make(), 0, 40000), /SEMVMX/],
  ] as const)('%s %s carries its hint', (call, code, fails, hint) => {
    expect(fails).toThrow(expect.objectContaining({ name: 'SysvError', call, code, hint: expect.stringMatching(hint) }));
  });

  it('describes operations in words', () => {
    expect(describeSemOps([{ num: 0, op: -1, flags: SEM_UNDO }])).toBe('[{num 0, op -1, SEM_UNDO}]');
    expect(
      describeSemOps([
        { num: 1, op: 2 },
        { num: 0, op: 0, flags: IPC_NOWAIT },
      ]),
    ).toBe('[{num 1, op +2}, {num 0, op 0, IPC_NOWAIT}]');
  });
});
