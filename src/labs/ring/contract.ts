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
 */
import { layoutStruct, placeStruct, type StructLayout } from '../../layout/c-layout.ts';
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

/** The header and every slot the header says there are, as far as they fit in `size` bytes. */
function ringLayout(bytes: Uint8Array): StructLayout[] {
  const structs: StructLayout[] = [RING_HEADER];
  if (bytes.length < RING_SLOTS_OFFSET) return structs;
  const data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const slots = data.getUint32(4, true);
  const slotSize = data.getUint32(8, true);
  if (slots < 1 || slots > MAX_RING_SLOTS || slotSize < 1 || slotSize > MAX_SLOT_SIZE) return structs;
  for (let i = 0; i < slots && ringSlotOffset(slotSize, i + 1) <= bytes.length; i++) structs.push(ringSlotAt(slotSize, i));
  return structs;
}

export const RING_LAB: Lab = {
  name: 'ring',
  summary: 'the ring buffer and its counting semaphores (make ring)',
  projectId: RING_PROJECT_ID,
  magic: RING_MAGIC,
  semaphores: ['empty', 'full'],
  structs: [RING_HEADER, RING_SLOT],
  layout: ringLayout,
  marks: { magic: 'M', slots: 'N', slot_size: 'z', ended: 'e', total_bytes: 't', sha256: 'h', length: 'l', sequence: 'q', data: 'd' },
};
