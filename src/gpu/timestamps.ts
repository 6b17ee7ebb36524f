/**
 * Pass-boundary GPU timestamps (dawn.node has no `writeTimestamp`; timestamps exist only as a
 * compute pass's `timestampWrites`).
 *
 * Each timed pass i gets two queries: 2i (beginning of pass, top of pipe: may overlap the previous
 * pass) and 2i+1 (end of pass, bottom of pipe: ordered). WebGPU caps a query set at 4096 queries,
 * so passes spill over several query sets.
 *
 * Two resolve modes:
 * - `per-command-buffer`: each command buffer resolves the passes it encoded, itself, into its own
 *   256-byte-aligned slice (the safe default: docs/design.md, Measurement). Costs a resolve (and Dawn's conversion
 *   pass) inside every timed command buffer: for one submit per kernel that doubles the wall time
 *   of a GPU sample on an H200.
 * - `after-sample`: strategies' resolve() calls do nothing and read() resolves every pass in one
 *   command buffer after the sample completed, so a GPU sample differs from a wall sample only by
 *   the timestamp writes. Used only when the start-up self-test found late-resolved values equal
 *   to per-command-buffer ones on this adapter (src/gpu/timestamp-selftest.ts).
 */
export type ResolveMode = 'per-command-buffer' | 'after-sample';

/** Which of a timed interval's two timestamps a GPU pass writes. */
export type TimestampPart = 'both' | 'begin' | 'end' | 'none';

/**
 * For K passes recorded in ONE command buffer and timed as one interval: pass 0 writes the
 * beginning, pass K−1 the end, the others nothing. Measured on an H200, a timestamped pass costs
 * about 5 µs of extra GPU time, more than a small kernel itself, so per-pass timestamps would
 * report the instrumentation instead of the kernels; the span includes the GPU's own pass-boundary
 * cost, which is part of what such a strategy costs.
 */
export function spanPart(pass: number, passes: number): TimestampPart {
  if (passes === 1) return 'both';
  if (pass === 0) return 'begin';
  return pass === passes - 1 ? 'end' : 'none';
}

const QUERIES_PER_SET = 4096;
const PASSES_PER_SET = QUERIES_PER_SET / 2;
const RESOLVE_ALIGNMENT = 256;

interface ResolvedRange {
  firstPass: number;
  passCount: number;
  byteOffset: number;
}

/** One pass's [begin, end] in GPU nanoseconds. */
export interface PassInterval {
  beginNs: bigint;
  endNs: bigint;
}

export class TimestampRecorder {
  private readonly querySets: GPUQuerySet[] = [];
  private readonly resolveBuffer: GPUBuffer;
  private readonly readbackBuffer: GPUBuffer;
  private ranges: ResolvedRange[] = [];
  private nextByteOffset = 0;
  /** Highest pass index written since reset() + 1. */
  private passesWritten = 0;

