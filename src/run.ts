/**
 * Runs a plan: the cases of every (workload, parameters) group, in rounds spread over the run,
 * the strategies of a group interleaved within each visit (src/measure/schedule.ts says when
 * what is measured). A group's input and CPU reference come from its seed; each strategy is
 * verified against the reference before any of its samples count. Never prints: progress and
 * results go to the caller's callbacks.
 */
import { asDeviceLost, lostError, withErrorScopes, type GpuContext } from './gpu/context.ts';
import { DeviceLostError, QueueWedgedError, errorMessage } from './errors.ts';
import {
  atRunState,
  CaseRunner,
  StallError,
  workloadLabel,
  newCaseResult,
  type CaseInput,
  type Expected,
  type SamplingOptions,
} from './measure/run-case.ts';
import { DriftProbe, type DriftRow } from './measure/drift.ts';
import { visitStateVariance } from './stats/state.ts';
import { within } from './stats/clock.ts';
import { pairWithBaselines } from './stats/paired.ts';
import type { ClockHold } from './gpu/clock-hold.ts';
import { GcWatch, collectGarbage, perfNowMs } from './measure/host-noise.ts';
import { floorShare, roundRandom, visit, visitOrder } from './measure/schedule.ts';
import { nowNs } from './stats/clock.ts';
import type { CaseResult, Sample } from './stats/result.ts';
import type { Strategy } from './strategies/types.ts';
import type { ResolveMode } from './gpu/timestamps.ts';
import { seededRandom } from './workloads/random.ts';
import type { CaseParams, PreparedCase, Workload } from './workloads/types.ts';
import type { CompletionWay } from './strategies/completion.ts';

/**
 * A preset workload's axes as its flags give them (Workload.presets.flags): `elements` and
 * `kernels` replace every preset's own, and each preset runs at each `extra` value (its own
 * axis, Workload.presets.withAxis: `decode`'s vocabulary).
 */
export interface PresetAxes {
  elements?: readonly number[];
  kernels?: readonly number[];
  extra?: readonly number[];
}

export interface RunPlan {
  workloads: readonly Workload[];
  strategies: readonly Strategy[];
  elements: readonly number[];
  kernels: readonly number[];
  intensity: readonly number[];
  workgroupSize: readonly number[];
  /** Per-workload axes replacing the plan's (a profile's smaller slice for slow workloads). */
  slices?: Readonly<Record<string, AxisSlice | readonly AxisSlice[]>> | undefined;
  /** 0 = derived per case. */
  persistentWorkgroups: number;
  /**
   * Workloads with named shapes (`decode`): which presets to run (default: all of the
   * workload's).
   */
  presets?: readonly string[] | undefined;
  /** Per workload with presets, by id: the axes its own flags gave (otherwise each preset's). */
  presetAxes?: Readonly<Record<string, PresetAxes>> | undefined;
  sampling: SamplingOptions;
  verify: boolean;
  seed: number;
  /** Why a case is left out on this adapter (the plan-fitting estimate), or undefined. */
  skip?:
    | ((workload: Workload, strategy: Strategy, params: CaseParams) => string | undefined)
    | undefined;
}

export interface AxisSlice {
  elements?: readonly number[];
  kernels?: readonly number[];
  intensity?: readonly number[];
  workgroupSize?: readonly number[];
}

export interface PlannedGroup {
  workload: Workload;
  params: CaseParams;
}

/** Where the run is: the visit about to start. */
export interface RunProgress {
  round: number;
  rounds: number;
  /** Visits done so far, of `visits` in the whole run. */
  visitsDone: number;
  visits: number;
  /** The group about to be visited, e.g. map/e64/k1000/i0/wg64. */
  group: string;
}

export interface RunCallbacks {
  onVisit?(progress: RunProgress): void;
  /**
   * After every visit: the cases it changed (their results refreshed from every sample so far)
   * and the samples it added. Each case is reported again after each of its visits.
   */
  onCases(results: readonly CaseResult[], samples: readonly Sample[]): void;
  /** A drift probe's row, before the first round, between rounds and after the last. */
  onDrift?(row: DriftRow): void;
  /** The device was replaced after a wedged queue (RunOptions.replaceDevice). */
  onDeviceReplaced?(replacement: DeviceReplacement): void;
}

