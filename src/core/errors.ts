/**
 * The errors ipc-lab expects: each carries its exit code's name from the one table, and may
 * carry a hint, a line saying what to do. The command line prints message and hint and exits
 * with the code; anything else that escapes is a bug (exit 70, with its stack).
 */
import { EXIT, type ExitName } from './exit-codes.ts';

export interface LabErrorOptions {
  readonly hint?: string | undefined;
  readonly cause?: unknown;
}

export class LabError extends Error {
  readonly hint: string | undefined;

  constructor(
    readonly exit: ExitName,
    message: string,
    options: LabErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options.hint;
  }

  get exitCode(): number {
    return EXIT[this.exit].code;
  }
}

/** A bad command line or value: names the option (or variable) and what it accepts. */
export class UsageError extends LabError {
  override readonly name = 'UsageError';

  constructor(message: string, options?: LabErrorOptions) {
    super('usage', message, options);
  }
}

/** Gave up waiting for something that never came (a key file, a segment, a peer). */
export class WaitTimeoutError extends LabError {
  override readonly name = 'WaitTimeoutError';

  constructor(message: string, options?: LabErrorOptions) {
    super('timeout', message, options);
  }
}

/** A shutdown signal (SIGINT, SIGTERM, SIGHUP) ended the work before it finished. */
export class StoppedError extends LabError {
  override readonly name = 'StoppedError';

  constructor(readonly signal: string) {
    super('stopped', `${signal}: stopping`);
  }
}
