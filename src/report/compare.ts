/**
 * `compare A B`: per case, run B's time over run A's, with a verdict that takes the uncertainty
 * between runs into account. Cases match on workload, strategy, elements, kernels, intensity and
 * workgroup size (CASE_KEY_COLUMNS). Pure functions over two runs read back from their files.
 *
 * The rule, per metric (wall µs/kernel; GPU busy µs/kernel where both runs have it), on the log
 * scale, with δ = ln(1 + minEffect) the minimum effect worth a verdict (5%):
 *   1. The difference d = ln(B/A) and its standard error se with df degrees of freedom:
 *      - at equal states, where both runs have rounds.csv with the states of their visits
 *        (src/stats/state.ts, ancova): both runs' round medians fitted to one line on the log
 *        state with a shift d between the runs; df = R_A + R_B − 3. The machine's host path moves
 *        every strategy of a visit together (a round trip of 40 µs in one state, 60–75 in
 *        another, on the lent H200), and a run that spent more of its visits in the slow state
 *        comes out slower with nothing changed; at equal states that is taken out;
 *      - otherwise (older runs, `--no-state`) from each run's figure c (the geometric mean of its
 *        round medians, GPU busy's with a wild round pulled in), its between-round spread s and
 *        rounds R: d = ln(c_B/c_A), se = √(s_A²/R_A + s_B²/R_B), Welch–Satterthwaite df.
 *   2. The spread τ by which the two runs differ beyond what their rounds explain, one per metric,
 *      estimated from every matched case (state.ts betweenRunSpread: the median case must sit
 *      where its own t distribution puts the median), and added to every case's se² (se² + τ²).
 *      A run's rounds cannot see what stays fixed for a whole process; a pair of runs holds one
 *      replicate of it per case.
 *   3. The p value of d = 0 (Student t), adjusted over the comparison's cases of that metric by
 *      Benjamini–Hochberg (q): 250 cases at once would otherwise give a dozen calls by chance at
 *      5% each. When nothing changed, the chance of any call at all is at most 5%; when some cases
 *      changed, at most 5% of the calls are expected to be false.
 *   4. The verdict:
 *      slower   q ≤ 5% and d > δ: a difference that matters, and that the family of tests keeps;
 *      faster   q ≤ 5% and d < −δ;
 *      same     d ± t_{0.95,df}·se lies inside (−δ, δ): the 90% interval rules out any difference
 *               as large as the minimum effect (TOST equivalence at the 5% level);
 *      unclear  otherwise: too noisy to say, or a shift that is real but smaller than the minimum
 *               effect. Measure again (more rounds, a quieter machine) before believing either way.
 * Besides wall and GPU busy, each case is judged in group by the same steps: its wall time less
 * a visit's reference (the median over its group's other strategies of their deviation from their
 * own mean, inGroupSeries), round by round, Welch between the runs on variances moderated by
 * their strategy's prior (relativePriors; never below a case's own), judged twice: the cases
 * called the first time are left out of their groups' references for the second. The family is
 * every compared case, or the strategies `--strategies` names (τ still comes from every case).
 * A run without round statistics (R < 2: runs made before rounds existed) gets `unclear` with a
 * note, never faster or slower; a case under the sample floor (enoughSamples false) gets no
 * verdict at all (not comparable).
 *
 * Why: a run's rounds see the drift within it, not the state the other run was in; on the H200 a
 * pair of identical default runs called 23 cases slower and 2 faster without the states and
 * without the family's adjustment (issue 19). test/compare-drifting-machine.test.ts checks the
 * rule on a simulated machine that switches between two host-path states every tens of seconds:
 * false calls ≤ 1% of cases on identical runs, a +25% change of some cases found.
 */
import { huberLocation, roundCentreLog, scaledMad } from '../stats/robust.ts';
import { median, quantileSorted, studentT } from '../stats/stats.ts';
import {
  ancova,
  benjaminiHochberg,
  betweenRunSpread,
  tTestP,
  type RoundSeries,
} from '../stats/state.ts';
import {
  fitVariancePrior,
  MIN_PRIOR_VARIANCES,
  moderate,
  NO_PRIOR,
  type VariancePrior,
} from '../stats/moderated.ts';
import { UsageError } from '../errors.ts';
import { benchmarkName } from './export.ts';
import {
  caseKey,
  type CaseAxis,
  type DriftCsvRow,
  type RoundCsvRow,
  type RunContextFile,
  type RunData,
  type SummaryRow,
} from './read-run.ts';

export type Verdict = 'faster' | 'slower' | 'same' | 'unclear';

/** The minimum effect by default: 5%. */
export const DEFAULT_MIN_EFFECT = 0.05;

export interface CompareOptions {
  /** The smallest relative difference worth calling faster or slower (0.05 = 5%). */
  minEffect?: number;
  /**
   * Axes left out of the match: compare the same cases at, say, another intensity (each run
   * must then hold one value of each such axis).
   */
  across?: readonly CaseAxis[];
  /**
   * Judge at equal states from both runs' rounds.csv where they have it (default true); false
   * judges from the figures and their spreads alone (for two Dawn configurations: the state
   * probe runs on Dawn too, so a change of Dawn moves it with the cases).
   */
  state?: boolean;
  /**
   * Widen every case's standard error by the spread between the runs that their rounds do not see,
   * estimated from all the cases (state.ts betweenRunSpread); default: unless the runs' rounds
   * already see every process (roundsSeeProcesses).
   */
  betweenRuns?: boolean;
  /**
   * Spreads between the runs (ln scale) given instead of the estimate, per family (wall, GPU busy,
   * in group): for runs whose cases nearly all differ (two runtimes), where the estimate measures
   * the difference, not the machine. A family left out keeps the `betweenRuns` rule.
   */
  givenSpreads?: GivenSpreads;
  /**
   * Compare only these strategies' cases (default: all): the family of tests is then theirs
   * alone, so a question asked of one strategy before the runs is not diluted by 250 others. The
   * in-group view still measures each case against all of its group's other strategies.
   */
  strategies?: readonly string[];
}

/** What compareRuns found of each metric's spread between the runs beyond their rounds (ln scale). */
export interface BetweenRunSpreads {
  wall: number;
  gpuBusy: number;
  relative?: number;
}

/**
 * The two-sided p value of d = 0; a difference with no spread at all (every round alike in both
 * runs) is exact: 0 unless d is 0.
 */
const pValue = (d: number, se: number, df: number): number =>
  se === 0 ? (d === 0 ? 1 : 0) : tTestP(d, se, df);

/** The false discovery rate of the faster/slower calls of one metric over a comparison. */
export const FAMILY_RATE = 0.05;

