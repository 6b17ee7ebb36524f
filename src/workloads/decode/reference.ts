/**
 * The CPU reference of one decode step (src/workloads/decode/shapes.ts), in f32: every product
 * and sum rounded to f32 (Math.fround), GEMV sums in input order. The weights, the KV cache's
 * first L positions and the input vector are not stored anywhere: each value is a counter-based
 * hash of (seed, tensor, index) turned into an f32 (`decodeValue`), which the GPU computes with
 * the same integer operations, so both sides hold the same values bit for bit and a 4.9 GB
 * Llama-1B-like step needs no upload and no CPU copy of its weights.
 *
 * Per layer: h = RMSNorm(x) · attnNorm; q, k, v = h·Wq, h·Wk, h·Wv; RoPE on q and k at position
 * L; k and v appended to the cache at L; per query head (grouped: head h reads KV head
 * h ÷ (H / Hkv)) scores over positions 0…L, softmax, weighted sum of V; x += concat·Wo;
 * h = RMSNorm(x) · ffnNorm; x += (SiLU(h·Wgate) ⊙ h·Wup)·Wdown. Then logits = RMSNorm(x) ·
 * finalNorm · LM head.
 */
import { kvWidth, type DecodeShape } from './shapes.ts';

const f = Math.fround;

/** lowbias32 (C. Wellons): a 32-bit integer hash with good avalanche, cheap in WGSL too. */
export function hash32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** The tensors a step reads, numbered for the hash: per layer, and the model's own. */
export const TENSOR = {
  attnNorm: 0,
  wq: 1,
  wk: 2,
  wv: 3,
  wo: 4,
  ffnNorm: 5,
  wGate: 6,
  wUp: 7,
  wDown: 8,
  kCache: 9,
  vCache: 10,
  finalNorm: 11,
  lmHead: 12,
  input: 13,
} as const;
export type TensorName = keyof typeof TENSOR;

/** The stream id of tensor `name` of layer `layer` (model tensors: layer 0). */
export const tensorStream = (seed: number, name: TensorName, layer = 0): number =>
  hash32((seed ^ Math.imul(layer * 16 + TENSOR[name] + 1, 0x9e3779b9)) >>> 0);

/**
 * Value `index` of a tensor stream: uniform in [−scale/2, scale/2), exactly as the GPU computes
 * it (shaders/decode/init.wgsl): the hash's top `bits` bits (24, or 9 for f16 weights) as a
 * fraction and minus 0.5 are exact in f32 (WGSL leaves the rounding of a wider u32 → f32
 * conversion to the implementation), so the one rounding is the product with the scale, which
 * WGSL rounds correctly (and which is exact for f16 weights, whose scales are powers of two).
 */
export function decodeValue(stream: number, index: number, scale: number, bits = 24): number {
  const h = hash32((stream + Math.imul(index, 0x85ebca6b)) >>> 0);
  return f(((h >>> (32 - bits)) * 2 ** -bits - 0.5) * scale);
}

const NORMS: readonly TensorName[] = ['attnNorm', 'ffnNorm', 'finalNorm'];
const STORED_AS_WEIGHTS: readonly TensorName[] = [
  ...NORMS,
  'wq',
  'wk',
  'wv',
  'wo',
  'wGate',
  'wUp',
  'wDown',
  'lmHead',
];

/**
 * Bits of a tensor's values: 24, or 9 for the weights of an f16 preset. Nine bits times a power
 * of two of at least 2⁻⁵ are exact f16 numbers and never subnormal (the smallest, 2⁻¹⁴, is f16's
 * smallest normal), so packing them to f16 on the GPU loses nothing and the CPU reference holds
 * the same weights.
 */
export const valueBits = (s: DecodeShape, name: TensorName): number =>
  s.weights === 'f16' && STORED_AS_WEIGHTS.includes(name) ? 9 : 24;

/** 2/√fan-in, or for f16 weights the power of two nearest it (at least 2⁻⁵). */
function matrixScale(s: DecodeShape, fanIn: number): number {
  const scale = 2 / Math.sqrt(fanIn);
  return s.weights === 'f16' ? 2 ** Math.max(-5, Math.round(Math.log2(scale))) : f(scale);
}

