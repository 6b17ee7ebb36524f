/**
 * `prerecorded`: the CUDA Graph analogue. The K steps' command buffer (one pass of K dispatches,
 * the same commands as `dispatch-each`) is encoded before the timed region by
 * `Execution.prepareSample`; the timed region is one submit and one await. WebGPU has no
 * replayable command buffers (they are single-use), so the encoding is redone for every sample,
 * outside the timer, and reported separately (`preEncodeNs`) as the cost a replayable graph would
 * amortise. Against `dispatch-each` it measures what moving encoding off the critical path wins;
 * the GPU-side cost (Dawn's barriers between dependent dispatches) is unchanged. One timed pass.
 */
import { encodePass, prerecordedExecution } from './encode.ts';
import type { Strategy } from './types.ts';

export const prerecorded: Strategy = {
  id: 'prerecorded',
  description: 'one pass of K dispatches encoded before timing; timed: one submit, one await',
  cudaAnalogue: 'CUDA Graph replay',
  program: 'steps',
  launchCost: 'dispatch',
  headline: {
    says: 'pre-recorded command buffers bring that to {wall} per kernel',
    bold: true,
    note: ': submit and wait only',
  },
  prepare(device, program, completion) {
    const { dispatches } = program;
    return prerecordedExecution(device, completion, 1, (encoder, recorder) => {
      encodePass(encoder, dispatches, 0, dispatches.length, recorder, 0);
      recorder?.resolve(encoder, 0, 1);
    });
  },
};
