/**
 * The clock hold: keeps the GPU's shader clock where the warm-up brought it, so that every sample
 * of a run is measured at the same clock.
 *
 * Why (measured on the lent H200, `scripts/probe-clocks.ts` beside an `nvidia-smi -lms 100` log):
 * the SM clock follows the load over seconds. A launch-bound loop keeps the GPU 20–35% busy, and
 * about 2 s after the warm-up the governor walks the clock down from 1980 MHz (to 915 MHz after
 * 4 s of `submit-wait`, 1470 MHz of `dispatch-each`), 3 s of idle drop it to 345 MHz, and each
 * step stalls the GPU for 15–45 ms. Launch-bound cases are exactly what this suite measures, so
 * without a hold their samples come from whatever clock the previous seconds left: two identical
 * runs read the clock probe anywhere between 472 µs (1980 MHz) and 2478 µs.
 *
 * How: between turns of the schedule, at most every `checkEveryMs`, one clock-probe reading
 * (src/gpu/clock-probe.ts, ~0.12 ms), and one before each visit and each part of the drift probe.
 * A reading more than `tolerance` below the reference clock (the median of the readings right
 * after the warm-up) means the clock fell: the spin kernel runs until a reading is back within it
 * (or `boostMaxMs` passes). `dutyMs` > 0 spins that long at every check as well, to keep the governor
 * from stepping down at all. All of it happens between samples, never inside one. nvbench takes the
 * other way (it drops samples taken below 75% of the default clock and waits); locking the
 * clock (`nvidia-smi -lgc`) needs root and changes the machine, which a benchmark should not do.
 * Never prints.
 */
import { ClockProbe } from './clock-probe.ts';
import type { GpuContext } from './context.ts';
import { SpinKernel } from './spin.ts';
import { nowNs } from '../stats/clock.ts';
import { DeviceLostError } from '../errors.ts';

/** What the hold needs of the clock probe and the spin kernel (models of them in tests). */
export interface ClockReader {
  chainNs(): Promise<number | undefined>;
  destroy(): void;
}
export interface Spinner {
  run(ms: number): Promise<number>;
  /** Submits it keeps queued (SpinKernel.inFlight). */
  readonly inFlight: number;
  /** The runtime's completion round trip it measured, ms (SpinKernel.completionMs). */
  readonly completionMs: number;
  destroy(): void;
}

export interface ClockHoldOptions {
  checkEveryMs: number;
  /** A reading more than this fraction below the reference clock means the clock fell. */
  tolerance: number;
  boostMaxMs: number;
  dutyMs: number;
  /** A probe reading or a spin that takes longer than this means the queue is stuck. */
  stallTimeoutMs: number;
}

export const CLOCK_HOLD_DEFAULTS: ClockHoldOptions = {
  checkEveryMs: 100,
  tolerance: 0.03,
  boostMaxMs: 1500,
  dutyMs: 0,
  stallTimeoutMs: 60_000,
};

/**
 * Spin at least this long between readings while bringing the clock back, and at least
 * BOOST_STEP_ROUND_TRIPS completion round trips: each step ends by waiting for its last submit and
 * each reading for the probe, a round trip each with the GPU idle, and Deno's is 11 ms (a step of
 * 5 ms left its GPU busy a third of the time at best; modelled, docs/findings.md, "The runs of
 * 2026-12-05, eighth session"). At most a quarter of `boostMaxMs` (Firefox's round trip is 100 ms),
 * which is checked before each step: a boost may pass it by the step under way and a reading.
 * `dutyMs` is spun as given.
 */
const BOOST_STEP_MS = 5;
const BOOST_STEP_ROUND_TRIPS = 8;
const CALIBRATION_READINGS = 5;
/** This many readings in a row above the reference clock raise it; this many failed boosts in a row re-take it. */
const STREAK = 3;

