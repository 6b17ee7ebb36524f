/**
 * Workload `decode` (issue 12): one token of a Llama-style decoder at batch 1, at the shape of a
 * preset (src/workloads/decode/shapes.ts), as the 17-ops-per-layer `steps` program, the 6-ops-per-layer
 * `fused` one, or one `persistent` megakernel (src/workloads/decode/programs.ts,
 * shaders/decode/step.wgsl). Weights, the KV history and the input vector are hashed from the
 * case's seed on the GPU (shaders/decode/init.wgsl), bit for bit as the CPU reference makes them
 * (reference.ts), so nothing is uploaded but the seed and nothing is downloaded but the logits.
 * A case is prepared in steps: its plan (programs.ts), its buffers and their bind group
 * (buffers.ts), the init dispatches of its tensors (tensors.ts), its programs (prepared.ts).
 *
 * Case parameters: `preset` names the model; `kernels` is the number of layers and `elements`
 * the context L (tokens in the KV cache); `intensity` is not used. Per-kernel figures are per
 * layer; the summary's decode columns give the step, its dispatches and its weight bytes.
 * Measures: what launching a real decode step costs, and what fusing it or running it as one
 * persistent kernel wins back. Does not measure: batching, f16 weights, prefill.
 */
import { AXIS_LIMITS } from '../../options.ts';
import type { CaseParams, DeviceLimits, ProgramKind, Workload } from '../types.ts';
import { bindStep, createStepBuffers } from './buffers.ts';
import { DecodeCase } from './prepared.ts';
import {
  GEMV_ROWS,
  attentionChunks,
  SCORE_LANES,
  MAX_OPS,
  decodeLayout,
  stepPlan,
  type DecodeLayout,
} from './programs.ts';
import { decodeStep } from './reference.ts';
import {
  DECODE_PRESETS,
  DECODE_PRESET_NAMES,
  withVocab,
  decodeDoesNotFit,
  decodeShape,
  kvWidth,
  weightBytes,
  type DecodeShape,
} from './shapes.ts';
import { initTensors } from './tensors.ts';

export const DEFAULT_PRESET = 'tiny';
/** Storage buffers step.wgsl binds: four slabs, two caches, activations, the barrier. */
const STORAGE_BUFFERS = 8;

/** The shape a case runs: its preset with `kernels` layers and a context of `elements` tokens. */
export function caseShape(params: CaseParams): DecodeShape {
  return decodeShape(params.preset ?? DEFAULT_PRESET, {
    layers: params.kernels,
    context: params.elements,
  });
}

/** Dispatches one step of each program launches. */
export function decodeDispatches(s: DecodeShape): Record<ProgramKind, number> {
  return { steps: 17 * s.layers + 2, fused: 6 * s.layers + 1, persistent: 1 };
}

