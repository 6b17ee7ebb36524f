/**
 * Host noise the harness controls: garbage collection and the CPU's clock.
 *
 * A V8 mark-compact takes milliseconds to tens of milliseconds: inside a 1 ms sample of a
 * host-bound strategy that is a large error that the strategy did not cause. So:
 *   - `collectGarbage()` runs a full collection between visits (outside every timed region), so a
 *     visit starts with an empty young generation and no major collection pending;
 *   - `GcWatch` records every major and incremental-marking collection (perf_hooks 'gc' entries)
 *     so that a sample whose timed region they overlapped for more than GC_SHARE of its time is
 *     marked and left out of the statistics (it stays in samples.csv). A share, not any overlap:
 *     while the host waits for the GPU, dawn.node's polling allocates, and on a CPU adapter V8
 *     then collected for about 30 ms in every 0.45 s execution (7%): with "any overlap" every
 *     such sample was dropped and the floor never met. A pause inside a wait delays the sample
 *     only if the work completes during it, and by at most the pause; a pause that covers a
 *     tenth of a short host-bound sample is dropped, as it should be.
 * Scavenges (minor collections, 0.1–1 ms) are not left out: with the heap collected before each
 * visit, they are what the strategy's own allocations cost (1000 command encoders and their
 * promises per `submit-wait` execution at K = 1000), and a sample long enough to allocate that
 * much always sees one, so dropping them would drop every long sample and bias the rest.
 * `cpuClock()` reads what the OS tells of the CPU's frequency, for context.json and drift.csv.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import {
  PerformanceObserver,
  constants,
  performance,
  type PerformanceEntry,
} from 'node:perf_hooks';
import { runInNewContext } from 'node:vm';
import { currentRuntime } from '../gpu/runtime.ts';
import v8 from 'node:v8';

/** A sample is left out when collections overlapped more than this share of its time. */
export const GC_SHARE = 0.1;

/** Host clock in the time base of perf_hooks entries (ms since the process started). */
export const perfNowMs = (): number => performance.now();

/** Watches V8's major and incremental garbage collections while it is open. */
export class GcWatch {
  /** [start, end] of each collection seen, ms in performance.now()'s time base. */
  private spans: [number, number][] = [];
  private readonly observer: PerformanceObserver;

  constructor() {
    this.observer = new PerformanceObserver((list) => this.add(list.getEntries()));
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /**
   * Whether this runtime reports garbage collections: Node does. Deno 2.9.6 lists `gc` among its
   * entry types but reports none (an observer saw 0 entries where Node's saw 54 for the same
   * allocations), so under it no sample can be left out for one.
   */
  static supported(): boolean {
    return currentRuntime().name === 'node';
  }

  private add(entries: readonly PerformanceEntry[]): void {
    for (const e of entries) {
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) continue;
      this.spans.push([e.startTime, e.startTime + e.duration]);
    }
    // Only recent collections can still overlap a sample being checked.
    if (this.spans.length > 4096) this.spans = this.spans.slice(-1024);
  }

  /**
   * How long collections overlapped [startMs, endMs], ms. Entries arrive asynchronously: take
   * the pending ones first, so a collection that ended just before this call is seen.
   */
  overlapMs(startMs: number, endMs: number): number {
    this.add(this.observer.takeRecords());
    let ms = 0;
    for (const [s, e] of this.spans) ms += Math.max(0, Math.min(e, endMs) - Math.max(s, startMs));
    return ms;
  }

  close(): void {
    this.observer.disconnect();
  }
}

let gc: (() => void) | undefined | null = null;

/**
 * A full garbage collection now, if V8 lets us (it does once --expose-gc is set at run time,
 * which Node allows through v8.setFlagsFromString). Returns whether one ran.
 */
export function collectGarbage(): boolean {
  if (gc === null) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    } catch {
      gc = undefined;
    }
  }
  if (gc === undefined) return false;
  gc();
  return true;
}

export interface CpuClock {
  model: string;
  cores: number;
  /** Mean current frequency over all cores, as /proc/cpuinfo reports it (MHz); null if unknown. */
  meanMHz: number | null;
  minMHz: number | null;
  maxMHz: number | null;
  /** cpufreq governor of cpu0, where the OS exposes one (a VM often does not). */
  governor: string | null;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

export function cpuClock(): CpuClock {
  const cpus = os.cpus();
  const speeds = cpus.map((c) => c.speed).filter((s) => s > 0);
  return {
    model: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    meanMHz: speeds.length === 0 ? null : speeds.reduce((s, v) => s + v, 0) / speeds.length,
    minMHz: speeds.length === 0 ? null : Math.min(...speeds),
    maxMHz: speeds.length === 0 ? null : Math.max(...speeds),
    governor: readText('/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor'),
  };
}
