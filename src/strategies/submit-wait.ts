/**
 * `submit-wait`: K × (encode one pass of one dispatch, submit, await onSubmittedWorkDone).
 * CUDA analogue: a launch followed by a device synchronise, every kernel. The most expensive way
 * to launch: each kernel pays a full host↔GPU round trip. The baseline of the speed-ups.
 */
import { nowNs } from '../stats/clock.ts';
import { encodePass } from './encode.ts';
import type { Strategy } from './types.ts';

export const submitWait: Strategy = {
  id: 'submit-wait',
  description: 'K x (encode one dispatch, submit, await completion)',
  cudaAnalogue: 'launch + cudaDeviceSynchronize per kernel',
  program: 'steps',
  launchCost: 'round-trip',
  headline: { says: 'one submit-and-wait costs {wall} per kernel', bold: true },
  prepare(device, program, completion) {
    const { dispatches } = program;
    return {
      timedPasses: dispatches.length,
      async execute(recorder) {
        let encodeNs = 0;
        let submitNs = 0;
        let waitNs = 0;
        // Three clock reads per kernel: the end of one wait is the start of the next encode.
        let t0 = nowNs();
        for (let k = 0; k < dispatches.length; k++) {
          const encoder = device.createCommandEncoder();
          encodePass(encoder, dispatches, k, 1, recorder, k);
          recorder?.resolve(encoder, k, 1);
          completion.tail(encoder);
          const commands = encoder.finish();
          const t1 = nowNs();
          device.queue.submit([commands]);
          const t2 = nowNs();
          await completion.wait();
          const t3 = nowNs();
          encodeNs += t1 - t0;
          submitNs += t2 - t1;
          waitNs += t3 - t2;
          t0 = t3;
        }
        return { encodeNs, submitNs, waitNs, submits: dispatches.length, waits: dispatches.length };
      },
    };
  },
};
