/**
 * What the live view shows of a segment's bytes, as plain data for the page: every lab's
 * segment through the registry (its memory map: fields, padding, values), and for the race and
 * the ring what their structs say (the reader's counts, the slots and the two sides' places).
 *
 * Pure functions of the bytes, so that hostile or half-written bytes can be thrown at them in a
 * test: a decoder never throws on bytes. What it cannot make sense of it reports as `rejected`,
 * with the reason, and the page shows that instead of the picture. It reads only what it draws:
 * a ring of 16 slots of 16 MiB is 256 MiB, of which the view needs the header and 8 bytes a slot.
 */
import { fieldOf } from '../layout/c-layout.ts';
import { RACE_FIELDS, RACE_READER, RACE_RECORD } from '../labs/race/contract.ts';
import {
  BATCHED_RING_MAGIC,
  batchedSegmentSize,
  batchedSlotOffset,
  CONSUMER_SLEEPS,
  MAX_RING_SLOTS,
  MAX_SLOT_SIZE,
  PRODUCER_SLEEPS,
  RING_CONSUMER,
  RING_HEADER,
  RING_MAGIC,
  RING_PRODUCER,
  RING_SLOT,
  ringSlotOffset,
} from '../labs/ring/contract.ts';
import { verdictOf, type Lab } from '../labs/registry.ts';
import { describeRegions, labOf, type RegionReport } from '../tools/memory-map.ts';

/** How many of a segment's bytes the page gets for its memory map (a ring's slots are not drawn byte by byte). */
export const MAP_BYTES = 4096;

/** A segment to decode: its size, and its bytes, read on demand. */
export interface SegmentSource {
  readonly size: number;
  read(offset: number, length: number): Uint8Array;
}

/** Bytes already copied out, as a source (the tests' segments). */
export function bytesSource(bytes: Uint8Array): SegmentSource {
  return { size: bytes.length, read: (offset, length) => bytes.slice(offset, offset + length) };
}

export interface MapPicture {
  readonly size: number;
  /** The first MAP_BYTES bytes at most, as hex. */
  readonly hex: string;
  readonly regions: readonly RegionReport[];
  readonly valid: boolean;
  readonly state: number | null;
  readonly states: readonly string[] | null;
  readonly verdict: string;
}

export interface RacePicture {
  readonly reads: number;
  readonly torn: number;
  /** The reader's last torn copy, field by field (all zero until one is seen). */
  readonly lastTorn: readonly number[];
  /** The record as this view copied it, without the lock: what is in the segment now. */
  readonly record: readonly number[];
}

export interface RingPicture {
  readonly design: 'textbook' | 'batched';
  readonly slots: number;
  readonly slotSize: number;
  readonly ended: boolean;
  readonly totalBytes: number;
  /** Each slot's length and sequence as its header says. */
  readonly slot: readonly { readonly length: number; readonly sequence: number }[];
  /** Batched: the producer's head and the consumer's tail, and each side's `sleeps`. */
  readonly head: number | null;
  readonly tail: number | null;
  readonly producerSleeps: number | null;
  readonly consumerSleeps: number | null;
}

export interface Decoded {
  readonly map: MapPicture | null;
  readonly race: RacePicture | null;
  readonly ring: RingPicture | null;
  /** Why (part of) the bytes were not drawn: too short, an impossible header, a decoder's complaint. */
  readonly rejected: readonly string[];
}

const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const dataOf = (bytes: Uint8Array): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));

function mapOf(shown: Uint8Array, size: number, lab: Lab, rejected: string[]): MapPicture | null {
  try {
    // A ring's slots hold megabytes: the map covers its first bytes, the header and the first slots.
    const v = verdictOf(lab, shown);
    return {
      size,
      hex: hexOf(shown),
      regions: describeRegions(shown, lab),
      valid: v.valid,
      state: v.state,
      states: lab.states ?? null,
      verdict: v.text,
    };
  } catch (error) {
    rejected.push(`the memory map: ${reason(error)}`);
    return null;
  }
}

function raceOf(bytes: Uint8Array, rejected: string[]): RacePicture | null {
  const end = RACE_READER.offset + RACE_READER.size;
  if (bytes.length < end) {
    rejected.push(`the race record and counts need ${end} bytes, the segment has ${bytes.length}`);
    return null;
  }
  const data = dataOf(bytes);
  const words = (offset: number): number[] => Array.from({ length: RACE_FIELDS }, (_, i) => data.getUint32(offset + 4 * i, true));
  return {
    reads: data.getUint32(fieldOf(RACE_READER, 'reads').offset, true),
    torn: data.getUint32(fieldOf(RACE_READER, 'torn').offset, true),
    lastTorn: words(fieldOf(RACE_READER, 'last_torn').offset),
    record: words(fieldOf(RACE_RECORD, 'seq').offset),
  };
}

