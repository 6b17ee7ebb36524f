/**
 * Where the decode step's tensors live and what each program runs: the weight slabs, the
 * activation regions, and the op table of shaders/decode/step.wgsl. Pure functions of the shape
 * and the device limits (no GPU), so the layout and the op counts are tested without one.
 *
 * Programs (every one the same arithmetic on the same buffers, verified against the reference):
 *   steps       17 ops per layer, one dispatch each: norm, q, k, v, RoPE, append, scores,
 *               softmax, weighted sum, output projection, residual add, norm, gate, up, SiLU·up,
 *               down, residual add; then the final norm and the LM head
 *   fused       6 per layer: QKV (norm folded in, RoPE and the cache append in its epilogue),
 *               attention over chunks of positions and its combine (flash-decoding), output
 *               projection + residual, gate/up (norm
 *               folded in, SiLU·up in its epilogue), down + residual; then the LM head with the
 *               final norm folded in
 *   persistent  the fused ops in one dispatch, a grid-wide barrier between them
 */
import { alignUp, gridFor, uniformSlotBytes } from '../grid.ts';
import type { CaseParams } from '../types.ts';
import { bytesPerWeight, kvWidth, layerWeightWords, type DecodeShape } from './shapes.ts';

/** Op kinds, as in shaders/decode/step.wgsl. */
export const KIND = {
  norm: 0,
  gemv: 1,
  rope: 2,
  append: 3,
  scores: 4,
  softmax: 5,
  wsum: 6,
  add: 7,
  silu: 8,
  attention: 9,
  combine: 10,
} as const;
export type OpKind = keyof typeof KIND;

export const EPI = { store: 0, ropeAppend: 1, siluPair: 2 } as const;
export const NONE = 0xffffffff;
/** Rows of a GEMV unit (shaders/decode/step.wgsl ROWS: every lane works on all of them). */
export const GEMV_ROWS = 4;
/** Lanes per score and dims per weighted-sum unit (step.wgsl SCORE_LANES, WSUM_DIMS). */
export const SCORE_LANES = 8;
export const WSUM_DIMS = 8;

/** Chunks of the positions the fused attention splits (step.wgsl: WORKGROUP_SIZE / SCORE_LANES each). */
export const attentionChunks = (s: DecodeShape, wg: number): number =>
  Math.ceil((s.context + 1) / (wg / SCORE_LANES));
/**
 * Units of the fused attention: a chunk of one KV head for up to four of the query heads that
 * share it (step.wgsl attention_unit).
 */
export const attentionUnits = (s: DecodeShape, wg: number): number =>
  s.kvHeads * Math.ceil(s.heads / s.kvHeads / 4) * attentionChunks(s, wg);
/** Entries of the op table (a 64 KiB uniform buffer: 16 words per op). */
export const MAX_OPS = 1024;
export const OP_WORDS = 16;
/** Slabs the shader binds (w0 … w3). */
export const MAX_SLABS = 4;
/** Every tensor and activation region starts at a multiple of this many floats (256 bytes). */
const ALIGN_FLOATS = 64;

type LayerTensor = keyof ReturnType<typeof layerWeightWords>;
const LAYER_TENSORS: readonly LayerTensor[] = [
  'attnNorm',
  'wq',
  'wk',
  'wv',
  'wo',
  'ffnNorm',
  'wGate',
  'wUp',
  'wDown',
];

/** A tensor's place: slab and first float. */
export interface Place {
  slab: number;
  offset: number;
  floats: number;
}

export interface LayerActs {
  h: number;
  q: number;
  k: number;
  v: number;
  scores: number;
  sums: number;
  /** The fused attention's per-chunk partials: heads × chunks × (headDim + 2). */
  partials: number;
  attn: number;
  o: number;
  xa: number;
  h2: number;
  gate: number;
  up: number;
  act: number;
  down: number;
  xf: number;
}

