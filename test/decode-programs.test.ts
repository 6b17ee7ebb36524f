/**
 * The decode step's layout and op tables (src/workloads/decode/programs.ts), without a GPU: the
 * Llama-1B-like preset packs into three slabs on an H200's limits with no layer split between
 * two, the matrices the fused GEMVs treat as one are stored one after another, every region is
 * 256-byte aligned, each program has the op count the workload states, and a preset past an
 * adapter's binding limit or the op table is refused with a message that says why.
 */
import { describe, expect, it } from 'vitest';
import {
  GEMV_ROWS,
  MAX_OPS,
  decodeLayout,
  fusedOps,
  opTableWords,
  stepOps,
} from '../src/workloads/decode/programs.ts';
import { decodeShape, weightBytes } from '../src/workloads/decode/shapes.ts';
import { planGroups, type RunPlan } from '../src/run.ts';
import { decodeDispatches, decodeWorkload } from '../src/workloads/decode/workload.ts';
import type { CaseParams } from '../src/workloads/types.ts';

/** What an H200 reports through Dawn (results/…-nvidia-h200-pair/a/context.json). */
const H200 = {
  maxStorageBufferBindingSize: 2147483644,
  maxBufferSize: 1099511627776,
  maxStorageBuffersPerShaderStage: 16,
  maxComputeWorkgroupsPerDimension: 65535,
  minUniformBufferOffsetAlignment: 64,
};
/** What lavapipe reports. */
const LAVAPIPE = { ...H200, maxStorageBufferBindingSize: 134217728, maxBufferSize: 4294967295 };
const WG = 256;

const params = (preset: string, extra: Partial<CaseParams> = {}): CaseParams => {
  const axes = decodeWorkload.presets?.axes(preset);
  return {
    preset,
    elements: axes?.elements ?? 0,
    kernels: axes?.kernels ?? 1,
    intensity: 0,
    workgroupSize: WG,
    persistentWorkgroups: 512,
    ...extra,
  };
};

