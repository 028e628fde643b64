/**
 * The live view's eyes: every lab's kernel objects in this IPC namespace, looked at about 20
 * times a second, through the registry (the key each lab's contract gives, ftok of the key file).
 *
 * It only looks. Segments are attached with SHM_RDONLY; semaphores are read with semctl's GET
 * commands (GETALL, GETNCNT, GETZCNT, GETPID: none of them changes the set); a queue with
 * msgctl(IPC_STAT). It never calls semop, msgrcv or anything that writes.
 *
 * Looking is not free, though, and that is a lesson of its own. Attaching is an event: the
 * kernel counts it in shm_nattch and records the view's pid as shm_lpid. So the view attaches
 * a segment once and stays attached (lpid then changes only when the lab's own processes come
 * and go), and it waits until all of a lab's sides have attached, then lets go the moment one
 * leaves: the race and the ring learn that the other side came, or died, from shm_nattch, and
 * the view's attachment must not pass for a side. The page says "nattch 3 (one is this view)".
 * A segment marked for removal is let go at once, or the view would keep it alive.
 */
import { readFileSync } from 'node:fs';
import { ipcNamespace } from '../labs/common/namespace.ts';
import { allLabs, type Lab } from '../labs/registry.ts';
import { isErrno } from '../sysv/errors.ts';
import { hexKey, octalMode, rwx } from '../sysv/ipc-format.ts';
import { getQueue, statQueue } from '../sysv/msg.ts';
import { getAll, getLastPid, getSemaphoreSet, getWaitingCount, getZeroWaitCount, statSemaphores } from '../sysv/sem.ts';
import { attach, ftok, getSegment, stat, type Attachment, type ShmStat } from '../sysv/shm.ts';
import { keyParts } from '../tools/ipc-stat-explained.ts';
import { decodeSegment, type Decoded, type RingPicture } from './decode.ts';

export interface ProcessRef {
  readonly pid: number;
  /** What it runs ("ipc-lab race reader"), or why that cannot be said. */
  readonly name: string;
}

export interface SegmentReport {
  readonly shmid: number;
  readonly size: number;
  readonly mode: string;
  readonly rwx: string;
  readonly uid: number;
  readonly gid: number;
  readonly cuid: number;
  readonly nattch: number;
  readonly cpid: ProcessRef;
  readonly lpid: ProcessRef;
  readonly atime: string | null;
  readonly dtime: string | null;
  readonly ctime: string;
  readonly markedForRemoval: boolean;
  /** Whether this view holds one of the nattch. */
  readonly viewAttached: boolean;
  /** Why the view has not attached (yet), if it has not. */
  readonly waiting: string | null;
  readonly decoded: Decoded | null;
}

export interface SemaphoreReport {
  readonly semid: number;
  /** Why the set could not be read (no permission, removed between two calls), if it could not. */
  readonly problem?: string;
  readonly mode: string;
  readonly otime: string | null;
  readonly semaphores: readonly {
    readonly num: number;
    readonly name: string;
    readonly value: number;
    /** GETNCNT: processes waiting for it to grow; GETZCNT: for it to be 0. */
    readonly waitingToTake: number;
    readonly waitingForZero: number;
    /** GETPID: the last process that operated on it. */
    readonly lastPid: ProcessRef;
  }[];
}

export interface QueueReport {
  readonly msqid: number;
  readonly mode: string;
  readonly messages: number;
  readonly bytes: number;
  readonly maxBytes: number;
  readonly lastSender: ProcessRef;
  readonly lastReceiver: ProcessRef;
}

/** The ring's two sides, where the header and the semaphores (or the indices) put them. */
export interface RingFlow {
  /** Messages the producer has written, the consumer has taken. */
  readonly produced: number;
  readonly consumed: number;
  readonly producerAt: number;
  readonly consumerAt: number;
  /** Slot by slot: true while it holds a message not yet taken. */
  readonly full: readonly boolean[];
  /** Over the last second, from the messages written. */
  readonly bytesPerSecond: number | null;
  /** What the two counts are called in this design, and their values. */
  readonly counts: readonly { readonly name: string; readonly value: number }[];
}

export interface LabReport {
  readonly lab: string;
  readonly summary: string;
  readonly key: string | null;
  readonly keyParts: { readonly projectId: number; readonly deviceByte: number; readonly inodeBits: number } | null;
  readonly parties: number;
  readonly segment: SegmentReport | null;
  readonly semaphores: SemaphoreReport | null;
  readonly queue: QueueReport | null;
  readonly ring: RingFlow | null;
  /** Why nothing of the lab is shown (no key file yet, not running, no permission). */
  readonly note: string | null;
}

export interface Snapshot {
  readonly at: number;
  readonly namespace: string;
  readonly keyFile: string;
  readonly labs: readonly LabReport[];
}