export interface DecodeLayout {
  /** Weights of each slab (elements: bytes are `bytesPerWeight` each). */
  slabFloats: number[];
  layers: Record<LayerTensor, Place>[];
  finalNorm: Place;
  lmHead: Place;
  /** Float offsets into `act`. */
  acts: { x0: number; rope: number; layers: LayerActs[]; hf: number; logits: number };
  actFloats: number;
  /** Floats of one layer's K (or V) cache: (L + 1) positions × kvWidth, rounded up to 64. */
  cacheFloatsPerLayer: number;
}

/**
 * Largest slab, bytes: one storage binding, rounded down to 256 bytes (every tensor's offset is
 * a multiple of it).
 */
export function slabLimitBytes(limits: Record<string, number>): number {
  const binding = limits['maxStorageBufferBindingSize'] ?? 134217728;
  const buffer = limits['maxBufferSize'] ?? 268435456;
  return Math.floor(Math.min(binding, buffer) / 256) * 256;
}

/**
 * Fills the weight slabs in order: each block of weights goes to the end of the last slab, or
 * opens the next one where it does not fit there. Weights are counted in elements (4 bytes each,
 * or 2 for f16) and every block starts 256-byte aligned.
 */
class SlabPacker {
  /** Weights of each slab so far. */
  readonly slabFloats: number[] = [0];
  /** Elements per 256 bytes: every block starts at a multiple of it. */
  readonly align: number;
  private readonly bytesPerElement: number;
  private readonly limitFloats: number;

  constructor(
    private readonly s: DecodeShape,
    limits: Record<string, number>,
  ) {
    this.bytesPerElement = bytesPerWeight(s);
    this.align = 256 / this.bytesPerElement;
    this.limitFloats = slabLimitBytes(limits) / this.bytesPerElement;
  }

  /**
   * Places `floats` weights (`what`, for the message) in one slab. Throws RangeError when they
   * are past one binding alone, or would need more than MAX_SLABS.
   */
  take(floats: number, what: string): { slab: number; offset: number } {
    const { s, slabFloats, limitFloats } = this;
    if (floats > limitFloats)
      throw new RangeError(
        `decode ${s.preset}: ${what} needs ${this.mib(floats)} MiB in one storage binding, past this device's ${this.mib(limitFloats)} MiB (maxStorageBufferBindingSize)`,
      );
    let slab = slabFloats.length - 1;
    if ((slabFloats[slab] ?? 0) + floats > limitFloats) {
      slabFloats.push(0);
      slab++;
    }
    if (slab >= MAX_SLABS)
      throw new RangeError(
        `decode ${s.preset}: the weights need more than ${MAX_SLABS} storage bindings of ${this.mib(limitFloats)} MiB`,
      );
    const offset = slabFloats[slab] ?? 0;
    slabFloats[slab] = offset + alignUp(floats, this.align);
    return { slab, offset };
  }

  /** `elements` weights in MiB, for messages. */
  private mib(elements: number): string {
    return ((elements * this.bytesPerElement) / 2 ** 20).toFixed(0);
  }
}

/**
 * Lays out the weights: each layer's tensors one after another in one slab (a layer never
 * straddles two), then the final norm and the LM head together. Throws as SlabPacker.take does.
 */
function layoutWeights(
  s: DecodeShape,
  limits: Record<string, number>,
): Pick<DecodeLayout, 'slabFloats' | 'layers' | 'finalNorm' | 'lmHead'> {
  const packer = new SlabPacker(s, limits);
  const { align } = packer;
  const words = layerWeightWords(s);
  const layerFloats = LAYER_TENSORS.reduce((n, t) => n + alignUp(words[t], align), 0);
  const layers: Record<LayerTensor, Place>[] = [];
  for (let l = 0; l < s.layers; l++) {
    const { slab, offset } = packer.take(layerFloats, `layer ${l}`);
    let at = offset;
    const places = {} as Record<LayerTensor, Place>;
    for (const t of LAYER_TENSORS) {
      places[t] = { slab, offset: at, floats: words[t] };
      at += alignUp(words[t], align);
    }
    layers.push(places);
  }
  const head = packer.take(alignUp(s.hidden, align) + s.vocab * s.hidden, 'the LM head');
  const finalNorm = { slab: head.slab, offset: head.offset, floats: s.hidden };
  const lmHead = {
    slab: head.slab,
    offset: head.offset + alignUp(s.hidden, align),
    floats: s.vocab * s.hidden,
  };
  return { slabFloats: packer.slabFloats, layers, finalNorm, lmHead };
}

