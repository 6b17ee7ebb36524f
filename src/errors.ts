/**
 * Errors the command line turns into one message line and an exit code, never a stack trace.
 * Exit codes: 2 bad input (usage, limits), 3 no adapter or a missing required feature,
 * 4 the GPU device was lost mid-run (results so far are kept), 5 `compare --fail-on-slower X`
 * found a case whose wall time is `slower` in B by more than X (the comparison is still printed
 * and written), 1 anything unexpected.
 */
export class LaunchbenchError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input: unknown names, malformed numbers, sizes past the adapter's limits. */
export class UsageError extends LaunchbenchError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** No WebGPU adapter (or not the one asked for). */
export class NoAdapterError extends LaunchbenchError {
  constructor(message: string) {
    super(message, 3);
  }
}

/** The device was lost while measuring. */
export class DeviceLostError extends LaunchbenchError {
  constructor(message: string) {
    super(message, 4);
  }
}

/**
 * The queue did not drain after a stalled execution: the device cannot be used safely any more
 * (its queue may still hold work that uses the case's objects). A run with a way to open a fresh
 * device replaces it and goes on; otherwise it ends like a lost device.
 */
export class QueueWedgedError extends DeviceLostError {}

/** `compare --fail-on-slower`: B is slower than A beyond the allowed fraction on some case. */
export class SlowerError extends LaunchbenchError {
  constructor(message: string) {
    super(message, 5);
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message === '' ? error.name : error.message;
  return String(error);
}
