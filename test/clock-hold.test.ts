/**
 * The clock hold (src/gpu/clock-hold.ts) against a model clock: probe readings scripted in
 * advance, a spinner that only counts. And the schedule's side of it: the hold runs before every
 * turn, and its time is not taken from the visit's warm-up or sampling time.
 */
import { describe, expect, it } from 'vitest';
import {
  CLOCK_HOLD_DEFAULTS,
  ClockHold,
  type ClockReader,
  type Spinner,
} from '../src/gpu/clock-hold.ts';
import { DeviceLostError } from '../src/errors.ts';
import {
  SPIN_IN_FLIGHT,
  SPIN_MAX_IN_FLIGHT,
  aheadDepth,
  spinAhead,
  submitAhead,
} from '../src/gpu/spin.ts';
import type { SampleKind } from '../src/stats/result.ts';
import { visit, type Sampled } from '../src/measure/schedule.ts';
import { clockHoldLine } from '../src/report/console.ts';
import { seededRandom } from '../src/workloads/random.ts';

class ScriptedClock implements ClockReader {
  reads = 0;
  constructor(private readonly readings: number[]) {}
  chainNs(): Promise<number | undefined> {
    const ns = this.readings[Math.min(this.reads, this.readings.length - 1)];
    this.reads++;
    return Promise.resolve(ns);
  }
  destroy(): void {}
}

class CountingSpinner implements Spinner {
  spins = 0;
  readonly inFlight = 4;
  /** The length of each spin asked for, ms. */
  readonly spunMs: number[] = [];
  /** Node's round trip by default. */
  constructor(readonly completionMs = 0.05) {}
  run(ms: number): Promise<number> {
    this.spins++;
    this.spunMs.push(ms);
    return Promise.resolve(1);
  }
  destroy(): void {}
}

const everyTurn = { ...CLOCK_HOLD_DEFAULTS, checkEveryMs: 0 };

