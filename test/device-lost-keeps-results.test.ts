/**
 * A device lost mid-run: the run records it, keeps every case finished before it, and exits 4
 * with one message. Provoked with LAUNCHBENCH_FAULT_DESTROY_DEVICE_AFTER (src/run.ts), which
 * destroys the device after the N-th visit of a group (all strategies of one
 * size and K) — the stand-in for a real loss that issue 7 allows.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { ownStderrLines, runCli } from './support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'launchbench-lost-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('device lost mid-run', () => {
  it('exits 4, keeps the finished cases and says so in context.json', async () => {
    const result = await runCli(
      [
        'bench',
        '--profile=quick',
        '--strategies=dispatch-each,fused,persistent',
        '--elements=64',
        '--kernels=10,100',
        '--max-time=100ms',
        '--gpu-warmup=50ms',
        `--out=${dir}`,
      ],
      { env: { LAUNCHBENCH_FAULT_DESTROY_DEVICE_AFTER: '1' }, timeoutMs: 120_000 },
    );
    expect(result.code).toBe(4);
    // The start line, progress lines (one per round without a terminal) and the failed-case
    // count aside.
    const own = ownStderrLines(result.stderr).filter(
      (l) =>
        !l.includes('case(s) failed') &&
        !l.startsWith('launchbench: round ') &&
        !l.startsWith('launchbench: measuring '),
    );
    expect(own).toEqual([
      expect.stringMatching(
        /^launchbench: device lost .*the 3 case\(s\) measured before it kept in /,
      ),
    ]);
    const rows: Record<string, string>[] = parse(readFileSync(join(dir, 'summary.csv'), 'utf8'), {
      columns: true,
    });
    // The first visit (one group, K = 10 or 100 by the run's seed) and nothing of the second.
    expect(new Set(rows.map((r) => r['kernels'])).size).toBe(1);
    expect(rows.map((r) => [r['strategy'], r['status'], r['verified']])).toEqual([
      ['dispatch-each', 'ok', 'true'],
      ['fused', 'ok', 'true'],
      ['persistent', 'ok', 'true'],
    ]);
    const context = JSON.parse(readFileSync(join(dir, 'context.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(context['complete']).toBe(false);
    expect(context['deviceLost']).toMatch(/device lost/);
  });
});
