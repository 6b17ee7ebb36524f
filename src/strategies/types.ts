/**
 * A strategy is a way to get a workload's K kernels executed: which program it launches (the K
 * steps, one fused kernel, one persistent kernel) and how the host encodes, submits and waits.
 * Every strategy computes the same result as the CPU reference or its timing is not reported.
 */
import type { TimestampRecorder } from '../gpu/timestamps.ts';
import type { Completion } from './completion.ts';
import type { CaseParams, Program, ProgramKind, Workload } from '../workloads/types.ts';

/** Host time spent in each phase of one execution, ns. The harness times the whole (wall). */
export interface HostPhases {
  /** Creating encoders, recording passes and dispatches, `finish()`. */
  encodeNs: number;
  /** Inside `queue.submit()` calls. */
  submitNs: number;
  /** From the last submit returning until completion was seen (plus waits between): Completion. */
  waitNs: number;
  /** `queue.submit()` calls and completion waits in this execution. */
  submits: number;
  waits: number;
}

/** A strategy bound to one prepared case, ready to execute repeatedly. */
export interface Execution {
  /**
   * Runs all K kernels once and resolves when the host has seen them complete. With a recorder,
   * each pass writes begin/end timestamps (pass i → recorder slot i) that its command buffer
   * resolves; the harness reads them afterwards.
   */
  execute(recorder?: TimestampRecorder): Promise<HostPhases>;
  /** Passes one execution timestamps (the recorder's capacity). */
  timedPasses: number;
  /**
   * Optional: work done before each timed execution, outside the timer (strategy `prerecorded`
   * encodes its command buffers here). Returns the host time it took, ns, which the harness
   * reports separately as the cost a replayable command buffer would amortise.
   * Contract: when present, call it before EVERY `execute()`, with the same recorder that
   * `execute()` then gets (undefined for wall samples), after `recorder.reset()` (the command
   * buffer's timestamp resolves are encoded here, not in `execute()`). `execute()` then only
   * submits and awaits, reports `encodeNs: 0`, and throws when no prepared sample is pending or
   * its recorder differs. A second call without an `execute()` between replaces the first.
   */
  prepareSample?(recorder?: TimestampRecorder): number;
  /** Optional: frees what `Strategy.prepare` allocated (`indirect`'s argument buffers). */
  destroy?(): void;
}

export interface Strategy {
  id: string;
  /** Two lines at most: what the host does per workload of K kernels. */
  description: string;
  cudaAnalogue: string;
  program: ProgramKind;
  /**
   * What it pays per kernel, for the estimates made from the start-up calibration
   * (src/measure/calibrate.ts): a host↔GPU round trip (`round-trip`), a submit of its own without
   * a wait (`submit`), a dispatch in a shared pass
   * (`dispatch`), a pass of its own (`pass`), an indirect dispatch with Dawn's validation
   * (`indirect`), or nothing: one launch for all K (`none`).
   */
  launchCost: 'round-trip' | 'submit' | 'dispatch' | 'pass' | 'indirect' | 'none';
  /**
   * Its sentence in report.md's headline (src/report/headline-section.ts), at the tiny case:
   * what a kernel costs this way, `{wall}` standing for its wall time per kernel (in bold where
   * `bold`), `note` said after its id; null where another strategy's sentence speaks for it.
   */
  headline: { says: string; bold?: boolean; note?: string } | null;
  /** Why this strategy cannot run this case (beyond the workload lacking the program). */
  notApplicable?(workload: Workload, params: CaseParams): string | undefined;
  /**
   * Binds it to a case's program. Every wait for the GPU goes through `completion`: its `tail`
   * encoded into the last command buffer before the wait, then `await completion.wait()`.
   */
  prepare(device: GPUDevice, program: Program, completion: Completion): Execution;
}
