/** Encoding shared by the strategies: one dispatch, skipping redundant pipeline changes. */
import type { Dispatch } from '../workloads/types.ts';

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
    this.pass.dispatchWorkgroups(x, y, z);
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
  recorder: { passWrites(pass: number): GPUComputePassTimestampWrites } | undefined,
  timedPass: number,
): void {
  const pass = encoder.beginComputePass(
    recorder === undefined ? {} : { timestampWrites: recorder.passWrites(timedPass) },
  );
  const out = new DispatchEncoder(pass);
  for (let i = first; i < first + count; i++) {
    const dispatch = dispatches[i];
    if (dispatch !== undefined) out.encode(dispatch);
  }
  pass.end();
}
