/**
 * Finding a lab's segment from the reading side: make the key, look the segment up without
 * creating it, attach read-only; and while it is not there yet, wait (poll) until a deadline,
 * then say what was missing and the usual cause.
 */
import { existsSync } from 'node:fs';
import { waitFor } from '../../core/wait.ts';
import { isErrno } from '../../sysv/errors.ts';
import { hexAddress, hexKey } from '../../sysv/ipc-format.ts';
import { attach, getSegment, listSegments, type Attachment } from '../../sysv/shm.ts';
import type { Narrator } from '../../text/narrate.ts';
import { resolveKey, type KeyChoice } from './key.ts';
import { ipcNamespace as ipcNamespaceName } from './namespace.ts';

/** How often a reader looks again for a segment that is not there, or not ready, yet. */
export const POLL_MS = 50;

/** What a reader is still waiting for: told in the timeout message. */
export type Waiting =
  | { for: 'key-file'; path: string }
  /** `removed`: the shmid of a segment found with the key, then removed before this reader could attach. */
  | { for: 'segment'; key: number; explicit: boolean; removed: number | undefined }
  | { for: 'ready'; shmid: number; state: number };

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
        const removedNow = error.code === 'ENOENT' ? undefined : Number(error.args.shmid);
        waiting = {
          for: 'segment',
          key,
          explicit: choice.key !== undefined,
          removed: removedNow ?? (waiting.for === 'segment' ? waiting.removed : undefined),
        };
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

/**
 * What a reader that gave up says: what was missing, and the cause that what it saw points to.
 * For a key nobody has, it looks at the namespace's segments (what ipcs lists): none at all
 * means another IPC namespace; one removed while attached (key 0, "dest") means someone ran
 * ipcrm under a running server; others, but none with this key, mean another key.
 */
export function timeoutMessage(waiting: Waiting, timeout: number, segments = listSegments()): string {
  const gaveUp = timeout > 0 ? `gave up after ${timeout} s: ` : '';
  switch (waiting.for) {
    case 'key-file':
      return (
        `${gaveUp}the key file ${waiting.path} does not exist, so ftok cannot make the key. The server creates it; both sides must ` +
        `see the same file (in compose, the shared volume). Or pass the same --key to both.`
      );
    case 'segment': {
      const missing = `${gaveUp}no segment has the key ${hexKey(waiting.key)} (shmget: ENOENT)`;
      const sameKey = waiting.explicit ? 'both sides must pass the same --key' : 'both sides must use the same key file and project id';
      if (waiting.removed !== undefined) {
        return (
          `${missing}: segment ${waiting.removed} had it, but was removed (IPC_RMID) just as this client attached. ` +
          'Start the server again (make up).'
        );
      }
      const removed = segments?.find((s) => s.removed && s.key === 0);
      if (removed) {
        return (
          `${missing}. Segment ${removed.shmid} in this namespace was removed (IPC_RMID: ipcrm, or ipc-lab clean --force) while ` +
          `${removed.nattch} process(es) still had it attached, and a removed segment has no key any more: nothing can look it up. ` +
          'Restart the server (make down, make up) to make a new one.'
        );
      }
      if (segments && segments.length === 0) {
        return (
          `${missing}, and there is no segment at all in this IPC namespace (${ipcNamespaceName()}): this client is not in the ` +
          'server\'s IPC namespace (in compose: ipc: "service:server"; on Docker Desktop, `ipcs` on the host sees nothing of the ' +
          `containers), or no server is running. And ${sameKey}.`
        );
      }
      if (segments) {
        return (
          `${missing}; this IPC namespace has ${segments.length} other segment(s), none with that key: the server used another ` +
          `key, or this client is not in the server's IPC namespace (in compose: ipc: "service:server"). ${capitalized(sameKey)}.`
        );
      }
      return (
        `${missing}. The usual cause: the client is not in the server's IPC namespace (in compose: ipc: "service:server"), or the ` +
        `server is not running. And ${sameKey}.`
      );
    }
    case 'ready':
      return (
        `${gaveUp}segment ${waiting.shmid} exists but its state stayed ${waiting.state} ` +
        `(${waiting.state === 1 ? 'being written' : 'empty'}), never 2 (ready). Is the server stuck or paused (--step)?`
      );
  }
}

const capitalized = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);
