/**
 * System V semaphores with types: get a set, or create one and initialise it without a race
 * (TLPI 47.5), operate on it (blocking, with a timeout, or on a worker thread so the event loop
 * keeps running), read and set values, IPC_STAT, remove. Every failure is a SysvError.
 */
import { LabError } from '../core/errors.ts';
import { waitFor } from '../core/wait.ts';
import * as libc from '../libc/ipc.ts';
import * as c from '../libc/sem.ts';
import { checkInt, isErrno, type CallArgs } from './errors.ts';
import { describeIpcFlags, hexKey, keyArg, permIds, toDate, type IpcPermIds } from './ipc-format.ts';

export { IPC_CREAT, IPC_EXCL, IPC_NOWAIT, IPC_PRIVATE } from '../libc/ipc.ts';
export { SEM_UNDO, SEMVMX } from '../libc/sem.ts';

/** One operation: add `op` to semaphore `num`; op < 0 waits until it can, op 0 waits for zero. */
export interface SemOp {
  readonly num: number;
  readonly op: number;
  /** SEM_UNDO, IPC_NOWAIT, or both. */
  readonly flags?: number;
}

export interface SemStat extends IpcPermIds {
  readonly mode: number;
  readonly nsems: number;
  /** The last successful semop, or null if there has been none. */
  readonly otime: Date | null;
  /** The creation, or the last SETVAL, SETALL or IPC_SET. */
  readonly ctime: Date;
}

export interface SemaphoreSet {
  readonly semid: number;
  /** True in the one process that created and initialised the set. */
  readonly created: boolean;
}

export interface CreateOptions {
  /** How long a process that did not create the set waits for its creator to initialise it. */
  readonly initTimeoutMs?: number;
}

export interface AsyncOpOptions {
  /** Give up with EAGAIN after this long (semtimedop); without it, wait as long as it takes. */
  readonly timeoutMs?: number;
  /** Stop waiting when this aborts: the wait then runs in slices, see semopAsync. */
  readonly signal?: AbortSignal;
}

/** The set exists, but its creator never finished initialising it. Not a failed call. */
export class SemaphoreInitTimeoutError extends LabError {
  override readonly name = 'SemaphoreInitTimeoutError';

  constructor(
    readonly semid: number,
    readonly key: number,
    readonly waitedMs: number,
  ) {
    super(
      'failed',
      `semaphore set ${semid} (key ${hexKey(key)}) was not initialised within ${waitedMs} ms: ` +
        `its creator may have died between semget and its first semop; remove it (\`ipcrm -s ${semid}\`) and start again`,
    );
  }
}

const WAIT_SLICE_MS = 100;
const DEFAULT_INIT_TIMEOUT_MS = 5_000;

/** Operations in words, e.g. "[{num 0, op -1, SEM_UNDO}]". */
export function describeSemOps(ops: readonly SemOp[]): string {
  const one = ({ num, op, flags = 0 }: SemOp): string => {
    const words: string[] = [];
    if (flags & c.SEM_UNDO) words.push('SEM_UNDO');
    if (flags & libc.IPC_NOWAIT) words.push('IPC_NOWAIT');
    const rest = flags & ~(c.SEM_UNDO | libc.IPC_NOWAIT);
    if (rest) words.push(`0x${rest.toString(16)}`);
    return `{num ${num}, op ${op > 0 ? '+' : ''}${op}${words.length ? `, ${words.join('|')}` : ''}}`;
  };
  return `[${ops.map(one).join(', ')}]`;
}

function inRange(what: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    // koffi would wrap it silently (op 65537 becomes +1), so refuse before the call.
    throw new RangeError(`${what} must be an integer from ${min} to ${max}, not ${value}`);
  }
  return value;
}

function toSembufs(ops: readonly SemOp[]): c.Sembuf[] {
  return ops.map(({ num, op, flags = 0 }) => ({
    sem_num: inRange('num', num, 0, 0xffff),
    sem_op: inRange('op', op, -0x8000, 0x7fff),
    sem_flg: inRange('flags', flags, -0x8000, 0x7fff),
  }));
}

function toTimespec(ms: number): c.Timespec {
  const seconds = Math.floor(ms / 1000);
  return { tv_sec: seconds, tv_nsec: Math.floor((ms - seconds * 1000) * 1e6) };
}

