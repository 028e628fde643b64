/**
 * ipc-lab inspect: look inside the lab's segment without changing it.
 *
 * Shows the segment's `ipcs -m` row, its IPC_STAT fields explained (the key taken apart into
 * ftok's three parts, owners, mode as rwx, pids with process names, times), and an annotated
 * memory map: every byte marked (and on a terminal coloured) by the field it belongs to, the
 * compiler's padding apart, the zero tail folded, with a legend of decoded values.
 *
 *   $ ipc-lab inspect            # once
 *   $ ipc-lab inspect --watch    # redraw as bytes change (try the server with --step 1)
 *   $ ipc-lab inspect --json     # for tools
 *
 * It reads IPC_STAT and ipcs *before* attaching, because attaching is itself an event the
 * kernel records: shm_lpid, shm_atime and shm_nattch would then describe the inspector.
 */
import { execFileSync } from 'node:child_process';
import { StoppedError, UsageError, WaitTimeoutError } from '../core/errors.ts';
import { watchShutdown } from '../core/signals.ts';
import { waitFor } from '../core/wait.ts';
import { attachWhenPresent, timeoutMessage } from '../labs/common/find-segment.ts';
import type { KeyChoice } from '../labs/common/key.ts';
import { POSIX_NAME } from '../labs/posix/contract.ts';
import { verdictOf, type Lab } from '../labs/registry.ts';
import { hexAddress, hexKey } from '../sysv/ipc-format.ts';
import { attach, stat, type Attachment, type ShmStat } from '../sysv/shm.ts';
import { narrator, type Narrator } from '../text/narrate.ts';
import { colorEnabled } from '../text/style.ts';
import { renderTable } from '../text/table.ts';
import { explainStat } from './ipc-stat-explained.ts';
import { describeRegions, labOf, renderLegend, renderMap } from './memory-map.ts';

export interface InspectOptions extends KeyChoice {
  /** The lab whose segment to look up (its project id) and to draw it as until its magic says. */
  readonly lab: Lab;
  /** Inspect this shmid instead of looking a key up. */
  readonly shmid: number | undefined;
  readonly json: boolean;
  readonly watch: boolean;
  /** How often --watch looks (seconds). */
  readonly interval: number;
  /** How long to wait for the segment to appear (seconds). */
  readonly timeout: number;
}

function ipcsRow(shmid: number): { header: string; row: string } | undefined {
  try {
    const lines = execFileSync('ipcs', ['-m'], { encoding: 'utf8' }).split('\n');
    const header = lines.find((l) => l.startsWith('key')) ?? '';
    const row = lines.find((l) => l.split(/\s+/)[1] === String(shmid));
    return row ? { header: header.trimEnd(), row: row.trimEnd() } : undefined;
  } catch {
    return undefined;
  }
}

function jsonReport(shmid: number, st: ShmStat, row: { row: string } | undefined, bytes: Uint8Array, fallback: Lab): object {
  const lab = labOf(bytes, fallback);
  const v = verdictOf(lab, bytes);
  return {
    shmid,
    key: hexKey(st.key),
    lab: lab.name,
    ipcs: row?.row ?? null,
    stat: {
      ...st,
      atime: st.atime?.toISOString() ?? null,
      dtime: st.dtime?.toISOString() ?? null,
      ctime: st.ctime.toISOString(),
      mode: `0${st.mode.toString(8)}`,
    },
    valid: v.valid,
    state: v.state,
    verdict: v.text,
    regions: describeRegions(bytes, lab),
  };
}

function frame(bytes: Uint8Array, color: boolean, lab: Lab): string {
  return [renderMap(bytes, { color, lab }), '', renderLegend(bytes, { color, lab }), '', verdictOf(labOf(bytes, lab), bytes).text].join(
    '\n',
  );
}

