/**
 * ipc-lab check: exit 0 when the lab's segment exists and its header says ready, 1 otherwise.
 * The compose healthcheck runs it, so the client starts only once the message is complete.
 * It attaches read-only and detaches at once; it never waits.
 */
import { resolveKey } from './key.ts';
import { keyChoice, KEY_OPTIONS, parseOptions } from './options.ts';
import { decodeSegment } from './segment-codec.ts';
import { attach, getSegment, hexKey } from './sysv/shm.ts';
import { narrator, type Narrator } from './ui/narrate.ts';

export const CHECK_HELP = `Usage: ipc-lab check [options]

Exit 0 if the segment exists and is ready (state 2), else print why and exit 1.
Takes the same --key-file, --project-id and --key options (and environment) as the client.
`;

export async function runCheck(args: readonly string[], say: Narrator = narrator()): Promise<number> {
  const values = parseOptions(args, KEY_OPTIONS);
  if (values['help']) {
    say.block(CHECK_HELP);
    return 0;
  }
  const key = resolveKey(keyChoice(values));
  const attachment = attach(getSegment(key, 0, 0), { readOnly: true });
  try {
    decodeSegment(attachment.view);
    say.block(`ready: segment ${attachment.shmid} (key ${hexKey(key)})`);
    return 0;
  } finally {
    attachment.detach();
  }
}
