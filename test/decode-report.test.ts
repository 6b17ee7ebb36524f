/**
 * The decode section's ceiling and its "where the step goes" table (src/report/decode-section.ts,
 * issue 22), rendered from a published H200 decode run's CSVs: the ceiling is the fastest kernel
 * of the bandwidth reference, and each strategy's parts add up to its step.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newCaseResult } from '../src/measure/run-case.ts';
import { summaryRows } from '../src/report/columns.ts';
import { bandwidthReference, decodeSection } from '../src/report/decode-section.ts';
import { readRun, readSummary, type BandwidthCsvRow } from '../src/report/read-run.ts';
import { toCsv } from '../src/report/writer.ts';
import { persistent } from '../src/strategies/persistent.ts';
import { decodeWorkload } from '../src/workloads/decode/workload.ts';

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
  clockChainUs: null,
  clockChainUsMax: null,
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

  it("gives the megakernel's grid barriers timed alone as part of its busy time above the floor", () => {
    // Runs made before the column have no figure, and no column; 300 µs on the megakernel's rows.
    const run = readRun(RUN);
    expect(decodeSection(run).some((l) => l.includes('grid barriers, alone'))).toBe(false);
    const withBarriers = {
      ...run,
      summary: run.summary.map((r) => ({
        ...r,
        gridBarriersUsTotal: r.strategy === 'persistent' ? 300 : null,
      })),
    };
    const lines = decodeSection(withBarriers);
    const at = lines.findIndex((l) => l.startsWith('| strategy | step | weight floor'));
    expect(lines[at]).toContain('| of which grid barriers, alone |');
    const cell = (l: string): string => (l.split('|')[5] ?? '').trim();
    // Every "where the step goes" table's rows (one table per preset).
    const rows = lines.filter(
      (l, i) =>
        l.startsWith('| `') &&
        lines
          .slice(0, i)
          .findLast((h) => h.startsWith('| strategy |'))
          ?.startsWith('| strategy | step | weight floor'),
    );
    const persistent = rows.filter((l) => l.startsWith('| `persistent`'));
    expect(persistent.length).toBeGreaterThan(0);
    for (const l of persistent) expect(cell(l), l).toBe('300');
    for (const l of rows.filter((x) => !x.startsWith('| `persistent`')))
      expect(cell(l), l).toBe('–');
  });

  it("carries the megakernel's grid-barrier figure from its notes through summary.csv", () => {
    const params = {
      preset: 'tiny',
      elements: 16,
      kernels: 2,
      intensity: 0,
      workgroupSize: 256,
      persistentWorkgroups: 0,
    };
    const timed = newCaseResult(decodeWorkload, persistent, params);
    timed.notes['gridBarriersUs'] = 123.4;
    const untimed = newCaseResult(decodeWorkload, persistent, { ...params, elements: 32 });
    const dir = mkdtempSync(join(tmpdir(), 'launchbench-decode-csv-'));
    try {
      const path = join(dir, 'summary.csv');
      writeFileSync(path, toCsv(summaryRows([timed, untimed]), true));
      const rows = readSummary(path);
      expect(rows.map((r) => r.gridBarriersUsTotal)).toEqual([123.4, null]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
