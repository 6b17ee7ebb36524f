/**
 * One case (workload, parameters, strategy) as the scheduler (src/measure/schedule.ts) drives it:
 * a CaseRunner opens the strategy's execution on a prepared group, verifies it against the CPU
 * reference, runs warm-up executions and timed samples when the scheduler says, and summarises
 * all its samples, over every round, into the case's result. Everything a sample needs is created
 * before the first one; the timed region holds only the strategy's own API calls. Never prints.
 */
import { asDeviceLost, lostError, withErrorScopes, type GpuContext } from '../gpu/context.ts';
import { TimestampRecorder, gpuTimes, type GpuTimes, type ResolveMode } from '../gpu/timestamps.ts';
import { DeviceLostError, errorMessage } from '../errors.ts';
import { nowNs } from '../stats/clock.ts';
import { GC_SHARE, perfNowMs, type GcWatch } from './host-noise.ts';
import type { Sampled } from './schedule.ts';
import {
  distribution,
  median,
  roundSummary,
  type Distribution,
  type RoundSummary,
} from '../stats/stats.ts';
import { atTypicalState, stateDominates, withStateFit } from '../stats/state.ts';
import type {
  CaseEvidence,
  CaseResult,
  GpuBusyMethod,
  Sample,
  SampleKind,
} from '../stats/result.ts';
import type { Execution, HostPhases, Strategy } from '../strategies/types.ts';
import type { CaseParams, PreparedCase, Tolerance, Workload } from '../workloads/types.ts';
import { makeCompletion, type Completion, type CompletionWay } from '../strategies/completion.ts';

