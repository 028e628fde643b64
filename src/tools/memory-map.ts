/**
 * An annotated memory map of any lab's segment: 16 bytes a row, every byte marked with the field
 * it belongs to, the compiler's alignment padding shown apart, long zero runs and long byte
 * arrays folded. A marker line under each row names each byte's field by a letter (the legend
 * says which), and on a terminal the bytes and letters also take their field's colour. The
 * letters stay with colour: the text is the same on a terminal, in a pipe and in the printed
 * handouts, and a reader who cannot tell the colours apart loses nothing.
 *
 * Which structs sit where comes from the lab's contract through the registry: the lab whose
 * magic the segment starts with, or the one the caller names (a segment not yet written has
 * no magic).
 */
import type { Field } from '../layout/c-layout.ts';
import { allLabs, labWithMagic, type Lab } from '../labs/registry.ts';
import { formatG } from '../text/numbers.ts';
import { paint } from '../text/style.ts';
import { renderTable, type Cell } from '../text/table.ts';

type Color = Parameters<typeof paint>[0];

export interface Region {
  readonly kind: 'field' | 'padding' | 'unused';
  readonly start: number;
  readonly size: number;
  readonly struct: string;
  readonly field?: Field;
  /** Which of the structs called `struct` this region is in: 0 for the first (-1: none). */
  readonly instance: number;
  /** One character that marks this region's bytes in plain text. */
  readonly mark: string;
  readonly color: Color;
}

const PALETTE: Color[] = [
  'cyan',
  'green',
  'yellow',
  'magenta',
  'blue',
  'red',
  'cyanBright',
  'greenBright',
  'yellowBright',
  'magentaBright',
  'blueBright',
  'redBright',
];
const PADDING_MARK = '_';
const UNUSED_MARK = '.';
/** A byte array longer than this shows its first row only; the rest folds into one line. */
const FOLD_ARRAYS_OVER = 32;
/** The legend shows this many of a struct that repeats (a ring's slots), then counts the rest. */
const LEGEND_REPEATS = 2;

/** The lab a segment belongs to: by its magic, else the caller's choice, else the first lab. */
export function labOf(bytes: Uint8Array, fallback?: Lab): Lab {
  return labWithMagic(bytes) ?? fallback ?? allLabs()[0]!;
}

/** Every byte of the segment, as fields, padding and the unused rest. */
export function segmentRegions(bytes: Uint8Array, lab = labOf(bytes)): Region[] {
  const size = bytes.length;
  const regions: Region[] = [];
  let colorIndex = 0;
  let cursor = 0;
  const instances = new Map<string, number>();
  const unused = (from: number, to: number): void => {
    if (to > from)
      regions.push({ kind: 'unused', start: from, size: to - from, struct: '', instance: -1, mark: UNUSED_MARK, color: 'gray' });
  };
  const structs = [...lab.layout(bytes)].sort((a, b) => a.offset - b.offset);
  for (const struct of structs) {
    unused(cursor, struct.offset);
    const instance = instances.get(struct.name) ?? 0;
    instances.set(struct.name, instance + 1);
    const padding = (start: number, size: number): Region => ({
      kind: 'padding',
      start,
      size,
      struct: struct.name,
      instance,
      mark: PADDING_MARK,
      color: 'gray',
    });
    for (const field of struct.fields) {
      if (field.paddingBefore > 0) regions.push(padding(field.offset - field.paddingBefore, field.paddingBefore));
      if (field.size === 0) continue; // a flexible array member: its bytes are another struct's business
      regions.push({
        kind: 'field',
        start: field.offset,
        size: field.size,
        struct: struct.name,
        instance,
        field,
        mark: lab.marks?.[field.name] ?? field.name[0]!,
        color: PALETTE[colorIndex++ % PALETTE.length]!,
      });
    }
    if (struct.tailPadding > 0) regions.push(padding(struct.offset + struct.size - struct.tailPadding, struct.tailPadding));
    cursor = struct.offset + struct.size;
  }
  unused(cursor, size);
  return regions.filter((r) => r.start < size).map((r) => (r.start + r.size > size ? { ...r, size: size - r.start } : r));
}

/** A region as data (inspect --json, make view): where it is, what it is, and the value it holds. */
export interface RegionReport {
  readonly kind: Region['kind'];
  readonly struct: string | null;
  readonly field: string | null;
  readonly ctype: string | null;
  readonly offset: number;
  readonly size: number;
  readonly paddingBefore: number | null;
  readonly value: string | number | null;
}

export function describeRegions(bytes: Uint8Array, lab = labOf(bytes)): RegionReport[] {
  return segmentRegions(bytes, lab).map((r) => ({
    kind: r.kind,
    struct: r.struct || null,
    field: r.field?.name ?? null,
    ctype: r.field?.declaration ?? null,
    offset: r.start,
    size: r.size,
    paddingBefore: r.field?.paddingBefore ?? null,
    value: r.field ? fieldValue(bytes, r.field) : null,
  }));
}

const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

