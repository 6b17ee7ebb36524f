/**
 * Strategy ratios from paired samples. Within a visit the schedule takes one sample of each case
 * per turn (src/measure/schedule.ts) and records the turn, so two cases of a group have samples
 * of a kind from the same round and turn, seconds apart at most, in the same machine state (runs
 * made before the turn was recorded pair the i-th sample of a round with the i-th). The
 * ratio of two strategies is then the median over turns of the ratio of their two samples, not the
 * ratio of their two medians: each pair cancels the state both saw, including the state changes
 * inside a visit that a ratio of medians keeps. Measured on the H200 (two default-profile runs back
 * to back, results/20261201T134913Z-nvidia-h200-pair): wall ratios to `dispatch-each` within 5% of
 * the other run for 69% of the cases this way, 52% as a ratio of the cases' round-centred medians.
 *
 * The 95% interval comes from the rounds, like every interval of the suite: the per-round medians
 * of the pair log-ratios give the spread, and the interval is where a second run's figure should
 * fall (t × spread × √(2/R), as in roundSummary). Never prints.
 */
import type { CaseResult, PairedRatio, Sample, SampleKind } from './result.ts';

export type { PairedRatio } from './result.ts';
import { median, studentT, studentTTail } from './stats.ts';

/** What pairing needs of a sample (a Sample, or a row of samples.csv). */
export interface PairSample {
  round: number;
  /** The visit's turn; null in runs that did not record it (pairs then go by position). */
  turn: number | null;
  kind: SampleKind;
  gc: boolean;
  /** The figure compared, e.g. wall ns; null where the sample has none. */
  value: number | null;
}

/** Samples of `kind` by round, in the order taken (garbage-collected ones included: they hold their turn's place). */
function byRound(samples: readonly PairSample[], kind: SampleKind): Map<number, PairSample[]> {
  const out = new Map<number, PairSample[]>();
  for (const s of samples) {
    if (s.kind !== kind) continue;
    const list = out.get(s.round) ?? [];
    list.push(s);
    out.set(s.round, list);
  }
  return out;
}

/**
 * The pairs of one round: by turn where both sides recorded it (a case that made up samples in
 * extra turns of its own pairs with nothing there), else by position.
 */
function pairsOf(a: readonly PairSample[], b: readonly PairSample[]): [PairSample, PairSample][] {
  if (a.every((s) => s.turn !== null) && b.every((s) => s.turn !== null)) {
    const inB = new Map(b.map((s) => [s.turn, s]));
    return a.flatMap((x) => {
      const y = inB.get(x.turn);
      return y === undefined ? [] : [[x, y] as [PairSample, PairSample]];
    });
  }
  return a.slice(0, b.length).map((x, i) => [x, b[i] as PairSample]);
}

/**
 * The ratio a / b of two cases of one group from their samples of `kind` paired turn by turn;
 * null without a single valid pair. A pair is left out when either sample overlapped a garbage
 * collection or has no value.
 */
export function pairedRatio(
  a: readonly PairSample[],
  b: readonly PairSample[],
  kind: SampleKind,
): PairedRatio | null {
  const inB = byRound(b, kind);
  const all: number[] = [];
  const roundMedians: number[] = [];
  for (const [round, listA] of byRound(a, kind)) {
    const listB = inB.get(round) ?? [];
    const logs: number[] = [];
    for (const [x, y] of pairsOf(listA, listB)) {
      if (x.gc || y.gc || x.value === null || y.value === null) continue;
      if (!(x.value > 0 && y.value > 0)) continue;
      logs.push(Math.log(x.value / y.value));
    }
    if (logs.length === 0) continue;
    all.push(...logs);
    roundMedians.push(median(logs));
  }
  if (all.length === 0) return null;
  const centre = median(all);
  const rounds = roundMedians.length;
  if (rounds < 2)
    return { ratio: Math.exp(centre), lo95: null, hi95: null, pairs: all.length, rounds };
  const mean = roundMedians.reduce((s, v) => s + v, 0) / rounds;
  const spread = Math.sqrt(roundMedians.reduce((s, v) => s + (v - mean) ** 2, 0) / (rounds - 1));
  const half = studentT(0.975, rounds - 1) * spread * Math.sqrt(2 / rounds);
  return {
    ratio: Math.exp(centre),
    lo95: Math.exp(centre - half),
    hi95: Math.exp(centre + half),
    pairs: all.length,
    rounds,
  };
}

