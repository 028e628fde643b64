/**
 * Finding a lab's segment from the reading side: make the key, look the segment up without
 * creating it, attach read-only; and while it is not there yet, wait (poll) until a deadline,
 * then say what was missing and the usual cause.
 */
import { existsSync } from 'node:fs';
import { waitFor } from '../../core/wait.ts';
import { isErrno } from '../../sysv/errors.ts';
import { hexAddress, hexKey } from '../../sysv/ipc-format.ts';
import { attach, getSegment, type Attachment } from '../../sysv/shm.ts';
import type { Narrator } from '../../text/narrate.ts';
import { resolveKey, type KeyChoice } from './key.ts';

/** How often a reader looks again for a segment that is not there, or not ready, yet. */
export const POLL_MS = 50;

/** What a reader is still waiting for: told in the timeout message. */
export type Waiting = { for: 'key-file'; path: string } | { for: 'segment'; key: number } | { for: 'ready'; shmid: number; state: number };

export interface Found<T> {
  readonly attachment: Attachment;
  readonly key: number;
  readonly before: T | undefined;
}

/**
 * Polls until shmget finds the segment (or `beforeAttach`, then shmat, succeeds); ENOENT means
 * "not yet", anything else is an error. `beforeAttach` sees the segment before this process
 * attaches, so what it reads (IPC_STAT) is not about this process. At the deadline: what it
 * was still waiting for.
 */
export async function attachWhenPresent<T = undefined>(
  choice: KeyChoice,
  deadline: number,
  say: Narrator,
  beforeAttach?: (shmid: number) => T,
): Promise<Found<T> | Waiting> {
  let keyShown = false;
  let waiting: Waiting = { for: 'key-file', path: choice.keyFile };
  const found = await waitFor(
    (): Found<T> | undefined => {
      if (choice.key === undefined && !existsSync(choice.keyFile)) {
        waiting = { for: 'key-file', path: choice.keyFile };
        return undefined;
      }
      const key = resolveKey(choice, keyShown ? undefined : say);
      keyShown = true;
      try {
        const shmid = getSegment(key, 0, 0); // size 0, no IPC_CREAT: find an existing segment only
        say.call('shmget', `${hexKey(key)}, 0, 0`, String(shmid), 'found it');
        const before = beforeAttach?.(shmid);
        const attachment = attach(shmid, { readOnly: true });
        say.call('shmat', `${shmid}, NULL, SHM_RDONLY`, hexAddress(attachment.address), `read-only, ${attachment.size} bytes`);
        return { attachment, key, before };
      } catch (error) {
        // ENOENT: not created yet. EIDRM/EINVAL: removed between shmget and shmat; try again.
        if (!isErrno(error, 'absent')) throw error;
        waiting = { for: 'segment', key };
        return undefined;
      }
    },
    {
      deadline,
      every: POLL_MS,
      onWait: () =>
        say.note(
          waiting.for === 'key-file'
            ? `waiting for the key file ${choice.keyFile} ...`
            : 'no segment with that key yet (ENOENT): waiting for the server ...',
        ),
    },
  );
  return 'value' in found ? found.value : waiting;
}

/** What a reader that gave up says: what was missing and the usual cause. */
export function timeoutMessage(waiting: Waiting, timeout: number): string {
  const gaveUp = timeout > 0 ? `gave up after ${timeout} s: ` : '';
  const namespaceHint =
    'The usual cause: the client is not in the server\'s IPC namespace (in compose: ipc: "service:server"; on Docker Desktop, `ipcs` on ' +
    'the host sees nothing of the containers), or the server is not running.';
  switch (waiting.for) {
    case 'key-file':
      return (
        `${gaveUp}the key file ${waiting.path} does not exist, so ftok cannot make the key. The server creates it; both sides must ` +
        `see the same file (in compose, the shared volume). Or pass the same --key to both.`
      );
    case 'segment':
      return (
        `${gaveUp}no segment has the key ${hexKey(waiting.key)} (shmget: ENOENT). ${namespaceHint} Also check that both use the ` +
        `same key file and project id.`
      );
    case 'ready':
      return (
        `${gaveUp}segment ${waiting.shmid} exists but its state stayed ${waiting.state} ` +
        `(${waiting.state === 1 ? 'writing' : 'empty'}), never 2 (ready). Is the server stuck or paused (--step)?`
      );
  }
}
