#!/usr/bin/env -S npx tsx
/**
 * launchbench command line: `bench` (default), `info`, `list`, `report`, `compare`. Every failure ends with one line on
 * stderr and an exit code (src/errors.ts): 2 bad input, 3 no adapter, 4 device lost, 130/143
 * interrupted by SIGINT/SIGTERM (results so far are written), 1 unexpected.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROFILES } from '../bench/profiles.ts';
import { SCENARIOS, scenarioProfile, scenarioStrategies } from '../bench/scenarios.ts';
import { BANDWIDTH_DEFAULTS, measureBandwidth } from './measure/bandwidth.ts';
import {
  BACKENDS,
  openGpu,
  type Backend,
  type GpuContext,
  type GpuOptions,
} from './gpu/context.ts';
import { timestampSelfTest } from './gpu/timestamp-selftest.ts';
import { WARMUP_DEFAULTS, warmUpGpu } from './gpu/warmup.ts';
import { DeviceLostError, LaunchbenchError, UsageError, errorMessage } from './errors.ts';
import {
  AXIS_LIMITS,
  parseDurationMs,
  parseFraction,
  parseInteger,
  parseIntegerList,
  parseNameList,
} from './options.ts';
import { notApplicable, planGroups, runPlan, type RunPlan } from './run.ts';
import { runContext, runId } from './report/context.ts';
import { bandwidthTable, selfCheckTable, summaryTable, formatTable } from './report/console.ts';
import { SELF_CHECK_DEFAULTS, selfCheck } from './measure/self-check.ts';
import { RunWriter } from './report/writer.ts';
import { compareCommand } from './commands/compare.ts';
import { reportAfterBench, reportCommand } from './commands/report.ts';
import { STRATEGIES, strategyById } from './strategies/index.ts';
import { WORKLOADS, workloadById } from './workloads/index.ts';

interface GpuArgs {
  adapter?: string | undefined;
  backend?: string | undefined;
  'power-preference'?: string | undefined;
  'dawn-toggles'?: string | undefined;
}

function gpuOptions(args: GpuArgs): GpuOptions {
  const options: GpuOptions = {};
  if (args.adapter !== undefined) options.adapter = args.adapter;
  if (args.backend !== undefined) {
    if (!(BACKENDS as readonly string[]).includes(args.backend)) {
      throw new UsageError(`--backend: unknown '${args.backend}' (known: ${BACKENDS.join(', ')})`);
    }
    options.backend = args.backend as Backend;
  }
  const pp = args['power-preference'];
  if (pp !== undefined) {
    if (pp !== 'low-power' && pp !== 'high-performance') {
      throw new UsageError(`--power-preference: '${pp}' must be low-power or high-performance`);
    }
    options.powerPreference = pp;
  }
  if (args['dawn-toggles'] !== undefined) options.dawnToggles = args['dawn-toggles'].split(',');
  return options;
}

interface BenchArgs extends GpuArgs {
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
  'max-noise'?: string | undefined;
  'max-time'?: string | undefined;
  'min-samples'?: string | undefined;
  verify: boolean;
  'self-check': boolean;
  timestamps: boolean;
  'gpu-warmup'?: string | undefined;
  seed?: string | undefined;
}

/** Everything that can be checked without a GPU, checked before one is opened. */
function benchPlan(args: BenchArgs): { plan: RunPlan; profile: string; bandwidth: boolean } {
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
  const sampling = { ...profile.sampling };
  if (args['max-noise'] !== undefined)
    sampling.maxNoise = parseFraction('max-noise', args['max-noise']);
  if (args['max-time'] !== undefined)
    sampling.maxTimeMs = parseDurationMs('max-time', args['max-time']);
  if (args['min-samples'] !== undefined) {
    sampling.minSamples =
      parseIntegerList('min-samples', args['min-samples'], 3, 100000)[0] ?? sampling.minSamples;
    sampling.maxSamples = Math.max(sampling.maxSamples, sampling.minSamples);
  }
  const persistent = args['persistent-workgroups'];
  // Explicit axes apply to every workload; otherwise a profile's per-workload slices do.
  const explicitAxes =
    args.elements !== undefined || args.kernels !== undefined || args.intensity !== undefined;
  return {
    profile: profile.name,
    bandwidth: args.bandwidth ?? profile.bandwidth === true,
    plan: {
      slices: explicitAxes ? undefined : profile.slices,
      workloads: workloadIds.map((id) => workloadById(id)).filter((w) => w !== undefined),
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
      verify: args.verify,
      seed:
        args.seed === undefined
          ? (Date.now() ^ (process.pid << 16)) >>> 0
          : parseInteger('seed', args.seed) >>> 0,
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

let stopSignal: NodeJS.Signals | undefined;

async function bench(args: BenchArgs): Promise<number> {
  const { plan, profile, bandwidth } = benchPlan(args);
  const ctx = await openGpu(gpuOptions(args));
  try {
    checkPlanLimits(ctx, plan);
    const selfTest = await timestampSelfTest(ctx);
    const warmup = await warmUpGpu(ctx, {
      ...WARMUP_DEFAULTS,
      minMs:
        args['gpu-warmup'] === undefined
          ? WARMUP_DEFAULTS.minMs
          : parseDurationMs('gpu-warmup', args['gpu-warmup']),
    });
    if (!selfTest.ok)
      process.stderr.write(`launchbench: ${selfTest.message}; GPU columns are not measured\n`);
    const startedAt = new Date();
    const id = runId(ctx, startedAt);
    const dir = args.out ?? join('results', id);
    const writer = new RunWriter(dir);
    const options = {
      profile,
      ...plan,
      workloads: plan.workloads.map((w) => w.id),
      strategies: plan.strategies.map((s) => s.id),
    };
    const context = {
      runId: id,
      ctx,
      selfTest,
      warmup,
      argv: process.argv.slice(2),
      options,
      startedAt,
    };
    writer.writeContext(runContext(context));
    const onSignal = (signal: NodeJS.Signals): void => {
      stopSignal = signal;
      process.stderr.write(`\nlaunchbench: ${signal}: stopping after the current sample\n`);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const progress = process.stderr.isTTY;
    const started = Date.now();
    let deviceLost: string | undefined;
    let interrupted = false;
    try {
      const outcome = await runPlan(
        ctx,
        plan,
        selfTest.ok && args.timestamps ? selfTest.resolveMode : undefined,
        {
          onCaseStart(index, total, caseName) {
            if (!progress) return;
            const elapsed = (Date.now() - started) / 1000;
            const left =
              index === 0 ? '' : `, ~${Math.ceil((elapsed / index) * (total - index))} s left`;
            process.stderr.write(`\r\x1b[K[${index + 1}/${total}${left}] ${caseName}`);
          },
          onCase(result, samples) {
            writer.addCase(result, samples);
          },
        },
        () => stopSignal !== undefined,
      );
      interrupted = outcome.interrupted;
    } catch (error) {
      if (!(error instanceof DeviceLostError)) throw error;
      deviceLost = error.message;
    } finally {
      if (progress) process.stderr.write('\r\x1b[K');
      writer.writeContext(
        runContext({ ...context, finishedAt: new Date(), interrupted, deviceLost }),
      );
    }
    process.stdout.write(`${summaryTable(writer.cases)}\n`);
    if (args['self-check'] && deviceLost === undefined && !interrupted) {
      const rows = await selfCheck(ctx, {
        ...SELF_CHECK_DEFAULTS,
        stallTimeoutMs: plan.sampling.stallTimeoutMs,
      });
      writer.writeSelfCheck(rows);
      process.stdout.write(`\n${selfCheckTable(rows)}\n`);
    }
    if (bandwidth && deviceLost === undefined && !interrupted) {
      // A CPU adapter moves well under 1 GB/s: a smaller reference keeps the run short there.
      const options = ctx.adapterInfo.isFallbackAdapter
        ? { ...BANDWIDTH_DEFAULTS, bytes: 16 * 2 ** 20, repeats: 2, samples: 3 }
        : BANDWIDTH_DEFAULTS;
      const resolve = selfTest.ok && args.timestamps ? selfTest.resolveMode : undefined;
      const rows = await measureBandwidth(ctx, options, resolve);
      writer.writeBandwidth(rows);
      process.stdout.write(`\n${bandwidthTable(rows)}\n`);
    }
    await reportAfterBench(dir);
    process.stdout.write(`\nresults: ${dir}\n`);
    const failed = writer.cases.filter((c) => c.status === 'failed');
    if (failed.length > 0)
      process.stderr.write(
        `launchbench: ${failed.length} case(s) failed; see the reason column of ${writer.summaryPath}\n`,
      );
    if (deviceLost !== undefined)
      throw new DeviceLostError(
        `${deviceLost}; ${writer.cases.length} finished case(s) kept in ${dir}`,
      );
    if (interrupted) return stopSignal === 'SIGTERM' ? 143 : 130;
    return 0;
  } finally {
    ctx.close();
  }
}

async function info(args: GpuArgs & { json: boolean }): Promise<number> {
  const ctx = await openGpu(gpuOptions(args));
  try {
    const selfTest = await timestampSelfTest(ctx);
    const data = {
      adapter: ctx.adapterInfo,
      backend: ctx.backend,
      dawn: { instanceFlags: ctx.instanceFlags, toggles: ctx.toggles },
      features: ctx.features,
      limits: ctx.limits,
      timestampSelfTest: selfTest,
    };
    if (args.json) {
      process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
      return 0;
    }
    const a = ctx.adapterInfo;
    const lines = [
      `adapter      ${a.description || a.device} (${a.vendor}, ${a.architecture})${a.isFallbackAdapter ? ' [CPU / fallback adapter]' : ''}`,
      `backend      ${ctx.backend}`,
      `dawn flags   ${ctx.instanceFlags.join(' ')}`,
      `timestamps   ${selfTest.message}${selfTest.smallestStepNs === null ? '' : `; smallest step seen ${selfTest.smallestStepNs} ns`}`,
      `features     ${ctx.features.join(', ')}`,
      'limits',
      ...Object.entries(ctx.limits).map(([k, v]) => `  ${k.padEnd(44)} ${v}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    ctx.close();
  }
}

function list(): number {
  const out: string[] = ['strategies'];
  out.push(
    formatTable(
      ['id', 'program', 'what the host does', 'CUDA analogue'],
      STRATEGIES.map((s) => [s.id, s.program, s.description, s.cudaAnalogue]),
    ),
  );
  out.push('', 'workloads');
  out.push(
    formatTable(
      ['id', 'what it computes'],
      WORKLOADS.map((w) => [w.id, w.description]),
    ),
  );
  out.push('', 'scenarios');
  out.push(
    formatTable(
      ['name', 'what it reproduces'],
      Object.values(SCENARIOS).map((sc) => [sc.name, sc.description]),
    ),
  );
  out.push('', 'profiles');
  out.push(
    formatTable(
      ['name', 'cases'],
      Object.values(PROFILES).map((p) => [p.name, p.description]),
    ),
  );
  const na: string[][] = [];
  const probe = {
    elements: 1024,
    kernels: 16,
    intensity: 0,
    workgroupSize: 64,
    persistentWorkgroups: 64,
  };
  for (const w of WORKLOADS)
    for (const s of STRATEGIES) {
      const reason = notApplicable(w, s, probe, {});
      if (reason !== undefined) na.push([w.id, s.id, reason]);
    }
  out.push('', 'combinations that do not apply');
  out.push(
    na.length === 0
      ? '(none: every strategy runs every workload)'
      : formatTable(['workload', 'strategy', 'why'], na),
  );
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

const gpuFlags = {
  adapter: { type: 'string', describe: "substring of the adapter's name (see `info`)" },
  backend: { type: 'string', describe: `Dawn backend: ${BACKENDS.join(', ')}` },
  'power-preference': { type: 'string', describe: 'low-power or high-performance' },
  'dawn-toggles': {
    type: 'string',
    describe: 'extra Dawn toggles, comma-separated; prefix - to disable (e.g. skip_validation)',
  },
} as const;

async function main(argv: string[]): Promise<number> {
  let code = 0;
  const run =
    <A>(task: (args: A) => Promise<number> | number) =>
    async (args: A): Promise<void> => {
      code = await task(args);
    };
  await yargs(argv)
    .scriptName('launchbench')
    .usage(
      '$0 [command] [options]\n\nMeasures what launching WebGPU compute work costs, strategy by strategy.',
    )
    .command(
      ['bench', '$0'],
      'run the benchmark (default command)',
      (y) =>
        y
          .options(gpuFlags)
          .option('scenario', {
            type: 'string',
            describe: `named experiment instead of --profile: ${Object.keys(SCENARIOS).join(', ')}`,
          })
          .option('bandwidth', {
            type: 'boolean',
            describe:
              'afterwards, compare copyBufferToBuffer with the map kernel on 256 MiB (default: on in the default and full profiles)',
          })
          .option('profile', {
            type: 'string',
            default: 'default',
            describe: `case set: ${Object.keys(PROFILES).join(', ')}`,
          })
          .option('out', { type: 'string', describe: 'run folder (default results/<run-id>)' })
          .option('strategies', {
            type: 'string',
            describe: `comma-separated, or all: ${STRATEGIES.map((s) => s.id).join(', ')}`,
          })
          .option('workloads', {
            type: 'string',
            describe: `comma-separated: ${WORKLOADS.map((w) => w.id).join(', ')}`,
          })
          .option('elements', {
            type: 'string',
            describe: 'elements per kernel: list and ranges, e.g. 64,1e6 or 64:1e6:*4',
          })
          .option('kernels', {
            type: 'string',
            describe: `kernels K per workload, ${AXIS_LIMITS.kernels.min}…${AXIS_LIMITS.kernels.max}`,
          })
          .option('intensity', {
            type: 'string',
            describe: `integer mix rounds per element per kernel, ${AXIS_LIMITS.intensity.min}…${AXIS_LIMITS.intensity.max}`,
          })
          .option('workgroup-size', { type: 'string', describe: 'threads per workgroup' })
          .option('persistent-workgroups', {
            type: 'string',
            describe: 'workgroups of the persistent kernel (default derived from the adapter)',
          })
          .option('max-noise', {
            type: 'string',
            describe: 'stop sampling a case once its medians are this quiet (e.g. 2%)',
          })
          .option('max-time', { type: 'string', describe: 'sampling budget per case (e.g. 1s)' })
          .option('min-samples', {
            type: 'string',
            describe: 'samples of each kind before the noise target may stop a case',
          })
          .option('seed', {
            type: 'string',
            describe: 'seed of the random inputs (default: new each run)',
          })
          .option('self-check', {
            type: 'boolean',
            default: false,
            describe:
              'afterwards, time the four one-by-one strategies against the hand-written loops of bench/minimal-loops.ts (64 elements, K=1000, alternating rounds) and report harness/minimal ratios',
          })
          .option('gpu-warmup', {
            type: 'string',
            describe:
              'keep the GPU busy at least this long before measuring, until its clocks settle (default 1s)',
          })
          .option('timestamps', {
            type: 'boolean',
            default: true,
            describe: 'take GPU samples with pass timestamps (--no-timestamps: wall samples only)',
          })
          .option('verify', {
            type: 'boolean',
            default: true,
            describe: 'check every strategy against the CPU reference (--no-verify to skip)',
          }),
      run((args: object) => bench(args as BenchArgs)),
    )
    .command(
      'info',
      'adapter, backend, features, limits and the timestamp self-test',
      (y) =>
        y
          .options(gpuFlags)
          .option('json', { type: 'boolean', default: false, describe: 'print JSON' }),
      run((args: object) => info(args as GpuArgs & { json: boolean })),
    )
    .command(
      'list',
      'strategies, workloads, scenarios, profiles, and which combinations do not apply',
      {},
      run(list),
    )
    .command(
      'report <dir>',
      're-render report.md and the SVG charts of a run folder from its CSV files and context.json',
      (y) => y.positional('dir', { type: 'string', describe: 'run folder (results/<run-id>)' }),
      run((args: object) => reportCommand((args as { dir: string }).dir)),
    )
    .command(
      'compare <a> <b>',
      "per-case ratio of run B to run A with a noise-aware verdict (faster, slower, same, unclear) from the runs' p10–p90 ranges",
      (y) =>
        y
          .positional('a', { type: 'string', describe: 'run folder A (the reference)' })
          .positional('b', { type: 'string', describe: 'run folder B (compared with A)' })
          .option('out', { type: 'string', describe: 'also write the comparison as CSV here' }),
      run((args: object) => {
        const { a, b, out } = args as { a: string; b: string; out?: string | undefined };
        return compareCommand(a, b, out);
      }),
    )
    // Options are read by their kebab-case names; without this, yargs also names each unknown
    // option in camelCase in its messages.
    .parserConfiguration({ 'camel-case-expansion': false })
    // Every option takes one value: a repeated option would reach the parsers as an array.
    .check((argv) => {
      for (const [name, value] of Object.entries(argv)) {
        if (name !== '_' && Array.isArray(value)) {
          throw new UsageError(`--${name}: given more than once`);
        }
      }
      return true;
    })
    .strict()
    .recommendCommands()
    .help()
    .version(false)
    .fail((message: string | undefined, error: Error | undefined) => {
      if (error !== undefined) throw error;
      throw new UsageError((message ?? 'bad command line').split('\n')[0] ?? 'bad command line');
    })
    .parseAsync();
  return code;
}

/**
 * Runs the command line and returns its exit code; every error becomes one line on `stderr`
 * (the tests call this in-process, e.g. the fuzz test of malformed command lines).
 */
export async function runCli(
  argv: string[],
  stderr: (text: string) => void = (text) => process.stderr.write(text),
): Promise<number> {
  try {
    return await main(argv);
  } catch (error) {
    const code = error instanceof LaunchbenchError ? error.exitCode : 1;
    stderr(`launchbench: ${errorMessage(error).split('\n')[0]}\n`);
    if (code === 1 && process.env['LAUNCHBENCH_DEBUG'] !== undefined) console.error(error);
    return code;
  }
}

// Run when executed (tsx src/cli.ts, npm run bench, the package's bin link), not when imported.
const executed =
  process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (executed) {
  void runCli(hideBin(process.argv)).then((code) => {
    process.exitCode = code;
  });
}
