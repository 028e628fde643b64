/**
 * ipc-lab queue dispatcher|worker: one System V message queue, typed messages, a worker for each
 * type. The dispatcher sends jobs of type 1 and 2 in turn; worker 1 takes only type 1, worker 2
 * only type 2, each in the order sent, from the same queue: msgrcv with msgtyp N > 0 skips every
 * message of another type.
 *
 *   $ ipc-lab queue dispatcher &  ipc-lab queue worker --type 1 &  ipc-lab queue worker --type 2 --delay 0.3
 *
 * The queue holds QUEUE_BYTES (8 jobs): a slow worker lets it fill up, and then the dispatcher's
 * msgsnd would block, even for the other worker's jobs, until the slow one takes one. The lab
 * shows that moment as it is: first msgsnd with IPC_NOWAIT, which fails with EAGAIN, explained;
 * then the wait, in a real blocking msgsnd (on a worker thread, so that the event loop still hears
 * signals). A blocked msgsnd ends only with room or with the queue's removal (EIDRM), so a signal
 * or a timeout makes the dispatcher remove its queue: that is what wakes its own call. Workers
 * try again with IPC_NOWAIT every 10 ms, so that a signal ends them at once. Whoever creates
 * removes: the dispatcher removes the queue once it is empty; a worker only stops taking.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { LabError, StoppedError } from '../../core/errors.ts';
import { watchShutdown, type Shutdown } from '../../core/signals.ts';
import { waitFor } from '../../core/wait.ts';
import { isErrno } from '../../sysv/errors.ts';
import { hexKey } from '../../sysv/ipc-format.ts';
import { ipcsRow } from '../../sysv/ipcs.ts';
import {
  getQueue,
  IPC_CREAT,
  IPC_EXCL,
  maxMessageBytes,
  receive,
  removeQueue,
  send,
  sendBlocking,
  setQueueBytes,
  statQueue,
} from '../../sysv/msg.ts';
import type { Narrator } from '../../text/narrate.ts';
import type { KeyChoice } from '../common/key.ts';
import { labKey } from '../common/two-party.ts';
import { decodeJob, encodeJob } from './codec.ts';
import { JOB, QUEUE_BYTES, QUEUE_PROJECT_ID, WORKER_TYPES } from './contract.ts';

export interface QueueOptions {
  readonly role: 'dispatcher' | 'worker';
  readonly keyFile: string;
  readonly key: number | undefined;
  /** Dispatcher: how many jobs, of both types together. */
  readonly jobs: number;
  /** Worker: the message type it takes. */
  readonly type: number;
  /** Worker: seconds it takes over each job (a slow worker fills the queue). */
  readonly delay: number;
  /** How long to wait for the other side (seconds). */
  readonly timeout: number;
}

const POLL_MS = 10;

/** The queue went away while in use, or the other side never came. */
export class QueueGoneError extends LabError {
  override readonly name = 'QueueGoneError';

  constructor(message: string) {
    super('failed', message);
  }
}

const JOB_NAMES = ['wash', 'cut', 'boil', 'fry', 'bake', 'plate', 'serve'];

/**
 * A blocking msgsnd (on a worker thread, see sendBlocking) that ends one of three ways: sent; a
 * signal; or no room for `timeout` seconds. The last two remove the queue, the owner's way to
 * wake its own blocked call (EIDRM), before they stop: a blocked call would keep the process
 * from exiting.
 */
async function sendOrRemove(
  msqid: number,
  type: number,
  bytes: Uint8Array,
  stop: Shutdown,
  deadline: number,
  timeout: number,
  say: Narrator,
): Promise<void> {
  // A signal that lands on the thread pool's thread ends its msgsnd with EINTR: send again, unless stopping.
  const sendUntilDone = async (): Promise<'sent'> => {
    for (;;) {
      try {
        await sendBlocking(msqid, type, bytes);
        return 'sent';
      } catch (error) {
        if (!isErrno(error, 'EINTR') || stop.signal) throw error;
      }
    }
  };
  const sending = sendUntilDone();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<'timed out'>((resolve) => {
    timer = setTimeout(() => resolve('timed out'), Math.max(0, deadline - Date.now()));
  });
  let first: 'sent' | 'stopped' | 'timed out';
  try {
    first = await Promise.race([sending, stop.stopped.then(() => 'stopped' as const), timedOut]);
  } finally {
    clearTimeout(timer);
  }
  if (first === 'sent') return;
  removeQueue(msqid);
  say.call('msgctl', `${msqid}, IPC_RMID, NULL`, '0', 'removed, which wakes the blocked msgsnd with EIDRM');
  await sending.catch((error: unknown) => {
    if (!isErrno(error, 'gone', 'EINTR')) throw error;
  });
  stop.throwIfStopped();
  throw new QueueGoneError(
    `no worker took a job for ${timeout} s: start the workers (ipc-lab queue worker --type 1 and --type 2) in the same IPC namespace`,
  );
}