/** The scale of a tensor's values: weights ~ 1/√fan-in keep activations of order 1; norms near 1. */
export function tensorScale(s: DecodeShape, name: TensorName): number {
  switch (name) {
    case 'attnNorm':
    case 'ffnNorm':
    case 'finalNorm':
      return f(0.5); // weights 1 ± 0.25 (decodeWeight adds the 1)
    case 'wq':
    case 'wk':
    case 'wv':
    case 'wGate':
    case 'wUp':
    case 'lmHead':
    case 'wo':
      return matrixScale(s, s.hidden);
    case 'wDown':
      return matrixScale(s, s.ffn);
    case 'kCache':
    case 'vCache':
    case 'input':
      return f(2);
  }
}

/** One value of tensor `name` (norm weights are 1 + value). */
export function decodeWeight(
  s: DecodeShape,
  seed: number,
  name: TensorName,
  layer: number,
  index: number,
): number {
  const v = decodeValue(
    tensorStream(seed, name, layer),
    index,
    tensorScale(s, name),
    valueBits(s, name),
  );
  return NORMS.includes(name) ? f(1 + v) : v;
}

/** y = W·x for W stored output-major (rows × cols), sums in input order; `rows` may be a subset. */
function gemv(
  s: DecodeShape,
  seed: number,
  name: TensorName,
  layer: number,
  x: Float32Array,
  rows: number,
  which?: readonly number[],
): Float32Array {
  const cols = x.length;
  const stream = tensorStream(seed, name, layer);
  const scale = tensorScale(s, name);
  const bits = valueBits(s, name);
  const out = new Float32Array(which?.length ?? rows);
  for (let r = 0; r < out.length; r++) {
    const row = which?.[r] ?? r;
    let acc = 0;
    for (let c = 0; c < cols; c++)
      acc = f(acc + f(decodeValue(stream, row * cols + c, scale, bits) * (x[c] as number)));
    out[r] = acc;
  }
  return out;
}

/** RMSNorm(x) · weight: x / √(mean(x²) + eps) · w, in f32. */
export function rmsNorm(
  s: DecodeShape,
  seed: number,
  name: TensorName,
  layer: number,
  x: Float32Array,
): Float32Array {
  let squares = 0;
  for (const v of x) squares = f(squares + f(v * v));
  const inv = f(1 / f(Math.sqrt(f(f(squares / x.length) + f(s.normEps)))));
  return x.map((v, i) => f(f(v * inv) * decodeWeight(s, seed, name, layer, i)));
}

/**
 * The RoPE table at `position`: (cos, sin) of position · θ^(−2i/headDim) for each pair i, in f32.
 * The GPU reads this same table (uploaded once, as an engine uploads its rotary cache): WGSL
 * leaves cos and sin of a large angle to the implementation.
 */
export function ropeTable(s: DecodeShape, position: number): Float32Array {
  const half = s.headDim / 2;
  const table = new Float32Array(2 * half);
  for (let i = 0; i < half; i++) {
    const angle = f(position * f(Math.pow(s.ropeTheta, -(2 * i) / s.headDim)));
    table[2 * i] = Math.cos(angle);
    table[2 * i + 1] = Math.sin(angle);
  }
  return table;
}

/** RoPE on each head of `v` (heads × headDim), pairs (2i, 2i+1), at `position`. */
export function rope(s: DecodeShape, v: Float32Array, position: number): Float32Array {
  const out = new Float32Array(v.length);
  const table = ropeTable(s, position);
  const half = s.headDim / 2;
  for (let head = 0; head < v.length / s.headDim; head++) {
    for (let i = 0; i < half; i++) {
      const cos = table[2 * i] as number;
      const sin = table[2 * i + 1] as number;
      const a = head * s.headDim + 2 * i;
      const x0 = v[a] as number;
      const x1 = v[a + 1] as number;
      out[a] = f(f(x0 * cos) - f(x1 * sin));
      out[a + 1] = f(f(x0 * sin) + f(x1 * cos));
    }
  }
  return out;
}

/** Row `position` of a layer's K or V cache: the hashed history, or the step's own row at L. */
function cacheRow(
  s: DecodeShape,
  seed: number,
  name: 'kCache' | 'vCache',
  layer: number,
  position: number,
): Float32Array {
  const width = kvWidth(s);
  const stream = tensorStream(seed, name, layer);
  const scale = tensorScale(s, name);
  const row = new Float32Array(width);
  for (let i = 0; i < width; i++) row[i] = decodeValue(stream, position * width + i, scale);
  return row;
}