function opArgs(semid: number, ops: readonly SemOp[], timeoutMs?: number): CallArgs {
  const args = { semid, sops: describeSemOps(ops), nsops: ops.length };
  return timeoutMs === undefined ? args : { ...args, timeout: `${timeoutMs} ms` };
}

/** semget: the id of the set for `key`, created (all values 0 on Linux) when `flags` has IPC_CREAT. */
export function getSemaphoreSet(key: number, nsems: number, flags: number): number {
  return checkInt('semget', c.semget(key, nsems, flags), () => ({
    key: keyArg(key),
    nsems,
    semflg: describeIpcFlags(flags),
  }));
}

/**
 * The set for `key` with these initial values, made and initialised so that no process can
 * use it half-made: TLPI 47.5 (svsem/svsem_good_init.c).
 *
 * The race: creating a set (semget) and giving it values (semctl SETALL) are two calls. If B
 * opens the set between A's semget and A's SETALL and does a semop, A's SETALL then wipes B's
 * operation out, and B believes it holds a semaphore that A has just handed out again.
 *
 * The way out: a new set's sem_otime, the time of the last semop, is 0, and only a semop
 * changes it (semget and semctl never do). So the one process whose IPC_CREAT|IPC_EXCL
 * succeeded sets the values and then does a semop that changes nothing; every process that got
 * EEXIST opens the set and waits until IPC_STAT shows sem_otime != 0 before it may use it. The
 * kernel offers nothing to block on for "initialised", so that wait polls; and it is bounded,
 * because a creator that dies between the two steps leaves a set that is never ready.
 */
export async function createSemaphoreSet(
  key: number,
  initialValues: readonly number[],
  mode = 0o600,
  options: CreateOptions = {},
): Promise<SemaphoreSet> {
  let semid: number;
  try {
    semid = getSemaphoreSet(key, initialValues.length, libc.IPC_CREAT | libc.IPC_EXCL | mode);
  } catch (error) {
    if (!isErrno(error, 'EEXIST')) throw error;
    semid = getSemaphoreSet(key, initialValues.length, mode);
    await untilInitialised(semid, key, options.initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS);
    return { semid, created: false };
  }
  try {
    setAll(semid, initialValues);
    semop(semid, noChange(initialValues));
  } catch (error) {
    // Whoever creates removes: openers would otherwise wait for an initialisation that never comes.
    try {
      removeSemaphoreSet(semid);
    } catch {
      // the first failure is the one to report
    }
    throw error;
  }
  return { semid, created: true };
}

/**
 * A semop that leaves every value as it is and cannot block. TLPI's `sem_op = 0` waits for
 * zero, which returns at once only because its example starts at 0; when every value starts
 * above 0, take one and give it back in the same atomic call instead.
 */
function noChange(values: readonly number[]): SemOp[] {
  const zero = values.indexOf(0);
  if (zero !== -1) return [{ num: zero, op: 0, flags: libc.IPC_NOWAIT }];
  return [
    { num: 0, op: -1, flags: libc.IPC_NOWAIT },
    { num: 0, op: +1, flags: libc.IPC_NOWAIT },
  ];
}

async function untilInitialised(semid: number, key: number, timeoutMs: number): Promise<void> {
  // 5, 10, 20 ... 100 ms: the creator usually finishes within microseconds.
  const ready = await waitFor(() => (statSemaphores(semid).otime === null ? undefined : true), {
    deadline: Date.now() + timeoutMs,
    every: (attempt) => Math.min(5 * 2 ** attempt, 100),
  });
  if ('timedOut' in ready) throw new SemaphoreInitTimeoutError(semid, key, timeoutMs);
}

/**
 * semop: all of `ops` at once or none, blocking this thread (and so the event loop) until they
 * can proceed, unless one has IPC_NOWAIT (then EAGAIN). A signal with a handler (process.on)
 * interrupts the wait with EINTR, as semop is never restarted after a handler (signal(7)); the
 * JS handler itself runs later, from the event loop, if the process is still alive by then.
 */
export function semop(semid: number, ops: readonly SemOp[]): void {
  const sops = toSembufs(ops);
  checkInt('semop', c.semop(semid, sops, sops.length), () => opArgs(semid, ops));
}

