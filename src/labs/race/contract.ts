/**
 * What the race writer and reader agree on: the record's layout, its semaphore, its project id.
 *
 *   struct race_record {         the record the writer keeps rewriting
 *       char     magic[4];       "IPCR"
 *       uint32_t seq[63];        the same sequence number in every field, written one by one
 *   };                           256 bytes: a reader that sees two numbers saw a torn write
 */
import { layoutStruct } from '../../layout/c-layout.ts';
import type { Lab } from '../registry.ts';

export const RACE_PROJECT_ID = 0x52; // 'R': the same key file as the message lab, another key
export const RACE_MAGIC = 'IPCR'; // the record's first four bytes
export const RACE_FIELDS = 63; // sequence numbers in the record
export const RACE_RECORD = layoutStruct('race_record', 0, [
  { name: 'magic', ctype: 'char', count: 4 },
  { name: 'seq', ctype: 'uint32_t', count: RACE_FIELDS },
]);
export const RACE_SEM = { lock: 0 } as const; // a binary semaphore: 1 free, 0 taken

export const RACE_LAB: Lab = {
  name: 'race',
  summary: 'the race record and its lock (make race)',
  projectId: RACE_PROJECT_ID,
  magic: RACE_MAGIC,
  semaphores: ['lock'],
  structs: [RACE_RECORD],
  layout: () => [RACE_RECORD],
  marks: { magic: 'M', seq: 's' },
};
