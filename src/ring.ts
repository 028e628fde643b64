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
 * died is read from shm_nattch instead (see two-party.ts), and the survivor removes the ring.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import {
  DEFAULT_MODE, DEFAULT_RING_SLOTS, DEFAULT_SLOT_SIZE, LAB_PROJECT_IDS, RING_HEADER, RING_MAGIC, RING_SEM,
  RING_SLOT_HEADER, fieldOf, ringSegmentSize, ringSlotOffset,
} from './contract.ts';
import { KEY_OPTIONS, keyChoice, parseOptions, seconds, UsageError } from './options.ts';
import { prepareOps, semopPrepared, type PreparedOps } from './sysv/sem.ts';
import type { SegmentView } from './sysv/segment-view.ts';
import { hexKey } from './sysv/shm.ts';
import {
  attachedCount, createLabObjects, isErrno, labKey, openLabObjects, PeerGoneError, peerLeft, removeLabObjects, StopFlag,
  StoppedError, waitForPeer, type LabObjects,
} from './two-party.ts';
import { narrator, type Narrator } from './ui/narrate.ts';

export const RING_HELP = `Usage: ipc-lab ring producer|consumer [options]

Stream data through a ring buffer of N slots in shared memory, synchronised by two counting
semaphores; the consumer checks the SHA-256 of what it received against what was sent.

Producer options:
  --file PATH         send this file (default: generated data)
  --bytes SIZE        how much generated data to send, e.g. 64MiB (default 64MiB)
  --slots N           slots in the ring (default ${DEFAULT_RING_SLOTS})
  --slot-size SIZE    bytes a slot holds, e.g. 4KiB, 64KiB (default 64KiB)
Consumer options:
  --output PATH       write what arrives to this file
Both:
  --no-verify         skip the SHA-256 (to measure the transfer alone)
  --key-file PATH, --key KEY   which key (project id 'B')
  --timeout SECONDS   how long to wait for the other side to appear (default 30)
  -h, --help          this text
`;

const MAGIC_WORD = Buffer.from(RING_MAGIC, 'latin1').readInt32LE(0); // "IPCB" as the 32-bit word Atomics stores
const WAIT_MS = 100;          // a bounded wait, so a dead peer or a signal is noticed within it
const YIELD_EVERY_MS = 20;    // the event loop turns this often (signal handlers run then)
const h = {
  magic: fieldOf(RING_HEADER, 'magic'),
  slots: fieldOf(RING_HEADER, 'slots'),
  slotSize: fieldOf(RING_HEADER, 'slot_size'),
  ended: fieldOf(RING_HEADER, 'ended'),
  total: fieldOf(RING_HEADER, 'total_bytes'),
  sha: fieldOf(RING_HEADER, 'sha256'),
};

function size(text: string, option: string): number {
  const m = text.trim().match(/^(\d+)\s*(|k|kib|m|mib|g|gib)$/i);
  const unit = { '': 1, k: 1024, kib: 1024, m: 1 << 20, mib: 1 << 20, g: 1 << 30, gib: 1 << 30 }[(m?.[2] ?? '').toLowerCase()];
  if (!m || unit === undefined) throw new UsageError(`--${option} is ${JSON.stringify(text)}: give a size such as 4096, 64KiB or 256MiB`);
  return Number(m[1]) * unit;
}

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
    if (isErrno(error, 'EIDRM') || isErrno(error, 'EINVAL')) throw gone(objects, peer);
    throw error;
  }
}

