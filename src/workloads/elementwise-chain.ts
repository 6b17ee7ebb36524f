/**
 * The GPU side shared by the element-wise chain workloads (`map`, `scale`): one array of 32-bit
 * words updated in place by K kernels, offered as three programs — `steps` (one dispatch per
 * kernel, parameters read through a dynamic uniform offset per step), `fused` (one invocation per
 * element applies all K) and `persistent` (P workgroups pull chunks from an atomic ticket queue;
 * the last one out resets it). The shader (shaders/<name>.wgsl) provides `step_main`,
 * `fused_main` and `persistent_main` over bindings 0 (data), 1 (params), 2 (queue); the workload
 * says what each step's parameter slot holds.
 */
import { ProgramCache, readWords } from './resources.ts';
import { compileShader } from '../gpu/shaders.ts';
import { alignUp, gridFor, uniformSlotBytes } from './grid.ts';
import type {
  CaseParams,
  DeviceLimits,
  Dispatch,
  PreparedCase,
  Program,
  ProgramKind,
} from './types.ts';

/** What every step's parameter slot can be built from. */
export interface ChainShared {
  elements: number;
  intensity: number;
  kernels: number;
  rowWorkgroups: number;
  persistentWorkgroups: number;
}

export interface ElementwiseChain {
  /** Shader file and label prefix. */
  name: string;
  /** The module, when not shaders/<name>.wgsl (a user's kernel, `--shader`). */
  compile?: (device: GPUDevice) => Promise<GPUShaderModule>;
  /** Entry points, when not `step_main` and `fused_main`. */
  entryPoints?: { steps?: string; fused?: string };
  /** Words of the shader's `Params` struct. */
  paramWords: number;
  /** The `Params` words of step `step`. */
  slotWords(step: number, shared: ChainShared): number[];
}

export async function prepareElementwiseChain(
  device: GPUDevice,
  params: CaseParams,
  limits: DeviceLimits,
  chain: ElementwiseChain,
): Promise<PreparedCase> {
  const { name } = chain;
  const { elements, kernels, intensity, workgroupSize } = params;
  const perDim = limits['maxComputeWorkgroupsPerDimension'] ?? 65535;
  const grid = gridFor(elements, workgroupSize, perDim);
  const slot = uniformSlotBytes(limits);
  const module = await (chain.compile?.(device) ?? compileShader(device, name));
  const stepEntry = chain.entryPoints?.steps ?? 'step_main';
  const constants = { WORKGROUP_SIZE: workgroupSize };
  const pipeline = (entryPoint: string): Promise<GPUComputePipeline> =>
    device.createComputePipelineAsync({
      label: `${name}.${entryPoint}`,
      layout: 'auto',
      compute: { module, entryPoint, constants },
    });

  const dataBytes = alignUp(Math.max(4, elements * 4), 4);
  const data = device.createBuffer({
    label: `${name}.data`,
    size: dataBytes,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  const readback = device.createBuffer({
    label: `${name}.readback`,
    size: dataBytes,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const chunks = Math.ceil(elements / workgroupSize);
  const persistentWorkgroups = Math.max(1, Math.min(params.persistentWorkgroups, chunks, perDim));
  // Slot k holds step k's parameters (the shader's `Params`); every slot carries the shared ones.
  const paramBuffer = device.createBuffer({
    label: `${name}.params`,
    size: kernels * slot,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  const words = new Uint32Array((kernels * slot) / 4);
  const shared = {
    elements,
    intensity,
    kernels,
    rowWorkgroups: grid.rowWorkgroups,
    persistentWorkgroups,
  };
  for (let k = 0; k < kernels; k++) words.set(chain.slotWords(k, shared), (k * slot) / 4);
  device.queue.writeBuffer(paramBuffer, 0, words);
  const queue = device.createBuffer({
    label: `${name}.queue`,
    size: 8,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(queue, 0, new Uint32Array(2));

  const paramsBinding = { buffer: paramBuffer, offset: 0, size: chain.paramWords * 4 };
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
          label: `${name}.${stepEntry}.dynamic`,
          layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
          compute: { module, entryPoint: stepEntry, constants },
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
        const p = await pipeline(chain.entryPoints?.fused ?? 'fused_main');
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
  const programs = new ProgramCache(buildProgram);

  return {
    program: (kind) => programs.get(kind),
    writeInput(input) {
      device.queue.writeBuffer(data, 0, input);
    },
    readOutput: () =>
      readWords(device, readback, elements, `${name}.readback`, (encoder) =>
        encoder.copyBufferToBuffer(data, 0, readback, 0, dataBytes),
      ),
    destroy() {
      for (const b of [data, readback, paramBuffer, queue]) b.destroy();
    },
  };
}
