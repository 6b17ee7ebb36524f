/**
 * The bandwidth reference: what the memory system moves, and whether the `map` kernel is a fair,
 * memory-bound kernel on this GPU. On the largest buffer the device binds (up to 256 MiB), as
 * bytes moved per second: `copyBufferToBuffer` (the device's own copy path), `map` at intensity 0,
 * and the streaming kernels of src/measure/stream.ts (`stream-copy`, `stream-read`: vec4 accesses
 * over a grid tuned to the adapter), the ceiling a memory-bound kernel such as decode's GEMVs is
 * held to (issue 22). Each is repeated `repeats` times in one command buffer and timed from submit
 * to completion seen, so one launch's overhead is spread over many full-buffer passes; the median
 * over samples is reported. The kernels also get GPU timestamps (one pass around their repeats)
 * where the adapter has them. Where the GPU's nominal peak is known (src/gpu/peak-bandwidth.ts, or
 * `--peak-gbps`), each row says its share of it.
 */
import type { GpuContext } from '../gpu/context.ts';
import { TimestampRecorder, gpuTimes, type ResolveMode } from '../gpu/timestamps.ts';
import { mapWorkload } from '../workloads/map.ts';
import type { Dispatch } from '../workloads/types.ts';
import { encodePass } from '../strategies/encode.ts';
import { nowNs } from '../stats/clock.ts';
import { distribution } from '../stats/stats.ts';
import { randomWords, seededRandom } from '../workloads/random.ts';
import {
  STREAM_TRAFFIC,
  destroyRig,
  encodeStream,
  gridCandidates,
  streamRig,
  verifyStream,
  type StreamMethod,
  type StreamRig,
} from './stream.ts';

export interface BandwidthRow {
  method: 'copyBufferToBuffer' | 'map-kernel' | StreamMethod;
  bytes: number;
  repeats: number;
  samples: number;
  /** Median over samples of (bytes moved × repeats) / wall time, GB/s (10^9 bytes); moved: 2 × bytes, `stream-read` 1 ×. */
  wallGBps: number;
  /** The same from GPU timestamps, where measured. */
  gpuGBps: number | null;
  /** Relative to copyBufferToBuffer's wallGBps in the same run. */
  ofCopy: number;
  /** The streaming kernels: the workgroup count the tuning kept; null for the others. */
  workgroups: number | null;
  /** The GPU's nominal peak where known (GB/s), where it comes from, and the row's share of it (GPU figure, else wall). */
  peakGBps: number | null;
  peakSource: string | null;
  ofPeak: number | null;
  /**
   * The shader clock as the rounds of samples began: the clock hold's clock chain reading before
   * each round, after any spin back up, µs (in inverse proportion to the clock, as drift.csv's
   * clockChainUs and context.json's clockHold.referenceChainUs): the median and the slowest over
   * the rounds; null without a hold (a CPU adapter, `--no-clock-hold`, no timestamps) or without
   * a usable reading.
   */
  clockChainUs: number | null;
  clockChainUsMax: number | null;
}