describe('clock hold', () => {
  it('takes the median calibration reading as the reference and spins a lowered clock back', async () => {
    const clock = new ScriptedClock([101, 100, 102, 100, 101, 150, 120, 102]);
    const spinner = new CountingSpinner();
    const hold = new ClockHold(clock, spinner, everyTurn);
    await hold.calibrate();
    expect(hold.summary().referenceChainUs).toBeCloseTo(0.101);
    await hold.check();
    const s = hold.summary();
    expect(s.lowered).toBe(1);
    expect(spinner.spins).toBe(2); // 150 → 120 → 102 (within 3% of 101)
    expect(s.notRestored).toBe(0);
    expect(hold.clockRel).toBeCloseTo(101 / 102);
    expect(s.lowestRel).toBeCloseTo(101 / 150);
  });

  it('spins 5 ms a step where the round trip is short, eight round trips where it is long, at most a quarter of the boost limit', async () => {
    for (const [completionMs, boostMaxMs, stepMs] of [
      [0.05, 1500, 5],
      [11, 1500, 88],
      [100, 150, 37.5],
    ] as const) {
      const spinner = new CountingSpinner(completionMs);
      const hold = new ClockHold(
        new ScriptedClock([101, 100, 102, 100, 101, 150, 120, 102]),
        spinner,
        { ...everyTurn, boostMaxMs },
      );
      await hold.calibrate();
      await hold.check();
      expect(spinner.spunMs).toEqual([stepMs, stepMs]);
    }
  });

  it('leaves a clock within the tolerance alone', async () => {
    const spinner = new CountingSpinner();
    const hold = new ClockHold(
      new ScriptedClock([100, 100, 100, 100, 100, 102.5]),
      spinner,
      everyTurn,
    );
    await hold.calibrate();
    await hold.check();
    expect(spinner.spins).toBe(0);
    expect(hold.summary().lowered).toBe(0);
  });

  it('does not let one fast reading set a clock the GPU never returns to', async () => {
    const spinner = new CountingSpinner();
    const hold = new ClockHold(
      new ScriptedClock([100, 50, 100, 100, 100, 100]),
      spinner,
      everyTurn,
    );
    await hold.calibrate();
    await hold.check();
    expect(hold.summary().referenceChainUs).toBeCloseTo(0.1);
    expect(spinner.spins).toBe(0);
  });

  it('raises the reference when readings stay faster, and re-takes it when boosts keep failing', async () => {
    const spinner = new CountingSpinner();
    const faster = new ClockHold(
      new ScriptedClock([100, 100, 100, 100, 100, 80, 80, 80, 100]),
      spinner,
      everyTurn,
    );
    await faster.calibrate();
    for (let i = 0; i < 3; i++) await faster.check();
    expect(faster.summary().referenceChainUs).toBeCloseTo(0.08);
    await faster.check(); // 100 is now 20% slow
    expect(faster.summary().lowered).toBe(1);

    const stuck = new ClockHold(new ScriptedClock([100, 100, 100, 100, 100, 200]), spinner, {
      ...everyTurn,
      boostMaxMs: 1,
    });
    await stuck.calibrate();
    for (let i = 0; i < 3; i++) await stuck.check();
    const s = stuck.summary();
    expect(s.notRestored).toBe(3);
    expect(s.rebaselined).toBe(1);
    expect(s.referenceChainUs).toBeCloseTo(0.2);
    await stuck.check();
    expect(stuck.summary().lowered).toBe(3); // the fourth check finds the clock at the new reference
  });

  it('gives up after boostMaxMs and says so', async () => {
    const spinner = new CountingSpinner();
    const hold = new ClockHold(new ScriptedClock([100, 100, 100, 100, 100, 200]), spinner, {
      ...everyTurn,
      boostMaxMs: 0,
    });
    await hold.calibrate();
    await hold.check();
    expect(hold.summary().notRestored).toBe(1);
    expect(hold.clockRel).toBeCloseTo(0.5);
  });

  it('says nothing it does not know: an unusable reading clears clockRel and is counted', async () => {
    const clock = new ScriptedClock([100, 100, 100, 100, 100]);
    const hold = new ClockHold(clock, new CountingSpinner(), everyTurn);
    await hold.calibrate();
    await hold.check();
    expect(hold.clockRel).toBeCloseTo(1);
    clock.chainNs = () => Promise.resolve(undefined);
    await hold.check();
    expect(hold.clockRel).toBeNull();
    expect(hold.summary().unreadable).toBe(1);
  });

  it('turns a probe that never completes into a lost device instead of waiting for ever', async () => {
    const never: ClockReader = { chainNs: () => new Promise(() => {}), destroy: () => {} };
    const hold = new ClockHold(never, new CountingSpinner(), { ...everyTurn, stallTimeoutMs: 30 });
    await expect(hold.check()).rejects.toBeInstanceOf(DeviceLostError);
  });

  it('reads at most every checkEveryMs between turns', async () => {
    const clock = new ScriptedClock([100]);
    const hold = new ClockHold(clock, new CountingSpinner(), {
      ...CLOCK_HOLD_DEFAULTS,
      checkEveryMs: 60_000,
    });
    await hold.tick();
    await hold.tick();
    await hold.tick();
    expect(clock.reads).toBe(1);
  });

  it('spins its duty at every check when asked, lowered or not', async () => {
    const spinner = new CountingSpinner();
    const hold = new ClockHold(new ScriptedClock([100]), spinner, { ...everyTurn, dutyMs: 5 });
    await hold.check();
    await hold.check();
    expect(spinner.spins).toBe(2);
    expect(hold.summary().lowered).toBe(0);
  });
});

/** A case whose executions take `ms` of real time. */
class SleepyCase implements Sampled {
  readonly kinds: readonly SampleKind[] = ['wall'];
  readonly active = true;
  readonly lastWallNs = undefined;
  taken = 0;
  constructor(private readonly ms: number) {}
  count(): number {
    return this.taken;
  }
  roundSpread(): number {
    return 1;
  }
  private busy(): number {
    const end = performance.now() + this.ms;
    while (performance.now() < end);
    return this.ms * 1e6;
  }
  warm(): Promise<number> {
    return Promise.resolve(this.busy());
  }
  sample(): Promise<number> {
    this.taken++;
    return Promise.resolve(this.busy());
  }
  markCollected(): void {}
}

