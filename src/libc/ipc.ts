/**
 * The C side, declared through koffi and nothing else: the C library itself, the constants of
 * <sys/ipc.h> that every System V object shares, ftok, errno and strerror, and a view of raw
 * memory. No policy lives here; ../sysv/ gives these calls types and checked errors.
 */
import koffi from 'koffi';

/** glibc, loaded once for every declaration in this folder. */
export const libc = koffi.load('libc.so.6');

/** <sys/ipc.h>: flags for the *get calls and commands for the *ctl calls (Linux, all arches). */
export const IPC_PRIVATE = 0;
export const IPC_CREAT = 0o1000;
export const IPC_EXCL = 0o2000;
export const IPC_NOWAIT = 0o4000;
export const IPC_RMID = 0;
export const IPC_SET = 1;
export const IPC_STAT = 2;

export const ftok: (pathname: string, proj_id: number) => number = libc.func('int ftok(const char *pathname, int proj_id)');

export const strerror: (errnum: number) => string = libc.func('const char *strerror(int errnum)');

/** The calling thread's errno, as left by the last koffi call. Read it before any other call. */
export function errno(): number {
  return koffi.errno();
}

/** A zero-copy ArrayBuffer over `length` bytes at `address`: valid only while mapped. */
export function view(address: bigint, length: number): ArrayBuffer {
  return koffi.view(address, length);
}
