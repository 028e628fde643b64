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
import { StoppedError } from '../../core/errors.ts';
import { watchShutdown, type Shutdown } from '../../core/signals.ts';
import { isErrno } from '../../sysv/errors.ts';
import { describeIpcFlags, hexAddress, hexKey, octalMode } from '../../sysv/ipc-format.ts';
import { attach, getSegment, IPC_CREAT, IPC_EXCL, remove, type Attachment } from '../../sysv/shm.ts';
import type { Narrator } from '../../text/narrate.ts';
import { ensureKeyFile, resolveKey, type KeyChoice } from '../common/key.ts';
import { ipcNamespace } from '../common/namespace.ts';
import { decodeSegment, writeSegment } from './codec.ts';
import { THE_MESSAGE } from './contract.ts';
import { layoutTable } from './render.ts';
import { explainTakenKey, replaceStaleSegment } from './stale-segment.ts';

export interface ServerOptions extends KeyChoice {
  /** Segment size in bytes. */
  readonly size: number;
  /** Permission bits. */
  readonly mode: number;
  /** Seconds to pause after each field, to watch the bytes arrive. */
  readonly step: number;
  /** Remove the segment and exit once written, instead of waiting. */
  readonly exit: boolean;
  /** If a stale segment (nothing attached) holds the key, remove it first. */
  readonly replace: boolean;
}

/** What the server holds, for the one cleanup: filled in as each step succeeds. */
interface Held {
  shmid?: number;
  attachment?: Attachment;
}

export async function runServer(options: ServerOptions, say: Narrator): Promise<number> {
  // Signals are caught from the start, so a Ctrl-C at any moment ends in the same cleanup; the
  // handlers stay until the cleanup is done, so a second Ctrl-C cannot cut it short.
  const shutdown = watchShutdown({ keepAlive: true });
  const held: Held = {};
  try {
    say.step(`server (pid ${process.pid}, uid ${process.getuid?.()}, IPC namespace ${ipcNamespace()}): create the segment`);
    const key = makeKey(options, say);
    held.shmid = createSegment(key, options, say);
    warnAboutMode(options.mode, say);
    held.attachment = attach(held.shmid);
    say.call(
      'shmat',
      `${held.shmid}, NULL, 0`,
      hexAddress(held.attachment.address),
      'the address in *this* process; another process maps it elsewhere',
    );
    await writeMessage(held.attachment, options, shutdown, say);
    say.good(`ready: segment ${held.shmid} (key ${hexKey(key)}) holds the message.`);
    if (!options.exit) {
      say.note('waiting; look at it with `ipcs -m`. Ctrl-C (SIGINT) or SIGTERM detaches and removes it.');
      say.step(`${await shutdown.stopped}: clean up`);
    }
    return 0;
  } catch (error) {
    // A signal while writing ends the server as a signal while waiting does: clean up, exit 0.
    if (!(error instanceof StoppedError)) throw error;
    say.step(`${error.signal}: clean up (the message was not finished)`);
    return 0;
  } finally {
    try {
      cleanUp(held, say);
    } finally {
      shutdown.dispose();
    }
  }
}

function makeKey(options: ServerOptions, say: Narrator): number {
  if (options.key === undefined && ensureKeyFile(options.keyFile)) say.note(`created the key file ${options.keyFile}`);
  return resolveKey(options, say);
}

/** shmget with IPC_EXCL: fail rather than reuse someone else's segment; --replace removes a stale one. */
function createSegment(key: number, options: ServerOptions, say: Narrator): number {
  const flags = IPC_CREAT | IPC_EXCL | options.mode;
  let shmid: number;
  try {
    shmid = getSegment(key, options.size, flags);
  } catch (error) {
    if (!isErrno(error, 'EEXIST')) throw error;
    // Without --replace, only explain; with it, remove a stale one (nothing attached) and retry.
    if (!options.replace || !replaceStaleSegment(key, say)) {
      explainTakenKey(key, options.key !== undefined, say);
      throw error;
    }
    shmid = getSegment(key, options.size, flags);
  }
  say.call(
    'shmget',
    `${hexKey(key)}, ${options.size}, ${describeIpcFlags(flags)}`,
    String(shmid),
    "shmid: the kernel's id for the segment",
  );
  return shmid;
}

function warnAboutMode(mode: number, say: Narrator): void {
  if (mode & 0o002) {
    say.warn(
      `mode ${octalMode(mode)} is world-writable, as in the original demo (0666): any process of any user in this IPC namespace can ` +
        `attach it read-write and overwrite the message; every client then reads whatever they wrote. Use 0600 (owner only) or 0660 ` +
        `with a shared group.`,
    );
  } else if (mode & 0o004) {
    say.warn(`mode ${octalMode(mode)} is world-readable: any user in this IPC namespace can read the message.`);
  }
}

/** memset, state = writing, every field at its offset (one a --step), state = ready; then the table. */
async function writeMessage(attachment: Attachment, options: ServerOptions, shutdown: Shutdown, say: Narrator): Promise<void> {
  say.step("write the message at the contract's offsets");
  say.note(`memset(${hexAddress(attachment.address)}, 0, ${attachment.size}); state = 1 (writing)`);
  await writeSegment(attachment.view, THE_MESSAGE, async (field, value) => {
    shutdown.throwIfStopped();
    if (options.step <= 0) return;
    say.note(`wrote ${field.declaration} at offset ${field.offset} = ${JSON.stringify(value)}`);
    await sleep(options.step * 1000, undefined, { signal: shutdown.abortSignal }).catch(() => undefined);
    shutdown.throwIfStopped();
  });
  say.note('state = 2 (ready), stored with Atomics.store so the fields are visible before it');
  const written = decodeSegment(attachment.view);
  say.block(layoutTable(written.header, written.message, attachment.size));
}

/**
 * The same cleanup for a signal, an error and a normal end: detach, then remove (whoever creates
 * removes). The segment is removed even if detaching failed, and someone else's IPC_RMID
 * (ipcrm, ipc-lab clean --force) is no error.
 */
function cleanUp(held: Held, say: Narrator): void {
  try {
    if (held.attachment) {
      const address = held.attachment.address;
      held.attachment.detach();
      say.call('shmdt', hexAddress(address), '0', 'detached: this process no longer maps it');
    }
  } finally {
    if (held.shmid !== undefined) removeOwnSegment(held.shmid, say);
  }
}

function removeOwnSegment(shmid: number, say: Narrator): void {
  try {
    remove(shmid);
    say.call('shmctl', `${shmid}, IPC_RMID, NULL`, '0', 'removed: the segment is gone once nothing is attached');
  } catch (error) {
    if (!isErrno(error, 'gone')) throw error;
    say.note(`segment ${shmid} was already removed by someone else (ipcrm or ipc-lab clean --force): nothing left to remove`);
  }
}
