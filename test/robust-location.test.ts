/** Huber's M-estimate of location (src/stats/robust.ts), which compare's paired rounds use. */
import { describe, expect, it } from 'vitest';
import { HUBER_K, huberLocation, roundCentreLog, scaledMad } from '../src/stats/robust.ts';
import { roundSummary } from '../src/stats/stats.ts';

const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
const variance = (v: readonly number[]): number =>
  v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1);

describe('scaledMad', () => {
  it('is 1.4826 · the median distance from the median, one wild value or not', () => {
    expect(scaledMad([1, 2, 3, 4, 100])).toBeCloseTo(1.4826, 10);
    expect(scaledMad([1, 2, 3, 4])).toBeCloseTo(1.4826, 10);
  });
});

describe('huberLocation', () => {
  it('is the mean and the sample variance where nothing lies past k·scale', () => {
    const v = [0.1, 0.15, 0.2, 0.22, 0.3, 0.05];
    const h = huberLocation(v, 0.1)!;
    expect(h.inside).toBe(v.length);
    expect(h.location).toBeCloseTo(mean(v), 10);
    expect(h.variance).toBeCloseTo(variance(v), 10);
  });

  it('moves by at most about k·scale / n for one wild value, where the mean moves by its size / n', () => {
    const calm = [0.2, 0.25, 0.18, 0.22, 0.21, 0.24, 0.19, 0.23, 0.2, 0.22, 0.21];
    const base = huberLocation(calm, 0.03)!.location;
    const wild = [...calm, Math.log(7)];
    const h = huberLocation(wild, 0.03)!;
    expect(h.inside).toBe(wild.length - 1);
    expect(Math.abs(h.location - base)).toBeLessThan((1.1 * HUBER_K * 0.03) / wild.length);
    expect(mean(wild) - mean(calm)).toBeGreaterThan(0.13);
    // its variance stays near the calm values' own, not the wild one's
    expect(h.variance).toBeLessThan(3 * variance(calm));
    expect(variance(wild)).toBeGreaterThan(30 * variance(calm));
  });

  it('solves Σψ((x − m) / s) = 0 (the weighted mean its iterations converge to)', () => {
    const v = [-1, 0, 0.1, 0.2, 3];
    const s = 0.4;
    const h = huberLocation(v, s)!;
    const psi = v.reduce(
      (a, x) => a + Math.max(-HUBER_K * s, Math.min(HUBER_K * s, x - h.location)),
      0,
    );
    expect(Math.abs(psi)).toBeLessThan(1e-9);
  });

  it('handles small, tied and infinite series', () => {
    expect(huberLocation([0.1, 0.3], 1)!.location).toBeCloseTo(0.2, 12);
    // two at 0 and one pulled in to 2 from the estimate: 2·(0 − m) + 2 = 0
    expect(huberLocation([0, 0, 10], 1)!.location).toBeCloseTo(1, 8);
    expect(huberLocation([0.5, 0.5, 0.5], 0.1)).toEqual({ location: 0.5, variance: 0, inside: 3 });
    // an infinite value pulls by k·scale and weighs nothing more
    const h = huberLocation([0, 0.1, 0.2, Infinity], 0.5)!;
    expect(h.inside).toBe(3);
    expect(Number.isFinite(h.location)).toBe(true);
    expect(huberLocation([0, 0.1, NaN], 0.5)).toBeNull();
  });

  it('gives up (null) where more than half the values lie past k·scale, or without a scale', () => {
    expect(huberLocation([0, 1, 2, 3], 0.1)).toBeNull();
    expect(huberLocation([0, 0.1], 0)).toBeNull();
    expect(huberLocation([0, 0.1], NaN)).toBeNull();
    expect(huberLocation([0.1], 1)).toBeNull();
  });
});

describe('a case’s GPU busy figure from its rounds (roundCentreLog, roundSummary robust)', () => {
  const logs = (v: readonly number[]): number[] => v.map((x) => Math.log(x));
  const geomean = (v: readonly number[]): number => Math.exp(mean(logs(v)));
  const robust = (medians: readonly number[]): number | null =>
    roundSummary(
      medians.map((m) => [m]),
      [],
      [],
      'robust',
    ).centre;

  it('is the geometric mean of the round medians where no round is far out', () => {
    const medians = [116.2, 118.8, 113.6, 120.8, 119.2, 114.7];
    expect(Math.exp(roundCentreLog(logs(medians)))).toBeCloseTo(geomean(medians), 10);
    expect(robust(medians)).toBeCloseTo(geomean(medians), 10);
    // two rounds: the mean
    expect(roundCentreLog(logs([100, 200]))).toBeCloseTo(Math.log(Math.sqrt(20000)), 10);
    // rounds within the scale's floor of each other are never pulled in
    const close = [100, 100.4, 99.7, 100.2, 100.9];
    expect(robust(close)).toBeCloseTo(geomean(close), 10);
  });

  it('pulls a wild round in, with rounds that agree exactly or nearly beside it', () => {
    // one round 16× the others (as one round of the H200 decode pair's B at 048ff5a read on wall)
    const medians = [114.65, 116.727, 113.565, 1901.49, 119.228];
    const others = geomean([114.65, 116.727, 113.565, 119.228]);
    expect(geomean(medians) / others).toBeGreaterThan(1.7);
    const summary = roundSummary(
      medians.map((m) => [m]),
      [],
      [],
      'robust',
    );
    expect(summary.centre! / others).toBeGreaterThan(1);
    expect(summary.centre! / others).toBeLessThan(1.05);
    // the interval keeps the rounds' spread: the wild round still widens it
    expect(summary.hi95! / summary.centre!).toBeGreaterThan(3);
    // a MAD of 0, or nearly: the floor gives the same answer either way
    expect(robust([100, 100, 100, 100, 400])! / 100).toBeLessThan(1.01);
    expect(robust([100, 100, 100, 100.001, 400])! / 100).toBeLessThan(1.01);
    // wall's centre (the default) is the plain geometric mean, wild round and all
    expect(roundSummary(medians.map((m) => [m])).centre).toBeCloseTo(geomean(medians), 8);
  });
});