/**
 * Lays out the activations in `act`, each region 256-byte aligned: the input and the RoPE table,
 * every layer's intermediates, then the final norm's output and the logits.
 */
function layoutActivations(s: DecodeShape, wg: number): Pick<DecodeLayout, 'acts' | 'actFloats'> {
  let act = 0;
  const region = (floats: number): number => {
    const at = act;
    act += alignUp(Math.max(1, floats), ALIGN_FLOATS);
    return at;
  };
  const d = s.hidden;
  const kv = kvWidth(s);
  const x0 = region(d);
  const rope = region(s.headDim);
  const actLayers: LayerActs[] = [];
  for (let l = 0; l < s.layers; l++) {
    const h = region(d);
    // q, k and v one after another: the fused QKV GEMV writes its rows in that order.
    const q = region(d + 2 * kv);
    actLayers.push({
      h,
      q,
      k: q + d,
      v: q + d + kv,
      scores: region(s.heads * (s.context + 1)),
      sums: region(s.heads),
      partials: region(s.heads * attentionChunks(s, wg) * (s.headDim + 2)),
      attn: region(d),
      o: region(d),
      xa: region(d),
      h2: region(d),
      gate: region(s.ffn),
      up: region(s.ffn),
      act: region(s.ffn),
      down: region(d),
      xf: region(d),
    });
  }
  const hf = region(d);
  const logits = region(s.vocab);
  return { acts: { x0, rope, layers: actLayers, hf, logits }, actFloats: act };
}

/**
 * Packs the weights into slabs, layer by layer (a layer never straddles two), then the final
 * norm and the LM head; lays out the activations. Throws RangeError when a layer or the LM head
 * alone is past one binding, or more than MAX_SLABS are needed.
 */
export function decodeLayout(
  s: DecodeShape,
  limits: Record<string, number>,
  wg: number,
): DecodeLayout {
  return {
    ...layoutWeights(s, limits),
    ...layoutActivations(s, wg),
    // 256-byte aligned: the init kernel binds each layer's history at this offset.
    cacheFloatsPerLayer: alignUp((s.context + 1) * kvWidth(s), ALIGN_FLOATS),
  };
}

/** One row of the op table (field order and meaning: `Op` in shaders/decode/step.wgsl). */
export interface Op {
  kind: OpKind;
  /** What it computes, for per-op timings: `q`, `gate+up`, `lm-head`, `attention`, … */
  name: string;
  units: number;
  rows?: number;
  cols?: number;
  slab?: number;
  /** GEMV matrix: first float (a multiple of 4; the table holds it in vec4s). */
  w?: number;
  src?: number;
  dst?: number;
  res?: number;
  normSlab?: number;
  norm?: number;
  epi?: keyof typeof EPI;
  cache?: number;
  scores?: number;
  sums?: number;
}

const chunks = (n: number, wg: number): number => Math.max(1, Math.ceil(n / wg));

function gemv(
  name: string,
  w: Place,
  rows: number,
  cols: number,
  src: number,
  dst: number,
  extra: Partial<Op> = {},
): Op {
  const pair = extra.epi === 'siluPair';
  return {
    kind: 'gemv',
    name,
    units: chunks(rows, pair ? GEMV_ROWS / 2 : GEMV_ROWS),
    rows,
    cols,
    slab: w.slab,
    w: w.offset,
    src,
    dst,
    ...extra,
  };
}

const folded = (norm: Place): Partial<Op> => ({ normSlab: norm.slab, norm: norm.offset });