function ringOf(head: Uint8Array, segment: SegmentSource, magic: string, rejected: string[]): RingPicture | null {
  const batched = magic === BATCHED_RING_MAGIC;
  const firstSlot = batched ? batchedSlotOffset(0) : ringSlotOffset(0, 0);
  if (head.length < firstSlot) {
    rejected.push(`a ring's header needs ${firstSlot} bytes, the segment has ${segment.size}`);
    return null;
  }
  const data = dataOf(head);
  const u32 = (offset: number): number => data.getUint32(offset, true);
  const slots = u32(fieldOf(RING_HEADER, 'slots').offset);
  const slotSize = u32(fieldOf(RING_HEADER, 'slot_size').offset);
  if (slots < 1 || slots > MAX_RING_SLOTS || slotSize < 1 || slotSize > MAX_SLOT_SIZE) {
    rejected.push(
      `the ring's header says ${slots} slots of ${slotSize} bytes: not a ring this lab makes ` +
        `(1..${MAX_RING_SLOTS} slots of at most ${MAX_SLOT_SIZE} bytes)`,
    );
    return null;
  }
  // Slot i's header: in the batched ring, the headers sit together, apart from the data.
  const offsetOf = (i: number): number => (batched ? batchedSlotOffset(i) : ringSlotOffset(slotSize, i));
  const needed = batched ? batchedSegmentSize(slots, slotSize) : ringSlotOffset(slotSize, slots);
  if (needed > segment.size) {
    rejected.push(`${slots} slots of ${slotSize} bytes need ${needed} bytes, the segment has ${segment.size}`);
    return null;
  }
  const length = fieldOf(RING_SLOT, 'length').offset;
  const sequence = fieldOf(RING_SLOT, 'sequence').offset;
  /** Slot i's header, 8 bytes: all the view reads of its data. */
  const slotHeader = (i: number): { length: number; sequence: number } => {
    const at = dataOf(segment.read(offsetOf(i), RING_SLOT.size));
    return { length: at.getUint32(length, true), sequence: at.getUint32(sequence, true) };
  };
  return {
    design: batched ? 'batched' : 'textbook',
    slots,
    slotSize,
    ended: u32(fieldOf(RING_HEADER, 'ended').offset) !== 0,
    totalBytes: Number(data.getBigUint64(fieldOf(RING_HEADER, 'total_bytes').offset, true)),
    slot: Array.from({ length: slots }, (_, i) => slotHeader(i)),
    head: batched ? u32(fieldOf(RING_PRODUCER, 'head').offset) : null,
    tail: batched ? u32(fieldOf(RING_CONSUMER, 'tail').offset) : null,
    producerSleeps: batched ? u32(fieldOf(PRODUCER_SLEEPS, 'sleeps').offset) : null,
    consumerSleeps: batched ? u32(fieldOf(CONSUMER_SLEEPS, 'sleeps').offset) : null,
  };
}

/** Everything the page draws of a segment, for the lab whose key it was found under. */
export function decodeSegment(segment: Uint8Array | SegmentSource, keyLab: Lab): Decoded {
  const source = segment instanceof Uint8Array ? bytesSource(segment) : segment;
  const rejected: string[] = [];
  // The first bytes: the map, the headers, the race's record and counts all lie within them.
  const head = source.read(0, Math.min(source.size, MAP_BYTES));
  // The magic decides how to read the bytes; until it is there, the lab of the key.
  const lab = labOf(head, keyLab);
  if (lab !== keyLab && head.length >= 4 && lab.magic !== keyLab.magic)
    rejected.push(`found under the ${keyLab.name} lab's key, but its magic says ${lab.name}: drawn as ${lab.name}`);
  const map = mapOf(head, source.size, lab, rejected);
  const magic = Buffer.from(head.subarray(0, 4)).toString('latin1');
  const race = lab.name === 'race' && magic === lab.magic ? raceOf(head, rejected) : null;
  const ring = (magic === RING_MAGIC || magic === BATCHED_RING_MAGIC) && lab.magic === magic ? ringOf(head, source, magic, rejected) : null;
  return { map, race, ring, rejected };
}
