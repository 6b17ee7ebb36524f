/**
 * The time left that a bench prints comes from the visits measured so far (each group's latest
 * visit; a group not visited yet counts as the mean of those that were), not from counting cases.
 * A non-terminal run prints a line after every round (test/cli-bench.test.ts runs one).
 */
import { describe, expect, it, vi } from 'vitest';
import { ProgressClock, ProgressLines, doneLine, visitLine } from '../src/commands/progress.ts';

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

  it("each group's latest visit prices its later ones; a first visit, scaled as others' were", () => {
    const clock = new ProgressClock(2);
    clock.begin('a', 0);
    clock.begin('b', 3000); // a took 3 s
    clock.begin('a', 4200); // b took 1.2 s
    clock.end(4700); // a now took 0.5 s: a sixth of its first
    // b's later visits: a sixth of its first, 0.2 s. 3 visits left of 6: one whole round
    // (0.5 + 0.2) and one visit at the mean (0.35).
    expect(clock.leftMs(3, 6)).toBeCloseTo(1050, 9);
  });

  it('in the first round, the first visits to come cost what those so far took beyond the plan', () => {
    const clock = new ProgressClock(3, 90_000); // 9 visits, 10 s each by the plan
    clock.begin('a', 0);
    clock.end(25_000); // 15 s beyond its share
    // 8 visits at 10 s, and the 2 groups not visited yet 15 s more each.
    expect(clock.leftMs(1, 9)).toBe(110_000);
  });

  it("the plan's estimate until some group has been visited twice", () => {
    const clock = new ProgressClock(2, 60_000);
    expect(clock.leftMs(0, 6)).toBe(60_000);
    clock.begin('a', 0);
    clock.begin('b', 30_000); // a's first visit: 30 s, far above its later ones
    clock.end(40_000);
    // Both groups seen once: the plan's 10 s per visit for the 4 visits left.
    expect(clock.leftMs(2, 6)).toBe(40_000);
    clock.begin('a', 40_000);
    clock.end(45_000);
    // Now from the visits: a 5 s, b 10 s × 5/30; 3 left: one round (6.67 s) and one at the mean.
    expect(clock.leftMs(3, 6)).toBeCloseTo(5000 + 10_000 / 6 + (5000 + 10_000 / 6) / 2, 6);
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

describe('the time left of a process of a run of several', () => {
  const lines = (part: { index: number; count: number; after?: number }): string[] => {
    const out: string[] = [];
    vi.useFakeTimers({ now: 0 });
    try {
      const progress = new ProgressLines(1, undefined, part, (text) => out.push(text));
      const p = { round: 0, rounds: 2, visitsDone: 0, visits: 2, group: 'map/e64/k10/i0/wg64' };
      progress.visit(p);
      vi.setSystemTime(10_000);
      progress.visited([]);
    } finally {
      vi.useRealTimers();
    }
    return out;
  };

  it('counts the processes after it: one at a time, the rest of the run (10 s visits: 10 s + 3 × 20 s)', () => {
    expect(lines({ index: 1, count: 4 }).join('')).toMatch(/~70 s left/);
  });

  it('or as told (ab --interleave visits: the other of its pair runs beside it; 10 s + 1 × 20 s)', () => {
    expect(lines({ index: 1, count: 4, after: 1 }).join('')).toMatch(/~30 s left/);
  });
});
