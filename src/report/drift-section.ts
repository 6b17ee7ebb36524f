/**
 * report.md's "Drift during the run": the drift probes of drift.csv (src/measure/drift.ts) as a
 * table, and sentences computed from that table only: each reference's range over the run, the
 * probes more than 10% off their reference's run median and when, and which rounds that touches.
 * Pure function of the run read back from its files.
 */
import { fmtCount, fmtUs, listing, table } from './md-format.ts';
import { webgpuIn, type DriftCsvRow, type RunData } from './read-run.ts';

/** A probe is called off when it is more than this fraction away from its reference's median. */
export const DRIFT_THRESHOLD = 0.1;

type NumericColumn =
  | 'hostLoopUs'
  | 'roundTripUs'
  | 'chainWallUsPerKernel'
  | 'chainGpuBusyUsPerKernel'
  | 'clockChainUs'
  | 'cpuMeanMHz';

interface Metric {
  key: NumericColumn;
  /** As a sentence names it. */
  name: string;
  column: string;
  unit: 'µs' | 'MHz';
}

const METRICS: readonly Metric[] = [
  { key: 'hostLoopUs', name: 'host loop', column: 'host loop µs', unit: 'µs' },
  { key: 'roundTripUs', name: 'round trip', column: 'round trip µs', unit: 'µs' },
  {
    key: 'chainWallUsPerKernel',
    name: 'chain wall per dispatch',
    column: 'chain wall µs/dispatch',
    unit: 'µs',
  },
  {
    key: 'chainGpuBusyUsPerKernel',
    name: 'chain GPU busy per dispatch',
    column: 'chain GPU busy µs/dispatch',
    unit: 'µs',
  },
  {
    key: 'clockChainUs',
    name: 'clock chain (GPU time ∝ 1/shader clock)',
    column: 'clock chain GPU µs',
    unit: 'µs',
  },
  { key: 'cpuMeanMHz', name: 'CPU clock', column: 'CPU mean MHz', unit: 'MHz' },
];

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

const fmtValue = (metric: Metric, value: number | null): string => {
  if (value === null) return '–';
  return metric.unit === 'MHz' ? fmtCount(Math.round(value)) : fmtUs(value);
};

const withUnit = (metric: Metric, value: number): string =>
  `${fmtValue(metric, value)} ${metric.unit}`;

/** A relative size as a percentage: one decimal below 10%, whole from there. */
function fmtRelative(x: number, signed: boolean): string {
  const pct = Math.abs(x) * 100;
  const text = pct < 10 ? pct.toFixed(1) : String(Math.round(pct));
  return `${signed ? (x < 0 ? '−' : '+') : ''}${text}%`;
}

const fmtSeconds = (s: number | null): string => (s === null ? '–' : s.toFixed(1));

/** "after round 2 (10.4 s)", "at the start (0.0 s)". */
function when(p: DriftCsvRow): string {
  const at = p.at === 'start' || p.at === 'end' ? `at the ${p.at}` : p.at;
  return p.atS === null ? at : `${at} (${fmtSeconds(p.atS)} s)`;
}

interface MetricStats {
  metric: Metric;
  median: number;
  range: number;
  /** Probes more than DRIFT_THRESHOLD off the median, with their value and deviation. */
  off: { probe: DriftCsvRow; value: number; deviation: number }[];
  /** The probe furthest from the median. */
  largest: { probe: DriftCsvRow; deviation: number };
}

function statsOf(probes: readonly DriftCsvRow[], metric: Metric): MetricStats | undefined {
  const points = probes
    .map((probe) => ({ probe, value: probe[metric.key] }))
    .filter((p): p is { probe: DriftCsvRow; value: number } => p.value !== null && p.value > 0);
  if (points.length < 2) return undefined;
  const values = points.map((p) => p.value);
  const m = median(values);
  const deviations = points.map((p) => ({ ...p, deviation: p.value / m - 1 }));
  const largest = deviations.reduce((a, b) =>
    Math.abs(b.deviation) > Math.abs(a.deviation) ? b : a,
  );
  return {
    metric,
    median: m,
    range: Math.max(...values) / Math.min(...values) - 1,
    off: deviations.filter((d) => Math.abs(d.deviation) > DRIFT_THRESHOLD),
    largest,
  };
}

