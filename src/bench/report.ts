/**
 * The benchmark's tables as text. Every figure is printed at a fixed width, so a table's shape
 * (the dashes under a header, where a column starts) never depends on the machine's figures:
 * handout 7 shows this output, and a student's laptop must print the same lines as ours.
 */
import { renderTable } from '../text/table.ts';

export interface ThroughputRow {
  readonly measure: string;
  readonly placement: string;
  readonly size: number;
  readonly mbps: number;
  /** Semaphore operations (kernel crossings) a message, both sides together, for the rings. */
  readonly semops?: number | undefined;
}

export interface LatencyRow {
  readonly placement: string;
  /** Round trip in microseconds, through System V semaphores (semop). */
  readonly koffi: number;
  readonly c: number;
  /** The same through POSIX semaphores (sem_t, pshared = 1, in a POSIX shared memory object). */
  readonly posixKoffi: number;
  readonly posixC: number;
}

/** One P and one V on a semaphore nobody else uses, in nanoseconds: System V and POSIX, koffi and C. */
export interface UncontendedRow {
  readonly sysvKoffi: number;
  readonly sysvC: number;
  readonly posixKoffi: number;
  readonly posixC: number;
}

/** A throughput in 11 columns: "   812 MB/s" or " 28.71 GB/s" (up to 999.99 GB/s). */
export function formatThroughput(mbps: number): string {
  return mbps >= 1000 ? `${(mbps / 1000).toFixed(2).padStart(6)} GB/s` : `${mbps.toFixed(0).padStart(6)} MB/s`;
}

/** A time in microseconds, in 10 columns: "   5.30 us" (up to 9999.99 us). */
export function formatMicroseconds(us: number): string {
  return `${us.toFixed(2).padStart(7)} us`;
}

/** A time in nanoseconds, in 11 columns: "   1234.5 ns" (up to 999999.9 ns: a semop under emulation takes tens of thousands). */
export function formatNanoseconds(ns: number): string {
  return `${ns.toFixed(1).padStart(8)} ns`;
}

/** A ratio in 6 columns: " 1.23x" (up to 99.99x). */
export function formatRatio(ratio: number | undefined): string {
  return ratio === undefined || !Number.isFinite(ratio) ? '     -' : `${ratio.toFixed(2).padStart(5)}x`;
}

/** A ratio that may run to thousands, in 7 columns: "  139.1x" (up to 9999.9x): System V against POSIX, uncontended. */
export function formatLargeRatio(ratio: number | undefined): string {
  return ratio === undefined || !Number.isFinite(ratio) ? '      -' : `${ratio.toFixed(1).padStart(6)}x`;
}

/** A share in 7 columns: " 12.3 %" (up to 100.0 %). */
export function formatPercent(share: number | undefined): string {
  return share === undefined || !Number.isFinite(share) ? '      -' : `${share.toFixed(1).padStart(5)} %`;
}

/** Semops a message in 6 columns: "  4.00", "  0.03", or "     -" for what makes none. */
export function formatSemops(semops: number | undefined): string {
  return semops === undefined || !Number.isFinite(semops) ? '     -' : semops.toFixed(2).padStart(6);
}

export const kib = (size: number): string => `${size / 1024} KiB`;

/** What each row measures, in the order the benchmark runs them, and its design. */
export const MEASURES = {
  nodeTextbook: 'ring, textbook (Node, koffi)',
  nodeBatched: 'ring, batched (Node, koffi)',
  cTextbook: 'ring, textbook (C)',
  cBatched: 'ring, batched (C)',
  unixSocket: 'Unix socket (Node)',
  pipe: 'pipe (Node)',
  memcpy: 'memcpy, one thread (C): the ceiling',
  koffiView: 'copy into a koffi view (Node)',
} as const;

/** Between two processes, measured for every placement. */
export const PAIR_MEASURES = [
  MEASURES.nodeTextbook,
  MEASURES.nodeBatched,
  MEASURES.cTextbook,
  MEASURES.cBatched,
  MEASURES.unixSocket,
  MEASURES.pipe,
] as const;

