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
}

export interface LatencyRow {
  readonly placement: string;
  /** Round trip in microseconds. */
  readonly koffi: number;
  readonly c: number;
}

/** A throughput in 11 columns: "   812 MB/s" or " 28.71 GB/s" (up to 999.99 GB/s). */
export function formatThroughput(mbps: number): string {
  return mbps >= 1000 ? `${(mbps / 1000).toFixed(2).padStart(6)} GB/s` : `${mbps.toFixed(0).padStart(6)} MB/s`;
}

/** A time in microseconds, in 10 columns: "   5.30 us" (up to 9999.99 us). */
export function formatMicroseconds(us: number): string {
  return `${us.toFixed(2).padStart(7)} us`;
}

/** A ratio in 6 columns: " 1.23x" (up to 99.99x). */
export function formatRatio(ratio: number | undefined): string {
  return ratio === undefined || !Number.isFinite(ratio) ? '     -' : `${ratio.toFixed(2).padStart(5)}x`;
}

/** A share in 7 columns: " 12.3 %" (up to 100.0 %). */
export function formatPercent(share: number | undefined): string {
  return share === undefined || !Number.isFinite(share) ? '      -' : `${share.toFixed(1).padStart(5)} %`;
}

export const kib = (size: number): string => `${size / 1024} KiB`;

/** What each row measures, in the order the benchmark runs them. */
export const MEASURES = {
  nodeRing: 'ring: koffi + SysV sem (Node)',
  unixSocket: 'Unix socket (Node)',
  pipe: 'pipe (Node)',
  cRing: 'ring: SysV shm + sem (C)',
  memcpy: 'memcpy, one thread (C): the ceiling',
  koffiView: 'copy into a koffi view (Node)',
} as const;

/** Between two processes, measured for every placement. */
export const PAIR_MEASURES = [MEASURES.nodeRing, MEASURES.unixSocket, MEASURES.pipe, MEASURES.cRing] as const;

export interface Machine {
  readonly cpu: string;
  readonly cpus: number;
  readonly kernel: string;
  readonly node: string;
}

/** The two lines before the progress dots: the machine, and what each figure is. */
export function heading(host: Machine, repeats: number, ringBytes: number, totals: ReadonlyMap<number, number>, quick: boolean): string {
  const sizes = [...totals].map(([size, bytes]) => `${kib(size)}: ${bytes >> 20} MiB`).join(', ');
  return [
    `ipc-lab benchmark on ${host.cpu} (${host.cpus} CPUs), Linux ${host.kernel}, Node ${host.node}${quick ? ', --quick' : ''}`,
    `each figure the median of ${repeats} runs; ring of ${ringBytes >> 10} KiB; ${sizes}`,
  ].join('\n');
}

export function throughputTable(rows: readonly ThroughputRow[]): string {
  return renderTable(
    ['measure', 'placement', 'message', 'throughput'],
    rows.map((r) => [r.measure, r.placement, kib(r.size), formatThroughput(r.mbps)]),
  );
}

/** The Node ring against each baseline, per message size and placement. */
export function ratioTable(rows: readonly ThroughputRow[], sizes: readonly number[], placements: readonly string[]): string {
  const find = (measure: string, placement: string, size: number): number | undefined =>
    rows.find((r) => r.measure === measure && r.placement === placement && r.size === size)?.mbps;
  const lines = sizes.flatMap((size) =>
    placements.map((placement) => {
      const ring = find(MEASURES.nodeRing, placement, size) ?? Number.NaN;
      const ratio = (other: number | undefined): string => formatRatio(other ? ring / other : undefined);
      const ceiling = find(MEASURES.memcpy, 'one CPU', size);
      return [
        kib(size),
        placement,
        ratio(find(MEASURES.unixSocket, placement, size)),
        ratio(find(MEASURES.pipe, placement, size)),
        ratio(find(MEASURES.cRing, placement, size)),
        formatPercent(ceiling ? (100 * ring) / ceiling : undefined),
      ];
    }),
  );
  return renderTable(['message', 'placement', 'vs Unix socket', 'vs pipe', 'vs C ring', 'of memcpy'], lines);
}

export function latencyTable(latency: readonly LatencyRow[]): string {
  return renderTable(
    ['placement', 'koffi (Node)', 'C', 'koffi / C'],
    latency.map((l) => [l.placement, formatMicroseconds(l.koffi), formatMicroseconds(l.c), formatRatio(l.koffi / l.c)]),
  );
}

/** The three tables, as `make bench` prints them after its progress dots. */
export function renderReport(
  rows: readonly ThroughputRow[],
  latency: readonly LatencyRow[],
  sizes: readonly number[],
  placements: readonly string[],
): string {
  return [
    throughputTable(rows),
    '',
    `The Node ring against each baseline (above 1x: the ring is faster):\n${ratioTable(rows, sizes, placements)}`,
    '',
    `Ping-pong round trip (two semops and two wake-ups each way):\n${latencyTable(latency)}`,
  ].join('\n');
}
