/**
 * What a timed pass costs the GPU, measured on the run's device at start-up and again before every
 * round (src/run.ts: it moved between runs, 4.61 and 4.93 µs on the H200), so that the GPU busy
 * of strategies that time every kernel's pass on its own (`submit-each`, `submit-wait`: one
 * command buffer per kernel, so one timed pass each) can be put on the footing of those that time
 * one span over all their kernels (`dispatch-each`, `pass-each`, …).
 *
 * Why: on an H200 a pass with begin and end timestamps took about 5 µs more GPU time than the same
 * pass inside a span (7.1 against 2.0 µs per 64-element kernel), more than the kernel itself, and
 * on lavapipe submit-each reported more GPU busy than wall time. GPU busy and utilisation then said
 * how they were measured rather than what the strategy costs.
 *
 * How: one command buffer of N passes of the `map` workload's 64-element dispatch, executed in two
 * ways, alternated (their order swapped every repeat, so a drifting clock touches both alike):
 *   (a) every pass writes its begin and end timestamps; GPU busy is the union of the N intervals
 *       (gpuTimes), exactly as a per-pass strategy's samples are reduced;
 *   (b) one span: `pass-each` itself (the first pass writes the begin, the last the end).
 * Both hold the same N passes and the same dispatches; (a) has N timed intervals, (b) one. So
 * busy(a) − span(b) is what N − 1 further timed passes add, and the cost per timed pass is the
 * median over repeats of (busy(a) − span(b)) / (N − 1). A strategy with K timed passes per
 * execution carries K − 1 more than a span does: subtracting (K − 1) × cost gives its span
 * equivalent (src/measure/run-case.ts, spanEquivalentBusyNs).
 *
 * The union in (a) leaves out gaps between passes that (b)'s span includes; where timestamps cost
 * nothing those gaps can make the difference negative. A negative cost is recorded as measured and
 * applied as 0: adding time to a figure because of a gap it never contained would be wrong.
 *
 * Bounded: N = 128 passes, 2 warm-up and 7 measured repeats of each way (1 and 3 before a round):
 * 18 executions of about 1 ms of GPU work each, 53–227 ms in all on the H200 (7.0 µs per pass
 * timed, 2.1 µs as a span: 5.0 µs per timed pass), 0.15–0.2 s on lavapipe with two cores.
 * Never prints.
 *
 * Not measured: whether a timed pass alone in its own command buffer (submit-each's case) costs
 * the same as one among many in one command buffer (the calibration's).
 */
import { asDeviceLost, withErrorScopes, type GpuContext } from '../gpu/context.ts';
import { TimestampRecorder, gpuTimes, type ResolveMode } from '../gpu/timestamps.ts';
import { DeviceLostError, errorMessage } from '../errors.ts';
import { encodePass } from '../strategies/encode.ts';
import { passEach } from '../strategies/pass-each.ts';
import type { Execution } from '../strategies/types.ts';
import { mapWorkload } from '../workloads/map.ts';
import type { CaseParams, Dispatch } from '../workloads/types.ts';
import { nowNs } from '../stats/clock.ts';
import { StallError, timedExecution } from './run-case.ts';
import { median } from '../stats/stats.ts';
import { submittedWorkDone } from '../strategies/completion.ts';

/** context.json's `timestampCost` when measured. */
export interface TimestampCost {
  /** GPU busy one more timed pass adds, µs: what the summary subtracts per extra timed pass (≥ 0). */
  usPerTimedPass: number;
  /** The median as measured, µs; differs from `usPerTimedPass` only where it came out negative. */
  measuredUsPerTimedPass: number;
  /** Medians over the repeats, per pass, µs: (a) every pass timed (union busy) and (b) one span. */
  timedBusyUsPerPass: number;
  spanUsPerPass: number;
  /** Passes in the command buffer (N), and repeats that gave usable timestamps in both ways. */
  passes: number;
  repeats: number;
  /** How long the calibration took, ms. */
  elapsedMs: number;
}

/** context.json's `timestampCost`: the measurement, or why there is none. */
export type TimestampCostRecord = TimestampCost | { off: string };

export interface TimestampCostOptions {
  passes: number;
  repeats: number;
  warmups: number;
  stallTimeoutMs: number;
}

export const TIMESTAMP_COST_DEFAULTS: TimestampCostOptions = {
  passes: 128,
  repeats: 7,
  warmups: 2,
  stallTimeoutMs: 10_000,
};

