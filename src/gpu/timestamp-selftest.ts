/**
 * Start-up check that GPU timestamps can be trusted on this adapter: a few passes of growing size,
 * each with begin/end timestamps, must give ordered, non-zero intervals, and the values must not
 * all be multiples of 65 536 ns (Dawn's `timestamp_quantization`, which the suite disables).
 */
import { compileShader } from './shaders.ts';
import { TimestampRecorder, gpuTimes } from './timestamps.ts';
import type { GpuContext } from './context.ts';

export interface TimestampSelfTest {
  supported: boolean;
  passes: number;
  /** Every end >= its begin and ends in order. */
  monotonic: boolean;
  /** Every value a multiple of 65 536: quantisation is on and GPU times are unusable. */
  quantized: boolean;
  /** Smallest non-zero difference between any two values seen, ns (an upper bound on the tick). */
  smallestStepNs: number | null;
  /** Duration of each pass, ns. */
  passDurationsNs: number[];
  ok: boolean;
  message: string;
}

const QUANTUM_NS = 65536n;
const PASSES = 8;

export async function timestampSelfTest(ctx: GpuContext): Promise<TimestampSelfTest> {
  if (!ctx.hasTimestamps) {
    return {
      supported: false,
      passes: 0,
      monotonic: false,
      quantized: false,
      smallestStepNs: null,
      passDurationsNs: [],
      ok: false,
      message: "adapter lacks 'timestamp-query': GPU times are not measured",
    };
  }
  const { device } = ctx;
  const module = await compileShader(device, 'selftest');
  const pipeline = device.createComputePipeline({
    layout: 'auto',
    compute: { module, entryPoint: 'main' },
  });
  const sink = device.createBuffer({ size: 4 * 65536, usage: GPUBufferUsage.STORAGE });
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: sink } }],
  });
  const recorder = new TimestampRecorder(device, PASSES);
  try {
    recorder.reset();
    const encoder = device.createCommandEncoder();
    for (let i = 0; i < PASSES; i++) {
      const pass = encoder.beginComputePass({ timestampWrites: recorder.passWrites(i) });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(4 << i);
      pass.end();
    }
    recorder.resolve(encoder, 0, PASSES);
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    const intervals = await recorder.read();
    const values = intervals.flatMap((p) => [p.beginNs, p.endNs]);
    const monotonic = gpuTimes(intervals) !== undefined;
    const quantized = values.every((v) => v % QUANTUM_NS === 0n);
    const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    let smallest: bigint | null = null;
    for (let i = 1; i < sorted.length; i++) {
      const d = (sorted[i] ?? 0n) - (sorted[i - 1] ?? 0n);
      if (d > 0n && (smallest === null || d < smallest)) smallest = d;
    }
    const ok = monotonic && !quantized;
    return {
      supported: true,
      passes: PASSES,
      monotonic,
      quantized,
      smallestStepNs: smallest === null ? null : Number(smallest),
      passDurationsNs: intervals.map((p) => Number(p.endNs - p.beginNs)),
      ok,
      message: ok
        ? 'timestamps monotonic and unquantised'
        : quantized
          ? 'timestamps are quantised to 65 536 ns: GPU times are not usable'
          : 'timestamps are not monotonic: GPU times are not usable',
    };
  } finally {
    recorder.destroy();
    sink.destroy();
  }
}
