/**
 * GPU warm-up before any case. Measured on an H200: the SM clock idles at 345 MHz and takes about
 * a second of load to reach its 1980 MHz boost, and a tiny dispatch then runs ~1.45× faster; runs
 * that started measuring at once put their first cases in the slow mode. So the suite first keeps
 * the GPU busy with a spin kernel until the time of one submit is stable (five in a row within
 * `tolerance` of their median) for at least `minMs`, or `maxMs` passes.
 */
import { SpinKernel } from './spin.ts';
import { nowNs } from '../stats/clock.ts';
import type { GpuContext } from './context.ts';

export interface WarmupResult {
  elapsedMs: number;
  submits: number;
  firstSubmitUs: number;
  lastSubmitUs: number;
  stable: boolean;
}

export interface WarmupOptions {
  minMs: number;
  maxMs: number;
  tolerance: number;
}

export const WARMUP_DEFAULTS: WarmupOptions = { minMs: 1000, maxMs: 5000, tolerance: 0.03 };

const WINDOW = 5;

export async function warmUpGpu(ctx: GpuContext, options: WarmupOptions): Promise<WarmupResult> {
  const spin = await SpinKernel.open(ctx);
  const times: number[] = [];
  const start = nowNs();
  let stable = false;
  try {
    for (;;) {
      times.push(await spin.once());
      const elapsedMs = (nowNs() - start) / 1e6;
      const recent = times.slice(-WINDOW).sort((a, b) => a - b);
      const median = recent[Math.floor(recent.length / 2)] ?? 0;
      stable =
        recent.length === WINDOW &&
        recent.every((t) => Math.abs(t - median) <= options.tolerance * median);
      if ((stable && elapsedMs >= options.minMs) || elapsedMs >= options.maxMs) break;
    }
  } finally {
    spin.destroy();
  }
  return {
    elapsedMs: (nowNs() - start) / 1e6,
    submits: times.length,
    firstSubmitUs: (times[0] ?? 0) / 1000,
    lastSubmitUs: (times[times.length - 1] ?? 0) / 1000,
    stable,
  };
}
