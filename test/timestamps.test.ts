/**
 * GPU timestamps are usable: the start-up self-test passes on this adapter (supported, monotonic,
 * not quantised to Dawn's 65 536 ns steps, which the suite disables), and gpuTimes() turns pass
 * intervals into busy / idle / span with overlap counted once and unusable samples rejected.
 */
import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../src/gpu/context.ts';
import { compileShader } from '../src/gpu/shaders.ts';
import { timestampSelfTest } from '../src/gpu/timestamp-selftest.ts';
import {
  TimestampRecorder,
  gpuTimes,
  type PassInterval,
  type ResolveMode,
} from '../src/gpu/timestamps.ts';
import { useSharedGpu } from './support/gpu.ts';

const gpu = useSharedGpu();

describe('timestampSelfTest', () => {
  it('finds timestamps supported, monotonic and unquantised', async (t) => {
    const ctx = gpu(t);
    expect(ctx.toggles.disabled).toContain('timestamp_quantization');
    expect(ctx.instanceFlags).toContain('disable-dawn-features=timestamp_quantization');
    const result = await timestampSelfTest(ctx);
    expect(result.supported, result.message).toBe(true);
    expect(result.monotonic, result.message).toBe(true);
    expect(result.quantized, result.message).toBe(false);
    expect(result.ok, result.message).toBe(true);
    // The resolve mode GPU samples will use: late resolves only where verified equal.
    expect(result.resolveMode).toBe(
      result.lateResolveMatches ? 'after-sample' : 'per-command-buffer',
    );
    expect(result.passes).toBeGreaterThan(1);
    expect(result.passDurationsNs).toHaveLength(result.passes);
    for (const d of result.passDurationsNs) expect(d).toBeGreaterThanOrEqual(0);
    // Quantised timestamps step in whole quanta: the smallest step seen is no multiple of one.
    // (Not "below one quantum": on a loaded CPU adapter the smallest pass took 66.8 µs.)
    expect(result.smallestStepNs).not.toBeNull();
    expect((result.smallestStepNs ?? 65536) % 65536).not.toBe(0);
  });
});

/** Encodes small timestamped passes of the self-test kernel. */
async function passEncoder(ctx: GpuContext): Promise<{
  encode(encoder: GPUCommandEncoder, writes: GPUComputePassTimestampWrites): void;
  destroy(): void;
}> {
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
  return {
    encode(encoder, timestampWrites) {
      const p = encoder.beginComputePass({ timestampWrites });
      p.setPipeline(pipeline);
      p.setBindGroup(0, bindGroup);
      p.dispatchWorkgroups(1);
      p.end();
    },
    destroy() {
      sink.destroy();
    },
  };
}

const MODES: readonly ResolveMode[] = ['per-command-buffer', 'after-sample'];

