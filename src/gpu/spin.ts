/**
 * A spin kernel that keeps the whole GPU busy: 4096 workgroups of the integer recurrence of
 * `shaders/selftest.wgsl`, ~0.2 ms per submit on an H200 at full clock. The GPU warm-up and the
 * clock hold run it to bring the shader clock up; nothing it computes is read.
 */
import type { GpuContext } from './context.ts';
import { selftestKernel } from './selftest-kernel.ts';
import { nowNs } from '../stats/clock.ts';

/**
 * Spin submits queued at once while the clock hold spins. One at a time, the GPU idles for each
 * submit's round trip to the host: 40 µs against ~200 µs of spin in Node on an H200, but 0.3–0.5
 * ms in a browser page, where a spin that waited on each submit kept the GPU a third busy and never
 * brought a lowered clock back (Chromium on an H100, docs/findings.md, "The H100 runs").
 */
export const SPIN_IN_FLIGHT = 4;

/**
 * Calls `submit` until `ms` has passed, keeping up to `depth` submits unfinished: after each, it
 * takes `done()` (a promise that settles once everything submitted so far has run) and waits only
 * for the oldest of them once `depth` are pending. Returns once every submit has finished; the
 * number of submits. A rejected `done()` (a lost device) rejects it, after every pending one has
 * settled.
 */
export async function submitAhead(
  submit: () => void,
  done: () => Promise<unknown>,
  ms: number,
  depth: number,
): Promise<number> {
  const t0 = nowNs();
  const pending: Promise<unknown>[] = [];
  let submits = 0;
  try {
    do {
      submit();
      submits++;
      pending.push(done());
      if (pending.length >= depth) await pending.shift();
    } while (nowNs() - t0 < ms * 1e6);
    await Promise.all(pending);
  } catch (error) {
    // A lost device rejects every promise still pending: settle them all (none left unhandled,
    // which would end the process), then report the first.
    await Promise.allSettled(pending);
    throw error;
  }
  return submits;
}

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
    this.submit();
    await this.device.queue.onSubmittedWorkDone();
    return nowNs() - t0;
  }

  /**
   * Submits for about `ms` with SPIN_IN_FLIGHT of them queued at once (submitAhead), so that the
   * GPU never waits for the host to hear of one before the next starts; the number of submits.
   */
  run(ms: number): Promise<number> {
    return submitAhead(
      () => this.submit(),
      () => this.device.queue.onSubmittedWorkDone(),
      ms,
      SPIN_IN_FLIGHT,
    );
  }

  private submit(): void {
    const encoder = this.device.createCommandEncoder({ label: 'spin' });
    const pass = encoder.beginComputePass();
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bindGroup);
    pass.dispatchWorkgroups(this.workgroups);
    pass.end();
    this.device.queue.submit([encoder.finish()]);
  }

  destroy(): void {
    this.sink.destroy();
  }
}
