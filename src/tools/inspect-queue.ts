/**
 * ipc-lab inspect --lab queue: look at the queue lab's message queue without changing it.
 *
 * Shows the queue's `ipcs -q` row, its msgctl(IPC_STAT) fields explained (msg_qnum, msg_cbytes
 * against msg_qbytes, the last sender and receiver), and the messages waiting on it, each
 * decoded as the lab's job, read with MSG_COPY: a copy of the message at an index, which stays
 * on the queue. A plain msgrcv would take it away from its worker.
 *
 *   $ ipc-lab inspect --lab queue
 *   $ ipc-lab inspect --lab queue --json
 */
import { existsSync } from 'node:fs';
import { WaitTimeoutError } from '../core/errors.ts';
import { waitFor } from '../core/wait.ts';
import { resolveKey, type KeyChoice } from '../labs/common/key.ts';
import type { Lab } from '../labs/registry.ts';
import { isErrno } from '../sysv/errors.ts';
import { hexKey } from '../sysv/ipc-format.ts';
import { getQueue, maxMessageBytes, peekMessages, statQueue, type Message } from '../sysv/msg.ts';
import { ipcsRow } from '../sysv/ipcs.ts';
import type { Narrator } from '../text/narrate.ts';
import { renderTable } from '../text/table.ts';
import { explainQueueStat } from './ipc-stat-explained.ts';

export interface InspectQueueOptions extends KeyChoice {
  readonly lab: Lab;
  readonly json: boolean;
  /** How long to wait for the queue to appear (seconds). */
  readonly timeout: number;
}

const POLL_MS = 50;

/** The queue with the lab's key, once it is there, or why it is not. */
async function findQueue(options: InspectQueueOptions): Promise<{ msqid: number; key: number }> {
  let key: number | undefined;
  const found = await waitFor(
    () => {
      if (options.key === undefined && !existsSync(options.keyFile)) return undefined;
      key = resolveKey(options);
      try {
        return { msqid: getQueue(key, 0), key };
      } catch (error) {
        if (isErrno(error, 'ENOENT')) return undefined;
        throw error;
      }
    },
    { deadline: Date.now() + options.timeout * 1000, every: POLL_MS },
  );
  if ('value' in found) return found.value;
  const gaveUp = options.timeout > 0 ? `gave up after ${options.timeout} s: ` : '';
  if (key === undefined)
    throw new WaitTimeoutError(
      `${gaveUp}the key file ${options.keyFile} does not exist: the queue lab's dispatcher creates it (make queue)`,
    );
  throw new WaitTimeoutError(
    `${gaveUp}no message queue has the key ${hexKey(key)} (msgget: ENOENT): the dispatcher makes it while make queue runs, ` +
      "and removes it at the end; run this in the dispatcher's IPC namespace while it runs",
  );
}

export async function runInspectQueue(options: InspectQueueOptions, say: Narrator): Promise<number> {
  const { msqid, key } = await findQueue(options);
  const row = ipcsRow('q', msqid);
  const st = statQueue(msqid);
  const size = Math.max(...options.lab.structs.map((s) => s.size));
  const messages = peekMessages(msqid, Math.max(size, maxMessageBytes()));
  const describe = (m: Message): string => options.lab.describeMessage?.(m.type, m.data).text ?? `${m.data.byteLength} bytes`;
  if (options.json) {
    say.block(
      JSON.stringify(
        {
          msqid,
          key: hexKey(key),
          lab: options.lab.name,
          ipcs: row?.row ?? null,
          stat: {
            ...st,
            stime: st.stime?.toISOString() ?? null,
            rtime: st.rtime?.toISOString() ?? null,
            ctime: st.ctime.toISOString(),
            mode: `0${st.mode.toString(8)}`,
          },
          messages: messages?.map((m) => ({ type: m.type, bytes: m.data.byteLength, text: describe(m) })) ?? null,
        },
        null,
        2,
      ),
    );
    return 0;
  }
  say.step(`message queue ${msqid} (key ${hexKey(key)}): ${options.lab.summary}`);
  if (row) say.block(`ipcs -q:\n${row.header}\n${row.row}`);
  say.step(`IPC_STAT: msgctl(${msqid}, IPC_STAT, &ds)`);
  say.block(
    renderTable(
      ['field', 'value', 'meaning'],
      explainQueueStat(msqid, st, { keyFile: options.key === undefined ? options.keyFile : undefined }),
    ),
  );
  if (!messages) {
    say.note('this kernel has no MSG_COPY (CONFIG_CHECKPOINT_RESTORE): the messages cannot be read without taking them');
    return 0;
  }
  say.step(`on the queue: ${messages.length} message(s), oldest first (msgrcv with MSG_COPY: copies, left where they are)`);
  if (messages.length > 0)
    say.block(
      renderTable(
        ['#', 'mtype', 'bytes', 'message'],
        messages.map((m, i) => [String(i), String(m.type), String(m.data.byteLength), describe(m)]),
      ),
    );
  return 0;
}
