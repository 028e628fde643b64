/**
 * Command-line options, declared once: each option's flag, environment variable, default, help
 * line and parser live together, so the help text, the parsing and the typed value a program
 * gets cannot drift apart. Parsing goes through node:util parseArgs; every problem is a
 * UsageError that names the option (or the environment variable) and what it accepts.
 */
import { parseArgs } from 'node:util';
import { UsageError } from '../core/errors.ts';

export interface OptionSpec<T> {
  /** The long flag without dashes, e.g. `key-file`. */
  readonly flag: string;
  readonly short?: string;
  /** Where the value comes from when the flag is not given. */
  readonly env?: string;
  /** The value's placeholder in the help, e.g. PATH; none for a boolean flag. */
  readonly arg?: string;
  readonly help: string;
  /** The value when neither the flag nor the environment gives one. */
  readonly fallback: T;
  /** The default as the help shows it; undefined: not shown. */
  readonly shown?: string;
  /** Text to value; throws a UsageError naming `source` (`--key` or `IPC_LAB_KEY (environment)`). */
  readonly parse?: (text: string, source: string) => T;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec<unknown>>>;
export type ValuesOf<S extends OptionSpecs> = { -readonly [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never };

// ---------------------------------------------------------------------------------------------
// The kinds of option.

/** An option with a value; a number or text default is shown in the help as it is, unless `shown` says otherwise. */
export function valued<T>(
  flag: string,
  spec: Omit<OptionSpec<T>, 'flag'> & { readonly arg: string; readonly parse: (text: string, source: string) => T },
): OptionSpec<T> {
  const { fallback } = spec;
  const shown = spec.shown ?? (typeof fallback === 'number' || typeof fallback === 'string' ? String(fallback) : undefined);
  return { flag, ...spec, ...(shown === undefined ? {} : { shown }) };
}

/** 65536 as 64KiB, 268435456 as 256MiB: how the help shows a size. */
export function sizeText(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 1 << 30],
    ['MiB', 1 << 20],
    ['KiB', 1 << 10],
  ] as const)
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  return String(bytes);
}

/** A switch: present or not; from its environment variable, 1 or 0 (true or false), anything else refused. */
export function boolean(flag: string, help: string, env?: string): OptionSpec<boolean> {
  const parse = (text: string, source: string): boolean => {
    const t = text.trim().toLowerCase();
    if (t === '1' || t === 'true') return true;
    if (t === '0' || t === 'false') return false;
    throw new UsageError(`${source} is ${JSON.stringify(text)}: give 1 (for --${flag}) or 0`);
  };
  return { flag, help, fallback: false, ...(env === undefined ? {} : { env, parse }) };
}

// ---------------------------------------------------------------------------------------------
// The parsers the lab's options share.

function integer(text: string): number | undefined {
  const t = text.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return Number.parseInt(t.slice(2), 16);
  if (/^[0-9]+$/.test(t)) return Number.parseInt(t, 10);
  return undefined;
}

export function nonEmptyPath(what: string): (text: string, source: string) => string {
  return (text, source) => {
    if (text.trim() === '') throw new UsageError(`${source} is empty: give the path of ${what}`);
    return text;
  };
}

/** 1..255, 0x01..0xff or one character: ftok keeps only the low 8 bits, and 0 is not allowed. */
export function projectId(text: string, source: string): number {
  const n = text.length === 1 && !/[0-9]/.test(text) ? text.charCodeAt(0) : integer(text);
  if (n === undefined || n < 1 || n > 255) {
    throw new UsageError(
      `${source} is ${JSON.stringify(text)}: give a project id from 1 to 255 (or 0x01..0xff, or one character such as L); ftok keeps ` +
        `only its low 8 bits and 0 is not allowed`,
    );
  }
  return n;
}

/** A System V key, 1..0xffffffff, as the signed 32-bit key_t the calls take. */
export function ipcKey(text: string, source: string): number {
  const key = integer(text);
  if (key === undefined || key < 1 || key > 0xffff_ffff) {
    throw new UsageError(
      `${source} is ${JSON.stringify(text)}: give a key from 1 to 0xffffffff, in hex (0x4c0108e2) or decimal; 0 is IPC_PRIVATE, which no ` +
        `other process can look up`,
    );
  }
  return key | 0;
}

