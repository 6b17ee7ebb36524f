/**
 * The harness-overhead reference: the four one-by-one strategies written out as the plainest
 * possible Dawn loops, timed by tinybench instead of the suite's sampler. If the suite's wall time
 * per kernel for a case differs from these loops on the same device, the difference is harness
 * overhead (or a harness bug), not launch cost.
 *
 * What it measures: host wall time of K chained `map` steps (shaders/map.wgsl `step_main`, one
 * dynamic uniform offset per step, exactly as src/workloads/map.ts binds them) from the first API
 * call until `onSubmittedWorkDone` resolves. What it does not: GPU timestamps, verification,
 * adaptive sampling (tinybench's fixed time budget instead).
 *
 * Standalone: npx tsx bench/minimal-loops.ts [elements] [kernels] [timeMs]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';

export interface MinimalLoopResult {
  strategy: string;
  samples: number;
  /** tinybench's median latency of one execution of all K kernels, divided by K, µs. */
  medianUsPerKernel: number;
  /** tinybench's relative margin of error of the mean, %. */
  rmePercent: number;
}

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
  const code = readFileSync(fileURLToPath(new URL('../shaders/map.wgsl', import.meta.url)), 'utf8');
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

/** Times the hand-written loops with tinybench (its warm-up, its sampling, its statistics). */
export async function minimalLoops(
  device: GPUDevice,
  elements: number,
  kernels: number,
  timeMs: number,
  only?: readonly string[],
): Promise<MinimalLoopResult[]> {
  const minimal = buildMinimalLoops(device, elements, kernels);
  const { loops } = minimal;
  const bench = new Bench({
    time: timeMs,
    iterations: 5,
    warmupTime: Math.min(200, timeMs / 4),
    warmupIterations: 2,
    now: () => Number(process.hrtime.bigint()) / 1e6,
  });
  for (const [name, loop] of Object.entries(loops)) {
    if (only === undefined || only.includes(name)) bench.add(name, loop);
  }
  await bench.run();
  minimal.destroy();
  return bench.tasks.map((task) => {
    const result = task.result;
    if (result.state !== 'completed') throw new Error(`minimal loop ${task.name}: ${result.state}`);
    return {
      strategy: task.name,
      samples: Math.round(result.totalTime / result.latency.mean),
      medianUsPerKernel: (result.latency.p50 * 1000) / kernels,
      rmePercent: result.latency.rme,
    };
  });
}

async function main(): Promise<void> {
  const [elements = 64, kernels = 1000, timeMs = 2000] = process.argv.slice(2).map(Number);
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  // The same toggles as the suite (DESIGN.md): one entry, quantisation off.
  const gpu = create(['disable-dawn-features=timestamp_quantization']);
  const adapter = await gpu.requestAdapter();
  if (adapter === null) throw new Error('no adapter');
  const device = await adapter.requestDevice();
  try {
    const results = await minimalLoops(device, elements, kernels, timeMs);
    process.stdout.write(`${JSON.stringify({ elements, kernels, results }, null, 2)}\n`);
  } finally {
    device.destroy();
    // keep `gpu` referenced until the device is gone (dawn.node segfaults otherwise)
    void gpu;
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
