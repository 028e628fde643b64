/**
 * Exercise 3: make the lock (TypeScript): the writer. Task: exercises/03-make-the-lock/README.md
 *
 * Makes the record (the race lab's: "IPCR" and 63 sequence numbers) and a one-semaphore set
 * with the value 1, then rewrites the record over and over, the same number into every field,
 * one field at a time. On SIGTERM it removes both.
 *
 * Nothing stops a reader from copying the record while this writer is half-way through it:
 * the lock is missing. Add it: P before each record, V after (see the TODOs).
 */
import { setTimeout as yieldToSignals } from 'node:timers/promises';
import { fieldOf } from '#lab/layout/c-layout.ts';
import { RACE_FIELDS, RACE_MAGIC, RACE_RECORD } from '#lab/labs/race/contract.ts';
import { createSemaphoreSet, removeSemaphoreSet, SEM_UNDO, semop, type SemOp } from '#lab/sysv/sem.ts';
import { attach, ftok, getSegment, IPC_CREAT, IPC_EXCL, remove } from '#lab/sysv/shm.ts';

const PROJECT_ID = 0x33; // exercise 3's key: ftok(the lab's key file, '3')
const LOCK = 0; // the set's one semaphore: 1 free, 0 taken

// TODO 1: the two operations on semaphore LOCK: P takes it (-1, waits while it is 0), V gives
// it back (+1). Which flag makes the kernel give it back when this process dies holding it?
const P: SemOp[] = [];
const V: SemOp[] = [];

const key = ftok(process.env.IPC_LAB_KEY_FILE ?? '/var/lib/ipc-lab/ftok.key', PROJECT_ID);
const shmid = getSegment(key, RACE_RECORD.size, IPC_CREAT | IPC_EXCL | 0o600);
const { semid } = await createSemaphoreSet(key, [1]);
const segment = attach(shmid);
const view = segment.view;
const seq = fieldOf(RACE_RECORD, 'seq').offset;
view.write(0, Buffer.from(RACE_MAGIC, 'latin1'));
console.log(`writer: segment ${shmid}, semaphore set ${semid}: rewriting the record, (TODO: inside the lock)`);

let stopping = false;
process.once('SIGTERM', () => {
  stopping = true;
});

for (let n = 1; !stopping; n++) {
  // TODO 2: take the lock before rewriting the record and give it back after.
  for (let i = 0; i < RACE_FIELDS; i++) view.setUint32(seq + 4 * i, n);
  if (n % 1000 === 0) await yieldToSignals(0); // a timer turn: where Node runs a signal's handler
}
segment.detach();
remove(shmid);
removeSemaphoreSet(semid);
console.log('writer: removed the segment and the semaphore set');
void [semop, SEM_UNDO, LOCK, P, V]; // used once the TODOs are done
