/**
 * The decode workload on the adapter at hand (lavapipe in CI), through the harness that times it
 * (measureCase: verification against the CPU reference, then samples):
 *   - every strategy of the tiny preset at its own shape (2 layers, 16 tokens of context) is
 *     verified and measured; the megakernel with one workgroup, which needs no co-residency,
 *     so that it is checked on a CPU adapter too;
 *   - a program that skips one op in the middle of the step (the first layer's residual add, or
 *     the fused attention's combine) is caught as a wrong result, not timed;
 *   - the megakernel with more workgroups than can be resident ends as a failed case that says
 *     so, in bounded time (issue 12, must-show 3);
 *   - the megakernel with f16 weights over several workgroups and attention chunks, and over a
 *     GPT-2-small layer whose down projection takes each lane more than one iteration, is verified.
 */
import { describe, expect, it, vi } from 'vitest';
import { withErrorScopes, type GpuContext } from '../src/gpu/context.ts';
import type { CaseInput, SamplingOptions } from '../src/measure/run-case.ts';
import { measureCase, notApplicable } from '../src/run.ts';
import { STRATEGIES, strategyById } from '../src/strategies/index.ts';
import type { Strategy } from '../src/strategies/types.ts';
import { decodeLayout, fusedOps, stepOps } from '../src/workloads/decode/programs.ts';
import { caseShape, decodeWorkload, prepareDecode } from '../src/workloads/decode/workload.ts';
import { seededRandom } from '../src/workloads/random.ts';
import type { CaseParams, PreparedCase, Program } from '../src/workloads/types.ts';
import { freshSeed, useSharedGpu } from './support/gpu.ts';

const gpu = useSharedGpu();

const SAMPLING: SamplingOptions = {
  rounds: 1,
  warmupMs: 0,
  minWarmup: 1,
  minSamples: 3,
  maxSamples: 3,
  maxTimeMs: 0,
  maxNoise: 0.5,
  stallTimeoutMs: 60_000,
};

const tiny = (persistentWorkgroups: number): CaseParams => ({
  preset: 'tiny',
  elements: 16,
  kernels: 2,
  intensity: 0,
  workgroupSize: 256,
  persistentWorkgroups,
});

function caseInput(
  ctx: GpuContext,
  strategy: Strategy,
  params: CaseParams,
  prepared: PreparedCase,
): CaseInput {
  const input = decodeWorkload.makeInput(params, seededRandom(freshSeed()));
  return {
    ctx,
    workload: decodeWorkload,
    strategy,
    params,
    prepared,
    input,
    expected: { values: decodeWorkload.reference(input, params) },
    sampling: SAMPLING,
    verify: true,
    timestamps: ctx.hasTimestamps ? 'per-command-buffer' : undefined,
    shouldStop: () => false,
  };
}

async function withPrepared(
  ctx: GpuContext,
  params: CaseParams,
  body: (prepared: PreparedCase) => Promise<void>,
): Promise<void> {
  const prepared = await withErrorScopes(ctx.device, () =>
    prepareDecode(ctx.device, params, ctx.limits),
  );
  try {
    await body(prepared);
  } finally {
    prepared.destroy();
  }
  expect(ctx.lost).toBeUndefined();
  expect(ctx.errors.messages).toEqual([]);
}

/** `real` launching its program with the dispatch of op `index` doing nothing. */
function skippingOp(real: Strategy, index: (program: Program) => number): Strategy {
  return {
    ...real,
    id: `${real.id}-skips-an-op`,
    prepare(device, program, completion) {
      const skip = index(program);
      const dispatches = program.dispatches.map((d, i) =>
        i === skip ? { ...d, workgroups: [0, 0, 0] as const } : d,
      );
      return real.prepare(device, { ...program, dispatches }, completion);
    },
  };
}

