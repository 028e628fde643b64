/**
 * The one choke point for failed system calls: every System V call, and every POSIX shared
 * memory and semaphore call (../posix/), that fails becomes a SysvError naming the call, its
 * arguments, and the errno, with a hint for the errnos that teach something. Call sites never
 * write their own messages for a failed call, and ask what
 * went wrong through one predicate, isErrno, with names or named sets.
 */
import { constants } from 'node:os';
import { LabError } from '../core/errors.ts';
import { errno as lastErrno, strerror } from '../libc/ipc.ts';

export type CallArgs = Readonly<Record<string, string | number>>;

/** errno number to name; where os.constants.errno has two names (11: EAGAIN, EWOULDBLOCK), the first. */
const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(constants.errno)) if (!errnoNames.has(value)) errnoNames.set(value, name);

/**
 * What to do next, one line each. Looked up as `call:ERRNO`, then `sem:ERRNO`, `msg:ERRNO` or
 * `posix:ERRNO` for the System V semaphore, message queue and POSIX calls, then `ERRNO` (which
 * speaks of System V segments: the shared memory calls use those). A hint
 * that names the object takes it from the call's arguments, so it shows the real key.
 */
type Hint = string | ((args: CallArgs) => string);
const hints: Readonly<Record<string, Hint>> = {
  EEXIST: (args) =>
    'a segment with this key already exists: look at it with `ipcs -m`; ' +
    `if nothing uses it, remove it with \`ipcrm -M ${args.key ?? '<key>'}\`; or use another key`,
  ENOENT: 'nothing has this key yet: start the server first, and check that both sides use the same key file, project id and IPC namespace',
  'ftok:ENOENT': 'the key file does not exist: ftok needs an existing file; start the server (it creates it) or pass --key-file',
  EACCES:
    "the segment's mode does not let this user in: compare its owner and mode (`ipcs -m`) with `id`; the lab's default mode 0600 admits " +
    'only the owner',
  EINVAL:
    'the size is outside the kernel limits or larger than the existing segment, or the id is not a live segment: check --size and `ipcs ' +
    '-m`',
  'shmat:EINVAL': 'the shmid is not a live segment (it may have been removed): check `ipcs -m` and restart the server',
  EIDRM: 'the segment was removed (IPC_RMID) while this program was using it: start the server again',
  ENOMEM: 'the kernel could not find memory or address space for the segment: use a smaller --size',
  ENOSPC: 'a system-wide limit (SHMMNI segments or SHMALL pages) is reached: remove stale segments with `ipc-lab clean` or `ipcrm`',
  EPERM: 'only the owner, the creator or a privileged process may do this to the segment',
  'msgget:EEXIST': (args) =>
    'a message queue with this key already exists: look at it with `ipcs -q`; ' +
    `if nothing uses it, remove it with \`ipcrm -Q ${args.key ?? '<key>'}\``,
  'msgget:ENOENT': 'no message queue has this key yet: start the program that creates it (the dispatcher) first, in the same IPC namespace',
  'msg:EACCES': "the queue's mode does not let this user in: compare its owner and mode (`ipcs -q`) with `id`",
  'msgget:ENOSPC': 'a system-wide limit (MSGMNI queues) is reached: remove stale queues with `ipc-lab clean` or `ipcrm -q`',
  'msgsnd:EAGAIN':
    'the queue is full (its bytes reached msg_qbytes) and IPC_NOWAIT was given: without it msgsnd would block until a receiver ' +
    'makes room; see `ipcs -q -i <msqid>`',
  'msgsnd:EINVAL': 'the msqid is not a live queue, mtype is not above 0, or the message is larger than MSGMAX (8192 bytes by default)',
  'msgrcv:E2BIG': 'the next message of that type is longer than the buffer: pass a larger msgsz, or MSG_NOERROR to take it cut short',
  'msgrcv:ENOMSG': 'IPC_NOWAIT was given and no message of that type is waiting: without it msgrcv would block until one comes',
  'msg:EIDRM': 'the queue was removed (IPC_RMID) while this process waited on it: its owner is shutting down, so stop waiting',
  'msg:EINVAL': 'the msqid is not a live queue (it may have been removed): check `ipcs -q`',
  'msg:EPERM':
    'only the owner, the creator or a privileged process may change or remove the queue (and only root may raise msg_qbytes above MSGMNB)',
  'shm_open:ENOENT': (args) =>
    `no POSIX shared memory object ${args.name ?? ''} in this /dev/shm: start the server first; in a container, /dev/shm is the ` +
    "container's own tmpfs unless it shares the server's IPC namespace, which shares /dev/shm too " +
    '(in compose: ipc: "service:posix-server")',
  'shm_open:EEXIST': (args) =>
    `${args.name ?? 'the object'} already exists in /dev/shm: a server is running, or one died before shm_unlink; ` +
    "`ipc-lab clean` removes the lab's own leftovers",
  'shm_open:EACCES': "the object's mode does not let this user in: compare `ls -l /dev/shm` with `id`",
  'shm_unlink:ENOENT': 'the name is gone already: someone unlinked it (the object lives on while it is mapped)',
  'posix_fallocate:ENOSPC':
    '/dev/shm is full: it is a tmpfs, and in a container its size is shm_size (in compose.yaml; Docker gives 64 MiB unless told ' +
    'otherwise): ask for less, or raise shm_size',
  'posix:ENOMEM': 'no memory or address space for the mapping: ask for less',
  'posix:EINVAL': 'a size, offset or flag the call does not take (sizes must be above 0; mmap offsets page-aligned)',
  ...Object.fromEntries(
    ['sem_post', 'sem_wait', 'sem_trywait', 'sem_timedwait', 'sem_getvalue', 'sem_destroy'].map((call) => [
      `${call}:EINVAL`,
      'these bytes are not a semaphore: nobody called sem_init on them, or sem_destroy was called (only the creator initialises, once)',
    ]),
  ),
  'sem_timedwait:ETIMEDOUT': 'nobody posted the semaphore in time: is the other side running?',
  'sem_trywait:EAGAIN': 'the semaphore is 0: sem_wait would block here',
  'semget:EEXIST': (args) =>
    `a semaphore set with this key already exists: look at it with \`ipcs -s\`, remove it with \`ipcrm -S ${args.key ?? '<key>'}\`, ` +
    'or open it without IPC_EXCL',
  'semget:ENOENT':
    'no semaphore set has this key yet: start the program that creates it first, and check that both sides use the same key and IPC ' +
    'namespace',
  'semget:EACCES': "the set's mode does not let this user in: compare its owner and mode (`ipcs -s`) with `id`",
  'semget:EINVAL': 'nsems is 0 or above SEMMSL, or more than the existing set has: check `ipcs -s -i <semid>`',
  'semget:ENOSPC': 'a system-wide limit (SEMMNI sets or SEMMNS semaphores) is reached: remove stale sets with `ipcrm -s <semid>`',
  'semop:EAGAIN':
    'IPC_NOWAIT was given and the operation would have blocked: someone holds the semaphore; try again later, or wait without IPC_NOWAIT',
  'semtimedop:EAGAIN':
    'the timeout ran out (or IPC_NOWAIT was given) before the operation could proceed: whoever holds the semaphore has not released it; ' +
    'see `ipcs -s -i <semid>`',
  'sem:EACCES': "the set's mode does not let this user in: compare its owner and mode (`ipcs -s`) with `id`",
  'sem:EIDRM': 'the set was removed (IPC_RMID) while this process was using it: its owner is shutting down',
  'sem:EPERM': 'only the owner, the creator or a privileged process may change or remove the set',
  'sem:EINVAL': 'the semid is not a live semaphore set (it may have been removed): check `ipcs -s`',
  'sem:ENOMEM': 'the kernel could not allocate the SEM_UNDO structure: free some memory or use fewer sets',
  'semop:EIDRM': 'the set was removed (IPC_RMID) while this process waited on it: its owner is shutting down, so stop waiting',
  'semtimedop:EIDRM': 'the set was removed (IPC_RMID) while this process waited on it: its owner is shutting down, so stop waiting',
  'semop:EINTR':
    'a signal with a handler arrived while waiting, and semop is never restarted after one: wait again, or stop if it was a shutdown ' +
    'signal',
  'semtimedop:EINTR':
    'a signal with a handler arrived while waiting, and semtimedop is never restarted after one: wait again, or stop if it was a ' +
    'shutdown signal',
  'semop:EINVAL': 'the semid is not a live semaphore set (it may have been removed), or nsops is 0: check `ipcs -s`',
  'semtimedop:EINVAL': 'the semid is not a live semaphore set, nsops is 0, or the timeout is negative or has tv_nsec of a second or more',
  'semctl:EINVAL': 'the semid is not a live semaphore set (it may have been removed), or semnum is not below nsems: check `ipcs -s`',
  'semctl:EIDRM': 'the set was removed (IPC_RMID) while this process was using it',
  'semctl:EPERM': 'only the owner, the creator or a privileged process may change or remove the set',
  EFBIG: 'sem_num is not below the number of semaphores in the set: numbers run from 0 to nsems - 1',
  ERANGE:
    'a semaphore value must stay from 0 to SEMVMX (32767): SETVAL/SETALL asked for more or less, or a semop (or its SEM_UNDO adjustment) ' +
    'would pass the maximum',
};

