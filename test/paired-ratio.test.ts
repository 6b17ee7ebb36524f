/**
 * Strategy ratios from samples paired turn by turn (src/stats/paired.ts), on synthetic data:
 * a machine whose speed changes from turn to turn (each turn's two samples see the same factor)
 * and from round to round. The paired ratio cancels what both samples of a turn saw; the ratio of
 * the two cases' medians does not. Its interval covers a second run's figure.
 */
import { describe, expect, it } from 'vitest';
import { speedupOf } from '../src/stats/metrics.ts';
import { pairedRatio, type PairSample } from '../src/stats/paired.ts';
import type { CaseResult } from '../src/stats/result.ts';
import { newCaseResult } from '../src/measure/run-case.ts';
import { strategyById } from '../src/strategies/index.ts';
import { mapWorkload } from '../src/workloads/map.ts';
import { distribution, quantileSorted } from '../src/stats/stats.ts';
import { seededRandom } from '../src/workloads/random.ts';

const TRUE_RATIO = 2;
const ROUNDS = 5;
const TURNS = 6;

/** A normal deviate from a seeded uniform generator (Box–Muller). */
function gaussian(random: () => number): number {
  const u = ((random() >>> 0) + 1) / 2 ** 32;
  const v = ((random() >>> 0) + 1) / 2 ** 32;
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** One run: case A costs TRUE_RATIO × case B; every turn's factor is shared by both samples. */
function simulate(random: () => number): { a: PairSample[]; b: PairSample[] } {
  const a: PairSample[] = [];
  const b: PairSample[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const roundFactor = Math.exp(0.15 * gaussian(random));
    for (let turn = 0; turn < TURNS; turn++) {
      const turnFactor = roundFactor * Math.exp(0.3 * gaussian(random));
      // each sample also has its own small noise
      const own = () => Math.exp(0.02 * gaussian(random));
      a.push({
        round,
        turn,
        kind: 'wall',
        gc: false,
        value: TRUE_RATIO * 100 * turnFactor * own(),
      });
      b.push({ round, turn, kind: 'wall', gc: false, value: 100 * turnFactor * own() });
    }
  }
  return { a, b };
}

const median = (v: number[]): number =>
  quantileSorted(
    [...v].sort((x, y) => x - y),
    0.5,
  );

describe('pairedRatio', () => {
  it('cancels what both samples of a turn saw, which a ratio of medians keeps', () => {
    const random = seededRandom(7);
    const pairedErr: number[] = [];
    const mediansErr: number[] = [];
    for (let run = 0; run < 200; run++) {
      const { a, b } = simulate(random);
      const paired = pairedRatio(a, b, 'wall');
      expect(paired).not.toBeNull();
      pairedErr.push(Math.abs(Math.log((paired?.ratio ?? NaN) / TRUE_RATIO)));
      const ofMedians = median(a.map((s) => s.value ?? NaN)) / median(b.map((s) => s.value ?? NaN));
      mediansErr.push(Math.abs(Math.log(ofMedians / TRUE_RATIO)));
    }
    expect(median(pairedErr)).toBeLessThan(0.01);
    expect(median(mediansErr)).toBeGreaterThan(2 * median(pairedErr));
  });

  it("states an interval that holds a second run's figure", () => {
    const random = seededRandom(11);
    let covered = 0;
    const runs = 300;
    for (let run = 0; run < runs; run++) {
      const first = pairedRatio(
        ...(Object.values(simulate(random)) as [PairSample[], PairSample[]]),
        'wall',
      );
      const second = pairedRatio(
        ...(Object.values(simulate(random)) as [PairSample[], PairSample[]]),
        'wall',
      );
      if (first?.lo95 == null || first.hi95 == null || second === null) continue;
      if (second.ratio >= first.lo95 && second.ratio <= first.hi95) covered++;
    }
    expect(covered / runs).toBeGreaterThan(0.88);
  });

  it('pairs by position within round and kind when no turn was recorded, and leaves out pairs a collection touched', () => {
    const s = (round: number, value: number | null, gc = false, kind: 'wall' | 'gpu' = 'wall') => ({
      round,
      turn: null,
      kind,
      gc,
      value,
    });
    const a = [s(0, 20), s(0, 999, true), s(0, 40), s(1, 60), s(1, 5, false, 'gpu')];
    const b = [s(0, 10), s(0, 10), s(0, 20), s(1, 30), s(2, 10)];
    const r = pairedRatio(a, b, 'wall');
    expect(r?.pairs).toBe(3); // (20,10) (40,20) in round 0, (60,30) in round 1
    expect(r?.rounds).toBe(2);
    expect(r?.ratio).toBeCloseTo(2);
    expect(r?.lo95).toBeCloseTo(2);
    expect(pairedRatio(a, b, 'gpu')).toBeNull();
    expect(pairedRatio([s(0, null)], [s(0, 1)], 'wall')).toBeNull();
  });

  it('pairs by turn where recorded: a case that made up samples in turns of its own pairs with nothing there', () => {
    // A's samples came from turns 1g 2g 3 4 5, B's from 1g 2 3 4g 6 (g: a collection overlapped):
    // by position the 5th would pair turn 5 with turn 6; by turn only turn 3 pairs.
    const s = (turn: number, value: number, gc = false) => ({
      round: 0,
      turn,
      kind: 'wall' as const,
      gc,
      value,
    });
    const a = [s(1, 20, true), s(2, 20, true), s(3, 20), s(4, 20), s(5, 90)];
    const b = [s(1, 10, true), s(2, 10), s(3, 10), s(4, 10, true), s(6, 10)];
    const r = pairedRatio(a, b, 'wall');
    expect(r?.pairs).toBe(1);
    expect(r?.ratio).toBeCloseTo(2);
  });
});

describe('speedupOf', () => {
  const params = {
    elements: 64,
    kernels: 10,
    intensity: 0,
    workgroupSize: 64,
    persistentWorkgroups: 1,
  };
  const result = (id: string, wallNs: number): CaseResult => {
    const strategy = strategyById(id);
    if (strategy === undefined) throw new Error(id);
    const r = newCaseResult(mapWorkload, strategy, params);
    r.wallNs = distribution([wallNs]);
    return r;
  };

  it('states the paired speed-up with its interval the right way round', () => {
    const fused = result('fused', 100);
    const baseline = result('dispatch-each', 1000);
    fused.pairedWallRatios = {
      'dispatch-each': { ratio: 0.125, lo95: 0.1, hi95: 0.2, pairs: 10, rounds: 5 },
    };
    const s = speedupOf(fused, baseline);
    expect(s?.speedup).toBeCloseTo(8);
    expect(s?.lo95).toBeCloseTo(5);
    expect(s?.hi95).toBeCloseTo(10);
  });

  it('falls back to the ratio of the figures, without an interval, where nothing was paired', () => {
    const s = speedupOf(result('fused', 100), result('dispatch-each', 1000));
    expect(s).toEqual({ speedup: 10, lo95: null, hi95: null });
  });

  it('states nothing for a failed baseline', () => {
    const baseline = result('dispatch-each', 1000);
    baseline.status = 'failed';
    expect(speedupOf(result('fused', 100), baseline)).toBeNull();
  });
});