async function dispatch(options: QueueOptions, key: number, stop: Shutdown, say: Narrator): Promise<number> {
  const msqid = getQueue(key, IPC_CREAT | IPC_EXCL | 0o600);
  say.call('msgget', `${hexKey(key)}, IPC_CREAT|IPC_EXCL|0600`, String(msqid), "msqid: the kernel's id for the queue");
  try {
    setQueueBytes(msqid, QUEUE_BYTES);
    say.call(
      'msgctl',
      `${msqid}, IPC_SET, {msg_qbytes ${QUEUE_BYTES}}`,
      '0',
      `room for ${QUEUE_BYTES / JOB.size} jobs of ${JOB.size} bytes`,
    );
    const deadline = () => Date.now() + options.timeout * 1000;
    let fullShown = false;
    const sendJob = async (type: number, sequence: number, last: boolean, text: string): Promise<void> => {
      const bytes = encodeJob(sequence, last, text);
      const what = `${msqid}, {mtype ${type}, job ${sequence}${last ? ', last' : ` "${text}"`}}, ${JOB.size}`;
      // The dispatcher is the queue's only sender, so between this IPC_STAT and the msgsnd the
      // queue can only lose messages: if the msgsnd then fails with EAGAIN, this is its state.
      const before = fullShown ? undefined : statQueue(msqid);
      if (send(msqid, type, bytes, { noWait: true })) {
        say.call('msgsnd', `${what}, IPC_NOWAIT`, '0');
        return;
      }
      if (before) {
        const st = before;
        say.warn(
          `msgsnd(${what}, IPC_NOWAIT) = -1 EAGAIN: the queue is full, ${st.qnum} messages, ` +
            `${st.cbytes} of ${st.qbytes} bytes (msg_qbytes)`,
        );
        const lrpid = st.lrpid === 0 ? '0 (nobody has received yet, or the receiver is in another PID namespace)' : String(st.lrpid);
        say.note(
          `msgctl(${msqid}, IPC_STAT): msg_qnum ${st.qnum}, msg_cbytes ${st.cbytes} of msg_qbytes ${st.qbytes}, ` +
            `msg_lspid ${st.lspid} (this dispatcher), msg_lrpid ${lrpid}`,
        );
        const row = ipcsRow('q', msqid);
        if (row) say.block(`ipcs -q, now:\n${row.header}\n${row.row}`);
        say.note('IPC_NOWAIT: a full queue fails at once with EAGAIN; without it, msgsnd blocks until there is room:');
        fullShown = true;
      }
      const started = Date.now();
      await sendOrRemove(msqid, type, bytes, stop, deadline(), options.timeout, say);
      say.call('msgsnd', `${what}, 0`, '0', `blocked ${Date.now() - started} ms, until a worker took a message`);
    };
    say.step(`sending ${options.jobs} jobs, of types ${WORKER_TYPES.join(' and ')} in turn, then the last message of each type`);
    const next = new Map<number, number>(WORKER_TYPES.map((t) => [t, 0]));
    for (let i = 0; i < options.jobs; i++) {
      const type = WORKER_TYPES[i % WORKER_TYPES.length]!;
      const sequence = next.get(type)!;
      next.set(type, sequence + 1);
      await sendJob(type, sequence, false, `${JOB_NAMES[i % JOB_NAMES.length]} ${i + 1}`);
    }
    for (const type of WORKER_TYPES) await sendJob(type, next.get(type)!, true, '');
    say.step('waiting until the workers have taken everything (msg_qnum 0)');
    // Each message taken restarts the clock: a slow worker (QUEUE_DELAY) may need long for the lot.
    let left = statQueue(msqid).qnum;
    let until = deadline();
    const empty = await waitFor(
      () => {
        const qnum = statQueue(msqid).qnum;
        if (qnum < left) [left, until] = [qnum, deadline()];
        return qnum === 0 ? true : Date.now() > until ? false : undefined;
      },
      { every: POLL_MS, stop },
    );
    if (!('value' in empty) || !empty.value)
      throw new QueueGoneError(`the workers took no message for ${options.timeout} s, and ${left} are still on the queue`);
    const st = statQueue(msqid);
    say.note(
      `msg_qnum ${st.qnum}, msg_cbytes ${st.cbytes}, msg_lspid ${st.lspid} (the last sender: this dispatcher), ` +
        (st.lrpid === 0
          ? 'msg_lrpid 0: the last receiver is in another PID namespace (a worker in its own container), where its pid means nothing here'
          : `msg_lrpid ${st.lrpid} (the last receiver)`),
    );
    return 0;
  } finally {
    removeIfThere(msqid, say);
  }
}

