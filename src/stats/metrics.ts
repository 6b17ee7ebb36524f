/**
 * Derived per-case metrics: what a reader compares across strategies. Per-kernel figures divide
 * one execution of all K kernels by K, so a fused or persistent kernel's figure is per
 * kernel-equivalent of the same work.
 */
import type { CaseResult } from './result.ts';

export interface CaseMetrics {
  wallUsPerKernel: number | null;
  wallUsPerKernelP10: number | null;
  wallUsPerKernelP90: number | null;
  wallNoise: number | null;
  gpuBusyUsPerKernel: number | null;
  gpuBusyUsPerKernelP10: number | null;
  gpuBusyUsPerKernelP90: number | null;
  gpuIdleUsPerKernel: number | null;
  /**
   * (median wall − median GPU busy) / K: time per kernel the GPU spent not executing kernels
   * (host encode/submit, scheduling, completion signalling). Wall comes from the samples without
   * timestamp queries, busy from those with them; on a device where the queries slow execution
   * itself (a CPU device sharing cores with the host) this can come out negative.
   */
  launchOverheadUsPerKernel: number | null;
  /** median GPU busy / median wall. */
  utilization: number | null;
  /** Wall time of the GPU samples (with timestamp queries), per kernel. */
  wallWithTimestampsUsPerKernel: number | null;
  gpuBusyNoise: number | null;
  encodeUsPerKernel: number | null;
  encodeUsPerKernelP10: number | null;
  encodeUsPerKernelP90: number | null;
  submitUsPerKernel: number | null;
  submitUsPerKernelP10: number | null;
  submitUsPerKernelP90: number | null;
  /** Bounds on the completion latency per submit, µs (see Sample.completionLowerNs). */
  completionLatencyLowerUs: number | null;
  completionLatencyUpperUs: number | null;
  completionLatencyUpperUsP10: number | null;
  completionLatencyUpperUsP90: number | null;
  /** Host wait from the last submit returning until completion was seen, per execution. */
  waitUs: number | null;
  /** Encoding done outside the timer (prerecorded), per kernel. */
  preEncodeUsPerKernel: number | null;
  wallUsTotal: number | null;
  /** Wall time of the GPU samples minus that of the wall samples: what the queries cost. */
  timestampOverheadUsPerKernel: number | null;
}

const US_PER_NS = 1e-3;

export function caseMetrics(result: CaseResult): CaseMetrics {
  const k = result.params.kernels;
  const perKernel = (ns: number | undefined): number | null =>
    ns === undefined || !Number.isFinite(ns) ? null : (ns * US_PER_NS) / k;
  const us = (ns: number | undefined): number | null =>
    ns === undefined || !Number.isFinite(ns) ? null : ns * US_PER_NS;
  const wall = result.wallNs;
  const busy = result.gpuBusyNs;
  return {
    wallUsPerKernel: perKernel(wall?.median),
    wallUsPerKernelP10: perKernel(wall?.p10),
    wallUsPerKernelP90: perKernel(wall?.p90),
    wallNoise: wall === null || !Number.isFinite(wall.medianNoise) ? null : wall.medianNoise,
    gpuBusyUsPerKernel: perKernel(busy?.median),
    gpuBusyUsPerKernelP10: perKernel(busy?.p10),
    gpuBusyUsPerKernelP90: perKernel(busy?.p90),
    gpuIdleUsPerKernel: perKernel(result.gpuIdleNs?.median),
    launchOverheadUsPerKernel:
      wall === null || busy === null ? null : perKernel(wall.median - busy.median),
    utilization:
      wall === null || busy === null || wall.median <= 0 ? null : busy.median / wall.median,
    wallWithTimestampsUsPerKernel: perKernel(result.wallWithTimestampsNs?.median),
    gpuBusyNoise: busy === null || !Number.isFinite(busy.medianNoise) ? null : busy.medianNoise,
    encodeUsPerKernel: perKernel(result.encodeNs?.median),
    encodeUsPerKernelP10: perKernel(result.encodeNs?.p10),
    encodeUsPerKernelP90: perKernel(result.encodeNs?.p90),
    submitUsPerKernel: perKernel(result.submitNs?.median),
    submitUsPerKernelP10: perKernel(result.submitNs?.p10),
    submitUsPerKernelP90: perKernel(result.submitNs?.p90),
    completionLatencyLowerUs: us(result.completionLowerNs?.median),
    completionLatencyUpperUs: us(result.completionUpperNs?.median),
    completionLatencyUpperUsP10: us(result.completionUpperNs?.p10),
    completionLatencyUpperUsP90: us(result.completionUpperNs?.p90),
    waitUs: result.waitNs === null ? null : result.waitNs.median * US_PER_NS,
    preEncodeUsPerKernel: perKernel(result.preEncodeNs?.median),
    wallUsTotal: wall === null ? null : wall.median * US_PER_NS,
    timestampOverheadUsPerKernel:
      wall === null || result.wallWithTimestampsNs === null
        ? null
        : perKernel(result.wallWithTimestampsNs.median - wall.median),
  };
}

export interface Speedup {
  speedup: number;
  /** Its 95% interval (a second run's figure should fall in it); null without one. */
  lo95: number | null;
  hi95: number | null;
}

/**
 * Speed-up of `result` over `baseline` on the same parameters, baseline wall / this wall: from
 * the two cases' samples paired turn by turn where the run paired them (src/stats/paired.ts),
 * else the ratio of their wall figures (no interval).
 */
export function speedupOf(result: CaseResult, baseline: CaseResult | undefined): Speedup | null {
  if (baseline === undefined || result.wallNs === null || baseline.wallNs === null) return null;
  if (result.status !== 'ok' || baseline.status !== 'ok') return null;
  const paired = result.pairedWallRatios?.[baseline.strategy];
  if (paired !== undefined)
    return {
      speedup: 1 / paired.ratio,
      lo95: paired.hi95 === null ? null : 1 / paired.hi95,
      hi95: paired.lo95 === null ? null : 1 / paired.lo95,
    };
  return { speedup: baseline.wallNs.median / result.wallNs.median, lo95: null, hi95: null };
}

export const speedup = (result: CaseResult, baseline: CaseResult | undefined): number | null =>
  speedupOf(result, baseline)?.speedup ?? null;
