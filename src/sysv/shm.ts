/**
 * System V shared memory with types: make a key, get a segment, attach it as a guarded
 * zero-copy view, read its IPC_STAT, detach, remove. Every failure is a SysvError.
 */
import * as libc from './libc.ts';
import { checkInt, checkPointer } from './errors.ts';
import { SegmentView } from './segment-view.ts';

export { IPC_CREAT, IPC_EXCL, IPC_PRIVATE, SHM_RDONLY } from './libc.ts';

/** A key as ipcs prints it: 0x and eight hex digits of the unsigned 32-bit value. */
export function hexKey(key: number): string {
  return `0x${(key >>> 0).toString(16).padStart(8, '0')}`;
}

export function hexAddress(address: bigint): string {
  return `0x${address.toString(16)}`;
}

export function octalMode(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

/** Flags of any System V get/attach call in words, e.g. "IPC_CREAT|IPC_EXCL|0600". */
export function describeIpcFlags(flags: number): string {
  const words: string[] = [];
  if (flags & libc.IPC_CREAT) words.push('IPC_CREAT');
  if (flags & libc.IPC_EXCL) words.push('IPC_EXCL');
  if (flags & libc.SHM_RDONLY) words.push('SHM_RDONLY');
  const rest = flags & ~(libc.IPC_CREAT | libc.IPC_EXCL | libc.SHM_RDONLY | 0o777);
  if (rest) words.push(`0x${rest.toString(16)}`);
  if (flags & 0o777 || words.length === 0) words.push(octalMode(flags));
  return words.join('|');
}

export function ftok(path: string, projectId: number): number {
  return checkInt('ftok', libc.ftok(path, projectId), () => ({ path: JSON.stringify(path), proj_id: projectId }));
}

/** shmget: the id of the segment for `key`, created when `flags` has IPC_CREAT. */
export function getSegment(key: number, size: number, flags: number): number {
  return checkInt('shmget', libc.shmget(key, size, flags), () => ({
    key: key === libc.IPC_PRIVATE ? 'IPC_PRIVATE' : hexKey(key),
    size,
    shmflg: describeIpcFlags(flags),
  }));
}

/** struct ipc_perm's ids, common to every System V object's IPC_STAT. */
export interface IpcPermIds {
  readonly key: number;
  readonly uid: number;
  readonly gid: number;
  readonly cuid: number;
  readonly cgid: number;
}

export interface ShmStat extends IpcPermIds {
  /** Permission bits only (the kernel also keeps SHM_DEST and SHM_LOCKED in the high bits). */
  readonly mode: number;
  /** SHM_DEST: IPC_RMID was called, the segment goes when the last process detaches. */
  readonly markedForRemoval: boolean;
  readonly size: number;
  readonly atime: Date | null;
  readonly dtime: Date | null;
  readonly ctime: Date;
  readonly cpid: number;
  readonly lpid: number;
  readonly nattch: number;
}

const SHM_DEST = 0o1000;

/** A time_t from IPC_STAT; 0 means "never" (no shmat yet, no semop yet). */
export function toDate(seconds: number | bigint): Date | null {
  const s = Number(seconds);
  return s === 0 ? null : new Date(s * 1000);
}

/** The ids in a decoded struct ipc_perm, as every System V IPC_STAT holds one. */
export function permIds(perm: Record<string, number>): IpcPermIds {
  return {
    key: Number(perm['__key']),
    uid: Number(perm['uid']),
    gid: Number(perm['gid']),
    cuid: Number(perm['cuid']),
    cgid: Number(perm['cgid']),
  };
}

/** shmctl(IPC_STAT), decoded from the architecture's struct shmid_ds. */
export function stat(shmid: number): ShmStat {
  const ds: Record<string, unknown> = {};
  checkInt('shmctl', libc.shmctl(shmid, libc.IPC_STAT, ds), () => ({ shmid, cmd: 'IPC_STAT' }));
  const perm = ds['shm_perm'] as Record<string, number>;
  const mode = Number(perm['mode']);
  return {
    ...permIds(perm),
    mode: mode & 0o777,
    markedForRemoval: (mode & SHM_DEST) !== 0,
    size: Number(ds['shm_segsz']),
    atime: toDate(ds['shm_atime'] as number),
    dtime: toDate(ds['shm_dtime'] as number),
    ctime: toDate(ds['shm_ctime'] as number) ?? new Date(0),
    cpid: Number(ds['shm_cpid']),
    lpid: Number(ds['shm_lpid']),
    nattch: Number(ds['shm_nattch']),
  };
}

/** shmctl(IPC_RMID): the segment goes once the last process has detached. */
export function remove(shmid: number): void {
  checkInt('shmctl', libc.shmctl(shmid, libc.IPC_RMID, null), () => ({ shmid, cmd: 'IPC_RMID' }));
}

export interface AttachOptions {
  readonly readOnly?: boolean;
}

/** One shmat: the address, the segment's size, and a view that dies with detach(). */
export class Attachment {
  #attached = true;
  readonly view: SegmentView;

  private constructor(
    readonly shmid: number,
    readonly address: bigint,
    readonly size: number,
    readonly readOnly: boolean,
  ) {
    this.view = new SegmentView(libc.view(address, size), readOnly, () => this.#attached);
  }

  static open(shmid: number, options: AttachOptions = {}): Attachment {
    const readOnly = options.readOnly ?? false;
    const flags = readOnly ? libc.SHM_RDONLY : 0;
    const address = checkPointer('shmat', libc.shmat(shmid, null, flags), libc.SHMAT_FAILED, () => ({
      shmid,
      shmaddr: 'NULL',
      shmflg: describeIpcFlags(flags),
    }));
    let size: number;
    try {
      size = stat(shmid).size;
    } catch (error) {
      libc.shmdt(address);
      throw error;
    }
    return new Attachment(shmid, address, size, readOnly);
  }

  get attached(): boolean {
    return this.#attached;
  }

  /** shmdt: after this the view refuses every access. Detaching twice is a no-op. */
  detach(): void {
    if (!this.#attached) return;
    this.#attached = false;
    checkInt('shmdt', libc.shmdt(this.address), () => ({ shmaddr: hexAddress(this.address) }));
  }

  [Symbol.dispose](): void {
    this.detach();
  }
}

export function attach(shmid: number, options: AttachOptions = {}): Attachment {
  return Attachment.open(shmid, options);
}
