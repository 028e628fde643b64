/**
 * ipc-lab ring producer|consumer: a bounded ring buffer in one segment, two counting semaphores.
 *
 * N slots; `empty` counts the free ones (starts at N), `full` the filled ones (starts at 0). The
 * producer takes an empty slot (P empty), copies a chunk in, and hands it over (V full); the
 * consumer takes a full slot (P full), copies the chunk out, and gives the slot back (V empty).
 * Neither ever touches a slot the other holds, so no lock is needed for the data: the
 * semaphores order every slot's hand-over, and the producer blocks when the ring is full.
 *
 *   $ ipc-lab ring producer --bytes 256MiB &  ipc-lab ring consumer
 *   consumer: 268435456 bytes in 4096 messages, 812.4 MB/s; SHA-256 matches what was sent
 *
 * That is the textbook design, one P and one V per message. --design batched runs the one that
 * production rings use, on the same slots (./batched.ts): ./stream.ts is what both share.
 *
 * No SEM_UNDO here, unlike the race lab's lock: these are counts handed from one process to the
 * other, and undoing a dead producer's V(full) would take back a slot it really filled. Who
 * died is read from shm_nattch instead (see ../common/two-party.ts), and the survivor removes the ring.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { StoppedError } from '../../core/errors.ts';
import type { Shutdown } from '../../core/signals.ts';
import { waitFor } from '../../core/wait.ts';
import { fieldOf } from '../../layout/c-layout.ts';
import { prepareOps } from '../../sysv/sem.ts';
import type { Narrator } from '../../text/narrate.ts';
import {
  attachedCount,
  createLabObjects,
  openLabObjects,
  OWNER_ONLY,
  PeerGoneError,
  runTwoParty,
  waitForPeer,
  type LabObjects,
} from '../common/two-party.ts';
import { consumeBatched, produceBatched } from './batched.ts';
import {
  BATCHED_RING_MAGIC,
  BATCHED_RING_PROJECT_ID,
  batchedSegmentSize,
  MAX_RING_SLOTS,
  RING_MAGIC,
  RING_PROJECT_ID,
  RING_SEM,
  RING_SLOT,
  ringSegmentSize,
  ringSlotOffset,
} from './contract.ts';
import { fromFile, generated, type Source } from './source.ts';
import { HEADER, Stream } from './stream.ts';

export type RingDesign = 'textbook' | 'batched';

export interface RingOptions {
  readonly role: 'producer' | 'consumer';
  /** textbook: one P and one V per message; batched: indices in the segment, a semop only to wake a sleeper. */
  readonly design: RingDesign;
  readonly keyFile: string;
  readonly key: number | undefined;
  /** How long to wait for the other side to appear (seconds). */
  readonly timeout: number;
  /** Producer: send this file instead of generated data. */
  readonly file: string | undefined;
  /** Producer: how much generated data to send. */
  readonly bytes: number;
  /** Producer: slots in the ring, and the data bytes each holds. */
  readonly slots: number;
  readonly slotSize: number;
  /** Consumer: write what arrives to this file. */
  readonly output: string | undefined;
  /** Check the SHA-256 end to end (off: measure the transfer alone). */
  readonly verify: boolean;
  /** Consumer: messages left out of the MB/s at the start, while V8 optimizes the loop (the benchmark's). */
  readonly warmUp: number;
}

const SLOT = {
  length: fieldOf(RING_SLOT, 'length').offset,
  sequence: fieldOf(RING_SLOT, 'sequence').offset,
  data: fieldOf(RING_SLOT, 'data').offset,
};

// Encoded once: the textbook loop makes two semops per message.
const P_EMPTY = prepareOps([{ num: RING_SEM.empty, op: -1 }]);
const V_EMPTY = prepareOps([{ num: RING_SEM.empty, op: +1 }]);
const P_FULL = prepareOps([{ num: RING_SEM.full, op: -1 }]);
const V_FULL = prepareOps([{ num: RING_SEM.full, op: +1 }]);

/** A slot's header words: length, then sequence (struct ring_slot). */
const LENGTH = SLOT.length / 4;
const SEQUENCE = SLOT.sequence / 4;

/** The textbook ring's slots, bounds-checked once. */
function slotsOf(stream: Stream, slots: number, slotSize: number) {
  const first = ringSlotOffset(slotSize, 0);
  return stream.view.windows(first, ringSlotOffset(slotSize, 1) - first, slots, RING_SLOT.size / 4, slotSize);
}

