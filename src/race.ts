/**
 * ipc-lab race writer|reader: shared memory gives no synchronisation for free.
 *
 * The writer keeps rewriting a record of 63 fields, putting the same sequence number into
 * every field, one field at a time. The reader keeps reading the whole record and checking that
 * every field holds the same number. Without a lock (UNSAFE=1) the reader sometimes copies the
 * record while the writer is half-way through it: a torn read, old numbers and new ones mixed.
 * With the default binary semaphore around each write and each read, it never does.
 *
 *   $ ipc-lab race writer &  ipc-lab race reader --seconds 3
 *   reads 412345, torn 0 (locked with semaphore 0 of set 3: P before, V after)
 *   $ UNSAFE=1 ipc-lab race writer &  UNSAFE=1 ipc-lab race reader --seconds 3
 *   reads 980112, torn 5231 (0.53 %): e.g. fields 0..40 said 77102, fields 41..62 said 77101
 *
 * The lock is P (semop -1) and V (semop +1) with SEM_UNDO: if a process dies holding it, the
 * kernel undoes its -1, so the other side is not locked out forever. The writer owns both the
 * segment and the semaphore set: it creates them and removes them when the reader is done.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { LAB_PROJECT_IDS, RACE_FIELDS, RACE_MAGIC, RACE_RECORD, RACE_SEM, DEFAULT_MODE } from './contract.ts';
import { KEY_OPTIONS, keyChoice, parseOptions, seconds, UsageError } from './options.ts';
import { semop, SEM_UNDO, type SemOp } from './sysv/sem.ts';
import { hexKey } from './sysv/shm.ts';
import {
  attachedCount, createLabObjects, isErrno, labKey, openLabObjects, PeerGoneError, peerLeft, removeLabObjects, StopFlag,
  waitForPeer, type LabObjects,
} from './two-party.ts';
import { narrator, type Narrator } from './ui/narrate.ts';

export const RACE_HELP = `Usage: ipc-lab race writer|reader [options]

The race lab: a writer rewrites a 63-field record, a reader checks every field agrees.

Options:
  --unsafe            no lock: watch torn reads happen (env UNSAFE=1)
  --seconds SECONDS   how long the reader reads (default 3); the writer runs until the reader is done
  --key-file PATH, --key KEY   which key (as for the server; project id 'R')
  --timeout SECONDS   how long to wait for the other side (default 30)
  -h, --help          this text
`;

const P: SemOp[] = [{ num: RACE_SEM.lock, op: -1, flags: SEM_UNDO }];
const V: SemOp[] = [{ num: RACE_SEM.lock, op: +1, flags: SEM_UNDO }];
const SEQ = RACE_RECORD.fields.find((f) => f.name === 'seq')!.offset;
const YIELD_EVERY_MS = 20;

/**
 * P or V. A signal interrupts a blocked semop (EINTR; semop is never restarted): then this
 * returns false without the lock, and the loop yields so the signal's handler can run.
 */
function lockOp(objects: LabObjects, ops: SemOp[]): boolean {
  try {
    semop(objects.semid, ops);
    return true;
  } catch (error) {
    if (isErrno(error, 'EINTR')) return false;
    throw error;
  }
}

async function writer(objects: LabObjects, unsafe: boolean, stop: StopFlag, deadline: number, say: Narrator): Promise<number> {
  const view = objects.attachment.view;
  view.write(0, Buffer.from(RACE_MAGIC, 'latin1'));
  await waitForPeer(objects, deadline, stop, 'reader', say);
  say.step(`writing the record over and over${unsafe ? ' WITHOUT a lock (UNSAFE)' : ', each write between P and V'}`);
  let seq = 0;
  for (;;) {
    // Bursts of plain synchronous work; between bursts the event loop turns (signals, timers).
    for (const until = Date.now() + YIELD_EVERY_MS; Date.now() < until; ) {
      if (!unsafe && !lockOp(objects, P)) break;
      seq = (seq + 1) >>> 0;
      for (let i = 0; i < RACE_FIELDS; i++) view.setUint32(SEQ + 4 * i, seq); // field by field: not atomic as a whole
      if (!unsafe) while (!lockOp(objects, V)); // V never blocks; retried only for form's sake
    }
    await stop.yieldToSignals();
    if (stop.stopped) break;
    if (attachedCount(objects.shmid) < 2) break; // the reader is done (or gone)
  }
  say.block(`writes ${seq}`);
  return 0;
}

interface Tear {
  readonly fields: string;
}

/** The fields as runs of equal numbers, e.g. "fields 0..40 said 77102, fields 41..62 said 77101". */
function describeTear(record: Uint32Array): string {
  const runs: string[] = [];
  let start = 0;
  for (let i = 1; i <= record.length; i++) {
    if (i === record.length || record[i] !== record[start]) {
      runs.push(`fields ${start}..${i - 1} said ${record[start]}`);
      start = i;
    }
  }
  return runs.join(', ');
}