export interface ClockHoldStats {
  options: ClockHoldOptions;
  /**
   * The reference: the median of the readings right after the warm-up (raised when readings
   * stayed faster, re-taken when the clock could not be brought back to it), µs.
   */
  referenceChainUs: number | null;
  /** Checks, the ones before each visit and drift probe included. */
  checks: number;
  /** Checks that found the clock lowered (and spun to bring it back). */
  lowered: number;
  /** Of those, how many ended at `boostMaxMs` (or on an unusable reading) with the clock still low. */
  notRestored: number;
  /** Probe readings whose timestamps could not be used. */
  unreadable: number;
  /** Times the reference was re-taken after STREAK checks in a row could not reach it. */
  rebaselined: number;
  /** The lowest reading of the run, as a fraction of the reference. */
  lowestRel: number | null;
  /** Time spent spinning (boosts and duty), ms. */
  spinMs: number;
  /** Spin submits queued at once at the end (SpinKernel.run raises it to cover the round trip). */
  spinInFlight: number;
  /** Time spent in checks, spinning included, ms. */
  totalMs: number;
}

/** `promise`, or a DeviceLostError when it has not settled within `ms`. */
async function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stall = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DeviceLostError(`${what} did not finish within ${ms / 1000} s`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, stall]);
  } finally {
    clearTimeout(timer);
  }
}