/** One run's figure for one metric: its centre and what its rounds say about it. */
export interface RoundStats {
  /**
   * The run's figure for the metric: the centre of its round medians (plainCentre; from rounds.csv
   * where the run has it: summary.csv's figure is stated at the run's typical state in a run
   * whose state dominates it, src/measure/run-case.ts atRunState, and `--no-state` is for when
   * the state probe is not to be trusted).
   */
  centre: number;
  /** Standard deviation of ln(per-round median) across rounds; null below 2 rounds. */
  spread: number | null;
  /** Rounds that gave samples of the metric; null when the run does not say. */
  rounds: number | null;
}

/** B against A on the log scale, and how well the runs' rounds know it. */
export interface Difference {
  /** ln(B/A). */
  d: number;
  se: number;
  df: number;
  /** Two-sided p value of d = 0. */
  p: number;
  /** From both runs' rounds fitted on their visits' states (state.ts ancova): B/A at equal states. */
  atEqualState: boolean;
  /** From the runs' rounds paired (they took turns, `ab --interleave visits`). */
  paired?: boolean;
}

/** The verdict on B against A, with the ratio B/A and its 95% interval. */
export interface Judgement {
  verdict: Verdict;
  /** B/A: c_B / c_A, or at equal states where `atEqualState`. */
  ratio: number;
  /** 95% interval of the ratio; null when either run lacks round statistics. */
  lo95: number | null;
  hi95: number | null;
  /** Two-sided p value of B = A, and its Benjamini–Hochberg adjustment over the family; null without statistics. */
  p: number | null;
  q: number | null;
  atEqualState: boolean;
  /** From the runs' rounds paired (they took turns). */
  paired: boolean;
  /** Why the verdict is unclear for want of statistics; '' otherwise. */
  note: string;
}

const hasRounds = (s: RoundStats): boolean =>
  s.rounds !== null && s.rounds >= 2 && s.spread !== null && s.spread >= 0;

/**
 * B against A from the two runs' figures and between-round spreads (Welch), or why not: the rule
 * for runs without rounds.csv, or with `--no-state`.
 */
export function roundsDifference(a: RoundStats, b: RoundStats): Difference | string {
  const missing = [hasRounds(a) ? '' : 'A', hasRounds(b) ? '' : 'B'].filter((x) => x !== '');
  if (missing.length > 0)
    return `no between-round spread in ${missing.join(' and ')} (fewer than 2 rounds, or a run made before rounds)`;
  const d = Math.log(b.centre / a.centre);
  const va = (a.spread as number) ** 2 / (a.rounds as number);
  const vb = (b.spread as number) ** 2 / (b.rounds as number);
  const se = Math.sqrt(va + vb);
  // Welch–Satterthwaite; with no spread at all the interval is the point itself.
  const df =
    se === 0
      ? Infinity
      : (va + vb) ** 2 /
        (va ** 2 / ((a.rounds as number) - 1) + vb ** 2 / ((b.rounds as number) - 1));
  return { d, se, df, p: pValue(d, se, df), atEqualState: false };
}

/**
 * The verdict from a difference and its p value adjusted for the family of tests (`q`; a
 * comparison of one case alone passes its p). See the rule at the top of this file.
 */
export function verdictOf(diff: Difference, q: number, minEffect: number): Judgement {
  const { d, se, df } = diff;
  const delta = Math.log(1 + minEffect);
  const half = (p: number): number => (se === 0 ? 0 : studentT(p, df) * se);
  const h95 = half(0.975);
  const h90 = half(0.95);
  let verdict: Verdict = 'unclear';
  if (q <= FAMILY_RATE && d > delta && d - h95 > 0) verdict = 'slower';
  else if (q <= FAMILY_RATE && d < -delta && d + h95 < 0) verdict = 'faster';
  else if (d - h90 > -delta && d + h90 < delta) verdict = 'same';
  return {
    verdict,
    ratio: Math.exp(d),
    lo95: Math.exp(d - h95),
    hi95: Math.exp(d + h95),
    p: diff.p,
    q,
    atEqualState: diff.atEqualState,
    paired: diff.paired === true,
    note: '',
  };
}

/** The verdict on B against A from their round statistics alone, as a family of one test. */
export function judge(
  a: RoundStats,
  b: RoundStats,
  minEffect: number = DEFAULT_MIN_EFFECT,
): Judgement {
  const diff = roundsDifference(a, b);
  if (typeof diff === 'string') return unclearFor(b.centre / a.centre, diff);
  return verdictOf(diff, diff.p, minEffect);
}

const unclearFor = (ratio: number, note: string): Judgement => ({
  verdict: 'unclear',
  ratio,
  lo95: null,
  hi95: null,
  p: null,
  q: null,
  atEqualState: false,
  paired: false,
  note,
});

/** Where a case stands: compared, or why not. */
export type CompareStatus = 'compared' | 'only-in-a' | 'only-in-b' | 'not-comparable';

export interface CompareRow {
  workload: string;
  strategy: string;
  elements: number;
  kernels: number;
  intensity: number;
  workgroupSize: number;
  status: CompareStatus;
  /** Why a case was not compared, or why a verdict is unclear for want of round statistics. */
  note: string;
  aWallUsPerKernel: number | null;
  aWallUsPerKernelP10: number | null;
  aWallUsPerKernelP90: number | null;
  aRounds: number | null;
  aWallRoundSpread: number | null;
  bWallUsPerKernel: number | null;
  bWallUsPerKernelP10: number | null;
  bWallUsPerKernelP90: number | null;
  bRounds: number | null;
  bWallRoundSpread: number | null;
  /** B / A of the medians: below 1, B is faster. */
  wallRatio: number | null;
  /** 95% interval of B / A from the runs' rounds; null without round statistics. */
  wallRatioLo95: number | null;
  wallRatioHi95: number | null;
  /** Benjamini–Hochberg adjusted p value of B = A over the comparison's wall tests. */
  wallQ: number | null;
  /** The ratio is at equal states (both runs' rounds fitted on their visits' states). */
  wallAtEqualState: boolean | null;
  /** The ratio is from the runs' rounds paired (they took turns, `ab --interleave visits`). */
  wallPaired: boolean | null;
  wallVerdict: Verdict | null;
  aGpuBusyUsPerKernel: number | null;
  bGpuBusyUsPerKernel: number | null;
  gpuBusyRatio: number | null;
  gpuBusyRatioLo95: number | null;
  gpuBusyRatioHi95: number | null;
  gpuBusyQ: number | null;
  gpuBusyAtEqualState: boolean | null;
  gpuBusyVerdict: Verdict | null;
  /**
   * The case's wall time relative to the other strategies of its group (their geometric mean,
   * round by round: what the machine's state does to a whole visit cancels), B over A, with its
   * interval, q and verdict by the same rule; null without rounds.csv in both runs.
   */
  relativeRatio: number | null;
  relativeRatioLo95: number | null;
  relativeRatioHi95: number | null;
  relativeQ: number | null;
  relativeVerdict: Verdict | null;
}

const wallStats = (r: SummaryRow): RoundStats | undefined =>
  r.wallUsPerKernel !== null && r.wallUsPerKernel > 0
    ? { centre: r.wallUsPerKernel, spread: r.wallRoundSpread, rounds: r.rounds }
    : undefined;
