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
import { LabError, WaitTimeoutError } from '../../core/errors.ts';
import { waitFor } from '../../core/wait.ts';
import { hexAddress } from '../../sysv/ipc-format.ts';
import { stat } from '../../sysv/shm.ts';
import { narrator, type Narrator } from '../../text/narrate.ts';
import { attachWhenPresent, POLL_MS, timeoutMessage } from '../common/find-segment.ts';
import type { KeyChoice } from '../common/key.ts';
import { ipcNamespace } from '../common/namespace.ts';
import { decodeSegment, readState } from './codec.ts';
import { State } from './contract.ts';
import { layoutTable, renderMessage } from './render.ts';

export interface ClientOptions extends KeyChoice {
  /** How long to wait for the segment to appear and be ready (seconds). */
  readonly timeout: number;
  /** Also print every field: offset, size, C type, padding, value. */
  readonly layout: boolean;
  /** Print only the message. */
  readonly quiet: boolean;
}

/** The segment was removed (IPC_RMID) while this client was waiting for it: exit code 5. */
export class SegmentRemovedError extends LabError {
  override readonly name = 'SegmentRemovedError';

  constructor(message: string) {
    super('removed', message);
  }
}

export async function runClient(options: ClientOptions, say: Narrator): Promise<number> {
  const talk = options.quiet ? narrator(() => {}) : say;
  const deadline = Date.now() + options.timeout * 1000;

  talk.step(`client (pid ${process.pid}, uid ${process.getuid?.()}, IPC namespace ${ipcNamespace()}): find the segment and read it`);
  const found = await attachWhenPresent(options, deadline, talk);
  if (!('attachment' in found)) throw new WaitTimeoutError(timeoutMessage(found, options.timeout));
  const { attachment } = found;
  try {
    let state = readState(attachment.view);
    const ready = await waitFor(
      () => {
        state = readState(attachment.view); // Atomics.load: pairs with the server's release store
        if (state === State.ready) return true;
        // Our attachment keeps the pages alive, so a removed segment would look merely stuck:
        // IPC_STAT's SHM_DEST bit says the owner removed it (IPC_RMID) and will not finish.
        if (stat(attachment.shmid).markedForRemoval) {
          throw new SegmentRemovedError(
            `segment ${attachment.shmid} was removed (IPC_RMID) by its owner before it was ready (state ${state}): the server stopped or ` +
              `was restarted. Start the server, then the client again.`,
          );
        }
        return undefined;
      },
      { deadline, every: POLL_MS, onWait: () => talk.note(`state is ${state}: waiting for the server to finish writing ...`) },
    );
    if ('timedOut' in ready) throw new WaitTimeoutError(timeoutMessage({ for: 'ready', shmid: attachment.shmid, state }, options.timeout));
    const { header, message, size } = decodeSegment(attachment.view);
    if (!options.quiet) say.block('');
    say.block(renderMessage(message));
    if (!options.quiet) say.block('');
    if (options.layout) say.block(layoutTable(header, message, size));
    return 0;
  } finally {
    const address = attachment.address;
    attachment.detach();
    talk.call('shmdt', hexAddress(address), '0', 'detached; the server still owns the segment and removes it');
  }
}
