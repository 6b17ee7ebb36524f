/**
 * GPU warm-up before any case. Measured on an H200: the SM clock idles at 345 MHz and takes about
 * a second of load to reach its 1980 MHz boost, and a tiny dispatch then runs ~1.45× faster; runs
 * that started measuring at once put their first cases in the slow mode. So the suite first keeps
 * the GPU busy with a spin kernel until the time of one submit is stable (five in a row within
 * `tolerance` of their median) for at least `minMs`, or `maxMs` passes.
 */
import { compileShader } from './shaders.ts';
import { nowNs } from '../measure/clock.ts';
import type { GpuContext } from './context.ts';

export interface WarmupResult {
  elapsedMs: number;
  submits: number;
  firstSubmitUs: number;
  lastSubmitUs: number;
  stable: boolean;
}

export interface WarmupOptions {
  minMs: number;
  maxMs: number;
  tolerance: number;
}

export const WARMUP_DEFAULTS: WarmupOptions = { minMs: 1000, maxMs: 5000, tolerance: 0.03 };

const WINDOW = 5;

export async function warmUpGpu(ctx: GpuContext, options: WarmupOptions): Promise<WarmupResult> {
  const { device } = ctx;
  const module = await compileShader(device, 'selftest');
  const pipeline = await device.createComputePipelineAsync({
    layout: 'auto',
    compute: { module, entryPoint: 'main', constants: { ITERATIONS: 4096 } },
  });
  const sink = device.createBuffer({ size: 4 * 65536, usage: GPUBufferUsage.STORAGE });
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: sink } }],
  });
  // A CPU adapter runs the same grid thousands of times slower: keep its submits short.
  const workgroups = ctx.adapterInfo.isFallbackAdapter ? 4 : 4096;
  const times: number[] = [];
  const start = nowNs();
  let stable = false;
  try {
    for (;;) {
      const t0 = nowNs();
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(workgroups);
      pass.end();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      times.push(nowNs() - t0);
      const elapsedMs = (nowNs() - start) / 1e6;
      const recent = times.slice(-WINDOW).sort((a, b) => a - b);
      const median = recent[Math.floor(recent.length / 2)] ?? 0;
      stable =
        recent.length === WINDOW &&
        recent.every((t) => Math.abs(t - median) <= options.tolerance * median);
      if ((stable && elapsedMs >= options.minMs) || elapsedMs >= options.maxMs) break;
    }
  } finally {
    sink.destroy();
  }
  return {
    elapsedMs: (nowNs() - start) / 1e6,
    submits: times.length,
    firstSubmitUs: (times[0] ?? 0) / 1000,
    lastSubmitUs: (times[times.length - 1] ?? 0) / 1000,
    stable,
  };
}
