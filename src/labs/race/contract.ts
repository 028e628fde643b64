/**
 * What the race writer and reader agree on: the record's layout, its semaphore, its project id.
 *
 *   struct race_record {         at offset 0: the record the writer keeps rewriting
 *       char     magic[4];       "IPCR"
 *       uint32_t seq[63];        the same sequence number in every field, written one by one
 *   };                           256 bytes: a reader that sees two numbers saw a torn write
 *   struct race_reader {         at offset 256: what the reader counted, only the reader writes it
 *       uint32_t reads;          copies of the record taken so far
 *       uint32_t torn;           how many of them mixed two writes
 *       uint32_t last_torn[63];  the last torn copy, field by field, as the reader saw it
 *   };                           260 bytes, updated every 20 ms: what `make view` shows live
 *
 * The reader's counts live in the segment, not only in its output, so that a third process
 * can watch them without taking the lock: that process could never see a torn read itself
 * and tell it from its own (unlocked) copy, only the reader knows what the lock let it see.
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
export const RACE_READER = layoutStruct('race_reader', RACE_RECORD.size, [
  { name: 'reads', ctype: 'uint32_t' },
  { name: 'torn', ctype: 'uint32_t' },
  { name: 'last_torn', ctype: 'uint32_t', count: RACE_FIELDS },
]);
/** The record, then the reader's counts: 516 bytes. */
export const RACE_SEGMENT_SIZE = RACE_READER.offset + RACE_READER.size;
export const RACE_SEM = { lock: 0 } as const; // a binary semaphore: 1 free, 0 taken

export const RACE_LAB: Lab = {
  name: 'race',
  summary: 'the race record and its lock (make race)',
  projectId: RACE_PROJECT_ID,
  magic: RACE_MAGIC,
  semaphores: ['lock'],
  parties: 2,
  structs: [RACE_RECORD, RACE_READER],
  layout: () => [RACE_RECORD, RACE_READER],
  marks: { magic: 'M', seq: 's', reads: 'r', torn: 't', last_torn: 'l' },
};
