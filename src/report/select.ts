/**
 * Picks what the report and the charts talk about from a run read back from its files: the
 * strategies in the run's order, the workloads, the parameter groups, and the "tiny case" of a
 * workload (smallest elements, largest K: where launch cost shows most). Pure functions.
 */
import type { RunData, SummaryRow } from './read-run.ts';
import { dominates } from '../stats/state.ts';

/** Distinct values in first-seen order. */
export function distinct<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}

/** Strategies in the order the run measured them (the registry's order). */
export function strategyOrder(run: RunData): string[] {
  return distinct(run.summary.map((r) => r.strategy));
}

export function workloadsOf(run: RunData): string[] {
  return distinct(run.summary.map((r) => r.workload));
}

/** The workloads whose rows are per kernel (not per step: those have their own section). */
export function perKernelWorkloads(run: RunData): string[] {
  return distinct(run.summary.filter((r) => r.unit === 'kernel').map((r) => r.workload));
}

/** Measured: status ok with a wall figure (on the sample floor or not). */
export const isMeasured = (r: SummaryRow): boolean =>
  r.status === 'ok' && r.wallUsPerKernel !== null;

/**
 * Usable: measured and on the sample floor. A case under the floor (enoughSamples false) is shown
 * in its table, marked, but headlines, charts and sentences never use it. Runs made before the
 * column existed (null) count as on the floor.
 */
export const isOk = (r: SummaryRow): boolean => isMeasured(r) && r.enoughSamples !== false;

/** The parameter group of a row: every case key column except the strategy. */
export function groupKey(r: SummaryRow): string {
  return `${r.workload}|${r.elements}|${r.kernels}|${r.intensity}|${r.workgroupSize}`;
}

/** Rows by parameter group, groups sorted by workload (run order), intensity, wg, K, elements. */
export function groups(run: RunData): SummaryRow[][] {
  const byKey = new Map<string, SummaryRow[]>();
  for (const r of run.summary) byKey.set(groupKey(r), [...(byKey.get(groupKey(r)) ?? []), r]);
  const workloadRank = new Map(workloadsOf(run).map((w, i) => [w, i]));
  const rank = (r: SummaryRow): number[] => [
    workloadRank.get(r.workload) ?? 0,
    r.intensity,
    r.workgroupSize,
    r.kernels,
    r.elements,
  ];
  return [...byKey.values()].sort((a, b) => {
    const ra = rank(a[0] as SummaryRow);
    const rb = rank(b[0] as SummaryRow);
    for (let i = 0; i < ra.length; i++) {
      const d = (ra[i] ?? 0) - (rb[i] ?? 0);
      if (d !== 0) return d;
    }
    return 0;
  });
}

/** (intensity, workgroup size) variants of a workload, as labels, in ascending order. */
export function variantOf(r: SummaryRow): string {
  return `intensity ${r.intensity}, workgroup ${r.workgroupSize}`;
}

/**
 * The tiny case of a workload: the parameter group with the smallest element count and the
 * largest K (at the lowest intensity and smallest workgroup size measured), where launch
 * overhead weighs most. Undefined when the workload has no ok case.
 */
export function tinyCase(run: RunData, workload: string): SummaryRow[] | undefined {
  const rows = run.summary.filter((r) => r.workload === workload);
  const ok = rows.filter(isOk);
  if (ok.length === 0) return undefined;
  const intensity = Math.min(...ok.map((r) => r.intensity));
  const atIntensity = ok.filter((r) => r.intensity === intensity);
  const wg = Math.min(...atIntensity.map((r) => r.workgroupSize));
  const atWg = atIntensity.filter((r) => r.workgroupSize === wg);
  const elements = Math.min(...atWg.map((r) => r.elements));
  const atElements = atWg.filter((r) => r.elements === elements);
  const kernels = Math.max(...atElements.map((r) => r.kernels));
  return rows.filter(
    (r) =>
      r.intensity === intensity &&
      r.workgroupSize === wg &&
      r.elements === elements &&
      r.kernels === kernels,
  );
}

/** A file-name-safe form of an id. */
export function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'x'
  );
}

/**
 * Whether a run's GPU busy figures pull a wild round in (schema 5 on: src/stats/robust.ts
 * roundCentreLog); older runs state the plain geometric mean of their round medians.
 */
export const wildPulledIn = (run: RunData): boolean => (run.context.schemaVersion ?? 0) >= 5;

/**
 * Which of a run's figures are stated at its typical state (src/measure/run-case.ts atRunState):
 * from schema 4 on, in a run that went to its end, each metric whose cases' state lines explain
 * nearly all of it (dominates, on summary.csv's R²).
 */
export function atTypicalStateOf(run: RunData): { wall: boolean; gpuBusy: boolean } {
  const c = run.context;
  const finished = c.complete !== false && c.interrupted !== true && !c.deviceLost;
  const applies = (c.schemaVersion ?? 0) >= 4 && finished;
  return {
    wall: applies && dominates(run.summary.map((r) => r.wallStateR2)),
    gpuBusy: applies && dominates(run.summary.map((r) => r.gpuBusyStateR2)),
  };
}