export interface SamplingOptions {
  /**
   * Rounds: the whole plan is visited this many times, spread over the run, so that no case's
   * figures come from one contiguous block of seconds, and the between-round spread gives each
   * figure an honest interval (docs/design.md, Measurement).
   */
  rounds: number;
  /**
   * Warm-up of every visit: interleaved executions of the group's strategies for at least this
   * long; in the first round at least `minWarmup` of each and until their wall times settle.
   */
  warmupMs: number;
  minWarmup: number;
  /**
   * The sample floor: no figure from fewer samples of its kind over the whole run. Sampling goes
   * on until it is met; a case that still misses it is marked `enoughSamples: false` and kept out
   * of headlines, fits and compare verdicts.
   */
  minSamples: number;
  /**
   * Untimed executions of the same case right before each timed sample (default 0): the sample
   * then starts in the state its own strategy leaves the machine in (GPU clock, caches, the
   * driver's queues) rather than in the state the previous strategy of the turn left. An
   * experiment knob: it doubles the executions at 1, and whether it steadies the per-round ratios
   * on a given machine is for a pair of runs to show (scripts/repro-pair.sh).
   */
  settle?: number;
  /** Samples of each kind per case over the whole run, at most. */
  maxSamples: number;
  /** Sampling time per case over the whole run, ms (each round gets its share). */
  maxTimeMs: number;
  /**
   * Target half-width of a figure's 95% repeat interval, relative (e.g. 0.02): a case is
   * `converged` when its wall (and GPU busy) figures meet it. With one round, the half-width of
   * the median's confidence interval stands in.
   */
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

/**
 * The workload as results name it: its id, and its preset where it has one (`decode:llama-1b`),
 * so that every key made of (workload, elements, kernels, …) tells the presets apart.
 */
export const workloadLabel = (id: string, params: CaseParams): string =>
  params.preset === undefined ? id : `${id}:${params.preset}`;

export function caseId(workload: string, params: CaseParams, strategy: string): string {
  return `${workloadLabel(workload, params)}/e${params.elements}/k${params.kernels}/i${params.intensity}/wg${params.workgroupSize}/${strategy}`;
}

/**
 * An execution outlasted the stall watchdog. It may still be running: its host loop may submit
 * more, and the queue may hold its work. `settled` resolves when the execution itself ends.
 */
export class StallError extends Error {
  constructor(
    message: string,
    readonly settled: Promise<void>,
  ) {
    super(message);
  }
}

function withWatchdog<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const settled = promise.then(
    () => undefined,
    () => undefined,
  );
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new StallError(`${what} did not complete within ${timeoutMs} ms (watchdog)`, settled),
        ),
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
  // With an absolute part, the error is relative to max(|expected|, floor): it passes when
  // |got − expected| ≤ max(relative · |expected|, absolute · RMS(expected)).
  let floor = 0;
  if (tolerance.absolute !== undefined && values.length > 0) {
    let squares = 0;
    for (const v of want) squares += Number.isFinite(v) ? v * v : 0;
    floor = (tolerance.absolute * Math.sqrt(squares / want.length)) / tolerance.relative;
  }
  for (let j = 0; j < values.length; j++) {
    const i = indices === undefined ? j : (indices[j] ?? 0);
    if (output[i] === values[j]) continue; // same bits
    const a = got[i];
    const b = want[j] ?? NaN;
    // Equal values (+0 and -0) pass; NaN, infinities, a missing element fail with Infinity.
    const relative =
      a === b
        ? 0
        : a !== undefined && Number.isFinite(a) && Number.isFinite(b) && (b !== 0 || floor > 0)
          ? Math.abs(a - b) / Math.max(Math.abs(b), floor)
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
    workload: workloadLabel(workload.id, params),
    strategy: strategy.id,
    program: strategy.program,
    unit: workload.unit ?? 'kernel',
    params,
    status,
    reason,
    verified: false,
    verifiedElements: 0,
    notes: {},
    converged: false,
    enoughSamples: false,
    gcSamples: 0,
    wallRounds: null,
    gpuBusyRounds: null,
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

/**
 * Fault injection for the stall tests: with LAUNCHBENCH_FAULT_STALL_CASE=SUFFIX, each execution
 * after its verification of every case whose id ends with SUFFIX (`fused`, or
 * `map/e64/k10/i0/wg64/fused`) waits LAUNCHBENCH_FAULT_STALL_MS (default: for ever) before it
 * runs, as a GPU that signals late, or never, would.
 */
function stallFault(caseId: string, execution: Execution): Execution {
  const suffix = process.env['LAUNCHBENCH_FAULT_STALL_CASE'];
  if (suffix === undefined || suffix === '' || !caseId.endsWith(suffix)) return execution;
  const delayMs = Number(process.env['LAUNCHBENCH_FAULT_STALL_MS'] ?? Infinity);
  let executions = 0;
  return {
    ...execution,
    execute: (recorder) => {
      if (executions++ === 0) return execution.execute(recorder);
      return new Promise((resolve, reject) => {
        if (!Number.isFinite(delayMs)) return;
        // Unreferenced: a wait that outlives the run does not keep the process alive.
        setTimeout(() => {
          execution.execute(recorder).then(resolve, reject);
        }, delayMs).unref();
      });
    },
  };
}

/**
 * A known regression, for checking that compare finds one (issue 19): with
 * LAUNCHBENCH_FAULT_HOST_US_PER_KERNEL=X and LAUNCHBENCH_FAULT_HOST_CASE=SUFFIX, every execution of
 * every case whose id ends with SUFFIX (`dispatch-each`) first spins for X µs per kernel on the
 * host, inside the timed region: a launch path that got X µs slower per dispatch.
 */
function hostFault(caseId: string, kernels: number, execution: Execution): Execution {
  const suffix = process.env['LAUNCHBENCH_FAULT_HOST_CASE'];
  const us = Number(process.env['LAUNCHBENCH_FAULT_HOST_US_PER_KERNEL'] ?? 0);
  if (suffix === undefined || suffix === '' || !caseId.endsWith(suffix) || !(us > 0))
    return execution;
  const spinNs = us * 1e3 * kernels;
  return {
    ...execution,
    execute: (recorder) => {
      const until = nowNs() + spinNs;
      while (nowNs() < until) {
        // spinning: host time the strategy now costs
      }
      return execution.execute(recorder);
    },
  };
}

/** What a case needs besides the prepared group, for the whole run. */
export interface CaseSetup {
  ctx: GpuContext;
  workload: Workload;
  strategy: Strategy;
  params: CaseParams;
  sampling: SamplingOptions;
  timestamps: ResolveMode | undefined;
  /** How the strategy waits for the GPU (src/strategies/completion.ts); onSubmittedWorkDone by default. */
  completion?: CompletionWay | undefined;
  /** Garbage collections to leave out of the statistics; none watched when undefined. */
  gcWatch?: GcWatch | undefined;
  /** performance.now() at the run's start: samples' `atMs` counts from it. */
  originMs?: number;
  /** The clock hold's latest reading (a fraction of the reference clock), recorded with each sample. */
  clockRel?: () => number | null;
  /**
   * GPU busy one more timed pass adds on this device, ns (src/measure/timestamp-cost.ts): taken
   * off the GPU busy statistics of an execution that times more than one pass, so that they match
   * a span's (spanEquivalentBusyNs). Undefined: not measured, per-pass figures stay as measured.
   */
  timestampCostNsPerPass?: number | undefined;
}

/**
 * The largest over the smallest of `samples`' wall times, and for GPU samples of their GPU busy
 * times too (the larger ratio); 1 below two samples. A time of zero or less (no timestamp
 * interval) says nothing of a stall and is left out.
 */
export function sampleSpread(samples: readonly Sample[], kind: SampleKind): number {
  const ratio = (values: (number | null)[]): number => {
    const positive = values.filter((v): v is number => v !== null && v > 0);
    return positive.length < 2 ? 1 : Math.max(...positive) / Math.min(...positive);
  };
  const walls = ratio(samples.map((s) => s.wallNs));
  return kind === 'wall' ? walls : Math.max(walls, ratio(samples.map((s) => s.gpuBusyNs)));
}

/**
 * One case across the run. Its execution lives while its group stays prepared (`open` … `close`:
 * one visit, or several where the group's buffers stay between visits); its samples and result
 * live for the run. A failure at any point ends
 * the case (status `failed`, with the reason) and it takes no further part; a lost device is
 * never a case's failure: it is rethrown as DeviceLostError.
 */
export class CaseRunner implements Sampled {
  readonly id: string;
  readonly result: CaseResult;
  readonly samples: Sample[] = [];
  lastWallNs: number | undefined;
  private execution: Execution | undefined;
  private recorder: TimestampRecorder | undefined;
  private completion: Completion | undefined;
  private busyNs = 0;
  /** Passes the execution times on their own: kept past `close`, for summarise. */
  private timedPasses = 1;

  constructor(readonly setup: CaseSetup) {
    this.id = caseId(setup.workload.id, setup.params, setup.strategy.id);
    this.result = newCaseResult(setup.workload, setup.strategy, setup.params);
  }

  get active(): boolean {
    return this.result.status === 'ok' && this.execution !== undefined;
  }

  /** The kinds of sample this case takes: wall, and gpu where timestamps work. */
  get kinds(): readonly SampleKind[] {
    return this.recorder === undefined ? ['wall'] : ['wall', 'gpu'];
  }

  /**
   * Valid samples of `kind` so far, in `round` or over the run: not overlapped by a garbage
   * collection, and for GPU samples with timestamps that could be used (what the floor counts).
   */
  count(kind: SampleKind, round?: number): number {
    return this.valid(kind, round).length;
  }

  /** The spread of `round`'s valid samples of `kind` (sampleSpread). */
  roundSpread(kind: SampleKind, round: number): number {
    return sampleSpread(this.valid(kind, round), kind);
  }

  private valid(kind: SampleKind, round?: number): Sample[] {
    return this.samples.filter(
      (s) =>
        s.kind === kind &&
        !s.gc &&
        (kind === 'wall' || s.gpuBusyNs !== null) &&
        (round === undefined || s.round === round),
    );
  }

  /** Binds the strategy to this visit's prepared group. */
  async open(prepared: PreparedCase): Promise<void> {
    if (this.result.status !== 'ok') return;
    const { ctx, strategy } = this.setup;
    await this.guard(async () => {
      const program = await prepared.program(strategy.program);
      this.result.notes = {
        ...this.result.notes,
        ...program.notes,
        dispatches: program.dispatches.length,
      };
      const completion = makeCompletion(ctx.device, this.setup.completion ?? 'submitted-work-done');
      this.completion = completion;
      const execution = await withErrorScopes(ctx.device, () =>
        strategy.prepare(ctx.device, program, completion),
      );
      const before = program.beforeExecution;
      const withBefore: Execution =
        before === undefined
          ? execution
          : {
              ...execution,
              execute: (recorder) => {
                before();
                return execution.execute(recorder);
              },
            };
      this.execution = stallFault(
        this.id,
        hostFault(this.id, this.setup.params.kernels, withBefore),
      );
      this.timedPasses = execution.timedPasses;
      if (this.setup.timestamps !== undefined) {
        this.recorder = new TimestampRecorder(
          ctx.device,
          Math.max(1, this.execution.timedPasses),
          this.setup.timestamps,
        );
      }
    });
  }

  /** Correct first: the output must equal the CPU reference before any timing of it counts. */
  async verify(prepared: PreparedCase, input: Uint32Array, expected: Expected): Promise<void> {
    if (!this.active) return;
    const { ctx, workload, params } = this.setup;
    await this.guard(async () => {
      prepared.writeInput(input);
      await withErrorScopes(ctx.device, () => this.timed(undefined));
      const failure = await prepared.checkStatus?.();
      if (failure !== undefined) throw new Error(failure);
      const output = await prepared.readOutput(this.setup.strategy.program);
      this.checkDevice();
      const mismatch = firstMismatch(
        output,
        expected,
        workload.tolerance?.(params),
        this.result.notes,
      );
      if (mismatch !== undefined) throw new Error(mismatch);
      this.result.verified = true;
      this.result.verifiedElements = expected.values.length;
    });
  }

  /** One untimed-for-the-statistics execution of `kind` (warm-up); its wall time, ns. */
  async warm(kind: SampleKind): Promise<number | undefined> {
    if (!this.active) return undefined;
    return this.guard(async () => {
      const { wallNs } = await this.timed(kind === 'gpu' ? this.recorder : undefined);
      this.lastWallNs = wallNs;
      if (kind === 'gpu') await this.recorder?.read();
      this.checkDevice();
      return wallNs;
    });
  }

  /** One timed sample of `kind`, recorded in `round`; its wall time, ns. */
  async sample(kind: SampleKind, round: number, turn?: number): Promise<number | undefined> {
    if (!this.active) return undefined;
    return this.guard(async () => {
      const startMs = perfNowMs();
      const { wallNs, phases, preEncodeNs } = await this.timed(
        kind === 'gpu' ? this.recorder : undefined,
      );
      const endMs = perfNowMs();
      this.lastWallNs = wallNs;
      const times =
        kind === 'gpu' && this.recorder !== undefined
          ? gpuTimes(await this.recorder.read())
          : undefined;
      if (kind === 'gpu' && times === undefined) this.result.droppedGpuSamples++;
      this.checkDevice();
      this.samples.push({
        caseId: this.id,
        index: this.samples.length,
        round,
        turn: turn ?? null,
        atMs: startMs - (this.setup.originMs ?? 0),
        gc: false,
        kind,
        wallNs,
        ...phases,
        preEncodeNs,
        gpuBusyNs: times?.busyNs ?? null,
        gpuIdleNs: times?.idleNs ?? null,
        gpuSpanNs: times?.spanNs ?? null,
        ...completionBounds(phases, times),
        clockRel: this.setup.clockRel?.() ?? null,
      });
      this.spans.push([startMs, endMs]);
      return wallNs;
    });
  }

  /** perf_hooks [start, end] of each sample, parallel to `samples`, for the GC check. */
  private readonly spans: [number, number][] = [];
  private gcChecked = 0;

  /**
   * Marks the samples taken since the last call that garbage collections overlapped for more
   * than GC_SHARE of their time. Call it
   * after the event loop has turned (perf_hooks delivers 'gc' entries from a setImmediate).
   */
  markCollected(): void {
    const watch = this.setup.gcWatch;
    for (; this.gcChecked < this.samples.length; this.gcChecked++) {
      const span = this.spans[this.gcChecked];
      const sample = this.samples[this.gcChecked];
      if (watch === undefined || span === undefined || sample === undefined) continue;
      if (watch.overlapMs(span[0], span[1]) > GC_SHARE * (span[1] - span[0])) sample.gc = true;
    }
  }

  /** After a visit's executions: the program's own status (a grid barrier that gave up). */
  async checkStatus(prepared: PreparedCase): Promise<void> {
    if (!this.active) return;
    await this.guard(async () => {
      const failure = await prepared.checkStatus?.();
      if (failure !== undefined) throw new Error(failure);
    });
  }

  /**
   * After a visit, for a program that relies on co-residency: its status, then (with the
   * reference) one more execution, untimed, whose output must still match it. Every execution
   * recomputes the same output from the same input, which writeInput left in place.
   */
  async recheck(prepared: PreparedCase, expected: Expected | undefined): Promise<void> {
    await this.checkStatus(prepared);
    if (!this.active || expected === undefined) return;
    const { ctx, workload, params } = this.setup;
    await this.guard(async () => {
      await withErrorScopes(ctx.device, () => this.timed(undefined));
      const failure = await prepared.checkStatus?.();
      if (failure !== undefined) throw new Error(failure);
      const output = await prepared.readOutput(this.setup.strategy.program);
      this.checkDevice();
      const mismatch = firstMismatch(output, expected, workload.tolerance?.(params));
      if (mismatch !== undefined) throw new Error(`after a visit's timed executions: ${mismatch}`);
      this.result.notes['rechecked'] = Number(this.result.notes['rechecked'] ?? 0) + 1;
    });
  }

  /** Ends the visit: frees what `open` made for it. */
  close(): void {
    // A new execution on new buffers: warm it up again on the next visit.
    this.lastWallNs = undefined;
    this.recorder?.destroy();
    this.recorder = undefined;
    this.execution?.destroy?.();
    this.execution = undefined;
    this.completion?.destroy();
    this.completion = undefined;
  }

  /**
   * Drops this case's GPU objects without destroying them: the queue may still use them (a
   * stalled execution that never drained); they go when the device does.
   */
  abandon(): void {
    this.recorder = undefined;
    this.execution = undefined;
    this.completion?.cancel?.();
    this.completion = undefined;
    // Opened again on other objects (a fresh device): it warms up again.
    this.lastWallNs = undefined;
  }

  /** Ends the case with `reason`; `close`: free its GPU objects now (the default). */
  fail(reason: string, close = true): void {
    this.result.status = 'failed';
    this.result.reason = reason;
    if (close) this.close();
  }

  /** The state of each round's visit, ns (src/stats/state.ts); undefined where not measured. */
  private readonly states: (number | undefined)[] = [];

  /** Records the state of this case's visit in `round` (the median of its turns' probes). */
  setState(round: number, stateNs: number): void {
    this.states[round] = stateNs;
  }

  /** The timestamp cost measured before each round, ns (src/run.ts remeasureTimestampCost). */
  private readonly costs: (number | undefined)[] = [];

  /** Records the timestamp cost per timed pass measured right before `round`. */
  setTimestampCost(round: number, ns: number): void {
    this.costs[round] = ns;
  }

  /** What summarising this case takes besides its samples (summariseCase). */
  evidence(): CaseEvidence {
    const { sampling } = this.setup;
    return {
      timedPasses: this.timedPasses,
      costNsPerTimedPass: this.setup.timestampCostNsPerPass,
      costNsByRound: [...this.costs],
      statesNsByRound: [...this.states],
      minSamples: sampling.minSamples,
      maxNoise: sampling.maxNoise,
    };
  }

  /**
   * Refreshes the result from every sample so far (call after each visit: it is idempotent);
   * `visitStateVariance`: the variance of ln(state) over the run's visits so far, for the repeat
   * intervals (src/stats/state.ts withStateFit).
   */
  summarise(interrupted = false, visitStateVariance?: number): CaseResult {
    this.result.elapsedMs = this.busyNs / 1e6;
    this.result.evidence = this.evidence();
    return summariseCase(
      this.result,
      this.samples,
      this.result.evidence,
      interrupted,
      visitStateVariance,
    );
  }

  private timed(withRecorder: TimestampRecorder | undefined): Promise<TimedExecution> {
    if (this.execution === undefined) throw new Error('no execution');
    return timedExecution(
      this.execution,
      withRecorder,
      this.setup.sampling.stallTimeoutMs,
      this.setup.strategy.id,
    );
  }

  private checkDevice(): void {
    const lost = lostError(this.setup.ctx);
    if (lost !== undefined) throw lost;
    const error = this.setup.ctx.errors.messages.shift();
    if (error !== undefined) throw new Error(`GPU error: ${error}`);
  }

  /** Runs `step`; any failure but a lost device fails the case (and returns undefined). */
  private async guard<T>(step: () => Promise<T>): Promise<T | undefined> {
    const t0 = nowNs();
    try {
      return await step();
    } catch (error) {
      // Whatever failed first (a rejected mapAsync, a validation error), a lost device is the cause.
      const cause = await asDeviceLost(this.setup.ctx, error);
      if (cause instanceof DeviceLostError) throw cause;
      // A stall ends the visit, and the case's objects stay: the stalled execution may still use
      // them, and nothing more may be submitted until it and the queue have drained (src/run.ts).
      const stalled = error instanceof StallError;
      this.fail(errorMessage(error), !stalled);
      if (stalled) throw error;
      return undefined;
    } finally {
      this.busyNs += nowNs() - t0;
    }
  }
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

/** What putting a case's GPU busy on a span's footing needs (spanEquivalentBusyNs). */
export interface BusyBasis {
  /** Passes one execution times on their own (Execution.timedPasses). */
  timedPasses: number;
  /** GPU busy one more timed pass adds, ns; undefined where it was not measured. */
  costNsPerTimedPass: number | undefined;
  /** The same measured right before each round, where it was: it takes precedence for that round's samples. */
  costNsByRound?: readonly (number | undefined)[];
  /** Each round's median measured GPU busy, ns (roundBusyMedians): whether the round's cost holds. */
  busyNsByRound?: readonly (number | undefined)[];
}

const SPAN_BASIS: BusyBasis = { timedPasses: 1, costNsPerTimedPass: undefined };

export function gpuBusyMethod(basis: BusyBasis): GpuBusyMethod {
  if (basis.timedPasses <= 1) return 'span';
  return basis.costNsPerTimedPass === undefined
    ? 'per-pass'
    : 'per-pass, timestamp cost subtracted';
}

/** Each round's median measured GPU busy time of `samples`, ns, by round. */
export function roundBusyMedians(samples: readonly Sample[]): (number | undefined)[] {
  const byRound: number[][] = [];
  for (const s of samples)
    if (s.kind === 'gpu' && !s.gc && s.gpuBusyNs !== null)
      (byRound[s.round] ??= []).push(s.gpuBusyNs);
  return Array.from(byRound, (v) => (v === undefined ? undefined : distribution(v).median));
}

/**
 * A GPU sample's busy time as one span over the execution would have measured it. An execution
 * that times K passes on their own (one command buffer per kernel) carries K timed intervals where
 * a span carries one, and each costs the GPU time inside the measured union (about 5 µs on an
 * H200, more than a tiny kernel): so K − 1 of the measured cost come off. One timed interval
 * (K ≤ 1) or an unmeasured cost: the sample's busy time as it is.
 *
 * The floor: what is left holds all K kernels and one pass's cost, so it cannot be less than an
 * average timed pass (one kernel and one cost). Judged per round, on the round's median: where
 * the round's average pass is shorter than the cost measured for it, that cost is larger than
 * what these passes took (a loaded CPU adapter: on lavapipe `submit-wait` came out at 0), and
 * none of the round's samples has a figure (null): a whole round left out does not bias the
 * others, as dropping its low samples one by one would. Within a round that holds, a sample's
 * figure is held at its own average pass.
 */
export function spanEquivalentBusyNs(
  sample: Pick<Sample, 'gpuBusyNs' | 'round'>,
  basis: BusyBasis,
): number | null {
  const busyNs = sample.gpuBusyNs;
  const costNs = basis.costNsByRound?.[sample.round] ?? basis.costNsPerTimedPass;
  const passes = basis.timedPasses;
  if (busyNs === null || passes <= 1 || costNs === undefined) return busyNs;
  const roundNs = basis.busyNsByRound?.[sample.round] ?? busyNs;
  if (roundNs / passes < costNs) return null;
  return Math.max(busyNs / passes, busyNs - (passes - 1) * costNs);
}

/** `d` with its figure the rounds' centre (RoundSummary.centre) where they have one. */
const centred = (d: Distribution | null, rs: RoundSummary): Distribution | null =>
  d === null || rs.centre === null ? d : { ...d, median: rs.centre };

/**
 * A finished run's cases stated at its typical state (the median of `statesNs`, every visit's
 * state), metric by metric, where the state explains nearly all of the run's between-round
 * variance of that metric (src/stats/state.ts stateDominates, atTypicalState): a run that met an
 * odd state for a while is stated as it would be in the states it mostly met. Every case moves,
 * each along its own line: moving only the cases whose line explains them would mix moved and
 * unmoved figures in one group, whose ratio then no longer cancels the state between runs (what
 * the per-case rule cost, STATE_RUN_R2). Elsewhere the cases are left as they are. Call it once,
 * after the last summarise.
 */
export function atRunState(results: readonly CaseResult[], statesNs: readonly number[]): void {
  const states = statesNs.filter((s) => s > 0 && Number.isFinite(s));
  if (states.length === 0) return;
  const typicalNs = median(states);
  const move = (
    rounds: (r: CaseResult) => RoundSummary | null,
    set: (r: CaseResult, moved: RoundSummary) => void,
  ): void => {
    const all = results.flatMap((r) => rounds(r) ?? []);
    if (!stateDominates(all)) return;
    for (const r of results) {
      const rs = rounds(r);
      if (rs !== null) set(r, atTypicalState(rs, typicalNs));
    }
  };
  move(
    (r) => r.wallRounds,
    (r, moved) => {
      r.wallRounds = moved;
      r.wallNs = centred(r.wallNs, moved);
    },
  );
  move(
    (r) => r.gpuBusyRounds,
    (r, moved) => {
      r.gpuBusyRounds = moved;
      r.gpuBusyNs = centred(r.gpuBusyNs, moved);
    },
  );
}

/**
 * Makes `r`'s figures, intervals, state fit, floor and convergence from its `samples` (the
 * rounds' spread sets the intervals: src/stats/stats.ts roundSummary, src/stats/state.ts);
 * `visitStateVariance`: the variance of ln(state) over the run's visits.
 */
export function summariseCase(
  r: CaseResult,
  samples: readonly Sample[],
  evidence: CaseEvidence,
  interrupted = false,
  visitStateVariance?: number,
): CaseResult {
  r.gcSamples = samples.filter((s) => s.gc).length;
  const basis: BusyBasis = {
    timedPasses: evidence.timedPasses,
    costNsPerTimedPass: evidence.costNsPerTimedPass,
    costNsByRound: evidence.costNsByRound.map((c) => c ?? undefined),
    busyNsByRound: roundBusyMedians(samples),
  };
  summarise(r, samples, basis);
  const states = evidence.statesNsByRound.map((s) => s ?? undefined);
  // GPU busy's centre pulls a wild round in; wall's is the plain mean (robust.ts roundCentreLog says why)
  const rounds = (pick: (s: Sample) => number | null, kind: SampleKind): RoundSummary => {
    const byRound: number[][] = [];
    for (const s of samples) {
      const v = pick(s);
      if (s.kind !== kind || s.gc || v === null) continue;
      (byRound[s.round] ??= []).push(v);
    }
    return withStateFit(
      roundSummary(
        Array.from(byRound, (v) => v ?? []),
        states,
        evidence.processOfRound,
        kind === 'gpu' ? 'robust' : 'mean',
      ),
      visitStateVariance,
    );
  };
  r.wallRounds = rounds((s) => s.wallNs, 'wall');
  r.gpuBusyRounds = rounds((s) => spanEquivalentBusyNs(s, basis), 'gpu');
  // With rounds, the figure is the rounds' centre (RoundSummary.centre), not the pooled median.
  r.wallNs = centred(r.wallNs, r.wallRounds);
  r.gpuBusyNs = centred(r.gpuBusyNs, r.gpuBusyRounds);
  if (r.status !== 'ok') return r;
  const wantGpu = samples.some((s) => s.kind === 'gpu');
  // GPU samples taken, whether or not each has a figure on a span's footing (spanEquivalentBusyNs):
  // the floor is about sampling; a round whose timestamp cost does not hold leaves GPU busy
  // without that round, not the case without its wall figures.
  r.gpuSamplesTaken = samples.filter(
    (s) => s.kind === 'gpu' && !s.gc && s.gpuBusyNs !== null,
  ).length;
  const n = { wall: r.wallNs?.n ?? 0, gpu: r.gpuSamplesTaken };
  r.enoughSamples = n.wall >= evidence.minSamples && (!wantGpu || n.gpu >= evidence.minSamples);
  const quiet = (d: Distribution | null, rs: RoundSummary | null): boolean => {
    if (d === null) return false;
    if (rs !== null && rs.hi95 !== null) return rs.hi95 / d.median - 1 <= evidence.maxNoise;
    return d.medianNoise <= evidence.maxNoise;
  };
  r.converged = quiet(r.wallNs, r.wallRounds) && (!wantGpu || quiet(r.gpuBusyNs, r.gpuBusyRounds));
  // A missed noise target is `converged` false, not a reason: the console and report.md state
  // the run's typical interval once and mark the rows worse than it (src/report/noise.ts).
  r.reason = interrupted
    ? 'interrupted'
    : !r.enoughSamples
      ? `insufficient samples: ${n.wall} wall${wantGpu ? `, ${n.gpu} GPU` : ''} < floor ${evidence.minSamples}`
      : '';
  return r;
}

export function summarise(
  result: CaseResult,
  samples: readonly Sample[],
  basis: BusyBasis = SPAN_BASIS,
): void {
  const of = (
    kind: Sample['kind'] | undefined,
    pick: (s: Sample) => number | null,
  ): Distribution | null => {
    const values: number[] = [];
    for (const s of samples) {
      const v = pick(s);
      // Samples a garbage collection overlapped measure the collector, not the strategy.
      if ((kind === undefined || s.kind === kind) && !s.gc && v !== null) values.push(v);
    }
    return values.length === 0 ? null : distribution(values);
  };
  result.wallNs = of('wall', (s) => s.wallNs);
  result.wallWithTimestampsNs = of('gpu', (s) => s.wallNs);
  // Idle gaps, span and the completion bounds stay as measured: within one sample they describe
  // the execution that really ran, timestamps included.
  result.gpuBusyNs = of('gpu', (s) => spanEquivalentBusyNs(s, basis));
  result.gpuBusyMethod = result.gpuBusyNs === null ? undefined : gpuBusyMethod(basis);
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
