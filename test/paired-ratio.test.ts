/**
 * Strategy ratios from samples paired turn by turn (src/measure/paired.ts), on synthetic data:
 * a machine whose speed changes from turn to turn (each turn's two samples see the same factor)
 * and from round to round. The paired ratio cancels what both samples of a turn saw; the ratio of
 * the two cases' medians does not. Its interval covers a second run's figure.
 */
import { describe, expect, it } from 'vitest';
import { pairedRatio, type PairSample } from '../src/measure/paired.ts';
import { quantileSorted } from '../src/measure/stats.ts';
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
      a.push({ round, kind: 'wall', gc: false, value: TRUE_RATIO * 100 * turnFactor * own() });
      b.push({ round, kind: 'wall', gc: false, value: 100 * turnFactor * own() });
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

  it('pairs by position within round and kind, and leaves out pairs a collection touched', () => {
    const s = (round: number, value: number | null, gc = false, kind: 'wall' | 'gpu' = 'wall') => ({
      round,
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
});
