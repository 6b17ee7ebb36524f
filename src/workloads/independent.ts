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
import { ProgramCache, readWords, stepsLayout, uniformSlots } from './resources.ts';
import { compileShader } from '../gpu/shaders.ts';
import { alignUp, gridFor, uniformSlotBytes, type Grid } from './grid.ts';
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

/** Where an independent case runs: its grids, the persistent grid and buffer sizes. */
interface IndependentGeometry {
  /** Output elements: every task's N, concatenated. */
  total: number;
  /** One invocation per element of one task (`steps`). */
  taskGrid: Grid;
  /** One invocation per element of every task (`fused`). */
  fusedGrid: Grid;
  persistentWorkgroups: number;
  /** Stride of the per-task parameter slots (read through dynamic offsets). */
  slotBytes: number;
  /** Size of one task's output buffer (`steps`). */
  taskBytes: number;
  /** Size of the input, of the concatenated output and of the read-back. */
  totalBytes: number;
}

/** The geometry of a case; a grid past the device's limits is a RangeError (gridFor). */
function independentGeometry(params: CaseParams, limits: DeviceLimits): IndependentGeometry {
  const { elements, kernels, workgroupSize } = params;
  const total = elements * kernels;
  const perDim = limits['maxComputeWorkgroupsPerDimension'] ?? 65535;
  const taskGrid = gridFor(elements, workgroupSize, perDim);
  const fusedGrid = gridFor(total, workgroupSize, perDim);
  const tickets = Math.ceil(elements / workgroupSize) * kernels;
  return {
    total,
    taskGrid,
    fusedGrid,
    persistentWorkgroups: Math.max(1, Math.min(params.persistentWorkgroups, tickets, perDim)),
    slotBytes: uniformSlotBytes(limits),
    taskBytes: alignUp(Math.max(4, elements * 4), 4),
    totalBytes: alignUp(Math.max(4, total * 4), 4),
  };
}

/**
 * The uniform buffer of per-task parameters, written once: slot t holds task t's `Params` of
 * shaders/independent.wgsl, `slotBytes` apart so that a dispatch selects its task by dynamic
 * offset.
 */
function independentParamBuffer(
  device: GPUDevice,
  params: CaseParams,
  geometry: IndependentGeometry,
): GPUBuffer {
  const { elements, kernels, intensity } = params;
  return uniformSlots(device, 'independent.params', geometry.slotBytes, kernels, (t) => [
    elements,
    intensity,
    kernels,
    t,
    geometry.taskGrid.rowWorkgroups,
    geometry.persistentWorkgroups,
    geometry.fusedGrid.rowWorkgroups,
  ]);
}

async function prepareIndependent(
  device: GPUDevice,
  params: CaseParams,
  limits: DeviceLimits,
): Promise<PreparedCase> {
  const geometry = independentGeometry(params, limits);
  const module = await compileShader(device, 'independent');
  return new IndependentCase(device, params, geometry, module);
}

/**
 * A prepared independent case: the input, the per-task parameters and the persistent program's
 * ticket queue; each program built on first request, with the output buffers it writes.
 */
class IndependentCase implements PreparedCase {
  private readonly input: GPUBuffer;
  private readonly readback: GPUBuffer;
  private readonly paramBuffer: GPUBuffer;
  private readonly queue: GPUBuffer;
  /** One task's `Params`: the slot a dynamic offset selects (`steps`), else slot 0. */
  private readonly paramsBinding: GPUBufferBinding;
  private readonly constants: Record<string, number>;
  /** One output buffer per task, made by the `steps` program. */
  private readonly taskBuffers: GPUBuffer[] = [];
  /** Every task's output, concatenated: made by the first of `fused` and `persistent`. */
  private concatenated: GPUBuffer | undefined;
  private readonly programs = new ProgramCache((kind) => this.build(kind));
  private lastRequested: ProgramKind | undefined;

