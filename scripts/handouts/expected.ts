/**
 * Does what a command printed match the expected-output block under it in a handout?
 *
 * The rules, which the handouts' README gives readers too:
 *   - every line must match, in order, apart from trailing spaces and blank lines at either end;
 *   - a run of spaces matches a run of spaces (or tabs) of any length (table columns move when
 *     a varying value is wider or narrower; gdb separates its columns with tabs);
 *   - a line holding only `...` matches any number of lines (build progress, say), and `...`
 *     inside a line matches any text;
 *   - placeholders (placeholders.ts) match the values that vary; a named one (`<shmid:s>`)
 *     must be the same value everywhere in the handout; `\<key>` is the text <key> itself.
 * Terminal escapes (colours, compose's erase-line) are removed from the output first. Output
 * from a pipe may match with stdout and stderr interleaved differently (see matchOutput).
 */
import { stripVTControlCharacters } from 'node:util';
import { PLACEHOLDERS, scanPlaceholders, type Segment } from './placeholders.ts';

export type Bindings = ReadonlyMap<string, string>;

export type MatchResult = { readonly ok: true; readonly bindings: Bindings } | { readonly ok: false; readonly reason: string };

type Part = { readonly source: string } | { readonly pattern: string; readonly bind: string | undefined; readonly raw: string };
type Line =
  | { readonly kind: 'any-lines'; readonly text: string }
  | { readonly kind: 'line'; readonly text: string; readonly parts: readonly Part[] };

/** Past this many steps a block is too ambiguous to check (`...` lines with nothing to anchor them). */
const STEP_BUDGET = 500_000;

/**
 * One line as a terminal leaves it: carriage returns and "cursor to column n" move the cursor,
 * "erase line" sequences erase, other characters overwrite; colours and other escapes show
 * nothing. (npm's spinner and compose's erase-line redraw this way. Cursor-up redraws of
 * several lines are not replayed: they only happen in build and progress output, which
 * handouts leave to `...`.)
 */
