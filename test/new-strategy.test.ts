/**
 * A new strategy is one file and one registry line: a throwaway strategy (dispatch-each's host
 * pattern under another id, its own words and launch cost), pushed onto the registry, is priced by
 * the calibration from its own launch cost, runs, is verified and measured beside `dispatch-each`,
 * and shows up in every output of the run folder: summary.csv, rounds.csv, samples.csv, report.md
 * (its headline sentence in its own words, its table rows) and the charts. Runs on the adapter.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateExecutionUs, type Calibration } from '../src/measure/calibrate.ts';
import { PROFILES } from '../src/profiles.ts';
import { renderRunReport } from '../src/report/render-run.ts';
import { RunWriter } from '../src/report/writer.ts';
import { runPlan } from '../src/run.ts';
import { dispatchEach } from '../src/strategies/dispatch-each.ts';
import { submitEach } from '../src/strategies/submit-each.ts';
import { submitWait } from '../src/strategies/submit-wait.ts';
import { STRATEGIES } from '../src/strategies/index.ts';
import type { Strategy } from '../src/strategies/types.ts';
import { mapWorkload } from '../src/workloads/map.ts';
import { freshSeed, useSharedGpu } from './support/gpu.ts';

const throwaway: Strategy = {
  ...dispatchEach,
  id: 'throwaway',
  description: 'dispatch-each under another name (a test double)',
  cudaAnalogue: '(test double)',
  launchCost: 'none',
  headline: { says: 'a throwaway strategy costs {wall} per kernel' },
};

const registry = STRATEGIES as Strategy[];
beforeAll(() => {
  registry.push(throwaway);
});
afterAll(() => {
  registry.splice(registry.indexOf(throwaway), 1);
});

const gpu = useSharedGpu();
const root = mkdtempSync(join(tmpdir(), 'launchbench-new-strategy-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a strategy registered with one line', () => {
  it('is priced from its own launch cost', () => {
    const c: Calibration = {
      roundTripUs: 50,
      submitWaitUs: 40,
      submitUs: 8,
      dispatchUs: 5,
      indirectUs: 100,
      elementNs: 0,
      mixRoundNs: 0,
      elements: 64,
      elapsedMs: 0,
    };
    const p = {
      elements: 64,
      kernels: 10,
      intensity: 0,
      workgroupSize: 64,
      persistentWorkgroups: 0,
    };
    expect(estimateExecutionUs(c, dispatchEach, p)).toBe(50 + 10 * 5);
    // one wait for the K submits, not one each
    expect(estimateExecutionUs(c, submitEach, p)).toBe(50 + 10 * 8);
    expect(estimateExecutionUs(c, submitWait, p)).toBe(50 + 10 * 40);
    expect(estimateExecutionUs(c, throwaway, p)).toBe(50);
  });

  it('runs, is verified, and shows in every output', async (t) => {
    const ctx = gpu(t);
    const dir = join(root, 'run');
    const writer = new RunWriter(dir);
    const plan = {
      workloads: [mapWorkload],
      strategies: [dispatchEach, throwaway],
      elements: [64],
      kernels: [10],
      intensity: [0],
      workgroupSize: [64],
      persistentWorkgroups: 0,
      sampling: { ...PROFILES['quick']!.sampling, rounds: 2, maxTimeMs: 20, minSamples: 4 },
      verify: true,
      seed: freshSeed(),
    };
    writer.writeContext({
      schemaVersion: 3,
      adapter: ctx.adapterInfo,
      options: { sampling: plan.sampling },
    });
    const outcome = await runPlan(
      ctx,
      plan,
      { timestamps: undefined, drift: false },
      { onCases: (results, samples) => writer.updateCases(results, samples) },
      () => false,
    );
    writer.updateCases(outcome.results, []);
    const { chartPaths } = await renderRunReport(dir);

    type Row = Record<string, string>;
    const summary = parse<Row>(readFileSync(join(dir, 'summary.csv'), 'utf8'), { columns: true });
    const row = summary.find((r) => r['strategy'] === 'throwaway');
    expect(row?.['status'], row?.['reason']).toBe('ok');
    expect(row?.['verified']).toBe('true');
    expect(Number(row?.['speedupVsDispatchEach'])).toBeGreaterThan(0);
    expect(readFileSync(join(dir, 'rounds.csv'), 'utf8')).toMatch(/^map,throwaway,/m);
    expect(readFileSync(join(dir, 'samples.csv'), 'utf8')).toContain('/throwaway,');
    const report = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(report).toMatch(
      /a throwaway strategy costs \*?\*?[\d.,]+ µs\*?\*? per kernel \(`throwaway`/,
    );
    expect(report).toMatch(/^\| *`?throwaway`? *\|/m);
    expect(chartPaths.length).toBeGreaterThan(0);
    const charts = readdirSync(join(dir, 'charts')).map((f) =>
      readFileSync(join(dir, 'charts', f), 'utf8'),
    );
    expect(charts.some((svg) => svg.includes('throwaway'))).toBe(true);
  }, 60_000);
});
