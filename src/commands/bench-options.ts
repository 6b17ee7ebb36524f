/**
 * bench's options, each written once: the yargs definitions (`bench --help` lists them in this
 * order; the GPU flags come from gpu-options.ts), and BenchArgs, the arguments as yargs gives
 * them, derived from those definitions. Shared by `bench`, the runs of several processes and `ab`
 * (src/commands/processes.ts).
 */
import type { Argv, InferredOptionTypes } from 'yargs';
import { PROFILES } from '../profiles.ts';
import { SCENARIOS } from '../scenarios.ts';
import { AXIS_LIMITS } from '../options.ts';
import { EXPORTS, type ExportOption } from '../report/export.ts';
import { STRATEGIES } from '../strategies/index.ts';
import { WORKLOADS } from '../workloads/index.ts';
import { COMPLETION_WAYS, type CompletionWay } from '../strategies/completion.ts';
import { UsageError } from '../errors.ts';
import { gpuFlags } from './gpu-options.ts';

/** --export-json, --export-benchmark-action, --export-markdown (src/report/export.ts). */
export const exportOptions = Object.fromEntries(
  EXPORTS.map((e) => [e.option, { type: 'string', describe: e.describe }]),
) as Record<ExportOption, { readonly type: 'string'; readonly describe: string }>;

/**
 * yargs definitions of bench's own options (the GPU flags come from gpuFlags), in the order
 * `bench --help` lists them.
 */
export const benchOptions = {
  scenario: {
    type: 'string',
    describe: `named experiment instead of --profile: ${Object.keys(SCENARIOS).join(', ')}`,
  },
  bandwidth: {
    type: 'boolean',
    describe:
      'afterwards, measure the bandwidth reference on 256 MiB: copyBufferToBuffer, the map kernel and the streaming kernels (default: on in the default, full and decode profiles)',
  },
  'peak-gbps': {
    type: 'string',
    describe:
      "the GPU's nominal memory bandwidth, GB/s, for the bandwidth reference's share of peak (default: from a small table of GPUs, src/gpu/peak-bandwidth.ts)",
  },
  profile: {
    type: 'string',
    default: 'default',
    describe: `case set: ${Object.keys(PROFILES).join(', ')}`,
  },
  out: { type: 'string', describe: 'run folder (default results/<run-id>)' },
  strategies: {
    type: 'string',
    describe: `comma-separated, or all: ${STRATEGIES.map((s) => s.id).join(', ')}`,
  },
  workloads: {
    type: 'string',
    describe: `comma-separated: ${WORKLOADS.map((w) => w.id).join(', ')}`,
  },
  elements: {
    type: 'string',
    describe:
      'elements per kernel: list and ranges, e.g. 64,1e6 or 64:1Mi:*4 (K, M, G: powers of 10; Ki, Mi, Gi: of 2)',
  },
  kernels: {
    type: 'string',
    describe: `kernels K per workload, ${AXIS_LIMITS.kernels.min}…${AXIS_LIMITS.kernels.max}`,
  },
  intensity: {
    type: 'string',
    describe: `integer mix rounds per element per kernel, ${AXIS_LIMITS.intensity.min}…${AXIS_LIMITS.intensity.max}`,
  },
  'workgroup-size': { type: 'string', describe: 'threads per workgroup' },
  'persistent-workgroups': {
    type: 'string',
    describe:
      'workgroups of the persistent kernel (default derived from the adapter; decode: as many as its probe finds co-resident)',
  },
  preset: {
    type: 'string',
    describe: `comma-separated named shapes of a workload that has them: ${WORKLOADS.flatMap((w) =>
      w.presets === undefined
        ? []
        : [`${w.id}: ${w.presets.names.join(', ')} (default ${w.presets.defaults.join(', ')})`],
    ).join('; ')}`,
  },
  shader: {
    type: 'string',
    describe:
      "measure your own WGSL kernel (the contract: src/workloads/user-shader.ts, examples/user-kernel/) instead of the profile's workloads",
  },
  entry: { type: 'string', describe: '--shader: its one-step entry point (default main)' },
  'fused-entry': {
    type: 'string',
    describe: '--shader: an entry point that runs all K steps in one dispatch (strategy fused)',
  },
  reference: {
    type: 'string',
    describe:
      '--shader: a TypeScript module exporting reference(input, { elements, kernels, intensity }): the expected array; without it nothing is verified',
  },
  ...exportOptions,
  processes: {
    type: 'string',
    describe:
      'share the rounds out over this many fresh processes, one after another, merged into one run: intervals then include what differs between processes (default 1)',
  },
  rounds: {
    type: 'string',
    describe:
      "visit the whole plan this many times, spread over the run (default: the profile's, 5 in quick, 6 in default, 5 in decode)",
  },
  settle: {
    type: 'string',
    describe:
      'untimed executions of the same case right before each timed sample, 0…10 (default 0): each sample starts in the state its own strategy leaves the machine in',
  },
  'max-noise': {
    type: 'string',
    describe:
      "noise target: a case is 'converged' when its 95% repeat interval is within ± this (e.g. 5%)",
  },
  'max-time': {
    type: 'string',
    describe: 'sampling time per case over the whole run, shared by the rounds (e.g. 1s)',
  },
  'min-samples': {
    type: 'string',
    describe:
      'the sample floor: samples of each kind per case over the run; sampling goes on until it is met (default 10)',
  },
  'case-budget': {
    type: 'string',
    describe:
      "leave out a case whose sample floor would take longer than this on this adapter, estimated from a second's calibration (default 30s, 10s on a CPU adapter; 0: run everything)",
  },
  'stall-timeout': {
    type: 'string',
    describe:
      'the watchdog: an execution that takes longer fails its case, and the run waits this long again for the queue to drain (default 60s)',
  },
  seed: {
    type: 'string',
    describe: 'seed of the random inputs and of the visiting orders (default: new each run)',
  },
  completion: {
    type: 'string',
    describe: `how every strategy waits for the GPU: ${COMPLETION_WAYS.join(', ')} (the first is the default; map-async: mapAsync of a small buffer its last command buffer copies into, what reading a result back costs; nudged: onSubmittedWorkDone while submitting an empty command list every task turn, Firefox's workaround for its 100 ms poll)`,
  },
  drift: {
    type: 'boolean',
    default: true,
    describe:
      'measure the drift probe before, between and after the rounds (drift.csv; --no-drift to skip)',
  },
  browser: {
    type: 'string',
    describe:
      "with --runtime chromium or firefox: the browser's binary (default: $LAUNCHBENCH_CHROMIUM or $LAUNCHBENCH_FIREFOX, else the system's; scripts/install-chromium.sh and install-firefox.sh install one)",
  },
  'dry-run': {
    type: 'boolean',
    describe:
      'open the adapter, calibrate, print every case of the plan with whether it would run and its estimated floor, and stop',
  },
  'self-check': {
    type: 'boolean',
    default: false,
    describe:
      'afterwards, time the four one-by-one strategies against the hand-written loops of src/measure/minimal-loops.ts (64 elements, K=1000, alternating rounds) and report harness/minimal ratios',
  },
  'gpu-warmup': {
    type: 'string',
    describe:
      'keep the GPU busy at least this long before measuring, until its clocks settle (default 1s)',
  },
  'clock-hold': {
    type: 'boolean',
    default: true,
    describe:
      'between turns, read the shader clock (a fixed chain timed by timestamps) and spin the GPU back up when it fell, so every sample runs at the clock the warm-up reached (--no-clock-hold: the clock the load leaves; off on CPU adapters)',
  },
  timestamps: {
    type: 'boolean',
    default: true,
    describe: 'take GPU samples with pass timestamps (--no-timestamps: wall samples only)',
  },
  verify: {
    type: 'boolean',
    default: true,
    describe: 'check every strategy against the CPU reference (--no-verify to skip)',
  },
} as const;

