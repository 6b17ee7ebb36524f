/**
 * `dispatch-each`: one encoder, one compute pass, K dispatches, one submit, one await.
 * CUDA analogue: back-to-back kernel launches. The cheapest one-by-one launch WebGPU offers; Dawn
 * still inserts a barrier before each dispatch that reads what the previous one wrote, and that
 * drain is part of what this strategy costs. Timestamps: one pass, so GPU busy is its span.
 */
import { onePassExecution } from './encode.ts';
import type { Strategy } from './types.ts';

export const dispatchEach: Strategy = {
  id: 'dispatch-each',
  description: 'one encoder, one pass, K dispatches, one submit, one await',
  cudaAnalogue: 'back-to-back kernel launches',
  program: 'steps',
  launchCost: 'dispatch',
  headline: { says: 'dispatches in one pass cost {wall} each', bold: true },
  prepare: (device, program, completion) =>
    onePassExecution(device, program.dispatches, completion),
};