/** Above this many CPU operations the reference checks a random subset of the elements. */
const FULL_REFERENCE_OPS = 2e8;
const SUBSET_EDGE = 1024;
const SUBSET_RANDOM = 2048;

/**
 * Persistent workgroups when none are given: enough invocations to fill a large GPU (132 SMs ×
 * 16 resident 64-invocation workgroups ≈ 2 000 on an H100, so 131 072 invocations: 2048
 * workgroups of 64, 512 of 256), capped by the work available. WebGPU exposes no
 * multiprocessor count; `--persistent-workgroups` overrides it.
 */
export function defaultPersistentWorkgroups(ctx: GpuContext, workgroupSize = 64): number {
  if (ctx.adapterInfo.isFallbackAdapter) return 16;
  return Math.max(1, Math.floor((2048 * 64) / workgroupSize));
}

export function planGroups(plan: RunPlan): PlannedGroup[] {
  const groups: PlannedGroup[] = [];
  for (const workload of plan.workloads) {
    // A workload's slice, or a list of them (the union of their cross products).
    const given = plan.slices?.[workload.id];
    const slices: readonly AxisSlice[] =
      given === undefined ? [{}] : Array.isArray(given) ? given : [given as AxisSlice];
    interface Shape {
      preset: string | undefined;
      elements: readonly number[];
      kernels: readonly number[];
      intensity: readonly number[];
      workgroupSize: readonly number[];
    }
    const shapes = slices.flatMap((slice): Shape[] => {
      const rest = {
        intensity: slice.intensity ?? plan.intensity,
        workgroupSize: slice.workgroupSize ?? plan.workgroupSize,
      };
      if (workload.presets === undefined)
        return [
          {
            preset: undefined,
            elements: slice.elements ?? plan.elements,
            kernels: slice.kernels ?? plan.kernels,
            ...rest,
          },
        ];
      // The presets named that are this workload's (--preset lists every workload's); its
      // defaults where none is.
      const mine = plan.presets?.filter((p) => workload.presets?.names.includes(p)) ?? [];
      const named = mine.length > 0 ? mine : workload.presets.defaults;
      const given = plan.presetAxes?.[workload.id];
      const extra = given?.extra;
      const presets =
        extra === undefined
          ? named
          : named.flatMap((p) => extra.map((v) => workload.presets?.withAxis?.(p, v) ?? p));
      return presets.map((preset) => {
        const own = workload.presets?.axes(preset);
        return {
          preset,
          elements: given?.elements ?? [own?.elements ?? 1],
          kernels: given?.kernels ?? [own?.kernels ?? 1],
          ...rest,
        };
      });
    });
    for (const shape of shapes)
      for (const elements of shape.elements)
        for (const kernels of shape.kernels)
          for (const intensity of shape.intensity)
            for (const workgroupSize of shape.workgroupSize)
              groups.push({
                workload,
                params: {
                  elements,
                  kernels,
                  intensity,
                  workgroupSize,
                  persistentWorkgroups: plan.persistentWorkgroups,
                  ...(shape.preset === undefined ? {} : { preset: shape.preset }),
                },
              });
  }
  return groups;
}

/** Why `strategy` cannot run this group, or undefined when it can. */
export function notApplicable(
  workload: Workload,
  strategy: Strategy,
  params: CaseParams,
  limits: Record<string, number>,
): string | undefined {
  const offer = workload.programs[strategy.program];
  if (offer !== true) return offer ?? `${workload.id} has no ${strategy.program} program`;
  return (
    workload.programUnavailable?.(strategy.program, params, limits) ??
    strategy.notApplicable?.(workload, params)
  );
}

/** Why this case does not run in `plan` on this adapter (not applicable, or left out), if so. */
export function whyLeftOut(
  plan: RunPlan,
  workload: Workload,
  strategy: Strategy,
  params: CaseParams,
  limits: Record<string, number>,
): string | undefined {
  return (
    notApplicable(workload, strategy, params, limits) ?? plan.skip?.(workload, strategy, params)
  );
}

