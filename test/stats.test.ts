/**
 * distribution() on fixed fixtures with answers worked out by hand: median and p10/p90 by linear
 * interpolation between order statistics (R type 7 / numpy's default), mean, CV with the sample
 * standard deviation, and medianNoise as documented in src/stats/stats.ts (half-width of the
 * median's CI between order statistics n/2 ± 0.98·√n, over the median; NaN below 3 samples).
 */
import { describe, expect, it } from 'vitest';
import {
  distribution,
  medianNoiseSorted,
  quantileSorted,
  scaleDistribution,
} from '../src/stats/stats.ts';

/** 1…10, shuffled: distribution() must sort a copy. */
const ONE_TO_TEN = [7, 3, 10, 1, 5, 9, 2, 8, 4, 6];

describe('distribution', () => {
  it('1…10: median, p10/p90 interpolated, mean, cv, medianNoise', () => {
    const input = [...ONE_TO_TEN];
    const d = distribution(input);
    expect(input).toEqual(ONE_TO_TEN); // not sorted in place
    expect(d.n).toBe(10);
    expect(d.median).toBe(5.5); // position 4.5 between 5 and 6
    expect(d.p10).toBeCloseTo(1.9, 12); // position 0.9 between 1 and 2
    expect(d.p90).toBeCloseTo(9.1, 12); // position 8.1 between 9 and 10
    expect(d.mean).toBe(5.5);
    // Sample variance 82.5 / 9; cv = sd / mean.
    expect(d.cv).toBeCloseTo(Math.sqrt(82.5 / 9) / 5.5, 12);
    // 1.96·√10 = 6.198: ranks ⌊(10 − 6.198)/2⌋ = 1 and ⌈1 + (10 + 6.198)/2⌉ = 10 (1-based),
    // values 1 and 10: half-width 4.5 over median 5.5.
    expect(d.medianNoise).toBeCloseTo(4.5 / 5.5, 12);
  });

  it('odd count: the median is the middle value', () => {
    const d = distribution([30, 10, 20]);
    expect(d.median).toBe(20);
    expect(d.p10).toBeCloseTo(12, 12); // position 0.2
    expect(d.p90).toBeCloseTo(28, 12); // position 1.8
    expect(d.cv).toBeCloseTo(10 / 20, 12); // sd 10, mean 20
  });

  it('1…100: medianNoise from ranks 40 and 61 (1-based), the textbook 95% interval', () => {
    const d = distribution(Array.from({ length: 100 }, (_, i) => 100 - i));
    expect(d.median).toBe(50.5);
    expect(d.p10).toBeCloseTo(10.9, 12);
    expect(d.p90).toBeCloseTo(90.1, 12);
    // 1.96·√100 = 19.6: ⌊80.4/2⌋ = 40 and ⌈1 + 119.6/2⌉ = 61; values 40 and 61.
    expect(d.medianNoise).toBeCloseTo((61 - 40) / 2 / 50.5, 12);
  });

  it('medianNoise is NaN below 3 samples', () => {
    expect(distribution([5]).medianNoise).toBeNaN();
    expect(distribution([5, 6]).medianNoise).toBeNaN();
    expect(distribution([5, 6, 7]).medianNoise).not.toBeNaN();
  });

  it('one sample: every location is that sample, no spread', () => {
    const d = distribution([42]);
    expect(d).toMatchObject({ n: 1, median: 42, p10: 42, p90: 42, mean: 42, cv: 0 });
  });

  it('constant samples: cv 0 and medianNoise 0', () => {
    const d = distribution([4, 4, 4, 4, 4]);
    expect(d).toMatchObject({ median: 4, p10: 4, p90: 4, mean: 4, cv: 0, medianNoise: 0 });
    expect(distribution([0, 0, 0])).toMatchObject({ median: 0, cv: 0, medianNoise: 0 });
  });

  it('a zero median with spread has infinite relative noise', () => {
    expect(distribution([0, 0, 1]).medianNoise).toBe(Infinity);
  });

  it('no samples: n 0 and NaN locations', () => {
    const d = distribution([]);
    expect(d.n).toBe(0);
    expect(d.median).toBeNaN();
    expect(d.mean).toBeNaN();
    expect(d.medianNoise).toBeNaN();
  });
});

describe('quantileSorted and medianNoiseSorted', () => {
  it('interpolate linearly and hit the ends exactly', () => {
    const sorted = [10, 20, 30, 40];
    expect(quantileSorted(sorted, 0)).toBe(10);
    expect(quantileSorted(sorted, 1)).toBe(40);
    expect(quantileSorted(sorted, 0.5)).toBe(25);
    expect(quantileSorted(sorted, 0.25)).toBeCloseTo(17.5, 12);
    expect(quantileSorted([], 0.5)).toBeNaN();
  });

  it('medianNoiseSorted agrees with distribution()', () => {
    expect(medianNoiseSorted([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toBe(
      distribution(ONE_TO_TEN).medianNoise,
    );
  });
});

describe('scaleDistribution', () => {
  it('scales locations, keeps n, cv and medianNoise', () => {
    const d = distribution(ONE_TO_TEN);
    const s = scaleDistribution(d, 1e-3);
    expect(s.median).toBeCloseTo(5.5e-3, 15);
    expect(s.p10).toBeCloseTo(1.9e-3, 15);
    expect(s.p90).toBeCloseTo(9.1e-3, 15);
    expect(s.mean).toBeCloseTo(5.5e-3, 15);
    expect({ n: s.n, cv: s.cv, medianNoise: s.medianNoise }).toEqual({
      n: d.n,
      cv: d.cv,
      medianNoise: d.medianNoise,
    });
  });
});
