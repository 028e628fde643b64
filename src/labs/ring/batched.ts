/**
 * The batched ring: the slots of the textbook ring, with the two sides' positions kept in the
 * segment (`head`, `tail`) instead of counted in semaphores, so a message costs no system call
 * while both sides keep up. This is how production rings work (LMAX's Disruptor, rigtorp's
 * SPSCQueue): each side publishes its index with a release store and reads the other's with an
 * acquire load, caches what it read, and takes every message there is in one go. Only a side
 * that finds nothing to do sleeps, on a System V semaphore; the other side posts it only when its
 * `sleeping` word says so. The layout and the wake-up protocol are in ./contract.ts.
 *
 *   $ ipc-lab ring producer --design batched &  ipc-lab ring consumer --design batched
 *
 * Where a message of the textbook ring makes two semops (four kernel crossings when each wakes
 * the other), a batch here makes none, or two when a side had to sleep; the benchmark counts.
 */
import { availableParallelism } from 'node:os';
import { fieldOf } from '../../layout/c-layout.ts';
import { prepareOps, type PreparedOps } from '../../sysv/sem.ts';
import type { SegmentView } from '../../sysv/segment-view.ts';
import { attachedCount, type LabObjects } from '../common/two-party.ts';
import { BATCHED_SEM, batchedSlotOffset, RING_CONSUMER, RING_PRODUCER, RING_SLOT } from './contract.ts';
import type { Stream } from './stream.ts';

const HEAD = fieldOf(RING_PRODUCER, 'head').offset;
const PRODUCER_SLEEPING = fieldOf(RING_PRODUCER, 'sleeping').offset;
const TAIL = fieldOf(RING_CONSUMER, 'tail').offset;
const CONSUMER_SLEEPING = fieldOf(RING_CONSUMER, 'sleeping').offset;
const SLOT = {
  length: fieldOf(RING_SLOT, 'length').offset,
  sequence: fieldOf(RING_SLOT, 'sequence').offset,
  data: fieldOf(RING_SLOT, 'data').offset,
};

const P_DATA = prepareOps([{ num: BATCHED_SEM.data, op: -1 }]);
const V_DATA = prepareOps([{ num: BATCHED_SEM.data, op: +1 }]);
const P_SPACE = prepareOps([{ num: BATCHED_SEM.space, op: -1 }]);
const V_SPACE = prepareOps([{ num: BATCHED_SEM.space, op: +1 }]);

/**
 * How long a side that finds nothing to do looks again before it sleeps: about the time another
 * CPU takes to copy a 64 KiB message, so a side that keeps up never sleeps. Only with a CPU of its
 * own: on a shared one (taskset -c 0), spinning would only keep the other side from running.
 */
const SPIN_NS = availableParallelism() > 1 ? 50_000 : 0;

/**
 * Waits until `ready(index)` holds for the other side's index at `at`, spinning first, then
 * sleeping on `sleep` with this side's `sleeping` word set. Returns the index it last read.
 */
async function waitFor(
  view: SegmentView,
  at: number,
  ready: (index: number) => boolean,
  sleepingAt: number,
  sleep: PreparedOps,
  stream: Stream,
): Promise<number> {
  if (SPIN_NS > 0) {
    const until = performance.now() + SPIN_NS / 1e6;
    for (let i = 0; ; i++) {
      const index = view.atomicLoad32(at);
      if (ready(index)) return index;
      if ((i & 63) === 63 && performance.now() > until) break;
    }
  }
  // Sleeping is announced before the last look (a sequentially consistent store, then a load):
  // the other side's store of its index, then its load of our word, cannot both miss.
  view.atomicStore32(sleepingAt, 1);
  try {
    for (;;) {
      const index = view.atomicLoad32(at);
      if (ready(index)) return index;
      await stream.nap(sleep); // woken, or 100 ms later: look again either way
    }
  } finally {
    view.atomicStore32(sleepingAt, 0);
  }
}