function expectedOutput(
  workload: Workload,
  params: CaseParams,
  input: Uint32Array,
  seed: number,
): Expected {
  if (workload.referenceCost(params) <= FULL_REFERENCE_OPS) {
    return { values: workload.reference(input, params) };
  }
  const length = workload.outputLength?.(params) ?? params.elements;
  const random = seededRandom(seed ^ 0x5bd1e995);
  const picked = new Set<number>();
  for (let i = 0; i < Math.min(SUBSET_EDGE, length); i++) {
    picked.add(i);
    picked.add(length - 1 - i);
  }
  for (let i = 0; i < SUBSET_RANDOM; i++) picked.add(random() % length);
  const indices = Uint32Array.from([...picked].sort((a, b) => a - b));
  return { values: workload.reference(input, params, indices), indices };
}

function groupSeed(seed: number, index: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
}

/**
 * Fault injection for the device-loss test: with LAUNCHBENCH_FAULT_DESTROY_DEVICE_AFTER=N set, the
 * device is destroyed after the N-th visit is recorded, as if it had been lost mid-run.
 */
function faultAfterVisits(): number | undefined {
  const raw = process.env['LAUNCHBENCH_FAULT_DESTROY_DEVICE_AFTER'];
  return raw === undefined || raw === '' ? undefined : Number(raw);
}

export interface RunOutcome {
  results: CaseResult[];
  interrupted: boolean;
}

/** A device given up after its queue did not drain, and replaced by a fresh one. */
export interface DeviceReplacement {
  /** Seconds since the run started. */
  atS: number;
  round: number;
  /** The group whose visit wedged the queue. */
  group: string;
  reason: string;
}

/** What a run needs to go on after a wedged queue: a fresh device and its clock hold. */
export type ReplaceDevice = (
  old: GpuContext,
  reason: string,
) => Promise<{ ctx: GpuContext; clockHold: ClockHold | undefined }>;

/** A run replaces its device at most this many times; the next wedged queue ends it (exit 4). */
export const MAX_DEVICE_REPLACEMENTS = 2;

const groupLabel = (workload: Workload, p: CaseParams): string =>
  `${workloadLabel(workload.id, p)}/e${p.elements}/k${p.kernels}/i${p.intensity}/wg${p.workgroupSize}`;

/** One group's state across the run. */
interface GroupState {
  workload: Workload;
  params: CaseParams;
  seed: number;
  /** Every case of the group, applicable or not, in the plan's strategy order. */
  results: CaseResult[];
  runners: CaseRunner[];
  /** The group's buffers and its runners' executions while they stay open between visits. */
  prepared: PreparedCase | undefined;
  /** The device its strategies were last verified on (again on a fresh one after a replacement). */
  verifiedOn?: GpuContext;
  /**
   * The reference, kept for the cases whose program relies on co-residency (whose correctness
   * across workgroups rests on what GPUs do, not on what WGSL promises): they are checked again
   * after every visit (CaseRunner.recheck).
   */
  recheck?: Expected;
  /** The spacer its buffers were created after, while it is prepared (freshGroups). */
  spacer?: GPUBuffer | undefined;
}

/**
 * Groups stay prepared between their visits (buffers, pipelines, the runners' executions and
 * query sets) while the buffers of all that stay so (`Workload.deviceBytes`; the runners' query
 * sets and read-back buffers come on top) come to at most this much: a visit then costs its
 * warm-up and samples only. Past it (large sweeps) a group is prepared anew for each visit, and
 * a group that fails to prepare first frees the others.
 */
const RESIDENT_BYTES = 1 << 30;

/**
 * A diagnostic (issue 19; docs/findings.md, "An identical default pair at 3be2534"): with
 * LAUNCHBENCH_FRESH_GROUPS=1 (passed to a page too: measuringEnv) no group stays prepared
 * between visits, and each visit creates the group's buffers after a spacer buffer of a size
 * drawn from the group's seed and the round (256 B to 2 MiB), so that they lie elsewhere in the
 * GPU's memory each round. A cost that depends on where a group's buffers lie (a case's GPU busy
 * held at one level for a whole run and at another in the next) then varies between rounds and
 * shows in the repeat interval, as it did between the processes of a run of several.
 */
export const FRESH_GROUPS_ENV = 'LAUNCHBENCH_FRESH_GROUPS';
const freshGroups = (): boolean => process.env[FRESH_GROUPS_ENV] === '1';
const SPACER_STEP_BYTES = 256;
const SPACER_STEPS = 8192;

/** Frees a group's buffers and its runners' executions. */
function release(group: GroupState): void {
  for (const r of group.runners) r.close();
  group.prepared?.destroy();
  group.prepared = undefined;
  group.spacer?.destroy();
  group.spacer = undefined;
}

