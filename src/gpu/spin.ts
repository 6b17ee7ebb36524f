/**
 * A spin kernel that keeps the whole GPU busy: 4096 workgroups of the integer recurrence of
 * `shaders/selftest.wgsl`, ~0.2 ms per submit on an H200 at full clock. The GPU warm-up and the
 * clock hold run it to bring the shader clock up; nothing it computes is read.
 */
import type { GpuContext } from './context.ts';
import { selftestKernel } from './selftest-kernel.ts';
import { nowNs } from '../stats/clock.ts';

/**
 * Spin submits queued at once to begin with: enough for Node, whose round trip (0.02–0.05 ms) is
 * short beside a submit's ~0.2 ms of spin on an H200; aheadDepth raises it where the round trip is
 * longer.
 */
export const SPIN_IN_FLIGHT = 4;
/** The most spin submits queued at once (about 0.2 s of spin on an H200 at full clock). */
export const SPIN_MAX_IN_FLIGHT = 1024;

/**
 * How many spin submits to keep queued after a spin whose submits took `perSubmitMs` of wall time
 * each: enough to cover two of the runtime's completion round trips (`completionMs`: one workgroup
 * of the spin waited on from an idle queue), never fewer than before. A starved queue's submits
 * take about a round trip over the depth each (a little more: the spin's last wait is in its
 * time), so a spin several round trips long nearly doubles the depth, until the GPU, not the
 * round trip, sets the pace. Four queued (and the warm-up's submits waited on one by one) left the
 * GPU idle through most of each round trip under Deno (11 ms) and in Chromium's page (a warm-up
 * submit waited on took 2.4–2.8 ms): docs/findings.md, "The runs of 2026-12-05, eighth session".
 */
export function aheadDepth(depth: number, completionMs: number, perSubmitMs: number): number {
  if (!(perSubmitMs > 0) || !(completionMs >= 0)) return depth;
  const wanted = Math.ceil((2 * completionMs) / perSubmitMs) + 2;
  return Math.min(SPIN_MAX_IN_FLIGHT, Math.max(depth, wanted));
}

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

/** What spinAhead keeps between spins: the depth it queues at and the round trip it covers. */
export interface AheadState {
  depth: number;
  completionMs: number;
}

/**
 * submitAhead at `state.depth` for about `ms`, then the depth raised by aheadDepth from the wall
 * time per submit just seen; the number of submits.
 */
export async function spinAhead(
  submit: () => void,
  done: () => Promise<unknown>,
  ms: number,
  state: AheadState,
): Promise<number> {
  const t0 = nowNs();
  const submits = await submitAhead(submit, done, ms, state.depth);
  state.depth = aheadDepth(state.depth, state.completionMs, (nowNs() - t0) / 1e6 / submits);
  return submits;
}

export class SpinKernel {
  /** Submits run() keeps queued (SPIN_IN_FLIGHT at first) and the round trip they cover. */
  private readonly ahead: AheadState = { depth: SPIN_IN_FLIGHT, completionMs: 0 };

  private constructor(
    private readonly device: GPUDevice,
    private readonly pipeline: GPUComputePipeline,
    private readonly bindGroup: GPUBindGroup,
    private readonly sink: GPUBuffer,
    private readonly workgroups: number,
  ) {}

  /** `inFlight`: the depth to start from (a warm-up's, SpinKernel.inFlight), at least SPIN_IN_FLIGHT. */
  static async open(ctx: GpuContext, inFlight = SPIN_IN_FLIGHT): Promise<SpinKernel> {
    const { device } = ctx;
    const { pipeline, bindGroup, sink } = await selftestKernel(
      device,
      'spin',
      { ITERATIONS: 4096 },
      65536,
    );
    // A CPU adapter runs the same grid thousands of times slower: keep its submits short.
    const workgroups = ctx.adapterInfo.isFallbackAdapter ? 4 : 4096;
    const spin = new SpinKernel(device, pipeline, bindGroup, sink, workgroups);
    if (Number.isFinite(inFlight))
      spin.ahead.depth = Math.min(
        SPIN_MAX_IN_FLIGHT,
        Math.max(SPIN_IN_FLIGHT, Math.round(inFlight)),
      );
    try {
      await spin.measureCompletion();
    } catch (error) {
      spin.destroy();
      throw error;
    }
    return spin;
  }

  /**
   * The runtime's completion round trip, ms, with a little GPU work in it: the median of three
   * waits on one workgroup of the spin (about 0.03 ms at an H200's full clock, 0.18 at its idle
   * one), each submitted to an idle queue.
   */
  get completionMs(): number {
    return this.ahead.completionMs;
  }

  /** Submits run() keeps queued now. */
  get inFlight(): number {
    return this.ahead.depth;
  }

  /**
   * Submits for about `ms` with `inFlight` of them queued at once, raised after it where the round
   * trip outlasted what was queued (spinAhead); the number of submits.
   */
  run(ms: number): Promise<number> {
    return spinAhead(
      () => this.submit(),
      () => this.device.queue.onSubmittedWorkDone(),
      ms,
      this.ahead,
    );
  }

  private async measureCompletion(): Promise<void> {
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = nowNs();
      this.submit(1);
      await this.device.queue.onSubmittedWorkDone();
      waits.push((nowNs() - t0) / 1e6);
    }
    this.ahead.completionMs = waits.sort((a, b) => a - b)[1] ?? 0;
  }

  private submit(workgroups = this.workgroups): void {
    const encoder = this.device.createCommandEncoder({ label: 'spin' });
    const pass = encoder.beginComputePass();
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bindGroup);
    pass.dispatchWorkgroups(workgroups);
    pass.end();
    this.device.queue.submit([encoder.finish()]);
  }

  destroy(): void {
    this.sink.destroy();
  }
}
