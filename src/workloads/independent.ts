/**
 * Workload `independent`: K unrelated tasks of N elements each (`kernels` = K tasks, `elements` =
 * N per task); task t applies map's integer mix once, with step t, to its own slice
 * (shaders/independent.wgsl). No task reads what another wrote: the batching case, against
 * `map`'s dependent chain of the same K kernels of N elements.
 *
 * Programs: `steps` launches one dispatch per task, each writing the task's own buffer, because
 * Dawn inserts a barrier before a dispatch that uses a buffer an earlier dispatch of the pass
 * wrote; `fused` runs all tasks in one dispatch and `persistent` pulls (task, chunk) tickets, both
 * writing one concatenated buffer. The output (and the CPU reference) is every task's result
 * concatenated, task t at [t·N, (t+1)·N), whatever the program.
 *
 * Caveat for reading `steps` timings on repeated executions: Dawn tracks buffer usage across
 * command buffers, so a task buffer written by the previous execution gets a write-after-write
 * barrier before its dispatch in the next one (Vulkan: COMPUTE→COMPUTE pipeline barrier, which
 * also waits for the dispatches before it). Separate buffers remove the dependencies between
 * dispatches within the pass, not that per-dispatch barrier; the barrier is what Dawn makes any
 * repeated batch of independent dispatches pay.
 */
import { ProgramCache, readWords } from './resources.ts';
import { compileShader } from '../gpu/shaders.ts';
import { alignUp, gridFor, uniformSlotBytes } from './grid.ts';
import { mapMix } from './map.ts';
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

/** Words of `Params` in shaders/independent.wgsl. */
const PARAM_WORDS = 7;
/** Most storage buffers one entry point binds (persistent_main: input, output, queue). */
const STORAGE_BUFFERS = 3;

export const independentWorkload: Workload = {
  id: 'independent',
  description: 'K unrelated element-wise integer tasks of N elements each (no dependencies)',
  programs: { steps: true, fused: true, persistent: true },

  checkLimits(params, limits) {
    const { elements, kernels } = params;
    // Every program binds the whole concatenated input.
    const bytes = elements * kernels * 4;
    const binding = limits['maxStorageBufferBindingSize'] ?? 0;
    if (bytes > binding) {
      return `independent: ${kernels} tasks × ${elements} elements need a ${bytes}-byte storage binding, past maxStorageBufferBindingSize ${binding}`;
    }
    const maxBuffer = limits['maxBufferSize'] ?? 0;
    if (bytes > maxBuffer) return `independent: ${bytes} bytes past maxBufferSize ${maxBuffer}`;
    const perDim = limits['maxComputeWorkgroupsPerDimension'] ?? 0;
    if (Math.ceil((elements * kernels) / params.workgroupSize) > perDim * perDim) {
      return `independent: ${kernels} × ${elements} elements need more than ${perDim}² workgroups`;
    }
    if (kernels * uniformSlotBytes(limits) > maxBuffer) {
      return `independent: ${kernels} tasks past maxBufferSize for parameters`;
    }
    // Missing limit (e.g. `list`, which has no device): WebGPU's guaranteed minimum.
    const storageBuffers = limits['maxStorageBuffersPerShaderStage'] ?? 8;
    if (storageBuffers < STORAGE_BUFFERS) {
      return `independent binds ${STORAGE_BUFFERS} storage buffers, past maxStorageBuffersPerShaderStage ${storageBuffers}`;
    }
    return undefined;
  },

  outputLength(params) {
    return params.elements * params.kernels;
  },

  deviceBytes(params) {
    // input, one buffer per task, the concatenated output, read-back
    return params.elements * params.kernels * 4 * 4 + params.kernels * 256 + 256;
  },

  makeInput(params, random) {
    return randomWords(params.elements * params.kernels, random);
  },

  referenceCost(params) {
    return params.elements * params.kernels * (params.intensity + 2);
  },

  reference(input, params, indices) {
    const { elements, intensity } = params;
    const at = (e: number): number => mapMix(input[e] ?? 0, Math.floor(e / elements), intensity);
    if (indices === undefined) return input.map((_, e) => at(e));
    return indices.map(at);
  },

  async prepare(device, params, limits) {
    return prepareIndependent(device, params, limits);
  },
};