/**
 * Prepares a group for a visit, unless it is still prepared from its last one: buffers and
 * input from the group's seed, every runner opened, and in the first round (and on a fresh
 * device) each strategy verified against the CPU reference. If preparing fails while other
 * groups are kept prepared, `freeKept` releases them (returning whether it freed any) and it is
 * tried once more.
 * Undefined when preparing failed (its cases fail with it).
 */
async function openGroup(
  ctx: GpuContext,
  plan: RunPlan,
  group: GroupState,
  round: number,
  freeKept: () => boolean,
): Promise<PreparedCase | undefined> {
  if (group.prepared !== undefined) return group.prepared;
  const { workload, params, seed } = group;
  const runners = group.runners.filter((r) => r.result.status === 'ok');
  const input = workload.makeInput(params, seededRandom(seed));
  try {
    group.prepared = await withErrorScopes(ctx.device, () => {
      if (freshGroups()) {
        const steps = 1 + Math.floor((roundRandom(seed, round, 3)() / 2 ** 32) * SPACER_STEPS);
        group.spacer = ctx.device.createBuffer({
          label: 'launchbench fresh-groups spacer',
          size: steps * SPACER_STEP_BYTES,
          usage: GPUBufferUsage.STORAGE,
        });
      }
      return workload.prepare(ctx.device, params, ctx.limits);
    });
  } catch (error) {
    group.spacer?.destroy();
    group.spacer = undefined;
    const cause = await asDeviceLost(ctx, error);
    if (cause instanceof DeviceLostError) throw cause;
    // Out of memory with other groups kept prepared: free them and try once more.
    if (freeKept()) return openGroup(ctx, plan, group, round, () => false);
    for (const r of runners) r.fail(`prepare: ${errorMessage(error)}`);
    return undefined;
  }
  const prepared = group.prepared;
  prepared.writeInput(input);
  for (const r of runners) await r.open(prepared);
  if (plan.verify && group.verifiedOn !== ctx) {
    // The reference is computed in the first round (and again on a fresh device after a
    // replacement) and dropped after it.
    const expected = expectedOutput(workload, params, input, seed);
    for (const r of runners) {
      await r.verify(prepared, input, expected);
      // How many devices it was verified on (more than one after a replacement).
      if (r.result.status === 'ok' && group.verifiedOn !== undefined)
        r.result.notes = {
          ...r.result.notes,
          verifiedDevices: Number(r.result.notes['verifiedDevices'] ?? 1) + 1,
        };
    }
    group.verifiedOn = ctx;
    if (runners.some((r) => r.result.notes['reliesOn'] !== undefined)) group.recheck = expected;
  }
  return prepared;
}

/**
 * Waits until a stalled execution has ended and the queue has finished what was submitted, at
 * most `boundMs`; whether they did.
 */
async function drained(ctx: GpuContext, stall: StallError, boundMs: number): Promise<boolean> {
  return within(
    stall.settled.then(() => ctx.device.queue.onSubmittedWorkDone()),
    boundMs,
  );
}

/**
 * One visit of a group: prepare (or reuse), interleaved samples, then keep or free. A stalled
 * execution (its case has failed) ends the visit; nothing is freed or submitted until the queue
 * has drained what it left, and a queue that does not drain within the stall timeout throws
 * QueueWedgedError: the run replaces the device where it can (runPlan), else it ends as on a
 * lost device, keeping what was measured.
 */
