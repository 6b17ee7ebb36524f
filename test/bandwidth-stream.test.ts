/**
 * The bandwidth reference's streaming kernels (src/measure/stream.ts, shaders/stream.wgsl) on a
 * real adapter: verified against the source before any timing, a verification that fails on a
 * wrong source, and every method measured with a grid from the candidates.
 */
import { describe, expect, it } from 'vitest';
import { measureBandwidth } from '../src/measure/bandwidth.ts';
import { gridCandidates, streamRig, destroyRig, verifyStream } from '../src/measure/stream.ts';
import { randomWords, seededRandom } from '../src/workloads/random.ts';
import { freshSeed, useSharedGpu } from './support/gpu.ts';

const gpu = useSharedGpu();

describe('streaming kernels', () => {
  it('copy and read match the CPU on fresh random words; a wrong source is caught', async (t) => {
    const { device } = gpu(t);
    const seed = freshSeed();
    const bytes = 4 * 2 ** 20;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const src = device.createBuffer({ size: bytes, usage });
    const dst = device.createBuffer({ size: bytes, usage });
    const source = randomWords(bytes / 4, seededRandom(seed));
    device.queue.writeBuffer(src, 0, source);
    const rig = await streamRig(device, src, dst, bytes);
    try {
      await expect(verifyStream(rig, source, 64, seed), `seed ${seed}`).resolves.toBeUndefined();
      const wrong = source.slice();
      wrong[4 * 1000 + 2] = (wrong[4 * 1000 + 2] ?? 0) ^ 1;
      // The read kernel's xor over an invocation's vec4s sees the flipped bit wherever the copy check does not.
      await expect(verifyStream(rig, wrong, 64, seed)).rejects.toThrow(/stream-(copy|read)/);
    } finally {
      destroyRig(rig);
      src.destroy();
      dst.destroy();
    }
  });

  it('grid candidates leave every invocation work and respect the device limit', () => {
    expect(gridCandidates(2 ** 24, 65535)).toEqual([256, 1024, 4096, 16384]);
    expect(gridCandidates(2 ** 18, 65535)).toEqual([256, 1024]);
    expect(gridCandidates(2 ** 24, 2000)).toEqual([256, 1024]);
    expect(gridCandidates(1000, 65535)).toEqual([3]);
  });

  it('measures copy, map, stream-copy and stream-read, with the peak share where given', async (t) => {
    const ctx = gpu(t);
    // the clock hold's check goes before the tuning, the warm-up and each round of samples; the
    // rows keep the clock chain's readings before the rounds (µs)
    const readings = [300, 250, 125, 140];
    let checks = 0;
    const rows = await measureBandwidth(
      ctx,
      {
        bytes: 4 * 2 ** 20,
        repeats: 2,
        samples: 2,
        workgroupSize: 256,
        peak: { GBps: 1000, source: 'test' },
        seed: freshSeed(),
        beforeRound: () => Promise.resolve(readings[checks++] ?? null),
      },
      undefined,
    );
    expect(checks).toBe(4);
    for (const r of rows) {
      expect(r.clockChainUs, r.method).toBeCloseTo(132.5, 9);
      expect(r.clockChainUsMax, r.method).toBe(140);
    }
    expect(rows.map((r) => r.method)).toEqual([
      'copyBufferToBuffer',
      'map-kernel',
      'stream-copy',
      'stream-read',
    ]);
    for (const r of rows) {
      expect(r.wallGBps, r.method).toBeGreaterThan(0);
      expect(r.ofPeak, r.method).toBeCloseTo(r.wallGBps / 1000, 6);
    }
    for (const r of rows.filter((x) => x.method.startsWith('stream-')))
      expect(gridCandidates(2 ** 18, 65535)).toContain(r.workgroups);
  });
});
