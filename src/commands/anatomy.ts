/**
 * `launchbench anatomy [--kernels K] [--rounds R] [--samples S] [--out DIR] [GPU flags]`: the
 * anatomy of a launch (src/measure/anatomy.ts) on `map` at 64 elements × K kernels, after both
 * strategies it takes apart have matched the CPU reference on fresh random input. Prints a table
 * per chain and writes anatomy.csv, anatomy.md and anatomy-context.json into DIR (default
 * results/<time>-<adapter>-anatomy). Works under every runtime (`--runtime deno`).
 */
import { join } from 'node:path';
import {
  asDeviceLost,
  closeWhenIdle,
  lostError,
  openGpu,
  withErrorScopes,
  type GpuContext,
} from '../gpu/context.ts';
import { currentRuntime, isDawn } from '../gpu/runtime.ts';
import { WHOLES, measureAnatomy } from '../measure/anatomy.ts';
import { firstMismatch } from '../measure/run-case.ts';
import { parseInteger } from '../options.ts';
import { anatomyMarkdown, anatomyRows, anatomyText } from '../report/anatomy.ts';
import { adapterName } from '../report/read-run.ts';
import { gitCommit, runId } from '../report/context.ts';
import {
  assertNoRun,
  makeWritableDir,
  removeEmptyFolders,
  toCsv,
  writeAtomic,
} from '../report/writer.ts';
import { submittedWorkDone } from '../strategies/completion.ts';
import { mapWorkload } from '../workloads/map.ts';
import { seededRandom } from '../workloads/random.ts';
import type { CaseParams, PreparedCase, Program } from '../workloads/types.ts';
import { gpuOptions, type GpuArgs } from './gpu-options.ts';

/** anatomy's arguments as the command line gives them. */
export interface AnatomyArgs extends GpuArgs {
  kernels?: string | undefined;
  rounds?: string | undefined;
  samples?: string | undefined;
  out?: string | undefined;
}

/** yargs definitions of anatomy's own options. */
export const anatomyOptions = {
  kernels: { type: 'string', describe: 'kernels K per execution, 2…4096 (default 1000)' },
  rounds: { type: 'string', describe: 'rounds, each sampling every chain in turn (default 5)' },
  samples: { type: 'string', describe: 'samples of each chain per round (default 3)' },
  out: { type: 'string', describe: 'folder (default results/<time>-<adapter>-anatomy)' },
} as const;

/** Correct first: each strategy the chains take apart computes the CPU reference's result. */
async function verifyWholes(
  ctx: GpuContext,
  prepared: PreparedCase,
  program: Program,
  params: CaseParams,
): Promise<void> {
  for (const [id, strategy] of Object.entries(WHOLES)) {
    const input = mapWorkload.makeInput(params, seededRandom((Date.now() ^ process.pid) >>> 0));
    const expected = mapWorkload.reference(input, params);
    const execution = strategy.prepare(ctx.device, program, submittedWorkDone(ctx.device));
    prepared.writeInput(input);
    program.beforeExecution?.();
    await execution.execute();
    execution.destroy?.();
    const mismatch = firstMismatch(await prepared.readOutput('steps'), { values: expected });
    if (mismatch !== undefined) throw new Error(`anatomy: ${id} is wrong on map: ${mismatch}`);
  }
}

/** A pass's timestamp writes that need no resolve: the `+timestamps` variant of beginComputePass. */
function timestampWrites(
  querySet: GPUQuerySet | undefined,
): (() => GPUComputePassTimestampWrites) | undefined {
  if (querySet === undefined) return undefined;
  const writes = { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 };
  return () => writes;
}

/**
 * The anatomy, measured inside error scopes: a validation error, or a device lost on the way
 * (its calls would turn into cheap no-ops), fails the command instead of being written as times.
 */
