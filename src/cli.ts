/**
 * The ipc-lab command line: picks the command, runs it, and turns every known failure into a
 * message, a hint and the exit code the error carries (one table, core/exit-codes.ts). Programs
 * are imported lazily, so `ipc-lab --help` works anywhere, while only the programs that call
 * System V need a Linux libc.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { commandNamed, commands } from './cli/commands.ts';
import { LabError } from './core/errors.ts';
import { EXIT, exitCodesText } from './core/exit-codes.ts';
import { narrator } from './text/narrate.ts';
import { colorEnabled, paint } from './text/style.ts';

export function help(): string {
  const lines = commands().map((c) => `  ${c.name.padEnd(10)}${c.summary}`);
  return `Usage: ipc-lab <command> [options]

A hands-on lab for System V shared memory.

Commands:
${lines.join('\n')}

Run 'ipc-lab <command> --help' for a command's options.
${wrap(`Exit codes: ${exitCodesText()}.`, 96)}
`;
}

/** Words into lines of at most `width` columns. */
function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line].join('\n');
}

/** The message (and hint) for an error, and its exit code; an unexpected error is a bug, shown whole. */
export function reportError(command: string, error: unknown, write = (text: string) => process.stderr.write(text)): number {
  const color = colorEnabled(process.stderr);
  const label = paint(['bold', 'red'], 'error', color);
  if (error instanceof LabError) {
    write(`${label}: ${error.message}\n`);
    if (error.hint) write(`${paint('yellow', 'hint', color)}: ${error.hint}\n`);
    if (error.exit === 'usage') write(`Run 'ipc-lab ${command} --help' for the options.\n`);
    return error.exitCode;
  }
  const err = error instanceof Error ? error : new Error(String(error));
  // A file the user named (--file, --output, --key-file) that cannot be opened is not a bug.
  const fs = err as NodeJS.ErrnoException;
  if (typeof fs.code === 'string' && typeof fs.syscall === 'string') {
    write(`${label}: ${err.message}\n`);
    return EXIT.failed.code;
  }
  write(
    `${label}: internal error in ipc-lab ${command}: ${err.stack ?? err.message}\nThis is a bug; please report it with the output above.\n`,
  );
  return EXIT.internal.code;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(help());
    return name === undefined ? EXIT.usage.code : EXIT.ok.code;
  }
  const command = commandNamed(name);
  if (!command) {
    process.stderr.write(`ipc-lab: unknown command ${JSON.stringify(name)}\n\n${help()}`);
    return EXIT.usage.code;
  }
  try {
    return await command.run(rest, narrator());
  } catch (error) {
    return reportError(name, error);
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
