/**
 * System V shared memory with types: make a key, get a segment, attach it as a guarded
 * zero-copy view, read its IPC_STAT, detach, remove. Every failure is a SysvError.
 */
import { readFileSync } from 'node:fs';
import * as ipc from '../libc/ipc.ts';
import * as libc from '../libc/shm.ts';
import { checkInt, checkPointer } from './errors.ts';
import { describeIpcFlags, hexAddress, keyArg, permIds, toDate, type IpcPermIds } from './ipc-format.ts';
import { SegmentView } from './segment-view.ts';

export { IPC_CREAT, IPC_EXCL, IPC_PRIVATE } from '../libc/ipc.ts';
export { SHM_RDONLY } from '../libc/shm.ts';

export function ftok(path: string, projectId: number): number {
  return checkInt('ftok', ipc.ftok(path, projectId), () => ({ path: JSON.stringify(path), proj_id: projectId }));
}

/** shmget: the id of the segment for `key`, created when `flags` has IPC_CREAT. */
export function getSegment(key: number, size: number, flags: number): number {
  return checkInt('shmget', libc.shmget(key, size, flags), () => ({
    key: keyArg(key),
    size,
    shmflg: describeIpcFlags(flags),
  }));
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

/** shmctl(IPC_STAT), decoded from the architecture's struct shmid_ds. */
export function stat(shmid: number): ShmStat {
  const ds: Record<string, unknown> = {};
  checkInt('shmctl', libc.shmctl(shmid, ipc.IPC_STAT, ds), () => ({ shmid, cmd: 'IPC_STAT' }));
  const perm = ds.shm_perm as Record<string, number>;
  const mode = Number(perm.mode);
  return {
    ...permIds(perm),
    mode: mode & 0o777,
    markedForRemoval: (mode & libc.SHM_DEST) !== 0,
    size: Number(ds.shm_segsz),
    atime: toDate(ds.shm_atime as number),
    dtime: toDate(ds.shm_dtime as number),
    ctime: toDate(ds.shm_ctime as number) ?? new Date(0),
    cpid: Number(ds.shm_cpid),
    lpid: Number(ds.shm_lpid),
    nattch: Number(ds.shm_nattch),
  };
}

/**
 * shmctl(IPC_SET) of the permission bits: read IPC_STAT, change shm_perm.mode, write it back.
 * Only the owner or creator may (or CAP_SYS_ADMIN); it changes who may attach from now on,
 * never an attachment already made.
 */
export function setMode(shmid: number, mode: number): void {
  const ds: Record<string, unknown> = {};
  checkInt('shmctl', libc.shmctl(shmid, ipc.IPC_STAT, ds), () => ({ shmid, cmd: 'IPC_STAT' }));
  const perm = ds.shm_perm as Record<string, number>;
  perm.mode = (Number(perm.mode) & ~0o777) | (mode & 0o777);
  checkInt('shmctl', libc.shmctl(shmid, ipc.IPC_SET, ds), () => ({ shmid, cmd: 'IPC_SET', mode: `0${mode.toString(8)}` }));
}

/** shmctl(IPC_RMID): the segment goes once the last process has detached. */
export function remove(shmid: number): void {
  checkInt('shmctl', libc.shmctl(shmid, ipc.IPC_RMID, null), () => ({ shmid, cmd: 'IPC_RMID' }));
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
    this.view = new SegmentView(ipc.view(address, size), readOnly, () => this.#attached);
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

/** One row of the IPC namespace's segment table, as `ipcs -m` lists it. */
export interface SegmentRow {
  readonly key: number;
  readonly shmid: number;
  readonly mode: number;
  /** SHM_DEST: removed (IPC_RMID) while still attached; its key is 0 from then on. */
  readonly removed: boolean;
  readonly nattch: number;
}

/**
 * Every segment of this IPC namespace: /proc/sysvipc/shm, what ipcs reads too (the kernel
 * lists only the namespace of the reading process). Undefined where it cannot be read.
 */
export function listSegments(): SegmentRow[] | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/sysvipc/shm', 'utf8');
  } catch {
    return undefined;
  }
  return text
    .split('\n')
    .slice(1)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [key = '0', shmid = '0', perms = '0', , , , nattch = '0'] = line.trim().split(/\s+/);
      const mode = Number.parseInt(perms, 8);
      return { key: Number(key), shmid: Number(shmid), mode: mode & 0o777, removed: (mode & libc.SHM_DEST) !== 0, nattch: Number(nattch) };
    });
}