async function visitGroup(
  ctx: GpuContext,
  plan: RunPlan,
  group: GroupState,
  round: number,
  keep: boolean,
  freeKept: () => boolean,
  shouldStop: () => boolean,
  clockHold: ClockHold | undefined,
  stateProbe: (() => Promise<number | undefined>) | undefined,
): Promise<number | undefined> {
  let wedged = false;
  let state: number | undefined;
  try {
    if (!group.runners.some((r) => r.result.status === 'ok')) return undefined;
    const prepared = await openGroup(ctx, plan, group, round, freeKept);
    if (prepared === undefined) return undefined;
    const runners = group.runners.filter((r) => r.active);
    const { sampling } = plan;
    const rounds = sampling.rounds;
    state = await visit(
      runners,
      {
        round,
        warmupMs: sampling.warmupMs,
        firstVisit: round === 0,
        minWarmup: sampling.minWarmup,
        settle: sampling.settle,
        samplingMs: (sampling.maxTimeMs * runners.length) / rounds,
        floor: (r, kind) =>
          floorShare(sampling.minSamples, r.count(kind) - r.count(kind, round), round, rounds),
        cap: () => Math.ceil(sampling.maxSamples / rounds),
        shouldStop,
        ...(clockHold === undefined ? {} : { beforeTurn: () => clockHold.tick() }),
        ...(stateProbe === undefined ? {} : { probe: stateProbe }),
      },
      // Its own turn orders for each group and round (from the group's seed).
      roundRandom(group.seed, round, 2),
    );
    // The status is the group's (a grid barrier's flag): only a program that relies on an
    // assumption WebGPU does not guarantee can set it, so only such a case reads it, and runs
    // once more against the reference (a race its barrier did not order would show there).
    for (const r of runners)
      if (r.result.notes['reliesOn'] !== undefined) await r.recheck(prepared, group.recheck);
  } catch (error) {
    if (!(error instanceof StallError)) throw error;
    const boundMs = plan.sampling.stallTimeoutMs;
    if (!(await drained(ctx, error, boundMs))) {
      // A device that was lost meanwhile is that, not a wedged queue.
      const lost = lostError(ctx);
      if (lost !== undefined) throw lost;
      wedged = true;
      for (const r of group.runners) r.abandon();
      group.prepared = undefined;
      group.spacer = undefined;
      throw new QueueWedgedError(
        `the GPU queue did not drain within ${boundMs / 1000} s after a stalled execution (${error.message})`,
      );
    }
    // Drained: the stalled case's objects can go now; the others carry on in later rounds.
    for (const r of group.runners) if (r.result.status === 'failed') r.close();
  } finally {
    // A queue that did not drain may still use the group's objects: they go with the device.
    if (!keep && !wedged) release(group);
  }
  return state;
}

/** Runs one step of GPU work when it may (a turn beside another run); its value or its error. */
export type Turn = <T>(step: () => Promise<T>) => Promise<T>;

/** A measuring side's turns (src/commands/turns.ts): each step taken, and the end of them. */
export interface Turns {
  take: Turn;
  /** This side takes no more turns: the other goes on without waiting. */
  finish(): void;
}

/** Every step at once: a run that takes no turns. */
export const NO_TURNS: Turns = { take: (step) => step(), finish: () => undefined };

/** Options of one run besides the plan. */
export interface RunOptions {
  /** Resolve mode of GPU samples; undefined takes wall samples only. */
  timestamps: ResolveMode | undefined;
  /** Measure the drift probe between rounds (drift.csv). */
  drift: boolean;
  /** How every strategy waits for the GPU; onSubmittedWorkDone when undefined. */
  completion?: CompletionWay | undefined;
  /** Holds the shader clock between turns (src/gpu/clock-hold.ts); none when undefined. */
  clockHold?: ClockHold | undefined;
  /**
   * Opens a fresh device when the queue did not drain after a stalled execution; without it
   * such a run ends as if the device were lost.
   */
  replaceDevice?: ReplaceDevice | undefined;
  /** GPU busy a timed pass adds, ns (src/measure/timestamp-cost.ts); undefined: not measured. */
  timestampCostNsPerPass?: number | undefined;
  /**
   * Measures that cost again, ns (undefined when it gave nothing), before every round with the
   * drift probe: it moved by 7% between two runs on the H200 (4.61 and 4.93 µs), and it is
   * subtracted K − 1 times from a per-pass strategy's GPU busy, so a round's samples use the cost
   * measured right before the round (the drift row's `timestampCostUs`).
   */
  remeasureTimestampCost?: (() => Promise<number | undefined>) | undefined;
  /**
   * Takes each step that uses the GPU (the first drift probe, each visit with the probe after it
   * where it ends a round) in this run's turn, beside another run's (`ab --interleave visits`,
   * src/commands/turns.ts); every step at once when undefined.
   */
  turn?: Turn | undefined;
}

/**
 * Every group of the plan with its cases: a runner for each case that applies (made by
 * `runner`), a not-applicable result with its reason for each that does not.
 */
