/**
 * Shapes of the `decode` workload (issue 12): one token of a Llama-style decoder at batch 1. A
 * preset names a real configuration; `--layers` and `--context` (and the vocabulary) are free
 * axes on top of it. Sizes here are what the GPU buffers and the CPU reference are built from,
 * and what a step moves: every weight is read once per step, so `weightBytes` over the run's
 * bandwidth reference is the step's floor.
 *
 * Weights are f32, stored output-major (row o of a projection holds its `in` inputs
 * contiguously), so that one workgroup reduces one row with coalesced reads.
 */

export interface DecodeShape {
  /** The preset's name, e.g. `llama-1b` (`llama-1b-f16`: the same with f16 weights). */
  preset: string;
  /**
   * How the weights are stored: f32, or f16 (two to a 32-bit word, unpacked to f32 in the shader
   * by `unpack2x16float`, which needs no `shader-f16` feature). Arithmetic is f32 either way.
   */
  weights: 'f32' | 'f16';
  /** Model width d = heads × headDim. */
  hidden: number;
  layers: number;
  /** Query heads H and key/value heads (H a multiple of it: grouped-query attention). */
  heads: number;
  kvHeads: number;
  headDim: number;
  /** Width of the gated feed-forward block. */
  ffn: number;
  vocab: number;
  /** Tokens already in the KV cache (L): the step attends over L + 1 positions. */
  context: number;
  /** RMSNorm epsilon. */
  normEps: number;
  /** RoPE base frequency. */
  ropeTheta: number;
}

/**
 * The presets: a tiny one that CI runs on lavapipe in seconds, a GPT-2-small-like one (12 layers
 * of width 768, 12 heads of 64, FFN 3072, vocabulary 50 257; here with the Llama block: RMSNorm,
 * RoPE and a gated FFN) and a Llama-3.2-1B-like one (width 2048, 16 layers, 32 query heads and 8
 * KV heads of 64, FFN 8192, vocabulary 128 256).
 */
export const DECODE_PRESETS: Readonly<Record<string, DecodeShape>> = {
  tiny: {
    preset: 'tiny',
    hidden: 64,
    layers: 2,
    heads: 4,
    kvHeads: 2,
    headDim: 16,
    ffn: 128,
    vocab: 256,
    context: 16,
    normEps: 1e-5,
    ropeTheta: 10_000,
    weights: 'f32',
  },
  'gpt2-small': {
    preset: 'gpt2-small',
    hidden: 768,
    layers: 12,
    heads: 12,
    kvHeads: 12,
    headDim: 64,
    ffn: 3072,
    vocab: 50_257,
    context: 256,
    normEps: 1e-5,
    ropeTheta: 10_000,
    weights: 'f32',
  },
  'llama-1b': {
    preset: 'llama-1b',
    hidden: 2048,
    layers: 16,
    heads: 32,
    kvHeads: 8,
    headDim: 64,
    ffn: 8192,
    vocab: 128_256,
    context: 1024,
    normEps: 1e-5,
    ropeTheta: 500_000,
    weights: 'f32',
  },
};

/** Suffix of a preset name that stores its weights as f16. */
export const F16_SUFFIX = '-f16';

/** Every preset name: each preset, and each with f16 weights. */
export const DECODE_PRESET_NAMES: readonly string[] = Object.keys(DECODE_PRESETS).flatMap((p) => [
  p,
  `${p}${F16_SUFFIX}`,
]);

/**
 * A case's preset with its vocabulary when `--vocab` gives one: `llama-1b@v32000` (the plan names
 * cases by preset, so the vocabulary axis travels in the name).
 */
export const withVocab = (preset: string, vocab: number): string => `${preset}@v${vocab}`;

