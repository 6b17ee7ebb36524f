/**
 * Workload `scale`: the kernel of NVIDIA's "Getting Started with CUDA Graphs" blog post
 * (`out[i] = 1.23f * in[i]` over float32) as K chained kernels in place on one array<f32> of N
 * elements (shaders/scale.wgsl). Each kernel multiplies every element by f32(1.23), 1 + `intensity`
 * times; intensity 0 is exactly the blog's kernel. Structure as `map`: one dispatch per step with
 * its parameters at a dynamic uniform offset, a fused kernel, a persistent ticket-queue kernel,
 * and a 2-D grid past maxComputeWorkgroupsPerDimension.
 * Measures: launch cost of a chain of short memory-bound float kernels, the blog's case.
 * Does not measure: the blog's exact data flow — there every kernel reads `in` and writes `out`
 * (20 identical kernels); here each reads what the previous one wrote, so fusing them is real work
 * and the one-by-one strategies pay Dawn's barrier between dependent dispatches, as in `map`.
 *
 * Float semantics. The data are f32 bit patterns carried in the Uint32Array the Workload
 * interface passes. The CPU reference rounds to f32 after every multiply (Math.fround; the
 * product of two f32 values is exact in a double, so this is the correctly rounded f32 product),
 * in the order the shader does them. WGSL's f32 multiply is correctly rounded, so the one-by-one
 * programs are expected to match bit for bit; a compiler may still reorder the multiplies of the
 * fused and persistent loops, so verification allows the tolerance below (see `scaleTolerance`).
 *
 * Range. A chain of M = K × (1 + intensity) multiplies grows every value by 1.23^M = 2^(0.2987·M),
 * and WGSL leaves overflow (and subnormals) implementation-defined. Inputs therefore start at the
 * bottom of the normal range — random sign and mantissa, magnitude in [2^-126, 2^-118) — and
 * `checkLimits` allows M ≤ SCALE_MAX_MULTIPLIES (820), where 2^-118 × (1.23 × (1 + 2^-24))^M
 * stays below 2^127: no subnormal and no overflow anywhere in the chain, on any order of
 * evaluation. That is K ≤ 820 at intensity 0 (the blog's K = 20 uses 2.4% of it), not the
 * suite's 4096: no f32 input survives 4096 multiplies by 1.23 (the normal range spans 2^254).
 */
import { prepareElementwiseChain } from './elementwise-chain.ts';
import { uniformSlotBytes } from './grid.ts';
import type { CaseParams, Tolerance, Workload } from './types.ts';

/** Words of `Params` in shaders/scale.wgsl. */
const PARAM_WORDS = 6;

/** The blog's factor, rounded to f32 as WGSL's `1.23` would be. */
export const SCALE_FACTOR = Math.fround(1.23);
const FACTOR_BITS = new Uint32Array(Float32Array.of(SCALE_FACTOR).buffer)[0] ?? 0;

/** f32 unit roundoff: a correctly rounded multiply is off by at most this, relatively. */
const UNIT_ROUNDOFF = 2 ** -24;
/** Inputs have biased exponents 1…8: magnitudes in [2^-126, 2^-118). */
const INPUT_MAX_EXPONENT = 8;
const INPUT_MAX_LOG2 = INPUT_MAX_EXPONENT - 126;
/**
 * Most multiplies by 1.23 a chain may hold: the largest input, grown by the factor and by the
 * worst rounding at every multiply, stays below 2^127 (f32's largest finite value is just under
 * 2^128). 820.
 */
export const SCALE_MAX_MULTIPLIES = Math.floor(
  (127 - INPUT_MAX_LOG2) / Math.log2(SCALE_FACTOR * (1 + UNIT_ROUNDOFF)),
);

function multiplies(params: CaseParams): number {
  return params.kernels * (params.intensity + 1);
}

/**
 * Tolerance for a chain of M multiplies. Each correctly rounded multiply is off by a factor
 * within [1 − u, 1 + u], u = 2^-24, whatever order the M multiplies run in, so the GPU's result
 * and the reference are each within that factor to the power M of the exact product, and of each
 * other within ((1 + u) / (1 − u))^M − 1 ≈ M × 2^-23 (M ulps, roughly): 2.4e-6 for the blog's
 * K = 20. A one-by-one chain is bit-exact; this bound only covers reordering and constant folding
 * (e.g. 1.23 × 1.23 computed first) in fused or persistent code, never a lost or extra multiply
 * (off by 23%).
 */
