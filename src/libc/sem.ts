/**
 * System V semaphores, declared through koffi and nothing else: the prototypes with their C
 * names and the constants of <sys/sem.h>. The <sys/ipc.h> constants and errno live in ./ipc.ts;
 * ../sysv/sem.ts gives these calls types and checked errors.
 */
import koffi from 'koffi';
import { libc } from './ipc.ts';
import { SEMBUF, SEMID_DS, TIMESPEC } from './structs.ts';

/** <sys/sem.h> (Linux, all arches) */
export const SEM_UNDO = 0x1000;
export const GETPID = 11;
export const GETVAL = 12;
export const GETALL = 13;
export const GETNCNT = 14;
export const GETZCNT = 15;
export const SETVAL = 16;
export const SETALL = 17;

/** The largest value a semaphore may hold (SEMVMX in the kernel): above it is ERANGE. */
export const SEMVMX = 32767;

export interface Sembuf {
  sem_num: number;
  sem_op: number;
  sem_flg: number;
}

export interface Timespec {
  tv_sec: number;
  tv_nsec: number;
}

/** koffi's async callback: `error` is set only when koffi itself failed, never for errno. */
export type AsyncCallback = (error: unknown, result: number) => void;

export const semget: (key: number, nsems: number, semflg: number) => number = libc.func('int semget(int key, int nsems, int semflg)');

export interface SemopFunction {
  (semid: number, sops: readonly Sembuf[], nsops: number): number;
  /** The same call on a libuv worker thread; errno is readable only inside `callback`. */
  async(semid: number, sops: readonly Sembuf[], nsops: number, callback: AsyncCallback): void;
}

export const semop: SemopFunction = libc.func('semop', 'int', ['int', koffi.pointer(SEMBUF), 'size_t']);

export interface SemtimedopFunction {
  (semid: number, sops: readonly Sembuf[], nsops: number, timeout: Timespec | null): number;
  async(semid: number, sops: readonly Sembuf[], nsops: number, timeout: Timespec | null, callback: AsyncCallback): void;
}

export const semtimedop: SemtimedopFunction = libc.func('semtimedop', 'int', [
  'int',
  koffi.pointer(SEMBUF),
  'size_t',
  koffi.pointer(TIMESPEC),
]);

/**
 * The same two calls taking raw pointers: the caller encodes the sembuf array (and timespec)
 * into a Buffer once and reuses it, so a hot loop pays no per-call struct conversion.
 */
export const semopRaw: (semid: number, sops: Uint8Array, nsops: number) => number = libc.func('semop', 'int', ['int', 'void *', 'size_t']);
export const semtimedopRaw: (semid: number, sops: Uint8Array, nsops: number, timeout: Uint8Array | null) => number = libc.func(
  'semtimedop',
  'int',
  ['int', 'void *', 'size_t', 'void *'],
);

/** `struct sembuf sops[n]` as bytes, for semopRaw/semtimedopRaw. */
export function encodeSembufs(sops: readonly Sembuf[]): Uint8Array {
  const size = koffi.sizeof(SEMBUF);
  const bytes = Buffer.alloc(size * sops.length);
  for (const [i, sop] of sops.entries()) koffi.encode(bytes, i * size, SEMBUF, sop);
  return bytes;
}

/** `struct timespec` as bytes, for semtimedopRaw. */
export function encodeTimespec(ts: Timespec): Uint8Array {
  const bytes = Buffer.alloc(koffi.sizeof(TIMESPEC));
  koffi.encode(bytes, 0, TIMESPEC, ts);
  return bytes;
}

/** The variadic type for IPC_STAT: koffi copies the struct back into the object passed. */
export const SEMID_DS_OUT = koffi.out(koffi.pointer(SEMID_DS));

/**
 * `int semctl(int semid, int semnum, int cmd, ...)`: the fourth argument is a `union semun`
 * that the caller defines, read by glibc with `va_arg(ap, union semun)` and only for the
 * commands that need it. Declared variadic on purpose, so koffi passes that argument the way
 * the platform passes variadics; each call names its type, as koffi requires.
 *
 * Why an `int` for SETVAL and a pointer for the others is the union: semun is pointer-sized
 * (8 bytes), and on x86_64 and Linux aarch64 an 8-byte integer-class variadic travels in the
 * next general register (rcx, x3), exactly as an int or a pointer would. glibc reads the
 * whole register as the union: a pointer fills it, so that is `buf` or `array`; an int fills
 * the low 32 bits, and on a little-endian machine `val`, the union's first member, *is* the
 * low 32 bits (test/sysv/sem.test.ts passes garbage in the high half to show it). On a
 * big-endian 64-bit machine `val` would be the high half and the int shortcut would be wrong;
 * koffi can also pass a `koffi.union` by value, which is right everywhere.
 *
 * Apple arm64 puts every variadic argument on the stack, not in x3: there, the common shortcut
 * of declaring semctl with a fixed fourth parameter would hand the kernel stack garbage. Not a
 * target here, but it is why the declaration says `...` rather than pretending.
 */
export interface SemctlFunction {
  /** IPC_RMID, GETVAL, GETNCNT, GETZCNT, GETPID: no union is read. */
  (semid: number, semnum: number, cmd: number): number;
  /** SETVAL: `arg.val`. */
  (semid: number, semnum: number, cmd: number, type: 'int', val: number): number;
  /** GETALL, SETALL: `arg.array`, one unsigned short for each semaphore in the set. */
  (semid: number, semnum: number, cmd: number, type: 'unsigned short *', array: Uint16Array): number;
  /** IPC_STAT: `arg.buf`. */
  (semid: number, semnum: number, cmd: number, type: typeof SEMID_DS_OUT, buf: Record<string, unknown>): number;
}

export const semctl: SemctlFunction = libc.func('int semctl(int semid, int semnum, int cmd, ...)');
