/**
 * ipc-lab clean: remove the lab's leftover segments, semaphore sets, message queues and POSIX
 * objects in /dev/shm, and only those.
 *
 * System V objects outlive the processes that make them: a server or a race writer killed with
 * SIGKILL never calls IPC_RMID. This finds the lab's objects by the lab's own keys (ftok of the
 * key file with each lab's project id, or --key), checks that each really is the lab's (a lab
 * segment starts with its magic: IPCL, IPCR or IPCB; a lab semaphore set has the lab's number
 * of semaphores; a lab queue holds only the lab's messages), and removes those that nothing uses
 * any more. An object with processes still attached is left alone unless --force: removing it
 * would pull the rug from under them. A queue has no attach count: it counts as in use while its
 * last sender or receiver still runs, or while it was used in the last minute.
 */
import { closeSync, existsSync, fstatSync, lstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import type { KeyChoice } from '../labs/common/key.ts';
import { SHM_DIR } from '../posix/dir.ts';
import { allLabs, labWithMagic, type Lab } from '../labs/registry.ts';
import { isErrno } from '../sysv/errors.ts';
import { hexKey } from '../sysv/ipc-format.ts';
import { getQueue, peekMessages, removeQueue, statQueue } from '../sysv/msg.ts';
import { getSemaphoreSet, removeSemaphoreSet, statSemaphores } from '../sysv/sem.ts';
import { attach, ftok, getSegment, remove, stat, type Attachment } from '../sysv/shm.ts';
import type { Narrator } from '../text/narrate.ts';
import { describeAge } from '../text/numbers.ts';

export interface CleanOptions extends Omit<KeyChoice, 'projectId'> {
  /** Also remove objects that processes are still attached to. */
  readonly force: boolean;
  /** Say what would be removed, remove nothing. */
  readonly dryRun: boolean;
}

/** One object found with a lab's key, and what to do with it. */
interface Verdict {
  readonly what: string;
  readonly remove: boolean;
  /** Why it stays (when it does). */
  readonly why?: string;
  /** A segment that processes are attached to: its set stays with it. */
  readonly inUse?: boolean;
  readonly removeIt: () => void;
}

/** The key to look under, and the lab it belongs to (none for an explicit --key: any lab's). */
interface Place {
  readonly label: string;
  readonly key: number;
  readonly lab: Lab | undefined;
}

/** The lab's signature at the start of a segment, or why it is not a lab's. */
function signature(shmid: number, lab: Lab | undefined): { lab: boolean; what: string } {
  let a: Attachment;
  try {
    a = attach(shmid, { readOnly: true });
  } catch (error) {
    if (isErrno(error, 'EACCES')) return { lab: false, what: 'not readable by this user (EACCES)' };
    throw error;
  }
  try {
    const head = a.view.read(0, Math.min(4, a.size));
    const owner = labWithMagic(head);
    const magic = Buffer.from(head).toString('latin1');
    if (owner && (!lab || owner === lab)) return { lab: true, what: `magic "${magic}"` };
    if (owner) return { lab: false, what: `magic "${magic}" of the ${owner.name} lab, under the ${lab!.name} lab's key` };
    if (a.view.read(0, a.size).every((b) => b === 0)) return { lab: true, what: 'zero-filled: its creator died before writing' };
    return { lab: false, what: `starts with ${JSON.stringify(magic)}, not a lab magic` };
  } finally {
    a.detach();
  }
}

function judgeSegment(place: Place, force: boolean): Verdict | undefined {
  let shmid: number;
  try {
    shmid = getSegment(place.key, 0, 0);
  } catch (error) {
    if (isErrno(error, 'absent')) return undefined;
    throw error;
  }
  const st = stat(shmid);
  const sig = signature(shmid, place.lab);
  const what =
    `segment ${shmid} (${place.label}, key ${hexKey(place.key)}, ${sig.what}, created by pid ${st.cpid} ` +
    `${describeAge(st.ctime)} ago, ${st.nattch} attached)`;
  const removeIt = () => remove(shmid);
  if (!sig.lab) return { what, remove: false, why: "not the lab's", removeIt };
  if (st.nattch > 0 && !force)
    return { what, remove: false, why: 'still in use; stop its processes first, or --force', inUse: true, removeIt };
  return { what, remove: true, removeIt };
}

function judgeSet(place: Place, segmentInUse: boolean, force: boolean): Verdict | undefined {
  let semid: number;
  try {
    semid = getSemaphoreSet(place.key, 0, 0);
  } catch (error) {
    if (isErrno(error, 'absent')) return undefined;
    throw error;
  }
  const st = statSemaphores(semid);
  const lastSemop = st.otime ? `${describeAge(st.otime)} ago` : 'never';
  const what = `semaphore set ${semid} (${place.label}, key ${hexKey(place.key)}, ${st.nsems} semaphore(s), last semop ${lastSemop})`;
  const removeIt = () => removeSemaphoreSet(semid);
  const expected = place.lab?.semaphores.length;
  if (expected !== undefined && st.nsems !== expected) {
    return {
      what,
      remove: false,
      why: expected === 0 ? `the ${place.lab!.name} lab makes no semaphore set` : `the ${place.lab!.name} lab uses ${expected}`,
      removeIt,
    };
  }
  // A set has no attach count; its segment's says whether its pair is still in use.
  if (segmentInUse && !force) return { what, remove: false, why: 'its segment is still in use', removeIt };
  return { what, remove: true, removeIt };
}

/** Whether pid `pid` runs, as far as this process can see (0: none, or in another PID namespace). */
function runs(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // there, but another user's
  }
}

