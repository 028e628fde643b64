/** The handouts' one stylesheet, inlined into every page: readable on screen, clean on paper. */
export const HANDOUT_CSS = `
:root { --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --code-bg: #f6f8fa; --run: #0969da; --out: #1a7f37; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); font: 16px/1.55 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
nav { padding: .6rem 1.2rem; border-bottom: 1px solid var(--line); font-size: .9rem; }
nav a { color: var(--run); text-decoration: none; }
nav a[aria-current] { font-weight: 600; color: var(--ink); }
main { max-width: 62rem; margin: 0 auto; padding: 1rem 1.2rem 3rem; }
h1 { font-size: 1.9rem; border-bottom: 1px solid var(--line); padding-bottom: .3rem; }
h2 { font-size: 1.35rem; margin-top: 2rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
h3 { font-size: 1.1rem; margin-top: 1.5rem; }
a { color: var(--run); }
code { font: .88em/1.45 ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; }
:not(pre) > code { background: var(--code-bg); padding: .1em .3em; border-radius: 4px; }
pre { background: var(--code-bg); border: 1px solid var(--line); border-radius: 6px; padding: .7rem .9rem;
      overflow-x: auto; white-space: pre;
  font: .82rem/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; }
pre code { font: inherit; }
figure { margin: 1rem 0; }
figcaption { font-size: .78rem; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; color: var(--muted);
             margin-bottom: .25rem; }
figure.run pre { border-left: 4px solid var(--run); }
figure.output pre { border-left: 4px solid var(--out); background: #fbfcfd; }
.ph { color: #8250df; font-style: italic; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid var(--line); padding: .35rem .6rem; text-align: left; vertical-align: top; }
th { background: var(--code-bg); }
blockquote { margin: 1rem 0; padding: .2rem 1rem; color: var(--muted); border-left: 4px solid var(--line); }
@media print {
  @page { size: A4; }
  body { font-size: 10.5pt; }
  nav { display: none; }
  main { max-width: none; padding: 0; }
  main.handout { break-before: page; }
  h1, h2, h3 { break-after: avoid; }
  figure, pre, table { break-inside: avoid; }
  pre { overflow: visible; padding: .4rem .5rem; }
  pre.w1 { font-size: 8pt; }
  pre.w2, pre.w3 { font-size: 5.9pt; }
  pre.w3 { white-space: pre-wrap; overflow-wrap: anywhere; }
  a { color: inherit; }
}
`;
