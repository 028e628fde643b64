/**
 * Every command of `ipc-lab`: its summary, its help, its options (declared once, in
 * ./options.ts's terms), how their values become the typed options its program takes, and the
 * program itself, loaded only when it runs: `ipc-lab --help` never loads koffi.
 */
import { isIP } from 'node:net';
import { UsageError } from '../core/errors.ts';
import type { KeyChoice } from '../labs/common/key.ts';
import { DEFAULT_KEY_FILE, DEFAULT_MODE, DEFAULT_PROJECT_ID, DEFAULT_SEGMENT_SIZE, MIN_SEGMENT_SIZE } from '../labs/message/contract.ts';
import { POSIX_MODE, POSIX_NAME, POSIX_NAME_PREFIX, POSIX_SIZE } from '../labs/posix/contract.ts';
import { DEFAULT_JOBS, WORKER_TYPES } from '../labs/queue/contract.ts';
import { allLabs, labNamed, type Lab } from '../labs/registry.ts';
import { DEFAULT_RING_SLOTS, DEFAULT_SLOT_SIZE, MAX_RING_SLOTS, MAX_SLOT_SIZE } from '../labs/ring/contract.ts';
import type { Narrator } from '../text/narrate.ts';
import {
  boolean,
  bytesFromTo,
  dataSize,
  ipcKey,
  nonEmptyPath,
  octalMode,
  optionsHelp,
  parseOptions,
  projectId,
  seconds,
  sizeText,
  valued,
  wholeNumber,
  type OptionSpecs,
  type ValuesOf,
} from './options.ts';

type Program<O> = (options: O, say: Narrator) => Promise<number>;

interface CommandSpec<S extends OptionSpecs, O> {
  readonly name: string;
  readonly summary: string;
  /** What follows `ipc-lab` in the usage line. */
  readonly usage: string;
  readonly about: string;
  /** Help text after the options. */
  readonly notes?: string;
  /** The first word, when the command takes one (race writer|reader). */
  readonly roles?: readonly string[];
  /** The role when none is given; without one, a missing role shows the help (exit 2). */
  readonly defaultRole?: string;
  readonly options: S;
  /** The values as the program's typed options; cross-checks that need several values. */
  build(values: ValuesOf<S>, role: string): O;
  load(): Promise<Program<O>>;
}

/** A command with its types erased: what the dispatcher needs. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  help(): string;
  run(args: readonly string[], say: Narrator): Promise<number>;
}

function command<S extends OptionSpecs, O>(spec: CommandSpec<S, O>): Command {
  const help = (): string =>
    [
      `Usage: ipc-lab ${spec.usage}`,
      '',
      spec.about,
      '',
      'Options:',
      optionsHelp(spec.options),
      ...(spec.notes ? ['', spec.notes] : []),
      '',
    ].join('\n');
  return {
    name: spec.name,
    summary: spec.summary,
    help,
    async run(args, say) {
      let role = '';
      let rest = args;
      if (spec.roles) {
        const [given, ...others] = args;
        const first = given ?? spec.defaultRole;
        if (first === undefined || first === '-h' || first === '--help') {
          say.block(help());
          return first === undefined ? 2 : 0;
        }
        if (!spec.roles.includes(first))
          throw new UsageError(`${spec.name} takes ${spec.roles.join(' or ')}, not ${JSON.stringify(first)}`);
        role = first;
        rest = others;
      }
      const parsed = parseOptions(rest, spec.options);
      if (parsed.help) {
        say.block(help());
        return 0;
      }
      const options = spec.build(parsed.values, role);
      return (await spec.load())(options, say);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Options several commands share.

const keyFile = valued('key-file', {
  env: 'IPC_LAB_KEY_FILE',
  arg: 'PATH',
  help: 'file for ftok',
  fallback: DEFAULT_KEY_FILE,
  parse: nonEmptyPath('a file both sides can see'),
});
const key = valued<number | undefined>('key', {
  env: 'IPC_LAB_KEY',
  arg: 'KEY',
  help: 'use this key instead of ftok, e.g. 0x1234',
  fallback: undefined,
  parse: ipcKey,
});
const messageProjectId = valued('project-id', {
  env: 'IPC_LAB_PROJECT_ID',
  arg: 'ID',
  help: 'ftok project id, 1..255 or one character',
  fallback: DEFAULT_PROJECT_ID,
  shown: `0x${DEFAULT_PROJECT_ID.toString(16)} '${String.fromCharCode(DEFAULT_PROJECT_ID)}'`,
  parse: projectId,
});
/** Which key: the message lab's key file and project id, or an explicit key. */
export const KEY = { keyFile, projectId: messageProjectId, key };