/** P or V on one semaphore, waiting at most WAIT_MS at a time and checking on the way. */
async function acquire(objects: LabObjects, ops: PreparedOps, stop: StopFlag, peer: string, clock: { last: number }): Promise<void> {
  for (;;) {
    try {
      semopPrepared(objects.semid, ops, WAIT_MS);
      if (Date.now() - clock.last > YIELD_EVERY_MS) {
        await stop.yieldToSignals();
        clock.last = Date.now();
        stop.throwIfStopped();
      }
      return;
    } catch (error) {
      if (isErrno(error, 'EIDRM') || isErrno(error, 'EINVAL')) throw gone(objects, peer);
      if (!isErrno(error, 'EAGAIN') && !isErrno(error, 'EINTR')) throw error;
    }
    // Timed out or interrupted: let signal handlers run, then look for the other side.
    await stop.yieldToSignals();
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
      for (let n; (n = readSync(fd, buffer, 0, slotSize, null)) > 0; ) yield buffer.subarray(0, n);
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

async function produce(objects: LabObjects, source: Generator<Uint8Array>, slots: number, slotSize: number, verify: boolean, stop: StopFlag, deadline: number, say: Narrator): Promise<number> {
  const view = objects.attachment.view;
  view.setUint32(h.slots.offset, slots);
  view.setUint32(h.slotSize.offset, slotSize);
  // The magic says "the header is complete", so it goes last, as a release store (see
  // segment-codec.ts): a consumer that sees it also sees slots and slot_size.
  view.atomicStore32(h.magic.offset, MAGIC_WORD);
  await waitForPeer(objects, deadline, stop, 'consumer', say);
  say.step(`streaming: ${slots} slots of ${slotSize} bytes; P(empty), copy in, V(full)`);
  const hash = verify ? createHash('sha256') : undefined;
  const clock = { last: Date.now() };
  const started = process.hrtime.bigint();
  let sent = 0;
  let sequence = 0;
  for (const chunk of source) {
    if (chunk.byteLength === 0) continue;                 // length 0 is reserved for the end of stream
    await acquire(objects, P_EMPTY, stop, 'consumer', clock);
    const slot = ringSlotOffset(slotSize, sequence % slots);
    view.write(slot + RING_SLOT_HEADER, chunk);          // TypedArray.set into the mapping: one memcpy
    view.setUint32(slot + 4, sequence);
    view.setUint32(slot, chunk.byteLength);
    hash?.update(chunk);
    release(objects, V_FULL, 'consumer');                // V never blocks
    sent += chunk.byteLength;
    sequence++;
  }
  await acquire(objects, P_EMPTY, stop, 'consumer', clock);
  const slot = ringSlotOffset(slotSize, sequence % slots);
  view.setUint32(slot + 4, sequence);
  view.setUint32(slot, 0);                               // length 0: the end of the stream
  view.setBigUint64(h.total.offset, BigInt(sent));
  view.write(h.sha.offset, hash ? hash.digest() : new Uint8Array(32));
  view.setUint32(h.ended.offset, 1);
  release(objects, V_FULL, 'consumer');
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  say.block(`producer: ${sent} bytes in ${sequence} messages, ${(sent / seconds / 1e6).toFixed(1)} MB/s`);
  // Whoever creates removes, but not before the consumer has had the last slot: wait until it
  // detaches (nattch back to 1), bounded, then remove.
  const until = Date.now() + 30_000;
  while (attachedCount(objects.shmid) > 1 && Date.now() < until && !stop.stopped) await stop.yieldToSignals();
  return 0;
}

async function consume(objects: LabObjects, output: string | undefined, verify: boolean, stop: StopFlag, deadline: number, say: Narrator): Promise<number> {
  const view = objects.attachment.view;
  while (view.atomicLoad32(h.magic.offset) !== MAGIC_WORD) {
    stop.throwIfStopped();
    if (Date.now() > deadline) throw new PeerGoneError('the segment never got the ring magic "IPCB": is the other side a ring producer?');
    await stop.yieldToSignals();
  }
  const slots = view.getUint32(h.slots.offset);
  const slotSize = view.getUint32(h.slotSize.offset);
  if (slots < 1 || ringSegmentSize(slots, slotSize) > view.byteLength) throw new PeerGoneError(`the ring header says ${slots} slots of ${slotSize} bytes, which do not fit in ${view.byteLength} bytes`);
  say.step(`receiving: ${slots} slots of ${slotSize} bytes; P(full), copy out, V(empty)`);
  const hash = verify ? createHash('sha256') : undefined;
  const fd = output ? openSync(output, 'w') : undefined;
  const buffer = Buffer.alloc(slotSize);                     // reused: no allocation per message
  const clock = { last: Date.now() };
  let started: bigint | undefined;
  let received = 0;
  let sequence = 0;
  try {
    for (;;) {
      await acquire(objects, P_FULL, stop, 'producer', clock);
      started ??= process.hrtime.bigint();
      const slot = ringSlotOffset(slotSize, sequence % slots);
      const length = view.getUint32(slot);
      const seen = view.getUint32(slot + 4);
      if (seen !== sequence) throw new PeerGoneError(`slot ${sequence % slots} holds message ${seen}, expected ${sequence}: the ring is out of order`);
      if (length === 0) break;
      if (length > slotSize) throw new PeerGoneError(`slot ${sequence % slots} claims ${length} bytes, more than the slot size ${slotSize}`);
      const data = buffer.subarray(0, length);
      view.readInto(slot + RING_SLOT_HEADER, data);             // one copy out of the mapping
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

export async function runRing(args: readonly string[], say: Narrator = narrator()): Promise<number> {
  const [role, ...rest] = args;
  if (role === '-h' || role === '--help' || role === undefined) {
    say.block(RING_HELP);
    return role === undefined ? 2 : 0;
  }
  if (role !== 'producer' && role !== 'consumer') throw new UsageError(`ring takes producer or consumer, not ${JSON.stringify(role)}`);
  const values = parseOptions(rest, {
    'key-file': KEY_OPTIONS['key-file']!, key: KEY_OPTIONS['key']!, timeout: { type: 'string' },
    file: { type: 'string' }, bytes: { type: 'string' }, slots: { type: 'string' }, 'slot-size': { type: 'string' },
    output: { type: 'string' }, 'no-verify': { type: 'boolean' },
  });
  if (values['help']) {
    say.block(RING_HELP);
    return 0;
  }
  const deadline = Date.now() + seconds(values, 'timeout', 'IPC_LAB_TIMEOUT', 30) * 1000;
  const verify = values['no-verify'] !== true;
  const stop = new StopFlag();
  const key = await labKey(keyChoice(values), LAB_PROJECT_IDS.ring, role === 'producer', deadline, stop);
  say.step(`ring ${role} (pid ${process.pid}), key ${hexKey(key)}`);
  let objects: LabObjects | undefined;
  let failed = false;
  try {
    if (role === 'producer') {
      const slots = values['slots'] === undefined ? DEFAULT_RING_SLOTS : Number(values['slots']);
      if (!Number.isInteger(slots) || slots < 1 || slots > 1024) throw new UsageError(`--slots is ${JSON.stringify(values['slots'])}: give a whole number from 1 to 1024`);
      const slotSize = typeof values['slot-size'] === 'string' ? size(values['slot-size'], 'slot-size') : DEFAULT_SLOT_SIZE;
      if (slotSize < 1 || slotSize > 16 << 20) throw new UsageError(`--slot-size is ${slotSize}: give 1 byte to 16 MiB`);
      const total = typeof values['bytes'] === 'string' ? size(values['bytes'], 'bytes') : 64 << 20;
      const file = typeof values['file'] === 'string' ? values['file'] : undefined;
      objects = await createLabObjects(key, ringSegmentSize(slots, slotSize), [slots, 0], DEFAULT_MODE, say);
      return await produce(objects, chunks(file, total, slotSize), slots, slotSize, verify, stop, deadline, say);
    }
    objects = await openLabObjects(key, 2, true, deadline, stop, say);
    return await consume(objects, typeof values['output'] === 'string' ? values['output'] : undefined, verify, stop, deadline, say);
  } catch (error) {
    failed = true;
    if (error instanceof StoppedError) {
      say.warn(`${error.message}: the stream is incomplete`);
      return 130;
    }
    throw error;
  } finally {
    stop.dispose();
    if (objects) {
      // The producer created the ring and removes it; a consumer removes it only when the
      // producer is gone (nattch 1) and something went wrong, so nothing is left behind.
      if (role === 'producer' || (failed && attachedCount(objects.shmid) === 1 && peerLeft(objects.shmid) === 'died')) removeLabObjects(objects, say);
      else objects.attachment.detach();
    }
  }
}
