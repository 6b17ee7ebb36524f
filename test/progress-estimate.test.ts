/**
 * The time left that a bench prints comes from the visits measured so far (each group's latest
 * visit; a group not visited yet counts as the mean of those that were), not from counting cases.
 * A non-terminal run prints a line after every round (test/cli-bench.test.ts runs one).
 */
import { describe, expect, it } from 'vitest';
import { ProgressClock, doneLine, visitLine } from '../src/commands/progress.ts';

describe('ProgressClock', () => {
  it('nothing to say before the first visit has ended', () => {
    const clock = new ProgressClock(2);
    expect(clock.leftMs(0, 6)).toBeUndefined();
    clock.begin('a', 0);
    expect(clock.leftMs(0, 6)).toBeUndefined();
  });

  it('unvisited groups count as the mean of the visited ones', () => {
    const clock = new ProgressClock(2);
    clock.begin('a', 0);
    clock.end(3000);
    // 5 visits left: two whole rounds of a (3 s) and b (as a: 3 s), then one more at the mean.
    expect(clock.leftMs(1, 6)).toBe(15_000);
  });

  it("each group's latest visit prices its later ones", () => {
    const clock = new ProgressClock(2);
    clock.begin('a', 0);
    clock.begin('b', 3000); // a took 3 s
    clock.begin('a', 4000); // b took 1 s
    clock.end(4500); // a now took 0.5 s
    // 3 visits left of 6: one whole round (0.5 + 1) and one visit at the mean (0.75).
    expect(clock.leftMs(3, 6)).toBe(2250);
  });
});

describe('progress lines', () => {
  const p = { round: 1, rounds: 5, visitsDone: 34, visits: 140, group: 'map/e64/k1000/i0/wg64' };
  it('before a visit', () => {
    expect(visitLine(p, 94_200)).toBe('round 2/5, visit 35/140, ~95 s left');
    expect(visitLine(p, undefined)).toBe('round 2/5, visit 35/140');
  });
  it('after a visit', () => {
    expect(doneLine(p, 94_200, 60_400, 'dispatch-each 11.2 µs/kernel')).toBe(
      'round 2/5, 35/140 visits done, ~95 s left, 60 s so far: map/e64/k1000/i0/wg64: dispatch-each 11.2 µs/kernel',
    );
  });
});
