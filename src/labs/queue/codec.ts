/**
 * The queue lab's job as bytes: struct job (./contract.ts) after the message's mtype. Decoding
 * takes any bytes a queue may hold, from any sender: what is not a job is undefined, never a
 * crash (the fuzz test feeds it random messages).
 */
import { fieldOf } from '../../layout/c-layout.ts';
import { JOB } from './contract.ts';

const SEQUENCE = fieldOf(JOB, 'sequence');
const LAST = fieldOf(JOB, 'last');
const TEXT = fieldOf(JOB, 'text');

export interface Job {
  readonly sequence: number;
  readonly last: boolean;
  readonly text: string;
}

/** A job as its 32 bytes. The text is Latin-1, at most 23 characters and a NUL. */
export function encodeJob(sequence: number, last: boolean, text: string): Uint8Array {
  const bytes = Buffer.alloc(JOB.size);
  bytes.writeUInt32LE(sequence, SEQUENCE.offset);
  bytes.writeUInt32LE(last ? 1 : 0, LAST.offset);
  const t = Buffer.from(text, 'latin1');
  if (t.length + 1 > TEXT.size) throw new RangeError(`a job's text holds ${TEXT.size - 1} characters, not ${t.length}`);
  t.copy(bytes, TEXT.offset);
  return bytes;
}

/** The job in these bytes, or undefined when they are not one: another size, `last` not 0 or 1, no NUL in the text. */
export function decodeJob(data: Uint8Array): Job | undefined {
  if (data.byteLength !== JOB.size) return undefined;
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const last = b.readUInt32LE(LAST.offset);
  const raw = b.subarray(TEXT.offset, TEXT.offset + TEXT.size);
  const nul = raw.indexOf(0);
  if (last > 1 || nul === -1) return undefined;
  return { sequence: b.readUInt32LE(SEQUENCE.offset), last: last === 1, text: raw.subarray(0, nul).toString('latin1') };
}

/** One line for a message on the queue, as `inspect --lab queue` lists them. */
export function describeJob(type: number, data: Uint8Array): { text: string; ours: boolean } {
  const job = decodeJob(data);
  if (!job) return { text: `not a job: ${data.byteLength} bytes (a job is ${JOB.size})`, ours: false };
  return { text: `for worker ${type}: job ${job.sequence}${job.last ? ', the last (end of work)' : `, "${job.text}"`}`, ours: true };
}
