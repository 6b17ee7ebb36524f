/**
 * Measures one case: verify, warm up, then interleave wall samples (no timestamp queries) and GPU
 * samples (pass timestamps) until the medians are quiet enough or the time budget is spent.
 * Everything the case needs is created before the first timed sample; the timed region holds
 * only the strategy's own API calls. Never prints.
 */
import { withErrorScopes, type GpuContext } from '../gpu/context.ts';
import { TimestampRecorder, gpuTimes, type GpuTimes, type ResolveMode } from '../gpu/timestamps.ts';
import { DeviceLostError, errorMessage } from '../errors.ts';
import { nowNs } from './clock.ts';
import { distribution, type Distribution } from './stats.ts';
import type { CaseResult, Sample } from './result.ts';
import type { Execution, HostPhases, Strategy } from '../strategies/types.ts';
import type { CaseParams, PreparedCase, Tolerance, Workload } from '../workloads/types.ts';

export interface SamplingOptions {
  /** Warm-up executions run at least this long (and at least `minWarmup` times). */
  warmupMs: number;
  minWarmup: number;
  /** Samples of each kind before the noise target may stop sampling. */
  minSamples: number;
  maxSamples: number;
  /** Per-case budget for sampling, ms. */
  maxTimeMs: number;
  /** Target relative noise of the medians (e.g. 0.02). */
  maxNoise: number;
  /** An execution that takes longer than this is a stall: the case fails instead of hanging. */
  stallTimeoutMs: number;
}

/** The expected output: all elements, or the values at `indices`. */
export interface Expected {
  values: Uint32Array;
  indices?: Uint32Array;
}

export interface CaseInput {
  ctx: GpuContext;
  workload: Workload;
  strategy: Strategy;
  params: CaseParams;
  prepared: PreparedCase;
  input: Uint32Array;
  expected: Expected;
  sampling: SamplingOptions;
  verify: boolean;
  /**
   * GPU samples are taken only when timestamps passed the start-up self-test, resolved as it
   * found safe; undefined takes wall samples only.
   */
  timestamps: ResolveMode | undefined;
  /** Polled between samples: true stops sampling (SIGINT/SIGTERM). */
  shouldStop: () => boolean;
}

export function caseId(workload: string, params: CaseParams, strategy: string): string {
  return `${workload}/e${params.elements}/k${params.kernels}/i${params.intensity}/wg${params.workgroupSize}/${strategy}`;
}

class StallError extends Error {}

function withWatchdog<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StallError(`${what} did not complete within ${timeoutMs} ms (watchdog)`)),
      timeoutMs,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface TimedExecution {
  wallNs: number;
  phases: HostPhases;
  preEncodeNs: number;
}

/**
 * The timed region of every sample: one execution, from the first API call until completion is
 * seen, under the stall watchdog. Work the strategy does before it (`prepareSample`) is timed
 * apart. The harness self-check times exactly this against the hand-written loops.
 */
export async function timedExecution(
  execution: Execution,
  recorder: TimestampRecorder | undefined,
  stallTimeoutMs: number,
  what: string,
): Promise<TimedExecution> {
  recorder?.reset();
  const preEncodeNs = execution.prepareSample?.(recorder) ?? 0;
  const t0 = nowNs();
  const phases = await withWatchdog(
    execution.execute(recorder),
    stallTimeoutMs,
    `${what} execution`,
  );
  return { wallNs: nowNs() - t0, phases, preEncodeNs };
}

/**
 * Why `output` is not the expected result, or undefined when it is. Bit for bit, unless the
 * workload states a float tolerance: then the words are f32 and each element may be off by
 * `tolerance.relative` of the expected value; the largest relative error seen (and the bound) go
 * into `notes` (maxRelativeError, toleranceRelative), and a failure names the first element past
 * the bound together with the largest error.
 */
