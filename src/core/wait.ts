/**
 * The one wait loop: ask `check` until it has an answer, pausing `every` milliseconds between
 * tries, until a deadline, and stop at once on a shutdown signal. System V offers nothing to
 * block on for "a segment with this key exists" or "the other side has attached", so the lab
 * polls, and every such loop is this one.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Shutdown } from './signals.ts';

export interface WaitOptions {
  /** When to give up (Date.now() milliseconds); never by default. */
  readonly deadline?: number;
  /** The pause between tries in milliseconds, or a function of the try number (a backoff). */
  readonly every?: number | ((attempt: number) => number);
  /** Stop waiting (StoppedError) when a shutdown signal arrives. */
  readonly stop?: Shutdown | undefined;
  /** Called once, after the first try that had no answer: "waiting for ...". */
  readonly onWait?: () => void;
}

/** An answer from check, or the deadline. */
export type Waited<T> = { readonly value: T } | { readonly timedOut: true };

/**
 * `check` returns undefined for "not yet"; anything else ends the wait. At the deadline the
 * result is `{ timedOut: true }` (check runs once more first, so a deadline of now still tries).
 */
export async function waitFor<T>(check: () => T | undefined | Promise<T | undefined>, options: WaitOptions = {}): Promise<Waited<T>> {
  const { deadline = Infinity, every = 50, stop, onWait } = options;
  for (let attempt = 0; ; attempt++) {
    stop?.throwIfStopped();
    const value = await check();
    if (value !== undefined) return { value };
    if (attempt === 0) onWait?.();
    if (Date.now() >= deadline) return { timedOut: true };
    const pause = typeof every === 'function' ? every(attempt) : every;
    await sleep(Math.max(0, Math.min(pause, deadline - Date.now())), undefined, stop ? { signal: stop.abortSignal } : undefined).catch(
      () => undefined,
    );
  }
}
