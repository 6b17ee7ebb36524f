/**
 * The harness-overhead reference: the four one-by-one strategies written out as the plainest
 * possible Dawn loops. If the suite's wall time per kernel for a case differs from these loops on
 * the same device, the difference is harness overhead (or a harness bug), not launch cost.
 *
 * What they run: K chained `map` steps (shaders/map.wgsl `step_main`, one dynamic uniform offset
 * per step, exactly as src/workloads/map.ts binds them), from the first API call until
 * `onSubmittedWorkDone` resolves. `--self-check` (src/measure/self-check.ts) alternates them with
 * the harness; bench/minimal-loops.ts times them alone with tinybench.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The hand-written loops, one per strategy id, with the GPU resources they use. */
export interface MinimalLoops {
  loops: Record<string, () => Promise<void>>;
  destroy(): void;
}

/** Threads per workgroup of the `map` step (the quick and default profiles' size). */
const WORKGROUP_SIZE = 64;
/** Bytes between two steps' uniforms: one dynamic offset per step (the offset alignment). */
const SLOT = 256;

/** What every loop needs to encode step `k`: one dispatch of `step_main` at offset `k × SLOT`. */
interface MapSteps {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: number;
  /** The data buffer and the steps' uniforms, for destroy. */
  buffers: GPUBuffer[];
}

/**
 * The `map` step bound exactly as src/workloads/map.ts binds it: shaders/map.wgsl `step_main`, one
 * storage buffer of `elements` words, and the `kernels` steps' parameters in one uniform buffer,
 * a SLOT apart, each step picking its own with a dynamic offset.
 */
function mapSteps(device: GPUDevice, elements: number, kernels: number): MapSteps {
  const code = readFileSync(
    fileURLToPath(new URL('../../shaders/map.wgsl', import.meta.url)),
    'utf8',
  );
  const module = device.createShaderModule({ code });
  const layout = device.createBindGroupLayout({
    entries: [
      { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
      {
        binding: 1,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: 'uniform', hasDynamicOffset: true },
      },
    ],
  });
  const pipeline = device.createComputePipeline({
    layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
    compute: { module, entryPoint: 'step_main', constants: { WORKGROUP_SIZE } },
  });
  const workgroups = Math.ceil(elements / WORKGROUP_SIZE);
  const data = device.createBuffer({ size: elements * 4, usage: GPUBufferUsage.STORAGE });
  const params = device.createBuffer({
    size: kernels * SLOT,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  const words = new Uint32Array((kernels * SLOT) / 4);
  for (let k = 0; k < kernels; k++) words.set([elements, 0, kernels, k, workgroups, 1], k * 64);
  device.queue.writeBuffer(params, 0, words);
  const bindGroup = device.createBindGroup({
    layout,
    entries: [
      { binding: 0, resource: { buffer: data } },
      { binding: 1, resource: { buffer: params, size: 24 } },
    ],
  });
  return { pipeline, bindGroup, workgroups, buffers: [data, params] };
}

/**
 * The four one-by-one strategies as plain loops over the `kernels` steps, each from its first API
 * call until `onSubmittedWorkDone` resolves: what differs is only where a pass, a command buffer
 * and a wait begin and end.
 */
function writtenOut(
  device: GPUDevice,
  { pipeline, bindGroup, workgroups }: MapSteps,
  kernels: number,
): Record<string, () => Promise<void>> {
  const queue = device.queue;
  return {
    'submit-wait': async () => {
      for (let k = 0; k < kernels; k++) {
        const encoder = device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup, [k * SLOT]);
        pass.dispatchWorkgroups(workgroups);
        pass.end();
        queue.submit([encoder.finish()]);
        await queue.onSubmittedWorkDone();
      }
    },
    'submit-each': async () => {
      for (let k = 0; k < kernels; k++) {
        const encoder = device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup, [k * SLOT]);
        pass.dispatchWorkgroups(workgroups);
        pass.end();
        queue.submit([encoder.finish()]);
      }
      await queue.onSubmittedWorkDone();
    },
    'pass-each': async () => {
      const encoder = device.createCommandEncoder();
      for (let k = 0; k < kernels; k++) {
        const pass = encoder.beginComputePass();
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup, [k * SLOT]);
        pass.dispatchWorkgroups(workgroups);
        pass.end();
      }
      queue.submit([encoder.finish()]);
      await queue.onSubmittedWorkDone();
    },
    'dispatch-each': async () => {
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      for (let k = 0; k < kernels; k++) {
        pass.setBindGroup(0, bindGroup, [k * SLOT]);
        pass.dispatchWorkgroups(workgroups);
      }
      pass.end();
      queue.submit([encoder.finish()]);
      await queue.onSubmittedWorkDone();
    },
  };
}

/** The loops for `kernels` steps over `elements` words, and the buffers they own. */
export function buildMinimalLoops(
  device: GPUDevice,
  elements: number,
  kernels: number,
): MinimalLoops {
  const steps = mapSteps(device, elements, kernels);
  return {
    loops: writtenOut(device, steps, kernels),
    destroy() {
      for (const buffer of steps.buffers) buffer.destroy();
    },
  };
}