/** semtimedop: semop that gives up with EAGAIN once `timeoutMs` has passed. */
export function semTimedOp(semid: number, ops: readonly SemOp[], timeoutMs: number): void {
  const sops = toSembufs(ops);
  const result = c.semtimedop(semid, sops, sops.length, toTimespec(timeoutMs));
  checkInt('semtimedop', result, () => opArgs(semid, ops, timeoutMs));
}

/**
 * semop, or semtimedop with a timeout, on a libuv worker thread (koffi's `.async`), so timers,
 * I/O and signal handlers keep running while it waits.
 *
 * A wait in a worker is not free. It holds one of libuv's UV_THREADPOOL_SIZE threads (4 by
 * default): fs, dns.lookup and crypto queue behind it, and a fifth wait queues behind four.
 * And the process cannot exit while it waits: process.exit() joins the pool's threads, and
 * this one is inside the kernel, so exit hangs until the semop returns. So every wait needs a
 * way to end. The clean one is the owner's: removing the set (IPC_RMID) wakes every waiter
 * with EIDRM, so an owner's shutdown removes the set first. A process that does not own the
 * set passes `signal`: the wait then runs as semtimedop slices of WAIT_SLICE_MS, checking the
 * signal between them (and may lose its turn to a waiter that never left the queue).
 */
export async function semopAsync(semid: number, ops: readonly SemOp[], options: AsyncOpOptions = {}): Promise<void> {
  const { timeoutMs, signal } = options;
  const noWait = ops.some(({ flags = 0 }) => (flags & libc.IPC_NOWAIT) !== 0);
  if (!signal || noWait) return opOnWorker(semid, ops, timeoutMs);
  const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
  // Each slice is a semtimedop on the worker; EAGAIN at the end of a slice is "not yet".
  const done = await waitFor(
    async () => {
      signal.throwIfAborted();
      const slice = Math.max(0, Math.min(WAIT_SLICE_MS, deadline - Date.now()));
      try {
        await opOnWorker(semid, ops, slice);
        return true;
      } catch (error) {
        if (isErrno(error, 'EAGAIN') && Date.now() < deadline) return undefined;
        throw error;
      }
    },
    { every: 0 },
  );
  if ('timedOut' in done) throw new Error('unreachable: the wait has no deadline of its own');
}

function opOnWorker(semid: number, ops: readonly SemOp[], timeoutMs: number | undefined): Promise<void> {
  const sops = toSembufs(ops);
  const call = timeoutMs === undefined ? 'semop' : 'semtimedop';
  return new Promise((resolve, reject) => {
    // koffi gives this thread the worker's errno only while the callback runs and restores
    // the old one after it: check here, not after an await, where errno would read 0.
    const done: c.AsyncCallback = (error, result) => {
      if (error) return reject(error);
      try {
        checkInt(call, result, () => opArgs(semid, ops, timeoutMs));
        resolve();
      } catch (failure) {
        reject(failure);
      }
    };
    if (timeoutMs === undefined) c.semop.async(semid, sops, sops.length, done);
    else c.semtimedop.async(semid, sops, sops.length, toTimespec(timeoutMs), done);
  });
}

/**
 * Operations encoded once for a hot loop (a ring buffer's P and V): semop and semtimedop then
 * take the bytes as they are, instead of converting objects to C structs on every call.
 */
export interface PreparedOps {
  readonly ops: readonly SemOp[];
  readonly sembufs: Uint8Array;
}

export function prepareOps(ops: readonly SemOp[]): PreparedOps {
  return { ops, sembufs: c.encodeSembufs(toSembufs(ops)) };
}

const timespecs = new Map<number, Uint8Array>();

/** semop, or semtimedop when `timeoutMs` is given, with prepared operations. */
export function semopPrepared(semid: number, prepared: PreparedOps, timeoutMs?: number): void {
  const n = prepared.ops.length;
  if (timeoutMs === undefined) {
    checkInt('semop', c.semopRaw(semid, prepared.sembufs, n), () => opArgs(semid, prepared.ops));
    return;
  }
  let timeout = timespecs.get(timeoutMs);
  if (!timeout) {
    timeout = c.encodeTimespec(toTimespec(timeoutMs));
    timespecs.set(timeoutMs, timeout);
  }
  checkInt('semtimedop', c.semtimedopRaw(semid, prepared.sembufs, n, timeout), () => opArgs(semid, prepared.ops, timeoutMs));
}