describe.each(MODES.map((m) => [m]))('TimestampRecorder, %s resolve', (mode) => {
  it('reads passes of separate command buffers, in pass order, sample by sample', async (t) => {
    const ctx = gpu(t);
    const recorder = new TimestampRecorder(ctx.device, 3, mode);
    const passes = await passEncoder(ctx);
    try {
      recorder.reset();
      for (let k = 0; k < 3; k++) {
        const encoder = ctx.device.createCommandEncoder();
        passes.encode(encoder, recorder.passWrites(k));
        recorder.resolve(encoder, k, 1);
        ctx.device.queue.submit([encoder.finish()]);
      }
      await ctx.device.queue.onSubmittedWorkDone();
      const intervals = await recorder.read();
      expect(intervals).toHaveLength(3);
      const times = gpuTimes(intervals);
      expect(
        times,
        JSON.stringify(intervals, (_, v: unknown) => String(v)),
      ).toBeDefined();
      expect(times?.busyNs).toBeGreaterThan(0);
      expect(times?.busyNs).toBeLessThanOrEqual(times?.spanNs ?? 0);
      // The next sample after reset() reads only its own passes, later than the first sample's.
      const lastEnd = intervals[2]?.endNs ?? 0n;
      recorder.reset();
      const encoder = ctx.device.createCommandEncoder();
      passes.encode(encoder, recorder.passWrites(0));
      recorder.resolve(encoder, 0, 1);
      ctx.device.queue.submit([encoder.finish()]);
      await ctx.device.queue.onSubmittedWorkDone();
      const next = await recorder.read();
      expect(next).toHaveLength(1);
      expect(next[0]?.beginNs ?? 0n).toBeGreaterThanOrEqual(lastEnd);
    } finally {
      recorder.destroy();
      passes.destroy();
    }
    expect(ctx.errors.messages).toEqual([]);
  });

  it('spills past 4096 queries into a second query set, one resolve across the boundary', async (t) => {
    const ctx = gpu(t);
    // 2049 passes: 2048 in query set 0 (4096 queries), the last in query set 1.
    const count = 2049;
    const recorder = new TimestampRecorder(ctx.device, count, mode);
    const passes = await passEncoder(ctx);
    try {
      recorder.reset();
      const encoder = ctx.device.createCommandEncoder();
      for (let k = 0; k < count; k++) passes.encode(encoder, recorder.passWrites(k));
      recorder.resolve(encoder, 0, count);
      ctx.device.queue.submit([encoder.finish()]);
      await ctx.device.queue.onSubmittedWorkDone();
      const intervals = await recorder.read();
      expect(intervals).toHaveLength(count);
      expect(gpuTimes(intervals)).toBeDefined();
      expect(() => recorder.passWrites(count)).toThrow(RangeError);
    } finally {
      recorder.destroy();
      passes.destroy();
    }
    expect(ctx.errors.messages).toEqual([]);
  });
});

const pass = (beginNs: number, endNs: number): PassInterval => ({
  beginNs: BigInt(beginNs),
  endNs: BigInt(endNs),
});

describe('gpuTimes', () => {
  it('one pass: busy = span, no idle', () => {
    expect(gpuTimes([pass(100, 250)])).toEqual({ busyNs: 150, idleNs: 0, spanNs: 150 });
  });

  it('gaps between passes are idle, not busy', () => {
    expect(gpuTimes([pass(100, 200), pass(250, 300), pass(400, 410)])).toEqual({
      busyNs: 160,
      idleNs: 150,
      spanNs: 310,
    });
  });

  it('a begin that overlaps the previous pass (top of pipe) is counted once', () => {
    expect(gpuTimes([pass(100, 200), pass(150, 300)])).toEqual({
      busyNs: 200,
      idleNs: 0,
      spanNs: 200,
    });
  });

  it('back-to-back passes and equal ends are allowed', () => {
    expect(gpuTimes([pass(100, 200), pass(200, 200), pass(200, 260)])).toEqual({
      busyNs: 160,
      idleNs: 0,
      spanNs: 160,
    });
  });

  it('keeps nanosecond precision far from zero', () => {
    const base = 2n ** 60n;
    const times = gpuTimes([
      { beginNs: base, endNs: base + 7n },
      { beginNs: base + 10n, endNs: base + 12n },
    ]);
    expect(times).toEqual({ busyNs: 9, idleNs: 3, spanNs: 12 });
  });

  it('rejects unusable samples', () => {
    expect(gpuTimes([])).toBeUndefined();
    // An end before its begin.
    expect(gpuTimes([pass(200, 100)])).toBeUndefined();
    // End timestamps out of order (they are bottom of pipe and must be monotonic).
    expect(gpuTimes([pass(100, 300), pass(150, 250)])).toBeUndefined();
    expect(gpuTimes([pass(100, 200), pass(300, 400), pass(350, 390)])).toBeUndefined();
    // A zero begin: the query was never written.
    expect(gpuTimes([pass(0, 100)])).toBeUndefined();
    expect(gpuTimes([pass(100, 200), pass(0, 300)])).toBeUndefined();
  });
});
