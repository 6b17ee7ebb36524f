/**
 * `--completion nudged` (src/strategies/completion.ts) on two fake queues: one that, like
 * Firefox's, reports finished work only when it next polls, here only on a submit; and one that,
 * like Dawn's, reports it by itself. The nudged wait must end on both, and stop submitting once
 * it has. Without the nudge, the first queue never answers and the test times out.
 */
import { describe, expect, it } from 'vitest';
import { makeCompletion } from '../src/strategies/completion.ts';

/** A queue whose onSubmittedWorkDone resolves at the `pollOnSubmit`-th submit made after it, or after `selfMs`. */
function fakeDevice(o: { pollOnSubmit?: number; selfMs?: number }) {
  let submits = 0;
  const pending: { resolve: () => void; at: number }[] = [];
  const queue = {
    submit(buffers: unknown[]) {
      expect(buffers).toEqual([]);
      submits++;
      for (const p of pending.splice(0)) {
        if (submits >= p.at) p.resolve();
        else pending.push(p);
      }
    },
    onSubmittedWorkDone(): Promise<void> {
      return new Promise((resolve) => {
        if (o.selfMs !== undefined) setTimeout(resolve, o.selfMs);
        if (o.pollOnSubmit !== undefined) pending.push({ resolve, at: submits + o.pollOnSubmit });
      });
    },
  };
  return { device: { queue } as unknown as GPUDevice, submits: () => submits };
}

describe('nudged completion', () => {
  it('ends where the runtime learns of finished work only at a submit (Firefox)', async () => {
    const fake = fakeDevice({ pollOnSubmit: 3 });
    const completion = makeCompletion(fake.device, 'nudged');
    await completion.wait();
    // The first nudge at once, then one a task turn: the third ended it, and no more came.
    expect(fake.submits()).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fake.submits()).toBe(3);
  });

  it('ends where the runtime reports completion by itself (Dawn), nudging meanwhile', async () => {
    const fake = fakeDevice({ selfMs: 15 });
    const completion = makeCompletion(fake.device, 'nudged');
    const t0 = performance.now();
    await completion.wait();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(14);
    const made = fake.submits();
    expect(made).toBeGreaterThan(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fake.submits()).toBe(made);
  });
});
