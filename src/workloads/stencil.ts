/**
 * Workload `stencil`: K chained 3-point stencil steps over N u32 elements with clamped borders
 * (shaders/stencil.wgsl): out[i] = mix(in[max(i-1,0)]*3 + in[i]*5 + in[min(i+1,N-1)]*7, k),
 * `mix` being map's `intensity` rounds of integer mixing. Step k needs step k−1's neighbours, so
 * the steps are ordered only by launch boundaries (`steps`: ping-pong buffers, one dispatch per
 * step), by redundant halo computation (`fused`: temporal blocking in workgroup memory, limited
 * to K ≤ `fusedStencilMaxKernels`), or by a grid-wide barrier (`persistent`: relies on all P
 * workgroups being co-resident, which WebGPU does not guarantee; a bounded spin reports the
 * failure through `checkStatus` instead of hanging).
 * Measures: launch cost of a chain whose steps depend across elements. Does not measure:
 * multi-dimensional stencils or memory-bound stencil throughput.
 */
import {
  ProgramCache,
  readGridFailure,
  readWords,
  stepsLayout,
  uniformSlots,
} from './resources.ts';
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

/** Words of `Params` in shaders/stencil.wgsl. */
const PARAM_WORDS = 7;
/** Spins a workgroup waits at the grid barrier before giving up (≈ ms to 1 s on a GPU). */
const SPIN_LIMIT = 1 << 20;
/** `GridBarrier` in shaders/stencil.wgsl: arrived, finished, failed (padded to 16 bytes). */
const GRID_BYTES = 16;
/** Storage buffers persistent_main binds: input, two planes, barrier. */
const PERSISTENT_STORAGE_BUFFERS = 4;
/** Smallest fused tile, in workgroups' worth of elements: amortises the halo at small K. */
const MIN_TILE_WORKGROUPS = 4;
const DEFAULT_WORKGROUP_STORAGE_BYTES = 16384;

/** One stencil point on the CPU; must match `point` in shaders/stencil.wgsl bit for bit. */
export function stencilPoint(
  l: number,
  c: number,
  r: number,
  step: number,
  intensity: number,
): number {
  return mapMix(Math.imul(l, 3) + Math.imul(c, 5) + Math.imul(r, 7), step, intensity);
}

/**
 * Applies K steps to input[lo..hi] as if that range were the whole array (borders clamped at lo
 * and hi). Exact where lo and hi are the array's real borders; at an inner edge the error moves
 * inward one element per step, so positions at least K from an inner edge stay exact.
 */
function stencilRange(
  input: Uint32Array,
  lo: number,
  hi: number,
  kernels: number,
  intensity: number,
): Uint32Array {
  const length = hi - lo + 1;
  let cur = input.slice(lo, hi + 1);
  let next = new Uint32Array(length);
  for (let k = 0; k < kernels; k++) {
    for (let i = 0; i < length; i++) {
      const l = cur[i > 0 ? i - 1 : 0] ?? 0;
      const r = cur[i < length - 1 ? i + 1 : length - 1] ?? 0;
      next[i] = stencilPoint(l, cur[i] ?? 0, r, k, intensity);
    }
    [cur, next] = [next, cur];
  }
  return cur;
}

/**
 * Largest K the fused program supports at this workgroup size: it holds two planes of
 * tile + 2K u32 in workgroup memory, the tile at least one element per invocation, so
 * 2 · 4 B · (workgroupSize + 2K) ≤ maxComputeWorkgroupStorageSize.
 */
export function fusedStencilMaxKernels(workgroupSize: number, limits: DeviceLimits): number {
  const planeWords = Math.floor(
    (limits['maxComputeWorkgroupStorageSize'] ?? DEFAULT_WORKGROUP_STORAGE_BYTES) / 8,
  );
  return Math.max(0, Math.floor((planeWords - workgroupSize) / 2));
}

