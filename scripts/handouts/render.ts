/**
 * `make handouts`: the Markdown handouts as self-contained HTML (styles inline, no fetches, so a
 * file opens from a USB stick), one page per handout, an index, and one file with everything
 * for printing; then PDFs through headless Chromium where one is installed.
 *
 * Code blocks keep their exact columns: memory maps and tables are preformatted text, sized
 * by their widest line so a map still fits an A4 page when printed.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Marked, type Tokens } from 'marked';
import { chromium } from 'playwright-core';
import { handoutFiles, parseHandout, parseInfo, type Handout } from './blocks.ts';
import { findChromium, launchOptions, NO_CHROMIUM } from './chromium.ts';
import { scanPlaceholders } from './placeholders.ts';
import { HANDOUT_CSS } from './style.ts';

export interface Rendered {
  readonly html: string[];
  readonly pdf: string[];
  /** Why there is no PDF, when there is none. */
  readonly pdfSkipped: string | undefined;
}

const escapeHtml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Narrow blocks print at a normal size; wide ones smaller; the widest also wrap. */
function widthClass(text: string): string {
  const widest = Math.max(0, ...text.split('\n').map((line) => line.length));
  return widest <= 90 ? 'w1' : widest <= 130 ? 'w2' : 'w3';
}

/** An expected-output block, its placeholders set apart (a backslash-escaped one is plain text). */
export const outputHtml = (text: string): string =>
  text
    .split('\n')
    .map((line) =>
      scanPlaceholders(line)
        .map((segment) => ('text' in segment ? escapeHtml(segment.text) : `<span class="ph">${escapeHtml(segment.raw)}</span>`))
        .join(''),
    )
    .join('\n');

function codeBlock({ text, lang }: Tokens.Code): string {
  const info = parseInfo(lang ?? '');
  let body = escapeHtml(text);
  let caption = '';
  let kind = 'code';
  if (info.words.has('run')) {
    kind = 'run';
    const exit = info.attrs.get('exit');
    caption = exit && exit !== '0' ? `Run (it fails on purpose, exit code ${escapeHtml(exit)})` : 'Run';
  } else if (info.words.has('output')) {
    if (text.trim() === '') return '<figure class="output"><figcaption>You should see nothing: it prints nothing</figcaption></figure>\n';
    kind = 'output';
    caption = 'You should see';
    body = outputHtml(text);
  }
  const pre = `<pre class="${kind} ${widthClass(text)}"><code>${body}</code></pre>`;
  return caption ? `<figure class="${kind}"><figcaption>${caption}</figcaption>${pre}</figure>\n` : `${pre}\n`;
}

function markdown(): Marked {
  return new Marked({
    gfm: true,
    renderer: { code: codeBlock },
    walkTokens(token) {
      // Links between handouts point at the rendered pages.
      if (token.type === 'link') token.href = token.href.replace(/^([\w.-]+)\.md(?=#|$)/, '$1.html');
    },
  });
}

const page = (title: string, body: string): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${HANDOUT_CSS}</style>
</head>
<body>
${body}
</body>
</html>
`;

export async function renderHandouts(sourceDir: string, outDir: string, options: { pdf?: boolean } = {}): Promise<Rendered> {
  rmSync(outDir, { recursive: true, force: true }); // no stale page or PDF from an earlier run
  mkdirSync(outDir, { recursive: true });
  const md = markdown();
  const files = handoutFiles(sourceDir);
  const handouts: { handout: Handout; html: string; out: string }[] = [];
  for (const file of files) {
    const handout = parseHandout(file);
    const html = await md.parse(readFileSync(file, 'utf8').replace(/\r\n/g, '\n'));
    handouts.push({ handout, html, out: join(outDir, basename(file).replace(/\.md$/, '.html')) });
  }
  const nav = (current?: string): string =>
    `<nav><a href="index.html">ipc-lab handouts</a>${handouts
      .map(
        ({ handout, out }) =>
          ` · <a href="${basename(out)}"${basename(out) === current ? ' aria-current="page"' : ''}>${escapeHtml(
            handout.name
              .replace(/\.md$/, '')
              .replace(/^(\d+)-.*/, '$1')
              .replace(/^instructor-notes$/, 'notes'),
          )}</a>`,
      )
      .join('')}</nav>`;
  const written: string[] = [];
  for (const { handout, html, out } of handouts) {
    writeFileSync(out, page(`${handout.title} · ipc-lab`, `${nav(basename(out))}\n<main>\n${html}</main>`));
    written.push(out);
  }
  const readme = await md.parse(readFileSync(join(sourceDir, 'README.md'), 'utf8'));
  const index = join(outDir, 'index.html');
  writeFileSync(index, page('ipc-lab handouts', `${nav('index.html')}\n<main>\n${readme}</main>`));
  const all = join(outDir, 'ipc-lab-handouts.html');
  writeFileSync(
    all,
    page(
      'ipc-lab handouts (all, for printing)',
      `<main>\n${readme}</main>\n${handouts.map(({ html }) => `<main class="handout">\n${html}</main>`).join('\n')}`,
    ),
  );
  written.push(index, all);

  if (options.pdf === false) return { html: written, pdf: [], pdfSkipped: 'not asked for' };
  const executable = findChromium();
  if (!executable) return { html: written, pdf: [], pdfSkipped: NO_CHROMIUM };
  const pdfs: string[] = [];
  const browser = await chromium.launch(launchOptions(executable));
  try {
    const tab = await browser.newPage();
    for (const html of [all, ...written.filter((f) => f !== all && f !== index)]) {
      await tab.goto(pathToFileURL(html).href);
      const pdf = html.replace(/\.html$/, '.pdf');
      await tab.pdf({
        path: pdf,
        format: 'A4',
        printBackground: true,
        margin: { top: '14mm', bottom: '16mm', left: '14mm', right: '14mm' },
        displayHeaderFooter: true,
        headerTemplate: '<span></span>',
        footerTemplate:
          '<div style="font: 8px sans-serif; width: 100%; text-align: center; color: #666"><span class="title"></span> · <span ' +
          'class="pageNumber"></span>/<span class="totalPages"></span></div>',
      });
      pdfs.push(pdf);
    }
  } finally {
    await browser.close();
  }
  return { html: written, pdf: pdfs, pdfSkipped: undefined };
}
