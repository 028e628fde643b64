import { readFileSync } from 'node:fs';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { HEADER, PI_MESSAGE, THE_MESSAGE } from '../../src/labs/message/contract.ts';
import { renderLegend, renderMap, segmentRegions } from '../../src/tools/memory-map.ts';
import { writeSegment } from '../../src/labs/message/codec.ts';
import { SegmentView } from '../../src/sysv/segment-view.ts';

const GOLDEN = readFileSync(new URL('./golden/memory-map.txt', import.meta.url), 'utf8');

async function theSegment(size = 1024): Promise<Uint8Array> {
  const buffer = new ArrayBuffer(size);
  await writeSegment(new SegmentView(buffer, false, () => true), THE_MESSAGE);
  return new Uint8Array(buffer);
}

describe('the annotated memory map', () => {
  it('matches the golden file in plain text', async () => {
    const bytes = await theSegment();
    expect(`${renderMap(bytes, { color: false })}\n\n${renderLegend(bytes, { color: false })}\n`).toBe(GOLDEN);
  });

  it('accounts for every byte exactly once, padding where the contract says', () => {
    const regions = segmentRegions(new Uint8Array(1024));
    let next = 0;
    for (const r of regions) {
      expect(r.start).toBe(next);
      next = r.start + r.size;
    }
    expect(next).toBe(1024);
    const padding = regions.filter((r) => r.kind === 'padding').map((r) => [r.start, r.size]);
    expect(padding).toEqual([
      [35, 1],
      [41, 3],
      [51, 5],
      [74, 6],
    ]);
    const fields = regions.filter((r) => r.kind === 'field').map((r) => r.field!.name);
    expect(fields).toEqual([...HEADER.fields, ...PI_MESSAGE.fields].map((f) => f.name));
  });

  it('colours bytes by field with a terminal, and says the same in plain text as without one', async () => {
    const bytes = await theSegment();
    const map = renderMap(bytes, { color: true });
    expect(map).toMatch(/\x1b\[36m49\x1b\[39m/); // magic's first byte, in the first field colour
    const plain = renderMap(bytes, { color: false });
    expect(plain).not.toMatch(/\x1b\[/);
    // the marker lines stay with colour: what a terminal shows is the handouts' text, coloured
    expect(stripVTControlCharacters(map)).toBe(plain);
    expect(stripVTControlCharacters(renderLegend(bytes, { color: true }))).toBe(renderLegend(bytes, { color: false }));
  });

  it('folds only zero rows, and shows a scribble in the unused tail', async () => {
    const bytes = await theSegment();
    bytes[500] = 0x41;
    const map = renderMap(bytes, { color: false });
    expect(map).toMatch(/^01f0 {2}.* 41 .*\|.*A.*\|$/m);
    expect(map).toMatch(/0050 {2}\.\.\. 416 bytes of zeros/);
    expect(map).toMatch(/0200 {2}\.\.\. 512 bytes of zeros \(unused\) up to 03ff/);
  });

  it('shows a segment smaller than the layout without reading past it', () => {
    const tiny = new Uint8Array(30).fill(0x20); // ends inside intro[19]
    expect(() => renderMap(tiny, { color: false })).not.toThrow();
    expect(renderLegend(tiny, { color: false })).toMatch(/beyond the segment/);
  });
});
