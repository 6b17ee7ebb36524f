/**
 * The decode section's ceiling and its "where the step goes" table (src/report/decode-section.ts,
 * issue 22), rendered from a published H200 decode run's CSVs: the ceiling is the fastest kernel
 * of the bandwidth reference, and each strategy's parts add up to its step.
 */
import { describe, expect, it } from 'vitest';
import { bandwidthReference, decodeSection } from '../src/report/decode-section.ts';
import { readRun, type BandwidthCsvRow } from '../src/report/read-run.ts';

const RUN = 'results/20261201T173902Z-nvidia-h200-decode-pair/a';

const row = (method: string, gpuGBps: number | null, wallGBps: number): BandwidthCsvRow => ({
  method,
  bytes: 2 ** 28,
  wallGBps,
  gpuGBps,
  ofCopy: null,
  workgroups: null,
  peakGBps: null,
  peakSource: null,
  ofPeak: null,
});

describe('decode report', () => {
  it('holds the step to the fastest kernel of the bandwidth reference, never to the copy', () => {
    const run = readRun(RUN);
    const map = run.bandwidth.find((b) => b.method === 'map-kernel');
    expect(bandwidthReference(run)).toEqual({ GBps: map?.gpuGBps, method: 'the `map` kernel' });
    const streams = {
      ...run,
      bandwidth: [
        row('copyBufferToBuffer', null, 9000),
        row('map-kernel', 2100, 2000),
        row('stream-copy', 3900, 3700),
        row('stream-read', null, 4100),
      ],
    };
    expect(bandwidthReference(streams)).toEqual({ GBps: 4100, method: 'the `stream-read` kernel' });
  });

  it("splits every strategy's step into the weight floor, GPU busy above it and time off the GPU", () => {
    const run = readRun(RUN);
    const lines = decodeSection(run);
    const reference = bandwidthReference(run)!;
    const at = lines.findIndex((l) => l.startsWith('| strategy | step | weight floor'));
    expect(at).toBeGreaterThan(0);
    const number = (cell: string): number => Number(cell.replace(/,/g, '').trim());
    const rows = lines.slice(at + 2).filter((l) => l.startsWith('| `'));
    // The first group's table: as many rows as its measured strategies.
    const first = run.summary.filter(
      (r) =>
        r.unit === 'step' && r.workload === run.summary.find((x) => x.unit === 'step')?.workload,
    );
    const table = rows.slice(0, first.filter((r) => r.status === 'ok').length);
    expect(table.length).toBeGreaterThan(5);
    const weightBytes = first[0]?.weightBytes ?? 0;
    for (const line of table) {
      const cells = line.split('|').slice(1, -1);
      const [step, floor, above, between, rest] = cells
        .slice(1)
        .map((c) => (c.trim() === '–' ? 0 : number(c)));
      expect(floor, line).toBeCloseTo(weightBytes / reference.GBps / 1e3, -1);
      // Each figure is printed to 3–4 significant digits: the parts add up within that.
      expect(Math.abs(floor! + above! + between! + rest! - step!), line).toBeLessThan(
        step! * 0.01 + 1,
      );
    }
  });
});
