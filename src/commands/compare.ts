/**
 * `launchbench compare A B [--out FILE.csv] [--min-effect 5%] [--fail-on-slower X]`: per-case
 * ratio of run B to run A with a verdict from the runs' between-round spread (rule:
 * src/report/compare.ts), printed as a table and, with --out, written as CSV. With
 * --fail-on-slower X it is a CI gate: exit 5 (SlowerError) when some case's wall verdict is
 * `slower` with B/A above 1 + X, after printing and writing everything as usual.
 */
import type { Argv } from 'yargs';
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { SlowerError, UsageError } from '../errors.ts';
import { parseFraction, parseNameList } from '../options.ts';
import {
  DEFAULT_MIN_EFFECT,
  compareRuns,
  machineMoved,
  probeShifts,
  slowerBeyond,
  summarizeComparison,
  ranInterleaved,
  roundsSeeProcesses,
  sameGroups,
  tookTurns,
  type BetweenRunSpreads,
  type GivenSpreads,
  type CompareRow,
  type CompareSummary,
  type ProbeShift,
} from '../report/compare.ts';
import { formatTable } from '../report/console.ts';
import { browserHop } from '../report/browser-hop.ts';
import { fmtUs } from '../report/md-format.ts';
import {
  CASE_KEY_COLUMNS,
  adapterName,
  caseKey,
  runtimeName,
  webgpuIn,
  readRun,
  readTurnWalls,
  type CaseAxis,
  type RunData,
  type SummaryRow,
} from '../report/read-run.ts';
import { makeWritableDir, toCsv, writeAtomic } from '../report/writer.ts';

/** Axes `--across` may name: every case axis but workload and strategy. */
const AXES = CASE_KEY_COLUMNS.filter((c) => c !== 'workload' && c !== 'strategy');

/** CSV cells: numbers to 6 significant digits, as summary.csv writes them. */
const csvRecord = (row: CompareRow): Record<string, string | number | null> =>
  Object.fromEntries(
    Object.entries(row).map(([k, v]) => [
      k,
      typeof v === 'number' ? Number(v.toPrecision(6)) : (v as string | null),
    ]),
  );

const ratio = (x: number | null): string => (x === null ? '-' : `${x.toFixed(3)}`);
const interval = (lo: number | null, hi: number | null): string =>
  lo === null || hi === null ? '-' : `${lo.toFixed(3)}–${hi.toFixed(3)}`;
/** A spread on the log scale as a percentage: 0.0296 → '3.0%'. */
const spreadText = (lnSpread: number): string => `${((Math.exp(lnSpread) - 1) * 100).toFixed(1)}%`;

/** A fraction as a percentage: 0.05 → '5%'. */
const percent = (x: number): string => `${Number((x * 100).toPrecision(3))}%`;

/**
 * A run as the comparison names it: folder, run id, adapter, and its runtime where the two runs'
 * differ (Dawn in Node against wgpu in Deno; runs made before runtimes were recorded are Node's).
 */
function runLine(label: string, run: RunData, other: RunData): string {
  const id = run.context.runId ?? '(no run id)';
  // Versions alone do not count.
  const named =
    runtimeKind(run) === runtimeKind(other) ? '' : `, ${runtimeName(run.context) ?? 'node (Dawn)'}`;
  return `${label}: ${run.dir}  ${id}  ${adapterName(run.context)}${named}`;
}

/** Up to three strategy names, else their count. */
function strategies(rows: readonly CompareRow[]): string {
  const names = [...new Set(rows.map((r) => r.strategy))];
  return names.length <= 3 ? names.join(',') : `${names.length} strategies`;
}

/** The axes of a case: the first columns of every table of cases. */
const CASE_HEAD = ['workload', 'strategy', 'elements', 'K', 'intensity', 'wg'];
const caseCells = (r: CompareRow): string[] => [
  r.workload,
  r.strategy,
  String(r.elements),
  String(r.kernels),
  String(r.intensity),
  String(r.workgroupSize),
];

/** A q value as printed: three decimals, or '<0.001' below. */
const qText = (q: number | null): string =>
  q === null ? '-' : q < 0.001 ? '<0.001' : q.toFixed(3);

