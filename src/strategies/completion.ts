/**
 * How a strategy's host learns that the GPU is done: the completion ways WebGPU code chooses
 * between, each with its own cost on each runtime (bench --completion; docs/design.md, Runtimes).
 * - `submitted-work-done`: `await queue.onSubmittedWorkDone()` after the last submit (the
 *   default, and what the run's own probes use).
 * - `map-async`: the last command buffer before a wait also copies 4 bytes into a small
 *   MAP_READ buffer, and the host awaits `mapAsync` of it, then unmaps: what code that reads a
 *   result back does. A buffer maps once the submit that last used it has completed, and a
 *   queue completes its submits in order, so it waits for everything submitted before.
 * - `nudged`: `onSubmittedWorkDone`, while the host submits an empty command list at once and
 *   then every task turn (setTimeout 0) until it resolves: the workaround for a runtime that
 *   learns of completed work only when it next polls its device. Firefox polls on a 100 ms timer
 *   (bug 1870699) and on a submit, so its plain waits take about 100 ms and nudged ones about
 *   1 ms (docs/findings.md, "Completion in the browsers"). Where a runtime delivers completion
 *   itself it changes little, either way: Dawn in Node on lavapipe waited 214–276 µs on an idle
 *   queue nudged (17–20 plainly), and a round trip took 176–210 µs (264–347; the anatomy).
 */
export const COMPLETION_WAYS = ['submitted-work-done', 'map-async', 'nudged'] as const;
export type CompletionWay = (typeof COMPLETION_WAYS)[number];

/** One strategy's way to wait for the GPU. */
export interface Completion {
  readonly way: CompletionWay;
  /** Encodes what the wait needs into the last command buffer submitted before it. */
  tail(encoder: GPUCommandEncoder): void;
  /** Resolves once the GPU has done everything submitted so far (with the tail encoded). */
  wait(): Promise<void>;
  /**
   * Stops what a wait does on the host meanwhile (nudged's submits), freeing nothing: for a wait
   * that will never end, whose GPU objects the queue may still use.
   */
  cancel?(): void;
  /** Frees what it made. */
  destroy(): void;
}

/** `await queue.onSubmittedWorkDone()`: nothing to encode. */
export function submittedWorkDone(device: GPUDevice): Completion {
  return {
    way: 'submitted-work-done',
    tail: () => undefined,
    wait: () => device.queue.onSubmittedWorkDone(),
    destroy: () => undefined,
  };
}

/**
 * `onSubmittedWorkDone`, nudged by an empty submit now and every task turn (setTimeout 0) until
 * it resolves. In a browser, timers nested past the fifth are clamped to 4 ms (HTML), so a wait
 * longer than a few turns ends within about 4 ms of the GPU finishing. `cancel` (a stalled
 * execution abandoned by the watchdog) and a lost device end the nudging, which would otherwise
 * go on for as long as the wait never resolves.
 */
export function nudgedWorkDone(device: GPUDevice): Completion {
  let cancelled = false;
  void device.lost.then(() => {
    cancelled = true;
  });
  return {
    way: 'nudged',
    tail: () => undefined,
    async wait() {
      let done = false;
      const finished = device.queue.onSubmittedWorkDone().then(() => {
        done = true;
      });
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        while (!done && !cancelled) {
          device.queue.submit([]);
          await Promise.race([
            finished,
            new Promise<void>((resolve) => (timer = setTimeout(resolve, 0))),
          ]);
          clearTimeout(timer);
        }
      } finally {
        clearTimeout(timer);
      }
      await finished;
    },
    cancel() {
      cancelled = true;
    },
    destroy() {
      cancelled = true;
    },
  };
}

/** Bytes the map-async tail copies: one word. */
const TAIL_BYTES = 4;

/**
 * `mapAsync` of a small buffer the last command buffer copied into. A wait with no tail encoded
 * since the last one would map a buffer no pending submit uses, at once: that is a strategy's
 * bug, and it throws.
 */
export function mapAsyncCompletion(device: GPUDevice): Completion {
  const source = device.createBuffer({
    label: 'completion.source',
    size: TAIL_BYTES,
    usage: GPUBufferUsage.COPY_SRC,
  });
  const readback = device.createBuffer({
    label: 'completion.readback',
    size: TAIL_BYTES,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  let tailed = false;
  return {
    way: 'map-async',
    tail(encoder) {
      encoder.copyBufferToBuffer(source, 0, readback, 0, TAIL_BYTES);
      tailed = true;
    },
    async wait() {
      if (!tailed) throw new Error('map-async completion: wait() without a tail encoded before it');
      tailed = false;
      await readback.mapAsync(GPUMapMode.READ);
      readback.unmap();
    },
    destroy() {
      source.destroy();
      readback.destroy();
    },
  };
}

/** The completion `way` on `device`. */
export function makeCompletion(device: GPUDevice, way: CompletionWay): Completion {
  if (way === 'map-async') return mapAsyncCompletion(device);
  return way === 'nudged' ? nudgedWorkDone(device) : submittedWorkDone(device);
}
