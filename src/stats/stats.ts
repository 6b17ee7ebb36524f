/** Robust summary statistics for benchmark samples. Pure functions; no printing. */

import { median, quantileSorted } from './quantile.ts';
import { roundCentreLog } from './robust.ts';

// the order statistics live in quantile.ts, which robust.ts uses too
export { median, quantileSorted };

export interface Distribution {
  n: number;
  median: number;
  p10: number;
  p90: number;
  mean: number;
  /** Coefficient of variation: standard deviation / mean. */
  cv: number;
  /**
   * Relative noise of the median: half-width of its distribution-free 95% confidence interval
   * (order statistics (n ± 1.96·√n)/2) divided by the median. NaN below 3 samples.
   */
  medianNoise: number;
}

export function medianNoiseSorted(sorted: readonly number[]): number {
  const n = sorted.length;
  if (n < 3) return NaN;
  const median = quantileSorted(sorted, 0.5);
  // Ranks (1-based) of the distribution-free 95% CI of the median, from the binomial(n, 1/2)
  // quantiles in the normal approximation: j = ⌊(n − 1.96√n)/2⌋, k = ⌈1 + (n + 1.96√n)/2⌉.
  const spread = 1.96 * Math.sqrt(n);
  const lo = Math.max(0, Math.floor((n - spread) / 2) - 1);
  const hi = Math.min(n - 1, Math.ceil(1 + (n + spread) / 2) - 1);
  const width = (sorted[hi] ?? NaN) - (sorted[lo] ?? NaN);
  return median === 0 ? (width === 0 ? 0 : Infinity) : width / 2 / Math.abs(median);
}

export function distribution(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = n === 0 ? NaN : sorted.reduce((s, v) => s + v, 0) / n;
  const variance = n < 2 ? 0 : sorted.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  return {
    n,
    median: quantileSorted(sorted, 0.5),
    p10: quantileSorted(sorted, 0.1),
    p90: quantileSorted(sorted, 0.9),
    mean,
    cv: mean === 0 ? 0 : Math.sqrt(variance) / Math.abs(mean),
    medianNoise: medianNoiseSorted(sorted),
  };
}

/** Scales every location statistic (median, percentiles, mean) by `factor`. */
export function scaleDistribution(d: Distribution, factor: number): Distribution {
  return {
    ...d,
    median: d.median * factor,
    p10: d.p10 * factor,
    p90: d.p90 * factor,
    mean: d.mean * factor,
  };
}

/**
 * Two-sided Student t quantile t_{p, df} (p = 0.975 for a 95% interval), by bisection on the
 * regularised incomplete beta function. df may be fractional (Welch). Exact to ~1e-10.
 */
export function studentT(p: number, df: number): number {
  if (!(df > 0) || !(p > 0 && p < 1)) return NaN;
  // Past this many degrees of freedom t is the normal distribution to 1e-5 (and the continued
  // fraction of the incomplete beta would not converge at infinity).
  df = Math.min(df, NORMAL_DF);
  if (p === 0.5) return 0;
  const upper = p > 0.5;
  const tail = upper ? 1 - p : p; // P(T > t) for the positive quantile
  let lo = 0;
  let hi = 1;
  while (studentTTail(hi, df) > tail) hi *= 2;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (studentTTail(mid, df) > tail) lo = mid;
    else hi = mid;
  }
  const t = (lo + hi) / 2;
  return upper ? t : -t;
}

/** P(T > t) for t ≥ 0 under Student's t with `df` degrees of freedom: ½·I_{df/(df+t²)}(df/2, ½). */
export function studentTTail(t: number, df: number): number {
  const d = Math.min(df, NORMAL_DF);
  return 0.5 * incompleteBeta(d / (d + t * t), d / 2, 0.5);
}

/** Degrees of freedom past which t is taken as its limit (Welch's df is infinite at zero spread). */
const NORMAL_DF = 1e5;