const medianOf = (values: readonly number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

export class ClockHold {
  private referenceNs: number | undefined;
  private lastCheckNs = -Infinity;
  private latestRel: number | null = null;
  private latestNs: number | null = null;
  /** Consecutive readings faster than the reference by more than the tolerance. */
  private fastStreak: number[] = [];
  private failedBoosts = 0;
  private readonly stats: Omit<ClockHoldStats, 'options' | 'referenceChainUs' | 'spinInFlight'> = {
    checks: 0,
    lowered: 0,
    notRestored: 0,
    unreadable: 0,
    rebaselined: 0,
    lowestRel: null,
    spinMs: 0,
    totalMs: 0,
  };

  constructor(
    private readonly probe: ClockReader,
    private readonly spin: Spinner,
    readonly options: ClockHoldOptions = CLOCK_HOLD_DEFAULTS,
  ) {}

  /**
   * Undefined without timestamp queries (no probe). `spinInFlight`: the depth the warm-up's spin
   * reached (WarmupResult.inFlight), for the hold's spin to start from.
   */
  static async open(
    ctx: GpuContext,
    options: ClockHoldOptions = CLOCK_HOLD_DEFAULTS,
    spinInFlight?: number,
  ): Promise<ClockHold | undefined> {
    const probe = await ClockProbe.open(ctx);
    if (probe === undefined) return undefined;
    try {
      return new ClockHold(probe, await SpinKernel.open(ctx, spinInFlight), options);
    } catch (error) {
      probe.destroy();
      throw error;
    }
  }

  /**
   * Right after the GPU warm-up: the median of a few readings becomes the reference (a median,
   * so that one odd reading cannot set a clock the GPU never returns to).
   */
  async calibrate(): Promise<void> {
    const readings: number[] = [];
    for (let i = 0; i < CALIBRATION_READINGS; i++) {
      const ns = await this.chainNs();
      if (ns !== undefined) readings.push(ns);
    }
    if (readings.length > 0) this.referenceNs = medianOf(readings);
  }

  /**
   * The reading before the latest turn (after any spin-up), as a fraction of the reference
   * clock (1: the reference); null before the first usable reading and after an unusable one.
   */
  get clockRel(): number | null {
    return this.latestRel;
  }

  /**
   * The same reading as it was taken: the clock chain's GPU time, µs (in inverse proportion to
   * the shader clock; drift.csv's clockChainUs); unlike clockRel, not relative to a reference the
   * hold may have moved. Null as clockRel is.
   */
  get latestChainUs(): number | null {
    return this.latestNs === null ? null : this.latestNs / 1e3;
  }

  /** Between turns: a check when `checkEveryMs` has passed since the last one. */
  async tick(): Promise<void> {
    if ((nowNs() - this.lastCheckNs) / 1e6 >= this.options.checkEveryMs) await this.check();
  }

  /** One reading; if the clock fell, spin until it is back (or `boostMaxMs` passes). */
  async check(): Promise<void> {
    const t0 = nowNs();
    this.stats.checks++;
    if (this.options.dutyMs > 0) await this.spinFor(this.options.dutyMs);
    let rel = await this.read();
    if (rel !== undefined && this.lowered(rel)) {
      this.stats.lowered++;
      const boostStart = nowNs();
      const readings: number[] = [];
      while (rel !== undefined && this.lowered(rel)) {
        if ((nowNs() - boostStart) / 1e6 >= this.options.boostMaxMs) break;
        await this.spinFor(this.boostStepMs());
        rel = await this.read();
        if (rel !== undefined && this.referenceNs !== undefined)
          readings.push(this.referenceNs / rel);
      }
      if (rel === undefined || this.lowered(rel)) {
        this.stats.notRestored++;
        // The clock this hold aims at may be one the GPU no longer reaches (a warmer board, a
        // lower power limit): after STREAK failures in a row, the recent readings become it.
        if (++this.failedBoosts >= STREAK && readings.length > 0) {
          this.referenceNs = medianOf(readings.slice(-STREAK));
          this.stats.rebaselined++;
          this.failedBoosts = 0;
          this.latestRel = 1;
        }
      } else this.failedBoosts = 0;
    }
    this.lastCheckNs = nowNs();
    this.stats.totalMs += (this.lastCheckNs - t0) / 1e6;
  }

  summary(): ClockHoldStats {
    return {
      options: this.options,
      referenceChainUs: this.referenceNs === undefined ? null : this.referenceNs / 1e3,
      ...this.stats,
      spinInFlight: this.spin.inFlight,
    };
  }

  destroy(): void {
    this.probe.destroy();
    this.spin.destroy();
  }

  /** One boost step: 5 ms or eight round trips, at most a quarter of `boostMaxMs`. */
  private boostStepMs(): number {
    const step = Math.max(BOOST_STEP_MS, BOOST_STEP_ROUND_TRIPS * this.spin.completionMs);
    return Math.min(step, Math.max(BOOST_STEP_MS, this.options.boostMaxMs / 4));
  }

  private lowered(rel: number): boolean {
    return rel < 1 - this.options.tolerance;
  }

  private async spinFor(ms: number): Promise<void> {
    const t0 = nowNs();
    await bounded(
      this.spin.run(ms),
      ms + this.options.stallTimeoutMs,
      "the clock hold's spin kernel",
    );
    this.stats.spinMs += (nowNs() - t0) / 1e6;
  }

  private async chainNs(): Promise<number | undefined> {
    const ns = await bounded(this.probe.chainNs(), this.options.stallTimeoutMs, 'the clock probe');
    if (ns === undefined) this.stats.unreadable++;
    return ns;
  }

  /**
   * One probe reading as a fraction of the reference clock. Readings faster than the reference
   * by more than the tolerance, STREAK in a row, raise it (the warm-up had not reached the top).
   */
  private async read(): Promise<number | undefined> {
    const ns = await this.chainNs();
    if (ns === undefined) {
      this.latestRel = null;
      this.latestNs = null;
      return undefined;
    }
    this.latestNs = ns;
    if (this.referenceNs === undefined) this.referenceNs = ns;
    let rel = this.referenceNs / ns;
    if (rel > 1 + this.options.tolerance) {
      this.fastStreak.push(ns);
      if (this.fastStreak.length >= STREAK) {
        this.referenceNs = medianOf(this.fastStreak);
        this.fastStreak = [];
        rel = this.referenceNs / ns;
      }
    } else this.fastStreak = [];
    this.latestRel = rel;
    this.stats.lowestRel = Math.min(this.stats.lowestRel ?? 1, rel);
    return rel;
  }
}
