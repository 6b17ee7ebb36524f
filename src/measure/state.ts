/**
 * The machine's state as a measured covariate (issue 19; docs/design.md, Measurement).
 *
 * What varies. On the lent H200 the host path switches between states that last seconds to tens of
 * seconds (a one-dispatch round trip of about 40 µs in one, 60–75 µs in another), and every
 * strategy of a visit moves with it: in the published default pair of 620352c a factor common to
 * the strategies of each visit explained 62–86% of the cases' between-round variance. A case's
 * figure averages its R visits, so it carries the luck of which states those R visits met, and two
 * runs disagree by that luck even when nothing changed.
 *
 * What is measured. Right before and right after every visit, with the queue idle, the run times
 * one fixed round trip seven times each (`map`, 64 elements, K = 1, `submit-wait`: the drift
 * probe's, src/measure/drift.ts); their median is the visit's state (`stateUs` in rounds.csv). The probe's code never changes, so
 * a change of the measured code cannot move it — except a change of Dawn itself (toggles), which
 * moves the probe too; compare's `--no-state` leaves the adjustment out for such comparisons.
 *
 * How it is used, per case and metric, on the log scale (y_r the log median of round r, z_r the log
 * state of that round's visit):
 *   - a least-squares line y = a + β·z over the case's R rounds;
 *   - where the state explains the rounds (β's t statistic past t₀.₉₇₅,R−2), the figure is the line
 *     at the run's typical state z̄_run (the mean log state over all the run's visits): the luck of
 *     the case's own R visits is taken out, and what is left of the state is the run's typical
 *     state itself, known from all its visits, not from R;
 *   - its 95% repeat interval: ± t₀.₉₇₅,R−2 · √(2·(β²·V_run + s²·(1/R + (z̄ − z̄_run)²/Sxx))),
 *     s² the residual variance, Sxx = Σ(z_r − z̄)², V_run the variance of z̄_run between runs (the
 *     round means of the visit states as batches: var(round means)/rounds); 2· because the repeat
 *     has its own (as in roundSummary);
 *   - where the state does not explain the rounds, nothing changes (roundSummary's figure and
 *     interval).
 * compare (src/report/compare.ts) goes further: with both runs' rounds it fits one line with a
 * shift between the runs (ancova below), so its verdicts are at equal states.
 * Pure functions; never prints.
 */
import { quantileSorted, studentT, studentTTail, type RoundSummary } from './stats.ts';

/** The run's reference state, from the states of all its visits. */
export interface RunState {
  /** ln of the reference state (ns): the REFERENCE_QUANTILE of the visits' states. */
  refLog: number;
  /** Variance of `refLog` between runs: var(each round's quantile) / rounds. Null below 2 rounds. */
  varRefLog: number | null;
  visits: number;
}

/**
 * Which state the figures are stated at: this quantile of the run's visit states. A low quantile,
 * not the median: the runs of a machine with a fast and a slow state differ mostly in how long
 * they stayed in each, and the median (or mean) state of a run moves with that share, while the
 * fast state's own level hardly moves (on the H200 a round trip of 36–43 µs in every run that had
 * one). The figures are then what the strategies cost when the host path is in its quick state,
 * which is also what a quiet machine shows.
 */
export const REFERENCE_QUANTILE = 0.1;

/** One visit's state: its round and its round trip, ns. */
export interface VisitState {
  round: number;
  stateNs: number;
}

const quantileOfLogs = (values: readonly number[]): number =>
  quantileSorted(
    values.map((v) => Math.log(v)).sort((a, b) => a - b),
    REFERENCE_QUANTILE,
  );

/** The run's reference state from its visits' states (undefined without any). */
export function runState(visits: readonly VisitState[]): RunState | undefined {
  const valid = visits.filter((v) => v.stateNs > 0);
  if (valid.length === 0) return undefined;
  const refLog = quantileOfLogs(valid.map((v) => v.stateNs));
  const byRound = new Map<number, number[]>();
  for (const v of valid) byRound.set(v.round, [...(byRound.get(v.round) ?? []), v.stateNs]);
  const per = [...byRound.values()].map(quantileOfLogs);
  const k = per.length;
  const m = per.reduce((s, x) => s + x, 0) / k;
  const varRefLog = k < 2 ? null : per.reduce((s, x) => s + (x - m) ** 2, 0) / (k - 1) / k;
  return { refLog, varRefLog, visits: valid.length };
}

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

/** What the state says about one case's rounds. */
export interface StateFit {
  /** β: d ln(figure) / d ln(state). */
  slope: number;
  /** Share of the between-round variance of ln(round median) the state explains. */
  r2: number;
  /** Whether β's t statistic passes t₀.₉₇₅,R−2: the figure and interval are then adjusted. */
  explains: boolean;
  /** The figure at the run's typical state, and its 95% repeat interval (same units as the rounds). */
  centre: number;
  lo95: number;
  hi95: number;
}

