/**
 * The live view as a real process in a test namespace, next to the real labs: it shows what
 * inspect shows, attaches only once all of a lab's sides have (and lets go when one leaves, so
 * the race and the ring still end), serves GET and nothing else, and leaves nothing behind.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PROJECT_ID } from '../../src/labs/message/contract.ts';
import { RACE_PROJECT_ID } from '../../src/labs/race/contract.ts';
import { RING_PROJECT_ID } from '../../src/labs/ring/contract.ts';
import { ftok } from '../../src/sysv/shm.ts';
import type { LabReport, Snapshot } from '../../src/view/observer.ts';
import type { LabProcess } from '../support/cli.ts';
import { labFixture } from '../support/lab-fixture.ts';

const lab = labFixture();

interface Running {
  readonly view: LabProcess;
  readonly base: string;
  readonly keyFile: string;
}

async function startView(): Promise<Running> {
  const keyFile = join(lab.dir, 'ftok.key');
  writeFileSync(keyFile, 'ipc-lab test key file\n');
  const view = lab.start(['view', '--port', '0', '--key-file', keyFile]);
  const [, base] = await view.waitFor(/serves (http:\/\/127\.0\.0\.1:\d+\/)/, 20_000);
  return { view, base: base!, keyFile };
}

async function snapshot(base: string): Promise<Snapshot> {
  const res = await fetch(`${base}snapshot.json`);
  expect(res.status).toBe(200);
  return (await res.json()) as Snapshot;
}

async function labIn(base: string, name: string, until: (l: LabReport) => boolean, timeoutMs = 15_000): Promise<LabReport> {
  const deadline = Date.now() + timeoutMs;
  let last: LabReport | undefined;
  for (;;) {
    last = (await snapshot(base)).labs.find((l) => l.lab === name);
    if (last && until(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`the view never showed ${name} as expected; last:\n${JSON.stringify(last, null, 1).slice(0, 3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the live view', () => {
  it('shows the message segment with the values inspect --json gives, attached read-only, and stops on SIGTERM', async () => {
    const { view, base, keyFile } = await startView();
    lab.key = ftok(keyFile, DEFAULT_PROJECT_ID);
    const server = lab.start(['server', '--key-file', keyFile]);
    await server.waitFor(/ready: segment/);
    const seen = await labIn(base, 'message', (l) => l.segment?.decoded?.map?.state === 2);
    expect(seen.segment!.viewAttached).toBe(true);
    expect(seen.segment!.nattch).toBe(2); // the server and this view
    expect(seen.segment!.cpid.name).toBe('ipc-lab server');
    const inspect = await lab.run(['inspect', '--json', '--key-file', keyFile]);
    expect(inspect.code, inspect.stderr).toBe(0);
    const report = JSON.parse(inspect.stdout) as { regions: unknown[]; verdict: string };
    expect(seen.segment!.decoded!.map!.regions).toEqual(report.regions);
    expect(seen.segment!.decoded!.map!.verdict).toBe(report.verdict);
    // The view has the segment read-only: its own mapping in /proc/PID/maps has no w.
    const pid = seen.segment!.lpid.pid;
    expect(seen.segment!.lpid.name).toBe('ipc-lab view');
    const key = lab.key >>> 0;
    const mapping = readFileSync(`/proc/${pid}/maps`, 'utf8')
      .split('\n')
      .find((l) => l.includes(`/SYSV${key.toString(16).padStart(8, '0')}`));
    expect(mapping, 'the view maps the segment').toBeDefined();
    expect(mapping!.split(/\s+/)[1]).toBe('r--s'); // SHM_RDONLY: readable, shared, never writable

    expect((await server.stop()).code).toBe(0);
    await labIn(base, 'message', (l) => l.segment === null); // let go at once: the segment is gone
    const done = await view.stop();
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/SIGTERM: the view stops/);
    expect(lab.ns.segments()).toEqual([]);
  });

  it('waits for both race sides before it attaches, counts what the reader counts, and lets the writer end', async () => {
    const { base, keyFile } = await startView();
    lab.key = ftok(keyFile, RACE_PROJECT_ID);
    const env = { UNSAFE: '1' };
    const writer = lab.start(['race', 'writer', '--key-file', keyFile], { env });
    // The writer makes its segment and set before it attaches: wait for its attach, not only for them.
    const alone = await labIn(base, 'race', (l) => l.segment !== null && l.semaphores !== null && l.segment.nattch >= 1);
    expect(alone.segment!.viewAttached).toBe(false);
    expect(alone.segment!.waiting).toMatch(/waiting for all 2 sides to attach \(nattch 1\)/);
    expect(alone.semaphores!.semaphores.map((s) => [s.name, s.value])).toEqual([['lock', 1]]);

    const reader = lab.start(['race', 'reader', '--key-file', keyFile, '--seconds', '2'], { env });
    const racing = await labIn(base, 'race', (l) => (l.segment?.decoded?.race?.torn ?? 0) > 0);
    expect(racing.segment!.viewAttached).toBe(true);
    expect(racing.segment!.nattch).toBe(3);
    expect(racing.segment!.decoded!.race!.reads).toBeGreaterThan(racing.segment!.decoded!.race!.torn);
    expect(new Set(racing.segment!.decoded!.race!.lastTorn).size).toBeGreaterThan(1); // two numbers: a torn copy

    const read = await reader.exited;
    expect(read.code).toBe(0);
    const torn = Number(read.stdout.match(/torn (\d+)/)![1]);
    expect(torn).toBeGreaterThanOrEqual(racing.segment!.decoded!.race!.torn);
    // The writer notices that the reader left although the view was attached: the view let go.
    const wrote = await writer.exited;
    expect(wrote.code).toBe(0);
    expect(wrote.stdout).toMatch(/shmctl\(\d+, IPC_RMID\) = 0/);
    await labIn(base, 'race', (l) => l.segment === null && l.semaphores === null);
  });

  it('with the lock the torn count stays 0 while the reads rise', async () => {
    const { base, keyFile } = await startView();
    lab.key = ftok(keyFile, RACE_PROJECT_ID);
    const writer = lab.start(['race', 'writer', '--key-file', keyFile]);
    const reader = lab.start(['race', 'reader', '--key-file', keyFile, '--seconds', '2']);
    const seen = await labIn(base, 'race', (l) => (l.segment?.decoded?.race?.reads ?? 0) > 1000);
    expect(seen.segment!.decoded!.race!.torn).toBe(0);
    expect((await reader.exited).stdout).toMatch(/torn 0 /);
    expect((await writer.exited).code).toBe(0);
  });

  it('follows the ring slot by slot without breaking it: the stream arrives whole and both sides end', async () => {
    const { base, keyFile } = await startView();
    lab.key = ftok(keyFile, RING_PROJECT_ID);
    const producer = lab.start(['ring', 'producer', '--key-file', keyFile, '--bytes', '512MiB', '--slot-size', '4KiB']);
    const consumer = lab.start(['ring', 'consumer', '--key-file', keyFile]);
    const flowing = await labIn(base, 'ring', (l) => (l.ring?.produced ?? 0) > 0 && l.ring?.bytesPerSecond !== null);
    expect(flowing.segment!.decoded!.ring!.slots).toBe(16);
    expect(flowing.ring!.full).toHaveLength(16);
    expect(flowing.ring!.counts.map((c) => c.name)).toEqual(['full', 'empty']);
    expect(flowing.ring!.bytesPerSecond).toBeGreaterThan(0);
    const got = await consumer.exited;
    expect(got.code, got.stdout + got.stderr).toBe(0);
    expect(got.stdout).toMatch(/SHA-256 \w+ matches what was sent/);
    expect((await producer.exited).code).toBe(0);
    await labIn(base, 'ring', (l) => l.segment === null);
    expect(lab.ns.segments()).toEqual([]);
  });

  it('answers GET only: 405 for a POST, its CSP on every page, nothing for a foreign Host', async () => {
    const { base } = await startView();
    const post = await fetch(base, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    for (const path of ['', 'app.js', 'style.css', 'snapshot.json']) {
      const res = await fetch(base + path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-security-policy'), path).toMatch(/default-src 'none'; script-src 'self'/);
    }
    expect((await fetch(`${base}nothing-here`)).status).toBe(404);
    const url = new URL(base);
    const foreign = await new Promise<number>((resolve, reject) => {
      import('node:http').then(({ request }) =>
        request({ host: url.hostname, port: url.port, path: '/', headers: { host: 'attacker.example' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end(),
      );
    });
    expect(foreign).toBe(421);
    // A request line that no URL parser takes: 400, and the view goes on serving.
    const raw = await new Promise<string>((resolve, reject) => {
      import('node:net').then(({ connect }) => {
        const socket = connect(Number(url.port), url.hostname, () => socket.end('GET //[ HTTP/1.1\r\nHost: localhost\r\n\r\n'));
        let got = '';
        socket.setEncoding('utf8').on('data', (d: string) => (got += d));
        socket.on('close', () => resolve(got)).on('error', reject);
      });
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect((await fetch(base)).status).toBe(200);
  });

  it('names a port that is taken, and exits 2 without a stack trace', async () => {
    const { base, keyFile } = await startView();
    const port = new URL(base).port;
    const second = await lab.run(['view', '--port', port, '--key-file', keyFile]);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(
      new RegExp(`port ${port} on 127\\.0\\.0\\.1 is taken by another program: choose another \\(make view VIEW_PORT=8081\\)`),
    );
    expect(second.stderr).not.toMatch(/\n\s+at /);
  });
});
