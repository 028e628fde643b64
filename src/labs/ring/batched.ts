/**
 * The batched ring: the textbook ring's messages, with the two sides' positions kept in the
 * segment (`head`, `tail`) instead of counted in semaphores, so a message costs no system call
 * while both sides keep up. This is how production rings work (LMAX's Disruptor, rigtorp's
 * SPSCQueue): each side publishes its index with a release store and reads the other's with an
 * acquire load, caches what it read, and takes every message there is in one go. Only a side
 * that finds nothing to do sleeps, on a System V semaphore; the other side posts it only when its
 * `sleeps` word says it sleeps. The slots' headers sit apart from their data, so a run of slots
 * is one copy in and one copy out. The layout and the wake-up protocol are in ./contract.ts.
 *
 *   $ ipc-lab ring producer --design batched &  ipc-lab ring consumer --design batched
 *
 * Where a message of the textbook ring makes two semops (four kernel crossings when each wakes
 * the other) and two copies, a batch here makes none, or two when a side had to sleep, and a
 * copy each side for up to 16 messages; the benchmark counts.
 */
import { performance } from 'node:perf_hooks';
import { fieldOf } from '../../layout/c-layout.ts';
import { prepareOps, type PreparedOps } from '../../sysv/sem.ts';
import type { AtomicWord, SegmentView } from '../../sysv/segment-view.ts';
import type { LabObjects } from '../common/two-party.ts';
import {
  BATCHED_SEM,
  BATCHED_SLOT,
  batchedDataOffset,
  batchedSlotOffset,
  CONSUMER_SLEEPS as CONSUMER_SLEEPS_LINE,
  PRODUCER_SLEEPS as PRODUCER_SLEEPS_LINE,
  RING_CONSUMER,
  RING_PRODUCER,
} from './contract.ts';
import type { Source } from './source.ts';
import type { Stream } from './stream.ts';

const HEAD = fieldOf(RING_PRODUCER, 'head').offset;
const PRODUCER_SLEEPS = fieldOf(PRODUCER_SLEEPS_LINE, 'sleeps').offset;
const TAIL = fieldOf(RING_CONSUMER, 'tail').offset;
const CONSUMER_SLEEPS = fieldOf(CONSUMER_SLEEPS_LINE, 'sleeps').offset;
/** A slot header's words: length, then sequence (struct batched_slot): slot i's are words 2i and 2i + 1. */
const SLOT_WORDS = BATCHED_SLOT.size / 4;
const LENGTH = fieldOf(BATCHED_SLOT, 'length').offset / 4;
const SEQUENCE = fieldOf(BATCHED_SLOT, 'sequence').offset / 4;

const P_DATA = prepareOps([{ num: BATCHED_SEM.data, op: -1 }]);
const V_DATA = prepareOps([{ num: BATCHED_SEM.data, op: +1 }]);
const P_SPACE = prepareOps([{ num: BATCHED_SEM.space, op: -1 }]);
const V_SPACE = prepareOps([{ num: BATCHED_SEM.space, op: +1 }]);

/** The batched ring's slot headers, data and words, each bounds-checked once, here. */
function ringOf(view: SegmentView, slots: number, slotSize: number) {
  return {
    headers: view.words(batchedSlotOffset(0), slots * SLOT_WORDS),
    data: view.area(batchedDataOffset(slots), slots, slotSize),
    head: view.atomicWord(HEAD),
    tail: view.atomicWord(TAIL),
    producerSleeps: view.atomicWord(PRODUCER_SLEEPS),
    consumerSleeps: view.atomicWord(CONSUMER_SLEEPS),
  };
}

/**
 * How long a side that finds nothing to do looks again before it sleeps, adapted as it goes:
 * between 1 us and 50 us (about the time another CPU takes to copy a 64 KiB message), doubled
 * each time a spin saw the other side move, halved each time it did not. With the other side on
 * a CPU of its own, spinning mostly succeeds and a side that keeps up never sleeps; on a shared
 * CPU (taskset -c 0) the other side cannot run while this one spins, so the spins shrink to
 * 1 us, and a wait costs a sleep, as it must. (Adaptive mutexes in glibc do much the same.)
 */
const SPIN_MIN_MS = 0.001;
const SPIN_MAX_MS = 0.05;

class Spinner {
  #budgetMs = SPIN_MAX_MS;

  /** The other side's index once `ready` holds, or undefined after the budget: synchronous, no promise. */
  spin(index: AtomicWord, ready: (index: number) => boolean): number | undefined {
    const until = performance.now() + this.#budgetMs;
    for (let i = 1; ; i++) {
      const seen = index.load();
      if (ready(seen)) {
        this.#budgetMs = Math.min(SPIN_MAX_MS, this.#budgetMs * 2);
        return seen;
      }
      if ((i & 15) === 0 && performance.now() > until) {
        this.#budgetMs = Math.max(SPIN_MIN_MS, this.#budgetMs / 2);
        return undefined;
      }
    }
  }
}

