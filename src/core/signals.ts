/**
 * The one way a program learns that it should stop: SIGINT (Ctrl-C), SIGTERM (docker stop) and
 * SIGHUP (a closed terminal) all end in the same cleanup as a normal end. Installing a handler
 * is what makes that possible: without one, Node dies on the spot and nothing is removed.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { StoppedError } from './errors.ts';

export const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface ShutdownOptions {
  /** Keep the process alive while nothing else would (a server that only waits for a signal). */
  readonly keepAlive?: boolean;
}

export class Shutdown {
  #signal: string | undefined;
  readonly #controller = new AbortController();
  readonly #keepAlive: ReturnType<typeof setInterval> | undefined;
  readonly #stopped: Promise<string>;
  #resolve: (signal: string) => void = () => {};
  readonly #onSignal = (signal: string): void => {
    this.#signal ??= signal;
    this.#controller.abort();
    this.#resolve(this.#signal);
  };

  constructor(options: ShutdownOptions = {}) {
    this.#stopped = new Promise((resolve) => (this.#resolve = resolve));
    for (const s of SHUTDOWN_SIGNALS) process.on(s, this.#onSignal);
    this.#keepAlive = options.keepAlive ? setInterval(() => {}, 1 << 30) : undefined;
  }

  /** The signal that arrived, if one has. */
  get signal(): string | undefined {
    return this.#signal;
  }

  /** Aborts when a signal arrives: for timers and waits that take an AbortSignal. */
  get abortSignal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Resolves with the first signal's name. */
  get stopped(): Promise<string> {
    return this.#stopped;
  }

  throwIfStopped(): void {
    if (this.#signal) throw new StoppedError(this.#signal);
  }

  /**
   * Lets the signal's handler run. A blocked semop returns EINTR when a signal arrives, but the
   * JS handler runs only once the event loop turns. setImmediate is the shortest turn that does
   * it: with an immediate pending, libuv polls its I/O, the signal watcher's pipe among it, with
   * a timeout of 0, and then runs the immediate. A timer would not do: Node makes setTimeout(0)
   * 1 ms, and a hot loop that yields every 20 ms would stand still 5 % of the time.
   */
  async yield(): Promise<void> {
    await nextTurn();
  }

  /** Removes the handlers: a later signal kills the process the default way again. */
  dispose(): void {
    if (this.#keepAlive) clearInterval(this.#keepAlive);
    for (const s of SHUTDOWN_SIGNALS) process.off(s, this.#onSignal);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

export function watchShutdown(options?: ShutdownOptions): Shutdown {
  return new Shutdown(options);
}