/**
 * Tile of the fused program: interior elements per workgroup. At least MIN_TILE_WORKGROUPS
 * workgroups' worth and at least 2K, so the recomputed halo costs at most as much as the tile;
 * capped by workgroup memory (which is what bounds K) and by the array itself.
 */
function fusedTile(params: CaseParams, limits: DeviceLimits): { tile: number; span: number } {
  const { elements, kernels, workgroupSize } = params;
  const planeWords = Math.floor(
    (limits['maxComputeWorkgroupStorageSize'] ?? DEFAULT_WORKGROUP_STORAGE_BYTES) / 8,
  );
  let tile = Math.max(MIN_TILE_WORKGROUPS * workgroupSize, alignUp(2 * kernels, workgroupSize));
  tile = Math.min(tile, Math.floor((planeWords - 2 * kernels) / workgroupSize) * workgroupSize);
  tile = Math.max(workgroupSize, Math.min(tile, alignUp(Math.max(1, elements), workgroupSize)));
  return { tile, span: tile + 2 * kernels };
}

export const stencilWorkload: Workload = {
  id: 'stencil',
  description: 'K chained 3-point integer stencils over one array<u32> (ping-pong buffers)',
  programs: { steps: true, fused: true, persistent: true },
  reliesOn: { persistent: 'co-residency' },

  checkLimits(params, limits) {
    const bytes = params.elements * 4;
    const binding = limits['maxStorageBufferBindingSize'] ?? 0;
    if (bytes > binding) {
      return `stencil: ${params.elements} elements need a ${bytes}-byte storage binding, past maxStorageBufferBindingSize ${binding}`;
    }
    const maxBuffer = limits['maxBufferSize'] ?? 0;
    if (bytes > maxBuffer) return `stencil: ${bytes} bytes past maxBufferSize ${maxBuffer}`;
    const perDim = limits['maxComputeWorkgroupsPerDimension'] ?? 0;
    if (Math.ceil(params.elements / params.workgroupSize) > perDim * perDim) {
      return `stencil: ${params.elements} elements need more than ${perDim}² workgroups`;
    }
    if (params.kernels * uniformSlotBytes(limits) > maxBuffer) {
      return `stencil: ${params.kernels} kernels past maxBufferSize for parameters`;
    }
    return undefined;
  },

  programUnavailable(kind, params, limits) {
    if (kind === 'fused') {
      const maxKernels = fusedStencilMaxKernels(params.workgroupSize, limits);
      if (params.kernels > maxKernels) {
        const storage = limits['maxComputeWorkgroupStorageSize'] ?? DEFAULT_WORKGROUP_STORAGE_BYTES;
        return `stencil fused (temporal blocking) keeps a halo of K elements per side in workgroup memory: K ≤ ${maxKernels} at workgroup size ${params.workgroupSize} with maxComputeWorkgroupStorageSize ${storage} B (K = ${params.kernels})`;
      }
    }
    if (kind === 'persistent') {
      // Missing limit (e.g. `list`, which has no device): WebGPU's guaranteed minimum.
      const storageBuffers = limits['maxStorageBuffersPerShaderStage'] ?? 8;
      if (storageBuffers < PERSISTENT_STORAGE_BUFFERS) {
        return `stencil persistent binds ${PERSISTENT_STORAGE_BUFFERS} storage buffers, past maxStorageBuffersPerShaderStage ${storageBuffers}`;
      }
    }
    return undefined;
  },

  deviceBytes(params) {
    return params.elements * 4 * 4 + params.kernels * 256 + 256 + GRID_BYTES * 2;
  },

  makeInput(params, random) {
    return randomWords(params.elements, random);
  },

  referenceCost(params) {
    return params.elements * params.kernels * (params.intensity + 4);
  },

  reference(input, params, indices) {
    const { elements, kernels, intensity } = params;
    if (indices === undefined) return stencilRange(input, 0, elements - 1, kernels, intensity);
    // Element i after K steps depends on [i−K, i+K] only: simulate the union of those windows,
    // merged where they overlap, never more than the whole array.
    const out = new Uint32Array(indices.length);
    const order = [...indices.keys()].sort((a, b) => (indices[a] ?? 0) - (indices[b] ?? 0));
    let o = 0;
    while (o < order.length) {
      const first = indices[order[o] ?? 0] ?? 0;
      const lo = Math.max(0, first - kernels);
      let hi = Math.min(elements - 1, first + kernels);
      let end = o + 1;
      while (end < order.length && (indices[order[end] ?? 0] ?? 0) - kernels <= hi + 1) {
        hi = Math.min(elements - 1, (indices[order[end] ?? 0] ?? 0) + kernels);
        end++;
      }
      const values = stencilRange(input, lo, hi, kernels, intensity);
      for (; o < end; o++) {
        const j = order[o] ?? 0;
        out[j] = values[(indices[j] ?? 0) - lo] ?? 0;
      }
    }
    return out;
  },

  async prepare(device, params, limits) {
    return prepareStencil(device, params, limits);
  },
};

