// Handout 7's `make bench` block against the benchmark's own report, rendered with figures of
// every width a machine may produce: the block must match them all, since no handout line may
// take its shape from one machine's figures (a laptop 3x slower than ours, or 10x faster).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHandout } from '../../scripts/handouts/blocks.ts';
import { matchOutput } from '../../scripts/handouts/expected.ts';
import { heading, MEASURES, PAIR_MEASURES, renderReport, TRANSFERS, type LatencyRow, type ThroughputRow } from '../../src/bench/report.ts';
import { ROOT } from '../support/cli.ts';

const handout = parseHandout(join(ROOT, 'docs/handouts/07-ring-and-performance.md'));
const bench = handout.steps.find((s) => s.command.trim() === 'make bench');
const SIZES = [4096, 65536];
const PLACEMENTS = ['one CPU', 'two CPUs'];

/** What `make bench` prints, every figure multiplied by `scale` (throughputs) or its inverse (times). */
function benchOutput(scale: number, mbps: number, us: number): string {
  const rows: ThroughputRow[] = [];
  for (const size of SIZES) {
    for (const placement of PLACEMENTS)
      for (const [i, measure] of PAIR_MEASURES.entries()) {
        // The rings count their semops a message: 4.00 for the textbook ones, well under 1 for the batched.
        const semops = measure.startsWith('ring') ? 4 / scale / (i + 1) : undefined;
        rows.push({ measure, placement, size, mbps: mbps * scale * (i + 1), semops });
      }
    rows.push({ measure: MEASURES.memcpy, placement: 'one CPU', size, mbps: mbps * scale * 40 });
    rows.push({ measure: MEASURES.koffiView, placement: 'this process', size, mbps: mbps * scale * 9 });
  }
  const latency: LatencyRow[] = PLACEMENTS.map((placement, i) => ({
    placement,
    koffi: (us * (i + 1)) / scale,
    c: (us * (i + 1)) / scale / 1.3,
    posixKoffi: (us * (i + 1)) / scale / 1.1,
    posixC: (us * (i + 1)) / scale / 1.6,
  }));
  // Uncontended, in nanoseconds: System V a system call each, POSIX some hundred times less in C.
  const uncontended = { sysvKoffi: (us * 250) / scale, sysvC: (us * 180) / scale, posixKoffi: (us * 20) / scale, posixC: us / scale };
  const host = { cpu: 'Apple M3 Pro', cpus: 2, kernel: '6.10.14-linuxkit', node: 'v22.23.3' };
  return [
    'mkdir -p out',
    'docker compose --project-name ipc-lab-test --profile test run --rm --build --entrypoint npm test run bench; \\',
    ' status=$?; docker compose --project-name ipc-lab-test --profile test down --volumes --remove-orphans >/dev/null 2>&1; exit $status',
    '#12 [test 3/7] RUN npm ci',
    `${heading(host, 3, 1 << 20, TRANSFERS, false)}`,
    '',
    'measuring, one dot per run: ......................',
    '',
    renderReport(rows, latency, SIZES, PLACEMENTS, uncontended),
    '',
    'wrote out/bench.json and out/bench.svg (in the repository)',
  ].join('\n');
}

describe("handout 7's benchmark block", () => {
  it('is there, with its expected output', () => {
    expect(bench?.expected).toBeDefined();
  });

  // From a slow emulated VM (8 MB/s, 900 us) to a fast desktop (hundreds of GB/s, under 1 us).
  it.each([
    ['slow: every figure in MB/s, times in the hundreds of us', 0.01, 800, 9],
    ['ours: MB/s and GB/s mixed', 1, 800, 5.3],
    ['10x faster: two-digit GB/s', 10, 800, 5.3],
    ['100x faster: three-digit GB/s, sub-microsecond times', 100, 100, 5.3],
    ['an emulated VM: 1 MB/s, milliseconds a round trip', 0.003, 300, 9],
  ])('matches a run with %s', (_what, scale, mbps, us) => {
    const result = matchOutput(bench!.expected!.text, benchOutput(scale, mbps, us));
    expect(result.ok, result.ok ? '' : result.reason).toBe(true);
  });
});