/** The textbook producer: P(empty), copy in, V(full), for each chunk; then the end of the stream. */
async function produceTextbook(next: Source, slots: number, slotSize: number, stream: Stream): Promise<{ sent: number; messages: number }> {
  const ring = slotsOf(stream, slots, slotSize);
  let sent = 0;
  let sequence = 0;
  // A source never returns an empty chunk before its end: length 0 is reserved for the end of stream.
  for (let chunk = next(slotSize); chunk; chunk = next(slotSize)) {
    await stream.acquire(P_EMPTY);
    const index = sequence % slots;
    ring.write(index, chunk); // TypedArray.set into the mapping: one memcpy
    ring.setWord(index, SEQUENCE, sequence);
    ring.setWord(index, LENGTH, chunk.byteLength);
    stream.hash?.update(chunk);
    stream.release(V_FULL); // V never blocks
    sent += chunk.byteLength;
    sequence++;
  }
  await stream.acquire(P_EMPTY);
  const index = sequence % slots;
  ring.setWord(index, SEQUENCE, sequence);
  ring.setWord(index, LENGTH, 0); // length 0: the end of the stream
  stream.finish(sent);
  stream.release(V_FULL);
  return { sent, messages: sequence };
}

/** The textbook consumer: P(full), copy out, V(empty), until a slot of length 0. */
async function consumeTextbook(
  slots: number,
  slotSize: number,
  stream: Stream,
  take: ((data: Uint8Array) => void) | undefined,
): Promise<{ received: number; messages: number }> {
  const ring = slotsOf(stream, slots, slotSize);
  const buffer = Buffer.alloc(slotSize); // reused: no allocation per message
  let received = 0;
  for (let sequence = 0; ; sequence++) {
    await stream.acquire(P_FULL);
    const index = sequence % slots;
    if (sequence === stream.warmUp) stream.startClock(received);
    // The slot holds the sequence mod 2^32.
    const length = stream.checkSlot(ring.word(index, SEQUENCE), ring.word(index, LENGTH), sequence >>> 0, index, slotSize);
    if (length === 0) return { received, messages: sequence };
    const data = length === slotSize ? buffer : buffer.subarray(0, length);
    ring.readInto(index, data); // one copy out of the mapping
    stream.release(V_EMPTY);
    take?.(data);
    received += length;
  }
}

/** What tells the two designs apart: key, magic, size, semaphores, and the loops. */
const DESIGNS = {
  textbook: {
    projectId: RING_PROJECT_ID,
    magic: RING_MAGIC,
    segmentSize: ringSegmentSize,
    semaphores: (slots: number) => [slots, 0],
    consumerWrites: false,
    steps: ['P(empty), copy in, V(full)', 'P(full), copy out, V(empty)'],
    produce: (_objects: LabObjects, next: Source, slots: number, slotSize: number, stream: Stream) =>
      produceTextbook(next, slots, slotSize, stream),
    consume: (_objects: LabObjects, slots: number, slotSize: number, stream: Stream, take: ((data: Uint8Array) => void) | undefined) =>
      consumeTextbook(slots, slotSize, stream, take),
  },
  batched: {
    projectId: BATCHED_RING_PROJECT_ID,
    magic: BATCHED_RING_MAGIC,
    segmentSize: batchedSegmentSize,
    semaphores: () => [0, 0],
    // The consumer publishes its tail in the segment: it attaches read-write.
    consumerWrites: true,
    steps: ['copy in, publish head, wake a sleeping consumer', 'take all that is there, publish tail, wake a sleeping producer'],
    produce: produceBatched,
    consume: consumeBatched,
  },
} as const;

/** "32770 semops (2.00 a message)": this side's kernel crossings, what the batched design saves. */
const semopsText = (semops: number, messages: number): string =>
  `${semops} semops (${(semops / Math.max(1, messages)).toFixed(2)} a message)`;

const magicWord = (magic: string): number => Buffer.from(magic, 'latin1').readInt32LE(0); // as the 32-bit word Atomics stores

async function produce(objects: LabObjects, options: RingOptions, stop: Shutdown, deadline: number, say: Narrator): Promise<number> {
  const design = DESIGNS[options.design];
  const { slots, slotSize } = options;
  const view = objects.attachment.view;
  view.setUint32(HEADER.slots.offset, slots);
  view.setUint32(HEADER.slotSize.offset, slotSize);
  // The magic says "the header is complete", so it goes last, as a release store (see
  // ../message/codec.ts): a consumer that sees it also sees slots and slot_size.
  view.atomicStore32(HEADER.magic.offset, magicWord(design.magic));
  // The data is ready before the consumer is waited for: making it is not part of the transfer.
  const source = options.file ? fromFile(options.file) : generated(options.bytes, slotSize);
  let result: { sent: number; messages: number };
  let seconds = 0;
  let semops = 0;
  try {
    await waitForPeer(objects, deadline, stop, 'consumer', say);
    say.step(`streaming: ${slots} slots of ${slotSize} bytes; ${design.steps[0]}`);
    const stream = new Stream(objects, stop, 'consumer', options.verify);
    const started = process.hrtime.bigint();
    result = await design.produce(objects, source, slots, slotSize, stream);
    seconds = Number(process.hrtime.bigint() - started) / 1e9;
    semops = stream.semops;
  } finally {
    if ('close' in source) source.close();
  }
  const { sent, messages } = result;
  say.block(`producer: ${sent} bytes in ${messages} messages, ${(sent / seconds / 1e6).toFixed(1)} MB/s, ${semopsText(semops, messages)}`);
  // Whoever creates removes, but not before the consumer has had the last slot: wait until it
  // detaches (nattch back to 1), bounded, then remove.
  await waitFor(() => (attachedCount(objects.shmid) > 1 && !stop.signal ? undefined : true), { deadline: Date.now() + 30_000, every: 0 });
  return 0;
}

