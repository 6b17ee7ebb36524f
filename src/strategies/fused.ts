/**
 * `fused`: the workload's fused program (one dispatch whose kernel applies all K steps), launched
 * like `dispatch-each`: one encoder, one pass, one submit, one await. CUDA analogue: kernel
 * fusion. What it measures against `dispatch-each`: the K−1 launches and the K−1 barriers between
 * dependent dispatches that fusion removes, and what the fused kernel pays instead (for `stencil`:
 * temporal blocking recomputes a halo of K elements per side of every tile). One timed pass.
 */
import { onePassExecution } from './encode.ts';
import type { Strategy } from './types.ts';

export const fused: Strategy = {
  id: 'fused',
  description: 'one dispatch of a kernel applying all K steps; one pass, one submit, one await',
  cudaAnalogue: 'kernel fusion',
  program: 'fused',
  launchCost: 'none',
  headline: { says: 'one fused kernel costs {wall} per kernel-equivalent', bold: true },
  prepare(device, program, completion) {
    return onePassExecution(device, program.dispatches, completion);
  },
};