/** The ops of the `steps` program, in order. */
export function stepOps(s: DecodeShape, layout: DecodeLayout, wg: number): Op[] {
  const d = s.hidden;
  const kv = kvWidth(s);
  const ops: Op[] = [];
  let x = layout.acts.x0;
  for (let l = 0; l < s.layers; l++) {
    const w = layout.layers[l] as Record<LayerTensor, Place>;
    const a = layout.acts.layers[l] as LayerActs;
    const cache = l * layout.cacheFloatsPerLayer;
    const attention = { cache, src: a.q, scores: a.scores, sums: a.sums };
    ops.push(
      { kind: 'norm', name: 'norm', units: 1, cols: d, src: x, dst: a.h, ...folded(w.attnNorm) },
      gemv('q', w.wq, d, d, a.h, a.q),
      gemv('k', w.wk, kv, d, a.h, a.k),
      gemv('v', w.wv, kv, d, a.h, a.v),
      {
        kind: 'rope',
        name: 'rope',
        units: chunks(((s.heads + s.kvHeads) * s.headDim) / 2, wg),
        src: a.q,
      },
      { kind: 'append', name: 'append', units: chunks(2 * kv, wg), src: a.k, cache },
      {
        kind: 'scores',
        name: 'scores',
        units: chunks(s.heads * (s.context + 1), wg / SCORE_LANES),
        ...attention,
      },
      { kind: 'softmax', name: 'softmax', units: s.heads, ...attention },
      {
        kind: 'wsum',
        name: 'wsum',
        units: (s.heads * s.headDim) / WSUM_DIMS,
        dst: a.attn,
        ...attention,
      },
      gemv('o', w.wo, d, d, a.attn, a.o),
      { kind: 'add', name: 'add', units: chunks(d, wg), cols: d, src: x, res: a.o, dst: a.xa },
      { kind: 'norm', name: 'norm', units: 1, cols: d, src: a.xa, dst: a.h2, ...folded(w.ffnNorm) },
      gemv('gate', w.wGate, s.ffn, d, a.h2, a.gate),
      gemv('up', w.wUp, s.ffn, d, a.h2, a.up),
      {
        kind: 'silu',
        name: 'silu',
        units: chunks(s.ffn, wg),
        cols: s.ffn,
        src: a.gate,
        res: a.up,
        dst: a.act,
      },
      gemv('down', w.wDown, d, s.ffn, a.act, a.down),
      {
        kind: 'add',
        name: 'add',
        units: chunks(d, wg),
        cols: d,
        src: a.xa,
        res: a.down,
        dst: a.xf,
      },
    );
    x = a.xf;
  }
  const { hf, logits } = layout.acts;
  ops.push(
    { kind: 'norm', name: 'norm', units: 1, cols: d, src: x, dst: hf, ...folded(layout.finalNorm) },
    gemv('lm-head', layout.lmHead, s.vocab, d, hf, logits),
  );
  return ops;
}

/** The ops of the `fused` program (and of `persistent`, which runs them in one dispatch). */
export function fusedOps(s: DecodeShape, layout: DecodeLayout, wg: number): Op[] {
  const d = s.hidden;
  const kv = kvWidth(s);
  const ops: Op[] = [];
  let x = layout.acts.x0;
  for (let l = 0; l < s.layers; l++) {
    const w = layout.layers[l] as Record<LayerTensor, Place>;
    const a = layout.acts.layers[l] as LayerActs;
    const cache = l * layout.cacheFloatsPerLayer;
    ops.push(
      // Wq, Wk, Wv are stored one after another: one matrix of d + 2·kv rows.
      gemv('qkv', w.wq, d + 2 * kv, d, x, a.q, { ...folded(w.attnNorm), epi: 'ropeAppend', cache }),
      {
        kind: 'attention',
        name: 'attention',
        units: attentionUnits(s, wg),
        cache,
        src: a.q,
        sums: a.partials,
      },
      { kind: 'combine', name: 'combine', units: s.heads, sums: a.partials, dst: a.attn },
      gemv('o+add', w.wo, d, d, a.attn, a.xa, { res: x }),
      // Wgate then Wup: each unit computes ROWS/2 rows of both.
      gemv('gate+up', w.wGate, s.ffn, d, a.xa, a.act, { ...folded(w.ffnNorm), epi: 'siluPair' }),
      gemv('down+add', w.wDown, d, s.ffn, a.act, a.xf, { res: a.xa }),
    );
    x = a.xf;
  }
  ops.push(
    gemv('lm-head', layout.lmHead, s.vocab, d, x, layout.acts.logits, folded(layout.finalNorm)),
  );
  return ops;
}