/**
 * The flags the workloads with presets declare for their axes (`decode`: --context, --layers,
 * --vocab), as yargs definitions: a workload's flags are its own, not bench's.
 */
export const presetFlags: Record<string, { type: 'string'; describe: string }> = {};
for (const w of WORKLOADS) {
  for (const flag of Object.values(w.presets?.flags ?? {})) {
    // A flag is one workload's: not bench's own, nor another workload's.
    const taken = [benchOptions, exportOptions, gpuFlags, presetFlags];
    if (taken.some((options) => flag.name in options))
      throw new Error(`workload ${w.id}: its flag --${flag.name} is already an option of bench`);
    presetFlags[flag.name] = {
      type: 'string',
      describe: `${w.id}: ${flag.describe}, list (default each preset's)`,
    };
  }
}

/** --completion's way, submitted-work-done when not given; an unknown one is bad input. */
export function completionWay(args: BenchArgs): CompletionWay {
  const text = args.completion ?? 'submitted-work-done';
  const way = COMPLETION_WAYS.find((w) => w === text);
  if (way === undefined)
    throw new UsageError(`--completion: unknown '${text}' (known: ${COMPLETION_WAYS.join(', ')})`);
  return way;
}

/**
 * `y` with the workloads' preset flags added. Their names are the workloads' (a record to yargs'
 * types, which would drop every typed option), so they are added one by one and `y` keeps its
 * type: BenchArgs reads them by name.
 */
export function withPresetFlags<T>(y: Argv<T>): Argv<T> {
  for (const [name, definition] of Object.entries(presetFlags)) y.option(name, definition);
  return y;
}

/**
 * bench's arguments as yargs gives them (kebab-case names, text values); the workloads' preset
 * flags by name (presetFlags), read where a workload declares them.
 */
export type BenchArgs = InferredOptionTypes<
  typeof gpuFlags & typeof benchOptions & typeof exportOptions
> & { readonly [presetFlag: string]: unknown };
