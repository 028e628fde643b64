// `make handouts` renders self-contained HTML; headless Chromium opens a rendered handout and
// finds the memory map and the message, with the map's columns intact on screen and on paper.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, launchOptions, NO_CHROMIUM } from '../../scripts/handouts/chromium.ts';
import { outputHtml } from '../../scripts/handouts/render.ts';
import { ROOT } from '../support/cli.ts';

const OUT = join(ROOT, 'out/handouts');
const browserPath = findChromium();
// On a workstation without a browser this is skipped with the reason; CI installs Chromium.
const needsBrowser = browserPath || process.env.CI ? describe : describe.skip;
const MAP_ROW = '0000  49 50 43 4c 01 00 10 00  02 00 00 00 40 00 00 00  |IPCL........@...|';

describe('an expected-output block as HTML', () => {
  it('sets placeholders apart, and shows a backslash-escaped one as the plain text it is', () => {
    expect(outputHtml('ipcrm -M \\<key> for <shmid:s>')).toBe('ipcrm -M &lt;key&gt; for <span class="ph">&lt;shmid:s&gt;</span>');
  });
});

describe('make handouts', () => {
  beforeAll(() => {
    const hasMake = spawnSync('make', ['--version']).status === 0;
    const r = hasMake
      ? spawnSync('make', ['handouts'], { cwd: ROOT, encoding: 'utf8' })
      : spawnSync('npm', ['run', '--silent', 'handouts', '--', 'render'], {
          cwd: ROOT,
          encoding: 'utf8',
          shell: process.platform === 'win32',
        });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  }, 120_000);

  it('writes one self-contained HTML page per handout, an index and a file with them all', () => {
    for (const name of [
      'index',
      '00-setup',
      '03-layout-and-alignment',
      '07-ring-and-performance',
      'instructor-notes',
      'ipc-lab-handouts',
    ]) {
      const html = readFileSync(join(OUT, `${name}.html`), 'utf8');
      expect(html).toMatch(/^<!doctype html>/);
      expect(html).toContain('<style>');
      expect(html, `${name}.html must not load anything`).not.toMatch(/<link\b|<script\b|<img\b[^>]*src="https?:/);
    }
    const all = readFileSync(join(OUT, 'ipc-lab-handouts.html'), 'utf8');
    for (const title of ['0 · Setup', '3 · Layout and alignment', '7 · The ring buffer and performance', 'Instructor notes'])
      expect(all).toContain(title);
    expect(readFileSync(join(OUT, 'index.html'), 'utf8')).toContain('href="03-layout-and-alignment.html"');
  });

  needsBrowser('in headless Chromium', () => {
    let browser: Browser;
    // biome-ignore lint/suspicious/noDuplicateTestHooks: needsBrowser is a describe of its own; this hook is its only one
    beforeAll(async () => {
      if (!browserPath) throw new Error(NO_CHROMIUM);
      browser = await chromium.launch(launchOptions(browserPath));
    }, 60_000);
    afterAll(() => browser?.close());

    it('handout 3 shows the memory map and the message, fetching nothing', async () => {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      const url = pathToFileURL(join(OUT, '03-layout-and-alignment.html')).href;
      await page.goto(url);
      expect(requests).toEqual([url]);
      const map = page.locator('figure.output pre', { hasText: MAP_ROW });
      await expect.poll(() => map.count()).toBe(1);
      expect(await map.isVisible()).toBe(true);
      const text = await map.textContent();
      for (const row of [MAP_ROW, '      i i i _ n n n n  / _ _ _ d d d d', '0050  ... 944 bytes of zeros (unused) up to 03ff ...'])
        expect(text).toContain(row);
      const message = page.locator('figure.output pre', { hasText: 'PI is defined as: 22/7==3.14286' });
      expect(await message.count()).toBeGreaterThan(0);
      expect(await message.first().isVisible()).toBe(true);
      expect(await page.locator('figure.run figcaption').first().textContent()).toMatch(/run/i);
      // Placeholders stand out; the hint of handout 4 names the real key, no placeholder.
      expect(await page.locator('figure.output .ph', { hasText: '<shmid:s>' }).count()).toBeGreaterThan(0);
      await page.goto(pathToFileURL(join(OUT, '04-lifecycle-and-cleanup.html')).href);
      const hint = page.locator('figure.output pre', { hasText: 'ipcrm -M 0x00001234' });
      expect(await hint.count()).toBe(1);
      await page.close();
    });

    it('prints the memory map on A4 without cutting a line', async () => {
      // A4's 210 mm less the PDF's 2 x 14 mm margins: 182 mm, 688 px at 96 dpi.
      const page = await browser.newPage({ viewport: { width: 688, height: 1000 } });
      await page.goto(pathToFileURL(join(OUT, 'ipc-lab-handouts.html')).href);
      await page.emulateMedia({ media: 'print' });
      const overflow = await page
        .locator('pre')
        .evaluateAll((pres) => pres.filter((p) => p.scrollWidth > p.clientWidth + 1).map((p) => p.textContent?.slice(0, 60)));
      expect(overflow).toEqual([]);
      await page.close();
    });

    it('the PDF of every handout was printed', () => {
      const pdf = readFileSync(join(OUT, 'ipc-lab-handouts.pdf'));
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      const pages = pdf.toString('latin1').match(/\/Type\s*\/Page\b/g)?.length ?? 0;
      expect(pages).toBeGreaterThan(15);
      expect(existsSync(join(OUT, '03-layout-and-alignment.pdf'))).toBe(true);
    });
  });
});