/**
 * N one-dispatch passes in one command buffer, one submit, one await, every pass timed: `pass-each`
 * with a timestamp pair on each pass instead of one span (which `pass-each` itself measures).
 */
function everyPassTimed(device: GPUDevice, dispatches: readonly Dispatch[]): Execution {
  const n = dispatches.length;
  return {
    timedPasses: n,
    async execute(recorder) {
      const t0 = nowNs();
      const encoder = device.createCommandEncoder({ label: 'timestamp-cost' });
      for (let k = 0; k < n; k++) encodePass(encoder, dispatches, k, 1, recorder, k, 'both');
      recorder?.resolve(encoder, 0, n);
      const commands = encoder.finish();
      const t1 = nowNs();
      device.queue.submit([commands]);
      const t2 = nowNs();
      await device.queue.onSubmittedWorkDone();
      return { encodeNs: t1 - t0, submitNs: t2 - t1, waitNs: nowNs() - t2, submits: 1, waits: 1 };
    },
  };
}

/**
 * Measures the cost of a timed pass on `ctx`'s device, resolving timestamps as the run does.
 * Returns `{ off }` when timestamps gave nothing usable or the measurement failed (the run then
 * reports per-pass GPU busy as measured, and says so); a lost device is rethrown.
 */
export async function measureTimestampCost(
  ctx: GpuContext,
  resolveMode: ResolveMode,
  options: TimestampCostOptions = TIMESTAMP_COST_DEFAULTS,
): Promise<TimestampCostRecord> {
  const passes = Math.max(2, options.passes);
  const params: CaseParams = {
    elements: 64,
    kernels: passes,
    intensity: 0,
    workgroupSize: 64,
    persistentWorkgroups: 1,
  };
  const t0 = nowNs();
  let stalled = false;
  let prepared: Awaited<ReturnType<typeof mapWorkload.prepare>> | undefined;
  let recorder: TimestampRecorder | undefined;
  try {
    return await withErrorScopes(ctx.device, async (): Promise<TimestampCostRecord> => {
      prepared = await mapWorkload.prepare(ctx.device, params, ctx.limits);
      const program = await prepared.program('steps');
      recorder = new TimestampRecorder(ctx.device, passes, resolveMode);
      const timed = everyPassTimed(ctx.device, program.dispatches);
      const span = passEach.prepare(ctx.device, program, submittedWorkDone(ctx.device));
      const busyNs = async (execution: Execution): Promise<number | undefined> => {
        if (recorder === undefined) return undefined;
        await timedExecution(execution, recorder, options.stallTimeoutMs, 'timestamp cost');
        return gpuTimes(await recorder.read())?.busyNs;
      };
      const costs: number[] = [];
      const timedPerPass: number[] = [];
      const spanPerPass: number[] = [];
      for (let i = 0; i < options.warmups + options.repeats; i++) {
        // Swapped every repeat: whatever the first of the two leaves behind (a clock that rose,
        // warm caches) falls on each way equally often.
        const first = i % 2 === 0 ? timed : span;
        const a = await busyNs(first);
        const b = await busyNs(first === timed ? span : timed);
        if (i < options.warmups) continue;
        const [all, one] = first === timed ? [a, b] : [b, a];
        if (all === undefined || one === undefined) continue;
        costs.push((all - one) / (passes - 1));
        timedPerPass.push(all / passes);
        spanPerPass.push(one / passes);
      }
      if (costs.length === 0) return { off: 'no repeat gave usable timestamps' };
      const measuredUs = median(costs) / 1e3;
      return {
        usPerTimedPass: Math.max(0, measuredUs),
        measuredUsPerTimedPass: measuredUs,
        timedBusyUsPerPass: median(timedPerPass) / 1e3,
        spanUsPerPass: median(spanPerPass) / 1e3,
        passes,
        repeats: costs.length,
        elapsedMs: (nowNs() - t0) / 1e6,
      };
    });
  } catch (error) {
    const cause = await asDeviceLost(ctx, error);
    if (cause instanceof DeviceLostError) throw cause;
    // A stalled execution may still use the buffers: they go with the device instead.
    stalled = error instanceof StallError;
    return { off: `measurement failed: ${errorMessage(error)}` };
  } finally {
    if (!stalled) {
      recorder?.destroy();
      prepared?.destroy();
    }
  }
}

/** The cost per timed pass in ns, or undefined when the record says it was not measured. */
export function costNsPerTimedPass(record: TimestampCostRecord): number | undefined {
  return 'off' in record ? undefined : record.usPerTimedPass * 1e3;
}
