/**
 * System V message queues, declared through koffi and nothing else: the prototypes with their C
 * names and the constants of <sys/msg.h>. ../sysv/msg.ts gives them types and checked errors.
 *
 * A message, for msgsnd and msgrcv, is the caller's own struct: a `long mtype` (above 0), then
 * the bytes. The calls take a pointer to it and the size of the bytes alone.
 */
import koffi from 'koffi';
import { libc } from './ipc.ts';
import { MSQID_DS } from './structs.ts';

/** <sys/msg.h> (Linux) */
export const MSG_NOERROR = 0o10000; // msgrcv: truncate a message longer than msgsz instead of E2BIG
export const MSG_EXCEPT = 0o20000; // msgrcv: the first message of any type but msgtyp
export const MSG_COPY = 0o40000; // msgrcv: a copy of the message at index msgtyp, left on the queue (with IPC_NOWAIT)
/** sizeof(long): the mtype before a message's bytes, on both 64-bit arches. */
export const MTYPE_SIZE = 8;

export const msgget: (key: number, msgflg: number) => number = libc.func('int msgget(int key, int msgflg)');

/** koffi's async callback: `error` is set only when koffi itself failed, never for errno. */
export type AsyncCallback = (error: unknown, result: number) => void;

export const msgsnd: {
  (msqid: number, msgp: Uint8Array, msgsz: number, msgflg: number): number;
  async(msqid: number, msgp: Uint8Array, msgsz: number, msgflg: number, callback: AsyncCallback): void;
} = libc.func('int msgsnd(int msqid, const void *msgp, size_t msgsz, int msgflg)');

export const msgrcv: (msqid: number, msgp: Uint8Array, msgsz: number, msgtyp: number | bigint, msgflg: number) => number | bigint =
  libc.func('intptr_t msgrcv(int msqid, void *msgp, size_t msgsz, long msgtyp, int msgflg)');

export const msgctl: (msqid: number, cmd: number, buf: Record<string, unknown> | null) => number = libc.func('msgctl', 'int', [
  'int',
  'int',
  koffi.inout(koffi.pointer(MSQID_DS)),
]);
