/**
 * The values a handout's expected output may leave open, because they differ on every machine
 * and every run. One table: the checker compiles it to patterns, and the handouts' README lists
 * it for readers (a test keeps the two in step).
 *
 * In an expected-output block, `<shmid>` matches any segment id. `<shmid:a>` also *binds*: every
 * `<shmid:a>` in the same handout must be the same value, so a handout can show that the server
 * and the client talk about the same segment, or that a key predicted by hand is the real one.
 */
export interface Placeholder {
  /** A regular expression (no capture groups) for the values it stands for. */
  readonly pattern: string;
  /** What it stands for, for readers. */
  readonly means: string;
}

export const PLACEHOLDERS = {
  shmid: { pattern: '\\d+', means: 'an id the kernel gave a segment, a semaphore set or a message queue (shmid, semid, msqid)' },
  key: { pattern: '0x[0-9a-f]{8}', means: "a System V key in hex; ftok makes it from the key file's inode and device" },
  pid: { pattern: '\\d+', means: 'a process id' },
  address: { pattern: '0x[0-9a-f]+', means: 'an address in a process, such as where shmat mapped the segment' },
  ns: { pattern: '\\d+', means: "a namespace's inode number, as in ipc:[4026532179]" },
  time: { pattern: '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC', means: 'a date and time, as in 2026-11-26 17:02:38 UTC' },
  age: { pattern: '\\d+ (?:s|min|h)', means: 'how long ago, as in 17 s or 3 min' },
  n: { pattern: '-?\\d+(?:\\.\\d+)?', means: 'a number that varies: a count, a size, a speed, an inode' },
  hex: { pattern: '(?:0x)?[0-9a-f]+', means: 'a hexadecimal number that varies, such as a device number' },
  id: { pattern: '[0-9a-f]{12,64}', means: 'a container or image id' },
  version: { pattern: 'v?\\d+(?:\\.\\d+)+[0-9A-Za-z.+~-]*', means: 'a version number, as in 2.29.7 or v2.26.1-desktop.1' },
  word: { pattern: '\\S+', means: 'one word that varies, such as an architecture or a host name' },
} as const satisfies Record<string, Placeholder>;

export type PlaceholderKind = keyof typeof PLACEHOLDERS;

const isPlaceholderKind = (name: string): name is PlaceholderKind => Object.hasOwn(PLACEHOLDERS, name);

/** `<kind>` or `<kind:name>`; anything else in angle brackets (`<none>`) is plain text. */
const SYNTAX = /(\\?)<([a-z]+)(?::([A-Za-z0-9_-]+))?>/g;

export type Segment =
  | { readonly text: string }
  | { readonly kind: PlaceholderKind; readonly name: string | undefined; readonly raw: string };

/**
 * Splits a line of expected output into plain text and placeholders: the one reading of the
 * syntax, for the matcher, the renderer and the tests. `\<key>` is the text <key>; an unknown
 * name in angle brackets is text; `unknown` collects those, for the typo check.
 */
export function scanPlaceholders(line: string, unknown?: string[]): Segment[] {
  const segments: Segment[] = [];
  let text = '';
  let last = 0;
  for (const m of line.matchAll(SYNTAX)) {
    const [all, backslash, kind, name] = m as unknown as [string, string, string, string | undefined];
    text += line.slice(last, m.index);
    last = m.index + all.length;
    if (backslash) text += all.slice(1);
    else if (!isPlaceholderKind(kind)) {
      unknown?.push(all);
      text += all;
    } else {
      if (text) segments.push({ text });
      text = '';
      segments.push({ kind, name, raw: all });
    }
  }
  text += line.slice(last);
  if (text) segments.push({ text });
  return segments;
}
