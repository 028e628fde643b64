/**
 * Writing and reading the contract's bytes through a segment view. A segment is input from
 * another process, so decoding trusts nothing: magic, version, sizes, the state and every
 * string's terminating NUL are checked, and anything else is a SegmentFormatError.
 */
import { LabError } from '../../core/errors.ts';
import { fieldOf, type Field } from '../../layout/c-layout.ts';
import { SegmentView } from '../../sysv/segment-view.ts';
import type { Verdict } from '../registry.ts';
import { HEADER, MAGIC, MIN_SEGMENT_SIZE, PI_MESSAGE, State, VERSION, type PiMessage, type StateValue } from './contract.ts';

/** The bytes are not a lab segment (or not a complete one): exit code 4. */
export class SegmentFormatError extends LabError {
  override readonly name = 'SegmentFormatError';

  constructor(message: string) {
    super('format', message);
  }
}

const h = {
  magic: fieldOf(HEADER, 'magic'),
  version: fieldOf(HEADER, 'version'),
  headerSize: fieldOf(HEADER, 'header_size'),
  state: fieldOf(HEADER, 'state'),
  payloadSize: fieldOf(HEADER, 'payload_size'),
};
const m = {
  intro: fieldOf(PI_MESSAGE, 'intro'),
  numerator: fieldOf(PI_MESSAGE, 'numerator'),
  slash: fieldOf(PI_MESSAGE, 'slash'),
  denominator: fieldOf(PI_MESSAGE, 'denominator'),
  equals: fieldOf(PI_MESSAGE, 'equals'),
  value: fieldOf(PI_MESSAGE, 'value'),
  outro: fieldOf(PI_MESSAGE, 'outro'),
};

export const STATE_OFFSET = h.state.offset;

/** Called after each field is written, so a caller can narrate or slow the writing down. */
export type FieldWritten = (field: Field, value: string | number) => void | Promise<void>;

function cString(field: Field, text: string): Uint8Array {
  const bytes = Buffer.from(text, 'latin1');
  if (bytes.length + 1 > field.size) {
    throw new SegmentFormatError(
      `"${JSON.stringify(text)}" needs ${bytes.length + 1} bytes with its NUL, but ${field.declaration} has ${field.size}`,
    );
  }
  const out = new Uint8Array(field.size); // the rest stays NUL, as after memset
  out.set(bytes);
  return out;
}

/**
 * The server's side: memset to zero, state = writing, header, every message field in order,
 * then state = ready. The two state changes are Atomics.store calls: a release store, so a
 * reader that sees `ready` through Atomics.load also sees every byte written before it. On
 * x86_64 plain stores are already ordered; on arm64's weaker memory model they are not.
 */
export async function writeSegment(view: SegmentView, message: PiMessage, onField?: FieldWritten): Promise<void> {
  if (view.byteLength < MIN_SEGMENT_SIZE) {
    throw new SegmentFormatError(`the segment has ${view.byteLength} bytes; the header and message need ${MIN_SEGMENT_SIZE}`);
  }
  view.fill(0);
  view.atomicStore32(h.state.offset, State.writing);
  const steps: Array<[Field, string | number, () => void]> = [
    [h.magic, MAGIC, () => view.write(h.magic.offset, Buffer.from(MAGIC, 'latin1'))],
    [h.version, VERSION, () => view.setUint16(h.version.offset, VERSION)],
    [h.headerSize, HEADER.size, () => view.setUint16(h.headerSize.offset, HEADER.size)],
    [h.payloadSize, PI_MESSAGE.size, () => view.setUint32(h.payloadSize.offset, PI_MESSAGE.size)],
    [m.intro, message.intro, () => view.write(m.intro.offset, cString(m.intro, message.intro))],
    [m.numerator, message.numerator, () => view.setInt32(m.numerator.offset, message.numerator)],
    [m.slash, message.slash, () => view.setUint8(m.slash.offset, message.slash.charCodeAt(0))],
    [m.denominator, message.denominator, () => view.setInt32(m.denominator.offset, message.denominator)],
    [m.equals, message.equals, () => view.write(m.equals.offset, cString(m.equals, message.equals))],
    [m.value, message.value, () => view.setFloat64(m.value.offset, message.value)],
    [m.outro, message.outro, () => view.write(m.outro.offset, cString(m.outro, message.outro))],
  ];
  for (const [field, value, write] of steps) {
    write();
    await onField?.(field, value);
  }
  view.atomicStore32(h.state.offset, State.ready);
}

/**
 * Atomics.load of the state word: an acquire read, paired with the server's release store.
 * Anything but empty, writing or ready means this is not a lab segment.
 */
