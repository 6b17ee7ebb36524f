/**
 * The integer-recurrence kernel of `shaders/selftest.wgsl` with its sink buffer, ready to
 * dispatch: the timestamp self-test, the spin kernel and the clock probe each run it with their
 * own constants. Nothing it computes is read; `sink` is the caller's to destroy.
 */
import { compileShader } from './shaders.ts';

export interface SelftestKernel {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  sink: GPUBuffer;
}

export async function selftestKernel(
  device: GPUDevice,
  label: string,
  constants: Record<string, number>,
  sinkWords: number,
): Promise<SelftestKernel> {
  const module = await compileShader(device, 'selftest');
  const pipeline = await device.createComputePipelineAsync({
    label,
    layout: 'auto',
    compute: { module, entryPoint: 'main', constants },
  });
  const sink = device.createBuffer({
    label: `${label}.sink`,
    size: 4 * sinkWords,
    usage: GPUBufferUsage.STORAGE,
  });
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: sink } }],
  });
  return { pipeline, bindGroup, sink };
}
