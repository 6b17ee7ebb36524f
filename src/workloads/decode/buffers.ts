/**
 * The decode step's GPU buffers (src/workloads/decode/workload.ts): the weight slabs, the K and V
 * caches and the activations that shaders/decode/step.wgsl computes in, its grid barrier, the op
 * table and dispatch slots that say which ops a dispatch runs, the token's parameters and the
 * logits' read-back; and the one bind group through which every decode pipeline reads them.
 */
import { compileShader } from '../../gpu/shaders.ts';
import { alignUp } from '../grid.ts';
import {
  MAX_OPS,
  OP_WORDS,
  opTableWords,
  type DecodeLayout,
  type Op,
  type StepPlan,
} from './programs.ts';
import { bytesPerWeight, type DecodeShape } from './shapes.ts';

/**
 * `GridBarrier` in step.wgsl: three counters, then `completed` on its own 128-byte line (132
 * bytes); the rest is room for the counters a variant of the kernel adds after them
 * (shaders/decode/variants, timed by scripts/decode-batch.sh), zeroed with the rest.
 */
export const GRID_BYTES = 8192;

/** Where the step's tensors live: what the init kernel fills and step.wgsl computes in. */
export interface TensorBuffers {
  slabs: GPUBuffer[];
  kcache: GPUBuffer;
  vcache: GPUBuffer;
  act: GPUBuffer;
}

export interface StepBuffers extends TensorBuffers {
  /** The megakernel's grid barrier, and the buffer its failure word is read back through. */
  grid: GPUBuffer;
  gridReadback: GPUBuffer;
  /** The logits, read back to verify them. */
  readback: GPUBuffer;
  /** The op table: the `steps` ops, then the `fused` ones. */
  table: GPUBuffer;
  /** Each dispatch's slot: the first op it runs and how many. */
  dispatch: GPUBuffer;
  /** The token's parameters: its position and where the RoPE table is. */
  token: GPUBuffer;
}

/** The dispatch slot of the megakernel: after one per `steps` op and one per `fused` op. */
export const persistentSlot = (plan: StepPlan): number => plan.steps.length + plan.fused.length;
/**
 * The co-residency probe's dispatch slot: two ops of no units after the fused ones, so that the
 * megakernel does nothing but one grid barrier (DecodeCase.coResidentWorkgroups).
 */
export const probeSlot = (plan: StepPlan): number => persistentSlot(plan) + 1;
/**
 * The grid barriers' slot: as many ops of no units as the megakernel's step has ops (as fit in
 * the op table), so that it passes the step's barriers and does nothing else
 * (DecodeCase.timeGridBarriers).
 */
export const barriersSlot = (plan: StepPlan): number => probeSlot(plan) + 1;
/**
 * A diagnostic slot: ops that scripts/decode-ops.ts writes to the table's rows after the empty ones
 * (from `diagnosticFirstOp` on), which the megakernel then runs (DecodeCase.opsProgram).
 */
export const diagnosticSlot = (plan: StepPlan): number => barriersSlot(plan) + 1;
export const diagnosticFirstOp = (plan: StepPlan): number =>
  plan.steps.length + plan.fused.length + emptyOps(plan);
/** The ops of no units after the fused ones: the probe's two, or the step's count. */
export const emptyOps = (plan: StepPlan): number =>
  Math.max(2, Math.min(plan.fused.length, MAX_OPS - plan.steps.length - plan.fused.length));

/** A storage buffer of `floats` 4-byte words (at least 16 bytes, a multiple of 16). */
function storageBuffer(device: GPUDevice, label: string, floats: number, extra = 0): GPUBuffer {
  return device.createBuffer({
    label,
    size: alignUp(Math.max(16, floats * 4), 16),
    usage: GPUBufferUsage.STORAGE | extra,
  });
}

/** The weight slabs, the K and V caches of every layer and the activations. */
function createTensorBuffers(
  device: GPUDevice,
  s: DecodeShape,
  layout: DecodeLayout,
): TensorBuffers {
  // storageBuffer() counts 4-byte words: an f16 slab holds two weights per word.
  const slabs = layout.slabFloats.map((weights, i) =>
    storageBuffer(device, `decode.w${i}`, (weights * bytesPerWeight(s)) / 4),
  );
  const cacheFloats = s.layers * layout.cacheFloatsPerLayer;
  const kcache = storageBuffer(device, 'decode.kcache', cacheFloats, GPUBufferUsage.COPY_DST);
  const vcache = storageBuffer(device, 'decode.vcache', cacheFloats, GPUBufferUsage.COPY_DST);
  const act = storageBuffer(
    device,
    'decode.act',
    layout.actFloats,
    GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  );
  return { slabs, kcache, vcache, act };
}

