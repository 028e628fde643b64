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
 * No SEM_UNDO here, unlike the race lab's lock: these are counts handed from one process to the
 * other, and undoing a dead producer's V(full) would take back a slot it really filled. Who
 * died is read from shm_nattch instead (see ../common/two-party.ts), and the survivor removes the ring.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import type { StoppedError } from '../../core/errors.ts';
import type { Shutdown } from '../../core/signals.ts';
import { waitFor } from '../../core/wait.ts';
import { fieldOf } from '../../layout/c-layout.ts';
import { isErrno } from '../../sysv/errors.ts';
import { prepareOps, semopPrepared, type PreparedOps } from '../../sysv/sem.ts';
import type { Narrator } from '../../text/narrate.ts';
import {
  attachedCount,
  createLabObjects,
  openLabObjects,
  OWNER_ONLY,
  PeerGoneError,
  peerLeft,
  runTwoParty,
  waitForPeer,
  type LabObjects,
} from '../common/two-party.ts';
import {
  MAX_RING_SLOTS,
  RING_HEADER,
  RING_LAB,
  RING_MAGIC,
  RING_PROJECT_ID,
  RING_SEM,
  RING_SLOT,
  ringSegmentSize,
  ringSlotOffset,
} from './contract.ts';

export interface RingOptions {
  readonly role: 'producer' | 'consumer';
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
}

const MAGIC_WORD = Buffer.from(RING_MAGIC, 'latin1').readInt32LE(0); // "IPCB" as the 32-bit word Atomics stores
const WAIT_MS = 100; // a bounded wait, so a dead peer or a signal is noticed within it
const YIELD_EVERY_MS = 20; // the event loop turns this often (signal handlers run then)
const SLOT = {
  length: fieldOf(RING_SLOT, 'length').offset,
  sequence: fieldOf(RING_SLOT, 'sequence').offset,
  data: fieldOf(RING_SLOT, 'data').offset,
};
const h = {
  magic: fieldOf(RING_HEADER, 'magic'),
  slots: fieldOf(RING_HEADER, 'slots'),
  slotSize: fieldOf(RING_HEADER, 'slot_size'),
  ended: fieldOf(RING_HEADER, 'ended'),
  total: fieldOf(RING_HEADER, 'total_bytes'),
  sha: fieldOf(RING_HEADER, 'sha256'),
};

/** The other side removed the set, or died: say which, as a PeerGoneError. */
function gone(objects: LabObjects, peer: string): PeerGoneError {
  return peerLeft(objects.shmid) === 'removed'
    ? new PeerGoneError(`the ${peer} removed the ring (IPC_RMID): it stopped before the end of the stream`)
    : new PeerGoneError(`the ${peer} is gone (shm_nattch fell to 1): it was stopped or killed mid-stream`);
}

/** V: never blocks; fails only if the other side removed the set under us. */
function release(objects: LabObjects, ops: PreparedOps, peer: string): void {
  try {
    semopPrepared(objects.semid, ops, WAIT_MS);
  } catch (error) {
    if (isErrno(error, 'gone')) throw gone(objects, peer);
    throw error;
  }
}

/** P or V on one semaphore, waiting at most WAIT_MS at a time and checking on the way. */
async function acquire(objects: LabObjects, ops: PreparedOps, stop: Shutdown, peer: string, clock: { last: number }): Promise<void> {
  for (;;) {
    try {
      semopPrepared(objects.semid, ops, WAIT_MS);
      if (Date.now() - clock.last > YIELD_EVERY_MS) {
        await stop.yield();
        clock.last = Date.now();
        stop.throwIfStopped();
      }
      return;
    } catch (error) {
      if (isErrno(error, 'gone')) throw gone(objects, peer);
      if (!isErrno(error, 'EAGAIN', 'EINTR')) throw error;
    }
    // Timed out or interrupted: let signal handlers run, then look for the other side.
    await stop.yield();
    clock.last = Date.now();
    stop.throwIfStopped();
    if (attachedCount(objects.shmid) < 2) throw gone(objects, peer);
  }
}