// Compiling the decode programs on lavapipe with a cold shader cache (CI) takes most of a test's
// time, and LLVM's compile slows with the machine's load: on a 2-core machine the megakernel
// alone compiles in about 63 s, and one test took up to 166 s (the workgroup trees, in a clean
// clone's CI), so the file allows 600 s a test, twice vitest.config.ts's 300 s.
describe('decode workload', { timeout: 600_000 }, () => {
  it('every strategy of the tiny preset is verified and measured', async (t) => {
    const ctx = gpu(t);
    const params = tiny(1);
    await withPrepared(ctx, params, async (prepared) => {
      for (const strategy of STRATEGIES) {
        expect(notApplicable(decodeWorkload, strategy, params, ctx.limits)).toBeUndefined();
        const { result, samples } = await measureCase(caseInput(ctx, strategy, params, prepared));
        expect(result.status, `${strategy.id}: ${result.reason}`).toBe('ok');
        expect(result.verified, strategy.id).toBe(true);
        expect(result.verifiedElements, strategy.id).toBe(caseShape(params).vocab);
        expect(samples.filter((s) => s.kind === 'wall').length, strategy.id).toBe(3);
        expect(result.notes['dispatches'], strategy.id).toBe(
          { steps: 36, fused: 13, persistent: 1 }[strategy.program],
        );
        // The megakernel's 12 grid barriers, timed alone as it was built (with timestamps): a
        // part of its step's GPU time.
        if (strategy.program === 'persistent' && ctx.device.features.has('timestamp-query')) {
          expect(result.notes['gridBarriersUs']).toBeGreaterThan(0);
          expect(result.notes['gridBarriersUs']).toBeLessThan(
            (result.gpuBusyNs?.median ?? 0) / 1e3,
          );
        } else expect(result.notes['gridBarriersUs'], strategy.id).toBeUndefined();
      }
    });
  });

  it.for([
    ['tiny', 16, 100],
    ['tiny', 64, 100],
    ['tiny', 256, 100],
    ['tiny-f16', 256, 100],
  ] as const)(
    '%s at workgroups of %i and a context of %i tokens: every strategy matches the reference',
    async ([preset, workgroupSize, context], t) => {
      // Workgroups of 16 give each lane several words of every GEMV row (eight loads in flight);
      // 101 positions are several chunks of the fused attention; tiny-f16 stores its weights as
      // f16 pairs. The megakernel with two
      // workgroups passes its barriers by waiting (one is always the last to arrive); where two
      // are not resident at once (a one-thread CPU adapter) it must say so instead.
      const ctx = gpu(t);
      const params = { ...tiny(2), preset, workgroupSize, elements: context };
      expect(decodeWorkload.checkLimits(params, ctx.limits)).toBeUndefined();
      await withPrepared(ctx, params, async (prepared) => {
        for (const strategy of STRATEGIES) {
          const { result } = await measureCase(caseInput(ctx, strategy, params, prepared));
          if (strategy.id === 'persistent' && result.status === 'failed')
            expect(result.reason).toMatch(/not co-resident/);
          else expect(result.status, `${strategy.id}: ${result.reason}`).toBe('ok');
        }
      });
    },
  );

  it('the workgroup trees, taken where subgroups would do, match the reference too', async (t) => {
    // LAUNCHBENCH_DECODE_SUMS=workgroup: sum-workgroup.wgsl's GEMV sum and score sum on a device
    // that has subgroups (lavapipe's are 8 wide), a context of 100 the attention four chunks.
    const ctx = gpu(t);
    const params = { ...tiny(1), elements: 100 };
    vi.stubEnv('LAUNCHBENCH_DECODE_SUMS', 'workgroup');
    try {
      await withPrepared(ctx, params, async (prepared) => {
        for (const id of ['fused', 'persistent']) {
          const strategy = strategyById(id);
          if (strategy === undefined) throw new Error(id);
          const { result } = await measureCase(caseInput(ctx, strategy, params, prepared));
          expect(result.status, `${id}: ${result.reason}`).toBe('ok');
          expect(result.verified, id).toBe(true);
          expect(result.notes['gemvSum'], id).toBe('workgroup');
        }
      });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it.for([
    // Two workgroups sharing every op's units (a wrong unit, op or row shows in the logits), f16
    // weights eight to a word, a context of 100 the attention several chunks. Where two
    // workgroups are not resident at once (a one-thread CPU adapter), it must say so instead.
    ['tiny-f16', 2, 2, false],
    // A GPT-2-small layer (its vocabulary cut to 256 to stay inside lavapipe's 128 MiB binding):
    // the down projection's rows take each lane two iterations; one workgroup, whose units
    // outlast a CPU adapter's barrier spin at two.
    ['gpt2-small@v256', 1, 1, false],
    // 8-row units (step.wgsl's gemv_wide) for the LM head, whose 3 units outnumber the 2
    // workgroups: 12 rows, the second half of the second unit past the rows; 11, an odd count.
    ['tiny@v12', 1, 2, true],
    ['tiny-f16@v11', 1, 2, true],
  ] as const)(
    '%s, %i layers, %i workgroups: the megakernel matches the reference',
    async ([preset, layers, persistentWorkgroups, wide], t) => {
      const ctx = gpu(t);
      const params = {
        ...tiny(persistentWorkgroups),
        preset,
        kernels: layers,
        elements: 100,
        workgroupSize: preset.startsWith('tiny-f16') ? 16 : 256,
      };
      expect(decodeWorkload.checkLimits(params, ctx.limits)).toBeUndefined();
      // gemv_wide_op's condition, so that a change of the presets cannot drop the path unseen
      const s = caseShape(params);
      const ops = fusedOps(
        s,
        decodeLayout(s, ctx.limits, params.workgroupSize),
        params.workgroupSize,
      );
      const wideOps = ops.filter(
        (o) =>
          o.kind === 'gemv' &&
          o.epi !== 'siluPair' &&
          o.units > persistentWorkgroups &&
          Math.ceil((o.rows ?? 0) / 8) <= persistentWorkgroups,
      );
      expect(wideOps.length > 0, 'an op takes gemv_wide').toBe(wide);
      const persistent = strategyById('persistent');
      if (persistent === undefined) throw new Error('persistent');
      await withPrepared(ctx, params, async (prepared) => {
        const { result } = await measureCase(caseInput(ctx, persistent, params, prepared));
        if (result.status === 'failed' && persistentWorkgroups > 1) {
          expect(result.reason).toMatch(/not co-resident/);
          return;
        }
        expect(result.status, result.reason).toBe('ok');
        expect(result.verified).toBe(true);
      });
    },
  );

  it('a megakernel left to size its own grid takes what its probe finds co-resident, verified', async (t) => {
    // persistentWorkgroups 0: the probe tries counts from 1024 down to 1 (capped by the 64 units of
    // tiny's largest op: 64, 32, …, 1), each through a grid barrier, and keeps the first that
    // completes; a CPU adapter holds a few at once.
    const ctx = gpu(t);
    const params = tiny(0);
    const persistent = strategyById('persistent');
    if (persistent === undefined) throw new Error('persistent');
    await withPrepared(ctx, params, async (prepared) => {
      const { result } = await measureCase(caseInput(ctx, persistent, params, prepared));
      // A CPU adapter's workgroups are threads: a count its probe saw complete may still miss a
      // later barrier when the machine is busy, and the case must then say so.
      const probed = [64, 32, 16, 8, 4, 2, 1];
      if (result.status === 'failed') {
        const count = /the (\d+) workgroups were not co-resident/.exec(result.reason ?? '')?.[1];
        expect(probed, result.reason).toContain(Number(count));
        return;
      }
      expect(result.status, result.reason).toBe('ok');
      expect(result.verified).toBe(true);
      expect(result.notes['persistentWorkgroupsFrom']).toBe('co-residency probe');
      expect(probed).toContain(result.notes['persistentWorkgroups']);
    });
  });

  it('a program that skips one op in the middle is caught, not timed', async (t) => {
    const ctx = gpu(t);
    const params = tiny(1);
    const s = caseShape(params);
    const layout = decodeLayout(s, ctx.limits, params.workgroupSize);
    const firstAdd = stepOps(s, layout, params.workgroupSize).findIndex((o) => o.kind === 'add');
    const combine = fusedOps(s, layout, params.workgroupSize).findIndex(
      (o) => o.kind === 'combine',
    );
    expect(firstAdd).toBeGreaterThan(0);
    expect(combine).toBeGreaterThan(0);
    await withPrepared(ctx, params, async (prepared) => {
      for (const [id, skip] of [
        ['dispatch-each', firstAdd],
        ['prerecorded', firstAdd],
        ['fused', combine],
      ] as const) {
        const real = strategyById(id);
        if (real === undefined) throw new Error(id);
        const broken = skippingOp(real, () => skip);
        const { result, samples } = await measureCase(caseInput(ctx, broken, params, prepared));
        expect(result.status, id).toBe('failed');
        expect(result.reason, id).toMatch(/^wrong result/);
        expect(samples, id).toEqual([]);
        // The real strategy on the same prepared case is right again.
        const after = await measureCase(caseInput(ctx, real, params, prepared));
        expect(after.result.status, `${id}: ${after.result.reason}`).toBe('ok');
      }
    });
  });

  it('a megakernel of more workgroups than can be resident fails, in bounded time', async (t) => {
    const ctx = gpu(t);
    // Far past what any GPU holds at once at 256 invocations (an H200: 6 per SM × 132 of this
    // kernel); a CPU adapter runs two or a few at a time. P is capped by the most units of any op:
    // a context of 65 536 tokens gives attention 2 KV heads × 2049 chunks of them.
    const params = {
      ...tiny(ctx.adapterInfo.isFallbackAdapter ? 64 : 8192),
      elements: 65_536,
    };
    const persistent = strategyById('persistent');
    if (persistent === undefined) throw new Error('persistent');
    await withPrepared(ctx, params, async (prepared) => {
      const started = performance.now();
      const { result, samples } = await measureCase(caseInput(ctx, persistent, params, prepared));
      expect(result.status).toBe('failed');
      expect(result.reason).toMatch(/grid barrier spin bound hit .*not co-resident/);
      expect(samples).toEqual([]);
      expect(performance.now() - started).toBeLessThan(60_000);
    });
  });
});