const busyStats = (r: SummaryRow): RoundStats | undefined =>
  r.gpuBusyUsPerKernel !== null && r.gpuBusyUsPerKernel > 0
    ? { centre: r.gpuBusyUsPerKernel, spread: r.gpuBusyRoundSpread, rounds: r.gpuRounds }
    : undefined;

function emptyRow(r: SummaryRow, status: CompareStatus, note: string): CompareRow {
  return {
    workload: r.workload,
    strategy: r.strategy,
    elements: r.elements,
    kernels: r.kernels,
    intensity: r.intensity,
    workgroupSize: r.workgroupSize,
    status,
    note,
    aWallUsPerKernel: null,
    aWallUsPerKernelP10: null,
    aWallUsPerKernelP90: null,
    aRounds: null,
    aWallRoundSpread: null,
    bWallUsPerKernel: null,
    bWallUsPerKernelP10: null,
    bWallUsPerKernelP90: null,
    bRounds: null,
    bWallRoundSpread: null,
    wallRatio: null,
    wallRatioLo95: null,
    wallRatioHi95: null,
    wallQ: null,
    wallAtEqualState: null,
    wallPaired: null,
    wallVerdict: null,
    aGpuBusyUsPerKernel: null,
    bGpuBusyUsPerKernel: null,
    gpuBusyRatio: null,
    gpuBusyRatioLo95: null,
    gpuBusyRatioHi95: null,
    gpuBusyQ: null,
    gpuBusyAtEqualState: null,
    gpuBusyVerdict: null,
    relativeRatio: null,
    relativeRatioLo95: null,
    relativeRatioHi95: null,
    relativeQ: null,
    relativeVerdict: null,
  };
}

const aFigures = (r: SummaryRow): Partial<CompareRow> => ({
  aWallUsPerKernel: r.wallUsPerKernel,
  aWallUsPerKernelP10: r.wallUsPerKernelP10,
  aWallUsPerKernelP90: r.wallUsPerKernelP90,
  aRounds: r.rounds,
  aWallRoundSpread: r.wallRoundSpread,
  aGpuBusyUsPerKernel: r.gpuBusyUsPerKernel,
});
const bFigures = (r: SummaryRow): Partial<CompareRow> => ({
  bWallUsPerKernel: r.wallUsPerKernel,
  bWallUsPerKernelP10: r.wallUsPerKernelP10,
  bWallUsPerKernelP90: r.wallUsPerKernelP90,
  bRounds: r.rounds,
  bWallRoundSpread: r.wallRoundSpread,
  bGpuBusyUsPerKernel: r.gpuBusyUsPerKernel,
});

/** Spreads between two runs given on the command line (ln scale), by family. */
export interface GivenSpreads {
  wall?: number;
  gpuBusy?: number;
  inGroup?: number;
}

/** The two metrics compare judges, and where each finds its figures. */
const METRICS = [
  { name: 'wall', stats: wallStats, round: (r: RoundCsvRow) => r.wallUsPerKernel },
  { name: 'GPU busy', stats: busyStats, round: (r: RoundCsvRow) => r.gpuBusyUsPerKernel },
] as const;
type Metric = (typeof METRICS)[number];

/** Each case's rounds in a run, by case key: the series compare fits on the states. */
function roundSeries(run: RunData, key: (r: RoundCsvRow) => string): Map<string, RoundCsvRow[]> {
  const out = new Map<string, RoundCsvRow[]>();
  for (const r of run.rounds) out.set(key(r), [...(out.get(key(r)) ?? []), r]);
  return out;
}

/** A metric's rounds with a state as a RoundSeries, or undefined when a round lacks either. */
function seriesOf(
  rows: readonly RoundCsvRow[] | undefined,
  metric: Metric,
): RoundSeries | undefined {
  const usable = (rows ?? []).filter((r) => metric.round(r) !== null);
  if (usable.length === 0 || usable.some((r) => r.stateUs === null)) return undefined;
  return {
    medians: usable.map((r) => metric.round(r) as number),
    statesNs: usable.map((r) => (r.stateUs as number) * 1e3),
  };
}

/**
 * Each case's wall time relative to the other strategies of its group, round by round, in both
 * runs: ln of its wall time less the reference, the median over the group's other reference
 * strategies (at least two) of their ln wall time's deviation from their own mean over both runs'
 * rounds; by case key, A's series and B's. The strategies of a group share every visit, so
 * whatever state the machine was in during a visit, or during a whole run, moves them together
 * and cancels here, and a change to one strategy does not: on the H200, +1.5 µs of host time per
 * dispatch of one strategy moved its ratio to `pass-each` by +29% while the machine moved whole
 * runs by 1.3× (issue 19). Deviations, not levels: the strategies' levels differ by orders of
 * magnitude, and a median of levels would jump by whole ranks when one of them changes. The
 * median, not the mean: one strategy that changed (made 0.3× or 1.5×) hardly moves the others'
 * reference. The reference strategies are those both runs measured (`reference`), so that a
 * strategy one run lacks moves nothing.
 *
 * Where both runs kept their samples (samples.csv, with turns), the reference is taken turn by
 * turn, and a round's value is the median over its turns: the samples of one turn are taken
 * within milliseconds of each other, so a state that changes inside a visit cancels too (the same
 * pairing as src/stats/paired.ts). On the H200's interleaved A/B runs with +1.5 µs per dispatch in
 * B (results/20261205T0*-ab-known-cause) turns found 5 of the 6 cases that moved ≥ 20%, round
 * medians none (docs/design.md, "Comparing runs").
 */