/** Where a stencil case runs: its grids, the fused tile, the persistent grid and buffer sizes. */
interface StencilGeometry {
  /** One invocation per element (`steps`). */
  grid: Grid;
  /** The fused program's tile (fusedTile), one workgroup per tile. */
  tiling: { tile: number; span: number };
  tileGrid: Grid;
  persistentWorkgroups: number;
  /** Stride of the per-step parameter slots (read through dynamic offsets). */
  slotBytes: number;
  /** Size of the input, of each plane and of the read-back. */
  dataBytes: number;
}

/** The geometry of a case; a grid past the device's limits is a RangeError (gridFor). */
function stencilGeometry(params: CaseParams, limits: DeviceLimits): StencilGeometry {
  const { elements, workgroupSize } = params;
  const perDim = limits['maxComputeWorkgroupsPerDimension'] ?? 65535;
  const grid = gridFor(elements, workgroupSize, perDim);
  const tiling = fusedTile(params, limits);
  const tileGrid = gridFor(elements, tiling.tile, perDim);
  const chunks = Math.ceil(elements / workgroupSize);
  return {
    grid,
    tiling,
    tileGrid,
    persistentWorkgroups: Math.max(1, Math.min(params.persistentWorkgroups, chunks, perDim)),
    slotBytes: uniformSlotBytes(limits),
    dataBytes: alignUp(Math.max(4, elements * 4), 4),
  };
}

/**
 * The uniform buffer of per-step parameters, written once: slot k holds step k's `Params` of
 * shaders/stencil.wgsl, `slotBytes` apart so that a dispatch selects its step by dynamic offset.
 */
function stencilParamBuffer(
  device: GPUDevice,
  params: CaseParams,
  geometry: StencilGeometry,
): GPUBuffer {
  const { elements, kernels, intensity } = params;
  return uniformSlots(device, 'stencil.params', geometry.slotBytes, kernels, (k) => [
    elements,
    intensity,
    kernels,
    k,
    geometry.grid.rowWorkgroups,
    geometry.persistentWorkgroups,
    geometry.tileGrid.rowWorkgroups,
  ]);
}

async function prepareStencil(
  device: GPUDevice,
  params: CaseParams,
  limits: DeviceLimits,
): Promise<PreparedCase> {
  const geometry = stencilGeometry(params, limits);
  const module = await compileShader(device, 'stencil');
  return new StencilCase(device, params, limits, geometry, module);
}

/**
 * A prepared stencil case: the input, the two planes the steps ping-pong between, the per-step
 * parameters and the persistent program's grid barrier; each program built on first request.
 */
class StencilCase implements PreparedCase {
  private readonly input: GPUBuffer;
  /** planes[0] (P0) always ends up holding the result; see shaders/stencil.wgsl. */
  private readonly planes: readonly [GPUBuffer, GPUBuffer];
  private readonly readback: GPUBuffer;
  private readonly paramBuffer: GPUBuffer;
  private readonly gridBarrier: GPUBuffer;
  private readonly gridReadback: GPUBuffer;
  /** One step's `Params`: the slot a dynamic offset selects (`steps`), else slot 0. */
  private readonly paramsBinding: GPUBufferBinding;
  private readonly programs = new ProgramCache((kind) => this.build(kind));

