/**
 * Command-line options shared by the lab programs: parsing with node:util parseArgs, the
 * environment variables behind each option, and validation that names the option and the
 * values it accepts. Every problem is a UsageError (exit code 2).
 */
import { parseArgs } from 'node:util';
import { DEFAULT_KEY_FILE, DEFAULT_MODE, DEFAULT_PROJECT_ID, DEFAULT_SEGMENT_SIZE, MIN_SEGMENT_SIZE } from './contract.ts';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type OptionSpec = { type: 'string' | 'boolean'; short?: string };
export type OptionSpecs = Record<string, OptionSpec>;
type Values = Record<string, string | boolean | undefined>;

/** parseArgs, with its errors turned into UsageErrors. */
export function parseOptions(args: readonly string[], options: OptionSpecs): Values {
  try {
    const { values } = parseArgs({ args: [...args], options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false });
    return values as Values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.replace(/\. To specify.*$/s, '') : String(error));
  }
}

/** The option's value from the command line, else from its environment variable. */
function pick(values: Values, option: string, env: string): { text: string; source: string } | undefined {
  const flag = values[option];
  if (typeof flag === 'string') return { text: flag, source: `--${option}` };
  const fromEnv = process.env[env];
  if (fromEnv !== undefined && fromEnv !== '') return { text: fromEnv, source: `${env} (environment)` };
  return undefined;
}

function integer(text: string): number | undefined {
  const t = text.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return Number.parseInt(t.slice(2), 16);
  if (/^[0-9]+$/.test(t)) return Number.parseInt(t, 10);
  return undefined;
}

export const KEY_OPTIONS: OptionSpecs = {
  'key-file': { type: 'string' },
  'project-id': { type: 'string' },
  key: { type: 'string' },
};

export interface KeyChoice {
  /** An explicit key (--key), or undefined to make one with ftok(keyFile, projectId). */
  readonly key: number | undefined;
  readonly keyFile: string;
  readonly projectId: number;
}

export function keyChoice(values: Values): KeyChoice {
  const keyFile = pick(values, 'key-file', 'IPC_LAB_KEY_FILE');
  if (keyFile && keyFile.text.trim() === '') throw new UsageError(`${keyFile.source} is empty: give the path of a file both sides can see`);
  const project = pick(values, 'project-id', 'IPC_LAB_PROJECT_ID');
  let projectId = DEFAULT_PROJECT_ID;
  if (project) {
    const n = project.text.length === 1 && !/[0-9]/.test(project.text) ? project.text.charCodeAt(0) : integer(project.text);
    if (n === undefined || n < 1 || n > 255) {
      throw new UsageError(`${project.source} is ${JSON.stringify(project.text)}: give a project id from 1 to 255 (or 0x01..0xff, or one character such as L); ftok keeps only its low 8 bits and 0 is not allowed`);
    }
    projectId = n;
  }
  const explicit = pick(values, 'key', 'IPC_LAB_KEY');
  let key: number | undefined;
  if (explicit) {
    key = integer(explicit.text);
    if (key === undefined || key < 1 || key > 0xffff_ffff) {
      throw new UsageError(`${explicit.source} is ${JSON.stringify(explicit.text)}: give a key from 1 to 0xffffffff, in hex (0x4c0108e2) or decimal; 0 is IPC_PRIVATE, which no other process can look up`);
    }
    key = key | 0; // key_t is a signed 32-bit int
  }
  return { key, keyFile: keyFile?.text ?? DEFAULT_KEY_FILE, projectId };
}

export const MAX_SEGMENT_SIZE = 1 << 30;

export function segmentSize(values: Values): number {
  const given = pick(values, 'size', 'IPC_LAB_SIZE');
  if (!given) return DEFAULT_SEGMENT_SIZE;
  const n = integer(given.text);
  if (n === undefined || n < MIN_SEGMENT_SIZE || n > MAX_SEGMENT_SIZE) {
    throw new UsageError(`${given.source} is ${JSON.stringify(given.text)}: give a size in bytes from ${MIN_SEGMENT_SIZE} (header and message) to ${MAX_SEGMENT_SIZE} (1 GiB)`);
  }
  return n;
}

export function permissionMode(values: Values): number {
  const given = pick(values, 'mode', 'IPC_LAB_MODE');
  if (!given) return DEFAULT_MODE;
  if (!/^0?[0-7]{3}$/.test(given.text.trim())) {
    throw new UsageError(`${given.source} is ${JSON.stringify(given.text)}: give permission bits in octal, such as 600, 0640 or 0660`);
  }
  return Number.parseInt(given.text.trim(), 8);
}

export function seconds(values: Values, option: string, env: string, fallback: number): number {
  const given = pick(values, option, env);
  if (!given) return fallback;
  const n = Number(given.text);
  if (given.text.trim() === '' || !Number.isFinite(n) || n < 0 || n > 3600) {
    throw new UsageError(`${given.source} is ${JSON.stringify(given.text)}: give a number of seconds from 0 to 3600`);
  }
  return n;
}