describe('the schedule with a clock hold', () => {
  it('holds before every turn and does not count the hold as sampling time', async () => {
    const cases = [new SleepyCase(1), new SleepyCase(1)];
    let holds = 0;
    await visit(
      cases,
      {
        round: 0,
        warmupMs: 0,
        firstVisit: false,
        minWarmup: 0,
        // 100 ms: about 50 turns of two 1 ms cases, at least 5 on a loaded machine. Holds of
        // 40 ms each, counted as sampling time, would allow 3 at most.
        samplingMs: 100,
        floor: () => 1,
        cap: () => 1000,
        shouldStop: () => false,
        beforeTurn: async () => {
          holds++;
          const end = performance.now() + 40;
          while (performance.now() < end);
          await Promise.resolve();
        },
      },
      seededRandom(1),
    );
    const turns = cases[0]?.taken ?? 0;
    expect(turns).toBeGreaterThanOrEqual(5);
    expect(cases[1]?.taken).toBe(turns);
    // one before the warm-up turn, one before each sampling turn
    expect(holds).toBe(turns + 1);
  });
});

describe('clockHoldLine', () => {
  it('says what the hold did, or why there was none', async () => {
    const hold = new ClockHold(
      new ScriptedClock([100, 100, 100, 100, 100, 200, 100]),
      new CountingSpinner(),
      everyTurn,
    );
    await hold.calibrate();
    await hold.check();
    expect(clockHoldLine(hold.summary())).toMatch(
      /^clock hold: 1 of 1 checks found the shader clock lowered and spun it back up \(\d+\.\d s spinning, \d+\.\d s in all, between samples, lowest reading 50% of the reference\)$/,
    );
    expect(clockHoldLine({ off: 'CPU adapter' })).toBe('clock hold: off (CPU adapter)');
  });
});

