/**
 * `compare A B`: per case, run B's time over run A's, with a verdict that takes the uncertainty
 * between runs into account. Cases match on workload, strategy, elements, kernels, intensity and
 * workgroup size (CASE_KEY_COLUMNS). Pure functions over two runs read back from their files.
 *
 * The verdict rule, per metric (wall µs/kernel; GPU busy µs/kernel where both runs have it).
 * A run measures in R rounds spread over the run; each run gives its centre c (its figure: the
 * geometric mean of the per-round medians), the number of rounds R and the spread s: the standard
 * deviation of ln(per-round median) across rounds, so s/√R is the standard error of ln c. On the
 * log scale,
 *   d  = ln(c_B / c_A)                              the difference (B/A = e^d),
 *   se = √(s_A²/R_A + s_B²/R_B)                     its standard error from the rounds,
 *   df = (v_A + v_B)² / (v_A²/(R_A−1) + v_B²/(R_B−1)), v = s²/R   (Welch–Satterthwaite),
 *   δ  = ln(1 + minEffect)                          the minimum effect worth a verdict (5%),
 * and the verdict is
 *   slower   d > δ and d − t_{0.975,df}·se > 0: B/A is beyond the minimum effect and its 95%
 *            interval excludes 1, so a difference that matters and that the between-round
 *            variation cannot explain;
 *   faster   d < −δ and d + t_{0.975,df}·se < 0: the same, the other way round;
 *   same     d ± t_{0.95,df}·se lies inside (−δ, δ): the 90% interval rules out any difference as
 *            large as the minimum effect (TOST equivalence at the 5% level);
 *   unclear  otherwise: too noisy to say, or a shift that is real but smaller than the minimum
 *            effect, with an interval reaching past it. Measure again (more rounds, a quieter
 *            machine) before believing it either way.
 * A run without round statistics (R < 2 or no spread: runs made before rounds existed) gets
 * `unclear` with a note, never faster or slower; a case under the sample floor (enoughSamples
 * false) gets no verdict at all (not comparable).
 *
 * Why: the old rule judged from each run's p10–p90 range of samples, which describes samples
 * within one stretch of time, not how much a run's median moves from run to run (clocks, other
 * tenants, thermal state: a shared GPU drifts by far more than one run's sample scatter), so it
 * could call identical runs faster or slower. Rounds spread over the run sample that drift: the
 * spread of round medians is the level that varies, and R of them give a standard error with R−1
 * degrees of freedom, hence Student t rather than a normal quantile. The minimum effect keeps real
 * but trivial shifts (1–2%, well within what a machine drifts by) from being called regressions
 * once the intervals get narrow, and gives `same` a meaning (equivalent within δ) rather than "not
 * shown different". Between runs of one distribution it calls faster/slower in at most 5% of
 * cases (fewer, since d must also pass δ). test/compare-calibration.test.ts checks the rates on
 * simulated runs (5 rounds, 3% block effect per round): identical runs 1.6% faster/slower, a 20%
 * regression 100% slower, a 2% shift ≈ 5% slower (when noise pushes its estimate past δ: the rule
 * bounds false calls of a null difference, not of a real one just below δ).
 */
import { quantileSorted, studentT } from '../measure/stats.ts';
import { UsageError } from '../errors.ts';
import {
  caseKey,
  type CaseAxis,
  type DriftCsvRow,
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
}

/** One run's figure for one metric: its centre and what its rounds say about it. */
export interface RoundStats {
  /** The run's median of the metric. */
  centre: number;
  /** Standard deviation of ln(per-round median) across rounds; null below 2 rounds. */
  spread: number | null;
  /** Rounds that gave samples of the metric; null when the run does not say. */
  rounds: number | null;
}

/** The verdict on B against A, with the ratio B/A and its 95% interval. */
export interface Judgement {
  verdict: Verdict;
  /** c_B / c_A. */
  ratio: number;
  /** 95% interval of the ratio; null when either run lacks round statistics. */
  lo95: number | null;
  hi95: number | null;
  /** Why the verdict is unclear for want of statistics; '' otherwise. */
  note: string;
}

const hasRounds = (s: RoundStats): boolean =>
  s.rounds !== null && s.rounds >= 2 && s.spread !== null && s.spread >= 0;

