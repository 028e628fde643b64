/**
 * What the POSIX lab's server and client agree on: a POSIX shared memory object named
 * /ipc-lab-message, holding exactly what the message lab's System V segment holds (the same
 * header and PI message at the same offsets, ../message/contract.ts), written and read by the
 * same codec. Only the way there differs: a name instead of ftok's key, a file under /dev/shm
 * instead of an entry in `ipcs -m`, shm_open + ftruncate + mmap instead of shmget + shmat,
 * shm_unlink instead of IPC_RMID.
 *
 * The server creates it (O_CREAT | O_EXCL, mode 0600), sizes it, writes the message, keeps it
 * until it is stopped, then munmaps and unlinks it (whoever creates removes). A client opens it
 * read-only, waits for state 2 (ready), reads, munmaps.
 */
import { DEFAULT_MODE, DEFAULT_SEGMENT_SIZE, HEADER, PI_MESSAGE } from '../message/contract.ts';
import type { Lab } from '../registry.ts';

export const POSIX_NAME = '/ipc-lab-message';
/** Every name this lab makes starts so: what `ipc-lab clean` may remove from /dev/shm, and nothing else. */
export const POSIX_NAME_PREFIX = '/ipc-lab-';
export const POSIX_SIZE = DEFAULT_SEGMENT_SIZE;
export const POSIX_MODE = DEFAULT_MODE;

export const POSIX_LAB: Lab = {
  name: 'posix',
  summary: 'the message in a POSIX shared memory object, /dev/shm/ipc-lab-message (make posix)',
  // No key: a POSIX object has a name. The project id is never used to make one.
  projectId: 0x50, // 'P'
  kind: 'posix',
  namePrefix: POSIX_NAME_PREFIX,
  // Its object holds the message lab's segment, magic and all (one codec for both).
  magic: '',
  semaphores: [],
  structs: [HEADER, PI_MESSAGE],
  layout: () => [HEADER, PI_MESSAGE],
};