/** semctl(GETVAL). */
export function getValue(semid: number, num: number): number {
  return checkInt('semctl', c.semctl(semid, num, c.GETVAL), () => ({ semid, semnum: num, cmd: 'GETVAL' }));
}

/** semctl(SETVAL): `value` travels as `arg.val`, an int in the union's slot (see ../libc/sem.ts). */
export function setValue(semid: number, num: number, value: number): void {
  const val = inRange('value', value, -0x8000_0000, 0x7fff_ffff);
  checkInt('semctl', c.semctl(semid, num, c.SETVAL, 'int', val), () => ({ semid, semnum: num, cmd: 'SETVAL', val }));
}

/** semctl(GETNCNT): how many processes wait for semaphore `num` to increase. */
export function getWaitingCount(semid: number, num: number): number {
  return checkInt('semctl', c.semctl(semid, num, c.GETNCNT), () => ({ semid, semnum: num, cmd: 'GETNCNT' }));
}

/** semctl(GETZCNT): how many processes wait for semaphore `num` to become 0. */
export function getZeroWaitCount(semid: number, num: number): number {
  return checkInt('semctl', c.semctl(semid, num, c.GETZCNT), () => ({ semid, semnum: num, cmd: 'GETZCNT' }));
}

/** semctl(GETPID): the pid of the last process to semop semaphore `num` (0 if none, or in another PID namespace). */
export function getLastPid(semid: number, num: number): number {
  return checkInt('semctl', c.semctl(semid, num, c.GETPID), () => ({ semid, semnum: num, cmd: 'GETPID' }));
}

/**
 * semctl(GETALL). The kernel writes one unsigned short per semaphore and is told no length, so
 * the array must hold exactly nsems: IPC_STAT first.
 */
export function getAll(semid: number): number[] {
  const array = new Uint16Array(statSemaphores(semid).nsems);
  checkInt('semctl', c.semctl(semid, 0, c.GETALL, 'unsigned short *', array), () => ({ semid, semnum: 0, cmd: 'GETALL' }));
  return [...array];
}

/** semctl(SETALL). The kernel reads nsems values whatever we pass: a shorter array would be overread. */
export function setAll(semid: number, values: readonly number[]): void {
  const { nsems } = statSemaphores(semid);
  if (values.length !== nsems) throw new RangeError(`set ${semid} has ${nsems} semaphores, not ${values.length}`);
  // Uint16Array would wrap 65536 to 0; 32768..65535 reach the kernel, which answers ERANGE.
  const array = Uint16Array.from(values, (v) => inRange('value', v, 0, 0xffff));
  checkInt('semctl', c.semctl(semid, 0, c.SETALL, 'unsigned short *', array), () => ({
    semid,
    semnum: 0,
    cmd: 'SETALL',
    array: `[${values.join(', ')}]`,
  }));
}

/** semctl(IPC_STAT), decoded from the architecture's struct semid_ds. */
export function statSemaphores(semid: number): SemStat {
  const ds: Record<string, unknown> = {};
  checkInt('semctl', c.semctl(semid, 0, libc.IPC_STAT, c.SEMID_DS_OUT, ds), () => ({ semid, semnum: 0, cmd: 'IPC_STAT' }));
  const perm = ds.sem_perm as Record<string, number>;
  return {
    ...permIds(perm),
    mode: Number(perm.mode) & 0o777,
    nsems: Number(ds.sem_nsems),
    otime: toDate(ds.sem_otime as number),
    ctime: toDate(ds.sem_ctime as number) ?? new Date(0),
  };
}

/**
 * semctl(IPC_RMID). Unlike a segment, which lingers until its last detach, a set goes at once,
 * and every process blocked in semop on it wakes with EIDRM: the clean way to end waits at shutdown.
 */
export function removeSemaphoreSet(semid: number): void {
  checkInt('semctl', c.semctl(semid, 0, libc.IPC_RMID), () => ({ semid, semnum: 0, cmd: 'IPC_RMID' }));
}
