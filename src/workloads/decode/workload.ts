/**
 * Workload `decode` (issue 12): one token of a Llama-style decoder at batch 1, at the shape of a
 * preset (src/workloads/decode/shapes.ts), as the 17-ops-per-layer `steps` program, the 6-ops-per-layer
 * `fused` one, or one `persistent` megakernel (src/workloads/decode/programs.ts,
 * shaders/decode/step.wgsl). Weights, the KV history and the input vector are hashed from the
 * case's seed on the GPU (shaders/decode/init.wgsl), bit for bit as the CPU reference makes them
 * (reference.ts), so nothing is uploaded but the seed and nothing is downloaded but the logits.
 *
 * Case parameters: `preset` names the model; `kernels` is the number of layers and `elements`
 * the context L (tokens in the KV cache); `intensity` is not used. Per-kernel figures are per
 * layer; the summary's decode columns give the step, its dispatches and its weight bytes.
 * Measures: what launching a real decode step costs, and what fusing it or running it as one
 * persistent kernel wins back. Does not measure: batching, f16 weights, prefill.
 */
import { compileShader } from '../../gpu/shaders.ts';
import { alignUp, gridFor, uniformSlotBytes } from '../grid.ts';
import { ProgramCache, readGridFailure, readWords } from '../resources.ts';
import type {
  CaseParams,
  DeviceLimits,
  Dispatch,
  PreparedCase,
  Program,
  ProgramKind,
  Workload,
} from '../types.ts';
import {
  GEMV_ROWS,
  KIND,
  attentionChunks,
  SCORE_LANES,
  MAX_OPS,
  OP_WORDS,
  decodeLayout,
  fusedOps,
  mostUnits,
  opGrid,
  opTableWords,
  stepOps,
  type DecodeLayout,
  type OpKind,
} from './programs.ts';
import {
  decodeStep,
  ropeTable,
  tensorScale,
  tensorStream,
  valueBits,
  type TensorName,
} from './reference.ts';
import {
  DECODE_PRESETS,
  DECODE_PRESET_NAMES,
  bytesPerWeight,
  withVocab,
  decodeDoesNotFit,
  decodeShape,
  kvWidth,
  weightBytes,
  type DecodeShape,
} from './shapes.ts';

export const DEFAULT_PRESET = 'tiny';
/** Polls of the megakernel's grid barrier before it gives up (≈ ms to a second on a GPU). */
const SPIN_LIMIT = 1 << 20;
/** `GridBarrier` in step.wgsl: three counters, then `completed` on its own 128-byte line. */
const GRID_BYTES = 256;
const INIT_WORKGROUP = 256;
/** `Params` of shaders/decode/init.wgsl: five 32-bit fields, a uniform struct of 32 bytes. */
const INIT_PARAMS_BYTES = 32;
/** Storage buffers step.wgsl binds: four slabs, two caches, activations, the barrier. */
const STORAGE_BUFFERS = 8;
const NORMS: readonly TensorName[] = ['attnNorm', 'ffnNorm', 'finalNorm'];

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
  presets: {
    names: DECODE_PRESET_NAMES,
    // f32 weights unless an `-f16` preset is named
    defaults: Object.keys(DECODE_PRESETS),
    withAxis: withVocab,
    meaning: { elements: 'context tokens', kernels: 'layers' },
    axes: (preset) => {
      const s = decodeShape(preset);
      return { elements: s.context, kernels: s.layers };
    },
  },

  checkLimits(params) {
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
    if (s.hidden % 64 !== 0 || s.ffn % 64 !== 0)
      return `decode: hidden ${s.hidden} and ffn ${s.ffn} must be multiples of 64`;
    const ops = 23 * s.layers + 3;
    if (ops > MAX_OPS)
      return `decode: ${s.layers} layers need ${ops} ops, past the op table's ${MAX_OPS} (at most ${Math.floor((MAX_OPS - 3) / 23)} layers)`;
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

  prepare: prepareDecode,
};

