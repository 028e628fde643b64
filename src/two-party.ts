/**
 * What both synchronisation labs (race, ring) need around their loops: the lab's own key, a
 * creator that makes the segment and the semaphore set and an opener that waits for them, the
 * other side's presence read from shm_nattch, and a stop flag that SIGINT, SIGTERM and SIGHUP set.
 *
 * Why nattch: the two sides may sit in different containers, in different PID namespaces, where
 * neither can see the other's pid; but both see the segment, and the kernel detaches a process
 * that dies however it dies. nattch dropping to 1 is "the other side is gone".
 */
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureKeyFile } from './key.ts';
import type { KeyChoice } from './options.ts';
import { SysvError } from './sysv/errors.ts';
import { createSemaphoreSet, getSemaphoreSet, removeSemaphoreSet } from './sysv/sem.ts';
import { attach, ftok, getSegment, hexKey, IPC_CREAT, IPC_EXCL, remove, stat, type Attachment } from './sysv/shm.ts';
import type { Narrator } from './ui/narrate.ts';

export class PeerGoneError extends Error {
  override readonly name = 'PeerGoneError';
}

export class StoppedError extends Error {
  override readonly name = 'StoppedError';
}

/**
 * The lab's key: the explicit --key, or ftok on the shared key file with the lab's project id.
 * The creator makes the key file; the other side waits for it (bounded), since on a fresh
 * volume it may start first.
 */
export async function labKey(choice: KeyChoice, projectId: number, create: boolean, deadline: number, stop: StopFlag): Promise<number> {
  if (choice.key !== undefined) return choice.key;
  if (create) ensureKeyFile(choice.keyFile);
  while (!existsSync(choice.keyFile)) {
    stop.throwIfStopped();
    if (Date.now() > deadline) throw new PeerGoneError(`the key file ${choice.keyFile} never appeared: start the other side first (it creates it), with the same key file`);
    await sleep(50);
  }
  return ftok(choice.keyFile, projectId);
}

/** Signals end the loops through the same cleanup as a normal end. */
export class StopFlag {
  #signal: string | undefined;
  readonly #onSignal = (signal: string): void => {
    this.#signal = signal;
  };

  constructor() {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, this.#onSignal);
  }

  get stopped(): string | undefined {
    return this.#signal;
  }

  /**
   * A blocked semop returns EINTR when a signal arrives; the JS handler runs once the event loop
   * turns. A timer turn, not setImmediate: libuv's signal watcher is polled with the timers.
   */
  async yieldToSignals(): Promise<void> {
    await sleep(0);
  }

  throwIfStopped(): void {
    if (this.#signal) throw new StoppedError(`${this.#signal}: stopping`);
  }

  dispose(): void {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, this.#onSignal);
  }
}

export const isErrno = (error: unknown, name: 'EAGAIN' | 'EINTR' | 'EIDRM' | 'EINVAL' | 'ENOENT' | 'EEXIST'): boolean =>
  error instanceof SysvError && error.errno === constants.errno[name];

export interface LabObjects {
  readonly key: number;
  readonly shmid: number;
  readonly semid: number;
  readonly attachment: Attachment;
}

/** The owner's side: a new segment (IPC_EXCL) and a new semaphore set, both on `key`. */
export async function createLabObjects(key: number, size: number, semValues: readonly number[], mode: number, say: Narrator): Promise<LabObjects> {
  const shmid = getSegment(key, size, IPC_CREAT | IPC_EXCL | mode);
  say.call('shmget', `${hexKey(key)}, ${size}, IPC_CREAT|IPC_EXCL|0${mode.toString(8)}`, String(shmid));
  try {
    const set = await createSemaphoreSet(key, semValues, mode);
    if (!set.created) throw new PeerGoneError(`a semaphore set with key ${hexKey(key)} already exists (semid ${set.semid}): remove it with \`ipc-lab clean\``);
    say.call('semget', `${hexKey(key)}, ${semValues.length}, IPC_CREAT|IPC_EXCL|0${mode.toString(8)}`, String(set.semid), `initialised to [${semValues.join(', ')}], then a semop so sem_otime says "ready"`);
    try {
      const attachment = attach(shmid);
      return { key, shmid, semid: set.semid, attachment };
    } catch (error) {
      removeSemaphoreSet(set.semid);
      throw error;
    }
  } catch (error) {
    remove(shmid);
    throw error;
  }
}

