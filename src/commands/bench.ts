/**
 * `launchbench bench` (the default command): checks the plan without a GPU, opens the adapter,
 * checks the plan against its limits, runs every case into a run folder (CSV files,
 * context.json, report.md) and prints the summary. SIGINT/SIGTERM stop it after the current
 * sample, with the results so far written (exit 130/143).
 */
import { join } from 'node:path';
import { PROFILES, type Profile } from '../profiles.ts';
import { SCENARIOS, scenarioProfile, scenarioStrategies } from '../scenarios.ts';
import { BANDWIDTH_DEFAULTS, measureBandwidth } from '../measure/bandwidth.ts';
import { peakBandwidth } from '../gpu/peak-bandwidth.ts';
import type { CompletionWay } from '../strategies/completion.ts';
import { isDawn } from '../gpu/runtime.ts';
import {
  closeWhenIdle,
  lostError,
  openGpu,
  parseToggles,
  type GpuContext,
} from '../gpu/context.ts';
import { ClockHold, type ClockHoldStats } from '../gpu/clock-hold.ts';
import { timestampSelfTest } from '../gpu/timestamp-selftest.ts';
import { WARMUP_DEFAULTS, warmUpGpu } from '../gpu/warmup.ts';
import { DeviceLostError, UsageError, errorMessage } from '../errors.ts';
import {
  AXIS_LIMITS,
  parseDurationMs,
  parseFraction,
  parseInteger,
  parseIntegerList,
  parseNameList,
} from '../options.ts';
import {
  notApplicable,
  planGroups,
  runPlan,
  whyLeftOut,
  type DeviceReplacement,
  type ReplaceDevice,
  type PresetAxes,
  type RunOptions,
  type RunPlan,
} from '../run.ts';
import { ProgressLines, StatusLine } from './progress.ts';
import { caseId, type SamplingOptions } from '../measure/run-case.ts';
import { calibrate, estimateFloorMs, type Calibration } from '../measure/calibrate.ts';
import {
  TIMESTAMP_COST_DEFAULTS,
  costNsPerTimedPass,
  measureTimestampCost,
  type TimestampCostRecord,
} from '../measure/timestamp-cost.ts';
import type { DriftRow } from '../measure/drift.ts';
import { ROUND_FLOOR, ROUND_SPLIT } from '../measure/schedule.ts';
import { runContext, runId } from '../report/context.ts';
import { adapterName } from '../report/read-run.ts';
import {
  bandwidthTable,
  driftTable,
  clockHoldLine,
  planTable,
  selfCheckTable,
  summaryTable,
  type PlannedCase,
} from '../report/console.ts';
import { SELF_CHECK_DEFAULTS, selfCheck } from '../measure/self-check.ts';
import {
  RunWriter,
  assertNoRun,
  makeWritableDir,
  removeEmptyFolders,
  writeAtomic,
} from '../report/writer.ts';
import {
  CHECK_ONLY_ENV,
  EVIDENCE_FILE,
  abCommand,
  benchInProcesses,
  processPart,
  type AbArgs,
  type ProcessPlan,
} from './processes.ts';
import { checkExportPaths, reportAfterBench } from './report.ts';
import { gpuFlags, gpuOptions } from './gpu-options.ts';
import { benchOptions, completionWay, presetFlags, type BenchArgs } from './bench-options.ts';
import { STRATEGIES, strategyById } from '../strategies/index.ts';
import type { Strategy } from '../strategies/types.ts';
import type { PresetFlag, Workload } from '../workloads/types.ts';
import { WORKLOADS, workloadById } from '../workloads/index.ts';
import { unverifiedUserKernel, userShaderWorkload } from '../workloads/user-shader.ts';

export type { BenchArgs } from './bench-options.ts';

/** The clock hold of a run, or why it has none. */
interface HoldState {
  hold: ClockHold | undefined;
  off: string;
}

async function openClockHold(
  ctx: GpuContext,
  wanted: boolean,
  timestamps: boolean,
): Promise<HoldState> {
  if (!wanted) return { hold: undefined, off: '--no-clock-hold' };
  // A CPU adapter's clock is the host's: the probe reads its scheduling noise, not a governor.
  if (ctx.adapterInfo.isFallbackAdapter) return { hold: undefined, off: 'CPU adapter' };
  if (!timestamps) return { hold: undefined, off: 'no usable timestamps' };
  const hold = await ClockHold.open(ctx);
  if (hold === undefined) return { hold: undefined, off: 'no timestamp queries' };
  await hold.calibrate();
  return { hold, off: '' };
}

const clockHoldRecord = (state: HoldState): ClockHoldStats | { off: string } =>
  state.hold?.summary() ?? { off: state.off };

