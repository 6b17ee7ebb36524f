/**
 * The streaming kernels of the bandwidth reference (shaders/stream.wgsl, issue 22): `stream-copy`
 * (vec4 loads and stores, dst = src) and `stream-read` (vec4 loads only), each over a grid-stride
 * loop whose grid (the dispatch's workgroup count) is tuned to the adapter: a few samples at each
 * of GRID_CANDIDATES, the fastest kept. Verified before any timing: the copy's destination equals
 * the source at seeded random positions and both ends, and the read kernel's per-invocation xor
 * equals the CPU's on a smaller buffer. Measurement only: nothing prints.
 */
import { compileShader } from '../gpu/shaders.ts';
import { seededRandom } from '../workloads/random.ts';

export type StreamMethod = 'stream-copy' | 'stream-read';

/** Bytes each method moves per byte of its buffer: read and written, or read. */
export const STREAM_TRAFFIC: Record<StreamMethod, number> = { 'stream-copy': 2, 'stream-read': 1 };

const WORKGROUP_SIZE = 256;
/** Workgroup counts tried: from a few per multiprocessor of a small GPU to many of a large one. */
export const GRID_CANDIDATES = [256, 1024, 4096, 16384];
/** The xor a read invocation must see to store it (shaders/stream.wgsl `never`). */
const NEVER = 0x9e3779b9;
/** Positions of the copy checked, besides both ends. */
const COPY_CHECKS = 4096;
/** vec4s of the buffer the read kernel is verified on (1 MiB), grid of VERIFY_GRID workgroups. */
const READ_VERIFY_VEC4S = 65536;
const VERIFY_GRID = 16;

export interface StreamRig {
  device: GPUDevice;
  src: GPUBuffer;
  dst: GPUBuffer;
  /** vec4s in src and dst. */
  count: number;
  pipelines: Record<StreamMethod, GPUComputePipeline>;
  /** One bind group per method's params (timing). */
  bindGroups: Record<StreamMethod, GPUBindGroup>;
  owned: GPUBuffer[];
}

const entryOf = (m: StreamMethod): string => (m === 'stream-copy' ? 'copy_main' : 'read_main');

function paramsBuffer(device: GPUDevice, count: number, verify: boolean): GPUBuffer {
  const buffer = device.createBuffer({
    size: 16,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(buffer, 0, new Uint32Array([count, NEVER, verify ? 1 : 0, 0]));
  return buffer;
}

/**
 * The rig over `src` and `dst` (storage buffers of `bytes`, a multiple of 16; src holds the
 * data to stream): both pipelines and their bind groups.
 */
export async function streamRig(
  device: GPUDevice,
  src: GPUBuffer,
  dst: GPUBuffer,
  bytes: number,
): Promise<StreamRig> {
  const module = await compileShader(device, 'stream');
  const count = bytes / 16;
  const sink = device.createBuffer({ size: 256, usage: GPUBufferUsage.STORAGE });
  const params = paramsBuffer(device, count, false);
  const pipelineOf = (m: StreamMethod): GPUComputePipeline =>
    device.createComputePipeline({
      layout: 'auto',
      compute: { module, entryPoint: entryOf(m), constants: { WORKGROUP_SIZE } },
    });
  const pipelines = {
    'stream-copy': pipelineOf('stream-copy'),
    'stream-read': pipelineOf('stream-read'),
  };
  // 'auto' layouts leave out the bindings an entry point does not use: copy_main has no sink.
  const bindGroupOf = (m: StreamMethod): GPUBindGroup =>
    device.createBindGroup({
      layout: pipelines[m].getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: src } },
        ...(m === 'stream-copy' ? [{ binding: 1, resource: { buffer: dst } }] : []),
        ...(m === 'stream-read' ? [{ binding: 2, resource: { buffer: sink } }] : []),
        { binding: 3, resource: { buffer: params } },
      ],
    });
  return {
    device,
    src,
    dst,
    count,
    pipelines,
    bindGroups: {
      'stream-copy': bindGroupOf('stream-copy'),
      'stream-read': bindGroupOf('stream-read'),
    },
    owned: [sink, params],
  };
}