async function reader(objects: LabObjects, unsafe: boolean, stop: StopFlag, durationMs: number, say: Narrator): Promise<number> {
  const view = objects.attachment.view;
  say.step(`reading for ${durationMs / 1000} s${unsafe ? ' WITHOUT a lock (UNSAFE)' : ', each read between P and V'}`);
  let reads = 0;
  let torn = 0;
  let example: Tear | undefined;
  let ended: string | undefined;
  const end = Date.now() + durationMs;
  try {
    while (Date.now() < end && !stop.stopped) {
      for (const until = Math.min(end, Date.now() + YIELD_EVERY_MS); Date.now() < until; ) {
        if (!unsafe && !lockOp(objects, P)) break;
        const bytes = view.read(SEQ, 4 * RACE_FIELDS); // one copy of the whole record
        if (!unsafe) while (!lockOp(objects, V));
        const record = new Uint32Array(bytes.buffer, bytes.byteOffset, RACE_FIELDS);
        reads++;
        const first = record[0];
        if (first !== 0 && !record.every((v) => v === first)) {
          torn++;
          example ??= { fields: describeTear(record) };
        }
      }
      await stop.yieldToSignals();
      if (attachedCount(objects.shmid) < 2) {
        ended = peerLeft(objects.shmid) === 'removed'
          ? 'the writer stopped and removed the record (IPC_RMID)'
          : 'the writer is gone (shm_nattch fell to 1): it died without cleaning up';
        break;
      }
    }
  } catch (error) {
    if (!isErrno(error, 'EIDRM') && !isErrno(error, 'EINVAL')) throw error;
    ended = 'the writer stopped and removed the semaphore set (IPC_RMID woke this reader with EIDRM)';
  }
  if (ended) say.warn(`stopped early: ${ended}`);
  const share = reads === 0 ? 0 : (100 * torn) / reads;
  say.block(`reads ${reads}, torn ${torn} (${share.toFixed(2)} %)${unsafe ? ', no lock' : `, locked with semaphore ${RACE_SEM.lock} of set ${objects.semid}`}`);
  if (example) say.block(`first torn read: ${example.fields}`);
  say.note(torn > 0
    ? 'a torn read mixes two writes: the reader copied the record while the writer was half-way through it'
    : unsafe ? 'no torn read this time: run longer, or on more than one CPU' : 'the semaphore made every write and every read whole');
  return 0;
}

export async function runRace(args: readonly string[], say: Narrator = narrator()): Promise<number> {
  const [role, ...rest] = args;
  if (role === '-h' || role === '--help' || role === undefined) {
    say.block(RACE_HELP);
    return role === undefined ? 2 : 0;
  }
  if (role !== 'writer' && role !== 'reader') throw new UsageError(`race takes writer or reader, not ${JSON.stringify(role)}`);
  const values = parseOptions(rest, { 'key-file': KEY_OPTIONS['key-file']!, key: KEY_OPTIONS['key']!, unsafe: { type: 'boolean' }, seconds: { type: 'string' }, timeout: { type: 'string' } });
  if (values['help']) {
    say.block(RACE_HELP);
    return 0;
  }
  const unsafe = values['unsafe'] === true || process.env['UNSAFE'] === '1';
  const duration = seconds(values, 'seconds', 'IPC_LAB_SECONDS', 3);
  const deadline = Date.now() + seconds(values, 'timeout', 'IPC_LAB_TIMEOUT', 30) * 1000;
  const stop = new StopFlag();
  const key = await labKey(keyChoice(values), LAB_PROJECT_IDS.race, role === 'writer', deadline, stop);
  say.step(`race ${role} (pid ${process.pid}), key ${hexKey(key)}${unsafe ? ', UNSAFE: no lock' : ''}`);
  let objects: LabObjects | undefined;
  try {
    if (role === 'writer') {
      objects = await createLabObjects(key, RACE_RECORD.size, [1], DEFAULT_MODE, say);
      return await writer(objects, unsafe, stop, deadline, say);
    }
    objects = await openLabObjects(key, 1, true, deadline, stop, say);
    while (Buffer.from(objects.attachment.view.read(0, 4)).toString('latin1') !== RACE_MAGIC) {
      if (Date.now() > deadline) throw new PeerGoneError('the segment never got the race magic "IPCR": is the writer a race writer?');
      await sleep(10);
    }
    return await reader(objects, unsafe, stop, duration * 1000, say);
  } catch (error) {
    if (error instanceof Error && error.name === 'StoppedError') {
      say.note(error.message);
      return 0;
    }
    throw error;
  } finally {
    stop.dispose();
    if (objects) {
      // Whoever creates removes; a reader whose writer died (nattch 1: only this reader) removes
      // what the writer left, so a SIGKILL leaves nothing behind.
      if (role === 'writer' || (attachedCount(objects.shmid) === 1 && peerLeft(objects.shmid) === 'died')) removeLabObjects(objects, say);
      else objects.attachment.detach();
    }
  }
}
