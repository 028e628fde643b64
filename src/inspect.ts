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
import { setTimeout as sleep } from 'node:timers/promises';
import { MIN_SEGMENT_SIZE } from './contract.ts';
import { attachWhenPresent, timeoutMessage, WaitTimeoutError } from './find-segment.ts';
import { explainStat } from './ipc-stat-explained.ts';
import { fieldValue, renderLegend, renderMap, segmentRegions } from './memory-map.ts';
import { keyChoice, KEY_OPTIONS, parseOptions, seconds, UsageError } from './options.ts';
import { decodeHeader } from './segment-codec.ts';
import { SegmentView } from './sysv/segment-view.ts';
import { attach, hexAddress, hexKey, stat, type Attachment, type ShmStat } from './sysv/shm.ts';
import { narrator, type Narrator } from './ui/narrate.ts';
import { colorEnabled } from './ui/style.ts';
import { renderTable } from './ui/table.ts';

export const INSPECT_HELP = `Usage: ipc-lab inspect [options]

Show the segment's ipcs -m row, its IPC_STAT fields explained, and an annotated memory map.

Options:
  --key-file PATH, --project-id ID, --key KEY   which segment (as for the client)
  --shmid ID          inspect this shmid instead of looking a key up
  --json              print one JSON object instead (for tools)
  --watch             redraw the map whenever a byte changes; Ctrl-C stops
  --interval SECONDS  how often --watch looks (default 0.1)
  --timeout SECONDS   wait this long for the segment to appear (default 0; 30 with --watch)
  -h, --help          this text

Each byte of the map is marked with its field's letter (the legend says which); on a terminal
the bytes and letters are also coloured by field (NO_COLOR=1 turns colour off).
`;

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

/** What the header says, or why this is not a lab segment. */
function verdict(bytes: Uint8Array): { valid: boolean; state: number | null; text: string } {
  try {
    const header = decodeHeader(new SegmentView(bytes.slice().buffer, true, () => true));
    const names = ['empty', 'writing', 'ready'];
    return { valid: true, state: header.state, text: `a lab segment, version ${header.version}, state ${header.state} (${names[header.state]})` };
  } catch (error) {
    const state = bytes.length >= 12 ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true) : null;
    return { valid: false, state, text: `not (yet) a valid lab segment: ${(error as Error).message}` };
  }
}

function jsonReport(shmid: number, st: ShmStat, row: { row: string } | undefined, bytes: Uint8Array): object {
  const v = verdict(bytes);
  return {
    shmid,
    key: hexKey(st.key),
    ipcs: row?.row ?? null,
    stat: { ...st, atime: st.atime?.toISOString() ?? null, dtime: st.dtime?.toISOString() ?? null, ctime: st.ctime.toISOString(), mode: `0${st.mode.toString(8)}` },
    valid: v.valid,
    state: v.state,
    verdict: v.text,
    regions: segmentRegions(bytes.length).map((r) => ({
      kind: r.kind,
      struct: r.struct || null,
      field: r.field?.name ?? null,
      ctype: r.field?.declaration ?? null,
      offset: r.start,
      size: r.size,
      paddingBefore: r.field?.paddingBefore ?? null,
      value: r.field ? fieldValue(bytes, r.field) : null,
    })),
  };
}

function frame(bytes: Uint8Array, color: boolean): string {
  return [renderMap(bytes, { color }), '', renderLegend(bytes, { color }), '', verdict(bytes).text].join('\n');
}

async function watch(attachment: Attachment, intervalMs: number, say: Narrator): Promise<number> {
  const tty = process.stdout.isTTY === true;
  const color = colorEnabled();
  const started = Date.now();
  let stop = false;
  const onSignal = (): void => { stop = true; };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let previous: Uint8Array | undefined;
    let count = 0;
    while (!stop) {
      const bytes = attachment.view.read(0, attachment.size);
      if (!previous || Buffer.compare(previous, bytes) !== 0) {
        count++;
        const title = `--- frame ${count} at +${((Date.now() - started) / 1000).toFixed(2)} s: segment ${attachment.shmid}, ${verdict(bytes).text}`;
        say.block(tty ? `\x1b[H\x1b[2J${title}\n${frame(bytes, color)}` : `${title}\n${frame(bytes, color)}\n`);
        previous = bytes;
      }
      if (stat(attachment.shmid).markedForRemoval) {
        say.note('the segment was removed (IPC_RMID) by its owner: nothing more to watch');
        return 0;
      }
      await sleep(intervalMs);
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export async function runInspect(args: readonly string[], say: Narrator = narrator()): Promise<number> {
  const values = parseOptions(args, { ...KEY_OPTIONS, shmid: { type: 'string' }, json: { type: 'boolean' }, watch: { type: 'boolean' }, interval: { type: 'string' }, timeout: { type: 'string' } });
  if (values['help']) {
    say.block(INSPECT_HELP);
    return 0;
  }
  if (values['json'] && values['watch']) throw new UsageError('--json and --watch do not go together: --json prints one snapshot');
  const choice = keyChoice(values);
  const interval = seconds(values, 'interval', 'IPC_LAB_INTERVAL', 0.1);
  if (interval < 0.01) throw new UsageError(`--interval is ${interval}: give at least 0.01 seconds`);
  const timeout = seconds(values, 'timeout', 'IPC_LAB_TIMEOUT', values['watch'] ? 30 : 0);
  const quiet = narrator(() => {});

  // IPC_STAT and the ipcs row are read before attaching: attaching is itself an event.
  const look = (shmid: number) => ({ st: stat(shmid), row: ipcsRow(shmid) });
  let attachment: Attachment;
  let before: ReturnType<typeof look>;
  const shmidText = values['shmid'];
  if (typeof shmidText === 'string') {
    if (!/^\d+$/.test(shmidText)) throw new UsageError(`--shmid is ${JSON.stringify(shmidText)}: give a shmid as ipcs -m lists it (a number)`);
    before = look(Number(shmidText));
    attachment = attach(Number(shmidText), { readOnly: true });
  } else {
    const found = await attachWhenPresent(choice, Date.now() + timeout * 1000, quiet, look);
    if (!('attachment' in found)) throw new WaitTimeoutError(timeoutMessage(found, timeout));
    attachment = found.attachment;
    before = found.before!;
  }
  const row = before.row;
  try {
    if (values['watch']) return await watch(attachment, interval * 1000, say);
    const bytes = attachment.view.read(0, attachment.size);
    if (values['json']) {
      say.block(JSON.stringify(jsonReport(attachment.shmid, before.st, row, bytes), null, 2));
      return 0;
    }
    const color = colorEnabled();
    say.step(`segment ${attachment.shmid} (key ${hexKey(before.st.key)}), attached read-only at ${hexAddress(attachment.address)}`);
    if (row) say.block(`ipcs -m:\n${row.header}\n${row.row}`);
    say.step(`IPC_STAT: shmctl(${attachment.shmid}, IPC_STAT, &ds)`);
    say.block(renderTable(['field', 'value', 'meaning'], explainStat(attachment.shmid, before.st, { keyFile: choice.key === undefined ? choice.keyFile : undefined })));
    say.note('(read before this inspector attached: its own shmat would change nattch, lpid and atime)');
    say.step(`memory map: ${bytes.length} bytes, 16 a row; the line under each row marks its bytes (legend below)`);
    say.block(frame(bytes, color));
    if (bytes.length < MIN_SEGMENT_SIZE) say.warn(`only ${bytes.length} bytes: too small for the lab's header and message`);
    return 0;
  } finally {
    attachment.detach();
  }
}