function terminalLine(raw: string): string {
  const cells: string[] = [];
  let cursor = 0;
  const escapeSequence = /\x1b\[([0-9;?]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/y;
  for (let i = 0; i < raw.length; ) {
    const ch = raw[i]!;
    if (ch === '\x1b') {
      escapeSequence.lastIndex = i;
      const m = escapeSequence.exec(raw);
      if (!m) {
        i++;
        continue;
      }
      i = escapeSequence.lastIndex;
      const n = m[1] === undefined || m[1] === '' ? undefined : Number(m[1]);
      if (m[2] === 'G') cursor = Math.max(0, (n ?? 1) - 1);
      else if (m[2] === 'K' && (n ?? 0) === 0) cells.length = Math.min(cells.length, cursor);
      else if (m[2] === 'K' && n === 1) for (let k = 0; k < Math.min(cursor + 1, cells.length); k++) cells[k] = ' ';
      else if (m[2] === 'K' && n === 2) cells.length = 0;
      continue;
    }
    i++;
    if (ch === '\r') cursor = 0;
    else if (ch === '\0' || ch === '\x07')
      continue; // NUL and BEL show nothing
    else {
      while (cells.length < cursor) cells.push(' ');
      cells[cursor++] = ch;
    }
  }
  return cells.join('');
}

/** What a terminal shows of the output, line by line, without trailing spaces or blank ends. */
export function normalizeOutput(text: string): string[] {
  const lines = text
    .replace(/\r+\n/g, '\n')
    .split('\n')
    .map((line) => stripVTControlCharacters(terminalLine(line)).trimEnd());
  while (lines.length > 0 && lines[0] === '') lines.shift();
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  return lines;
}

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Plain expected text as a pattern: `...` is any text, a run of spaces or tabs any such run. */
const literal = (text: string): string =>
  text
    .split('...')
    .map((piece) =>
      piece
        .split(/([ \t]+)/)
        .map((bit) => (/^[ \t]/.test(bit) ? '[ \\t]+' : escapeRegex(bit)))
        .join(''),
    )
    .join('.*?');

function compileLine(text: string): Line {
  if (text.trim() === '...') return { kind: 'any-lines', text };
  const parts = scanPlaceholders(text).map(
    (segment: Segment): Part =>
      'text' in segment
        ? { source: literal(segment.text) }
        : {
            pattern: PLACEHOLDERS[segment.kind].pattern,
            bind: segment.name === undefined ? undefined : `${segment.kind}:${segment.name}`,
            raw: segment.raw,
          },
  );
  return { kind: 'line', text, parts };
}

function compileExpected(text: string): Line[] {
  return normalizeOutput(text).map(compileLine);
}

/**
 * The line as one regular expression under the bindings so far: a bound placeholder is its
 * value, an unbound named one a named group (repeated in the line: a back-reference), an
 * unnamed one a plain group. Matching against bound values directly, rather than checking a
 * capture afterwards, lets `<shmid:s>...` with s=3 match "34".
 */
function lineRegex(line: Extract<Line, { kind: 'line' }>, bindings: Bindings): { regex: RegExp; groups: Map<string, string> } {
  const groups = new Map<string, string>(); // binding name -> group name
  let source = '';
  for (const part of line.parts) {
    if ('source' in part) source += part.source;
    else if (part.bind === undefined) source += `(?:${part.pattern})`;
    else if (bindings.has(part.bind)) source += escapeRegex(bindings.get(part.bind)!);
    else if (groups.has(part.bind)) source += `\\k<${groups.get(part.bind)}>`;
    else {
      const group = `b${groups.size}`;
      groups.set(part.bind, group);
      source += `(?<${group}>${part.pattern})`;
    }
  }
  return { regex: new RegExp(`^${source}$`), groups };
}

function matchLine(line: Extract<Line, { kind: 'line' }>, actual: string, bindings: Bindings): Bindings | undefined {
  const { regex, groups } = lineRegex(line, bindings);
  const m = regex.exec(actual);
  if (!m) return undefined;
  if (groups.size === 0) return bindings;
  const next = new Map(bindings);
  for (const [name, group] of groups) next.set(name, m.groups![group]!);
  return next;
}

interface Progress {
  expected: number;
  actual: number;
  bindings: Bindings;
  steps: number;
  firstReach: number[];
}

/** Every way to go on in each stream from its current line: none or more lines skipped in each. */
function* advances(at: readonly number[], streams: readonly (readonly string[])[], s = 0): Generator<number[]> {
  if (s === at.length) return yield [...at];
  for (let k = at[s]!; k <= streams[s]!.length; k++) {
    for (const rest of advances(at, streams, s + 1)) yield Object.assign(rest, { [s]: k });
  }
}

/**
 * Backtracking match of expected lines against one or more output streams: each expected line
 * is the next line of one of them, so separate streams may interleave in any order while each
 * keeps its own. `furthest` records how far it got (read for one stream only, by explain).
 */
function matchLines(
  expected: readonly Line[],
  streams: readonly (readonly string[])[],
  bindings: Bindings,
  furthest: Progress,
): Bindings | undefined {
  const failed = new Set<string>();
  const walk = (i: number, at: readonly number[], b: Bindings): Bindings | undefined => {
    if (++furthest.steps > STEP_BUDGET) return undefined;
    const j = at[0] ?? 0;
    furthest.firstReach[i] = Math.min(furthest.firstReach[i] ?? j, j);
    if (i > furthest.expected || (i === furthest.expected && j > furthest.actual))
      Object.assign(furthest, { expected: i, actual: j, bindings: b });
    if (i === expected.length) return at.every((k, s) => k === streams[s]!.length) ? b : undefined;
    const memo = `${i},${at.join(',')},${[...b].join(';')}`;
    if (failed.has(memo)) return undefined;
    const line = expected[i]!;
    let result: Bindings | undefined;
    if (line.kind === 'any-lines') {
      for (const next of advances(at, streams)) {
        result = walk(i + 1, next, b);
        if (result !== undefined) break;
      }
    } else {
      for (let s = 0; s < streams.length && result === undefined; s++) {
        const actual = streams[s]![at[s]!];
        const next = actual === undefined ? undefined : matchLine(line, actual, b);
        if (next) result = walk(i + 1, Object.assign([...at], { [s]: at[s]! + 1 }), next);
      }
    }
    if (result === undefined) failed.add(memo);
    return result;
  };
  return walk(
    0,
    streams.map(() => 0),
    bindings,
  );
}

function explain(expected: readonly Line[], actual: readonly string[], furthest: Progress): string {
  const afterAny = furthest.expected > 0 && expected[furthest.expected - 1]?.kind === 'any-lines';
  const mark = afterAny ? (furthest.firstReach[furthest.expected - 1] ?? furthest.actual) : furthest.actual;
  const shown = actual.map((line, k) => `${k === mark ? '>' : ' '} ${String(k + 1).padStart(3)} | ${line}`).join('\n');
  const output = `\n--- what it printed (escapes removed) ---\n${shown || '   (nothing)'}`;
  if (furthest.steps > STEP_BUDGET)
    return `the expected block is too ambiguous to check (its \`...\` lines can match in too many ways): anchor them with more lines${
      output
    }`;
  const wanted = expected[furthest.expected];
  if (!wanted)
    return (
      `the expected lines all matched, but output line ${furthest.actual + 1} (marked >) and those after it are not in the expected ` +
      `block${output}`
    );
  const from = mark;
  let what =
    afterAny && from < actual.length
      ? `expected line ${furthest.expected + 1}, ${JSON.stringify(wanted.text)}, matches no output line from line ${from + 1} (marked >) on`
      : `expected line ${furthest.expected + 1}, ${JSON.stringify(wanted.text)}, does not match ` +
        (from < actual.length ? `output line ${from + 1} (marked >)` : 'anything: the output ended before it');
  // Would it match but for a value bound earlier? Then say which.
  if (wanted.kind === 'line') {
    const candidates = actual.slice(mark);
    const named = wanted.parts.filter(
      (p): p is Extract<Part, { bind: string | undefined }> => 'bind' in p && p.bind !== undefined && furthest.bindings.has(p.bind),
    );
    if (named.length > 0 && candidates.some((text) => matchLine(wanted, text, new Map()))) {
      const earlier = named.map((p) => `${p.raw}, which was ${furthest.bindings.get(p.bind!)} earlier in the handout`);
      what += `; it would match but for ${earlier.join(' and ')}`;
    }
  }
  return `${what}${output}`;
}

/** What a command printed through a pipe: stdout and stderr apart, and both as they arrived. */
export interface Streams {
  readonly arrived: string;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Matches the expected block against the output. Given the streams apart (a pipe), the block
 * may also be stdout and stderr interleaved in another order than they arrived in: Docker
 * copies a container's two streams separately (dockerd reads each in its own goroutine), so
 * `docker compose exec -T` can deliver a program's error line before the notes it printed
 * first. On a terminal there is one stream and the order is exact.
 */
export function matchOutput(expectedText: string, actual: string | Streams, bindings: Bindings = new Map()): MatchResult {
  const expected = compileExpected(expectedText);
  const arrived = normalizeOutput(typeof actual === 'string' ? actual : actual.arrived);
  const furthest: Progress = { expected: 0, actual: 0, bindings, steps: 0, firstReach: [] };
  const next =
    matchLines(expected, [arrived], bindings, furthest) ??
    (typeof actual === 'string' || actual.stdout === '' || actual.stderr === ''
      ? undefined
      : matchLines(expected, [normalizeOutput(actual.stdout), normalizeOutput(actual.stderr)], bindings, {
          ...furthest,
          steps: 0,
          firstReach: [],
        }));
  return next ? { ok: true, bindings: next } : { ok: false, reason: explain(expected, arrived, furthest) };
}
