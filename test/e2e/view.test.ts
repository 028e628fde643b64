/**
 * make view end to end: the view service on the real engine, and headless Chromium (Debian's,
 * through playwright-core) watching the page while make up STEP=1, make race and make ring run.
 * Screenshots of the three go to out/ (view-message.png, view-race.png, view-ring.png).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, launchOptions, NO_CHROMIUM } from '../../scripts/handouts/chromium.ts';
import { ComposeLab, engineFromContext } from '../../src/docker/compose-lab.ts';
import { ROOT } from '../support/cli.ts';
import { make, stripComposeEscapes } from './support.ts';

// make view's script (scripts/lab/view.sh) follows the view while make up recreates it: without
// make (Windows), the README's plain commands are what a user types, step by step, by hand.
// CI always has make, so there this never skips.
const hasMake = spawnSync('make', ['--version']).status === 0;
const withMake = hasMake || process.env.CI ? describe : describe.skip;
const PORT = '18080';
const BASE = `http://localhost:${PORT}/`;
const OUT = join(ROOT, 'out');
const lab = new ComposeLab();
let viewProcess: ChildProcess;
let viewOutput = '';
let browser: Browser;
let page: Page;
const requests: string[] = [];

/** Polls the page until `probe` returns something, or fails with what it last saw. */
async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`the page never showed ${what}:\n${(await page.textContent('main'))?.slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The first match's attribute, or its text: null while the page shows none. */
const attribute = (selector: string, name: string): Promise<string | null> =>
  page.$$eval(selector, (found, n) => found[0]?.getAttribute(n) ?? null, name);
const text = (selector: string): Promise<string | null> => page.$$eval(selector, (found) => found[0]?.textContent ?? null);

/** Projector mode on or off, whatever it was (a failed test must not leave it switched for the next). */
async function projector(on: boolean): Promise<void> {
  if ((await attribute('#projector', 'aria-pressed')) !== String(on)) await page.click('#projector');
}

/** Samples the page every 50 ms while `work` runs; returns what work returned and every sample. */
async function sampling<S, W>(sample: () => Promise<S>, work: Promise<W>): Promise<{ result: W; samples: S[] }> {
  const samples: S[] = [];
  let done = false;
  const finished = work.finally(() => (done = true));
  while (!done) {
    samples.push(await sample());
    await new Promise((r) => setTimeout(r, 50));
  }
  return { result: await finished, samples };
}

withMake('make view (needs make: the README gives the plain docker compose steps)', () => {
  beforeAll(async () => {
    const executablePath = findChromium();
    if (!executablePath) throw new Error(NO_CHROMIUM);
    mkdirSync(OUT, { recursive: true });
    await make('down');
    viewProcess = spawn('make', ['view', `VIEW_PORT=${PORT}`], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    viewProcess.stdout!.setEncoding('utf8').on('data', (d: string) => (viewOutput += d));
    viewProcess.stderr!.setEncoding('utf8').on('data', (d: string) => (viewOutput += d));
    const deadline = Date.now() + 600_000;
    while (!viewOutput.includes(`the live view: ${BASE}`)) {
      if (viewProcess.exitCode !== null || Date.now() > deadline) throw new Error(`make view did not start:\n${viewOutput}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    browser = await chromium.launch(launchOptions(executablePath));
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(BASE);
    await until(async () => ((await page.textContent('#status'))?.startsWith('live') ? true : undefined), 'the live status');
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await make('down');
    viewProcess?.kill('SIGKILL');
  }, 300_000);

  describe('make view', () => {
    it('prints where the view is, and publishes it on 127.0.0.1 only, locked down like the lab', async () => {
      expect(viewOutput).toContain(`the live view: ${BASE}`);
      expect(viewOutput).toContain('Ctrl-C stops the view');
      const view = await lab.require('view');
      const info = await engineFromContext().getContainer(view.id).inspect();
      expect(info.HostConfig.PortBindings).toEqual({ '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: PORT }] });
      expect(info.HostConfig.NetworkMode).toBe('ipc-lab_view'); // its own network, not the shared default bridge
      expect(info.Config.User).toBe('10001:10001');
      expect(info.HostConfig.ReadonlyRootfs).toBe(true);
      expect(info.HostConfig.CapDrop).toEqual(['ALL']);
      expect(info.HostConfig.SecurityOpt).toContain('no-new-privileges:true');
      const server = await lab.require('server');
      expect(info.HostConfig.IpcMode).toBe(`container:${server.id}`);
    });

    it('answers a POST with 405, and serves its page with a CSP', async () => {
      const post = await fetch(BASE, { method: 'POST', body: 'x' });
      expect(post.status).toBe(405);
      const get = await fetch(BASE);
      expect(get.headers.get('content-security-policy')).toMatch(
        /^default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'/,
      );
    });

    it('during make up STEP=1 shows the fields in the order the server writes them, with the values inspect --json gives', async () => {
      const arrivals = () =>
        page.$$eval('[data-lab="message"] .arrivals li', (items) =>
          items.map((li) => ({ field: li.dataset.field!, at: Number(li.dataset.at) })),
        );
      const up = await make('up', { STEP: '1' });
      expect(up.code, up.stdout + up.stderr).toBe(0);
      expect(up.stdout).toContain('the live view runs (make view): it is recreated with the server');
      // The order the server wrote them in, from its own log lines.
      const log = stripComposeEscapes((await lab.logs('server')).stdout);
      const written = [...log.matchAll(/wrote (?:[\w ]+ )?(\w+)(?:\[\d+\])? at offset (\d+)/g)].map((m) => m[1]!);
      expect(written.length).toBeGreaterThanOrEqual(11);
      const seen = await until(async () => {
        const a = await arrivals();
        return a.length >= written.length + 1 ? a : undefined; // the fields, and lab_header.state
      }, 'every field arrive');
      const fields = seen.filter((a) => a.field !== 'lab_header.state');
      expect(fields.map((a) => a.field.split('.')[1])).toEqual(written);
      const times = fields.map((a) => a.at);
      expect(times).toEqual([...times].sort((x, y) => x - y));
      expect(new Set(times).size, `arrival times ${times}`).toBeGreaterThanOrEqual(6); // field by field, not all at once
      // state went 1 (writing), then 2 (ready), as the page recorded it (0 too, if it looked that early)
      expect(await attribute('[data-lab="message"] .states', 'data-states')).toMatch(/^(0,)?1,2$/);
      await page.screenshot({ path: join(OUT, 'view-message.png') });
      const inspect = await lab.exec('server', ['ipc-lab', 'inspect', '--json']);
      expect(inspect.exitCode, inspect.stderr).toBe(0);
      const regions = (JSON.parse(inspect.stdout) as { regions: { kind: string; struct: string; field: string; value: unknown }[] })
        .regions;
      for (const r of regions.filter((x) => x.kind === 'field')) {
        const shown = await text(`[data-lab="message"] tr[data-field="${r.struct}.${r.field}"] td.value`);
        expect(shown, `${r.struct}.${r.field}`).toBe(String(r.value));
      }
    });

    it('fits projector mode into 1280x720 without scrolling', async () => {
      await projector(true);
      const size = await page.$$eval('html', ([html]) => [html!.scrollWidth, html!.scrollHeight]);
      expect(size[0]).toBeLessThanOrEqual(1280);
      expect(size[1]).toBeLessThanOrEqual(720);
      await page.screenshot({ path: join(OUT, 'view-message-projector.png') });
      await projector(false);
    });

    it('during make race UNSAFE=1 the torn counter rises above 0; with the lock it stays 0', async () => {
      // Both counters in one look: two looks could straddle a redraw (the race ending in between).
      const counters = async () => {
        const [reads, torn] = await page.$$eval('.card:not(.ended)[data-lab="race"]', (cards) =>
          ['reads', 'torn'].map((n) => Number(cards[0]?.querySelector(`[data-race="${n}"]`)?.getAttribute('data-value') ?? -1)),
        );
        return { reads: reads!, torn: torn! };
      };
      let shot = false;
      const unsafe = await sampling(
        async () => {
          const c = await counters();
          if (!shot && c.torn > 0) {
            shot = true;
            await page.screenshot({ path: join(OUT, 'view-race.png') });
          }
          return c;
        },
        make('race', { UNSAFE: '1' }),
      );
      expect(unsafe.result.code, unsafe.result.stdout + unsafe.result.stderr).toBe(0);
      expect(unsafe.result.stdout).toContain("the race lab joins the server's IPC namespace, where the view looks");
      expect(Math.max(...unsafe.samples.map((s) => s.torn))).toBeGreaterThan(0);
      expect(shot, 'a screenshot of the race').toBe(true);
      // The page shows the end of that race (its segment removed) before the next one starts, and
      // keeps its last counts on screen, greyed: in projector mode too, within 1280x720.
      await until(
        async () => ((await attribute('.card:not(.ended) [data-race="torn"]', 'data-value')) === null ? true : undefined),
        'the first race end',
      );
      expect(Number(await attribute('.card.ended[data-lab="race"] [data-race="torn"]', 'data-value'))).toBeGreaterThan(0);
      await projector(true);
      const size = await page.$$eval('html', ([html]) => [html!.scrollWidth, html!.scrollHeight]);
      expect(size).toEqual([1280, 720]);
      await page.screenshot({ path: join(OUT, 'view-race-projector.png') });
      await projector(false);
      const locked = await sampling(async () => ({ ...(await counters()), status: await text('#status') }), make('race'));
      expect(locked.result.code, locked.result.stdout + locked.result.stderr).toBe(0);
      const seen = locked.samples.filter((s) => s.reads >= 0);
      expect(Math.max(...seen.map((s) => s.reads))).toBeGreaterThan(0);
      expect(
        seen.filter((s) => s.torn !== 0),
        'samples with torn reads',
      ).toEqual([]);
    });

    it('during make ring the slots fill and empty, full and empty change, and the rate is shown', async () => {
      let shot = false;
      let projectorSize: number[] = [];
      const ring = await sampling(
        async () => {
          const s = {
            full: await text('[data-ring="full"]'),
            semFull: await text('[data-count="full"]'),
            semEmpty: await text('[data-count="empty"]'),
            rate: await text('[data-ring="rate"]'),
            slots: await page.$$eval('path[data-slot]', (paths) => paths.map((p) => p.getAttribute('class')).join(',')),
          };
          if (!shot && s.rate && /B\/s/.test(s.rate)) {
            shot = true;
            await page.screenshot({ path: join(OUT, 'view-ring.png') });
            await projector(true);
            projectorSize = await page.$$eval('html', ([html]) => [html!.scrollWidth, html!.scrollHeight]);
            await page.screenshot({ path: join(OUT, 'view-ring-projector.png') });
            await projector(false);
          }
          return s;
        },
        make('ring', { RING_BYTES: '2GiB', RING_SLOT_SIZE: '4KiB' }),
      );
      expect(ring.result.code, ring.result.stdout + ring.result.stderr).toBe(0);
      expect(ring.result.stdout).toMatch(/SHA-256 \w+ matches what was sent/);
      const shown = ring.samples.filter((s) => s.full !== null);
      expect(shown.length).toBeGreaterThan(5);
      expect(new Set(shown.map((s) => s.slots)).size).toBeGreaterThan(1);
      expect(new Set(shown.map((s) => `${s.semFull}/${s.semEmpty}`)).size).toBeGreaterThan(1);
      expect(shown.some((s) => /\d B\/s|\d [KMG]B\/s/.test(s.rate ?? ''))).toBe(true);
      expect(shot).toBe(true);
      expect(projectorSize, 'projector mode during the ring').toEqual([1280, 720]);
    });

    it('made no request outside its own origin', () => {
      expect(requests.length).toBeGreaterThan(0);
      expect(requests.filter((url) => new URL(url).origin !== new URL(BASE).origin)).toEqual([]);
    });

    it('make down removes the view too, and make view then ends', async () => {
      const down = await make('down');
      expect(down.code, down.stderr).toBe(0);
      expect(await lab.leftovers()).toEqual({ containers: [], volumes: [], networks: [] });
      const code = await new Promise<number | null>((resolve) => {
        if (viewProcess.exitCode !== null) resolve(viewProcess.exitCode);
        else viewProcess.once('exit', (c) => resolve(c));
      });
      expect(code).toBe(0);
      expect(viewOutput).toContain('the view has stopped');
    });
  });
});