export function scaleTolerance(params: CaseParams): Tolerance {
  const m = multiplies(params);
  return {
    relative: ((1 + UNIT_ROUNDOFF) / (1 - UNIT_ROUNDOFF)) ** m - 1,
    why: `${m} f32 multiplies, each correctly rounded (±2^-24) but possibly reordered by the shader compiler: ((1+2^-24)/(1-2^-24))^${m} - 1 ≈ ${m}·2^-23`,
  };
}

/** Random f32 bit patterns: random sign and mantissa, magnitude in [2^-126, 2^-118). */
export function randomScaleInput(length: number, random: () => number): Uint32Array {
  const words = new Uint32Array(length);
  for (let i = 0; i < length; i++) {
    const r = random();
    const exponent = ((r >>> 23) & (INPUT_MAX_EXPONENT - 1)) + 1;
    words[i] = (r & 0x807fffff) | (exponent << 23);
  }
  return words;
}

/** M multiplies by f32(1.23), each rounded to f32 like the shader's. */
function scaled(value: number, count: number): number {
  let v = value;
  for (let m = 0; m < count; m++) v = Math.fround(SCALE_FACTOR * v);
  return v;
}

export const scaleWorkload: Workload = {
  id: 'scale',
  description:
    'K chained float32 kernels data[i] = 1.23 * data[i] (the CUDA-graphs blog kernel), in place',
  programs: { steps: true, fused: true, persistent: true },

  checkLimits(params, limits) {
    const m = multiplies(params);
    if (m > SCALE_MAX_MULTIPLIES) {
      return `scale: K × (1 + intensity) = ${params.kernels} × ${params.intensity + 1} = ${m} multiplies by 1.23 would overflow f32 (inputs as large as 2^-118 grow by 2^0.2987 per multiply; f32 ends at 2^128): at most ${SCALE_MAX_MULTIPLIES}, e.g. K ≤ ${SCALE_MAX_MULTIPLIES} at intensity 0`;
    }
    const bytes = params.elements * 4;
    const binding = limits['maxStorageBufferBindingSize'] ?? 0;
    if (bytes > binding) {
      return `scale: ${params.elements} elements need a ${bytes}-byte storage binding, past maxStorageBufferBindingSize ${binding}`;
    }
    const maxBuffer = limits['maxBufferSize'] ?? 0;
    if (bytes > maxBuffer) return `scale: ${bytes} bytes past maxBufferSize ${maxBuffer}`;
    const perDim = limits['maxComputeWorkgroupsPerDimension'] ?? 0;
    if (Math.ceil(params.elements / params.workgroupSize) > perDim * perDim) {
      return `scale: ${params.elements} elements need more than ${perDim}² workgroups`;
    }
    if (params.kernels * uniformSlotBytes(limits) > maxBuffer) {
      return `scale: ${params.kernels} kernels past maxBufferSize for parameters`;
    }
    return undefined;
  },

  deviceBytes(params) {
    return params.elements * 4 * 2 + params.kernels * 256 + 256;
  },

  makeInput(params, random) {
    return randomScaleInput(params.elements, random);
  },

  referenceCost(params) {
    return params.elements * multiplies(params);
  },

  reference(input, params, indices) {
    const m = multiplies(params);
    const x = new Float32Array(input.buffer, input.byteOffset, input.length);
    const out = new Float32Array(indices?.length ?? input.length);
    if (indices === undefined) {
      for (let i = 0; i < x.length; i++) out[i] = scaled(x[i] ?? 0, m);
    } else {
      for (let j = 0; j < indices.length; j++) out[j] = scaled(x[indices[j] ?? 0] ?? 0, m);
    }
    return new Uint32Array(out.buffer);
  },

  tolerance: scaleTolerance,

  async prepare(device, params, limits) {
    return prepareElementwiseChain(device, params, limits, {
      name: 'scale',
      paramWords: PARAM_WORDS,
      // One slot per step, all alike (every kernel of the chain is the same, as in the blog), so
      // the one-by-one programs set a dynamic offset per dispatch exactly as `map`'s do: the host
      // cost of a launch with its own parameters, comparable across the two workloads.
      // Params in shaders/scale.wgsl: elements, intensity, kernels, rowWorkgroups, P, factor bits.
      slotWords: (_step, s) => [
        s.elements,
        s.intensity,
        s.kernels,
        s.rowWorkgroups,
        s.persistentWorkgroups,
        FACTOR_BITS,
      ],
    });
  },
};
