/**
 * The runnable steps of a handout. In the Markdown, a step is a fenced block whose info string
 * is `sh run` (plus `exit=N` when the command is meant to fail, `timeout=SECONDS` when it is
 * slow), followed by a `text output` block with what it prints.
 * Plain `sh` blocks are shown, never run: per-platform setup, commands that need a terminal.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
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
  /** Format mistakes (an output block with no command, an unknown attribute): the format test reports them. */
  readonly problems: readonly string[];
}

const DEFAULT_TIMEOUT_SECONDS = 180;

/** `sh run exit=1 timeout=300` → { run, attributes }. */
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
function codeBlocks(tokens: readonly Token[]): Tokens.Code[] {
  const out: Tokens.Code[] = [];
  const visit = (list: readonly Token[]): void => {
    for (const token of list) {
      if (token.type === 'code') out.push(token as Tokens.Code);
      const nested = token as { tokens?: Token[]; items?: Token[] };
      if (nested.items) visit(nested.items);
      if (nested.tokens) visit(nested.tokens);
    }
  };
  visit(tokens);
  return out;
}

export function parseHandout(file: string, source = readFileSync(file, 'utf8')): Handout {
  const tokens = new Lexer().lex(source);
  const title = (tokens.find((t) => t.type === 'heading' && (t as Tokens.Heading).depth === 1) as Tokens.Heading | undefined)?.text ?? basename(file);
  const problems: string[] = [];
  const steps: Step[] = [];
  let cursor = 0;
  const lineOf = (raw: string): number => {
    const at = source.indexOf(raw.trimEnd(), cursor);
    if (at < 0) return 0;
    cursor = at + 1;
    return source.slice(0, at).split('\n').length;
  };
  const blocks = codeBlocks(tokens).map((block) => ({ block, info: parseInfo(block.lang ?? ''), line: lineOf(block.raw) }));
  for (const [i, { block, info, line }] of blocks.entries()) {
    const where = `${basename(file)}:${line}`;
    if (info.words.has('output')) {
      for (const word of info.words) if (word !== 'output') problems.push(`${where}: unknown word ${JSON.stringify(word)} in \`${block.lang}\``);
      const before = blocks[i - 1];
      if (!before?.info.words.has('run')) problems.push(`${where}: an output block must come right after a \`sh run\` block`);
      continue;
    }
    if (!info.words.has('run')) continue;
    for (const word of info.words) if (word !== 'run') problems.push(`${where}: unknown word ${JSON.stringify(word)} in \`${block.lang}\``);
    for (const key of info.attrs.keys()) if (key !== 'exit' && key !== 'timeout') problems.push(`${where}: unknown attribute ${JSON.stringify(key)} (known: exit, timeout)`);
    const exitCode = Number(info.attrs.get('exit') ?? 0);
    const timeoutSeconds = Number(info.attrs.get('timeout') ?? DEFAULT_TIMEOUT_SECONDS);
    if (!Number.isInteger(exitCode) || !(timeoutSeconds > 0)) problems.push(`${where}: exit= takes an integer and timeout= a number of seconds`);
    const next = blocks[i + 1];
    const expected = next?.info.words.has('output')
      ? { text: next.block.text, line: next.line }
      : undefined;
    if (!expected) problems.push(`${where}: a \`sh run\` block needs a \`text output\` block right after it (empty if it prints nothing)`);
    steps.push({ file, line, command: block.text, exitCode, timeoutSeconds, expected });
  }
  return { file, name: basename(file), title, steps, problems };
}