/** For the tools that serve any lab: the lab, and its project id unless one is given. */
const labOption = valued('lab', {
  arg: 'LAB',
  help: `whose segment: ${allLabs()
    .map((l) => l.name)
    .join(', ')}`,
  fallback: allLabs()[0]!,
  shown: allLabs()[0]!.name,
  parse: labByName,
});
const ANY_LAB_KEY = {
  lab: labOption,
  keyFile,
  projectId: valued<number | undefined>('project-id', {
    env: 'IPC_LAB_PROJECT_ID',
    arg: 'ID',
    help: 'ftok project id, 1..255 or one character',
    fallback: undefined,
    shown: "the lab's",
    parse: projectId,
  }),
  key,
};

function labByName(text: string, source: string): Lab {
  const lab = labNamed(text.trim());
  if (!lab)
    throw new UsageError(
      `${source} is ${JSON.stringify(text)}: give one of ${allLabs()
        .map((l) => l.name)
        .join(', ')}`,
    );
  return lab;
}

/** The key choice for a lab-serving tool: the lab's project id unless --project-id says otherwise. */
function labChoice(values: {
  lab: Lab;
  keyFile: string;
  projectId: number | undefined;
  key: number | undefined;
}): KeyChoice & { lab: Lab } {
  return { lab: values.lab, keyFile: values.keyFile, key: values.key, projectId: values.projectId ?? values.lab.projectId };
}

/** An IP address to listen on or publish at, as text: 127.0.0.1, 0.0.0.0, ::1. */
function ipAddress(text: string, source: string): string {
  const t = text.trim();
  if (isIP(t) === 0 && t !== 'localhost')
    throw new UsageError(
      `${source} is ${JSON.stringify(text)}: give an IP address such as 127.0.0.1 (this machine only) or 0.0.0.0 (every network)`,
    );
  return t;
}

export const timeout = (fallback: number, help: string) =>
  valued('timeout', { env: 'IPC_LAB_TIMEOUT', arg: 'SECONDS', help, fallback, parse: seconds() });

const MAX_SEGMENT_SIZE = 1 << 30;

/** The message lab's own options, as the server declares them. */
export const SEGMENT_OPTIONS = {
  size: valued('size', {
    env: 'IPC_LAB_SIZE',
    arg: 'BYTES',
    help: `segment size, ${MIN_SEGMENT_SIZE} or more`,
    fallback: DEFAULT_SEGMENT_SIZE,
    parse: bytesFromTo(MIN_SEGMENT_SIZE, MAX_SEGMENT_SIZE, `(header and message) to ${MAX_SEGMENT_SIZE} (1 GiB)`),
  }),
  mode: valued('mode', {
    env: 'IPC_LAB_MODE',
    arg: 'OCTAL',
    help: 'permission bits',
    fallback: DEFAULT_MODE,
    shown: `0${DEFAULT_MODE.toString(8)}: owner only`,
    parse: octalMode,
  }),
};

// ---------------------------------------------------------------------------------------------
// The commands.