function inGroupSeries(
  a: RunData,
  b: RunData,
  key: (r: Pick<SummaryRow, CaseAxis>) => string,
  reference: ReadonlyMap<string, ReadonlySet<string>>,
  notReference: ReadonlySet<string> = new Set(),
): [Map<string, number[]>, Map<string, number[]>] {
  const groupOf = (r: Pick<SummaryRow, CaseAxis>): string => key({ ...r, strategy: '' });
  const byTurn = a.turnWalls !== undefined && b.turnWalls !== undefined;
  const runs = [a, b].map((run) => ({ run, visits: visitsOf(run, groupOf, reference) }));
  // Each reference strategy's mean ln round median over both runs' rounds.
  const sums = new Map<string, { sum: number; n: number }>();
  for (const { visits } of runs)
    for (const [visit, members] of visits)
      for (const [strategy, y] of members) {
        const id = `${visit.slice(0, visit.lastIndexOf('#'))}#${strategy}`;
        const t = sums.get(id) ?? { sum: 0, n: 0 };
        sums.set(id, { sum: t.sum + y, n: t.n + 1 });
      }
  const meanOf = (group: string, strategy: string): number => {
    const t = sums.get(`${group}#${strategy}`);
    return t === undefined ? NaN : t.sum / t.n;
  };
  /** own − the median of the others' deviations, from one visit's (or turn's) ln wall times. */
  const relative = (group: string, strategy: string, members: ReadonlyMap<string, number>) => {
    const own = members.get(strategy);
    if (own === undefined) return undefined;
    const others = [...members]
      .filter(([s]) => s !== strategy && !notReference.has(`${group}#${s}`))
      .map(([s, y]) => y - meanOf(group, s));
    return others.length < 2 ? undefined : own - median(others);
  };
  const [outA, outB] = runs.map(({ run, visits }) => {
    const turns = byTurn ? turnsOf(run, groupOf, reference) : undefined;
    const out = new Map<string, number[]>();
    for (const r of run.rounds) {
      const group = groupOf(r);
      const visit = `${group}#${r.round}`;
      const perTurn = [...(turns?.get(visit)?.values() ?? [])]
        .map((members) => relative(group, r.strategy, members))
        .filter((v): v is number => v !== undefined);
      const value =
        perTurn.length > 0
          ? median(perTurn)
          : relative(group, r.strategy, visits.get(visit) ?? new Map<string, number>());
      if (value === undefined) continue;
      out.set(key(r), [...(out.get(key(r)) ?? []), value]);
    }
    return out;
  });
  return [outA ?? new Map<string, number[]>(), outB ?? new Map<string, number[]>()];
}

/** A run's visits (group#round) → reference strategy → ln round median wall time. */
function visitsOf(
  run: RunData,
  groupOf: (r: Pick<SummaryRow, CaseAxis>) => string,
  reference: ReadonlyMap<string, ReadonlySet<string>>,
): Map<string, Map<string, number>> {
  const visits = new Map<string, Map<string, number>>();
  for (const r of run.rounds) {
    if (r.wallUsPerKernel === null || !(r.wallUsPerKernel > 0)) continue;
    if (reference.get(groupOf(r))?.has(r.strategy) !== true) continue;
    const visit = `${groupOf(r)}#${r.round}`;
    const members = visits.get(visit) ?? new Map<string, number>();
    visits.set(visit, members.set(r.strategy, Math.log(r.wallUsPerKernel)));
  }
  return visits;
}

/**
 * A run's turns: visit (group#round) → turn → reference strategy → ln wall time (per kernel, so
 * that it is on the round medians' footing; the mean of a turn's samples where it took several).
 */
function turnsOf(
  run: RunData,
  groupOf: (r: Pick<SummaryRow, CaseAxis>) => string,
  reference: ReadonlyMap<string, ReadonlySet<string>>,
): Map<string, Map<number, Map<string, number>>> {
  const cases = new Map(run.summary.map((r) => [benchmarkName(r), r]));
  const sums = new Map<string, Map<number, Map<string, { sum: number; n: number }>>>();
  for (const w of run.turnWalls ?? []) {
    const r = cases.get(w.caseId);
    if (r === undefined || reference.get(groupOf(r))?.has(r.strategy) !== true) continue;
    const visit = `${groupOf(r)}#${w.round}`;
    const turns = sums.get(visit) ?? new Map<number, Map<string, { sum: number; n: number }>>();
    const members = turns.get(w.turn) ?? new Map<string, { sum: number; n: number }>();
    const t = members.get(r.strategy) ?? { sum: 0, n: 0 };
    members.set(r.strategy, { sum: t.sum + Math.log(w.wallNs / 1e3 / r.kernels), n: t.n + 1 });
    sums.set(visit, turns.set(w.turn, members));
  }
  const out = new Map<string, Map<number, Map<string, number>>>();
  for (const [visit, turns] of sums) {
    const means = new Map<number, Map<string, number>>();
    for (const [turn, members] of turns)
      means.set(turn, new Map([...members].map(([s, t]) => [s, t.sum / t.n])));
    out.set(visit, means);
  }
  return out;
}

/** Per group key, the strategies both runs measured (ok, on the floor): a group's in-group reference. */
function commonStrategies(
  a: RunData,
  b: RunData,
  key: (r: Pick<SummaryRow, CaseAxis>) => string,
): Map<string, Set<string>> {
  const measured = (run: RunData): Set<string> =>
    new Set(
      run.summary
        .filter((r) => r.status === 'ok' && r.enoughSamples !== false)
        .map((r) => `${key({ ...r, strategy: '' })}#${r.strategy}`),
    );
  const inA = measured(a);
  const inB = measured(b);
  const out = new Map<string, Set<string>>();
  for (const id of inA) {
    if (!inB.has(id)) continue;
    const cut = id.lastIndexOf('#');
    const group = id.slice(0, cut);
    out.set(group, (out.get(group) ?? new Set<string>()).add(id.slice(cut + 1)));
  }
  return out;
}

const average = (v: readonly number[]): number => v.reduce((x, y) => x + y, 0) / v.length;
/** The sample variance of a series of at least two values. */
const varianceOf = (v: readonly number[]): number => {
  const m = average(v);
  return v.reduce((x, y) => x + (y - m) ** 2, 0) / (v.length - 1);
};

/**
 * Per strategy, the prior of its cases' in-group variances (src/stats/moderated.ts), fitted to
 * every matched case's series in both runs: one strategy's noise relative to its group is much
 * alike over its sizes and counts, and unlike other strategies' (in the third of the H200's
 * known-cause A/B pairs, `dispatch-each`'s round-to-round spread 0.05–0.12 over its five cases,
 * `persistent`'s 0.04–0.73). `strategies[i]` is the strategy of `series[i]`.
 */
function relativePriors(
  series: readonly (readonly [readonly number[], readonly number[]])[],
  strategies: readonly string[],
): Map<string, VariancePrior> {
  const byStrategy = new Map<string, { s2: number[]; df: number[] }>();
  series.forEach((pair, i) => {
    const strategy = strategies[i] as string;
    const t = byStrategy.get(strategy) ?? { s2: [], df: [] };
    for (const v of pair.filter((x) => x.length >= 2)) {
      t.s2.push(varianceOf(v));
      t.df.push(v.length - 1);
    }
    byStrategy.set(strategy, t);
  });
  return new Map([...byStrategy].map(([k, t]) => [k, fitVariancePrior(t.s2, t.df)]));
}

/**
 * B against A of two runs' relative series: Welch on their round values, each run's variance
 * moderated by the strategy's prior (relativePriors), or undefined.
 */
