/**
 * Encoding shared by the strategies: one dispatch (skipping redundant pipeline changes), one pass,
 * and the host patterns that several strategies share.
 */
import type { TimestampPart, TimestampRecorder } from '../gpu/timestamps.ts';
import { nowNs } from '../stats/clock.ts';
import type { Dispatch } from '../workloads/types.ts';
import type { Completion } from './completion.ts';
import type { Execution } from './types.ts';

export class DispatchEncoder {
  private pipeline: GPUComputePipeline | undefined;

  constructor(private readonly pass: GPUComputePassEncoder) {}

  encode(dispatch: Dispatch): void {
    if (dispatch.pipeline !== this.pipeline) {
      this.pass.setPipeline(dispatch.pipeline);
      this.pipeline = dispatch.pipeline;
    }
    this.pass.setBindGroup(0, dispatch.bindGroup, dispatch.dynamicOffsets);
    const [x, y, z] = dispatch.workgroups;
    // A 1-D grid passes one argument, as a program would: dawn.node converts each one (measured:
    // about 3% of a tiny dispatch's wall time on an H200).
    if (y === 1 && z === 1) this.pass.dispatchWorkgroups(x);
    else this.pass.dispatchWorkgroups(x, y, z);
  }
}

/**
 * Encodes one compute pass holding dispatches [first, first + count), timestamped as pass
 * `timedPass` when a recorder is given.
 */
export function encodePass(
  encoder: GPUCommandEncoder,
  dispatches: readonly Dispatch[],
  first: number,
  count: number,
  recorder: TimestampRecorder | undefined,
  timedPass: number,
  part: TimestampPart = 'both',
): void {
  // No descriptor at all without timestamps: dawn.node converts even an empty dictionary.
  const pass =
    recorder === undefined || part === 'none'
      ? encoder.beginComputePass()
      : encoder.beginComputePass({ timestampWrites: recorder.passWrites(timedPass, part) });
  const out = new DispatchEncoder(pass);
  for (let i = first; i < first + count; i++) {
    const dispatch = dispatches[i];
    if (dispatch !== undefined) out.encode(dispatch);
  }
  pass.end();
}

/**
 * One encoder, one compute pass holding every dispatch of `dispatches`, one submit, one await:
 * the host pattern of `dispatch-each`, shared by the strategies that launch a one-dispatch
 * program (`fused`, `persistent`), so that they differ from it only in the program.
 */
export function onePassExecution(
  device: GPUDevice,
  dispatches: readonly Dispatch[],
  completion: Completion,
): Execution {
  return {
    timedPasses: 1,
    async execute(recorder) {
      const t0 = nowNs();
      const encoder = device.createCommandEncoder();
      encodePass(encoder, dispatches, 0, dispatches.length, recorder, 0);
      recorder?.resolve(encoder, 0, 1);
      completion.tail(encoder);
      const commands = encoder.finish();
      const t1 = nowNs();
      device.queue.submit([commands]);
      const t2 = nowNs();
      await completion.wait();
      return { encodeNs: t1 - t0, submitNs: t2 - t1, waitNs: nowNs() - t2, submits: 1, waits: 1 };
    },
  };
}

/**
 * The pre-recorded host pattern: `prepareSample` encodes the whole command buffer outside the
 * timed region (WebGPU command buffers are single-use, so this is redone for every sample and its
 * cost is reported separately as what a replayable graph would amortise); `execute` is submit +
 * await only. `record` encodes one sample's commands and resolves its timestamps.
 */
export function prerecordedExecution(
  device: GPUDevice,
  completion: Completion,
  timedPasses: number,
  record: (encoder: GPUCommandEncoder, recorder: TimestampRecorder | undefined) => void,
): Execution {
  let pending: { commands: GPUCommandBuffer; recorder: TimestampRecorder | undefined } | undefined;
  return {
    timedPasses,
    prepareSample(recorder) {
      const t0 = nowNs();
      const encoder = device.createCommandEncoder();
      record(encoder, recorder);
      completion.tail(encoder);
      pending = { commands: encoder.finish(), recorder };
      return nowNs() - t0;
    },
    async execute(recorder) {
      const sample = pending;
      // Encoding here would silently time what this strategy exists to leave out.
      if (sample === undefined) throw new Error('prerecorded: execute() without prepareSample()');
      if (sample.recorder !== recorder) {
        throw new Error('prerecorded: execute() got a different recorder than prepareSample()');
      }
      pending = undefined;
      const t1 = nowNs();
      device.queue.submit([sample.commands]);
      const t2 = nowNs();
      await completion.wait();
      return { encodeNs: 0, submitNs: t2 - t1, waitNs: nowNs() - t2, submits: 1, waits: 1 };
    },
  };
}