/** Posts `wake` if the other side said it sleeps: the only system call of a message, and rare. */
function wakeIfSleeping(view: SegmentView, sleepingAt: number, wake: PreparedOps, stream: Stream): void {
  if (view.atomicLoad32(sleepingAt) === 1) stream.release(wake);
}

/**
 * The producer: for each chunk, a free slot (head - tail < N, from the cached tail, refreshed
 * only when the ring looks full), the slot written, head published, the consumer woken if it
 * sleeps. The end of the stream is a slot of length 0, as in the textbook ring.
 */
export async function produceBatched(
  objects: LabObjects,
  source: Iterable<Uint8Array>,
  slots: number,
  slotSize: number,
  stream: Stream,
): Promise<{ sent: number; messages: number }> {
  const view = objects.attachment.view;
  let head = 0;
  let tail = 0;
  let sent = 0;
  const hasSpace = (t: number): boolean => (head - t) >>> 0 < slots;
  const put = async (chunk: Uint8Array | undefined): Promise<void> => {
    if (!hasSpace(tail)) tail = await waitFor(view, TAIL, hasSpace, PRODUCER_SLEEPING, P_SPACE, stream);
    const slot = batchedSlotOffset(slotSize, head % slots);
    if (chunk) view.write(slot + SLOT.data, chunk);
    view.setUint32(slot + SLOT.sequence, head);
    view.setUint32(slot + SLOT.length, chunk ? chunk.byteLength : 0);
    if (chunk) stream.hash?.update(chunk);
    head = (head + 1) >>> 0;
    view.atomicStore32(HEAD, head); // release: the slot's bytes are visible before the new head
    wakeIfSleeping(view, CONSUMER_SLEEPING, V_DATA, stream);
    if (stream.due()) await stream.tick();
  };
  for (const chunk of source) {
    if (chunk.byteLength === 0) continue; // length 0 is reserved for the end of stream
    await put(chunk);
    sent += chunk.byteLength;
  }
  stream.finish(sent);
  await put(undefined);
  return { sent, messages: head - 1 };
}

/**
 * The consumer: every message published since it last looked, in one go (head from one acquire
 * load), each copied out and then its slot handed back (tail published), the producer woken if
 * it sleeps for space.
 */
export async function consumeBatched(
  objects: LabObjects,
  slots: number,
  slotSize: number,
  stream: Stream,
  take: (data: Uint8Array) => void,
): Promise<{ received: number; messages: number }> {
  const view = objects.attachment.view;
  const buffer = Buffer.alloc(slotSize); // reused: no allocation per message
  let tail = 0;
  let head = 0;
  let received = 0;
  const hasData = (h: number): boolean => h !== tail;
  for (;;) {
    if (!hasData(head)) head = await waitFor(view, HEAD, hasData, CONSUMER_SLEEPING, P_DATA, stream);
    while (tail !== head) {
      const slot = batchedSlotOffset(slotSize, tail % slots);
      const length = stream.checkSlot(slot + SLOT.length, slot + SLOT.sequence, tail, tail % slots, slotSize);
      if (length === 0) {
        view.atomicStore32(TAIL, (tail + 1) >>> 0);
        return { received, messages: tail };
      }
      const data = buffer.subarray(0, length);
      view.readInto(slot + SLOT.data, data); // one copy out of the mapping
      tail = (tail + 1) >>> 0;
      view.atomicStore32(TAIL, tail); // release: the slot is free once its bytes are copied out
      // A producer that sleeps for space is woken once half the ring is free, not for every slot:
      // woken for one, it would fill it and sleep again, a wake-up per message.
      if ((head - tail) >>> 0 <= slots >>> 1) wakeIfSleeping(view, PRODUCER_SLEEPING, V_SPACE, stream);
      take(data);
      received += length;
    }
    if (stream.due()) await stream.tick();
    if (attachedCount(objects.shmid) < 2 && view.atomicLoad32(HEAD) === tail) stream.peerGone();
  }
}