function relativeDifference(
  a: readonly number[] | undefined,
  b: readonly number[] | undefined,
  prior: VariancePrior,
): Difference | undefined {
  if (a === undefined || b === undefined || a.length < 2 || b.length < 2) return undefined;
  const side = (v: readonly number[]): { se2: number; df: number } => {
    // Never below the case's own variance; the degrees of freedom stay the moderated ones, which
    // makes the test somewhat liberal for a case noisier than its strategy's prior (docs/design.md,
    // "Comparing runs", says by how much, and what the case's own would cost).
    const own = varianceOf(v);
    const m = moderate(own, v.length - 1, prior);
    return { se2: Math.max(own, m.variance) / v.length, df: m.df };
  };
  const [va, vb] = [side(a), side(b)];
  const d = average(b) - average(a);
  const se = Math.sqrt(va.se2 + vb.se2);
  // Welch–Satterthwaite over the moderated degrees of freedom; with no spread at all the
  // interval is the point itself.
  const df =
    se === 0 ? Infinity : (va.se2 + vb.se2) ** 2 / (va.se2 ** 2 / va.df + vb.se2 ** 2 / vb.df);
  return { d, se, df, p: pValue(d, se, df), atEqualState: false };
}

/** One case's test of one metric before the family's adjustment: its difference, or why none. */
type Test = Difference | string | undefined;

/**
 * B against A for one metric of one case: at equal states from both runs' rounds where both have
 * them (and `state` is on), else from the figures and their between-round spreads; undefined when
 * a run lacks the metric.
 */
function testMetric(
  metric: Metric,
  a: SummaryRow,
  b: SummaryRow,
  rounds: { a: RoundCsvRow[] | undefined; b: RoundCsvRow[] | undefined },
  useState: boolean,
): Test {
  const sa = metric.stats(a);
  const sb = metric.stats(b);
  if (sa === undefined || sb === undefined) return undefined;
  if (useState) {
    const ra = seriesOf(rounds.a, metric);
    const rb = seriesOf(rounds.b, metric);
    const shift = ra === undefined || rb === undefined ? undefined : ancova(ra, rb);
    if (shift !== undefined) return { ...shift, atEqualState: true };
  }
  return roundsDifference(plainCentre(sa, rounds.a, metric), plainCentre(sb, rounds.b, metric));
}

/**
 * `stats` with its centre the case's round medians' centre where rounds.csv has them, as runs of
 * schema 5 state it (older runs too): the geometric mean for wall, with a wild round pulled in
 * for GPU busy (robust.ts roundCentreLog).
 */
function plainCentre(
  stats: RoundStats,
  rows: readonly RoundCsvRow[] | undefined,
  metric: Metric,
): RoundStats {
  const medians = (rows ?? []).flatMap((r) => {
    const v = metric.round(r);
    return v !== null && v > 0 ? [Math.log(v)] : [];
  });
  if (medians.length === 0) return stats;
  const centre =
    metric.name === 'GPU busy'
      ? roundCentreLog(medians)
      : medians.reduce((x, y) => x + y, 0) / medians.length;
  return { ...stats, centre: Math.exp(centre) };
}

/** A compared case before its verdicts: the row and its two tests. */
interface Pending {
  row: CompareRow;
  wall: Test;
  busy: Test;
  /** Its wall time relative to its group's other strategies (inGroupSeries). */
  relative?: Test;
}

function compareCase(
  a: SummaryRow,
  b: SummaryRow,
  rounds: { a: RoundCsvRow[] | undefined; b: RoundCsvRow[] | undefined },
  useState: boolean,
): Pending {
  const row: CompareRow = { ...emptyRow(a, 'compared', ''), ...aFigures(a), ...bFigures(b) };
  const notOk = [
    a.status === 'ok' ? '' : `A ${a.status}${a.reason === '' ? '' : `: ${a.reason}`}`,
    b.status === 'ok' ? '' : `B ${b.status}${b.reason === '' ? '' : `: ${b.reason}`}`,
  ].filter((s) => s !== '');
  const none = { wall: undefined, busy: undefined };
  if (notOk.length > 0)
    return { row: { ...row, status: 'not-comparable', note: notOk.join('; ') }, ...none };
  const few = [a.enoughSamples === false ? 'A' : '', b.enoughSamples === false ? 'B' : ''].filter(
    (s) => s !== '',
  );
  if (few.length > 0) {
    return {
      row: {
        ...row,
        status: 'not-comparable',
        note: `insufficient samples in ${few.join(' and ')}`,
      },
      ...none,
    };
  }
  const [wallMetric, busyMetric] = METRICS;
  const wall = testMetric(wallMetric, a, b, rounds, useState);
  if (wall === undefined) {
    const where = wallStats(a) === undefined ? 'A' : 'B';
    return { row: { ...row, status: 'not-comparable', note: `no wall time in ${where}` }, ...none };
  }
  return { row, wall, busy: testMetric(busyMetric, a, b, rounds, useState) };
}

/**
 * Each axis left out of the match (`across`) must hold one value in each run: with several, a
 * case of one run would match several of the other's.
 */
function checkAcross(a: RunData, b: RunData, across: readonly CaseAxis[]): void {
  for (const [name, run] of [
    ['A', a],
    ['B', b],
  ] as const) {
    for (const axis of across) {
      const values = [...new Set(run.summary.map((r) => r[axis]))];
      if (values.length > 1)
        throw new UsageError(
          `--across ${axis}: run ${name} holds several values (${values.join(', ')}); each run must hold one`,
        );
    }
  }
}

/** The cases of two runs paired by key and tested, before the families' verdicts. */
interface Pairing {
  /** Every matched case: the spread between the runs is estimated from all of them. */
  tested: Pending[];
  /** The matched cases of the strategies asked for: the family, adjusted together. */
  pending: Pending[];
  /** The rows shown: A's cases in its order (compared or only in A), then those only in B. */
  rows: CompareRow[];
}

/**
 * Pair the cases of the two runs by key and test each matched pair (at equal states where
 * `state` allows, and in group); a case of one run alone becomes a row only in A or only in B.
 * Every matched case is tested, for the spread between the runs; the strategies asked for (all
 * by default) are the family and the rows shown.
 */
function pairCases(
  a: RunData,
  b: RunData,
  options: CompareOptions,
  key: (r: Pick<SummaryRow, CaseAxis>) => string,
): Pairing {
  const wanted = (r: SummaryRow): boolean =>
    options.strategies === undefined || options.strategies.includes(r.strategy);
  const inB = new Map(b.summary.map((r) => [key(r), r]));
  const inA = new Set(a.summary.map(key));
  const useState = options.state !== false;
  const roundsA = roundSeries(a, key);
  const roundsB = roundSeries(b, key);
  const pairing: Pairing = { tested: [], pending: [], rows: [] };
  for (const ra of a.summary) {
    const rb = inB.get(key(ra));
    if (rb === undefined) {
      if (wanted(ra))
        pairing.rows.push({ ...emptyRow(ra, 'only-in-a', 'only in A'), ...aFigures(ra) });
      continue;
    }
    const rounds = { a: roundsA.get(key(ra)), b: roundsB.get(key(rb)) };
    const p = compareCase(ra, rb, rounds, useState);
    pairing.tested.push(p);
    if (!wanted(ra)) continue;
    pairing.pending.push(p);
    pairing.rows.push(p.row);
  }
  for (const rb of b.summary) {
    if (inA.has(key(rb)) || !wanted(rb)) continue;
    pairing.rows.push({ ...emptyRow(rb, 'only-in-b', 'only in B'), ...bFigures(rb) });
  }
  return pairing;
}

