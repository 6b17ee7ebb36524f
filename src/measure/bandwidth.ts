/**
 * The bandwidth reference: is the `map` kernel a fair, memory-bound kernel on this GPU? Compares
 * `copyBufferToBuffer` of a large buffer (the device's own copy path) with `map` at intensity 0 on
 * the same number of bytes, both as bytes read + written per second. Each is repeated `repeats`
 * times in one command buffer and timed from submit to completion seen, so one launch's overhead
 * is spread over many full-buffer passes; the median over samples is reported. `map` also gets
 * GPU timestamps (one pass around its repeats) where the adapter has them.
 */
import type { GpuContext } from '../gpu/context.ts';
import { TimestampRecorder, gpuTimes, type ResolveMode } from '../gpu/timestamps.ts';
import { mapWorkload } from '../workloads/map.ts';
import type { Dispatch } from '../workloads/types.ts';
import { encodePass } from '../strategies/encode.ts';
import { nowNs } from '../stats/clock.ts';
import { distribution } from '../stats/stats.ts';

export interface BandwidthRow {
  method: 'copyBufferToBuffer' | 'map-kernel';
  bytes: number;
  repeats: number;
  samples: number;
  /** Median over samples of (2 × bytes × repeats) / wall time, GB/s (10^9 bytes). */
  wallGBps: number;
  /** The same from GPU timestamps, where measured. */
  gpuGBps: number | null;
  /** Relative to copyBufferToBuffer's wallGBps in the same run. */
  ofCopy: number;
}

export interface BandwidthOptions {
  /** Target buffer size; capped by maxStorageBufferBindingSize and maxBufferSize. */
  bytes: number;
  repeats: number;
  samples: number;
  workgroupSize: number;
}

export const BANDWIDTH_DEFAULTS: BandwidthOptions = {
  bytes: 256 * 2 ** 20,
  repeats: 10,
  samples: 15,
  workgroupSize: 256,
};

export function bandwidthBytes(ctx: GpuContext, wanted: number): number {
  const cap = Math.min(
    ctx.limits['maxStorageBufferBindingSize'] ?? 0,
    ctx.limits['maxBufferSize'] ?? 0,
  );
  return Math.floor(Math.min(wanted, cap) / 256) * 256;
}

/**
 * What the two methods run on: the copy's source and destination, and `repeats` dispatches of
 * the `map` kernel (intensity 0) over the same bytes; the recorder where GPU times are measured.
 */
interface Subjects {
  device: GPUDevice;
  bytes: number;
  repeats: number;
  src: GPUBuffer;
  dst: GPUBuffer;
  dispatches: Dispatch[];
  recorder: TimestampRecorder | undefined;
}

/**
 * One copyBufferToBuffer sample: `repeats` full-buffer copies in one command buffer, from before
 * its encoding until the queue reports it done; wall time in ns.
 */
async function timeCopy({ device, bytes, repeats, src, dst }: Subjects): Promise<number> {
  const t0 = nowNs();
  const encoder = device.createCommandEncoder();
  for (let r = 0; r < repeats; r++) encoder.copyBufferToBuffer(src, 0, dst, 0, bytes);
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  return nowNs() - t0;
}

/**
 * One `map` sample: its `repeats` dispatches in one pass, timed like the copy; with
 * `withTimestamps` (and a recorder) also the pass's GPU busy time, read after the wall time.
 */
async function timeMap(
  { device, dispatches, recorder }: Subjects,
  withTimestamps: boolean,
): Promise<{ wallNs: number; busyNs: number | null }> {
  const r = withTimestamps ? recorder : undefined;
  r?.reset();
  const t0 = nowNs();
  const encoder = device.createCommandEncoder();
  encodePass(encoder, dispatches, 0, dispatches.length, r, 0);
  r?.resolve(encoder, 0, 1);
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  const wallNs = nowNs() - t0;
  const times = r === undefined ? undefined : gpuTimes(await r.read());
  return { wallNs, busyNs: times?.busyNs ?? null };
}

/**
 * Both methods' rows from their samples (bytes moved per second, GB/s): the medians, and the map
 * kernel's relative to the copy's.
 */
function bandwidthRows(
  bytes: number,
  repeats: number,
  copy: number[],
  map: number[],
  mapGpu: number[],
): BandwidthRow[] {
  const copyGBps = distribution(copy).median;
  const mapGBps = distribution(map).median;
  return [
    {
      method: 'copyBufferToBuffer',
      bytes,
      repeats,
      samples: copy.length,
      wallGBps: copyGBps,
      gpuGBps: null,
      ofCopy: 1,
    },
    {
      method: 'map-kernel',
      bytes,
      repeats,
      samples: map.length,
      wallGBps: mapGBps,
      gpuGBps: mapGpu.length === 0 ? null : distribution(mapGpu).median,
      ofCopy: mapGBps / copyGBps,
    },
  ];
}

/**
 * Both methods on the largest buffer the device binds up to `options.bytes`: a warm-up of each,
 * then `options.samples` rounds of one copy, one map and one timestamped map, interleaved so
 * that both see the same machine.
 */
export async function measureBandwidth(
  ctx: GpuContext,
  options: BandwidthOptions,
  timestamps: ResolveMode | undefined,
): Promise<BandwidthRow[]> {
  const { device } = ctx;
  const bytes = bandwidthBytes(ctx, options.bytes);
  const { repeats } = options;
  const moved = 2 * bytes * repeats;
  const src = device.createBuffer({
    size: bytes,
    usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  const dst = device.createBuffer({ size: bytes, usage: GPUBufferUsage.COPY_DST });
  const elements = bytes / 4;
  const prepared = await mapWorkload.prepare(
    device,
    {
      elements,
      kernels: repeats,
      intensity: 0,
      workgroupSize: options.workgroupSize,
      persistentWorkgroups: 1,
    },
    ctx.limits,
  );
  const { dispatches } = await prepared.program('steps');
  const recorder =
    timestamps === undefined ? undefined : new TimestampRecorder(device, 1, timestamps);
  const subjects: Subjects = { device, bytes, repeats, src, dst, dispatches, recorder };
  try {
    // Warm-up both paths (first-use allocation, clocks), then interleave the samples.
    await timeCopy(subjects);
    await timeMap(subjects, false);
    const copy: number[] = [];
    const map: number[] = [];
    const mapGpu: number[] = [];
    for (let i = 0; i < options.samples; i++) {
      copy.push(moved / (await timeCopy(subjects)));
      map.push(moved / (await timeMap(subjects, false)).wallNs);
      const { busyNs } = await timeMap(subjects, true);
      if (busyNs !== null && busyNs > 0) mapGpu.push(moved / busyNs);
    }
    return bandwidthRows(bytes, repeats, copy, map, mapGpu);
  } finally {
    recorder?.destroy();
    prepared.destroy();
    src.destroy();
    dst.destroy();
  }
}
