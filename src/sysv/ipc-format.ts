/**
 * System V values in the forms ipcs and the C headers use: keys in hex, addresses, modes in
 * octal, flags in words, IPC_STAT's times and ids. Shared by the shm and sem layers.
 */
import { IPC_CREAT, IPC_EXCL, IPC_PRIVATE } from '../libc/ipc.ts';
import { SHM_RDONLY } from '../libc/shm.ts';

/** A key as ipcs prints it: 0x and eight hex digits of the unsigned 32-bit value. */
export function hexKey(key: number): string {
  return `0x${(key >>> 0).toString(16).padStart(8, '0')}`;
}

/** A key as a get call's argument: IPC_PRIVATE by name. */
export function keyArg(key: number): string {
  return key === IPC_PRIVATE ? 'IPC_PRIVATE' : hexKey(key);
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
  if (flags & IPC_CREAT) words.push('IPC_CREAT');
  if (flags & IPC_EXCL) words.push('IPC_EXCL');
  if (flags & SHM_RDONLY) words.push('SHM_RDONLY');
  const rest = flags & ~(IPC_CREAT | IPC_EXCL | SHM_RDONLY | 0o777);
  if (rest) words.push(`0x${rest.toString(16)}`);
  if (flags & 0o777 || words.length === 0) words.push(octalMode(flags));
  return words.join('|');
}

/** A time_t from IPC_STAT; 0 means "never" (no shmat yet, no semop yet). */
export function toDate(seconds: number | bigint): Date | null {
  const s = Number(seconds);
  return s === 0 ? null : new Date(s * 1000);
}

/** struct ipc_perm's ids, common to every System V object's IPC_STAT. */
export interface IpcPermIds {
  readonly key: number;
  readonly uid: number;
  readonly gid: number;
  readonly cuid: number;
  readonly cgid: number;
}

/** The ids in a decoded struct ipc_perm, as every System V IPC_STAT holds one. */
export function permIds(perm: Record<string, number>): IpcPermIds {
  return {
    key: Number(perm.__key),
    uid: Number(perm.uid),
    gid: Number(perm.gid),
    cuid: Number(perm.cuid),
    cgid: Number(perm.cgid),
  };
}

/** Permission bits as `ls -l` shows them: rw-------. */
export function rwx(mode: number): string {
  return [6, 3, 0]
    .map((shift) => {
      const bits = (mode >> shift) & 7;
      return `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${bits & 1 ? 'x' : '-'}`;
    })
    .join('');
}