  constructor(
    private readonly device: GPUDevice,
    private readonly params: CaseParams,
    private readonly geometry: IndependentGeometry,
    private readonly module: GPUShaderModule,
  ) {
    this.constants = { WORKGROUP_SIZE: params.workgroupSize };
    this.input = device.createBuffer({
      label: 'independent.input',
      size: geometry.totalBytes,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    this.readback = device.createBuffer({
      label: 'independent.readback',
      size: geometry.totalBytes,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    this.paramBuffer = independentParamBuffer(device, params, geometry);
    this.queue = device.createBuffer({
      label: 'independent.queue',
      size: 8,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(this.queue, 0, new Uint32Array(2));
    this.paramsBinding = { buffer: this.paramBuffer, offset: 0, size: PARAM_WORDS * 4 };
  }

  async program(kind: ProgramKind): Promise<Program> {
    const program = await this.programs.get(kind);
    this.lastRequested = kind;
    return program;
  }

  writeInput(data: Uint32Array): void {
    const { device, taskBuffers, concatenated } = this;
    device.queue.writeBuffer(this.input, 0, data);
    // Zero every output: a strategy that skipped a task must not pass on an earlier result.
    const encoder = device.createCommandEncoder({ label: 'independent.clear' });
    for (const b of [...taskBuffers, ...(concatenated === undefined ? [] : [concatenated])]) {
      encoder.clearBuffer(b);
    }
    device.queue.submit([encoder.finish()]);
  }

  async readOutput(kind?: ProgramKind): Promise<Uint32Array> {
    const { readback, geometry } = this;
    const { elements } = this.params;
    const ran = kind ?? this.lastRequested;
    if (ran === undefined || !this.programs.has(ran)) {
      throw new Error(`independent: no ${ran ?? ''} program has run, nothing to read`);
    }
    return readWords(this.device, readback, geometry.total, 'independent.readback', (encoder) => {
      if (ran === 'steps') {
        // Gather the per-task buffers into the concatenated layout.
        this.taskBuffers.forEach((b, t) =>
          encoder.copyBufferToBuffer(b, 0, readback, t * elements * 4, elements * 4),
        );
      } else {
        encoder.copyBufferToBuffer(this.concatenatedOutput(), 0, readback, 0, geometry.totalBytes);
      }
    });
  }

  destroy(): void {
    const { input, readback, paramBuffer, queue, taskBuffers } = this;
    for (const b of [input, readback, paramBuffer, queue, ...taskBuffers]) b.destroy();
    this.concatenated?.destroy();
  }

  /** Builds the program of this kind; the ProgramCache calls it once per kind. */
  private build(kind: ProgramKind): Promise<Program> {
    switch (kind) {
      case 'steps':
        return this.stepsProgram();
      case 'fused':
        return this.fusedProgram();
      case 'persistent':
        return this.persistentProgram();
    }
  }

  /** The output `fused` and `persistent` write, every task's result concatenated (made once). */
  private concatenatedOutput(): GPUBuffer {
    this.concatenated ??= this.device.createBuffer({
      label: 'independent.output',
      size: this.geometry.totalBytes,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    return this.concatenated;
  }

  /** A pipeline of shaders/independent.wgsl with the bind group layout the shader implies. */
  private pipeline(entryPoint: string): Promise<GPUComputePipeline> {
    return this.device.createComputePipelineAsync({
      label: `independent.${entryPoint}`,
      layout: 'auto',
      compute: { module: this.module, entryPoint, constants: this.constants },
    });
  }

  /**
   * `steps`: one dispatch per task through one pipeline, each selecting its task's parameters by
   * dynamic offset (hence an explicit layout) and writing its own buffer (see the file's header).
   */
  private async stepsProgram(): Promise<Program> {
    const { device } = this;
    const layout = stepsLayout(device, ['read-only-storage', 'storage']);
    const taskPipeline = await device.createComputePipelineAsync({
      label: 'independent.task_main.dynamic',
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module: this.module, entryPoint: 'task_main', constants: this.constants },
    });
    const dispatches: Dispatch[] = [];
    for (let t = 0; t < this.params.kernels; t++) {
      dispatches.push(this.taskDispatch(t, layout, taskPipeline));
    }
    return { kind: 'steps', dispatches, notes: {} };
  }

  /** Task t's dispatch of `steps`, with the output buffer it writes and its bind group. */
  private taskDispatch(
    t: number,
    layout: GPUBindGroupLayout,
    taskPipeline: GPUComputePipeline,
  ): Dispatch {
    const output = this.device.createBuffer({
      label: `independent.task${t}`,
      size: this.geometry.taskBytes,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    this.taskBuffers.push(output);
    const bindGroup = this.device.createBindGroup({
      layout,
      entries: [
        { binding: 0, resource: { buffer: this.input } },
        { binding: 1, resource: { buffer: output } },
        { binding: 2, resource: this.paramsBinding },
      ],
    });
    return {
      pipeline: taskPipeline,
      bindGroup,
      dynamicOffsets: [t * this.geometry.slotBytes],
      workgroups: this.geometry.taskGrid.workgroups,
    };
  }

  /** `fused`: one dispatch of one invocation per element of every task. */
  private async fusedProgram(): Promise<Program> {
    const p = await this.pipeline('fused_main');
    const bindGroup = this.device.createBindGroup({
      layout: p.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: this.input } },
        { binding: 1, resource: { buffer: this.concatenatedOutput() } },
        { binding: 2, resource: this.paramsBinding },
      ],
    });
    const { workgroups } = this.geometry.fusedGrid;
    return {
      kind: 'fused',
      dispatches: [{ pipeline: p, bindGroup, dynamicOffsets: [], workgroups }],
      notes: {},
    };
  }

  /** `persistent`: one dispatch of P workgroups pulling (task, chunk) tickets from the queue. */
  private async persistentProgram(): Promise<Program> {
    const { persistentWorkgroups } = this.geometry;
    const p = await this.pipeline('persistent_main');
    const bindGroup = this.device.createBindGroup({
      layout: p.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: this.input } },
        { binding: 1, resource: { buffer: this.concatenatedOutput() } },
        { binding: 2, resource: this.paramsBinding },
        { binding: 3, resource: { buffer: this.queue } },
      ],
    });
    return {
      kind: 'persistent',
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
