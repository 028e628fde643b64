/**
 * A key already taken (EEXIST): whose segment is it, and may it go? A System V segment outlives
 * the process that made it (kernel persistence): a server killed with SIGKILL never called
 * IPC_RMID, so its segment stays with nattch 0 until someone removes it.
 */
import { SysvError } from '../../sysv/errors.ts';
import { hexKey, octalMode } from '../../sysv/ipc-format.ts';
import { getSegment, remove, stat, type ShmStat } from '../../sysv/shm.ts';
import type { Narrator } from '../../text/narrate.ts';
import { describeAge } from '../../text/numbers.ts';

export function describeSegment(shmid: number, st: ShmStat): string {
  return (
    `shmid ${shmid}: created by pid ${st.cpid} (uid ${st.cuid}) ${describeAge(st.ctime)} ago, ${st.size} bytes, mode ` +
    `${octalMode(st.mode)}, ${st.nattch} process(es) attached`
  );
}

/**
 * EEXIST: say whose segment holds the key and how to clean it, without touching it. The
 * commands it names remove *that* segment: `ipc-lab clean` looks under the lab's key file, so
 * for an explicit --key it needs the same --key.
 */
export function explainTakenKey(key: number, explicitKey: boolean, say: Narrator): void {
  say.warn(`The key ${hexKey(key)} is already taken by another segment; this server leaves it alone.`);
  const clean = explicitKey ? `ipc-lab clean --key ${hexKey(key)}` : 'ipc-lab clean';
  try {
    const shmid = getSegment(key, 0, 0);
    const st = stat(shmid);
    say.note(describeSegment(shmid, st));
    say.note(
      st.nattch === 0
        ? 'nothing is attached: it is probably left over from a server that was killed (SIGKILL) or crashed, which never called IPC_RMID'
        : 'processes are still attached: another server may be running',
    );
    say.note(`remove it with: ipcrm -m ${shmid}   (or: ${clean}, or start the server with --replace)`);
  } catch (error) {
    if (!(error instanceof SysvError)) throw error;
    say.note(`could not look at it: ${error.message}`);
    say.note(`remove it with: ipcrm -M ${hexKey(key)}   (as its owner or root)`);
  }
}

/** Removes the segment holding `key` if nothing is attached; false (and why) otherwise. */
export function replaceStaleSegment(key: number, say: Narrator): boolean {
  const shmid = getSegment(key, 0, 0);
  const st = stat(shmid);
  if (st.nattch > 0) {
    say.warn(`--replace: segment ${shmid} still has ${st.nattch} process(es) attached, so it is not stale: not removing it.`);
    return false;
  }
  remove(shmid);
  say.call('shmctl', `${shmid}, IPC_RMID, NULL`, '0', `--replace: removed the stale segment (${describeSegment(shmid, st)})`);
  return true;
}
