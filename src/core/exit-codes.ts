/**
 * Every exit code ipc-lab gives, in one table: each error carries one of these names, the
 * command line's help and the README list them from here, and nothing here loads koffi, so
 * `ipc-lab --help` stays fast.
 */
export const EXIT = {
  ok: { code: 0, means: 'ok' },
  failed: { code: 1, means: 'a system call failed (or the other side of a race or ring went away)' },
  usage: { code: 2, means: 'bad usage' },
  timeout: { code: 3, means: 'timed out waiting' },
  format: { code: 4, means: 'not a valid lab segment (or, for check, not ready yet)' },
  removed: { code: 5, means: 'the segment was removed while in use' },
  internal: { code: 70, means: 'an internal error (a bug: please report it)' },
  stopped: {
    code: 130,
    means:
      'stopped by a signal before it finished (a ring transfer cut short; the server and the race lab end normally on a signal and exit 0)',
  },
} as const;

export type ExitName = keyof typeof EXIT;

/** "0 ok, 1 a system call failed ..., 130 stopped by a signal ...": the help's and the README's line. */
export function exitCodesText(): string {
  return Object.values(EXIT)
    .map(({ code, means }) => `${code} ${means}`)
    .join(', ');
}
