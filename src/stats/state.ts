/**
 * The machine's state as a measured covariate (issue 19).
 *
 * What varies. On the lent H200 the host path moves between states that last seconds to tens of
 * seconds (a one-dispatch round trip of 40 µs in one, 60–120 µs in others), and every strategy of
 * a visit moves with it: in the published default pair of 620352c a factor common to the
 * strategies of each visit explained 62–86% of the cases' between-round variance. A case's figure
 * averages its R visits, so two runs disagree by the luck of which states their visits met.
 *
 * What is measured. Right before and right after every visit, with the queue idle, the run times
 * one fixed round trip seven times each (`map`, 64 elements, K = 1, `submit-wait`: the drift
 * probe's, src/measure/drift.ts); their median is the visit's state (`stateUs` in rounds.csv).
 * Between the visit's own executions it would read the group's load instead (on lavapipe a round
 * trip took 2–4× longer inside the heavier groups' turns). The probe's code never changes, so a
 * change of the measured code cannot move it — except a change of Dawn itself (toggles), which
 * moves the probe too: compare's `--no-state` leaves it out for such comparisons.
 *
 * How it is used:
 *   - per case and metric, a line of ln(round median) on ln(state) over its rounds (Theil–Sen)
 *     (stateFit): the slope and the share of the between-round variance the state explains go
 *     into summary.csv (`wallStateSlope`, `wallStateR2`), and the repeat interval comes from the
 *     line and the states of all the run's visits (withStateFit). The figures themselves are left
 *     as they are: stated at a reference state (the run's 10th percentile, its median) they
 *     reproduced no better on the H200 (B inside A's 95% interval for 83% / 91% of 252 cases,
 *     against 92% as measured: results/20261204T200803Z-nvidia-h200-pair) — except in a run whose
 *     between-round variance the state explains nearly all of (stateDominates), where every
 *     case is stated at the run's typical state (atTypicalState);
 *   - compare (src/report/compare.ts) fits both runs' rounds of a case to one line with a shift
 *     between the runs (ancova), so that its verdicts are at equal states: on that pair the
 *     typical |ln B/A| fell from 9.6% to 6.6% and the geometric mean B/A from 1.094 to 1.027.
 * Pure functions; never prints.
 */
import { median, studentT, studentTTail, type RoundSummary } from './stats.ts';

/** Sums of a line fit y = a + β·z. */
interface Line {
  n: number;
  zMean: number;
  yMean: number;
  sxx: number;
  sxy: number;
  syy: number;
}

function line(y: readonly number[], z: readonly number[]): Line {
  const n = y.length;
  const yMean = y.reduce((s, v) => s + v, 0) / n;
  const zMean = z.reduce((s, v) => s + v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dz = (z[i] ?? 0) - zMean;
    const dy = (y[i] ?? 0) - yMean;
    sxx += dz * dz;
    sxy += dz * dy;
    syy += dy * dy;
  }
  return { n, zMean, yMean, sxx, sxy, syy };
}

/**
 * The Theil–Sen slope of ln(median) on ln(state): the median of the slopes between every two
 * rounds of the same run (pooled over the runs given). Least squares let one round in an odd state
 * decide: on the H200 a visit whose round trip read 185 µs among 50–80 µs set the slope of
 * `submit-wait`'s line, and its B/A at equal states came out 1.27 where its round trips had
 * moved with the state one for one. Undefined when no two rounds differ in state.
 */
function robustSlope(
  series: readonly { y: readonly number[]; z: readonly number[] }[],
): number | undefined {
  const slopes: number[] = [];
  for (const { y, z } of series)
    for (let i = 0; i < y.length; i++)
      for (let j = i + 1; j < y.length; j++) {
        const dz = (z[j] ?? 0) - (z[i] ?? 0);
        if (dz !== 0) slopes.push(((y[j] ?? 0) - (y[i] ?? 0)) / dz);
      }
  return slopes.length === 0 ? undefined : median(slopes);
}

/** The sum of squares of the centred rounds around a line of slope β. */
const residualSquares = (f: Line, slope: number): number =>
  Math.max(0, f.syy - 2 * slope * f.sxy + slope * slope * f.sxx);

