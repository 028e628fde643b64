/**
 * System V message queues with types: get a queue, send a typed message, receive by type
 * (blocking or not, exact type, any but one, or the lowest up to one), IPC_STAT, IPC_SET of
 * msg_qbytes, remove. Every failure is a SysvError.
 *
 * Receiving by type is what a queue has and a pipe has not: msgtyp 0 takes the oldest message,
 * N > 0 the oldest of type N (MSG_EXCEPT: of any type but N), -N the oldest of the lowest type
 * up to N. So several receivers can share one queue, each taking only its own type.
 */
import { readFileSync } from 'node:fs';
import * as ipc from '../libc/ipc.ts';
import * as libc from '../libc/msg.ts';
import { checkInt, isErrno, SysvError } from './errors.ts';
import { describeIpcFlags, keyArg, permIds, toDate, type IpcPermIds } from './ipc-format.ts';

export { IPC_CREAT, IPC_EXCL, IPC_NOWAIT, IPC_PRIVATE } from '../libc/ipc.ts';
export { MSG_COPY, MSG_EXCEPT, MSG_NOERROR } from '../libc/msg.ts';

export interface MsqStat extends IpcPermIds {
  readonly mode: number;
  /** Messages on the queue now, and their bytes (not counting the mtypes). */
  readonly qnum: number;
  readonly cbytes: number;
  /** The most bytes the queue holds: a sender blocks (or gets EAGAIN) past it. */
  readonly qbytes: number;
  /** The last process to send, and to receive. */
  readonly lspid: number;
  readonly lrpid: number;
  readonly stime: Date | null;
  readonly rtime: Date | null;
  readonly ctime: Date;
}

export interface Message {
  readonly type: number;
  readonly data: Uint8Array;
}

export interface ReceiveOptions {
  /** 0: the oldest message; N > 0: the oldest of type N; -N: of the lowest type up to N. */
  readonly type?: number;
  /** The longest message to take (bytes, without the mtype). */
  readonly maxBytes?: number;
  /** Return undefined at once instead of blocking when nothing matches (IPC_NOWAIT; ENOMSG). */
  readonly noWait?: boolean;
  /** Cut a longer message short instead of failing with E2BIG (MSG_NOERROR). */
  readonly truncate?: boolean;
  /** With type N > 0: the oldest of any type but N (MSG_EXCEPT). */
  readonly except?: boolean;
}

/** msgget: the id of the queue for `key`, created when `flags` has IPC_CREAT. */
export function getQueue(key: number, flags: number): number {
  return checkInt('msgget', libc.msgget(key, flags), () => ({ key: keyArg(key), msgflg: describeIpcFlags(flags) }));
}

/** The caller's struct msgbuf: a long mtype, then the bytes. */
function encodeMessage(type: number, data: Uint8Array): Buffer {
  if (!Number.isSafeInteger(type) || type < 1) throw new RangeError(`a message's type must be a whole number above 0, not ${type}`);
  const message = Buffer.alloc(libc.MTYPE_SIZE + data.byteLength);
  message.writeBigInt64LE(BigInt(type), 0);
  message.set(data, libc.MTYPE_SIZE);
  return message;
}

/**
 * msgsnd: `data` as a message of `type` (above 0). Blocks while the queue is full, unless
 * `noWait`: then false (EAGAIN) rather than waiting. A queue removed meanwhile is EIDRM.
 */
export function send(msqid: number, type: number, data: Uint8Array, options: { noWait?: boolean } = {}): boolean {
  const message = encodeMessage(type, data);
  const flags = options.noWait ? ipc.IPC_NOWAIT : 0;
  try {
    checkInt('msgsnd', libc.msgsnd(msqid, message, data.byteLength, flags), () => ({
      msqid,
      mtype: type,
      msgsz: data.byteLength,
      msgflg: flags ? 'IPC_NOWAIT' : '0',
    }));
    return true;
  } catch (error) {
    if (options.noWait && isErrno(error, 'EAGAIN')) return false;
    throw error;
  }
}

/**
 * msgsnd without IPC_NOWAIT on a libuv worker thread (koffi's `.async`): it blocks in the kernel
 * while the queue is full, and the event loop keeps running. Like semopAsync (./sem.ts), such a
 * wait needs a way to end, or the process cannot exit: the queue's owner removes the queue
 * (IPC_RMID), and the blocked msgsnd returns EIDRM.
 */
export function sendBlocking(msqid: number, type: number, data: Uint8Array): Promise<void> {
  const message = encodeMessage(type, data);
  return new Promise((resolve, reject) => {
    // koffi gives this thread the worker's errno only while the callback runs: check it here.
    libc.msgsnd.async(msqid, message, data.byteLength, 0, (error, result) => {
      if (error) return reject(error);
      try {
        checkInt('msgsnd', result, () => ({ msqid, mtype: type, msgsz: data.byteLength, msgflg: '0' }));
        resolve();
      } catch (failure) {
        reject(failure);
      }
    });
  });
}

/**
 * The largest message this IPC namespace's queues take (/proc/sys/kernel/msgmax, 8192 unless
 * raised): a buffer of that size holds any message, and MSG_COPY, which cannot truncate, needs one.
 */
