/**
 * LAUNCHBENCH_FRESH_GROUPS=1 (src/run.ts): every visit prepares its group anew, after a spacer
 * buffer of the round's size, and its cases still verify and measure; without it a group is
 * prepared once for the run. context.json names the diagnostic (measuringEnv).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { GpuContext } from '../src/gpu/context.ts';
import { PROFILES } from '../src/profiles.ts';
import { measuringEnv } from '../src/report/context.ts';
import { FRESH_GROUPS_ENV, runPlan } from '../src/run.ts';
import { dispatchEach } from '../src/strategies/dispatch-each.ts';
import { fused } from '../src/strategies/fused.ts';
import type { Workload } from '../src/workloads/types.ts';
import { mapWorkload } from '../src/workloads/map.ts';
import { freshSeed, useSharedGpu } from './support/gpu.ts';

const gpu = useSharedGpu();
const ROUNDS = 3;

afterEach(() => {
  delete process.env[FRESH_GROUPS_ENV];
});

/** Runs map at 64 × K = 10 with two strategies in ROUNDS rounds; how often it was prepared, and spacer sizes. */
async function run(ctx: GpuContext) {
  let prepared = 0;
  let spacersDestroyed = 0;
  const spacers: number[] = [];
  const createBuffer = ctx.device.createBuffer.bind(ctx.device);
  ctx.device.createBuffer = (descriptor: GPUBufferDescriptor) => {
    const buffer = createBuffer(descriptor);
    if (descriptor.label === 'launchbench fresh-groups spacer') {
      spacers.push(descriptor.size);
      const destroy = buffer.destroy.bind(buffer);
      buffer.destroy = () => {
        spacersDestroyed++;
        destroy();
      };
    }
    return buffer;
  };
  const counting: Workload = {
    ...mapWorkload,
    prepare: (...args) => {
      prepared++;
      return mapWorkload.prepare(...args);
    },
  };
  try {
    const outcome = await runPlan(
      ctx,
      {
        workloads: [counting],
        strategies: [dispatchEach, fused],
        elements: [64],
        kernels: [10],
        intensity: [0],
        workgroupSize: [64],
        persistentWorkgroups: 0,
        sampling: { ...PROFILES['quick']!.sampling, rounds: ROUNDS, maxTimeMs: 20, minSamples: 3 },
        verify: true,
        seed: freshSeed(),
      },
      { timestamps: undefined, drift: false },
      { onCases: () => undefined },
      () => false,
    );
    return { outcome, prepared, spacers, spacersDestroyed };
  } finally {
    ctx.device.createBuffer = createBuffer;
  }
}

describe('LAUNCHBENCH_FRESH_GROUPS', () => {
  it('prepares every visit anew after a spacer, and the cases still verify', async (t) => {
    const ctx = gpu(t);
    process.env[FRESH_GROUPS_ENV] = '1';
    const { outcome, prepared, spacers, spacersDestroyed } = await run(ctx);
    expect(prepared).toBe(ROUNDS);
    expect(spacers).toHaveLength(ROUNDS);
    // each freed with its group after its visit
    expect(spacersDestroyed).toBe(ROUNDS);
    for (const size of spacers) {
      expect(size % 256).toBe(0);
      expect(size).toBeGreaterThanOrEqual(256);
      expect(size).toBeLessThanOrEqual(2 * 1024 * 1024);
    }
    // drawn per round: three rounds of 8 192 sizes are not all one size but by a 1-in-67-million chance
    expect(new Set(spacers).size).toBeGreaterThan(1);
    for (const r of outcome.results) {
      expect(r.status, r.reason).toBe('ok');
      expect(r.verified).toBe(true);
    }
    expect(measuringEnv()).toMatchObject({ [FRESH_GROUPS_ENV]: '1' });
  });

  it('is off by default: a group is prepared once for the run', async (t) => {
    const ctx = gpu(t);
    const { outcome, prepared, spacers } = await run(ctx);
    expect(prepared).toBe(1);
    expect(spacers).toHaveLength(0);
    for (const r of outcome.results) expect(r.status, r.reason).toBe('ok');
  });
});
