/**
 * The ipc-lab command line: picks the program, runs it, and turns every known failure into a
 * message and an exit code. Programs are imported lazily, so `ipc-lab --help` works anywhere,
 * while only the programs that call System V need a Linux libc.
 *
 * Exit codes: 0 success, 1 a system call failed, 2 bad usage, 3 timed out waiting,
 * 4 the segment is not a valid lab segment, 5 the segment was removed while in use,
 * 70 an internal error (a bug: please report it).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { paint, colorEnabled } from './ui/style.ts';

type Program = (args: readonly string[]) => Promise<number>;

const PROGRAMS: Record<string, { summary: string; load: () => Promise<Program> }> = {
  server: { summary: 'create the segment, write the message, wait; Ctrl-C removes it', load: async () => (await import('./server.ts')).runServer },
  client: { summary: 'attach read-only, wait until ready, print the message', load: async () => (await import('./client.ts')).runClient },
  ftok: { summary: 'the key ftok(3) makes from a file, and its three parts (creates nothing)', load: async () => (await import('./ftok-command.ts')).runFtok },
  inspect: { summary: 'ipcs row, IPC_STAT explained, annotated memory map (--watch, --json)', load: async () => (await import('./inspect.ts')).runInspect },
  gdb: { summary: 'attach gdb to the server and print the segment (compose debug profile)', load: async () => (await import('./gdb.ts')).runGdb },
  race: { summary: 'race writer|reader: torn reads without a lock, none with a semaphore', load: async () => (await import('./race.ts')).runRace },
  ring: { summary: 'ring producer|consumer: stream data through a bounded ring buffer', load: async () => (await import('./ring.ts')).runRing },
  poke: { summary: 'overwrite a 32-bit integer in a segment (what its mode bits allow)', load: async () => (await import('./poke.ts')).runPoke },
  clean: { summary: "remove the lab's leftover segments and semaphore sets, and only those", load: async () => (await import('./clean.ts')).runClean },
  check: { summary: 'exit 0 if the segment is ready (the compose healthcheck)', load: async () => (await import('./check.ts')).runCheck },
  lab: { summary: 'on the host: the lab\'s containers, namespaces and ipcs -m (make inspect)', load: async () => (await import('./lab/status.ts')).runLab },
  doctor: { summary: 'on the host: can this machine run the lab? (make doctor)', load: async () => (await import('./lab/doctor.ts')).runDoctor },
};

export const HELP = `Usage: ipc-lab <command> [options]

A hands-on lab for System V shared memory.

Commands:
${Object.entries(PROGRAMS).map(([name, p]) => `  ${name.padEnd(10)}${p.summary}`).join('\n')}

Run 'ipc-lab <command> --help' for a command's options.
Exit codes: 0 ok, 1 system call failed, 2 bad usage, 3 timed out, 4 invalid segment,
5 segment removed while in use.
`;

const EXIT = { sysv: 1, usage: 2, timeout: 3, format: 4, removed: 5, internal: 70 } as const;

/** By name, not instanceof: importing the error classes would load koffi even for `--help`. */
function exitCodeFor(error: Error): number | undefined {
  switch (error.name) {
    case 'SysvError': return EXIT.sysv;
    case 'UsageError': return EXIT.usage;
    case 'WaitTimeoutError': return EXIT.timeout;
    case 'SegmentFormatError': return EXIT.format;
    case 'SegmentRemovedError': return EXIT.removed;
    case 'StoppedError': return 130; // a signal ended it before it finished: the shell's 128 + SIGINT
    case 'DockerUnavailableError':
    case 'GdbError':
    case 'PeerGoneError':
    case 'SemaphoreInitTimeoutError': return EXIT.sysv;
    default: return undefined;
  }
}

export function reportError(command: string, error: unknown, write = (text: string) => process.stderr.write(text)): number {
  const color = colorEnabled(process.stderr);
  const label = paint(['bold', 'red'], 'error', color);
  const err = error instanceof Error ? error : new Error(String(error));
  const code = exitCodeFor(err);
  // A file the user named (--file, --output, --key-file) that cannot be opened is not a bug.
  const fsCode = (err as NodeJS.ErrnoException).code;
  if (code === undefined && typeof fsCode === 'string' && typeof (err as NodeJS.ErrnoException).syscall === 'string') {
    write(`${label}: ${err.message}\n`);
    return EXIT.sysv;
  }
  if (code === undefined) {
    write(`${label}: internal error in ipc-lab ${command}: ${err.stack ?? err.message}\nThis is a bug; please report it with the output above.\n`);
    return EXIT.internal;
  }
  write(`${label}: ${err.message}\n`);
  const hint = (err as { hint?: unknown }).hint;
  if (typeof hint === 'string') write(`${paint('yellow', 'hint', color)}: ${hint}\n`);
  if (code === EXIT.usage) write(`Run 'ipc-lab ${command} --help' for the options.\n`);
  return code;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP);
    return command === undefined ? EXIT.usage : 0;
  }
  const program = PROGRAMS[command];
  if (!program) {
    process.stderr.write(`ipc-lab: unknown command ${JSON.stringify(command)}\n\n${HELP}`);
    return EXIT.usage;
  }
  try {
    return await (await program.load())(rest);
  } catch (error) {
    return reportError(command, error);
  }
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  process.exitCode = await main(process.argv.slice(2));
}