// Encoded once: the loop below makes two semops per message.
const P_EMPTY = prepareOps([{ num: RING_SEM.empty, op: -1 }]);
const V_EMPTY = prepareOps([{ num: RING_SEM.empty, op: +1 }]);
const P_FULL = prepareOps([{ num: RING_SEM.full, op: -1 }]);
const V_FULL = prepareOps([{ num: RING_SEM.full, op: +1 }]);

/** The data to send, a chunk at a time: a file, or generated bytes (a random block, rotated). */
function* chunks(file: string | undefined, total: number, slotSize: number): Generator<Uint8Array> {
  const buffer = Buffer.alloc(slotSize);
  if (file) {
    const fd = openSync(file, 'r');
    try {
      for (let n = readSync(fd, buffer, 0, slotSize, null); n > 0; n = readSync(fd, buffer, 0, slotSize, null)) yield buffer.subarray(0, n);
    } finally {
      closeSync(fd);
    }
    return;
  }
  const block = Buffer.alloc(Math.max(1 << 20, 2 * slotSize)); // room to rotate a whole slot through
  for (let i = 0; i + 4 <= block.length; i += 4) block.writeUInt32LE((Math.imul(i, 2654435761) ^ (i >>> 7)) >>> 0, i);
  for (let sent = 0, i = 0; sent < total; i++) {
    const n = Math.min(slotSize, total - sent);
    const start = (i * 4099) % (block.length - slotSize);
    yield block.subarray(start, start + n);
    sent += n;
  }
}

async function produce(
  objects: LabObjects,
  source: Generator<Uint8Array>,
  slots: number,
  slotSize: number,
  verify: boolean,
  stop: Shutdown,
  deadline: number,
  say: Narrator,
): Promise<number> {
  const view = objects.attachment.view;
  view.setUint32(h.slots.offset, slots);
  view.setUint32(h.slotSize.offset, slotSize);
  // The magic says "the header is complete", so it goes last, as a release store (see
  // ../message/codec.ts): a consumer that sees it also sees slots and slot_size.
  view.atomicStore32(h.magic.offset, MAGIC_WORD);
  await waitForPeer(objects, deadline, stop, 'consumer', say);
  say.step(`streaming: ${slots} slots of ${slotSize} bytes; P(empty), copy in, V(full)`);
  const hash = verify ? createHash('sha256') : undefined;
  const clock = { last: Date.now() };
  const started = process.hrtime.bigint();
  let sent = 0;
  let sequence = 0;
  for (const chunk of source) {
    if (chunk.byteLength === 0) continue; // length 0 is reserved for the end of stream
    await acquire(objects, P_EMPTY, stop, 'consumer', clock);
    const slot = ringSlotOffset(slotSize, sequence % slots);
    view.write(slot + SLOT.data, chunk); // TypedArray.set into the mapping: one memcpy
    view.setUint32(slot + SLOT.sequence, sequence);
    view.setUint32(slot + SLOT.length, chunk.byteLength);
    hash?.update(chunk);
    release(objects, V_FULL, 'consumer'); // V never blocks
    sent += chunk.byteLength;
    sequence++;
  }
  await acquire(objects, P_EMPTY, stop, 'consumer', clock);
  const slot = ringSlotOffset(slotSize, sequence % slots);
  view.setUint32(slot + SLOT.sequence, sequence);
  view.setUint32(slot + SLOT.length, 0); // length 0: the end of the stream
  view.setBigUint64(h.total.offset, BigInt(sent));
  view.write(h.sha.offset, hash ? hash.digest() : new Uint8Array(32));
  view.setUint32(h.ended.offset, 1);
  release(objects, V_FULL, 'consumer');
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  say.block(`producer: ${sent} bytes in ${sequence} messages, ${(sent / seconds / 1e6).toFixed(1)} MB/s`);
  // Whoever creates removes, but not before the consumer has had the last slot: wait until it
  // detaches (nattch back to 1), bounded, then remove.
  await waitFor(() => (attachedCount(objects.shmid) > 1 && !stop.signal ? undefined : true), { deadline: Date.now() + 30_000, every: 0 });
  return 0;
}