/**
 * Every tested case's in-group test (inGroupSeries; variances moderated by relativePriors), with
 * the cases `notReference` left out of their groups' references.
 */
function setRelativeTests(
  a: RunData,
  b: RunData,
  key: (r: Pick<SummaryRow, CaseAxis>) => string,
  pairing: Pairing,
  notReference: readonly Pick<SummaryRow, CaseAxis>[] = [],
): void {
  const [relativeA, relativeB] = inGroupSeries(
    a,
    b,
    key,
    commonStrategies(a, b, key),
    new Set(notReference.map((r) => `${key({ ...r, strategy: '' })}#${r.strategy}`)),
  );
  const series = pairing.tested.map(
    (p) => [relativeA.get(key(p.row)) ?? [], relativeB.get(key(p.row)) ?? []] as const,
  );
  const priors = relativePriors(
    series,
    pairing.tested.map((p) => p.row.strategy),
  );
  pairing.tested.forEach((p, i) => {
    const [sa, sb] = series[i] ?? [[], []];
    if (p.wall !== undefined)
      p.relative = relativeDifference(sa, sb, priors.get(p.row.strategy) ?? NO_PRIOR);
  });
}

/**
 * One metric's tests judged as one family: the spread between the runs that their rounds do not
 * see (betweenRunSpread, from every matched case; 0 with `betweenRuns` false, itself where it is a
 * number) widens every case's
 * standard error, then the family's p values are adjusted together (Benjamini–Hochberg) and each
 * case gets its verdict. One judgement per case of the family, undefined where it has no test.
 */
function judgeFamily(
  { tested, pending }: Pairing,
  pick: (p: Pending) => Test,
  betweenRuns: boolean | number,
  minEffect: number,
): { judgements: (Judgement | undefined)[]; spread: number } {
  const diffs = tested.map(pick).filter((t): t is Difference => typeof t === 'object');
  const spread =
    typeof betweenRuns === 'number' ? betweenRuns : betweenRuns ? betweenRunSpread(diffs) : 0;
  const widened = pending.map(pick).map((t): Test => {
    if (typeof t !== 'object') return t;
    const se = Math.sqrt(t.se * t.se + spread * spread);
    return { ...t, se, p: pValue(t.d, se, t.df) };
  });
  const q = benjaminiHochberg(widened.map((t) => (typeof t === 'object' ? t.p : NaN)));
  const judgements = widened.map((t, i) => {
    if (t === undefined) return undefined;
    if (typeof t === 'string') return unclearFor(NaN, t);
    const qi = q[i];
    return verdictOf(t, qi !== undefined && Number.isFinite(qi) ? qi : 1, minEffect);
  });
  return { judgements, spread };
}

/** y / x of two figures, or null without either: the ratio of a verdict without statistics. */
const plainRatio = (x: number | null, y: number | null): number | null =>
  x === null || y === null ? null : y / x;

/**
 * The verdict columns of one compared row from its judgements (wall, GPU busy where both runs
 * have it, in group where rounds.csv allows), and its note: why a verdict is unclear for want of
 * round statistics. A verdict without statistics shows the plain ratio of the figures.
 */
function fillVerdicts(
  row: CompareRow,
  wall: Judgement,
  busy: Judgement | undefined,
  relative: Judgement | undefined,
): void {
  const notes: string[] = [];
  Object.assign(row, {
    wallRatio:
      wall.note === '' ? wall.ratio : plainRatio(row.aWallUsPerKernel, row.bWallUsPerKernel),
    wallRatioLo95: wall.lo95,
    wallRatioHi95: wall.hi95,
    wallQ: wall.q,
    wallAtEqualState: wall.atEqualState,
    wallPaired: wall.paired,
    wallVerdict: wall.verdict,
  });
  if (wall.note !== '') notes.push(`wall unclear: ${wall.note}`);
  if (relative !== undefined)
    Object.assign(row, {
      relativeRatio: relative.ratio,
      relativeRatioLo95: relative.lo95,
      relativeRatioHi95: relative.hi95,
      relativeQ: relative.q,
      relativeVerdict: relative.verdict,
    });
  if (busy !== undefined) {
    Object.assign(row, {
      gpuBusyRatio:
        busy.note === ''
          ? busy.ratio
          : plainRatio(row.aGpuBusyUsPerKernel, row.bGpuBusyUsPerKernel),
      gpuBusyRatioLo95: busy.lo95,
      gpuBusyRatioHi95: busy.hi95,
      gpuBusyQ: busy.q,
      gpuBusyAtEqualState: busy.atEqualState,
      gpuBusyVerdict: busy.verdict,
    });
    // The same reason twice says nothing new.
    if (busy.note !== '' && busy.note !== wall.note) notes.push(`GPU busy unclear: ${busy.note}`);
    else if (busy.note !== '') notes[0] = `wall and GPU busy unclear: ${busy.note}`;
  }
  row.note = notes.join('; ');
}

/**
 * Whether two runs took turns visit by visit (`ab --interleave visits`, src/commands/turns.ts):
 * round r of B was measured beside round r of A, step for step, and their rounds pair.
 */
export const tookTurns = (a: RunContextFile, b: RunContextFile): boolean =>
  a.abInterleave === 'visits' && b.abInterleave === 'visits' && ranInterleaved(a, b);

/**
 * Per case, one metric's paired differences ln(B_r / A_r) over the rounds both runs measured (the
 * same round numbers: `ab --interleave visits` gives both sides the same shares of the rounds).
 */
function pairedSeries(
  metric: Metric,
  ra: readonly RoundCsvRow[] | undefined,
  rb: readonly RoundCsvRow[] | undefined,
): number[] {
  const inA = new Map<number, number>();
  for (const r of ra ?? []) {
    const x = metric.round(r);
    if (x !== null && x > 0) inA.set(r.round, x);
  }
  return (rb ?? []).flatMap((r) => {
    const x = inA.get(r.round);
    const y = metric.round(r);
    return x === undefined || y === null || !(y > 0) ? [] : [Math.log(y / x)];
  });
}

/**
 * The pairs' Huber estimate, its variance scaled to one pair and that variance's degrees of freedom
 * (src/stats/robust.ts), at a scale between the pairs' own scaledMad and the prior's s0 (weighted
 * as the prior moderates a variance: d0 and n − 1), so that a case noisier than its strategy's
 * others is not cut down to their scale; with the pairs pulled in, the variance rests on those
 * inside (their count less 1). Without a prior, or where the scale does not fit the pairs, their
 * mean and sample variance.
 */
