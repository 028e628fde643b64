/**
 * The System V objects a check looks for by key, in the workbench's namespace. A check owns its
 * exercise's key: it removes whatever holds it before it starts and after it ends, so a run the
 * student cut short never fails the next one.
 */
import { isErrno } from '../sysv/errors.ts';
import { getSemaphoreSet, removeSemaphoreSet } from '../sysv/sem.ts';
import { waitFor } from '../core/wait.ts';
import { STATE_OFFSET } from '../labs/message/codec.ts';
import { State } from '../labs/message/contract.ts';
import { attach, getSegment, remove, stat, type ShmStat } from '../sysv/shm.ts';

/** The id `get` returns, or undefined where nothing holds the key. */
export function idOf(get: () => number): number | undefined {
  try {
    return get();
  } catch (error) {
    if (isErrno(error, 'ENOENT', 'EIDRM')) return undefined;
    throw error;
  }
}

export function segmentWithKey(key: number): { shmid: number; stat: ShmStat } | undefined {
  const shmid = idOf(() => getSegment(key, 0, 0));
  if (shmid === undefined) return undefined;
  try {
    return { shmid, stat: stat(shmid) };
  } catch (error) {
    if (isErrno(error, 'EINVAL', 'EIDRM')) return undefined;
    throw error;
  }
}

export function semaphoreSetWithKey(key: number): number | undefined {
  return idOf(() => getSemaphoreSet(key, 0, 0));
}

/** The segment and the set with this key, removed where there are any. */
export function removeLeftovers(key: number): void {
  const segment = segmentWithKey(key);
  if (segment) remove(segment.shmid);
  const semid = semaphoreSetWithKey(key);
  if (semid !== undefined) removeSemaphoreSet(semid);
}

/**
 * A message segment with this key that a live server has attached (nattch above 0: a segment an
 * earlier run left is not this run's) and whose header says ready, waited for up to `seconds`.
 */
export async function readyServerSegment(key: number, seconds: number): Promise<{ shmid: number; stat: ShmStat } | undefined> {
  const found = await waitFor(
    () => {
      const segment = segmentWithKey(key);
      if (!segment || segment.stat.nattch === 0) return undefined;
      const view = attach(segment.shmid, { readOnly: true });
      const state = view.view.getUint32(STATE_OFFSET);
      view.detach();
      return state === State.ready ? segment : undefined;
    },
    { deadline: Date.now() + seconds * 1000, every: 100 },
  );
  return 'timedOut' in found ? undefined : found.value;
}

export const hexKey = (key: number): string => `0x${(key >>> 0).toString(16).padStart(8, '0')}`;