async function consume(
  objects: LabObjects,
  output: string | undefined,
  verify: boolean,
  stop: Shutdown,
  deadline: number,
  say: Narrator,
): Promise<number> {
  const view = objects.attachment.view;
  const header = await waitFor(() => (view.atomicLoad32(h.magic.offset) === MAGIC_WORD ? true : undefined), { deadline, stop, every: 0 });
  if ('timedOut' in header) throw new PeerGoneError('the segment never got the ring magic "IPCB": is the other side a ring producer?');
  const slots = view.getUint32(h.slots.offset);
  const slotSize = view.getUint32(h.slotSize.offset);
  if (slots < 1 || slots > MAX_RING_SLOTS || ringSegmentSize(slots, slotSize) > view.byteLength)
    throw new PeerGoneError(`the ring header says ${slots} slots of ${slotSize} bytes, which do not fit in ${view.byteLength} bytes`);
  say.step(`receiving: ${slots} slots of ${slotSize} bytes; P(full), copy out, V(empty)`);
  const hash = verify ? createHash('sha256') : undefined;
  const fd = output ? openSync(output, 'w') : undefined;
  const buffer = Buffer.alloc(slotSize); // reused: no allocation per message
  const clock = { last: Date.now() };
  let started: bigint | undefined;
  let received = 0;
  let sequence = 0;
  try {
    for (;;) {
      await acquire(objects, P_FULL, stop, 'producer', clock);
      started ??= process.hrtime.bigint();
      const slot = ringSlotOffset(slotSize, sequence % slots);
      const length = view.getUint32(slot + SLOT.length);
      const seen = view.getUint32(slot + SLOT.sequence);
      if (seen !== sequence)
        throw new PeerGoneError(`slot ${sequence % slots} holds message ${seen}, expected ${sequence}: the ring is out of order`);
      if (length === 0) break;
      if (length > slotSize)
        throw new PeerGoneError(`slot ${sequence % slots} claims ${length} bytes, more than the slot size ${slotSize}`);
      const data = buffer.subarray(0, length);
      view.readInto(slot + SLOT.data, data); // one copy out of the mapping
      release(objects, V_EMPTY, 'producer');
      hash?.update(data);
      if (fd !== undefined) writeSync(fd, data);
      received += length;
      sequence++;
    }
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const seconds = Number(process.hrtime.bigint() - (started ?? process.hrtime.bigint())) / 1e9;
  const total = Number(view.getBigUint64(h.total.offset));
  const rate = seconds > 0 ? `${(received / seconds / 1e6).toFixed(1)} MB/s` : '';
  say.block(`consumer: ${received} bytes in ${sequence} messages, ${rate}`);
  if (total !== received) throw new PeerGoneError(`received ${received} bytes, but the producer says it sent ${total}`);
  if (hash) {
    const ours = hash.digest('hex');
    const theirs = Buffer.from(view.read(h.sha.offset, 32)).toString('hex');
    if (ours !== theirs) throw new PeerGoneError(`SHA-256 mismatch: received ${ours}, sent ${theirs}`);
    say.good(`SHA-256 ${ours} matches what was sent`);
  }
  return 0;
}

/** The producer owns the ring: it creates the segment and the set, and removes them at the end. */
export async function runRing(options: RingOptions, say: Narrator): Promise<number> {
  const { role, slots, slotSize, verify } = options;
  return runTwoParty(
    {
      lab: 'ring',
      role,
      owner: 'producer',
      choice: { key: options.key, keyFile: options.keyFile, projectId: RING_PROJECT_ID },
      timeoutSeconds: options.timeout,
      create: (key) => createLabObjects(key, ringSegmentSize(slots, slotSize), [slots, 0], OWNER_ONLY, say),
      open: (key, deadline, stop) => openLabObjects(key, RING_LAB.semaphores.length, true, deadline, stop, say),
      work: (objects, stop, deadline) =>
        role === 'producer'
          ? produce(objects, chunks(options.file, options.bytes, slotSize), slots, slotSize, verify, stop, deadline, say)
          : consume(objects, options.output, verify, stop, deadline, say),
      // A ring cut short by a signal is an incomplete stream: exit 130, as the shell's Ctrl-C.
      stopped: (error: StoppedError) => {
        say.warn(`${error.message}: the stream is incomplete`);
        return error.exitCode;
      },
    },
    say,
  );
}
