/**
 * ipc-lab check: exit 0 when the lab's segment exists and its header says ready, else print why
 * and exit non-zero (1: no segment, 4: not ready or not valid). The compose healthcheck runs it
 * every second, so the client starts only once the message is complete.
 *
 * The first success attaches read-only to read the header; later ones only look the segment up
 * and read IPC_STAT (remembered in /tmp, a tmpfs in the container), because every attach is
 * recorded in shm_lpid, shm_atime and shm_dtime, and a healthcheck attaching each second would
 * fill what `ipc-lab inspect` shows with its own traces.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hexKey } from '../../sysv/ipc-format.ts';
import { attach, getSegment, stat } from '../../sysv/shm.ts';
import type { Narrator } from '../../text/narrate.ts';
import { resolveKey, type KeyChoice } from '../common/key.ts';
import { decodeSegment } from './codec.ts';

const seenReady = (key: number): string => join(tmpdir(), `ipc-lab-ready-${(key >>> 0).toString(16)}`);

export async function runCheck(options: KeyChoice, say: Narrator): Promise<number> {
  const key = resolveKey(options);
  const shmid = getSegment(key, 0, 0);
  const st = stat(shmid);
  let remembered: string | undefined;
  try {
    remembered = readFileSync(seenReady(key), 'utf8');
  } catch {
    remembered = undefined;
  }
  // The same segment seen ready before (same shmid, same creation time): ready it stays.
  if (remembered === `${shmid} ${st.ctime.getTime()}` && !st.markedForRemoval) {
    say.block(`ready: segment ${shmid} (key ${hexKey(key)})`);
    return 0;
  }
  const attachment = attach(shmid, { readOnly: true });
  try {
    decodeSegment(attachment.view);
  } finally {
    attachment.detach();
  }
  try {
    writeFileSync(seenReady(key), `${shmid} ${st.ctime.getTime()}`);
  } catch (error) {
    if (!(error instanceof Error)) throw error; // nowhere to remember it: the next check attaches again
  }
  say.block(`ready: segment ${shmid} (key ${hexKey(key)})`);
  return 0;
}
