/**
 * The measuring side of `bench`: the plan made from the options, and everything done on the GPU
 * (the adapter opened, the set-up before the first case, the cases, the self-check and the
 * bandwidth reference), behind `GpuSide`. It uses no API of Node's (no files, no process, no
 * console): the command line measures through `localSide` in its own process, and a browser page
 * (src/browser/page.ts) runs the same `localSide` and sends what it gives to the command line,
 * whose `bench` (src/commands/bench.ts) writes the run folder either way (docs/design.md,
 * Runtimes).
 */
import { PROFILES, STALL_TIMEOUT_MS, type Profile } from '../profiles.ts';
import { scenarioProfile, SCENARIOS, scenarioStrategies } from '../scenarios.ts';
import { BANDWIDTH_DEFAULTS, measureBandwidth, type BandwidthRow } from '../measure/bandwidth.ts';
import { peakBandwidth } from '../gpu/peak-bandwidth.ts';
import type { CompletionWay } from '../strategies/completion.ts';
import { currentRuntime } from '../gpu/runtime.ts';
import {
  closeWhenIdle,
  lostError,
  openGpu,
  type GpuContext,
  type GpuDescription,
  type GpuOptions,
} from '../gpu/context.ts';
import { CLOCK_HOLD_DEFAULTS, ClockHold, type ClockHoldStats } from '../gpu/clock-hold.ts';
import { timestampSelfTest } from '../gpu/timestamp-selftest.ts';
import { WARMUP_DEFAULTS, warmUpGpu } from '../gpu/warmup.ts';
import { DeviceLostError, UsageError } from '../errors.ts';
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
  type PresetAxes,
  type ReplaceDevice,
  type RunCallbacks,
  type RunOptions,
  type RunOutcome,
  type RunPlan,
  NO_TURNS,
  type Turn,
  type Turns,
} from '../run.ts';
import { caseId, type SamplingOptions } from '../measure/run-case.ts';
import { calibrate, estimateFloorMs, type Calibration } from '../measure/calibrate.ts';
import {
  TIMESTAMP_COST_DEFAULTS,
  costNsPerTimedPass,
  measureTimestampCost,
  type TimestampCostRecord,
} from '../measure/timestamp-cost.ts';
import { GcWatch } from '../measure/host-noise.ts';
import { ROUND_FLOOR } from '../measure/schedule.ts';
import { SELF_CHECK_DEFAULTS, selfCheck, type SelfCheckRow } from '../measure/self-check.ts';
import type { PlannedCase } from '../report/console.ts';
import type { RunSampling } from './processes.ts';
import { completionWay, type BenchArgs } from './bench-options.ts';
import { STRATEGIES, strategyById } from '../strategies/index.ts';
import type { Strategy } from '../strategies/types.ts';
import type { PresetFlag, Workload } from '../workloads/types.ts';
import { WORKLOADS, workloadById } from '../workloads/index.ts';
import { unverifiedUserKernel } from '../workloads/user-shader.ts';

/** Where the set-up says what it is doing (a status line), and what the user must know. */
export interface SetupStatus {
  say(text: string): void;
  clear(): void;
  /** One line for the user (a CLI's stderr, a page's notes). */
  warn(line: string): void;
}

/** The clock hold of a run, or why it has none. */
interface HoldState {
  hold: ClockHold | undefined;
  off: string;
}

async function openClockHold(
  ctx: GpuContext,
  wanted: boolean,
  timestamps: boolean,
  spinInFlight: number,
): Promise<HoldState> {
  if (!wanted) return { hold: undefined, off: '--no-clock-hold' };
  // A CPU adapter's clock is the host's: the probe reads its scheduling noise, not a governor.
  if (ctx.adapterInfo.isFallbackAdapter) return { hold: undefined, off: 'CPU adapter' };
  if (!timestamps) return { hold: undefined, off: 'no usable timestamps' };
  const hold = await ClockHold.open(ctx, CLOCK_HOLD_DEFAULTS, spinInFlight);
  if (hold === undefined) return { hold: undefined, off: 'no timestamp queries' };
  await hold.calibrate();
  return { hold, off: '' };
}