  constructor(
    private readonly device: GPUDevice,
    readonly maxPasses: number,
    readonly mode: ResolveMode = 'per-command-buffer',
  ) {
    for (let first = 0; first < maxPasses; first += PASSES_PER_SET) {
      const passes = Math.min(PASSES_PER_SET, maxPasses - first);
      this.querySets.push(device.createQuerySet({ type: 'timestamp', count: passes * 2 }));
    }
    // Worst case: every pass resolved by its own command buffer, each in an aligned slice.
    const bytes = maxPasses * RESOLVE_ALIGNMENT;
    this.resolveBuffer = device.createBuffer({
      label: 'timestamps.resolve',
      size: bytes,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    this.readbackBuffer = device.createBuffer({
      label: 'timestamps.readback',
      size: bytes,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
  }

  /** Forgets the previous sample's resolves; call before encoding a sample. */
  reset(): void {
    this.ranges = [];
    this.nextByteOffset = 0;
    this.passesWritten = 0;
  }

  /**
   * The timestampWrites of timed pass `pass`. `part` lets one timed interval span several
   * GPU passes: the first writes only its beginning, the last only its end (see spanPart).
   */
  passWrites(pass: number, part: TimestampPart = 'both'): GPUComputePassTimestampWrites {
    if (pass >= this.maxPasses) throw new RangeError(`timestamp pass ${pass} >= ${this.maxPasses}`);
    const querySet = this.querySets[Math.floor(pass / PASSES_PER_SET)];
    if (querySet === undefined) throw new RangeError(`no query set for pass ${pass}`);
    const local = (pass % PASSES_PER_SET) * 2;
    this.passesWritten = Math.max(this.passesWritten, pass + 1);
    return {
      querySet,
      ...(part !== 'end' ? { beginningOfPassWriteIndex: local } : {}),
      ...(part !== 'begin' ? { endOfPassWriteIndex: local + 1 } : {}),
    };
  }

  /**
   * Resolves passes [firstPass, firstPass + passCount) in the encoder that wrote them; in
   * `after-sample` mode, nothing (read() resolves).
   */
  resolve(encoder: GPUCommandEncoder, firstPass: number, passCount: number): void {
    if (this.mode === 'after-sample') return;
    this.resolveRange(encoder, firstPass, passCount);
  }

  private resolveRange(encoder: GPUCommandEncoder, firstPass: number, passCount: number): void {
    let pass = firstPass;
    const end = firstPass + passCount;
    while (pass < end) {
      const setIndex = Math.floor(pass / PASSES_PER_SET);
      const querySet = this.querySets[setIndex];
      if (querySet === undefined) throw new RangeError(`no query set for pass ${pass}`);
      const count = Math.min(end, (setIndex + 1) * PASSES_PER_SET) - pass;
      const byteOffset = this.nextByteOffset;
      encoder.resolveQuerySet(
        querySet,
        (pass % PASSES_PER_SET) * 2,
        count * 2,
        this.resolveBuffer,
        byteOffset,
      );
      this.ranges.push({ firstPass: pass, passCount: count, byteOffset });
      this.nextByteOffset =
        Math.ceil((byteOffset + count * 16) / RESOLVE_ALIGNMENT) * RESOLVE_ALIGNMENT;
      pass += count;
    }
  }

  /** After the sample completed: reads the resolved intervals, in pass order. */
  async read(): Promise<PassInterval[]> {
    const encoder = this.device.createCommandEncoder({ label: 'timestamps.copy' });
    if (this.mode === 'after-sample') this.resolveRange(encoder, 0, this.passesWritten);
    const bytes = this.nextByteOffset;
    if (bytes === 0) return [];
    encoder.copyBufferToBuffer(this.resolveBuffer, 0, this.readbackBuffer, 0, bytes);
    this.device.queue.submit([encoder.finish()]);
    await this.readbackBuffer.mapAsync(GPUMapMode.READ, 0, bytes);
    const values = new BigUint64Array(this.readbackBuffer.getMappedRange(0, bytes).slice(0));
    this.readbackBuffer.unmap();
    const intervals: PassInterval[] = [];
    for (const range of [...this.ranges].sort((a, b) => a.firstPass - b.firstPass)) {
      const base = range.byteOffset / 8;
      for (let i = 0; i < range.passCount; i++) {
        intervals.push({
          beginNs: values[base + 2 * i] ?? 0n,
          endNs: values[base + 2 * i + 1] ?? 0n,
        });
      }
    }
    return intervals;
  }

  destroy(): void {
    for (const set of this.querySets) set.destroy();
    this.resolveBuffer.destroy();
    this.readbackBuffer.destroy();
  }
}

/** GPU busy time, idle gaps and span of a sample's passes, from their timestamp intervals. */
export interface GpuTimes {
  /** Union of the pass intervals: time at least one pass was executing. */
  busyNs: number;
  /** Sum of the gaps between consecutive passes (no pass executing). */
  idleNs: number;
  /** First begin to last end. */
  spanNs: number;
}

/**
 * Returns undefined when the intervals are not usable: an end before its begin, or ends out of
 * order (end timestamps are bottom of pipe and must be monotonic). Begin timestamps are top of
 * pipe and may precede the previous pass's end: overlap is counted once, not twice.
 */
export function gpuTimes(intervals: readonly PassInterval[]): GpuTimes | undefined {
  const first = intervals[0];
  if (first === undefined) return undefined;
  let busy = 0n;
  let idle = 0n;
  let coveredUntil = first.beginNs;
  let previousEnd = 0n;
  for (const { beginNs, endNs } of intervals) {
    if (endNs < beginNs || endNs < previousEnd || beginNs === 0n) return undefined;
    previousEnd = endNs;
    const start = beginNs > coveredUntil ? beginNs : coveredUntil;
    if (beginNs > coveredUntil) idle += beginNs - coveredUntil;
    if (endNs > start) busy += endNs - start;
    if (endNs > coveredUntil) coveredUntil = endNs;
  }
  const last = intervals[intervals.length - 1] ?? first;
  return { busyNs: Number(busy), idleNs: Number(idle), spanNs: Number(last.endNs - first.beginNs) };
}
