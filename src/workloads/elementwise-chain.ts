/**
 * The GPU side shared by the element-wise chain workloads (`map`, `scale`): one array of 32-bit
 * words updated in place by K kernels, offered as three programs — `steps` (one dispatch per
 * kernel, parameters read through a dynamic uniform offset per step), `fused` (one invocation per
 * element applies all K) and `persistent` (P workgroups pull chunks from an atomic ticket queue;
 * the last one out resets it). The shader (shaders/<name>.wgsl) provides `step_main`,
 * `fused_main` and `persistent_main` over bindings 0 (data), 1 (params), 2 (queue); the workload
 * says what each step's parameter slot holds.
 */
import { ProgramCache, readWords, stepsLayout, uniformSlots } from './resources.ts';
import { compileShader } from '../gpu/shaders.ts';
import { alignUp, gridFor, uniformSlotBytes, type Grid } from './grid.ts';
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

/** Where a chain case runs: its grid, the persistent grid and buffer sizes. */
interface ChainGeometry {
  /** One invocation per element (`steps`, `fused`). */
  grid: Grid;
  persistentWorkgroups: number;
  /** Stride of the per-step parameter slots (read through dynamic offsets). */
  slotBytes: number;
  /** Size of the data and of the read-back. */
  dataBytes: number;
}

/** The geometry of a case; a grid past the device's limits is a RangeError (gridFor). */
function chainGeometry(params: CaseParams, limits: DeviceLimits): ChainGeometry {
  const { elements, workgroupSize } = params;
  const perDim = limits['maxComputeWorkgroupsPerDimension'] ?? 65535;
  const chunks = Math.ceil(elements / workgroupSize);
  return {
    grid: gridFor(elements, workgroupSize, perDim),
    persistentWorkgroups: Math.max(1, Math.min(params.persistentWorkgroups, chunks, perDim)),
    slotBytes: uniformSlotBytes(limits),
    dataBytes: alignUp(Math.max(4, elements * 4), 4),
  };
}

/**
 * The uniform buffer of per-step parameters, written once: slot k holds step k's parameters (the
 * shader's `Params`, as `chain.slotWords` says), `slotBytes` apart so that a dispatch selects its
 * step by dynamic offset; every slot carries the shared ones.
 */
function chainParamBuffer(
  device: GPUDevice,
  params: CaseParams,
  chain: ElementwiseChain,
  geometry: ChainGeometry,
): GPUBuffer {
  const { elements, kernels, intensity } = params;
  const shared = {
    elements,
    intensity,
    kernels,
    rowWorkgroups: geometry.grid.rowWorkgroups,
    persistentWorkgroups: geometry.persistentWorkgroups,
  };
  return uniformSlots(device, `${chain.name}.params`, geometry.slotBytes, kernels, (k) =>
    chain.slotWords(k, shared),
  );
}

export async function prepareElementwiseChain(
  device: GPUDevice,
  params: CaseParams,
  limits: DeviceLimits,
  chain: ElementwiseChain,
): Promise<PreparedCase> {
  const geometry = chainGeometry(params, limits);
  const module = await (chain.compile?.(device) ?? compileShader(device, chain.name));
  return new ChainCase(device, params, chain, geometry, module);
}

/**
 * A prepared chain case: the data the kernels update in place, the per-step parameters and the
 * persistent program's ticket queue; each program built on first request.
 */
class ChainCase implements PreparedCase {
  private readonly data: GPUBuffer;
  private readonly readback: GPUBuffer;
  private readonly paramBuffer: GPUBuffer;
  private readonly queue: GPUBuffer;
  /** One step's `Params`: the slot a dynamic offset selects (`steps`), else slot 0. */
  private readonly paramsBinding: GPUBufferBinding;
  private readonly constants: Record<string, number>;
  private readonly programs = new ProgramCache((kind) => this.build(kind));

