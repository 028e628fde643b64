/**
 * The System V objects a check looks for by key, in the workbench's namespace. A check owns its
 * exercise's key: it removes whatever holds it before it starts and after it ends, so a run the
 * student cut short never fails the next one.
 */
import { isErrno } from '../sysv/errors.ts';
import { getSemaphoreSet, removeSemaphoreSet } from '../sysv/sem.ts';
import { getSegment, remove, stat, type ShmStat } from '../sysv/shm.ts';

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

export const hexKey = (key: number): string => `0x${(key >>> 0).toString(16).padStart(8, '0')}`;