export class SysvError extends LabError {
  override readonly name = 'SysvError';
  readonly errno: number;
  /** The errno's name, e.g. "EEXIST". */
  readonly code: string;

  constructor(
    readonly call: string,
    errno: number,
    readonly args: CallArgs,
  ) {
    const code = errnoNames.get(errno) ?? `errno ${errno}`;
    const family = POSIX_CALLS.has(call) ? 'posix' : call.startsWith('sem') ? 'sem' : call.startsWith('msg') ? 'msg' : undefined;
    const found = hints[`${call}:${code}`] ?? (family ? hints[`${family}:${code}`] : undefined) ?? hints[code];
    const hint = typeof found === 'function' ? found(args) : found;
    const argText = Object.entries(args)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    super('failed', `${call}(${argText}) failed: ${code} (${errno}, ${strerror(errno)})`, { hint });
    this.errno = errno;
    this.code = code;
  }
}

/**
 * The errno sets the lab asks about. `gone`: the id no longer names a live object (someone
 * removed it: EIDRM while in use, EINVAL after). `absent`: no object has the key, or it went
 * between two calls (ENOENT, or one of `gone`).
 */
export const ERRNO_SETS = {
  gone: ['EINVAL', 'EIDRM'],
  absent: ['ENOENT', 'EIDRM', 'EINVAL'],
} as const;

