/**
 * ipc-lab posix server|client|check: the message lab's PI message through POSIX shared memory.
 *
 *   $ ipc-lab posix server &      shm_open("/ipc-lab-message", O_RDWR|O_CREAT|O_EXCL, 0600), ftruncate,
 *                                 mmap, the message written by the same codec as the System V lab
 *   $ ls -l /dev/shm              -rw------- 1 lab lab 1024 ... ipc-lab-message: a file, with a mode
 *   $ ipc-lab posix client        shm_open(..., O_RDONLY), mmap, read: "PI is defined as: 22/7==3.14286"
 *
 * The server keeps the object until a signal, then munmaps it and shm_unlinks the name: a name
 * outlives every process that used it unless someone unlinks it, as a System V key does until
 * IPC_RMID. Two containers see one object only if they see one /dev/shm: Docker shares it along
 * with the IPC namespace (ipc: shareable, ipc: "service:..."); its size is compose's shm_size.
 */
import { existsSync, statSync } from 'node:fs';
import { StoppedError, WaitTimeoutError } from '../../core/errors.ts';
import { watchShutdown } from '../../core/signals.ts';
import { waitFor } from '../../core/wait.ts';
import { EmptyObjectError, SHM_DIR, open, unlink, type Mapping } from '../../posix/shm.ts';
import { isErrno } from '../../sysv/errors.ts';
import { hexAddress, octalMode, rwx } from '../../sysv/ipc-format.ts';
import type { Narrator } from '../../text/narrate.ts';
import { ipcNamespace } from '../common/namespace.ts';
import { decodeSegment, readState, writeSegment } from '../message/codec.ts';
import { State, THE_MESSAGE } from '../message/contract.ts';
import { layoutTable, renderMessage } from '../message/render.ts';

export interface PosixOptions {
  readonly role: 'server' | 'client' | 'check';
  readonly name: string;
  /** Server: the object's size in bytes. */
  readonly size: number;
  /** Server: its permission bits. */
  readonly mode: number;
  /** Client: how long to wait for the object and its message (seconds). */
  readonly timeout: number;
}

const POLL_MS = 50;

/** The object as `ls -l /dev/shm` lists it: mode, owner, size. */
function listing(name: string): string {
  const st = statSync(`${SHM_DIR}${name}`);
  return `-${rwx(st.mode & 0o777)} uid ${st.uid} gid ${st.gid} ${st.size} bytes ${SHM_DIR}${name}`;
}

async function serve(options: PosixOptions, say: Narrator): Promise<number> {
  const shutdown = watchShutdown({ keepAlive: true });
  let mapping: Mapping | undefined;
  try {
    say.step(`POSIX server (pid ${process.pid}, uid ${process.getuid?.()}, IPC namespace ${ipcNamespace()}): a name, not a key`);
    mapping = open(options.name, { create: { size: options.size, mode: options.mode } });
    const fd = mapping.fd;
    say.call(
      'shm_open',
      `"${options.name}", O_RDWR|O_CREAT|O_EXCL, ${octalMode(options.mode)}`,
      String(fd),
      'a file descriptor, like open(2)',
    );
    say.call('ftruncate', `${fd}, ${options.size}`, '0', 'a new object is 0 bytes: this gives it its size');
    say.call('posix_fallocate', `${fd}, 0, ${options.size}`, '0', `reserved in ${SHM_DIR} now, so a full ${SHM_DIR} fails here, not later`);
    say.call(
      'mmap',
      `NULL, ${options.size}, PROT_READ|PROT_WRITE, MAP_SHARED, ${fd}, 0`,
      hexAddress(mapping.address),
      `then close(${fd}): the mapping keeps the object`,
    );
    say.note(`ls -l ${SHM_DIR}: ${listing(options.name)}`);
    await writeSegment(mapping.view, THE_MESSAGE, () => shutdown.throwIfStopped());
    const written = decodeSegment(mapping.view);
    say.step('the message, at the same offsets as in the System V segment (one codec for both)');
    say.block(layoutTable(written.header, written.message, mapping.size));
    say.step('serving until stopped (Ctrl-C, docker stop, make down)');
    await shutdown.stopped;
    say.note(`${shutdown.signal}: stopping`);
    return 0;
  } catch (error) {
    if (!(error instanceof StoppedError)) throw error;
    say.note(error.message);
    return 0;
  } finally {
    shutdown.dispose();
    if (mapping) {
      const address = mapping.address;
      mapping.unmap();
      say.call('munmap', `${hexAddress(address)}, ${mapping.size}`, '0');
      if (mapping.created) removeName(options.name, say);
    }
  }
}

