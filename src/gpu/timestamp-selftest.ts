/**
 * Start-up check that GPU timestamps can be trusted on this adapter, and how to read them.
 * Eight passes of growing size, one per submit, each with begin/end timestamps, resolved twice:
 * inside each pass's own command buffer, and once more in a later command buffer.
 * - monotonic: every end ≥ its begin, ends in order across submits, none zero;
 * - quantized: every value a multiple of 65 536 ns (Dawn's `timestamp_quantization`, which the
 *   suite disables; if it shows, GPU times are unusable);
 * - lateResolveMatches: the later resolve returned the same values, so the harness may resolve
 *   after the timed region instead of inside it (TimestampRecorder's `after-sample` mode).
 */
import { selftestKernel, type SelftestKernel } from './selftest-kernel.ts';
import { gpuTimes, type PassInterval, type ResolveMode } from './timestamps.ts';
import type { GpuContext } from './context.ts';

export interface TimestampSelfTest {
  supported: boolean;
  passes: number;
  monotonic: boolean;
  quantized: boolean;
  lateResolveMatches: boolean;
  /** How GPU samples resolve their timestamps in this run. */
  resolveMode: ResolveMode;
  /** Smallest non-zero difference between any two values seen, ns (an upper bound on the tick). */
  smallestStepNs: number | null;
  /** Duration of each pass, ns. */
  passDurationsNs: number[];
  ok: boolean;
  message: string;
}

const QUANTUM_NS = 65536n;
const PASSES = 8;
const ALIGN = 256;

/** Where the passes write their timestamps, and the buffers that each resolve reads them into. */
interface Queries {
  querySet: GPUQuerySet;
  /** Each pass's two values resolved in its own command buffer, ALIGN bytes apart. */
  early: GPUBuffer;
  /** All values resolved once more in a later command buffer, packed (16 bytes a pass). */
  late: GPUBuffer;
  /** Where either is copied to be read. */
  staging: GPUBuffer;
}

/**
 * Runs the PASSES passes, of 4 << i workgroups each, one per submit, each resolving its own
 * timestamps inside its command buffer; once they are done, resolves them all again in a command
 * buffer of their own.
 */
async function runPasses(
  device: GPUDevice,
  { pipeline, bindGroup }: SelftestKernel,
  { querySet, early, late }: Queries,
): Promise<void> {
  for (let i = 0; i < PASSES; i++) {
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass({
      timestampWrites: {
        querySet,
        beginningOfPassWriteIndex: 2 * i,
        endOfPassWriteIndex: 2 * i + 1,
      },
    });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(4 << i);
    pass.end();
    encoder.resolveQuerySet(querySet, 2 * i, 2, early, ALIGN * i);
    device.queue.submit([encoder.finish()]);
  }
  await device.queue.onSubmittedWorkDone();
  const lateEncoder = device.createCommandEncoder();
  lateEncoder.resolveQuerySet(querySet, 0, 2 * PASSES, late, 0);
  device.queue.submit([lateEncoder.finish()]);
}

/** The PASSES intervals resolved into `buffer`, `strideBytes` apart, read through `staging`. */
async function readIntervals(
  device: GPUDevice,
  staging: GPUBuffer,
  buffer: GPUBuffer,
  strideBytes: number,
): Promise<PassInterval[]> {
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, 0, staging, 0, buffer.size);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ, 0, buffer.size);
  const words = new BigUint64Array(staging.getMappedRange(0, buffer.size).slice(0));
  staging.unmap();
  return Array.from({ length: PASSES }, (_, i) => ({
    beginNs: words[(i * strideBytes) / 8] ?? 0n,
    endNs: words[(i * strideBytes) / 8 + 1] ?? 0n,
  }));
}

/** Smallest non-zero difference between any two of `values`, ns; null when they are all equal. */
function smallestStep(values: readonly bigint[]): number | null {
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let smallest: number | null = null;
  for (let i = 1; i < sorted.length; i++) {
    const d = Number((sorted[i] ?? 0n) - (sorted[i - 1] ?? 0n));
    if (d > 0 && (smallest === null || d < smallest)) smallest = d;
  }
  return smallest;
}

/**
 * Judges the intervals resolved early and late into `result`: whether GPU times are usable, how
 * the run resolves them, and the line that says so.
 */
function judge(
  result: TimestampSelfTest,
  intervals: readonly PassInterval[],
  lateIntervals: readonly PassInterval[],
): void {
  const values = intervals.flatMap((p) => [p.beginNs, p.endNs]);
  result.passes = PASSES;
  result.monotonic = gpuTimes(intervals) !== undefined;
  result.quantized = values.every((v) => v % QUANTUM_NS === 0n);
  result.lateResolveMatches = intervals.every(
    (p, i) => p.beginNs === lateIntervals[i]?.beginNs && p.endNs === lateIntervals[i]?.endNs,
  );
  result.resolveMode = result.lateResolveMatches ? 'after-sample' : 'per-command-buffer';
  result.smallestStepNs = smallestStep(values);
  result.passDurationsNs = intervals.map((p) => Number(p.endNs - p.beginNs));
  result.ok = result.monotonic && !result.quantized;
  result.message = !result.monotonic
    ? 'timestamps are not monotonic: GPU times are not usable'
    : result.quantized
      ? 'timestamps are quantised to 65 536 ns: GPU times are not usable'
      : `timestamps monotonic and unquantised; resolved ${result.lateResolveMatches ? 'after each sample (late resolve verified)' : 'in each command buffer (late resolve differed)'}`;
}

/** The self-test on `ctx`'s device; without 'timestamp-query', the result that says so. */
export async function timestampSelfTest(ctx: GpuContext): Promise<TimestampSelfTest> {
  const result: TimestampSelfTest = {
    supported: ctx.hasTimestamps,
    passes: 0,
    monotonic: false,
    quantized: false,
    lateResolveMatches: false,
    resolveMode: 'per-command-buffer',
    smallestStepNs: null,
    passDurationsNs: [],
    ok: false,
    message: "adapter lacks 'timestamp-query': GPU times are not measured",
  };
  if (!ctx.hasTimestamps) return result;
  const { device } = ctx;
  const kernel = await selftestKernel(device, 'timestamp-selftest', {}, 65536);
  const resolveUsage = GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC;
  const queries: Queries = {
    querySet: device.createQuerySet({ type: 'timestamp', count: 2 * PASSES }),
    early: device.createBuffer({ size: ALIGN * PASSES, usage: resolveUsage }),
    late: device.createBuffer({ size: 16 * PASSES, usage: resolveUsage }),
    staging: device.createBuffer({
      size: ALIGN * PASSES,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    }),
  };
  const { querySet, early, late, staging } = queries;
  try {
    await runPasses(device, kernel, queries);
    const intervals = await readIntervals(device, staging, early, ALIGN);
    const lateIntervals = await readIntervals(device, staging, late, 16);
    judge(result, intervals, lateIntervals);
    return result;
  } finally {
    for (const b of [kernel.sink, early, late, staging]) b.destroy();
    querySet.destroy();
  }
}
