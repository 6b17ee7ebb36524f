/**
 * The schedule (src/measure/schedule.ts) against a model machine whose speed drifts in blocks:
 * every execution costs its strategy's true time × the machine's factor at that moment, and the
 * factor jumps between 1 and 1.6 in blocks of simulated time. Measured one after the other, the
 * strategies land in different blocks and their ratio is off by up to the drift; interleaved by
 * the schedule, every strategy sees every block alike and the ratio comes out right.
 */
import { describe, expect, it } from 'vitest';
import {
  floorShare,
  runFloor,
  shuffled,
  visit,
  visitOrder,
  type Sampled,
} from '../src/measure/schedule.ts';
import { sampleSpread } from '../src/measure/run-case.ts';
import type { Sample } from '../src/stats/result.ts';
import type { SampleKind } from '../src/stats/result.ts';
import { roundSummary } from '../src/stats/stats.ts';
import { seededRandom } from '../src/workloads/random.ts';

/** A machine whose speed factor changes every `blockMs` of simulated time. */
class DriftingMachine {
  nowMs = 0;
  private readonly factors: number[] = [];
  constructor(
    private readonly blockMs: number,
    private readonly random: () => number,
  ) {}
  factor(): number {
    const block = Math.floor(this.nowMs / this.blockMs);
    while (this.factors.length <= block) this.factors.push(this.random() % 2 === 0 ? 1 : 1.6);
    return this.factors[block] ?? 1;
  }
  /** Runs something that truly costs `ms`: returns what it took, in ns. */
  run(ms: number): number {
    const took = ms * this.factor();
    this.nowMs += took;
    return took * 1e6;
  }
}

class ModelCase implements Sampled {
  readonly kinds: readonly SampleKind[] = ['wall'];
  readonly active = true;
  readonly lastWallNs = undefined;
  readonly walls: { round: number; ns: number }[] = [];
  constructor(
    private readonly machine: DriftingMachine,
    readonly trueMs: number,
  ) {}
  count(_kind: SampleKind, round?: number): number {
    return this.walls.filter((w) => round === undefined || w.round === round).length;
  }
  roundSpread(_kind: SampleKind, round: number): number {
    const ns = this.walls.filter((w) => w.round === round).map((w) => w.ns);
    return ns.length < 2 ? 1 : Math.max(...ns) / Math.min(...ns);
  }
  warm(): Promise<number> {
    return Promise.resolve(this.machine.run(this.trueMs));
  }
  sample(_kind: SampleKind, round: number): Promise<number> {
    const ns = this.machine.run(this.trueMs);
    this.walls.push({ round, ns });
    return Promise.resolve(ns);
  }
  markCollected(): void {}
}

const TRUE_MS = [1, 2, 0.5, 4];
const ROUNDS = 6;
const PER_ROUND = 8;

/** The figure the suite reports: the rounds' centre (geometric mean of the round medians). */
function figure(c: ModelCase): number {
  const byRound = Array.from({ length: ROUNDS }, (_, r) =>
    c.walls.filter((w) => w.round === r).map((w) => w.ns),
  );
  return roundSummary(byRound).centre ?? NaN;
}

/** Worst relative error of each strategy's figure's ratio to the first strategy's. */
function ratioError(cases: readonly ModelCase[]): number {
  const base = cases[0] as ModelCase;
  return Math.max(
    ...cases.map((c) => Math.abs(figure(c) / figure(base) / (c.trueMs / base.trueMs) - 1)),
  );
}

