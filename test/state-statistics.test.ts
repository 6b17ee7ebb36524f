/**
 * The statistics compare and the repeat intervals rest on (src/stats/state.ts), on known
 * answers: Benjamini–Hochberg q values, the between-run spread τ, the analysis of covariance of
 * two runs' rounds on their states, and the state fit. Pure; no GPU.
 */
import { describe, expect, it } from 'vitest';
import {
  ancova,
  atTypicalState,
  benjaminiHochberg,
  betweenRunSpread,
  STATE_RUN_R2,
  stateDominates,
  stateFit,
  visitStateVariance,
  withStateFit,
} from '../src/stats/state.ts';
import { roundSummary, studentT, studentTTail } from '../src/stats/stats.ts';
import { seededRandom } from '../src/workloads/random.ts';

const gauss = (seed: number): (() => number) => {
  const next = seededRandom(seed);
  const u = (): number => next() / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
};

describe('benjaminiHochberg', () => {
  it('gives the step-up q values, monotone in p, capped at 1, NaN left out of the count', () => {
    // m = 4 valid p values: 0.01·4/1, 0.02·4/2, 0.03·4/3, 0.5·4/4 → 0.04, 0.04, 0.04, 0.5.
    const q = benjaminiHochberg([0.03, NaN, 0.01, 0.5, 0.02]);
    expect(q[0]).toBeCloseTo(0.04, 12);
    expect(q[1]).toBeNaN();
    expect(q[2]).toBeCloseTo(0.04, 12);
    expect(q[3]).toBeCloseTo(0.5, 12);
    expect(q[4]).toBeCloseTo(0.04, 12);
    expect(benjaminiHochberg([0.9, 0.95])).toEqual([0.95, 0.95]);
  });
});

describe('betweenRunSpread', () => {
  it('is 0 when the rounds explain the differences, and finds a spread they do not', () => {
    const z = gauss(11);
    const df = 8;
    const explained = Array.from({ length: 400 }, () => ({ d: 0.02 * z(), se: 0.02, df }));
    expect(betweenRunSpread(explained)).toBeLessThan(0.006);
    // A process-level spread of 5% that the rounds (2%) do not see.
    const hidden = Array.from({ length: 400 }, () => ({
      d: 0.02 * z() + 0.05 * z(),
      se: 0.02,
      df,
    }));
    expect(betweenRunSpread(hidden)).toBeGreaterThan(0.035);
    expect(betweenRunSpread(hidden)).toBeLessThan(0.065);
  });

  it('hardly moves when a minority of cases really changed, and needs 20 cases', () => {
    const z = gauss(12);
    const cases = Array.from({ length: 250 }, (_, i) => ({
      d: 0.02 * z() + (i < 25 ? 0.4 : 0),
      se: 0.02,
      df: 8,
    }));
    expect(betweenRunSpread(cases)).toBeLessThan(0.012);
    expect(betweenRunSpread(cases.slice(0, 19))).toBe(0);
  });
});

describe('ancova', () => {
  it('takes out a difference in state between the runs', () => {
    // ln(median) = 1 + 0.8 ln(state) + noise; B spent its rounds in a state 1.5× slower.
    const z = gauss(13);
    const run = (slow: number): { medians: number[]; statesNs: number[] } => {
      const statesNs = Array.from({ length: 8 }, (_, i) => 40_000 * slow * (1 + 0.1 * i));
      return {
        statesNs,
        medians: statesNs.map((s) => Math.exp(1 + 0.8 * Math.log(s) + 0.01 * z())),
      };
    };
    const shift = ancova(run(1), run(1.5));
    expect(shift).toBeDefined();
    // Raw B/A would be 1.5^0.8 = 1.38; at equal states it is 1.
    expect(Math.abs(shift?.d ?? 1)).toBeLessThan(0.03);
    expect(shift?.slope).toBeCloseTo(0.8, 1);
    expect(shift?.df).toBe(13);
  });

  it('gives no test from rounds exactly on the line or states that do not vary', () => {
    const exact = { medians: [2, 4, 8], statesNs: [1, 2, 4] };
    expect(ancova(exact, exact)).toBeUndefined();
    const flat = { medians: [2, 3, 4], statesNs: [5, 5, 5] };
    expect(ancova(flat, flat)).toBeUndefined();
  });
});

