/** The console summary at the end of a run: one block per workload and size. Never times. */
import { caseMetrics, speedup } from '../stats/metrics.ts';
import type { CaseResult } from '../stats/result.ts';
import type { SelfCheckRow } from '../measure/self-check.ts';
import type { BandwidthRow } from '../measure/bandwidth.ts';
import type { ClockHoldStats } from '../gpu/clock-hold.ts';
import type { DriftRow } from '../measure/drift.ts';
import { workloadById } from '../workloads/index.ts';
import { markText, noiseLine, noiseRule, runNoise, type NoiseRow } from './noise.ts';

function fmt(value: number | null, digits = 3): string {
  if (value === null || !Number.isFinite(value)) return '-';
  if (Math.abs(value) >= 1000) return value.toFixed(0);
  return value.toPrecision(digits);
}

export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  // Numbers right-aligned, text left-aligned: a column is numeric when every filled cell starts
  // like a number ('-' alone marks a missing value).
  const numeric = header.map(
    (_, i) =>
      rows.every((r) => /^(-|[-+]?\d.*)?$/.test(r[i] ?? '')) &&
      rows.some((r) => /^[-+]?\d/.test(r[i] ?? '')),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (numeric[i] === true ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The repeat interval's upper half-width as ±x%, or '-' where there is none. */
function repeatHalfWidth(hi: number | null | undefined, centre: number | undefined): string {
  if (hi === null || hi === undefined || centre === undefined || !(centre > 0)) return '-';
  const half = hi / centre - 1;
  return half > 1 ? '±>100%' : `±${(half * 100).toFixed(1)}%`;
}

/**
 * How a result's group is named and its times shown: per kernel, or for a workload with named
 * shapes (`decode`) per execution (a step), its axes named as the workload means them.
 */
function unitOf(r: CaseResult): { key: string; unit: string; scale: number } {
  const p = r.params;
  const meaning =
    p.preset === undefined
      ? undefined
      : workloadById(r.workload.split(':')[0] ?? '')?.presets?.meaning;
  if (meaning === undefined)
    return {
      key: `${r.workload}  elements=${p.elements}  K=${p.kernels}  intensity=${p.intensity}  wg=${p.workgroupSize}`,
      unit: 'kernel',
      scale: 1,
    };
  const name = (text: string): string => text.replace(/ /g, '-');
  return {
    key: `${r.workload}  ${name(meaning.elements)}=${p.elements}  ${name(meaning.kernels)}=${p.kernels}  wg=${p.workgroupSize}`,
    unit: 'step',
    scale: p.kernels,
  };
}

/** A result as the noise rule reads it (summary.csv's figures: µs per kernel). */
function noiseRow(r: CaseResult): NoiseRow & { result: CaseResult } {
  const us = (ns: number | null | undefined): number | null =>
    ns === null || ns === undefined ? null : ns / 1e3 / r.params.kernels;
  return {
    result: r,
    status: r.status,
    enoughSamples: r.enoughSamples,
    wallUsPerKernel: us(r.wallNs?.median),
    wallUsPerKernelHi95: us(r.wallRounds?.hi95),
    gpuBusyUsPerKernel: us(r.gpuBusyNs?.median),
    gpuBusyUsPerKernelHi95: us(r.gpuBusyRounds?.hi95),
  };
}

/**
 * One block per workload and size, then the run's typical repeat interval once (src/report/
 * noise.ts): a row's note carries † and its own half-width only where it is worse than that.
 * `maxNoise` is the run's noise target (options.sampling.maxNoise).
 */
export function summaryTable(results: readonly CaseResult[], maxNoise?: number): string {
  const noiseRows = results.map(noiseRow);
  const noise = runNoise(noiseRows, maxNoise ?? null);
  const marks = new Map(
    [...noise.marks].map(([row, mark]) => [row.result, markText(mark)] as const),
  );
  const groups = new Map<string, CaseResult[]>();
  for (const r of results) {
    const { key } = unitOf(r);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const blocks: string[] = [];
  for (const [key, members] of groups) {
    const { unit, scale } = unitOf(members[0] as CaseResult);
    const per = (v: number | null): number | null => (v === null ? null : v * scale);
    const baseline = members.find((m) => m.strategy === 'submit-wait');
    const rows = members.map((r) => {
      if (r.status !== 'ok') return [r.strategy, r.status, '', '', '', '', '', r.reason];
      const m = caseMetrics(r);
      const hi = r.wallRounds?.hi95;
      return [
        r.strategy,
        fmt(per(m.wallUsPerKernel)),
        repeatHalfWidth(hi, r.wallNs?.median),
        fmt(per(m.gpuBusyUsPerKernel)),
        fmt(per(m.launchOverheadUsPerKernel)),
        m.utilization === null ? '-' : `${(m.utilization * 100).toFixed(0)}%`,
        baseline === undefined ? '-' : `${fmt(speedup(r, baseline))}x`,
        [r.reason, marks.get(r) ?? ''].filter((t) => t !== '').join('; '),
      ];
    });
    blocks.push(
      `${key}\n${formatTable(
        [
          'strategy',
          `wall µs/${unit}`,
          'repeat ±95%',
          `GPU busy µs/${unit}`,
          `overhead µs/${unit}`,
          'GPU util',
          'vs submit-wait',
          'note',
        ],
        rows,
      )}`,
    );
  }
  const line = noiseLine(noise, true);
  const rule = noiseRule(noise);
  const footer = line === undefined || rule === undefined ? [] : [`${line}\n${rule}`];
  return [...blocks, ...footer].join('\n\n');
}

export function selfCheckTable(rows: readonly SelfCheckRow[]): string {
  const first = rows[0];
  if (first === undefined) return 'self-check: nothing compared';
  return `self-check: harness vs hand-written loops (src/measure/minimal-loops.ts), map, ${first.elements} elements, K=${first.kernels}, median over ${first.pairs} alternated pairs of single executions\n${formatTable(
    ['strategy', 'harness µs/kernel', 'minimal µs/kernel', 'ratio', 'ratio p10…p90'],
    rows.map((r) => [
      r.strategy,
      fmt(r.harnessUsPerKernel),
      fmt(r.minimalUsPerKernel),
      r.ratio.toFixed(3),
      `${r.ratioP10.toFixed(2)}…${r.ratioP90.toFixed(2)}`,
    ]),
  )}`;
}

export function bandwidthTable(rows: readonly BandwidthRow[]): string {
  const first = rows[0];
  if (first === undefined) return 'bandwidth: not measured';
  const mib = first.bytes / 2 ** 20;
  const peak =
    first.peakGBps === null ? '' : `; peak ${first.peakGBps} GB/s (${first.peakSource ?? ''})`;
  const pct = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(0)}%`);
  // the same readings for every row: the rounds are shared
  const clock =
    first.clockChainUs === null || first.clockChainUsMax === null
      ? ''
      : `; clock chain ${fmt(first.clockChainUs)} µs as the rounds began, slowest ${fmt(first.clockChainUsMax)} (∝ 1/shader clock, as the drift probe's)`;
  return `bandwidth reference: ${mib} MiB, bytes read + written (stream-read: read), ${first.repeats} repeats per sample, median of ${first.samples}${peak}${clock}\n${formatTable(
    ['method', 'workgroups', 'wall GB/s', 'GPU GB/s', 'of copy', 'of peak'],
    rows.map((r) => [
      r.method,
      r.workgroups === null ? '-' : String(r.workgroups),
      fmt(r.wallGBps),
      fmt(r.gpuGBps),
      pct(r.ofCopy),
      pct(r.ofPeak),
    ]),
  )}`;
}

/** What the clock hold did (src/gpu/clock-hold.ts), in one line. */
export function clockHoldLine(hold: ClockHoldStats | { off: string }): string {
  if ('off' in hold) return `clock hold: off (${hold.off})`;
  const lowest =
    hold.lowestRel === null
      ? ''
      : `, lowest reading ${Math.round(hold.lowestRel * 100)}% of the reference`;
  return `clock hold: ${hold.lowered} of ${hold.checks} checks found the shader clock lowered and spun it back up (${(hold.spinMs / 1000).toFixed(1)} s spinning, ${(hold.totalMs / 1000).toFixed(1)} s in all, between samples${lowest})${hold.notRestored > 0 ? `; ${hold.notRestored} not brought back in time` : ''}`;
}

/** One line per drift-probe figure: its range over the run (src/measure/drift.ts). */
export function driftTable(rows: readonly DriftRow[]): string {
  if (rows.length === 0) return 'drift probe: not measured';
  const figures: [string, (r: DriftRow) => number | null][] = [
    ['host loop µs', (r) => r.hostLoopUs],
    ['round trip µs', (r) => r.roundTripUs],
    ['1000-dispatch chain µs/dispatch', (r) => r.chainWallUsPerKernel],
    ['chain GPU busy µs/dispatch', (r) => r.chainGpuBusyUsPerKernel],
    ['clock chain GPU µs (∝ 1/shader clock)', (r) => r.clockChainUs],
  ];
  const lines = figures.flatMap(([name, pick]) => {
    const values = rows.map(pick).filter((v): v is number => v !== null && Number.isFinite(v));
    if (values.length === 0) return [];
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    return [[name, fmt(lo), fmt(hi), `${((hi / lo - 1) * 100).toFixed(0)}%`]];
  });
  return `drift probe: ${rows.length} probes between rounds (drift.csv)\n${formatTable(['figure', 'min', 'max', 'max/min − 1'], lines)}`;
}

/** One case of a dry run: what would run, and its estimated floor. */
export interface PlannedCase {
  group: string;
  strategy: string;
  /** Seconds the case's sample floor and warm-ups should take; null without a calibration. */
  floorS: number | null;
  /** Why it would not run; '' when it would. */
  leftOut: string;
}

/** `bench --dry-run`: the expanded plan, case by case, and what it should take. */
export function planTable(cases: readonly PlannedCase[], totalS: number | null): string {
  const table = formatTable(
    ['case', 'strategy', 'floor s (est.)', 'runs'],
    cases.map((c) => [
      c.group,
      c.strategy,
      c.floorS === null ? '-' : c.floorS.toFixed(2),
      c.leftOut === '' ? 'yes' : `no: ${c.leftOut}`,
    ]),
  );
  const running = cases.filter((c) => c.leftOut === '').length;
  const total =
    totalS === null
      ? ''
      : `; about ${Math.ceil(totalS)} s of sampling and warm-up (each case's floor or its share of --max-time, whichever is more)`;
  return `${table}\n\n${running} of ${cases.length} case(s) would run${total}`;
}