function pairedCentre(
  d: readonly number[],
  prior: VariancePrior,
): { location: number; variance: number; df: number } {
  const plain = { location: average(d), variance: varianceOf(d), df: d.length - 1 };
  if (!(prior.d0 > 0)) return plain;
  const own = d.length - 1;
  const scale =
    prior.d0 === Infinity
      ? Math.sqrt(prior.s0Squared)
      : Math.sqrt((prior.d0 * prior.s0Squared + own * scaledMad(d) ** 2) / (prior.d0 + own));
  const robust = huberLocation(d, scale);
  return robust === null ? plain : { ...robust, df: robust.inside - 1 };
}

/**
 * B against A from paired rounds: the pairs' ln ratios' Huber estimate (pairedCentre: their mean,
 * but a pair more than 2 scales out counts as 2 scales out, so one wild visit neither moves the
 * ratio by all of its size nor widens the interval so that nothing is found), its variance
 * moderated by the strategy's prior (fitted to the same strategy's cases, as in group), never
 * below the case's own. Without a prior, the mean.
 */
function pairedDifference(d: readonly number[], prior: VariancePrior): Difference | undefined {
  if (d.length < 2) return undefined;
  const { location, variance: own, df: ownDf } = pairedCentre(d, prior);
  const m = moderate(own, ownDf, prior);
  const se = Math.sqrt(Math.max(own, m.variance) / d.length);
  const df = se === 0 ? Infinity : m.df;
  return { d: location, se, df, p: pValue(location, se, df), atEqualState: false };
}

/**
 * Paired tests of many cases at once: `series[i]` is case i's differences B − A of paired rounds,
 * `strategies[i]` its strategy. The variances are moderated per strategy, or, for a strategy of
 * fewer than MIN_PRIOR_VARIANCES cases (4 in the default profile's `map` at two sizes and two
 * counts), by one prior fitted to every strategy's cases; the priors are fitted to the series'
 * variances, then again to their variances about the Huber estimates at the first priors' scale,
 * so that the wild visits the first fit took in do not set the scale at which they are pulled in.
 * Undefined for a case of fewer than two pairs.
 */
function pairedTests(
  series: readonly (readonly number[])[],
  strategies: readonly string[],
): (Difference | undefined)[] {
  const priorsFrom = (
    spread: (i: number) => { variance: number; df: number },
  ): Map<string, VariancePrior> => {
    const priorOf = (pick: (i: number) => boolean): VariancePrior => {
      const used = series.flatMap((d, i) => (pick(i) && d.length >= 2 ? [spread(i)] : []));
      return fitVariancePrior(
        used.map((u) => u.variance),
        used.map((u) => u.df),
      );
    };
    const pooled = priorOf(() => true);
    const priors = new Map<string, VariancePrior>();
    for (const strategy of new Set(strategies)) {
      const own = (i: number): boolean => strategies[i] === strategy;
      const count = series.filter((d, i) => own(i) && d.length >= 2).length;
      priors.set(strategy, count >= MIN_PRIOR_VARIANCES ? priorOf(own) : pooled);
    }
    return priors;
  };
  const first = priorsFrom((i) => pairedCentre(series[i] ?? [], NO_PRIOR));
  const priors = priorsFrom((i) =>
    pairedCentre(series[i] ?? [], first.get(strategies[i] ?? '') ?? NO_PRIOR),
  );
  return series.map((d, i) => pairedDifference(d, priors.get(strategies[i] ?? '') ?? NO_PRIOR));
}

/**
 * Where the runs took turns (tookTurns) over the same groups: every tested case's wall and GPU busy
 * from its paired rounds (pairedTests), each marked `paired`; a case with fewer than two rounds in
 * common keeps its own test. The machine's state, which moves a visit by 15–20% on the lent GPUs
 * (docs/findings.md), falls on both of a pair where both see it; what is left is each visit's own
 * noise.
 */
function setPairedTests(
  a: RunData,
  b: RunData,
  key: (r: Pick<SummaryRow, CaseAxis>) => string,
  pairing: Pairing,
): void {
  const roundsA = roundSeries(a, key);
  const roundsB = roundSeries(b, key);
  const [wallMetric, busyMetric] = METRICS;
  for (const metric of [wallMetric, busyMetric]) {
    const tests = pairedTests(
      pairing.tested.map((p) =>
        pairedSeries(metric, roundsA.get(key(p.row)), roundsB.get(key(p.row))),
      ),
      pairing.tested.map((p) => p.row.strategy),
    );
    pairing.tested.forEach((p, i) => {
      // Only where the case has the metric at all (its own test stands otherwise).
      const current = metric === wallMetric ? p.wall : p.busy;
      const t = tests[i];
      if (typeof current !== 'object' || t === undefined) return;
      if (metric === wallMetric) p.wall = { ...t, paired: true };
      else p.busy = { ...t, paired: true };
    });
  }
}

/** Whether two runs measured the same groups (workload and sizes): those whose visits took turns. */
export function sameGroups(a: RunData, b: RunData, key: (r: Pick<SummaryRow, CaseAxis>) => string) {
  const groups = (run: RunData): string =>
    [...new Set(run.summary.map((r) => key({ ...r, strategy: '' })))].sort().join('|');
  return groups(a) === groups(b);
}

/** Whether two runs of several processes ran interleaved (`launchbench ab`): their times overlap. */
export function ranInterleaved(a: RunContextFile, b: RunContextFile): boolean {
  const span = (c: RunContextFile): [number, number] | undefined => {
    const times = (c.processes ?? []).flatMap((p) => [p.startedAt, p.finishedAt]);
    const ms = times.filter((t) => typeof t === 'string').map((t) => Date.parse(t));
    return ms.length < 2 ? undefined : [Math.min(...ms), Math.max(...ms)];
  };
  const x = span(a);
  const y = span(b);
  return x !== undefined && y !== undefined && x[0] < y[1] && y[0] < x[1];
}

/**
 * Whether the rounds of two runs already see every difference between their processes: the runs
 * ran interleaved and each process took one round (`launchbench ab`'s default). Then nothing
 * stays fixed for a whole run that its rounds do not vary over, and compare adds no spread between
 * the runs: estimated from the cases, that spread would take the real changes of a run for noise
 * (on the H200's interleaved runs with +1.5 µs per dispatch in B, τ in group came out ±3.5–6%
 * and hid every one of them).
 */
export function roundsSeeProcesses(a: RunContextFile, b: RunContextFile): boolean {
  const oneRoundEach = (c: RunContextFile): boolean =>
    (c.processes ?? []).every(
      (p) => Array.isArray(p.rounds) && p.rounds.length === 2 && p.rounds[0] === p.rounds[1],
    );
  return ranInterleaved(a, b) && oneRoundEach(a) && oneRoundEach(b);
}

/**
 * Every case of either run: matched ones compared, the others listed as only in A or B. The
 * faster/slower calls of each metric are one family: their p values are adjusted together
 * (Benjamini–Hochberg), so that comparing 250 cases at once does not call a dozen of them
 * different by chance. `spreads` receives each metric's spread between the runs.
 */
