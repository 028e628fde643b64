/**
 * Hostile segments, for every decoder that reads another process's bytes (the message codec,
 * the memory map, the live view): random byte strings, and the valid message segment with
 * mutations aimed at what the decoders check, and truncated.
 */
import fc from 'fast-check';
import { writeSegment } from '../../src/labs/message/codec.ts';
import { THE_MESSAGE } from '../../src/labs/message/contract.ts';
import { SegmentView } from '../../src/sysv/segment-view.ts';

/** The server's 1024 bytes, as it writes them. */
export const validMessage = new Uint8Array(1024);
await writeSegment(new SegmentView(validMessage.buffer, false, () => true), THE_MESSAGE);

/** Mutations aimed at what the decoder checks. */
export const messageMutation = fc.oneof(
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

/** Random byte strings of any length up to 2 KiB. */
export const randomSegment = fc.uint8Array({ minLength: 0, maxLength: 2048 });

/** The valid segment, mutated one to six times, then perhaps truncated. */
export const mutatedMessage = fc
  .tuple(fc.array(messageMutation, { minLength: 1, maxLength: 6 }), fc.option(fc.integer({ min: 0, max: 1024 })))
  .map(([mutations, truncateTo]) => {
    const bytes = validMessage.slice();
    for (const mutate of mutations) mutate(bytes);
    return bytes.slice(0, truncateTo ?? 1024);
  });
