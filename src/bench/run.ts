/**
 * npm run bench (make bench): what shared memory buys, measured in one run beside its baselines.
 *
 * - ring buffer throughput between two processes (the lab's own ring producer and consumer) for
 *   4 KiB and 64 KiB messages, next to the same transfer between two Node processes over a Unix
 *   domain socket and over a pipe, and a C ring of the same design (SysV shm and semaphores);
 * - the ceiling: single-thread memcpy (C), and copying into a koffi view from Node;
 * - round-trip latency of a one-slot ping-pong through two semaphores, koffi and C, System V
 *   semaphores and POSIX ones (contended), and one P and V on a semaphore nobody else uses
 *   (uncontended), System V and POSIX, koffi and C;
 * each with both processes on one CPU and on two CPUs (taskset), since waking another CPU is
 * what dominates a hand-over between CPUs. A benchmark, not a test: it asserts nothing about
 * speed; it prints a table, the ratios, and writes out/bench.json and out/bench.svg.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { attach, getSegment, IPC_CREAT, IPC_PRIVATE, remove } from '../sysv/shm.ts';
import { lastJson, median, output, outputs, pinned, repeat, start, type Placement } from './measure.ts';
import {
  heading,
  kib,
  MEASURES,
  renderReport,
  TRANSFERS,
  WARM_UP_SHARE,
  type LatencyRow,
  type Machine,
  type ThroughputRow,
  type Transfers,
  type UncontendedRow,
} from './report.ts';
import { posixPair, sysvPair } from './semaphores.ts';
import { barChart } from './svg-chart.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE = ['node', '--import', 'tsx'];
const SIZES = [4096, 65536];
const RING_BYTES = 1 << 20; // 1 MiB of slots, as the C reference uses
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const quick = process.argv.includes('--quick'); // for a smoke run: a sixteenth of the data
type Kind = keyof Transfers;
const total = (size: number, kind: Kind): number => TRANSFERS[kind].get(size)! / (quick ? 16 : 1);
/**
 * Messages left out of every figure at the start, in Node and in C alike: the first quarter of
 * the transfer (WARM_UP_SHARE). V8 runs a loop in its interpreter and baseline tiers before it
 * optimizes it, and its compiler threads (and tsx's loader thread) share the pinned CPU with the
 * stream for the first second or so. The figures are the steady state, as a long stream sees.
 */
const warmUp = (size: number, kind: Kind): number => Math.floor(total(size, kind) * WARM_UP_SHARE) / size;

const placements: Placement[] =
  availableParallelism() >= 2
    ? [
        { name: 'one CPU', cpus: [0, 0] },
        { name: 'two CPUs', cpus: [0, 1] },
      ]
    : [{ name: 'one CPU', cpus: [0, 0] }];
const randomKey = (): number => (0x62000000 + Math.floor(Math.random() * 0xffffff)) | 0;
const mbps = (r: { bytes: number; seconds: number }): number => r.bytes / r.seconds / 1e6;

function compile(dir: string, name: string): string {
  const out = join(dir, name);
  execFileSync('gcc', ['-O2', '-o', out, join(ROOT, 'bench', 'c', `${name}.c`)]);
  return out;
}

/** One figure of a ring: its throughput, and the semops it made a message, both sides together. */
interface RingFigure {
  readonly mbps: number;
  readonly semops: number;
}

async function nodeRing(size: number, p: Placement, design: 'textbook' | 'batched'): Promise<RingFigure> {
  const key = `0x${(randomKey() >>> 0).toString(16)}`;
  const common = ['--key', key, '--no-verify', '--design', design];
  const kind = design === 'batched' ? 'batched' : 'others';
  const slots = String(RING_BYTES / size);
  const producerArgv = [
    ...NODE,
    'src/cli.ts',
    'ring',
    'producer',
    ...common,
    '--bytes',
    String(total(size, kind)),
    '--slot-size',
    String(size),
    '--slots',
    slots,
  ];
  const producer = start(pinned(p.cpus?.[0], producerArgv));
  const consumer = start(
    pinned(p.cpus?.[1], [...NODE, 'src/cli.ts', 'ring', 'consumer', ...common, '--warm-up', String(warmUp(size, kind))]),
  );
  const [sent, text] = await outputs([
    [producer, 'ring producer'],
    [consumer, 'ring consumer'],
  ]);
  const m = text.match(/consumer: (\d+) bytes in (\d+) messages, ([\d.]+) MB\/s(?: \([^)]*\))?, (\d+) semops/);
  const n = sent.match(/producer: \d+ bytes in \d+ messages, [\d.]+ MB\/s, (\d+) semops/);
  if (!m || !n) throw new Error(`no rate or semops in the ring's output:\n${sent}\n${text}`);
  return { mbps: Number(m[3]), semops: (Number(m[4]) + Number(n[1])) / (Number(m[2]) + 1) };
}