/** What the state says about one case's rounds. */
export interface StateFit {
  /** β: d ln(round median) / d ln(state). */
  slope: number;
  /** Share of the between-round variance of ln(round median) the state explains. */
  r2: number;
  /** Variance of ln(round median) around the line (R − 2 degrees of freedom). */
  residualVariance: number;
  /** Each round's ln(median) less the line's value at its state, in the order given. */
  residuals: number[];
}

/** The fewest rounds with a state that a fit takes (two residual degrees of freedom). */
export const MIN_STATE_ROUNDS = 4;

/**
 * The state fit of one case: `medians[i]` its median in a round whose visit had state `statesNs[i]`
 * (both positive). Undefined with fewer than MIN_STATE_ROUNDS rounds or when the states do not vary.
 */
export function stateFit(
  medians: readonly number[],
  statesNs: readonly number[],
): StateFit | undefined {
  if (medians.length !== statesNs.length || medians.length < MIN_STATE_ROUNDS) return undefined;
  if (![...medians, ...statesNs].every((v) => v > 0 && Number.isFinite(v))) return undefined;
  const y = medians.map((m) => Math.log(m));
  const z = statesNs.map((s) => Math.log(s));
  const f = line(y, z);
  const slope = robustSlope([{ y, z }]);
  if (!(f.sxx > 0) || slope === undefined) return undefined;
  const sse = residualSquares(f, slope);
  const r2 = f.syy > 0 ? Math.max(0, 1 - sse / f.syy) : 0;
  const residuals = y.map((v, i) => v - f.yMean - slope * ((z[i] ?? 0) - f.zMean));
  return { slope, r2, residualVariance: sse / (f.n - 2), residuals };
}

/**
 * The fewest processes whose spread an interval takes. The process level replaces the rounds'
 * wherever its mean square is the larger, and brings its own P − 1 degrees of freedom: with 2
 * processes and no process effect at all that happens for about 37% of the cases (F(1, R−2) > 1)
 * and gives them t = 12.7 (one degree of freedom), intervals 5× wider than their rounds' for
 * nothing; from 4 processes t is at most 3.2.
 */
export const MIN_PROCESSES = 4;

/**
 * The process level of a run made of several processes (src/commands/processes.ts): rounds that
 * one process took share whatever that process met (its device, its host state), so where
 * processes differ more than their rounds do, the processes are the level that varies. Given
 * each round's deviation (from the state line, or from the mean) and its process, the mean
 * square between the processes' means, per round: Σₚ nₚ(ēₚ − ē)² / (P − 1), P − 1 degrees of
 * freedom; its expectation is σ²_round + n̄·σ²_process, so that MS/R is the variance of the run's
 * mean (exact when every process took n̄ rounds). Undefined below two processes, or when no
 * process took two rounds (then every round is its own process, and the rounds' own spread is
 * the process level). Below MIN_PROCESSES processes, too: see there.
 */
export function processMeanSquare(
  deviations: readonly number[],
  processes: readonly number[],
): { meanSquare: number; df: number } | undefined {
  const groups = new Map<number, number[]>();
  deviations.forEach((d, i) => {
    const p = processes[i] ?? 0;
    groups.set(p, [...(groups.get(p) ?? []), d]);
  });
  if (groups.size < MIN_PROCESSES || groups.size === deviations.length) return undefined;
  const mean = deviations.reduce((a, b) => a + b, 0) / deviations.length;
  let between = 0;
  for (const values of groups.values()) {
    const m = values.reduce((a, b) => a + b, 0) / values.length;
    between += values.length * (m - mean) ** 2;
  }
  return { meanSquare: between / (groups.size - 1), df: groups.size - 1 };
}

/**
 * The variance and degrees of freedom a repeat interval rests on: the rounds' (`variance`, `df`),
 * or the processes' where they vary more (processMeanSquare).
 */
function levelThatVaries(
  variance: number,
  df: number,
  deviations: readonly number[],
  processes: readonly number[],
): { variance: number; df: number } {
  const level = processMeanSquare(deviations, processes);
  return level !== undefined && level.meanSquare > variance
    ? { variance: level.meanSquare, df: level.df }
    : { variance, df };
}

/**
 * `summary`'s repeat interval from its processes where they, not its rounds, are the level that
 * varies (levelThatVaries); as it is otherwise, and in a run of one process.
 */