describe('submitAhead (the spin kernel’s queue)', () => {
  /** A queue that finishes one submit every `tickMs`, in order, as a GPU does. */
  function modelQueue(tickMs: number) {
    let submitted = 0;
    let finished = 0;
    let mostUnfinished = 0;
    const waiters: { upTo: number; resolve: () => void }[] = [];
    const timer = setInterval(() => {
      if (finished < submitted) finished++;
      for (const w of waiters.filter((w) => w.upTo <= finished)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }, tickMs);
    return {
      submit: () => {
        submitted++;
        mostUnfinished = Math.max(mostUnfinished, submitted - finished);
      },
      done: () => new Promise<void>((resolve) => waiters.push({ upTo: submitted, resolve })),
      state: () => ({ submitted, finished, mostUnfinished }),
      stop: () => clearInterval(timer),
    };
  }

  it('keeps `depth` submits queued and returns once all have run', async () => {
    const queue = modelQueue(1);
    try {
      const submits = await submitAhead(queue.submit, queue.done, 30, SPIN_IN_FLIGHT);
      const { submitted, finished, mostUnfinished } = queue.state();
      expect(submits).toBe(submitted);
      expect(finished).toBe(submitted);
      expect(mostUnfinished).toBe(SPIN_IN_FLIGHT);
    } finally {
      queue.stop();
    }
  });

  it('rejects when the queue is lost, leaving no rejection unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let calls = 0;
      // Every completion promise rejects, as a lost device's do, a little later.
      const done = (): Promise<void> => {
        const n = ++calls;
        return new Promise((_, reject) => setTimeout(() => reject(new Error(`lost ${n}`)), 2));
      };
      await expect(submitAhead(() => undefined, done, 1000, SPIN_IN_FLIGHT)).rejects.toThrow(
        'lost 1',
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(calls).toBe(SPIN_IN_FLIGHT);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('waits on each submit at depth 1', async () => {
    const queue = modelQueue(1);
    try {
      await submitAhead(queue.submit, queue.done, 10, 1);
      expect(queue.state().mostUnfinished).toBe(1);
      expect(queue.state().finished).toBe(queue.state().submitted);
    } finally {
      queue.stop();
    }
  });
});

describe('aheadDepth (how many spin submits to queue)', () => {
  it('keeps four where the round trip is short beside a submit (Node: 0.03 ms, 0.19 ms of spin)', () => {
    expect(aheadDepth(SPIN_IN_FLIGHT, 0.03, 0.19)).toBe(SPIN_IN_FLIGHT);
  });

  it('at least doubles a starved queue (Deno: 11 ms a round trip, four submits a round trip)', () => {
    expect(aheadDepth(4, 11, 11 / 4)).toBeGreaterThanOrEqual(8);
    expect(aheadDepth(64, 11, 11 / 64)).toBeGreaterThanOrEqual(128);
  });

  it('covers two round trips at the pace the GPU sets, never lowers, and stops at the most', () => {
    expect(aheadDepth(4, 11, 0.19)).toBe(Math.ceil(22 / 0.19) + 2);
    expect(aheadDepth(200, 0.03, 0.19)).toBe(200);
    expect(aheadDepth(4, 1000, 0.001)).toBe(SPIN_MAX_IN_FLIGHT);
  });

  it('leaves the depth alone on a figure it cannot use', () => {
    expect(aheadDepth(8, 11, 0)).toBe(8);
    expect(aheadDepth(8, 11, Number.NaN)).toBe(8);
    expect(aheadDepth(8, Number.NaN, 1)).toBe(8);
  });
});

describe('spinAhead on a model GPU whose completions reach the host late', () => {
  /**
   * A GPU that runs submits one after another, `gpuMs` each, and tells the host of a completion
   * `roundTripMs` after it (as Deno's 11 ms poll does); `busyMs(from)` is its busy time since
   * `from` (performance.now()).
   */
  function lateGpu(gpuMs: number, roundTripMs: number) {
    let queued = 0;
    let finished = 0;
    let running = false;
    const spans: [number, number][] = [];
    const waiters: { upTo: number; resolve: () => void }[] = [];
    const timers = new Set<NodeJS.Timeout>();
    const later = (ms: number, f: () => void): void => {
      const t = setTimeout(() => {
        timers.delete(t);
        f();
      }, ms);
      timers.add(t);
    };
    const next = (): void => {
      if (running || finished >= queued) return;
      running = true;
      const start = performance.now();
      later(gpuMs, () => {
        running = false;
        finished++;
        spans.push([start, performance.now()]);
        const upTo = finished;
        later(roundTripMs, () => {
          for (const w of waiters.filter((w) => w.upTo <= upTo)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve();
          }
        });
        next();
      });
    };
    return {
      submit: (): void => {
        queued++;
        next();
      },
      done: (): Promise<void> =>
        new Promise<void>((resolve) => waiters.push({ upTo: queued, resolve })),
      busyMs: (from: number): number =>
        spans.reduce((sum, [a, b]) => sum + Math.max(0, b - Math.max(a, from)), 0),
      stop: (): void => timers.forEach((t) => clearTimeout(t)),
    };
  }

  /** The model GPU's busy fraction over the last of `windows` spins of `ms` each. */
  async function lastWindowBusy(state: { depth: number; completionMs: number }, windows: number) {
    const gpu = lateGpu(1, 12);
    try {
      let busy = 0;
      for (let i = 0; i < windows; i++) {
        const t0 = performance.now();
        await spinAhead(gpu.submit, gpu.done, 60, state);
        busy = gpu.busyMs(t0) / (performance.now() - t0);
      }
      return busy;
    } finally {
      gpu.stop();
    }
  }

  it('keeps the GPU busy once the depth has followed the round trip; four alone left it idle', async () => {
    const fixed = { depth: SPIN_IN_FLIGHT, completionMs: 0 };
    const fitted = { depth: SPIN_IN_FLIGHT, completionMs: 13 };
    const [idle, busy] = [await lastWindowBusy(fixed, 4), await lastWindowBusy(fitted, 4)];
    expect(fixed.depth).toBe(SPIN_IN_FLIGHT);
    expect(idle).toBeLessThan(0.5);
    expect(fitted.depth).toBeGreaterThanOrEqual(13);
    expect(busy).toBeGreaterThan(0.7);
  });
});
