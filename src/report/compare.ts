/**
 * `compare A B`: per case, run B's time over run A's, with a verdict that takes each run's own
 * spread into account. Cases match on workload, strategy, elements, kernels, intensity and
 * workgroup size (CASE_KEY_COLUMNS). Pure functions over two runs read back from their files.
 *
 * The verdict rule, per metric (wall µs/kernel; GPU busy µs/kernel where both runs have it),
 * from each run's median and p10–p90 range of that metric:
 *   faster   B's p90 < A's p10: the two ranges do not overlap and B's is the lower one, so the
 *            bulk of B's samples beat the bulk of A's (a difference the noise cannot explain);
 *   slower   B's p10 > A's p90: the same, the other way round;
 *   same     the ranges overlap and the ratio B/A lies within both runs' relative spreads:
 *            B's median inside A's [p10, p90] and A's median inside B's [p10, p90], i.e.
 *            A.p10/A.median ≤ B/A ≤ A.p90/A.median and B.median/B.p90 ≤ B/A ≤ B.median/B.p10.
 *            Each run would have produced the other's median as an ordinary sample;
 *   unclear  the ranges overlap but at least one median lies outside the other run's range (a
 *            shift that may be real, hidden in noise): measure again, longer or on a quieter
 *            machine, before believing it either way.
 * p10–p90 describes the samples, not the uncertainty of the median: it is deliberately the more
 * cautious choice, since two runs also differ by what one run's samples cannot see (clocks,
 * other tenants; DESIGN.md notes ±30% between runs on a shared GPU).
 */
import { caseKey, type RunData, type SummaryRow } from './read-run.ts';

export type Verdict = 'faster' | 'slower' | 'same' | 'unclear';

/** A median with its p10–p90 range, all in one unit. */
export interface Spread {
  median: number;
  p10: number;
  p90: number;
}

/** The verdict on B against A (see the rule at the top of this file). */
export function verdict(a: Spread, b: Spread): Verdict {
  if (b.p90 < a.p10) return 'faster';
  if (b.p10 > a.p90) return 'slower';
  const bInsideA = b.median >= a.p10 && b.median <= a.p90;
  const aInsideB = a.median >= b.p10 && a.median <= b.p90;
  return bInsideA && aInsideB ? 'same' : 'unclear';
}

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
  /** Why a case was not compared (a status other than ok, a missing figure). */
  note: string;
  aWallUsPerKernel: number | null;
  aWallUsPerKernelP10: number | null;
  aWallUsPerKernelP90: number | null;
  bWallUsPerKernel: number | null;
  bWallUsPerKernelP10: number | null;
  bWallUsPerKernelP90: number | null;
  /** B / A of the medians: below 1, B is faster. */
  wallRatio: number | null;
  wallVerdict: Verdict | null;
  aGpuBusyUsPerKernel: number | null;
  bGpuBusyUsPerKernel: number | null;
  gpuBusyRatio: number | null;
  gpuBusyVerdict: Verdict | null;
}

function spreadOf(
  median: number | null,
  p10: number | null,
  p90: number | null,
): Spread | undefined {
  if (median === null || p10 === null || p90 === null) return undefined;
  if (!(median > 0) || p10 > median || p90 < median) return undefined;
  return { median, p10, p90 };
}

const wallSpread = (r: SummaryRow): Spread | undefined =>
  spreadOf(r.wallUsPerKernel, r.wallUsPerKernelP10, r.wallUsPerKernelP90);
const busySpread = (r: SummaryRow): Spread | undefined =>
  spreadOf(r.gpuBusyUsPerKernel, r.gpuBusyUsPerKernelP10, r.gpuBusyUsPerKernelP90);

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
    bWallUsPerKernel: null,
    bWallUsPerKernelP10: null,
    bWallUsPerKernelP90: null,
    wallRatio: null,
    wallVerdict: null,
    aGpuBusyUsPerKernel: null,
    bGpuBusyUsPerKernel: null,
    gpuBusyRatio: null,
    gpuBusyVerdict: null,
  };
}

