/**
 * The drift probe: three fixed references measured before the first round, between rounds and
 * after the last, written to drift.csv. The cases are interleaved so that drift cancels from their
 * ratios; the probe shows how much the machine itself moved while they were measured, and when:
 *   - host loop: a fixed integer loop in JavaScript (the CPU alone: clock, co-tenants);
 *   - round trip: one tiny dispatch, submitted and awaited (`map`, 64 elements, K = 1,
 *     `submit-wait`): the latency path through Dawn, the driver and the GPU's wake-up;
 *   - chain: 1000 tiny dispatches in one pass, one submit (`map`, 64 elements, K = 1000,
 *     `dispatch-each`): the per-dispatch cost, wall and GPU busy;
 *   - clock chain: the clock probe's fixed chain of dependent operations (src/gpu/clock-probe.ts),
 *     GPU time: inversely proportional to the shader clock, which a launch-bound GPU lowers. Under
 *     the clock hold it follows the hold's checks, so it reads the held clock (the hold at work).
 * Each figure is the median of a few executions after two warm-up ones; a probe takes ~50 ms
 * on a discrete GPU. Never prints.
 */
import { ClockProbe } from '../gpu/clock-probe.ts';
import type { GpuContext } from '../gpu/context.ts';
import { TimestampRecorder, gpuTimes, type ResolveMode } from '../gpu/timestamps.ts';
import { dispatchEach } from '../strategies/dispatch-each.ts';
import { submitWait } from '../strategies/submit-wait.ts';
import type { Execution } from '../strategies/types.ts';
import { mapWorkload } from '../workloads/map.ts';
import type { CaseParams, PreparedCase } from '../workloads/types.ts';
import { cpuClock } from './host-noise.ts';
import { nowNs } from '../stats/clock.ts';
import { timedExecution } from './run-case.ts';
import { median } from '../stats/stats.ts';
import { submittedWorkDone } from '../strategies/completion.ts';

export interface DriftRow {
  /** 0 before the first round, r after round r, … */
  probe: number;
  /** Which gap it sits in: 'start', 'after round N', 'end'. */
  at: string;
  /** Seconds since the run started. */
  atS: number;
  hostLoopUs: number;
  roundTripUs: number;
  chainWallUsPerKernel: number;
  /** Null without timestamps. */
  chainGpuBusyUsPerKernel: number | null;
  /** GPU µs of the clock probe's chain (inversely proportional to the shader clock); null without timestamps. */
  clockChainUs: number | null;
  cpuMeanMHz: number | null;
  /**
   * The GPU time a timed pass adds, measured right after the probe for the round that follows
   * (src/measure/timestamp-cost.ts; src/run.ts); null after the last round, or unmeasured.
   */
  timestampCostUs?: number | null;
}

const CHAIN_KERNELS = 1000;
const ELEMENTS = 64;
const HOST_LOOP_ITERATIONS = 2_000_000;
const REPEATS = { hostLoop: 5, roundTrip: 21, chain: 7, chainGpu: 3, clock: 3 } as const;

