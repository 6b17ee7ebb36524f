/**
 * The hand-written loops of src/measure/minimal-loops.ts timed by tinybench instead of the
 * suite's sampler: the harness-overhead reference on its own.
 *
 * What it measures: host wall time of K chained `map` steps from the first API call until
 * `onSubmittedWorkDone` resolves. What it does not: GPU timestamps, verification, adaptive
 * sampling (tinybench's fixed time budget instead).
 *
 * Standalone: npx tsx bench/minimal-loops.ts [elements] [kernels] [timeMs]
 */
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { buildMinimalLoops } from '../src/measure/minimal-loops.ts';

export interface MinimalLoopResult {
  strategy: string;
  samples: number;
  /** tinybench's median latency of one execution of all K kernels, divided by K, µs. */
  medianUsPerKernel: number;
  /** tinybench's relative margin of error of the mean, %. */
  rmePercent: number;
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
  // The same toggles as the suite (docs/design.md, Measurement): one entry, quantisation off.
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