async function prepareDecode(
  device: GPUDevice,
  params: CaseParams,
  limits: DeviceLimits,
): Promise<PreparedCase> {
  const s = caseShape(params);
  const wg = params.workgroupSize;
  const perDim = limits['maxComputeWorkgroupsPerDimension'] ?? 65535;
  const layout = decodeLayout(s, limits, params.workgroupSize);
  const steps = stepOps(s, layout, wg);
  const fused = fusedOps(s, layout, params.workgroupSize);
  // The megakernel's workgroups: the case's, capped by the most units any op has.
  const P = Math.max(1, Math.min(params.persistentWorkgroups, mostUnits(fused)));
  const slot = uniformSlotBytes(limits);
  const kv = kvWidth(s);

  const storage = (label: string, floats: number, extra = 0): GPUBuffer =>
    device.createBuffer({
      label,
      size: alignUp(Math.max(16, floats * 4), 16),
      usage: GPUBufferUsage.STORAGE | extra,
    });
  // storage() counts 4-byte words: an f16 slab holds two weights per word.
  const slabs = layout.slabFloats.map((weights, i) =>
    storage(`decode.w${i}`, (weights * bytesPerWeight(s)) / 4),
  );
  const kcache = storage(
    'decode.kcache',
    s.layers * layout.cacheFloatsPerLayer,
    GPUBufferUsage.COPY_DST,
  );
  const vcache = storage(
    'decode.vcache',
    s.layers * layout.cacheFloatsPerLayer,
    GPUBufferUsage.COPY_DST,
  );
  const act = storage(
    'decode.act',
    layout.actFloats,
    GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  );
  const grid = storage(
    'decode.grid',
    GRID_BYTES / 4,
    GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  );
  device.queue.writeBuffer(grid, 0, new Uint32Array(GRID_BYTES / 4));
  const gridReadback = device.createBuffer({
    label: 'decode.grid.readback',
    size: GRID_BYTES,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const readback = device.createBuffer({
    label: 'decode.logits.readback',
    size: alignUp(s.vocab * 4, 16),
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  // The op table: steps ops first, then the fused ones.
  const table = device.createBuffer({
    label: 'decode.ops',
    size: MAX_OPS * OP_WORDS * 4,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(table, 0, opTableWords([...steps, ...fused], perDim));
  // Dispatch slots: one per steps op, one per fused op, one for the megakernel.
  const slots = steps.length + fused.length + 1;
  const dispatchBuffer = device.createBuffer({
    label: 'decode.dispatch',
    size: slots * slot,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  const dispatchWords = new Uint32Array((slots * slot) / 4);
  const setSlot = (i: number, first: number, count: number): void =>
    dispatchWords.set([first, count], (i * slot) / 4);
  for (let i = 0; i < steps.length + fused.length; i++) setSlot(i, i, 1);
  setSlot(slots - 1, steps.length, fused.length);
  device.queue.writeBuffer(dispatchBuffer, 0, dispatchWords);
  // The token's parameters (position, where the RoPE table is) and its RoPE table: written
  // before every execution (Program.beforeExecution), as a decode loop writes them per token.
  const token = device.createBuffer({
    label: 'decode.token',
    size: 16,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  const tokenWords = Uint32Array.of(s.context, layout.acts.rope, 0, 0);
  const rope = ropeTable(s, s.context);
  const writeToken = (): void => {
    device.queue.writeBuffer(token, 0, tokenWords);
    device.queue.writeBuffer(act, 4 * layout.acts.rope, rope);
  };

  const module = await compileShader(device, 'decode/step');
  const entries: GPUBindGroupLayoutEntry[] = [
    ...[0, 1, 2, 3].map((binding) => ({
      binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: 'read-only-storage' as const },
    })),
    ...[4, 5, 6, 7].map((binding) => ({
      binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: 'storage' as const },
    })),
    { binding: 8, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } },
    {
      binding: 9,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: 'uniform', hasDynamicOffset: true },
    },
    { binding: 10, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } },
  ];
  const bindLayout = device.createBindGroupLayout({ label: 'decode', entries });
  const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [bindLayout] });
  const bindGroup = device.createBindGroup({
    label: 'decode',
    layout: bindLayout,
    entries: [
      ...[0, 1, 2, 3].map((i) => ({
        binding: i,
        resource: { buffer: slabs[Math.min(i, slabs.length - 1)] as GPUBuffer },
      })),
      { binding: 4, resource: { buffer: kcache } },
      { binding: 5, resource: { buffer: vcache } },
      { binding: 6, resource: { buffer: act } },
      { binding: 7, resource: { buffer: grid } },
      { binding: 8, resource: { buffer: table } },
      { binding: 9, resource: { buffer: dispatchBuffer, offset: 0, size: 16 } },
      { binding: 10, resource: { buffer: token } },
    ],
  });
  const constants = {
    WORKGROUP_SIZE: wg,
    ROWS: GEMV_ROWS,
    HIDDEN: s.hidden,
    HEADS: s.heads,
    KV_HEADS: s.kvHeads,
    HEAD_DIM: s.headDim,
    NORM_EPS: s.normEps,
    F16_WEIGHTS: s.weights === 'f16' ? 1 : 0,
  };
  const kindPipelines = new Map<OpKind, Promise<GPUComputePipeline>>();
  const kindPipeline = (kind: OpKind): Promise<GPUComputePipeline> => {
    let pipeline = kindPipelines.get(kind);
    if (pipeline === undefined) {
      pipeline = device.createComputePipelineAsync({
        label: `decode.${kind}`,
        layout: pipelineLayout,
        compute: { module, entryPoint: 'step_main', constants: { ...constants, KIND: KIND[kind] } },
      });
      kindPipelines.set(kind, pipeline);
    }
    return pipeline;
  };
  const opDispatches = async (ops: typeof steps, firstSlot: number): Promise<Dispatch[]> =>
    Promise.all(
      ops.map(async (op, i) => ({
        pipeline: await kindPipeline(op.kind),
        bindGroup,
        dynamicOffsets: [(firstSlot + i) * slot],
        workgroups: opGrid(op, perDim).workgroups,
      })),
    );
  const facts = {
    preset: s.preset,
    layers: s.layers,
    context: s.context,
    weightBytes: weightBytes(s),
  };

  const buildProgram = async (kind: ProgramKind): Promise<Program> => {
    switch (kind) {
      case 'steps':
        return {
          kind,
          dispatches: await opDispatches(steps, 0),
          notes: { ...facts },
          beforeExecution: writeToken,
        };
      case 'fused':
        return {
          kind,
          dispatches: await opDispatches(fused, steps.length),
          notes: { ...facts },
          beforeExecution: writeToken,
        };
      case 'persistent': {
        const pipeline = await device.createComputePipelineAsync({
          label: 'decode.persistent',
          layout: pipelineLayout,
          compute: {
            module,
            entryPoint: 'persistent_main',
            constants: { ...constants, SPIN_LIMIT },
          },
        });
        return {
          kind,
          dispatches: [
            { pipeline, bindGroup, dynamicOffsets: [(slots - 1) * slot], workgroups: [P, 1, 1] },
          ],
          notes: {
            ...facts,
            persistentWorkgroups: P,
            gridBarriers: fused.length - 1,
            reliesOn: 'co-residency',
            spinLimit: SPIN_LIMIT,
          },
          beforeExecution: writeToken,
        };
      }
    }
  };
  const programs = new ProgramCache(buildProgram);
  const init = await initTensors(device, s, layout, { slabs, kcache, vcache, act }, limits);

  return {
    program: (kind) => programs.get(kind),
    writeInput(input) {
      const seed = input[0] ?? 0;
      // Clear every activation and each layer's cache row at L first: a program that skipped an
      // op must not pass on what an earlier one wrote.
      const encoder = device.createCommandEncoder({ label: 'decode.clear' });
      encoder.clearBuffer(act);
      for (let l = 0; l < s.layers; l++)
        for (const cache of [kcache, vcache])
          encoder.clearBuffer(cache, 4 * (l * layout.cacheFloatsPerLayer + s.context * kv), 4 * kv);
      device.queue.submit([encoder.finish()]);
      writeToken();
      init(seed);
    },
    readOutput: () =>
      readWords(device, readback, s.vocab, 'decode.logits.readback', (encoder) =>
        encoder.copyBufferToBuffer(
          act,
          4 * layout.acts.logits,
          readback,
          0,
          alignUp(s.vocab * 4, 16),
        ),
      ),
    async checkStatus() {
      if (!programs.has('persistent')) return undefined;
      const failedAfterOp = await readGridFailure(device, grid, gridReadback, GRID_BYTES);
      if (failedAfterOp === 0) return undefined;
      return `grid barrier spin bound hit after op ${failedAfterOp - 1} of ${fused.length}: the ${P} workgroups were not co-resident (WebGPU does not guarantee it), result invalid`;
    },
    destroy() {
      for (const b of [...slabs, kcache, vcache, act, grid, gridReadback, readback, table])
        b.destroy();
      dispatchBuffer.destroy();
      token.destroy();
    },
  };
}

/**
 * The init dispatches (shaders/decode/init.wgsl) that fill every weight, the KV history and the
 * input vector from a seed: one bind group per tensor, made once; the returned function encodes
 * and submits them for a seed.
 */
async function initTensors(
  device: GPUDevice,
  s: DecodeShape,
  layout: DecodeLayout,
  buffers: { slabs: GPUBuffer[]; kcache: GPUBuffer; vcache: GPUBuffer; act: GPUBuffer },
  limits: DeviceLimits,
): Promise<(seed: number) => void> {
  interface Fill {
    name: TensorName;
    layer: number;
    target: 'slab' | 'kcache' | 'vcache' | 'act';
    slab: number;
    offset: number;
    count: number;
  }
  const fills: Fill[] = [];
  const cacheHistory = s.context * kvWidth(s);
  layout.layers.forEach((places, layer) => {
    for (const [name, place] of Object.entries(places))
      fills.push({
        name: name as TensorName,
        layer,
        target: 'slab',
        ...place,
        count: place.floats,
      });
    for (const name of ['kCache', 'vCache'] as const)
      if (cacheHistory > 0)
        fills.push({
          name,
          layer,
          target: name === 'kCache' ? 'kcache' : 'vcache',
          slab: 0,
          offset: layer * layout.cacheFloatsPerLayer,
          count: cacheHistory,
        });
  });
  fills.push({ name: 'finalNorm', layer: 0, target: 'slab', ...layout.finalNorm, count: s.hidden });
  fills.push({
    name: 'lmHead',
    layer: 0,
    target: 'slab',
    ...layout.lmHead,
    count: s.vocab * s.hidden,
  });
  fills.push({
    name: 'input',
    layer: 0,
    target: 'act',
    slab: 0,
    offset: layout.acts.x0,
    count: s.hidden,
  });

  const slot = uniformSlotBytes(limits);
  const perDim = limits['maxComputeWorkgroupsPerDimension'] ?? 65535;
  const params = device.createBuffer({
    label: 'decode.init.params',
    size: fills.length * slot,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  const module = await compileShader(device, 'decode/init');
  const bindLayout = device.createBindGroupLayout({
    entries: [
      { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
      {
        binding: 1,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: 'uniform', hasDynamicOffset: true },
      },
    ],
  });
  const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [bindLayout] });
  const pipelineOf = (entryPoint: string): Promise<GPUComputePipeline> =>
    device.createComputePipelineAsync({
      label: `decode.init.${entryPoint}`,
      layout: pipelineLayout,
      compute: { module, entryPoint, constants: { WORKGROUP_SIZE: INIT_WORKGROUP } },
    });
  const [f32Pipeline, f16Pipeline] = await Promise.all([
    pipelineOf('main'),
    pipelineOf('main_f16'),
  ]);
  // An f16 preset's weights are f16 pairs (2 bytes each); caches and input stay f32.
  const bytesOf = (fill: Fill): number => (fill.target === 'slab' ? bytesPerWeight(s) : 4);
  const groups = fills.map((fill) => {
    const buffer =
      fill.target === 'slab' ? (buffers.slabs[fill.slab] as GPUBuffer) : buffers[fill.target];
    const bytes = bytesOf(fill);
    return device.createBindGroup({
      layout: bindLayout,
      entries: [
        {
          binding: 0,
          resource: { buffer, offset: bytes * fill.offset, size: bytes * fill.count },
        },
        { binding: 1, resource: { buffer: params, offset: 0, size: INIT_PARAMS_BYTES } },
      ],
    });
  });
  return (seed) => {
    const words = new ArrayBuffer(fills.length * slot);
    fills.forEach((fill, i) => {
      new Uint32Array(words, i * slot, 2).set([
        tensorStream(seed, fill.name, fill.layer),
        fill.count,
      ]);
      new Float32Array(words, i * slot + 8, 2).set([
        tensorScale(s, fill.name),
        NORMS.includes(fill.name) ? 1 : 0,
      ]);
      new Uint32Array(words, i * slot + 16, 1).set([valueBits(s, fill.name)]);
    });
    device.queue.writeBuffer(params, 0, words);
    const encoder = device.createCommandEncoder({ label: 'decode.init' });
    const pass = encoder.beginComputePass();
    fills.forEach((fill, i) => {
      // One invocation per value, or per pair of f16 values.
      const pairs = bytesOf(fill) === 2;
      pass.setPipeline(pairs ? f16Pipeline : f32Pipeline);
      pass.setBindGroup(0, groups[i], [i * slot]);
      const invocations = pairs ? fill.count / 2 : fill.count;
      const [x, y, z] = gridFor(invocations, INIT_WORKGROUP, perDim).workgroups;
      pass.dispatchWorkgroups(x, y, z);
    });
    pass.end();
    device.queue.submit([encoder.finish()]);
  };
}