export interface BandwidthOptions {
  /** Target buffer size; capped by maxStorageBufferBindingSize and maxBufferSize. */
  bytes: number;
  repeats: number;
  samples: number;
  workgroupSize: number;
  /** The GPU's nominal peak, GB/s, and where it comes from; undefined where not known. */
  peak?: { GBps: number; source: string } | undefined;
  /** Seeds the source's random words (the streaming kernels are verified on them): the run's seed. */
  seed?: number;
  /**
   * Before the grid tuning, the warm-up and each round of samples, between samples: the clock
   * hold's check (src/gpu/clock-hold.ts), so that the ceiling is measured at the clock the cases
   * were; it gives the clock chain's reading it ends on, µs (null: none usable). One run of
   * an H100 pair, the reference made without it, read `stream-read` at 2 276 GB/s where seven
   * others there read 3 046–3 051; whether the clock was the cause is not known
   * (docs/findings.md, "The runs of 2026-12-05, seventh session").
   */
  beforeRound?: (() => Promise<number | null>) | undefined;
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
 * What the methods run on: the copy's source (random words) and destination, `repeats`
 * dispatches of the `map` kernel (intensity 0) over the same bytes, the streaming kernels over
 * source and destination; the recorder where GPU times are measured.
 */
interface Subjects {
  device: GPUDevice;
  bytes: number;
  repeats: number;
  src: GPUBuffer;
  dst: GPUBuffer;
  dispatches: Dispatch[];
  rig: StreamRig;
  recorder: TimestampRecorder | undefined;
}

/** One sample: wall ns, and GPU busy ns where timed. */
interface Timing {
  wallNs: number;
  busyNs: number | null;
}

/**
 * One sample of `encode`'s work: one command buffer, from before its encoding until the queue
 * reports it done; with `timed` (and a recorder) one pass's GPU busy time too, read after the
 * wall time. `encode` gets the pass (timed or not), or the encoder where it is null (the copy).
 */
async function timeOne(
  { device, recorder }: Subjects,
  timed: boolean,
  encode: (encoder: GPUCommandEncoder, pass: GPUComputePassEncoder | null) => void,
  inPass = true,
): Promise<Timing> {
  const r = timed ? recorder : undefined;
  r?.reset();
  const t0 = nowNs();
  const encoder = device.createCommandEncoder();
  if (inPass) {
    const pass =
      r === undefined
        ? encoder.beginComputePass()
        : encoder.beginComputePass({ timestampWrites: r.passWrites(0, 'both') });
    encode(encoder, pass);
    pass.end();
  } else encode(encoder, null);
  r?.resolve(encoder, 0, 1);
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  const wallNs = nowNs() - t0;
  const times = r === undefined ? undefined : gpuTimes(await r.read());
  return { wallNs, busyNs: times?.busyNs ?? null };
}

const timeCopy = (x: Subjects): Promise<Timing> =>
  timeOne(
    x,
    false,
    (encoder) => {
      for (let r = 0; r < x.repeats; r++) encoder.copyBufferToBuffer(x.src, 0, x.dst, 0, x.bytes);
    },
    false,
  );

const timeMap = (x: Subjects, timed: boolean): Promise<Timing> => {
  const r = timed ? x.recorder : undefined;
  // encodePass opens its own pass: the map kernel is encoded as the suite's strategies encode it.
  return timeOne(
    x,
    timed,
    (encoder) => encodePass(encoder, x.dispatches, 0, x.dispatches.length, r, 0),
    false,
  );
};

const timeStream = (
  x: Subjects,
  method: StreamMethod,
  grid: number,
  timed: boolean,
): Promise<Timing> =>
  timeOne(x, timed, (_, pass) =>
    encodeStream(pass as GPUComputePassEncoder, x.rig, method, grid, x.repeats),
  );

/** Tries each candidate grid on `method` (TUNING_SAMPLES wall samples each), returns the fastest. */
async function tuneGrid(
  x: Subjects,
  method: StreamMethod,
  candidates: readonly number[],
): Promise<number> {
  let best = { grid: candidates[0] ?? 1, ns: Infinity };
  for (const grid of candidates) {
    await timeStream(x, method, grid, false);
    const ns: number[] = [];
    for (let i = 0; i < TUNING_SAMPLES; i++)
      ns.push((await timeStream(x, method, grid, false)).wallNs);
    const median = distribution(ns).median;
    if (median < best.ns) best = { grid, ns: median };
  }
  return best.grid;
}

const TUNING_SAMPLES = 3;

/** A method's samples: bytes moved per second, wall and GPU (GB/s). */
interface Series {
  wall: number[];
  gpu: number[];
}

/** One row from a method's series. */
function rowOf(
  method: BandwidthRow['method'],
  x: Pick<Subjects, 'bytes' | 'repeats'>,
  series: Series,
  copyGBps: number,
  workgroups: number | null,
  peak: BandwidthOptions['peak'],
  chains: readonly number[],
): BandwidthRow {
  const wallGBps = distribution(series.wall).median;
  const gpuGBps = series.gpu.length === 0 ? null : distribution(series.gpu).median;
  return {
    method,
    bytes: x.bytes,
    repeats: x.repeats,
    samples: series.wall.length,
    wallGBps,
    gpuGBps,
    ofCopy: wallGBps / copyGBps,
    workgroups,
    peakGBps: peak?.GBps ?? null,
    peakSource: peak?.source ?? null,
    ofPeak: peak === undefined ? null : (gpuGBps ?? wallGBps) / peak.GBps,
    clockChainUs: chains.length === 0 ? null : distribution([...chains]).median,
    clockChainUsMax: chains.length === 0 ? null : Math.max(...chains),
  };
}

/** What the methods run on, with the source filled with seeded random words; undo with `release`. */
async function subjects(
  ctx: GpuContext,
  options: BandwidthOptions,
  timestamps: ResolveMode | undefined,
): Promise<{ x: Subjects; source: Uint32Array; release: () => void }> {
  const { device } = ctx;
  const bytes = bandwidthBytes(ctx, options.bytes);
  const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  // Everything made so far is given back if a later step throws.
  const undo: (() => void)[] = [];
  const release = (): void => {
    for (const f of undo.reverse()) f();
  };
  try {
    const src = device.createBuffer({ size: bytes, usage: storage });
    undo.push(() => src.destroy());
    const dst = device.createBuffer({ size: bytes, usage: storage });
    undo.push(() => dst.destroy());
    const source = randomWords(bytes / 4, seededRandom(options.seed ?? 1));
    device.queue.writeBuffer(src, 0, source);
    const prepared = await mapWorkload.prepare(
      device,
      {
        elements: bytes / 4,
        kernels: options.repeats,
        intensity: 0,
        workgroupSize: options.workgroupSize,
        persistentWorkgroups: 1,
      },
      ctx.limits,
    );
    undo.push(() => prepared.destroy());
    const { dispatches } = await prepared.program('steps');
    const rig = await streamRig(device, src, dst, bytes);
    undo.push(() => destroyRig(rig));
    const recorder =
      timestamps === undefined ? undefined : new TimestampRecorder(device, 1, timestamps);
    undo.push(() => recorder?.destroy());
    const x: Subjects = {
      device,
      bytes,
      repeats: options.repeats,
      src,
      dst,
      dispatches,
      rig,
      recorder,
    };
    return { x, source, release };
  } catch (error) {
    release();
    throw error;
  }
}

/**
 * Every method on the largest buffer the device binds up to `options.bytes`: the streaming
 * kernels verified and their grids tuned, a warm-up of each method, then `options.samples` rounds
 * of one sample of each (the kernels also once timestamped), interleaved so that all see the same
 * machine, each round after `options.beforeRound` (whose clock chain readings each row keeps).
 */
export async function measureBandwidth(
  ctx: GpuContext,
  options: BandwidthOptions,
  timestamps: ResolveMode | undefined,
): Promise<BandwidthRow[]> {
  const { x, source, release } = await subjects(ctx, options, timestamps);
  try {
    const maxGroups = ctx.limits['maxComputeWorkgroupsPerDimension'] ?? 65535;
    const candidates = gridCandidates(x.rig.count, maxGroups);
    // the clock chain's readings before each round of samples; those before the tuning and the
    // warm-up only bring the clock back
    const chains: number[] = [];
    const check = async (keep: boolean): Promise<void> => {
      const us = await options.beforeRound?.();
      if (keep && us !== undefined && us !== null) chains.push(us);
    };
    await check(false);
    await verifyStream(x.rig, source, candidates[0] ?? 1, (options.seed ?? 1) + 1);
    const grids: Record<StreamMethod, number> = {
      'stream-copy': await tuneGrid(x, 'stream-copy', candidates),
      'stream-read': await tuneGrid(x, 'stream-read', candidates),
    };
    const moved = (m: BandwidthRow['method']): number =>
      (m === 'stream-read' || m === 'stream-copy' ? STREAM_TRAFFIC[m] : 2) * x.bytes * x.repeats;
    const series = (): Series => ({ wall: [], gpu: [] });
    const all = { copy: series(), map: series(), 'stream-copy': series(), 'stream-read': series() };
    const add = (s: Series, m: BandwidthRow['method'], t: Timing, gpu: boolean): void => {
      if (!gpu) s.wall.push(moved(m) / t.wallNs);
      else if (t.busyNs !== null && t.busyNs > 0) s.gpu.push(moved(m) / t.busyNs);
    };
    await check(false);
    await timeCopy(x);
    await timeMap(x, false);
    for (let i = 0; i < options.samples; i++) {
      await check(true);
      add(all.copy, 'copyBufferToBuffer', await timeCopy(x), false);
      for (const timed of [false, true]) {
        add(all.map, 'map-kernel', await timeMap(x, timed), timed);
        for (const m of ['stream-copy', 'stream-read'] as const)
          add(all[m], m, await timeStream(x, m, grids[m], timed), timed);
      }
    }
    const copyGBps = distribution(all.copy.wall).median;
    const peak = options.peak;
    return [
      rowOf('copyBufferToBuffer', x, all.copy, copyGBps, null, peak, chains),
      rowOf('map-kernel', x, all.map, copyGBps, null, peak, chains),
      rowOf('stream-copy', x, all['stream-copy'], copyGBps, grids['stream-copy'], peak, chains),
      rowOf('stream-read', x, all['stream-read'], copyGBps, grids['stream-read'], peak, chains),
    ];
  } finally {
    release();
  }
}