/** The goals the batched Node ring is held to, in one run: against C and against a Unix socket. */
export const GOALS = [
  { size: 65536, against: MEASURES.cBatched, atLeast: 0.9, what: 'of the batched C ring' },
  { size: 4096, against: MEASURES.cBatched, atLeast: 0.7, what: 'of the batched C ring' },
  { size: 65536, against: MEASURES.unixSocket, atLeast: 5, what: 'a Node Unix socket' },
] as const;
export const PING_PONG_GOAL = 1.2;

export interface Machine {
  readonly cpu: string;
  readonly cpus: number;
  readonly kernel: string;
  readonly node: string;
}

/** Bytes a transfer moves, by message size: the batched rings', and everything else's. */
export interface Transfers {
  readonly batched: ReadonlyMap<number, number>;
  readonly others: ReadonlyMap<number, number>;
}

/**
 * Bytes a transfer moves, by message size: the batched rings, at several GB/s, need gigabytes to
 * run long enough to be timed; the others (the textbook rings, a socket, a pipe) reach their
 * steady state in far less, and would take minutes over as much.
 */
export const TRANSFERS: Transfers = {
  batched: new Map([
    [4096, 2 ** 32],
    [65536, 2 ** 33],
  ]),
  others: new Map([
    [4096, 2 ** 29],
    [65536, 2 ** 31],
  ]),
};

/** The share of each transfer left out of its figure at the start, while V8 optimizes. */
export const WARM_UP_SHARE = 1 / 4;

/** The lines before the progress dots: the machine, and what each figure is. */
export function heading(host: Machine, repeats: number, ringBytes: number, transfers: Transfers, quick: boolean): string {
  const sizes = (bytes: ReadonlyMap<number, number>): string =>
    [...bytes].map(([size, total]) => `${total / 2 ** 20} MiB at ${kib(size)}`).join(', ');
  return [
    `ipc-lab benchmark on ${host.cpu} (${host.cpus} CPUs), Linux ${host.kernel}, Node ${host.node}${quick ? ', --quick' : ''}`,
    `each figure the median of ${repeats} runs, the measures taking turns; ring of ${ringBytes >> 10} KiB`,
    `a transfer: the batched rings ${sizes(transfers.batched)}, the others ${sizes(transfers.others)}`,
    `its first quarter is left out, in Node and C alike, while V8 optimizes`,
  ].join('\n');
}

export function throughputTable(rows: readonly ThroughputRow[]): string {
  return renderTable(
    ['measure', 'placement', 'message', 'throughput', 'semops a message'],
    rows.map((r) => [r.measure, r.placement, kib(r.size), formatThroughput(r.mbps), formatSemops(r.semops)]),
  );
}

const find = (rows: readonly ThroughputRow[], measure: string, placement: string, size: number): number | undefined =>
  rows.find((r) => r.measure === measure && r.placement === placement && r.size === size)?.mbps;

/** Each ring design in Node against its baselines, per message size and placement. */
export function ratioTable(rows: readonly ThroughputRow[], sizes: readonly number[], placements: readonly string[]): string {
  const lines = sizes.flatMap((size) =>
    placements.map((placement) => {
      const get = (measure: string) => find(rows, measure, placement, size);
      const ratio = (a: number | undefined, b: number | undefined): string => formatRatio(a && b ? a / b : undefined);
      const ceiling = find(rows, MEASURES.memcpy, 'one CPU', size);
      const batched = get(MEASURES.nodeBatched);
      return [
        kib(size),
        placement,
        ratio(batched, get(MEASURES.cBatched)),
        ratio(get(MEASURES.nodeTextbook), get(MEASURES.cTextbook)),
        ratio(batched, get(MEASURES.nodeTextbook)),
        ratio(batched, get(MEASURES.unixSocket)),
        formatPercent(batched && ceiling ? (100 * batched) / ceiling : undefined),
      ];
    }),
  );
  return renderTable(
    ['message', 'placement', 'batched: Node / C', 'textbook: Node / C', 'batched / textbook', 'batched / Unix socket', 'of memcpy'],
    lines,
  );
}

export const SYSV_SEMAPHORES = 'System V (semop)';
export const POSIX_SEMAPHORES = 'POSIX (sem_wait, sem_post)';