describe('interleaving cancels drift in blocks from the ratios', () => {
  it('the schedule gets every ratio within 5% where one-after-the-other is off by 10% or more', async () => {
    const interleavedErrors: number[] = [];
    const sequentialErrors: number[] = [];
    for (let trial = 0; trial < 20; trial++) {
      // As the suite samples: R rounds, the strategies taking turns within each visit. A visit
      // lasts about 60 ms of model time, a block of the machine's drift 100 ms (on the lent
      // machines: visits of about a second, drift in blocks of seconds).
      const m1 = new DriftingMachine(100, seededRandom(1000 + trial));
      const interleaved = TRUE_MS.map((ms) => new ModelCase(m1, ms));
      for (let round = 0; round < ROUNDS; round++) {
        await visit(
          interleaved,
          {
            round,
            warmupMs: 0,
            firstVisit: false,
            minWarmup: 1,
            samplingMs: 0,
            floor: () => PER_ROUND,
            cap: () => PER_ROUND,
            shouldStop: () => false,
          },
          seededRandom(trial * 100 + round),
        );
      }
      interleavedErrors.push(ratioError(interleaved));

      // One after the other on the same machine model: each strategy in its own stretch of time.
      const m2 = new DriftingMachine(100, seededRandom(1000 + trial));
      const sequential = TRUE_MS.map((ms) => new ModelCase(m2, ms));
      for (const c of sequential)
        for (let round = 0; round < ROUNDS; round++)
          for (let i = 0; i < PER_ROUND; i++) await c.sample('wall', round);
      sequentialErrors.push(ratioError(sequential));
    }
    // What is left comes from visits during which the machine changed state: the strategies'
    // medians of that visit straddle the change by a sample more or less.
    for (const e of interleavedErrors) expect(e).toBeLessThan(0.05);
    // The model does drift enough to matter: measured in stretches, most trials are far off.
    expect(sequentialErrors.filter((e) => e >= 0.1).length).toBeGreaterThanOrEqual(10);
  });

  it('every case gets exactly its cap, and one sample of each per turn when they cost alike', async () => {
    const machine = new DriftingMachine(1e9, seededRandom(1));
    const cases = [1, 1, 1].map((ms) => new ModelCase(machine, ms));
    const order: number[] = [];
    for (const [i, c] of cases.entries()) {
      const sample = c.sample.bind(c);
      c.sample = (kind, round) => {
        order.push(i);
        return sample(kind, round);
      };
    }
    await visit(
      cases,
      {
        round: 2,
        warmupMs: 0,
        firstVisit: false,
        minWarmup: 1,
        samplingMs: 0,
        floor: () => 4,
        cap: () => 4,
        shouldStop: () => false,
      },
      seededRandom(7),
    );
    expect(cases.map((c) => c.count('wall', 2))).toEqual([4, 4, 4]);
    // Turns of three: each holds every case once, in a shuffled order.
    for (let t = 0; t < 4; t++)
      expect([...order.slice(3 * t, 3 * t + 3)].sort()).toEqual([0, 1, 2]);
    expect(
      new Set([0, 1, 2, 3].map((t) => order.slice(3 * t, 3 * t + 3).join())).size,
    ).toBeGreaterThan(1);
  });
});

