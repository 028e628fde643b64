/**
 * What the server and the client agree on, and nothing else: how the key is made, the
 * segment's size and permissions, and the byte layout of what the server writes. Both sides
 * import this file, as both sides of TLPI's svshm_xfr programs include svshm_xfr.h.
 *
 *   struct lab_header {          at offset 0 of the segment
 *       uint32_t magic;          the bytes "IPCL"
 *       uint16_t version;        1
 *       uint16_t header_size;    sizeof(struct lab_header) == 16
 *       uint32_t state;          0 empty, 1 writing, 2 ready
 *       uint32_t payload_size;   sizeof(struct pi_message) == 64
 *   };
 *   struct pi_message {          at offset 16
 *       char     intro[19];      "PI is defined as: " and NUL
 *       int32_t  numerator;      22       (1 byte of padding before it)
 *       char     slash;          '/'
 *       int32_t  denominator;    7        (3 bytes of padding before it)
 *       char     equals[3];      "==" and NUL
 *       double   value;          22.0 / 7 (5 bytes of padding before it)
 *       char     outro[10];      "\n\ngoodbye" and NUL (6 bytes of tail padding after it)
 *   };
 */
import { layoutStruct } from './c-layout.ts';

export const DEFAULT_KEY_FILE = '/tmp/ipc-lab.key';   // ftok's file; compose puts it on a shared volume
export const DEFAULT_PROJECT_ID = 0x4c;               // 'L': ftok keeps only its low 8 bits, and 0 is not allowed
export const DEFAULT_SEGMENT_SIZE = 1024;             // bytes, as in the original demo
export const DEFAULT_MODE = 0o600;                    // owner read/write only: nobody else may read or scribble

export const MAGIC = 'IPCL';                          // the first four bytes of a lab segment
export const VERSION = 1;                             // bumped whenever the layout below changes

export const State = {                                // lab_header.state
  empty: 0,                                           // zero-filled, nothing written yet
  writing: 1,                                         // the server is writing: do not trust the payload
  ready: 2,                                           // the payload is complete
} as const;
export type StateValue = (typeof State)[keyof typeof State];

export const HEADER = layoutStruct('lab_header', 0, [
  { name: 'magic', ctype: 'uint32_t' },
  { name: 'version', ctype: 'uint16_t' },
  { name: 'header_size', ctype: 'uint16_t' },
  { name: 'state', ctype: 'uint32_t' },
  { name: 'payload_size', ctype: 'uint32_t' },
]);

export const PI_MESSAGE = layoutStruct('pi_message', HEADER.size, [
  { name: 'intro', ctype: 'char', count: 19 },
  { name: 'numerator', ctype: 'int32_t' },
  { name: 'slash', ctype: 'char' },
  { name: 'denominator', ctype: 'int32_t' },
  { name: 'equals', ctype: 'char', count: 3 },
  { name: 'value', ctype: 'double' },
  { name: 'outro', ctype: 'char', count: 10 },
]);

/** The smallest segment that holds a header and the message. */
export const MIN_SEGMENT_SIZE = HEADER.size + PI_MESSAGE.size;

export interface PiMessage {
  readonly intro: string;
  readonly numerator: number;
  readonly slash: string;
  readonly denominator: number;
  readonly equals: string;
  readonly value: number;
  readonly outro: string;
}

/** What the server writes: the original demo's message. */
export const THE_MESSAGE: PiMessage = {
  intro: 'PI is defined as: ',
  numerator: 22,
  slash: '/',
  denominator: 7,
  equals: '==',
  value: 22 / 7,
  outro: '\n\ngoodbye',
};

// ---------------------------------------------------------------------------------------------
// The synchronisation labs. Each has its own key: the same key file, another project id.

export const LAB_PROJECT_IDS = {                      // ftok project ids, one per lab object family
  message: DEFAULT_PROJECT_ID,                        // 'L': the PI message segment
  race: 0x52,                                         // 'R': the race record and its lock
  ring: 0x42,                                         // 'B': the ring buffer and its counting semaphores
} as const;

/**
 *   struct race_record {         the record the writer keeps rewriting
 *       char     magic[4];       "IPCR"
 *       uint32_t seq[63];        the same sequence number in every field, written one by one
 *   };                           256 bytes: a reader that sees two numbers saw a torn write
 */
export const RACE_MAGIC = 'IPCR';
export const RACE_FIELDS = 63;
export const RACE_RECORD = layoutStruct('race_record', 0, [
  { name: 'magic', ctype: 'char', count: 4 },
  { name: 'seq', ctype: 'uint32_t', count: RACE_FIELDS },
]);
export const RACE_SEM = { lock: 0 } as const;         // a binary semaphore: 1 free, 0 taken

/**
 *   struct ring_header {         at offset 0; the slots follow at RING_SLOTS_OFFSET
 *       char     magic[4];       "IPCB"
 *       uint32_t slots;          N
 *       uint32_t slot_size;      data bytes a slot holds
 *       uint32_t ended;          1 once the producer wrote its last slot
 *       uint64_t total_bytes;    bytes sent, written with the end of stream
 *       uint8_t  sha256[32];     SHA-256 of everything sent, written with the end of stream
 *   };
 *   struct ring_slot {           N of them, each starting on a 64-byte (cache line) boundary
 *       uint32_t length;         data bytes in this slot; 0 marks the end of the stream
 *       uint32_t sequence;       the message number, so the consumer can check the order
 *       uint8_t  data[slot_size];
 *   };
 */
export const RING_MAGIC = 'IPCB';
export const RING_HEADER = layoutStruct('ring_header', 0, [
  { name: 'magic', ctype: 'char', count: 4 },
  { name: 'slots', ctype: 'uint32_t' },
  { name: 'slot_size', ctype: 'uint32_t' },
  { name: 'ended', ctype: 'uint32_t' },
  { name: 'total_bytes', ctype: 'uint64_t' },
  { name: 'sha256', ctype: 'char', count: 32 },
]);
export const RING_SLOTS_OFFSET = 64;
export const RING_SLOT_HEADER = 8;                    // length and sequence, before the data
export const RING_SEM = {                             // counting semaphores, no SEM_UNDO (see ring.ts)
  empty: 0,                                           // free slots: starts at N, the producer takes one
  full: 1,                                            // filled slots: starts at 0, the consumer takes one
} as const;
export const DEFAULT_RING_SLOTS = 16;
export const DEFAULT_SLOT_SIZE = 64 * 1024;

/** Where slot `i` starts: its header, then its data. */
export function ringSlotOffset(slotSize: number, i: number): number {
  const stride = Math.ceil((RING_SLOT_HEADER + slotSize) / 64) * 64;
  return RING_SLOTS_OFFSET + i * stride;
}

export function ringSegmentSize(slots: number, slotSize: number): number {
  return ringSlotOffset(slotSize, slots);
}

export function fieldOf(struct: typeof HEADER, name: string): (typeof struct.fields)[number] {
  const field = struct.fields.find((f) => f.name === name);
  if (!field) throw new Error(`no field ${name} in struct ${struct.name}`);
  return field;
}
