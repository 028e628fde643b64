/**
 * POSIX semaphores in shared memory: a sem_t (32 bytes) at an offset of a POSIX (or System V)
 * mapping, made with sem_init(pshared = 1) by one process and used by every process that maps
 * it. Unlike a System V semaphore, sem_post and sem_wait are plain functions on those bytes: an
 * atomic operation in user space, and a futex system call only to sleep or to wake a sleeper.
 * TLPI measured them more than 10 times faster than System V semaphores uncontended; the
 * benchmark measures both here. Every failure is a SysvError from the one choke point.
 */
import * as c from '../libc/posix.ts';
import { encodeTimespec } from '../libc/sem.ts';
import { checkInt, isErrno } from '../sysv/errors.ts';

export const SEM_SIZE = c.SEM_T_SIZE;

/** A sem_t at `address`; `isMapped` says whether its mapping is still there (no access after munmap). */
export class PosixSemaphore {
  readonly #address: bigint;
  readonly #isMapped: () => boolean;
  readonly #value = new Int32Array(1);

  constructor(address: bigint, isMapped: () => boolean) {
    if (address % 8n !== 0n) throw new RangeError(`a sem_t must be 8-byte aligned, not at 0x${address.toString(16)}`);
    this.#address = address;
    this.#isMapped = isMapped;
  }

  /** sem_init(sem, 1, value): shared between processes. Once, by the creator, before anyone uses it. */
  init(value: number): this {
    this.#check();
    checkInt('sem_init', c.sem_init(this.#address, 1, value), () => ({ sem: this.#hex(), pshared: 1, value }));
    return this;
  }

  /** sem_post: +1, waking one waiter if any. */
  post(): void {
    this.#check();
    checkInt('sem_post', c.sem_post(this.#address), () => ({ sem: this.#hex() }));
  }

  /** sem_wait: -1, sleeping while it is 0. Blocks this thread: for a short wait, or a benchmark. */
  wait(): void {
    this.#check();
    for (;;) {
      try {
        checkInt('sem_wait', c.sem_wait(this.#address), () => ({ sem: this.#hex() }));
        return;
      } catch (error) {
        if (!isErrno(error, 'EINTR')) throw error; // a signal: sem_wait is restarted only with SA_RESTART
      }
    }
  }

  /** sem_trywait: -1 if above 0 (true), or false at once. */
  tryWait(): boolean {
    this.#check();
    try {
      checkInt('sem_trywait', c.sem_trywait(this.#address), () => ({ sem: this.#hex() }));
      return true;
    } catch (error) {
      if (isErrno(error, 'EAGAIN')) return false;
      throw error;
    }
  }

  /** sem_timedwait for at most `ms`: true if it went down, false if the time ran out (or a signal came). */
  timedWait(ms: number): boolean {
    this.#check();
    const deadline = Date.now() + ms; // sem_timedwait takes an absolute CLOCK_REALTIME time
    const abstime = encodeTimespec({ tv_sec: Math.floor(deadline / 1000), tv_nsec: (deadline % 1000) * 1_000_000 });
    try {
      checkInt('sem_timedwait', c.sem_timedwait(this.#address, abstime), () => ({
        sem: this.#hex(),
        abstime: new Date(deadline).toISOString(),
      }));
      return true;
    } catch (error) {
      if (isErrno(error, 'ETIMEDOUT', 'EINTR')) return false;
      throw error;
    }
  }

  /** sem_getvalue. */
  value(): number {
    this.#check();
    checkInt('sem_getvalue', c.sem_getvalue(this.#address, this.#value), () => ({ sem: this.#hex() }));
    return this.#value[0]!;
  }

  /** sem_destroy: only once nobody waits on it (its creator, at the end). */
  destroy(): void {
    this.#check();
    checkInt('sem_destroy', c.sem_destroy(this.#address), () => ({ sem: this.#hex() }));
  }

  #check(): void {
    if (!this.#isMapped()) throw new Error("the semaphore's mapping is gone (munmap or shmdt was called): map it again to use it");
  }

  #hex(): string {
    return `0x${this.#address.toString(16)}`;
  }
}