/** The other side's: wait until both objects exist, then attach (read-only if asked). */
export async function openLabObjects(key: number, nsems: number, readOnly: boolean, deadline: number, stop: StopFlag, say: Narrator): Promise<LabObjects> {
  let announced = false;
  for (;;) {
    stop.throwIfStopped();
    try {
      const shmid = getSegment(key, 0, 0);
      const semid = getSemaphoreSet(key, nsems, 0);
      const attachment = attach(shmid, { readOnly });
      say.call('shmat', `${shmid}, NULL, ${readOnly ? 'SHM_RDONLY' : '0'}`, `0x${attachment.address.toString(16)}`, `semaphore set ${semid}`);
      return { key, shmid, semid, attachment };
    } catch (error) {
      if (!isErrno(error, 'ENOENT') && !isErrno(error, 'EIDRM') && !isErrno(error, 'EINVAL')) throw error;
    }
    if (!announced) {
      say.note(`waiting for the other side to create key ${hexKey(key)} (segment and semaphore set) ...`);
      announced = true;
    }
    if (Date.now() > deadline) throw new PeerGoneError(`nobody created the segment and semaphore set with key ${hexKey(key)} in time: start the other side (in the same IPC namespace, with the same key file)`);
    await sleep(50);
  }
}

/** How many processes have the segment attached; 0 if it is gone. */
export function attachedCount(shmid: number): number {
  try {
    return stat(shmid).nattch;
  } catch (error) {
    if (isErrno(error, 'EINVAL') || isErrno(error, 'EIDRM')) return 0;
    throw error;
  }
}

/**
 * Why nattch fell: the other side removed the objects on its way out (IPC_RMID leaves the
 * segment marked SHM_DEST, or gone), or it died without cleaning up.
 */
export function peerLeft(shmid: number): 'removed' | 'died' {
  try {
    return stat(shmid).markedForRemoval ? 'removed' : 'died';
  } catch (error) {
    if (isErrno(error, 'EINVAL') || isErrno(error, 'EIDRM')) return 'removed';
    throw error;
  }
}

/** The owner waits for the other side to attach (nattch 2). */
export async function waitForPeer(objects: LabObjects, deadline: number, stop: StopFlag, what: string, say: Narrator): Promise<void> {
  say.note(`waiting for the ${what} to attach (shm_nattch 1 -> 2) ...`);
  while (attachedCount(objects.shmid) < 2) {
    stop.throwIfStopped();
    if (Date.now() > deadline) throw new PeerGoneError(`the ${what} did not attach in time: start it in the same IPC namespace`);
    await sleep(20);
  }
}

/**
 * Whoever creates removes; a survivor whose peer died removes too, so nothing is left. IPC_RMID
 * comes before shmdt: the other side then never sees nattch fall without SHM_DEST set, and can
 * tell "it stopped and removed the ring" from "it died" (peerLeft).
 */
export function removeLabObjects(objects: LabObjects, say: Narrator): void {
  try {
    for (const [what, id, removeIt] of [['shmctl', objects.shmid, () => remove(objects.shmid)], ['semctl', objects.semid, () => removeSemaphoreSet(objects.semid)]] as const) {
      try {
        removeIt();
        say.call(what, `${id}, IPC_RMID`, '0', 'removed');
      } catch (error) {
        if (!isErrno(error, 'EINVAL') && !isErrno(error, 'EIDRM')) throw error; // already gone: the other side removed it
      }
    }
  } finally {
    objects.attachment.detach();
  }
}
