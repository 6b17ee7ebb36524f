/**
 * Moderated variances (src/stats/moderated.ts) and what they do for compare's in-group verdicts
 * on the H200's published interleaved A/B pairs (issue 19; docs/design.md, "Comparing runs").
 * No GPU needed; the simulations are seeded.
 */
import { describe, expect, it } from 'vitest';
import {
  digamma,
  fitVariancePrior,
  moderate,
  tetragamma,
  trigamma,
  trigammaInverse,
} from '../src/stats/moderated.ts';
import { compareRuns } from '../src/report/compare.ts';
import { readRun, readTurnWalls, type RunData } from '../src/report/read-run.ts';
import { normal, prng } from './support/random.ts';

const gauss = normal(prng(7));
/** A χ² variate with d degrees of freedom. */
const chiSquare = (d: number): number =>
  Array.from({ length: d }, () => gauss() ** 2).reduce((a, b) => a + b, 0);

describe('the polygamma functions', () => {
  it('match their known values and invert', () => {
    const euler = 0.5772156649015329;
    const zeta3 = 1.2020569031595942;
    expect(digamma(1)).toBeCloseTo(-euler, 9);
    expect(digamma(0.5)).toBeCloseTo(-euler - 2 * Math.log(2), 9);
    expect(trigamma(1)).toBeCloseTo(Math.PI ** 2 / 6, 9);
    expect(trigamma(0.5)).toBeCloseTo(Math.PI ** 2 / 2, 9);
    expect(tetragamma(1)).toBeCloseTo(-2 * zeta3, 9);
    for (const x of [0.05, 0.7, 3.7, 40, 2000])
      expect(trigammaInverse(trigamma(x)) / x).toBeCloseTo(1, 7);
    // its two ends: ψ′(x) ≈ 1/x² near 0, ≈ 1/x for large x
    expect(trigammaInverse(4e8)).toBeCloseTo(1 / Math.sqrt(4e8), 12);
    expect(trigammaInverse(1e-7)).toBeCloseTo(1e7, -1);
    for (const f of [digamma, trigamma, tetragamma, trigammaInverse])
      for (const x of [0, -1, NaN, -Infinity]) expect(f(x)).toBeNaN();
  });
});

describe('the prior of a family of variances', () => {
  /** Sample variances with d degrees of freedom around true variances drawn from the prior (d0, s0²). */
  const draw = (cases: number, d: number, d0: number, s0Squared: number): number[] =>
    Array.from({ length: cases }, () => {
      const truth = d0 === Infinity ? s0Squared : (d0 * s0Squared) / chiSquare(d0);
      return (truth * chiSquare(d)) / d;
    });

  it('recovers d0 and s0² from 4 000 variances of 4 degrees of freedom each', () => {
    const prior = fitVariancePrior(draw(4000, 4, 8, 0.01), Array(4000).fill(4));
    expect(prior.d0).toBeGreaterThan(6);
    expect(prior.d0).toBeLessThan(11);
    expect(prior.s0Squared / 0.01).toBeGreaterThan(0.9);
    expect(prior.s0Squared / 0.01).toBeLessThan(1.1);
  });

  it('finds no spread beyond sampling when every true variance is the same (d0 large)', () => {
    const prior = fitVariancePrior(draw(4000, 4, Infinity, 0.01), Array(4000).fill(4));
    expect(prior.d0).toBeGreaterThan(50);
    expect(prior.s0Squared / 0.01).toBeGreaterThan(0.9);
    expect(prior.s0Squared / 0.01).toBeLessThan(1.1);
  });

  it('gives none from fewer than six variances, and leaves out zeros', () => {
    expect(fitVariancePrior([0.01, 0.02, 0.03, 0.04, 0.05], [4, 4, 4, 4, 4]).d0).toBe(0);
    expect(fitVariancePrior([0, 0.01, 0.02, 0.03, 0.04, 0.05], [4, 4, 4, 4, 4, 4]).d0).toBe(0);
  });

  it('moves a variance towards s0² by the weight of the degrees of freedom', () => {
    expect(moderate(0.04, 4, { d0: 12, s0Squared: 0.01 })).toEqual({ variance: 0.0175, df: 16 });
    expect(moderate(0.04, 4, { d0: 0, s0Squared: NaN })).toEqual({ variance: 0.04, df: 4 });
    expect(moderate(0.04, 4, { d0: Infinity, s0Squared: 0.01 })).toEqual({
      variance: 0.01,
      df: Infinity,
    });
  });
});

describe("compare's in-group verdicts on the H200's interleaved A/B pairs", () => {
  const withTurns = (dir: string): RunData => {
    const run = readRun(dir);
    const turnWalls = readTurnWalls(dir);
    return turnWalls === undefined ? run : { ...run, turnWalls };
  };
  const rows = (pair: string) =>
    compareRuns(withTurns(`results/${pair}/a`), withTurns(`results/${pair}/b`)).filter(
      (r) => r.status === 'compared',
    );
  const called = (v: string | null | undefined): boolean => v === 'slower' || v === 'faster';

  // +1.5 µs of host time per kernel in B's `dispatch-each` (LAUNCHBENCH_FAULT_HOST_*): the cases
  // it moved by ≥ 20% of A's figure, found 5 of 7 before the variances were moderated.
  it.each([
    '20261205T024934Z-nvidia-h200-ab-known-cause',
    '20261205T025221Z-nvidia-h200-ab-known-cause',
    '20261205T125500Z-nvidia-h200-ab-known-cause',
  ])('%s: every case the fault moved by ≥ 20% is called slower in group', (pair) => {
    const compared = rows(pair);
    // as scripts/verdict-check.ts --fault dispatch-each:1.5 counts them
    const targets = compared.filter(
      (r) => r.strategy === 'dispatch-each' && 1.5 / (r.aWallUsPerKernel ?? Infinity) >= 0.2,
    );
    expect(targets.length).toBeGreaterThan(0);
    for (const r of targets) expect(r.relativeVerdict).toBe('slower');
    const others = compared.filter((r) => r.strategy !== 'dispatch-each');
    expect(others.filter((r) => called(r.relativeVerdict) || called(r.wallVerdict))).toEqual([]);
  });

  it.each([
    '20261205T024934Z-nvidia-h200-ab-identical',
    '20261205T025221Z-nvidia-h200-ab-identical',
    // made after the change, on an H100
    '20261205T143457Z-nvidia-h100-80gb-hbm3-ab-identical',
  ])('%s: identical sides, nothing called in group or on wall', (pair) => {
    const compared = rows(pair);
    expect(compared.length).toBe(45);
    expect(compared.filter((r) => called(r.relativeVerdict) || called(r.wallVerdict))).toEqual([]);
  });
});
