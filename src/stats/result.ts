/** The result model every reporter reads. Measurement fills it; reporters never time. */
import type { Distribution, RoundSummary } from './stats.ts';

export type SampleKind = 'wall' | 'gpu';

/** The kinds of program a workload offers (src/workloads/types.ts): what a strategy launches. */
export type ProgramKind = 'steps' | 'fused' | 'persistent';

/** The parameters of a case besides its workload and strategy. */
export interface CaseParams {
  elements: number;
  kernels: number;
  intensity: number;
  workgroupSize: number;
  /** Workgroups of the persistent program; 0 = derived from the adapter. */
  persistentWorkgroups: number;
  /** A workload's named shape (`decode`: the model preset); absent for the others. */
  preset?: string;
}

/** A case's wall time over a baseline's, from samples paired turn by turn (src/stats/paired.ts). */
export interface PairedRatio {
  /** exp(median over pairs of log(a / b)). */
  ratio: number;
  /** Null with fewer than two rounds of pairs. */
  lo95: number | null;
  hi95: number | null;
  pairs: number;
  rounds: number;
}

/** One timed execution of a case (all K kernels). */
export interface Sample {
  caseId: string;
  index: number;
  /** The round (0-based) whose visit took it. */
  round: number;
  /**
   * The visit's sampling turn (0-based) that took it: samples of one group with the same round
   * and turn were taken side by side (src/measure/schedule.ts). Null outside a schedule.
   */
  turn: number | null;
  /** When the timed region began, ms since the run started (to line samples up with drift.csv). */
  atMs: number;
  /**
   * A garbage collection overlapped the timed region: the sample is kept here and in samples.csv
   * but left out of every statistic (src/measure/host-noise.ts).
   */
  gc: boolean;
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
   * GPU samples only: bounds on the completion latency (last GPU work done → host sees it), per
   * submit, ns. WebGPU gives no host↔GPU clock correlation, so it is bracketed, not measured:
   * - lower = wait − GPU execution: the host's wait after submit() returned that execution does not
   *   account for; exact if the GPU starts the moment submit() returns, smaller (even negative)
   *   when execution began inside the submit() call;
   * - upper = submit + wait − GPU execution: everything from calling submit() to seeing completion
   *   that is not execution, including Dawn's backend command recording inside submit() (about
   *   1.5 µs per dispatch on an H100, so it grows with K) and the GPU's start latency.
   * Computed for one submit + one wait (GPU execution = span) and for a wait after every submit
   * (GPU execution = busy, divided by the submits); null otherwise (`submit-each`: its one wait
   * overlaps the execution of many submits).
   */
  completionLowerNs: number | null;
  completionUpperNs: number | null;
  /**
   * The shader clock at the clock hold's latest reading before the sample's turn, as a fraction
   * of the reference clock (src/gpu/clock-hold.ts); null where the run held no clock.
   */
  clockRel: number | null;
}

export type CaseStatus = 'ok' | 'failed' | 'not-applicable';

export interface CaseResult {
  caseId: string;
  workload: string;
  strategy: string;
  program: ProgramKind;
  /** What its figures are per: a kernel, or a step (a workload's `unit`: decode's token). */
  unit: 'kernel' | 'step';
  params: CaseParams;
  status: CaseStatus;
  /** Why it failed or does not apply; notes such as 'did not converge' for ok cases. */
  reason: string;
  verified: boolean;
  /** Output elements compared with the CPU reference (all, or a random subset at huge sizes). */
  verifiedElements: number;
  notes: Record<string, string | number>;
  /**
   * Whether the wall (and GPU busy) figures' 95% repeat intervals are within the noise target
   * (SamplingOptions.maxNoise).
   */
  converged: boolean;
  /** Whether the wall (and GPU busy) figures rest on at least the sample floor. */
  enoughSamples: boolean;
  /** Samples left out because a garbage collection overlapped them. */
  gcSamples: number;
  /** Between-round view of the wall and GPU busy figures (per execution of all K kernels, ns). */
  wallRounds: RoundSummary | null;
  gpuBusyRounds: RoundSummary | null;
  /**
   * Its wall time over a baseline strategy's of the same group (keyed by the baseline's id), from
   * the two cases' samples paired turn by turn (src/stats/paired.ts); set by the run for the
   * baselines the speed-ups name.
   */
  pairedWallRatios?: Record<string, PairedRatio>;
  elapsedMs: number;
  /**
   * Per execution of all K kernels, ns. Null when not measured. Over several rounds, the wall and
   * GPU busy distributions' `median` is the rounds' centre (RoundSummary.centre: the geometric
   * mean of the round medians, GPU busy's with a wild round pulled in), the run's figure; p10/p90
   * describe the pooled samples.
   */
  wallNs: Distribution | null;
  wallWithTimestampsNs: Distribution | null;
  gpuBusyNs: Distribution | null;
  /**
   * GPU samples taken (valid timestamps, no collection overlapping): what the sample floor counts;
   * `gpuBusyNs.n` can be fewer, where a round's timestamp cost did not hold (spanEquivalentBusyNs).
   */
  gpuSamplesTaken?: number;
  gpuIdleNs: Distribution | null;
  gpuSpanNs: Distribution | null;
  encodeNs: Distribution | null;
  submitNs: Distribution | null;
  waitNs: Distribution | null;
  preEncodeNs: Distribution | null;
  completionLowerNs: Distribution | null;
  completionUpperNs: Distribution | null;
  /** GPU samples dropped for non-monotonic or zero timestamps. */
  droppedGpuSamples: number;
  /** How `gpuBusyNs` and `gpuBusyRounds` were made from the GPU samples; unset without any. */
  gpuBusyMethod?: GpuBusyMethod | undefined;
  /** What its figures were made from besides the samples; set by the run. */
  evidence?: CaseEvidence | undefined;
}

/**
 * What a case's figures are made from besides its samples: how its GPU busy is put on a span's
 * footing, the state of each round's visit, and the sampling targets. A run of several processes
 * (src/commands/processes.ts) gets it from each process and summarises their samples together.
 */
export interface CaseEvidence {
  timedPasses: number;
  costNsPerTimedPass: number | undefined;
  /** By round: the timestamp cost measured right before it, ns. */
  costNsByRound: readonly (number | null | undefined)[];
  /** By round: the state of the case's visit, ns (src/stats/state.ts). */
  statesNsByRound: readonly (number | null | undefined)[];
  /** By round: the process that took it (a run of several processes); 0 where absent. */
  processOfRound?: readonly number[];
  minSamples: number;
  maxNoise: number;
}

/**
 * How a case's GPU busy statistics were measured (summary.csv `gpuBusyMethod`):
 * - `span`: one timed interval per execution (one pass, or a span from the first pass's
 *   beginning to the last pass's end): the timestamps add one interval's cost;
 * - `per-pass, timestamp cost subtracted`: every kernel's pass timed on its own (one command
 *   buffer per kernel), GPU busy the union of the intervals, less the run's measured cost of each
 *   timed pass beyond the first (src/measure/timestamp-cost.ts): a span's equivalent;
 * - `per-pass`: the same without that correction (the cost was not measured): it includes what
 *   the timestamps themselves cost the GPU, about 5 µs per pass on an H200.
 * The raw union stays in samples.csv's `gpuBusyNs` in every case.
 */
export type GpuBusyMethod = 'span' | 'per-pass, timestamp cost subtracted' | 'per-pass';
