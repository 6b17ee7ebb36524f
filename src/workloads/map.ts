/**
 * Workload `map`: K chained element-wise kernels over one array<u32> of N elements, each applying
 * an integer mix `intensity` times (shaders/map.wgsl). Step k+1 reads what step k wrote, in place,
 * so one-by-one launches are ordered by Dawn's barriers between dispatches on the same buffer.
 * Measures: launch cost of a dependent chain. Does not measure: memory traffic between
 * different buffers, or dependencies across elements (see `stencil`).
 */
import { prepareElementwiseChain } from './elementwise-chain.ts';
import { uniformSlotBytes } from './grid.ts';
import { randomWords } from './random.ts';
import type { Workload } from './types.ts';

const PARAM_WORDS = 6;

/** One step on the CPU; must match `mix` in shaders/map.wgsl bit for bit. */
export function mapMix(value: number, step: number, intensity: number): number {
  let v = value >>> 0;
  for (let i = 0; i < intensity; i++) {
    v = (Math.imul(v, 1664525) + 1013904223) >>> 0;
    v = (v ^ (v >>> 15)) >>> 0;
  }
  return (((v << 1) | (v >>> 31)) + step + 1) >>> 0;
}

function mapElement(value: number, kernels: number, intensity: number): number {
  let v = value;
  for (let k = 0; k < kernels; k++) v = mapMix(v, k, intensity);
  return v;
}

export const mapWorkload: Workload = {
  id: 'map',
  description: 'K chained element-wise integer kernels over one array<u32> (in place)',
  programs: { steps: true, fused: true, persistent: true },

  checkLimits(params, limits) {
    const bytes = params.elements * 4;
    const binding = limits['maxStorageBufferBindingSize'] ?? 0;
    if (bytes > binding) {
      return `map: ${params.elements} elements need a ${bytes}-byte storage binding, past maxStorageBufferBindingSize ${binding}`;
    }
    const maxBuffer = limits['maxBufferSize'] ?? 0;
    if (bytes > maxBuffer) return `map: ${bytes} bytes past maxBufferSize ${maxBuffer}`;
    const perDim = limits['maxComputeWorkgroupsPerDimension'] ?? 0;
    if (Math.ceil(params.elements / params.workgroupSize) > perDim * perDim) {
      return `map: ${params.elements} elements need more than ${perDim}² workgroups`;
    }
    const uniformBytes = params.kernels * uniformSlotBytes(limits);
    if (uniformBytes > maxBuffer)
      return `map: ${params.kernels} kernels past maxBufferSize for parameters`;
    return undefined;
  },

  deviceBytes(params) {
    return params.elements * 4 * 2 + params.kernels * 256 + 256;
  },

  makeInput(params, random) {
    return randomWords(params.elements, random);
  },

  referenceCost(params) {
    return params.elements * params.kernels * (params.intensity + 2);
  },

  reference(input, params, indices) {
    const { kernels, intensity } = params;
    if (indices === undefined) return input.map((v) => mapElement(v, kernels, intensity));
    return indices.map((i) => mapElement(input[i] ?? 0, kernels, intensity));
  },

  async prepare(device, params, limits) {
    return prepareElementwiseChain(device, params, limits, {
      name: 'map',
      paramWords: PARAM_WORDS,
      // Params in shaders/map.wgsl: elements, intensity, kernels, step, rowWorkgroups, P.
      slotWords: (step, s) => [
        s.elements,
        s.intensity,
        s.kernels,
        step,
        s.rowWorkgroups,
        s.persistentWorkgroups,
      ],
    });
  },
};