/**
 * Sleeps on `sleep` until `ready` holds for the other side's index, this side's `sleeps` word odd
 * meanwhile. Returns the index it last read.
 */
async function sleepUntil(
  index: AtomicWord,
  ready: (index: number) => boolean,
  sleeps: AtomicWord,
  sleep: PreparedOps,
  stream: Stream,
): Promise<number> {
  // Going to sleep is announced before the last look (a sequentially consistent store, then a
  // load): the other side's store of its index, then its load of our word, cannot both miss.
  const awake = sleeps.load(); // our own word: even, as we are awake
  sleeps.store(awake + 1); // odd: asleep
  try {
    for (;;) {
      const seen = index.load();
      if (ready(seen)) return seen;
      await stream.nap(sleep); // woken, or 100 ms later: look again either way
    }
  } finally {
    sleeps.store(awake + 2); // even: awake
  }
}

/**
 * Posts `wake` once for each time the other side went to sleep (its `sleeps` odd and new): the
 * only system call of a message, and rare. Posting on every message while it sleeps would be a
 * semop a message again, since a woken side may not run before many messages have gone by.
 */
class Waker {
  #posted = 0; // the other side's odd `sleeps` this side last posted for

  constructor(
    private readonly sleeps: AtomicWord,
    private readonly wake: PreparedOps,
    private readonly stream: Stream,
  ) {}