async function unixSocket(size: number, p: Placement, dir: string): Promise<number> {
  const path = join(dir, `bench-${process.pid}.sock`);
  const receiver = start(
    pinned(p.cpus?.[1], [
      ...NODE,
      'src/bench/stream-baseline.ts',
      'socket-receive',
      path,
      String(total(size, 'others')),
      String(warmUp(size, 'others') * size),
    ]),
  );
  await new Promise<void>((resolve) => receiver.stderr?.once('data', () => resolve()));
  const sender = start(
    pinned(p.cpus?.[0], [...NODE, 'src/bench/stream-baseline.ts', 'socket-send', path, String(size), String(total(size, 'others'))]),
  );
  const [, text] = await outputs([
    [sender, 'socket sender'],
    [receiver, 'socket receiver'],
  ]);
  rmSync(path, { force: true });
  return mbps(lastJson(text));
}

async function pipe(size: number, p: Placement): Promise<number> {
  // A shell pipeline, so that the pipe runs straight from one process to the other.
  const quote = (argv: string[]): string => argv.map((a) => `'${a}'`).join(' ');
  const sender = quote(
    pinned(p.cpus?.[0], [...NODE, 'src/bench/stream-baseline.ts', 'stdout-send', String(size), String(total(size, 'others'))]),
  );
  const receiver = quote(
    pinned(p.cpus?.[1], [
      ...NODE,
      'src/bench/stream-baseline.ts',
      'stdin-receive',
      String(total(size, 'others')),
      String(warmUp(size, 'others') * size),
    ]),
  );
  return mbps(lastJson(await output(start(['sh', '-c', `${sender} | ${receiver}`]), 'pipe')));
}

async function cRing(binary: string, size: number, p: Placement, kind: Kind): Promise<RingFigure> {
  const cpuArgs = p.cpus ? p.cpus.map(String) : [];
  const r = lastJson<{ bytes: number; seconds: number; messages: number; semops: number }>(
    await output(
      start([binary, String(size), String(total(size, kind)), String(RING_BYTES), String(warmUp(size, kind)), ...cpuArgs]),
      'C ring',
    ),
  );
  return { mbps: mbps(r), semops: r.semops / r.messages };
}

async function cMemcpy(binary: string, size: number): Promise<number> {
  return mbps(
    lastJson(await output(start(pinned(0, [binary, String(size), String(4 * total(size, 'batched')), String(RING_BYTES)])), 'memcpy')),
  );
}

/** TypedArray.set into a koffi view of a real segment, in this process. */
function koffiViewCopy(size: number): number {
  const shmid = getSegment(IPC_PRIVATE, RING_BYTES, IPC_CREAT | 0o600);
  let a: ReturnType<typeof attach> | undefined;
  try {
    a = attach(shmid);
    const chunk = new Uint8Array(size).fill(0x5a);
    const slots = RING_BYTES / size;
    const bytes = 4 * total(size, 'batched');
    const started = process.hrtime.bigint();
    for (let i = 0, n = bytes / size; i < n; i++) a.view.write((i % slots) * size, chunk);
    return bytes / (Number(process.hrtime.bigint() - started) / 1e9) / 1e6;
  } finally {
    a?.detach();
    remove(shmid);
  }
}

/** Microseconds a round trip, koffi and C, through System V or POSIX semaphores: the two taking turns, the median of each. */
async function pingPongOf(kind: 'sysv' | 'posix', p: Placement, cBinary: string): Promise<{ koffi: number; c: number }> {
  const trips = p.cpus && p.cpus[0] !== p.cpus[1] ? (quick ? 1000 : 5000) : quick ? 5000 : 50000;
  const perTrip = (r: { roundTrips: number; seconds: number }): number => (r.seconds / r.roundTrips) * 1e6;
  const koffi: number[] = [];
  const c: number[] = [];
  for (let round = 0; round < REPEATS; round++) {
    const key = String(randomKey());
    const side = (role: string, cpu: number | undefined) =>
      start(pinned(cpu, [...NODE, 'src/bench/pingpong.ts', role, kind, key, String(trips)]));
    const pong = side('pong', p.cpus?.[1]);
    const ping = side('ping', p.cpus?.[0]);
    const [text] = await outputs([
      [ping, 'ping'],
      [pong, 'pong'],
    ]);
    koffi.push(perTrip(lastJson(text)));
    c.push(perTrip(lastJson(await output(start([cBinary, kind, String(trips), ...(p.cpus ? p.cpus.map(String) : [])]), 'C ping-pong'))));
  }
  return { koffi: median(koffi), c: median(c) };
}

async function pingPong(p: Placement, cBinary: string): Promise<LatencyRow> {
  const sysv = await pingPongOf('sysv', p, cBinary);
  const posix = await pingPongOf('posix', p, cBinary);
  return { placement: p.name, ...sysv, posixKoffi: posix.koffi, posixC: posix.c };
}

