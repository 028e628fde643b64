/**
 * Exercise 5: finish the ring (TypeScript), the reference consumer.
 *
 * Reads the stream the lab's ring producer (`ipc-lab ring producer`) sends through N slots in
 * shared memory, with the textbook protocol (src/labs/ring/contract.ts): for message m,
 * P(full), check slot m mod N's sequence, take its bytes, V(empty); a length of 0 ends the
 * stream. It prints the SHA-256 of everything it received, and the producer's, from the header.
 *
 * No process can wait on "the producer died": a P(full) would wait forever for a V that never
 * comes. So each P waits at most 100 ms (semtimedop), and between tries the consumer asks the
 * kernel how many processes still have the segment attached: below 2, the producer is gone.
 */
import { createHash } from 'node:crypto';
import { waitFor } from '#lab/core/wait.ts';
import { fieldOf } from '#lab/layout/c-layout.ts';
import { RING_HEADER, RING_MAGIC, RING_SEM, RING_SLOT, ringSlotOffset } from '#lab/labs/ring/contract.ts';
import { isErrno } from '#lab/sysv/errors.ts';
import { getSemaphoreSet, semop, semTimedOp, type SemOp } from '#lab/sysv/sem.ts';
import { attach, ftok, getSegment, stat } from '#lab/sysv/shm.ts';

const PROJECT_ID = 0x35; // exercise 5's key: ftok(the lab's key file, '5'); the check starts the producer with it
const key = ftok(process.env.IPC_LAB_KEY_FILE ?? '/var/lib/ipc-lab/ftok.key', PROJECT_ID);
const at = (name: string): number => fieldOf(RING_HEADER, name).offset;
const LENGTH = fieldOf(RING_SLOT, 'length').offset;
const SEQUENCE = fieldOf(RING_SLOT, 'sequence').offset;

const P_FULL: SemOp[] = [{ num: RING_SEM.full, op: -1, flags: 0 }];
const V_EMPTY: SemOp[] = [{ num: RING_SEM.empty, op: +1, flags: 0 }];

// Open the producer's segment and set (it made both), and wait for its header's magic.
const found = await waitFor(
  () => {
    try {
      return { shmid: getSegment(key, 0, 0), semid: getSemaphoreSet(key, 0, 0) };
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw error;
    }
  },
  { deadline: Date.now() + 30_000 },
);
if ('timedOut' in found) throw new Error('no ring producer made its segment in 30 s');
const { shmid, semid } = found.value;
const segment = attach(shmid, { readOnly: true });
const view = segment.view;
const magic = Buffer.from(RING_MAGIC, 'latin1').readInt32LE(0);
await waitFor(() => (view.atomicLoad32(at('magic')) === magic ? true : undefined), { deadline: Date.now() + 30_000, every: 10 });
const slots = view.getUint32(at('slots'));
const slotSize = view.getUint32(at('slot_size'));
console.log(`consumer: ${slots} slots of ${slotSize} bytes`);

/** P(full), a bounded wait at a time; false once the producer has gone (nattch below 2). */
function takeFilledSlot(): boolean {
  for (;;) {
    try {
      semTimedOp(semid, P_FULL, 100);
      return true;
    } catch (error) {
      if (!isErrno(error, 'EAGAIN', 'EINTR')) throw error;
    }
    if (stat(shmid).nattch < 2) return false;
  }
}

const hash = createHash('sha256');
let received = 0;
for (let m = 0; ; m++) {
  if (!takeFilledSlot()) {
    console.log(`consumer: the producer went away after ${received} bytes (nattch 1): the stream is incomplete`);
    segment.detach();
    process.exit(1);
  }
  const slot = ringSlotOffset(slotSize, m % slots);
  const length = view.getUint32(slot + LENGTH);
  const sequence = view.getUint32(slot + SEQUENCE);
  if (sequence !== m % 2 ** 32) throw new Error(`slot ${m % slots} holds message ${sequence}, expected ${m}`);
  if (length === 0) break; // the end of the stream: the producer's last message is empty
  hash.update(view.read(slot + RING_SLOT.size, length));
  received += length;
  semop(semid, V_EMPTY);
}
const sent = Buffer.from(view.read(at('sha256'), 32)).toString('hex');
segment.detach(); // the producer removes the ring once the consumer has let go
console.log(`consumer: ${received} bytes; sha256 ${hash.digest('hex')}; the producer sent sha256 ${sent}`);
