/**
 * The live view's web side, on node:http alone: three static files, the snapshot as JSON, and
 * Server-Sent Events, one `data:` line of JSON each time the snapshot changes.
 *
 * There is no write path to find: GET and HEAD only (405 for anything else), no query the
 * server acts on, no endpoint that takes a body. The page is self-contained (no CDN, no fonts
 * from elsewhere), and the Content-Security-Policy says so to the browser: scripts, styles and
 * connections from this origin only, nothing inline, nothing framed. While the view is bound to
 * the loopback address, a request whose Host is not a loopback name is refused too: a web page
 * elsewhere cannot reach the view through DNS rebinding.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));
const ASSETS: Readonly<Record<string, { readonly file: string; readonly type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const COMMON_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
} as const;

/** How long a browser waits before it reconnects after the view restarted (make up recreates it). */
const RETRY_MS = 500;
/** A comment line now and then keeps proxies and idle timers from closing the stream. */
const KEEPALIVE_MS = 15_000;
/** A page that has this much unsent is behind (a slow Wi-Fi): it skips frames until it catches up. */
const BEHIND_BYTES = 256 * 1024;

export interface ViewServerOptions {
  /** Refuse requests whose Host is not localhost, 127.0.0.1 or [::1] (the view is bound to loopback). */
  readonly loopbackOnly: boolean;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function hostName(header: string | undefined): string {
  if (!header) return '';
  return header.startsWith('[') ? header.slice(0, header.indexOf(']') + 1) : (header.split(':')[0] ?? '');
}

/** The snapshot's hub: the latest JSON, and every open event stream. */
export class ViewServer {
  readonly server: Server;
  readonly #streams = new Set<ServerResponse>();
  readonly #assets = new Map<string, Buffer>();
  readonly #keepAlive: ReturnType<typeof setInterval>;
  #latest = '{}';
  #content = '';
  #sentAt = 0;

  constructor(readonly options: ViewServerOptions) {
    for (const [path, asset] of Object.entries(ASSETS)) this.#assets.set(path, readFileSync(PAGE_DIR + asset.file));
    this.server = createServer((req, res) => {
      try {
        this.#handle(req, res);
      } catch (error) {
        // Whatever a request holds, the view goes on serving the others.
        if (!res.headersSent) res.writeHead(400, { ...COMMON_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
        res.end(`bad request: ${(error as Error).message}\n`);
      }
    });
    this.#keepAlive = setInterval(() => {
      for (const res of this.#streams) res.write(': still here\n\n');
    }, KEEPALIVE_MS);
    this.#keepAlive.unref();
  }

  /**
   * A new snapshot, as JSON, and what in it may change (without its timestamp): sent to every
   * page when that changed, and at least once a second (the page's ages and rate move on).
   * Every frame is whole, so a page that is behind loses nothing by skipping one.
   */
  publish(json: string, content = json): void {
    const now = Date.now();
    if (content === this.#content && now - this.#sentAt < 1000) return;
    this.#latest = json;
    this.#content = content;
    this.#sentAt = now;
    for (const res of this.#streams) if (res.writableLength < BEHIND_BYTES) res.write(`data: ${json}\n\n`);
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  close(): Promise<void> {
    clearInterval(this.#keepAlive);
    for (const res of this.#streams) res.end();
    this.#streams.clear();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const send = (status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void => {
      res.writeHead(status, { ...COMMON_HEADERS, 'content-type': type, ...extra });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(405, 'text/plain; charset=utf-8', `${req.method} is not allowed: the view only shows, it has nothing to change\n`, {
        allow: 'GET, HEAD',
      });
      return;
    }
    if (this.options.loopbackOnly && !LOOPBACK_HOSTS.has(hostName(req.headers.host))) {
      send(421, 'text/plain; charset=utf-8', 'the view answers only to localhost, 127.0.0.1 or [::1] (VIEW_BIND=0.0.0.0 opens it)\n');
      return;
    }
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://view').pathname;
    } catch {
      send(400, 'text/plain; charset=utf-8', 'that is not a path: the view is at /\n');
      return;
    }
    const asset = ASSETS[path];
    if (asset) send(200, asset.type, this.#assets.get(path)!);
    else if (path === '/snapshot.json') send(200, 'application/json; charset=utf-8', this.#latest);
    else if (path === '/favicon.ico') send(204, 'image/x-icon', '');
    else if (path === '/healthz') send(200, 'text/plain; charset=utf-8', 'ok\n');
    else if (path === '/events') this.#stream(req, res);
    else send(404, 'text/plain; charset=utf-8', `nothing at ${path}: the view is at /\n`);
  }

  #stream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { ...COMMON_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    res.write(`retry: ${RETRY_MS}\n\ndata: ${this.#latest}\n\n`);
    this.#streams.add(res);
    req.once('close', () => this.#streams.delete(res));
  }
}
