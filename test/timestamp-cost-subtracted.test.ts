/**
 * GPU busy is measured the same way for every strategy: an execution that times each kernel's
 * pass on its own (submit-each, submit-wait) has the measured cost of each timed pass beyond the
 * first taken off its GPU busy statistics, never below 0, while samples.csv keeps the raw union;
 * summary.csv's `gpuBusyMethod` says which way each row was measured. The start-up calibration
 * gives a finite, non-negative cost on the live adapter.
 */
import { describe, expect, it } from 'vitest';
import { timestampSelfTest } from '../src/gpu/timestamp-selftest.ts';
import {
  CaseRunner,
  gpuBusyMethod,
  newCaseResult,
  spanEquivalentBusyNs,
  summarise,
  type BusyBasis,
} from '../src/measure/run-case.ts';
import type { Sample } from '../src/stats/result.ts';
import { quantileSorted } from '../src/stats/stats.ts';
import { costNsPerTimedPass, measureTimestampCost } from '../src/measure/timestamp-cost.ts';
import { summaryRows } from '../src/report/columns.ts';
import { passEach } from '../src/strategies/pass-each.ts';
import { submitEach } from '../src/strategies/submit-each.ts';
import { mapWorkload } from '../src/workloads/map.ts';
import type { CaseParams } from '../src/workloads/types.ts';
import { useSharedGpu } from './support/gpu.ts';

const gpu = useSharedGpu();

const params = (kernels: number): CaseParams => ({
  elements: 64,
  kernels,
  intensity: 0,
  workgroupSize: 64,
  persistentWorkgroups: 1,
});

/** A GPU sample with `gpuBusyNs`, everything else fixed. */
const gpuSample = (index: number, gpuBusyNs: number): Sample => ({
  caseId: 'test',
  index,
  round: 0,
  turn: index,
  atMs: index,
  gc: false,
  kind: 'gpu',
  wallNs: 1_000_000,
  encodeNs: 0,
  submitNs: 0,
  waitNs: 0,
  preEncodeNs: 0,
  gpuBusyNs,
  gpuIdleNs: 1000,
  gpuSpanNs: gpuBusyNs + 1000,
  completionLowerNs: null,
  completionUpperNs: null,
  clockRel: null,
});

describe('spanEquivalentBusyNs', () => {
  it('takes the cost of each timed pass beyond the first off, never below an average pass', () => {
    const basis: BusyBasis = { timedPasses: 10, costNsPerTimedPass: 5000 };
    expect(spanEquivalentBusyNs({ gpuBusyNs: 70_000, round: 0 }, basis)).toBe(70_000 - 9 * 5000);
    // 10 passes of 5.5 µs: 55 − 45 = 10 µs left, above the 5.5 µs average pass
    expect(spanEquivalentBusyNs({ gpuBusyNs: 55_000, round: 0 }, basis)).toBe(10_000);
    // 10 passes of 5 µs: 5 µs left, at the floor
    expect(spanEquivalentBusyNs({ gpuBusyNs: 50_000, round: 0 }, basis)).toBe(5000);
    // less than the cost per pass: what is left (3 µs, −15 µs) is below one average pass
    expect(spanEquivalentBusyNs({ gpuBusyNs: 48_000, round: 0 }, basis)).toBeNull();
    expect(spanEquivalentBusyNs({ gpuBusyNs: 30_000, round: 0 }, basis)).toBeNull();
    // Judged on the round's median where it is known: a low sample of a round whose cost holds
    // keeps a figure (held at its own average pass); every sample of a round whose cost does not
    // hold has none.
    const rounds: BusyBasis = { ...basis, busyNsByRound: [60_000, 40_000] };
    expect(spanEquivalentBusyNs({ gpuBusyNs: 40_000, round: 0 }, rounds)).toBe(4000);
    expect(spanEquivalentBusyNs({ gpuBusyNs: 70_000, round: 1 }, rounds)).toBeNull();
    expect(spanEquivalentBusyNs({ gpuBusyNs: null, round: 0 }, basis)).toBeNull();
    expect(gpuBusyMethod(basis)).toBe('per-pass, timestamp cost subtracted');
  });

  it('leaves one timed interval, and an unmeasured cost, as measured', () => {
    const span: BusyBasis = { timedPasses: 1, costNsPerTimedPass: 5000 };
    expect(spanEquivalentBusyNs({ gpuBusyNs: 70_000, round: 0 }, span)).toBe(70_000);
    expect(gpuBusyMethod(span)).toBe('span');
    const unmeasured: BusyBasis = { timedPasses: 10, costNsPerTimedPass: undefined };
    expect(spanEquivalentBusyNs({ gpuBusyNs: 70_000, round: 0 }, unmeasured)).toBe(70_000);
    expect(gpuBusyMethod(unmeasured)).toBe('per-pass');
  });

  it("uses the cost measured before the sample's round where there is one", () => {
    const basis: BusyBasis = {
      timedPasses: 10,
      costNsPerTimedPass: 5000,
      costNsByRound: [4000, undefined, 6000],
    };
    expect(spanEquivalentBusyNs({ gpuBusyNs: 70_000, round: 0 }, basis)).toBe(70_000 - 9 * 4000);
    expect(spanEquivalentBusyNs({ gpuBusyNs: 70_000, round: 1 }, basis)).toBe(70_000 - 9 * 5000);
    expect(spanEquivalentBusyNs({ gpuBusyNs: 70_000, round: 2 }, basis)).toBe(70_000 - 9 * 6000);
  });
});

