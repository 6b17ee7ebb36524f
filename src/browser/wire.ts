/**
 * What a measuring page and the command line say to each other (src/browser/run-in-page.ts,
 * src/commands/page-server.ts): the page's messages in order, as JSON in which the numbers JSON
 * has no word for (NaN, ±Infinity) keep their value.
 */
import type { RuntimeInfo } from '../gpu/runtime.ts';
import type { DriftRow } from '../measure/drift.ts';
import type { BandwidthRow } from '../measure/bandwidth.ts';
import type { SelfCheckRow } from '../measure/self-check.ts';
import type { ClockHoldStats } from '../gpu/clock-hold.ts';
import type { RunOutcome, RunProgress } from '../run.ts';
import type { CaseResult, Sample } from '../stats/result.ts';
import type { BenchArgs } from '../commands/bench-options.ts';
import type { SideReplacement, SideSetup } from '../commands/bench-gpu.ts';
import type { RunSampling } from '../commands/processes.ts';
import type { GpuArgs } from '../commands/gpu-options.ts';
import type { AnatomyMeasured, AnatomySizes } from '../commands/anatomy-gpu.ts';

/** What the command line asks a page to run: a bench run, or the anatomy of a launch. */
export type PageRequest = BenchRequest | AnatomyRequest;

interface RequestBase {
  /**
   * The browser's full version as its driver reports it (`153.8.0`), where the user agent says
   * less (Firefox's: `153.0`).
   */
  browserVersion?: string | undefined;
}

/** A bench run: its options (the seed fixed), and its part. */
export interface BenchRequest extends RequestBase {
  args: BenchArgs;
  /** In a process of a run of several: the whole run's sampling. */
  run?: RunSampling | undefined;
  /** The command line's LAUNCHBENCH_FAULT_* variables (the tests' faults), for the page's code. */
  env?: Record<string, string> | undefined;
}

/** `launchbench anatomy`: its sizes and GPU flags. */
export interface AnatomyRequest extends RequestBase {
  anatomy: AnatomySizes;
  args: GpuArgs;
}

/** What a page says of itself with its set-up (context.json `browser`). */
export interface PageFacts {
  runtime: RuntimeInfo;
  userAgent: string;
  /** Whether the page is cross-origin isolated: its clock is fine-grained only then. */
  crossOriginIsolated: boolean;
  /** The smallest step of performance.now() seen, µs. */
  clockStepUs: number;
  /** Whether the page could run a full garbage collection between visits (expose-gc). */
  gcExposed: boolean;
}

/** An error as it crosses: its class's name (UsageError, DeviceLostError, …) and message. */
export interface WireError {
  name: string;
  message: string;
}

export type PageMessage =
  | { type: 'status'; text: string }
  | { type: 'clear' }
  | { type: 'warn'; line: string }
  | { type: 'setup'; setup: SideSetup; facts: PageFacts }
  | { type: 'visit'; progress: RunProgress }
  | { type: 'cases'; results: readonly CaseResult[]; samples: readonly Sample[] }
  | { type: 'drift'; row: DriftRow }
  | { type: 'replaced'; replacement: SideReplacement }
  | { type: 'measured'; outcome: RunOutcome; clockHold: ClockHoldStats | { off: string } }
  | { type: 'selfCheck'; rows: SelfCheckRow[] }
  | { type: 'bandwidth'; rows: BandwidthRow[] }
  | { type: 'bandwidthFailed'; error: WireError }
  | { type: 'anatomy'; measured: AnatomyMeasured; facts: PageFacts }
  | { type: 'error'; error: WireError; clockHold?: ClockHoldStats | { off: string } }
  | { type: 'closed' };

/** The most the server reads of a request's body (a page's batch of messages), bytes. */
export const POST_LIMIT_BYTES = 256 * 2 ** 20;

const TAG = '$number';

/** JSON of `value`, NaN and ±Infinity tagged (`{"$number": "NaN"}`). */
export function encode(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v) ? { [TAG]: String(v) } : v,
  );
}

/** The value `encode` wrote. */
export function decode<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && TAG in v && Object.keys(v).length === 1
      ? Number((v as Record<string, string>)[TAG])
      : v,
  ) as T;
}

/** `error` as it crosses. */
export function wireError(error: unknown): WireError {
  return error instanceof Error
    ? { name: error.name === 'Error' ? error.constructor.name : error.name, message: error.message }
    : { name: 'Error', message: String(error) };
}