/** The value a field's bytes hold, read as its C type; strings stop at NUL (or say there is none). */
export function fieldValue(bytes: Uint8Array, field: Field): string | number {
  if (field.offset + field.size > bytes.length) return '(beyond the segment)';
  const raw = bytes.subarray(field.offset, field.offset + field.size);
  const data = new DataView(bytes.buffer, bytes.byteOffset + field.offset, field.size);
  const array = field.count !== undefined;
  // A magic is four bytes to compare, not a C string: it has no NUL of its own.
  if (field.name === 'magic') return latin1(raw);
  switch (field.ctype) {
    case 'uint16_t':
      return array ? `${field.count} x uint16_t` : data.getUint16(0, true);
    case 'uint32_t': {
      if (!array) return data.getUint32(0, true);
      const first = Array.from({ length: Math.min(field.count!, 4) }, (_, i) => data.getUint32(4 * i, true));
      return `[${first.join(', ')}${field.count! > 4 ? ', ...' : ''}]`;
    }
    case 'int32_t':
      return data.getInt32(0, true);
    case 'double':
      return data.getFloat64(0, true);
    case 'uint64_t':
      return Number(data.getBigUint64(0, true));
    case 'uint8_t': {
      const shown = Buffer.from(raw.subarray(0, 16)).toString('hex');
      return array ? `${shown}${raw.length > 16 ? '...' : ''}` : raw[0]!;
    }
    case 'char': {
      if (!array) return latin1(raw.subarray(0, 1));
      const nul = raw.indexOf(0);
      return nul === -1 ? `${latin1(raw)} (no NUL!)` : latin1(raw.subarray(0, nul));
    }
  }
}

function showValue(value: string | number, field: Field): string {
  if (typeof value === 'string')
    return field.ctype === 'uint8_t' || (field.ctype === 'uint32_t' && field.name !== 'magic') ? value : JSON.stringify(value);
  return field.ctype === 'double' ? `${value} (%g: ${formatG(value)})` : String(value);
}

const printable = (b: number): string => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.');
const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

export interface MapOptions {
  readonly color: boolean;
  /** The lab to draw a segment as when its magic does not say (a segment not yet written). */
  readonly lab?: Lab | undefined;
}

/** The rows of the map; all-zero rows in the unused part, and the inside of long arrays, fold into one line. */
export function renderMap(bytes: Uint8Array, options: MapOptions): string {
  const regions = segmentRegions(bytes, labOf(bytes, options.lab));
  const regionAt = new Array<Region | undefined>(bytes.length);
  for (const r of regions) for (let i = r.start; i < r.start + r.size; i++) regionAt[i] = r;
  const lines: string[] = [];
  let folded: { from: number; to: number; what: string } | undefined;
  const flushFold = (): void => {
    if (!folded) return;
    const count = folded.to - folded.from;
    lines.push(paint('gray', `${hex4(folded.from)}  ... ${count} ${folded.what} up to ${hex4(folded.to - 1)} ...`, options.color));
    folded = undefined;
  };
  const fold = (row: number, end: number, what: string): void => {
    if (folded && folded.what === what && folded.to === row) folded = { ...folded, to: end };
    else {
      flushFold();
      folded = { from: row, to: end, what };
    }
  };
  for (let row = 0; row < bytes.length; row += 16) {
    const end = Math.min(row + 16, bytes.length);
    const slice = bytes.subarray(row, end);
    const here = regionAt.slice(row, end);
    if (here.every((r) => r?.kind === 'unused') && slice.every((b) => b === 0)) {
      fold(row, end, 'bytes of zeros (unused)');
      continue;
    }
    // Inside a long array, past its first row: one line for the lot.
    const inside = here[0];
    if (inside?.field && inside.field.size > FOLD_ARRAYS_OVER && row >= inside.start + 16 && here.every((r) => r === inside)) {
      fold(row, end, `more bytes of ${inside.struct}.${inside.field.name}`);
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

/** One row per field and padding run: offset, size, C type, padding before, decoded value. */
export function renderLegend(bytes: Uint8Array, options: MapOptions): string {
  const rows: Cell[][] = [];
  // A struct that repeats (the ring's slots): the first few, then how many more.
  const hidden = new Map<string, Set<number>>();
  let afterHidden = false;
  for (const r of segmentRegions(bytes, labOf(bytes, options.lab))) {
    if (r.instance >= LEGEND_REPEATS || (r.kind === 'unused' && afterHidden)) {
      if (r.instance >= 0) hidden.set(r.struct, (hidden.get(r.struct) ?? new Set()).add(r.instance));
      afterHidden = true;
      continue;
    }
    afterHidden = false;
    const mark = options.color ? paint(r.kind === 'field' ? r.color : 'gray', r.mark, true) : r.mark;
    if (r.kind === 'field' && r.field) {
      rows.push([
        mark,
        `${r.struct}.${r.field.name}`,
        r.start,
        r.size,
        r.field.declaration,
        r.field.paddingBefore,
        showValue(fieldValue(bytes, r.field), r.field),
      ]);
    } else if (r.kind === 'padding') {
      rows.push([mark, `(padding in ${r.struct})`, r.start, r.size, '', '', 'alignment: never written, stays 0']);
    } else {
      rows.push([mark, '(unused)', r.start, r.size, '', '', 'zero-filled by the server']);
    }
  }
  for (const [struct, instances] of hidden)
    rows.push(['', `(${instances.size} more struct ${struct})`, '', '', '', '', 'laid out as the ones above']);
  return renderTable(['mark', 'field', 'offset', 'size', 'C type', 'padding before', 'decoded value'], rows);
}
