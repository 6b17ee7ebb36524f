/**
 * The GPU half of `launchbench anatomy` (src/commands/anatomy.ts): opens the GPU, checks that
 * both strategies the chains take apart compute the CPU reference's result on fresh random input,
 * measures the anatomy (src/measure/anatomy.ts) inside error scopes and closes the GPU. It runs in
 * this process, or in a browser's page (src/browser/page.ts) for `--runtime chromium|firefox`,
 * which sends what it returns to the command line. Never prints; writes nothing.
 */
import {
  asDeviceLost,
  closeWhenIdle,
  lostError,
  openGpu,
  withErrorScopes,
  type GpuContext,
  type GpuDescription,
  type GpuOptions,
} from '../gpu/context.ts';
import { currentRuntime, isDawn } from '../gpu/runtime.ts';
import { WHOLES, measureAnatomy, type Anatomy } from '../measure/anatomy.ts';
import { firstMismatch } from '../measure/run-case.ts';
import { submittedWorkDone } from '../strategies/completion.ts';
import { mapWorkload } from '../workloads/map.ts';
import { seededRandom } from '../workloads/random.ts';
import type { CaseParams, PreparedCase, Program } from '../workloads/types.ts';

export interface AnatomySizes {
  kernels: number;
  rounds: number;
  samplesPerRound: number;
}

/** What the anatomy measured, and on what (anatomy-context.json's GPU fields). */
export interface AnatomyMeasured {
  anatomy: Anatomy;
  gpu: Pick<GpuDescription, 'adapterInfo' | 'runtime' | 'backend'>;
  dawn: { instanceFlags: readonly string[]; toggles: GpuDescription['toggles'] } | null;
}

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
): Promise<Anatomy> {
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

/**
 * Opens the GPU, verifies, measures and closes: the anatomy of `map` at 64 elements × K.
 * `verified` is told what the GPU is once both strategies matched, before the timing; `onRound`
 * as each round starts.
 */
export async function anatomyOnGpu(
  options: GpuOptions,
  sizes: AnatomySizes,
  verified: (gpu: AnatomyMeasured['gpu']) => void = () => undefined,
  onRound: (round: number) => void = () => undefined,
): Promise<AnatomyMeasured> {
  const ctx = await openGpu(options);
  const params = {
    elements: 64,
    kernels: sizes.kernels,
    intensity: 0,
    workgroupSize: 64,
    persistentWorkgroups: 0,
  };
  const gpu = { adapterInfo: ctx.adapterInfo, runtime: currentRuntime(), backend: ctx.backend };
  const prepared = await mapWorkload.prepare(ctx.device, params, ctx.limits);
  const querySet = ctx.hasTimestamps
    ? ctx.device.createQuerySet({ type: 'timestamp', count: 2 })
    : undefined;
  try {
    const program = await prepared.program('steps');
    await verifyWholes(ctx, prepared, program, params);
    verified(gpu);
    const stamps = timestampWrites(querySet);
    const anatomy = await measured(ctx, program, {
      ...sizes,
      onRound,
      ...(stamps === undefined ? {} : { timestampWrites: stamps }),
    });
    const dawn = isDawn() ? { instanceFlags: ctx.instanceFlags, toggles: ctx.toggles } : null;
    return { anatomy, gpu, dawn };
  } finally {
    querySet?.destroy();
    prepared.destroy();
    await closeWhenIdle(ctx, 10_000);
  }
}
