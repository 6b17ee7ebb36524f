/** Robust summary statistics for benchmark samples. Pure functions; no printing. */

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

/** Quantile by linear interpolation between order statistics (R type 7, numpy's default). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const a = sorted[lower] ?? NaN;
  const b = sorted[upper] ?? NaN;
  return a + (b - a) * (position - lower);
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
