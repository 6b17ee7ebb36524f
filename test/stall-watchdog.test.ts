/**
 * The host-side watchdog turns a stall into a failed case instead of a hang: a strategy whose
 * execution never completes (as a GPU that never signals would) fails with a watchdog reason
 * within its stall timeout, and the next case runs normally.
 */
import { describe, expect, it } from 'vitest';
import { measureCase } from '../src/run.ts';
import { type CaseInput } from '../src/measure/run-case.ts';
import { strategyById } from '../src/strategies/index.ts';
import type { Strategy } from '../src/strategies/types.ts';
import { mapWorkload } from '../src/workloads/map.ts';
import { seededRandom } from '../src/workloads/random.ts';
import type { CaseParams } from '../src/workloads/types.ts';
import { useSharedGpu } from './support/gpu.ts';

const gpu = useSharedGpu();

const stalls: Strategy = {
  id: 'stalls',
  description: 'an execution that never completes',
  cudaAnalogue: '(test double)',
  program: 'steps',
  launchCost: 'dispatch',
  headline: null,
  prepare: () => ({
    timedPasses: 1,
    execute: () => new Promise(() => undefined),
  }),
};

describe('stall watchdog', () => {
  it('fails a stalled case within its timeout and lets the next one run', async (t) => {
    const ctx = gpu(t);
    const params: CaseParams = {
      elements: 64,
      kernels: 2,
      intensity: 0,
      workgroupSize: 64,
      persistentWorkgroups: 1,
    };
    const prepared = await mapWorkload.prepare(ctx.device, params, ctx.limits);
    const input = mapWorkload.makeInput(params, seededRandom(7));
    const base: Omit<CaseInput, 'strategy'> = {
      ctx,
      workload: mapWorkload,
      params,
      prepared,
      input,
      expected: { values: mapWorkload.reference(input, params) },
      sampling: {
        rounds: 1,
        warmupMs: 1,
        minWarmup: 1,
        minSamples: 3,
        maxSamples: 5,
        maxTimeMs: 50,
        maxNoise: 0.5,
        stallTimeoutMs: 300,
      },
      verify: true,
      timestamps: undefined,
      shouldStop: () => false,
    };
    try {
      const started = Date.now();
      const stalled = await measureCase({ ...base, strategy: stalls });
      expect(Date.now() - started).toBeLessThan(5000);
      expect(stalled.result.status).toBe('failed');
      expect(stalled.result.reason).toMatch(/did not complete within 300 ms \(watchdog\)/);
      expect(stalled.samples).toEqual([]);
      const next = await measureCase({
        ...base,
        strategy: strategyById('dispatch-each') ?? stalls,
      });
      expect(next.result.status).toBe('ok');
      expect(next.result.verified).toBe(true);
    } finally {
      prepared.destroy();
    }
  });
});
