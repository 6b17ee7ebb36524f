import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { gemvSum } from '../src/workloads/decode/buffers.js';

// A device as gemvSum reads it: its features and its adapter's smallest subgroup.
const device = (features: string[], subgroupMinSize?: number, withInfo = true): GPUDevice =>
  ({
    features: new Set(features),
    ...(withInfo ? { adapterInfo: { subgroupMinSize } } : {}),
  }) as unknown as GPUDevice;

describe('the decode module’s sums (sum-subgroups.wgsl or sum-workgroup.wgsl)', () => {
  beforeEach(() => vi.stubEnv('LAUNCHBENCH_DECODE_SUMS', ''));
  afterEach(() => vi.unstubAllEnvs());

  it('shuffles across subgroups only where none is smaller than the 8 score lanes', () => {
    expect(gemvSum(device(['subgroups'], 32))).toBe('subgroups');
    expect(gemvSum(device(['subgroups'], 8))).toBe('subgroups');
    expect(gemvSum(device(['subgroups'], 4))).toBe('workgroup');
    expect(gemvSum(device([], 32))).toBe('workgroup');
  });

  it('takes an adapter that has subgroups but does not say their size at its word', () => {
    expect(gemvSum(device(['subgroups']))).toBe('subgroups');
    expect(gemvSum(device(['subgroups'], undefined, false))).toBe('subgroups');
    expect(gemvSum(device(['shader-f16'], undefined, false))).toBe('workgroup');
  });

  it('takes the trees wherever LAUNCHBENCH_DECODE_SUMS=workgroup asks for them', () => {
    vi.stubEnv('LAUNCHBENCH_DECODE_SUMS', 'workgroup');
    expect(gemvSum(device(['subgroups'], 32))).toBe('workgroup');
  });
});
