/**
 * The plan-fitting calibration (src/measure/calibrate.ts) waits the way the run's strategies will
 * (`--completion`): its round trips are those the cases pay.
 */
import { describe, expect, it } from 'vitest';
import { calibrate } from '../src/measure/calibrate.ts';
import { useSharedGpu } from './support/gpu.ts';

const gpu = useSharedGpu();

describe('calibrate', () => {
  it('waits with onSubmittedWorkDone or with mapAsync, as asked, and gives positive figures', async (t) => {
    const ctx = gpu(t);
    const queue = ctx.device.queue;
    const original = queue.onSubmittedWorkDone.bind(queue);
    let waits = 0;
    queue.onSubmittedWorkDone = () => {
      waits++;
      return original();
    };
    try {
      const done = await calibrate(ctx, {
        stallTimeoutMs: 60_000,
        completion: 'submitted-work-done',
      });
      const byDone = waits;
      waits = 0;
      const mapped = await calibrate(ctx, { stallTimeoutMs: 60_000, completion: 'map-async' });
      // Every execution of the first waited on the queue; the second waited on a mapped buffer.
      expect(byDone).toBeGreaterThan(10);
      expect(waits).toBeLessThan(byDone / 10);
      for (const c of [done, mapped]) {
        expect(c.roundTripUs).toBeGreaterThan(0);
        expect(c.dispatchUs).toBeGreaterThan(0);
        expect(c.elementNs).toBeGreaterThan(0);
      }
    } finally {
      queue.onSubmittedWorkDone = original;
    }
  });
});