describe('top-ups and settling', () => {
  /** Cases whose executions (warm-ups and samples) are logged in order as `w<i>` / `s<i>`. */
  function logged(costs: readonly number[]): { cases: ModelCase[]; log: string[] } {
    const machine = new DriftingMachine(1e9, seededRandom(2));
    const cases = costs.map((ms) => new ModelCase(machine, ms));
    const log: string[] = [];
    for (const [i, c] of cases.entries()) {
      const sample = c.sample.bind(c);
      const warm = c.warm.bind(c);
      c.sample = (kind, round) => {
        log.push(`s${i}`);
        return sample(kind, round);
      };
      c.warm = () => {
        log.push(`w${i}`);
        return warm();
      };
    }
    return { cases, log };
  }
  const budget = {
    round: 1,
    warmupMs: 0,
    firstVisit: false,
    minWarmup: 1,
    shouldStop: () => false,
  };

  it('once the visit has no time left, only the cases under their floor take more samples', async () => {
    const { cases } = logged([1, 1, 1]);
    await visit(
      cases,
      { ...budget, samplingMs: 0, floor: (r) => (r === cases[0] ? 5 : 2), cap: () => 50 },
      seededRandom(5),
    );
    expect(cases.map((c) => c.count('wall', 1))).toEqual([5, 2, 2]);
  });

  it('a round whose two samples differ by more than 25% takes a third; agreeing ones stay at two', async () => {
    const { cases } = logged([1, 1, 1]);
    // Scripted wall times (ms): the second case's second sample is a stall, the third's is 20% off.
    const scripts = [
      [3, 3.1, 3],
      [3, 28, 3.1],
      [3, 3.6, 3],
    ];
    for (const [i, c] of cases.entries()) {
      c.sample = (_kind, round) => {
        const ns = (scripts[i]?.[c.count('wall', round)] ?? 3) * 1e6;
        c.walls.push({ round, ns });
        return Promise.resolve(ns);
      };
    }
    await visit(cases, { ...budget, samplingMs: 0, floor: () => 2, cap: () => 2 }, seededRandom(4));
    expect(cases.map((c) => c.count('wall', 1))).toEqual([2, 3, 2]);
    // The third sample makes the stalled round's median 3.1 ms, not the two samples' mean 15.5 ms.
    const stalled = (cases[1]?.walls ?? []).map((w) => w.ns / 1e6).sort((a, b) => a - b);
    expect(stalled[1]).toBe(3.1);
  });

  it('with settle N, each sample follows N untimed executions of its own case', async () => {
    const { cases, log } = logged([1, 2, 0.5]);
    await visit(
      cases,
      { ...budget, settle: 2, samplingMs: 0, floor: () => 3, cap: () => 3 },
      seededRandom(9),
    );
    expect(cases.map((c) => c.count('wall', 1))).toEqual([3, 3, 3]);
    // After the warm-up turn (one execution each), every sample is preceded by its case twice.
    const samples = log.flatMap((e, i) => (e.startsWith('s') ? [i] : []));
    expect(samples).toHaveLength(9);
    for (const i of samples) {
      const who = (log[i] ?? '').slice(1);
      expect(log.slice(i - 2, i)).toEqual([`w${who}`, `w${who}`]);
    }
  });
});

describe('rounds', () => {
  it('each round visits every group once, in its own order, the same for the same seed', () => {
    const orders = [0, 1, 2, 3].map((r) => visitOrder(12, 42, r));
    for (const o of orders) expect([...o].sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
    expect(new Set(orders.map((o) => o.join())).size).toBe(4);
    expect(visitOrder(12, 42, 2)).toEqual(orders[2]);
    expect(visitOrder(12, 43, 2)).not.toEqual(orders[2]);
  });

  it('the floor is spread over the rounds left, made up when a round fell short, 2 a round at least', () => {
    expect(floorShare(10, 0, 0, 5)).toBe(2);
    expect(floorShare(10, 2, 1, 5)).toBe(2);
    expect(floorShare(10, 4, 4, 5)).toBe(6); // the last round makes up what is missing
    // Two a visit at least, so no round's median is one sample.
    expect(floorShare(10, 0, 0, 6)).toBe(2);
    expect(floorShare(10, 12, 3, 6)).toBe(2);
    expect(floorShare(10, 0, 0, 1)).toBe(10);
    expect(runFloor(10, 5)).toBe(10);
    expect(runFloor(10, 8)).toBe(16);
  });

  it("a round's spread: wall times, GPU busy too for GPU samples, zero times left out", () => {
    const at = (wallNs: number, gpuBusyNs: number | null = null): Sample =>
      ({ wallNs, gpuBusyNs }) as Sample;
    expect(sampleSpread([at(3e6)], 'wall')).toBe(1);
    expect(sampleSpread([at(3e6), at(28e6)], 'wall')).toBeCloseTo(28 / 3, 12);
    // A GPU sample's busy time may split where its wall time does not.
    expect(sampleSpread([at(10e6, 2e6), at(10.1e6, 3e6)], 'gpu')).toBeCloseTo(1.5, 12);
    expect(sampleSpread([at(10e6, 2e6), at(10.1e6, 3e6)], 'wall')).toBeCloseTo(1.01, 12);
    // No timestamp interval (0) is no stall: it neither splits nor breaks the ratio.
    expect(sampleSpread([at(10e6, 0), at(10.1e6, 2e6)], 'gpu')).toBeCloseTo(1.01, 12);
  });

  it('shuffled is a permutation and leaves its input alone', () => {
    const input = [1, 2, 3, 4, 5];
    const out = shuffled(input, seededRandom(3));
    expect(input).toEqual([1, 2, 3, 4, 5]);
    expect([...out].sort()).toEqual(input);
  });
});
