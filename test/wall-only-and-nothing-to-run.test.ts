/**
 * Without timestamps (no `timestamp-query`, a failed self-test, or --no-timestamps) the suite
 * still measures wall time and leaves the GPU columns empty, marked as not measured; and a
 * request of which no case applies is bad input (exit 2), not an empty table.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { ownStderrLines, runCli } from './support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'launchbench-wall-only-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a run without GPU timestamps', () => {
  it('measures wall time and leaves every GPU column empty', async () => {
    const result = await runCli(
      [
        'bench',
        '--profile=quick',
        '--strategies=dispatch-each,fused',
        '--elements=64',
        '--kernels=10',
        '--max-time=100ms',
        '--gpu-warmup=50ms',
        '--no-timestamps',
        `--out=${dir}`,
      ],
      { timeoutMs: 120_000 },
    );
    expect(result.code).toBe(0);
    const rows: Record<string, string>[] = parse(readFileSync(join(dir, 'summary.csv'), 'utf8'), {
      columns: true,
    });
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row['verified']).toBe('true');
      expect(Number(row['wallUsPerKernel'])).toBeGreaterThan(0);
      expect(row['gpuSamples']).toBe('0');
      for (const column of ['gpuBusyUsPerKernel', 'launchOverheadUsPerKernel', 'utilization']) {
        expect(row[column], column).toBe('');
      }
    }
  });
});

describe('a request of which nothing applies', () => {
  it('exits 2 naming the reason', async () => {
    const result = await runCli(
      ['bench', '--workloads=stencil', '--strategies=fused', '--kernels=4096', '--elements=5000'],
      { timeoutMs: 60_000 },
    );
    expect(result.code).toBe(2);
    expect(ownStderrLines(result.stderr)).toEqual([
      expect.stringMatching(/^launchbench: nothing to run: stencil\/fused: .*K ≤ \d+/),
    ]);
  });
});
