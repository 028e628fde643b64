/**
 * Does what a command printed match the expected-output block under it in a handout?
 *
 * The rules, which the handouts' README gives readers too:
 *   - every line must match, in order, apart from trailing spaces and blank lines at either end;
 *   - a run of spaces matches a run of spaces of any length (table columns move when a varying
 *     value is wider or narrower);
 *   - a line holding only `...` matches any number of lines (build progress, say), and `...`
 *     inside a line matches any text;
 *   - placeholders (placeholders.ts) match the values that vary; named ones must agree;
 *     `\<key>` (a backslash before it) is the text <key> itself.
 * Terminal escapes (colours, compose's erase-line) are removed from the output first.
 */
import { stripVTControlCharacters } from 'node:util';
import { isPlaceholderKind, PLACEHOLDERS, PLACEHOLDER_SYNTAX } from './placeholders.ts';

export type Bindings = ReadonlyMap<string, string>;

export type MatchResult =
  | { readonly ok: true; readonly bindings: Bindings }
  | { readonly ok: false; readonly reason: string };

type Line =
  | { readonly kind: 'any-lines'; readonly text: string }
  | { readonly kind: 'line'; readonly text: string; readonly regex: RegExp; readonly binds: readonly (string | undefined)[] };

/** What a terminal shows of the output: no escapes, no carriage-return redraws, no trailing spaces. */
export function normalizeOutput(text: string): string[] {
  const lines = stripVTControlCharacters(text)
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((line) => (line.includes('\r') ? line.slice(line.lastIndexOf('\r') + 1) : line).trimEnd());
  while (lines.length > 0 && lines[0] === '') lines.shift();
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  return lines;
}

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One line of an expected block as a regular expression, each placeholder a capture group. */
function compileLine(text: string): Line {
  if (text.trim() === '...') return { kind: 'any-lines', text };
  const binds: (string | undefined)[] = [];
  let source = '';
  const literal = (part: string): string =>
    part.split('...').map((piece) => piece.split(/( +)/).map((bit) => (bit.startsWith(' ') ? ' +' : escapeRegex(bit))).join('')).join('.*?');
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER_SYNTAX)) {
    const kind = m[1]!;
    if (!isPlaceholderKind(kind)) continue; // `<none>` and the like are plain text
    if (text[m.index - 1] === '\\') { // `\<key>` is the text <key> itself
      source += literal(text.slice(last, m.index - 1)) + literal(m[0]);
      last = m.index + m[0].length;
      continue;
    }
    source += literal(text.slice(last, m.index));
    source += `(${PLACEHOLDERS[kind].pattern})`;
    binds.push(m[2] === undefined ? undefined : `${kind}:${m[2]}`);
    last = m.index + m[0].length;
  }
  source += literal(text.slice(last));
  return { kind: 'line', text, regex: new RegExp(`^${source}$`), binds };
}

export function compileExpected(text: string): Line[] {
  return normalizeOutput(text).map(compileLine);
}

/** The bindings after matching one line, or undefined when it does not match or disagrees. */
function matchLine(line: Extract<Line, { kind: 'line' }>, actual: string, bindings: Bindings): Bindings | undefined {
  const m = line.regex.exec(actual);
  if (!m) return undefined;
  let next: Map<string, string> | undefined;
  for (const [i, name] of line.binds.entries()) {
    if (name === undefined) continue;
    const value = m[i + 1]!;
    const bound = (next ?? bindings).get(name);
    if (bound !== undefined && bound !== value) return undefined;
    if (bound === undefined) (next ??= new Map(bindings)).set(name, value);
  }
  return next ?? bindings;
}

interface Progress { expected: number; actual: number }

/** Backtracking match of expected lines against actual lines; `furthest` records how far it got. */
function matchLines(expected: readonly Line[], actual: readonly string[], bindings: Bindings, furthest: Progress): Bindings | undefined {
  const failed = new Set<string>();
  const walk = (i: number, j: number, b: Bindings): Bindings | undefined => {
    if (i > furthest.expected || (i === furthest.expected && j > furthest.actual)) Object.assign(furthest, { expected: i, actual: j });
    if (i === expected.length) return j === actual.length ? b : undefined;
    const memo = `${i},${j},${[...b].join(';')}`;
    if (failed.has(memo)) return undefined;
    const line = expected[i]!;
    let result: Bindings | undefined;
    if (line.kind === 'any-lines') {
      for (let k = j; k <= actual.length && result === undefined; k++) result = walk(i + 1, k, b);
    } else if (j < actual.length) {
      const next = matchLine(line, actual[j]!, b);
      if (next) result = walk(i + 1, j + 1, next);
    }
    if (result === undefined) failed.add(memo);
    return result;
  };
  return walk(0, 0, bindings);
}

function explain(expected: readonly Line[], actual: readonly string[], furthest: Progress): string {
  const wanted = expected[furthest.expected];
  const shown = actual.map((line, k) => `${k === furthest.actual ? '>' : ' '} ${String(k + 1).padStart(3)} | ${line}`).join('\n');
  const what = wanted
    ? `expected line ${furthest.expected + 1}, ${JSON.stringify(wanted.text)}, matches no output line ${furthest.actual < actual.length ? `from line ${furthest.actual + 1} (marked >)` : 'after the last one'}`
    : `the expected lines all matched, but output line ${furthest.actual + 1} (marked >) and those after it are not in the expected block`;
  return `${what}\n--- what it printed (escapes removed) ---\n${shown || '   (nothing)'}`;
}

export function matchOutput(expectedText: string, actualText: string, bindings: Bindings = new Map()): MatchResult {
  const expected = compileExpected(expectedText);
  const actual = normalizeOutput(actualText);
  const furthest = { expected: 0, actual: 0 };
  const next = matchLines(expected, actual, bindings, furthest);
  return next ? { ok: true, bindings: next } : { ok: false, reason: explain(expected, actual, furthest) };
}
