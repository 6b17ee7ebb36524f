/**
 * The decode workload's tensors made on the GPU (shaders/decode/init.wgsl) hold the same bits as
 * the CPU reference's (src/workloads/decode/reference.ts): weights, norm weights (1 ± 0.25), the
 * KV history and the input, on the tiny preset, every element compared bit for bit; and with f16
 * weights (tiny-f16), the packed f16 weights widened to f32 equal the reference's f32 weights.
 */
import { describe, expect, it } from 'vitest';
import { compileShader } from '../src/gpu/shaders.ts';
import {
  decodeWeight,
  tensorScale,
  valueBits,
  tensorStream,
  type TensorName,
} from '../src/workloads/decode/reference.ts';
import { decodeShape, kvWidth } from '../src/workloads/decode/shapes.ts';
import { useSharedGpu } from './support/gpu.ts';

const gpu = useSharedGpu();
const NORMS: readonly TensorName[] = ['attnNorm', 'ffnNorm', 'finalNorm'];

/** An f16 number (its 16 bits) as a double: sign, 5-bit exponent, 10-bit fraction. */
function f16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

describe('decode init kernel', () => {
  it.for(['tiny', 'tiny-f16'])(
    'writes every tensor of %s bit for bit as the CPU reference computes it',
    async (preset, t) => {
      const { device } = gpu(t);
      const s = decodeShape(preset);
      const seed = 0x5eed;
      const module = await compileShader(device, 'decode/init');
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
        // f16 weights go two to a word (main_f16); caches and input stay f32.
        const pairs = valueBits(s, name) === 9;
        const words32 = pairs ? count / 2 : count;
        const pipeline = await device.createComputePipelineAsync({
          layout: 'auto',
          compute: { module, entryPoint: pairs ? 'main_f16' : 'main' },
        });
        const values = device.createBuffer({
          size: 4 * words32,
          usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
        });
        const params = device.createBuffer({
          size: 32,
          usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
        });
        const words = new ArrayBuffer(32);
        new Uint32Array(words, 0, 2).set([tensorStream(seed, name, layer), count]);
        new Float32Array(words, 8, 2).set([tensorScale(s, name), NORMS.includes(name) ? 1 : 0]);
        new Uint32Array(words, 16, 1).set([valueBits(s, name)]);
        device.queue.writeBuffer(params, 0, words);
        const readback = device.createBuffer({
          size: 4 * words32,
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
        pass.dispatchWorkgroups(Math.ceil(words32 / 256));
        pass.end();
        encoder.copyBufferToBuffer(values, 0, readback, 0, 4 * words32);
        device.queue.submit([encoder.finish()]);
        await readback.mapAsync(GPUMapMode.READ);
        const raw = new Uint32Array(readback.getMappedRange().slice(0));
        readback.unmap();
        // As f32 bits: f16 pairs widened (exactly) to f32.
        const got = pairs
          ? new Uint32Array(
              Float32Array.from({ length: count }, (_, i) =>
                f16ToNumber(((raw[i >> 1] ?? 0) >>> (i & 1 ? 16 : 0)) & 0xffff),
              ).buffer,
            )
          : raw;
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
    },
  );
});