export function maxMessageBytes(): number {
  try {
    const n = Number(readFileSync('/proc/sys/kernel/msgmax', 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : 8192;
  } catch {
    return 8192;
  }
}

/** msgrcv: the message `options` ask for, or undefined when `noWait` and none is there (ENOMSG). */
export function receive(msqid: number, options: ReceiveOptions = {}): Message | undefined {
  const { type = 0, maxBytes = 8192 } = options;
  const buffer = Buffer.alloc(libc.MTYPE_SIZE + maxBytes);
  const flags = (options.noWait ? ipc.IPC_NOWAIT : 0) | (options.truncate ? libc.MSG_NOERROR : 0) | (options.except ? libc.MSG_EXCEPT : 0);
  const words =
    [options.noWait && 'IPC_NOWAIT', options.truncate && 'MSG_NOERROR', options.except && 'MSG_EXCEPT'].filter(Boolean).join('|') || '0';
  try {
    const n = Number(libc.msgrcv(msqid, buffer, maxBytes, type, flags));
    checkInt('msgrcv', n, () => ({ msqid, msgsz: maxBytes, msgtyp: type, msgflg: words }));
    return { type: Number(buffer.readBigInt64LE(0)), data: buffer.subarray(libc.MTYPE_SIZE, libc.MTYPE_SIZE + n) };
  } catch (error) {
    if (options.noWait && error instanceof SysvError && error.code === 'ENOMSG') return undefined;
    throw error;
  }
}

/**
 * The messages on a queue, oldest first, left where they are: msgrcv with MSG_COPY, which copies
 * the message at an index instead of taking one (Linux, with CONFIG_CHECKPOINT_RESTORE, as
 * Ubuntu's and Docker Desktop's kernels have). Undefined where the kernel has no MSG_COPY
 * (ENOSYS). A peek, not a snapshot: senders and receivers may change the queue meanwhile.
 */
export function peekMessages(msqid: number, maxBytes = maxMessageBytes(), limit = 64): Message[] | undefined {
  const messages: Message[] = [];
  const buffer = Buffer.alloc(libc.MTYPE_SIZE + maxBytes);
  const flags = libc.MSG_COPY | ipc.IPC_NOWAIT | libc.MSG_NOERROR;
  for (let index = 0; index < limit; index++) {
    try {
      const n = Number(libc.msgrcv(msqid, buffer, maxBytes, index, flags));
      checkInt('msgrcv', n, () => ({ msqid, msgsz: maxBytes, msgtyp: index, msgflg: 'MSG_COPY|IPC_NOWAIT|MSG_NOERROR' }));
      messages.push({
        type: Number(buffer.readBigInt64LE(0)),
        data: Uint8Array.from(buffer.subarray(libc.MTYPE_SIZE, libc.MTYPE_SIZE + n)),
      });
    } catch (error) {
      if (error instanceof SysvError && error.code === 'ENOMSG') return messages; // past the last one
      if (error instanceof SysvError && error.code === 'ENOSYS') return undefined;
      throw error;
    }
  }
  return messages;
}

/** msgctl(IPC_STAT), decoded from struct msqid_ds. */
export function statQueue(msqid: number): MsqStat {
  const ds: Record<string, unknown> = {};
  checkInt('msgctl', libc.msgctl(msqid, ipc.IPC_STAT, ds), () => ({ msqid, cmd: 'IPC_STAT' }));
  const perm = ds.msg_perm as Record<string, number>;
  return {
    ...permIds(perm),
    mode: Number(perm.mode) & 0o777,
    qnum: Number(ds.msg_qnum),
    cbytes: Number(ds.__msg_cbytes),
    qbytes: Number(ds.msg_qbytes),
    lspid: Number(ds.msg_lspid),
    lrpid: Number(ds.msg_lrpid),
    stime: toDate(ds.msg_stime as number),
    rtime: toDate(ds.msg_rtime as number),
    ctime: toDate(ds.msg_ctime as number) ?? new Date(0),
  };
}

/**
 * msgctl(IPC_SET) of msg_qbytes, the queue's capacity in bytes: read IPC_STAT, change that one
 * field, write it back. Lowering it is allowed to the owner; raising it above MSGMNB takes root.
 */
export function setQueueBytes(msqid: number, qbytes: number): void {
  const ds: Record<string, unknown> = {};
  checkInt('msgctl', libc.msgctl(msqid, ipc.IPC_STAT, ds), () => ({ msqid, cmd: 'IPC_STAT' }));
  ds.msg_qbytes = qbytes;
  checkInt('msgctl', libc.msgctl(msqid, ipc.IPC_SET, ds), () => ({ msqid, cmd: 'IPC_SET', msg_qbytes: qbytes }));
}

/** msgctl(IPC_RMID): the queue and its messages go at once; blocked senders and receivers wake with EIDRM. */
export function removeQueue(msqid: number): void {
  checkInt('msgctl', libc.msgctl(msqid, ipc.IPC_RMID, null), () => ({ msqid, cmd: 'IPC_RMID' }));
}
