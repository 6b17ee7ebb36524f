/**
 * The CSV schema: one summary row per case, one sample row per timed execution. Column names carry
 * their unit. Readers must ignore unknown columns; SCHEMA_VERSION changes when a column changes
 * meaning or is removed (see results/README.md).
 */
import { caseMetrics, speedup, speedupOf, type CaseMetrics } from '../stats/metrics.ts';
import { crossovers, kernelFits, type Crossover, type KernelFit } from '../stats/fit.ts';
import type { CaseResult, Sample } from '../stats/result.ts';

export const SCHEMA_VERSION = 5;

export type Cell = string | number | boolean | null;

const round = (value: number | null, digits = 4): number | null =>
  value === null || !Number.isFinite(value) ? null : Number(value.toPrecision(digits + 2));

/** A record with every non-integer rounded to 6 significant digits (CSV readability). */
export function roundRecord(record: object): Record<string, Cell> {
  const out: Record<string, Cell> = {};
  for (const [k, v] of Object.entries(record)) {
    // Integers (sizes, counts) stay exact; measured values get 6 significant digits.
    out[k] = typeof v === 'number' && !Number.isInteger(v) ? round(v) : (v as Cell);
  }
  return out;
}

/** ns per execution of all K kernels → µs per kernel; null when absent. */
const perKernelUs = (r: CaseResult, ns: number | null | undefined): number | null =>
  ns === null || ns === undefined ? null : ns / 1e3 / r.params.kernels;

const numberNote = (r: CaseResult, name: string): number | null => {
  const v = r.notes[name];
  return typeof v === 'number' ? v : null;
};

function paramsKey(r: CaseResult): string {
  const p = r.params;
  return `${r.workload}/${p.elements}/${p.kernels}/${p.intensity}/${p.workgroupSize}`;
}

/** The other results a summary row compares its case with, indexed over all results. */
interface Comparisons {
  /** Every result by its parameters and strategy (`paramsKey#strategy`). */
  byKey: Map<string, CaseResult>;
  /** The fits across K, by workload, strategy, size, intensity and workgroup size. */
  fits: Map<string, KernelFit>;
  /** The crossovers across sizes, by workload, strategy, K, intensity and workgroup size. */
  crossovers: Map<string, Crossover>;
}

/** The baselines, fits and crossovers of all results, indexed for the summary rows. */
function comparisons(results: readonly CaseResult[]): Comparisons {
  const byKey = new Map<string, CaseResult>();
  for (const r of results) byKey.set(`${paramsKey(r)}#${r.strategy}`, r);
  const fits = new Map(
    kernelFits(results).map((f) => [
      `${f.workload}/${f.strategy}/${f.elements}/${f.intensity}/${f.workgroupSize}`,
      f,
    ]),
  );
  const cross = new Map(
    crossovers(results).map((c) => [
      `${c.workload}/${c.strategy}/${c.kernels}/${c.intensity}/${c.workgroupSize}`,
      c,
    ]),
  );
  return { byKey, fits, crossovers: cross };
}

/** Which case it is (workload, strategy, parameters) and how it ended (status, verification). */
function caseColumns(r: CaseResult): Record<string, Cell> {
  const p = r.params;
  return {
    workload: r.workload,
    strategy: r.strategy,
    program: r.program,
    unit: r.unit,
    elements: p.elements,
    kernels: p.kernels,
    intensity: p.intensity,
    workgroupSize: p.workgroupSize,
    status: r.status,
    verified: r.verified,
    verifiedElements: r.verifiedElements,
    reason: r.reason,
  };
}

/** How it was sampled: the samples and rounds kept, dropped, and whether they were enough. */
const samplingColumns = (r: CaseResult): Record<string, Cell> => ({
  wallSamples: r.wallNs?.n ?? 0,
  gpuSamples: r.gpuSamplesTaken ?? r.gpuBusyNs?.n ?? 0,
  enoughSamples: r.status === 'ok' ? r.enoughSamples : null,
  gcSamples: r.gcSamples,
  droppedGpuSamples: r.droppedGpuSamples,
  converged: r.converged,
  rounds: r.wallRounds?.rounds ?? 0,
  gpuRounds: r.gpuBusyRounds?.rounds ?? 0,
});

/** Wall time per kernel: its noise, median, repeat interval, rounds' spread and percentiles. */
const wallColumns = (r: CaseResult, m: CaseMetrics): Record<string, Cell> => ({
  wallNoise: round(m.wallNoise),
  wallUsPerKernel: round(m.wallUsPerKernel),
  wallUsPerKernelLo95: round(perKernelUs(r, r.wallRounds?.lo95)),
  wallUsPerKernelHi95: round(perKernelUs(r, r.wallRounds?.hi95)),
  wallRoundSpread: round(r.wallRounds?.spread ?? null),
  wallStateSlope: round(r.wallRounds?.stateSlope ?? null),
  wallStateR2: round(r.wallRounds?.stateR2 ?? null),
  wallUsPerKernelP10: round(m.wallUsPerKernelP10),
  wallUsPerKernelP90: round(m.wallUsPerKernelP90),
});