/** The fewest rounds with a state that a fit takes (two residual degrees of freedom). */
export const MIN_STATE_ROUNDS = 4;

/**
 * The state fit of one case: `medians[i]` its median in a round whose visit had state `statesNs[i]`
 * (both positive). Undefined with fewer than MIN_STATE_ROUNDS rounds, without a run state, or when
 * the states do not vary.
 */
export function stateFit(
  medians: readonly number[],
  statesNs: readonly number[],
  run: RunState | undefined,
): StateFit | undefined {
  if (run === undefined || medians.length !== statesNs.length) return undefined;
  if (medians.length < MIN_STATE_ROUNDS) return undefined;
  if (![...medians, ...statesNs].every((v) => v > 0 && Number.isFinite(v))) return undefined;
  const f = line(
    medians.map((m) => Math.log(m)),
    statesNs.map((s) => Math.log(s)),
  );
  if (!(f.sxx > 0)) return undefined;
  const slope = f.sxy / f.sxx;
  const sse = Math.max(0, f.syy - slope * f.sxy);
  const df = f.n - 2;
  const s2 = sse / df;
  const r2 = f.syy > 0 ? 1 - sse / f.syy : 0;
  const t = studentT(0.975, df);
  const seSlope = Math.sqrt(s2 / f.sxx);
  const explains = seSlope === 0 ? slope !== 0 : Math.abs(slope) / seSlope > t;
  const offset = f.zMean - run.refLog;
  const logCentre = f.yMean - slope * offset;
  const variance =
    2 * (slope * slope * (run.varRefLog ?? 0) + s2 * (1 / f.n + (offset * offset) / f.sxx));
  const half = t * Math.sqrt(variance);
  return {
    slope,
    r2,
    explains,
    centre: Math.exp(logCentre),
    lo95: Math.exp(logCentre - half),
    hi95: Math.exp(logCentre + half),
  };
}

/**
 * `summary` with what the states of its rounds' visits explain: the slope and R² where a fit is
 * possible, and where the state explains the rounds, the figure at the run's typical state and its
 * interval (stateFit) in place of the plain ones.
 */
export function withStateFit(summary: RoundSummary, run: RunState | undefined): RoundSummary {
  if (summary.centre === null || !summary.roundStatesNs.every((s) => s !== null)) return summary;
  const fit = stateFit(summary.roundMedians, summary.roundStatesNs, run);
  if (fit === undefined) return summary;
  const state = { ...summary, stateSlope: fit.slope, stateR2: fit.r2 };
  if (!fit.explains) return state;
  return { ...state, stateAdjusted: true, centre: fit.centre, lo95: fit.lo95, hi95: fit.hi95 };
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
 * Analysis of covariance of two runs' rounds of one case: one line ln(median) = a + β·ln(state)
 * with a shift d between the runs, fitted to both runs' rounds together, so d is B against A at
 * equal states: what a machine that spent more of B's visits in a slow state adds to B is taken
 * out. Its standard error has R_A + R_B − 3 degrees of freedom, from the residual spread of both
 * runs' rounds around the line. Undefined with fewer than 2 rounds in a run, fewer than 4 degrees
 * of freedom, or no variation of the state within the runs.
 */
export function ancova(a: RoundSeries, b: RoundSeries): Shift | undefined {
  const ok = (s: RoundSeries): boolean =>
    s.medians.length >= 2 &&
    s.medians.length === s.statesNs.length &&
    [...s.medians, ...s.statesNs].every((v) => v > 0 && Number.isFinite(v));
  if (!ok(a) || !ok(b)) return undefined;
  const logs = (s: RoundSeries): Line =>
    line(
      s.medians.map((m) => Math.log(m)),
      s.statesNs.map((x) => Math.log(x)),
    );
  const la = logs(a);
  const lb = logs(b);
  const sxx = la.sxx + lb.sxx;
  const df = la.n + lb.n - 3;
  if (!(sxx > 0) || df < 4) return undefined;
  const slope = (la.sxy + lb.sxy) / sxx;
  const sse = Math.max(0, la.syy + lb.syy - slope * (la.sxy + lb.sxy));
  const s2 = sse / df;
  const dz = lb.zMean - la.zMean;
  const d = lb.yMean - la.yMean - slope * dz;
  const se = Math.sqrt(s2 * (1 / la.n + 1 / lb.n + (dz * dz) / sxx));
  const p = se === 0 ? (d === 0 ? 1 : 0) : 2 * studentTTail(Math.abs(d) / se, df);
  return { d, se, df, p, slope };
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
