/**
 * Every registered strategy computes every registered workload bit for bit like the CPU
 * reference, on fresh random inputs, at awkward sizes: 1 element, around the workgroup size
 * (63, 64, 65), a non-multiple (1000), and one past what one dispatch dimension holds
 * (maxComputeWorkgroupsPerDimension × workgroupSize + 1: the 2-D grid path).
 *
 * It iterates the registries, so new strategies and workloads are covered without editing this
 * file. Like run.ts, one prepared case per (workload, size) is shared by all strategies in turn,
 * which also checks that a strategy leaves nothing behind that breaks the next one; each strategy
 * gets its own fresh input, so a strategy that writes nothing cannot pass on the previous one's
 * output. One execution per strategy, no timing: timing is measure/run-case.ts's job.
 *
 * Programs that rely on co-residency (a grid-wide barrier: the persistent stencil) may report a
 * status failure through PreparedCase.checkStatus; on lavapipe (two CPU threads) they do. That is
 * expected and allowed, as long as the failure is reported with a message and the execution
 * finishes; when they report success, the output must match like any other.
 */
import { firstMismatch } from '../src/measure/run-case.ts';
import { describe, expect, it } from 'vitest';
import { withErrorScopes, type GpuContext } from '../src/gpu/context.ts';
import { defaultPersistentWorkgroups, notApplicable } from '../src/run.ts';
import { STRATEGIES } from '../src/strategies/index.ts';
import type { Strategy } from '../src/strategies/types.ts';
import { WORKLOADS } from '../src/workloads/index.ts';
import { seededRandom } from '../src/workloads/random.ts';
import type { CaseParams, PreparedCase, Workload } from '../src/workloads/types.ts';
import { firstDifference, freshSeed, useSharedGpu, within } from './support/gpu.ts';
import { makeCompletion, type CompletionWay } from '../src/strategies/completion.ts';

const WORKGROUP_SIZE = 64;
const KERNELS = 3;
const INTENSITY = 2;
/** A hang (e.g. a grid barrier that never gives up) fails the combination instead of the run. */
const EXECUTION_LIMIT_MS = 60_000;

const gpu = useSharedGpu();

/** 65535 × 64 + 1 on every adapter that has WebGPU's default limit. */
function pastOneDimension(ctx: GpuContext): number {
  return (ctx.limits['maxComputeWorkgroupsPerDimension'] ?? 65535) * WORKGROUP_SIZE + 1;
}

interface Outcome {
  strategy: string;
  /** 'ok', 'not-applicable: …', 'status failure: …' (allowed for co-residency programs). */
  verdict: string;
  /** Set when the combination is wrong. */
  failure?: string;
}

async function runOnce(
  ctx: GpuContext,
  workload: Workload,
  strategy: Strategy,
  params: CaseParams,
  prepared: PreparedCase,
  way: CompletionWay = 'submitted-work-done',
): Promise<Outcome> {
  const { device } = ctx;
  const reason = notApplicable(workload, strategy, params, ctx.limits);
  if (reason !== undefined) {
    // A combination that does not apply must say why (it becomes the summary's reason column).
    expect(reason, `${workload.id}/${strategy.id}: empty not-applicable reason`).toMatch(/\S/);
    return { strategy: strategy.id, verdict: `not-applicable: ${reason}` };
  }
  const seed = freshSeed();
  const where = `${workload.id}/e${params.elements}/${strategy.id}/${way} (seed ${seed})`;
  const input = workload.makeInput(params, seededRandom(seed));
  const expected = workload.reference(input, params);
  const program = await prepared.program(strategy.program);
  const completion = makeCompletion(device, way);
  const execution = await withErrorScopes(device, () =>
    strategy.prepare(device, program, completion),
  );
  try {
    prepared.writeInput(input);
    await withErrorScopes(device, async () => {
      execution.prepareSample?.(undefined);
      await within(execution.execute(undefined), EXECUTION_LIMIT_MS, `${where} execution`);
    });
    const status = await within(
      prepared.checkStatus?.() ?? Promise.resolve(undefined),
      EXECUTION_LIMIT_MS,
      `${where} status read`,
    );
    if (status !== undefined) {
      if (program.notes['reliesOn'] === 'co-residency' && /\S/.test(status)) {
        return { strategy: strategy.id, verdict: `status failure: ${status}` };
      }
      return {
        strategy: strategy.id,
        verdict: 'failed',
        failure: `${where}: status failure '${status}'`,
      };
    }
    const output = await prepared.readOutput(strategy.program);
    const length = workload.outputLength?.(params) ?? params.elements;
    if (expected.length !== length) {
      return {
        strategy: strategy.id,
        verdict: 'failed',
        failure: `${where}: reference has ${expected.length} elements, outputLength says ${length}`,
      };
    }
    // Float workloads state a tolerance (rounding of reordered multiplies); the rest are exact.
    const tolerance = workload.tolerance?.(params);
    if (tolerance !== undefined) {
      const mismatch = firstMismatch(output, { values: expected }, tolerance);
      return mismatch === undefined
        ? { strategy: strategy.id, verdict: 'ok' }
        : { strategy: strategy.id, verdict: 'failed', failure: `${where}: ${mismatch}` };
    }
    const at = firstDifference(output, expected);
    if (at >= 0) {
      return {
        strategy: strategy.id,
        verdict: 'failed',
        failure:
          output.length !== expected.length && at === Math.min(output.length, expected.length)
            ? `${where}: output has ${output.length} elements, expected ${expected.length}`
            : `${where}: element ${at} is ${output[at]}, expected ${expected[at]}`,
      };
    }
    return { strategy: strategy.id, verdict: 'ok' };
  } catch (error) {
    return {
      strategy: strategy.id,
      verdict: 'failed',
      failure: `${where}: ${error instanceof Error ? error.message : String(error)}`,
    };
  } finally {
    execution.destroy?.();
    completion.destroy();
  }
}

