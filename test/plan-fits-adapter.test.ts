/**
 * Plans that fit the adapter: a short calibration estimates what each case's sample floor will
 * cost, and a case past `--case-budget` is left out with the estimate as its reason, while the
 * rest of the plan runs and verifies. `--case-budget 0` runs everything and calibrates nothing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { IN_CI } from './support/gpu.ts';
import { runCli } from './support/cli.ts';

const root = mkdtempSync(join(tmpdir(), 'launchbench-fit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ARGS = ['bench', '--profile', 'quick', '--elements', '64', '--kernels', '1,1000'];
const PLAN = [...ARGS, '--strategies', 'dispatch-each,fused', '--rounds', '1'];

function read(dir: string): { rows: Record<string, string>[]; calibration: unknown } {
  const rows: Record<string, string>[] = parse(readFileSync(join(dir, 'summary.csv'), 'utf8'), {
    columns: true,
  });
  const context = JSON.parse(readFileSync(join(dir, 'context.json'), 'utf8')) as {
    calibration: unknown;
  };
  return { rows, calibration: context.calibration };
}

describe('--case-budget', () => {
  it('leaves out the case whose floor would exceed it, with the estimate, and runs the rest', async (t) => {
    const out = join(root, 'tight');
    // 1000 dispatches take milliseconds on any adapter: 25 executions of them exceed 20 ms; one tiny kernel does not.
    const result = await runCli([...PLAN, '--case-budget', '20ms', '--out', out], {
      timeoutMs: 120_000,
    });
    if (result.code === 3 && !IN_CI) t.skip('no WebGPU adapter');
    expect(result.code, result.stderr).toBe(0);
    const { rows, calibration } = read(out);
    const row = (k: string, s: string): Record<string, string> | undefined =>
      rows.find((r) => r['kernels'] === k && r['strategy'] === s);
    expect(row('1000', 'dispatch-each')?.['status']).toBe('not-applicable');
    expect(row('1000', 'dispatch-each')?.['reason']).toMatch(
      /^left out on this adapter: its sample floor would take about \d+\.\d s \(calibration\), past --case-budget 0\.02 s$/,
    );
    expect([row('1', 'fused')?.['status'], row('1', 'fused')?.['verified']]).toEqual([
      'ok',
      'true',
    ]);
    expect(calibration).toMatchObject({ caseBudgetMs: 20 });
    const c = calibration as Record<string, number>;
    for (const key of ['roundTripUs', 'submitWaitUs', 'dispatchUs', 'indirectUs', 'elementNs'])
      expect(c[key], key).toBeGreaterThan(0);
  });

  it('0 runs everything and calibrates nothing', async (t) => {
    const out = join(root, 'off');
    const result = await runCli([...PLAN, '--case-budget', '0', '--out', out], {
      timeoutMs: 120_000,
    });
    if (result.code === 3 && !IN_CI) t.skip('no WebGPU adapter');
    expect(result.code, result.stderr).toBe(0);
    const { rows, calibration } = read(out);
    expect(calibration).toBeNull();
    expect(rows.map((r) => r['status'])).toEqual(['ok', 'ok', 'ok', 'ok']);
  });
});