/** Why `output` differs from the expected values (bit for bit, or within `tolerance`), if it does. */
export function firstMismatch(
  output: Uint32Array,
  expected: Expected,
  tolerance?: Tolerance,
  notes?: Record<string, string | number>,
): string | undefined {
  const { values, indices } = expected;
  const lengthProblem =
    indices === undefined && output.length !== values.length
      ? `wrong output length ${output.length}, expected ${values.length}`
      : undefined;
  if (tolerance === undefined) {
    for (let j = 0; j < values.length; j++) {
      const i = indices === undefined ? j : (indices[j] ?? 0);
      if (output[i] !== values[j]) {
        return `wrong result at element ${i}: got ${output[i]}, expected ${values[j]}`;
      }
    }
    return lengthProblem;
  }
  const got = new Float32Array(output.buffer, output.byteOffset, output.length);
  const want = new Float32Array(values.buffer, values.byteOffset, values.length);
  let maxRelative = 0;
  let first: string | undefined;
  for (let j = 0; j < values.length; j++) {
    const i = indices === undefined ? j : (indices[j] ?? 0);
    if (output[i] === values[j]) continue; // same bits
    const a = got[i];
    const b = want[j] ?? NaN;
    // Equal values (+0 and -0) pass; NaN, infinities, a missing element fail with Infinity.
    const relative =
      a === b
        ? 0
        : a !== undefined && Number.isFinite(a) && Number.isFinite(b) && b !== 0
          ? Math.abs(a - b) / Math.abs(b)
          : Infinity;
    maxRelative = Math.max(maxRelative, relative);
    if (relative > tolerance.relative) {
      first ??= `wrong result at element ${i}: got ${a}, expected ${b} (relative error ${relative.toExponential(2)})`;
    }
  }
  if (notes !== undefined) {
    notes['maxRelativeError'] = maxRelative;
    notes['toleranceRelative'] = tolerance.relative;
  }
  const bound = `tolerance ${tolerance.relative.toExponential(2)}: ${tolerance.why}`;
  if (first !== undefined) {
    return `${first}; max relative error ${maxRelative.toExponential(2)} over ${values.length} elements, ${bound}`;
  }
  return lengthProblem;
}

/** A case with nothing measured yet: the start of every result, measured or not. */
export function newCaseResult(
  workload: Workload,
  strategy: Strategy,
  params: CaseParams,
  status: CaseResult['status'] = 'ok',
  reason = '',
): CaseResult {
  return {
    caseId: caseId(workload.id, params, strategy.id),
    workload: workload.id,
    strategy: strategy.id,
    program: strategy.program,
    params,
    status,
    reason,
    verified: false,
    verifiedElements: 0,
    notes: {},
    converged: false,
    elapsedMs: 0,
    wallNs: null,
    wallWithTimestampsNs: null,
    gpuBusyNs: null,
    gpuIdleNs: null,
    gpuSpanNs: null,
    encodeNs: null,
    submitNs: null,
    waitNs: null,
    preEncodeNs: null,
    completionLowerNs: null,
    completionUpperNs: null,
    droppedGpuSamples: 0,
  };
}

