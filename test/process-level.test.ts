/**
 * Runs made of several processes (src/measure/merge.ts, src/stats/state.ts processMeanSquare):
 * the process level's mean square on known answers; on a simulated machine where each fresh
 * process meets its own state, repeat intervals that know which process took each round cover a
 * second run's figure, and intervals that treat the rounds as independent do not; and the merge
 * of processes' cases: the run's round axis, statuses, evidence. Pure; no GPU.
 */
import { describe, expect, it } from 'vitest';
import { processMeanSquare, withStateFit } from '../src/stats/state.ts';
import { roundSummary } from '../src/stats/stats.ts';
import { mergeProcesses, type ProcessPart } from '../src/measure/merge.ts';
import type { CaseResult, Sample } from '../src/stats/result.ts';
import { newCaseResult } from '../src/measure/run-case.ts';
import { strategyById } from '../src/strategies/index.ts';
import type { Strategy } from '../src/strategies/types.ts';
import { mapWorkload } from '../src/workloads/map.ts';
import { seededRandom } from '../src/workloads/random.ts';

const gauss = (seed: number): (() => number) => {
  const next = seededRandom(seed);
  const u = (): number => next() / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
};

describe('processMeanSquare', () => {
  it('is the mean square between the processes, per round', () => {
    // Process means +1, −1, +1, −1 around 0, two rounds each: (4 · 2·1) / (4 − 1) = 8/3.
    const d = [1, 1, -1, -1, 1, 1, -1, -1];
    const p = [0, 0, 1, 1, 2, 2, 3, 3];
    expect(processMeanSquare(d, p)?.df).toBe(3);
    expect(processMeanSquare(d, p)?.meanSquare).toBeCloseTo(8 / 3, 12);
    // Unbalanced: means 2 (1 round), −1 (2 rounds), 0, 0 around 0: (1·4 + 2·1) / 3 = 2.
    expect(processMeanSquare([2, -0.5, -1.5, 0, 0, 0], [0, 1, 1, 2, 3, 3])?.meanSquare).toBe(2);
  });
  it('is undefined below 4 processes, and where every round is its own process', () => {
    expect(processMeanSquare([1, -1, 0], [0, 0, 0])).toBeUndefined();
    expect(processMeanSquare([1, 1, -1, -1, 0, 0], [0, 0, 1, 1, 2, 2])).toBeUndefined();
    expect(processMeanSquare([1, -1, 0, 2], [0, 1, 2, 3])).toBeUndefined();
  });
});

/**
 * One simulated run: `processes` processes of `perProcess` rounds; each process meets a state
 * that moves every round of it by a factor exp(σp·z), each round adds exp(σr·z).
 */
function simulatedRun(
  z: () => number,
  processes: number,
  perProcess: number,
  sigmaProcess: number,
  sigmaRound: number,
): { rounds: number[][]; processOfRound: number[] } {
  const rounds: number[][] = [];
  const processOfRound: number[] = [];
  for (let p = 0; p < processes; p++) {
    const shift = sigmaProcess * z();
    for (let r = 0; r < perProcess; r++) {
      rounds.push([100 * Math.exp(shift + sigmaRound * z())]);
      processOfRound.push(p);
    }
  }
  return { rounds, processOfRound };
}

/** Share of `pairs` simulated repeats whose B figure lies inside A's 95% repeat interval. */
function coverage(knowProcesses: boolean, pairs: number, seed: number): number {
  const z = gauss(seed);
  let inside = 0;
  for (let i = 0; i < pairs; i++) {
    const a = simulatedRun(z, 4, 2, 0.1, 0.02);
    const b = simulatedRun(z, 4, 2, 0.1, 0.02);
    const sa = withStateFit(roundSummary(a.rounds, [], knowProcesses ? a.processOfRound : []));
    const sb = roundSummary(b.rounds);
    if (
      sa.lo95 !== null &&
      sa.hi95 !== null &&
      sb.centre !== null &&
      sb.centre >= sa.lo95 &&
      sb.centre <= sa.hi95
    )
      inside++;
  }
  return inside / pairs;
}