function removeName(name: string, say: Narrator): void {
  try {
    unlink(name);
    say.call('shm_unlink', `"${name}"`, '0', `the name is gone from ${SHM_DIR}; the memory goes with the last mapping`);
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
    say.note(`${name} was already unlinked by someone else (rm ${SHM_DIR}${name}, or ipc-lab clean --force)`);
  }
}

/** Opens the object, waiting (polling) until it exists and holds a ready message, or the deadline. */
async function openReady(options: PosixOptions, say: Narrator): Promise<Mapping> {
  let mapping: Mapping | undefined;
  const ready = await waitFor(
    () => {
      if (!mapping) {
        try {
          mapping = open(options.name, { readOnly: true });
          say.call('shm_open', `"${options.name}", O_RDONLY, 0`, String(mapping.fd));
          say.call('mmap', `NULL, ${mapping.size}, PROT_READ, MAP_SHARED, ${mapping.fd}, 0`, hexAddress(mapping.address), 'read-only');
        } catch (error) {
          if (isErrno(error, 'ENOENT') || error instanceof EmptyObjectError) return undefined; // not there, or not sized yet
          throw error;
        }
      }
      return readState(mapping.view) === State.ready ? mapping : undefined;
    },
    { deadline: Date.now() + options.timeout * 1000, every: POLL_MS },
  );
  if ('value' in ready) return ready.value;
  mapping?.unmap();
  const gaveUp = options.timeout > 0 ? `gave up after ${options.timeout} s: ` : '';
  if (mapping) throw new WaitTimeoutError(`${gaveUp}${options.name} exists but its message never became ready (state 2)`);
  const where = existsSync(SHM_DIR) ? `no ${SHM_DIR}${options.name} here` : `no ${SHM_DIR} here at all`;
  throw new WaitTimeoutError(
    `${gaveUp}${where} (shm_open: ENOENT): this client does not see the server's ${SHM_DIR}. ` +
      `In a container, ${SHM_DIR} is the container's own unless it shares the server's IPC namespace, which shares ${SHM_DIR} ` +
      `too (in compose: ipc: "service:posix-server"; this one is in ${ipcNamespace()}). Or no server is running: make posix starts one.`,
  );
}

async function read(options: PosixOptions, say: Narrator): Promise<number> {
  say.step(`POSIX client (pid ${process.pid}, uid ${process.getuid?.()}, IPC namespace ${ipcNamespace()}): open ${options.name}`);
  const mapping = await openReady(options, say);
  try {
    const { message } = decodeSegment(mapping.view);
    say.block('');
    say.block(renderMessage(message));
    say.block('');
    return 0;
  } finally {
    const address = mapping.address;
    mapping.unmap();
    say.call('munmap', `${hexAddress(address)}, ${mapping.size}`, '0', 'the server still owns the name and unlinks it');
  }
}

/** For the healthcheck: exit 0 once the object holds a ready message; nothing printed. */
function check(options: PosixOptions): number {
  let mapping: Mapping;
  try {
    mapping = open(options.name, { readOnly: true });
  } catch (error) {
    if (isErrno(error, 'ENOENT') || error instanceof EmptyObjectError) return 4;
    throw error;
  }
  try {
    return readState(mapping.view) === State.ready ? 0 : 4;
  } finally {
    mapping.unmap();
  }
}

export async function runPosix(options: PosixOptions, say: Narrator): Promise<number> {
  if (options.role === 'server') return serve(options, say);
  if (options.role === 'client') return read(options, say);
  return check(options);
}