/** "ipc-lab race reader" from /proc/PID/cmdline, in this PID namespace. */
export function processName(pid: number): ProcessRef {
  if (pid === 0) return { pid, name: 'nobody yet, or a process in another PID namespace' };
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const lab = argv.findIndex((a) => /(^|\/)ipc-lab(\.ts|\.js)?$/.test(a) || a.endsWith('/cli.ts') || a.endsWith('/cli.js'));
    if (lab < 0) return { pid, name: argv.slice(0, 2).join(' ') || '?' };
    // The command and its role ("race reader"), without the options.
    const rest = argv.slice(lab + 1);
    const options = rest.findIndex((a) => a.startsWith('-'));
    return { pid, name: ['ipc-lab', ...rest.slice(0, options < 0 ? 2 : Math.min(options, 2))].join(' ') };
  } catch {
    return { pid, name: 'not visible from here (another PID namespace) or gone' };
  }
}

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

interface Held {
  readonly shmid: number;
  readonly attachment: Attachment;
}

interface RateSample {
  readonly at: number;
  readonly produced: number;
}

export class Observer {
  readonly #held = new Map<string, Held>();
  readonly #rates = new Map<string, RateSample[]>();

  constructor(readonly keyFile: string) {}

  look(): Snapshot {
    return { at: Date.now(), namespace: ipcNamespace(), keyFile: this.keyFile, labs: allLabs().map((lab) => this.#lookAt(lab)) };
  }

  /** Lets go of every segment: the view is stopping. */
  close(): void {
    for (const name of [...this.#held.keys()]) this.#release(name);
  }

  #release(name: string): void {
    const held = this.#held.get(name);
    this.#held.delete(name);
    try {
      held?.attachment.detach();
    } catch {
      // already gone with its segment: nothing to let go of
    }
  }

  #lookAt(lab: Lab): LabReport {
    const empty = { segment: null, semaphores: null, queue: null, ring: null };
    const base = { lab: lab.name, summary: lab.summary, parties: lab.parties ?? 1 };
    if (lab.kind === 'posix')
      return {
        ...base,
        ...empty,
        key: null,
        keyParts: null,
        note: "a POSIX object, in the POSIX lab's own IPC namespace: not seen from here",
      };
    let key: number;
    try {
      key = ftok(this.keyFile, lab.projectId);
    } catch (error) {
      this.#release(lab.name);
      const why = isErrno(error, 'ENOENT') ? `no key file ${this.keyFile} yet: the server creates it (make up)` : (error as Error).message;
      return { ...base, ...empty, key: null, keyParts: null, note: why };
    }
    const report = { ...base, key: hexKey(key), keyParts: keyParts(key) };
    try {
      if (lab.kind === 'queue') {
        const queue = this.#queue(key);
        return {
          ...report,
          ...empty,
          queue,
          note: queue ? null : 'no queue with this key here (make queue keeps its queue in an IPC namespace of its own)',
        };
      }
      const segment = this.#segment(lab, key);
      const semaphores = lab.semaphores.length > 0 ? this.#semaphoresOrWhy(lab, key) : null;
      const ring = segment?.decoded?.ring ? this.#flow(lab.name, segment.shmid, segment.decoded.ring, semaphores) : null;
      if (!segment) this.#rates.delete(lab.name);
      const note = segment || semaphores ? null : `nothing with this key: ${lab.summary.replace(/^.*\((make [^)]*)\).*$/, '$1')}`;
      return { ...report, segment, semaphores, queue: null, ring, note };
    } catch (error) {
      // No permission (another user's 0600 object), or it vanished between two calls.
      this.#release(lab.name);
      return { ...report, ...empty, note: `cannot look: ${(error as Error).message}` };
    }
  }

  #segment(lab: Lab, key: number): SegmentReport | null {
    let shmid: number;
    try {
      shmid = getSegment(key, 0, 0);
    } catch (error) {
      if (!isErrno(error, 'absent')) throw error;
      this.#release(lab.name);
      return null;
    }
    let held = this.#held.get(lab.name);
    if (held && held.shmid !== shmid) {
      this.#release(lab.name); // the key names a new segment: the old one was removed
      held = undefined;
    }
    let st = stat(shmid);
    const parties = lab.parties ?? 1;
    // Its own attachment counts in nattch: the lab's sides are nattch minus the view's one.
    const sides = st.nattch - (held ? 1 : 0);
    let waiting: string | null = null;
    if (held && (st.markedForRemoval || sides < parties)) {
      this.#release(lab.name);
      held = undefined;
      st = stat(shmid);
    } else if (!held && !st.markedForRemoval && sides >= parties) {
      held = { shmid, attachment: attach(shmid, { readOnly: true }) };
      this.#held.set(lab.name, held);
      st = stat(shmid); // now with the view's own attachment counted
    }
    if (!held)
      waiting = st.markedForRemoval
        ? 'removed (IPC_RMID): it goes when the last process detaches'
        : `waiting for ${parties === 1 ? 'its creator' : `all ${parties} sides`} to attach (nattch ${sides}): ` +
          'each side watches shm_nattch, so the view must not pass for one';
    let decoded: Decoded | null = null;
    if (held) {
      try {
        const { view, size } = held.attachment;
        decoded = decodeSegment({ size, read: (offset, length) => view.read(offset, length) }, lab);
      } catch (error) {
        decoded = { map: null, race: null, ring: null, rejected: [`could not read the segment: ${(error as Error).message}`] };
      }
    }
    return describe(shmid, st, Boolean(held), waiting, decoded);
  }

  /** The set, or why it cannot be read: a failure here never costs the segment its attachment. */
  #semaphoresOrWhy(lab: Lab, key: number): SemaphoreReport | null {
    try {
      return this.#semaphores(lab, key);
    } catch (error) {
      return { semid: -1, mode: '', otime: null, semaphores: [], problem: `cannot read the semaphore set: ${(error as Error).message}` };
    }
  }