  wakeIfAsleep(): void {
    const sleeps = this.sleeps.load();
    if ((sleeps & 1) === 0 || sleeps === this.#posted) return;
    this.#posted = sleeps;
    this.stream.release(this.wake);
  }

  #episode = 0; // the other side's odd `sleeps` this side last saw
  #sleptAt = 0; // the other side's index when it went to sleep

  /**
   * The producer's waker: posts a sleeping consumer once `enough` messages wait for it (half
   * the ring), or at once when `now` (the end of the stream). Woken for each message, a consumer
   * on the producer's CPU preempts it, takes that one message and sleeps again: two context
   * switches a message. A producer that is about to sleep itself has filled the ring, so it has
   * posted; a producer slowed by its source leaves the consumer to its 100 ms nap at worst.
   */
  wakeIfAsleepFor(head: number, index: AtomicWord, enough: number, now: boolean): void {
    const sleeps = this.sleeps.load();
    if ((sleeps & 1) === 0 || sleeps === this.#posted) return;
    if (sleeps !== this.#episode) {
      this.#episode = sleeps;
      this.#sleptAt = index.load(); // the consumer's tail: it takes nothing while it sleeps
    }
    if (!now && (head - this.#sleptAt) >>> 0 < enough) return;
    this.#posted = sleeps;
    this.stream.release(this.wake);
  }
}

/** How many messages between two looks at the clock (Stream.due): a look costs more than a message. */
const CLOCK_EVERY = 64;

/**
 * How many messages a side writes (or takes) before it publishes its index: a quarter of the
 * ring, at most 16. A release store, and the look at the other side's `sleeps` that follows it,
 * cost more than a small message's copy when made for each (LMAX's Disruptor publishes a batch
 * the same way); a quarter leaves the other side three quarters of the ring to work on meanwhile.
 */
export function publishEvery(slots: number): number {
  return Math.max(1, Math.min(16, slots >>> 2));
}

/**
 * The producer: free slots (head - tail < N, from the cached tail, refreshed only when the ring
 * looks full), up to publishEvery of them, filled straight from the source in runs that stop at
 * the ring's end (one copy a run), head published once for the batch, and the consumer woken if
 * it sleeps. The end of the stream is a slot of length 0, as in the textbook ring. It awaits only
 * to sleep and for its turn of the event loop, never per message: a spin is synchronous.
 */
export async function produceBatched(
  objects: LabObjects,
  next: Source,
  slots: number,
  slotSize: number,
  stream: Stream,
): Promise<{ sent: number; messages: number }> {
  const ring = ringOf(objects.attachment.view, slots, slotSize);
  const consumer = new Waker(ring.consumerSleeps, V_DATA, stream);
  const spinner = new Spinner();
  const batch = publishEvery(slots);
  // Where the segment says the two sides are: 0 and 0 in a new one (a test starts them near 2^32).
  let head = ring.head.load(); // messages published, mod 2^32, as the segment holds it
  let tail = ring.tail.load();
  let slot = head % slots; // where message `head` goes: counted on apart, see below
  let messages = 0;
  let sent = 0;
  let sinceLook = 0; // messages since the last look at the clock
  const half = Math.max(1, slots >>> 1);
  const hasSpace = (t: number): boolean => (head - t) >>> 0 < slots;
  for (;;) {
    if (!hasSpace(tail)) {
      tail = ring.tail.load();
      if (!hasSpace(tail))
        tail = spinner.spin(ring.tail, hasSpace) ?? (await sleepUntil(ring.tail, hasSpace, ring.producerSleeps, P_SPACE, stream));
    }
    let room = Math.min(slots - ((head - tail) >>> 0), batch);
    let ended = false;
    while (room > 0) {
      const chunk = next(Math.min(room, slots - slot) * slotSize); // as far as the ring's end
      if (chunk === undefined) {
        stream.finish(sent); // total and SHA-256 in the header before the last slot
        ring.headers.set(slot * SLOT_WORDS + SEQUENCE, head);
        ring.headers.set(slot * SLOT_WORDS + LENGTH, 0);
        head = (head + 1) >>> 0;
        ended = true;
        break;
      }
      const bytes = chunk.length;
      ring.data.copyIn(slot, chunk); // the run's data: one copy
      // Its headers: full slots, and the last as long as what is left of the chunk.
      const count = Math.ceil(bytes / slotSize);
      for (let k = 0, w = slot * SLOT_WORDS; k < count; k++, w += SLOT_WORDS) {
        ring.headers.set(w + SEQUENCE, head + k);
        ring.headers.set(w + LENGTH, k < count - 1 ? slotSize : bytes - k * slotSize);
      }
      head = (head + count) >>> 0;
      // Slot head % N would be wrong once head wraps at 2^32 (unless N divides 2^32): the next
      // slot is counted on from this one, and a run never passes the ring's end.
      slot = slot + count === slots ? 0 : slot + count;
      messages += count;
      room -= count;
      stream.hash?.update(chunk);
      sent += bytes;
    }
    ring.head.store(head); // release: the batch's bytes and headers are visible before the new head
    consumer.wakeIfAsleepFor(head, ring.tail, half, ended);
    if (ended) return { sent, messages };
    sinceLook += batch;
    if (sinceLook >= CLOCK_EVERY) {
      sinceLook = 0;
      if (stream.due()) await stream.tick();
    }
  }
}

/**
 * The consumer: every message published since it last looked (head from one acquire load), in
 * runs of up to publishEvery slots that stop at the ring's end and after a message shorter than
 * a slot, so that a run's bytes are one range of the stream: each run's headers checked, its data
 * copied out in one copy, its slots handed back (tail published), the producer woken if it sleeps
 * for space. Like the producer, it awaits only to wait and for its turn.
 */
export async function consumeBatched(
  objects: LabObjects,
  slots: number,
  slotSize: number,
  stream: Stream,
  take: ((data: Uint8Array) => void) | undefined,
): Promise<{ received: number; messages: number }> {
  const ring = ringOf(objects.attachment.view, slots, slotSize);
  const producer = new Waker(ring.producerSleeps, V_SPACE, stream);
  const spinner = new Spinner();
  const batch = publishEvery(slots);
  const buffer = Buffer.alloc(batch * slotSize); // reused: no allocation per run
  let tail = ring.tail.load(); // messages taken, mod 2^32, as the segment holds it (0 in a new one)
  let head = tail;
  let slot = tail % slots; // where message `tail` is: counted on apart, as the producer counts it
  let messages = 0;
  let received = 0;
  const hasData = (h: number): boolean => h !== tail;
  for (let rounds = 1; ; rounds++) {
    head = ring.head.load();
    if (head === tail)
      head = spinner.spin(ring.head, hasData) ?? (await sleepUntil(ring.head, hasData, ring.consumerSleeps, P_DATA, stream));
    while (tail !== head) {
      if (messages === stream.warmUp) stream.startClock(received);
      // A run ends at the ring's end, after `batch` slots, and at the warm-up's end (the clock starts there).
      const toWarm = stream.warmUp - messages;
      const max = Math.min((head - tail) >>> 0, slots - slot, batch, toWarm > 0 ? toWarm : batch);
      let run = 0;
      let bytes = 0;
      let ended = false;
      while (run < max) {
        const w = (slot + run) * SLOT_WORDS;
        const length = stream.checkSlot(
          ring.headers.get(w + SEQUENCE),
          ring.headers.get(w + LENGTH),
          (tail + run) >>> 0,
          slot + run,
          slotSize,
        );
        if (length === 0) {
          ended = true;
          break;
        }
        run++;
        bytes += length;
        if (length !== slotSize) break; // a short message ends the run: what follows it is not contiguous
      }
      if (run > 0) {
        ring.data.copyOut(slot, buffer, bytes); // the run's data: one copy out of the mapping
        tail = (tail + run) >>> 0;
        slot = slot + run === slots ? 0 : slot + run;
        messages += run;
        ring.tail.store(tail); // release: the slots are free once their bytes are copied out
        // A producer that sleeps for space is woken once half the ring is free, not for every
        // run: woken for one, it would fill it and sleep again, a wake-up per run.
        if ((head - tail) >>> 0 <= slots >>> 1) producer.wakeIfAsleep();
        take?.(bytes === buffer.length ? buffer : buffer.subarray(0, bytes));
        received += bytes;
      }
      if (ended) {
        ring.tail.store((tail + 1) >>> 0);
        return { received, messages };
      }
    }
    // No look at the producer here (an IPC_STAT is a system call): a consumer that finds nothing
    // spins, then naps, and a nap that times out looks for the producer (./stream.ts).
    if (rounds % CLOCK_EVERY === 0 && stream.due()) await stream.tick();
  }
}
