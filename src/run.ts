/**
 * Runs a plan: every (workload, parameters) group once prepared, its input and CPU reference made
 * once, then every strategy measured on it in turn (so strategies are compared on equal work, close
 * together in time). Never prints: progress and results go to the caller's callbacks.
 */
import { withErrorScopes, type GpuContext } from './gpu/context.ts';
import { DeviceLostError, errorMessage } from './errors.ts';
import {
  measureCase,
  caseId,
  newCaseResult,
  type Expected,
  type SamplingOptions,
} from './measure/run-case.ts';
import type { CaseResult, Sample } from './measure/result.ts';
import type { Strategy } from './strategies/types.ts';
import type { ResolveMode } from './gpu/timestamps.ts';
import { seededRandom } from './workloads/random.ts';
import type { CaseParams, Workload } from './workloads/types.ts';

export interface RunPlan {
  workloads: readonly Workload[];
  strategies: readonly Strategy[];
  elements: readonly number[];
  kernels: readonly number[];
  intensity: readonly number[];
  workgroupSize: readonly number[];
  /** Per-workload axes replacing the plan's (a profile's smaller slice for slow workloads). */
  slices?: Readonly<Record<string, AxisSlice>> | undefined;
  /** 0 = derived per case. */
  persistentWorkgroups: number;
  sampling: SamplingOptions;
  verify: boolean;
  seed: number;
}

export interface AxisSlice {
  elements?: readonly number[];
  kernels?: readonly number[];
  intensity?: readonly number[];
}

export interface PlannedGroup {
  workload: Workload;
  params: CaseParams;
}

export interface RunCallbacks {
  onCaseStart?(index: number, total: number, id: string): void;
  onCase(result: CaseResult, samples: readonly Sample[]): void;
}

/** Above this many CPU operations the reference checks a random subset of the elements. */
const FULL_REFERENCE_OPS = 2e8;
const SUBSET_EDGE = 1024;
const SUBSET_RANDOM = 2048;

/**
 * Persistent workgroups when none are given: enough to fill a large GPU (132 SMs × 16 resident
 * 64-thread workgroups ≈ 2 000 on an H100), capped by the work available. WebGPU exposes no
 * multiprocessor count; `--persistent-workgroups` overrides it.
 */
export function defaultPersistentWorkgroups(ctx: GpuContext): number {
  return ctx.adapterInfo.isFallbackAdapter ? 16 : 2048;
}

export function planGroups(plan: RunPlan): PlannedGroup[] {
  const groups: PlannedGroup[] = [];
  for (const workload of plan.workloads) {
    const slice = plan.slices?.[workload.id];
    for (const elements of slice?.elements ?? plan.elements)
      for (const kernels of slice?.kernels ?? plan.kernels)
        for (const intensity of slice?.intensity ?? plan.intensity)
          for (const workgroupSize of plan.workgroupSize)
            groups.push({
              workload,
              params: {
                elements,
                kernels,
                intensity,
                workgroupSize,
                persistentWorkgroups: plan.persistentWorkgroups,
              },
            });
  }
  return groups;
}

/** Why `strategy` cannot run this group, or undefined when it can. */
export function notApplicable(
  workload: Workload,
  strategy: Strategy,
  params: CaseParams,
  limits: Record<string, number>,
): string | undefined {
  const offer = workload.programs[strategy.program];
  if (offer !== true) return offer ?? `${workload.id} has no ${strategy.program} program`;
  return (
    workload.programUnavailable?.(strategy.program, params, limits) ??
    strategy.notApplicable?.(workload, params)
  );
}

function expectedOutput(
  workload: Workload,
  params: CaseParams,
  input: Uint32Array,
  seed: number,
): Expected {
  if (workload.referenceCost(params) <= FULL_REFERENCE_OPS) {
    return { values: workload.reference(input, params) };
  }
  const length = workload.outputLength?.(params) ?? params.elements;
  const random = seededRandom(seed ^ 0x5bd1e995);
  const picked = new Set<number>();
  for (let i = 0; i < Math.min(SUBSET_EDGE, length); i++) {
    picked.add(i);
    picked.add(length - 1 - i);
  }
  for (let i = 0; i < SUBSET_RANDOM; i++) picked.add(random() % length);
  const indices = Uint32Array.from([...picked].sort((a, b) => a - b));
  return { values: workload.reference(input, params, indices), indices };
}

function groupSeed(seed: number, index: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
}

/**
 * Fault injection for the device-loss test: with LAUNCHBENCH_FAULT_DESTROY_DEVICE_AFTER=N set, the
 * device is destroyed after the N-th case is recorded, as if it had been lost mid-run.
 */
function faultAfterCases(): number | undefined {
  const raw = process.env['LAUNCHBENCH_FAULT_DESTROY_DEVICE_AFTER'];
  return raw === undefined || raw === '' ? undefined : Number(raw);
}

export interface RunOutcome {
  results: CaseResult[];
  interrupted: boolean;
}

export async function runPlan(
  ctx: GpuContext,
  plan: RunPlan,
  timestamps: ResolveMode | undefined,
  callbacks: RunCallbacks,
  shouldStop: () => boolean,
): Promise<RunOutcome> {
  const groups = planGroups(plan);
  const total = groups.length * plan.strategies.length;
  const results: CaseResult[] = [];
  let index = 0;
  const destroyAfter = faultAfterCases();
  const record = (result: CaseResult, samples: readonly Sample[]): void => {
    results.push(result);
    callbacks.onCase(result, samples);
    if (results.length === destroyAfter) ctx.device.destroy();
  };
  for (const [g, { workload, params: planned }] of groups.entries()) {
    if (shouldStop()) return { results, interrupted: true };
    const params: CaseParams = {
      ...planned,
      persistentWorkgroups: planned.persistentWorkgroups || defaultPersistentWorkgroups(ctx),
    };
    const seed = groupSeed(plan.seed, g);
    const input = workload.makeInput(params, seededRandom(seed));
    const expected = expectedOutput(workload, params, input, seed);
    let prepared;
    try {
      prepared = await withErrorScopes(ctx.device, () =>
        workload.prepare(ctx.device, params, ctx.limits),
      );
    } catch (error) {
      if (ctx.lost !== undefined) throw new DeviceLostError(`device lost: ${ctx.lost.message}`);
      for (const strategy of plan.strategies) {
        callbacks.onCaseStart?.(index++, total, caseId(workload.id, params, strategy.id));
        record(
          newCaseResult(workload, strategy, params, 'failed', `prepare: ${errorMessage(error)}`),
          [],
        );
      }
      continue;
    }
    try {
      for (const strategy of plan.strategies) {
        const id = caseId(workload.id, params, strategy.id);
        callbacks.onCaseStart?.(index++, total, id);
        const reason = notApplicable(workload, strategy, params, ctx.limits);
        if (reason !== undefined) {
          record(newCaseResult(workload, strategy, params, 'not-applicable', reason), []);
          continue;
        }
        const { result, samples } = await measureCase({
          ctx,
          workload,
          strategy,
          params,
          prepared,
          input,
          expected,
          sampling: plan.sampling,
          verify: plan.verify,
          timestamps,
          shouldStop,
        });
        record(result, samples);
        if (shouldStop()) return { results, interrupted: true };
      }
    } finally {
      prepared.destroy();
    }
  }
  return { results, interrupted: false };
}
