/**
 * The one-call form of the library (src/index.ts): measure one strategy on one case of a
 * registered workload (or a `Workload` of your own) the way `bench` does — verified against the
 * workload's CPU reference on a fresh input, warmed up, sampled to the floor — without filling
 * the sampling options, the input and the reference by hand.
 */
import {
  closeWhenIdle,
  openGpu,
  withErrorScopes,
  type GpuContext,
  type GpuOptions,
} from './gpu/context.ts';
import { caseMetrics, type CaseMetrics } from './stats/metrics.ts';
import type { CaseResult, Sample } from './stats/result.ts';
import type { SamplingOptions } from './measure/run-case.ts';
import { defaultPersistentWorkgroups, measureCase } from './run.ts';
import { strategyById } from './strategies/index.ts';
import type { Strategy } from './strategies/types.ts';
import { workloadById } from './workloads/index.ts';
import { seededRandom } from './workloads/random.ts';
import type { CaseParams, Workload } from './workloads/types.ts';

/** The quick profile's sampling in one round: 10 + 10 samples, about a second per case. */
export const DEFAULT_SAMPLING: SamplingOptions = {
  rounds: 1,
  warmupMs: 50,
  minWarmup: 2,
  minSamples: 10,
  maxSamples: 150,
  maxTimeMs: 200,
  maxNoise: 0.05,
  stallTimeoutMs: 60_000,
};

export interface MeasureOptions {
  /** A registered workload's id (`map`, `decode`, …) or a workload of your own. */
  workload: string | Workload;
  /** A registered strategy's id (`dispatch-each`, …) or a strategy of your own. */
  strategy: string | Strategy;
  /** The case; defaults: 64 elements, K = 100, intensity 0, workgroups of 64. */
  params?: Partial<CaseParams>;
  sampling?: Partial<SamplingOptions>;
  /** An open device to use (left open); otherwise one is opened and closed. */
  ctx?: GpuContext;
  gpu?: GpuOptions;
  /** Seed of the input (default: from the clock). */
  seed?: number;
  /** Timestamp queries for GPU busy time (default true where the adapter has them). */
  timestamps?: boolean;
}

export interface Measured {
  result: CaseResult;
  samples: Sample[];
  /** Per-kernel figures derived from the result (wall, GPU busy, launch overhead, …), µs. */
  metrics: CaseMetrics;
}

/** Verifies and measures one case; a wrong result comes back as `status: 'failed'`. */
export async function measureOne(options: MeasureOptions): Promise<Measured> {
  const workload =
    typeof options.workload === 'string' ? workloadById(options.workload) : options.workload;
  if (workload === undefined)
    throw new RangeError(`unknown workload '${options.workload as string}'`);
  const strategy =
    typeof options.strategy === 'string' ? strategyById(options.strategy) : options.strategy;
  if (strategy === undefined)
    throw new RangeError(`unknown strategy '${options.strategy as string}'`);
  const ctx = options.ctx ?? (await openGpu(options.gpu));
  try {
    const workgroupSize = options.params?.workgroupSize ?? 64;
    const params: CaseParams = {
      elements: 64,
      kernels: 100,
      intensity: 0,
      workgroupSize,
      persistentWorkgroups: defaultPersistentWorkgroups(ctx, workgroupSize),
      ...options.params,
    };
    const problem = workload.checkLimits(params, ctx.limits);
    if (problem !== undefined) throw new RangeError(problem);
    const prepared = await withErrorScopes(ctx.device, () =>
      workload.prepare(ctx.device, params, ctx.limits),
    );
    try {
      const input = workload.makeInput(params, seededRandom(options.seed ?? Date.now() >>> 0));
      const { result, samples } = await measureCase({
        ctx,
        workload,
        strategy,
        params,
        prepared,
        input,
        expected: { values: workload.reference(input, params) },
        sampling: { ...DEFAULT_SAMPLING, ...options.sampling },
        verify: true,
        timestamps:
          options.timestamps !== false && ctx.hasTimestamps ? 'per-command-buffer' : undefined,
        shouldStop: () => false,
      });
      return { result, samples, metrics: caseMetrics(result) };
    } finally {
      prepared.destroy();
    }
  } finally {
    if (options.ctx === undefined) await closeWhenIdle(ctx, 5_000);
  }
}
