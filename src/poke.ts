/**
 * ipc-lab poke: attach a segment read-write and overwrite one 32-bit integer in it.
 *
 * Why it exists: handout 5 shows what a segment's mode bits are for. Any process whose uid the
 * mode lets write can attach and change any byte, and no reader can tell: the kernel checks
 * permissions once, at shmat, and never again. With the lab's 0600 another uid gets EACCES; with
 * 0666 it rewrites the numerator and every client then prints a wrong fraction.
 */
import { resolveKey } from './key.ts';
import { keyChoice, KEY_OPTIONS, parseOptions, UsageError } from './options.ts';
import { attach, getSegment, hexAddress, hexKey } from './sysv/shm.ts';
import { narrator, type Narrator } from './ui/narrate.ts';

export const POKE_HELP = `Usage: ipc-lab poke --offset N --int32 VALUE [options]

Attach the segment read-write, overwrite the 32-bit integer at byte offset N, detach.
The kernel allows it only if the segment's mode lets this uid write (EACCES otherwise).

Options:
  --key-file PATH, --project-id ID, --key KEY   which segment (as for the client)
  --offset N          byte offset of the integer, from 0 (the lab's numerator is at 36)
  --int32 VALUE       the value to write, -2147483648 .. 2147483647
  -h, --help          this text
`;

function wholeNumber(text: unknown, option: string, min: number, max: number): number {
  const n = typeof text === 'string' && /^-?\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${option} is ${text === undefined ? 'missing' : JSON.stringify(text)}: give a whole number from ${min} to ${max}`);
  }
  return n;
}

export async function runPoke(args: readonly string[], say: Narrator = narrator()): Promise<number> {
  const values = parseOptions(args, { ...KEY_OPTIONS, offset: { type: 'string' }, int32: { type: 'string' } });
  if (values['help']) {
    say.block(POKE_HELP);
    return 0;
  }
  const offset = wholeNumber(values['offset'], 'offset', 0, 2 ** 31);
  const value = wholeNumber(values['int32'], 'int32', -(2 ** 31), 2 ** 31 - 1);
  const key = resolveKey(keyChoice(values), say);
  const shmid = getSegment(key, 0, 0);
  say.call('shmget', `${hexKey(key)}, 0, 0`, String(shmid), 'found it');
  const attachment = attach(shmid);
  say.call('shmat', `${shmid}, NULL, 0`, hexAddress(attachment.address), 'read-write: the mode bits let this uid write');
  try {
    if (offset + 4 > attachment.size) throw new UsageError(`--offset ${offset} is past the end: the segment has ${attachment.size} bytes, so an int32 fits at 0 to ${attachment.size - 4}`);
    const before = attachment.view.getInt32(offset);
    attachment.view.setInt32(offset, value);
    say.note(`int32 at offset ${offset}: ${before} -> ${value}; nothing tells the segment's readers it changed`);
  } finally {
    attachment.detach();
    say.call('shmdt', hexAddress(attachment.address), '0');
  }
  return 0;
}