/** Redraws the map whenever a byte changes, until the owner removes the segment or a signal. */
async function watch(attachment: Attachment, intervalMs: number, lab: Lab, say: Narrator): Promise<number> {
  const tty = process.stdout.isTTY === true;
  const color = colorEnabled();
  const started = Date.now();
  const shutdown = watchShutdown();
  let previous: Uint8Array | undefined;
  let count = 0;
  try {
    await waitFor(
      () => {
        const bytes = attachment.view.read(0, attachment.size);
        if (!previous || Buffer.compare(previous, bytes) !== 0) {
          count++;
          const title =
            `--- frame ${count} at +${((Date.now() - started) / 1000).toFixed(2)} s: segment ${attachment.shmid}, ` +
            `${verdictOf(labOf(bytes, lab), bytes).text}`;
          say.block(tty ? `\x1b[H\x1b[2J${title}\n${frame(bytes, color, lab)}` : `${title}\n${frame(bytes, color, lab)}\n`);
          previous = bytes;
        }
        if (!stat(attachment.shmid).markedForRemoval) return undefined;
        say.note('the segment was removed (IPC_RMID) by its owner: nothing more to watch');
        return true;
      },
      { every: intervalMs, stop: shutdown },
    );
  } catch (error) {
    if (!(error instanceof StoppedError)) throw error; // Ctrl-C ends the watch: nothing to clean up
  } finally {
    shutdown.dispose();
  }
  return 0;
}

export async function runInspect(options: InspectOptions, say: Narrator): Promise<number> {
  if (options.lab.kind === 'queue') {
    if (options.watch || options.shmid !== undefined)
      throw new UsageError(`--watch and --shmid are for segments: the ${options.lab.name} lab has a message queue`);
    return (await import('./inspect-queue.ts')).runInspectQueue(options, say);
  }
  if (options.lab.kind === 'posix') {
    if (options.watch || options.shmid !== undefined || options.json)
      throw new UsageError(`--watch, --shmid and --json are for System V segments: the ${options.lab.name} lab has a POSIX object`);
    return (await import('./inspect-posix.ts')).runInspectPosix({ lab: options.lab, name: POSIX_NAME, timeout: options.timeout }, say);
  }
  const quiet = narrator(() => {});
  // IPC_STAT and the ipcs row are read before attaching: attaching is itself an event.
  const look = (shmid: number) => ({ st: stat(shmid), row: ipcsRow(shmid) });
  let attachment: Attachment;
  let before: ReturnType<typeof look>;
  if (options.shmid !== undefined) {
    before = look(options.shmid);
    attachment = attach(options.shmid, { readOnly: true });
  } else {
    const found = await attachWhenPresent(options, Date.now() + options.timeout * 1000, quiet, look);
    if (!('attachment' in found)) throw new WaitTimeoutError(timeoutMessage(found, options.timeout));
    attachment = found.attachment;
    before = found.before!;
  }
  const row = before.row;
  try {
    if (options.watch) return await watch(attachment, options.interval * 1000, options.lab, say);
    const bytes = attachment.view.read(0, attachment.size);
    if (options.json) {
      say.block(JSON.stringify(jsonReport(attachment.shmid, before.st, row, bytes, options.lab), null, 2));
      return 0;
    }
    const color = colorEnabled();
    say.step(`segment ${attachment.shmid} (key ${hexKey(before.st.key)}), attached read-only at ${hexAddress(attachment.address)}`);
    if (row) say.block(`ipcs -m:\n${row.header}\n${row.row}`);
    say.step(`IPC_STAT: shmctl(${attachment.shmid}, IPC_STAT, &ds)`);
    say.block(
      renderTable(
        ['field', 'value', 'meaning'],
        explainStat(attachment.shmid, before.st, { keyFile: options.key === undefined ? options.keyFile : undefined }),
      ),
    );
    say.note('(read before this inspector attached: its own shmat would change nattch, lpid and atime)');
    say.step(`memory map: ${bytes.length} bytes, 16 a row; the line under each row marks its bytes (legend below)`);
    say.block(frame(bytes, color, options.lab));
    const smallest = Math.max(...labOf(bytes, options.lab).structs.map((s) => s.offset + s.size));
    if (bytes.length < smallest) say.warn(`only ${bytes.length} bytes: too small for the lab's header and message`);
    return 0;
  } finally {
    attachment.detach();
  }
}