/** The owner's IPC_RMID at the end, unless the queue is gone already (a signal or a timeout removed it). */
function removeIfThere(msqid: number, say: Narrator): void {
  try {
    removeQueue(msqid);
    say.call('msgctl', `${msqid}, IPC_RMID, NULL`, '0', 'removed: the queue and anything left on it are gone at once');
  } catch (error) {
    if (!isErrno(error, 'gone')) throw error;
  }
}

async function work(options: QueueOptions, key: number, stop: Shutdown, say: Narrator): Promise<number> {
  const { type } = options;
  const opened = await waitFor(
    () => {
      try {
        return getQueue(key, 0);
      } catch (error) {
        if (isErrno(error, 'ENOENT')) return undefined;
        throw error;
      }
    },
    {
      every: POLL_MS,
      stop,
      deadline: Date.now() + options.timeout * 1000,
      onWait: () => say.note(`waiting for the dispatcher to create the queue (key ${hexKey(key)}) ...`),
    },
  );
  if ('timedOut' in opened)
    throw new QueueGoneError(
      `nobody created a queue with key ${hexKey(key)} within ${options.timeout} s: start the dispatcher, in the same IPC namespace`,
    );
  const msqid = opened.value;
  say.call('msgget', `${hexKey(key)}, 0`, String(msqid), 'found it');
  say.step(
    `taking jobs of type ${type} only: msgrcv(${msqid}, &job, ${JOB.size}, ${type}, IPC_NOWAIT), ` +
      `again every ${POLL_MS} ms while there is none`,
  );
  let taken = 0;
  const msgmax = maxMessageBytes();
  for (;;) {
    let message: ReturnType<typeof receive>;
    const got = await waitFor(
      () => {
        try {
          // Room for the largest message a queue takes (msgmax): a foreign one is then judged by its size, not E2BIG.
          message = receive(msqid, { type, maxBytes: msgmax, noWait: true });
          return message;
        } catch (error) {
          if (isErrno(error, 'gone'))
            throw new QueueGoneError('the dispatcher removed the queue (IPC_RMID) before the last job: it stopped');
          throw error;
        }
      },
      { every: POLL_MS, stop, deadline: Date.now() + options.timeout * 1000 },
    );
    if ('timedOut' in got)
      throw new QueueGoneError(
        `no job of type ${type} for ${options.timeout} s, and no last message: the dispatcher is stuck or was killed ` +
          "(a killed dispatcher leaves its queue until its IPC namespace goes: in compose, with the lab's containers; " +
          'elsewhere `ipc-lab clean --force` removes it)',
      );
    const job = decodeJob(got.value.data);
    if (!job)
      throw new QueueGoneError(
        `a message of ${got.value.data.byteLength} bytes is not a job (${JOB.size} bytes): is this the lab's queue?`,
      );
    if (got.value.type !== type) throw new QueueGoneError(`took a message of type ${got.value.type}, not ${type}: msgrcv's msgtyp chooses`);
    if (job.sequence !== taken) throw new QueueGoneError(`job ${job.sequence} came where ${taken} was due: the queue is out of order`);
    if (job.last) break;
    say.block(`worker ${type}: job ${job.sequence}, "${job.text}"`);
    taken++;
    if (options.delay > 0) await sleep(options.delay * 1000, undefined, { signal: stop.abortSignal }).catch(() => undefined);
  }
  say.good(`worker ${type}: ${taken} jobs, in the order sent, every one of type ${type}`);
  return 0;
}

export async function runQueue(options: QueueOptions, say: Narrator): Promise<number> {
  const shutdown = watchShutdown();
  try {
    const choice: KeyChoice = { key: options.key, keyFile: options.keyFile, projectId: QUEUE_PROJECT_ID };
    const key = await labKey(choice, options.role === 'dispatcher', Date.now() + options.timeout * 1000, shutdown);
    const who = options.role === 'dispatcher' ? 'dispatcher' : `worker ${options.type}`;
    say.step(`queue ${who} (pid ${process.pid}), key ${hexKey(key)}`);
    return options.role === 'dispatcher' ? await dispatch(options, key, shutdown, say) : await work(options, key, shutdown, say);
  } catch (error) {
    // A signal ends either side as a normal end: the dispatcher has removed its queue by then.
    if (!(error instanceof StoppedError)) throw error;
    say.note(error.message);
    return 0;
  } finally {
    shutdown.dispose();
  }
}