/** Nanoseconds a P and V pair nobody else contends: koffi in this process, C pinned to CPU 0. */
async function uncontended(cBinary: string): Promise<UncontendedRow> {
  const pairs = quick ? 20_000 : 200_000;
  const sysvKoffi = await repeat(REPEATS, () => sysvPair(pairs));
  const posixKoffi = await repeat(REPEATS, async () => posixPair(10 * pairs));
  const c: Array<{ sysv: number; posix: number }> = [];
  for (let i = 0; i < REPEATS; i++) c.push(lastJson(await output(start(pinned(0, [cBinary, String(pairs)])), 'C semaphores')));
  return { sysvKoffi, posixKoffi, sysvC: median(c.map((r) => r.sysv)), posixC: median(c.map((r) => r.posix)) };
}

function machine(): Machine & { readonly date: string } {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    model = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {
    /* not Linux */
  }
  return { cpu: model, cpus: availableParallelism(), kernel: release(), node: process.version, date: new Date().toISOString() };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-bench-'));
  try {
    const bin = {
      ring: compile(dir, 'shm-ring'),
      batched: compile(dir, 'shm-ring-batched'),
      memcpy: compile(dir, 'memcpy'),
      pingpong: compile(dir, 'pingpong'),
      semaphores: compile(dir, 'sem-uncontended'),
    };
    const host = machine();
    const sizes: Transfers = {
      batched: new Map(SIZES.map((size) => [size, total(size, 'batched')])),
      others: new Map(SIZES.map((size) => [size, total(size, 'others')])),
    };
    process.stdout.write(`${heading(host, REPEATS, RING_BYTES, sizes, quick)}\n\n`);

    const rows: ThroughputRow[] = [];
    // Progress on stdout, like the tables: two streams would interleave unpredictably in a pipe.
    process.stdout.write('measuring, one dot per run: ');
    for (const size of SIZES) {
      for (const p of placements) {
        const measures = [
          [MEASURES.nodeTextbook, () => nodeRing(size, p, 'textbook')],
          [MEASURES.nodeBatched, () => nodeRing(size, p, 'batched')],
          [MEASURES.cTextbook, () => cRing(bin.ring, size, p, 'others')],
          [MEASURES.cBatched, () => cRing(bin.batched, size, p, 'batched')],
          [MEASURES.unixSocket, async () => ({ mbps: await unixSocket(size, p, dir), semops: undefined })],
          [MEASURES.pipe, async () => ({ mbps: await pipe(size, p), semops: undefined })],
        ] as const;
        // The measures take turns, run after run, rather than each running REPEATS times in a
        // row: a shared machine's speed drifts over seconds, and a ratio of two figures measured
        // a minute apart would measure the drift as much as the two transfers.
        const runs = measures.map((): Array<{ mbps: number; semops: number | undefined }> => []);
        for (let round = 0; round < REPEATS; round++) {
          for (const [i, [, run]] of measures.entries()) {
            runs[i]!.push(await run());
            process.stdout.write('.');
          }
        }
        // Each figure the run with the median throughput (its semops with it).
        for (const [i, [measure]] of measures.entries()) {
          const median = runs[i]!.sort((a, b) => a.mbps - b.mbps)[Math.floor(REPEATS / 2)]!;
          rows.push({ measure, placement: p.name, size, ...median });
        }
      }
      rows.push({ measure: MEASURES.memcpy, placement: 'one CPU', size, mbps: await repeat(REPEATS, () => cMemcpy(bin.memcpy, size)) });
      rows.push({
        measure: MEASURES.koffiView,
        placement: 'this process',
        size,
        mbps: await repeat(REPEATS, async () => koffiViewCopy(size)),
      });
    }
    const latency: LatencyRow[] = [];
    for (const p of placements) {
      latency.push(await pingPong(p, bin.pingpong));
      process.stdout.write('.');
    }
    const semaphores = await uncontended(bin.semaphores);
    process.stdout.write('.\n\n');

    process.stdout.write(
      `${renderReport(
        rows,
        latency,
        SIZES,
        placements.map((p) => p.name),
        semaphores,
      )}\n`,
    );

    mkdirSync(join(ROOT, 'out'), { recursive: true });
    const json = join(ROOT, 'out', 'bench.json');
    const svg = join(ROOT, 'out', 'bench.svg');
    writeFileSync(
      json,
      `${JSON.stringify(
        { machine: host, repeats: REPEATS, ringBytes: RING_BYTES, throughput: rows, pingPong: latency, uncontendedSemaphores: semaphores },
        null,
        2,
      )}\n`,
    );
    // Only the transfers between two processes: the memcpy ceiling would flatten every other bar.
    const transfers = rows.filter((r) => r.placement !== 'this process' && r.measure !== MEASURES.memcpy);
    writeFileSync(
      svg,
      barChart(
        `ipc-lab: throughput between two processes (${host.cpus} CPUs, ${host.cpu})`,
        'MB/s',
        transfers.map((r) => ({ label: `${r.measure}, ${kib(r.size)}`, value: r.mbps, group: r.placement })),
      ),
    );
    // Relative to the repository: in the test container it is mounted at /src, on the host it is here.
    process.stdout.write(`\nwrote ${relative(ROOT, json)} and ${relative(ROOT, svg)} (in the repository)\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
