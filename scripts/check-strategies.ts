/**
 * Checks every workload × strategy against the CPU reference, bit for bit, on fresh random
 * inputs at awkward sizes: 1, 63, 64, 65, 1000 elements and one past what one dispatch dimension
 * holds (maxComputeWorkgroupsPerDimension × workgroupSize + 1: the 2-D grid path). Then a few
 * targeted cases: the fused stencil at its largest K and one past it, halos across many tiles,
 * the persistent stencil with one workgroup (trivially co-resident), a failed grid barrier
 * followed by a second execution, and one timestamped execution per strategy.
 *
 * Float workloads (`scale`: they state a Workload.tolerance) are compared as f32 within that
 * relative tolerance instead of bit for bit; each line shows the largest relative error (0 =
 * bit-exact), and a table at the end gives the largest per strategy over all `scale` cases,
 * including the CUDA-graphs blog case (500 000 elements, K = 20) and the longest chain
 * checkLimits allows (values end just below 2^127).
 *
 * Prints one line per combination: ok, not-applicable (reason), STATUS (a co-residency program
 * reported its barrier failure: expected on lavapipe), or MISMATCH / ERROR. Exits 1 on any
 * MISMATCH or ERROR. One execution per combination, no timing beyond how long it took.
 *
 * Usage: npx tsx scripts/check-strategies.ts [toggle ...] [--workload=a,b] [--strategy=x,y]
 *   toggles are Dawn toggles as --dawn-toggles takes them, e.g. skip_validation
 */
import { openGpu, withErrorScopes, type GpuContext } from '../src/gpu/context.ts';
import { TimestampRecorder, gpuTimes } from '../src/gpu/timestamps.ts';
import { nowNs } from '../src/stats/clock.ts';
import { defaultPersistentWorkgroups, notApplicable } from '../src/run.ts';
import { STRATEGIES } from '../src/strategies/index.ts';
import type { Strategy } from '../src/strategies/types.ts';
import { WORKLOADS } from '../src/workloads/index.ts';
import { seededRandom } from '../src/workloads/random.ts';
import { SCALE_MAX_MULTIPLIES, scaleWorkload } from '../src/workloads/scale.ts';
import { fusedStencilMaxKernels, stencilWorkload } from '../src/workloads/stencil.ts';
import type { CaseParams, PreparedCase, Tolerance, Workload } from '../src/workloads/types.ts';
import { submittedWorkDone } from '../src/strategies/completion.ts';

const WORKGROUP_SIZE = 64;
const INTENSITY = 2;
/** Small K: lavapipe runs the GPU side on two CPU threads. */
const KERNELS: Record<string, number> = { map: 4, stencil: 3, independent: 3, scale: 20 };
const EXECUTION_LIMIT_MS = 120_000;

let seed = 0x2545f491;
let problems = 0;

