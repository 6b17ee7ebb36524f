/**
 * One shared GPU device per test file (a live Dawn device busy-polls about one CPU core, and CI
 * machines have two). Without an adapter the GPU tests skip, except under `CI=true`, where a
 * missing adapter is a failure (docs/design.md, Tests and CI).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, type TestContext } from 'vitest';
import { openGpu, type GpuContext } from '../../src/gpu/context.ts';
import { NoAdapterError } from '../../src/errors.ts';

export const IN_CI = process.env['CI'] === 'true';

/** Opens the default adapter, or returns undefined when there is none and this is not CI. */
export async function openTestGpu(): Promise<GpuContext | undefined> {
  try {
    return await openGpu();
  } catch (error) {
    if (error instanceof NoAdapterError && !IN_CI) return undefined;
    throw error;
  }
}

/**
 * Registers beforeAll/afterAll hooks that open one device for the file and destroy it, and returns
 * a getter for the tests: it skips the calling test when there is no adapter (outside CI).
 */
export function useSharedGpu(): (t: TestContext) => GpuContext {
  let ctx: GpuContext | undefined;
  beforeAll(async () => {
    ctx = await openTestGpu();
  });
  afterAll(() => {
    ctx?.close();
    ctx = undefined;
  });
  return (t) => {
    if (ctx === undefined) return t.skip('no WebGPU adapter (see scripts/install-lavapipe.sh)');
    return ctx;
  };
}

/** A fresh seed per call: inputs differ on every run; a failure message prints the seed. */
export function freshSeed(): number {
  return randomBytes(4).readUInt32LE(0);
}

/** Index of the first difference, or -1 when both arrays are equal (length included). */
export function firstDifference(a: Uint32Array, b: Uint32Array): number {
  const n = Math.min(a.length, b.length);
  const bytesA = Buffer.from(a.buffer, a.byteOffset, n * 4);
  const bytesB = Buffer.from(b.buffer, b.byteOffset, n * 4);
  if (!bytesA.equals(bytesB)) {
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  }
  return a.length === b.length ? -1 : n;
}

/** Rejects when `promise` has not settled within `ms` (a hang becomes a failure, not a timeout). */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
