/**
 * The one choke point for failed system calls: every System V call that fails becomes a
 * SysvError naming the call, its arguments, and the errno, with a hint for the errnos that
 * teach something. Call sites never write their own messages for a failed call.
 */
import { constants } from 'node:os';
import { errno as lastErrno, strerror } from './libc.ts';

export type CallArgs = Readonly<Record<string, string | number>>;

const errnoNames = new Map<number, string>(
  Object.entries(constants.errno).map(([name, value]) => [value, name] as const),
);

/** What to do next, one line each. The key is an errno name, optionally prefixed with the call. */
const hints: Readonly<Record<string, string>> = {
  EEXIST: 'a segment with this key already exists: look at it with `ipcs -m`, remove it with `ipc-lab clean` or `ipcrm -M <key>`, or use another key',
  ENOENT: 'nothing has this key yet: start the server first, and check that both sides use the same key file, project id and IPC namespace',
  'ftok:ENOENT': 'the key file does not exist: ftok needs an existing file; start the server (it creates it) or pass --key-file',
  EACCES: "the segment's mode does not let this user in: compare its owner and mode (`ipcs -m`) with `id`; the lab's default mode 0600 admits only the owner",
  EINVAL: 'the size is outside the kernel limits or larger than the existing segment, or the id is not a live segment: check --size and `ipcs -m`',
  'shmat:EINVAL': 'the shmid is not a live segment (it may have been removed): check `ipcs -m` and restart the server',
  EIDRM: 'the segment was removed (IPC_RMID) while this program was using it: start the server again',
  ENOMEM: 'the kernel could not find memory or address space for the segment: use a smaller --size',
  ENOSPC: 'a system-wide limit (SHMMNI segments or SHMALL pages) is reached: remove stale segments with `ipc-lab clean` or `ipcrm`',
  EPERM: 'only the owner, the creator or a privileged process may do this to the segment',
};

export class SysvError extends Error {
  override readonly name = 'SysvError';
  readonly errno: number;
  readonly code: string;
  readonly hint: string | undefined;

  constructor(
    readonly call: string,
    errno: number,
    readonly args: CallArgs,
  ) {
    const code = errnoNames.get(errno) ?? `errno ${errno}`;
    const hint = hints[`${call}:${code}`] ?? hints[code];
    const argText = Object.entries(args).map(([k, v]) => `${k}=${v}`).join(', ');
    super(`${call}(${argText}) failed: ${code} (${errno}, ${strerror(errno)})`);
    this.errno = errno;
    this.code = code;
    this.hint = hint;
  }
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