describe('decode layout', () => {
  it('packs llama-1b into three slabs on an H200, layer by layer', () => {
    const s = decodeShape('llama-1b');
    const layout = decodeLayout(s, H200, WG);
    expect(layout.slabFloats).toHaveLength(3);
    for (const floats of layout.slabFloats) expect(4 * floats).toBeLessThanOrEqual(2147483644);
    const slabsOfLayers = layout.layers.map((l) => l.wq.slab);
    // 243 MB per layer: eight fit one 2 GiB binding.
    expect(slabsOfLayers).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(layout.lmHead.slab).toBe(2);
    // Every weight is in some slab exactly once: the slabs hold at least the weight bytes.
    const total = layout.slabFloats.reduce((a, b) => a + b, 0);
    expect(4 * total).toBeGreaterThanOrEqual(weightBytes(s));
    expect(4 * total).toBeLessThan(weightBytes(s) * 1.001);
  });

  it('packs llama-1b-f16 into two slabs: all 16 layers in one, the LM head in the other', () => {
    const s = decodeShape('llama-1b-f16');
    const layout = decodeLayout(s, H200, WG);
    expect(layout.slabFloats).toHaveLength(2);
    expect(layout.layers.every((l) => l.wq.slab === 0)).toBe(true);
    expect(layout.lmHead.slab).toBe(1);
    for (const weights of layout.slabFloats) expect(2 * weights).toBeLessThanOrEqual(2147483644);
    // 256-byte aligned: 128 f16 weights.
    for (const l of layout.layers) for (const p of Object.values(l)) expect(p.offset % 128).toBe(0);
  });

  it('stores the matrices a fused GEMV reads as one after another, every region aligned', () => {
    for (const preset of ['tiny', 'gpt2-small', 'llama-1b']) {
      const s = decodeShape(preset);
      const layout = decodeLayout(s, H200, WG);
      for (const l of layout.layers) {
        const places = Object.values(l);
        for (const p of places) {
          expect(p.slab).toBe(l.wq.slab);
          expect(p.offset % 64).toBe(0);
        }
        expect(l.wk.offset).toBe(l.wq.offset + l.wq.floats);
        expect(l.wv.offset).toBe(l.wk.offset + l.wk.floats);
        expect(l.wUp.offset).toBe(l.wGate.offset + l.wGate.floats);
      }
      for (const a of layout.acts.layers)
        for (const offset of Object.values(a))
          if (offset !== a.k && offset !== a.v) expect(offset % 64).toBe(0);
    }
  });

  it('builds the op counts the workload states, within the op table', () => {
    for (const preset of ['tiny', 'gpt2-small', 'llama-1b']) {
      const s = decodeShape(preset);
      const layout = decodeLayout(s, H200, WG);
      const steps = stepOps(s, layout, WG);
      const fused = fusedOps(s, layout, WG);
      expect(steps).toHaveLength(decodeDispatches(s).steps);
      expect(fused).toHaveLength(decodeDispatches(s).fused);
      expect(steps.length + fused.length).toBeLessThanOrEqual(MAX_OPS);
      const lmHead = steps[steps.length - 1];
      expect(lmHead?.name).toBe('lm-head');
      expect(lmHead?.units).toBe(Math.ceil(s.vocab / GEMV_ROWS));
      expect(() => opTableWords([...steps, ...fused], 65535)).not.toThrow();
    }
  });

  it('refuses what does not fit, saying why', () => {
    expect(decodeWorkload.checkLimits(params('llama-1b'), LAVAPIPE)).toBeUndefined();
    expect(decodeWorkload.programUnavailable?.('steps', params('llama-1b'), LAVAPIPE)).toMatch(
      /llama-1b: a 1002 MiB buffer exceeds this device's maxStorageBufferBindingSize of 128 MiB/,
    );
    expect(decodeWorkload.programUnavailable?.('steps', params('llama-1b'), H200)).toBeUndefined();
    expect(decodeWorkload.checkLimits(params('tiny', { kernels: 50 }), H200)).toMatch(
      /50 layers need 1155 ops, past the op table's 1024/,
    );
    expect(decodeWorkload.checkLimits(params('tiny', { workgroupSize: 96 }), H200)).toMatch(
      /power of two/,
    );
    // 1024 invocations need 22 784 bytes of workgroup arrays (16 KiB is WebGPU's default)
    expect(
      decodeWorkload.checkLimits(params('tiny', { workgroupSize: 1024 }), {
        ...H200,
        maxComputeWorkgroupStorageSize: 16384,
      }),
    ).toMatch(
      /workgroup size 1024 needs 22784 bytes of workgroup memory, past this device's 16384/,
    );
    expect(
      decodeWorkload.checkLimits(params('tiny', { workgroupSize: 512 }), {
        ...H200,
        maxComputeWorkgroupStorageSize: 16384,
      }),
    ).toBeUndefined();
    // A context whose cache is past one binding.
    expect(
      decodeWorkload.programUnavailable?.('steps', params('llama-1b', { elements: 70_000 }), H200),
    ).toMatch(/context of 70000 tokens needs a 2188 MiB cache binding/);
  });

  it('runs each preset at each vocabulary of --vocab, named by it', () => {
    expect(decodeShape('tiny@v1000')).toMatchObject({ vocab: 1000, hidden: 64 });
    expect(decodeShape('llama-1b-f16@v32000')).toMatchObject({ vocab: 32000, weights: 'f16' });
    const plan = {
      workloads: [decodeWorkload],
      strategies: [],
      elements: [1],
      kernels: [1],
      intensity: [0],
      workgroupSize: [256],
      persistentWorkgroups: 0,
      presets: ['tiny', 'gpt2-small'],
      presetAxes: { decode: { extra: [1000, 32000] } },
    } as unknown as RunPlan;
    const groups = planGroups(plan);
    expect(groups.map((g) => g.params.preset)).toEqual([
      'tiny@v1000',
      'tiny@v32000',
      'gpt2-small@v1000',
      'gpt2-small@v32000',
    ]);
    // Each keeps its preset's own layers and context.
    expect(groups.map((g) => [g.params.kernels, g.params.elements])).toEqual([
      [2, 16],
      [2, 16],
      [12, 256],
      [12, 256],
    ]);
  });
});
