/**
 * The uncontended cost of a semaphore, through koffi, in this process: take it and give it back
 * while nobody else uses it, a System V one (two semop calls: two system calls) and a POSIX one
 * (sem_post and sem_wait on a sem_t in a POSIX shared memory object: two atomic operations in
 * libc, no system call while nobody has to sleep). What each pair costs, in nanoseconds; the C
 * reference is bench/c/sem-uncontended.c.
 */
import { open, unlink } from '../posix/shm.ts';
import { createSemaphoreSet, IPC_PRIVATE, prepareOps, removeSemaphoreSet, semopPrepared } from '../sysv/sem.ts';

/** Nanoseconds a P and V pair on a System V semaphore nobody else uses. */
export async function sysvPair(pairs: number): Promise<number> {
  const { semid } = await createSemaphoreSet(IPC_PRIVATE, [0]);
  try {
    const up = prepareOps([{ num: 0, op: +1 }]);
    const down = prepareOps([{ num: 0, op: -1 }]);
    const started = process.hrtime.bigint();
    for (let i = 0; i < pairs; i++) {
      semopPrepared(semid, up);
      semopPrepared(semid, down);
    }
    return Number(process.hrtime.bigint() - started) / pairs;
  } finally {
    removeSemaphoreSet(semid);
  }
}

/** Nanoseconds a sem_post and sem_wait pair on a POSIX semaphore nobody else uses. */
export function posixPair(pairs: number): number {
  const name = `/ipc-lab-bench-sem-${process.pid}`;
  const m = open(name, { create: { size: 4096, mode: 0o600 } });
  unlink(name); // the mapping is enough; no name is left behind
  try {
    const sem = m.semaphore(0).init(0);
    const started = process.hrtime.bigint();
    for (let i = 0; i < pairs; i++) {
      sem.post();
      sem.wait();
    }
    const ns = Number(process.hrtime.bigint() - started) / pairs;
    sem.destroy();
    return ns;
  } finally {
    m.unmap();
  }
}
