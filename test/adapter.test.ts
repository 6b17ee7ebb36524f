/**
 * The guard for the GPU tests: with `CI=true`, no adapter is a failure with the install hint (the
 * other GPU test files skip without an adapter only outside CI, see test/support/gpu.ts). With an
 * adapter: it has the feature and the limits the suite relies on.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  BACKENDS,
  NO_ADAPTER_HELP,
  backendFromListing,
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

describe('backendFromListing (the adapter list dawn.node rejects with)', () => {
  const listing = (...entries: string[]): string =>
    ['no suitable backends found', 'Available adapters:', ...entries].join('\n');
  it('reads the backend of the listed adapters', () => {
    const one = listing(" * backend: 'vulkan', name: 'llvmpipe (LLVM 15.0.6, 256 bits)'");
    expect(backendFromListing(one, 'llvmpipe-llvm-15-0-6-256-bits-')).toBe('vulkan');
    expect(backendFromListing(one, 'another-device')).toBe('vulkan');
  });
  it('takes the chosen adapter by its spelled name where the backends differ', () => {
    const two = listing(
      " * backend: 'd3d12', name: 'NVIDIA H200'",
      " * backend: 'vulkan', name: 'Microsoft Basic Render Driver (it's, odd)'",
    );
    expect(backendFromListing(two, 'nvidia-h200')).toBe('d3d12');
    expect(backendFromListing(two, 'microsoft-basic-render-driver-it-s-odd-')).toBe('vulkan');
    // Neither listed name is the device: ambiguous, so not named.
    expect(backendFromListing(two, 'some-other-gpu')).toBeUndefined();
  });
  it('names nothing without a list', () => {
    expect(backendFromListing('Error: something else', 'nvidia-h200')).toBeUndefined();
    expect(backendFromListing(listing(), 'nvidia-h200')).toBeUndefined();
  });
});
