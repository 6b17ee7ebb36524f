/**
 * Strategy ratios from samples paired turn by turn (src/stats/paired.ts), on synthetic data:
 * a machine whose speed changes from turn to turn (each turn's two samples see the same factor)
 * and from round to round. The paired ratio cancels what both samples of a turn saw; the ratio of
 * the two cases' medians does not. Its interval covers a second run's figure.
 */
import { describe, expect, it } from 'vitest';
import { speedupOf } from '../src/stats/metrics.ts';
import {
  expectedAgreement,
  pairedRatio,
  roundScatter,
  roundsForAgreement,
  type AgreementCase,
  type PairSample,
} from '../src/stats/paired.ts';
import { studentT } from '../src/stats/stats.ts';
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

describe('expected agreement between two runs (expectedAgreement, roundsForAgreement)', () => {
  const band = Math.log(1 + 0.05);
  /** A case whose runs both have `rounds` rounds and scatter `s`. */
  const alike = (s: number, rounds = 6) => ({
    scatterA: s,
    roundsA: rounds,
    scatterB: s,
    roundsB: rounds,
  });
  /** The scatter at which a case of two R-round runs lands within 5% with probability p. */
  const scatterFor = (p: number, rounds: number, df = 10): number =>
    band / studentT(0.5 + p / 2, df) / Math.sqrt(2 / rounds);

  it('is Student t’s share inside ±5%, on the two runs’ degrees of freedom', () => {
    expect(expectedAgreement([alike(scatterFor(0.95, 6))], 0.05)).toBeCloseTo(0.95, 6);
    expect(
      expectedAgreement([alike(scatterFor(0.8, 6)), alike(scatterFor(0.9, 6))], 0.05),
    ).toBeCloseTo(0.85, 6);
    // the same scatter on fewer degrees of freedom (3 and 3 rounds: 4): a lower share
    const s = scatterFor(0.9, 6);
    expect(expectedAgreement([alike(s, 3)], 0.05)).toBeLessThan(
      expectedAgreement([alike(s, 6)], 0.05),
    );
    // a run cut short counts its own rounds: 6 and 3 lie between 6 and 6 and 3 and 3
    const cut = expectedAgreement([{ scatterA: s, roundsA: 6, scatterB: s, roundsB: 3 }], 0.05);
    expect(cut).toBeLessThan(expectedAgreement([alike(s, 6)], 0.05));
    expect(cut).toBeGreaterThan(expectedAgreement([alike(s, 3)], 0.05));
    // the two scatters combine as a root mean square, not a mean: 0 and 2s is worse than s and s
    const lopsided = { scatterA: 0, roundsA: 6, scatterB: 2 * s, roundsB: 6 };
    expect(expectedAgreement([lopsided], 0.05)).toBeLessThan(expectedAgreement([alike(s)], 0.05));
    expect(expectedAgreement([alike(0)], 0.05)).toBe(1);
    expect(expectedAgreement([], 0.05)).toBeNaN();
  });

  it('names the rounds at which a share would be reached, the scatter per round unchanged', () => {
    // 80% at 24 rounds a run, a hair inside it (the scatter still known from the 10 degrees of
    // freedom of the runs that measured it)
    const s = scatterFor(0.8, 24) * 0.999;
    expect(expectedAgreement([alike(s)], 0.05, 24)).toBeCloseTo(0.8, 3);
    expect(roundsForAgreement([alike(s)], 0.05, 0.8)).toBe(24);
    expect(roundsForAgreement([alike(s / 100)], 0.05, 0.8)).toBe(2);
    expect(roundsForAgreement([alike(10 * band)], 0.05, 0.8, 64)).toBeNull();
  });

  it('predicts how often simulated identical runs agree, from their own rounds', () => {
    // 400 cases, each measured by two runs of 6 rounds of 9 turns; each round moves the case's
    // ratio by a log-normal factor of sd `roundSd` and each turn by one of sd `turnSd`, under a
    // machine state that both samples of a turn see (which pairing cancels).
    let seed = 11;
    const uniform = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return (seed + 0.5) / 2147483648;
    };
    const normal = (): number =>
      Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    const run = (roundSd: number, turnSd: number): { a: PairSample[]; b: PairSample[] } => {
      const a: PairSample[] = [];
      const b: PairSample[] = [];
      for (let round = 0; round < 6; round++) {
        const shift = roundSd * normal();
        for (let turn = 0; turn < 9; turn++) {
          const state = Math.exp(0.2 * normal());
          const value = 200 * state * Math.exp(shift + turnSd * normal());
          a.push({ round, turn, kind: 'wall', gc: false, value });
          b.push({ round, turn, kind: 'wall', gc: false, value: 100 * state });
        }
      }
      return { a, b };
    };
    const simulate = (roundSd: number, turnSd: number): { expected: number; seen: number } => {
      const cases: AgreementCase[] = [];
      let agree = 0;
      const count = 400;
      for (let i = 0; i < count; i++) {
        const first = run(roundSd, turnSd);
        const second = run(roundSd, turnSd);
        const x = pairedRatio(first.a, first.b, 'wall');
        const y = pairedRatio(second.a, second.b, 'wall');
        const sx = x === null ? undefined : roundScatter(x);
        const sy = y === null ? undefined : roundScatter(y);
        if (x === null || y === null || sx === undefined || sy === undefined)
          throw new Error('no interval');
        cases.push({ scatterA: sx, roundsA: x.rounds, scatterB: sy, roundsB: y.rounds });
        if (Math.abs(Math.log(x.ratio / y.ratio)) <= band) agree++;
      }
      return { expected: expectedAgreement(cases, 0.05), seen: agree / count };
    };
    // Rounds that move (8%, the H200's typical between-round scatter of a wall ratio) over a
    // little turn noise: the figure is the median over all pairs, which follows the median of the
    // six round levels (about 1.2× the sd of their mean, which the model assumes), so the
    // expectation runs high here; on the stored H100 and H200 pairs it ran 4–16 points low
    // (docs/findings.md, fourteenth session).
    const rounds = simulate(0.08, 0.03);
    expect(Math.abs(rounds.expected - rounds.seen)).toBeLessThan(0.12);
    // seen 0.65, expected 0.70. Noisy turns over steady rounds, where the pooled median is the
    // efficient centre: seen 0.89, expected 0.89.
    const turns = simulate(0.01, 0.12);
    expect(Math.abs(turns.expected - turns.seen)).toBeLessThan(0.12);
    // and it tells the two machines apart the right way round
    expect(turns.seen - rounds.seen).toBeGreaterThan(0.1);
    expect(turns.expected - rounds.expected).toBeGreaterThan(0.05);
  });
});
