/**
 * Workload `scale` (the CUDA-graphs blog kernel, data[i] = 1.23 * data[i] over f32, K times in
 * place): every applicable strategy matches the f32 CPU reference within the workload's stated
 * tolerance on fresh random inputs at awkward sizes (1, 63, 64, 65, 1000 and one past
 * maxComputeWorkgroupsPerDimension × workgroupSize), and the harness's float comparison
 * (measureCase → firstMismatch) rejects a result off by more than the tolerance, accepts one
 * within it, and rejects NaN. Plus the parts that need no GPU: the reference's f32 rounding, the
 * overflow bound checkLimits enforces, and the cuda-graphs-blog scenario's cases.
 */
import { describe, expect, it } from 'vitest';
import { SCENARIOS, scenarioProfile, scenarioStrategies } from '../src/scenarios.ts';
import { withErrorScopes, type GpuContext } from '../src/gpu/context.ts';
import { measureCase } from '../src/run.ts';
import { type SamplingOptions } from '../src/measure/run-case.ts';
import { defaultPersistentWorkgroups, notApplicable } from '../src/run.ts';
import { STRATEGIES, strategyById } from '../src/strategies/index.ts';
import { workloadById } from '../src/workloads/index.ts';
import { seededRandom } from '../src/workloads/random.ts';
import {
  SCALE_FACTOR,
  SCALE_MAX_MULTIPLIES,
  scaleTolerance,
  scaleWorkload,
} from '../src/workloads/scale.ts';
import type { CaseParams, PreparedCase, Tolerance } from '../src/workloads/types.ts';
import { freshSeed, useSharedGpu, within } from './support/gpu.ts';
import { submittedWorkDone } from '../src/strategies/completion.ts';

const gpu = useSharedGpu();

const WORKGROUP_SIZE = 64;
/** The blog's K; intensity 1 doubles the multiplies (40 roundings per element). */
const KERNELS = 20;
const INTENSITY = 1;
const EXECUTION_LIMIT_MS = 60_000;
/** WebGPU's default limits, for the checks that need no device. */
const DEFAULT_LIMITS = {
  maxStorageBufferBindingSize: 134217728,
  maxBufferSize: 268435456,
  maxComputeWorkgroupsPerDimension: 65535,
  minUniformBufferOffsetAlignment: 256,
};

function params(ctx: GpuContext, elements: number, extra: Partial<CaseParams> = {}): CaseParams {
  return {
    elements,
    kernels: KERNELS,
    intensity: INTENSITY,
    workgroupSize: WORKGROUP_SIZE,
    persistentWorkgroups: defaultPersistentWorkgroups(ctx),
    ...extra,
  };
}

/** Largest relative error of `output` against `expected` read as f32 (Infinity: NaN, ±∞, length). */
function maxRelativeError(output: Uint32Array, expected: Uint32Array): number {
  if (output.length !== expected.length) return Infinity;
  const a = new Float32Array(output.buffer, output.byteOffset, output.length);
  const b = new Float32Array(expected.buffer, expected.byteOffset, expected.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? NaN;
    const y = b[i] ?? NaN;
    if (x === y) continue;
    const relative =
      Number.isFinite(x) && Number.isFinite(y) && y !== 0
        ? Math.abs(x - y) / Math.abs(y)
        : Infinity;
    max = Math.max(max, relative);
  }
  return max;
}

const SIZES: readonly (number | 'past-one-dimension')[] = [
  1,
  63,
  64,
  65,
  1000,
  'past-one-dimension',
];