/** The table of compared cases: both runs' wall times, and B/A with its verdict per metric. */
function comparedTable(compared: readonly CompareRow[]): string {
  return formatTable(
    [
      ...CASE_HEAD,
      'A wall µs/kernel',
      'B wall µs/kernel',
      'B/A wall',
      '95% CI',
      'q',
      'verdict',
      'B/A GPU busy',
      'GPU verdict',
      'B/A in group',
      'in-group verdict',
    ],
    compared.map((r) => [
      ...caseCells(r),
      fmtUs(r.aWallUsPerKernel),
      fmtUs(r.bWallUsPerKernel),
      ratio(r.wallRatio),
      interval(r.wallRatioLo95, r.wallRatioHi95),
      qText(r.wallQ),
      r.wallVerdict ?? '-',
      ratio(r.gpuBusyRatio),
      r.gpuBusyVerdict ?? '-',
      ratio(r.relativeRatio),
      r.relativeVerdict ?? '-',
    ]),
  );
}

/** Cases with their note in the last column (headed `column`), under a title. */
function notesTable(title: string, column: string, rows: readonly CompareRow[]): string {
  return `${title}\n${formatTable(
    [...CASE_HEAD, column],
    rows.map((r) => [...caseCells(r), r.note]),
  )}`;
}

/**
 * The cases in one run only, one line per side and workload (a run with another workload adds
 * many): how many, their strategies and the values of each axis.
 */
