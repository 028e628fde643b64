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
import { layoutStruct } from '../../layout/c-layout.ts';
import type { Lab } from '../registry.ts';

export const DEFAULT_KEY_FILE = '/tmp/ipc-lab.key'; // ftok's file; compose puts it on a shared volume
export const DEFAULT_PROJECT_ID = 0x4c; // 'L': ftok keeps only its low 8 bits, and 0 is not allowed
export const DEFAULT_SEGMENT_SIZE = 1024; // bytes, as in the original demo
export const DEFAULT_MODE = 0o600; // owner read/write only: nobody else may read or scribble

export const MAGIC = 'IPCL'; // the first four bytes of a lab segment
export const VERSION = 1; // bumped whenever the layout below changes

export const State = {
  // lab_header.state
  empty: 0, // zero-filled, nothing written yet
  writing: 1, // the server is writing: do not trust the payload
  ready: 2, // the payload is complete
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

/** The message lab in the registry: what inspect, clean, the memory map and gdb need to know. */
export const MESSAGE_LAB: Lab = {
  name: 'message',
  summary: 'the PI message (make up)',
  projectId: DEFAULT_PROJECT_ID,
  magic: MAGIC,
  semaphores: [],
  structs: [HEADER, PI_MESSAGE],
  layout: () => [HEADER, PI_MESSAGE],
  marks: {
    magic: 'M',
    version: 'v',
    header_size: 'h',
    state: 'S',
    payload_size: 'P',
    intro: 'i',
    numerator: 'n',
    slash: '/',
    denominator: 'd',
    equals: '=',
    value: 'V',
    outro: 'o',
  },
  states: ['empty', 'writing', 'ready'],
  gdb: {
    bytesTitle: 'the header and message',
    numbersTitle: 'the ints and the double',
    fields: [
      'pi_message.intro',
      'pi_message.equals',
      'pi_message.outro',
      'pi_message.numerator',
      'pi_message.denominator',
      'pi_message.value',
    ],
  },
};