/**
 * GPU busy time per kernel like the wall's, then what follows from it against the wall: idle
 * time, launch overhead, utilisation; and its noise.
 */
const gpuBusyColumns = (r: CaseResult, m: CaseMetrics): Record<string, Cell> => ({
  gpuBusyUsPerKernel: round(m.gpuBusyUsPerKernel),
  gpuBusyUsPerKernelLo95: round(perKernelUs(r, r.gpuBusyRounds?.lo95)),
  gpuBusyUsPerKernelHi95: round(perKernelUs(r, r.gpuBusyRounds?.hi95)),
  gpuBusyRoundSpread: round(r.gpuBusyRounds?.spread ?? null),
  gpuBusyStateSlope: round(r.gpuBusyRounds?.stateSlope ?? null),
  gpuBusyStateR2: round(r.gpuBusyRounds?.stateR2 ?? null),
  gpuBusyUsPerKernelP10: round(m.gpuBusyUsPerKernelP10),
  gpuBusyUsPerKernelP90: round(m.gpuBusyUsPerKernelP90),
  gpuIdleUsPerKernel: round(m.gpuIdleUsPerKernel),
  launchOverheadUsPerKernel: round(m.launchOverheadUsPerKernel),
  utilization: round(m.utilization),
  gpuBusyNoise: round(m.gpuBusyNoise),
});

/** The host's phases: encoding, submitting, waiting for completion, encoding beforehand. */
const hostColumns = (m: CaseMetrics): Record<string, Cell> => ({
  encodeUsPerKernel: round(m.encodeUsPerKernel),
  encodeUsPerKernelP10: round(m.encodeUsPerKernelP10),
  encodeUsPerKernelP90: round(m.encodeUsPerKernelP90),
  submitUsPerKernel: round(m.submitUsPerKernel),
  submitUsPerKernelP10: round(m.submitUsPerKernelP10),
  submitUsPerKernelP90: round(m.submitUsPerKernelP90),
  completionLatencyLowerUs: round(m.completionLatencyLowerUs),
  completionLatencyUpperUs: round(m.completionLatencyUpperUs),
  completionLatencyUpperUsP10: round(m.completionLatencyUpperUsP10),
  completionLatencyUpperUsP90: round(m.completionLatencyUpperUsP90),
  waitUs: round(m.waitUs),
  preEncodeUsPerKernel: round(m.preEncodeUsPerKernel),
});

/**
 * One execution as a whole (a decode step): wall and GPU busy time, dispatches, the weights read
 * and at what rate, tokens per second; a megakernel's grid barriers timed alone.
 */
function executionColumns(r: CaseResult, m: CaseMetrics): Record<string, Cell> {
  return {
    wallUsTotal: round(m.wallUsTotal),
    gpuBusyUsTotal: round(r.gpuBusyNs === null ? null : r.gpuBusyNs.median / 1e3),
    dispatches: numberNote(r, 'dispatches'),
    weightBytes: numberNote(r, 'weightBytes'),
    weightGBps: round(
      r.gpuBusyNs === null || numberNote(r, 'weightBytes') === null
        ? null
        : (numberNote(r, 'weightBytes') ?? 0) / r.gpuBusyNs.median,
    ),
    tokensPerSecond: round(m.wallUsTotal === null ? null : 1e6 / m.wallUsTotal),
    gridBarriersUsTotal: round(numberNote(r, 'gridBarriersUs')),
  };
}

/** What the timestamp queries cost the wall time, and how GPU busy was measured. */
const timestampColumns = (r: CaseResult, m: CaseMetrics): Record<string, Cell> => ({
  wallWithTimestampsUsPerKernel: round(m.wallWithTimestampsUsPerKernel),
  timestampOverheadUsPerKernel: round(m.timestampOverheadUsPerKernel),
  gpuBusyMethod: r.gpuBusyMethod ?? null,
});

/**
 * The case against the others: speed-ups against the baselines measured on equal work, its
 * strategy's fit across K at its size, and its crossover across sizes at its K.
 */
