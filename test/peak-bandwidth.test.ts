/** The GPU peak-bandwidth table (src/gpu/peak-bandwidth.ts) on the names WebGPU runtimes report. */
import { describe, expect, it } from 'vitest';
import { peakBandwidth } from '../src/gpu/peak-bandwidth.ts';

describe('peakBandwidth', () => {
  it("finds the H200 as Dawn and as Deno's wgpu name it, and the H100 as Dawn does", () => {
    expect(
      peakBandwidth({ device: 'nvidia-h200', description: 'NVIDIA: 580.159.04' }, undefined),
    ).toEqual({
      GBps: 4800,
      source: 'NVIDIA H200 (HBM3e) datasheet',
    });
    expect(peakBandwidth({ device: '9013', description: 'NVIDIA H200' }, undefined)?.GBps).toBe(
      4800,
    );
    expect(
      peakBandwidth({ device: 'nvidia-h100-80gb-hbm3', description: '' }, undefined)?.GBps,
    ).toBe(3350);
    expect(peakBandwidth({ device: 'nvidia-h100-pcie', description: '' }, undefined)?.GBps).toBe(
      2000,
    );
  });

  it('tells a GPU from its laptop and Ti siblings, whose bandwidth differs', () => {
    const gbps = (device: string): number | undefined =>
      peakBandwidth({ device, description: '' }, undefined)?.GBps;
    expect(gbps('nvidia-geforce-rtx-4090')).toBe(1008);
    expect(gbps('nvidia-geforce-rtx-4090-laptop-gpu')).toBeUndefined();
    expect(gbps('nvidia-geforce-rtx-3090')).toBe(936);
    expect(gbps('nvidia-geforce-rtx-3090-ti')).toBeUndefined();
  });

  it('knows nothing of a CPU adapter, and --peak-gbps wins over the table', () => {
    expect(
      peakBandwidth({ device: 'llvmpipe (LLVM 15.0.6, 256 bits)', description: 'Mesa' }, undefined),
    ).toBeUndefined();
    expect(peakBandwidth({ device: 'nvidia-h200', description: '' }, 4000)).toEqual({
      GBps: 4000,
      source: '--peak-gbps',
    });
  });
});
