/**
 * An annotated memory map of a segment: 16 bytes a row, every byte marked with the field it
 * belongs to, the compiler's alignment padding shown apart, the long zero tail folded. A marker
 * line under each row names each byte's field by a letter (the legend says which), and on a
 * terminal the bytes and letters also take their field's colour. The letters stay with colour:
 * the text is the same on a terminal, in a pipe and in the printed handouts, and a reader who
 * cannot tell the colours apart loses nothing.
 */
import { HEADER, PI_MESSAGE } from './contract.ts';
import type { Field } from './c-layout.ts';
import { formatG } from './format.ts';
import { paint } from './ui/style.ts';
import { renderTable, type Cell } from './ui/table.ts';

type Color = Parameters<typeof paint>[0];

export interface Region {
  readonly kind: 'field' | 'padding' | 'unused';
  readonly start: number;
  readonly size: number;
  readonly struct: string;
  readonly field?: Field;
  /** One character that marks this region's bytes in plain text. */
  readonly mark: string;
  readonly color: Color;
}

const MARKS: Record<string, string> = {
  magic: 'M', version: 'v', header_size: 'h', state: 'S', payload_size: 'P',
  intro: 'i', numerator: 'n', slash: '/', denominator: 'd', equals: '=', value: 'V', outro: 'o',
};
const PALETTE: Color[] = ['cyan', 'green', 'yellow', 'magenta', 'blue', 'red', 'cyanBright', 'greenBright', 'yellowBright', 'magentaBright', 'blueBright', 'redBright'];
const PADDING_MARK = '_';
const UNUSED_MARK = '.';

/** Every byte of a `size`-byte segment, as fields, padding and the unused rest. */
export function segmentRegions(size: number): Region[] {
  const regions: Region[] = [];
  let colorIndex = 0;
  for (const struct of [HEADER, PI_MESSAGE]) {
    for (const field of struct.fields) {
      if (field.paddingBefore > 0) {
        regions.push({ kind: 'padding', start: field.offset - field.paddingBefore, size: field.paddingBefore, struct: struct.name, mark: PADDING_MARK, color: 'gray' });
      }
      regions.push({ kind: 'field', start: field.offset, size: field.size, struct: struct.name, field, mark: MARKS[field.name] ?? '?', color: PALETTE[colorIndex++ % PALETTE.length]! });
    }
    if (struct.tailPadding > 0) {
      regions.push({ kind: 'padding', start: struct.offset + struct.size - struct.tailPadding, size: struct.tailPadding, struct: struct.name, mark: PADDING_MARK, color: 'gray' });
    }
  }
  const used = PI_MESSAGE.offset + PI_MESSAGE.size;
  if (size > used) regions.push({ kind: 'unused', start: used, size: size - used, struct: '', mark: UNUSED_MARK, color: 'gray' });
  return regions.filter((r) => r.start < size).map((r) => (r.start + r.size > size ? { ...r, size: size - r.start } : r));
}

/** The value a field's bytes hold, read as its C type; strings stop at NUL (or say there is none). */
export function fieldValue(bytes: Uint8Array, field: Field): string | number {
  if (field.offset + field.size > bytes.length) return '(beyond the segment)';
  const data = new DataView(bytes.buffer, bytes.byteOffset + field.offset, field.size);
  switch (field.ctype) {
    case 'uint16_t': return data.getUint16(0, true);
    case 'uint32_t': return field.name === 'magic' ? latin1(bytes.subarray(field.offset, field.offset + 4)) : data.getUint32(0, true);
    case 'int32_t': return data.getInt32(0, true);
    case 'double': return data.getFloat64(0, true);
    case 'uint64_t': return Number(data.getBigUint64(0, true));
    case 'char': {
      if (field.count === undefined) return latin1(bytes.subarray(field.offset, field.offset + 1));
      const raw = bytes.subarray(field.offset, field.offset + field.size);
      const nul = raw.indexOf(0);
      return nul === -1 ? `${latin1(raw)} (no NUL!)` : latin1(raw.subarray(0, nul));
    }
  }
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1');
}

function showValue(value: string | number, field: Field): string {
  if (typeof value === 'string') return JSON.stringify(value);
  return field.ctype === 'double' ? `${value} (%g: ${formatG(value)})` : String(value);
}

const printable = (b: number): string => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.');

export interface MapOptions {
  readonly color: boolean;
}

/** The rows of the map; all-zero rows in the unused part fold into one line. */
export function renderMap(bytes: Uint8Array, options: MapOptions): string {
  const regions = segmentRegions(bytes.length);
  const regionAt = new Array<Region | undefined>(bytes.length);
  for (const r of regions) for (let i = r.start; i < r.start + r.size; i++) regionAt[i] = r;
  const lines: string[] = [];
  let folded: { from: number; to: number } | undefined;
  const flushFold = (): void => {
    if (!folded) return;
    const count = folded.to - folded.from;
    lines.push(paint('gray', `${hex4(folded.from)}  ... ${count} bytes of zeros (unused) up to ${hex4(folded.to - 1)} ...`, options.color));
    folded = undefined;
  };
  for (let row = 0; row < bytes.length; row += 16) {
    const end = Math.min(row + 16, bytes.length);
    const slice = bytes.subarray(row, end);
    const allUnused = regionAt.slice(row, end).every((r) => r?.kind === 'unused');
    if (allUnused && slice.every((b) => b === 0)) {
      folded = folded ? { from: folded.from, to: end } : { from: row, to: end };
      continue;
    }
    flushFold();
    const hexCells: string[] = [];
    const marks: string[] = [];
    for (let i = row; i < row + 16; i++) {
      if (i >= end) {
        hexCells.push('  ');
        marks.push('  ');
        continue;
      }
      const r = regionAt[i];
      const cell = bytes[i]!.toString(16).padStart(2, '0');
      hexCells.push(r && options.color ? paint(r.kind === 'field' ? r.color : ['gray', 'dim'], cell, true) : cell);
      const mark = r?.mark ?? ' ';
      marks.push(`${r && options.color ? paint(r.kind === 'field' ? r.color : ['gray', 'dim'], mark, true) : mark} `);
    }
    const text = [...slice].map(printable).join('');
    lines.push(`${hex4(row)}  ${hexCells.slice(0, 8).join(' ')}  ${hexCells.slice(8).join(' ')}  |${text}|`);
    lines.push(`      ${marks.slice(0, 8).join('')} ${marks.slice(8).join('')}`.trimEnd());
  }
  flushFold();
  return lines.join('\n');
}

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

/** One row per field and padding run: offset, size, C type, padding before, decoded value. */
export function renderLegend(bytes: Uint8Array, options: MapOptions): string {
  const rows: Cell[][] = segmentRegions(bytes.length).map((r) => {
    const mark = options.color ? paint(r.kind === 'field' ? r.color : 'gray', r.mark, true) : r.mark;
    if (r.kind === 'field' && r.field) {
      return [mark, `${r.struct}.${r.field.name}`, r.start, r.size, r.field.declaration, r.field.paddingBefore, showValue(fieldValue(bytes, r.field), r.field)];
    }
    if (r.kind === 'padding') return [mark, `(padding in ${r.struct})`, r.start, r.size, '', '', 'alignment: never written, stays 0'];
    return [mark, '(unused)', r.start, r.size, '', '', 'zero-filled by the server'];
  });
  return renderTable(['mark', 'field', 'offset', 'size', 'C type', 'padding before', 'decoded value'], rows);
}