/** `--shader`: the user's kernel as a workload (or nothing); a file that does not load is bad input. */
async function loadUserWorkload(args: BenchArgs): Promise<Workload | undefined> {
  if (args.shader === undefined) {
    for (const option of ['entry', 'fused-entry', 'reference'] as const)
      if (args[option] !== undefined) throw new UsageError(`--${option}: needs --shader`);
    return undefined;
  }
  if (args.workloads !== undefined)
    throw new UsageError('--shader: measures its own kernel; leave out --workloads');
  try {
    return await userShaderWorkload({
      shader: args.shader,
      entry: args.entry,
      fusedEntry: args['fused-entry'],
      reference: args.reference,
    });
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
}

/** The profile a run takes: its scenario's where it names one, else --profile's. */
function chosenProfile(args: BenchArgs): Profile {
  // A scenario takes precedence over --profile (which has a default).
  const profile =
    args.scenario !== undefined ? scenarioProfile(args.scenario) : PROFILES[args.profile];
  if (profile === undefined && args.scenario !== undefined) {
    throw new UsageError(
      `--scenario: unknown '${args.scenario}' (known: ${Object.keys(SCENARIOS).join(', ')})`,
    );
  }
  if (profile === undefined) {
    throw new UsageError(
      `--profile: unknown '${args.profile}' (known: ${Object.keys(PROFILES).join(', ')})`,
    );
  }
  return profile;
}

/** The profile's sampling with the command line's changes to it. */
function chosenSampling(args: BenchArgs, profile: Profile): SamplingOptions {
  const sampling = { ...profile.sampling };
  if (args['max-noise'] !== undefined)
    sampling.maxNoise = parseFraction('max-noise', args['max-noise']);
  if (args['max-time'] !== undefined)
    sampling.maxTimeMs = parseDurationMs('max-time', args['max-time']);
  if (args.rounds !== undefined)
    sampling.rounds = parseIntegerList('rounds', args.rounds, 1, 1000)[0] ?? sampling.rounds;
  if (args['stall-timeout'] !== undefined)
    sampling.stallTimeoutMs = parseDurationMs('stall-timeout', args['stall-timeout']);
  if (args.settle !== undefined)
    sampling.settle = parseIntegerList('settle', args.settle, 0, 10)[0] ?? 0;
  if (args['min-samples'] !== undefined) {
    sampling.minSamples =
      parseIntegerList('min-samples', args['min-samples'], 3, 100000)[0] ?? sampling.minSamples;
  }
  // A process of a run of several takes its share of the run's cap.
  const run = processPart()?.run;
  if (run !== undefined)
    sampling.maxSamples = Math.ceil((run.maxSamples * sampling.rounds) / run.rounds);
  // Room for the floor, and for every round's floor and its split sample: "at most" stays true.
  sampling.maxSamples = Math.max(
    sampling.maxSamples,
    sampling.minSamples,
    (ROUND_FLOOR + 1) * sampling.rounds,
  );
  return sampling;
}

/**
 * The axes of each workload with presets that its own flags give (`decode`'s --context, --layers,
 * --vocab), by workload id.
 */
function presetAxes(args: BenchArgs, planned: readonly string[]): Record<string, PresetAxes> {
  const given = (flag: PresetFlag | undefined): number[] | undefined => {
    const text = flag === undefined ? undefined : args[flag.name];
    return flag === undefined || typeof text !== 'string'
      ? undefined
      : parseIntegerList(flag.name, text, flag.min, flag.max);
  };
  // A workload's flag on a run that does not measure it would be silently ignored.
  for (const w of WORKLOADS)
    for (const flag of Object.values(w.presets?.flags ?? {}))
      if (args[flag.name] !== undefined && !planned.includes(w.id))
        throw new UsageError(
          `--${flag.name} is ${w.id}'s, which this run does not measure (--workloads ${planned.join(',')})`,
        );
  return Object.fromEntries(
    WORKLOADS.flatMap((w) => {
      const flags = w.presets?.flags;
      if (flags === undefined) return [];
      const axes: PresetAxes = {};
      for (const axis of ['elements', 'kernels', 'extra'] as const) {
        const values = given(flags[axis]);
        if (values !== undefined) axes[axis] = values;
      }
      return [[w.id, axes]];
    }),
  );
}

/**
 * The presets named on the command line (the profile's otherwise), of every workload that has
 * them (`decode`'s model presets); one of a workload the run does not measure would be silently
 * ignored, so it is bad input.
 */
function chosenPresets(
  args: BenchArgs,
  fallback: readonly string[] | undefined,
  planned: readonly string[],
): readonly string[] | undefined {
  if (args.preset === undefined) return fallback;
  const names = WORKLOADS.flatMap((w) => w.presets?.names ?? []);
  const presets = parseNameList('preset', args.preset, names);
  for (const name of presets) {
    const owner = WORKLOADS.find((w) => w.presets?.names.includes(name));
    if (owner !== undefined && planned.length > 0 && !planned.includes(owner.id))
      throw new UsageError(
        `--preset: ${name} is ${owner.id}'s, which this run does not measure (--workloads ${planned.join(',')})`,
      );
  }
  return presets;
}

/** Everything that can be checked without a GPU, checked before one is opened: the run's plan. */
function benchPlan(
  args: BenchArgs,
  user?: Workload,
): { plan: RunPlan; profile: string; bandwidth: boolean; processes: number } {
  const profile = chosenProfile(args);
  const list = (
    option: keyof typeof AXIS_LIMITS,
    flag: string,
    text: string | undefined,
    fallback: number[],
  ): number[] =>
    text === undefined
      ? fallback
      : parseIntegerList(flag, text, AXIS_LIMITS[option].min, AXIS_LIMITS[option].max);
  const workloadIds = parseNameList(
    'workloads',
    args.workloads ?? profile.workloads.join(','),
    WORKLOADS.map((w) => w.id),
  );
  const strategyIds = parseNameList(
    'strategies',
    args.strategies ??
      (args.scenario === undefined ? undefined : scenarioStrategies(args.scenario)) ??
      'all',
    STRATEGIES.map((s) => s.id),
  );
  const sampling = chosenSampling(args, profile);
  // Checked here, before any GPU work; the run's options take it (runOptions).
  completionWay(args);
  const persistent = args['persistent-workgroups'];
  const presets = chosenPresets(args, profile.presets, user === undefined ? workloadIds : []);
  // Explicit axes apply to every workload; otherwise a profile's per-workload slices do.
  const explicitAxes =
    args.elements !== undefined || args.kernels !== undefined || args.intensity !== undefined;
  const processes =
    args.processes === undefined
      ? Math.min(profile.processes ?? 1, sampling.rounds)
      : parseInteger('processes', args.processes, { min: 1, max: 1000 });
  return {
    profile: profile.name,
    bandwidth: args.bandwidth ?? profile.bandwidth === true,
    processes,
    plan: {
      slices: explicitAxes ? undefined : profile.slices,
      presets,
      presetAxes: presetAxes(args, user === undefined ? workloadIds : [user.id]),
      workloads:
        user !== undefined
          ? [user]
          : workloadIds.map((id) => workloadById(id)).filter((w) => w !== undefined),
      strategies: strategyIds.map((id) => strategyById(id)).filter((s) => s !== undefined),
      elements: list('elements', 'elements', args.elements, profile.elements),
      kernels: list('kernels', 'kernels', args.kernels, profile.kernels),
      intensity: list('intensity', 'intensity', args.intensity, profile.intensity),
      workgroupSize: list(
        'workgroupSize',
        'workgroup-size',
        args['workgroup-size'],
        profile.workgroupSize,
      ),
      persistentWorkgroups:
        persistent === undefined
          ? 0
          : (parseIntegerList('persistent-workgroups', persistent, 1, 2 ** 31)[0] ?? 0),
      sampling,
      // A user's kernel without a reference runs unverified (and says so).
      verify: args.verify && (user === undefined || !unverifiedUserKernel(user)),
      seed:
        args.seed === undefined
          ? (Date.now() ^ (process.pid << 16)) >>> 0
          : parseInteger('seed', args.seed, { min: 0, max: Number.MAX_SAFE_INTEGER }) >>> 0,
    },
  };
}

/** Checks the plan against the adapter's limits; the first violation is a UsageError. */
function checkPlanLimits(ctx: GpuContext, plan: RunPlan): void {
  const l = ctx.limits;
  for (const wg of plan.workgroupSize) {
    const maxX = l['maxComputeWorkgroupSizeX'] ?? 0;
    const maxInv = l['maxComputeInvocationsPerWorkgroup'] ?? 0;
    if (wg > maxX || wg > maxInv) {
      throw new UsageError(
        `--workgroup-size: ${wg} is past this adapter's maxComputeWorkgroupSizeX ${maxX} / maxComputeInvocationsPerWorkgroup ${maxInv}`,
      );
    }
  }
  let firstReason: string | undefined;
  let applicable = 0;
  for (const { workload, params } of planGroups(plan)) {
    const problem = workload.checkLimits(params, l);
    if (problem !== undefined) throw new UsageError(problem);
    for (const strategy of plan.strategies) {
      const reason = notApplicable(workload, strategy, params, l);
      if (reason === undefined) applicable++;
      else firstReason ??= `${workload.id}/${strategy.id}: ${reason}`;
    }
  }
  // A sweep may hold some cases that do not apply (recorded with their reason); a request of
  // which nothing applies is bad input.
  if (applicable === 0 && firstReason !== undefined) {
    throw new UsageError(`nothing to run: ${firstReason}`);
  }
}

/**
 * The per-case budget by default: what a case's sample floor may cost on this adapter. A CPU
 * adapter (lavapipe) gets less, so that the default profile ends in minutes there; on a GPU the
 * costliest default case (`indirect` at K = 1000 on the H200, Dawn's validation) needs ~6 s.
 */
const CASE_BUDGET_MS = { gpu: 30_000, cpu: 10_000 };

/**
 * Fits the plan to the adapter (`plan.skip`, each case left out with its reason): on a CPU
 * adapter, programs that rely on co-residency; and after a calibration of about a second,
 * every case whose sample floor would cost more than the budget (`--case-budget 0`: none).
 * A plan of which nothing is left is bad input. Returns what context.json records.
 */
async function fitPlan(
  ctx: GpuContext,
  plan: RunPlan,
  budgetMs: number,
  completion: CompletionWay,
): Promise<(Calibration & { caseBudgetMs: number }) | null> {
  // A CPU adapter runs a dispatch's workgroups on a few threads, one after another: a program
  // that needs them all running at once can only give up there (it does, cleanly: the
  // grid-barrier test checks it), so a run leaves it out.
  const cpu = ctx.adapterInfo.isFallbackAdapter;
  const coResidency = (workload: Workload, strategy: Strategy): string | undefined =>
    cpu && workload.reliesOn?.[strategy.program] === 'co-residency'
      ? 'relies on co-residency (a grid-wide barrier), which a CPU adapter cannot give'
      : undefined;
  if (budgetMs === 0) {
    plan.skip = coResidency;
    return null;
  }
  const calibration = await calibrate(ctx, {
    stallTimeoutMs: plan.sampling.stallTimeoutMs,
    completion,
  });
  // A case's cost over the whole run (in a process of a run of several, the run's, not its share).
  const run = processPart()?.run;
  const whole = run === undefined ? plan.sampling : { ...plan.sampling, ...run };
  plan.skip = (workload, strategy, params) => {
    const unable = coResidency(workload, strategy);
    if (unable !== undefined) return unable;
    const ms = estimateFloorMs(calibration, strategy, params, whole, workload);
    return ms <= budgetMs
      ? undefined
      : `left out on this adapter: its sample floor would take about ${(ms / 1000).toFixed(1)} s (calibration), past --case-budget ${budgetMs / 1000} s`;
  };
  return { ...calibration, caseBudgetMs: budgetMs };
}

/** After fitting: a plan of which every case is left out on this adapter is bad input. */
function checkSomethingLeft(ctx: GpuContext, plan: RunPlan): void {
  let first: string | undefined;
  for (const { workload, params } of planGroups(plan))
    for (const strategy of plan.strategies) {
      const why = whyLeftOut(plan, workload, strategy, params, ctx.limits);
      if (why === undefined) return;
      first ??= `${workload.id}/${strategy.id}: ${why}`;
    }
  if (first !== undefined) throw new UsageError(`nothing to run on this adapter: ${first}`);
}

/**
 * What the plan's sampling should take on this adapter: each case that runs, its floor's
 * estimate from the calibration or its share of --max-time, whichever is more; and how many
 * cases run. Null without a calibration (--case-budget 0).
 */
function planEstimate(
  ctx: GpuContext,
  plan: RunPlan,
  calibration: Calibration | null,
): { ms: number | null; running: number; cases: number } {
  let ms = 0;
  let running = 0;
  let cases = 0;
  for (const { workload, params } of planGroups(plan))
    for (const strategy of plan.strategies) {
      cases++;
      if (whyLeftOut(plan, workload, strategy, params, ctx.limits) !== undefined) continue;
      running++;
      const floorMs =
        calibration === null
          ? 0
          : estimateFloorMs(calibration, strategy, params, plan.sampling, workload);
      ms += Math.max(floorMs, plan.sampling.maxTimeMs);
    }
  return { ms: calibration === null ? null : ms, running, cases };
}

/** `--dry-run`: every case of the plan, whether it would run, and what it should take. */
function dryRun(ctx: GpuContext, plan: RunPlan, calibration: Calibration | null): string {
  const cases: PlannedCase[] = [];
  for (const { workload, params } of planGroups(plan))
    for (const strategy of plan.strategies) {
      const floorMs =
        calibration === null
          ? null
          : estimateFloorMs(calibration, strategy, params, plan.sampling, workload);
      const leftOut = whyLeftOut(plan, workload, strategy, params, ctx.limits) ?? '';
      cases.push({
        group: caseId(workload.id, params, strategy.id).replace(`/${strategy.id}`, ''),
        strategy: strategy.id,
        floorS: floorMs === null ? null : floorMs / 1000,
        leftOut,
      });
    }
  const { ms } = planEstimate(ctx, plan, calibration);
  return planTable(cases, ms === null ? null : ms / 1000);
}

/**
 * The line a run starts with once the plan stands: its cases, groups and rounds, and the
 * calibration's estimate of its sampling time.
 */
function startLine(ctx: GpuContext, plan: RunPlan, calibration: Calibration | null): string {
  const { ms, running, cases } = planEstimate(ctx, plan, calibration);
  const leftOut = cases - running;
  const rounds = plan.sampling.rounds;
  const groups = planGroups(plan).length;
  const adapter = adapterName({ adapter: ctx.adapterInfo });
  return `measuring ${running} case${running === 1 ? '' : 's'} in ${groups} group${groups === 1 ? '' : 's'} on ${adapter}, ${rounds} round${rounds === 1 ? '' : 's'}${ms === null ? '' : `: about ${Math.ceil(ms / 1000)} s of sampling`}${leftOut === 0 ? '' : ` (${leftOut} left out on this adapter: --dry-run says why)`}`;
}

/** What a run of several processes (src/commands/processes.ts) takes from the plan. */
function processPlan(args: BenchArgs, plan: RunPlan, bandwidth: boolean): ProcessPlan {
  const { rounds, minSamples, maxSamples, maxTimeMs, maxNoise } = plan.sampling;
  return {
    sampling: { rounds, minSamples, maxSamples, maxTimeMs, maxNoise },
    seed: plan.seed,
    bandwidth,
    selfCheck: args['self-check'],
    known: [
      ...Object.keys(gpuFlags),
      ...Object.keys(benchOptions),
      ...Object.keys(presetFlags),
      'verbose',
    ],
  };
}

/**
 * `launchbench ab`: A and B interleaved process by process (src/commands/processes.ts), each
 * side `--processes` processes (default: one per round), then compared.
 */
export async function abBenchCommand(args: AbArgs): Promise<number> {
  if (args['dry-run'] === true) throw new UsageError('--dry-run: not in ab; use bench --dry-run');
  const user = await loadUserWorkload(args);
  const { plan, bandwidth } = benchPlan(args, user);
  const processes =
    args.processes === undefined
      ? plan.sampling.rounds
      : parseInteger('processes', args.processes, { min: 1, max: 1000 });
  return abCommand(args, processes, processPlan(args, plan, bandwidth));
}

/**
 * What a run refuses of its options beyond its plan, before opening a GPU (and all that `ab`'s
 * check of a side sees, CHECK_ONLY_ENV): throws UsageError.
 */
function checkRunOptions(args: BenchArgs): void {
  caseBudget(args);
  peakOverride(args);
  const options = gpuOptions(args);
  if (isDawn()) parseToggles(options.dawnToggles);
}

/** `--peak-gbps`, or undefined where not given (src/gpu/peak-bandwidth.ts has the table). */
function peakOverride(args: BenchArgs): number | undefined {
  const text = args['peak-gbps'];
  return text === undefined
    ? undefined
    : parseInteger('peak-gbps', text, { min: 1, max: 1_000_000 });
}

/** `--case-budget` in ms (0: none), or undefined for the adapter's default. */
function caseBudget(args: BenchArgs): number | undefined {
  const budget = args['case-budget'];
  if (budget === undefined) return undefined;
  return budget.trim() === '0' ? 0 : parseDurationMs('case-budget', budget);
}

/** The GPU of a run, and what was measured on it before the first case. */
interface GpuSetup {
  /** The device the run measures on (a fresh one after a wedged queue). */
  ctx: GpuContext;
  /** Devices given up after a wedged queue: closed at the end, after the run. */
  retired: GpuContext[];
  selfTest: Awaited<ReturnType<typeof timestampSelfTest>>;
  warmupOptions: typeof WARMUP_DEFAULTS;
  warmup: Awaited<ReturnType<typeof warmUpGpu>>;
  timestampCost: TimestampCostRecord;
  hold: HoldState;
  calibration: (Calibration & { caseBudgetMs: number }) | null;
}

/**
 * Everything measured on the opened device before the first case: the plan checked against its
 * limits and the workloads against it (a user's shader that does not compile is bad input), the
 * timestamp self-test, the warm-up, the cost of a timed pass, the clock hold and the calibration
 * that fits the plan to the adapter.
 */
async function setUpGpu(
  ctx: GpuContext,
  args: BenchArgs,
  plan: RunPlan,
  user: Workload | undefined,
  status: StatusLine,
): Promise<GpuSetup> {
  checkPlanLimits(ctx, plan);
  for (const workload of plan.workloads) {
    const problem = await workload.check?.(ctx.device);
    if (problem !== undefined) throw new UsageError(problem);
  }
  status.clear();
  if (user !== undefined && unverifiedUserKernel(user))
    process.stderr.write(
      `launchbench: ${user.id} has no --reference: its results are timed but not verified (every output says so)\n`,
    );
  const dry = args['dry-run'] === true;
  const selfTest = await timestampSelfTest(ctx);
  const warmupOptions = {
    ...WARMUP_DEFAULTS,
    minMs:
      args['gpu-warmup'] === undefined
        ? WARMUP_DEFAULTS.minMs
        : parseDurationMs('gpu-warmup', args['gpu-warmup']),
  };
  status.say('warming up the GPU');
  const warmup = await warmUpGpu(ctx, warmupOptions);
  status.clear();
  if (!selfTest.ok)
    process.stderr.write(`launchbench: ${selfTest.message}; GPU columns are not measured\n`);
  // On the warmed-up GPU, before any case: what a timed pass costs, taken off the GPU busy of
  // strategies that time every kernel's pass (summary.csv `gpuBusyMethod`).
  let timestampCost: TimestampCostRecord;
  if (dry) timestampCost = { off: 'dry run' };
  else if (!args.timestamps) timestampCost = { off: '--no-timestamps' };
  else if (!selfTest.ok) timestampCost = { off: `timestamp self-test failed: ${selfTest.message}` };
  else {
    status.say('measuring what a timed pass costs');
    timestampCost = await measureTimestampCost(ctx, selfTest.resolveMode, {
      ...TIMESTAMP_COST_DEFAULTS,
      stallTimeoutMs: plan.sampling.stallTimeoutMs,
    });
  }
  const hold = dry
    ? { hold: undefined, off: 'dry run' }
    : await openClockHold(ctx, args['clock-hold'], selfTest.ok && args.timestamps);
  status.say('calibrating');
  const caseBudgetMs =
    caseBudget(args) ?? CASE_BUDGET_MS[ctx.adapterInfo.isFallbackAdapter ? 'cpu' : 'gpu'];
  const calibration = await fitPlan(ctx, plan, caseBudgetMs, completionWay(args));
  checkSomethingLeft(ctx, plan);
  status.clear();
  return { ctx, retired: [], selfTest, warmupOptions, warmup, timestampCost, hold, calibration };
}

/**
 * Stops a run on SIGINT or SIGTERM after the current sample: `signal` aborts with the signal's
 * name; its listeners go with `dispose`.
 */
function stopOnSignals(): { signal: AbortSignal; exitCode(): number; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals): void => {
    // A terminal's Ctrl-C reaches both the CLI's filtering parent (which passes it on) and
    // this process: say it once.
    if (controller.signal.aborted) return;
    controller.abort(name);
    process.stderr.write(`\nlaunchbench: ${name}: stopping after the current sample\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    exitCode: () => (controller.signal.reason === 'SIGTERM' ? 143 : 130),
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** How a run's measuring ended. */
interface Measured {
  drift: DriftRow[];
  interrupted: boolean;
  /** The lost device's message, where it was lost. */
  deviceLost: string | undefined;
}

/** What runPlan is given besides the plan: how it times, and what it measures beside the cases. */
function runOptions(args: BenchArgs, gpu: GpuSetup, replaceDevice: ReplaceDevice): RunOptions {
  const { selfTest, timestampCost } = gpu;
  return {
    timestamps: selfTest.ok && args.timestamps ? selfTest.resolveMode : undefined,
    timestampCostNsPerPass: costNsPerTimedPass(timestampCost),
    remeasureTimestampCost:
      'off' in timestampCost || selfTest.resolveMode === undefined
        ? undefined
        : async () =>
            costNsPerTimedPass(
              await measureTimestampCost(gpu.ctx, selfTest.resolveMode, ROUND_TIMESTAMP_COST),
            ),
    drift: args.drift,
    completion: completionWay(args),
    clockHold: gpu.hold.hold,
    replaceDevice,
  };
}

/** After a wedged queue: a fresh device on the same adapter, warmed up, with its own hold. */
async function replaceGpu(
  args: BenchArgs,
  gpu: GpuSetup,
  old: GpuContext,
): Promise<{ ctx: GpuContext; clockHold: ClockHold | undefined }> {
  gpu.retired.push(old);
  gpu.ctx = await openGpu(gpuOptions(args));
  await warmUpGpu(gpu.ctx, gpu.warmupOptions);
  const timestamps = gpu.selfTest.ok && args.timestamps;
  gpu.hold = await openClockHold(gpu.ctx, args['clock-hold'], timestamps);
  return { ctx: gpu.ctx, clockHold: gpu.hold.hold };
}

/**
 * Measures the plan into `writer` (runPlan) with progress on stderr, replacing the device after a
 * wedged queue; context.json says how it ended whatever happens, and a process of a run of
 * several leaves its cases' evidence beside them. A lost device ends it (`deviceLost`); any
 * other error is thrown.
 */
async function measureRun(
  args: BenchArgs,
  plan: RunPlan,
  gpu: GpuSetup,
  writer: RunWriter,
  context: Parameters<typeof runContext>[0],
  stop: AbortSignal,
  progress: ProgressLines,
): Promise<Measured> {
  const drift: DriftRow[] = [];
  /** Each replacement, with what the given-up device's clock hold had done. */
  const replacements: (DeviceReplacement & { clockHoldBefore: object })[] = [];
  let holdBefore: object = {};
  const replaceDevice: ReplaceDevice = async (old) => {
    holdBefore = clockHoldRecord(gpu.hold);
    return replaceGpu(args, gpu, old);
  };
  const ended: Partial<Measured> & { crashed?: string } = { interrupted: false };
  try {
    const outcome = await runPlan(
      gpu.ctx,
      plan,
      runOptions(args, gpu, replaceDevice),
      {
        onVisit: (p) => progress.visit(p),
        onCases(results, samples) {
          writer.updateCases(results, samples);
          progress.visited(results);
        },
        onDrift(row) {
          drift.push(row);
          writer.addDrift(row);
        },
        onDeviceReplaced(r) {
          replacements.push({ ...r, clockHoldBefore: holdBefore });
          writer.writeContext(runContext({ ...context, deviceReplacements: replacements }));
          progress.note(
            `${r.reason}; the device was given up and a fresh one opened (round ${r.round + 1}, ${r.group}); the run goes on`,
          );
        },
      },
      () => stop.aborted,
    );
    ended.interrupted = outcome.interrupted;
    // A finished run: every case once more with the states of all its visits (their spread
    // sets the repeat intervals, src/stats/state.ts). An interrupted one keeps each case as
    // its last visit left it (only the visit cut short says 'interrupted').
    if (!outcome.interrupted) writer.updateCases(outcome.results, []);
  } catch (error) {
    // context.json must not call a run that ended on an error complete.
    if (!(error instanceof DeviceLostError)) {
      ended.crashed = errorMessage(error);
      throw error;
    }
    ended.deviceLost = error.message;
  } finally {
    progress.end();
    writer.writeContext(
      runContext({
        ...context,
        clockHold: clockHoldRecord(gpu.hold),
        deviceReplacements: replacements,
        finishedAt: new Date(),
        interrupted: ended.interrupted ?? false,
        deviceLost: ended.deviceLost,
        error: ended.crashed,
      }),
    );
    gpu.hold.hold?.destroy();
    // A process of a run of several: its cases with their evidence, for the run to merge.
    if (processPart() !== undefined)
      writeAtomic(join(writer.dir, EVIDENCE_FILE), JSON.stringify({ cases: writer.cases }));
  }
  return { drift, interrupted: ended.interrupted ?? false, deviceLost: ended.deviceLost };
}

/**
 * After the cases: the summary, drift and clock-hold tables (a run of one process), the
 * self-check and the bandwidth reference where asked and the run went to its end, and the
 * report; a line for failed cases.
 */
async function afterRun(
  args: BenchArgs,
  plan: RunPlan,
  gpu: GpuSetup,
  writer: RunWriter,
  measured: Measured,
  bandwidth: boolean,
): Promise<void> {
  const alone = processPart() === undefined;
  const whole = measured.deviceLost === undefined && !measured.interrupted;
  if (alone) {
    process.stdout.write(`${summaryTable(writer.cases, plan.sampling.maxNoise)}\n`);
    if (measured.drift.length > 0) process.stdout.write(`\n${driftTable(measured.drift)}\n`);
    process.stdout.write(`\n${clockHoldLine(clockHoldRecord(gpu.hold))}\n`);
  }
  if (args['self-check'] && whole) {
    const rows = await selfCheck(gpu.ctx, {
      ...SELF_CHECK_DEFAULTS,
      stallTimeoutMs: plan.sampling.stallTimeoutMs,
    });
    writer.writeSelfCheck(rows);
    process.stdout.write(`\n${selfCheckTable(rows)}\n`);
  }
  if (bandwidth && whole) {
    // A CPU adapter moves well under 1 GB/s: a smaller reference keeps the run short there.
    const peak = peakBandwidth(gpu.ctx.adapterInfo, peakOverride(args));
    const options = gpu.ctx.adapterInfo.isFallbackAdapter
      ? {
          ...BANDWIDTH_DEFAULTS,
          bytes: 16 * 2 ** 20,
          repeats: 2,
          samples: 3,
          peak,
          seed: plan.seed,
        }
      : { ...BANDWIDTH_DEFAULTS, peak, seed: plan.seed };
    const { selfTest } = gpu;
    const resolve = selfTest.ok && args.timestamps ? selfTest.resolveMode : undefined;
    // A reference that fails (its kernels not verified, say) is left out, as a failed case is:
    // the run's report is still written. A lost device ends the run as anywhere else.
    try {
      const rows = await measureBandwidth(gpu.ctx, options, resolve);
      writer.writeBandwidth(rows);
      process.stdout.write(`\n${bandwidthTable(rows)}\n`);
    } catch (error) {
      if (error instanceof DeviceLostError) throw error;
      const lost = lostError(gpu.ctx);
      if (lost !== undefined) throw lost;
      process.stderr.write(
        `launchbench: bandwidth reference not measured: ${errorMessage(error)}\n`,
      );
    }
  }
  if (alone) {
    await reportAfterBench(writer.dir, args);
    process.stdout.write(`\nresults: ${writer.dir}\n`);
  }
  const failed = writer.cases.filter((c) => c.status === 'failed');
  if (failed.length > 0)
    process.stderr.write(
      `launchbench: ${failed.length} case(s) failed; see the reason column of ${writer.summaryPath}\n`,
    );
}

/**
 * The run folder (or results/, where it will go) made writable before any GPU work, and the
 * export paths checked; returns the folders that made, which the run takes back where it stops
 * before writing anything (here already where a check fails).
 */
function prepareOutput(args: BenchArgs): string[] {
  const made = makeWritableDir(args.out ?? 'results', '--out');
  try {
    if (args.out !== undefined) assertNoRun(args.out, '--out');
    checkExportPaths(args);
  } catch (error) {
    removeEmptyFolders(made);
    throw error;
  }
  return made;
}

/**
 * Runs the benchmark; returns the exit code (0, or 130/143 when a signal stopped it). A run of
 * several processes goes to src/commands/processes.ts.
 */
export async function benchCommand(args: BenchArgs): Promise<number> {
  const user = await loadUserWorkload(args);
  const { plan, profile, bandwidth, processes } = benchPlan(args, user);
  checkRunOptions(args);
  if (process.env[CHECK_ONLY_ENV] === '1') return 0;
  const part = processPart();
  if (processes > 1 && part === undefined && args['dry-run'] !== true)
    return benchInProcesses(args, processes, processPlan(args, plan, bandwidth));
  let made = args['dry-run'] === true ? [] : prepareOutput(args);
  const status = new StatusLine();
  let gpu: GpuSetup | undefined;
  let opened: GpuContext | undefined;
  try {
    status.say('opening the adapter');
    opened = await openGpu(gpuOptions(args));
    gpu = await setUpGpu(opened, args, plan, user, status);
    if (args['dry-run'] === true) {
      process.stdout.write(`${dryRun(gpu.ctx, plan, gpu.calibration)}\n`);
      return 0;
    }
    const inPart = part === undefined ? '' : `process ${part.index}/${part.count}, `;
    process.stderr.write(`launchbench: ${inPart}${startLine(gpu.ctx, plan, gpu.calibration)}\n`);
    const startedAt = new Date();
    const id = runId(gpu.ctx, startedAt);
    const writer = new RunWriter(args.out ?? join('results', id));
    made = [];
    writer.setOrder(
      planGroups(plan).flatMap(({ workload, params }) =>
        plan.strategies.map((s) => caseId(workload.id, params, s.id)),
      ),
    );
    const context = {
      runId: id,
      ctx: gpu.ctx,
      selfTest: gpu.selfTest,
      warmup: gpu.warmup,
      calibration: gpu.calibration,
      timestampCost: gpu.timestampCost,
      clockHold: clockHoldRecord(gpu.hold),
      argv: process.argv.slice(2),
      options: {
        profile,
        ...plan,
        // Recorded with the options: what every round collects whatever the run's floor.
        sampling: { ...plan.sampling, roundFloor: ROUND_FLOOR, roundSplit: ROUND_SPLIT },
        workloads: plan.workloads.map((w) => w.id),
        strategies: plan.strategies.map((s) => s.id),
        completion: completionWay(args),
      },
      startedAt,
    };
    writer.writeContext(runContext(context));
    const stop = stopOnSignals();
    const progress = new ProgressLines(
      planGroups(plan).length,
      planEstimate(gpu.ctx, plan, gpu.calibration).ms ?? undefined,
      part,
    );
    try {
      const measured = await measureRun(args, plan, gpu, writer, context, stop.signal, progress);
      await afterRun(args, plan, gpu, writer, measured, bandwidth);
      if (measured.deviceLost !== undefined)
        throw new DeviceLostError(
          `${measured.deviceLost}; the ${writer.cases.filter((c) => c.wallNs !== null).length} case(s) measured before it kept in ${writer.dir}`,
        );
      return measured.interrupted ? stop.exitCode() : 0;
    } finally {
      stop.dispose();
    }
  } catch (error) {
    status.clear();
    throw error;
  } finally {
    removeEmptyFolders(made);
    // Bounded: a device whose queue never drains is left alive rather than hang the process.
    const devices = gpu === undefined ? [opened] : [...gpu.retired, gpu.ctx];
    for (const device of devices)
      if (device !== undefined) await closeWhenIdle(device, CLOSE_BOUND_MS);
  }
}

/** The timestamp cost measured again before every round: fewer repeats than at start-up. */
const ROUND_TIMESTAMP_COST = { ...TIMESTAMP_COST_DEFAULTS, repeats: 3, warmups: 1 };

/** How long closing a device may wait for its queue to go idle. */
const CLOSE_BOUND_MS = 5000;

export { benchOptions, exportOptions, withPresetFlags } from './bench-options.ts';
