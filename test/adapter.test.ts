/**
 * The guard for the GPU tests: with `CI=true`, no adapter is a failure with the install hint (the
 * other GPU test files skip without an adapter only outside CI, see test/support/gpu.ts). With an
 * adapter: it has the feature and the limits the suite relies on.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { NO_ADAPTER_HELP, openGpu, type GpuContext } from '../src/gpu/context.ts';
import { NoAdapterError } from '../src/errors.ts';
import { IN_CI } from './support/gpu.ts';

let ctx: GpuContext | undefined;

afterAll(() => ctx?.close());

describe('adapter', () => {
  it('opens (CI=true: no adapter fails the run)', async (t) => {
    try {
      ctx = await openGpu();
    } catch (error) {
      if (error instanceof NoAdapterError) {
        expect(error.message).toContain('scripts/install-lavapipe.sh');
        if (!IN_CI) t.skip(`no WebGPU adapter: ${NO_ADAPTER_HELP}`);
        throw new Error(`CI=true and ${NO_ADAPTER_HELP}`);
      }
      throw error;
    }
    expect(ctx.device).toBeDefined();
    expect(ctx.lost).toBeUndefined();
  });

  it('has timestamp queries and the limits the suite sizes cases by', (t) => {
    if (ctx === undefined) return t.skip('no adapter');
    expect(ctx.hasTimestamps).toBe(true);
    expect(ctx.features).toContain('timestamp-query');
    // WebGPU's defaults: every test size assumes at least these.
    expect(ctx.limits['maxComputeWorkgroupsPerDimension']).toBeGreaterThanOrEqual(65535);
    expect(ctx.limits['maxStorageBufferBindingSize']).toBeGreaterThanOrEqual(128 * 2 ** 20);
    expect(ctx.limits['maxComputeInvocationsPerWorkgroup']).toBeGreaterThanOrEqual(256);
  });
});
