/**
 * ipc-lab server: create a System V shared memory segment and write the message into it.
 *
 * Shows ftok -> shmget(IPC_CREAT | IPC_EXCL) -> shmat -> memset -> write at the contract's
 * offsets -> mark ready; then it waits, so the segment can be looked at with `ipcs -m`, and on
 * Ctrl-C (SIGINT), SIGTERM or SIGHUP it detaches (shmdt) and removes (shmctl IPC_RMID) it.
 *
 *   $ ipc-lab server
 *   ftok("/tmp/ipc-lab.key", 0x4c) = 0x4c0108e2
 *   shmget(0x4c0108e2, 1024, IPC_CREAT|IPC_EXCL|0600) = 32769   # shmid: the segment's id
 *   shmat(32769, NULL, 0) = 0x7f6c1c2f1000                      # where it is mapped in *this* process
 *   ...
 *   ready: the segment holds the message. Ctrl-C removes it.
 *
 * Whoever creates removes: the client only detaches. A server killed with SIGKILL cannot clean
 * up, and the segment outlives it (nattch 0): that is System V's kernel persistence.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { MIN_SEGMENT_SIZE, THE_MESSAGE } from './contract.ts';
import { ensureKeyFile, resolveKey } from './key.ts';
import { layoutTable } from './layout-table.ts';
import { keyChoice, KEY_OPTIONS, parseOptions, permissionMode, segmentSize, seconds, UsageError } from './options.ts';
import { decodeSegment, writeSegment } from './segment-codec.ts';
import { SysvError } from './sysv/errors.ts';
import {
  attach, describeIpcFlags, getSegment, hexAddress, hexKey, IPC_CREAT, IPC_EXCL, octalMode, remove,
  type Attachment,
} from './sysv/shm.ts';
import { explainTakenKey, replaceStaleSegment } from './stale-segment.ts';
import { ipcNamespace } from './namespace.ts';
import { narrator, type Narrator } from './ui/narrate.ts';

class StoppedError extends Error {
  override readonly name = 'StoppedError';
}

export const SERVER_HELP = `Usage: ipc-lab server [options]

Create the segment, write the message, wait; on Ctrl-C/SIGTERM detach and remove it.

Options:
  --key-file PATH     file for ftok (env IPC_LAB_KEY_FILE, default /tmp/ipc-lab.key; created if missing)
  --project-id ID     ftok project id, 1..255 or one character (env IPC_LAB_PROJECT_ID, default 0x4c 'L')
  --key KEY           use this key instead of ftok, e.g. 0x1234 (env IPC_LAB_KEY)
  --size BYTES        segment size, ${MIN_SEGMENT_SIZE} or more (env IPC_LAB_SIZE, default 1024)
  --mode OCTAL        permission bits (env IPC_LAB_MODE, default 0600: owner only)
  --step SECONDS      pause after each field, to watch the bytes arrive (env IPC_LAB_STEP, default 0)
  --exit              remove the segment and exit once written, instead of waiting
  --replace           if a stale segment (nothing attached) holds the key, remove it first
  -h, --help          this text
`;

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Resolves with the first signal, and aborts `abort`; the interval keeps Node alive meanwhile. */
function untilSignal(): { stopped: Promise<string>; abort: AbortSignal; dispose: () => void } {
  let resolveStop: (signal: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => (resolveStop = resolve));
  const controller = new AbortController();
  const onSignal = (signal: string): void => {
    controller.abort();
    resolveStop(signal);
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  const keepAlive = setInterval(() => {}, 1 << 30);
  return {
    stopped,
    abort: controller.signal,
    dispose: () => {
      clearInterval(keepAlive);
      for (const s of SIGNALS) process.off(s, onSignal);
    },
  };
}

export async function runServer(args: readonly string[], say: Narrator = narrator()): Promise<number> {
  const values = parseOptions(args, {
    ...KEY_OPTIONS,
    size: { type: 'string' },
    mode: { type: 'string' },
    step: { type: 'string' },
    exit: { type: 'boolean' },
    replace: { type: 'boolean' },
  });
  if (values['help']) {
    say.block(SERVER_HELP);
    return 0;
  }
  const choice = keyChoice(values);
  const size = segmentSize(values);
  const mode = permissionMode(values);
  const stepSeconds = seconds(values, 'step', 'IPC_LAB_STEP', 0);
  if (values['exit'] && stepSeconds > 0) throw new UsageError('--exit and --step do not go together: --step is for watching a live segment');

  // Signals are caught from the start, so a Ctrl-C at any moment ends in the same cleanup.
  const signals = untilSignal();
  let shmid: number | undefined;
  let attachment: Attachment | undefined;
  try {
    say.step(`server (pid ${process.pid}, uid ${process.getuid?.()}, IPC namespace ${ipcNamespace()}): create the segment`);
    if (choice.key === undefined && ensureKeyFile(choice.keyFile)) say.note(`created the key file ${choice.keyFile}`);
    const key = resolveKey(choice, say);

    const flags = IPC_CREAT | IPC_EXCL | mode; // IPC_EXCL: fail rather than reuse someone else's segment
    try {
      shmid = getSegment(key, size, flags);
    } catch (error) {
      if (!(error instanceof SysvError) || error.code !== 'EEXIST') throw error;
      // Without --replace, only explain; with it, remove a stale one (nothing attached) and retry.
      if (!values['replace'] || !replaceStaleSegment(key, say)) {
        explainTakenKey(key, say);
        throw error;
      }
      shmid = getSegment(key, size, flags);
    }
    say.call('shmget', `${hexKey(key)}, ${size}, ${describeIpcFlags(flags)}`, String(shmid), "shmid: the kernel's id for the segment");
    if (mode & 0o002) {
      say.warn(`mode ${octalMode(mode)} is world-writable, as in the original demo (0666): any process of any user in this IPC namespace can attach it read-write and overwrite the message; every client then reads whatever they wrote. Use 0600 (owner only) or 0660 with a shared group.`);
    } else if (mode & 0o004) {
      say.warn(`mode ${octalMode(mode)} is world-readable: any user in this IPC namespace can read the message.`);
    }

    attachment = attach(shmid);
    say.call('shmat', `${shmid}, NULL, 0`, hexAddress(attachment.address), 'the address in *this* process; another process maps it elsewhere');

    say.step('write the message at the contract\'s offsets');
    say.note(`memset(${hexAddress(attachment.address)}, 0, ${size}); state = 1 (writing)`);
    await writeSegment(attachment.view, THE_MESSAGE, async (field, value) => {
      if (signals.abort.aborted) throw new StoppedError('stopped by a signal while writing');
      if (stepSeconds <= 0) return;
      say.note(`wrote ${field.declaration} at offset ${field.offset} = ${JSON.stringify(value)}`);
      await sleep(stepSeconds * 1000, undefined, { signal: signals.abort }).catch(() => undefined);
      if (signals.abort.aborted) throw new StoppedError('stopped by a signal while writing');
    });
    say.note('state = 2 (ready), stored with Atomics.store so the fields are visible before it');
    const written = decodeSegment(attachment.view);
    say.block(layoutTable(written.header, written.message, attachment.size));
    say.good(`ready: segment ${shmid} (key ${hexKey(key)}) holds the message.`);

    if (!values['exit']) {
      say.note('waiting; look at it with `ipcs -m`. Ctrl-C (SIGINT) or SIGTERM detaches and removes it.');
      const signal = await signals.stopped;
      say.step(`${signal}: clean up`);
    }
    return 0;
  } catch (error) {
    if (!(error instanceof StoppedError)) throw error;
    say.step(`${await signals.stopped}: clean up (the message was not finished)`);
    return 0;
  } finally {
    // The same cleanup for a signal, an error and a normal end; the signal handlers stay until
    // it is done, so a second Ctrl-C cannot cut it short. The segment is removed even if
    // detaching failed, and someone else's IPC_RMID (ipcrm, ipc-lab clean --force) is no error.
    try {
      if (attachment) {
        const address = attachment.address;
        attachment.detach();
        say.call('shmdt', hexAddress(address), '0', 'detached: this process no longer maps it');
      }
    } finally {
      try {
        if (shmid !== undefined) removeOwnSegment(shmid, say);
      } finally {
        signals.dispose();
      }
    }
  }
}

function removeOwnSegment(shmid: number, say: Narrator): void {
  try {
    remove(shmid);
    say.call('shmctl', `${shmid}, IPC_RMID, NULL`, '0', 'removed: the segment is gone once nothing is attached');
  } catch (error) {
    if (!(error instanceof SysvError) || (error.code !== 'EINVAL' && error.code !== 'EIDRM')) throw error;
    say.note(`segment ${shmid} was already removed by someone else (ipcrm or ipc-lab clean --force): nothing left to remove`);
  }
}