  #semaphores(lab: Lab, key: number): SemaphoreReport | null {
    let semid: number;
    try {
      semid = getSemaphoreSet(key, 0, 0);
    } catch (error) {
      if (isErrno(error, 'absent')) return null;
      throw error;
    }
    const st = statSemaphores(semid);
    const values = getAll(semid);
    return {
      semid,
      mode: octalMode(st.mode),
      otime: iso(st.otime),
      semaphores: values.map((value, num) => ({
        num,
        name: lab.semaphores[num] ?? `#${num}`,
        value,
        waitingToTake: getWaitingCount(semid, num),
        waitingForZero: getZeroWaitCount(semid, num),
        lastPid: processName(getLastPid(semid, num)),
      })),
    };
  }

  #queue(key: number): QueueReport | null {
    let msqid: number;
    try {
      msqid = getQueue(key, 0);
    } catch (error) {
      if (isErrno(error, 'absent')) return null;
      throw error;
    }
    const st = statQueue(msqid);
    return {
      msqid,
      mode: octalMode(st.mode),
      messages: st.qnum,
      bytes: st.cbytes,
      maxBytes: st.qbytes,
      lastSender: processName(st.lspid),
      lastReceiver: processName(st.lrpid),
    };
  }

  /** Where the ring's two sides are, and how fast the producer goes. */
  #flow(name: string, shmid: number, ring: RingPicture, sems: SemaphoreReport | null): RingFlow {
    const value = (sem: string): number => sems?.semaphores.find((s) => s.name === sem)?.value ?? 0;
    let produced: number;
    let consumed: number;
    let counts: { name: string; value: number }[];
    if (ring.design === 'batched') {
      produced = ring.head ?? 0;
      consumed = ring.tail ?? 0;
      counts = [
        { name: 'head - tail (filled)', value: (produced - consumed) >>> 0 },
        { name: 'free', value: ring.slots - ((produced - consumed) >>> 0) },
      ];
    } else {
      // Slot m mod N holds message m and says so: the highest sequence is the producer's last.
      const written = ring.slot.filter((s) => s.length > 0 || s.sequence > 0);
      produced = written.length === 0 ? 0 : Math.max(...written.map((s) => s.sequence)) + 1;
      consumed = Math.max(0, produced - value('full'));
      counts = [
        { name: 'full', value: value('full') },
        { name: 'empty', value: value('empty') },
      ];
    }
    const filled = Math.min(ring.slots, Math.max(0, produced - consumed));
    const full = Array.from({ length: ring.slots }, (_, i) => (((i - consumed) % ring.slots) + ring.slots) % ring.slots < filled);
    const key = `${name}:${shmid}`;
    const now = Date.now();
    const samples = (this.#rates.get(key) ?? []).filter((s) => now - s.at <= 1000);
    samples.push({ at: now, produced });
    this.#rates.set(key, samples);
    for (const other of this.#rates.keys()) if (other.startsWith(`${name}:`) && other !== key) this.#rates.delete(other);
    const first = samples[0]!;
    const span = (now - first.at) / 1000;
    const bytesPerSecond = span >= 0.2 ? ((produced - first.produced) * ring.slotSize) / span : null;
    return { produced, consumed, producerAt: produced % ring.slots, consumerAt: consumed % ring.slots, full, bytesPerSecond, counts };
  }
}

function describe(shmid: number, st: ShmStat, viewAttached: boolean, waiting: string | null, decoded: Decoded | null): SegmentReport {
  return {
    shmid,
    size: st.size,
    mode: octalMode(st.mode),
    rwx: rwx(st.mode),
    uid: st.uid,
    gid: st.gid,
    cuid: st.cuid,
    nattch: st.nattch,
    cpid: processName(st.cpid),
    lpid: processName(st.lpid),
    atime: iso(st.atime),
    dtime: iso(st.dtime),
    ctime: st.ctime.toISOString(),
    markedForRemoval: st.markedForRemoval,
    viewAttached,
    waiting,
    decoded,
  };
}
