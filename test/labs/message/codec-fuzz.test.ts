/**
 * A segment is input from another process: the decoder and the inspector's map and legend must
 * end every byte string in a correct decode or a SegmentFormatError: never another exception,
 * a read outside the segment, or a hang. 10,000 random and mutated segments.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MIN_SEGMENT_SIZE, THE_MESSAGE } from '../../../src/labs/message/contract.ts';
import { renderLegend, renderMap } from '../../../src/tools/memory-map.ts';
import { decodeSegment, SegmentFormatError, writeSegment } from '../../../src/labs/message/codec.ts';
import { SegmentView } from '../../../src/sysv/segment-view.ts';

const valid = new Uint8Array(1024);
await writeSegment(new SegmentView(valid.buffer, false, () => true), THE_MESSAGE);

function check(bytes: Uint8Array): void {
  // A fresh buffer of exactly this length: any read past it would throw a RangeError.
  const copy = bytes.slice();
  const view = new SegmentView(copy.buffer, true, () => true);
  try {
    const decoded = decodeSegment(view);
    expect(decoded.header.magic).toBe('IPCL');
    expect(decoded.size).toBe(copy.length);
  } catch (error) {
    if (!(error instanceof SegmentFormatError)) throw error;
    expect(error.message.length).toBeGreaterThan(10);
  }
  renderMap(copy, { color: false });
  renderLegend(copy, { color: true });
}

/** Mutations aimed at what the decoder checks. */
const mutation = fc.oneof(
  fc.record({ at: fc.integer({ min: 0, max: 1023 }), byte: fc.integer({ min: 0, max: 255 }) }).map(({ at, byte }) => (b: Uint8Array) => {
    b[at] = byte;
  }),
  fc.integer({ min: 0, max: 0xffff }).map((v) => (b: Uint8Array) => {
    new DataView(b.buffer).setUint16(4, v, true);
  }),
  fc.integer({ min: 0, max: 0xffff }).map((v) => (b: Uint8Array) => {
    new DataView(b.buffer).setUint16(6, v, true);
  }),
  fc.integer({ min: 0, max: 0xffffffff }).map((v) => (b: Uint8Array) => {
    new DataView(b.buffer).setUint32(8, v >>> 0, true);
  }),
  fc.integer({ min: 0, max: 0xffffffff }).map((v) => (b: Uint8Array) => {
    new DataView(b.buffer).setUint32(12, v >>> 0, true);
  }),
  fc.constantFrom(16, 48, 64).map((start) => (b: Uint8Array) => {
    b.fill(0x41, start, start + 20);
  }),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 5e-324).map((v) => (b: Uint8Array) => {
    new DataView(b.buffer).setFloat64(56, v, true);
  }),
);

describe('decoding hostile segments', () => {
  it('survives 5,000 random byte strings of any length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 2048 }), (bytes) => check(bytes)),
      { numRuns: 5_000 },
    );
  });

  it('survives 5,000 valid segments with mutations and truncations', () => {
    fc.assert(
      fc.property(
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        fc.option(fc.integer({ min: 0, max: 1024 })),
        (mutations, truncateTo) => {
          const bytes = valid.slice();
          for (const mutate of mutations) mutate(bytes);
          check(bytes.subarray(0, truncateTo ?? 1024));
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('still decodes the untouched segment, and rejects each truncation below the minimum', () => {
    expect(decodeSegment(new SegmentView(valid.slice().buffer, true, () => true)).message).toEqual(THE_MESSAGE);
    for (let n = 0; n < MIN_SEGMENT_SIZE; n++) {
      expect(() => decodeSegment(new SegmentView(valid.slice(0, n).buffer, true, () => true))).toThrow(SegmentFormatError);
    }
  });
});