const clockHoldRecord = (state: HoldState): ClockHoldStats | { off: string } =>
  state.hold?.summary() ?? { off: state.off };

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
function chosenSampling(
  args: BenchArgs,
  profile: Profile,
  run: RunSampling | undefined,
): SamplingOptions {
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
export function benchPlan(
  args: BenchArgs,
  user?: Workload,
  run?: RunSampling,
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
  const sampling = chosenSampling(args, profile, run);
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
 * The watchdog of the set-up's own measurements (the calibration, the timestamp cost): --stall-timeout
 * bounds a case's executions, and these are of fixed size; a CPU adapter on a busy host may take
 * longer than a short watchdog over the calibration's 2^20 elements × 4 kernels (about 80 ms on
 * lavapipe here, over 300 ms on a loaded CI runner), and ending the run or going without the
 * timestamp cost there helps nobody: they keep the default bound where the user's is shorter.
 */
const setUpWatchdogMs = (plan: RunPlan): number =>
  Math.max(plan.sampling.stallTimeoutMs, STALL_TIMEOUT_MS);

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
  run: RunSampling | undefined,
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
  const calibration = await calibrate(ctx, { stallTimeoutMs: setUpWatchdogMs(plan), completion });
  // A case's cost over the whole run (in a process of a run of several, the run's, not its share).
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
function plannedCases(
  ctx: GpuContext,
  plan: RunPlan,
  calibration: Calibration | null,
): PlannedCase[] {
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
  return cases;
}

/** `--peak-gbps`, or undefined where not given (src/gpu/peak-bandwidth.ts has the table). */
export function peakOverride(args: BenchArgs): number | undefined {
  const text = args['peak-gbps'];
  return text === undefined
    ? undefined
    : parseInteger('peak-gbps', text, { min: 1, max: 1_000_000 });
}

/** `--case-budget` in ms (0: none), or undefined for the adapter's default. */
export function caseBudget(args: BenchArgs): number | undefined {
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
  status: SetupStatus,
  run: RunSampling | undefined,
): Promise<GpuSetup> {
  checkPlanLimits(ctx, plan);
  for (const workload of plan.workloads) {
    const problem = await workload.check?.(ctx.device);
    if (problem !== undefined) throw new UsageError(problem);
  }
  status.clear();
  if (user !== undefined && unverifiedUserKernel(user))
    status.warn(
      `${user.id} has no --reference: its results are timed but not verified (every output says so)`,
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
  if (!selfTest.ok) status.warn(`${selfTest.message}; GPU columns are not measured`);
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
      stallTimeoutMs: setUpWatchdogMs(plan),
    });
  }
  const hold = dry
    ? { hold: undefined, off: 'dry run' }
    : await openClockHold(ctx, args['clock-hold'], selfTest.ok && args.timestamps, warmup.inFlight);
  status.say('calibrating');
  const caseBudgetMs =
    caseBudget(args) ?? CASE_BUDGET_MS[ctx.adapterInfo.isFallbackAdapter ? 'cpu' : 'gpu'];
  const calibration = await fitPlan(ctx, plan, caseBudgetMs, completionWay(args), run);
  checkSomethingLeft(ctx, plan);
  status.clear();
  return { ctx, retired: [], selfTest, warmupOptions, warmup, timestampCost, hold, calibration };
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
  gpuOptions: GpuOptions,
): Promise<{ ctx: GpuContext; clockHold: ClockHold | undefined }> {
  gpu.retired.push(old);
  gpu.ctx = await openGpu(gpuOptions);
  const warmup = await warmUpGpu(gpu.ctx, gpu.warmupOptions);
  const timestamps = gpu.selfTest.ok && args.timestamps;
  gpu.hold = await openClockHold(gpu.ctx, args['clock-hold'], timestamps, warmup.inFlight);
  return { ctx: gpu.ctx, clockHold: gpu.hold.hold };
}

