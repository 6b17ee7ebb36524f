/**
 * GPU time of dispatches, each in a timestamped pass of its own, all of them in one command buffer
 * per run: a diagnostic's timer (the decode megakernel's grid barriers, src/workloads/decode/
 * prepared.ts; scripts/decode-ops.ts). The harness times strategies through their own passes
 * instead (src/gpu/timestamps.ts). Needs `timestamp-query`.
 */
/** One dispatch to time: a workload's Dispatch (src/workloads/types.ts) is one. */
export interface TimedDispatch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  dynamicOffsets: readonly number[];
  workgroups: readonly [number, number, number];
}

/** The most dispatches one call times: a query set holds at most 4096 queries, two per pass. */
const MOST_DISPATCHES = 2048;

/**
 * ns of each dispatch in each of `runs` runs after `warmups` untimed ones, as [run][dispatch]; each
 * run is submitted and read back before the next.
 */
export async function passTimesNs(
  device: GPUDevice,
  dispatches: readonly TimedDispatch[],
  runs: number,
  warmups: number,
): Promise<number[][]> {
  const n = dispatches.length;
  if (n === 0 || n > MOST_DISPATCHES)
    throw new RangeError(`pass times: ${n} dispatches, from 1 to ${MOST_DISPATCHES}`);
  const querySet = device.createQuerySet({ type: 'timestamp', count: 2 * n });
  const resolve = device.createBuffer({
    label: 'pass-times.resolve',
    size: 16 * n,
    usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
  });
  const read = device.createBuffer({
    label: 'pass-times.read',
    size: 16 * n,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const times: number[][] = [];
  try {
    for (let r = 0; r < warmups + runs; r++) {
      const encoder = device.createCommandEncoder({ label: 'pass-times' });
      dispatches.forEach((d, i) => {
        const pass = encoder.beginComputePass({
          timestampWrites: {
            querySet,
            beginningOfPassWriteIndex: 2 * i,
            endOfPassWriteIndex: 2 * i + 1,
          },
        });
        pass.setPipeline(d.pipeline);
        pass.setBindGroup(0, d.bindGroup, d.dynamicOffsets);
        pass.dispatchWorkgroups(...d.workgroups);
        pass.end();
      });
      encoder.resolveQuerySet(querySet, 0, 2 * n, resolve, 0);
      encoder.copyBufferToBuffer(resolve, 0, read, 0, 16 * n);
      device.queue.submit([encoder.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      const stamps = new BigUint64Array(read.getMappedRange().slice(0));
      read.unmap();
      if (r >= warmups)
        times.push(
          dispatches.map((_, i) => Number((stamps[2 * i + 1] ?? 0n) - (stamps[2 * i] ?? 0n))),
        );
    }
  } finally {
    querySet.destroy();
    resolve.destroy();
    read.destroy();
  }
  return times;
}
