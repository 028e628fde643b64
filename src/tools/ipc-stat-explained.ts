/**
 * shmctl(IPC_STAT) and msgctl(IPC_STAT) in words: what each field of struct shmid_ds or struct
 * msqid_ds says about the segment or the queue, with the key taken apart the way ftok(3) put it
 * together, ids turned into names, and pids into the processes they are (where this process can
 * see them).
 */
import { readFileSync, statSync } from 'node:fs';
import { hexKey, octalMode, rwx } from '../sysv/ipc-format.ts';

export { rwx };
import type { MsqStat } from '../sysv/msg.ts';
import type { ShmStat } from '../sysv/shm.ts';
import { describeAge } from '../text/numbers.ts';

export interface KeyParts {
  readonly projectId: number;
  readonly deviceByte: number;
  readonly inodeBits: number;
}

/** ftok's key: proj_id in the top 8 bits, st_dev's low 8 bits, then st_ino's low 16 bits. */
export function keyParts(key: number): KeyParts {
  const k = key >>> 0;
  return { projectId: k >>> 24, deviceByte: (k >>> 16) & 0xff, inodeBits: k & 0xffff };
}

function namesFrom(file: string): Map<number, string> {
  try {
    return new Map(
      readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [name = '?', , id = '-1'] = line.split(':');
          return [Number(id), name] as const;
        }),
    );
  } catch {
    return new Map();
  }
}

function processName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return 'not visible from here: another PID namespace, or gone';
  }
}

const hex = (n: number, digits: number): string => `0x${n.toString(16).padStart(digits, '0')}`;

function when(date: Date | null, now: Date): string {
  return date
    ? `${date
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC')} (${describeAge(date, now)} ago)`
    : 'not set';
}

export interface ExplainOptions {
  readonly keyFile?: string | undefined;
  readonly now?: Date;
}

type Row = [string, string, string];

/** The key, taken apart into ftok's parts, and checked against the key file where one is given. */
function keyRows(key: number, call: string, keyFile: string | undefined): Row[] {
  const parts = keyParts(key);
  const rows: Row[] = [['key', key === 0 ? '0x00000000 (IPC_PRIVATE or removed)' : hexKey(key), `what ${call} looked it up by`]];
  if (key === 0) return rows;
  rows.push([
    '  ftok parts',
    `proj_id ${hex(parts.projectId, 2)} | st_dev & 0xff = ${hex(parts.deviceByte, 2)} | st_ino & 0xffff = ${hex(parts.inodeBits, 4)}`,
    "the key file's inode and device, and the project id",
  ]);
  if (keyFile) {
    try {
      const file = statSync(keyFile);
      const same = (file.dev & 0xff) === parts.deviceByte && (file.ino & 0xffff) === parts.inodeBits;
      rows.push([
        '  key file',
        `${keyFile}: st_dev ${hex(file.dev, 1)}, st_ino ${file.ino}`,
        same ? 'matches the key' : 'does NOT match: another file, or an explicit --key',
      ]);
    } catch {
      rows.push(['  key file', `${keyFile}: not visible here`, '']);
    }
  }
  return rows;
}

/** Owner and creator, with the names this system gives their ids. */
function ownerRows(st: { uid: number; gid: number; cuid: number; cgid: number }): Row[] {
  const users = namesFrom('/etc/passwd');
  const groups = namesFrom('/etc/group');
  const user = (uid: number): string => `${uid} (${users.get(uid) ?? 'no name here'})`;
  const group = (gid: number): string => `${gid} (${groups.get(gid) ?? 'no name here'})`;
  return [
    ['owner', `uid ${user(st.uid)}, gid ${group(st.gid)}`, 'who the permission bits apply to (IPC_SET can change it)'],
    ['creator', `uid ${user(st.cuid)}, gid ${group(st.cgid)}`, 'who created it (never changes)'],
  ];
}

const pidText = (pid: number): string => (pid === 0 ? '0 (none yet)' : `${pid} (${processName(pid)})`);
/** A queue's sides are often in other containers, whose pids the kernel shows here as 0. */
const queuePidText = (pid: number): string => (pid === 0 ? '0 (none yet, or in another PID namespace)' : pidText(pid));

/** Label, value and meaning rows, ready for a table. */
export function explainStat(shmid: number, st: ShmStat, options: ExplainOptions = {}): Row[] {
  const now = options.now ?? new Date();
  return [
    ['shmid', String(shmid), "the kernel's id for the segment (shmget returned it)"],
    ...keyRows(st.key, 'shmget', options.keyFile),
    ...ownerRows(st),
    [
      'mode',
      `${octalMode(st.mode)} ${rwx(st.mode)}${st.markedForRemoval ? ' +SHM_DEST' : ''}`,
      st.markedForRemoval
        ? 'removed (IPC_RMID): goes when the last process detaches'
        : 'owner, group, others; x means nothing for shared memory',
    ],
    ['size', `${st.size} bytes`, 'shm_segsz: as asked; the kernel maps whole pages'],
    ['cpid', `${st.cpid} (${processName(st.cpid)})`, 'the process that created it'],
    ['lpid', `${st.lpid} (${processName(st.lpid)})`, 'the last process to shmat or shmdt it'],
    ['nattch', String(st.nattch), 'processes attached now'],
    ['atime', when(st.atime, now), 'last shmat'],
    ['dtime', when(st.dtime, now), 'last shmdt'],
    ['ctime', when(st.ctime, now), 'created, or last changed by IPC_SET/IPC_RMID'],
  ];
}

/** msgctl(IPC_STAT) of a queue, field by field. A queue has no attach count and no creator pid. */
export function explainQueueStat(msqid: number, st: MsqStat, options: ExplainOptions = {}): Row[] {
  const now = options.now ?? new Date();
  return [
    ['msqid', String(msqid), "the kernel's id for the queue (msgget returned it)"],
    ...keyRows(st.key, 'msgget', options.keyFile),
    ...ownerRows(st),
    ['mode', `${octalMode(st.mode)} ${rwx(st.mode)}`, 'owner, group, others: r to msgrcv, w to msgsnd; x means nothing'],
    ['msg_qnum', String(st.qnum), 'messages on the queue now'],
    ['msg_cbytes', `${st.cbytes} bytes`, 'their bytes, the mtypes not counted'],
    [
      'msg_qbytes',
      `${st.qbytes} bytes`,
      st.cbytes >= st.qbytes
        ? 'the capacity, reached: msgsnd blocks now (EAGAIN with IPC_NOWAIT)'
        : 'the capacity: msgsnd blocks once msg_cbytes would pass it',
    ],
    ['msg_lspid', queuePidText(st.lspid), 'the last process to msgsnd'],
    ['msg_lrpid', queuePidText(st.lrpid), 'the last process to msgrcv'],
    ['msg_stime', when(st.stime, now), 'last msgsnd'],
    ['msg_rtime', when(st.rtime, now), 'last msgrcv'],
    ['msg_ctime', when(st.ctime, now), 'created, or last changed by IPC_SET'],
  ];
}
