/**
 * POSIX shared memory: an object with a name instead of a key, which is a file on the tmpfs at
 * /dev/shm (`ls -l /dev/shm` shows it, with its mode and size), sized with ftruncate, reserved
 * with posix_fallocate (so that a full /dev/shm is an ENOSPC here, not a SIGBUS later) and mapped
 * with mmap. It lives until shm_unlink removes the name and the last mapping goes. Every
 * failure is a SysvError from the one choke point (../sysv/errors.ts), with a hint.
 *
 * The mapping is seen through the same guarded SegmentView as a System V segment, so the
 * message codec (../labs/message/codec.ts) reads and writes both the same way.
 */
import { fstatSync } from 'node:fs';
import { LabError } from '../core/errors.ts';
import { view as rawView } from '../libc/ipc.ts';
import * as c from '../libc/posix.ts';
import { checkInt, checkPointer, checkReturned } from '../sysv/errors.ts';
import { SegmentView } from '../sysv/segment-view.ts';
import { SHM_DIR } from './dir.ts';
import { PosixSemaphore, SEM_SIZE } from './sem.ts';

export { SHM_DIR };

export interface OpenOptions {
  /** Create it (O_CREAT | O_EXCL) with this size and mode; without, open an existing one. */
  readonly create?: { readonly size: number; readonly mode: number };
  readonly readOnly?: boolean;
}

/** A name as shm_open takes it: one slash, then up to 254 characters with no other slash. */
export function checkName(name: string): string {
  if (!/^\/[^/]{1,254}$/.test(name))
    throw new RangeError(`a POSIX shared memory name is "/" and up to 254 characters without "/", not ${JSON.stringify(name)}`);
  return name;
}

const describeFlags = (flags: number): string =>
  [flags & c.O_RDWR ? 'O_RDWR' : 'O_RDONLY', flags & c.O_CREAT && 'O_CREAT', flags & c.O_EXCL && 'O_EXCL'].filter(Boolean).join('|');

/** An existing object of 0 bytes: created, but not (yet) sized; mmap would fail with EINVAL. */
export class EmptyObjectError extends LabError {
  override readonly name = 'EmptyObjectError';

  constructor(message: string) {
    super('format', message);
  }
}

/** One mapping of a POSIX shared memory object: its address, size, and a view that dies with unmap(). */
export class Mapping {
  #mapped = true;
  readonly view: SegmentView;

  private constructor(
    readonly name: string,
    readonly address: bigint,
    readonly size: number,
    readonly readOnly: boolean,
    /** Whether this open created the object (and so owns its name). */
    readonly created: boolean,
    /** The descriptor shm_open returned, closed once mapped (for the narration). */
    readonly fd: number,
  ) {
    this.view = new SegmentView(rawView(address, size), readOnly, () => this.#mapped);
  }

  /** shm_open (creating it when asked: ftruncate and posix_fallocate), mmap, close the descriptor. */
  static open(name: string, options: OpenOptions = {}): Mapping {
    checkName(name);
    const readOnly = options.readOnly ?? false;
    const create = options.create;
    const flags = (readOnly ? c.O_RDONLY : c.O_RDWR) | (create ? c.O_CREAT | c.O_EXCL : 0);
    const mode = create?.mode ?? 0;
    const fd = checkInt('shm_open', c.shm_open(name, flags, mode), () => ({
      name,
      oflag: describeFlags(flags),
      mode: `0${mode.toString(8)}`,
    }));
    let size: number;
    try {
      if (create) {
        checkInt('ftruncate', c.ftruncate(fd, create.size), () => ({ fd, length: create.size }));
        checkReturned('posix_fallocate', c.posix_fallocate(fd, 0, create.size), () => ({ fd, offset: 0, len: create.size }));
        size = create.size;
      } else {
        size = fstatSync(fd).size; // the object this descriptor opened, even if the name went meanwhile
        if (size === 0) throw new EmptyObjectError(`${name} is 0 bytes: nothing to map (its creator has not sized it with ftruncate yet)`);
      }
      const prot = readOnly ? c.PROT_READ : c.PROT_READ | c.PROT_WRITE;
      const address = checkPointer('mmap', c.mmap(null, size, prot, c.MAP_SHARED, fd, 0), c.MAP_FAILED, () => ({
        addr: 'NULL',
        length: size,
        prot: readOnly ? 'PROT_READ' : 'PROT_READ|PROT_WRITE',
        flags: 'MAP_SHARED',
        fd,
        offset: 0,
      }));
      return new Mapping(name, address, size, readOnly, create !== undefined, fd);
    } catch (error) {
      // A creator that fails half-way leaves no name behind.
      if (create) c.shm_unlink(name);
      throw error;
    } finally {
      c.close(fd); // the mapping keeps the object; the descriptor is no longer needed
    }
  }

  /** The sem_t at `offset` of this mapping (8-byte aligned, SEM_SIZE bytes). */
  semaphore(offset: number): PosixSemaphore {
    if (!Number.isInteger(offset) || offset < 0 || offset + SEM_SIZE > this.size)
      throw new RangeError(`a sem_t at ${offset} does not fit in the ${this.size}-byte mapping`);
    return new PosixSemaphore(this.address + BigInt(offset), () => this.#mapped);
  }

  get mapped(): boolean {
    return this.#mapped;
  }

  /** munmap: after this the view refuses every access. Twice is a no-op. */
  unmap(): void {
    if (!this.#mapped) return;
    this.#mapped = false;
    checkInt('munmap', c.munmap(this.address, this.size), () => ({ addr: `0x${this.address.toString(16)}`, length: this.size }));
  }

  [Symbol.dispose](): void {
    this.unmap();
  }
}

/** shm_unlink: the name goes at once; the memory when the last mapping goes. */
export function unlink(name: string): void {
  checkInt('shm_unlink', c.shm_unlink(checkName(name)), () => ({ name }));
}

export function open(name: string, options: OpenOptions = {}): Mapping {
  return Mapping.open(name, options);
}
