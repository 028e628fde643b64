import { describe, expect, it } from 'vitest';
import { PI_MESSAGE, State, THE_MESSAGE } from '../../../src/labs/message/contract.ts';
import { decodeSegment, readState, SegmentFormatError, writeSegment } from '../../../src/labs/message/codec.ts';
import { SegmentView } from '../../../src/sysv/segment-view.ts';

/** The codec only sees a SegmentView, so plain memory stands in for a segment here. */
function memory(size = 1024): SegmentView {
  return new SegmentView(new ArrayBuffer(size), false, () => true);
}

async function written(size = 1024): Promise<SegmentView> {
  const view = memory(size);
  await writeSegment(view, THE_MESSAGE);
  return view;
}

describe('the segment codec', () => {
  it('writes the bytes a C compiler would, padding zero', async () => {
    const view = await written();
    expect(Buffer.from(view.read(0, 4)).toString('latin1')).toBe('IPCL');
    expect(view.getUint16(4)).toBe(1);
    expect(view.getUint16(6)).toBe(16);
    expect(view.getUint32(8)).toBe(State.ready);
    expect(view.getUint32(12)).toBe(64);
    expect(view.getInt32(36)).toBe(22);
    expect(view.getUint8(40)).toBe('/'.charCodeAt(0));
    expect(view.getInt32(44)).toBe(7);
    expect(view.getFloat64(56)).toBe(22 / 7);
    for (const field of PI_MESSAGE.fields) {
      const pad = view.read(field.offset - field.paddingBefore, field.paddingBefore);
      expect(
        [...pad].every((b) => b === 0),
        `padding before ${field.name}`,
      ).toBe(true);
    }
    expect([...view.read(80, 1024 - 80)].every((b) => b === 0)).toBe(true);
  });

  it('reads back what it wrote', async () => {
    const decoded = decodeSegment(await written());
    expect(decoded.message).toEqual(THE_MESSAGE);
    expect(decoded.header).toEqual({ magic: 'IPCL', version: 1, headerSize: 16, state: 2, payloadSize: 64 });
  });

  it('reports each field in order while writing, with state 1 until the end', async () => {
    const view = memory();
    const seen: Array<[string, number]> = [];
    await writeSegment(view, THE_MESSAGE, (field) => {
      seen.push([field.name, readState(view)]);
    });
    expect(seen.map(([n]) => n)).toEqual(['magic', 'version', 'header_size', 'payload_size', ...PI_MESSAGE.fields.map((f) => f.name)]);
    expect(seen.every(([, state]) => state === State.writing)).toBe(true);
    expect(readState(view)).toBe(State.ready);
  });

  it('overwrites a dirty segment completely (memset first)', async () => {
    const view = memory();
    view.fill(0xff);
    await writeSegment(view, THE_MESSAGE);
    expect(view.getUint8(35)).toBe(0);
    expect(view.getUint8(1000)).toBe(0);
  });

  const corruptions: Array<[string, (v: SegmentView) => void, RegExp]> = [
    ['a wrong magic', (v) => v.write(0, Buffer.from('XXXX')), /magic is "XXXX"/],
    ['another version', (v) => v.setUint16(4, 2), /version 2/],
    ['a wrong header size', (v) => v.setUint16(6, 24), /header_size is 24/],
    ['an undefined state', (v) => v.setUint32(8, 7), /state is 7/],
    ['a wrong payload size', (v) => v.setUint32(12, 65), /payload_size is 65/],
    ['an unterminated intro', (v) => v.fill(0x41, 16, 19), /intro\[19\].*no terminating NUL/],
    ['an unterminated outro', (v) => v.fill(0x41, 64, 10), /outro\[10\].*no terminating NUL/],
    ['a state still writing', (v) => v.setUint32(8, State.writing), /not complete/],
  ];

  it.each(corruptions)('rejects %s with a clear error', async (_what, corrupt, message) => {
    const view = await written();
    corrupt(view);
    expect(() => decodeSegment(view)).toThrow(SegmentFormatError);
    expect(() => decodeSegment(view)).toThrow(message);
  });

  it('rejects a segment smaller than the header and message', () => {
    for (const size of [0, 4, 15, 79]) {
      expect(() => decodeSegment(memory(size))).toThrow(/fewer than the 80/);
    }
  });

  it('decodes NaN and infinities as values, not errors', async () => {
    const view = await written();
    view.setFloat64(56, Number.NaN);
    expect(decodeSegment(view).message.value).toBeNaN();
  });

  it('refuses to write a string longer than its field', async () => {
    await expect(writeSegment(memory(), { ...THE_MESSAGE, equals: '===' })).rejects.toThrow(/needs 4 bytes .* has 3/);
  });
});
