/**
 * Grid shapes shared by the workloads: one invocation per element, 1-D while the workgroup count
 * fits in one dimension, 2-D past maxComputeWorkgroupsPerDimension.
 */
export interface Grid {
  workgroups: readonly [number, number, number];
  /** Workgroups per row; element index = (y * rowWorkgroups + x) * workgroupSize + local. */
  rowWorkgroups: number;
}

export function gridFor(elements: number, workgroupSize: number, maxPerDimension: number): Grid {
  const needed = Math.max(1, Math.ceil(elements / workgroupSize));
  if (needed <= maxPerDimension) return { workgroups: [needed, 1, 1], rowWorkgroups: needed };
  const rows = Math.ceil(needed / maxPerDimension);
  if (rows > maxPerDimension) {
    throw new RangeError(`${elements} elements need more than ${maxPerDimension}² workgroups`);
  }
  // Spread evenly over the rows so the last row is not nearly empty.
  const perRow = Math.ceil(needed / rows);
  return { workgroups: [perRow, rows, 1], rowWorkgroups: perRow };
}

/** Uniform-buffer slot stride for per-dispatch parameters read through dynamic offsets. */
export function uniformSlotBytes(limits: Record<string, number>): number {
  return Math.max(256, limits['minUniformBufferOffsetAlignment'] ?? 256);
}

export function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}
