/**
 * launchbench as a library (package.json `exports`): measure a strategy on a case in one call
 * (`measureOne`), or run a whole plan (`runPlan`, as `bench` does), with your own workloads and
 * strategies beside the registered ones, and read or export the results of a run folder.
 * Everything here is TypeScript source: run it with tsx (or any loader of .ts files).
 */
export { DEFAULT_SAMPLING, measureOne, type MeasureOptions, type Measured } from './library.ts';
export { openGpu, type GpuContext, type GpuOptions } from './gpu/context.ts';
export { measureCase, planGroups, runPlan, type RunPlan } from './run.ts';
export type { CaseInput, SamplingOptions } from './measure/run-case.ts';
export type { CaseResult, Sample } from './stats/result.ts';
export { caseMetrics, type CaseMetrics } from './stats/metrics.ts';
export { WORKLOADS, workloadById } from './workloads/index.ts';
export { STRATEGIES, strategyById } from './strategies/index.ts';
export type {
  CaseParams,
  Dispatch,
  PreparedCase,
  Program,
  ProgramKind,
  Tolerance,
  Workload,
} from './workloads/types.ts';
export type { Execution, HostPhases, Strategy } from './strategies/types.ts';
export { readRun, type RunData, type SummaryRow } from './report/read-run.ts';
export { benchmarkActionJson, googleBenchmarkJson, markdownExport } from './report/export.ts';
