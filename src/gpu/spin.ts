/**
 * A spin kernel that keeps the whole GPU busy: 4096 workgroups of the integer recurrence of
 * `shaders/selftest.wgsl`, ~0.2 ms per submit on an H200 at full clock. The GPU warm-up and the
 * clock hold run it to bring the shader clock up; nothing it computes is read.
 */
import type { GpuContext } from './context.ts';
import { selftestKernel } from './selftest-kernel.ts';
import { nowNs } from '../stats/clock.ts';

export class SpinKernel {
  private constructor(
    private readonly device: GPUDevice,
    private readonly pipeline: GPUComputePipeline,
    private readonly bindGroup: GPUBindGroup,
    private readonly sink: GPUBuffer,
    private readonly workgroups: number,
  ) {}

  static async open(ctx: GpuContext): Promise<SpinKernel> {
    const { device } = ctx;
    const { pipeline, bindGroup, sink } = await selftestKernel(
      device,
      'spin',
      { ITERATIONS: 4096 },
      65536,
    );
    // A CPU adapter runs the same grid thousands of times slower: keep its submits short.
    const workgroups = ctx.adapterInfo.isFallbackAdapter ? 4 : 4096;
    return new SpinKernel(device, pipeline, bindGroup, sink, workgroups);
  }

  /** One submit of the spin kernel, awaited; its wall time, ns. */
  async once(): Promise<number> {
    const t0 = nowNs();
    const encoder = this.device.createCommandEncoder({ label: 'spin' });
    const pass = encoder.beginComputePass();
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bindGroup);
    pass.dispatchWorkgroups(this.workgroups);
    pass.end();
    this.device.queue.submit([encoder.finish()]);
    await this.device.queue.onSubmittedWorkDone();
    return nowNs() - t0;
  }

  /** Submits back to back for about `ms`; the number of submits. */
  async run(ms: number): Promise<number> {
    const t0 = nowNs();
    let submits = 0;
    do {
      await this.once();
      submits++;
    } while (nowNs() - t0 < ms * 1e6);
    return submits;
  }

  destroy(): void {
    this.sink.destroy();
  }
}