describe('state fit and the repeat interval', () => {
  it('fits the slope and R², and widens the interval by how far the visits ranged', () => {
    const statesNs = [40e3, 80e3, 40e3, 80e3, 60e3, 50e3];
    const medians = statesNs.map((s, i) => s * (1 + 0.01 * (i % 2)));
    const fit = stateFit(medians, statesNs);
    expect(fit?.slope).toBeCloseTo(1, 1);
    expect(fit?.r2).toBeGreaterThan(0.99);
    const plain = roundSummary(
      medians.map((m) => [m]),
      statesNs,
    );
    const narrow = withStateFit(plain, 0.0001);
    const wide = withStateFit(plain, 0.2);
    expect(narrow.centre).toBe(plain.centre);
    const half = (s: typeof plain): number => Math.log((s.hi95 ?? NaN) / (s.centre ?? NaN));
    expect(half(wide)).toBeGreaterThan(half(narrow));
    // β ≈ 1: the half-width is t₀.₉₇₅,₄ · √(2/6 · (s² + V)) with s² small against V = 0.2.
    expect(half(wide)).toBeCloseTo(studentT(0.975, 4) * Math.sqrt((2 / 6) * 0.2), 1);
  });

  it('fits on the rounds that have a state when one lacks it', () => {
    const s = roundSummary([[10], [20], [10], [20], [15]], [1e3, 2e3, 1e3, 2e3, undefined]);
    expect(withStateFit(s).stateSlope).toBeCloseTo(1, 6);
  });

  it("states a case at the run's typical state along its line, within its rounds' states", () => {
    // Six rounds, three in a slow state (3× the round trip) that moved the case one for one.
    const statesNs = [40e3, 41e3, 39e3, 120e3, 121e3, 119e3];
    const medians = statesNs.map((s, i) => (10 * s * (1 + 0.005 * (i % 2))) / 40e3);
    const fitted = withStateFit(
      roundSummary(
        medians.map((m) => [m]),
        statesNs,
      ),
      0.3,
    );
    const geomean = Math.exp(medians.reduce((a, m) => a + Math.log(m), 0) / medians.length);
    expect(fitted.centre).toBeCloseTo(geomean, 9);
    const moved = atTypicalState(fitted, 40e3);
    expect(moved.centre).toBeCloseTo(10, 1);
    // The interval keeps its width (in ln) around the moved figure.
    const lnHalf = (s: typeof fitted): number => Math.log((s.hi95 ?? NaN) / (s.centre ?? NaN));
    expect(lnHalf(moved)).toBeCloseTo(lnHalf(fitted), 12);
    expect(moved.roundMedians).toEqual(fitted.roundMedians);
    // Not carried past the states the rounds met: a typical state of 10 µs is taken at 39 µs.
    expect(atTypicalState(fitted, 10e3).centre).toBeCloseTo(
      atTypicalState(fitted, 39e3).centre!,
      9,
    );
    // Without a state fit, nothing moves.
    const plain = roundSummary([[1], [2], [3]], [1e3, 2e3, 3e3]);
    expect(atTypicalState(plain, 1e3)).toBe(plain);
  });

  it('the state dominates a run where the median case line explains at least STATE_RUN_R2', () => {
    const withR2 = (r2: number | null) => ({ ...roundSummary([[1], [2]]), stateR2: r2 });
    expect(stateDominates([withR2(0.95), withR2(0.97), withR2(0.2), withR2(null)])).toBe(true);
    expect(stateDominates([withR2(0.95), withR2(0.5), withR2(0.2)])).toBe(false);
    expect(stateDominates([withR2(STATE_RUN_R2)])).toBe(true);
    expect(stateDominates([withR2(null)])).toBe(false);
    expect(stateDominates([])).toBe(false);
  });

  it('visit state variance is the sample variance of ln(state)', () => {
    expect(visitStateVariance([1, Math.E, Math.E ** 2])).toBeCloseTo(1, 12);
    expect(visitStateVariance([5, 5])).toBeUndefined();
  });
});

describe('Student t at infinite degrees of freedom', () => {
  it('is the normal distribution, not NaN', () => {
    expect(studentT(0.975, Infinity)).toBeCloseTo(1.96, 2);
    expect(2 * studentTTail(1.96, Infinity)).toBeCloseTo(0.05, 3);
  });
});