function groupStates(
  ctx: GpuContext,
  plan: RunPlan,
  runner: (workload: Workload, strategy: Strategy, params: CaseParams) => CaseRunner,
): GroupState[] {
  return planGroups(plan).map(({ workload, params: planned }, g) => {
    const params: CaseParams = {
      ...planned,
      persistentWorkgroups:
        planned.persistentWorkgroups ||
        (workload.sizesPersistentGrid === true && !ctx.adapterInfo.isFallbackAdapter
          ? 0
          : defaultPersistentWorkgroups(ctx, planned.workgroupSize)),
    };
    const runners: CaseRunner[] = [];
    const results = plan.strategies.map((strategy) => {
      const reason = whyLeftOut(plan, workload, strategy, params, ctx.limits);
      if (reason !== undefined)
        return newCaseResult(workload, strategy, params, 'not-applicable', reason);
      const made = runner(workload, strategy, params);
      runners.push(made);
      return made.result;
    });
    return {
      workload,
      params,
      seed: groupSeed(plan.seed, g),
      results,
      runners,
      prepared: undefined,
    };
  });
}

/**
 * The groups that stay prepared between visits: in plan order, while they fit RESIDENT_BYTES
 * (none with LAUNCHBENCH_FRESH_GROUPS=1).
 */
function residentGroups(groups: readonly GroupState[]): Set<GroupState> {
  const resident = new Set<GroupState>();
  if (freshGroups()) return resident;
  let residentBytes = 0;
  for (const group of groups) {
    const bytes = group.workload.deviceBytes(group.params);
    if (residentBytes + bytes > RESIDENT_BYTES) continue;
    resident.add(group);
    residentBytes += bytes;
  }
  return resident;
}

/**
 * Runs the plan: every group visited once per round, in each round's own shuffled order, with
 * the drift probe between rounds and the state probe around every visit; the cases reported
 * after every visit (callbacks.onCases). A queue that does not drain after a stall gives the
 * device up for a fresh one (options.replaceDevice); a lost device ends the run
 * (DeviceLostError). `shouldStop` is read between samples: a stopped run says `interrupted`.
 */
export async function runPlan(
  initialCtx: GpuContext,
  plan: RunPlan,
  options: RunOptions,
  callbacks: RunCallbacks,
  shouldStop: () => boolean,
): Promise<RunOutcome> {
  return new PlanRun(initialCtx, plan, options, callbacks, shouldStop).run();
}

/** One run of a plan (runPlan): its device, groups and probes, and where it has got to. */
class PlanRun {
  private ctx: GpuContext;
  private hold: ClockHold | undefined;
  private probe: DriftProbe | undefined;
  private readonly originNs = nowNs();
  // Where the runtime reports collections (Node; not Deno): none are left out elsewhere.
  private readonly gcWatch = GcWatch.supported() ? new GcWatch() : undefined;
  private readonly groups: GroupState[];
  /** The groups that stay prepared between visits (residentGroups). */
  private readonly resident: Set<GroupState>;
  private readonly rounds: number;
  private readonly replacements: DeviceReplacement[] = [];
  /** Every visit's state so far, ns: how far the machine's states range (state.ts). */
  private readonly visitStates: number[] = [];
  private visitsDone = 0;
  private interrupted = false;

  constructor(
    initialCtx: GpuContext,
    private readonly plan: RunPlan,
    private readonly options: RunOptions,
    private readonly callbacks: RunCallbacks,
    private readonly shouldStop: () => boolean,
  ) {
    this.ctx = initialCtx;
    this.hold = options.clockHold;
    this.rounds = plan.sampling.rounds;
    const originMs = perfNowMs();
    this.groups = groupStates(initialCtx, plan, (workload, strategy, params) => {
      return new CaseRunner({
        ctx: initialCtx,
        workload,
        strategy,
        params,
        sampling: plan.sampling,
        timestamps: options.timestamps,
        completion: options.completion,
        timestampCostNsPerPass: options.timestampCostNsPerPass,
        gcWatch: this.gcWatch,
        originMs,
        ...(options.clockHold === undefined ? {} : { clockRel: () => this.hold?.clockRel ?? null }),
      });
    });
    this.resident = residentGroups(this.groups);
  }