export function compareRuns(
  a: RunData,
  b: RunData,
  options: CompareOptions = {},
  spreads: BetweenRunSpreads = { wall: 0, gpuBusy: 0 },
): CompareRow[] {
  const minEffect = options.minEffect ?? DEFAULT_MIN_EFFECT;
  const across = options.across ?? [];
  checkAcross(a, b, across);
  const key = (r: Pick<SummaryRow, CaseAxis>): string => caseKey(r, across);
  const betweenRuns = options.betweenRuns ?? !roundsSeeProcesses(a.context, b.context);
  const pairing = pairCases(a, b, options, key);
  // Runs of different groups visited them in different orders: their rounds do not pair.
  if (tookTurns(a.context, b.context) && sameGroups(a, b, key)) setPairedTests(a, b, key, pairing);
  // A case that changed moves its group's reference for the others (by 5–10% on the simulated
  // machine of test/compare-interleaved-ab.test.ts, where one strategy's +25% made others
  // `faster`): the cases called in group, of every strategy, are left out of their groups'
  // references, and every case is judged again in group against what is left.
  setRelativeTests(a, b, key, pairing);
  const all = { ...pairing, pending: pairing.tested };
  const rule = (family: keyof GivenSpreads): boolean | number =>
    options.givenSpreads?.[family] ?? betweenRuns;
  const firstRelatives = judgeFamily(all, (p) => p.relative, rule('inGroup'), minEffect);
  const moved = pairing.tested
    .filter((_, i) => ['faster', 'slower'].includes(firstRelatives.judgements[i]?.verdict ?? ''))
    .map((p) => p.row);
  if (moved.length > 0) setRelativeTests(a, b, key, pairing, moved);
  const family = (
    pick: (p: Pending) => Test,
    name: keyof GivenSpreads,
  ): ReturnType<typeof judgeFamily> => judgeFamily(pairing, pick, rule(name), minEffect);
  const walls = family((p) => p.wall, 'wall');
  const busies = family((p) => p.busy, 'gpuBusy');
  const relatives = family((p) => p.relative, 'inGroup');
  spreads.wall = walls.spread;
  spreads.gpuBusy = busies.spread;
  spreads.relative = relatives.spread;
  pairing.pending.forEach(({ row }, i) => {
    const wall = walls.judgements[i];
    if (wall !== undefined) fillVerdicts(row, wall, busies.judgements[i], relatives.judgements[i]);
  });
  return pairing.rows;
}

export interface CompareSummary {
  compared: number;
  verdicts: Record<Verdict, number>;
  /** GPU busy verdicts of the cases where both runs have GPU busy. */
  gpuVerdicts: Record<Verdict, number>;
  /** Verdicts on the wall time relative to the group's other strategies, where rounds.csv allows. */
  relativeVerdicts: Record<Verdict, number>;
  onlyInA: number;
  onlyInB: number;
  notComparable: number;
  /** Geometric mean of B/A wall ratios over compared cases; null when none. */
  geomeanWallRatio: number | null;
}

export function summarizeComparison(rows: readonly CompareRow[]): CompareSummary {
  const verdicts: Record<Verdict, number> = { faster: 0, slower: 0, same: 0, unclear: 0 };
  const gpuVerdicts: Record<Verdict, number> = { faster: 0, slower: 0, same: 0, unclear: 0 };
  for (const r of rows) if (r.gpuBusyVerdict !== null) gpuVerdicts[r.gpuBusyVerdict]++;
  const relativeVerdicts: Record<Verdict, number> = { faster: 0, slower: 0, same: 0, unclear: 0 };
  for (const r of rows) if (r.relativeVerdict !== null) relativeVerdicts[r.relativeVerdict]++;
  let logSum = 0;
  let compared = 0;
  for (const r of rows) {
    if (r.wallVerdict === null || r.wallRatio === null) continue;
    verdicts[r.wallVerdict]++;
    logSum += Math.log(r.wallRatio);
    compared++;
  }
  return {
    compared,
    verdicts,
    gpuVerdicts,
    relativeVerdicts,
    onlyInA: rows.filter((r) => r.status === 'only-in-a').length,
    onlyInB: rows.filter((r) => r.status === 'only-in-b').length,
    notComparable: rows.filter((r) => r.status === 'not-comparable').length,
    geomeanWallRatio: compared === 0 ? null : Math.exp(logSum / compared),
  };
}

/**
 * Compared cases slower in B by more than `threshold`: their wall verdict `slower` with B/A above
 * 1 + threshold, or their wall time relative to the group's other strategies `slower` with that
 * ratio above 1 + threshold; worst first (by the larger of the two ratios that qualify).
 */
export function slowerBeyond(rows: readonly CompareRow[], threshold: number): CompareRow[] {
  const worst = (r: CompareRow): number =>
    Math.max(
      r.wallVerdict === 'slower' ? (r.wallRatio ?? 0) : 0,
      r.relativeVerdict === 'slower' ? (r.relativeRatio ?? 0) : 0,
    );
  return rows
    .filter((r) => r.status === 'compared' && worst(r) > 1 + threshold)
    .sort((x, y) => worst(y) - worst(x));
}

/** One drift-probe figure in both runs: the median over each run's probes. */
export interface ProbeShift {
  label: string;
  a: number;
  b: number;
  /** b / a. */
  ratio: number;
}

const PROBE_FIGURES: readonly [keyof DriftCsvRow, string][] = [
  ['hostLoopUs', 'host loop'],
  ['roundTripUs', 'round trip'],
  ['chainWallUsPerKernel', 'chain wall'],
  ['chainGpuBusyUsPerKernel', 'chain GPU busy'],
  ['clockChainUs', 'clock chain'],
];

/**
 * How far the machine itself moved between the runs: each drift-probe figure (drift.csv: the
 * same fixed references in every run) as B's median over A's. The cases' verdicts cannot tell a
 * slower machine from slower code; the probe can, since its code never changes. Empty when
 * either run has no drift.csv.
 */
export function probeShifts(a: RunData, b: RunData): ProbeShift[] {
  const median = (rows: readonly DriftCsvRow[], key: keyof DriftCsvRow): number | undefined => {
    const values = rows
      .map((r) => r[key])
      .filter((v): v is number => typeof v === 'number' && v > 0)
      .sort((x, y) => x - y);
    return values.length === 0 ? undefined : quantileSorted(values, 0.5);
  };
  const shifts: ProbeShift[] = [];
  for (const [key, label] of PROBE_FIGURES) {
    const ma = median(a.drift, key);
    const mb = median(b.drift, key);
    if (ma !== undefined && mb !== undefined) shifts.push({ label, a: ma, b: mb, ratio: mb / ma });
  }
  return shifts;
}

/** The probe figures that moved by more than `minEffect` either way. */
export function machineMoved(shifts: readonly ProbeShift[], minEffect: number): ProbeShift[] {
  const delta = Math.log(1 + minEffect);
  return shifts.filter((s) => Math.abs(Math.log(s.ratio)) > delta);
}
