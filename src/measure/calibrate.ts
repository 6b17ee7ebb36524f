/**
 * Plans that fit the adapter: a few seconds of calibration before the run measure what launching
 * and executing cost on this adapter, and `estimateExecutionUs` turns them into the time one
 * execution of a case should take. A case whose sample floor alone (plus its warm-ups) would
 * cost more than the per-case budget is left out with the estimate as its reason, instead of
 * holding the run for minutes (a CPU adapter runs `map` at 4 M elements × K = 1000 for seconds
 * per execution). Never prints.
 *
 * Calibration, each the median of a few executions after a warm-up, on `map` (intensity 0 unless
 * named): one submit-and-wait of 64 elements (the round trip); per kernel, `submit-wait`,
 * `submit-each` and `indirect` at 64 elements × K = 20 and `dispatch-each` at 64 × K = 200
 * (launch costs);
 * `dispatch-each` at 2^20 elements × K = 4, at intensity 0 and 16 (the cost of an element through
 * one kernel, and of a mix round).
 */
import type { GpuContext } from '../gpu/context.ts';
import { dispatchEach } from '../strategies/dispatch-each.ts';
import { indirect } from '../strategies/indirect.ts';
import { submitEach } from '../strategies/submit-each.ts';
import { submitWait } from '../strategies/submit-wait.ts';
import type { Strategy } from '../strategies/types.ts';
import { mapWorkload } from '../workloads/map.ts';
import type { CaseParams, Workload } from '../workloads/types.ts';
import { timedExecution } from './run-case.ts';
import { runFloor } from './schedule.ts';
import { quantileSorted } from '../stats/stats.ts';
import type { SamplingOptions } from './run-case.ts';
import { makeCompletion, type CompletionWay } from '../strategies/completion.ts';

export interface Calibration {
  /** One tiny kernel submitted and awaited, µs. */
  roundTripUs: number;
  /** Per kernel: `submit-wait`, `submit-each`, `dispatch-each` and `indirect` launch costs, µs. */
  submitWaitUs: number;
  /**
   * A submit without a wait. Not the round trip: under Deno (wgpu) a wait costs 11 ms and a
   * submit 0.1 ms, and `submit-each` priced as `submit-wait` (until 2026-12-06) was left out
   * at K = 100 for a floor of 30 s it would have run in about 1 s.
   */
  submitUs: number;
  dispatchUs: number;
  indirectUs: number;
  /** One element through one kernel at intensity 0, ns, and what each mix round adds, ns. */
  elementNs: number;
  mixRoundNs: number;
  /** Elements of the element-cost measurement. */
  elements: number;
  /** How long the calibration took, ms. */
  elapsedMs: number;
}

const REPEATS = 5;
const CALIBRATION_ELEMENTS = 1 << 20;

const params = (elements: number, kernels: number, intensity = 0): CaseParams => ({
  elements,
  kernels,
  intensity,
  workgroupSize: 64,
  persistentWorkgroups: 1,
});

/** Median wall time of `strategy` on map with `p`, µs (two warm-up executions first). */
async function wallUs(
  ctx: GpuContext,
  strategy: Strategy,
  p: CaseParams,
  { stallTimeoutMs, completion }: CalibrationSettings,
): Promise<number> {
  const prepared = await mapWorkload.prepare(ctx.device, p, ctx.limits);
  const wait = makeCompletion(ctx.device, completion);
  const execution = strategy.prepare(ctx.device, await prepared.program(strategy.program), wait);
  try {
    const walls: number[] = [];
    for (let i = 0; i < REPEATS + 2; i++) {
      const { wallNs } = await timedExecution(execution, undefined, stallTimeoutMs, 'calibration');
      if (i >= 2) walls.push(wallNs / 1e3);
    }
    return quantileSorted(
      walls.sort((a, b) => a - b),
      0.5,
    );
  } finally {
    execution.destroy?.();
    wait.destroy();
    prepared.destroy();
  }
}

