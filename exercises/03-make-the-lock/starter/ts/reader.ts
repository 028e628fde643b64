/**
 * Exercise 3: make the lock (TypeScript): the reader. Task: exercises/03-make-the-lock/README.md
 *
 * Copies the writer's record again and again for --seconds (2 by default), each copy under the
 * lock, and counts the copies whose 63 numbers are not all the same: torn reads, a record the
 * writer was half-way through. With the lock on both sides there are none; this reader does not
 * take it yet (see the TODOs).
 *
 *   reads 48211, torn 0
 */
import { fieldOf } from '#lab/layout/c-layout.ts';
import { RACE_FIELDS, RACE_RECORD } from '#lab/labs/race/contract.ts';
import { getSemaphoreSet, SEM_UNDO, semop, type SemOp } from '#lab/sysv/sem.ts';
import { attach, ftok, getSegment } from '#lab/sysv/shm.ts';

const PROJECT_ID = 0x33; // exercise 3's key: the writer's
const LOCK = 0;

// TODO 1: P and V on semaphore LOCK, as in the writer.
const P: SemOp[] = [];
const V: SemOp[] = [];

const seconds = Number(process.argv.find((a) => a.startsWith('--seconds='))?.slice('--seconds='.length) ?? 2);
const key = ftok(process.env.IPC_LAB_KEY_FILE ?? '/var/lib/ipc-lab/ftok.key', PROJECT_ID);
const shmid = getSegment(key, 0, 0);
const semid = getSemaphoreSet(key, 0, 0);
const segment = attach(shmid, { readOnly: true });
const seq = fieldOf(RACE_RECORD, 'seq').offset;
const copy = new Uint8Array(RACE_RECORD.size);
const fields = new DataView(copy.buffer);

let reads = 0;
let torn = 0;
const until = Date.now() + seconds * 1000;
while (Date.now() < until) {
  // TODO 2: copy the record inside the lock: the copy is the critical section, the check is not.
  segment.view.readInto(0, copy);
  reads++;
  const first = fields.getUint32(seq, true);
  for (let i = 1; i < RACE_FIELDS; i++) {
    if (fields.getUint32(seq + 4 * i, true) !== first) {
      torn++;
      break;
    }
  }
}
segment.detach();
console.log(`reads ${reads}, torn ${torn}`);
void [semop, SEM_UNDO, LOCK, semid, P, V]; // used once the TODOs are done