/** Regularised incomplete beta I_x(a, b) (Numerical Recipes' continued fraction). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(
    logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x),
  );
  if (x < (a + 1) / (a + b + 2)) return (front * betaFraction(x, a, b)) / a;
  return 1 - (front * betaFraction(1 - x, b, a)) / b;
}

function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 / (Math.abs(1 + aa * d) < tiny ? tiny : 1 + aa * d);
    c = Math.abs(1 + aa / c) < tiny ? tiny : 1 + aa / c;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 / (Math.abs(1 + aa * d) < tiny ? tiny : 1 + aa * d);
    c = Math.abs(1 + aa / c) < tiny ? tiny : 1 + aa / c;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-14) break;
  }
  return h;
}

/** ln Γ(x), Lanczos (g = 7, n = 9). */
function logGamma(x: number): number {
  const g = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let s = g[0] ?? 0;
  for (let i = 1; i < 9; i++) s += (g[i] ?? 0) / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

/**
 * What a run's rounds say about one metric of one case (docs/design.md, Measurement: intervals come
 * from the level that varies, the rounds spread over the run, not from the samples of one block).
 */
export interface RoundSummary {
  /** Rounds that contributed at least one sample. */
  rounds: number;
  /** Median of each such round, in round order. */
  roundMedians: number[];
  /**
   * The run's figure: the geometric mean of the round medians (`centre` 'mean'), or, for GPU busy
   * ('robust', schema 5 on), the same with a round further than 2 robust sd out pulled in
   * (robust.ts roundCentreLog); null below 2 rounds; stated at the run's typical state instead
   * where the state dominates the run (state.ts atTypicalState). Each round median is robust to
   * the odd slow sample; averaging their logarithms weighs every round alike and, for two
   * strategies sampled in the same rounds, makes the ratio of their figures the mean of their
   * per-round ratios, in which drift between rounds cancels. The pooled median of all samples
   * would instead jump between the modes when the machine is bimodal. The interval keeps the
   * rounds' sd: a wild round widens it.
   */
  centre: number | null;
  /** Sample standard deviation of ln(round median): the between-round relative spread. */
  spread: number | null;
  /**
   * 95% interval for the figure a repeat of the whole run would report: centre ×
   * exp(± t_{0.975, R−1} · spread · √(2/R)), or from the state fit where the run measured states
   * (state.ts withStateFit). √(2/R), not √(1/R): the repeat has its own R rounds, so its centre
   * scatters as much again as this one's (a confidence interval of this run's figure would cover
   * a repeat's only ~83% of the time). Null below 2 rounds.
   */
  lo95: number | null;
  hi95: number | null;
  /** The round (0-based) of each of `roundMedians`. */
  roundIds: number[];
  /** The state of each such round's visit (round trip, ns: src/stats/state.ts); null where unmeasured. */
  roundStatesNs: (number | null)[];
  /**
   * The process (0-based) that took each such round: 0 throughout in a run of one process; in a
   * run made of several (src/commands/processes.ts), which one.
   */
  roundProcesses: number[];
  /**
   * The state fit (src/stats/state.ts withStateFit): the slope of ln(round median) on ln(state)
   * and the share of the between-round variance it explains; null without one (fewer than 4
   * rounds with a state, or no state measured).
   */
  stateSlope: number | null;
  stateR2: number | null;
}

/**
 * The round summary of `samplesByRound` (one array of positive values per round), with the states
 * of the rounds' visits where measured (`statesNs[round]`, ns), its centre the rounds' mean in logs
 * or, `centreOf` 'robust' (GPU busy), robust.ts roundCentreLog; withStateFit (src/stats/state.ts)
 * then adds what the states explain.
 */
export function roundSummary(
  samplesByRound: readonly (readonly number[])[],
  statesNs: readonly (number | undefined)[] = [],
  processOfRound: readonly (number | undefined)[] = [],
  centreOf: 'mean' | 'robust' = 'mean',
): RoundSummary {
  const roundIds: number[] = [];
  const roundMedians: number[] = [];
  samplesByRound.forEach((values, round) => {
    if (values.length === 0) return;
    roundIds.push(round);
    roundMedians.push(
      quantileSorted(
        [...values].sort((a, b) => a - b),
        0.5,
      ),
    );
  });
  const roundStatesNs = roundIds.map((round) => statesNs[round] ?? null);
  const roundProcesses = roundIds.map((round) => processOfRound[round] ?? 0);
  const rounds = roundMedians.length;
  const logs = roundMedians.filter((m) => m > 0).map((m) => Math.log(m));
  const none = { stateSlope: null, stateR2: null, roundIds, roundStatesNs, roundProcesses };
  if (rounds < 2 || logs.length !== rounds) {
    return { rounds, roundMedians, centre: null, spread: null, lo95: null, hi95: null, ...none };
  }
  const mean = logs.reduce((s, v) => s + v, 0) / rounds;
  const spread = Math.sqrt(logs.reduce((s, v) => s + (v - mean) ** 2, 0) / (rounds - 1));
  const half = studentT(0.975, rounds - 1) * spread * Math.sqrt(2 / rounds);
  const centre = centreOf === 'robust' ? roundCentreLog(logs) : mean;
  const plain = {
    rounds,
    roundMedians,
    centre: Math.exp(centre),
    spread,
    lo95: Math.exp(centre - half),
    hi95: Math.exp(centre + half),
  };
  return { ...plain, ...none };
}
