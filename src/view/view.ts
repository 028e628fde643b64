/**
 * ipc-lab view: the lab's real kernel objects, live in a browser, for the projector.
 *
 *   $ ipc-lab view                    # http://127.0.0.1:8080, until Ctrl-C
 *   $ make view                       # the same in the lab's IPC namespace (the view service)
 *
 * Every 50 ms it looks at every lab's objects (./observer.ts), read-only, and pushes what
 * changed to each open page as a Server-Sent Event (./http.ts). The page (./page/) draws the
 * message segment's memory map as the bytes arrive, IPC_STAT, every semaphore set, the race's
 * counters and the ring's slots. Nothing here writes to any IPC object.
 */
import { StoppedError, UsageError } from '../core/errors.ts';
import { watchShutdown } from '../core/signals.ts';
import { waitFor } from '../core/wait.ts';
import type { Narrator } from '../text/narrate.ts';
import { ViewServer } from './http.ts';
import { Observer } from './observer.ts';

export interface ViewOptions {
  readonly keyFile: string;
  /** Where to listen: 127.0.0.1 by default; the view service listens on 0.0.0.0 inside its container. */
  readonly listen: string;
  readonly port: number;
  /** The address a user opens (the container's port is published elsewhere): what is printed. */
  readonly url: string | undefined;
  /** Where users reach it, if not at `listen` (where Compose publishes the port): loopback or not decides who is answered. */
  readonly bind: string | undefined;
  /** Milliseconds between looks. */
  readonly interval: number;
}

export async function runView(options: ViewOptions, say: Narrator): Promise<number> {
  const shutdown = watchShutdown({ keepAlive: true });
  const observer = new Observer(options.keyFile);
  const reachedAt = options.bind ?? options.listen;
  const loopback = /^(127\.|::1$|localhost$)/.test(reachedAt);
  const web = new ViewServer({ loopbackOnly: loopback });
  try {
    let port: number;
    try {
      port = await web.listen(options.port, options.listen);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE')
        throw new UsageError(
          `port ${options.port} on ${options.listen} is taken by another program: choose another (make view VIEW_PORT=8081)`,
        );
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
        throw new UsageError(`cannot listen on ${options.listen}: no such address on this machine (--listen 127.0.0.1 or 0.0.0.0)`);
      throw error;
    }
    const url = options.url ?? `http://${options.listen === '0.0.0.0' ? 'localhost' : options.listen}:${port}/`;
    say.good(`the live view serves ${url} (open it in a browser; Ctrl-C stops the view)`);
    say.note(
      `it looks at every lab's objects ${Math.round(1000 / options.interval)} times a second, read-only, ` +
        `with the key file ${options.keyFile}`,
    );
    if (!loopback)
      say.warn(
        `it is reachable on ${reachedAt}, not only from this machine: anyone on your networks can watch the lab (read-only); ` +
          'VIEW_BIND=127.0.0.1 keeps it to this machine',
      );
    await waitFor(
      () => {
        const { at, ...content } = observer.look();
        web.publish(JSON.stringify({ at, ...content }), JSON.stringify(content));
        return undefined;
      },
      { every: options.interval, stop: shutdown },
    );
    return 0;
  } catch (error) {
    if (!(error instanceof StoppedError)) throw error;
    say.step(`${error.signal}: the view stops (it only looked: nothing to remove, its attachments go)`);
    return 0;
  } finally {
    observer.close();
    await web.close();
    shutdown.dispose();
  }
}
