/**
 * Every lab, in one list: what the tools that serve all of them (inspect, clean, the memory map,
 * gdb) need to know of each, so that none of them hard-codes a lab's facts. A new lab is one
 * more entry; each lab's facts live in its own contract.
 */
import type { StructLayout } from '../layout/c-layout.ts';
import { verdict as messageVerdict } from './message/codec.ts';
import { MESSAGE_LAB } from './message/contract.ts';
import { POSIX_LAB } from './posix/contract.ts';
import { describeJob } from './queue/codec.ts';
import { QUEUE_LAB } from './queue/contract.ts';
import { RACE_LAB } from './race/contract.ts';
import { BATCHED_RING_LAB, RING_LAB } from './ring/contract.ts';

export interface Lab {
  /** One word: `inspect --lab ring`. */
  readonly name: string;
  /** What its objects are, for the tools' output. */
  readonly summary: string;
  /** Its ftok project id: every lab keys its objects off the same key file. */
  readonly projectId: number;
  /** What the lab keeps: a System V segment under its key (the default), a message queue, or a POSIX object with a name. */
  readonly kind?: 'segment' | 'queue' | 'posix';
  /** A POSIX lab: how the names of its objects in /dev/shm start (what clean may remove). */
  readonly namePrefix?: string;
  /** The four bytes at the start of its segment (none for a queue). */
  readonly magic: string;
  /**
   * How many of its own processes keep the segment attached while it runs (1 if absent). Its
   * sides learn that the other came or went from shm_nattch, so an observer (make view)
   * attaches only once all of them have, and lets go as soon as one leaves.
   */
  readonly parties?: number;
  /** Its semaphore set's semaphores by number; none means the lab makes no set. */
  readonly semaphores: readonly string[];
  /** Every struct of its contract, as declared (what the gcc checks compile). */
  readonly structs: readonly StructLayout[];
  /** Where its structs sit in a segment holding these bytes (what the memory map draws). */
  layout(bytes: Uint8Array): readonly StructLayout[];
  /** One character per field name, marking its bytes in the memory map. */
  readonly marks?: Readonly<Record<string, string>>;
  /** Names of the values of a `state` field, if its header has one. */
  readonly states?: readonly string[];
  /** What `ipc-lab gdb` prints one by one (struct.field), and its titles; all fields by default. */
  readonly gdb?: { readonly bytesTitle: string; readonly numbersTitle: string; readonly fields: readonly string[] };
  /** A queue lab: one line for a message on its queue (what inspect lists), and whether it is the lab's (clean asks). */
  readonly describeMessage?: (type: number, data: Uint8Array) => { readonly text: string; readonly ours: boolean };
  /** Whether these bytes are a valid segment of the lab, and why not (the magic alone, if absent). */
  readonly verdict?: (bytes: Uint8Array) => Verdict;
}

export interface Verdict {
  readonly valid: boolean;
  /** The header's state, where the lab has one. */
  readonly state: number | null;
  readonly text: string;
}

const labs: Lab[] = [
  { ...MESSAGE_LAB, verdict: messageVerdict },
  RACE_LAB,
  RING_LAB,
  BATCHED_RING_LAB,
  { ...QUEUE_LAB, describeMessage: describeJob },
  { ...POSIX_LAB, verdict: messageVerdict },
];

/** Every lab, in the order the tools go through them. */
export function allLabs(): readonly Lab[] {
  return labs;
}

export function labNamed(name: string): Lab | undefined {
  return labs.find((lab) => lab.name === name);
}

/** The lab whose segments start with these bytes. */
export function labWithMagic(head: Uint8Array): Lab | undefined {
  const magic = Buffer.from(head.subarray(0, 4)).toString('latin1');
  return labs.find((lab) => lab.magic !== '' && lab.magic === magic);
}

/** Adds a lab (a new one, or a test's): from then on every tool serves it too. Returns its removal. */
export function registerLab(lab: Lab): () => void {
  if (labNamed(lab.name)) throw new Error(`a lab called ${lab.name} is already registered`);
  labs.push(lab);
  return () => {
    const i = labs.indexOf(lab);
    if (i !== -1) labs.splice(i, 1);
  };
}

/** What the bytes say, as the lab judges them: its own verdict, else whether its magic is there. */
export function verdictOf(lab: Lab, bytes: Uint8Array): Verdict {
  if (lab.verdict) return lab.verdict(bytes);
  const magic = Buffer.from(bytes.subarray(0, 4)).toString('latin1');
  return magic === lab.magic
    ? { valid: true, state: null, text: `a ${lab.name} lab segment (magic "${lab.magic}"): ${lab.summary}` }
    : { valid: false, state: null, text: `not (yet) a ${lab.name} lab segment: magic is ${JSON.stringify(magic)}, not "${lab.magic}"` };
}
