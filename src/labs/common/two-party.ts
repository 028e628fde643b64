/**
 * What both synchronisation labs (race, ring) share: one skeleton, runTwoParty, that makes the
 * lab's key, has the owner create the segment and the semaphore set and the other side wait for
 * them, runs the side's work, and cleans up the same way however it ends: a normal end, an
 * error, a killed peer or a signal (SIGINT, SIGTERM, SIGHUP).
 *
 * The other side's presence is read from shm_nattch. The two sides may sit in different
 * containers, in different PID namespaces, where neither can see the other's pid; but both see
 * the segment, and the kernel detaches a process that dies however it dies. nattch dropping to
 * 1 is "the other side is gone"; SHM_DEST set or not says whether it removed the objects on its
 * way out or died without cleaning up.
 */
import { existsSync } from 'node:fs';
import { LabError, StoppedError } from '../../core/errors.ts';
import { watchShutdown, type Shutdown } from '../../core/signals.ts';
import { waitFor } from '../../core/wait.ts';
import { isErrno } from '../../sysv/errors.ts';
import { hexAddress, hexKey, octalMode } from '../../sysv/ipc-format.ts';
import { createSemaphoreSet, getSemaphoreSet, removeSemaphoreSet } from '../../sysv/sem.ts';
import { attach, ftok, getSegment, IPC_CREAT, IPC_EXCL, remove, stat, type Attachment } from '../../sysv/shm.ts';
import type { Narrator } from '../../text/narrate.ts';
import { ensureKeyFile, type KeyChoice } from './key.ts';

/** Mode of the objects the two-party labs make: the owner's uid only, as the message lab's default. */
export const OWNER_ONLY = 0o600;

/** The other side went away, removed the objects, or never came. */
export class PeerGoneError extends LabError {
  override readonly name = 'PeerGoneError';

  constructor(message: string) {
    super('failed', message);
  }
}

export interface LabObjects {
  readonly key: number;
  readonly shmid: number;
  readonly semid: number;
  readonly attachment: Attachment;
}

/**
 * The lab's key: the explicit --key, or ftok on the shared key file with the lab's project id.
 * The creator makes the key file; the other side waits for it (bounded), since on a fresh
 * volume it may start first.
 */
export async function labKey(choice: KeyChoice, create: boolean, deadline: number, stop: Shutdown): Promise<number> {
  if (choice.key !== undefined) return choice.key;
  if (create) ensureKeyFile(choice.keyFile);
  const found = await waitFor(() => (existsSync(choice.keyFile) ? true : undefined), { deadline, stop });
  if ('timedOut' in found)
    throw new PeerGoneError(
      `the key file ${choice.keyFile} never appeared: start the other side first (it creates it), with the same key file`,
    );
  return ftok(choice.keyFile, choice.projectId);
}

