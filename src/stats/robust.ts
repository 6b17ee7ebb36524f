/**
 * Huber's M-estimate of location (Huber 1964; Huber & Ronchetti, "Robust Statistics", 2009,
 * chapter 3), for compare's paired rounds (src/report/compare.ts): the mean of a few ln ratios,
 * except that a value more than k·scale from the estimate counts as if it were k·scale away. One
 * wild visit (on lavapipe a round of 778 µs a kernel beside rounds of 78–95; in the lent GPUs'
 * default pairs 0.5–1.2% of rounds lie past 10 robust sd, where normal values give 0.2%:
 * docs/findings.md, "Wild visits") then moves the estimate of n values by about k·scale / n,
 * where it moves the mean by its whole size / n and widens the interval with it.
 * With no value that far out it is the mean, and its variance the sample variance.
 */

import { median } from './quantile.ts';

/** Values further than this many scales from the estimate are pulled in to it (95% efficiency at the normal is k = 1.345; 2 gives up less there). */
export const HUBER_K = 2;

export interface HuberEstimate {
  location: number;
  /**
   * The sandwich variance scaled to one value, n² / (n − 1) · Σψ² / (Σψ′)², so that
   * variance / n is the estimate's: the sample variance where nothing is pulled in.
   */
  variance: number;
  /** How many values lie within k·scale of the estimate (Σψ′): the rest were pulled in. */
  inside: number;
}

/** 1.4826 · the median absolute deviation from the median: a normal's sd, unmoved by a few wild values. */
export function scaledMad(values: readonly number[]): number {
  const m = median(values);
  return 1.4826 * median(values.map((x) => Math.abs(x - m)));
}

/**
 * The estimate for `values` (at least two) at a known `scale` > 0 (the spread a value has when
 * nothing is wrong with it: compare moves the values' own scaledMad towards the strategy's prior
 * s0). Null where more than half the values lie further than k·scale out (the scale does not fit
 * them, and the caller keeps the mean), or where a value is NaN.
 */
export function huberLocation(
  values: readonly number[],
  scale: number,
  k = HUBER_K,
): HuberEstimate | null {
  const n = values.length;
  if (n < 2 || !(scale > 0) || !Number.isFinite(scale) || values.some(Number.isNaN)) return null;
  const c = k * scale;
  let m = median(values);
  // Iteratively reweighted means from the median, m += Σψ(x − m) / Σw with w = ψ(r) / r (an
  // infinite value weighs 0 and pulls by c): Huber's ψ is monotone, the solution unique.
  for (let i = 0; i < 100; i++) {
    let sw = 0;
    let spsi = 0;
    for (const x of values) {
      const r = x - m;
      sw += Math.abs(r) <= c ? 1 : c / Math.abs(r);
      spsi += Math.max(-c, Math.min(c, r));
    }
    const step = spsi / sw;
    m += step;
    if (Math.abs(step) <= 1e-12 * Math.max(1, Math.abs(m)) + 1e-9 * c) break;
  }
  let psi2 = 0;
  let inside = 0;
  for (const x of values) {
    const r = x - m;
    if (Math.abs(r) <= c) inside++;
    psi2 += Math.min(r * r, c * c);
  }
  if (2 * inside < n) return null;
  return { location: m, variance: (n * n * psi2) / ((n - 1) * inside * inside), inside };
}

/**
 * A case's GPU busy figure from its round medians, on their logarithms: Huber's estimate at k =
 * HUBER_K and the logs' own scaledMad (never below ROUND_SCALE_FLOOR), so that one wild round (a
 * round at a halved clock) moves it by about k·scale / R instead of its whole size / R; the plain
 * mean (the geometric mean) below 3 rounds or where that scale does not fit (more than half the
 * rounds past k scales). Over the 23 stored identical pairs, GPU busy figures then agreed within
 * 5% for 97% of cases (93% and 84% with the mean, H200 and H100) and B fell inside A's interval
 * more often (89% and 84% against 85% and 79%). Wall keeps the mean: its rounds spread over the
 * host path's states, which are what it measures; pulled in, a run of four rounds in one state and
 * two in another reads the first state, drift no longer cancels in the ratio of two strategies,
 * and the figures' ratios to `dispatch-each` agreed less often on the H200 (54.6% → 52.5%)
 * (scripts/centre-check.ts; docs/findings.md, "The runs of 2026-12-06, fourteenth session").
 */
export function roundCentreLog(logs: readonly number[]): number {
  const mean = logs.reduce((s, v) => s + v, 0) / logs.length;
  if (logs.length < 3) return mean;
  const scale = Math.max(scaledMad(logs), ROUND_SCALE_FLOOR);
  return huberLocation(logs, scale)?.location ?? mean;
}

/**
 * The least scale roundCentreLog takes, in ln terms (0.5%): rounds that agree closely (GPU busy's
 * often agree within 0.2%) would otherwise give a scale of 0, or near it, and pull in a round that
 * differs by 1%.
 */
export const ROUND_SCALE_FLOOR = 0.005;
