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
 * (src/gpu/clock-probe.ts, ~0.15 ms). A reading slower than the fastest seen by more than
 * `tolerance` means the clock fell: the spin kernel runs until a reading is back within it (or
 * `boostMaxMs` passes). `dutyMs` > 0 spins that long at every check as well, to keep the governor
 * from stepping down at all. All of it happens between samples, never inside one. nvbench takes the
 * other way (it drops samples taken below 75% of the default clock and waits); locking the
 * clock (`nvidia-smi -lgc`) needs root and changes the machine, which a benchmark should not do.
 * Never prints.
 */
import { ClockProbe } from './clock-probe.ts';
import type { GpuContext } from './context.ts';
import { SpinKernel } from './spin.ts';
import { nowNs } from '../measure/clock.ts';

/** What the hold needs of the clock probe and the spin kernel (models of them in tests). */
export interface ClockReader {
  chainNs(): Promise<number | undefined>;
  destroy(): void;
}
export interface Spinner {
  run(ms: number): Promise<number>;
  destroy(): void;
}

export interface ClockHoldOptions {
  checkEveryMs: number;
  tolerance: number;
  boostMaxMs: number;
  dutyMs: number;
}

export const CLOCK_HOLD_DEFAULTS: ClockHoldOptions = {
  checkEveryMs: 100,
  tolerance: 0.03,
  boostMaxMs: 1500,
  dutyMs: 0,
};

/** Spin this long between readings while bringing the clock back. */
const BOOST_STEP_MS = 5;
const CALIBRATION_READINGS = 5;

export interface ClockHoldStats {
  options: ClockHoldOptions;
  /** The reference: the fastest clock-probe chain seen, µs. */
  fastestChainUs: number | null;
  checks: number;
  /** Checks that found the clock lowered (and spun to bring it back). */
  lowered: number;
  /** Of those, how many ended at `boostMaxMs` with the clock still low. */
  notRestored: number;
  /** The lowest reading of the run, as a fraction of the fastest. */
  lowestRel: number | null;
  /** Time spent spinning (boosts and duty), ms. */
  spinMs: number;
  /** Time spent in checks, spinning included, ms. */
  totalMs: number;
}

export class ClockHold {
  private fastestNs = Infinity;
  private lastCheckNs = -Infinity;
  private latestRel: number | null = null;
  private readonly stats: Omit<ClockHoldStats, 'options' | 'fastestChainUs'> = {
    checks: 0,
    lowered: 0,
    notRestored: 0,
    lowestRel: null,
    spinMs: 0,
    totalMs: 0,
  };

  constructor(
    private readonly probe: ClockReader,
    private readonly spin: Spinner,
    readonly options: ClockHoldOptions = CLOCK_HOLD_DEFAULTS,
  ) {}

  /** Undefined without timestamp queries (no probe). */
  static async open(
    ctx: GpuContext,
    options: ClockHoldOptions = CLOCK_HOLD_DEFAULTS,
  ): Promise<ClockHold | undefined> {
    const probe = await ClockProbe.open(ctx);
    if (probe === undefined) return undefined;
    return new ClockHold(probe, await SpinKernel.open(ctx), options);
  }

  /** Right after the GPU warm-up: the fastest of a few readings becomes the reference. */
  async calibrate(): Promise<void> {
    for (let i = 0; i < CALIBRATION_READINGS; i++) await this.read();
  }

  /** The latest reading as a fraction of the fastest (1: full clock); null before the first. */
  get clockRel(): number | null {
    return this.latestRel;
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
      while (rel !== undefined && this.lowered(rel)) {
        if ((nowNs() - boostStart) / 1e6 >= this.options.boostMaxMs) {
          this.stats.notRestored++;
          break;
        }
        await this.spinFor(BOOST_STEP_MS);
        rel = await this.read();
      }
    }
    this.lastCheckNs = nowNs();
    this.stats.totalMs += (this.lastCheckNs - t0) / 1e6;
  }

  summary(): ClockHoldStats {
    return {
      options: this.options,
      fastestChainUs: Number.isFinite(this.fastestNs) ? this.fastestNs / 1e3 : null,
      ...this.stats,
    };
  }

  destroy(): void {
    this.probe.destroy();
    this.spin.destroy();
  }

  private lowered(rel: number): boolean {
    return rel < 1 / (1 + this.options.tolerance);
  }

  private async spinFor(ms: number): Promise<void> {
    const t0 = nowNs();
    await this.spin.run(ms);
    this.stats.spinMs += (nowNs() - t0) / 1e6;
  }

  /** One probe reading as a fraction of the fastest so far (which it may become). */
  private async read(): Promise<number | undefined> {
    const ns = await this.probe.chainNs();
    if (ns === undefined) return undefined;
    this.fastestNs = Math.min(this.fastestNs, ns);
    const rel = this.fastestNs / ns;
    this.latestRel = rel;
    this.stats.lowestRel = Math.min(this.stats.lowestRel ?? 1, rel);
    return rel;
  }
}
