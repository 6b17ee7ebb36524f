/**
 * The guard for the GPU tests: with `CI=true`, no adapter is a failure with the install hint (the
 * other GPU test files skip without an adapter only outside CI, see test/support/gpu.ts). With an
 * adapter: it has the feature and the limits the suite relies on.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  BACKENDS,
  NO_ADAPTER_HELP,
  enumeratedBackend,
  openGpu,
  type GpuContext,
} from '../src/gpu/context.ts';
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

  it('names the backend it opened, not "default" (read from the adapters dawn.node lists)', async (t) => {
    if (ctx === undefined) return t.skip('no adapter');
    expect(BACKENDS as readonly string[]).toContain(ctx.backend);
    // Without a backend flag dawn.node enumerates the platform's backend (lavapipe: Vulkan).
    if (process.platform === 'linux') expect(ctx.backend).toBe('vulkan');
    // The same answer when the device's name is not among the listed ones (the agreeing entries).
    expect(await enumeratedBackend(ctx.instanceFlags, 'no-such-device')).toBe(ctx.backend);
  });
});
