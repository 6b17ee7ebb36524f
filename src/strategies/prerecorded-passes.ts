/**
 * `prerecorded-passes`: like `prerecorded` (command buffer encoded before the timed region, timed:
 * one submit, one await), but the command buffer holds K compute passes of one dispatch each, as
 * `pass-each` does. Compared with `pass-each` it shows what pre-encoding wins when every kernel
 * is its own pass; compared with `prerecorded`, what the pass boundaries cost on the GPU alone.
 * Timestamps: one interval from the first pass's beginning to the last pass's end (spanPart).
 */
import { spanPart } from '../gpu/timestamps.ts';
import { encodePass, prerecordedExecution } from './encode.ts';
import type { Strategy } from './types.ts';

export const prerecordedPasses: Strategy = {
  id: 'prerecorded-passes',
  description: 'K passes of one dispatch encoded before timing; timed: one submit, one await',
  cudaAnalogue: 'CUDA Graph replay (one node per pass)',
  program: 'steps',
  launchCost: 'pass',
  headline: null,
  prepare(device, program, completion) {
    const { dispatches } = program;
    return prerecordedExecution(device, completion, 1, (encoder, recorder) => {
      for (let k = 0; k < dispatches.length; k++) {
        encodePass(encoder, dispatches, k, 1, recorder, 0, spanPart(k, dispatches.length));
      }
      recorder?.resolve(encoder, 0, 1);
    });
  },
};