function oneRunOnlyTable(single: readonly CompareRow[]): string {
  const groups = new Map<string, CompareRow[]>();
  for (const r of single) {
    const key = `${r.note}|${r.workload}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const list = (values: number[]): string => [...new Set(values)].sort((x, y) => x - y).join(',');
  return `in one run only\n${formatTable(
    ['where', 'workload', 'cases', 'strategies', 'elements', 'K', 'intensity', 'wg'],
    [...groups.values()].map((members) => {
      const r = members[0] as CompareRow;
      return [
        r.note,
        r.workload,
        String(members.length),
        strategies(members),
        list(members.map((m) => m.elements)),
        list(members.map((m) => m.kernels)),
        list(members.map((m) => m.intensity)),
        list(members.map((m) => m.workgroupSize)),
      ];
    }),
  )}`;
}

/** The printed table: compared cases first (in A's order), then those not compared. */
export function compareTable(rows: readonly CompareRow[]): string {
  const compared = rows.filter((r) => r.status === 'compared');
  // Compared cases whose verdict is unclear for want of round statistics, and why.
  const noted = compared.filter((r) => r.note !== '');
  const notComparable = rows.filter((r) => r.status === 'not-comparable');
  const single = rows.filter((r) => r.status === 'only-in-a' || r.status === 'only-in-b');
  const parts: string[] = [];
  if (compared.length > 0) parts.push(comparedTable(compared));
  if (noted.length > 0) parts.push(notesTable('notes', 'note', noted));
  if (notComparable.length > 0) parts.push(notesTable('not comparable', 'why', notComparable));
  if (single.length > 0) parts.push(oneRunOnlyTable(single));
  return parts.join('\n\n');
}

/**
 * --between-run-spread WALL[,GPU_BUSY[,IN_GROUP]]: each a fraction, 0 ≤ x < 1, plain or in percent
 * (3%, 0.03, 0), on the ln scale; a family left out is estimated from the cases as usual.
 */
export function parseSpreads(text: string | undefined): GivenSpreads | undefined {
  if (text === undefined) return undefined;
  const bad = (): UsageError =>
    new UsageError(
      `--between-run-spread: '${text}' must be WALL[,GPU_BUSY[,IN_GROUP]], each a fraction from 0 to below 1 (e.g. 3% or 0.03,0.005)`,
    );
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length > 3) throw bad();
  const values = parts.map((p) => {
    const percent = p.endsWith('%');
    const number = percent ? p.slice(0, -1).trim() : p;
    if (!/^(\d+\.?\d*|\.\d+)$/.test(number)) throw bad();
    const value = Number(number) / (percent ? 100 : 1);
    if (!(value >= 0 && value < 1)) throw bad();
    return Math.log(1 + value);
  });
  const [wall, gpuBusy, inGroup] = values as [number, number | undefined, number | undefined];
  return {
    wall,
    ...(gpuBusy === undefined ? {} : { gpuBusy }),
    ...(inGroup === undefined ? {} : { inGroup }),
  };
}

/** Which runtime and WebGPU a run measured, as a key (runs before runtimes were recorded: Node's). */
const runtimeKind = (r: RunData): string =>
  `${r.context.runtime?.name ?? 'node'}/${r.context.runtime?.webgpu ?? 'dawn'}`;

/**
 * Where A and B ran on different runtimes (Dawn in Node against wgpu in Deno): per strategy, the
 * geometric mean of B/A wall over its compared cases, with how many. Nothing otherwise.
 */
function runtimeLines(runA: RunData, runB: RunData, rows: readonly CompareRow[]): string[] {
  if (runtimeKind(runA) === runtimeKind(runB)) return [];
  const named = (r: RunData): string => {
    const { webgpu, runtime } = webgpuIn(r.context);
    return `${webgpu} in ${runtime}`;
  };
  const byStrategy = new Map<string, number[]>();
  for (const r of rows)
    if (r.wallRatio !== null && r.wallRatio > 0)
      byStrategy.set(r.strategy, [...(byStrategy.get(r.strategy) ?? []), Math.log(r.wallRatio)]);
  const items = [...byStrategy].map(([strategy, logs]) => {
    const mean = Math.exp(logs.reduce((sum, x) => sum + x, 0) / logs.length);
    return `${strategy} ${mean.toPrecision(3)}× (${logs.length} case${logs.length === 1 ? '' : 's'})`;
  });
  if (items.length === 0) return [];
  return [
    `${named(runA)} (A) against ${named(runB)} (B): B/A wall per strategy, geometric mean over its cases: ${items.join(', ')}`,
    ...decodeStepsLine(runA, runB),
    ...hopLines(runA, runB),
  ];
}

/**
 * Where one run was measured in a browser page and the other in Node: what the browser adds per
 * submit and per completion (src/report/browser-hop.ts).
 */
function hopLines(runA: RunData, runB: RunData): string[] {
  const hop = browserHop(runA, runB);
  if (hop === undefined) return [];
  const us = (v: { median: number; min: number; max: number }): string =>
    `${fmtUs(v.median)} µs (${fmtUs(v.min)} to ${fmtUs(v.max)})`;
  const { webgpu, runtime } = webgpuIn((hop.browser === 'A' ? runA : runB).context);
  const head = `the browser's hop (${hop.browser}, ${webgpu} in a ${runtime} page, against Node`;
  if ('withheld' in hop) return [`${head}): not given: ${hop.withheld}`];
  const gpu =
    hop.gpuSubtracted === hop.cases
      ? 'GPU busy time taken off'
      : hop.gpuSubtracted === 0
        ? 'no GPU busy time to take off'
        : `GPU busy time taken off in ${hop.gpuSubtracted}`;
  const hidden = hop.adapterHidden ? "; the browser hid its adapter, taken to be Node's" : '';
  return [
    `${head}; submit-wait and submit-each, median over ${hop.cases} case${hop.cases === 1 ? '' : 's'} of the same K, ${gpu}${hidden}): a submit adds ${us(hop.submitUs)}, a completion ${us(hop.completionUs)}`,
  ];
}

/**
 * For the workloads measured per step (decode): each one's steps per second in A and in B with
 * its fastest strategy there (1 / the step's wall time). Nothing where neither run has one.
 */
function decodeStepsLine(runA: RunData, runB: RunData): string[] {
  const fastest = (run: RunData): Map<string, SummaryRow> => {
    const best = new Map<string, SummaryRow>();
    for (const r of run.summary) {
      if (r.unit !== 'step' || r.status !== 'ok' || !(r.wallUsTotal !== null && r.wallUsTotal > 0))
        continue;
      const at = best.get(r.workload);
      if (at === undefined || (at.wallUsTotal ?? Infinity) > r.wallUsTotal) best.set(r.workload, r);
    }
    return best;
  };
  const a = fastest(runA);
  const b = fastest(runB);
  const perSecond = (r: SummaryRow | undefined): string =>
    r === undefined
      ? '-'
      : `${Number((1e6 / (r.wallUsTotal ?? Infinity)).toPrecision(3))} (${r.strategy})`;
  const items = [...new Set([...a.keys(), ...b.keys()])].map(
    (workload) => `${workload} ${perSecond(a.get(workload))} → ${perSecond(b.get(workload))}`,
  );
  return items.length === 0
    ? []
    : [`steps per second with each run's fastest strategy, A → B: ${items.join('; ')}`];
}

/**
 * Where A and B waited for the GPU differently (bench --completion; runs made before it waited
 * with onSubmittedWorkDone), a line saying so: every B/A then includes that difference.
 */
function completionLines(runA: RunData, runB: RunData): string[] {
  const way = (r: RunData): string => r.context.options?.completion ?? 'submitted-work-done';
  if (way(runA) === way(runB)) return [];
  return [
    `A waited with --completion ${way(runA)}, B with ${way(runB)}: every B/A includes what the two ways of waiting cost.`,
  ];
}

function summaryLine(s: CompareSummary): string {
  const v = s.verdicts;
  const mean =
    s.geomeanWallRatio === null ? '' : `; geometric mean B/A wall ${s.geomeanWallRatio.toFixed(3)}`;
  const g = s.gpuVerdicts;
  const gpu =
    g.faster + g.slower + g.same + g.unclear === 0
      ? ''
      : `; GPU busy: faster ${g.faster}, slower ${g.slower}, same ${g.same}, unclear ${g.unclear}`;
  const rel = s.relativeVerdicts;
  const inGroup =
    rel.faster + rel.slower + rel.same + rel.unclear === 0
      ? ''
      : `; in group: faster ${rel.faster}, slower ${rel.slower}, same ${rel.same}, unclear ${rel.unclear}`;
  return `${s.compared} case(s) compared: B faster ${v.faster}, slower ${v.slower}, same ${v.same}, unclear ${v.unclear}${mean}${gpu}${inGroup}; only in A ${s.onlyInA}, only in B ${s.onlyInB}, not comparable ${s.notComparable}`;
}

/** compare's arguments as yargs gives them (kebab-case names, percentages still text). */
export interface CompareArgs {
  a: string;
  b: string;
  out?: string | undefined;
  /** The smallest difference worth a faster/slower verdict (default 5%). */
  'min-effect'?: string | undefined;
  /** Exit 5 when a case is `slower` by more than this fraction. */
  'fail-on-slower'?: string | undefined;
  /** Case axes to leave out of the match, comma-separated. */
  across?: string | undefined;
  /** Judge at equal states where both runs have rounds.csv (default true). */
  state?: boolean | undefined;
  /** Spreads between the runs to add to every case instead of the estimate: WALL[,GPU_BUSY[,IN_GROUP]]. */
  'between-run-spread'?: string | undefined;
  /** Compare only these strategies' cases, comma-separated. */
  strategies?: string | undefined;
  /** The option that gave `strategies`, for its messages (`ab`'s is --compare-strategies). */
  strategiesOption?: string | undefined;
}

const caseName = (r: CompareRow): string =>
  `${r.workload} ${r.strategy} elements=${r.elements} K=${r.kernels} intensity=${r.intensity} wg=${r.workgroupSize}`;

/** --out must name a .csv file, not a folder, in a folder that can be written (made if missing). */
function checkOut(out: string): void {
  if (!out.toLowerCase().endsWith('.csv')) {
    throw new UsageError(`--out: '${out}' should name a .csv file`);
  }
  makeWritableDir(dirname(out), '--out');
  if (existsSync(out) && statSync(out).isDirectory())
    throw new UsageError(`--out: '${out}' is a folder, not a .csv file`);
}

/**
 * Where the ratios come from, of `compared` cases `atEqualState` at equal machine states (both
 * runs' rounds.csv), the others from the figures and their between-round spreads; '' when no case
 * was compared.
 */
function ratioSourceLine(
  compared: number,
  atEqualState: number,
  state: boolean | 'runtimes differ',
): string {
  const why =
    state === true
      ? ': a run has no rounds.csv with visit states (made before they were measured, or with --no-drift)'
      : state === false
        ? ' (--no-state)'
        : ": the runs measured different runtimes, whose state probe times each runtime's own completion path, so equal probe times are not equal machine states";
  return compared === 0
    ? ''
    : atEqualState === compared
      ? `B/A at equal machine states: both runs' rounds fitted on the state probe of their visits (rounds.csv; --no-state to leave it out).`
      : atEqualState === 0
        ? `B/A from the runs' figures and between-round spreads${why}.`
        : `B/A at equal machine states for ${atEqualState} of ${compared} cases (rounds.csv); the others from the figures and between-round spreads.`;
}

/**
 * The spread between the runs added to every case's uncertainty, family by family, each given
 * (--between-run-spread) or estimated from all the cases; between two runtimes an estimated wall
 * spread is their differences, which the line says, with how to get verdicts.
 */
function spreadLine(
  spreads: BetweenRunSpreads,
  given: GivenSpreads | undefined,
  inGroup: boolean,
  runtimesDiffer: boolean,
): string {
  const part = (value: number, name: string, isGiven: boolean): string =>
    `±${spreadText(value)} (${name}, ${isGiven ? 'given' : 'estimated from all the cases'})`;
  const parts = [
    part(spreads.wall, 'wall', given?.wall !== undefined),
    part(spreads.gpuBusy, 'GPU busy', given?.gpuBusy !== undefined),
    ...(inGroup && spreads.relative !== undefined
      ? [part(spreads.relative, 'in group', given?.inGroup !== undefined)]
      : []),
  ];
  const across =
    runtimesDiffer && given?.wall === undefined
      ? " But the runs measured different runtimes: nearly every case differs, so an estimated spread is mostly how differently the two treat each case, not the machine, and it leaves verdicts unclear. For verdicts, give --between-run-spread what two identical runs of one runtime show on this machine (compare prints it for them; docs/findings.md has the H200's and H100's), or measure both interleaved with `launchbench ab`."
      : '';
  return `Beyond what their rounds explain, the two runs differ by a spread of ${parts.join(', ')} per case (what stays fixed for a whole process); it is added to every case's uncertainty.${across}`;
}

/**
 * The lines above the table: the two runs, the axes matched across, the rule of the verdicts,
 * where the ratios come from, the spread between the runs that widens every case's uncertainty,
 * and what the in-group columns mean (where the runs have the states that they need).
 */
function preamble(
  runA: RunData,
  runB: RunData,
  rows: readonly CompareRow[],
  spreads: BetweenRunSpreads,
  settings: {
    minEffect: number;
    across: readonly CaseAxis[];
    state: boolean | 'runtimes differ';
    givenSpreads: GivenSpreads | undefined;
  },
): string[] {
  const compared = rows.filter((r) => r.wallVerdict !== null);
  const atEqualState = compared.filter((r) => r.wallAtEqualState === true).length;
  const paired = tookTurns(runA.context, runB.context);
  const pairedCount = compared.filter((r) => r.wallPaired === true).length;
  const axisValues = (run: RunData, axis: CaseAxis): string =>
    [...new Set(run.summary.map((r) => r[axis]))].join(',');
  const m = percent(settings.minEffect);
  return [
    runLine('A', runA, runB),
    runLine('B', runB, runA),
    ...settings.across.map(
      (axis) =>
        `matched across ${axis}: A at ${axisValues(runA, axis)}, B at ${axisValues(runB, axis)} (the table shows A's value)`,
    ),
    `B/A < 1: B is faster. The verdict is slower/faster when B/A differs from 1 by more than ${m} and the test of B = A survives the adjustment for testing ${compared.filter((r) => r.wallQ !== null).length} cases at once (Benjamini–Hochberg, 5% false discovery rate, each metric apart); same when its 90% interval lies within ±${m}; unclear otherwise (always unclear when a run has no round statistics).`,
    pairedCount > 0
      ? `B/A from paired rounds${pairedCount === compared.length ? '' : ` for ${pairedCount} of ${compared.length} cases (the others as below)`}: the runs took turns visit by visit (ab --interleave visits), each round of B measured beside the same round of A; the rounds' ln ratios' Huber estimate (their mean, a round far from the others pulled in to 2 scales: their MAD moved towards the strategy's prior sd), their variance moderated by the strategy's (as in group).`
      : paired && !sameGroups(runA, runB, (r) => caseKey(r, settings.across))
        ? 'The runs took turns visit by visit, but over different groups, which they visited in different orders: their rounds are not paired.'
        : '',
    pairedCount === compared.length && pairedCount > 0
      ? ''
      : ratioSourceLine(compared.length - pairedCount, atEqualState, settings.state),
    compared.length === 0
      ? ''
      : roundsSeeProcesses(runA.context, runB.context)
        ? 'The runs ran interleaved, one process per round: their rounds see every difference between processes, so no spread between the runs is added.'
        : spreadLine(
            spreads,
            settings.givenSpreads,
            rows.some((r) => r.relativeVerdict !== null),
            settings.state === 'runtimes differ',
          ),
    atEqualState === 0 && (!paired || !rows.some((r) => r.relativeVerdict !== null))
      ? ''
      : `In group: each case's wall time against its group's other strategies (the median of their deviations from their own means), ${runA.turnWalls !== undefined && runB.turnWalls !== undefined ? 'turn by turn (samples.csv), then the median over each round' : 'round by round'}: they share every visit, so the machine's state cancels. Its verdict follows the same rule. A change to one strategy shows there even when the machine moved whole runs.`,
  ];
}

/**
 * The drift warning, for the warning line and the gate's message: the drift probe's figures that
 * moved by more than the minimum effect, and what that means; '' when none did. Interleaved
 * processes shared the machine's moves, so there B's configuration moved the fixed references.
 */
function machineWarning(runA: RunData, runB: RunData, moved: readonly ProbeShift[]): string {
  const probeText = moved.map((s) => `${s.label} ${ratio(s.ratio)}`).join(', ');
  return moved.length === 0
    ? ''
    : runtimeKind(runA) !== runtimeKind(runB)
      ? `the fixed references differ between the runs (drift probe: ${probeText}), as they must where the runs measured different runtimes: the probe times each runtime's own submits and completions, so it says nothing here about the machine`
      : ranInterleaved(runA.context, runB.context)
        ? `the fixed references moved between the sides although their processes were interleaved (drift probe: ${probeText}): by chance, with few processes a side, or because B's configuration moves them too (a Dawn toggle can); differences of that size may not be the measured code's`
        : `the machine itself moved between the runs (drift probe: ${probeText}): differences of that size may be the machine's, not the code's; to tell them apart, run both sides interleaved with launchbench ab`;
}

/** The drift probe's lines: each figure's B/A, then the warning if any; none without drift.csv. */
function driftLines(shifts: readonly ProbeShift[], machine: string): string[] {
  if (shifts.length === 0) return [];
  return [
    `drift probe (drift.csv, the same fixed references in both runs), median B/A: ${shifts.map((s) => `${s.label} ${ratio(s.ratio)}`).join(', ')}`,
    ...(machine === '' ? [] : [`warning: ${machine}.`]),
  ];
}

/**
 * The gate's failure (exit 5): how many cases are slower beyond the threshold, the worst with the
 * ratio that qualifies it (wall, else in group) and its interval, and the drift warning if any,
 * since a machine that moved can make unchanged code look slower.
 */
function gateFailure(
  slower: readonly CompareRow[],
  failOnSlower: number,
  machine: string,
): SlowerError {
  const worst = slower[0] as CompareRow;
  const how =
    worst.wallVerdict === 'slower' && (worst.wallRatio ?? 0) > 1 + failOnSlower
      ? `B/A ${ratio(worst.wallRatio)} (95% CI ${interval(worst.wallRatioLo95, worst.wallRatioHi95)})`
      : `in group B/A ${ratio(worst.relativeRatio)} (95% CI ${interval(worst.relativeRatioLo95, worst.relativeRatioHi95)})`;
  return new SlowerError(
    `${slower.length} case(s) slower in B by more than ${percent(failOnSlower)}; worst: ${caseName(worst)}, ${how}${machine === '' ? '' : `; but ${machine}`}`,
  );
}

/** A run with its wall samples by turn, where it kept them (compare's in-group view pairs them). */
function withTurns(run: RunData): RunData {
  const turnWalls = readTurnWalls(run.dir);
  return turnWalls === undefined ? run : { ...run, turnWalls };
}

/**
 * `compare A B`: read both runs, compare them, print the explanation, the table, the summary and
 * the drift probe, write --out's CSV, then the gate: exit 5 (SlowerError) only after everything
 * was printed and written, so that a failed gate still leaves its evidence.
 */
export function compareCommand(args: CompareArgs): number {
  const { a, b, out } = args;
  if (out !== undefined) checkOut(out);
  const minEffectText = args['min-effect'];
  const failOnSlowerText = args['fail-on-slower'];
  const minEffect =
    minEffectText === undefined ? DEFAULT_MIN_EFFECT : parseFraction('min-effect', minEffectText);
  const failOnSlower =
    failOnSlowerText === undefined ? undefined : parseFraction('fail-on-slower', failOnSlowerText);
  const givenSpreads = parseSpreads(args['between-run-spread']);
  const across =
    args.across === undefined
      ? []
      : parseNameList('across', args.across, AXES).map((name) => name as CaseAxis);
  const runA = withTurns(readRun(a));
  const runB = withTurns(readRun(b));
  if (givenSpreads !== undefined && roundsSeeProcesses(runA.context, runB.context))
    throw new UsageError(
      '--between-run-spread: these runs took turns one process per round, so their rounds already see every difference between processes; there is no spread between them to give',
    );
  const spreads: BetweenRunSpreads = { wall: 0, gpuBusy: 0 };
  const known = [...new Set([...runA.summary, ...runB.summary].map((r) => r.strategy))];
  const strategies =
    args.strategies === undefined
      ? undefined
      : parseNameList(args.strategiesOption ?? 'strategies', args.strategies, known);
  // Runs of two runtimes (Node against Deno or a browser) are judged from their figures: the state
  // probe's round trip is each runtime's own completion path (11 ms in Deno, ~2 ms in a page,
  // tens of µs in Node), so fitting both on it would read the runtime as the machine's state.
  const sameRuntime = runtimeKind(runA) === runtimeKind(runB);
  const state = args.state !== false && sameRuntime;
  const rows = compareRuns(
    runA,
    runB,
    {
      minEffect,
      across,
      state,
      ...(strategies === undefined ? {} : { strategies }),
      ...(givenSpreads === undefined ? {} : { givenSpreads }),
    },
    spreads,
  );
  const lines = [
    ...preamble(runA, runB, rows, spreads, {
      minEffect,
      across,
      state: args.state !== false && !sameRuntime ? 'runtimes differ' : state,
      givenSpreads,
    }),
    '',
    rows.length === 0 ? '(neither run has a case)' : compareTable(rows),
    '',
    summaryLine(summarizeComparison(rows)),
    ...runtimeLines(runA, runB, rows),
    ...completionLines(runA, runB),
  ];
  const shifts = probeShifts(runA, runB);
  const machine = machineWarning(runA, runB, machineMoved(shifts, minEffect));
  lines.push(...driftLines(shifts, machine));
  if (out !== undefined) {
    writeAtomic(out, toCsv(rows.map(csvRecord), true));
    lines.push(`csv: ${out}`);
  }
  const slower = failOnSlower === undefined ? [] : slowerBeyond(rows, failOnSlower);
  if (failOnSlower !== undefined && slower.length === 0) {
    lines.push(`gate: no case slower by more than ${percent(failOnSlower)}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  if (failOnSlower !== undefined && slower.length > 0)
    throw gateFailure(slower, failOnSlower, machine);
  return 0;
}

/** yargs definitions of compare's positionals and options, for `.command('compare <a> <b>', …)`. */
export function compareBuilder<T>(y: Argv<T>) {
  return y
    .positional('a', { type: 'string', describe: 'run folder A (the reference)' })
    .positional('b', { type: 'string', describe: 'run folder B (compared with A)' })
    .option('out', { type: 'string', describe: 'also write the comparison as CSV here' })
    .option('min-effect', {
      type: 'string',
      describe:
        'smallest difference worth a faster/slower verdict, and the margin of same (default 5%)',
    })
    .option('across', {
      type: 'string',
      describe: `match cases that differ in these axes (each run holding one value of each), e.g. intensity: ${AXES.join(', ')}`,
    })
    .option('strategies', {
      type: 'string',
      describe:
        "compare only these strategies' cases, comma-separated: the family of tests is theirs alone (ask it before the runs)",
    })
    .option('state', {
      type: 'boolean',
      default: true,
      describe:
        "judge at equal machine states from both runs' rounds.csv (--no-state: from the figures alone, e.g. for two Dawn toggle sets, which move the state probe too)",
    })
    .option('between-run-spread', {
      type: 'string',
      describe:
        "WALL[,GPU_BUSY[,IN_GROUP]]: the spread between the runs that their rounds do not see, added to every case's uncertainty instead of the estimate from all the cases (a family left out keeps it), e.g. 3%,0.5% (for runs whose cases nearly all differ, as two runtimes': take it from an identical pair on the machine)",
    })
    .option('fail-on-slower', {
      type: 'string',
      describe:
        'CI gate: exit 5 when a case is slower (wall verdict) with B/A above 1 + this, e.g. 10%',
    });
}
