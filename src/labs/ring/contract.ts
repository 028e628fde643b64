/**
 * What the ring producer and consumer agree on: the header, the slots, the two counting
 * semaphores, the project id. A C program written from this comment alone can read the stream.
 *
 *   struct ring_header {         at offset 0 of the segment, 64 bytes
 *       char     magic[4];       "IPCB", stored last (a release store): the header is complete
 *       uint32_t slots;          N
 *       uint32_t slot_size;      data bytes a slot holds
 *       uint32_t ended;          1 once the producer wrote its last slot
 *       uint64_t total_bytes;    bytes sent, written with the end of stream
 *       uint8_t  sha256[32];     SHA-256 of everything sent, written with the end of stream
 *   };
 *   struct ring_slot {           N of them from offset 64, slot i at 64 + i * stride, where
 *       uint32_t length;         stride = sizeof(struct ring_slot) + slot_size rounded up to 64
 *       uint32_t sequence;       (a cache line); length: data bytes in this slot, 0 marks the
 *       uint8_t  data[];         end of the stream; sequence: the message number, so the
 *   };                           consumer can check the order; data: slot_size bytes
 *
 * Semaphore 0, `empty`, counts free slots (starts at N); 1, `full`, counts filled ones (starts
 * at 0). Slot i holds message i mod N.
 *
 * How the two meet, and the protocol. The segment and the two-semaphore set share one System V
 * key: ftok(key file, 'B') (0x42), or an explicit key. The producer creates both (IPC_EXCL, mode
 * 0600; the set already at empty = N, full = 0), writes slots and slot_size, then the magic (the
 * header's fields at their natural C offsets, sizeof(struct ring_slot) being 8), and streams only once a consumer has attached
 * (shm_nattch 2). A consumer opens both with the key, attaches, and waits for the magic before it
 * reads the header. Message m (m = 0, 1, ...): the producer does P(empty), writes data, sequence m
 * and length into slot m mod N, V(full); the consumer does P(full), checks sequence == m, copies
 * `length` bytes out, V(empty). The producer's last message has length 0; before its V(full) it
 * has written total_bytes, sha256 and ended = 1. The producer removes the segment and the set
 * (after the consumer has detached); the consumer only detaches. Integers are little-endian (the
 * host's: x86_64 and aarch64), no SEM_UNDO anywhere.
 */
import { fieldOf, layoutStruct, placeStruct, type StructLayout } from '../../layout/c-layout.ts';
import type { Lab } from '../registry.ts';

export const RING_PROJECT_ID = 0x42; // 'B': the same key file, another key
export const RING_MAGIC = 'IPCB';
export const RING_HEADER = layoutStruct('ring_header', 0, [
  { name: 'magic', ctype: 'char', count: 4 },
  { name: 'slots', ctype: 'uint32_t' },
  { name: 'slot_size', ctype: 'uint32_t' },
  { name: 'ended', ctype: 'uint32_t' },
  { name: 'total_bytes', ctype: 'uint64_t' },
  { name: 'sha256', ctype: 'uint8_t', count: 32 },
]);
/** The slot's header; its data (a flexible array member, `uint8_t data[]`) follows at RING_SLOT.size. */
export const RING_SLOT = layoutStruct('ring_slot', 0, [
  { name: 'length', ctype: 'uint32_t' },
  { name: 'sequence', ctype: 'uint32_t' },
  { name: 'data', ctype: 'uint8_t', count: 0 },
]);
export const RING_SLOTS_OFFSET = 64; // the header, padded to a cache line
export const RING_SLOT_ALIGN = 64; // each slot starts on a cache line
export const RING_SEM = {
  // counting semaphores, no SEM_UNDO (see ring.ts)
  empty: 0, // free slots: starts at N, the producer takes one
  full: 1, // filled slots: starts at 0, the consumer takes one
} as const;
export const DEFAULT_RING_SLOTS = 16;
export const DEFAULT_SLOT_SIZE = 64 * 1024;
export const MAX_RING_SLOTS = 1024;
export const MAX_SLOT_SIZE = 16 << 20;

const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;

/** Where slot `i` starts: its header, then its data at + RING_SLOT.size. */
export function ringSlotOffset(slotSize: number, i: number): number {
  return RING_SLOTS_OFFSET + i * roundUp(RING_SLOT.size + slotSize, RING_SLOT_ALIGN);
}

export function ringSegmentSize(slots: number, slotSize: number): number {
  return ringSlotOffset(slotSize, slots);
}

/** Slot `i` as a struct with `slotSize` bytes of data, at its place in the segment. */
export function ringSlotAt(slotSize: number, i: number): StructLayout {
  const sized = layoutStruct('ring_slot', 0, [
    { name: 'length', ctype: 'uint32_t' },
    { name: 'sequence', ctype: 'uint32_t' },
    { name: 'data', ctype: 'uint8_t', count: slotSize },
  ]);
  return placeStruct(sized, ringSlotOffset(slotSize, i));
}

