/**
 * `--completion nudged` (src/strategies/completion.ts) on fake queues: one that, like Firefox's,
 * reports finished work only when it next polls, here only on a submit; one that, like Dawn's,
 * reports it by itself; one that never does (a stalled queue); one whose wait fails (a lost
 * device). The nudged wait must end on the first two and stop submitting once it has; on the
 * stalled one, `cancel` (the watchdog abandoning it) or the device's loss must stop its submits;
 * a failed wait fails. Without the nudge, the first queue never answers and the test times out.
 */
import { describe, expect, it } from 'vitest';
import { makeCompletion } from '../src/strategies/completion.ts';

/**
 * A queue whose onSubmittedWorkDone resolves at the `pollOnSubmit`-th submit made after it, or
 * after `selfMs`, or rejects (`fails`), or never settles (none of them); `lose` loses the device.
 */
function fakeDevice(o: { pollOnSubmit?: number; selfMs?: number; fails?: boolean }) {
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
      return new Promise((resolve, reject) => {
        if (o.fails === true) reject(new Error('device lost'));
        if (o.selfMs !== undefined) setTimeout(resolve, o.selfMs);
        if (o.pollOnSubmit !== undefined) pending.push({ resolve, at: submits + o.pollOnSubmit });
      });
    },
  };
  let lose = (): void => undefined;
  const lost = new Promise<void>((resolve) => (lose = resolve));
  return {
    device: { queue, lost } as unknown as GPUDevice,
    submits: () => submits,
    lose: () => lose(),
  };
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('nudged completion', () => {
  it('ends where the runtime learns of finished work only at a submit (Firefox)', async () => {
    const fake = fakeDevice({ pollOnSubmit: 3 });
    const completion = makeCompletion(fake.device, 'nudged');
    await completion.wait();
    // The first nudge at once, then one a task turn: the third ended it, and no more came.
    expect(fake.submits()).toBe(3);
    await pause(20);
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
    await pause(20);
    expect(fake.submits()).toBe(made);
  });

  it('stops nudging a wait that never ends once cancelled, or once the device is lost', async () => {
    for (const end of ['cancel', 'lose'] as const) {
      const fake = fakeDevice({});
      const completion = makeCompletion(fake.device, 'nudged');
      void completion.wait();
      await pause(20);
      expect(fake.submits(), end).toBeGreaterThan(1);
      if (end === 'cancel') completion.cancel?.();
      else fake.lose();
      await pause(5);
      const made = fake.submits();
      await pause(30);
      expect(fake.submits(), end).toBe(made);
    }
  });

  it('fails where the wait fails', async () => {
    const fake = fakeDevice({ fails: true });
    await expect(makeCompletion(fake.device, 'nudged').wait()).rejects.toThrow('device lost');
  });
});
