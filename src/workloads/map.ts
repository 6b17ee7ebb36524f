/**
 * Workload `map`: K chained element-wise kernels over one array<u32> of N elements, each applying
 * an integer mix `intensity` times (shaders/map.wgsl). Step k+1 reads what step k wrote, in place,
 * so one-by-one launches are ordered by Dawn's barriers between dispatches on the same buffer.
 * Measures: launch cost of a dependent chain. Does not measure: memory traffic between
 * different buffers, or dependencies across elements (see `stencil`).
 */
import { compileShader } from '../gpu/shaders.ts';
import { alignUp, gridFor, uniformSlotBytes } from './grid.ts';
import { randomWords } from './random.ts';
import type {
  CaseParams,
  DeviceLimits,
  Dispatch,
  PreparedCase,
  Program,
  ProgramKind,
  Workload,
} from './types.ts';

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
    return prepareMap(device, params, limits);
  },
};

async function prepareMap(
  device: GPUDevice,
  params: CaseParams,
  limits: DeviceLimits,
): Promise<PreparedCase> {
  const { elements, kernels, intensity, workgroupSize } = params;
  const perDim = limits['maxComputeWorkgroupsPerDimension'] ?? 65535;
  const grid = gridFor(elements, workgroupSize, perDim);
  const slot = uniformSlotBytes(limits);
  const module = await compileShader(device, 'map');
  const constants = { WORKGROUP_SIZE: workgroupSize };
  const pipeline = (entryPoint: string): Promise<GPUComputePipeline> =>
    device.createComputePipelineAsync({
      label: `map.${entryPoint}`,
      layout: 'auto',
      compute: { module, entryPoint, constants },
    });

  const dataBytes = alignUp(Math.max(4, elements * 4), 4);
  const data = device.createBuffer({
    label: 'map.data',
    size: dataBytes,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  const readback = device.createBuffer({
    label: 'map.readback',
    size: dataBytes,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const chunks = Math.ceil(elements / workgroupSize);
  const persistentWorkgroups = Math.max(1, Math.min(params.persistentWorkgroups, chunks, perDim));
  // Slot k holds step k's parameters; every slot carries the shared ones too.
  const paramBuffer = device.createBuffer({
    label: 'map.params',
    size: kernels * slot,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  const words = new Uint32Array((kernels * slot) / 4);
  for (let k = 0; k < kernels; k++) {
    words.set(
      [elements, intensity, kernels, k, grid.rowWorkgroups, persistentWorkgroups],
      (k * slot) / 4,
    );
  }
  device.queue.writeBuffer(paramBuffer, 0, words);
  const queue = device.createBuffer({
    label: 'map.queue',
    size: 8,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(queue, 0, new Uint32Array(2));

  const paramsBinding = { buffer: paramBuffer, offset: 0, size: PARAM_WORDS * 4 };
  const buildProgram = async (kind: ProgramKind): Promise<Program> => {
    switch (kind) {
      case 'steps': {
        const layout = device.createBindGroupLayout({
          entries: [
            { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
            {
              binding: 1,
              visibility: GPUShaderStage.COMPUTE,
              buffer: { type: 'uniform', hasDynamicOffset: true },
            },
          ],
        });
        const stepPipeline = await device.createComputePipelineAsync({
          label: 'map.step_main.dynamic',
          layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
          compute: { module, entryPoint: 'step_main', constants },
        });
        const bindGroup = device.createBindGroup({
          layout,
          entries: [
            { binding: 0, resource: { buffer: data } },
            { binding: 1, resource: paramsBinding },
          ],
        });
        const dispatches: Dispatch[] = [];
        for (let k = 0; k < kernels; k++) {
          dispatches.push({
            pipeline: stepPipeline,
            bindGroup,
            dynamicOffsets: [k * slot],
            workgroups: grid.workgroups,
          });
        }
        return { kind, dispatches, notes: {} };
      }
      case 'fused': {
        const p = await pipeline('fused_main');
        const bindGroup = device.createBindGroup({
          layout: p.getBindGroupLayout(0),
          entries: [
            { binding: 0, resource: { buffer: data } },
            { binding: 1, resource: paramsBinding },
          ],
        });
        return {
          kind,
          dispatches: [{ pipeline: p, bindGroup, dynamicOffsets: [], workgroups: grid.workgroups }],
          notes: {},
        };
      }
      case 'persistent': {
        const p = await pipeline('persistent_main');
        const bindGroup = device.createBindGroup({
          layout: p.getBindGroupLayout(0),
          entries: [
            { binding: 0, resource: { buffer: data } },
            { binding: 1, resource: paramsBinding },
            { binding: 2, resource: { buffer: queue } },
          ],
        });
        return {
          kind,
          dispatches: [
            {
              pipeline: p,
              bindGroup,
              dynamicOffsets: [],
              workgroups: [persistentWorkgroups, 1, 1],
            },
          ],
          notes: { persistentWorkgroups },
        };
      }
    }
  };
  const programs = new Map<ProgramKind, Program>();

  return {
    async program(kind) {
      let program = programs.get(kind);
      if (program === undefined) {
        program = await buildProgram(kind);
        programs.set(kind, program);
      }
      return program;
    },
    writeInput(input) {
      device.queue.writeBuffer(data, 0, input);
    },
    async readOutput() {
      const encoder = device.createCommandEncoder({ label: 'map.readback' });
      encoder.copyBufferToBuffer(data, 0, readback, 0, dataBytes);
      device.queue.submit([encoder.finish()]);
      await readback.mapAsync(GPUMapMode.READ);
      const out = new Uint32Array(readback.getMappedRange().slice(0), 0, elements);
      readback.unmap();
      return out;
    },
    destroy() {
      for (const b of [data, readback, paramBuffer, queue]) b.destroy();
    },
  };
}
