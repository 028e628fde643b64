/**
 * A segment is input from another process: the decoder and the inspector's map and legend must
 * end every byte string in a correct decode or a SegmentFormatError: never another exception,
 * a read outside the segment, or a hang. 10,000 random and mutated segments.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSegment, SegmentFormatError } from '../../../src/labs/message/codec.ts';
import { MIN_SEGMENT_SIZE, THE_MESSAGE } from '../../../src/labs/message/contract.ts';
import { SegmentView } from '../../../src/sysv/segment-view.ts';
import { renderLegend, renderMap } from '../../../src/tools/memory-map.ts';
import { mutatedMessage, randomSegment, validMessage as valid } from '../../support/hostile-segments.ts';

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

describe('decoding hostile segments', () => {
  it('survives 5,000 random byte strings of any length', () => {
    fc.assert(
      fc.property(randomSegment, (bytes) => check(bytes)),
      { numRuns: 5_000 },
    );
  });

  it('survives 5,000 valid segments with mutations and truncations', () => {
    fc.assert(
      fc.property(mutatedMessage, (bytes) => check(bytes)),
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
