/** The result model every reporter reads. Measurement fills it; reporters never time. */
import type { Distribution } from './stats.ts';
import type { CaseParams, ProgramKind } from '../workloads/types.ts';

export type SampleKind = 'wall' | 'gpu';

/** One timed execution of a case (all K kernels). */
export interface Sample {
  caseId: string;
  index: number;
  /** `wall`: no timestamp queries; `gpu`: the same execution with pass timestamps. */
  kind: SampleKind;
  wallNs: number;
  encodeNs: number;
  submitNs: number;
  waitNs: number;
  /** Encoding done before the timed region (strategy `prerecorded`), ns; 0 otherwise. */
  preEncodeNs: number;
  gpuBusyNs: number | null;
  gpuIdleNs: number | null;
  gpuSpanNs: number | null;
  /**
   * GPU samples only: time from calling submit() until the host saw completion, minus the GPU
   * execution inside it, per submit, ns: the GPU's start latency plus the completion signal's
   * trip back to the host. Host and GPU clocks are not correlated in WebGPU, so the two parts
   * cannot be split (and the GPU cannot start before submit() is called, so this is never
   * below 0 but for clock noise). Computed for one submit + one wait (submit + wait − GPU span)
   * and for a wait after every submit ((submit + wait − busy) / submits); null otherwise
   * (`submit-each`: its one wait overlaps the execution of many submits).
   */
  completionNs: number | null;
}

export type CaseStatus = 'ok' | 'failed' | 'not-applicable';

export interface CaseResult {
  caseId: string;
  workload: string;
  strategy: string;
  program: ProgramKind;
  params: CaseParams;
  status: CaseStatus;
  /** Why it failed or does not apply; notes such as 'did not converge' for ok cases. */
  reason: string;
  verified: boolean;
  /** Output elements compared with the CPU reference (all, or a random subset at huge sizes). */
  verifiedElements: number;
  notes: Record<string, string | number>;
  /** Whether every distribution's median reached the noise target before the budget ran out. */
  converged: boolean;
  elapsedMs: number;
  /** Per execution of all K kernels, ns. Null when not measured. */
  wallNs: Distribution | null;
  wallWithTimestampsNs: Distribution | null;
  gpuBusyNs: Distribution | null;
  gpuIdleNs: Distribution | null;
  gpuSpanNs: Distribution | null;
  encodeNs: Distribution | null;
  submitNs: Distribution | null;
  waitNs: Distribution | null;
  preEncodeNs: Distribution | null;
  completionNs: Distribution | null;
  /** GPU samples dropped for non-monotonic or zero timestamps. */
  droppedGpuSamples: number;
}