async function consume(objects: LabObjects, options: RingOptions, stop: Shutdown, deadline: number, say: Narrator): Promise<number> {
  const design = DESIGNS[options.design];
  const view = objects.attachment.view;
  const word = magicWord(design.magic);
  const header = await waitFor(() => (view.atomicLoad32(HEADER.magic.offset) === word ? true : undefined), { deadline, stop, every: 0 });
  if ('timedOut' in header)
    throw new PeerGoneError(`the segment never got the ring magic "${design.magic}": is the other side a ${options.design} ring producer?`);
  const slots = view.getUint32(HEADER.slots.offset);
  const slotSize = view.getUint32(HEADER.slotSize.offset);
  if (slots < 1 || slots > MAX_RING_SLOTS || design.segmentSize(slots, slotSize) > view.byteLength)
    throw new PeerGoneError(`the ring header says ${slots} slots of ${slotSize} bytes, which do not fit in ${view.byteLength} bytes`);
  say.step(`receiving: ${slots} slots of ${slotSize} bytes; ${design.steps[1]}`);
  const stream = new Stream(objects, stop, 'producer', options.verify);
  stream.warmUp = options.warmUp;
  const fd = options.output ? openSync(options.output, 'w') : undefined;
  let result: { received: number; messages: number };
  try {
    // Nothing to do with the bytes (--no-verify, no --output): no call per message either.
    const take =
      stream.hash || fd !== undefined
        ? (data: Uint8Array) => {
            stream.hash?.update(data);
            if (fd !== undefined) writeSync(fd, data);
          }
        : undefined;
    result = await design.consume(objects, slots, slotSize, stream, take);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const { received, messages } = result;
  const seconds = stream.firstAt === undefined ? 0 : Number(process.hrtime.bigint() - stream.firstAt) / 1e9;
  const total = Number(view.getBigUint64(HEADER.total.offset));
  const warm = options.warmUp > 0 && stream.firstAt !== undefined ? ` (the first ${options.warmUp} left out)` : '';
  const rate = seconds > 0 ? `${((received - stream.timedFrom) / seconds / 1e6).toFixed(1)} MB/s${warm}` : 'too short to time';
  say.block(`consumer: ${received} bytes in ${messages} messages, ${rate}, ${semopsText(stream.semops, messages)}`);
  if (total !== received) throw new PeerGoneError(`received ${received} bytes, but the producer says it sent ${total}`);
  if (stream.hash) {
    const ours = stream.hash.digest('hex');
    const theirs = Buffer.from(view.read(HEADER.sha.offset, 32)).toString('hex');
    if (ours !== theirs) throw new PeerGoneError(`SHA-256 mismatch: received ${ours}, sent ${theirs}`);
    say.good(`SHA-256 ${ours} matches what was sent`);
  }
  return 0;
}

/** The producer owns the ring: it creates the segment and the set, and removes them at the end. */
export async function runRing(options: RingOptions, say: Narrator): Promise<number> {
  const { role, slots, slotSize } = options;
  const design = DESIGNS[options.design];
  return runTwoParty(
    {
      lab: options.design === 'textbook' ? 'ring' : `ring (${options.design})`,
      role,
      owner: 'producer',
      choice: { key: options.key, keyFile: options.keyFile, projectId: design.projectId },
      timeoutSeconds: options.timeout,
      create: (key) => createLabObjects(key, design.segmentSize(slots, slotSize), design.semaphores(slots), OWNER_ONLY, say),
      open: (key, deadline, stop) => openLabObjects(key, 2, !design.consumerWrites, deadline, stop, say),
      work: (objects, stop, deadline) =>
        role === 'producer' ? produce(objects, options, stop, deadline, say) : consume(objects, options, stop, deadline, say),
      // A ring cut short by a signal is an incomplete stream: exit 130, as the shell's Ctrl-C.
      stopped: (error: StoppedError) => {
        say.warn(`${error.message}: the stream is incomplete`);
        return error.exitCode;
      },
    },
    say,
  );
}