async function measured(
  ctx: GpuContext,
  program: Program,
  options: Parameters<typeof measureAnatomy>[2],
): Promise<Awaited<ReturnType<typeof measureAnatomy>>> {
  try {
    const anatomy = await withErrorScopes(ctx.device, () =>
      measureAnatomy(ctx.device, program, options),
    );
    const lost = lostError(ctx);
    if (lost !== undefined) throw lost;
    const reported = ctx.errors.messages[0];
    if (reported !== undefined) throw new Error(`anatomy: the GPU reported an error: ${reported}`);
    return anatomy;
  } catch (error) {
    throw await asDeviceLost(ctx, error);
  }
}

export async function anatomyCommand(args: AnatomyArgs): Promise<number> {
  const kernels = parseInteger('kernels', args.kernels ?? '1000', { min: 2, max: 4096 });
  const rounds = parseInteger('rounds', args.rounds ?? '5', { min: 1, max: 100 });
  const samplesPerRound = parseInteger('samples', args.samples ?? '3', { min: 1, max: 100 });
  const options = gpuOptions(args);
  // Made now (a folder that cannot be written is bad input before any GPU work), taken back if
  // the anatomy fails before its files are written.
  const made = args.out === undefined ? [] : makeWritableDir(args.out, '--out');
  if (args.out !== undefined) assertNoRun(args.out, '--out');
  try {
    return await measureAndWrite(args, options, { kernels, rounds, samplesPerRound }, made);
  } catch (error) {
    removeEmptyFolders(made);
    throw error;
  }
}

/** Opens the GPU, verifies, measures, writes: anatomyCommand's work once its input is checked. */
async function measureAndWrite(
  args: AnatomyArgs,
  options: ReturnType<typeof gpuOptions>,
  sizes: { kernels: number; rounds: number; samplesPerRound: number },
  made: string[],
): Promise<number> {
  const { kernels, rounds, samplesPerRound } = sizes;
  const ctx = await openGpu(options);
  const startedAt = new Date();
  const params = {
    elements: 64,
    kernels,
    intensity: 0,
    workgroupSize: 64,
    persistentWorkgroups: 0,
  };
  const prepared = await mapWorkload.prepare(ctx.device, params, ctx.limits);
  const querySet = ctx.hasTimestamps
    ? ctx.device.createQuerySet({ type: 'timestamp', count: 2 })
    : undefined;
  try {
    const program = await prepared.program('steps');
    await verifyWholes(ctx, prepared, program, params);
    const where = `${adapterName({ adapter: ctx.adapterInfo })}, ${currentRuntime().name} ${currentRuntime().version} (${currentRuntime().webgpu})`;
    process.stderr.write(
      `launchbench: anatomy of a launch, K = ${kernels}, ${rounds} rounds, on ${where}\n`,
    );
    const dir = args.out ?? join('results', `${runId(ctx, startedAt)}-anatomy`);
    if (args.out === undefined) made.push(...makeWritableDir(dir, '--out'));
    const stamps = timestampWrites(querySet);
    const anatomy = await measured(ctx, program, {
      kernels,
      rounds,
      samplesPerRound,
      ...(stamps === undefined ? {} : { timestampWrites: stamps }),
    });
    writeAtomic(join(dir, 'anatomy.csv'), toCsv(anatomyRows(anatomy), true));
    writeAtomic(join(dir, 'anatomy.md'), anatomyMarkdown(anatomy, `On ${where}`));
    const context = {
      runtime: currentRuntime(),
      adapter: { ...ctx.adapterInfo, backend: ctx.backend },
      dawn: isDawn() ? { instanceFlags: ctx.instanceFlags, toggles: ctx.toggles } : null,
      kernels,
      rounds,
      samplesPerRound,
      clockNs: anatomy.clockNs,
      commandLine: process.argv.slice(2),
      gitCommit: gitCommit(),
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
    };
    writeAtomic(join(dir, 'anatomy-context.json'), `${JSON.stringify(context, null, 2)}\n`);
    process.stdout.write(`${anatomyText(anatomy)}\n\nresults: ${dir}\n`);
    return 0;
  } finally {
    querySet?.destroy();
    prepared.destroy();
    await closeWhenIdle(ctx, 10_000);
  }
}