describe('summarise', () => {
  it('puts the corrected busy in the statistics and the method in summary.csv, samples raw', () => {
    const kernels = 100;
    const costNs = 5000;
    // A per-pass strategy at 7 µs per kernel where a span measures 2 µs: 5 µs is timestamps.
    const raw = [700_000, 690_000, 710_000, 705_000, 695_000];
    const samples = raw.map((ns, i) => gpuSample(i, ns));
    const result = newCaseResult(mapWorkload, submitEach, params(kernels));
    summarise(result, samples, { timedPasses: kernels, costNsPerTimedPass: costNs });
    const expected = raw.map((ns) => ns - (kernels - 1) * costNs).sort((a, b) => a - b);
    expect(result.gpuBusyNs?.median).toBe(expected[2]);
    expect(result.gpuBusyNs?.n).toBe(raw.length);
    expect(result.gpuBusyMethod).toBe('per-pass, timestamp cost subtracted');
    // Idle gaps and span describe the execution that ran, timestamps included.
    expect(result.gpuSpanNs?.median).toBe(701_000);
    expect(samples.map((s) => s.gpuBusyNs)).toEqual(raw);
    const row = summaryRows([result])[0];
    expect(row?.['gpuBusyMethod']).toBe('per-pass, timestamp cost subtracted');
    expect(row?.['gpuBusyUsPerKernel']).toBeCloseTo((700_000 - 99 * 5000) / 1e3 / kernels, 6);
  });

  it('says span for one timed interval and leaves a row without GPU samples empty', () => {
    const withGpu = newCaseResult(mapWorkload, passEach, params(100));
    summarise(withGpu, [gpuSample(0, 200_000)]);
    expect(withGpu.gpuBusyNs?.median).toBe(200_000);
    expect(withGpu.gpuBusyMethod).toBe('span');
    const wallOnly = newCaseResult(mapWorkload, submitEach, params(100));
    summarise(wallOnly, [{ ...gpuSample(0, 0), kind: 'wall', gpuBusyNs: null }], {
      timedPasses: 100,
      costNsPerTimedPass: 5000,
    });
    expect(wallOnly.gpuBusyMethod).toBeUndefined();
    expect(summaryRows([wallOnly])[0]?.['gpuBusyMethod']).toBeNull();
  });
});

describe('timestamp cost', () => {
  it('is finite and non-negative on the live adapter', async (t) => {
    const ctx = gpu(t);
    const selfTest = await timestampSelfTest(ctx);
    if (!selfTest.ok) return t.skip(`timestamps unusable here: ${selfTest.message}`);
    const cost = await measureTimestampCost(ctx, selfTest.resolveMode, {
      passes: 32,
      repeats: 3,
      warmups: 1,
      stallTimeoutMs: 10_000,
    });
    if ('off' in cost) throw new Error(`calibration off: ${cost.off}`);
    expect(Number.isFinite(cost.usPerTimedPass)).toBe(true);
    expect(cost.usPerTimedPass).toBeGreaterThanOrEqual(0);
    expect(cost.usPerTimedPass).toBe(Math.max(0, cost.measuredUsPerTimedPass));
    expect(cost.spanUsPerPass).toBeGreaterThan(0);
    expect(cost.passes).toBe(32);
    expect(cost.repeats).toBeGreaterThan(0);
    expect(costNsPerTimedPass(cost)).toBe(cost.usPerTimedPass * 1e3);
  });

  it('comes off every GPU sample of a live submit-each case, per round', async (t) => {
    const ctx = gpu(t);
    const selfTest = await timestampSelfTest(ctx);
    if (!selfTest.ok) return t.skip(`timestamps unusable here: ${selfTest.message}`);
    const kernels = 4;
    // A fixed cost, small enough that no sample clamps at 0: the test is of the plumbing.
    const costNs = 1000;
    const prepared = await mapWorkload.prepare(ctx.device, params(kernels), ctx.limits);
    const runner = new CaseRunner({
      ctx,
      workload: mapWorkload,
      strategy: submitEach,
      params: params(kernels),
      sampling: {
        rounds: 2,
        warmupMs: 1,
        minWarmup: 1,
        minSamples: 3,
        maxSamples: 5,
        maxTimeMs: 50,
        maxNoise: 0.5,
        stallTimeoutMs: 10_000,
      },
      timestamps: selfTest.resolveMode,
      timestampCostNsPerPass: costNs,
    });
    try {
      await runner.open(prepared);
      for (const round of [0, 1]) for (let i = 0; i < 3; i++) await runner.sample('gpu', round, i);
      runner.close();
      const result = runner.summarise();
      expect(result.status, result.reason).toBe('ok');
      expect(result.gpuBusyMethod).toBe('per-pass, timestamp cost subtracted');
      const corrected = (round: number): number =>
        quantileSorted(
          runner.samples
            .filter((s) => s.round === round && s.gpuBusyNs !== null)
            .map((s) => Math.max(0, (s.gpuBusyNs ?? 0) - (kernels - 1) * costNs))
            .sort((a, b) => a - b),
          0.5,
        );
      // The rounds (and so the figure, their centre, and its repeat interval) are corrected too.
      expect(result.gpuBusyRounds?.roundMedians).toEqual([corrected(0), corrected(1)]);
    } finally {
      runner.close();
      prepared.destroy();
    }
  });
});