  constructor(
    private readonly device: GPUDevice,
    private readonly params: CaseParams,
    private readonly chain: ElementwiseChain,
    private readonly geometry: ChainGeometry,
    private readonly module: GPUShaderModule,
  ) {
    const { name } = chain;
    this.constants = { WORKGROUP_SIZE: params.workgroupSize };
    this.data = device.createBuffer({
      label: `${name}.data`,
      size: geometry.dataBytes,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    this.readback = device.createBuffer({
      label: `${name}.readback`,
      size: geometry.dataBytes,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    this.paramBuffer = chainParamBuffer(device, params, chain, geometry);
    this.queue = device.createBuffer({
      label: `${name}.queue`,
      size: 8,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(this.queue, 0, new Uint32Array(2));
    this.paramsBinding = { buffer: this.paramBuffer, offset: 0, size: chain.paramWords * 4 };
  }

  program(kind: ProgramKind): Promise<Program> {
    return this.programs.get(kind);
  }

  writeInput(input: Uint32Array): void {
    this.device.queue.writeBuffer(this.data, 0, input);
  }

  readOutput(): Promise<Uint32Array> {
    const { data, readback } = this;
    const label = `${this.chain.name}.readback`;
    return readWords(this.device, readback, this.params.elements, label, (encoder) =>
      encoder.copyBufferToBuffer(data, 0, readback, 0, this.geometry.dataBytes),
    );
  }

  destroy(): void {
    for (const b of [this.data, this.readback, this.paramBuffer, this.queue]) b.destroy();
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

  /** A pipeline of the chain's module with the bind group layout the shader implies. */
  private pipeline(entryPoint: string): Promise<GPUComputePipeline> {
    return this.device.createComputePipelineAsync({
      label: `${this.chain.name}.${entryPoint}`,
      layout: 'auto',
      compute: { module: this.module, entryPoint, constants: this.constants },
    });
  }

  /**
   * `steps`: one dispatch per step through one pipeline and one bind group, each selecting its
   * step's parameters by dynamic offset (hence an explicit layout).
   */
  private async stepsProgram(): Promise<Program> {
    const { device, geometry } = this;
    const stepEntry = this.chain.entryPoints?.steps ?? 'step_main';
    const layout = stepsLayout(device, ['storage']);
    const stepPipeline = await device.createComputePipelineAsync({
      label: `${this.chain.name}.${stepEntry}.dynamic`,
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module: this.module, entryPoint: stepEntry, constants: this.constants },
    });
    const bindGroup = device.createBindGroup({
      layout,
      entries: [
        { binding: 0, resource: { buffer: this.data } },
        { binding: 1, resource: this.paramsBinding },
      ],
    });
    const dispatches: Dispatch[] = [];
    for (let k = 0; k < this.params.kernels; k++) {
      dispatches.push({
        pipeline: stepPipeline,
        bindGroup,
        dynamicOffsets: [k * geometry.slotBytes],
        workgroups: geometry.grid.workgroups,
      });
    }
    return { kind: 'steps', dispatches, notes: {} };
  }

  /** `fused`: one dispatch of the same grid, each invocation applying all K steps. */
  private async fusedProgram(): Promise<Program> {
    const p = await this.pipeline(this.chain.entryPoints?.fused ?? 'fused_main');
    const bindGroup = this.device.createBindGroup({
      layout: p.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: this.data } },
        { binding: 1, resource: this.paramsBinding },
      ],
    });
    const { workgroups } = this.geometry.grid;
    return {
      kind: 'fused',
      dispatches: [{ pipeline: p, bindGroup, dynamicOffsets: [], workgroups }],
      notes: {},
    };
  }

  /** `persistent`: one dispatch of P workgroups pulling chunks from the ticket queue. */
  private async persistentProgram(): Promise<Program> {
    const { persistentWorkgroups } = this.geometry;
    const p = await this.pipeline('persistent_main');
    const bindGroup = this.device.createBindGroup({
      layout: p.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: this.data } },
        { binding: 1, resource: this.paramsBinding },
        { binding: 2, resource: { buffer: this.queue } },
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
