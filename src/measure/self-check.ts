/**
 * Harness check: the suite's wall time per kernel against the hand-written loops of
 * bench/minimal-loops.ts (timed by tinybench), on the same device and the same case, measured back
 * to back. A ratio near 1 means the harness adds nothing measurable to what it reports.
 */
import { minimalLoops } from '../../bench/minimal-loops.ts';
import { caseMetrics } from './metrics.ts';
import type { CaseResult } from './result.ts';

export interface SelfCheckRow {
  strategy: string;
  elements: number;
  kernels: number;
  harnessUsPerKernel: number;
  minimalUsPerKernel: number;
  minimalSamples: number;
  /** harness / minimal: 1.05 means the harness reports 5% more than the plain loop. */
  ratio: number;
}

/** The tiny-kernel case of the run: fewest elements, most kernels, of `map` at intensity 0. */
export function selfCheckCase(
  results: readonly CaseResult[],
): { elements: number; kernels: number } | undefined {
  const candidates = results.filter(
    (r) =>
      r.workload === 'map' &&
      r.status === 'ok' &&
      r.params.intensity === 0 &&
      r.params.workgroupSize === 64,
  );
  if (candidates.length === 0) return undefined;
  const elements = Math.min(...candidates.map((r) => r.params.elements));
  const kernels = Math.max(
    ...candidates.filter((r) => r.params.elements === elements).map((r) => r.params.kernels),
  );
  return { elements, kernels };
}

export async function selfCheck(
  device: GPUDevice,
  results: readonly CaseResult[],
  timeMs: number,
): Promise<SelfCheckRow[]> {
  const target = selfCheckCase(results);
  if (target === undefined) return [];
  const loops = await minimalLoops(device, target.elements, target.kernels, timeMs);
  const rows: SelfCheckRow[] = [];
  for (const loop of loops) {
    const harness = results.find(
      (r) =>
        r.workload === 'map' &&
        r.strategy === loop.strategy &&
        r.params.elements === target.elements &&
        r.params.kernels === target.kernels &&
        r.params.intensity === 0,
    );
    const wall = harness === undefined ? null : caseMetrics(harness).wallUsPerKernel;
    if (wall === null) continue;
    rows.push({
      strategy: loop.strategy,
      elements: target.elements,
      kernels: target.kernels,
      harnessUsPerKernel: wall,
      minimalUsPerKernel: loop.medianUsPerKernel,
      minimalSamples: loop.samples,
      ratio: wall / loop.medianUsPerKernel,
    });
  }
  return rows;
}