function comparisonColumns(r: CaseResult, against: Comparisons): Record<string, Cell> {
  const fit = against.fits.get(
    `${r.workload}/${r.strategy}/${r.params.elements}/${r.params.intensity}/${r.params.workgroupSize}`,
  );
  const crossover = against.crossovers.get(
    `${r.workload}/${r.strategy}/${r.params.kernels}/${r.params.intensity}/${r.params.workgroupSize}`,
  );
  const vsDispatchEach = speedupOf(r, against.byKey.get(`${paramsKey(r)}#dispatch-each`));
  return {
    speedupVsSubmitWait: round(speedup(r, against.byKey.get(`${paramsKey(r)}#submit-wait`))),
    speedupVsDispatchEach: round(vsDispatchEach?.speedup ?? null),
    speedupVsDispatchEachLo95: round(vsDispatchEach?.lo95 ?? null),
    speedupVsDispatchEachHi95: round(vsDispatchEach?.hi95 ?? null),
    fitFixedUs: round(fit?.fixedUs ?? null),
    fitPerKernelUs: round(fit?.perKernelUs ?? null),
    fitR2: round(fit?.r2 ?? null),
    fitFlag: fit?.flag ?? null,
    crossoverElements: crossover === undefined ? null : round(crossover.elements),
    crossoverKind: crossover?.kind ?? null,
  };
}

/** The strategy's notes (a persistent kernel's workgroups), and how long the case took. */
const noteColumns = (r: CaseResult): Record<string, Cell> => ({
  persistentWorkgroups:
    r.program === 'persistent' ? (r.notes['persistentWorkgroups'] ?? null) : null,
  notes: Object.entries(r.notes)
    .map(([k, v]) => `${k}=${v}`)
    .join(';'),
  caseElapsedMs: round(r.elapsedMs),
});

/**
 * Summary rows for all results so far, one column group after another; speed-ups against the
 * baselines measured on equal work.
 */
export function summaryRows(results: readonly CaseResult[]): Record<string, Cell>[] {
  const against = comparisons(results);
  return results.map((r) => {
    const m = caseMetrics(r);
    return {
      ...caseColumns(r),
      ...samplingColumns(r),
      ...wallColumns(r, m),
      ...gpuBusyColumns(r, m),
      ...hostColumns(m),
      ...executionColumns(r, m),
      ...timestampColumns(r, m),
      ...comparisonColumns(r, against),
      ...noteColumns(r),
    };
  });
}

/**
 * rounds.csv: one row per case and round, the level that varies (src/stats/state.ts): the
 * case's median wall and GPU busy time per kernel in that round, the process that took it (0 in a
 * run of one process) and the state of the round's visit. compare fits both runs' rounds on their
 * states from it.
 */
export function roundRows(results: readonly CaseResult[]): Record<string, Cell>[] {
  const rows: Record<string, Cell>[] = [];
  for (const r of results) {
    const byRound = new Map<
      number,
      { stateNs: number | null; process: number; wall?: number; gpu?: number }
    >();
    const add = (rs: CaseResult['wallRounds'], key: 'wall' | 'gpu'): void => {
      rs?.roundIds.forEach((round, i) => {
        const row = byRound.get(round) ?? {
          stateNs: rs.roundStatesNs[i] ?? null,
          process: rs.roundProcesses[i] ?? 0,
        };
        const median = rs.roundMedians[i];
        if (median !== undefined) row[key] = median;
        byRound.set(round, row);
      });
    };
    add(r.wallRounds, 'wall');
    add(r.gpuBusyRounds, 'gpu');
    const p = r.params;
    for (const [roundId, v] of [...byRound].sort((x, y) => x[0] - y[0]))
      rows.push({
        workload: r.workload,
        strategy: r.strategy,
        elements: p.elements,
        kernels: p.kernels,
        intensity: p.intensity,
        workgroupSize: p.workgroupSize,
        round: roundId,
        process: v.process,
        stateUs: round(v.stateNs === null ? null : v.stateNs / 1e3),
        wallUsPerKernel: round(perKernelUs(r, v.wall)),
        gpuBusyUsPerKernel: round(perKernelUs(r, v.gpu)),
      });
  }
  return rows;
}

export const SAMPLE_COLUMNS = [
  'caseId',
  'index',
  'round',
  'turn',
  'atMs',
  'gc',
  'kind',
  'wallNs',
  'encodeNs',
  'submitNs',
  'waitNs',
  'preEncodeNs',
  'gpuBusyNs',
  'gpuIdleNs',
  'gpuSpanNs',
  'completionLowerNs',
  'completionUpperNs',
  'clockRel',
] as const satisfies readonly (keyof Sample)[];

export function sampleRow(s: Sample): Cell[] {
  return SAMPLE_COLUMNS.map((c) => {
    const v = s[c];
    if (c === 'atMs' && typeof v === 'number') return Math.round(v * 1000) / 1000;
    if (c === 'clockRel' && typeof v === 'number') return Math.round(v * 1000) / 1000;
    return typeof v === 'number' ? Math.round(v) : v;
  });
}