describe('scale workload on the GPU', () => {
  it.for(SIZES)(
    'every applicable strategy matches the f32 reference within the tolerance at %s elements',
    async (size, t) => {
      const ctx = gpu(t);
      const { device } = ctx;
      const elements =
        size === 'past-one-dimension'
          ? (ctx.limits['maxComputeWorkgroupsPerDimension'] ?? 65535) * WORKGROUP_SIZE + 1
          : size;
      const p = params(ctx, elements);
      expect(scaleWorkload.checkLimits(p, ctx.limits)).toBeUndefined();
      const tolerance = scaleTolerance(p);
      const prepared = await withErrorScopes(device, () =>
        scaleWorkload.prepare(device, p, ctx.limits),
      );
      const errors: Record<string, number> = {};
      const failures: string[] = [];
      try {
        for (const strategy of STRATEGIES) {
          if (notApplicable(scaleWorkload, strategy, p, ctx.limits) !== undefined) continue;
          const seed = freshSeed();
          const where = `scale/e${elements}/${strategy.id} (seed ${seed})`;
          const input = scaleWorkload.makeInput(p, seededRandom(seed));
          const expected = scaleWorkload.reference(input, p);
          const program = await prepared.program(strategy.program);
          const execution = await withErrorScopes(device, () =>
            strategy.prepare(device, program, submittedWorkDone(device)),
          );
          try {
            prepared.writeInput(input);
            await withErrorScopes(device, async () => {
              execution.prepareSample?.(undefined);
              await within(execution.execute(undefined), EXECUTION_LIMIT_MS, where);
            });
            expect(await prepared.checkStatus?.()).toBeUndefined();
            const error = maxRelativeError(await prepared.readOutput(strategy.program), expected);
            errors[strategy.id] = error;
            if (!(error <= tolerance.relative)) {
              failures.push(`${where}: max relative error ${error} > ${tolerance.relative}`);
            }
          } finally {
            execution.destroy?.();
          }
        }
      } finally {
        prepared.destroy();
      }
      if (process.env['LAUNCHBENCH_TEST_VERBOSE'] !== undefined) {
        console.info(`scale e${elements}: max relative error per strategy`, errors);
      }
      expect(failures).toEqual([]);
      expect(ctx.errors.messages, 'uncaptured GPU errors').toEqual([]);
      // scale offers every program: nothing may be skipped.
      expect(Object.keys(errors)).toEqual(STRATEGIES.map((s) => s.id));
    },
  );

  describe('measureCase compares floats within the tolerance, no further', () => {
    /** As little sampling as measureCase allows. */
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
    const ELEMENTS = 65;

    /** The real prepared case, but its read-back passes through `doctor` first. */
    function doctored(prepared: PreparedCase, doctor: (words: Uint32Array) => void): PreparedCase {
      return {
        program: (kind) => prepared.program(kind),
        writeInput: (input) => prepared.writeInput(input),
        readOutput: async (kind) => {
          const words = await prepared.readOutput(kind);
          doctor(words);
          return words;
        },
        destroy: () => prepared.destroy(),
      };
    }

    /** Runs measureCase with `doctor` applied to the output of one real strategy. */
    async function measureDoctored(
      ctx: GpuContext,
      strategyId: string,
      doctor: (words: Uint32Array) => void,
    ): Promise<Awaited<ReturnType<typeof measureCase>>> {
      const p = params(ctx, ELEMENTS, { intensity: 0 });
      const strategy = strategyById(strategyId);
      if (strategy === undefined) throw new Error(`no strategy ${strategyId}`);
      const prepared = await withErrorScopes(ctx.device, () =>
        scaleWorkload.prepare(ctx.device, p, ctx.limits),
      );
      try {
        const input = scaleWorkload.makeInput(p, seededRandom(freshSeed()));
        return await measureCase({
          ctx,
          workload: scaleWorkload,
          strategy,
          params: p,
          prepared: doctored(prepared, doctor),
          input,
          expected: { values: scaleWorkload.reference(input, p) },
          sampling: SAMPLING,
          verify: true,
          timestamps: undefined,
          shouldStop: () => false,
        });
      } finally {
        prepared.destroy();
      }
    }

    /** Moves the last element `ulps` representable floats away from zero (bit pattern + ulps). */
    const offByUlps =
      (ulps: number) =>
      (words: Uint32Array): void => {
        words[words.length - 1] = (words[words.length - 1] ?? 0) + ulps;
      };

    // Each ulp moves a normal f32 y by more than 2^-24·|y| and at most 2^-23·|y|.
    const tolerance = (ctx: GpuContext): Tolerance =>
      scaleTolerance(params(ctx, ELEMENTS, { intensity: 0 }));

    it.for(['dispatch-each', 'fused', 'persistent'])(
      '%s: an element off by more than the tolerance fails verification, with the error',
      async (strategyId, t) => {
        const ctx = gpu(t);
        const { relative } = tolerance(ctx);
        const ulps = Math.ceil(relative * 2 ** 24) + 1; // > 2^-24 each: past the tolerance
        const { result, samples } = await measureDoctored(ctx, strategyId, offByUlps(ulps));
        expect(result.status).toBe('failed');
        expect(result.reason).toMatch(new RegExp(`^wrong result at element ${ELEMENTS - 1}:`));
        expect(result.reason).toContain('max relative error');
        expect(result.reason).toContain(relative.toExponential(2));
        expect(result.verified).toBe(false);
        expect(samples).toEqual([]);
        const seen = result.notes['maxRelativeError'];
        expect(typeof seen === 'number' && seen > relative, String(seen)).toBe(true);
      },
    );

    it('an element off by less than the tolerance passes, and the error is recorded', async (t) => {
      const ctx = gpu(t);
      const { relative } = tolerance(ctx);
      const ulps = Math.floor(relative * 2 ** 23) - 1; // ≤ 2^-23 each: inside the tolerance
      expect(ulps).toBeGreaterThan(0);
      const { result, samples } = await measureDoctored(ctx, 'dispatch-each', offByUlps(ulps));
      expect(result.status, result.reason).toBe('ok');
      expect(result.verified).toBe(true);
      expect(samples.length).toBeGreaterThan(0);
      const seen = result.notes['maxRelativeError'];
      expect(typeof seen === 'number' && seen > 0 && seen <= relative, String(seen)).toBe(true);
      expect(result.notes['toleranceRelative']).toBe(relative);
    });

    it('NaN fails verification', async (t) => {
      const ctx = gpu(t);
      const nan = (words: Uint32Array): void => {
        words[0] = 0x7fc00000;
      };
      const { result } = await measureDoctored(ctx, 'dispatch-each', nan);
      expect(result.status).toBe('failed');
      expect(result.reason).toMatch(/^wrong result at element 0: got NaN/);
    });
  });
});

