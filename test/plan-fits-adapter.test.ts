/**
 * Plans that fit the adapter: a short calibration estimates what each case's sample floor will
 * cost, and a case past `--case-budget` is left out with the estimate as its reason, while the
 * rest of the plan runs and verifies. `--case-budget 0` runs everything and calibrates nothing.
 * On a CPU adapter a program that relies on co-residency (the persistent stencil's grid barrier)
 * is left out, and a plan of nothing else is bad input.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { IN_CI } from './support/gpu.ts';
import { ownStderrLines, runCli } from './support/cli.ts';

const root = mkdtempSync(join(tmpdir(), 'launchbench-fit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ARGS = [
  'bench',
  '--profile',
  'quick',
  '--kernels',
  '1,1000',
  '--strategies',
  'dispatch-each,fused',
  '--rounds',
  '1',
  '--no-drift',
];

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
    // The floor here is 23 executions. Of one tiny kernel they take a few ms on a quiet machine,
    // but not always under 50 ms (a loaded two-core one took 2.9 ms for one dispatch); of 1000
    // dispatches over a million elements, minutes on lavapipe (7.5-14.5 ns an element): far more
    // than 5 s.
    const result = await runCli(
      [...ARGS, '--elements', '64,1048576', '--case-budget', '5s', '--out', out],
      { timeoutMs: 120_000 },
    );
    if (result.code === 3 && !IN_CI) t.skip('no WebGPU adapter');
    expect(result.code, result.stderr).toBe(0);
    const { rows, calibration } = read(out);
    const row = (e: string, k: string, s: string): Record<string, string> | undefined =>
      rows.find((r) => r['elements'] === e && r['kernels'] === k && r['strategy'] === s);
    expect(row('1048576', '1000', 'dispatch-each')?.['status']).toBe('not-applicable');
    expect(row('1048576', '1000', 'dispatch-each')?.['reason']).toMatch(
      /^left out on this adapter: its sample floor would take about \d+\.\d s \(calibration\), past --case-budget 5 s$/,
    );
    expect([row('64', '1', 'fused')?.['status'], row('64', '1', 'fused')?.['verified']]).toEqual([
      'ok',
      'true',
    ]);
    expect(calibration).toMatchObject({ caseBudgetMs: 5000 });
    const c = calibration as Record<string, number>;
    for (const key of [
      'roundTripUs',
      'submitWaitUs',
      'submitUs',
      'dispatchUs',
      'indirectUs',
      'elementNs',
    ])
      expect(c[key], key).toBeGreaterThan(0);
  });

  it('0 runs everything and calibrates nothing', async (t) => {
    const out = join(root, 'off');
    const result = await runCli([...ARGS, '--elements', '64', '--case-budget', '0', '--out', out], {
      timeoutMs: 120_000,
    });
    if (result.code === 3 && !IN_CI) t.skip('no WebGPU adapter');
    expect(result.code, result.stderr).toBe(0);
    const { rows, calibration } = read(out);
    expect(calibration).toBeNull();
    expect(rows.map((r) => r['status'])).toEqual(['ok', 'ok', 'ok', 'ok']);
  });
});

describe('co-residency on a CPU adapter', () => {
  it('the persistent stencil is left out there; alone, it is nothing to run (exit 2)', async (t) => {
    const info = await runCli(['info', '--json']);
    if (info.code === 3 && !IN_CI) t.skip('no WebGPU adapter');
    const cpu = (JSON.parse(info.stdout) as { adapter: { isFallbackAdapter: boolean } }).adapter
      .isFallbackAdapter;
    if (!cpu) t.skip('a GPU gives co-residency a chance: the program runs (and reports if not)');
    const base = ['bench', '--profile', 'quick', '--workloads', 'stencil', '--elements', '64'];
    const alone = await runCli([...base, '--strategies', 'persistent', '--out', join(root, 'x')]);
    expect(alone.code).toBe(2);
    expect(ownStderrLines(alone.stderr)).toEqual([
      'launchbench: nothing to run on this adapter: stencil/persistent: relies on co-residency (a grid-wide barrier), which a CPU adapter cannot give',
    ]);
    const out = join(root, 'with-fused');
    const both = await runCli([
      ...base,
      '--kernels',
      '10',
      '--strategies',
      'persistent,fused',
      // What is run, not how well: one short round.
      '--rounds',
      '1',
      '--max-time',
      '20ms',
      '--min-samples',
      '3',
      '--no-drift',
      '--out',
      out,
    ]);
    expect(both.code, both.stderr).toBe(0);
    expect(read(out).rows.map((r) => [r['strategy'], r['status']])).toEqual([
      ['persistent', 'not-applicable'],
      ['fused', 'ok'],
    ]);
  });
});

describe('--dry-run', () => {
  it('prints every case with whether it would run and stops, writing nothing', async (t) => {
    const out = join(root, 'never-written');
    const result = await runCli([...ARGS, '--elements', '64,1048576', '--dry-run', '--out', out]);
    if (result.code === 3 && !IN_CI) t.skip('no WebGPU adapter');
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    // Four groups × two strategies, each with its estimate; then the count and the total.
    expect(
      lines.filter((l) =>
        /^map\/e\d+\/k\d+\/i0\/wg64 +(dispatch-each|fused) +\d+\.\d\d +(yes|no: )/.test(l),
      ),
    ).toHaveLength(8);
    expect(lines.at(-1)).toMatch(
      /^\d of 8 case\(s\) would run; about \d+ s of sampling and warm-up \(each case's floor or its share of --max-time, whichever is more\)$/,
    );
    expect(existsSync(out)).toBe(false);
  });
});
