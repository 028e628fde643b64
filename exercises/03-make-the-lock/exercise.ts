/**
 * Exercise 3, make the lock: the race writer and reader without their P and V; the student adds
 * them, with SEM_UNDO.
 *
 * The check runs the student's writer, then:
 *   1. reads the record for a second itself, taking the lock as a correct reader does: any torn
 *      copy means the writer changes the record outside the lock;
 *   2. runs the student's reader for 2 s: it must count 0 torn reads (and read at all);
 *   3. stops the writer (SIGSTOP) at a moment it holds the lock (semaphore 0 is 0 and its last
 *      semop was the writer's), SIGKILLs it there, and runs the reader again: with SEM_UNDO the
 *      kernel gave the lock back, and the reader gets on; without, it waits forever.
 * The check owns exercise 3's key: it removes whatever holds it, before and after.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../../src/core/wait.ts';
import { fieldOf } from '../../src/layout/c-layout.ts';
import { RACE_FIELDS, RACE_MAGIC, RACE_RECORD } from '../../src/labs/race/contract.ts';
import { isErrno } from '../../src/sysv/errors.ts';
import { idOf, removeLeftovers } from '../../src/exercises/objects.ts';
import { getLastPid, getSemaphoreSet, getValue, SEM_UNDO, semTimedOp } from '../../src/sysv/sem.ts';
import { attach, ftok, getSegment } from '../../src/sysv/shm.ts';
import { type Criterion, type Exercise, fail, pass } from '../../src/exercises/model.ts';
import { howItEnded, lastLines, type ProbeContext, type Ran, type Running } from '../../src/exercises/probe.ts';

const PROJECT_ID = 0x33; // the starter's and the solution's
const KEY_FILE = process.env.IPC_LAB_KEY_FILE ?? '/var/lib/ipc-lab/ftok.key';
const SEQ = fieldOf(RACE_RECORD, 'seq').offset;

/**
 * Copies of the record for `ms`, each under the lock (with a timeout: a lock never given back is
 * an answer too), and how far the writer's number moved meanwhile (a writer that died or hangs
 * leaves a record that never tears, which proves nothing).
 */
function lockedCopies(shmid: number, semid: number, ms: number): { reads: number; torn: number; stuck: boolean; moved: number } {
  const segment = attach(shmid, { readOnly: true });
  const copy = new Uint8Array(RACE_RECORD.size);
  const fields = new DataView(copy.buffer);
  let reads = 0;
  let torn = 0;
  let first: number | undefined;
  let last = 0;
  try {
    for (const until = Date.now() + ms; Date.now() < until; ) {
      try {
        semTimedOp(semid, [{ num: 0, op: -1, flags: SEM_UNDO }], 2000);
      } catch (error) {
        if (isErrno(error, 'EAGAIN', 'EIDRM', 'EINVAL')) return { reads, torn, stuck: true, moved: last - (first ?? last) };
        throw error;
      }
      segment.view.readInto(0, copy);
      semTimedOp(semid, [{ num: 0, op: +1, flags: SEM_UNDO }], 2000);
      reads++;
      last = fields.getUint32(SEQ, true);
      first ??= last;
      for (let i = 1; i < RACE_FIELDS; i++) {
        if (fields.getUint32(SEQ + 4 * i, true) !== last) {
          torn++;
          break;
        }
      }
    }
  } finally {
    segment.detach();
  }
  return { reads, torn, stuck: false, moved: last - (first ?? last) };
}

/** The writer has ended: that is the failure, whatever else was seen. */
async function writerEnded(writer: Running, when: string): Promise<Criterion> {
  const ran = await writer.done;
  return fail('the writer keeps writing', `your writer ${howItEnded(ran)} ${when}; ${lastLines(ran)}`);
}

const counts = (ran: Ran): { reads: number; torn: number } | undefined => {
  const m = /reads (\d+), torn (\d+)/.exec(ran.stdout);
  return m ? { reads: Number(m[1]), torn: Number(m[2]) } : undefined;
};