/** A preset with the free axes applied; throws RangeError on a shape that cannot be built. */
export function decodeShape(
  preset: string,
  overrides: Partial<Pick<DecodeShape, 'layers' | 'context' | 'vocab'>> = {},
): DecodeShape {
  const [name = '', vocabText] = preset.split('@v');
  const f16 = name.endsWith(F16_SUFFIX);
  const base = DECODE_PRESETS[f16 ? name.slice(0, -F16_SUFFIX.length) : name];
  if (base === undefined)
    throw new RangeError(
      `unknown decode preset '${name}' (known: ${DECODE_PRESET_NAMES.join(', ')})`,
    );
  const shape: DecodeShape = {
    ...base,
    ...(vocabText === undefined ? {} : { vocab: Number(vocabText) }),
    ...overrides,
    preset,
    weights: f16 ? 'f16' : 'f32',
  };
  const positive = ['hidden', 'layers', 'heads', 'kvHeads', 'headDim', 'ffn', 'vocab'] as const;
  for (const key of positive)
    if (!Number.isInteger(shape[key]) || shape[key] < 1)
      throw new RangeError(`decode ${key} must be a positive integer, not ${shape[key]}`);
  if (!Number.isInteger(shape.context) || shape.context < 0)
    throw new RangeError(`decode context must be a whole number of tokens, not ${shape.context}`);
  if (shape.hidden !== shape.heads * shape.headDim)
    throw new RangeError(`decode hidden ${shape.hidden} must be heads × headDim`);
  if (shape.heads % shape.kvHeads !== 0)
    throw new RangeError(
      `decode heads ${shape.heads} must be a multiple of kvHeads ${shape.kvHeads}`,
    );
  if (shape.headDim % 2 !== 0) throw new RangeError('decode headDim must be even (RoPE pairs)');
  return shape;
}

/** Width of the key and value projections: kvHeads × headDim. */
export const kvWidth = (s: DecodeShape): number => s.kvHeads * s.headDim;

/** f32 words of one layer's weights, in the order the reference and the buffers hold them. */
export function layerWeightWords(s: DecodeShape): {
  attnNorm: number;
  wq: number;
  wk: number;
  wv: number;
  wo: number;
  ffnNorm: number;
  wGate: number;
  wUp: number;
  wDown: number;
} {
  const d = s.hidden;
  const kv = kvWidth(s);
  return {
    attnNorm: d,
    wq: d * d,
    wk: kv * d,
    wv: kv * d,
    wo: d * d,
    ffnNorm: d,
    wGate: s.ffn * d,
    wUp: s.ffn * d,
    wDown: d * s.ffn,
  };
}

const sum = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a + b, 0);

/** Bytes of weights one step reads: every layer's, the final norm and the LM head. */
/** Bytes of one stored weight. */
export const bytesPerWeight = (s: DecodeShape): number => (s.weights === 'f16' ? 2 : 4);

export function weightBytes(s: DecodeShape): number {
  return bytesPerWeight(s) * (s.layers * sum(layerWeightWords(s)) + s.hidden + s.vocab * s.hidden);
}

/** Bytes of the KV cache one step reads (L + 1 positions of K and V in every layer). */
export function kvCacheBytes(s: DecodeShape): number {
  return 4 * 2 * s.layers * (s.context + 1) * kvWidth(s);
}

/** The largest single buffer the workload binds: one layer's weights or the LM head, bytes. */
export function largestBindingBytes(s: DecodeShape): number {
  const weights = bytesPerWeight(s) * Math.max(sum(layerWeightWords(s)), s.vocab * s.hidden);
  return Math.max(weights, 4 * 2 * (s.context + 1) * kvWidth(s));
}

/**
 * Why `s` cannot run on a device with `limits`, or undefined when it can: every buffer must fit
 * `maxStorageBufferBindingSize` and `maxBufferSize`.
 */
export function decodeDoesNotFit(
  s: DecodeShape,
  limits: Record<string, number>,
): string | undefined {
  const largest = largestBindingBytes(s);
  // Missing limits (`list`, which has no device): WebGPU's guaranteed minimums.
  const binding = limits['maxStorageBufferBindingSize'] ?? 134217728;
  const buffer = limits['maxBufferSize'] ?? 268435456;
  const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  if (largest > binding)
    return `decode ${s.preset}: a ${mib(largest)} buffer exceeds this device's maxStorageBufferBindingSize of ${mib(binding)}`;
  if (largest > buffer)
    return `decode ${s.preset}: a ${mib(largest)} buffer exceeds this device's maxBufferSize of ${mib(buffer)}`;
  return undefined;
}