/** The megakernel's grid barrier, zeroed, and the buffer its failure word is read back through. */
function createGridBarrier(device: GPUDevice): { grid: GPUBuffer; gridReadback: GPUBuffer } {
  const grid = storageBuffer(
    device,
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
  return { grid, gridReadback };
}

/** The op table, written once: the `steps` ops first, then the `fused` ones, then empty ones. */
function createOpTable(device: GPUDevice, plan: StepPlan): GPUBuffer {
  const table = device.createBuffer({
    label: 'decode.ops',
    size: MAX_OPS * OP_WORDS * 4,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  const probe: Op = { kind: 'add', name: 'probe', units: 0 };
  device.queue.writeBuffer(
    table,
    0,
    opTableWords(
      [...plan.steps, ...plan.fused, ...Array<Op>(emptyOps(plan)).fill(probe)],
      plan.perDim,
    ),
  );
  return table;
}

/**
 * The dispatch slots, written once: one per `steps` op and one per `fused` op (that op alone),
 * then the megakernel's (every `fused` op), the co-residency probe's (two empty ops), the grid
 * barriers' (every empty op) and a diagnostic one (no ops until DecodeCase.opsProgram).
 */
function createDispatchSlots(device: GPUDevice, plan: StepPlan): GPUBuffer {
  const { slotBytes } = plan;
  const megakernel = persistentSlot(plan);
  const slots = diagnosticSlot(plan) + 1;
  const dispatch = device.createBuffer({
    label: 'decode.dispatch',
    size: slots * slotBytes,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  const words = new Uint32Array((slots * slotBytes) / 4);
  const setSlot = (i: number, first: number, count: number): void =>
    words.set([first, count], (i * slotBytes) / 4);
  for (let i = 0; i < megakernel; i++) setSlot(i, i, 1);
  setSlot(megakernel, plan.steps.length, plan.fused.length);
  setSlot(probeSlot(plan), plan.steps.length + plan.fused.length, 2);
  setSlot(barriersSlot(plan), plan.steps.length + plan.fused.length, emptyOps(plan));
  device.queue.writeBuffer(dispatch, 0, words);
  return dispatch;
}

/** Every buffer of the step; the op table, the dispatch slots and the grid barrier written. */
export function createStepBuffers(device: GPUDevice, plan: StepPlan): StepBuffers {
  const tensors = createTensorBuffers(device, plan.s, plan.layout);
  const { grid, gridReadback } = createGridBarrier(device);
  const readback = device.createBuffer({
    label: 'decode.logits.readback',
    size: alignUp(plan.s.vocab * 4, 16),
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const table = createOpTable(device, plan);
  const dispatch = createDispatchSlots(device, plan);
  // Written before every execution (Program.beforeExecution), as a decode loop writes it per token.
  const token = device.createBuffer({
    label: 'decode.token',
    size: 16,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  return { ...tensors, grid, gridReadback, readback, table, dispatch, token };
}

/** What every decode pipeline is made from: step.wgsl's module, its layout and bind group. */
export interface StepBinding {
  module: GPUShaderModule;
  pipelineLayout: GPUPipelineLayout;
  bindGroup: GPUBindGroup;
}

/**
 * How the GEMV sums over its workgroup, and the attention over its 8 score lanes: with subgroup
 * operations where the device has the `subgroups` feature and no subgroup smaller than 8 (the
 * score sum shuffles across 8 lanes; an adapter that does not say its smallest size is taken at
 * its word that it has subgroups: every strategy is checked against the CPU reference before
 * timing), else trees in workgroup memory (shaders/decode/sum-*.wgsl).
 */
export function gemvSum(device: GPUDevice): 'subgroups' | 'workgroup' {
  // LAUNCHBENCH_DECODE_SUMS=workgroup takes the trees anyway: the fallback, checked on a device
  // that has subgroups (test/decode-workload.test.ts); a page gets it from the process that
  // drives it (src/commands/browser-side.ts), and a runtime without `process` never
  const forced =
    typeof process === 'undefined' ? undefined : process.env['LAUNCHBENCH_DECODE_SUMS'];
  if (forced === 'workgroup') return 'workgroup';
  // adapterInfo is optional chained: a runtime without it (older ones) is not the typings' GPUDevice
  const minSize = (device.adapterInfo as GPUAdapterInfo | undefined)?.subgroupMinSize;
  return device.features.has('subgroups') && (minSize === undefined || minSize >= 8)
    ? 'subgroups'
    : 'workgroup';
}

/**
 * Compiles step.wgsl, after the workgroup sum that suits the device, and binds the buffers as it
 * declares them: the four slabs (read-only; a layout of fewer binds its last slab again), the
 * caches, the activations and the grid barrier, the op table, the dispatch slot (a dynamic offset
 * per dispatch) and the token.
 */
export async function bindStep(device: GPUDevice, buffers: StepBuffers): Promise<StepBinding> {
  const module = await compileShader(device, [`decode/sum-${gemvSum(device)}`, 'decode/step']);
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
  const { slabs } = buffers;
  const bindGroup = device.createBindGroup({
    label: 'decode',
    layout: bindLayout,
    entries: [
      ...[0, 1, 2, 3].map((i) => ({
        binding: i,
        resource: { buffer: slabs[Math.min(i, slabs.length - 1)] as GPUBuffer },
      })),
      { binding: 4, resource: { buffer: buffers.kcache } },
      { binding: 5, resource: { buffer: buffers.vcache } },
      { binding: 6, resource: { buffer: buffers.act } },
      { binding: 7, resource: { buffer: buffers.grid } },
      { binding: 8, resource: { buffer: buffers.table } },
      { binding: 9, resource: { buffer: buffers.dispatch, offset: 0, size: 16 } },
      { binding: 10, resource: { buffer: buffers.token } },
    ],
  });
  return { module, pipelineLayout, bindGroup };
}