const SIZES: readonly (number | 'past-one-dimension')[] = [
  1,
  63,
  64,
  65,
  1000,
  'past-one-dimension',
];

/** Every size with onSubmittedWorkDone, and one with each other way to wait (--completion). */
const CASES: readonly (readonly [(typeof SIZES)[number], CompletionWay])[] = [
  ...SIZES.map((size) => [size, 'submitted-work-done'] as const),
  [65, 'map-async'],
  [65, 'nudged'],
];

describe.each(WORKLOADS.map((w) => [w.id, w] as const))('workload %s', (_id, workload) => {
  it.for(CASES)(
    'every strategy matches the CPU reference at %s elements, completion %s',
    async ([size, way], t) => {
      // A workload with presets (`decode`) reads elements as its context in tokens, not one
      // invocation each: the 2-D grid path this size is for does not exist there, and its KV cache
      // would be past any adapter's binding.
      if (size === 'past-one-dimension' && workload.presets !== undefined) t.skip();
      const ctx = gpu(t);
      const params: CaseParams = {
        elements: size === 'past-one-dimension' ? pastOneDimension(ctx) : size,
        kernels: KERNELS,
        intensity: INTENSITY,
        workgroupSize: WORKGROUP_SIZE,
        persistentWorkgroups: defaultPersistentWorkgroups(ctx),
      };
      // Every size here is small enough for any adapter with WebGPU's default limits.
      expect(workload.checkLimits(params, ctx.limits)).toBeUndefined();
      const prepared = await withErrorScopes(ctx.device, () =>
        workload.prepare(ctx.device, params, ctx.limits),
      );
      const outcomes: Outcome[] = [];
      try {
        for (const strategy of STRATEGIES) {
          outcomes.push(await runOnce(ctx, workload, strategy, params, prepared, way));
        }
      } finally {
        prepared.destroy();
      }
      if (process.env['LAUNCHBENCH_TEST_VERBOSE'] !== undefined) {
        const table = outcomes.map((o) => `  ${o.strategy.padEnd(20)} ${o.failure ?? o.verdict}`);
        console.info(`${workload.id} e${params.elements}:\n${table.join('\n')}`);
      }
      expect(ctx.lost, 'device lost').toBeUndefined();
      expect(ctx.errors.messages, 'uncaptured GPU errors').toEqual([]);
      expect(outcomes.flatMap((o) => (o.failure === undefined ? [] : [o.failure]))).toEqual([]);
      // At least the one-by-one strategies run everything: the test must not pass by skipping.
      expect(outcomes.filter((o) => o.verdict === 'ok').length).toBeGreaterThan(0);
      expect(outcomes.map((o) => o.strategy)).toEqual(STRATEGIES.map((s) => s.id));
    },
  );
});

describe('map-async completion', () => {
  it('refuses a wait with no tail encoded before it: it would not wait for anything', async (t) => {
    const { device } = gpu(t);
    const completion = makeCompletion(device, 'map-async');
    try {
      await expect(completion.wait()).rejects.toThrow(/wait\(\) without a tail/);
      const encoder = device.createCommandEncoder();
      completion.tail(encoder);
      device.queue.submit([encoder.finish()]);
      await completion.wait();
      await expect(completion.wait()).rejects.toThrow(/wait\(\) without a tail/);
    } finally {
      completion.destroy();
    }
  });
});
