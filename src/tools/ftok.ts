/**
 * ipc-lab ftok: the key ftok(3) makes from a file, and its three parts, creating nothing.
 *
 * Why it exists: handout 2 runs it on the same path in two containers. A key made from a file is
 * only shared when both processes see the *same* file (same inode, same device): the lab's key
 * file sits on a volume both containers mount, whereas a file each container makes in its own
 * /tmp has another device number in each, so another key.
 */
import { resolveKey, type KeyChoice } from '../labs/common/key.ts';
import type { Narrator } from '../text/narrate.ts';

export async function runFtok(options: Omit<KeyChoice, 'key'>, say: Narrator): Promise<number> {
  // An explicit key would skip ftok: this command is only about ftok.
  resolveKey({ ...options, key: undefined }, say);
  return 0;
}