export async function measureCase(
  input: CaseInput,
): Promise<{ result: CaseResult; samples: Sample[] }> {
  const { ctx, strategy, prepared, sampling } = input;
  const { device } = ctx;
  const id = caseId(input.workload.id, input.params, strategy.id);
  const result = newCaseResult(input.workload, strategy, input.params);
  const samples: Sample[] = [];
  const started = nowNs();
  let execution: Execution | undefined;
  let recorder: TimestampRecorder | undefined;

  const checkDevice = (): void => {
    if (ctx.lost !== undefined) {
      throw new DeviceLostError(`device lost (${ctx.lost.reason}): ${ctx.lost.message}`);
    }
    const error = ctx.errors.messages.shift();
    if (error !== undefined) throw new Error(`GPU error: ${error}`);
  };

  const timed = (withRecorder: TimestampRecorder | undefined): Promise<TimedExecution> => {
    if (execution === undefined) throw new Error('no execution');
    return timedExecution(execution, withRecorder, sampling.stallTimeoutMs, strategy.id);
  };

  try {
    const program = await prepared.program(strategy.program);
    result.notes = { ...program.notes };
    execution = await withErrorScopes(device, () => strategy.prepare(device, program));
    if (input.timestamps !== undefined) {
      recorder = new TimestampRecorder(
        device,
        Math.max(1, execution.timedPasses),
        input.timestamps,
      );
    }

    // Correct first: the strategy's output must equal the CPU reference before any timing.
    if (input.verify) {
      prepared.writeInput(input.input);
      await withErrorScopes(device, () => timed(undefined));
      const failure = await prepared.checkStatus?.();
      if (failure !== undefined) throw new Error(failure);
      const output = await prepared.readOutput(strategy.program);
      checkDevice();
      const mismatch = firstMismatch(
        output,
        input.expected,
        input.workload.tolerance?.(input.params),
        result.notes,
      );
      if (mismatch !== undefined) {
        result.status = 'failed';
        result.reason = mismatch;
        return { result, samples };
      }
      result.verified = true;
      result.verifiedElements = input.expected.values.length;
    }

    // Warm-up until stable: at least `warmupMs` and `minWarmup` executions, then until the last
    // three wall times agree within 5% of their median, or 5 × warmupMs at most.
    const warmupStart = nowNs();
    const warmupWalls: number[] = [];
    for (let i = 0; ; i++) {
      const { wallNs } = await timed(i % 2 === 1 ? recorder : undefined);
      if (i % 2 === 0) warmupWalls.push(wallNs);
      const elapsedMs = (nowNs() - warmupStart) / 1e6;
      const recent = warmupWalls.slice(-3).sort((a, b) => a - b);
      const mid = recent[1] ?? NaN;
      const stable = recent.length === 3 && recent.every((w) => Math.abs(w - mid) <= 0.05 * mid);
      if (input.shouldStop() || elapsedMs >= 5 * sampling.warmupMs) break;
      if (i + 1 >= sampling.minWarmup && elapsedMs >= sampling.warmupMs && stable) break;
    }
    result.notes['warmupMs'] = Math.round((nowNs() - warmupStart) / 1e6);
    checkDevice();

    const budgetEnd = nowNs() + sampling.maxTimeMs * 1e6;
    const wall: number[] = [];
    const busy: number[] = [];
    let dropped = 0;
    let index = 0;
    const quiet = (values: number[]): boolean =>
      values.length >= sampling.minSamples && distribution(values).medianNoise <= sampling.maxNoise;
    for (;;) {
      for (const kind of recorder === undefined
        ? (['wall'] as const)
        : (['wall', 'gpu'] as const)) {
        const { wallNs, phases, preEncodeNs } = await timed(kind === 'gpu' ? recorder : undefined);
        const times =
          kind === 'gpu' && recorder !== undefined ? gpuTimes(await recorder.read()) : undefined;
        if (kind === 'gpu' && times === undefined) dropped++;
        if (kind === 'wall') wall.push(wallNs);
        if (times !== undefined) busy.push(times.busyNs);
        samples.push({
          caseId: id,
          index: index++,
          kind,
          wallNs,
          ...phases,
          preEncodeNs,
          gpuBusyNs: times?.busyNs ?? null,
          gpuIdleNs: times?.idleNs ?? null,
          gpuSpanNs: times?.spanNs ?? null,
          ...completionBounds(phases, times),
        });
      }
      checkDevice();
      const failure = await prepared.checkStatus?.();
      if (failure !== undefined) throw new Error(failure);
      result.converged = quiet(wall) && (recorder === undefined || quiet(busy));
      if (result.converged || input.shouldStop()) break;
      if (wall.length >= sampling.maxSamples || nowNs() >= budgetEnd) break;
    }
    result.droppedGpuSamples = dropped;
    if (input.shouldStop()) result.reason = 'interrupted';
    else if (!result.converged) result.reason = 'did not reach the noise target within the budget';
  } catch (error) {
    if (error instanceof DeviceLostError) throw error;
    // Whatever failed first (a rejected mapAsync, a validation error), a lost device is the cause.
    if (ctx.lost !== undefined) {
      throw new DeviceLostError(`device lost (${ctx.lost.reason}): ${ctx.lost.message}`);
    }
    result.status = 'failed';
    result.reason = errorMessage(error);
  } finally {
    recorder?.destroy();
    execution?.destroy?.();
    result.elapsedMs = (nowNs() - started) / 1e6;
    summarise(result, samples);
  }
  return { result, samples };
}

/** See Sample.completionLowerNs / completionUpperNs. */
function completionBounds(
  phases: HostPhases,
  times: GpuTimes | undefined,
): { completionLowerNs: number | null; completionUpperNs: number | null } {
  if (times !== undefined && phases.submits === phases.waits) {
    const executedNs = phases.submits === 1 ? times.spanNs : times.busyNs;
    return {
      completionLowerNs: (phases.waitNs - executedNs) / phases.waits,
      completionUpperNs: (phases.submitNs + phases.waitNs - executedNs) / phases.waits,
    };
  }
  return { completionLowerNs: null, completionUpperNs: null };
}

function summarise(result: CaseResult, samples: readonly Sample[]): void {
  const of = (
    kind: Sample['kind'] | undefined,
    pick: (s: Sample) => number | null,
  ): Distribution | null => {
    const values: number[] = [];
    for (const s of samples) {
      const v = pick(s);
      if ((kind === undefined || s.kind === kind) && v !== null) values.push(v);
    }
    return values.length === 0 ? null : distribution(values);
  };
  result.wallNs = of('wall', (s) => s.wallNs);
  result.wallWithTimestampsNs = of('gpu', (s) => s.wallNs);
  result.gpuBusyNs = of('gpu', (s) => s.gpuBusyNs);
  result.gpuIdleNs = of('gpu', (s) => s.gpuIdleNs);
  result.gpuSpanNs = of('gpu', (s) => s.gpuSpanNs);
  // Host phases from the wall samples only: the queries would inflate them.
  result.encodeNs = of('wall', (s) => s.encodeNs);
  result.submitNs = of('wall', (s) => s.submitNs);
  result.waitNs = of('wall', (s) => s.waitNs);
  result.preEncodeNs = of('wall', (s) => s.preEncodeNs);
  result.completionLowerNs = of('gpu', (s) => s.completionLowerNs);
  result.completionUpperNs = of('gpu', (s) => s.completionUpperNs);
}
