/**
 * A finished run's cases stated at its typical state (src/measure/run-case.ts atRunState): every
 * case of a metric moves where the state explains nearly all of the run's between-round variance
 * of it, none where it does not, and the metrics are judged apart. Pure; no GPU.
 */
import { describe, expect, it } from 'vitest';
import { atRunState } from '../src/measure/run-case.ts';
import type { CaseResult } from '../src/stats/result.ts';
import { distribution, roundSummary, type RoundSummary } from '../src/stats/stats.ts';
import { withStateFit } from '../src/stats/state.ts';

/** Rounds 0–5, the last three in a state 3× slower; how much each case moves with it. */
const STATES_NS = [40e3, 41e3, 39e3, 120e3, 121e3, 119e3];

function rounds(baseUs: number, slope: number, noise: readonly number[]): RoundSummary {
  const medians = STATES_NS.map((s, i) => baseUs * (s / 40e3) ** slope * (noise[i] ?? 1));
  return withStateFit(
    roundSummary(
      medians.map((m) => [m]),
      STATES_NS,
    ),
    0.3,
  );
}

function result(wall: RoundSummary, gpu: RoundSummary): CaseResult {
  return {
    wallRounds: wall,
    gpuBusyRounds: gpu,
    wallNs: { ...distribution(wall.roundMedians), median: wall.centre ?? NaN },
    gpuBusyNs: { ...distribution(gpu.roundMedians), median: gpu.centre ?? NaN },
  } as unknown as CaseResult;
}

const QUIET = [1, 1.004, 0.997, 1.002, 0.999, 1.003];
const NOISY = [1.5, 0.7, 1.3, 0.8, 1.2, 0.75];
// Visits: the run's median state is the fast one.
const VISITS_NS = [...STATES_NS, 40e3, 40e3, 41e3];

describe('atRunState', () => {
  it('moves every case where the state explains nearly all of the run, metric by metric', () => {
    // Wall moves with the state, each case by its own sensitivity; GPU busy does not move with it.
    const slopes = [1, 0.5, 0.8];
    const cases = [10, 20, 30].map((base, i) =>
      result(rounds(base, slopes[i]!, QUIET), rounds(base / 2, 0, NOISY)),
    );
    const before = cases.map((c) => ({ wall: c.wallNs!.median, gpu: c.gpuBusyNs!.median }));
    atRunState(cases, VISITS_NS);
    cases.forEach((c, i) => {
      // At the run's median visit state (41 µs, a fast one), along the case's own line: not the
      // rounds' mean between the states.
      expect(c.wallNs!.median / ([10, 20, 30][i]! * (41 / 40) ** slopes[i]!)).toBeCloseTo(1, 2);
      expect(c.wallRounds!.centre).toBe(c.wallNs!.median);
      expect(c.wallNs!.median).toBeLessThan(before[i]!.wall);
      // The interval moved with the figure, as wide in ln.
      const lnHalf = (rs: RoundSummary): number => Math.log((rs.hi95 ?? NaN) / (rs.centre ?? NaN));
      expect(lnHalf(c.wallRounds!)).toBeCloseTo(
        lnHalf(rounds([10, 20, 30][i]!, slopes[i]!, QUIET)),
        9,
      );
      expect(c.gpuBusyNs!.median).toBe(before[i]!.gpu);
    });
  });

  it('leaves every case alone where the state explains little of the run', () => {
    const cases = [
      result(rounds(10, 1, QUIET), rounds(5, 0, NOISY)),
      result(rounds(20, 0.2, NOISY), rounds(10, 0, NOISY)),
      result(rounds(30, 0.1, NOISY), rounds(15, 0, NOISY)),
    ];
    const before = cases.map((c) => c.wallNs!.median);
    atRunState(cases, VISITS_NS);
    expect(cases.map((c) => c.wallNs!.median)).toEqual(before);
  });

  it('does nothing without visit states', () => {
    const cases = [result(rounds(10, 1, QUIET), rounds(5, 0, NOISY))];
    const before = cases[0]!.wallNs!.median;
    atRunState(cases, []);
    expect(cases[0]!.wallNs!.median).toBe(before);
  });
});