describe('scale workload without a GPU', () => {
  const base: CaseParams = {
    elements: 1000,
    kernels: 1,
    intensity: 0,
    workgroupSize: 64,
    persistentWorkgroups: 16,
  };

  it('the reference rounds to f32 after every multiply', () => {
    const one = new Uint32Array(Float32Array.of(1).buffer);
    const once = scaleWorkload.reference(one, { ...base, elements: 1 });
    expect(once[0]).toBe(0x3f9d70a4); // f32(1.23)
    expect(SCALE_FACTOR).toBe(Math.fround(1.23));
    let v = 1;
    for (let m = 0; m < 6; m++) v = Math.fround(v * SCALE_FACTOR);
    const chain = scaleWorkload.reference(one, { ...base, elements: 1, kernels: 3, intensity: 1 });
    expect(new Float32Array(chain.buffer)[0]).toBe(v);
  });

  it('the longest chain checkLimits allows stays finite and normal; one more is refused', () => {
    const longest = { ...base, kernels: SCALE_MAX_MULTIPLIES };
    expect(scaleWorkload.checkLimits(longest, DEFAULT_LIMITS)).toBeUndefined();
    const input = scaleWorkload.makeInput(longest, seededRandom(freshSeed()));
    for (const v of new Float32Array(input.buffer)) {
      expect(Math.abs(v)).toBeGreaterThanOrEqual(2 ** -126);
      expect(Math.abs(v)).toBeLessThan(2 ** -118);
    }
    for (const v of new Float32Array(scaleWorkload.reference(input, longest).buffer)) {
      expect(Math.abs(v)).toBeLessThan(2 ** 127);
    }
    for (const tooLong of [
      { ...base, kernels: SCALE_MAX_MULTIPLIES + 1 },
      { ...base, kernels: 4096 },
      { ...base, kernels: 2, intensity: Math.ceil(SCALE_MAX_MULTIPLIES / 2) },
    ]) {
      expect(scaleWorkload.checkLimits(tooLong, DEFAULT_LIMITS)).toMatch(
        /^scale: K × \(1 \+ intensity\) = .* would overflow f32 .* at most 820/,
      );
    }
  });

  it('the tolerance grows with the number of multiplies: about M × 2^-23', () => {
    for (const [kernels, intensity] of [
      [1, 0],
      [20, 0],
      [4, 9],
      [SCALE_MAX_MULTIPLIES, 0],
    ] as const) {
      const m = kernels * (intensity + 1);
      const { relative, why } = scaleTolerance({ ...base, kernels, intensity });
      expect(relative).toBeGreaterThanOrEqual(m * 2 ** -23);
      expect(relative).toBeLessThan(m * 2 ** -23 * 1.001);
      expect(why).toContain(`${m} f32 multiplies`);
    }
  });

  it('the cuda-graphs-blog scenario is the blog setup as a runnable profile', () => {
    const scenario = SCENARIOS['cuda-graphs-blog'];
    expect(scenario).toBeDefined();
    expect(scenario?.source).toContain('developer.nvidia.com/blog/cuda-graphs');
    const profile = scenarioProfile('cuda-graphs-blog');
    expect(profile).toMatchObject({
      name: 'cuda-graphs-blog',
      workloads: ['scale'],
      elements: [500_000],
      kernels: [20],
      intensity: [0],
      workgroupSize: [256],
    });
    expect(scenarioStrategies('cuda-graphs-blog')).toBe('all');
    for (const id of profile?.workloads ?? []) expect(workloadById(id)).toBeDefined();
    const p = { ...base, elements: 500_000, kernels: 20, workgroupSize: 256 };
    expect(scaleWorkload.checkLimits(p, DEFAULT_LIMITS)).toBeUndefined();
    for (const s of STRATEGIES)
      expect(notApplicable(scaleWorkload, s, p, DEFAULT_LIMITS)).toBeUndefined();
    // The mapping names strategies that exist (a new strategy needs no entry to run).
    for (const id of Object.keys(scenario?.mapping ?? {}))
      expect(STRATEGIES.map((s) => s.id)).toContain(id);
    expect(scenarioProfile('no-such-scenario')).toBeUndefined();
  });
});