describe('repeat intervals of a run of several processes', () => {
  it('cover a repeat where processes differ, and rounds taken as independent do not', () => {
    // 4 processes × 2 rounds, processes ±10% apart, rounds ±2% within a process.
    const known = coverage(true, 400, 5);
    const unknown = coverage(false, 400, 5);
    expect(known).toBeGreaterThanOrEqual(0.9);
    expect(unknown).toBeLessThan(0.86);
  });
  it("are the rounds' own where every process took one round", () => {
    const z = gauss(9);
    const run = simulatedRun(z, 6, 1, 0.1, 0.02);
    const plain = roundSummary(run.rounds);
    const perProcess = withStateFit(roundSummary(run.rounds, [], run.processOfRound));
    expect(perProcess.lo95).toBeCloseTo(plain.lo95 ?? NaN, 12);
    expect(perProcess.roundProcesses).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

const sample = (caseId: string, round: number, wallNs: number): Sample => ({
  caseId,
  index: 0,
  round,
  turn: 0,
  atMs: 0,
  gc: false,
  kind: 'wall',
  wallNs,
  encodeNs: 0,
  submitNs: 0,
  waitNs: 0,
  preEncodeNs: 0,
  gpuBusyNs: null,
  gpuIdleNs: null,
  gpuSpanNs: null,
  completionLowerNs: null,
  completionUpperNs: null,
  clockRel: null,
});

/** A case of `map` at 64 elements, K = 10, as a process left it (its evidence included). */
function caseResult(
  strategy: string,
  status: CaseResult['status'],
  reason: string,
  states: number[],
): CaseResult {
  const params = {
    elements: 64,
    kernels: 10,
    intensity: 0,
    workgroupSize: 64,
    persistentWorkgroups: 0,
  };
  return {
    ...newCaseResult(mapWorkload, strategyById(strategy) as Strategy, params, status, reason),
    verified: reason === '',
    verifiedElements: 640,
    enoughSamples: true,
    elapsedMs: 10,
    droppedGpuSamples: 1,
    evidence: {
      timedPasses: 1,
      costNsPerTimedPass: undefined,
      costNsByRound: [],
      statesNsByRound: states,
      minSamples: 2,
      maxNoise: 0.05,
    },
  };
}

describe('mergeProcesses', () => {
  const id = (s: string): string => `map/e64/k10/i0/wg64/${s}`;
  const part = (
    results: CaseResult[],
    walls: Record<string, number[][]>,
    rounds: number,
  ): ProcessPart => ({
    results,
    samples: Object.entries(walls).flatMap(([s, byRound]) =>
      byRound.flatMap((values, round) => values.map((v) => sample(id(s), round, v))),
    ),
    rounds,
    interrupted: false,
  });
  const one = part(
    [
      caseResult('dispatch-each', 'ok', '', [50e3, 60e3]),
      caseResult('fused', 'ok', '', [50e3, 60e3]),
    ],
    {
      'dispatch-each': [
        [1000, 1010],
        [1100, 1090],
      ],
      fused: [
        [100, 101],
        [110, 111],
      ],
    },
    2,
  );
  const two = part(
    [
      caseResult('dispatch-each', 'ok', '', [70e3]),
      caseResult('fused', 'failed', 'output mismatch at 3', [70e3]),
    ],
    { 'dispatch-each': [[1200, 1190]], fused: [[120, 121]] },
    1,
  );
  const merged = mergeProcesses([one, two], { minSamples: 4, maxNoise: 0.05 }, true);

  it("puts every process's rounds on the run's axis", () => {
    expect(merged.offsets).toEqual([0, 2]);
    const rounds = merged.samples
      .filter((s) => s.caseId === id('dispatch-each'))
      .map((s) => s.round);
    expect(rounds).toEqual([0, 0, 1, 1, 2, 2]);
    const each = merged.results.find((r) => r.strategy === 'dispatch-each');
    expect(each?.wallRounds?.rounds).toBe(3);
    expect(each?.wallRounds?.roundProcesses).toEqual([0, 0, 1]);
    expect(each?.wallRounds?.roundStatesNs).toEqual([50e3, 60e3, 70e3]);
    expect(each?.evidence?.processOfRound).toEqual([0, 0, 1]);
    expect(each?.verifiedElements).toBe(1280);
    expect(each?.droppedGpuSamples).toBe(2);
    expect(each?.enoughSamples).toBe(true);
    expect(each?.pairedWallRatios).toBeUndefined();
  });
  it('fails a case that any process failed, and names the process', () => {
    const fused = merged.results.find((r) => r.strategy === 'fused');
    expect(fused?.status).toBe('failed');
    expect(fused?.reason).toBe('process 2: output mismatch at 3');
    expect(fused?.verified).toBe(false);
  });
});

describe('mergeProcesses states a run at its typical state only when it finished', () => {
  const id = (s: string): string => `map/e64/k10/i0/wg64/${s}`;
  // Two processes of three rounds; in the second, the machine met a state 3× slower, and both
  // cases moved with it one for one: the state dominates the run.
  const states = [
    [40e3, 41e3, 39e3],
    [120e3, 121e3, 119e3],
  ];
  const walls = (base: number, p: number): number[][] =>
    (states[p] ?? []).map((s, i) => [(base * s * (1 + 0.002 * i)) / 40e3]);
  const part = (p: number, interrupted = false): ProcessPart => ({
    results: [
      caseResult('dispatch-each', 'ok', '', states[p] ?? []),
      caseResult('fused', 'ok', '', states[p] ?? []),
    ],
    samples: [
      ...walls(1000, p).flatMap((v, round) => v.map((w) => sample(id('dispatch-each'), round, w))),
      ...walls(100, p).flatMap((v, round) => v.map((w) => sample(id('fused'), round, w))),
    ],
    rounds: 3,
    interrupted,
  });
  const figure = (merged: ReturnType<typeof mergeProcesses>, strategy: string): number =>
    merged.results.find((r) => r.strategy === strategy)?.wallNs?.median ?? NaN;
  const sampling = { minSamples: 2, maxNoise: 0.05 };

  it('moves every case to the median visit state of a finished run', () => {
    const merged = mergeProcesses([part(0), part(1)], sampling, true);
    // The median of the six visit states is (41 + 119) / 2 µs; each case is held within its
    // rounds' states and moves along its line (slope 1): base × 80 / 40.
    expect(figure(merged, 'dispatch-each')).toBeCloseTo(2000, -1);
    expect(figure(merged, 'fused')).toBeCloseTo(200, 0);
  });

  it('leaves the cases as their rounds make them where a process was stopped, or the run did not finish', () => {
    // The rounds' geometric mean.
    const plain = (base: number): number =>
      Math.exp(
        [0, 1]
          .flatMap((p) => walls(base, p).map((v) => Math.log(v[0] ?? NaN)))
          .reduce((x, y) => x + y, 0) / 6,
      );
    for (const merged of [
      mergeProcesses([part(0), part(1, true)], sampling, true),
      mergeProcesses([part(0), part(1)], sampling, false),
    ]) {
      expect(figure(merged, 'dispatch-each')).toBeCloseTo(plain(1000), 3);
      expect(figure(merged, 'fused')).toBeCloseTo(plain(100), 3);
    }
  });
});