/** The verdict on B against A (see the rule at the top of this file). */
export function judge(
  a: RoundStats,
  b: RoundStats,
  minEffect: number = DEFAULT_MIN_EFFECT,
): Judgement {
  const ratio = b.centre / a.centre;
  const missing = [hasRounds(a) ? '' : 'A', hasRounds(b) ? '' : 'B'].filter((x) => x !== '');
  if (missing.length > 0) {
    return {
      verdict: 'unclear',
      ratio,
      lo95: null,
      hi95: null,
      note: `no between-round spread in ${missing.join(' and ')} (fewer than 2 rounds, or a run made before rounds)`,
    };
  }
  const d = Math.log(ratio);
  const delta = Math.log(1 + minEffect);
  const va = (a.spread as number) ** 2 / (a.rounds as number);
  const vb = (b.spread as number) ** 2 / (b.rounds as number);
  const se = Math.sqrt(va + vb);
  // Welch–Satterthwaite; with no spread at all the interval is the point itself.
  const df =
    (va + vb) ** 2 / (va ** 2 / ((a.rounds as number) - 1) + vb ** 2 / ((b.rounds as number) - 1));
  const half = (p: number): number => (se === 0 ? 0 : studentT(p, df) * se);
  const h95 = half(0.975);
  const h90 = half(0.95);
  const lo95 = Math.exp(d - h95);
  const hi95 = Math.exp(d + h95);
  let verdict: Verdict = 'unclear';
  if (d > delta && d - h95 > 0) verdict = 'slower';
  else if (d < -delta && d + h95 < 0) verdict = 'faster';
  else if (d - h90 > -delta && d + h90 < delta) verdict = 'same';
  return { verdict, ratio, lo95, hi95, note: '' };
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
  wallVerdict: Verdict | null;
  aGpuBusyUsPerKernel: number | null;
  bGpuBusyUsPerKernel: number | null;
  gpuBusyRatio: number | null;
  gpuBusyRatioLo95: number | null;
  gpuBusyRatioHi95: number | null;
  gpuBusyVerdict: Verdict | null;
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
    wallVerdict: null,
    aGpuBusyUsPerKernel: null,
    bGpuBusyUsPerKernel: null,
    gpuBusyRatio: null,
    gpuBusyRatioLo95: null,
    gpuBusyRatioHi95: null,
    gpuBusyVerdict: null,
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

function compareCase(a: SummaryRow, b: SummaryRow, minEffect: number): CompareRow {
  const row: CompareRow = { ...emptyRow(a, 'compared', ''), ...aFigures(a), ...bFigures(b) };
  const notOk = [
    a.status === 'ok' ? '' : `A ${a.status}${a.reason === '' ? '' : `: ${a.reason}`}`,
    b.status === 'ok' ? '' : `B ${b.status}${b.reason === '' ? '' : `: ${b.reason}`}`,
  ].filter((s) => s !== '');
  if (notOk.length > 0) return { ...row, status: 'not-comparable', note: notOk.join('; ') };
  const few = [a.enoughSamples === false ? 'A' : '', b.enoughSamples === false ? 'B' : ''].filter(
    (s) => s !== '',
  );
  if (few.length > 0) {
    return {
      ...row,
      status: 'not-comparable',
      note: `insufficient samples in ${few.join(' and ')}`,
    };
  }
  const wa = wallStats(a);
  const wb = wallStats(b);
  if (wa === undefined || wb === undefined) {
    return {
      ...row,
      status: 'not-comparable',
      note: `no wall time in ${wa === undefined ? 'A' : 'B'}`,
    };
  }
  const wall = judge(wa, wb, minEffect);
  row.wallRatio = wall.ratio;
  row.wallRatioLo95 = wall.lo95;
  row.wallRatioHi95 = wall.hi95;
  row.wallVerdict = wall.verdict;
  const notes = wall.note === '' ? [] : [`wall unclear: ${wall.note}`];
  const ga = busyStats(a);
  const gb = busyStats(b);
  if (ga !== undefined && gb !== undefined) {
    const busy = judge(ga, gb, minEffect);
    row.gpuBusyRatio = busy.ratio;
    row.gpuBusyRatioLo95 = busy.lo95;
    row.gpuBusyRatioHi95 = busy.hi95;
    row.gpuBusyVerdict = busy.verdict;
    // The same reason twice says nothing new.
    if (busy.note !== '' && busy.note !== wall.note) notes.push(`GPU busy unclear: ${busy.note}`);
    else if (busy.note !== '') notes[0] = `wall and GPU busy unclear: ${busy.note}`;
  }
  row.note = notes.join('; ');
  return row;
}

/** Every case of either run: matched ones compared, the others listed as only in A or B. */
export function compareRuns(a: RunData, b: RunData, options: CompareOptions = {}): CompareRow[] {
  const minEffect = options.minEffect ?? DEFAULT_MIN_EFFECT;
  const across = options.across ?? [];
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
  const key = (r: SummaryRow): string => caseKey(r, across);
  const inB = new Map(b.summary.map((r) => [key(r), r]));
  const inA = new Set(a.summary.map(key));
  const rows: CompareRow[] = [];
  for (const ra of a.summary) {
    const rb = inB.get(key(ra));
    if (rb === undefined) rows.push({ ...emptyRow(ra, 'only-in-a', 'only in A'), ...aFigures(ra) });
    else rows.push(compareCase(ra, rb, minEffect));
  }
  for (const rb of b.summary) {
    if (inA.has(key(rb))) continue;
    rows.push({ ...emptyRow(rb, 'only-in-b', 'only in B'), ...bFigures(rb) });
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

/** Compared cases whose wall verdict is `slower` with B/A above 1 + `threshold`, worst first. */
export function slowerBeyond(rows: readonly CompareRow[], threshold: number): CompareRow[] {
  return rows
    .filter(
      (r) =>
        r.status === 'compared' &&
        r.wallVerdict === 'slower' &&
        r.wallRatio !== null &&
        r.wallRatio > 1 + threshold,
    )
    .sort((x, y) => (y.wallRatio as number) - (x.wallRatio as number));
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
