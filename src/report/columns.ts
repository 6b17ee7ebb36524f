/**
 * The CSV schema: one summary row per case, one sample row per timed execution. Column names carry
 * their unit. Readers must ignore unknown columns; SCHEMA_VERSION changes when a column changes
 * meaning or is removed (see results/README.md).
 */
import { caseMetrics, speedup } from '../measure/metrics.ts';
import type { CaseResult, Sample } from '../measure/result.ts';

export const SCHEMA_VERSION = 1;

export type Cell = string | number | boolean | null;

const round = (value: number | null, digits = 4): number | null =>
  value === null || !Number.isFinite(value) ? null : Number(value.toPrecision(digits + 2));

function paramsKey(r: CaseResult): string {
  const p = r.params;
  return `${r.workload}/${p.elements}/${p.kernels}/${p.intensity}/${p.workgroupSize}`;
}

/** Summary rows for all results so far; speed-ups against the baselines measured on equal work. */
export function summaryRows(results: readonly CaseResult[]): Record<string, Cell>[] {
  const byKey = new Map<string, CaseResult>();
  for (const r of results) byKey.set(`${paramsKey(r)}#${r.strategy}`, r);
  return results.map((r) => {
    const m = caseMetrics(r);
    const p = r.params;
    return {
      workload: r.workload,
      strategy: r.strategy,
      program: r.program,
      elements: p.elements,
      kernels: p.kernels,
      intensity: p.intensity,
      workgroupSize: p.workgroupSize,
      status: r.status,
      verified: r.verified,
      verifiedElements: r.verifiedElements,
      reason: r.reason,
      wallSamples: r.wallNs?.n ?? 0,
      gpuSamples: r.gpuBusyNs?.n ?? 0,
      droppedGpuSamples: r.droppedGpuSamples,
      converged: r.converged,
      wallNoise: round(m.wallNoise),
      wallUsPerKernel: round(m.wallUsPerKernel),
      wallUsPerKernelP10: round(m.wallUsPerKernelP10),
      wallUsPerKernelP90: round(m.wallUsPerKernelP90),
      gpuBusyUsPerKernel: round(m.gpuBusyUsPerKernel),
      gpuBusyUsPerKernelP10: round(m.gpuBusyUsPerKernelP10),
      gpuBusyUsPerKernelP90: round(m.gpuBusyUsPerKernelP90),
      gpuIdleUsPerKernel: round(m.gpuIdleUsPerKernel),
      launchOverheadUsPerKernel: round(m.launchOverheadUsPerKernel),
      utilization: round(m.utilization),
      encodeUsPerKernel: round(m.encodeUsPerKernel),
      submitUsPerKernel: round(m.submitUsPerKernel),
      waitUs: round(m.waitUs),
      preEncodeUsPerKernel: round(m.preEncodeUsPerKernel),
      wallUsTotal: round(m.wallUsTotal),
      wallWithTimestampsUsPerKernel: round(m.wallWithTimestampsUsPerKernel),
      timestampOverheadUsPerKernel: round(m.timestampOverheadUsPerKernel),
      speedupVsSubmitWait: round(speedup(r, byKey.get(`${paramsKey(r)}#submit-wait`))),
      speedupVsDispatchEach: round(speedup(r, byKey.get(`${paramsKey(r)}#dispatch-each`))),
      persistentWorkgroups:
        r.program === 'persistent' ? (r.notes['persistentWorkgroups'] ?? null) : null,
      notes: Object.entries(r.notes)
        .map(([k, v]) => `${k}=${v}`)
        .join(';'),
      caseElapsedMs: round(r.elapsedMs),
    };
  });
}

export const SAMPLE_COLUMNS = [
  'caseId',
  'index',
  'kind',
  'wallNs',
  'encodeNs',
  'submitNs',
  'waitNs',
  'preEncodeNs',
  'gpuBusyNs',
  'gpuIdleNs',
  'gpuSpanNs',
] as const satisfies readonly (keyof Sample)[];

export function sampleRow(s: Sample): Cell[] {
  return SAMPLE_COLUMNS.map((c) => {
    const v = s[c];
    return typeof v === 'number' ? Math.round(v) : v;
  });
}
