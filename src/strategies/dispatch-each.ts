/**
 * `dispatch-each`: one encoder, one compute pass, K dispatches, one submit, one await.
 * CUDA analogue: back-to-back kernel launches. The cheapest one-by-one launch WebGPU offers; Dawn
 * still inserts a barrier before each dispatch that reads what the previous one wrote, and that
 * drain is part of what this strategy costs. Timestamps: one pass, so GPU busy is its span.
 */
import { nowNs } from '../measure/clock.ts';
import { encodePass } from './encode.ts';
import type { Strategy } from './types.ts';

export const dispatchEach: Strategy = {
  id: 'dispatch-each',
  description: 'one encoder, one pass, K dispatches, one submit, one await',
  cudaAnalogue: 'back-to-back kernel launches',
  program: 'steps',
  prepare(device, program) {
    const { dispatches } = program;
    return {
      timedPasses: 1,
      async execute(recorder) {
        const t0 = nowNs();
        const encoder = device.createCommandEncoder();
        encodePass(encoder, dispatches, 0, dispatches.length, recorder, 0);
        recorder?.resolve(encoder, 0, 1);
        const commands = encoder.finish();
        const t1 = nowNs();
        device.queue.submit([commands]);
        const t2 = nowNs();
        await device.queue.onSubmittedWorkDone();
        return { encodeNs: t1 - t0, submitNs: t2 - t1, waitNs: nowNs() - t2 };
      },
    };
  },
};
