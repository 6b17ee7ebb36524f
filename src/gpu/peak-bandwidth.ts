/**
 * The nominal memory bandwidth of a few GPUs, from their vendors' datasheets, so that the
 * bandwidth reference can say what share of the hardware's peak a kernel streams (issue 22).
 * Matched on the adapter's device and description as WebGPU reports them (Dawn: `nvidia-h200`;
 * Deno's wgpu: `NVIDIA H200`), lower-cased, anything but letters and digits as '-'. `--peak-gbps`
 * gives the figure for a GPU not listed, or overrides one.
 */
import type { AdapterDescription } from './context.ts';

interface PeakEntry {
  /** Matched against the normalised device and description. */
  pattern: RegExp;
  GBps: number;
  name: string;
}

/** Datasheet figures, 10⁹ bytes per second. */
export const PEAKS: readonly PeakEntry[] = [
  { pattern: /\bh200\b/, GBps: 4800, name: 'NVIDIA H200 (HBM3e)' },
  { pattern: /\bh100-pcie\b/, GBps: 2000, name: 'NVIDIA H100 PCIe' },
  { pattern: /\bh100-80gb-hbm3\b|\bh100-sxm/, GBps: 3350, name: 'NVIDIA H100 SXM5 (HBM3)' },
  { pattern: /\ba100-sxm4-80gb\b/, GBps: 2039, name: 'NVIDIA A100 SXM4 80 GB' },
  { pattern: /\ba100-sxm4-40gb\b/, GBps: 1555, name: 'NVIDIA A100 SXM4 40 GB' },
  { pattern: /\bl40s\b/, GBps: 864, name: 'NVIDIA L40S' },
  { pattern: /\bl4\b/, GBps: 300, name: 'NVIDIA L4' },
  { pattern: /\brtx-4090\b(?!-laptop)/, GBps: 1008, name: 'NVIDIA GeForce RTX 4090' },
  { pattern: /\brtx-3090\b(?!-ti)(?!-laptop)/, GBps: 936, name: 'NVIDIA GeForce RTX 3090' },
];

const normalise = (text: string): string => text.toLowerCase().replace(/[^a-z0-9]+/g, '-');

/**
 * The peak for this adapter: `--peak-gbps` where given, else the table's entry for it; undefined
 * where neither says.
 */
export function peakBandwidth(
  adapter: Pick<AdapterDescription, 'device' | 'description'>,
  override: number | undefined,
): { GBps: number; source: string } | undefined {
  if (override !== undefined) return { GBps: override, source: '--peak-gbps' };
  const name = normalise(`${adapter.device} ${adapter.description}`);
  const entry = PEAKS.find((p) => p.pattern.test(name));
  return entry === undefined ? undefined : { GBps: entry.GBps, source: `${entry.name} datasheet` };
}
