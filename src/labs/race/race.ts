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
import type { StoppedError } from '../../core/errors.ts';
import type { Shutdown } from '../../core/signals.ts';
import { waitFor } from '../../core/wait.ts';
import { fieldOf } from '../../layout/c-layout.ts';
import { isErrno } from '../../sysv/errors.ts';
import { semop, SEM_UNDO, type SemOp } from '../../sysv/sem.ts';
import type { Narrator } from '../../text/narrate.ts';
import {
  attachedCount,
  createLabObjects,
  openLabObjects,
  OWNER_ONLY,
  PeerGoneError,
  peerLeft,
  runTwoParty,
  waitForPeer,
  type LabObjects,
} from '../common/two-party.ts';
import { RACE_FIELDS, RACE_LAB, RACE_MAGIC, RACE_PROJECT_ID, RACE_READER, RACE_RECORD, RACE_SEGMENT_SIZE, RACE_SEM } from './contract.ts';

const RACE_LAB_SEMAPHORES = RACE_LAB.semaphores.length;

export interface RaceOptions {
  readonly role: 'writer' | 'reader';
  /** No lock: watch torn reads happen. */
  readonly unsafe: boolean;
  /** How long the reader reads. */
  readonly seconds: number;
  /** How long to wait for the other side. */
  readonly timeout: number;
  readonly keyFile: string;
  readonly key: number | undefined;
}

const P: SemOp[] = [{ num: RACE_SEM.lock, op: -1, flags: SEM_UNDO }];
const V: SemOp[] = [{ num: RACE_SEM.lock, op: +1, flags: SEM_UNDO }];
const SEQ = fieldOf(RACE_RECORD, 'seq').offset;
const COUNTS = {
  reads: fieldOf(RACE_READER, 'reads').offset,
  torn: fieldOf(RACE_READER, 'torn').offset,
  lastTorn: fieldOf(RACE_READER, 'last_torn').offset,
};
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

async function writer(objects: LabObjects, unsafe: boolean, stop: Shutdown, deadline: number, say: Narrator): Promise<number> {
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
    await stop.yield();
    if (stop.signal) break;
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

async function reader(objects: LabObjects, unsafe: boolean, stop: Shutdown, durationMs: number, say: Narrator): Promise<number> {
  const view = objects.attachment.view;
  say.step(`reading for ${durationMs / 1000} s${unsafe ? ' WITHOUT a lock (UNSAFE)' : ', each read between P and V'}`);
  let reads = 0;
  let torn = 0;
  let example: Tear | undefined;
  let lastTorn: Uint8Array | undefined;
  let ended: string | undefined;
  const end = Date.now() + durationMs;
  try {
    while (Date.now() < end && !stop.signal) {
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
          lastTorn = bytes;
        }
      }
      // The counts go into the segment after each burst, for an observer (make view) to show:
      // the last torn copy once a burst, so that an observer rarely copies it while it changes.
      if (lastTorn) view.write(COUNTS.lastTorn, lastTorn);
      lastTorn = undefined;
      view.setUint32(COUNTS.reads, reads >>> 0);
      view.setUint32(COUNTS.torn, torn >>> 0);
      await stop.yield();
      if (attachedCount(objects.shmid) < 2) {
        ended =
          peerLeft(objects.shmid) === 'removed'
            ? 'the writer stopped and removed the record (IPC_RMID)'
            : 'the writer is gone (shm_nattch fell to 1): it died without cleaning up';
        break;
      }
    }
  } catch (error) {
    if (!isErrno(error, 'gone')) throw error;
    ended = 'the writer stopped and removed the semaphore set (IPC_RMID woke this reader with EIDRM)';
  }
  if (ended) say.warn(`stopped early: ${ended}`);
  const share = reads === 0 ? 0 : (100 * torn) / reads;
  say.block(
    `reads ${reads}, torn ${torn} (${share.toFixed(2)} %)` +
      (unsafe ? ', no lock' : `, locked with semaphore ${RACE_SEM.lock} of set ${objects.semid}`),
  );
  if (example) say.block(`first torn read: ${example.fields}`);
  say.note(
    torn > 0
      ? 'a torn read mixes two writes: the reader copied the record while the writer was half-way through it'
      : unsafe
        ? 'no torn read this time: run longer, or on more than one CPU'
        : 'the semaphore made every write and every read whole',
  );
  return 0;
}

/** The writer owns the record and the lock: it creates them, and removes them when the reader is done. */
export async function runRace(options: RaceOptions, say: Narrator): Promise<number> {
  const { role, unsafe } = options;
  return runTwoParty(
    {
      lab: 'race',
      role,
      owner: 'writer',
      choice: { key: options.key, keyFile: options.keyFile, projectId: RACE_PROJECT_ID },
      timeoutSeconds: options.timeout,
      title: unsafe ? ', UNSAFE: no lock' : '',
      create: (key) => createLabObjects(key, RACE_SEGMENT_SIZE, [1], OWNER_ONLY, say),
      open: async (key, deadline, stop) => {
        // Read-write: the reader writes its counts after the record (race_reader), nothing else.
        const objects = await openLabObjects(key, RACE_LAB_SEMAPHORES, false, deadline, stop, say);
        const hasMagic = () => (Buffer.from(objects.attachment.view.read(0, 4)).toString('latin1') === RACE_MAGIC ? true : undefined);
        if ('timedOut' in (await waitFor(hasMagic, { deadline, stop, every: 10 }))) {
          objects.attachment.detach();
          throw new PeerGoneError('the segment never got the race magic "IPCR": is the writer a race writer?');
        }
        return objects;
      },
      work: (objects, stop, deadline) =>
        role === 'writer' ? writer(objects, unsafe, stop, deadline, say) : reader(objects, unsafe, stop, options.seconds * 1000, say),
      // The race lab ends normally on a signal: each side reports what it counted so far.
      stopped: (error: StoppedError) => {
        say.note(error.message);
        return 0;
      },
    },
    say,
  );
}
