/**
 * The harness refuses to time a strategy whose output is wrong: measureCase() verifies before it
 * samples, and a mismatch makes the case 'failed' with a 'wrong result' reason and no samples.
 *
 * The broken strategy wraps a real one and skips the program's last dispatch (its workgroup count
 * becomes 0 × 0 × 0, a valid no-op, so strategies that expect a fixed number of dispatches still
 * encode normally).
 *
 * Second check, in run.ts's order: the real strategy, then the broken one on the same prepared
 * case and the same input. A workload whose output buffers still hold the real strategy's correct
 * result lets the broken one pass: writeInput() must reset what the programs write.
 */
import { describe, expect, it } from 'vitest';
import { withErrorScopes, type GpuContext } from '../src/gpu/context.ts';
import type { CaseResult, Sample } from '../src/stats/result.ts';
import { measureCase } from '../src/run.ts';
import { type CaseInput, type SamplingOptions } from '../src/measure/run-case.ts';
import { defaultPersistentWorkgroups, notApplicable } from '../src/run.ts';
import { STRATEGIES } from '../src/strategies/index.ts';
import type { Strategy } from '../src/strategies/types.ts';
import { WORKLOADS } from '../src/workloads/index.ts';
import { seededRandom } from '../src/workloads/random.ts';
import type { CaseParams, PreparedCase, Program, Workload } from '../src/workloads/types.ts';
import { freshSeed, useSharedGpu } from './support/gpu.ts';

const gpu = useSharedGpu();

/** As little sampling as measureCase allows: one warm-up, one wall and one GPU sample. */
const SAMPLING: SamplingOptions = {
  rounds: 1,
  warmupMs: 0,
  minWarmup: 1,
  minSamples: 1,
  maxSamples: 1,
  maxTimeMs: 0,
  maxNoise: 0.5,
  stallTimeoutMs: 60_000,
};

function skippingLastDispatch(real: Strategy): Strategy {
  return {
    ...real,
    id: `${real.id}-broken`,
    prepare(device, program, completion) {
      const dispatches = program.dispatches.map((d, i) =>
        i === program.dispatches.length - 1 ? { ...d, workgroups: [0, 0, 0] as const } : d,
      );
      const broken: Program = { ...program, dispatches };
      return real.prepare(device, broken, completion);
    },
  };
}

function caseParams(ctx: GpuContext): CaseParams {
  return {
    elements: 65,
    kernels: 3,
    intensity: 2,
    workgroupSize: 64,
    persistentWorkgroups: defaultPersistentWorkgroups(ctx),
  };
}

/** measureCase's input for `strategy` on a fresh random input. */
function caseInput(
  ctx: GpuContext,
  workload: Workload,
  strategy: Strategy,
  prepared: PreparedCase,
): CaseInput {
  const params = caseParams(ctx);
  const input = workload.makeInput(params, seededRandom(freshSeed()));
  return {
    ctx,
    workload,
    strategy,
    params,
    prepared,
    input,
    expected: { values: workload.reference(input, params) },
    sampling: SAMPLING,
    verify: true,
    timestamps: ctx.hasTimestamps ? 'per-command-buffer' : undefined,
    shouldStop: () => false,
  };
}

function expectCaught(broken: { result: CaseResult; samples: Sample[] }, id: string): void {
  expect(broken.result.status, id).toBe('failed');
  expect(broken.result.reason, id).toMatch(/^wrong result/);
  expect(broken.result.verified, id).toBe(false);
  expect(broken.samples, id).toEqual([]);
  expect(broken.result.wallNs, id).toBeNull();
  expect(broken.result.gpuBusyNs, id).toBeNull();
}

async function withPrepared<T>(
  ctx: GpuContext,
  workload: Workload,
  body: (prepared: PreparedCase, strategies: Strategy[]) => Promise<T>,
): Promise<T> {
  const params = caseParams(ctx);
  const prepared = await withErrorScopes(ctx.device, () =>
    workload.prepare(ctx.device, params, ctx.limits),
  );
  try {
    const applicable = STRATEGIES.filter(
      (s) => notApplicable(workload, s, params, ctx.limits) === undefined,
    );
    expect(applicable.length).toBeGreaterThan(0);
    return await body(prepared, applicable);
  } finally {
    prepared.destroy();
  }
}

describe.each(WORKLOADS.map((w) => [w.id, w] as const))('workload %s', (_id, workload) => {
  it('measureCase fails every strategy that skips its last dispatch, with no samples', async (t) => {
    const ctx = gpu(t);
    await withPrepared(ctx, workload, async (prepared, strategies) => {
      // The broken ones first: no correct output of the same input is left anywhere.
      for (const strategy of strategies) {
        const broken = skippingLastDispatch(strategy);
        expectCaught(await measureCase(caseInput(ctx, workload, broken, prepared)), broken.id);
      }
      // The same harness passes the real ones (the co-residency program may give up instead).
      for (const strategy of strategies) {
        const real = await measureCase(caseInput(ctx, workload, strategy, prepared));
        const program = await prepared.program(strategy.program);
        if (real.result.status === 'failed' && program.notes['reliesOn'] === 'co-residency') {
          expect(real.result.reason).toMatch(/\S/);
          continue;
        }
        expect(real.result.status, `${strategy.id}: ${real.result.reason}`).toBe('ok');
        expect(real.result.verified).toBe(true);
        expect(real.samples.length).toBeGreaterThan(0);
      }
    });
    expect(ctx.errors.messages).toEqual([]);
  });

  it("a correct strategy's output left in the buffers does not let a broken one pass", async (t) => {
    const ctx = gpu(t);
    await withPrepared(ctx, workload, async (prepared, strategies) => {
      for (const strategy of strategies) {
        // run.ts's order: every strategy of a group on the same prepared case and input.
        const input = caseInput(ctx, workload, strategy, prepared);
        const real = await measureCase(input);
        if (real.result.status !== 'ok') continue; // nothing correct left behind
        const broken = skippingLastDispatch(strategy);
        expectCaught(await measureCase({ ...input, strategy: broken }), broken.id);
      }
    });
  });
});
