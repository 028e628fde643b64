/** The segment's layout as a table: every field with its offset, size, C type, padding and value. */
import { HEADER, PI_MESSAGE, type PiMessage } from './contract.ts';
import type { DecodedHeader } from './segment-codec.ts';
import { renderTable, type Cell } from './ui/table.ts';

function show(value: string | number): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

export function layoutTable(header: DecodedHeader, message: PiMessage, segmentSize: number): string {
  const values: Record<string, string | number> = {
    magic: header.magic,
    version: header.version,
    header_size: header.headerSize,
    state: header.state,
    payload_size: header.payloadSize,
    ...message,
  };
  const rows: Cell[][] = [];
  for (const struct of [HEADER, PI_MESSAGE]) {
    for (const field of struct.fields) {
      rows.push([field.offset, field.size, `${struct.name}.${field.declaration}`, field.paddingBefore, show(values[field.name] ?? '')]);
    }
    if (struct.tailPadding > 0) {
      rows.push([struct.offset + struct.size - struct.tailPadding, struct.tailPadding, `(tail padding of ${struct.name})`, 0, '']);
    }
  }
  const used = PI_MESSAGE.offset + PI_MESSAGE.size;
  if (segmentSize > used) rows.push([used, segmentSize - used, '(unused, zero-filled)', 0, '']);
  return renderTable(['offset', 'size', 'C type', 'padding before', 'value'], rows);
}