function option(name: string): string[] | undefined {
  const arg = process.argv.slice(2).find((a) => a.startsWith(`--${name}=`));
  return arg?.slice(name.length + 3).split(',');
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function firstDifference(a: Uint32Array, b: Uint32Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** Largest relative error per strategy over every case of a workload with a tolerance. */
const maxRelativeErrors = new Map<string, { max: number; cases: number; bitExact: number }>();

/**
 * f32 comparison within `tolerance`: the largest relative error (Infinity for NaN, infinities or
 * a length difference) and the first index past the tolerance (-1 when none).
 */
function floatDifference(
  output: Uint32Array,
  expected: Uint32Array,
  tolerance: Tolerance,
): { max: number; at: number } {
  if (output.length !== expected.length) return { max: Infinity, at: 0 };
  const a = new Float32Array(output.buffer, output.byteOffset, output.length);
  const b = new Float32Array(expected.buffer, expected.byteOffset, expected.length);
  let max = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    if (output[i] === expected[i]) continue;
    const x = a[i] ?? NaN;
    const y = b[i] ?? NaN;
    const relative =
      x === y
        ? 0
        : Number.isFinite(x) && Number.isFinite(y) && y !== 0
          ? Math.abs(x - y) / Math.abs(y)
          : Infinity;
    if (relative > max) max = relative;
    if (relative > tolerance.relative && at < 0) at = i;
  }
  return { max, at };
}

interface RunOptions {
  /** Executions in a row (status read after each). */
  repeat?: number;
  /** Also take one timestamped execution and check its intervals. */
  timestamps?: boolean;
}

/** Runs one combination once (or `repeat` times) and prints its verdict line. */
async function check(
  ctx: GpuContext,
  workload: Workload,
  strategy: Strategy,
  params: CaseParams,
  prepared: PreparedCase,
  label: string,
  options: RunOptions = {},
): Promise<void> {
  const { device } = ctx;
  const name = `${workload.id.padEnd(11)} ${strategy.id.padEnd(18)} ${label.padEnd(22)}`;
  const reason = notApplicable(workload, strategy, params, ctx.limits);
  if (reason !== undefined) {
    console.log(`${name} not-applicable: ${reason}`);
    return;
  }
  const t0 = nowNs();
  const verdicts: string[] = [];
  let failed = false;
  const program = await prepared.program(strategy.program);
  const execution = await withErrorScopes(device, () =>
    strategy.prepare(device, program, submittedWorkDone(device)),
  );
  try {
    for (let r = 0; r < (options.repeat ?? 1); r++) {
      const runSeed = seed++;
      const input = workload.makeInput(params, seededRandom(runSeed));
      const expected = workload.reference(input, params);
      prepared.writeInput(input);
      await withErrorScopes(device, async () => {
        execution.prepareSample?.(undefined);
        await within(execution.execute(undefined), EXECUTION_LIMIT_MS, 'execution');
      });
      const status = await prepared.checkStatus?.();
      if (status !== undefined) {
        const allowed = program.notes['reliesOn'] === 'co-residency';
        failed ||= !allowed;
        verdicts.push(`${allowed ? 'STATUS' : 'ERROR unexpected status'}: ${status}`);
        continue;
      }
      const output = await prepared.readOutput(strategy.program);
      const tolerance = workload.tolerance?.(params);
      if (tolerance !== undefined) {
        const { max, at } = floatDifference(output, expected, tolerance);
        const seen = maxRelativeErrors.get(strategy.id) ?? { max: 0, cases: 0, bitExact: 0 };
        maxRelativeErrors.set(strategy.id, {
          max: Math.max(seen.max, max),
          cases: seen.cases + 1,
          bitExact: seen.bitExact + (max === 0 ? 1 : 0),
        });
        const within = `max rel err ${max.toExponential(2)} ≤ ${tolerance.relative.toExponential(2)}`;
        if (at < 0) {
          verdicts.push(max === 0 ? 'ok (bit-exact)' : `ok (${within})`);
        } else {
          failed = true;
          const x = new Float32Array(output.buffer, output.byteOffset, output.length)[at];
          const y = new Float32Array(expected.buffer, expected.byteOffset, expected.length)[at];
          verdicts.push(
            `MISMATCH at index ${at}: got ${x}, expected ${y}; max rel err ${max.toExponential(2)} > tolerance ${tolerance.relative.toExponential(2)} (seed ${runSeed})`,
          );
        }
        continue;
      }
      const at = firstDifference(output, expected);
      if (at < 0) {
        verdicts.push('ok');
      } else {
        failed = true;
        verdicts.push(
          `MISMATCH at index ${at}: got ${output[at]}, expected ${expected[at]} (seed ${runSeed})`,
        );
      }
    }
    if (options.timestamps === true && ctx.hasTimestamps) {
      const recorder = new TimestampRecorder(device, Math.max(1, execution.timedPasses));
      try {
        recorder.reset();
        execution.prepareSample?.(recorder);
        await withErrorScopes(device, () => execution.execute(recorder));
        await prepared.checkStatus?.();
        const intervals = await recorder.read();
        const times = gpuTimes(intervals);
        if (intervals.length !== execution.timedPasses || times === undefined) {
          failed = true;
          verdicts.push(
            `ERROR timestamps: ${intervals.length} intervals, usable: ${times !== undefined}`,
          );
        } else {
          verdicts.push(
            `timestamps ok (${intervals.length} passes, busy ${(times.busyNs / 1e3).toFixed(0)} µs)`,
          );
        }
      } finally {
        recorder.destroy();
      }
    }
  } catch (error) {
    failed = true;
    verdicts.push(`ERROR ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    execution.destroy?.();
  }
  if (ctx.errors.messages.length > 0) {
    failed = true;
    verdicts.push(`ERROR uncaptured: ${ctx.errors.messages.splice(0).join('; ')}`);
  }
  if (failed) problems++;
  const ms = ((nowNs() - t0) / 1e6).toFixed(0).padStart(6);
  console.log(`${name} ${ms} ms  ${[...new Set(verdicts)].join(' | ')}`);
}

async function withPrepared(
  ctx: GpuContext,
  workload: Workload,
  params: CaseParams,
  body: (prepared: PreparedCase) => Promise<void>,
): Promise<void> {
  const limitReason = workload.checkLimits(params, ctx.limits);
  if (limitReason !== undefined) {
    console.log(`${workload.id}: parameters past the limits: ${limitReason}`);
    problems++;
    return;
  }
  const prepared = await withErrorScopes(ctx.device, () =>
    workload.prepare(ctx.device, params, ctx.limits),
  );
  try {
    await body(prepared);
  } finally {
    prepared.destroy();
  }
}

async function main(): Promise<void> {
  const toggles = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const onlyWorkloads = option('workload');
  const onlyStrategies = option('strategy');
  const workloads = WORKLOADS.filter((w) => onlyWorkloads?.includes(w.id) ?? true);
  const strategies = STRATEGIES.filter((s) => onlyStrategies?.includes(s.id) ?? true);
  const ctx = await openGpu({ dawnToggles: toggles });
  try {
    console.log(
      `adapter: ${ctx.adapterInfo.description}; toggles on: ${ctx.toggles.enabled.join(',') || '(none)'}`,
    );
    const perDim = ctx.limits['maxComputeWorkgroupsPerDimension'] ?? 65535;
    const sizes = [1, 63, 64, 65, 1000, perDim * WORKGROUP_SIZE + 1];
    const persistentWorkgroups = defaultPersistentWorkgroups(ctx);
    for (const workload of workloads) {
      for (const elements of sizes) {
        const params: CaseParams = {
          elements,
          kernels: KERNELS[workload.id] ?? 3,
          intensity: INTENSITY,
          workgroupSize: WORKGROUP_SIZE,
          persistentWorkgroups,
        };
        await withPrepared(ctx, workload, params, async (prepared) => {
          for (const strategy of strategies) {
            await check(
              ctx,
              workload,
              strategy,
              params,
              prepared,
              `N=${elements} K=${params.kernels}`,
              {
                timestamps: elements === 1000,
              },
            );
          }
        });
      }
    }

    if (workloads.includes(scaleWorkload)) await scaleCases(ctx, strategies, persistentWorkgroups);

    if (!workloads.includes(stencilWorkload)) return;
    console.log('-- stencil: targeted cases');
    const byId = (id: string): Strategy | undefined => strategies.find((s) => s.id === id);
    const base: CaseParams = {
      elements: 1000,
      kernels: 3,
      intensity: 1,
      workgroupSize: WORKGROUP_SIZE,
      persistentWorkgroups,
    };
    const fused = byId('fused');
    if (fused !== undefined) {
      const maxKernels = fusedStencilMaxKernels(WORKGROUP_SIZE, ctx.limits);
      // Halos crossing many tiles (tile 256 at K ≤ 128) and at the tile-growing regime (K > 128).
      for (const [elements, kernels] of [
        [5000, 100],
        [5000, 300],
        [70_001, 17],
      ] as const) {
        const params = { ...base, elements, kernels };
        await withPrepared(ctx, stencilWorkload, params, (prepared) =>
          check(ctx, stencilWorkload, fused, params, prepared, `N=${elements} K=${kernels}`),
        );
      }
      for (const kernels of [maxKernels, maxKernels + 1]) {
        const params = { ...base, elements: 3000, kernels, intensity: 0 };
        await withPrepared(ctx, stencilWorkload, params, (prepared) =>
          check(ctx, stencilWorkload, fused, params, prepared, `N=3000 K=${kernels} (max)`),
        );
      }
    }
    const persistent = byId('persistent');
    if (persistent !== undefined) {
      // One workgroup is trivially co-resident: the barrier path itself must be right.
      for (const elements of [1000, 70_001]) {
        const params = { ...base, elements, kernels: 5, persistentWorkgroups: 1 };
        await withPrepared(ctx, stencilWorkload, params, (prepared) =>
          check(ctx, stencilWorkload, persistent, params, prepared, `N=${elements} K=5 P=1`, {
            repeat: 2,
          }),
        );
      }
      // Two workgroups, three executions in a row: failures (if any) are cleared by checkStatus
      // and the next execution starts clean; successes must match.
      const params = { ...base, kernels: 4, persistentWorkgroups: 2 };
      await withPrepared(ctx, stencilWorkload, params, (prepared) =>
        check(ctx, stencilWorkload, persistent, params, prepared, `N=1000 K=4 P=2`, { repeat: 3 }),
      );
      // Many barriers with the default P over a large array: on a GPU where the barrier holds,
      // stale reads across workgroups (see the memory-model note in stencil.wgsl) would show here.
      const many = { ...base, elements: 1_000_003, kernels: 64 };
      await withPrepared(ctx, stencilWorkload, many, (prepared) =>
        check(
          ctx,
          stencilWorkload,
          persistent,
          many,
          prepared,
          `N=1000003 K=64 P=${persistentWorkgroups}`,
          {
            repeat: 3,
          },
        ),
      );
      // Far more workgroups than any GPU holds at once: the barrier must give up (STATUS), quickly
      // and cleanly, twice in a row (the status read clears it in between).
      const perDim = ctx.limits['maxComputeWorkgroupsPerDimension'] ?? 65535;
      const crowd = {
        ...base,
        elements: perDim * WORKGROUP_SIZE,
        kernels: 4,
        persistentWorkgroups: perDim,
      };
      await withPrepared(ctx, stencilWorkload, crowd, (prepared) =>
        check(
          ctx,
          stencilWorkload,
          persistent,
          crowd,
          prepared,
          `N=${crowd.elements} K=4 P=${perDim}`,
          {
            repeat: 2,
          },
        ),
      );
      // K = 1 has no barrier at all.
      const single = { ...base, kernels: 1 };
      await withPrepared(ctx, stencilWorkload, single, (prepared) =>
        check(
          ctx,
          stencilWorkload,
          persistent,
          single,
          prepared,
          `N=1000 K=1 P=${persistentWorkgroups}`,
        ),
      );
    }
  } finally {
    ctx.close();
  }
}

/**
 * `scale` beyond the awkward sizes: the CUDA-graphs blog case, and the longest chains checkLimits
 * allows (K × (1 + intensity) = SCALE_MAX_MULTIPLIES, as many kernels and as many rounds per
 * kernel), then the table of the largest relative error per strategy.
 */
async function scaleCases(
  ctx: GpuContext,
  strategies: readonly Strategy[],
  persistentWorkgroups: number,
): Promise<void> {
  console.log('-- scale: the CUDA-graphs blog case and the longest chains');
  const longest: CaseParams = {
    elements: 1000,
    kernels: SCALE_MAX_MULTIPLIES,
    intensity: 0,
    workgroupSize: WORKGROUP_SIZE,
    persistentWorkgroups,
  };
  const rounds = Math.floor(SCALE_MAX_MULTIPLIES / 4);
  const cases: [string, CaseParams][] = [
    [
      'blog N=500000 K=20',
      { elements: 500_000, kernels: 20, intensity: 0, workgroupSize: 256, persistentWorkgroups },
    ],
    [`N=1000 K=${longest.kernels} (max)`, longest],
    [`N=1000 K=4 i=${rounds - 1} (max)`, { ...longest, kernels: 4, intensity: rounds - 1 }],
  ];
  for (const [label, params] of cases) {
    await withPrepared(ctx, scaleWorkload, params, async (prepared) => {
      for (const strategy of strategies) {
        await check(ctx, scaleWorkload, strategy, params, prepared, label);
      }
    });
  }
  // One past the longest chain must be refused with a message, not overflow.
  const tooLong: CaseParams = { ...longest, kernels: SCALE_MAX_MULTIPLIES + 1 };
  const refusal = scaleWorkload.checkLimits(tooLong, ctx.limits);
  if (refusal === undefined) {
    problems++;
    console.log(`scale K=${tooLong.kernels}: ERROR checkLimits accepts a chain that overflows`);
  } else {
    console.log(`scale K=${tooLong.kernels}: refused (${refusal})`);
  }
  console.log('-- scale: largest relative error per strategy (all scale cases above)');
  for (const strategy of strategies) {
    const seen = maxRelativeErrors.get(strategy.id);
    console.log(
      `${strategy.id.padEnd(18)} ${
        seen === undefined
          ? 'not run'
          : `max rel err ${seen.max.toExponential(2)}; bit-exact in ${seen.bitExact} of ${seen.cases} cases`
      }`,
    );
  }
}

await main();
console.log(problems === 0 ? 'all combinations ok' : `${problems} combination(s) FAILED`);
process.exitCode = problems === 0 ? 0 : 1;
