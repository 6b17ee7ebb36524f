/**
 * `submit-each`: K × (encode one pass of one dispatch, submit), then one await.
 * CUDA analogue: stream launches, one sync at the end. Each kernel still pays a submit (a
 * command buffer, a queue submission and its fence bookkeeping), but the host never waits
 * between kernels, so the GPU can run ahead while the host encodes the next one.
 */
import { nowNs } from '../stats/clock.ts';
import { encodePass } from './encode.ts';
import type { Strategy } from './types.ts';

export const submitEach: Strategy = {
  id: 'submit-each',
  description: 'K x (encode one dispatch, submit), one await at the end',
  cudaAnalogue: 'kernel launches on a stream, one synchronize',
  program: 'steps',
  launchCost: 'submit',
  headline: { says: 'one submit per kernel with a single wait costs {wall} per kernel' },
  prepare(device, program, completion) {
    const { dispatches } = program;
    return {
      timedPasses: dispatches.length,
      async execute(recorder) {
        let encodeNs = 0;
        let submitNs = 0;
        // Two clock reads per kernel: the end of one submit is the start of the next encode.
        let t0 = nowNs();
        for (let k = 0; k < dispatches.length; k++) {
          const encoder = device.createCommandEncoder();
          encodePass(encoder, dispatches, k, 1, recorder, k);
          recorder?.resolve(encoder, k, 1);
          if (k === dispatches.length - 1) completion.tail(encoder);
          const commands = encoder.finish();
          const t1 = nowNs();
          device.queue.submit([commands]);
          const t2 = nowNs();
          encodeNs += t1 - t0;
          submitNs += t2 - t1;
          t0 = t2;
        }
        await completion.wait();
        return { encodeNs, submitNs, waitNs: nowNs() - t0, submits: dispatches.length, waits: 1 };
      },
    };
  },
};
