/** A plain-text table: columns padded to their widest cell, numbers right-aligned. */
import { stripVTControlCharacters } from 'node:util';

export type Cell = string | number;

/** What a terminal shows of a cell: colour escapes take no column. */
const width = (cell: Cell): number => stripVTControlCharacters(String(cell)).length;
const pad = (cell: Cell, to: number, start: boolean): string => {
  const fill = ' '.repeat(Math.max(0, to - width(cell)));
  return start ? fill + String(cell) : String(cell) + fill;
};

export function renderTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: readonly Cell[]): string =>
    cells
      .map((c, i) => pad(c, widths[i] ?? 0, typeof c === 'number'))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