function withProcessLevel(summary: RoundSummary): RoundSummary {
  const { centre, spread, rounds, roundMedians, roundProcesses } = summary;
  if (centre === null || spread === null) return summary;
  const logs = roundMedians.map((m) => Math.log(m) - Math.log(centre));
  const level = levelThatVaries(spread * spread, rounds - 1, logs, roundProcesses);
  if (level.df === rounds - 1) return summary;
  const half = studentT(0.975, level.df) * Math.sqrt((2 / rounds) * level.variance);
  return { ...summary, lo95: centre * Math.exp(-half), hi95: centre * Math.exp(half) };
}

/** The variance of ln(state) over a run's visits (undefined below 3 visits). */
export function visitStateVariance(statesNs: readonly number[]): number | undefined {
  const logs = statesNs.filter((s) => s > 0 && Number.isFinite(s)).map((s) => Math.log(s));
  if (logs.length < 3) return undefined;
  const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
  return logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (logs.length - 1);
}

/**
 * The rounds of `summary` whose visit's state was measured (a probe can fail; a round then goes
 * without): their medians, states (ns) and processes, in round order.
 */
function roundsWithState(summary: RoundSummary): {
  medians: number[];
  states: number[];
  processes: number[];
} {
  const out = { medians: [] as number[], states: [] as number[], processes: [] as number[] };
  summary.roundStatesNs.forEach((state, i) => {
    const m = summary.roundMedians[i];
    if (state === null || m === undefined) return;
    out.medians.push(m);
    out.states.push(state);
    out.processes.push(summary.roundProcesses[i] ?? 0);
  });
  return out;
}

/**
 * `summary` with its state fit (slope and R²) where its rounds' states allow one, and, given the
 * variance of ln(state) over all the run's visits, its 95% repeat interval from the fit:
 *   centre × exp(± t₀.₉₇₅,R−2 · √(2/R · (s² + β² · V))),
 * s² the rounds' variance around the line, V the visits' state variance. A repeat's R visits meet
 * a fresh draw of the machine's states; the case's own R visits may have met a narrow one (on the
 * H200 a run that stayed in the quick state for most of its rounds had intervals that missed the
 * repeat for 36% of the cases), while the run's ~170 visits show how far the states range, and β
 * how much that moves this case. The figure (centre) stays the rounds' centre. On the
 * three H200 pairs of 2026-12-04 this took wall coverage from 92/89%, 64/93% and 87/96% to
 * 94/93%, 81/96% and 98/98% (B inside A's interval / A inside B's), the intervals ±28–43% for
 * ±20–32% (results/README.md).
 */
export function withStateFit(summary: RoundSummary, visitVariance?: number): RoundSummary {
  if (summary.centre === null) return summary;
  const { medians, states, processes } = roundsWithState(summary);
  const fit = stateFit(medians, states);
  if (fit === undefined) return withProcessLevel(summary);
  const withFit = { ...summary, stateSlope: fit.slope, stateR2: fit.r2 };
  if (visitVariance === undefined) return withProcessLevel(withFit);
  const r = medians.length;
  const level = levelThatVaries(fit.residualVariance, r - 2, fit.residuals, processes);
  const half =
    studentT(0.975, level.df) *
    Math.sqrt((2 / r) * (level.variance + fit.slope * fit.slope * visitVariance));
  return {
    ...withFit,
    lo95: summary.centre * Math.exp(-half),
    hi95: summary.centre * Math.exp(half),
  };
}

/**
 * The run's median R² of its cases' state lines (one metric) at or above which the state is the
 * machine's main mover in that run (stateDominates). Over the 38 runs of the 19 stored pairs of
 * identical runs (2026-12-04…06) the median R² of wall time was 0.01–0.75 in 37 and 0.96 in one: B
 * of results/20261206T033650Z-nvidia-h100-80gb-hbm3-pair, whose round trip read 159 µs for
 * 44–129 s against 36–50 µs at every other probe of the pair, and whose rounds in that state came
 * out 1.44–1.95× A's. Stated at each run's typical state, that pair's B inside A's 95% interval
 * went from 54% of 252 cases to 91% (A inside B's 96% → 94%), B/A within 5% from 16% to 40%, and a
 * figure's ratio to its group's `dispatch-each` within 5% from 25% to 48%; the other 18 pairs are
 * as they were (`npx tsx scripts/state-centre.ts PAIR…`; docs/findings.md, "Figures at the run's
 * typical state"). Moving cases one by one where their own line explains them (R² ≥ 0.8), whatever
 * the run, cost those pairs' figure ratios 4 points (49.5% → 45.5% within 5%): cases of one group
 * share their rounds, so their ratio cancels the state only while all of them move or none does.
 */