/** A fixed integer loop (xorshift32), timed; the result is returned so it is not optimised out. */
function hostLoop(): { ns: number; sink: number } {
  const t0 = nowNs();
  let x = 0x9e3779b9;
  for (let i = 0; i < HOST_LOOP_ITERATIONS; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return { ns: nowNs() - t0, sink: x };
}

export class DriftProbe {
  private sink = 0;
  private constructor(
    private readonly ctx: GpuContext,
    private readonly prepared: PreparedCase[],
    private readonly roundTrip: Execution,
    private readonly chain: Execution,
    private readonly recorder: TimestampRecorder | undefined,
    private readonly clock: ClockProbe | undefined,
    private readonly stallTimeoutMs: number,
    private readonly originNs: number,
  ) {}

  /** Prepares the references once for the run (a few KiB of buffers). */
  static async open(
    ctx: GpuContext,
    timestamps: ResolveMode | undefined,
    stallTimeoutMs: number,
    originNs: number,
  ): Promise<DriftProbe> {
    const params = (kernels: number): CaseParams => ({
      elements: ELEMENTS,
      kernels,
      intensity: 0,
      workgroupSize: 64,
      persistentWorkgroups: 1,
    });
    const one = await mapWorkload.prepare(ctx.device, params(1), ctx.limits);
    const many = await mapWorkload.prepare(ctx.device, params(CHAIN_KERNELS), ctx.limits);
    const roundTrip = submitWait.prepare(
      ctx.device,
      await one.program('steps'),
      submittedWorkDone(ctx.device),
    );
    const chain = dispatchEach.prepare(
      ctx.device,
      await many.program('steps'),
      submittedWorkDone(ctx.device),
    );
    const recorder =
      timestamps === undefined
        ? undefined
        : new TimestampRecorder(ctx.device, Math.max(1, chain.timedPasses), timestamps);
    const clock = timestamps === undefined ? undefined : await ClockProbe.open(ctx);
    return new DriftProbe(
      ctx,
      [one, many],
      roundTrip,
      chain,
      recorder,
      clock,
      stallTimeoutMs,
      originNs,
    );
  }

  private async times(execution: Execution, repeats: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < repeats + 2; i++) {
      const { wallNs } = await timedExecution(
        execution,
        undefined,
        this.stallTimeoutMs,
        'drift probe',
      );
      if (i >= 2) out.push(wallNs);
    }
    return out;
  }

  /**
   * One probe. `beforePart` runs before each of its five parts: the run's clock hold, so that
   * the probe sees the clock the cases see (without it, the clock fell inside the probe's own
   * idle stretches: a clock chain of 2.4× its fastest in a held run on the H200).
   */
  async measure(
    probe: number,
    at: string,
    beforePart: () => Promise<void> = () => Promise.resolve(),
  ): Promise<DriftRow> {
    const atS = (nowNs() - this.originNs) / 1e9;
    await beforePart();
    const loops: number[] = [];
    for (let i = 0; i < REPEATS.hostLoop; i++) {
      const { ns, sink } = hostLoop();
      this.sink ^= sink;
      loops.push(ns);
    }
    await beforePart();
    const roundTrip = median(await this.times(this.roundTrip, REPEATS.roundTrip));
    await beforePart();
    const chain = median(await this.times(this.chain, REPEATS.chain));
    let busy: number | null = null;
    if (this.recorder !== undefined) {
      await beforePart();
      const values: number[] = [];
      for (let i = 0; i < REPEATS.chainGpu; i++) {
        await timedExecution(this.chain, this.recorder, this.stallTimeoutMs, 'drift probe');
        const t = gpuTimes(await this.recorder.read());
        if (t !== undefined) values.push(t.busyNs);
      }
      busy = values.length === 0 ? null : median(values) / 1e3 / CHAIN_KERNELS;
    }
    let clockChain: number | null = null;
    if (this.clock !== undefined) {
      await beforePart();
      const values: number[] = [];
      for (let i = 0; i < REPEATS.clock; i++) {
        const ns = await this.clock.chainNs();
        if (ns !== undefined) values.push(ns);
      }
      clockChain = values.length === 0 ? null : median(values) / 1e3;
    }
    if (this.ctx.lost !== undefined) throw new Error(`device lost: ${this.ctx.lost.message}`);
    return {
      probe,
      at,
      atS,
      hostLoopUs: median(loops) / 1e3,
      roundTripUs: roundTrip / 1e3,
      chainWallUsPerKernel: chain / 1e3 / CHAIN_KERNELS,
      chainGpuBusyUsPerKernel: busy,
      clockChainUs: clockChain,
      cpuMeanMHz: cpuClock().meanMHz,
    };
  }

  /**
   * One round trip (the probe's `map`, 64 elements, K = 1, `submit-wait`), wall ns: the state
   * probe before and after every visit (src/stats/state.ts). Warmed up by the run's first drift
   * probe (and after a device replacement, src/run.ts).
   */
  async roundTripNs(): Promise<number> {
    const { wallNs } = await timedExecution(
      this.roundTrip,
      undefined,
      this.stallTimeoutMs,
      'state probe',
    );
    return wallNs;
  }

  close(): void {
    this.recorder?.destroy();
    this.clock?.destroy();
    this.roundTrip.destroy?.();
    this.chain.destroy?.();
    for (const p of this.prepared) p.destroy();
    if (this.sink === 0.5) process.stderr.write(''); // keeps the loops' results observable
  }
}