export function wholeNumber(min: number, max: number, unit = ''): (text: string, source: string) => number {
  return (text, source) => {
    const n = /^-?\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw new UsageError(`${source} is ${JSON.stringify(text)}: give a whole number from ${min} to ${max}${unit}`);
    return n;
  };
}

export function bytesFromTo(min: number, max: number, what: string): (text: string, source: string) => number {
  return (text, source) => {
    const n = integer(text);
    if (n === undefined || n < min || n > max)
      throw new UsageError(`${source} is ${JSON.stringify(text)}: give a size in bytes from ${min} ${what}`);
    return n;
  };
}

/** Permission bits in octal: 600, 0640, 0660. */
export function octalMode(text: string, source: string): number {
  if (!/^0?[0-7]{3}$/.test(text.trim()))
    throw new UsageError(`${source} is ${JSON.stringify(text)}: give permission bits in octal, such as 600, 0640 or 0660`);
  return Number.parseInt(text.trim(), 8);
}

export function seconds(min = 0, max = 3600): (text: string, source: string) => number {
  return (text, source) => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max)
      throw new UsageError(`${source} is ${JSON.stringify(text)}: give a number of seconds from ${min} to ${max}`);
    return n;
  };
}

const UNITS: Readonly<Record<string, number>> = { '': 1, k: 1024, kib: 1024, m: 1 << 20, mib: 1 << 20, g: 1 << 30, gib: 1 << 30 };

/** A size such as 4096, 64KiB or 256MiB. */
export function dataSize(min: number, max: number, range: string): (text: string, source: string) => number {
  return (text, source) => {
    const m = text.trim().match(/^(\d+)\s*(|k|kib|m|mib|g|gib)$/i);
    const unit = UNITS[(m?.[2] ?? '').toLowerCase()];
    if (!m || unit === undefined) throw new UsageError(`${source} is ${JSON.stringify(text)}: give a size such as 4096, 64KiB or 256MiB`);
    const n = Number(m[1]) * unit;
    if (n < min || n > max) throw new UsageError(`${source} is ${JSON.stringify(text)}: give ${range}`);
    return n;
  };
}

// ---------------------------------------------------------------------------------------------
// Parsing and help.

/** The values, the positionals, and whether --help was asked for. */
export interface Parsed<S extends OptionSpecs> {
  readonly values: ValuesOf<S>;
  readonly positionals: readonly string[];
  readonly help: boolean;
}

/** parseArgs over the declarations, then each value from its flag, its environment variable, or its default. */
export function parseOptions<S extends OptionSpecs>(
  args: readonly string[],
  specs: S,
  env: NodeJS.ProcessEnv = process.env,
  positionals = false,
): Parsed<S> {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const spec of Object.values(specs))
    config[spec.flag] = { type: spec.arg === undefined ? 'boolean' : 'string', ...(spec.short ? { short: spec.short } : {}) };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...args], options: config, strict: true, allowPositionals: positionals });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.replace(/\. To specify.*$/s, '') : String(error));
  }
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const given = parsed.values[spec.flag];
    const fromEnv = spec.env === undefined ? undefined : env[spec.env];
    if (given !== undefined) values[name] = typeof given === 'string' ? spec.parse!(given, `--${spec.flag}`) : given;
    else if (fromEnv !== undefined && fromEnv !== '' && spec.parse) values[name] = spec.parse(fromEnv, `${spec.env} (environment)`);
    else values[name] = spec.fallback;
  }
  return { values: values as ValuesOf<S>, positionals: parsed.positionals, help: parsed.values.help === true };
}

/** One help line per option: flag and placeholder, then what it does, its variable and default. */
export function optionsHelp(specs: OptionSpecs): string {
  const lines = Object.values(specs).map((spec) => {
    const flag = `${spec.short ? `-${spec.short}, ` : ''}--${spec.flag}${spec.arg ? ` ${spec.arg}` : ''}`;
    const extra = [spec.env && `env ${spec.env}`, spec.shown !== undefined && `default ${spec.shown}`].filter(Boolean).join(', ');
    return `  ${flag.padEnd(19)} ${spec.help}${extra ? ` (${extra})` : ''}`;
  });
  return [...lines, `  ${'-h, --help'.padEnd(19)} this text`].join('\n');
}