const COMMANDS: readonly Command[] = [
  command({
    name: 'server',
    summary: 'create the segment, write the message, wait; Ctrl-C removes it',
    usage: 'server [options]',
    about: 'Create the segment, write the message, wait; on Ctrl-C/SIGTERM detach and remove it.',
    options: {
      ...KEY,
      ...SEGMENT_OPTIONS,
      step: valued('step', {
        env: 'IPC_LAB_STEP',
        arg: 'SECONDS',
        help: 'pause after each field, to watch the bytes arrive',
        fallback: 0,
        parse: seconds(),
      }),
      exit: boolean('exit', 'remove the segment and exit once written, instead of waiting'),
      replace: boolean('replace', 'if a stale segment (nothing attached) holds the key, remove it first'),
    },
    build(v) {
      if (v.exit && v.step > 0) throw new UsageError('--exit and --step do not go together: --step is for watching a live segment');
      return v;
    },
    load: async () => (await import('../labs/message/server.ts')).runServer,
  }),
  command({
    name: 'client',
    summary: 'attach read-only, wait until ready, print the message',
    usage: 'client [options]',
    about: "Wait for the server's segment, attach it read-only, print the message, detach.",
    options: {
      ...KEY,
      timeout: timeout(10, 'how long to wait for the segment to appear and be ready'),
      layout: boolean('layout', 'also print every field: offset, size, C type, padding, value'),
      quiet: boolean('quiet', 'print only the message'),
    },
    build: (v) => v,
    load: async () => (await import('../labs/message/client.ts')).runClient,
  }),
  command({
    name: 'ftok',
    summary: 'the key ftok(3) makes from a file, and its three parts (creates nothing)',
    usage: 'ftok [options]',
    about:
      "Print the key ftok(3) makes from a file and a project id, and how: the project id's 8 bits,\nthe low 8 bits of the file's device " +
      'number and the low 16 bits of its inode number.\nCreates nothing, attaches nothing; the file must exist.',
    options: { keyFile, projectId: messageProjectId },
    build: (v) => v,
    load: async () => (await import('../tools/ftok.ts')).runFtok,
  }),
  command({
    name: 'inspect',
    summary: 'ipcs row, IPC_STAT explained, annotated memory map (--watch, --json)',
    usage: 'inspect [options]',
    about: "Show the segment's ipcs -m row, its IPC_STAT fields explained, and an annotated memory map.",
    options: {
      ...ANY_LAB_KEY,
      shmid: valued<number | undefined>('shmid', {
        arg: 'ID',
        help: 'inspect this shmid instead of looking a key up',
        fallback: undefined,
        parse: shmidOf,
      }),
      json: boolean('json', 'print one JSON object instead (for tools)'),
      watch: boolean('watch', 'redraw the map whenever a byte changes; Ctrl-C stops'),
      interval: valued('interval', {
        env: 'IPC_LAB_INTERVAL',
        arg: 'SECONDS',
        help: 'how often --watch looks',
        fallback: 0.1,
        parse: seconds(0.01),
      }),
      timeout: valued<number | undefined>('timeout', {
        env: 'IPC_LAB_TIMEOUT',
        arg: 'SECONDS',
        help: 'wait this long for the segment to appear',
        fallback: undefined,
        shown: '0; 30 with --watch',
        parse: seconds(),
      }),
    },
    notes:
      "Each byte of the map is marked with its field's letter (the legend says which); on a terminal\nthe bytes and letters are also " +
      'coloured by field (NO_COLOR=1 turns colour off).',
    build(v) {
      if (v.json && v.watch) throw new UsageError('--json and --watch do not go together: --json prints one snapshot');
      return { ...v, ...labChoice(v), timeout: v.timeout ?? (v.watch ? 30 : 0) };
    },
    load: async () => (await import('../tools/inspect.ts')).runInspect,
  }),
  command({
    name: 'gdb',
    summary: 'attach gdb to the server and print the segment (compose debug profile)',
    usage: 'gdb [options]',
    about:
      "Find the process that has the lab's segment mapped (/proc/*/maps: /SYSV<key>), attach gdb to\nit, and print the segment: x/80xb " +
      '(header and message bytes), x/s (the strings), x/fg (the\ndouble). Run it in the compose debug profile, which may ptrace the ' +
      'server.',
    options: {
      ...ANY_LAB_KEY,
      pid: valued<number | undefined>('pid', {
        arg: 'PID',
        help: 'attach to this process instead of searching',
        fallback: undefined,
        parse: wholeNumber(1, 2 ** 22),
      }),
      tui: boolean('tui', "open gdb's text UI at the segment instead of printing and detaching"),
    },
    build: (v) => ({ ...v, ...labChoice(v) }),
    load: async () => (await import('../tools/gdb.ts')).runGdb,
  }),
  command({
    name: 'race',
    summary: 'race writer|reader: torn reads without a lock, none with a semaphore',
    usage: 'race writer|reader [options]',
    about: 'The race lab: a writer rewrites a 63-field record, a reader checks every field agrees.',
    roles: ['writer', 'reader'],
    options: {
      keyFile,
      key,
      unsafe: boolean('unsafe', 'no lock: watch torn reads happen', 'UNSAFE'),
      seconds: valued('seconds', {
        env: 'IPC_LAB_SECONDS',
        arg: 'SECONDS',
        help: 'how long the reader reads; the writer runs until the reader is done',
        fallback: 3,
        parse: seconds(),
      }),
      timeout: timeout(30, 'how long to wait for the other side'),
    },
    build: (v, role) => ({ ...v, role: role as 'writer' | 'reader' }),
    load: async () => (await import('../labs/race/race.ts')).runRace,
  }),
  command({
    name: 'ring',
    summary: 'ring producer|consumer: stream data through a bounded ring buffer',
    usage: 'ring producer|consumer [options]',
    about:
      'Stream data through a ring buffer of N slots in shared memory, synchronised by two counting\nsemaphores; the consumer checks the ' +
      'SHA-256 of what it received against what was sent.\nThe producer reads --file, --bytes, --slots and --slot-size; the consumer ' +
      '--output.',
    roles: ['producer', 'consumer'],
    options: {
      keyFile,
      key,
      timeout: timeout(30, 'how long to wait for the other side to appear'),
      file: valued<string | undefined>('file', {
        arg: 'PATH',
        help: 'send this file (default: generated data)',
        fallback: undefined,
        parse: nonEmptyPath('a file to send'),
      }),
      bytes: valued('bytes', {
        arg: 'SIZE',
        help: 'how much generated data to send, e.g. 64MiB',
        fallback: 64 << 20,
        shown: sizeText(64 << 20),
        parse: dataSize(0, 2 ** 52, 'a size up to 4 PiB'),
      }),
      slots: valued('slots', { arg: 'N', help: 'slots in the ring', fallback: DEFAULT_RING_SLOTS, parse: wholeNumber(1, MAX_RING_SLOTS) }),
      slotSize: valued('slot-size', {
        arg: 'SIZE',
        help: 'bytes a slot holds, e.g. 4KiB, 64KiB',
        fallback: DEFAULT_SLOT_SIZE,
        shown: sizeText(DEFAULT_SLOT_SIZE),
        parse: dataSize(1, MAX_SLOT_SIZE, '1 byte to 16 MiB'),
      }),
      output: valued<string | undefined>('output', {
        arg: 'PATH',
        help: 'write what arrives to this file',
        fallback: undefined,
        parse: nonEmptyPath('a file to write'),
      }),
      noVerify: boolean('no-verify', 'skip the SHA-256 (to measure the transfer alone)'),
      warmUp: valued('warm-up', {
        arg: 'N',
        help: 'consumer: leave the first N messages out of the MB/s, while V8 optimizes the loop (the benchmark does); default 0',
        fallback: 0,
        parse: wholeNumber(0, 2 ** 31),
      }),
      design: valued<'textbook' | 'batched'>('design', {
        env: 'IPC_LAB_RING_DESIGN',
        arg: 'DESIGN',
        help: 'textbook: one P and one V per message; batched: head and tail in the segment, a semop only to wake a sleeping side',
        fallback: 'textbook',
        parse: (text, source) => {
          if (text === 'textbook' || text === 'batched') return text;
          throw new UsageError(`${source} is ${JSON.stringify(text)}: give textbook (one P and one V per message) or batched`);
        },
      }),
    },
    build: ({ noVerify, ...v }, role) => ({ ...v, verify: !noVerify, role: role as 'producer' | 'consumer' }),
    load: async () => (await import('../labs/ring/ring.ts')).runRing,
  }),
  command({
    name: 'queue',
    summary: 'queue dispatcher|worker: typed messages on one System V message queue, a worker a type',
    usage: 'queue dispatcher|worker [options]',
    about:
      'The queue lab: the dispatcher sends jobs of types 1 and 2 on one message queue; worker N takes only type N, in order.\n' +
      'A slow worker (--delay) lets the queue fill up to msg_qbytes: the dispatcher then waits, after an EAGAIN it explains.',
    roles: ['dispatcher', 'worker'],
    options: {
      keyFile,
      key,
      jobs: valued('jobs', {
        env: 'IPC_LAB_JOBS',
        arg: 'N',
        help: `dispatcher: how many jobs, of both types together (1 to 10000; default ${DEFAULT_JOBS})`,
        fallback: DEFAULT_JOBS,
        parse: wholeNumber(1, 10_000),
      }),
      type: valued<number>('type', {
        env: 'IPC_LAB_WORKER_TYPE',
        arg: 'TYPE',
        help: `worker: the message type it takes (${WORKER_TYPES.join(' or ')})`,
        fallback: WORKER_TYPES[0],
        parse: wholeNumber(WORKER_TYPES[0], WORKER_TYPES[WORKER_TYPES.length - 1]!),
      }),
      delay: valued('delay', {
        env: 'IPC_LAB_DELAY',
        arg: 'SECONDS',
        help: 'worker: how long it takes over each job (a slow worker fills the queue); default 0, at most 10',
        fallback: 0,
        // Under the other side's --timeout (30 s): a blocked msgsnd waits about one job's time.
        parse: seconds(0, 10),
      }),
      timeout: timeout(30, 'how long to wait for the other side'),
    },
    build: (v, role) => ({ ...v, role: role as 'dispatcher' | 'worker' }),
    load: async () => (await import('../labs/queue/queue.ts')).runQueue,
  }),
  command({
    name: 'posix',
    summary: 'posix server|client|check: the PI message through POSIX shared memory (shm_open, mmap)',
    usage: 'posix server|client|check [options]',
    about:
      'The POSIX lab: the server creates /dev/shm/ipc-lab-message (shm_open, ftruncate, mmap) and writes the message with the\n' +
      "message lab's codec; the client opens it by name and reads it. The server unlinks the name when it stops.",
    roles: ['server', 'client', 'check'],
    options: {
      name: valued('name', {
        env: 'IPC_LAB_POSIX_NAME',
        arg: 'NAME',
        help: `the object's name, "/" and up to 254 characters without "/" (default ${POSIX_NAME})`,
        fallback: POSIX_NAME,
        parse: (text, source) => {
          if (/^\/[^/]{1,254}$/.test(text)) return text;
          throw new UsageError(`${source} is ${JSON.stringify(text)}: give a name such as ${POSIX_NAME}: one "/" first, no other`);
        },
      }),
      size: valued('size', {
        env: 'IPC_LAB_POSIX_SIZE',
        arg: 'BYTES',
        help: `server: the object's size (default ${POSIX_SIZE}; ${MIN_SEGMENT_SIZE} at least; up to 1GiB)`,
        fallback: POSIX_SIZE,
        parse: dataSize(MIN_SEGMENT_SIZE, 1 << 30, `from ${MIN_SEGMENT_SIZE} bytes to 1GiB`),
      }),
      mode: valued('mode', { arg: 'OCTAL', help: 'server: permission bits (default 600)', fallback: POSIX_MODE, parse: octalMode }),
      timeout: timeout(30, 'client: how long to wait for the object and its message'),
    },
    build: (v, role) => ({ ...v, role: role as 'server' | 'client' | 'check' }),
    load: async () => (await import('../labs/posix/posix.ts')).runPosix,
  }),
  command({
    name: 'poke',
    summary: 'overwrite a 32-bit integer in a segment (what its mode bits allow)',
    usage: 'poke --offset N --int32 VALUE [options]',
    about:
      "Attach the segment read-write, overwrite the 32-bit integer at byte offset N, detach.\nThe kernel allows it only if the segment's " +
      'mode lets this uid write (EACCES otherwise).',
    options: {
      ...ANY_LAB_KEY,
      offset: valued<number | undefined>('offset', {
        arg: 'N',
        help: "byte offset of the integer, from 0 (the message lab's numerator is at 36)",
        fallback: undefined,
        parse: wholeNumber(0, 2 ** 31),
      }),
      int32: valued<number | undefined>('int32', {
        arg: 'VALUE',
        help: 'the value to write, -2147483648 .. 2147483647',
        fallback: undefined,
        parse: wholeNumber(-(2 ** 31), 2 ** 31 - 1),
      }),
    },
    build(v) {
      if (v.offset === undefined) throw new UsageError(`--offset is missing: give a whole number from 0 to ${2 ** 31}`);
      if (v.int32 === undefined) throw new UsageError(`--int32 is missing: give a whole number from ${-(2 ** 31)} to ${2 ** 31 - 1}`);
      return { ...labChoice(v), offset: v.offset, int32: v.int32 };
    },
    load: async () => (await import('../tools/poke.ts')).runPoke,
  }),
  command({
    name: 'clean',
    summary: "remove the lab's leftover segments, semaphore sets, queues and /dev/shm objects, and only those",
    usage: 'clean [options]',
    about: `Remove the lab's leftover objects: segments, semaphore sets and message queues with the labs' keys
(${allLabs()
      .map((l) => l.name)
      .join(', ')}) and their signature, and POSIX objects in /dev/shm named ${POSIX_NAME_PREFIX}* that hold a lab
segment, that no process is attached to or maps. Never touches anything else.`,
    options: {
      keyFile,
      key,
      force: boolean('force', 'also remove objects that processes are still attached to'),
      dryRun: boolean('dry-run', 'say what would be removed, remove nothing'),
    },
    build: (v) => v,
    load: async () => (await import('../tools/clean.ts')).runClean,
  }),
  command({
    name: 'check',
    summary: 'exit 0 if the segment is ready (the compose healthcheck)',
    usage: 'check [options]',
    about:
      'Exit 0 if the segment exists and is ready (state 2); else print why and exit 1 (no segment)\nor 4 (not ready, or not a lab ' +
      'segment).',
    options: KEY,
    build: (v) => v,
    load: async () => (await import('../labs/message/check.ts')).runCheck,
  }),
  command({
    name: 'view',
    summary: 'the live view: every lab object in a browser, read-only, for the projector (make view)',
    usage: 'view [options]',
    about:
      "Serve a page that shows the lab's kernel objects live: the message segment's memory map as the\nbytes arrive, IPC_STAT, " +
      "every semaphore set, the race's counters, the ring's slots. Looks 20 times\na second, read-only (SHM_RDONLY, semctl GET " +
      'commands only); serves GET and nothing else.',
    options: {
      keyFile,
      listen: valued('listen', {
        env: 'IPC_LAB_VIEW_LISTEN',
        arg: 'ADDRESS',
        help: 'the address to listen on (the view service: 0.0.0.0 inside its container)',
        fallback: '127.0.0.1',
        parse: ipAddress,
      }),
      port: valued('port', {
        env: 'IPC_LAB_VIEW_PORT',
        arg: 'PORT',
        help: 'the TCP port to listen on (0: any free one, printed)',
        fallback: 8080,
        parse: wholeNumber(0, 65535),
      }),
      url: valued<string | undefined>('url', {
        env: 'IPC_LAB_VIEW_URL',
        arg: 'URL',
        help: 'the address to print for users (the view service: where Compose publishes the port)',
        fallback: undefined,
        parse: (text) => text.trim(),
      }),
      bind: valued<string | undefined>('bind', {
        env: 'IPC_LAB_VIEW_BIND',
        arg: 'ADDRESS',
        help: 'where users reach it, if not at --listen (the view service: VIEW_BIND); on loopback it answers only to localhost',
        fallback: undefined,
        parse: ipAddress,
      }),
      interval: valued('interval', {
        arg: 'MS',
        help: 'milliseconds between two looks',
        fallback: 50,
        parse: wholeNumber(10, 5000, ' ms'),
      }),
    },
    build: (v) => v,
    load: async () => (await import('../view/view.ts')).runView,
  }),
  command({
    name: 'lab',
    summary: "on the host: the lab's containers, namespaces and ipcs -m (make inspect)",
    usage: 'lab status',
    about:
      "Show the lab's containers (IPC mode, namespace, user, capabilities), and run `ipcs -m`\ninside the server's IPC namespace. Talks " +
      'to the Docker Engine; run it on the host.\nThe compose project is ipc-lab, or IPC_LAB_PROJECT.',
    roles: ['status'],
    defaultRole: 'status',
    options: {},
    build: () => ({}),
    load: async () => (await import('../docker/status.ts')).runLabStatus,
  }),
  command({
    name: 'doctor',
    summary: 'on the host: can this machine run the lab? (make doctor)',
    usage: 'doctor',
    about:
      "Check that this machine can run the lab: Docker answers, Compose v2 or later, buildx, the\nengine's architecture, free disk, two " +
      'containers sharing an IPC namespace, ptrace for\nmake gdb, and the lab image (for a room without internet). One line per ' +
      'check; exit 1 if\nany failed.',
    options: {
      compose: valued('compose', {
        env: 'COMPOSE',
        arg: 'COMMAND',
        help: 'how to call Compose',
        fallback: ['docker', 'compose'] as readonly string[],
        shown: 'docker compose',
        parse: (text) => text.trim().split(/\s+/),
      }),
      image: valued('image', {
        env: 'IPC_LAB_IMAGE',
        arg: 'IMAGE',
        help: "the lab's image",
        fallback: 'ipc-lab:latest',
        parse: nonEmptyPath('an image name'),
      }),
    },
    build: (v) => v,
    load: async () => (await import('../docker/doctor.ts')).runDoctor,
  }),
];

function shmidOf(text: string, source: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${source} is ${JSON.stringify(text)}: give a shmid as ipcs -m lists it (a number)`);
  return Number(text);
}

export function commands(): readonly Command[] {
  return COMMANDS;
}

export function commandNamed(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