export function latencyTable(latency: readonly LatencyRow[]): string {
  return renderTable(
    ['placement', 'semaphores', 'koffi (Node)', 'C', 'koffi / C'],
    latency.flatMap((l) => [
      [l.placement, SYSV_SEMAPHORES, formatMicroseconds(l.koffi), formatMicroseconds(l.c), formatRatio(l.koffi / l.c)],
      [l.placement, POSIX_SEMAPHORES, formatMicroseconds(l.posixKoffi), formatMicroseconds(l.posixC), formatRatio(l.posixKoffi / l.posixC)],
    ]),
  );
}

export function uncontendedTable(u: UncontendedRow): string {
  return renderTable(
    ['semaphores', 'koffi (Node)', 'C', 'koffi / C'],
    [
      [SYSV_SEMAPHORES, formatNanoseconds(u.sysvKoffi), formatNanoseconds(u.sysvC), formatLargeRatio(u.sysvKoffi / u.sysvC)],
      [POSIX_SEMAPHORES, formatNanoseconds(u.posixKoffi), formatNanoseconds(u.posixC), formatLargeRatio(u.posixKoffi / u.posixC)],
    ],
  );
}

/** System V's time over POSIX's: uncontended, then the ping-pong on each placement. */
export function semaphoreRatioTable(u: UncontendedRow, latency: readonly LatencyRow[]): string {
  return renderTable(
    ['System V / POSIX', 'koffi (Node)', 'C'],
    [
      ['uncontended P and V', formatLargeRatio(u.sysvKoffi / u.posixKoffi), formatLargeRatio(u.sysvC / u.posixC)],
      ...latency.map((l) => [`ping-pong, ${l.placement}`, formatLargeRatio(l.koffi / l.posixKoffi), formatLargeRatio(l.c / l.posixC)]),
    ],
  );
}

/** One line a goal: what it asks, what this run measured on each placement, met or not. */
export function goalLines(rows: readonly ThroughputRow[], latency: readonly LatencyRow[], placements: readonly string[]): string[] {
  const verdict = (ok: boolean): string => (ok ? 'met' : 'missed');
  const lines = GOALS.map((goal) => {
    const ratios = placements.map((p) => {
      const ours = find(rows, MEASURES.nodeBatched, p, goal.size);
      const theirs = find(rows, goal.against, p, goal.size);
      return { p, r: ours && theirs ? ours / theirs : Number.NaN };
    });
    const shown = ratios.map(({ p, r }) => `${formatRatio(r).trim()} on ${p}`).join(', ');
    const met = verdict(ratios.every(({ r }) => r >= goal.atLeast));
    const atLeast = formatRatio(goal.atLeast).trim();
    return `goal: batched Node ring at ${kib(goal.size).padStart(6)}, at least ${atLeast} ${goal.what}: ${shown}: ${met}`;
  });
  const pp = latency.map((l) => `${formatRatio(l.koffi / l.c).trim()} on ${l.placement}`).join(', ');
  const ppMet = verdict(latency.every((l) => l.koffi / l.c <= PING_PONG_GOAL));
  lines.push(`goal: ping-pong (System V) within ${formatRatio(PING_PONG_GOAL).trim()} of C: ${pp}: ${ppMet}`);
  return lines;
}

/** The tables and the goals, as `make bench` prints them after its progress dots. */
export function renderReport(
  rows: readonly ThroughputRow[],
  latency: readonly LatencyRow[],
  sizes: readonly number[],
  placements: readonly string[],
  uncontended: UncontendedRow,
): string {
  return [
    throughputTable(rows),
    '',
    `The Node rings against each baseline (above 1x: the first is faster):\n${ratioTable(rows, sizes, placements)}`,
    '',
    `Ping-pong round trip (contended: each P waits for the other's V; two wake-ups a trip):\n${latencyTable(latency)}`,
    '',
    `One P and one V, nobody else using the semaphore (uncontended), a pair:\n${uncontendedTable(uncontended)}`,
    '',
    `System V semaphores against POSIX ones (above 1x: POSIX is faster):\n${semaphoreRatioTable(uncontended, latency)}`,
    '',
    ...goalLines(rows, latency, placements),
  ].join('\n');
}
