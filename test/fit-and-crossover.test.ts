/**
 * The K-sweep fit wall(K) = a + b·K and the size crossover, on fixtures with known answers.
 * No GPU: the fixtures are case results built by hand.
 */
import { describe, expect, it } from 'vitest';
import { crossovers, fitLine, fitRelative, kernelFits } from '../src/stats/fit.ts';
import type { CaseResult } from '../src/stats/result.ts';
import { distribution } from '../src/stats/stats.ts';

function caseResult(
  strategy: string,
  elements: number,
  kernels: number,
  wallNsPerExecution: number,
  busyNsPerExecution: number,
): CaseResult {
  return {
    caseId: `map/${strategy}/${elements}/${kernels}`,
    workload: 'map',
    strategy,
    program: 'steps',
    unit: 'kernel',
    params: { elements, kernels, intensity: 0, workgroupSize: 64, persistentWorkgroups: 1 },
    status: 'ok',
    reason: '',
    verified: true,
    verifiedElements: elements,
    notes: {},
    converged: true,
    enoughSamples: true,
    gcSamples: 0,
    wallRounds: null,
    gpuBusyRounds: null,
    elapsedMs: 1,
    wallNs: distribution([wallNsPerExecution]),
    wallWithTimestampsNs: null,
    gpuBusyNs: distribution([busyNsPerExecution]),
    gpuIdleNs: null,
    gpuSpanNs: null,
    encodeNs: null,
    submitNs: null,
    waitNs: null,
    preEncodeNs: null,
    completionLowerNs: null,
    completionUpperNs: null,
    droppedGpuSamples: 0,
  };
}

describe('fitLine', () => {
  it('recovers intercept and slope of exact points with r² = 1', () => {
    const fit = fitLine([
      [1, 12],
      [10, 30],
      [100, 210],
    ]);
    expect(fit?.a).toBeCloseTo(10, 10);
    expect(fit?.b).toBeCloseTo(2, 10);
    expect(fit?.r2).toBeCloseTo(1, 12);
  });

  it('gives the least-squares line and r² < 1 for scattered points', () => {
    // By hand: mean x = 1.5, mean y = 1.5.
    const points: [number, number][] = [
      [0, 1],
      [1, 0],
      [2, 1],
      [3, 4],
    ];
    const fit = fitLine(points);
    // sxx = 5, sxy = (-1.5)(-0.5) + (-0.5)(-1.5) + (0.5)(-0.5) + (1.5)(2.5) = 5 → b = 1, a = 0.
    expect(fit?.b).toBeCloseTo(1, 12);
    expect(fit?.a).toBeCloseTo(0, 12);
    // syy = 0.25 + 2.25 + 0.25 + 6.25 = 9; sse = 1 + 1 + 1 + 1 = 4 → r² = 5/9.
    expect(fit?.r2).toBeCloseTo(5 / 9, 12);
  });

  it('needs two distinct x values', () => {
    expect(fitLine([[5, 1]])).toBeUndefined();
    expect(
      fitLine([
        [5, 1],
        [5, 2],
      ]),
    ).toBeUndefined();
  });
});

describe('kernelFits', () => {
  it('fits wall per execution in µs against K, per strategy and size', () => {
    // wall(K) = 40 µs + 5 µs·K for dispatch-each, 30 µs + 0.1 µs·K for fused
    const results = [1, 10, 100, 1000].flatMap((k) => [
      caseResult('dispatch-each', 64, k, (40 + 5 * k) * 1000, 2000 * k),
      caseResult('fused', 64, k, (30 + 0.1 * k) * 1000, 50 * k),
    ]);
    const fits = kernelFits(results);
    const de = fits.find((f) => f.strategy === 'dispatch-each');
    const fused = fits.find((f) => f.strategy === 'fused');
    expect(de?.fixedUs).toBeCloseTo(40, 6);
    expect(de?.perKernelUs).toBeCloseTo(5, 9);
    expect(de?.points).toBe(4);
    expect(de?.kernelsMax).toBe(1000);
    expect(de?.wallUsPerKernelAtMaxK).toBeCloseTo(5.04, 9);
    expect(fused?.fixedUs).toBeCloseTo(30, 6);
    expect(fused?.perKernelUs).toBeCloseTo(0.1, 9);
    expect(fits.map((f) => f.flag)).toEqual(['', '']);
  });

  it('flags a negative fixed cost or cost per kernel: no real cost is negative', () => {
    // Two K values of a fused kernel whose larger K measured a little faster (noise): b < 0.
    const results = [
      caseResult('fused', 64, 10, 131.5 * 1000, 500),
      caseResult('fused', 64, 100, 117.7 * 1000, 5000),
      caseResult('pass-each', 64, 10, 120 * 1000, 500),
      caseResult('pass-each', 64, 100, 1500 * 1000, 5000),
    ];
    const flags = Object.fromEntries(kernelFits(results).map((f) => [f.strategy, f.flag]));
    expect(flags).toEqual({
      fused: 'negative cost per kernel',
      'pass-each': 'negative fixed cost',
    });
  });
});

describe('crossovers', () => {
  it('interpolates in log-log where GPU busy per kernel overtakes launch overhead', () => {
    // K = 1, overhead per kernel (wall − busy) fixed at 10 µs; busy per kernel = elements / 1000 µs.
    // busy = overhead at 10 000 elements.
    const results = [100, 1000, 100_000, 1_000_000].map((n) =>
      caseResult('dispatch-each', n, 1, (10 + n / 1000) * 1000, (n / 1000) * 1000),
    );
    const [found] = crossovers(results);
    expect(found?.kind).toBe('between');
    expect(found?.elements).toBeCloseTo(10_000, 6);
    expect(found?.overheadUsPerKernel).toBeCloseTo(10, 9);
  });

  it('says when execution dominates from the smallest size, or overhead up to the largest', () => {
    const dominated = [1000, 2000].map((n) => caseResult('fused', n, 1, 1000 + n * 1000, n * 1000));
    expect(crossovers(dominated)[0]?.kind).toBe('below-range');
    const overhead = [64, 128].map((n) => caseResult('submit-wait', n, 1, 50_000 + n, n));
    const [o] = crossovers(overhead);
    expect(o?.kind).toBe('above-range');
    expect(o?.elements).toBe(128);
  });
});

describe('fitRelative', () => {
  it('keeps the fixed cost where 1% noise at large K would throw ordinary least squares off', () => {
    // wall(K) = 40 + 5·K µs, with +1% at K = 100 and −1% at K = 1000.
    const points: [number, number][] = [
      [1, 45],
      [10, 90],
      [100, 540 * 1.01],
      [1000, 5040 * 0.99],
    ];
    const ordinary = fitLine(points);
    const relative = fitRelative(points);
    // By hand (numpy): ordinary a = 43.54, relative a = 40.04, b = 4.9967.
    expect(ordinary?.a).toBeCloseTo(43.54, 2);
    expect(relative?.a).toBeCloseTo(40.04, 2);
    expect(relative?.b).toBeCloseTo(4.9967, 4);
  });
});