/** The grids worth trying on a buffer of `count` vec4s: each must leave work for every invocation. */
export function gridCandidates(count: number, maxWorkgroups: number): number[] {
  const fit = GRID_CANDIDATES.filter((g) => g <= maxWorkgroups && g * WORKGROUP_SIZE <= count);
  return fit.length > 0
    ? fit
    : [Math.max(1, Math.min(maxWorkgroups, Math.floor(count / WORKGROUP_SIZE)))];
}

/** Encodes `repeats` dispatches of `method` at `grid` workgroups in one pass. */
export function encodeStream(
  pass: GPUComputePassEncoder,
  rig: StreamRig,
  method: StreamMethod,
  grid: number,
  repeats: number,
): void {
  pass.setPipeline(rig.pipelines[method]);
  pass.setBindGroup(0, rig.bindGroups[method]);
  for (let r = 0; r < repeats; r++) pass.dispatchWorkgroups(grid);
}

/** The 16-byte vec4s of `buffer` at `positions` (vec4 indices), read back in one submit. */
async function readVec4s(
  device: GPUDevice,
  buffer: GPUBuffer,
  positions: readonly number[],
): Promise<Uint32Array> {
  const size = positions.length * 16;
  const staging = device.createBuffer({
    size,
    usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
  });
  const encoder = device.createCommandEncoder();
  positions.forEach((v, i) => encoder.copyBufferToBuffer(buffer, v * 16, staging, i * 16, 16));
  device.queue.submit([encoder.finish()]);
  try {
    await staging.mapAsync(GPUMapMode.READ);
    const words = new Uint32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    return words;
  } finally {
    staging.destroy();
  }
}

/**
 * Both kernels checked: one copy at the first candidate grid, then the destination read back at
 * COPY_CHECKS seeded positions and both ends against `source` (src's words); the read kernel with
 * `verify` on a READ_VERIFY_VEC4S-vec4 prefix, every invocation's xor against the CPU's. Throws
 * with what differed.
 */
export async function verifyStream(
  rig: StreamRig,
  source: Uint32Array,
  grid: number,
  seed: number,
): Promise<void> {
  const { device } = rig;
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  encodeStream(pass, rig, 'stream-copy', grid, 1);
  pass.end();
  device.queue.submit([encoder.finish()]);
  const random = seededRandom(seed);
  const positions = [
    0,
    rig.count - 1,
    ...Array.from({ length: COPY_CHECKS }, () => random() % rig.count),
  ];
  const got = await readVec4s(device, rig.dst, positions);
  positions.forEach((v, i) => {
    for (let w = 0; w < 4; w++)
      if (got[4 * i + w] !== source[4 * v + w])
        throw new Error(
          `stream-copy: word ${4 * v + w} is ${got[4 * i + w]}, the source's ${source[4 * v + w]}`,
        );
  });
  await verifyRead(rig, source);
}

async function verifyRead(rig: StreamRig, source: Uint32Array): Promise<void> {
  const { device } = rig;
  const count = Math.min(READ_VERIFY_VEC4S, rig.count);
  const invocations = VERIFY_GRID * WORKGROUP_SIZE;
  const sink = device.createBuffer({
    size: invocations * 4,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
  });
  const params = paramsBuffer(device, count, true);
  const bindGroup = device.createBindGroup({
    layout: rig.pipelines['stream-read'].getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: rig.src } },
      { binding: 2, resource: { buffer: sink } },
      { binding: 3, resource: { buffer: params } },
    ],
  });
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(rig.pipelines['stream-read']);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(VERIFY_GRID);
  pass.end();
  device.queue.submit([encoder.finish()]);
  let got: Uint32Array;
  try {
    got = await readVec4s(
      device,
      sink,
      Array.from({ length: invocations / 4 }, (_, i) => i),
    );
  } finally {
    sink.destroy();
    params.destroy();
  }
  for (let i = 0; i < invocations; i++) {
    let x = 0;
    for (let v = i; v < count; v += invocations)
      x ^=
        (source[4 * v] ?? 0) ^
        (source[4 * v + 1] ?? 0) ^
        (source[4 * v + 2] ?? 0) ^
        (source[4 * v + 3] ?? 0);
    if (got[i] !== x >>> 0)
      throw new Error(`stream-read: invocation ${i} read xor ${got[i]}, the CPU's ${x >>> 0}`);
  }
}

export function destroyRig(rig: StreamRig): void {
  for (const b of rig.owned) b.destroy();
}
