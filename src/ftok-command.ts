/**
 * ipc-lab ftok: the key ftok(3) makes from a file, and its three parts, creating nothing.
 *
 * Why it exists: handout 2 runs it on the same path in two containers. A key made from a file is
 * only shared when both processes see the *same* file (same inode, same device): the lab's key
 * file sits on a volume both containers mount, whereas a file each container makes in its own
 * /tmp has another device number in each, so another key.
 */
import { resolveKey } from './key.ts';
import { keyChoice, parseOptions } from './options.ts';
import { narrator, type Narrator } from './ui/narrate.ts';

export const FTOK_HELP = `Usage: ipc-lab ftok [options]

Print the key ftok(3) makes from a file and a project id, and how: the project id's 8 bits,
the low 8 bits of the file's device number and the low 16 bits of its inode number.
Creates nothing, attaches nothing.

Options:
  --key-file PATH     the file (env IPC_LAB_KEY_FILE, default /tmp/ipc-lab.key); it must exist
  --project-id ID     1..255 or one character (env IPC_LAB_PROJECT_ID, default 0x4c 'L')
  -h, --help          this text
`;

export async function runFtok(args: readonly string[], say: Narrator = narrator()): Promise<number> {
  const values = parseOptions(args, { 'key-file': { type: 'string' }, 'project-id': { type: 'string' } });
  if (values['help']) {
    say.block(FTOK_HELP);
    return 0;
  }
  // An explicit key would skip ftok: this command is only about ftok.
  resolveKey({ ...keyChoice(values), key: undefined }, say);
  return 0;
}
