/**
 * bench's arguments as yargs gives them (src/commands/bench.ts defines the options): shared by
 * `bench` and by the runs of several processes and `ab` (src/commands/processes.ts).
 */
import type { GpuArgs } from './gpu-options.ts';
import type { ExportPaths } from './report.ts';

/** bench's arguments as the command line gives them (kebab-case names, text values). */
export interface BenchArgs extends GpuArgs, ExportPaths {
  profile: string;
  scenario?: string | undefined;
  bandwidth?: boolean | undefined;
  out?: string | undefined;
  strategies?: string | undefined;
  workloads?: string | undefined;
  elements?: string | undefined;
  kernels?: string | undefined;
  intensity?: string | undefined;
  'workgroup-size'?: string | undefined;
  'persistent-workgroups'?: string | undefined;
  preset?: string | undefined;
  context?: string | undefined;
  layers?: string | undefined;
  vocab?: string | undefined;
  shader?: string | undefined;
  entry?: string | undefined;
  'fused-entry'?: string | undefined;
  reference?: string | undefined;
  'max-noise'?: string | undefined;
  'max-time'?: string | undefined;
  'min-samples'?: string | undefined;
  'stall-timeout'?: string | undefined;
  'case-budget'?: string | undefined;
  rounds?: string | undefined;
  processes?: string | undefined;
  settle?: string | undefined;
  drift: boolean;
  verify: boolean;
  'self-check': boolean;
  'dry-run'?: boolean | undefined;
  timestamps: boolean;
  'gpu-warmup'?: string | undefined;
  'clock-hold': boolean;
  seed?: string | undefined;
}