/** The slots and slot size a ring's header gives, if they make sense. */
function ringGeometry(bytes: Uint8Array): { slots: number; slotSize: number } | undefined {
  if (bytes.length < RING_SLOTS_OFFSET) return undefined;
  const data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const slots = data.getUint32(fieldOf(RING_HEADER, 'slots').offset, true);
  const slotSize = data.getUint32(fieldOf(RING_HEADER, 'slot_size').offset, true);
  if (slots < 1 || slots > MAX_RING_SLOTS || slotSize < 1 || slotSize > MAX_SLOT_SIZE) return undefined;
  return { slots, slotSize };
}

/** The header and every slot the header says there are, as far as they fit in `size` bytes. */
function ringLayout(bytes: Uint8Array): StructLayout[] {
  const structs: StructLayout[] = [RING_HEADER];
  const geometry = ringGeometry(bytes);
  if (!geometry) return structs;
  for (let i = 0; i < geometry.slots && ringSlotOffset(geometry.slotSize, i + 1) <= bytes.length; i++)
    structs.push(ringSlotAt(geometry.slotSize, i));
  return structs;
}

// ---------------------------------------------------------------------------------------------
// The batched design: the same messages, with the two sides' positions in the segment instead of
// counted in semaphores, so that a message costs no system call while both sides keep up, and
// the slots' headers apart from their data, so that a run of slots is one copy.
//
//   struct ring_header           at offset 0, as above, with the magic "IPCQ"
//   struct ring_producer {       at offset 64, a cache line of its own: only the producer writes it
//       uint32_t head;           messages published, mod 2^32; a release store, after the
//   };                           slots' length, sequence and data are written
//   struct ring_consumer {       at offset 128: only the consumer writes it
//       uint32_t tail;           messages taken, mod 2^32; a release store, after the slots'
//   };                           data is copied out
//   struct producer_sleeps {     at offset 192: only the producer writes it
//       uint32_t sleeps;         odd while the producer sleeps, waiting for a free slot: it adds
//   };                           1 before it sleeps and 1 after it wakes (the consumer wakes it)
//   struct consumer_sleeps {     at offset 256: only the consumer writes it
//       uint32_t sleeps;         odd while the consumer sleeps, waiting for a message (the
//   };                           producer wakes it)
//   struct batched_slot {        N of them from offset 320, slot i's at 320 + 8 * i: the slots'
//       uint32_t length;         headers; length: data bytes in slot i, 0 marks the end of the
//       uint32_t sequence;       stream; sequence: the message number mod 2^32, so the
//   };                           consumer can check the order
//   uint8_t data[N][slot_size];  from offset D = 320 + 8 * N rounded up to 64 (a cache line):
//                                slot i's data at D + i * slot_size, no gap between slots
//
// Each word has a cache line of its own: head and tail change with every batch, and each side
// reads the other's `sleeps` after every batch, which costs nothing while that line stays in its
// cache, that is, while the other side does not sleep. Slot i+1's data follows slot i's, so a run
// of full slots (up to the end of the ring) is one contiguous range: the producer copies a run
// of its source in with one copy and the consumer copies it out with one, where the textbook
// ring's headers, between the slots, make it a copy a message.
//
// A batch is a quarter of the ring, at least 1 and at most 16 messages (publishEvery in ./batched.ts,
// `batch` in bench/c/shm-ring-batched.c): the producer writes that many slots, or as many as are
// free, then stores head once; the consumer copies out what it found, a batch at a time, and
// stores tail after each. A side written apart may publish every message instead: the protocol
// does not change, only its cost.
//
// The segment and a set of two semaphores share one key: ftok(key file, 'Q') (0x51), or an
// explicit key. The producer creates both (IPC_EXCL, mode 0600, both semaphores 0), writes the
// header with the magic "IPCQ" last, and streams once a consumer has attached (read-write: it
// writes its tail); head and tail start at 0. The producer may write message `head` while
// head - tail < N (unsigned 32-bit arithmetic). Message m (m = 0, 1, ... without end) goes into
// slot m mod N with sequence m mod 2^32, as in the textbook ring. Each side counts its slot on
// by itself (the next after N - 1 is 0): head mod N is the same slot only while head has not
// wrapped, or when N divides 2^32. A message shorter than slot_size leaves the rest of its slot
// unused; length 0 ends the stream, total_bytes, sha256 and ended written before that last head.
//
// A side that finds nothing to do looks again for a while (spinning, 1 to 50 us: long while
// spinning pays, short when it does not, as when the other side shares its CPU; a side may also
// skip it), then makes its `sleeps` odd, looks once more, and blocks on its semaphore: 0, `data`,
// the consumer's; 1, `space`, the producer's. The other side, after each release store of its
// index (that is, after each batch), reads the sleeper's `sleeps`; if it is odd and not the
// value it last posted for, it wakes it with a V, once. The consumer wakes the producer only
// once half the ring is free, and the producer wakes the consumer only once half the ring is
// full (or with the end of stream). Store then load on one side, store then load on the other
// (both sequentially consistent): one of the two always sees the other's store, so no wake-up
// is lost. A woken side, or one whose semtimedop of at most 100 ms timed out, looks again
// before it sleeps again.