/** The strategies a group's speed-ups are stated against. */
const BASELINES = ['submit-wait', 'dispatch-each'];

/**
 * Sets each case's wall ratio to its group's baselines (`pairedWallRatios`), from samples paired
 * turn by turn; `group`: the cases of one group (one workload and parameters), with their samples.
 */
export function pairWithBaselines(
  group: readonly { result: CaseResult; samples: readonly Sample[] }[],
): void {
  const walls = (samples: readonly Sample[]): PairSample[] =>
    samples.map((s) => ({ round: s.round, turn: s.turn, kind: s.kind, gc: s.gc, value: s.wallNs }));
  for (const id of BASELINES) {
    const baseline = group.find((c) => c.result.strategy === id);
    if (baseline === undefined) continue;
    const reference = walls(baseline.samples);
    for (const c of group) {
      if (c === baseline) continue;
      const paired = pairedRatio(walls(c.samples), reference, 'wall');
      if (paired === null) continue;
      c.result.pairedWallRatios = { ...c.result.pairedWallRatios, [id]: paired };
    }
  }
}

/**
 * The between-round scatter s of a paired ratio (the sd of one round's ln ratio) that its 95%
 * interval implies: the half-width is t₀.₉₇₅,R−1 · s · √(2/R); undefined without an interval.
 */
export function roundScatter(r: PairedRatio): number | undefined {
  if (r.lo95 === null || r.hi95 === null || r.rounds < 2) return undefined;
  return (Math.log(r.hi95 / r.lo95) / 2 / studentT(0.975, r.rounds - 1)) * Math.sqrt(r.rounds / 2);
}

/** One case of two runs: each run's between-round scatter (roundScatter) and rounds. */
export interface AgreementCase {
  scatterA: number;
  roundsA: number;
  scatterB: number;
  roundsB: number;
}

/**
 * The share of cases whose figure should agree between two runs within `tolerance` (relative),
 * from the runs' own rounds: a case's two runs differ in ln terms by s·√(1/R_A + 1/R_B), s² the
 * mean of the two runs' squared scatters, with s estimated on R_A − 1 + R_B − 1 degrees of
 * freedom, so the difference is taken as Student's t of those. `rounds`: as if both runs had that
 * many (the scatter per round unchanged). Against the stored pairs (docs/findings.md, "The runs of
 * 2026-12-06, fourteenth session") it ran 4–16 points under the share seen. NaN without cases.
 */
export function expectedAgreement(
  cases: readonly AgreementCase[],
  tolerance: number,
  rounds?: number,
): number {
  if (cases.length === 0) return NaN;
  const band = Math.log(1 + tolerance);
  const inside = (c: AgreementCase): number => {
    const ra = rounds ?? c.roundsA;
    const rb = rounds ?? c.roundsB;
    const sd = Math.sqrt((c.scatterA ** 2 + c.scatterB ** 2) / 2) * Math.sqrt(1 / ra + 1 / rb);
    return sd > 0 ? 1 - 2 * studentTTail(band / sd, c.roundsA - 1 + c.roundsB - 1) : 1;
  };
  return cases.reduce((sum, c) => sum + inside(c), 0) / cases.length;
}

/**
 * The fewest rounds a run (2 up to `maxRounds`) at which `expectedAgreement` reaches `target`,
 * the scatter per round unchanged; null when even `maxRounds` would not.
 */
export function roundsForAgreement(
  cases: readonly AgreementCase[],
  tolerance: number,
  target: number,
  maxRounds = 64,
): number | null {
  for (let r = 2; r <= maxRounds; r++) {
    if (expectedAgreement(cases, tolerance, r) >= target) return r;
  }
  return null;
}
