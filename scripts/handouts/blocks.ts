/**
 * The runnable steps of a handout. In the Markdown, a step is a fenced block whose info string
 * is `sh run` (plus `exit=N` when the command is meant to fail, `timeout=SECONDS` when it is
 * slow), followed by a `text output` block with what it prints (prose may come in between).
 * Plain `sh` blocks are shown, never run: per-platform setup, commands that need a terminal.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Lexer, type Token, type Tokens } from 'marked';

export interface Step {
  readonly file: string;
  /** 1-based line of the command block's opening fence. */
  readonly line: number;
  readonly command: string;
  readonly exitCode: number;
  readonly timeoutSeconds: number;
  readonly expected: { readonly text: string; readonly line: number } | undefined;
}

export interface Handout {
  readonly file: string;
  readonly name: string;
  readonly title: string;
  readonly steps: readonly Step[];
  /** Format mistakes (an output block with no command, an unknown attribute): nothing runs while there are any. */
  readonly problems: readonly string[];
}

const DEFAULT_TIMEOUT_SECONDS = 180;
const RUNNABLE_LANGS = new Set(['sh', 'bash']);

/** The handouts of a folder in order (00-setup.md ... instructor-notes.md), without its README. */
export function handoutFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md') && f !== 'README.md')
    .sort()
    .map((f) => join(dir, f));
}

/** `sh run exit=1 timeout=300` → lang, words and attributes. */
export function parseInfo(info: string): { lang: string; words: Set<string>; attrs: Map<string, string> } {
  const [lang = '', ...rest] = info.trim().split(/\s+/);
  const words = new Set<string>();
  const attrs = new Map<string, string>();
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq > 0) attrs.set(part.slice(0, eq), part.slice(eq + 1));
    else words.add(part);
  }
  return { lang, words, attrs };
}

/** Every fenced code block, in document order, nested ones (in lists) included. */
function fencedBlocks(tokens: readonly Token[]): Tokens.Code[] {
  const out: Tokens.Code[] = [];
  const visit = (list: readonly Token[]): void => {
    for (const token of list) {
      if (token.type === 'code' && (token as Tokens.Code).codeBlockStyle !== 'indented') out.push(token as Tokens.Code);
      const nested = token as { tokens?: Token[]; items?: Token[] };
      if (nested.items) visit(nested.items);
      if (nested.tokens) visit(nested.tokens);
    }
  };
  visit(tokens);
  return out;
}

/** The 1-based line of every opening fence, in document order (CommonMark: ``` or ~~~, closed by the same or longer). */
function fenceLines(source: string): number[] {
  const lines: number[] = [];
  let open: { char: string; length: number } | undefined;
  for (const [i, line] of source.split('\n').entries()) {
    const m = /^\s*(`{3,}|~{3,})(.*)$/.exec(line);
    if (!m) continue;
    const fence = m[1]!;
    if (!open) {
      open = { char: fence[0]!, length: fence.length };
      lines.push(i + 1);
    } else if (fence[0] === open.char && fence.length >= open.length && m[2]!.trim() === '') {
      open = undefined;
    }
  }
  return lines;
}

export function parseHandout(file: string, source = readFileSync(file, 'utf8')): Handout {
  const text = source.replace(/\r\n/g, '\n'); // a zip download or a Windows editor may bring CRLF
  const tokens = new Lexer().lex(text);
  const title =
    (tokens.find((t) => t.type === 'heading' && (t as Tokens.Heading).depth === 1) as Tokens.Heading | undefined)?.text ?? basename(file);
  const problems: string[] = [];
  const steps: Step[] = [];
  const starts = fenceLines(text);
  const blocks = fencedBlocks(tokens).map((block, k) => ({ block, info: parseInfo(block.lang ?? ''), line: starts[k] ?? 0 }));
  if (starts.length !== blocks.length)
    problems.push(`${basename(file)}: ${starts.length} code fences but ${blocks.length} code blocks: an unclosed fence?`);
  for (const [i, { block, info, line }] of blocks.entries()) {
    const where = `${basename(file)}:${line}`;
    if (info.words.has('output')) {
      for (const word of info.words)
        if (word !== 'output') problems.push(`${where}: unknown word ${JSON.stringify(word)} in \`${block.lang}\``);
      if (!blocks[i - 1]?.info.words.has('run')) problems.push(`${where}: an output block must follow a \`sh run\` block`);
      continue;
    }
    if (!info.words.has('run')) continue;
    if (!RUNNABLE_LANGS.has(info.lang)) problems.push(`${where}: only \`sh run\` (or \`bash run\`) blocks run, not \`${block.lang}\``);
    for (const word of info.words) if (word !== 'run') problems.push(`${where}: unknown word ${JSON.stringify(word)} in \`${block.lang}\``);
    for (const key of info.attrs.keys())
      if (key !== 'exit' && key !== 'timeout') problems.push(`${where}: unknown attribute ${JSON.stringify(key)} (known: exit, timeout)`);
    const exitCode = Number(info.attrs.get('exit') ?? 0);
    const timeoutSeconds = Number(info.attrs.get('timeout') ?? DEFAULT_TIMEOUT_SECONDS);
    if (!Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255) problems.push(`${where}: exit= takes an exit code, 0 to 255`);
    if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) problems.push(`${where}: timeout= takes a number of seconds`);
    const next = blocks[i + 1];
    const expected = next?.info.words.has('output') ? { text: next.block.text, line: next.line } : undefined;
    if (!expected) problems.push(`${where}: a \`sh run\` block needs a \`text output\` block after it (empty if it prints nothing)`);
    steps.push({ file, line, command: block.text, exitCode, timeoutSeconds, expected });
  }
  return { file, name: basename(file), title, steps, problems };
}
