/**
 * GPU warm-up before any case. Measured on an H200: the SM clock idles at 345 MHz and takes about
 * a second of load to reach its 1980 MHz boost, and a tiny dispatch then runs ~1.45× faster; runs
 * that started measuring at once put their first cases in the slow mode. So the suite first keeps
 * the GPU busy with the spin kernel, in windows of WINDOW_MS with submits queued ahead (as many as
 * the runtime's completion round trip needs: SpinKernel.run), until the wall time per submit has
 * stopped falling (the median of the last five windows no more than `tolerance` below the median
 * of the five before; medians, as a window a busy host delays, up to 2× on lavapipe, must not hold
 * it back) and `minMs` has passed, or `maxMs` has. Queued ahead, a window's wall time per submit
 * is the spin's GPU time, which follows the clock, plus the window's last round trip shared out
 * over its submits (about a tenth under Deno); waited on one by one (as before 2026-12-05), it
 * was mostly the round trip where that is long (Deno, a browser page), and the GPU idled.
 */
import { SpinKernel } from './spin.ts';
import { nowNs } from '../stats/clock.ts';
import { median } from '../stats/stats.ts';
import type { GpuContext } from './context.ts';

export interface WarmupResult {
  elapsedMs: number;
  submits: number;
  /** Wall time per submit in the first and the last window, µs. */
  firstSubmitUs: number;
  lastSubmitUs: number;
  stable: boolean;
  windowMs: number;
  /** The runtime's completion round trip the depth was fitted to (SpinKernel.completionMs), µs. */
  completionUs: number;
  /** Submits queued at once at the end. */
  inFlight: number;
}

export interface WarmupOptions {
  minMs: number;
  maxMs: number;
  tolerance: number;
}

export const WARMUP_DEFAULTS: WarmupOptions = { minMs: 1000, maxMs: 5000, tolerance: 0.03 };

const WINDOWS = 5;
/**
 * One window of spin, ms (shorter where `minMs` is under ten of them): about 500 submits on an
 * H200 at full clock, 9 of Deno's round trips.
 */
export const WINDOW_MS = 100;

export async function warmUpGpu(ctx: GpuContext, options: WarmupOptions): Promise<WarmupResult> {
  const spin = await SpinKernel.open(ctx);
  // Ten windows fit a shorter minimum (as tests ask for): no shorter than 1 ms each.
  const windowMs = Math.max(1, Math.min(WINDOW_MS, options.minMs / (2 * WINDOWS)));
  const perSubmitNs: number[] = [];
  const start = nowNs();
  let submits = 0;
  let stable = false;
  try {
    for (;;) {
      const t0 = nowNs();
      const n = await spin.run(windowMs);
      submits += n;
      perSubmitNs.push((nowNs() - t0) / n);
      const elapsedMs = (nowNs() - start) / 1e6;
      const recent = median(perSubmitNs.slice(-WINDOWS));
      const before = median(perSubmitNs.slice(-2 * WINDOWS, -WINDOWS));
      stable = perSubmitNs.length >= 2 * WINDOWS && recent >= (1 - options.tolerance) * before;
      if ((stable && elapsedMs >= options.minMs) || elapsedMs >= options.maxMs) break;
    }
  } finally {
    spin.destroy();
  }
  return {
    elapsedMs: (nowNs() - start) / 1e6,
    submits,
    firstSubmitUs: (perSubmitNs[0] ?? 0) / 1000,
    lastSubmitUs: (perSubmitNs[perSubmitNs.length - 1] ?? 0) / 1000,
    stable,
    windowMs,
    completionUs: spin.completionMs * 1000,
    inFlight: spin.inFlight,
  };
}