/** The timestamp cost measured again before every round: fewer repeats than at start-up. */
const ROUND_TIMESTAMP_COST = { ...TIMESTAMP_COST_DEFAULTS, repeats: 3, warmups: 1 };
/** What the set-up measured before the first case, as the run folder records it. */
export interface SideSetup {
  gpu: GpuDescription;
  selfTest: GpuSetup['selfTest'];
  warmup: GpuSetup['warmup'];
  timestampCost: TimestampCostRecord;
  clockHold: ClockHoldStats | { off: string };
  calibration: GpuSetup['calibration'];
  /** What the plan's sampling should take, and how many of its cases run (planEstimate). */
  estimate: { ms: number | null; running: number; cases: number };
  /** `--dry-run`'s rows (empty without --dry-run). */
  planned: PlannedCase[];
}

/** A device replaced after a wedged queue, with what the given-up device's clock hold had done. */
export type SideReplacement = DeviceReplacement & { clockHoldBefore: object };

/** runPlan's callbacks as a measuring side gives them. */
export type SideCallbacks = Omit<RunCallbacks, 'onDeviceReplaced'> & {
  onDeviceReplaced?(replacement: SideReplacement): void;
};

/**
 * Where `bench` measures: this process's GPU (localSide) or a browser page's
 * (src/commands/page-server.ts). The methods are called in this order, each at most once;
 * `close` always.
 */
export interface GpuSide {
  /** Opens the adapter and measures all that comes before the first case (setUpGpu). */
  setUp(): Promise<SideSetup>;
  /** The plan's cases (runPlan); a lost device throws DeviceLostError. */
  measure(callbacks: SideCallbacks, shouldStop: () => boolean): Promise<RunOutcome>;
  /** The clock hold's figures so far, or why there is none. */
  clockHold(): ClockHoldStats | { off: string };
  selfCheck(): Promise<SelfCheckRow[]>;
  /** The bandwidth reference; a lost device throws DeviceLostError, any other failure its own. */
  bandwidth(): Promise<BandwidthRow[]>;
  close(): Promise<void>;
  /** What context.json adds for this side, once set up: a browser's `browser` record. */
  record?(): { browser?: object };
}

/** What `localSide` is given besides the options and the plan. */
interface LocalSideOptions {
  gpuOptions: GpuOptions;
  status: SetupStatus;
  user?: Workload | undefined;
  /** In a process of a run of several: the whole run's sampling. */
  run?: RunSampling | undefined;
  /** Its GPU work in turns beside another process's (`ab --interleave visits`); at once without. */
  turns?: Turns | undefined;
}

/** How long closing a device may wait for its queue to go idle. */
const CLOSE_BOUND_MS = 5000;

/** The description of `ctx` a run records (context.json), with this runtime's. */
function describeGpu(ctx: GpuContext): GpuDescription {
  const { adapterInfo, features, limits, toggles, instanceFlags, backend, hasTimestamps } = ctx;
  return {
    adapterInfo,
    features,
    limits,
    toggles,
    instanceFlags,
    backend,
    hasTimestamps,
    runtime: currentRuntime(),
    gcWatched: GcWatch.supported(),
  };
}

