/**
 * `persistent`: the workload's persistent program (one dispatch of P workgroups that loop over the
 * work: pulling chunks from an atomic ticket counter, or for `stencil` stepping through the K
 * steps with a grid-wide barrier between them), launched like `dispatch-each`: one encoder, one
 * pass, one submit, one await. CUDA analogue: a persistent kernel. P is the case's
 * `persistentWorkgroups`, capped by the work available (the program's notes record the value
 * used). The stencil's grid barrier relies on all P workgroups being co-resident, which WebGPU
 * does not guarantee: when it is not, the barrier gives up after a bounded spin and the case
 * reports it through `PreparedCase.checkStatus`. One timed pass.
 */
import { onePassExecution } from './encode.ts';
import type { Strategy } from './types.ts';

export const persistent: Strategy = {
  id: 'persistent',
  description: 'one dispatch of P persistent workgroups looping over all K steps; one submit',
  cudaAnalogue: 'persistent kernel',
  program: 'persistent',
  launchCost: 'none',
  headline: { says: 'a persistent kernel costs {wall} per kernel-equivalent', bold: true },
  prepare(device, program, completion) {
    return onePassExecution(device, program.dispatches, completion);
  },
};
