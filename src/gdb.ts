/**
 * ipc-lab gdb: attach gdb to the server's process and print the segment at the address where
 * that process mapped it: the header and message as bytes, the strings, the double.
 *
 * A System V segment shows in /proc/PID/maps as `/SYSV<key in hex> (deleted)` ("deleted"
 * always: the kernel backs it with an unlinked shmem file). That line gives the attach address
 * in *that* process; another process maps the same pages elsewhere. Needs ptrace rights over
 * the server: CAP_SYS_PTRACE (and CAP_DAC_OVERRIDE to open its /proc/PID/mem), which only the
 * compose `debug` profile grants.
 *
 *   $ docker compose --profile debug run --rm debug        (make gdb)
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { HEADER, PI_MESSAGE } from './contract.ts';
import { resolveKey } from './key.ts';
import { keyChoice, KEY_OPTIONS, parseOptions } from './options.ts';
import { hexKey } from './sysv/shm.ts';
import { narrator, type Narrator } from './ui/narrate.ts';

export const GDB_HELP = `Usage: ipc-lab gdb [options]

Find the process that has the lab's segment mapped (/proc/*/maps: /SYSV<key>), attach gdb to
it, and print the segment: x/80xb (header and message bytes), x/s (the strings), x/fg (the
double). Run it in the compose debug profile, which may ptrace the server.

Options:
  --key-file PATH, --project-id ID, --key KEY   which segment (as for the client)
  --pid PID           attach to this process instead of searching
  --tui               open gdb's text UI at the segment instead of printing and detaching
  -h, --help          this text
`;

export class GdbError extends Error {
  override readonly name = 'GdbError';
}

interface Mapping {
  readonly pid: number;
  readonly address: string;
  readonly line: string;
}

/** Every process whose maps show the segment with this key (as far as this process can see). */
export function findMappings(key: number, onlyPid?: number): Mapping[] {
  const tag = `/SYSV${(key >>> 0).toString(16).padStart(8, '0')}`;
  const pids = onlyPid !== undefined ? [onlyPid] : readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
  const found: Mapping[] = [];
  for (const pid of pids) {
    let maps: string;
    try {
      maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
    } catch {
      continue; // gone, or not ours to read
    }
    for (const line of maps.split('\n')) {
      if (line.includes(tag)) found.push({ pid, address: `0x${line.split('-')[0]}`, line: line.trim() });
    }
  }
  return found;
}

function processName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '?';
  }
}

export async function runGdb(args: readonly string[], say: Narrator = narrator()): Promise<number> {
  const values = parseOptions(args, { ...KEY_OPTIONS, pid: { type: 'string' }, tui: { type: 'boolean' } });
  if (values['help']) {
    say.block(GDB_HELP);
    return 0;
  }
  const key = resolveKey(keyChoice(values), say);
  const pidText = values['pid'];
  const mappings = findMappings(key, typeof pidText === 'string' ? Number(pidText) : undefined);
  // The writer is the one that mapped it read-write ("rw-s"); readers map it "r--s".
  const target = mappings.find((m) => m.line.includes(' rw-s ')) ?? mappings[0];
  if (!target) {
    throw new GdbError(`no process here has the segment ${hexKey(key)} mapped (no /SYSV${(key >>> 0).toString(16).padStart(8, '0')} in /proc/*/maps). Is the server running, and does this container share its PID namespace (compose: pid: "service:server")?`);
  }
  const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '?';
  say.note(`this process: uid ${process.getuid?.()}, effective capabilities 0x${capEff} (CAP_DAC_OVERRIDE is bit 1: 0x2, CAP_SYS_PTRACE bit 19: 0x80000)`);
  say.step(`the segment in /proc/${target.pid}/maps (${processName(target.pid)})`);
  say.block(target.line);
  say.note('"(deleted)" is normal for System V segments: the kernel backs them with an unlinked file');
  const at = (offset: number): string => `${target.address}+${offset}`;
  const field = (name: string) => PI_MESSAGE.fields.find((f) => f.name === name)!;
  const commands = [
    `echo \\n# the header and message, ${HEADER.size + PI_MESSAGE.size} bytes from the attach address\\n`,
    `x/${HEADER.size + PI_MESSAGE.size}xb ${target.address}`,
    `echo \\n# the strings (char arrays, NUL-terminated)\\n`,
    `x/s ${at(field('intro').offset)}`,
    `x/s ${at(field('equals').offset)}`,
    `x/s ${at(field('outro').offset)}`,
    `echo \\n# the ints and the double (x/dw: 4-byte decimal, x/fg: 8-byte float)\\n`,
    `x/dw ${at(field('numerator').offset)}`,
    `x/dw ${at(field('denominator').offset)}`,
    `x/fg ${at(field('value').offset)}`,
  ];
  // sysroot /: read the executable from this container's own (identical) image, not through
  // /proc/PID/root, which ptrace rights alone do not open.
  const gdbArgs = ['-q', '-nx', '-iex', 'set sysroot /', '-p', String(target.pid), ...(values['tui'] ? ['-tui'] : ['-batch']), ...commands.flatMap((c) => ['-ex', c])];
  say.step(`gdb ${values['tui'] ? '(text UI; `detach` then `quit` to leave the server running)' : '(batch: prints, then detaches; the server keeps running)'}`);
  say.note(`gdb -p ${target.pid} ${commands.filter((c) => !c.startsWith('echo')).map((c) => `-ex '${c}'`).join(' ')}`);
  const result = spawnSync('gdb', gdbArgs, { stdio: 'inherit' });
  if (result.error) throw new GdbError(`could not run gdb: ${result.error.message}`);
  return result.status ?? 1;
}