/** Grouped-query attention of the step's query over positions 0…L (the last is the step's own k, v). */
function attention(
  s: DecodeShape,
  seed: number,
  layer: number,
  q: Float32Array,
  kNew: Float32Array,
  vNew: Float32Array,
): Float32Array {
  const L = s.context;
  const keys = Array.from({ length: L }, (_, p) => cacheRow(s, seed, 'kCache', layer, p));
  keys.push(kNew);
  const values = Array.from({ length: L }, (_, p) => cacheRow(s, seed, 'vCache', layer, p));
  values.push(vNew);
  const group = s.heads / s.kvHeads;
  const scale = f(1 / Math.sqrt(s.headDim));
  const out = new Float32Array(s.hidden);
  for (let h = 0; h < s.heads; h++) {
    const kvh = Math.floor(h / group);
    const scores = new Float32Array(L + 1);
    let max = -Infinity;
    for (let p = 0; p <= L; p++) {
      let dot = 0;
      for (let i = 0; i < s.headDim; i++)
        dot = f(
          dot +
            f(
              (q[h * s.headDim + i] as number) *
                ((keys[p] as Float32Array)[kvh * s.headDim + i] as number),
            ),
        );
      scores[p] = f(dot * scale);
      max = Math.max(max, scores[p] as number);
    }
    let total = 0;
    for (let p = 0; p <= L; p++) {
      scores[p] = f(Math.exp(f((scores[p] as number) - max)));
      total = f(total + (scores[p] as number));
    }
    for (let i = 0; i < s.headDim; i++) {
      let acc = 0;
      for (let p = 0; p <= L; p++)
        acc = f(
          acc +
            f((scores[p] as number) * ((values[p] as Float32Array)[kvh * s.headDim + i] as number)),
        );
      out[h * s.headDim + i] = f(acc / total);
    }
  }
  return out;
}

const silu = (x: number): number => f(x / f(1 + f(Math.exp(-x))));

export interface DecodeStepResult {
  /** The logits of the step (all of them, or those of `logitRows`). */
  logits: Float32Array;
  /** The residual stream after the last layer, before the final norm. */
  hidden: Float32Array;
}

/**
 * One decode step: the token at position L, whose input vector is the `input` tensor. Computes
 * the logits of `logitRows` only where given (the LM head is the largest GEMV; the layers are
 * computed in full either way).
 */
export function decodeStep(
  s: DecodeShape,
  seed: number,
  logitRows?: readonly number[],
): DecodeStepResult {
  const inputStream = tensorStream(seed, 'input');
  let x = Float32Array.from({ length: s.hidden }, (_, i) =>
    decodeValue(inputStream, i, tensorScale(s, 'input')),
  );
  const kv = kvWidth(s);
  for (let layer = 0; layer < s.layers; layer++) {
    const h = rmsNorm(s, seed, 'attnNorm', layer, x);
    const q = rope(s, gemv(s, seed, 'wq', layer, h, s.hidden), s.context);
    const k = rope(s, gemv(s, seed, 'wk', layer, h, kv), s.context);
    const v = gemv(s, seed, 'wv', layer, h, kv);
    const attn = gemv(s, seed, 'wo', layer, attention(s, seed, layer, q, k, v), s.hidden);
    x = x.map((xi, i) => f(xi + (attn[i] as number)));
    const h2 = rmsNorm(s, seed, 'ffnNorm', layer, x);
    const gate = gemv(s, seed, 'wGate', layer, h2, s.ffn);
    const up = gemv(s, seed, 'wUp', layer, h2, s.ffn);
    const act = gate.map((g, i) => f(silu(g) * (up[i] as number)));
    const down = gemv(s, seed, 'wDown', layer, act, s.hidden);
    x = x.map((xi, i) => f(xi + (down[i] as number)));
  }
  const y = rmsNorm(s, seed, 'finalNorm', 0, x);
  return { logits: gemv(s, seed, 'lmHead', 0, y, s.vocab, logitRows), hidden: x };
}
