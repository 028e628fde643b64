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
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabError } from '../core/errors.ts';
import type { Field } from '../layout/c-layout.ts';
import { resolveKey, type KeyChoice } from '../labs/common/key.ts';
import type { Lab } from '../labs/registry.ts';
import { hexKey } from '../sysv/ipc-format.ts';
import type { Narrator } from '../text/narrate.ts';

export interface GdbOptions extends KeyChoice {
  /** Whose segment: its project id, and what to print of it. */
  readonly lab: Lab;
  /** Attach to this process instead of searching every process's maps. */
  readonly pid: number | undefined;
  /** Open gdb's text UI instead of printing and detaching. */
  readonly tui: boolean;
}

export class GdbError extends LabError {
  override readonly name = 'GdbError';

  constructor(message: string) {
    super('failed', message);
  }
}

/** How gdb's x command shows each C type, and in words. */
const X_FORMATS: Record<string, { format: string; words: string }> = {
  int32_t: { format: 'dw', words: 'x/dw: 4-byte decimal' },
  uint32_t: { format: 'uw', words: 'x/uw: 4-byte unsigned' },
  uint16_t: { format: 'uh', words: 'x/uh: 2-byte unsigned' },
  uint64_t: { format: 'ug', words: 'x/ug: 8-byte unsigned' },
  double: { format: 'fg', words: 'x/fg: 8-byte float' },
};

/**
 * gdb's command line. sysroot /: read the executable from this container's own image, not
 * through /proc/PID/root, which ptrace rights alone do not open. The debug container runs the
 * workbench's image (for gcc), which copies node from the same Node image as the lab's; its
 * glibc may be a patch release apart, which changes only gdb's symbols for libc, never the
 * bytes it prints from the segment. pagination off: in a
 * small terminal gdb would stop at "--Type <RET> for more" and swallow the student's `quit`.
 */
export function gdbArguments(pid: number, commands: readonly string[], tui: boolean): string[] {
  return [
    '-q',
    '-nx',
    '-iex',
    'set sysroot /',
    '-iex',
    'set pagination off',
    // add-symbol-file asks before it loads: a batch gdb would print the question into the output.
    '-iex',
    'set confirm off',
    '-p',
    String(pid),
    ...(tui ? ['-tui'] : ['-batch']),
    ...commands.flatMap((c) => ['-ex', c]),
  ];
}

/**
 * The contract's C types for gdb: the header (exercises/include/ipc-lab.h, named by
 * $IPC_LAB_C_HEADER where the container has it) compiled with -g into an object that holds only
 * debug information. -fno-eliminate-unused-debug-types keeps every struct, though no code uses
 * one. gdb's add-symbol-file then knows `struct pi_message`, as it would in a C program built
 * with -g. Undefined where there is no header or no gcc: gdb then prints bytes only.
 */