/** The op table's words for `ops`; `rowWorkgroups` of each from its dispatch grid. */
export function opTableWords(ops: readonly Op[], maxPerDimension: number): Uint32Array {
  if (ops.length > MAX_OPS)
    throw new RangeError(`decode: ${ops.length} ops past the op table's ${MAX_OPS}`);
  const words = new Uint32Array(MAX_OPS * OP_WORDS);
  ops.forEach((op, i) => {
    const grid = opGrid(op, maxPerDimension);
    words.set(
      [
        KIND[op.kind],
        op.units,
        op.rows ?? 0,
        op.cols ?? 0,
        op.slab ?? 0,
        (op.w ?? 0) / 4,
        op.src ?? 0,
        op.dst ?? 0,
        op.res ?? NONE,
        op.normSlab ?? 0,
        op.norm ?? NONE,
        EPI[op.epi ?? 'store'],
        op.cache ?? 0,
        op.scores ?? 0,
        op.sums ?? 0,
        grid.rowWorkgroups,
      ],
      i * OP_WORDS,
    );
  });
  return words;
}

/** step_main's grid for one op: one workgroup per unit, 2-D past one dimension. */
export function opGrid(
  op: Op,
  maxPerDimension: number,
): { workgroups: readonly [number, number, number]; rowWorkgroups: number } {
  return gridFor(op.units, 1, maxPerDimension);
}

/** The most units of any op: more persistent workgroups than this would have nothing to do. */
export const mostUnits = (ops: readonly Op[]): number => Math.max(...ops.map((o) => o.units));

/**
 * What a case runs, before any GPU object is made: its shape and layout, the ops of both
 * programs, and how they are dispatched.
 */
export interface StepPlan {
  s: DecodeShape;
  /** Invocations per workgroup. */
  wg: number;
  layout: DecodeLayout;
  /** The `steps` program's ops, one dispatch each. */
  steps: Op[];
  /** The `fused` program's ops, one dispatch each; `persistent` runs them all in one. */
  fused: Op[];
  /**
   * The megakernel's workgroups: the case's, capped by the most units any op has; 0 where the case
   * leaves them to the megakernel, which takes as many as are co-resident on the device
   * (DecodeCase, src/workloads/decode/prepared.ts).
   */
  persistentWorkgroups: number;
  /** Bytes of one dynamic-offset uniform slot (the device's offset alignment, at least 256). */
  slotBytes: number;
  /** Workgroups a dispatch may have in one dimension. */
  perDim: number;
}

/** The plan of a case of shape `s`; throws as decodeLayout does where the weights do not fit. */
export function stepPlan(
  s: DecodeShape,
  params: Pick<CaseParams, 'workgroupSize' | 'persistentWorkgroups'>,
  limits: Record<string, number>,
): StepPlan {
  const wg = params.workgroupSize;
  const layout = decodeLayout(s, limits, wg);
  const steps = stepOps(s, layout, wg);
  const fused = fusedOps(s, layout, wg);
  return {
    s,
    wg,
    layout,
    steps,
    fused,
    persistentWorkgroups:
      params.persistentWorkgroups === 0
        ? 0
        : Math.max(1, Math.min(params.persistentWorkgroups, mostUnits(fused))),
    slotBytes: uniformSlotBytes(limits),
    perDim: limits['maxComputeWorkgroupsPerDimension'] ?? 65535,
  };
}