  async run(): Promise<RunOutcome> {
    const destroyAfter = faultAfterVisits();
    const turn = this.options.turn ?? NO_TURNS.take;
    try {
      await turn(async () => {
        this.probe = await this.openProbe();
        await this.drift(0, 'start');
      });
      for (let round = 0; round < this.rounds && !this.interrupted; round++) {
        const order = visitOrder(this.groups.length, this.plan.seed, round);
        for (const [i, g] of order.entries()) {
          if (this.shouldStop()) {
            this.interrupted = true;
            break;
          }
          // The probe after a round is in its last visit's turn: as a turn of its own, it would
          // put A's visits always first (a visit and a probe a step, turns A B B A …).
          await turn(async () => {
            await this.visit(this.groups[g] as GroupState, round);
            if (this.visitsDone === destroyAfter) this.ctx.device.destroy();
            if (i === order.length - 1 && !this.interrupted) {
              const last = round === this.rounds - 1;
              await this.drift(round + 1, last ? 'end' : `after round ${round + 1}`);
            }
          });
        }
      }
    } catch (error) {
      throw await asDeviceLost(this.ctx, error);
    } finally {
      for (const group of this.groups) release(group);
      this.probe?.close();
      this.gcWatch?.close();
    }
    // A finished run's cases once more with every visit's state; an interrupted run's as its
    // last visits left them (only the visit cut short says 'interrupted').
    const results = this.groups.flatMap((g) => (this.interrupted ? g.results : this.summarised(g)));
    // Where the machine's state explains nearly all of the run's between-round variance, its
    // cases are stated at its typical state (src/measure/run-case.ts atRunState).
    if (!this.interrupted) atRunState(results, this.visitStates);
    return { results, interrupted: this.interrupted };
  }

  /** One visit of `group` in `round`, its cases reported after it; a wedged queue replaced. */
  private async visit(group: GroupState, round: number): Promise<void> {
    const { groups, rounds } = this;
    this.callbacks.onVisit?.({
      round,
      rounds,
      visitsDone: this.visitsDone,
      visits: groups.length * rounds,
      group: groupLabel(group.workload, group.params),
    });
    // A full collection now, outside every timed region, rather than one inside a sample.
    collectGarbage();
    const keep = this.resident.has(group) && round < rounds - 1;
    const freeKept = (): boolean => {
      const kept = groups.filter((g) => g !== group && g.prepared !== undefined);
      for (const g of kept) {
        release(g);
        this.resident.delete(g);
      }
      return kept.length > 0;
    };
    await this.hold?.check();
    const before = group.runners.map((r) => r.samples.length);
    let wedged: QueueWedgedError | undefined;
    try {
      const state = await visitGroup(
        this.ctx,
        this.plan,
        group,
        round,
        keep,
        freeKept,
        this.shouldStop,
        this.hold,
        this.options.drift
          ? () => this.unlessLost(async () => this.probe?.roundTripNs())
          : undefined,
      );
      if (state !== undefined) {
        this.visitStates.push(state);
        for (const r of group.runners) r.setState(round, state);
      }
    } catch (error) {
      if (!(error instanceof QueueWedgedError)) throw error;
      wedged = error;
    }
    const samples = group.runners.flatMap((r, i) => r.samples.slice(before[i] ?? 0));
    this.visitsDone++;
    this.interrupted = this.shouldStop();
    // The visit's cases and samples are reported whatever comes next.
    this.callbacks.onCases(this.summarised(group), samples);
    if (wedged !== undefined) await this.afterWedged(wedged, group, round);
  }

  /**
   * After a visit whose queue did not drain: a fresh device where one may be had and the run
   * goes on (at most MAX_DEVICE_REPLACEMENTS, never for nothing: not when it stops anyway);
   * otherwise the wedged queue ends the run.
   */
  private async afterWedged(wedged: QueueWedgedError, group: GroupState, round: number) {
    const last = this.visitsDone === this.groups.length * this.rounds;
    if (
      this.options.replaceDevice === undefined ||
      this.replacements.length >= MAX_DEVICE_REPLACEMENTS ||
      this.interrupted ||
      last
    )
      throw wedged;
    try {
      await this.replace(wedged, group, round);
    } catch (error) {
      throw new DeviceLostError(
        `${wedged.message}; no fresh device could be opened (${errorMessage(error)})`,
      );
    }
  }

