/**
 * Across a sweep of K: wall(K) = a + b·K by ordinary least squares, per strategy and size — a is
 * the fixed cost of executing a workload at all (submit, completion signalling), b the marginal
 * cost of one more kernel. Across sizes: the crossover, the element count where GPU execution
 * time per kernel overtakes launch overhead per kernel. Pure functions over case results.
 */
import { caseMetrics } from './metrics.ts';
import type { CaseResult } from './result.ts';

export interface LinearFit {
  /** Intercept. */
  a: number;
  /** Slope. */
  b: number;
  /** Coefficient of determination (1 = all points on the line). */
  r2: number;
  n: number;
}

/**
 * Weighted least squares: weight w_i per point (1 = ordinary least squares). r² is the weighted
 * coefficient of determination.
 */
export function fitLine(
  points: readonly (readonly [number, number])[],
  weights: readonly number[] = points.map(() => 1),
): LinearFit | undefined {
  const n = points.length;
  if (n < 2) return undefined;
  const w = (i: number): number => weights[i] ?? 1;
  const sw = points.reduce((s, _, i) => s + w(i), 0);
  const mx = points.reduce((s, [x], i) => s + w(i) * x, 0) / sw;
  const my = points.reduce((s, [, y], i) => s + w(i) * y, 0) / sw;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  points.forEach(([x, y], i) => {
    sxx += w(i) * (x - mx) ** 2;
    sxy += w(i) * (x - mx) * (y - my);
    syy += w(i) * (y - my) ** 2;
  });
  if (sxx === 0) return undefined;
  const b = sxy / sxx;
  const a = my - b * mx;
  const sse = points.reduce((s, [x, y], i) => s + w(i) * (y - a - b * x) ** 2, 0);
  return { a, b, r2: syy === 0 ? 1 : 1 - sse / syy, n };
}

/**
 * The K-sweep fit: weights 1/y², i.e. least squares on relative residuals. Timing noise is
 * roughly proportional to the time measured, so ordinary least squares over K = 1…1000 lets the
 * largest K decide everything and leaves the fixed cost a to chance (negative a on an H100);
 * relative weights make every K count alike and keep a close to the K = 1 measurement.
 */
export function fitRelative(points: readonly (readonly [number, number])[]): LinearFit | undefined {
  return fitLine(
    points,
    points.map(([, y]) => (y === 0 ? 0 : 1 / y ** 2)),
  );
}

export interface KernelFit {
  workload: string;
  strategy: string;
  elements: number;
  intensity: number;
  workgroupSize: number;
  /** a: fixed cost per execution, µs. */
  fixedUs: number;
  /** b: marginal cost per kernel, µs. */
  perKernelUs: number;
  r2: number;
  points: number;
  kernelsMin: number;
  kernelsMax: number;
  /** Wall time per kernel measured directly at the largest K, µs (to compare with b). */
  wallUsPerKernelAtMaxK: number;
  /**
   * Why this fit is not a finding, or '' when it is: a negative fixed cost or cost per kernel (no
   * real cost is negative: the line does not describe the points, or one more kernel costs less
   * than the noise between them, as for `fused` measured at two K) or R² below FIT_MIN_R2.
   * Reports print flagged fits as such, never as results.
   */
  flag: string;
}

/** Below this weighted R², a + b·K does not describe the K sweep well enough to quote a or b. */
export const FIT_MIN_R2 = 0.9;

export function fitFlag(fixedUs: number, perKernelUs: number, r2: number): string {
  if (fixedUs < 0) return 'negative fixed cost';
  if (perKernelUs < 0) return 'negative cost per kernel';
  if (!(r2 >= FIT_MIN_R2)) return `poor fit (R² ${r2.toFixed(2)} < ${FIT_MIN_R2})`;
  return '';
}

const key = (...parts: (string | number)[]): string => parts.join('|');

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = keyOf(item);
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  return groups;
}

/** A case whose figures may be used: measured, verified or not, and on the sample floor. */
const usable = (r: CaseResult): boolean => r.status === 'ok' && r.enoughSamples;

/**
 * One fit per (workload, strategy, elements, intensity, workgroup size) with ≥ 2 values of K, from
 * the cases on the sample floor only.
 */