export function typesObject(
  header = process.env.IPC_LAB_C_HEADER,
  dir = tmpdir(),
): { object?: string; structs?: readonly string[]; why: string } {
  if (!header) return { why: 'no C header here (IPC_LAB_C_HEADER is unset): bytes only' };
  if (!existsSync(header)) return { why: `no ${header}: bytes only` };
  // The structs it declares: gdb is asked to print only those (the batched ring's words are not in it).
  const structs = [...readFileSync(header, 'utf8').matchAll(/^struct (\w+) \{/gm)].map((m) => m[1]!);
  const object = join(mkdtempSync(join(dir, 'ipc-lab-gdb-')), 'ipc-lab-types.o');
  const gcc = spawnSync('gcc', ['-g', '-fno-eliminate-unused-debug-types', '-c', '-x', 'c', header, '-o', object], { encoding: 'utf8' });
  if (gcc.error) return { why: `no gcc here to compile ${header}: bytes only` };
  if (gcc.status !== 0) return { why: `gcc could not compile ${header}: ${gcc.stderr.trim()}` };
  return { object, structs, why: `the types of ${header}, compiled with gcc -g -fno-eliminate-unused-debug-types` };
}

/** The commands that load the types and print each of the lab's structs the header declares, by name, where it sits from `address`. */
export function typedCommands(lab: Lab, address: string, object: string, declared: readonly string[]): string[] {
  // A struct with a flexible array (ring_slot) is a template repeated at offsets only the header
  // knows: not printed at its nominal offset 0.
  const structs = lab.structs.filter((s) => declared.includes(s.name) && !s.fields.some((f) => f.count === 0));
  if (structs.length === 0) return [];
  return [
    `add-symbol-file ${object}`,
    'set print pretty on',
    `echo \n# the same bytes by name: the structs of ipc-lab.h (add-symbol-file ${object})\n`,
    ...structs.map((s) => `print *(struct ${s.name} *) (${address}+${s.offset})`),
  ];
}

/** The gdb commands that print the lab's structs at `address`: the bytes, the strings, the numbers. */
export function gdbCommands(lab: Lab, address: string): string[] {
  const structs = lab.structs;
  const bytes = Math.max(...structs.map((s) => s.offset + s.size));
  const fields = structs.flatMap((s) => s.fields.map((f) => ({ struct: s.name, f })));
  const chosen = lab.gdb
    ? lab.gdb.fields.map((name) => fields.find(({ struct, f }) => `${struct}.${f.name}` === name)!.f)
    : fields.map(({ f }) => f);
  const strings = chosen.filter((f) => f.ctype === 'char' && f.count !== undefined && f.count > 0);
  const numbers = chosen.filter((f: Field) => f.count === undefined && X_FORMATS[f.ctype]);
  const at = (offset: number): string => `${address}+${offset}`;
  const words = [...new Set(numbers.map((f) => X_FORMATS[f.ctype]!.words))].join(', ');
  return [
    `echo \\n# ${lab.gdb?.bytesTitle ?? `the ${structs.map((s) => s.name).join(' and ')}`}, ${bytes} bytes from the attach address\\n`,
    `x/${bytes}xb ${address}`,
    ...(strings.length ? [`echo \\n# the strings (char arrays, NUL-terminated)\\n`, ...strings.map((f) => `x/s ${at(f.offset)}`)] : []),
    ...(numbers.length
      ? [
          `echo \\n# ${lab.gdb?.numbersTitle ?? 'the numbers'} (${words})\\n`,
          ...numbers.map((f) => `x/${X_FORMATS[f.ctype]!.format} ${at(f.offset)}`),
        ]
      : []),
  ];
}

interface Mapping {
  readonly pid: number;
  readonly address: string;
  readonly line: string;
}

/** Every process whose maps show the segment with this key (as far as this process can see). */
export function findMappings(key: number, onlyPid?: number): Mapping[] {
  const tag = `/SYSV${(key >>> 0).toString(16).padStart(8, '0')}`;
  const pids =
    onlyPid !== undefined
      ? [onlyPid]
      : readdirSync('/proc')
          .filter((d) => /^\d+$/.test(d))
          .map(Number);
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

export async function runGdb(options: GdbOptions, say: Narrator): Promise<number> {
  const key = resolveKey(options, say);
  const mappings = findMappings(key, options.pid);
  // The writer is the one that mapped it read-write ("rw-s"); readers map it "r--s".
  const target = mappings.find((m) => m.line.includes(' rw-s ')) ?? mappings[0];
  if (!target) {
    throw new GdbError(
      `no process here has the segment ${hexKey(key)} mapped (no /SYSV${(key >>> 0).toString(16).padStart(8, '0')} in /proc/*/maps). Is ` +
        `the server running, and does this container share its PID namespace (compose: pid: "service:server")?`,
    );
  }
  const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '?';
  say.note(
    `this process: uid ${process.getuid?.()}, effective capabilities 0x${capEff} (CAP_DAC_OVERRIDE is bit 1: 0x2, CAP_SYS_PTRACE bit 19: ` +
      `0x80000)`,
  );
  say.step(`the segment in /proc/${target.pid}/maps (${processName(target.pid)})`);
  say.block(target.line);
  say.note('"(deleted)" is normal for System V segments: the kernel backs them with an unlinked file');
  const types = typesObject();
  say.note(types.why);
  const commands = [
    ...gdbCommands(options.lab, target.address),
    ...(types.object ? typedCommands(options.lab, target.address, types.object, types.structs ?? []) : []),
  ];
  const gdbArgs = gdbArguments(target.pid, commands, options.tui);
  say.step(
    options.tui
      ? 'gdb (text UI; `detach` then `quit` to leave the server running)'
      : 'gdb (batch: prints, then detaches; the server keeps running)',
  );
  say.note(
    `gdb -p ${target.pid} ${commands
      .filter((c) => !c.startsWith('echo') && !c.startsWith('set '))
      .map((c) => `-ex '${c}'`)
      .join(' ')}`,
  );
  const result = spawnSync('gdb', gdbArgs, { stdio: 'inherit' });
  if (result.error) throw new GdbError(`could not run gdb: ${result.error.message}`);
  return result.status ?? 1;
}