const RECENT_MS = 60_000;

function judgeQueue(place: Place, force: boolean): Verdict | undefined {
  let msqid: number;
  try {
    msqid = getQueue(place.key, 0);
  } catch (error) {
    if (isErrno(error, 'absent')) return undefined;
    throw error;
  }
  const st = statQueue(msqid);
  const last = [st.stime, st.rtime].reduce<Date>((a, b) => (b && b > a ? b : a), st.ctime);
  const what =
    `message queue ${msqid} (${place.label}, key ${hexKey(place.key)}, ${st.qnum} message(s), ${st.cbytes} bytes, ` +
    `last used ${describeAge(last)} ago)`;
  const removeIt = () => removeQueue(msqid);
  // The lab's own: its messages are all the lab's (MSG_COPY reads them without taking them). An
  // explicit --key is judged as the queue lab's, the one lab with a queue.
  const lab = place.lab ?? allLabs().find((l) => l.kind === 'queue');
  const describe = lab?.describeMessage;
  if (!describe) return { what, remove: false, why: 'no lab here makes a queue to compare it with', removeIt };
  if (st.qnum > 0) {
    const messages = peekMessages(msqid);
    if (messages === undefined)
      return {
        what,
        remove: false,
        why: "its messages cannot be read without taking them here (no MSG_COPY): not proven the lab's",
        removeIt,
      };
    if (messages.length < st.qnum)
      return { what, remove: false, why: `holds ${st.qnum} messages, more than the lab's queue ever does`, removeIt };
    const foreign = messages.find((m) => !describe(m.type, m.data).ours);
    if (foreign) return { what, remove: false, why: `holds a message of ${foreign.data.byteLength} bytes that is not the lab's`, removeIt };
  }
  const live = [st.lspid, st.lrpid].filter(runs);
  if (!force && live.length > 0)
    return { what, remove: false, why: `pid ${live.join(' and ')} that used it still runs; stop it first, or --force`, removeIt };
  if (!force && Date.now() - last.getTime() < RECENT_MS)
    return {
      what,
      remove: false,
      why: 'used in the last minute, maybe from another container; stop the queue lab first, or --force',
      removeIt,
    };
  return { what, remove: true, removeIt };
}

