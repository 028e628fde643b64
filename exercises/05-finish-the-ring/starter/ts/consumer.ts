/**
 * Exercise 5: finish the ring (TypeScript): the consumer. Task: exercises/05-finish-the-ring/README.md
 *
 * Reads the stream the lab's ring producer (`ipc-lab ring producer`) sends through N slots in
 * shared memory, with the textbook protocol (src/labs/ring/contract.ts): for message m,
 * P(full), check slot m mod N's sequence, take its bytes, V(empty); a length of 0 ends the
 * stream. It prints the SHA-256 of everything it received, and the producer's, from the header.
 *
 * What is missing (the TODOs): the P(full) before each slot, the V(empty) after it, and the end
 * of the stream, both kinds: the producer's empty last message, and a producer that died.
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

// The ring's protocol has no SEM_UNDO: a P here is undone by the producer's V, not by the kernel.
const P_FULL: SemOp[] = [];
const V_EMPTY: SemOp[] = [];

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

/**
 * P(full): wait until a slot is filled, and take it. Return false if the producer has gone.
 * TODO 1: a P on semaphore RING_SEM.full. It must not wait forever: a producer that dies never
 * does its V. (How many processes have the segment attached? stat(shmid).nattch.)
 */
function takeFilledSlot(): boolean {
  return true;
}

const hash = createHash('sha256');
let received = 0;
let ended = false; // TODO 2 sets it
for (let m = 0; !ended; m++) {
  if (!takeFilledSlot()) {
    console.log(`consumer: the producer went away after ${received} bytes (nattch 1): the stream is incomplete`);
    segment.detach();
    process.exit(1);
  }
  const slot = ringSlotOffset(slotSize, m % slots);
  const length = view.getUint32(slot + LENGTH);
  const sequence = view.getUint32(slot + SEQUENCE);
  if (sequence !== m % 2 ** 32) throw new Error(`slot ${m % slots} holds message ${sequence}, expected ${m}`);
  // TODO 2: the end of the stream: how does the producer mark its last message? (then: ended = true)
  ended ||= false;
  hash.update(view.read(slot + RING_SLOT.size, length));
  received += length;
  // TODO 3: give the slot back to the producer: V on semaphore RING_SEM.empty.
}
const sent = Buffer.from(view.read(at('sha256'), 32)).toString('hex');
segment.detach(); // the producer removes the ring once the consumer has let go
void [semop, semTimedOp, stat, semid, RING_SEM, P_FULL, V_EMPTY]; // used once the TODOs are done
console.log(`consumer: ${received} bytes; sha256 ${hash.digest('hex')}; the producer sent sha256 ${sent}`);
