/**
 * Errors the command line turns into one message line and an exit code, never a stack trace.
 * Exit codes: 2 bad input (usage, limits), 3 no adapter or a missing required feature,
 * 4 the GPU device was lost mid-run (results so far are kept), 1 anything unexpected.
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

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message === '' ? error.name : error.message;
  return String(error);
}
