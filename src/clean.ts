/**
 * ipc-lab clean: remove the lab's leftover segments and semaphore sets, and only those.
 *
 * System V objects outlive the processes that make them: a server or a race writer killed with
 * SIGKILL never calls IPC_RMID. This finds the lab's objects by the lab's own keys (ftok of the
 * key file with each lab's project id, or --key), checks that each really is the lab's (a lab
 * segment starts with its magic: IPCL, IPCR or IPCB; a lab semaphore set has the lab's number
 * of semaphores), and removes those that nothing uses any more. An object with processes still
 * attached is left alone unless --force: removing it would pull the rug from under them.
 */
import { existsSync } from 'node:fs';
import { LAB_PROJECT_IDS, MAGIC, RACE_MAGIC, RING_MAGIC } from './contract.ts';
import { describeAge } from './format.ts';
import { keyChoice, parseOptions, KEY_OPTIONS } from './options.ts';
import { SysvError } from './sysv/errors.ts';
import { getSemaphoreSet, removeSemaphoreSet, statSemaphores } from './sysv/sem.ts';
import { attach, ftok, getSegment, hexKey, remove, stat } from './sysv/shm.ts';
import { narrator, type Narrator } from './ui/narrate.ts';

export const CLEAN_HELP = `Usage: ipc-lab clean [options]

Remove the lab's leftover System V objects: segments and semaphore sets with the lab's keys
and the lab's signature, that no process is attached to. Never touches anything else.

Options:
  --key-file PATH, --key KEY   where the lab's keys come from (as for the server)
  --force             also remove objects that processes are still attached to
  --dry-run           say what would be removed, remove nothing
  -h, --help          this text
`;

const LAB_MAGICS = new Set([MAGIC, RACE_MAGIC, RING_MAGIC]);
// The message lab has no semaphore set: one on its key is somebody else's.
const LAB_NSEMS: Record<string, number> = { message: 0, race: 1, ring: 2 };

const missing = (error: unknown): boolean => error instanceof SysvError && ['ENOENT', 'EIDRM', 'EINVAL'].includes(error.code);

/** The lab's signature at the start of a segment, or why it is not the lab's. */
function signature(shmid: number): { lab: boolean; what: string } {
  let a;
  try {
    a = attach(shmid, { readOnly: true });
  } catch (error) {
    if (error instanceof SysvError && error.code === 'EACCES') return { lab: false, what: 'not readable by this user (EACCES)' };
    throw error;
  }
  try {
    const head = a.view.read(0, Math.min(4, a.size));
    const magic = Buffer.from(head).toString('latin1');
    if (LAB_MAGICS.has(magic)) return { lab: true, what: `magic "${magic}"` };
    if (a.view.read(0, a.size).every((b) => b === 0)) return { lab: true, what: 'zero-filled: its creator died before writing' };
    return { lab: false, what: `starts with ${JSON.stringify(magic)}, not a lab magic` };
  } finally {
    a.detach();
  }
}

export async function runClean(args: readonly string[], say: Narrator = narrator()): Promise<number> {
  const values = parseOptions(args, { 'key-file': KEY_OPTIONS['key-file']!, key: KEY_OPTIONS['key']!, force: { type: 'boolean' }, 'dry-run': { type: 'boolean' } });
  if (values['help']) {
    say.block(CLEAN_HELP);
    return 0;
  }
  const choice = keyChoice(values);
  const force = values['force'] === true;
  const dryRun = values['dry-run'] === true;
  const keys = new Map<string, number>();
  if (choice.key !== undefined) keys.set('--key', choice.key);
  else if (existsSync(choice.keyFile)) for (const [lab, id] of Object.entries(LAB_PROJECT_IDS)) keys.set(lab, ftok(choice.keyFile, id));
  else say.note(`no key file at ${choice.keyFile}: no lab key to look for (pass --key-file or --key)`);

  let removed = 0;
  let kept = 0;
  for (const [lab, key] of keys) {
    let segmentLive = false;
    try {
      const shmid = getSegment(key, 0, 0);
      const st = stat(shmid);
      const sig = signature(shmid);
      const about = `segment ${shmid} (${lab}, key ${hexKey(key)}, ${sig.what}, created by pid ${st.cpid} ${describeAge(st.ctime)} ago, ${st.nattch} attached)`;
      if (!sig.lab) {
        say.warn(`left alone: ${about}: not the lab's`);
        kept++;
      } else if (st.nattch > 0 && !force) {
        say.warn(`left alone: ${about}: still in use; stop its processes first, or --force`);
        segmentLive = true;
        kept++;
      } else {
        if (!dryRun) remove(shmid);
        say.good(`${dryRun ? 'would remove' : 'removed'} ${about}`);
        removed++;
      }
    } catch (error) {
      if (!missing(error)) throw error;
    }
    try {
      const semid = getSemaphoreSet(key, 0, 0);
      const st = statSemaphores(semid);
      const about = `semaphore set ${semid} (${lab}, key ${hexKey(key)}, ${st.nsems} semaphore(s), last semop ${st.otime ? `${describeAge(st.otime)} ago` : 'never'})`;
      const expected = LAB_NSEMS[lab];
      if (expected !== undefined && st.nsems !== expected) {
        say.warn(`left alone: ${about}: ${expected === 0 ? `the ${lab} lab makes no semaphore set` : `the ${lab} lab uses ${expected}`}`);
        kept++;
      } else if (segmentLive && !force) {
        // A set has no attach count; its segment's says whether its pair is still in use.
        say.warn(`left alone: ${about}: its segment is still in use`);
        kept++;
      } else {
        if (!dryRun) removeSemaphoreSet(semid);
        say.good(`${dryRun ? 'would remove' : 'removed'} ${about}`);
        removed++;
      }
    } catch (error) {
      if (!missing(error)) throw error;
    }
  }
  say.block(`${dryRun ? 'would remove' : 'removed'} ${removed} object(s), left ${kept} alone`);
  return 0;
}
