/**
 * The decode step's tensors made on the GPU from the case's seed (shaders/decode/init.wgsl):
 * every weight, the KV history and the input vector, bit for bit as the CPU reference makes them
 * (reference.ts), so nothing is uploaded but the seed. One init dispatch per tensor.
 */
import { compileShader } from '../../gpu/shaders.ts';
import { gridFor } from '../grid.ts';
import type { TensorBuffers } from './buffers.ts';
import type { DecodeLayout, StepPlan } from './programs.ts';
import { tensorScale, tensorStream, valueBits, type TensorName } from './reference.ts';
import { bytesPerWeight, kvWidth, type DecodeShape } from './shapes.ts';

const INIT_WORKGROUP = 256;
/** `Params` of shaders/decode/init.wgsl: five 32-bit fields, a uniform struct of 32 bytes. */
const INIT_PARAMS_BYTES = 32;
const NORMS: readonly TensorName[] = ['attnNorm', 'ffnNorm', 'finalNorm'];

/** One init dispatch: tensor `name` of `layer`, `count` values from `offset` of its buffer. */
interface Fill {
  name: TensorName;
  layer: number;
  target: 'slab' | 'kcache' | 'vcache' | 'act';
  slab: number;
  offset: number;
  count: number;
}

/**
 * Every tensor the init kernel fills, in dispatch order: per layer its weights and its K and V
 * history (none at a context of 0 tokens), then the final norm, the LM head and the input.
 */
function tensorFills(s: DecodeShape, layout: DecodeLayout): Fill[] {
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
  return fills;
}

/** Bytes per value of a fill: an f16 preset's weights are f16 (2); caches and input stay f32. */
const bytesOf = (s: DecodeShape, fill: Fill): number =>
  fill.target === 'slab' ? bytesPerWeight(s) : 4;

/**
 * The init kernel's `Params` of every fill for `seed`, one uniform slot each: the tensor's
 * stream and value count, its scale, whether it is a norm's (1 + value), its value bits.
 */
function initParams(s: DecodeShape, fills: Fill[], seed: number, slotBytes: number): ArrayBuffer {
  const words = new ArrayBuffer(fills.length * slotBytes);
  fills.forEach((fill, i) => {
    new Uint32Array(words, i * slotBytes, 2).set([
      tensorStream(seed, fill.name, fill.layer),
      fill.count,
    ]);
    new Float32Array(words, i * slotBytes + 8, 2).set([
      tensorScale(s, fill.name),
      NORMS.includes(fill.name) ? 1 : 0,
    ]);
    new Uint32Array(words, i * slotBytes + 16, 1).set([valueBits(s, fill.name)]);
  });
  return words;
}

/** The init pipelines: `main` writes f32 values, `main_f16` packs pairs of f16 ones. */
async function initPipelines(device: GPUDevice): Promise<{
  bindLayout: GPUBindGroupLayout;
  f32Pipeline: GPUComputePipeline;
  f16Pipeline: GPUComputePipeline;
}> {
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
  return { bindLayout, f32Pipeline, f16Pipeline };
}

/**
 * The init dispatches (shaders/decode/init.wgsl) that fill every weight, the KV history and the
 * input vector from a seed: one bind group per tensor, made once; the returned function encodes
 * and submits them for a seed.
 */
export async function initTensors(
  device: GPUDevice,
  plan: StepPlan,
  buffers: TensorBuffers,
): Promise<(seed: number) => void> {
  const { s, slotBytes, perDim } = plan;
  const fills = tensorFills(s, plan.layout);
  const params = device.createBuffer({
    label: 'decode.init.params',
    size: fills.length * slotBytes,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  const { bindLayout, f32Pipeline, f16Pipeline } = await initPipelines(device);
  const groups = fills.map((fill) => {
    const buffer =
      fill.target === 'slab' ? (buffers.slabs[fill.slab] as GPUBuffer) : buffers[fill.target];
    const bytes = bytesOf(s, fill);
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
    device.queue.writeBuffer(params, 0, initParams(s, fills, seed, slotBytes));
    const encoder = device.createCommandEncoder({ label: 'decode.init' });
    const pass = encoder.beginComputePass();
    fills.forEach((fill, i) => {
      // One invocation per value, or per pair of f16 values.
      const pairs = bytesOf(s, fill) === 2;
      pass.setPipeline(pairs ? f16Pipeline : f32Pipeline);
      pass.setBindGroup(0, groups[i], [i * slotBytes]);
      const invocations = pairs ? fill.count / 2 : fill.count;
      const [x, y, z] = gridFor(invocations, INIT_WORKGROUP, perDim).workgroups;
      pass.dispatchWorkgroups(x, y, z);
    });
    pass.end();
    device.queue.submit([encoder.finish()]);
  };
}