export const STATE_RUN_R2 = 0.9;

/**
 * Whether the machine's state explains nearly all of a run's between-round variance of one metric:
 * the median of its cases' state-line R² (`r2`, null where a case has no fit; summary.csv's
 * `wallStateR2`) is at least STATE_RUN_R2.
 */
export function dominates(r2: readonly (number | null)[]): boolean {
  const fitted = r2.filter((v): v is number => v !== null && Number.isFinite(v));
  return fitted.length > 0 && median(fitted) >= STATE_RUN_R2;
}

/** dominates, over a run's round summaries of one metric. */
export const stateDominates = (summaries: readonly RoundSummary[]): boolean =>
  dominates(summaries.map((s) => s.stateR2));

/**
 * `summary` stated at the run's typical state (`typicalNs`, the median over its visits): its figure
 * the value of its state line there, held within the states its own rounds met (the line is not
 * carried past them), its interval the same width around it. Unchanged without a state fit.
 */
export function atTypicalState(summary: RoundSummary, typicalNs: number): RoundSummary {
  const { centre, stateSlope, lo95, hi95 } = summary;
  if (centre === null || stateSlope === null || !(typicalNs > 0)) return summary;
  // the rounds the fit was made on (withStateFit; stateFit takes them all positive)
  const { medians, states } = roundsWithState(summary);
  if (states.length === 0 || ![...medians, ...states].every((v) => v > 0)) return summary;
  const lnStates = states.map((v) => Math.log(v));
  const mean = (v: readonly number[]): number => v.reduce((a, x) => a + x, 0) / v.length;
  const at = Math.min(Math.max(Math.log(typicalNs), Math.min(...lnStates)), Math.max(...lnStates));
  const moved = Math.exp(
    mean(medians.map((m) => Math.log(m))) + stateSlope * (at - mean(lnStates)),
  );
  const scale = moved / centre;
  return {
    ...summary,
    centre: moved,
    lo95: lo95 === null ? null : lo95 * scale,
    hi95: hi95 === null ? null : hi95 * scale,
  };
}

/** One run's rounds of one case and metric, for compare: round medians and their visits' states. */
export interface RoundSeries {
  medians: readonly number[];
  statesNs: readonly number[];
}

/** B against A at equal states: ln(B/A), its standard error and degrees of freedom. */
export interface Shift {
  /** ln(B/A) at equal states. */
  d: number;
  se: number;
  df: number;
  /** Two-sided p value of d = 0. */
  p: number;
  /** The common slope β of both runs' rounds on their states. */
  slope: number;
}

/**
/** Two-sided p value of d = 0 for an estimate d with standard error se > 0 and df degrees of freedom. */
export const tTestP = (d: number, se: number, df: number): number =>
  2 * studentTTail(Math.abs(d) / se, df);

/**
 * Analysis of covariance of two runs' rounds of one case: one line ln(median) = a + β·ln(state)
 * (β by Theil–Sen over both runs' rounds) with a shift d between the runs, fitted to both runs'
 * rounds together, so d is B against A at
 * equal states: what a machine that spent more of B's visits in a slow state adds to B is taken
 * out. Its standard error has R_A + R_B − 3 degrees of freedom, from the residual spread of both
 * runs' rounds around the line. Undefined with fewer than 2 rounds in a run, fewer than 4 degrees
 * of freedom, no variation of the state within the runs, or rounds exactly on the line.
 */