async function prepareIndependent(
  device: GPUDevice,
  params: CaseParams,
  limits: DeviceLimits,
): Promise<PreparedCase> {
  const { elements, kernels, intensity, workgroupSize } = params;
  const total = elements * kernels;
  const perDim = limits['maxComputeWorkgroupsPerDimension'] ?? 65535;
  const taskGrid = gridFor(elements, workgroupSize, perDim);
  const fusedGrid = gridFor(total, workgroupSize, perDim);
  const slot = uniformSlotBytes(limits);
  const tickets = Math.ceil(elements / workgroupSize) * kernels;
  const persistentWorkgroups = Math.max(1, Math.min(params.persistentWorkgroups, tickets, perDim));
  const module = await compileShader(device, 'independent');
  const constants = { WORKGROUP_SIZE: workgroupSize };

  const taskBytes = alignUp(Math.max(4, elements * 4), 4);
  const totalBytes = alignUp(Math.max(4, total * 4), 4);
  const input = device.createBuffer({
    label: 'independent.input',
    size: totalBytes,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
  });
  const readback = device.createBuffer({
    label: 'independent.readback',
    size: totalBytes,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const paramBuffer = device.createBuffer({
    label: 'independent.params',
    size: kernels * slot,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  const words = new Uint32Array((kernels * slot) / 4);
  for (let t = 0; t < kernels; t++) {
    words.set(
      [
        elements,
        intensity,
        kernels,
        t,
        taskGrid.rowWorkgroups,
        persistentWorkgroups,
        fusedGrid.rowWorkgroups,
      ],
      (t * slot) / 4,
    );
  }
  device.queue.writeBuffer(paramBuffer, 0, words);
  const queue = device.createBuffer({
    label: 'independent.queue',
    size: 8,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(queue, 0, new Uint32Array(2));
  const paramsBinding = { buffer: paramBuffer, offset: 0, size: PARAM_WORDS * 4 };

  // Output buffers are created with the program that writes them.
  const taskBuffers: GPUBuffer[] = [];
  let concatenated: GPUBuffer | undefined;
  const concatenatedOutput = (): GPUBuffer => {
    concatenated ??= device.createBuffer({
      label: 'independent.output',
      size: totalBytes,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    return concatenated;
  };
  const pipeline = (entryPoint: string): Promise<GPUComputePipeline> =>
    device.createComputePipelineAsync({
      label: `independent.${entryPoint}`,
      layout: 'auto',
      compute: { module, entryPoint, constants },
    });

  const buildProgram = async (kind: ProgramKind): Promise<Program> => {
    switch (kind) {
      case 'steps': {
        const layout = device.createBindGroupLayout({
          entries: [
            {
              binding: 0,
              visibility: GPUShaderStage.COMPUTE,
              buffer: { type: 'read-only-storage' },
            },
            { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
            {
              binding: 2,
              visibility: GPUShaderStage.COMPUTE,
              buffer: { type: 'uniform', hasDynamicOffset: true },
            },
          ],
        });
        const taskPipeline = await device.createComputePipelineAsync({
          label: 'independent.task_main.dynamic',
          layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
          compute: { module, entryPoint: 'task_main', constants },
        });
        const dispatches: Dispatch[] = [];
        for (let t = 0; t < kernels; t++) {
          const output = device.createBuffer({
            label: `independent.task${t}`,
            size: taskBytes,
            usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
          });
          taskBuffers.push(output);
          const bindGroup = device.createBindGroup({
            layout,
            entries: [
              { binding: 0, resource: { buffer: input } },
              { binding: 1, resource: { buffer: output } },
              { binding: 2, resource: paramsBinding },
            ],
          });
          dispatches.push({
            pipeline: taskPipeline,
            bindGroup,
            dynamicOffsets: [t * slot],
            workgroups: taskGrid.workgroups,
          });
        }
        return { kind, dispatches, notes: {} };
      }
      case 'fused': {
        const p = await pipeline('fused_main');
        const bindGroup = device.createBindGroup({
          layout: p.getBindGroupLayout(0),
          entries: [
            { binding: 0, resource: { buffer: input } },
            { binding: 1, resource: { buffer: concatenatedOutput() } },
            { binding: 2, resource: paramsBinding },
          ],
        });
        return {
          kind,
          dispatches: [
            { pipeline: p, bindGroup, dynamicOffsets: [], workgroups: fusedGrid.workgroups },
          ],
          notes: {},
        };
      }
      case 'persistent': {
        const p = await pipeline('persistent_main');
        const bindGroup = device.createBindGroup({
          layout: p.getBindGroupLayout(0),
          entries: [
            { binding: 0, resource: { buffer: input } },
            { binding: 1, resource: { buffer: concatenatedOutput() } },
            { binding: 2, resource: paramsBinding },
            { binding: 3, resource: { buffer: queue } },
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
  let lastRequested: ProgramKind | undefined;

  return {
    async program(kind) {
      const program = await programs.get(kind);
      lastRequested = kind;
      return program;
    },
    writeInput(data) {
      device.queue.writeBuffer(input, 0, data);
      // Zero every output: a strategy that skipped a task must not pass on an earlier result.
      const encoder = device.createCommandEncoder({ label: 'independent.clear' });
      for (const b of [...taskBuffers, ...(concatenated === undefined ? [] : [concatenated])]) {
        encoder.clearBuffer(b);
      }
      device.queue.submit([encoder.finish()]);
    },
    async readOutput(kind) {
      const ran = kind ?? lastRequested;
      if (ran === undefined || !programs.has(ran)) {
        throw new Error(`independent: no ${ran ?? ''} program has run, nothing to read`);
      }
      return readWords(device, readback, total, 'independent.readback', (encoder) => {
        if (ran === 'steps') {
          // Gather the per-task buffers into the concatenated layout.
          taskBuffers.forEach((b, t) =>
            encoder.copyBufferToBuffer(b, 0, readback, t * elements * 4, elements * 4),
          );
        } else {
          encoder.copyBufferToBuffer(concatenatedOutput(), 0, readback, 0, totalBytes);
        }
      });
    },
    destroy() {
      for (const b of [input, readback, paramBuffer, queue, ...taskBuffers]) b.destroy();
      concatenated?.destroy();
    },
  };
}
