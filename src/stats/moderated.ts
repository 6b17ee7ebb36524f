/**
 * Moderated variances (Smyth 2004, "Linear models and empirical Bayes methods for assessing
 * differential expression in microarray experiments", the method of R's limma, whose fitFDist
 * differs in two details: it offsets zero variances where this leaves them out, and it takes
 * s0² = mean(s²) where d0 is infinite, as this does): when many cases
 * are each measured a few times, every case's own sample variance is a poor estimate of its noise
 * (with 5 rounds, 4 degrees of freedom), and a t test on it needs a large t to call anything. If
 * the cases' true variances are alike, the others say something about each: a prior is fitted to
 * all the sample variances (a scaled inverse χ² with d0 degrees of freedom around s0²) and each
 * case's variance is moved towards s0² by as much as the spread of the sample variances allows,
 *   s̃² = (d0·s0² + d·s²) / (d0 + d),   with d0 + d degrees of freedom.
 * When the sample variances spread more than their own sampling explains (true variances that
 * differ), d0 comes out small and little moves; when they spread less, d0 is infinite and every
 * case takes s0². Used by compare's in-group family (src/report/compare.ts), with one prior per
 * strategy: a strategy's noise relative to its group is much alike across its sizes and counts,
 * and unlike other strategies' (docs/design.md, "Comparing runs").
 */

/** ψ(x), the digamma function, for x > 0 (recurrence to x ≥ 10, then the asymptotic series); NaN elsewhere. */
export function digamma(x: number): number {
  if (!(x > 0) || x === Infinity) return x === Infinity ? Infinity : NaN;
  let shift = 0;
  let y = x;
  while (y < 10) {
    shift -= 1 / y;
    y += 1;
  }
  const f = 1 / (y * y);
  const series = f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f / 132))));
  return shift + Math.log(y) - 0.5 / y - series;
}

/** ψ′(x), the trigamma function, for x > 0. */
export function trigamma(x: number): number {
  if (!(x > 0)) return NaN;
  if (x === Infinity) return 0;
  let shift = 0;
  let y = x;
  while (y < 10) {
    shift += 1 / (y * y);
    y += 1;
  }
  const f = 1 / (y * y);
  return shift + 1 / y + f / 2 + (f / y) * (1 / 6 - f * (1 / 30 - f * (1 / 42 - f / 30)));
}

/** ψ″(x), the tetragamma function, for x > 0. */
export function tetragamma(x: number): number {
  if (!(x > 0)) return NaN;
  if (x === Infinity) return 0;
  let shift = 0;
  let y = x;
  while (y < 10) {
    shift -= 2 / (y * y * y);
    y += 1;
  }
  const f = 1 / (y * y);
  const series = 1 + 1 / y + f * (1 / 2 - f * (1 / 6 - f * (1 / 6 - f * (3 / 10 - (5 / 6) * f))));
  return shift - f * series;
}

/** The x > 0 with ψ′(x) = y, by Newton's method on 1/ψ′ (limma's trigammaInverse). */
export function trigammaInverse(y: number): number {
  if (!(y > 0)) return NaN;
  if (y > 1e7) return 1 / Math.sqrt(y);
  if (y < 1e-6) return 1 / y;
  let x = 0.5 + 1 / y;
  for (let i = 0; i < 50; i++) {
    const tri = trigamma(x);
    const step = (tri * (1 - tri / y)) / tetragamma(x);
    x += step;
    if (-step / x < 1e-8) break;
  }
  return x;
}

/** A prior for a family's variances: d0 degrees of freedom around s0². */
export interface VariancePrior {
  /** Degrees of freedom of the prior: 0, none; Infinity, every case takes s0². */
  d0: number;
  s0Squared: number;
}

/** No prior: every variance stays as it is. */
export const NO_PRIOR: VariancePrior = { d0: 0, s0Squared: NaN };

/** The fewest sample variances a prior is fitted to; fewer give none (d0 = 0). */
export const MIN_PRIOR_VARIANCES = 6;

/**
 * The prior (Smyth 2004, section 6) fitted by moments to the logs of sample variances s²
 * (each with its degrees of freedom d > 0): none (d0 = 0) from fewer than MIN_PRIOR_VARIANCES
 * positive ones. Zero variances (rounds that all agree) say nothing of the spread and are left out.
 */
export function fitVariancePrior(
  variances: readonly number[],
  dfs: readonly number[],
): VariancePrior {
  const used = variances
    .map((s2, i) => [s2, dfs[i] ?? 0] as const)
    .filter(([s2, d]) => s2 > 0 && Number.isFinite(s2) && d > 0 && Number.isFinite(d));
  const n = used.length;
  if (n < MIN_PRIOR_VARIANCES) return NO_PRIOR;
  const e = used.map(([s2, d]) => Math.log(s2) - digamma(d / 2) + Math.log(d / 2));
  const mean = e.reduce((a, b) => a + b, 0) / n;
  // The logs' spread beyond what their own sampling gives: the prior's share, ψ′(d0 / 2).
  const excess =
    e.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (n - 1) -
    used.reduce((sum, [, d]) => sum + trigamma(d / 2), 0) / n;
  if (!(excess > 0)) return { d0: Infinity, s0Squared: used.reduce((a, [s2]) => a + s2, 0) / n };
  const d0 = 2 * trigammaInverse(excess);
  if (!Number.isFinite(d0))
    return { d0: Infinity, s0Squared: used.reduce((a, [s2]) => a + s2, 0) / n };
  return { d0, s0Squared: Math.exp(mean + digamma(d0 / 2) - Math.log(d0 / 2)) };
}

/** A sample variance s² with d degrees of freedom moved towards the prior, and its degrees of freedom. */
export function moderate(
  s2: number,
  d: number,
  prior: VariancePrior,
): { variance: number; df: number } {
  if (!(prior.d0 > 0)) return { variance: s2, df: d };
  if (prior.d0 === Infinity) return { variance: prior.s0Squared, df: Infinity };
  return {
    variance: (prior.d0 * prior.s0Squared + d * s2) / (prior.d0 + d),
    df: prior.d0 + d,
  };
}
