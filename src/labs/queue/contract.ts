/**
 * What the queue lab's dispatcher and workers agree on: a System V message queue on the lab's key
 * file with project id 'M', and the message they pass. A worker takes only its own message type
 * from the one queue: the kernel sorts them, by mtype, for it.
 *
 *   long mtype;                  1 or 2: which worker the job is for (the kernel reads it)
 *   struct job {                 the message's bytes, after the mtype
 *       uint32_t sequence;       the job's number among the jobs of its type: 0, 1, 2, ...
 *       uint32_t last;           1 on the end-of-work message of its type (then text is empty)
 *       char     text[24];       what to do, NUL-terminated
 *   };                           32 bytes
 *
 * The dispatcher creates the queue (IPC_CREAT | IPC_EXCL, mode 0600) and lowers its capacity,
 * msg_qbytes, to QUEUE_BYTES, so that a few unread jobs fill it: a sender then blocks until a
 * worker takes one, or, with IPC_NOWAIT, gets EAGAIN. It sends the jobs, then one last message
 * per type, and removes the queue once it is empty (whoever creates removes).
 */
import { layoutStruct } from '../../layout/c-layout.ts';
import type { Lab } from '../registry.ts';

export const QUEUE_PROJECT_ID = 0x4d; // 'M': the same key file as the other labs, another key
export const JOB = layoutStruct('job', 0, [
  { name: 'sequence', ctype: 'uint32_t' },
  { name: 'last', ctype: 'uint32_t' },
  { name: 'text', ctype: 'char', count: 24 },
]);
/** The worker types: the mtypes the dispatcher sends, one worker each. */
export const WORKER_TYPES = [1, 2] as const;
/** The queue's capacity: 8 jobs of 32 bytes. A slow worker makes it full. */
export const QUEUE_BYTES = 8 * JOB.size;
export const DEFAULT_JOBS = 20; // 10 of each type: more than the queue holds, so a slow worker fills it

export const QUEUE_LAB: Lab = {
  name: 'queue',
  summary: 'the message queue of the dispatcher and its workers (make queue)',
  projectId: QUEUE_PROJECT_ID,
  kind: 'queue',
  magic: '',
  semaphores: [],
  structs: [JOB],
  layout: () => [JOB],
};
