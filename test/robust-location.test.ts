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

describe('a case’s figure from its rounds (roundCentreLog, roundSummary)', () => {
  const logs = (v: readonly number[]): number[] => v.map((x) => Math.log(x));
  const geomean = (v: readonly number[]): number => Math.exp(mean(logs(v)));

  it('is the geometric mean of the round medians where no round is far out', () => {
    const medians = [116.2, 118.8, 113.6, 120.8, 119.2, 114.7];
    expect(Math.exp(roundCentreLog(logs(medians)))).toBeCloseTo(geomean(medians), 10);
    expect(roundSummary(medians.map((m) => [m])).centre).toBeCloseTo(geomean(medians), 10);
    // two rounds, or rounds all alike (MAD 0): the mean
    expect(roundCentreLog(logs([100, 200]))).toBeCloseTo(Math.log(Math.sqrt(20000)), 10);
    expect(roundCentreLog(logs([100, 100, 100, 100, 400]))).toBeCloseTo(
      mean(logs([100, 100, 100, 100, 400])),
      10,
    );
  });

  it('pulls a wild round in: the H200 decode pair’s 30 ms step among steps of 1.9 ms', () => {
    // results/20261206T065220Z-nvidia-h200-decode-pair/b, decode:llama-1b persistent, µs a layer:
    // its geometric mean was 1.74× the other rounds'
    const medians = [114.65, 116.727, 113.565, 1901.49, 119.228];
    const others = geomean([114.65, 116.727, 113.565, 119.228]);
    expect(geomean(medians) / others).toBeGreaterThan(1.7);
    const summary = roundSummary(medians.map((m) => [m]));
    expect(summary.centre! / others).toBeGreaterThan(1);
    expect(summary.centre! / others).toBeLessThan(1.05);
    // the interval keeps the rounds' spread: the wild round still widens it
    expect(summary.hi95! / summary.centre!).toBeGreaterThan(3);
  });
});