  /**
   * After a wedged queue: every GPU object of the run stays with the old device (the queue may
   * still use them), each group is prepared anew on a fresh device when next visited, and the
   * cases carry on there. Each case's samples and results stay as they were.
   */
  private async replace(error: QueueWedgedError, group: GroupState, round: number) {
    for (const g of this.groups) {
      for (const r of g.runners) r.abandon();
      g.prepared = undefined;
      g.spacer = undefined;
    }
    const replacement: DeviceReplacement = {
      atS: (nowNs() - this.originNs) / 1e9,
      round,
      group: groupLabel(group.workload, group.params),
      reason: error.message,
    };
    const fresh = await (this.options.replaceDevice as ReplaceDevice)(this.ctx, error.message);
    this.ctx = fresh.ctx;
    this.hold = fresh.clockHold;
    for (const g of this.groups) for (const r of g.runners) r.setup.ctx = this.ctx;
    this.probe = await this.openProbe();
    // Its round trip warmed up before the next visit's states read it.
    for (let i = 0; i < 3; i++) await this.probe?.roundTripNs();
    this.replacements.push(replacement);
    this.callbacks.onDeviceReplaced?.(replacement);
  }

  private openProbe(): Promise<DriftProbe | undefined> {
    const { options, plan } = this;
    return options.drift
      ? DriftProbe.open(this.ctx, options.timestamps, plan.sampling.stallTimeoutMs, this.originNs)
      : Promise.resolve(undefined);
  }

  /**
   * `step`'s result, or undefined where it failed short of a lost device (a probe that outlasted
   * the watchdog on a loaded machine): what it measures is beside the cases, not one of them. A
   * failed state probe leaves its visit without a state, a failed drift probe its gap without a
   * row.
   */
  private async unlessLost<T>(step: () => Promise<T>): Promise<T | undefined> {
    try {
      return await step();
    } catch (error) {
      const cause = await asDeviceLost(this.ctx, error);
      if (cause instanceof DeviceLostError) throw cause;
      return undefined;
    }
  }

  /** The group's cases from every sample so far, with their paired ratios to the baselines. */
  private summarised(group: GroupState): CaseResult[] {
    const variance = visitStateVariance(this.visitStates);
    for (const r of group.runners) r.summarise(this.interrupted, variance);
    pairWithBaselines(group.runners.map((r) => ({ result: r.result, samples: r.samples })));
    return group.results;
  }

  /** A drift probe's row, with the timestamp cost measured beside it for the coming round. */
  private async drift(index: number, at: string): Promise<void> {
    const probe = this.probe;
    if (probe === undefined) return;
    const row = await this.unlessLost(() =>
      probe.measure(index, at, async () => {
        await this.hold?.check();
      }),
    );
    if (row === undefined) return;
    // Before round 0 the start-up measurement (timestampCostNsPerPass) stands: taken just now.
    const remeasure = this.options.remeasureTimestampCost;
    const costNs =
      index > 0 && index < this.rounds && remeasure !== undefined
        ? await this.unlessLost(remeasure)
        : undefined;
    if (costNs !== undefined)
      for (const g of this.groups) for (const r of g.runners) r.setTimestampCost(index, costNs);
    this.callbacks.onDrift?.({
      ...row,
      timestampCostUs: costNs === undefined ? null : costNs / 1e3,
    });
  }
}

/**
 * One case alone, in one round: verify, warm up, sample until the budget or the floor. For tests
 * and probes that measure a single strategy on a group they prepared themselves.
 */
export async function measureCase(
  input: CaseInput,
): Promise<{ result: CaseResult; samples: Sample[] }> {
  const sampling = { ...input.sampling, rounds: 1 };
  const runner = new CaseRunner({ ...input, sampling });
  try {
    await runner.open(input.prepared);
    if (input.verify) await runner.verify(input.prepared, input.input, input.expected);
    await visit(
      [runner],
      {
        round: 0,
        warmupMs: sampling.warmupMs,
        firstVisit: true,
        minWarmup: sampling.minWarmup,
        settle: sampling.settle,
        samplingMs: sampling.maxTimeMs,
        floor: () => sampling.minSamples,
        cap: () => sampling.maxSamples,
        shouldStop: input.shouldStop,
      },
      roundRandom(0, 0, 0),
    );
    await runner.checkStatus(input.prepared);
  } catch (error) {
    if (!(error instanceof StallError)) throw error;
    // The case has failed; its execution may still run: let it end (bounded) before freeing.
    await within(error.settled, sampling.stallTimeoutMs);
  } finally {
    runner.close();
  }
  return { result: runner.summarise(input.shouldStop()), samples: runner.samples };
}