export function readState(view: SegmentView): StateValue {
  assertSegmentSize(view);
  const state = view.atomicLoad32(h.state.offset);
  if (state !== State.empty && state !== State.writing && state !== State.ready) {
    throw new SegmentFormatError(`state is ${state}; only 0 (empty), 1 (writing) and 2 (ready) are defined: this is not a lab segment`);
  }
  return state;
}

export interface DecodedHeader {
  readonly magic: string;
  readonly version: number;
  readonly headerSize: number;
  readonly state: StateValue;
  readonly payloadSize: number;
}

export interface DecodedSegment {
  readonly size: number;
  readonly header: DecodedHeader;
  readonly message: PiMessage;
}

function readCString(view: SegmentView, field: Field): string {
  const bytes = view.read(field.offset, field.size);
  const nul = bytes.indexOf(0);
  if (nul === -1) {
    throw new SegmentFormatError(
      `${field.declaration} at offset ${field.offset} has no terminating NUL: the writer overran it or this is not a lab segment`,
    );
  }
  return Buffer.from(bytes.subarray(0, nul)).toString('latin1');
}

/** A segment too small for the header and message cannot be a lab segment. */
export function assertSegmentSize(view: SegmentView): void {
  if (view.byteLength < MIN_SEGMENT_SIZE) {
    throw new SegmentFormatError(
      `the segment has ${view.byteLength} bytes, fewer than the ${MIN_SEGMENT_SIZE} a header and message need: it is not a lab segment`,
    );
  }
}

/** Checks the header; safe on any segment of any size and content. */
export function decodeHeader(view: SegmentView): DecodedHeader {
  assertSegmentSize(view);
  const magic = Buffer.from(view.read(h.magic.offset, h.magic.size)).toString('latin1');
  if (magic !== MAGIC) {
    throw new SegmentFormatError(`magic is ${JSON.stringify(magic)}, not "${MAGIC}": this segment was not written by an ipc-lab server`);
  }
  const version = view.getUint16(h.version.offset);
  if (version !== VERSION) {
    throw new SegmentFormatError(
      `layout version ${version}, but this program reads version ${VERSION}: run the same ipc-lab version on both sides`,
    );
  }
  const headerSize = view.getUint16(h.headerSize.offset);
  if (headerSize !== HEADER.size) {
    throw new SegmentFormatError(`header_size is ${headerSize}, expected ${HEADER.size}`);
  }
  const state = readState(view);
  const payloadSize = view.getUint32(h.payloadSize.offset);
  if (payloadSize !== PI_MESSAGE.size) {
    throw new SegmentFormatError(`payload_size is ${payloadSize}, expected sizeof(struct pi_message) = ${PI_MESSAGE.size}`);
  }
  return { magic, version, headerSize, state, payloadSize };
}

/** Decodes a ready segment; refuses a segment that is not. */
export function decodeSegment(view: SegmentView): DecodedSegment {
  const header = decodeHeader(view);
  if (header.state !== State.ready) {
    throw new SegmentFormatError(
      `state is ${header.state} (${header.state === State.writing ? 'writing' : 'empty'}): the message is not complete yet`,
    );
  }
  const slash = view.getUint8(m.slash.offset);
  const message: PiMessage = {
    intro: readCString(view, m.intro),
    numerator: view.getInt32(m.numerator.offset),
    slash: String.fromCharCode(slash),
    denominator: view.getInt32(m.denominator.offset),
    equals: readCString(view, m.equals),
    value: view.getFloat64(m.value.offset),
    outro: readCString(view, m.outro),
  };
  return { size: view.byteLength, header, message };
}

const STATE_NAMES = ['empty', 'writing', 'ready'];

/**
 * The message lab's verdict: the header checked as the client checks it, or why it fails. The
 * state word comes first: while it says 1 the server is writing (the magic and version are
 * still to come), and a half-written segment is a moment of the lesson, not a broken one.
 */
export function verdict(bytes: Uint8Array): Verdict {
  const state = bytes.length >= h.state.offset + 4 ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(h.state.offset, true) : null;
  if (state === State.writing) {
    return { valid: false, state, text: 'state 1 (being written): the server is writing the header and the message, one field at a time' };
  }
  if (state === State.empty && bytes.every((b) => b === 0))
    return { valid: false, state, text: 'state 0 (empty): zero-filled, nothing written yet' };
  try {
    const header = decodeHeader(new SegmentView(bytes.slice().buffer, true, () => true));
    return {
      valid: true,
      state: header.state,
      text: `a lab segment, version ${header.version}, state ${header.state} (${STATE_NAMES[header.state]})`,
    };
  } catch (error) {
    return { valid: false, state, text: `not (yet) a valid lab segment: ${(error as Error).message}` };
  }
}
