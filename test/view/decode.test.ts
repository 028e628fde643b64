/**
 * The live view's decoder: what it draws of each lab's bytes, and that no byte string, from the
 * message codec's fuzzed segments to random and corrupted ring and race headers, makes it throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fieldOf } from '../../src/layout/c-layout.ts';
import { MESSAGE_LAB } from '../../src/labs/message/contract.ts';
import { RACE_FIELDS, RACE_LAB, RACE_MAGIC, RACE_READER, RACE_RECORD, RACE_SEGMENT_SIZE } from '../../src/labs/race/contract.ts';
import { allLabs } from '../../src/labs/registry.ts';
import {
  BATCHED_RING_LAB,
  BATCHED_RING_MAGIC,
  batchedSegmentSize,
  batchedSlotOffset,
  RING_CONSUMER,
  RING_HEADER,
  RING_LAB,
  RING_MAGIC,
  RING_PRODUCER,
  ringSegmentSize,
  ringSlotOffset,
} from '../../src/labs/ring/contract.ts';
import { describeRegions } from '../../src/tools/memory-map.ts';
import { decodeSegment, MAP_BYTES } from '../../src/view/decode.ts';
import { mutatedMessage, randomSegment, validMessage } from '../support/hostile-segments.ts';

function ringBytes(magic: string, slots: number, slotSize: number): Uint8Array {
  const batched = magic === BATCHED_RING_MAGIC;
  const bytes = new Uint8Array(batched ? batchedSegmentSize(slots, slotSize) : ringSegmentSize(slots, slotSize));
  const data = new DataView(bytes.buffer);
  bytes.set(Buffer.from(magic, 'latin1'), 0);
  data.setUint32(fieldOf(RING_HEADER, 'slots').offset, slots, true);
  data.setUint32(fieldOf(RING_HEADER, 'slot_size').offset, slotSize, true);
  for (let i = 0; i < slots; i++) {
    const at = batched ? batchedSlotOffset(i) : ringSlotOffset(slotSize, i);
    data.setUint32(at, slotSize, true); // length
    data.setUint32(at + 4, i + 16, true); // sequence: the second lap
  }
  return bytes;
}

describe("the view's decoder", () => {
  it('draws the message segment as inspect --json does: the same regions and values', () => {
    const decoded = decodeSegment(validMessage, MESSAGE_LAB);
    expect(decoded.rejected).toEqual([]);
    expect(decoded.map!.regions).toEqual(describeRegions(validMessage, MESSAGE_LAB));
    expect(decoded.map!.state).toBe(2);
    expect(decoded.map!.states).toEqual(['empty', 'writing', 'ready']);
    const value = (field: string) => decoded.map!.regions.find((r) => r.field === field)!.value;
    expect([value('numerator'), value('denominator'), value('value')]).toEqual([22, 7, 22 / 7]);
    expect(decoded.map!.hex).toHaveLength(2 * 1024);
  });

  it("reads the race reader's counts and its last torn copy", () => {
    const bytes = new Uint8Array(RACE_SEGMENT_SIZE);
    const data = new DataView(bytes.buffer);
    bytes.set(Buffer.from(RACE_MAGIC, 'latin1'));
    data.setUint32(fieldOf(RACE_READER, 'reads').offset, 123_456, true);
    data.setUint32(fieldOf(RACE_READER, 'torn').offset, 789, true);
    for (let i = 0; i < RACE_FIELDS; i++) {
      data.setUint32(fieldOf(RACE_READER, 'last_torn').offset + 4 * i, i < 40 ? 77_102 : 77_101, true);
      data.setUint32(fieldOf(RACE_RECORD, 'seq').offset + 4 * i, 5, true);
    }
    const { race, rejected } = decodeSegment(bytes, RACE_LAB);
    expect(rejected).toEqual([]);
    expect(race).toMatchObject({ reads: 123_456, torn: 789 });
    expect(race!.lastTorn.slice(38, 42)).toEqual([77_102, 77_102, 77_101, 77_101]);
    expect(new Set(race!.record)).toEqual(new Set([5]));
  });

  it('reads both rings: geometry, every slot header, the batched indices', () => {
    const textbook = decodeSegment(ringBytes(RING_MAGIC, 16, 4096), RING_LAB);
    expect(textbook.ring).toMatchObject({ design: 'textbook', slots: 16, slotSize: 4096, head: null });
    expect(textbook.ring!.slot[3]).toEqual({ length: 4096, sequence: 19 });
    expect(textbook.map!.hex).toHaveLength(2 * MAP_BYTES); // a ring's map stops at its first bytes
    const bytes = ringBytes(BATCHED_RING_MAGIC, 8, 1000);
    new DataView(bytes.buffer).setUint32(fieldOf(RING_PRODUCER, 'head').offset, 21, true);
    new DataView(bytes.buffer).setUint32(fieldOf(RING_CONSUMER, 'tail').offset, 17, true);
    const batched = decodeSegment(bytes, BATCHED_RING_LAB);
    expect(batched.ring).toMatchObject({ design: 'batched', slots: 8, head: 21, tail: 17 });
  });

  it('says what it rejects instead of drawing it: a ring header that promises more than the segment holds', () => {
    const bytes = ringBytes(RING_MAGIC, 16, 4096).slice(0, 1000);
    const decoded = decodeSegment(bytes, RING_LAB);
    expect(decoded.ring).toBeNull();
    expect(decoded.rejected.join('\n')).toMatch(/16 slots of 4096 bytes need \d+ bytes, the segment has 1000/);
    const absurd = ringBytes(RING_MAGIC, 2, 64);
    new DataView(absurd.buffer).setUint32(fieldOf(RING_HEADER, 'slots').offset, 0xffffffff, true);
    expect(decodeSegment(absurd, RING_LAB).rejected.join('\n')).toMatch(/says 4294967295 slots of 64 bytes: not a ring this lab makes/);
    expect(decodeSegment(new Uint8Array(10).fill(0x49), RACE_LAB).map).not.toBeNull();
  });

  it("never throws on the message codec's fuzzed segments, under any lab's key", () => {
    fc.assert(
      fc.property(fc.oneof(randomSegment, mutatedMessage), fc.constantFrom(...allLabs()), (bytes, lab) => {
        const decoded = decodeSegment(bytes.slice(), lab);
        expect(Array.isArray(decoded.rejected)).toBe(true);
      }),
      { numRuns: 3_000 },
    );
  });

  it('never throws on rings and race records with random headers, magics and lengths', () => {
    const magic = fc.constantFrom(RING_MAGIC, BATCHED_RING_MAGIC, RACE_MAGIC, 'IPCL', '\0\0\0\0');
    fc.assert(
      fc.property(
        magic,
        fc.uint8Array({ minLength: 0, maxLength: 6000 }),
        fc.nat(0xffffffff),
        fc.nat(0xffffffff),
        (m, tail, slots, size) => {
          const bytes = new Uint8Array(4 + tail.length);
          bytes.set(Buffer.from(m, 'latin1'));
          bytes.set(tail, 4);
          if (bytes.length >= 12) {
            new DataView(bytes.buffer).setUint32(4, slots % 3 === 0 ? slots : slots % 64, true);
            new DataView(bytes.buffer).setUint32(8, size % 3 === 0 ? size : size % 512, true);
          }
          for (const lab of [RING_LAB, BATCHED_RING_LAB, RACE_LAB, MESSAGE_LAB]) decodeSegment(bytes, lab);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
