/**
 * `pass-each`: one command encoder holding K compute passes of one dispatch each, one submit,
 * one await. No direct CUDA analogue: it isolates what a pass boundary costs (Dawn closes and
 * reopens the backend's compute encoder and may insert barriers), compared with `dispatch-each`.
 * Timestamps: one interval from the first pass's beginning to the last pass's end (spanPart).
 */
import { nowNs } from '../stats/clock.ts';
import { spanPart } from '../gpu/timestamps.ts';
import { encodePass } from './encode.ts';
import type { Strategy } from './types.ts';

export const passEach: Strategy = {
  id: 'pass-each',
  description: 'one encoder, K compute passes of one dispatch, one submit, one await',
  cudaAnalogue: '(none: isolates the cost of a pass boundary)',
  program: 'steps',
  launchCost: 'pass',
  headline: { says: 'one compute pass per kernel in one command buffer costs {wall} per kernel' },
  prepare(device, program, completion) {
    const { dispatches } = program;
    return {
      timedPasses: 1,
      async execute(recorder) {
        const t0 = nowNs();
        const encoder = device.createCommandEncoder();
        for (let k = 0; k < dispatches.length; k++) {
          encodePass(encoder, dispatches, k, 1, recorder, 0, spanPart(k, dispatches.length));
        }
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
  },
};
