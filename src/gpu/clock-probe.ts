/**
 * A relative reading of the GPU's shader clock, through WebGPU alone: one workgroup runs a fixed
 * chain of dependent integer operations (`shaders/selftest.wgsl`), timed by its pass's begin and
 * end timestamps. The timestamp counter runs at a fixed rate while the chain's length is a fixed
 * number of shader cycles, so the chain's GPU time is inversely proportional to the shader clock:
 * `reference / this` is the clock as a fraction of a reference reading (nvbench's throttle
 * detection measures the clock inside a kernel too, with a cycle counter WGSL does not have). One
 * reading costs ~0.12 ms of one compute unit on an H200, too little to move a clock governor.
 * Needs timestamp queries; never prints.
 */
import type { GpuContext } from './context.ts';
import { selftestKernel } from './selftest-kernel.ts';
import { TimestampRecorder } from './timestamps.ts';

/** Iterations of the chain: ~0.12 ms on an H200 at 1980 MHz (0.47 ms at 65 536, measured). */
const CHAIN_ITERATIONS = 16_384;

export class ClockProbe {
  private constructor(
    private readonly device: GPUDevice,
    private readonly pipeline: GPUComputePipeline,
    private readonly bindGroup: GPUBindGroup,
    private readonly sink: GPUBuffer,
    private readonly recorder: TimestampRecorder,
  ) {}

  /** Undefined when the adapter has no timestamp queries. */
  static async open(ctx: GpuContext): Promise<ClockProbe | undefined> {
    if (!ctx.hasTimestamps) return undefined;
    const { device } = ctx;
    const { pipeline, bindGroup, sink } = await selftestKernel(
      device,
      'clock-probe',
      { WORKGROUP_SIZE: 32, ITERATIONS: CHAIN_ITERATIONS },
      32,
    );
    const recorder = new TimestampRecorder(device, 1, 'per-command-buffer');
    return new ClockProbe(device, pipeline, bindGroup, sink, recorder);
  }

  /** GPU time of one chain, ns; undefined when the timestamps came back unusable. */
  async chainNs(): Promise<number | undefined> {
    this.recorder.reset();
    const encoder = this.device.createCommandEncoder({ label: 'clock-probe' });
    const pass = encoder.beginComputePass({ timestampWrites: this.recorder.passWrites(0) });
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bindGroup);
    pass.dispatchWorkgroups(1);
    pass.end();
    this.recorder.resolve(encoder, 0, 1);
    this.device.queue.submit([encoder.finish()]);
    const [interval] = await this.recorder.read();
    if (interval === undefined || interval.endNs <= interval.beginNs) return undefined;
    return Number(interval.endNs - interval.beginNs);
  }

  destroy(): void {
    this.recorder.destroy();
    this.sink.destroy();
  }
}