/** The owner's side: a new segment (IPC_EXCL) and a new semaphore set, both on `key`. */
export async function createLabObjects(
  key: number,
  size: number,
  semValues: readonly number[],
  mode: number,
  say: Narrator,
): Promise<LabObjects> {
  const shmid = getSegment(key, size, IPC_CREAT | IPC_EXCL | mode);
  say.call('shmget', `${hexKey(key)}, ${size}, IPC_CREAT|IPC_EXCL|${octalMode(mode)}`, String(shmid));
  try {
    const set = await createSemaphoreSet(key, semValues, mode);
    if (!set.created)
      throw new PeerGoneError(
        `a semaphore set with key ${hexKey(key)} already exists (semid ${set.semid}): remove it with \`ipc-lab clean\``,
      );
    say.call(
      'semget',
      `${hexKey(key)}, ${semValues.length}, IPC_CREAT|IPC_EXCL|${octalMode(mode)}`,
      String(set.semid),
      `initialised to [${semValues.join(', ')}], then a semop so sem_otime says "ready"`,
    );
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
export async function openLabObjects(
  key: number,
  nsems: number,
  readOnly: boolean,
  deadline: number,
  stop: Shutdown,
  say: Narrator,
): Promise<LabObjects> {
  const opened = await waitFor(
    (): LabObjects | undefined => {
      try {
        const shmid = getSegment(key, 0, 0);
        const semid = getSemaphoreSet(key, nsems, 0);
        const attachment = attach(shmid, { readOnly });
        say.call('shmat', `${shmid}, NULL, ${readOnly ? 'SHM_RDONLY' : '0'}`, hexAddress(attachment.address), `semaphore set ${semid}`);
        return { key, shmid, semid, attachment };
      } catch (error) {
        if (isErrno(error, 'absent')) return undefined;
        throw error;
      }
    },
    { deadline, stop, onWait: () => say.note(`waiting for the other side to create key ${hexKey(key)} (segment and semaphore set) ...`) },
  );
  if ('timedOut' in opened)
    throw new PeerGoneError(
      `nobody created the segment and semaphore set with key ${hexKey(key)} in time: start the other side (in the same IPC namespace, ` +
        `with the same key file)`,
    );
  return opened.value;
}

/** How many processes have the segment attached; 0 if it is gone. */
export function attachedCount(shmid: number): number {
  try {
    return stat(shmid).nattch;
  } catch (error) {
    if (isErrno(error, 'gone')) return 0;
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
    if (isErrno(error, 'gone')) return 'removed';
    throw error;
  }
}

/** The owner waits for the other side to attach (nattch 2). */
export async function waitForPeer(objects: LabObjects, deadline: number, stop: Shutdown, what: string, say: Narrator): Promise<void> {
  say.note(`waiting for the ${what} to attach (shm_nattch 1 -> 2) ...`);
  const attached = await waitFor(() => (attachedCount(objects.shmid) >= 2 ? true : undefined), { deadline, stop, every: 20 });
  if ('timedOut' in attached) throw new PeerGoneError(`the ${what} did not attach in time: start it in the same IPC namespace`);
}

/**
 * Whoever creates removes; a survivor whose peer died removes too, so nothing is left. IPC_RMID
 * comes before shmdt: the other side then never sees nattch fall without SHM_DEST set, and can
 * tell "it stopped and removed the ring" from "it died" (peerLeft).
 */
export function removeLabObjects(objects: LabObjects, say: Narrator): void {
  try {
    for (const [what, id, removeIt] of [
      ['shmctl', objects.shmid, () => remove(objects.shmid)],
      ['semctl', objects.semid, () => removeSemaphoreSet(objects.semid)],
    ] as const) {
      try {
        removeIt();
        say.call(what, `${id}, IPC_RMID`, '0', 'removed');
      } catch (error) {
        if (!isErrno(error, 'gone')) throw error; // already gone: the other side removed it
      }
    }
  } finally {
    objects.attachment.detach();
  }
}

/** One side of a two-party lab, as runTwoParty runs it. */
export interface TwoPartySide<Role extends string> {
  /** The lab's name, for the first line: "race writer (pid 7), key 0x52...". */
  readonly lab: string;
  readonly role: Role;
  /** The role that creates the segment and the set, and removes them. */
  readonly owner: Role;
  readonly choice: KeyChoice;
  /** How long to wait for the other side (seconds). */
  readonly timeoutSeconds: number;
  /** More of the first line, e.g. ", UNSAFE: no lock". */
  readonly title?: string;
  /** The owner makes the objects. */
  create(key: number): Promise<LabObjects>;
  /** The other side opens them, waiting until they exist. */
  open(key: number, deadline: number, stop: Shutdown): Promise<LabObjects>;
  /** The side's work; its exit code. */
  work(objects: LabObjects, stop: Shutdown, deadline: number): Promise<number>;
  /** A signal ended the work: what to say, and the exit code. */
  stopped(error: StoppedError): number;
}

export async function runTwoParty<Role extends string>(side: TwoPartySide<Role>, say: Narrator): Promise<number> {
  const deadline = Date.now() + side.timeoutSeconds * 1000;
  const stop = watchShutdown();
  const owner = side.role === side.owner;
  let objects: LabObjects | undefined;
  try {
    const key = await labKey(side.choice, owner, deadline, stop);
    say.step(`${side.lab} ${side.role} (pid ${process.pid}), key ${hexKey(key)}${side.title ?? ''}`);
    objects = owner ? await side.create(key) : await side.open(key, deadline, stop);
    return await side.work(objects, stop, deadline);
  } catch (error) {
    if (error instanceof StoppedError) return side.stopped(error);
    throw error;
  } finally {
    stop.dispose();
    if (objects) {
      // Whoever creates removes; a survivor whose peer died (nattch 1: only this process, no
      // SHM_DEST) removes what the peer left, so a SIGKILL leaves nothing behind.
      if (owner || (attachedCount(objects.shmid) === 1 && peerLeft(objects.shmid) === 'died')) removeLabObjects(objects, say);
      else objects.attachment.detach();
    }
  }
}
