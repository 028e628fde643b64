/**
 * The C side, declared through koffi and nothing else: System V IPC prototypes with their C
 * names, the constants from <sys/ipc.h> and <sys/shm.h>, and errno. No policy lives here;
 * ./shm.ts and ./errors.ts give these calls types and checked errors.
 */
import koffi from 'koffi';
import { SHMID_DS } from './structs.ts';

const libc = koffi.load('libc.so.6');

/** <sys/ipc.h>: flags for the *get calls and commands for the *ctl calls (Linux, all arches). */
export const IPC_PRIVATE = 0;
export const IPC_CREAT = 0o1000;
export const IPC_EXCL = 0o2000;
export const IPC_NOWAIT = 0o4000;
export const IPC_RMID = 0;
export const IPC_SET = 1;
export const IPC_STAT = 2;

/** <sys/shm.h> */
export const SHM_RDONLY = 0o10000;

/** shmat's failure value, `(void *) -1`: koffi 3 hands back pointers as unsigned BigInts. */
export const SHMAT_FAILED = 0xffff_ffff_ffff_ffffn;

export const ftok: (pathname: string, proj_id: number) => number =
  libc.func('int ftok(const char *pathname, int proj_id)');

export const shmget: (key: number, size: number, shmflg: number) => number =
  libc.func('int shmget(int key, size_t size, int shmflg)');

export const shmat: (shmid: number, shmaddr: bigint | null, shmflg: number) => bigint =
  libc.func('void *shmat(int shmid, void *shmaddr, int shmflg)');

export const shmdt: (shmaddr: bigint) => number =
  libc.func('int shmdt(void *shmaddr)');

export const shmctl: (shmid: number, cmd: number, buf: Record<string, unknown> | null) => number =
  libc.func('shmctl', 'int', ['int', 'int', koffi.inout(koffi.pointer(SHMID_DS))]);

export const strerror: (errnum: number) => string =
  libc.func('const char *strerror(int errnum)');

/** The calling thread's errno, as left by the last koffi call. Read it before any other call. */
export function errno(): number {
  return koffi.errno();
}

/** A zero-copy ArrayBuffer over `length` bytes at `address`: valid only while mapped. */
export function view(address: bigint, length: number): ArrayBuffer {
  return koffi.view(address, length);
}