export function kernelFits(results: readonly CaseResult[]): KernelFit[] {
  const ok = results.filter((r) => usable(r) && r.wallNs !== null);
  const fits: KernelFit[] = [];
  const groups = groupBy(ok, (r) =>
    key(r.workload, r.strategy, r.params.elements, r.params.intensity, r.params.workgroupSize),
  );
  for (const members of groups.values()) {
    const points = members.map(
      (r) => [r.params.kernels, (r.wallNs?.median ?? NaN) / 1000] as const,
    );
    const fit = fitRelative(points);
    const first = members[0];
    if (fit === undefined || first === undefined) continue;
    const largest = members.reduce((m, r) => (r.params.kernels > m.params.kernels ? r : m), first);
    fits.push({
      workload: first.workload,
      strategy: first.strategy,
      elements: first.params.elements,
      intensity: first.params.intensity,
      workgroupSize: first.params.workgroupSize,
      fixedUs: fit.a,
      perKernelUs: fit.b,
      r2: fit.r2,
      points: fit.n,
      kernelsMin: Math.min(...members.map((r) => r.params.kernels)),
      kernelsMax: largest.params.kernels,
      wallUsPerKernelAtMaxK: caseMetrics(largest).wallUsPerKernel ?? NaN,
      flag: fitFlag(fit.a, fit.b, fit.r2),
    });
  }
  return fits;
}

export type CrossoverKind = 'between' | 'below-range' | 'above-range';

export interface Crossover {
  workload: string;
  strategy: string;
  kernels: number;
  intensity: number;
  workgroupSize: number;
  /**
   * `between`: execution overtakes overhead between two measured sizes, interpolated in log-log;
   * `below-range`: execution already dominates at the smallest size measured;
   * `above-range`: overhead still dominates at the largest size measured.
   */
  kind: CrossoverKind;
  /** The crossover element count (for `between`), else the bound of the measured range. */
  elements: number;
  /** Launch overhead per kernel at the crossover, µs (interpolated; NaN outside the range). */
  overheadUsPerKernel: number;
  sizes: number;
}

/**
 * Per (workload, strategy, K, intensity, workgroup size) over the sizes measured: where GPU busy
 * time per kernel equals launch overhead per kernel. Uses the first sign change of
 * log(busy / overhead) as size grows; sizes where overhead is not positive are skipped (no
 * overhead left to cross).
 */
export function crossovers(results: readonly CaseResult[]): Crossover[] {
  const out: Crossover[] = [];
  const groups = groupBy(results.filter(usable), (r) =>
    key(r.workload, r.strategy, r.params.kernels, r.params.intensity, r.params.workgroupSize),
  );
  for (const members of groups.values()) {
    const points = members
      .map((r) => {
        const m = caseMetrics(r);
        return {
          elements: r.params.elements,
          busy: m.gpuBusyUsPerKernel,
          overhead: m.launchOverheadUsPerKernel,
        };
      })
      .filter(
        (p): p is { elements: number; busy: number; overhead: number } =>
          p.busy !== null && p.overhead !== null && p.busy > 0 && p.overhead > 0,
      )
      .sort((a, b) => a.elements - b.elements);
    const first = members[0];
    const lo = points[0];
    const hi = points[points.length - 1];
    if (first === undefined || lo === undefined || hi === undefined || points.length < 2) continue;
    const base = {
      workload: first.workload,
      strategy: first.strategy,
      kernels: first.params.kernels,
      intensity: first.params.intensity,
      workgroupSize: first.params.workgroupSize,
      sizes: points.length,
    };
    const score = (p: { busy: number; overhead: number }): number => Math.log(p.busy / p.overhead);
    if (score(lo) >= 0) {
      out.push({ ...base, kind: 'below-range', elements: lo.elements, overheadUsPerKernel: NaN });
      continue;
    }
    let found = false;
    for (let i = 1; i < points.length; i++) {
      const p = points[i - 1];
      const q = points[i];
      if (p === undefined || q === undefined || score(q) < 0) continue;
      const t = score(p) / (score(p) - score(q));
      const logN = Math.log(p.elements) + t * (Math.log(q.elements) - Math.log(p.elements));
      const logL = Math.log(p.overhead) + t * (Math.log(q.overhead) - Math.log(p.overhead));
      out.push({
        ...base,
        kind: 'between',
        elements: Math.exp(logN),
        overheadUsPerKernel: Math.exp(logL),
      });
      found = true;
      break;
    }
    if (!found)
      out.push({ ...base, kind: 'above-range', elements: hi.elements, overheadUsPerKernel: NaN });
  }
  return out;
}