/** The watchdog, and the way the run's strategies wait (their round trips are calibrated with it). */
export interface CalibrationSettings {
  stallTimeoutMs: number;
  completion: CompletionWay;
}

export async function calibrate(
  ctx: GpuContext,
  settings: CalibrationSettings,
): Promise<Calibration> {
  const t0 = performance.now();
  const positive = (x: number): number => Math.max(x, 1e-6);
  const roundTripUs = await wallUs(ctx, submitWait, params(64, 1), settings);
  const perKernel = async (strategy: Strategy, kernels: number): Promise<number> =>
    positive(
      ((await wallUs(ctx, strategy, params(64, kernels), settings)) - roundTripUs) / kernels,
    );
  const submitWaitUs = await perKernel(submitWait, 20);
  const submitUs = await perKernel(submitEach, 20);
  const dispatchUs = await perKernel(dispatchEach, 200);
  const indirectUs = await perKernel(indirect, 20);
  const limit = Math.floor((ctx.limits['maxStorageBufferBindingSize'] ?? 2 ** 27) / 4);
  const elements = Math.min(CALIBRATION_ELEMENTS, limit);
  // Through memory kernel by kernel, as the one-by-one strategies run them (a fused kernel keeps
  // the element in registers across its K steps and costs less: its estimate errs high).
  const at = async (intensity: number): Promise<number> =>
    (await wallUs(ctx, dispatchEach, params(elements, 4, intensity), settings)) -
    roundTripUs -
    4 * dispatchUs;
  const plain = positive(await at(0));
  const mixed = positive(await at(16));
  const elementNs = (plain * 1e3) / (elements * 4);
  const mixRoundNs = Math.max(0, (mixed - plain) * 1e3) / (elements * 4 * 16);
  return {
    roundTripUs,
    submitWaitUs,
    submitUs,
    dispatchUs,
    indirectUs,
    elementNs,
    mixRoundNs,
    elements,
    elapsedMs: performance.now() - t0,
  };
}

/** Launch cost per kernel of `strategy`, µs, from the calibration: what it says it pays. */
function launchUs(c: Calibration, strategy: Pick<Strategy, 'launchCost'>): number {
  switch (strategy.launchCost) {
    case 'round-trip':
      return c.submitWaitUs;
    case 'submit':
      return c.submitUs;
    case 'pass':
      return 2 * c.dispatchUs;
    case 'indirect':
      return c.indirectUs;
    case 'none':
      return 0;
    case 'dispatch':
      return c.dispatchUs;
  }
}

/**
 * The time one execution of a case should take, µs: a round trip, each kernel's launch, and
 * each element-kernel's work (K × N elements; `independent`'s K tasks of N elements alike).
 */
export function estimateExecutionUs(
  c: Calibration,
  strategy: Pick<Strategy, 'launchCost'>,
  p: CaseParams,
  workload?: Workload,
): number {
  const like = workload?.costLike?.(p) ?? { kernels: p.kernels, elements: p.elements };
  const work = (like.kernels * like.elements * (c.elementNs + p.intensity * c.mixRoundNs)) / 1e3;
  return c.roundTripUs + like.kernels * launchUs(c, strategy) + work;
}

/**
 * What a case must execute over the run whatever its time budget: the floor of both kinds of
 * sample, and its warm-ups (the first visit's and one per later round), ms.
 */
export function estimateFloorMs(
  c: Calibration,
  strategy: Pick<Strategy, 'launchCost'>,
  p: CaseParams,
  s: Pick<SamplingOptions, 'minSamples' | 'minWarmup' | 'rounds'>,
  workload?: Workload,
): number {
  const executions =
    2 * runFloor(s.minSamples, s.rounds) + s.minWarmup + 1 + Math.max(0, s.rounds - 1);
  return (executions * estimateExecutionUs(c, strategy, p, workload)) / 1e3;
}
