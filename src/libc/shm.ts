/**
 * System V shared memory, declared through koffi and nothing else: the prototypes with their C
 * names and the constants of <sys/shm.h>. ../sysv/shm.ts gives them types and checked errors.
 */
import koffi from 'koffi';
import { libc } from './ipc.ts';
import { SHMID_DS } from './structs.ts';

/** <sys/shm.h> */
export const SHM_RDONLY = 0o10000;
/** shm_perm.mode: IPC_RMID was called; the segment goes when the last process detaches. */
export const SHM_DEST = 0o1000;

/** shmat's failure value, `(void *) -1`: koffi 3 hands back pointers as unsigned BigInts. */
export const SHMAT_FAILED = 0xffff_ffff_ffff_ffffn;

export const shmget: (key: number, size: number, shmflg: number) => number = libc.func('int shmget(int key, size_t size, int shmflg)');

export const shmat: (shmid: number, shmaddr: bigint | null, shmflg: number) => bigint = libc.func(
  'void *shmat(int shmid, void *shmaddr, int shmflg)',
);

export const shmdt: (shmaddr: bigint) => number = libc.func('int shmdt(void *shmaddr)');

export const shmctl: (shmid: number, cmd: number, buf: Record<string, unknown> | null) => number = libc.func('shmctl', 'int', [
  'int',
  'int',
  koffi.inout(koffi.pointer(SHMID_DS)),
]);