type ErrnoName = keyof typeof constants.errno;
type ErrnoQuery = ErrnoName | keyof typeof ERRNO_SETS;

/** Whether `error` is a failed System V call with one of these errnos (or sets of them). */
export function isErrno(error: unknown, ...queries: readonly ErrnoQuery[]): error is SysvError {
  if (!(error instanceof SysvError)) return false;
  return queries.some((q) =>
    Object.hasOwn(ERRNO_SETS, q)
      ? (ERRNO_SETS[q as keyof typeof ERRNO_SETS] as readonly string[]).includes(error.code)
      : error.errno === constants.errno[q as ErrnoName],
  );
}

/** The POSIX calls (../posix/): their own hints, never the System V ones of a similar name. */
const POSIX_CALLS = new Set(['shm_open', 'shm_unlink', 'ftruncate', 'posix_fallocate', 'mmap', 'munmap', 'close', 'fstat']);
for (const call of ['sem_init', 'sem_destroy', 'sem_post', 'sem_wait', 'sem_trywait', 'sem_timedwait', 'sem_getvalue'])
  POSIX_CALLS.add(call);

/** Throws a SysvError for a call that returns the errno itself (0: success), as posix_fallocate does. */
export function checkReturned(call: string, result: number, args: () => CallArgs): void {
  if (result !== 0) throw new SysvError(call, result, args());
}

/** Throws a SysvError when an int-returning call returned -1; returns the result otherwise. */
export function checkInt(call: string, result: number, args: () => CallArgs): number {
  if (result !== -1) return result;
  throw new SysvError(call, lastErrno(), args());
}

/** The same for a pointer-returning call whose failure value is `failed`. */
export function checkPointer(call: string, result: bigint, failed: bigint, args: () => CallArgs): bigint {
  if (result !== failed) return result;
  throw new SysvError(call, lastErrno(), args());
}