/** The rounds on either side of probe p (p = 0 before round 1, p = r after round r). */
function roundsAround(probe: number, rounds: number): number[] {
  return [probe, probe + 1].filter((r) => r >= 1 && r <= rounds);
}

const roundList = (rounds: readonly number[]): string =>
  `${rounds.length === 1 ? 'round' : 'rounds'} ${listing(rounds.map(String))}`;

export function driftSection(run: RunData): string[] {
  const probes = run.drift;
  if (probes.length === 0) return [];
  const metrics = METRICS.filter((m) => probes.some((p) => p[m.key] !== null));
  const out: string[] = [
    '## Drift during the run',
    '',
    `Before the first round, between rounds and after the last, the run timed fixed references (src/measure/drift.ts), each the median of a few executions: a fixed JavaScript loop (host loop: the CPU alone), one tiny dispatch submitted and awaited (round trip: ${webgpuIn(run.context).webgpu}, the driver and the GPU waking up), and 1000 tiny dispatches in one pass (chain: per dispatch, wall and GPU busy); and the CPU clock where the OS reports it. They show how much the machine itself moved while the cases were measured, and when.`,
    '',
    ...table(
      ['probe', 's since start', ...metrics.map((m) => m.column)],
      probes.map((p) => [p.at, fmtSeconds(p.atS), ...metrics.map((m) => fmtValue(m, p[m.key]))]),
    ),
    '',
  ];
  const stats = metrics
    .map((m) => statsOf(probes, m))
    .filter((s): s is MetricStats => s !== undefined);
  if (stats.length === 0) {
    out.push('Only one probe was taken: there is no range over the run to report.', '');
    return out;
  }
  const times = probes.map((p) => p.atS).filter((s): s is number => s !== null);
  const span =
    times.length < 2
      ? ''
      : ` (${fmtSeconds(Math.min(...times))}–${fmtSeconds(Math.max(...times))} s)`;
  out.push(
    `Over the run's ${probes.length} probes${span}, each reference's range, max/min − 1: ${listing(stats.map((s) => `${s.metric.name} ${fmtRelative(s.range, false)}`))}.`,
    '',
  );
  const moved = stats.filter((s) => s.off.length > 0);
  const threshold = `${Math.round(DRIFT_THRESHOLD * 100)}%`;
  if (moved.length === 0) {
    const top = stats.reduce((a, b) =>
      Math.abs(b.largest.deviation) > Math.abs(a.largest.deviation) ? b : a,
    );
    const largest =
      top.largest.deviation === 0
        ? 'every probe equals its median'
        : `the largest deviation: ${top.metric.name}, ${fmtRelative(top.largest.deviation, true)} ${when(top.largest.probe)}`;
    out.push(
      `No probe was more than ${threshold} off its reference's median over the run (${largest}).`,
      '',
    );
    return out;
  }
  out.push(
    `More than ${threshold} off the run's median: ${moved
      .map(
        (s) =>
          `${s.metric.name} (median ${withUnit(s.metric, s.median)}) ${listing(s.off.map((o) => `${withUnit(s.metric, o.value)}, ${fmtRelative(o.deviation, true)}, ${when(o.probe)}`))}`,
      )
      .join('; ')}.`,
    '',
  );
  const rounds = Math.max(
    run.context.options?.sampling?.['rounds'] ?? 0,
    ...probes.map((p) => p.probe),
  );
  if (rounds < 2) {
    out.push(
      "The run had a single round: every case was measured in one visit, so a drift during it moves that case's figure whole, and no repeat interval shows it.",
      '',
    );
    return out;
  }
  const touched = [
    ...new Set(moved.flatMap((s) => s.off.flatMap((o) => roundsAround(o.probe.probe, rounds)))),
  ].sort((a, b) => a - b);
  const where =
    touched.length === 0
      ? ''
      : `What the probes saw falls in ${roundList(touched)} (the rounds on either side of those probes). `;
  out.push(
    `${where}Every case is visited once per round, so a drift within one round touches one of each case's ${rounds} round medians, not the whole case; each case's 95% repeat interval is computed from the spread between its round medians, so it carries that drift.`,
    '',
  );
  return out;
}