  constructor(
    private readonly device: GPUDevice,
    private readonly params: CaseParams,
    private readonly limits: DeviceLimits,
    private readonly geometry: StencilGeometry,
    private readonly module: GPUShaderModule,
  ) {
    const storage = (label: string, extra: number): GPUBuffer =>
      device.createBuffer({
        label,
        size: geometry.dataBytes,
        usage: GPUBufferUsage.STORAGE | extra,
      });
    this.input = storage('stencil.input', GPUBufferUsage.COPY_DST);
    this.planes = [
      storage('stencil.p0', GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST),
      storage('stencil.p1', GPUBufferUsage.COPY_DST),
    ];
    this.readback = device.createBuffer({
      label: 'stencil.readback',
      size: geometry.dataBytes,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    this.paramBuffer = stencilParamBuffer(device, params, geometry);
    this.gridBarrier = device.createBuffer({
      label: 'stencil.grid_barrier',
      size: GRID_BYTES,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(this.gridBarrier, 0, new Uint32Array(GRID_BYTES / 4));
    this.gridReadback = device.createBuffer({
      label: 'stencil.grid_barrier.readback',
      size: GRID_BYTES,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    this.paramsBinding = { buffer: this.paramBuffer, offset: 0, size: PARAM_WORDS * 4 };
  }

  program(kind: ProgramKind): Promise<Program> {
    return this.programs.get(kind);
  }

  writeInput(data: Uint32Array): void {
    this.device.queue.writeBuffer(this.input, 0, data);
    // Zero both planes: a strategy that skipped a step must not pass on an earlier result.
    const encoder = this.device.createCommandEncoder({ label: 'stencil.clear' });
    for (const plane of this.planes) encoder.clearBuffer(plane);
    this.device.queue.submit([encoder.finish()]);
  }

  readOutput(): Promise<Uint32Array> {
    const { readback, planes } = this;
    return readWords(this.device, readback, this.params.elements, 'stencil.readback', (encoder) =>
      encoder.copyBufferToBuffer(planes[0], 0, readback, 0, this.geometry.dataBytes),
    );
  }

  async checkStatus(): Promise<string | undefined> {
    // Only the persistent program's grid barrier can fail without a GPU error.
    if (!this.programs.has('persistent')) return undefined;
    const { device, gridBarrier, gridReadback } = this;
    const failedAfterStep = await readGridFailure(device, gridBarrier, gridReadback, GRID_BYTES);
    if (failedAfterStep === 0) return undefined;
    return `grid barrier spin bound hit after step ${failedAfterStep - 1}: the ${this.geometry.persistentWorkgroups} workgroups were not co-resident (WebGPU does not guarantee it), result invalid`;
  }

  destroy(): void {
    const { input, planes, readback, paramBuffer, gridBarrier, gridReadback } = this;
    for (const b of [input, ...planes, readback, paramBuffer, gridBarrier, gridReadback])
      b.destroy();
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

  /**
   * `steps`: one dispatch per step through one pipeline, each selecting its step's parameters by
   * dynamic offset (hence an explicit layout), reading what the step before it wrote.
   */
  private async stepsProgram(): Promise<Program> {
    const { device, geometry, input, planes } = this;
    const { kernels } = this.params;
    const layout = stepsLayout(device, ['read-only-storage', 'storage']);
    const pipeline = await device.createComputePipelineAsync({
      label: 'stencil.step_main.dynamic',
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: {
        module: this.module,
        entryPoint: 'step_main',
        constants: { WORKGROUP_SIZE: this.params.workgroupSize },
      },
    });
    const bindGroup = this.stepBindGroups(layout);
    const dispatches: Dispatch[] = [];
    for (let k = 0; k < kernels; k++) {
      // Step k writes P[(K−1−k) % 2], so the last step writes P0; it reads what step k−1 wrote.
      const from = k === 0 ? input : planes[(kernels - k) % 2 === 0 ? 0 : 1];
      const to = planes[(kernels - 1 - k) % 2 === 0 ? 0 : 1];
      dispatches.push({
        pipeline,
        bindGroup: bindGroup(from, to),
        dynamicOffsets: [k * geometry.slotBytes],
        workgroups: geometry.grid.workgroups,
      });
    }
    return { kind: 'steps', dispatches, notes: {} };
  }

  /**
   * The bind group of a step reading `from` and writing `to`, made on first use: the steps share
   * the few (from, to) pairs of the ping-pong.
   */
  private stepBindGroups(
    layout: GPUBindGroupLayout,
  ): (from: GPUBuffer, to: GPUBuffer) => GPUBindGroup {
    const bindGroups = new Map<string, GPUBindGroup>();
    return (from, to) => {
      const key = `${from.label}>${to.label}`;
      let group = bindGroups.get(key);
      if (group === undefined) {
        group = this.device.createBindGroup({
          label: `stencil.${key}`,
          layout,
          entries: [
            { binding: 0, resource: { buffer: from } },
            { binding: 1, resource: { buffer: to } },
            { binding: 2, resource: this.paramsBinding },
          ],
        });
        bindGroups.set(key, group);
      }
      return group;
    };
  }

  /**
   * `fused`: one dispatch of one workgroup per tile, each running all K steps on its tile plus a
   * halo of K elements per side in workgroup memory (temporal blocking); K is bounded by it.
   */
  private async fusedProgram(): Promise<Program> {
    const { device, params, limits, geometry } = this;
    const { kernels, workgroupSize } = params;
    const unavailable = stencilWorkload.programUnavailable?.('fused', params, limits);
    if (unavailable !== undefined) throw new RangeError(unavailable);
    const pipeline = await device.createComputePipelineAsync({
      label: 'stencil.fused_main',
      layout: 'auto',
      compute: {
        module: this.module,
        entryPoint: 'fused_main',
        constants: { WORKGROUP_SIZE: workgroupSize, TILE: geometry.tiling.tile, HALO: kernels },
      },
    });
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: this.input } },
        { binding: 1, resource: { buffer: this.planes[0] } },
        { binding: 2, resource: this.paramsBinding },
      ],
    });
    return {
      kind: 'fused',
      dispatches: [
        { pipeline, bindGroup, dynamicOffsets: [], workgroups: geometry.tileGrid.workgroups },
      ],
      notes: {
        tileElements: geometry.tiling.tile,
        haloElements: kernels,
        workgroupStorageBytes: geometry.tiling.span * 2 * 4,
        maxKernels: fusedStencilMaxKernels(workgroupSize, limits),
      },
    };
  }

  /**
   * `persistent`: one dispatch of P workgroups that run every step, separated by a grid-wide
   * barrier, which relies on all P being co-resident (checkStatus reports when they were not).
   */
  private async persistentProgram(): Promise<Program> {
    const { device, planes } = this;
    const { persistentWorkgroups } = this.geometry;
    const pipeline = await device.createComputePipelineAsync({
      label: 'stencil.persistent_main',
      layout: 'auto',
      compute: {
        module: this.module,
        entryPoint: 'persistent_main',
        constants: { WORKGROUP_SIZE: this.params.workgroupSize, SPIN_LIMIT },
      },
    });
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: this.input } },
        { binding: 2, resource: this.paramsBinding },
        { binding: 3, resource: { buffer: planes[0] } },
        { binding: 4, resource: { buffer: planes[1] } },
        { binding: 5, resource: { buffer: this.gridBarrier } },
      ],
    });
    return {
      kind: 'persistent',
      dispatches: [
        { pipeline, bindGroup, dynamicOffsets: [], workgroups: [persistentWorkgroups, 1, 1] },
      ],
      notes: { persistentWorkgroups, reliesOn: 'co-residency', spinLimit: SPIN_LIMIT },
    };
  }
}
