/** The message as the client prints it, and the segment's layout as a table. */
import { formatG } from '../../text/numbers.ts';
import { renderTable, type Cell } from '../../text/table.ts';
import type { DecodedHeader } from './codec.ts';
import { HEADER, PI_MESSAGE, type PiMessage } from './contract.ts';

/** The message as the original demo's client printed it. */
export function renderMessage(message: PiMessage): string {
  const { intro, numerator, slash, denominator, equals, value, outro } = message;
  return `${intro}${numerator}${slash}${denominator}${equals}${formatG(value)}${outro}`;
}

/** Every field with its offset, size, C type, padding and value. */
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
