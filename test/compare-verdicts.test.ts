/**
 * `compare A B` gives the right verdict on runs with known differences: B clearly faster, clearly
 * slower, identical, and a noisy case whose ranges overlap but whose medians lie outside each
 * other's range (unclear); cases in one run only, or failed in one, are listed and not judged.
 * The runs are small summary.csv files written here; no GPU needed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { compareRuns, summarizeComparison, verdict } from '../src/report/compare.ts';
import { readRun } from '../src/report/read-run.ts';
import { runCli } from './support/cli.ts';

/** [strategy, elements, status, wall median, p10, p90, GPU busy median, p10, p90] */
type Case = [string, number, string, number, number, number, number, number, number];

const HEADER =
  'workload,strategy,elements,kernels,intensity,workgroupSize,status,reason,wallUsPerKernel,wallUsPerKernelP10,wallUsPerKernelP90,gpuBusyUsPerKernel,gpuBusyUsPerKernelP10,gpuBusyUsPerKernelP90';

const root = mkdtempSync(join(tmpdir(), 'launchbench-compare-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function writeRun(name: string, cases: readonly Case[]): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const lines = cases.map(
    ([strategy, elements, status, ...figures]) =>
      `map,${strategy},${elements},100,0,64,${status},${status === 'ok' ? '' : 'spin bound hit'},${figures.join(',')}`,
  );
  writeFileSync(join(dir, 'summary.csv'), `${[HEADER, ...lines].join('\n')}\n`);
  return dir;
}

// A: the reference. B: dispatch-each clearly faster, submit-wait clearly slower, fused identical,
// pass-each noisy (ranges overlap, each median outside the other's range), prerecorded failed in
// B, indirect only in A, persistent only in B.
const A = writeRun('a', [
  ['dispatch-each', 64, 'ok', 10, 9.5, 10.5, 5, 4.8, 5.2],
  ['submit-wait', 64, 'ok', 40, 38, 42, 2, 1.9, 2.1],
  ['fused', 64, 'ok', 1, 0.95, 1.05, 0.8, 0.78, 0.82],
  ['pass-each', 64, 'ok', 10, 9, 11, 5, 4.5, 5.5],
  ['prerecorded', 64, 'ok', 3, 2.9, 3.1, 2, 1.9, 2.1],
  ['indirect', 64, 'ok', 30, 29, 31, 3, 2.9, 3.1],
]);
const B = writeRun('b', [
  ['dispatch-each', 64, 'ok', 5, 4.8, 5.3, 5, 4.8, 5.2],
  ['submit-wait', 64, 'ok', 60, 55, 66, 2, 1.9, 2.1],
  ['fused', 64, 'ok', 1, 0.95, 1.05, 0.8, 0.78, 0.82],
  ['pass-each', 64, 'ok', 12, 10.5, 14, 5, 4.5, 5.5],
  ['prerecorded', 64, 'failed', 0, 0, 0, 0, 0, 0],
  ['persistent', 64, 'ok', 0.5, 0.45, 0.55, 0.4, 0.38, 0.42],
]);

describe('verdict rule', () => {
  it('faster and slower when the p10–p90 ranges do not overlap', () => {
    expect(verdict({ median: 10, p10: 9, p90: 11 }, { median: 5, p10: 4, p90: 6 })).toBe('faster');
    expect(verdict({ median: 10, p10: 9, p90: 11 }, { median: 20, p10: 19, p90: 21 })).toBe(
      'slower',
    );
  });

  it('same when each median lies in the other run’s range', () => {
    expect(verdict({ median: 10, p10: 9, p90: 11 }, { median: 10, p10: 9, p90: 11 })).toBe('same');
    expect(verdict({ median: 10, p10: 9, p90: 11 }, { median: 10.5, p10: 9.5, p90: 12 })).toBe(
      'same',
    );
  });

  it('unclear when the ranges overlap but a median lies outside the other range', () => {
    expect(verdict({ median: 10, p10: 9, p90: 11 }, { median: 12, p10: 10.5, p90: 14 })).toBe(
      'unclear',
    );
    // A wide A hides a shift in B: B's median is inside A's range, A's is not inside B's.
    expect(verdict({ median: 100, p10: 90, p90: 300 }, { median: 150, p10: 120, p90: 200 })).toBe(
      'unclear',
    );
  });
});

describe('compareRuns on two fixture runs', () => {
  const rows = compareRuns(readRun(A), readRun(B));
  const row = (strategy: string) => rows.find((r) => r.strategy === strategy);

  it('clearly faster: B/A 0.5, verdict faster', () => {
    expect(row('dispatch-each')?.wallRatio).toBeCloseTo(0.5, 6);
    expect(row('dispatch-each')?.wallVerdict).toBe('faster');
    expect(row('dispatch-each')?.gpuBusyVerdict).toBe('same');
  });

  it('clearly slower: B/A 1.5, verdict slower', () => {
    expect(row('submit-wait')?.wallRatio).toBeCloseTo(1.5, 6);
    expect(row('submit-wait')?.wallVerdict).toBe('slower');
  });

  it('identical: B/A 1, verdict same', () => {
    expect(row('fused')?.wallRatio).toBe(1);
    expect(row('fused')?.wallVerdict).toBe('same');
    expect(row('fused')?.gpuBusyVerdict).toBe('same');
  });

  it('overlapping and noisy: verdict unclear', () => {
    expect(row('pass-each')?.wallRatio).toBeCloseTo(1.2, 6);
    expect(row('pass-each')?.wallVerdict).toBe('unclear');
  });

  it('a case that failed in one run is listed as not comparable, with the reason', () => {
    expect(row('prerecorded')?.status).toBe('not-comparable');
    expect(row('prerecorded')?.wallVerdict).toBeNull();
    expect(row('prerecorded')?.note).toMatch(/^B failed: spin bound hit/);
  });

  it('cases in one run only are listed as such', () => {
    expect(row('indirect')?.status).toBe('only-in-a');
    expect(row('persistent')?.status).toBe('only-in-b');
    const summary = summarizeComparison(rows);
    expect(summary.verdicts).toEqual({ faster: 1, slower: 1, same: 1, unclear: 1 });
    expect([summary.onlyInA, summary.onlyInB, summary.notComparable]).toEqual([1, 1, 1]);
  });
});

describe('launchbench compare A B --out', () => {
  it('prints the table and writes the verdicts as CSV', async () => {
    const out = join(root, 'out', 'compare.csv');
    const result = await runCli(['compare', A, B, '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/dispatch-each .* faster/);
    expect(result.stdout).toMatch(/submit-wait .* slower/);
    expect(result.stdout).toMatch(/only in B +map/);
    const csv = parse<Record<string, string>>(readFileSync(out, 'utf8'), { columns: true });
    const verdicts = Object.fromEntries(
      csv.map((r) => [r['strategy'] ?? '', r['wallVerdict'] ?? ''] as const),
    );
    expect(verdicts).toEqual({
      'dispatch-each': 'faster',
      'submit-wait': 'slower',
      fused: 'same',
      'pass-each': 'unclear',
      prerecorded: '',
      indirect: '',
      persistent: '',
    });
  });
});