/** The measuring side on this process's GPU. */
export function localSide(args: BenchArgs, plan: RunPlan, options: LocalSideOptions): GpuSide {
  let opened: GpuContext | undefined;
  let gpu: GpuSetup | undefined;
  const ready = (): GpuSetup => {
    if (gpu === undefined) throw new Error('the GPU is not set up');
    return gpu;
  };
  const turns = options.turns ?? NO_TURNS;
  return {
    async setUp() {
      options.status.say('opening the adapter');
      gpu = await turns.take(async () => {
        opened = await openGpu(options.gpuOptions);
        return setUpGpu(opened, args, plan, options.user, options.status, options.run);
      });
      const { ctx, calibration } = gpu;
      return {
        gpu: describeGpu(ctx),
        selfTest: gpu.selfTest,
        warmup: gpu.warmup,
        timestampCost: gpu.timestampCost,
        clockHold: clockHoldRecord(gpu.hold),
        calibration,
        estimate: planEstimate(ctx, plan, calibration),
        planned: args['dry-run'] === true ? plannedCases(ctx, plan, calibration) : [],
      };
    },
    measure: (callbacks, shouldStop) =>
      measureOnGpu(args, plan, ready(), options.gpuOptions, callbacks, shouldStop, turns.take),
    clockHold: () => (gpu === undefined ? { off: 'no GPU' } : clockHoldRecord(gpu.hold)),
    selfCheck: () =>
      turns.take(() =>
        selfCheck(ready().ctx, {
          ...SELF_CHECK_DEFAULTS,
          stallTimeoutMs: plan.sampling.stallTimeoutMs,
        }),
      ),
    bandwidth: () => turns.take(() => bandwidthReference(args, plan, ready())),
    async close() {
      // The clock hold lives until here: the bandwidth reference checks the clock with it.
      gpu?.hold.hold?.destroy();
      // Bounded: a device whose queue never drains is left alive rather than hang the process.
      const devices = gpu === undefined ? [opened] : [...gpu.retired, gpu.ctx];
      try {
        for (const device of devices)
          if (device !== undefined) await closeWhenIdle(device, CLOSE_BOUND_MS);
      } finally {
        turns.finish();
      }
    },
  };
}

/**
 * The plan's cases on the set-up GPU (runPlan), replacing the device after a wedged queue; the
 * clock hold is let go when the side closes (its figures stay readable).
 */
async function measureOnGpu(
  args: BenchArgs,
  plan: RunPlan,
  gpu: GpuSetup,
  gpuOptions: GpuOptions,
  callbacks: SideCallbacks,
  shouldStop: () => boolean,
  turn: Turn,
): Promise<RunOutcome> {
  let holdBefore: object = {};
  const replaceDevice: ReplaceDevice = async (old) => {
    holdBefore = clockHoldRecord(gpu.hold);
    // its figures stay readable; its probe and spin kernel go with the old device
    gpu.hold.hold?.destroy();
    return replaceGpu(args, gpu, old, gpuOptions);
  };
  return runPlan(
    gpu.ctx,
    plan,
    { ...runOptions(args, gpu, replaceDevice), turn },
    {
      ...callbacks,
      onDeviceReplaced: (r) => callbacks.onDeviceReplaced?.({ ...r, clockHoldBefore: holdBefore }),
    },
    shouldStop,
  );
}

/**
 * The bandwidth reference (a smaller one on a CPU adapter, which moves well under 1 GB/s); a
 * failure on a device lost meanwhile is the loss.
 */
async function bandwidthReference(
  args: BenchArgs,
  plan: RunPlan,
  gpu: GpuSetup,
): Promise<BandwidthRow[]> {
  const peak = peakBandwidth(gpu.ctx.adapterInfo, peakOverride(args));
  const options = gpu.ctx.adapterInfo.isFallbackAdapter
    ? { ...BANDWIDTH_DEFAULTS, bytes: 16 * 2 ** 20, repeats: 2, samples: 3, peak, seed: plan.seed }
    : { ...BANDWIDTH_DEFAULTS, peak, seed: plan.seed };
  const { selfTest } = gpu;
  const resolve = selfTest.ok && args.timestamps ? selfTest.resolveMode : undefined;
  const hold = gpu.hold.hold;
  try {
    return await measureBandwidth(
      gpu.ctx,
      {
        ...options,
        beforeRound:
          hold === undefined
            ? undefined
            : async () => {
                await hold.check();
                return hold.latestChainUs;
              },
      },
      resolve,
    );
  } catch (error) {
    if (error instanceof DeviceLostError) throw error;
    throw lostError(gpu.ctx) ?? error;
  }
}
