/**
 * `node:perf_hooks` in a browser page: the page's own clock. A page reports no garbage
 * collections (GcWatch.supported() is false there), so the observer watches nothing.
 */
export const performance = globalThis.performance;

export class PerformanceObserver {
  constructor(_callback: unknown) {}
  observe(_options: unknown): void {}
  takeRecords(): never[] {
    return [];
  }
  disconnect(): void {}
}

export const constants = { NODE_PERFORMANCE_GC_MINOR: 1 };

export type PerformanceEntry = { startTime: number; duration: number };
