/**
 * ipc-lab client: attach to the server's segment read-only and print the message.
 *
 * Shows ftok -> shmget(key, 0, 0) (find, don't create) -> shmat(SHM_RDONLY) -> wait until the
 * header says ready -> decode at the contract's offsets -> shmdt. The client never removes the
 * segment: whoever creates removes, and other readers may still want it.
 *
 *   $ ipc-lab client --layout
 *   ftok("/tmp/ipc-lab.key", 0x4c) = 0x4c0108e2
 *   shmget(0x4c0108e2, 0, 0) = 32769
 *   shmat(32769, NULL, SHM_RDONLY) = 0x7f3a5e9c8000
 *   PI is defined as: 22/7==3.14286
 *
 *   goodbye
 *   shmdt(0x7f3a5e9c8000) = 0
 *
 * It attaches read-only because it has no business writing: the kernel maps the pages without
 * write permission, so a stray write is a crash here rather than corruption for everyone.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { State } from './contract.ts';
import { renderMessage } from './format.ts';
import { ipcNamespace } from './namespace.ts';
import { layoutTable } from './layout-table.ts';
import { keyChoice, KEY_OPTIONS, parseOptions, seconds } from './options.ts';
import { attachWhenPresent, POLL_MS, timeoutMessage, WaitTimeoutError } from './find-segment.ts';
import { decodeSegment, readState } from './segment-codec.ts';
import { hexAddress, stat } from './sysv/shm.ts';
import { narrator, type Narrator } from './ui/narrate.ts';

export const CLIENT_HELP = `Usage: ipc-lab client [options]

Wait for the server's segment, attach it read-only, print the message, detach.

Options:
  --key-file PATH     file for ftok (env IPC_LAB_KEY_FILE, default /tmp/ipc-lab.key)
  --project-id ID     ftok project id, 1..255 or one character (env IPC_LAB_PROJECT_ID, default 0x4c 'L')
  --key KEY           use this key instead of ftok, e.g. 0x1234 (env IPC_LAB_KEY)
  --timeout SECONDS   how long to wait for the segment to appear and be ready (env IPC_LAB_TIMEOUT, default 10)
  --layout            also print every field: offset, size, C type, padding, value
  --quiet             print only the message
  -h, --help          this text
`;

export class SegmentRemovedError extends Error {
  override readonly name = 'SegmentRemovedError';
}

export async function runClient(args: readonly string[], say: Narrator = narrator()): Promise<number> {
  const values = parseOptions(args, { ...KEY_OPTIONS, timeout: { type: 'string' }, layout: { type: 'boolean' }, quiet: { type: 'boolean' } });
  if (values['help']) {
    say.block(CLIENT_HELP);
    return 0;
  }
  const choice = keyChoice(values);
  const timeout = seconds(values, 'timeout', 'IPC_LAB_TIMEOUT', 10);
  const quiet = values['quiet'] === true;
  const talk = quiet ? narrator(() => {}) : say;
  const deadline = Date.now() + timeout * 1000;

  talk.step(`client (pid ${process.pid}, uid ${process.getuid?.()}, IPC namespace ${ipcNamespace()}): find the segment and read it`);
  const found = await attachWhenPresent(choice, deadline, talk);
  if (!('attachment' in found)) throw new WaitTimeoutError(timeoutMessage(found, timeout));
  const { attachment } = found;
  try {
    let state = readState(attachment.view);
    if (state !== State.ready) talk.note(`state is ${state}: waiting for the server to finish writing ...`);
    while (state !== State.ready) {
      if (Date.now() >= deadline) throw new WaitTimeoutError(timeoutMessage({ for: 'ready', shmid: attachment.shmid, state }, timeout));
      await sleep(POLL_MS);
      // Our attachment keeps the pages alive, so a removed segment would look merely stuck:
      // IPC_STAT's SHM_DEST bit says the owner removed it (IPC_RMID) and will not finish.
      if (stat(attachment.shmid).markedForRemoval) {
        throw new SegmentRemovedError(`segment ${attachment.shmid} was removed (IPC_RMID) by its owner before it was ready (state ${state}): the server stopped or was restarted. Start the server, then the client again.`);
      }
      state = readState(attachment.view); // Atomics.load: pairs with the server's release store
    }
    const { header, message, size } = decodeSegment(attachment.view);
    if (!quiet) say.block('');
    say.block(renderMessage(message));
    if (!quiet) say.block('');
    if (values['layout']) say.block(layoutTable(header, message, size));
    return 0;
  } finally {
    const address = attachment.address;
    attachment.detach();
    talk.call('shmdt', hexAddress(address), '0', 'detached; the server still owns the segment and removes it');
  }
}