async function lock(context: ProbeContext): Promise<Criterion[]> {
  const writerProgram = context.program('writer');
  const readerProgram = context.program('reader');
  const key = ftok(KEY_FILE, PROJECT_ID);
  removeLeftovers(key);
  const criteria: Criterion[] = [];
  const writer = context.start(writerProgram);
  try {
    // The writer is ready when its record has its magic and its set exists.
    const ready = await waitFor(
      () => {
        if (writer.exited) return false;
        const shmid = idOf(() => getSegment(key, 0, 0));
        const semid = idOf(() => getSemaphoreSet(key, 0, 0));
        if (shmid === undefined || semid === undefined) return undefined;
        const segment = attach(shmid, { readOnly: true });
        const magic = Buffer.from(segment.view.read(0, 4)).toString('latin1');
        segment.detach();
        return magic === RACE_MAGIC ? { shmid, semid } : undefined;
      },
      { deadline: Date.now() + 15_000, every: 50 },
    );
    if ('timedOut' in ready || ready.value === false) {
      const ran = writer.exited ? await writer.done : await writer.stop();
      return [
        fail(
          'the writer starts',
          `no record with key 0x${key.toString(16)} and its semaphore set in 15 s: your writer ${howItEnded(ran)}; ${lastLines(ran)}`,
        ),
      ];
    }
    const { shmid, semid } = ready.value;

    let own: ReturnType<typeof lockedCopies>;
    try {
      own = lockedCopies(shmid, semid, 1000);
    } catch (error) {
      // A writer that died can leave the set in a state a correct reader trips on (ERANGE, after
      // a P with SEM_UNDO and a V without): the death is the finding.
      if (!writer.exited) await sleep(200);
      if (writer.exited) return [await writerEnded(writer, 'while the check read the record')];
      throw error;
    }
    if (writer.exited) return [await writerEnded(writer, 'while the check read the record')];
    if (!own.stuck && own.torn === 0 && own.moved === 0) {
      return [
        fail(
          'the writer rewrites the record inside the lock',
          `the record did not change in 1 s (${own.reads} copies): the writer does not rewrite it, or waits for a lock nobody gives back`,
        ),
      ];
    }
    const writerLocks = !own.stuck && own.torn === 0 && own.reads > 0;
    if (own.stuck)
      criteria.push(
        fail('the writer gives the lock back', 'the lock was never free for 2 s: the writer takes it (P) and never gives it back (V)'),
      );
    else if (own.torn > 0)
      criteria.push(
        fail(
          'the writer rewrites the record inside the lock',
          `a reader that takes the lock saw ${own.torn} torn copies of ${own.reads} in 1 s: the writer changes the record outside the lock (P before each record, V after)`,
        ),
      );
    else
      criteria.push(
        pass('the writer rewrites the record inside the lock', `a reader that takes the lock saw ${own.reads} copies in 1 s, none torn`),
      );

    const read = await context.run(readerProgram, ['--seconds=2'], { timeoutMs: 10_000 });
    if (writer.exited) {
      criteria.push(await writerEnded(writer, 'while your reader read'));
      return criteria;
    }
    const got = counts(read);
    if (!got || read.code !== 0) {
      criteria.push(fail('0 torn reads over 2 s', `your reader ${howItEnded(read, 10_000)} without "reads N, torn M"; ${lastLines(read)}`));
    } else if (got.torn > 0) {
      const whose = writerLocks ? 'the reader copies the record outside the lock' : 'the writer changes the record outside the lock';
      criteria.push(fail('0 torn reads over 2 s', `reader saw ${got.torn} torn reads in 2 s (of ${got.reads}): ${whose}`));
    } else if (got.reads === 0) {
      criteria.push(fail('0 torn reads over 2 s', 'your reader made no copy at all in 2 s'));
    } else {
      criteria.push(pass('0 torn reads over 2 s', `your reader made ${got.reads} copies, none torn`));
    }

    criteria.push(await killHolder(context, writer, readerProgram, semid, writerLocks));
  } finally {
    await writer.stop(1000);
    removeLeftovers(key);
  }
  return criteria;
}

/** SIGSTOP the writer until it is caught holding the lock, SIGKILL it there, then run the reader. */
async function killHolder(
  context: ProbeContext,
  writer: Running,
  readerProgram: ReturnType<ProbeContext['program']>,
  semid: number,
  writerLocks: boolean,
): Promise<Criterion> {
  const name = 'the reader gets on after the writer is SIGKILLed holding the lock';
  if (!writerLocks) return fail(name, 'not tried: the writer must take the lock first (see above)');
  let caught = false;
  for (let attempt = 0; attempt < 200 && !caught; attempt++) {
    if (writer.exited) return { ...(await writerEnded(writer, 'before it could be caught holding the lock')), name };
    writer.signal('SIGSTOP');
    await sleep(2);
    caught = getValue(semid, 0) === 0 && getLastPid(semid, 0) === writer.pid;
    if (!caught) {
      writer.signal('SIGCONT');
      await sleep(3);
    }
  }
  // The writer runs under tsx: its pid is node's, a child of this probe, as the semop's is.
  if (!caught) return fail(name, "never caught the writer holding the lock in 200 tries (semaphore 0 at 0, its last semop the writer's)");
  writer.signal('SIGKILL');
  await writer.done;
  await sleep(100);
  const value = getValue(semid, 0);
  const read = await context.run(readerProgram, ['--seconds=1'], { timeoutMs: 5000 });
  const got = counts(read);
  if (read.timedOut || !got) {
    return fail(
      name,
      `the writer was SIGKILLed while it held the lock; then your reader ${howItEnded(read, 5000)}: semaphore 0 stayed at ${value}, ` +
        "so its P waits for a V that nobody will ever do. With SEM_UNDO the kernel undoes a dead process's P: take the lock with it",
    );
  }
  return pass(
    name,
    `the writer was SIGKILLed holding the lock; the kernel gave it back (semaphore 0 is ${value}) and your reader made ${got.reads} copies`,
  );
}

export const exercise: Exercise = {
  number: 3,
  slug: 'make-the-lock',
  title: 'Make the lock',
  handout: '06-races-and-semaphores.md',
  tracks: { ts: ['writer.ts', 'reader.ts'], c: ['writer.c', 'reader.c'] },
  check: (bench, request) => bench.probe(exercise, 'lock', request),
  probes: { lock },
};
