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

export function buildMinimalLoops(
  device: GPUDevice,
  elements: number,
  kernels: number,
): MinimalLoops {
  const workgroupSize = 64;
  const slot = 256;
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
    compute: { module, entryPoint: 'step_main', constants: { WORKGROUP_SIZE: workgroupSize } },
  });
  const workgroups = Math.ceil(elements / workgroupSize);
  const data = device.createBuffer({ size: elements * 4, usage: GPUBufferUsage.STORAGE });
  const params = device.createBuffer({
    size: kernels * slot,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  const words = new Uint32Array((kernels * slot) / 4);
  for (let k = 0; k < kernels; k++) words.set([elements, 0, kernels, k, workgroups, 1], k * 64);
  device.queue.writeBuffer(params, 0, words);
  const bindGroup = device.createBindGroup({
    layout,
    entries: [
      { binding: 0, resource: { buffer: data } },
      { binding: 1, resource: { buffer: params, size: 24 } },
    ],
  });
  const queue = device.queue;

  const loops: Record<string, () => Promise<void>> = {
    'submit-wait': async () => {
      for (let k = 0; k < kernels; k++) {
        const encoder = device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup, [k * slot]);
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
        pass.setBindGroup(0, bindGroup, [k * slot]);
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
        pass.setBindGroup(0, bindGroup, [k * slot]);
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
        pass.setBindGroup(0, bindGroup, [k * slot]);
        pass.dispatchWorkgroups(workgroups);
      }
      pass.end();
      queue.submit([encoder.finish()]);
      await queue.onSubmittedWorkDone();
    },
  };

  return {
    loops,
    destroy() {
      data.destroy();
      params.destroy();
    },
  };
}