function compareCase(a: SummaryRow, b: SummaryRow): CompareRow {
  const row = emptyRow(a, 'compared', '');
  row.aWallUsPerKernel = a.wallUsPerKernel;
  row.aWallUsPerKernelP10 = a.wallUsPerKernelP10;
  row.aWallUsPerKernelP90 = a.wallUsPerKernelP90;
  row.bWallUsPerKernel = b.wallUsPerKernel;
  row.bWallUsPerKernelP10 = b.wallUsPerKernelP10;
  row.bWallUsPerKernelP90 = b.wallUsPerKernelP90;
  row.aGpuBusyUsPerKernel = a.gpuBusyUsPerKernel;
  row.bGpuBusyUsPerKernel = b.gpuBusyUsPerKernel;
  const notOk = [
    a.status === 'ok' ? '' : `A ${a.status}${a.reason === '' ? '' : `: ${a.reason}`}`,
    b.status === 'ok' ? '' : `B ${b.status}${b.reason === '' ? '' : `: ${b.reason}`}`,
  ].filter((s) => s !== '');
  if (notOk.length > 0) return { ...row, status: 'not-comparable', note: notOk.join('; ') };
  const wa = wallSpread(a);
  const wb = wallSpread(b);
  if (wa === undefined || wb === undefined) {
    return {
      ...row,
      status: 'not-comparable',
      note: `no wall time with p10/p90 in ${wa === undefined ? 'A' : 'B'}`,
    };
  }
  row.wallRatio = wb.median / wa.median;
  row.wallVerdict = verdict(wa, wb);
  const ga = busySpread(a);
  const gb = busySpread(b);
  if (ga !== undefined && gb !== undefined) {
    row.gpuBusyRatio = gb.median / ga.median;
    row.gpuBusyVerdict = verdict(ga, gb);
  }
  return row;
}

/** Every case of either run: matched ones compared, the others listed as only in A or B. */
export function compareRuns(a: RunData, b: RunData): CompareRow[] {
  const inB = new Map(b.summary.map((r) => [caseKey(r), r]));
  const inA = new Set(a.summary.map((r) => caseKey(r)));
  const rows: CompareRow[] = [];
  for (const ra of a.summary) {
    const rb = inB.get(caseKey(ra));
    if (rb === undefined) {
      const row = emptyRow(ra, 'only-in-a', 'only in A');
      rows.push({
        ...row,
        aWallUsPerKernel: ra.wallUsPerKernel,
        aWallUsPerKernelP10: ra.wallUsPerKernelP10,
        aWallUsPerKernelP90: ra.wallUsPerKernelP90,
        aGpuBusyUsPerKernel: ra.gpuBusyUsPerKernel,
      });
    } else rows.push(compareCase(ra, rb));
  }
  for (const rb of b.summary) {
    if (inA.has(caseKey(rb))) continue;
    const row = emptyRow(rb, 'only-in-b', 'only in B');
    rows.push({
      ...row,
      bWallUsPerKernel: rb.wallUsPerKernel,
      bWallUsPerKernelP10: rb.wallUsPerKernelP10,
      bWallUsPerKernelP90: rb.wallUsPerKernelP90,
      bGpuBusyUsPerKernel: rb.gpuBusyUsPerKernel,
    });
  }
  return rows;
}

export interface CompareSummary {
  compared: number;
  verdicts: Record<Verdict, number>;
  onlyInA: number;
  onlyInB: number;
  notComparable: number;
  /** Geometric mean of B/A wall ratios over compared cases; null when none. */
  geomeanWallRatio: number | null;
}

export function summarizeComparison(rows: readonly CompareRow[]): CompareSummary {
  const verdicts: Record<Verdict, number> = { faster: 0, slower: 0, same: 0, unclear: 0 };
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
    onlyInA: rows.filter((r) => r.status === 'only-in-a').length,
    onlyInB: rows.filter((r) => r.status === 'only-in-b').length,
    notComparable: rows.filter((r) => r.status === 'not-comparable').length,
    geomeanWallRatio: compared === 0 ? null : Math.exp(logSum / compared),
  };
}