export function ancova(a: RoundSeries, b: RoundSeries): Shift | undefined {
  const ok = (s: RoundSeries): boolean =>
    s.medians.length >= 2 &&
    s.medians.length === s.statesNs.length &&
    [...s.medians, ...s.statesNs].every((v) => v > 0 && Number.isFinite(v));
  if (!ok(a) || !ok(b)) return undefined;
  const logs = (s: RoundSeries): { y: number[]; z: number[] } => ({
    y: s.medians.map((m) => Math.log(m)),
    z: s.statesNs.map((x) => Math.log(x)),
  });
  const [ya, yb] = [logs(a), logs(b)];
  const la = line(ya.y, ya.z);
  const lb = line(yb.y, yb.z);
  const sxx = la.sxx + lb.sxx;
  const df = la.n + lb.n - 3;
  const slope = robustSlope([ya, yb]);
  if (!(sxx > 0) || df < 4 || slope === undefined) return undefined;
  const sse = residualSquares(la, slope) + residualSquares(lb, slope);
  const s2 = sse / df;
  const dz = lb.zMean - la.zMean;
  const d = lb.yMean - la.yMean - slope * dz;
  const se = Math.sqrt(s2 * (1 / la.n + 1 / lb.n + (dz * dz) / sxx));
  // Rounds that lie exactly on the line say nothing of their noise: no test from them.
  if (!(se > 0)) return undefined;
  return { d, se, df, p: tTestP(d, se, df), slope };
}

/**
 * Benjamini–Hochberg adjusted p values (q values), in the order given; NaN stays NaN and is left
 * out of the count. A family of tests whose q ≤ α has a false discovery rate of at most α, and
 * when every difference is null, the chance of any call at all is at most α.
 */
export function benjaminiHochberg(p: readonly number[]): number[] {
  const idx = p
    .map((v, i) => [v, i] as const)
    .filter(([v]) => Number.isFinite(v))
    .sort((x, y) => x[0] - y[0]);
  const m = idx.length;
  const q = p.map(() => NaN);
  let running = 1;
  for (let k = m - 1; k >= 0; k--) {
    const [v, i] = idx[k] as readonly [number, number];
    running = Math.min(running, (v * m) / (k + 1));
    q[i] = running;
  }
  return q;
}

/** The fewest cases from which betweenRunSpread estimates a spread (fewer: 0). */
export const MIN_SPREAD_CASES = 20;

/**
 * The spread τ (on the log scale) by which two runs of a family of cases differ beyond what their
 * rounds explain: the τ ≥ 0 for which the median over the cases of
 * (d − m)² / (se² + τ²) / t²₀.₇₅,df is 1 (m: the family's median d; t²₀.₇₅,df the median of the
 * score a case with df degrees of freedom has when nothing else varies), so that, with τ² added
 * to every case's se², half the cases lie where their own t distribution puts half. 0 when the
 * rounds already explain the differences, or below MIN_SPREAD_CASES cases.
 *
 * Why: a run's rounds see the variation within it, not what stays fixed for a whole process (on
 * the H200 a case's GPU busy time differed between two identical runs by 1–10% where its rounds
 * agreed within 1%, so cases were called slower with q < 10⁻⁸). A pair of runs holds one
 * replicate of that level for every case, and ~250 cases estimate it well. The median makes it
 * robust: cases that really changed, fewer than half, hardly move it. Taken around the family's
 * median shift, so that a change of every case alike (a slower Dawn) stays a finding, not noise;
 * a shift of the whole machine that the state probe does not see would be one too, which is why
 * verdicts are at equal states.
 */
export function betweenRunSpread(tests: readonly { d: number; se: number; df: number }[]): number {
  const valid = tests
    .filter((t) => Number.isFinite(t.d) && Number.isFinite(t.se) && t.df > 0)
    .map((t) => ({ ...t, typical: studentT(0.75, t.df) ** 2 }));
  if (valid.length < MIN_SPREAD_CASES) return 0;
  const m = median(valid.map((t) => t.d));
  const medianScore = (tau2: number): number =>
    median(valid.map((t) => (t.d - m) ** 2 / Math.max(t.se * t.se + tau2, 1e-300) / t.typical));
  if (medianScore(0) <= 1) return 0;
  // medianScore falls as τ² grows: bisect on τ² between 0 and a bound where it is below 1.
  let lo = 0;
  let hi = Math.max(...valid.map((t) => (t.d - m) ** 2 / t.typical)) + 1e-12;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (medianScore(mid) > 1) lo = mid;
    else hi = mid;
  }
  return Math.sqrt(hi);
}
