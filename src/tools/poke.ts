/**
 * ipc-lab poke: attach a segment read-write and overwrite one 32-bit integer in it.
 *
 * Why it exists: handout 5 shows what a segment's mode bits are for. Any process whose uid the
 * mode lets write can attach and change any byte, and no reader can tell: the kernel checks
 * permissions once, at shmat, and never again. With the lab's 0600 another uid gets EACCES; with
 * 0666 it rewrites the numerator and every client then prints a wrong fraction.
 */
import { UsageError } from '../core/errors.ts';
import { resolveKey, type KeyChoice } from '../labs/common/key.ts';
import { hexAddress, hexKey } from '../sysv/ipc-format.ts';
import { attach, getSegment } from '../sysv/shm.ts';
import type { Narrator } from '../text/narrate.ts';

export interface PokeOptions extends KeyChoice {
  /** Byte offset of the integer. */
  readonly offset: number;
  /** The value to write. */
  readonly int32: number;
}

export async function runPoke(options: PokeOptions, say: Narrator): Promise<number> {
  const { offset, int32: value } = options;
  const key = resolveKey(options, say);
  const shmid = getSegment(key, 0, 0);
  say.call('shmget', `${hexKey(key)}, 0, 0`, String(shmid), 'found it');
  const attachment = attach(shmid);
  say.call('shmat', `${shmid}, NULL, 0`, hexAddress(attachment.address), 'read-write: the mode bits let this uid write');
  try {
    if (offset + 4 > attachment.size)
      throw new UsageError(
        `--offset ${offset} is past the end: the segment has ${attachment.size} bytes, so an int32 fits at 0 to ${attachment.size - 4}`,
      );
    const before = attachment.view.getInt32(offset);
    attachment.view.setInt32(offset, value);
    say.note(`int32 at offset ${offset}: ${before} -> ${value}; nothing tells the segment's readers it changed`);
  } finally {
    attachment.detach();
    say.call('shmdt', hexAddress(attachment.address), '0');
  }
  return 0;
}