export const BATCHED_RING_PROJECT_ID = 0x51; // 'Q': the same key file, another key
export const BATCHED_RING_MAGIC = 'IPCQ';
export const RING_PRODUCER = layoutStruct('ring_producer', 64, [{ name: 'head', ctype: 'uint32_t' }]);
export const RING_CONSUMER = layoutStruct('ring_consumer', 128, [{ name: 'tail', ctype: 'uint32_t' }]);
export const PRODUCER_SLEEPS = layoutStruct('producer_sleeps', 192, [{ name: 'sleeps', ctype: 'uint32_t' }]);
export const CONSUMER_SLEEPS = layoutStruct('consumer_sleeps', 256, [{ name: 'sleeps', ctype: 'uint32_t' }]);
/** A batched slot's header; its data is elsewhere (batchedDataOffset). */
export const BATCHED_SLOT = layoutStruct('batched_slot', 0, [
  { name: 'length', ctype: 'uint32_t' },
  { name: 'sequence', ctype: 'uint32_t' },
]);
export const BATCHED_SLOTS_OFFSET = 320; // the header, and a line for each of the four words
export const BATCHED_SEM = {
  // wake-up channels, both starting at 0
  data: 0, // the consumer sleeps on it; the producer posts
  space: 1, // the producer sleeps on it; the consumer posts
} as const;

/** Where slot `i`'s header (struct batched_slot) is. */
export function batchedSlotOffset(i: number): number {
  return BATCHED_SLOTS_OFFSET + i * BATCHED_SLOT.size;
}

/** Where the slots' data starts: after the N headers, on a cache line. */
export function batchedDataOffset(slots: number): number {
  return roundUp(batchedSlotOffset(slots), RING_SLOT_ALIGN);
}

/** Where slot `i`'s data is. */
export function batchedSlotDataOffset(slots: number, slotSize: number, i: number): number {
  return batchedDataOffset(slots) + i * slotSize;
}

export function batchedSegmentSize(slots: number, slotSize: number): number {
  return batchedSlotDataOffset(slots, slotSize, slots);
}

/** The header, the two sides' lines, every slot's header, then every slot's data, as far as they fit. */
function batchedLayout(bytes: Uint8Array): StructLayout[] {
  const structs: StructLayout[] = [RING_HEADER, RING_PRODUCER, RING_CONSUMER, PRODUCER_SLEEPS, CONSUMER_SLEEPS];
  const geometry = ringGeometry(bytes);
  if (!geometry) return structs;
  const { slots, slotSize } = geometry;
  for (let i = 0; i < slots && batchedSlotOffset(i + 1) <= bytes.length; i++) structs.push(placeStruct(BATCHED_SLOT, batchedSlotOffset(i)));
  const data = layoutStruct('slot_data', 0, [{ name: 'data', ctype: 'uint8_t', count: slotSize }]);
  for (let i = 0; i < slots && batchedSlotDataOffset(slots, slotSize, i + 1) <= bytes.length; i++)
    structs.push(placeStruct(data, batchedSlotDataOffset(slots, slotSize, i)));
  return structs;
}

export const BATCHED_RING_LAB: Lab = {
  name: 'ring-batched',
  summary: 'the batched ring: indices in the segment, a wake-up only for a sleeping side (make ring DESIGN=batched)',
  projectId: BATCHED_RING_PROJECT_ID,
  magic: BATCHED_RING_MAGIC,
  parties: 2,
  semaphores: ['data', 'space'],
  structs: [RING_HEADER, RING_PRODUCER, RING_CONSUMER, PRODUCER_SLEEPS, CONSUMER_SLEEPS, BATCHED_SLOT],
  layout: batchedLayout,
  marks: {
    magic: 'M',
    slots: 'N',
    slot_size: 'z',
    ended: 'e',
    total_bytes: 't',
    sha256: 'h',
    head: 'H',
    tail: 'T',
    sleeps: 's',
    length: 'l',
    sequence: 'q',
    data: 'd',
  },
};

export const RING_LAB: Lab = {
  name: 'ring',
  summary: 'the ring buffer and its counting semaphores (make ring)',
  projectId: RING_PROJECT_ID,
  magic: RING_MAGIC,
  parties: 2,
  semaphores: ['empty', 'full'],
  structs: [RING_HEADER, RING_SLOT],
  layout: ringLayout,
  marks: { magic: 'M', slots: 'N', slot_size: 'z', ended: 'e', total_bytes: 't', sha256: 'h', length: 'l', sequence: 'q', data: 'd' },
};
