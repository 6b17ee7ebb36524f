/**
 * The decode workload's tensors made on the GPU (shaders/decode/init.wgsl) hold the same bits as
 * the CPU reference's (src/workloads/decode/reference.ts): weights, norm weights (1 ± 0.25), the
 * KV history and the input, on the tiny preset, every element compared bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { compileShader } from '../src/gpu/shaders.ts';
import {
  decodeWeight,
  tensorScale,
  tensorStream,
  type TensorName,
} from '../src/workloads/decode/reference.ts';
import { decodeShape, kvWidth } from '../src/workloads/decode/shapes.ts';
import { useSharedGpu } from './support/gpu.ts';

const gpu = useSharedGpu();
const NORMS: readonly TensorName[] = ['attnNorm', 'ffnNorm', 'finalNorm'];

describe('decode init kernel', () => {
  it('writes every tensor bit for bit as the CPU reference computes it', async (t) => {
    const { device } = gpu(t);
    const s = decodeShape('tiny');
    const seed = 0x5eed;
    const module = await compileShader(device, 'decode/init');
    const pipeline = await device.createComputePipelineAsync({
      layout: 'auto',
      compute: { module, entryPoint: 'main' },
    });
    const cases: [TensorName, number, number][] = [
      ['wq', 1, s.hidden * s.hidden],
      ['wDown', 0, s.hidden * s.ffn],
      ['attnNorm', 1, s.hidden],
      ['finalNorm', 0, s.hidden],
      ['kCache', 0, s.context * kvWidth(s)],
      ['lmHead', 0, s.vocab * s.hidden],
      ['input', 0, s.hidden],
    ];
    for (const [name, layer, count] of cases) {
      const values = device.createBuffer({
        size: 4 * count,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
      });
      const params = device.createBuffer({
        size: 16,
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      });
      const words = new ArrayBuffer(16);
      new Uint32Array(words, 0, 2).set([tensorStream(seed, name, layer), count]);
      new Float32Array(words, 8, 2).set([tensorScale(s, name), NORMS.includes(name) ? 1 : 0]);
      device.queue.writeBuffer(params, 0, words);
      const readback = device.createBuffer({
        size: 4 * count,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(
        0,
        device.createBindGroup({
          layout: pipeline.getBindGroupLayout(0),
          entries: [
            { binding: 0, resource: { buffer: values } },
            { binding: 1, resource: { buffer: params } },
          ],
        }),
      );
      pass.dispatchWorkgroups(Math.ceil(count / 256));
      pass.end();
      encoder.copyBufferToBuffer(values, 0, readback, 0, 4 * count);
      device.queue.submit([encoder.finish()]);
      await readback.mapAsync(GPUMapMode.READ);
      const got = new Uint32Array(readback.getMappedRange().slice(0));
      readback.unmap();
      const want = new Uint32Array(
        Float32Array.from({ length: count }, (_, i) => decodeWeight(s, seed, name, layer, i))
          .buffer,
      );
      let mismatches = 0;
      let first = -1;
      for (let i = 0; i < count; i++)
        if (got[i] !== want[i]) {
          mismatches++;
          if (first < 0) first = i;
        }
      expect(mismatches, `${name}[${layer}]: first mismatch at ${first}`).toBe(0);
      for (const b of [values, params, readback]) b.destroy();
    }
  });
});
