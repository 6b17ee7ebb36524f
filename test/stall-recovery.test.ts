/**
 * A stalled execution costs only its own case. With a tiny watchdog (`--stall-timeout 300ms`)
 * and every `fused` execution after its verification made to take 450 ms
 * (LAUNCHBENCH_FAULT_STALL_CASE, src/measure/run-case.ts), the run waits for the stalled
 * execution and the queue to drain before it frees or submits anything, and goes on: each fused
 * case fails with the watchdog's reason and every other case of the run (48) is verified and
 * meets the sample floor. An execution that never ends leaves a queue that does not drain: the
 * run gives that device up, opens a fresh one, prepares and verifies the groups anew on it and
 * goes on (context.json and report.md say so); only the stalled case fails. The watchdog bounds
 * the cases, not the set-up's own measurements (calibration, timestamp cost).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { IN_CI } from './support/gpu.ts';
import { ownStderrLines, runCli } from './support/cli.ts';

const root = mkdtempSync(join(tmpdir(), 'launchbench-stall-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Two short rounds: the recovery is what is checked, not the figures.
const ARGS = [
  'bench',
  '--profile',
  'quick',
  '--kernels',
  '1,10',
  '--stall-timeout',
  '300ms',
  '--rounds',
  '2',
  '--max-time',
  '20ms',
  '--no-drift',
];
const rowsOf = (dir: string): Record<string, string>[] =>
  existsSync(join(dir, 'summary.csv'))
    ? parse(readFileSync(join(dir, 'summary.csv'), 'utf8'), { columns: true })
    : [];

describe('a stalled case', () => {
  it('fails alone: the queue drains and every later case runs and verifies', async (t) => {
    const out = join(root, 'drained');
    const result = await runCli([...ARGS, '--elements', '64,4096,65536', '--out', out], {
      env: { LAUNCHBENCH_FAULT_STALL_CASE: 'fused', LAUNCHBENCH_FAULT_STALL_MS: '450' },
      timeoutMs: 120_000,
    });
    if (result.code === 3 && !IN_CI) t.skip('no WebGPU adapter');
    expect(result.code, result.stderr).toBe(0);
    const rows = rowsOf(out);
    expect(rows).toHaveLength(6 * 9);
    for (const r of rows) {
      if (r['strategy'] === 'fused') {
        expect(r['status']).toBe('failed');
        expect(r['reason']).toBe('fused execution did not complete within 300 ms (watchdog)');
      } else {
        expect([r['strategy'], r['status'], r['verified'], r['enoughSamples']]).toEqual([
          r['strategy'],
          'ok',
          'true',
          'true',
        ]);
      }
    }
    expect(ownStderrLines(result.stderr)).toContain(
      `launchbench: 6 case(s) failed; see the reason column of ${join(out, 'summary.csv')}`,
    );
  });

  it('whose execution never ends wedges the queue: a fresh device, and every other case runs and verifies', async (t) => {
    const out = join(root, 'wedged');
    const stalled = 'map/e4096/k10/i0/wg64/fused';
    const result = await runCli([...ARGS, '--elements', '64,4096', '--out', out], {
      env: { LAUNCHBENCH_FAULT_STALL_CASE: stalled },
      timeoutMs: 120_000,
    });
    if (result.code === 3 && !IN_CI) t.skip('no WebGPU adapter');
    expect(result.code, result.stderr).toBe(0);
    const own = ownStderrLines(result.stderr).filter(
      (l) => !l.startsWith('launchbench: round ') && !l.startsWith('launchbench: measuring '),
    );
    expect(own).toEqual([
      expect.stringMatching(
        /^launchbench: the GPU queue did not drain within 0\.3 s after a stalled execution \(fused execution did not complete within 300 ms \(watchdog\)\); the device was given up and a fresh one opened \(round \d, map\/e4096\/k10\/i0\/wg64\); the run goes on$/,
      ),
      `launchbench: 1 case(s) failed; see the reason column of ${join(out, 'summary.csv')}`,
    ]);
    const rows = rowsOf(out);
    expect(rows).toHaveLength(4 * 9);
    for (const r of rows) {
      const id = `map/e${r['elements']}/k${r['kernels']}/i0/wg64/${r['strategy']}`;
      if (id === stalled) {
        expect([r['status'], r['reason']]).toEqual([
          'failed',
          'fused execution did not complete within 300 ms (watchdog)',
        ]);
      } else {
        expect([id, r['status'], r['verified'], r['enoughSamples']]).toEqual([
          id,
          'ok',
          'true',
          'true',
        ]);
        // the wedged group's other cases were verified again on the fresh device
        if (id.startsWith('map/e4096/k10/')) expect(r['notes']).toMatch(/verifiedDevices=2/);
      }
    }
    const context = JSON.parse(readFileSync(join(out, 'context.json'), 'utf8')) as {
      deviceLost: unknown;
      complete: unknown;
      deviceReplacements: { group: string; reason: string }[];
    };
    expect(context.complete).toBe(true);
    expect(context.deviceLost).toBeNull();
    expect(context.deviceReplacements.map((r) => r.group)).toEqual(['map/e4096/k10/i0/wg64']);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(
      /\| device replaced \| after the GPU queue did not drain/,
    );
  });

  it("bounds the cases only: the set-up's own measurements keep the default", async (t) => {
    // At 1 ms every calibration execution of 2^20 elements would pass the watchdog (about 8 ms
    // each on lavapipe) and end the run. The case stalls for certain in its first visit (its
    // executions after the verification never end): left to chance, under load its first
    // execution past 1 ms could come in the last visit, where a queue that does not drain ends
    // the run (src/run.ts afterWedged).
    const out = join(root, 'calibration');
    const result = await runCli(
      [
        'bench',
        '--profile',
        'quick',
        '--kernels',
        '1',
        '--elements',
        '64',
        '--strategies',
        'fused',
        '--stall-timeout',
        '1ms',
        '--rounds',
        '2',
        '--max-time',
        '20ms',
        '--no-drift',
        '--out',
        out,
      ],
      { env: { LAUNCHBENCH_FAULT_STALL_CASE: 'fused' }, timeoutMs: 120_000 },
    );
    if (result.code === 3 && !IN_CI) t.skip('no WebGPU adapter');
    expect(result.stderr).not.toMatch(/calibration execution/);
    expect(result.code, result.stderr).toBe(0);
    expect(rowsOf(out).map((r) => [r['status'], r['reason']])).toEqual([
      ['failed', 'fused execution did not complete within 1 ms (watchdog)'],
    ]);
    const context = JSON.parse(readFileSync(join(out, 'context.json'), 'utf8')) as {
      calibration: { elements: number; elementNs: number } | null;
      timestampCost: object;
    };
    expect(context.calibration?.elements).toBe(1 << 20);
    expect(context.calibration?.elementNs).toBeGreaterThan(0);
    // the timestamp cost too, where the adapter has timestamps
    expect(JSON.stringify(context.timestampCost)).not.toMatch(/did not complete/);
  });
});