export const decodeWorkload: Workload = {
  id: 'decode',
  description:
    'one Llama-style decode step at batch 1 (presets: ' +
    `${Object.keys(DECODE_PRESETS).join(', ')}, each also -f16; K = layers, elements = context tokens)`,
  unit: 'step',
  programs: { steps: true, fused: true, persistent: true },
  reliesOn: { persistent: 'co-residency' },
  sizesPersistentGrid: true,
  presets: {
    names: DECODE_PRESET_NAMES,
    // f32 weights unless an `-f16` preset is named
    defaults: Object.keys(DECODE_PRESETS),
    withAxis: withVocab,
    meaning: { elements: 'context tokens', kernels: 'layers' },
    flags: {
      elements: {
        name: 'context',
        describe: 'tokens already in the KV cache',
        min: 0,
        max: AXIS_LIMITS.elements.max,
      },
      kernels: { name: 'layers', describe: 'decoder layers', min: 1, max: AXIS_LIMITS.kernels.max },
      extra: {
        name: 'vocab',
        describe: "vocabulary sizes (the LM head's rows)",
        min: 1,
        max: 2 ** 24,
      },
    },
    axes: (preset) => {
      const s = decodeShape(preset);
      return { elements: s.context, kernels: s.layers };
    },
  },

  checkLimits(params, limits) {
    let s: DecodeShape;
    try {
      s = caseShape(params);
    } catch (error) {
      return (error as Error).message;
    }
    const wg = params.workgroupSize;
    if ((wg & (wg - 1)) !== 0 || wg < Math.max(2 * GEMV_ROWS, s.headDim))
      return `decode: workgroup size ${wg} must be a power of two of at least ${Math.max(2 * GEMV_ROWS, s.headDim)} (GEMV rows and a head's width)`;
    if ((s.headDim & (s.headDim - 1)) !== 0 || s.headDim < SCORE_LANES)
      return `decode: headDim ${s.headDim} must be a power of two of at least ${SCORE_LANES}`;
    // shaders/decode/step.wgsl's workgroup arrays: red (f32) and red4 (vec4) per invocation,
    // scores4 per SCORE_LANES invocations, q4 per dimension of a head
    const shared = wg * 4 + wg * 16 + (wg / SCORE_LANES) * 16 + s.headDim * 16;
    const sharedLimit = limits['maxComputeWorkgroupStorageSize'] ?? 16384;
    if (shared > sharedLimit)
      return `decode: workgroup size ${wg} needs ${shared} bytes of workgroup memory, past this device's ${sharedLimit} (maxComputeWorkgroupStorageSize)`;
    if (s.hidden % 64 !== 0 || s.ffn % 64 !== 0)
      return `decode: hidden ${s.hidden} and ffn ${s.ffn} must be multiples of 64`;
    // 17 + 6 per layer; the final norm and two LM heads; two empty ops at least (the co-residency
    // probe's; buffers.ts writes as many as the step has where they fit, to time its barriers)
    const ops = 23 * s.layers + 5;
    if (ops > MAX_OPS)
      return `decode: ${s.layers} layers need ${ops} ops, past the op table's ${MAX_OPS} (at most ${Math.floor((MAX_OPS - 5) / 23)} layers)`;
    return undefined;
  },

  // A preset that does not fit this adapter is left out with the reason (a run of several
  // presets goes on with the others); checkLimits above is for shapes that cannot exist.
  programUnavailable(_kind, params, limits) {
    const s = caseShape(params);
    const fit = decodeDoesNotFit(s, limits);
    if (fit !== undefined) return fit;
    let layout: DecodeLayout;
    try {
      layout = decodeLayout(s, limits, params.workgroupSize);
    } catch (error) {
      return (error as Error).message;
    }
    const storage = limits['maxStorageBuffersPerShaderStage'] ?? 8;
    if (storage < STORAGE_BUFFERS)
      return `decode binds ${STORAGE_BUFFERS} storage buffers, past maxStorageBuffersPerShaderStage ${storage}`;
    const binding = limits['maxStorageBufferBindingSize'] ?? 134217728;
    const bytes = 4 * Math.max(layout.actFloats, s.layers * layout.cacheFloatsPerLayer);
    if (bytes > binding)
      return `decode: a context of ${s.context} tokens needs a ${(bytes / 2 ** 20).toFixed(0)} MiB cache binding, past maxStorageBufferBindingSize ${(binding / 2 ** 20).toFixed(0)} MiB`;
    return undefined;
  },

  deviceBytes(params) {
    const s = caseShape(params);
    const kv = kvWidth(s);
    const chunks = attentionChunks(s, params.workgroupSize);
    const acts =
      s.layers *
      (10 * s.hidden + 2 * kv + 3 * s.ffn + s.heads * (s.context + 2 + chunks * (s.headDim + 2)));
    return weightBytes(s) + 4 * (2 * s.layers * (s.context + 1) * kv + acts + s.vocab) + 2 ** 20;
  },

  makeInput(_params, random) {
    return Uint32Array.of(Math.floor(random() * 2 ** 32) >>> 0);
  },

  costLike(params) {
    const s = caseShape(params);
    const kernels = decodeDispatches(s).steps;
    return { kernels, elements: Math.ceil(weightBytes(s) / 8 / kernels) };
  },

  referenceCost(params) {
    // Hashed multiply-adds: every weight once, the cache twice per query head group.
    const s = caseShape(params);
    return 8 * (weightBytes(s) / 4 + 2 * s.layers * s.heads * (s.context + 1) * s.headDim);
  },

  reference(input, params, indices) {
    const s = caseShape(params);
    const { logits } = decodeStep(
      s,
      input[0] ?? 0,
      indices === undefined ? undefined : [...indices],
    );
    return new Uint32Array(logits.buffer, logits.byteOffset, logits.length);
  },

  outputLength: (params) => caseShape(params).vocab,

  tolerance(params) {
    const s = caseShape(params);
    return {
      relative: 2e-3,
      absolute: 2e-3,
      why: `f32 throughout; the GPU sums each GEMV's ${Math.max(s.hidden, s.ffn)} products in another order than the reference (lanes, vec4 dots, a tree) and its exp may differ by a few ulp; worst error measured on lavapipe and an H200 8.3e-6 (llama-1b), bound 2e-3 (absolute part in units of the logits' RMS)`,
    };
  },

  prepare: (device, params, limits) => prepareDecode(device, params, limits),
};

/**
 * Plans the case's step, makes and binds its buffers and the init dispatches of its tensors; its
 * programs are built on first request (DecodeCase).
 */
export async function prepareDecode(
  device: GPUDevice,
  params: CaseParams,
  limits: DeviceLimits,
): Promise<DecodeCase> {
  const plan = stepPlan(caseShape(params), params, limits);
  const buffers = createStepBuffers(device, plan);
  const binding = await bindStep(device, buffers);
  const init = await initTensors(device, plan, buffers);
  return new DecodeCase(device, plan, buffers, binding, init);
}
