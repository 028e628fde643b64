/**
 * What an exercise is, for the commands that serve all of them (make exercise, check, hint,
 * solve, reset, progress): each exercise's folder (exercises/NN-name/) holds its task page, its
 * hints, a starter and a reference solution per track, and an `exercise.ts` that says how it is
 * checked. The list of them is exercises/index.ts, the one registry.
 *
 * A check is a list of criteria, each passed or failed with what it saw and why that fails,
 * worded for the student: "reader saw 1204 torn reads in 2 s: the writer changes the record
 * outside the lock". Part of a check runs on the host, where Docker is (stopping a container,
 * running a probe as another user); the rest runs in the workbench container, in the lab's IPC
 * namespace, as a *probe*: code of the exercise that runs the student's programs there.
 */
import { resolve } from 'node:path';
import type { Bench } from './bench.ts';
import type { ProbeContext } from './probe.ts';

/** The repository's root, on the host and in the workbench (this file is src/exercises/model.ts). */
export const ROOT = resolve(import.meta.dirname, '..', '..');

export type Track = 'ts' | 'c';
export const TRACKS: readonly Track[] = ['ts', 'c'];
export const TRACK_NAMES: Record<Track, string> = { ts: 'TypeScript', c: 'C' };

/** Which copy of the code a check runs: the student's, the starter, the reference, or a folder of the repo. */
export type Source = 'work' | 'starter' | 'solution' | (string & {});

export interface Criterion {
  /** What is wanted, short: "0 torn reads over 2 s". */
  readonly name: string;
  readonly ok: boolean;
  /** What the check saw, and (when it fails) why that is wrong and where to look. */
  readonly detail: string;
}

export interface CheckRequest {
  readonly track: Track;
  readonly source: Source;
}

export interface Exercise {
  /** 1..6: make check N=3. */
  readonly number: number;
  /** The folder's name after the number: 03-make-the-lock. */
  readonly slug: string;
  readonly title: string;
  /** The handout it follows (docs/handouts/NN-...md), whose page links here. */
  readonly handout: string;
  /** The files the student edits, per track, in the track's folder. */
  readonly tracks: Partial<Record<Track, readonly string[]>>;
  /** The whole check, run on the host: probes through the bench, containers started and stopped. */
  check(bench: Bench, request: CheckRequest): Promise<Criterion[]>;
  /** What runs inside the workbench (exercises/inside.ts), by name. */
  readonly probes: Readonly<Record<string, (context: ProbeContext) => Promise<Criterion[]>>>;
}

export const pass = (name: string, detail: string): Criterion => ({ name, ok: true, detail });
export const fail = (name: string, detail: string): Criterion => ({ name, ok: false, detail });

/** exercises/03-make-the-lock */
export function exerciseFolder(exercise: Exercise): string {
  return `exercises/${String(exercise.number).padStart(2, '0')}-${exercise.slug}`;
}

/** Where a source's files for a track are, relative to the repository's root. */
export function sourceFolder(exercise: Exercise, track: Track, source: Source): string {
  const folder = exerciseFolder(exercise);
  if (source === 'work') return `${folder}/${track}`;
  if (source === 'starter' || source === 'solution') return `${folder}/${source}/${track}`;
  return source;
}