/** The pids (visible from here) that map /dev/shm/NAME, from /proc/PID/maps. */
function mappers(file: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/maps`, 'utf8').includes(file)) pids.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

/** Enough of an object to judge it: its first MiB (a magic, or zeros), or why it cannot be read. */
function readObject(file: string): Buffer | string {
  try {
    const fd = openSync(file, 'r');
    try {
      const head = Buffer.alloc(Math.min(fstatSync(fd).size, 1 << 20));
      return head.subarray(0, readSync(fd, head, 0, head.length, 0));
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'gone meanwhile' : `not readable by this user (${code})`;
  }
}

/**
 * The lab's POSIX objects in /dev/shm: files whose names start with the lab's prefix and whose
 * bytes are a lab segment (its magic), or all zeros (a creator that died before writing) and not
 * touched in the last minute (a creator may be between shm_open and its first write). One that a
 * visible process still maps stays, unless --force; a file of another name is never looked at.
 */
function judgePosixObjects(lab: Lab, force: boolean, unlink: (name: string) => void): Verdict[] {
  const prefix = lab.namePrefix!.slice(1);
  let entries: string[];
  try {
    entries = readdirSync(SHM_DIR).filter((e) => e.startsWith(prefix));
  } catch {
    return []; // no /dev/shm here
  }
  const verdicts: Verdict[] = [];
  for (const entry of entries) {
    const file = `${SHM_DIR}/${entry}`;
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(file);
    } catch {
      continue; // gone meanwhile
    }
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    const what = `POSIX object ${file} (${lab.name}, ${st.size} bytes, mode ${mode}, changed ${describeAge(st.mtime)} ago)`;
    const removeIt = () => {
      try {
        unlink(`/${entry}`);
      } catch (error) {
        if (!isErrno(error, 'ENOENT')) throw error; // gone meanwhile: nothing to do
      }
    };
    if (!st.isFile()) {
      verdicts.push({ what, remove: false, why: 'not a regular file', removeIt });
      continue;
    }
    const bytes = readObject(file);
    if (typeof bytes === 'string') {
      if (bytes !== 'gone meanwhile') verdicts.push({ what, remove: false, why: bytes, removeIt });
      continue;
    }
    const zeros = bytes.every((b) => b === 0);
    if (labWithMagic(bytes) === undefined && !zeros) {
      verdicts.push({ what, remove: false, why: "its bytes are not a lab segment's", removeIt });
      continue;
    }
    const users = mappers(file);
    if (users.length > 0 && !force) {
      verdicts.push({
        what,
        remove: false,
        why: `pid ${users.join(', ')} still maps it; stop it first, or --force`,
        inUse: true,
        removeIt,
      });
      continue;
    }
    if (zeros && !force && Date.now() - st.mtime.getTime() < RECENT_MS) {
      verdicts.push({
        what,
        remove: false,
        why: 'empty and made in the last minute: its creator may still be writing it; or --force',
        removeIt,
      });
      continue;
    }
    verdicts.push({ what, remove: true, removeIt });
  }
  return verdicts;
}

export async function runClean(options: CleanOptions, say: Narrator): Promise<number> {
  const places: Place[] = [];
  if (options.key !== undefined) places.push({ label: '--key', key: options.key, lab: undefined });
  else if (existsSync(options.keyFile))
    for (const lab of allLabs()) places.push({ label: lab.name, key: ftok(options.keyFile, lab.projectId), lab });
  else say.note(`no key file at ${options.keyFile}: no lab key to look for (pass --key-file or --key)`);

  const verdicts: Verdict[] = [];
  // POSIX objects have names, not keys: looked for whatever the key file says, but not when one
  // --key is asked for. The POSIX layer (libc's shm_unlink) is loaded only when there is one to judge.
  const posixLabs = options.key === undefined ? allLabs().filter((l) => l.kind === 'posix') : [];
  if (posixLabs.length > 0 && existsSync(SHM_DIR)) {
    const { unlink } = await import('../posix/shm.ts');
    for (const lab of posixLabs) verdicts.push(...judgePosixObjects(lab, options.force, unlink));
  }
  for (const place of places) {
    if (place.lab?.kind === 'posix') continue;
    if (place.lab?.kind === 'queue') {
      const queue = judgeQueue(place, options.force);
      if (queue) verdicts.push(queue);
      continue;
    }
    // An explicit --key may be any lab's: a queue with it too.
    const queue = place.lab ? undefined : judgeQueue(place, options.force);
    if (queue) verdicts.push(queue);
    const segment = judgeSegment(place, options.force);
    const set = judgeSet(place, segment?.inUse === true, options.force);
    for (const v of [segment, set]) if (v) verdicts.push(v);
  }
  for (const v of verdicts) {
    if (!v.remove) {
      say.warn(`left alone: ${v.what}: ${v.why}`);
      continue;
    }
    if (!options.dryRun) {
      try {
        v.removeIt();
      } catch (error) {
        // Gone meanwhile, or not ours to remove: say so, and go on with the rest.
        if (!isErrno(error, 'absent', 'EPERM', 'EACCES')) throw error;
        say.warn(`could not remove ${v.what}: ${(error as Error).message}`);
        continue;
      }
    }
    say.good(`${options.dryRun ? 'would remove' : 'removed'} ${v.what}`);
  }
  const removed = verdicts.filter((v) => v.remove).length;
  say.block(`${options.dryRun ? 'would remove' : 'removed'} ${removed} object(s), left ${verdicts.length - removed} alone`);
  return 0;
}
