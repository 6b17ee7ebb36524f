/** GPU-resource plumbing shared by the workloads' prepared cases. */
import type { Program, ProgramKind } from './types.ts';

/** Builds each program kind on first request and hands the same one out after. */
export class ProgramCache {
  private readonly built = new Map<ProgramKind, Program>();

  constructor(private readonly build: (kind: ProgramKind) => Promise<Program>) {}

  async get(kind: ProgramKind): Promise<Program> {
    let program = this.built.get(kind);
    if (program === undefined) {
      program = await this.build(kind);
      this.built.set(kind, program);
    }
    return program;
  }

  has(kind: ProgramKind): boolean {
    return this.built.has(kind);
  }
}

/**
 * The failure word of a grid barrier (`GridBarrier.failed`, the third u32 of `barrier`: 0, or 1 +
 * the step or op after which a barrier gave up), read after an execution; when set, the whole
 * barrier is cleared, which is safe then (the execution completed and the last workgroup out
 * reset the counters) and makes the next execution start clean.
 */
export async function readGridFailure(
  device: GPUDevice,
  barrier: GPUBuffer,
  readback: GPUBuffer,
  bytes: number,
): Promise<number> {
  const encoder = device.createCommandEncoder({ label: `${barrier.label}.readback` });
  encoder.copyBufferToBuffer(barrier, 0, readback, 0, bytes);
  device.queue.submit([encoder.finish()]);
  await readback.mapAsync(GPUMapMode.READ);
  const failed = new Uint32Array(readback.getMappedRange().slice(0))[2] ?? 0;
  readback.unmap();
  if (failed !== 0) device.queue.writeBuffer(barrier, 0, new Uint32Array(bytes / 4));
  return failed;
}

/**
 * Copies words into `readback` (MAP_READ | COPY_DST) with `copy`, maps it and returns the first
 * `length` 32-bit words. Outside any timed region: used to verify results.
 */
export async function readWords(
  device: GPUDevice,
  readback: GPUBuffer,
  length: number,
  label: string,
  copy: (encoder: GPUCommandEncoder) => void,
): Promise<Uint32Array> {
  const encoder = device.createCommandEncoder({ label });
  copy(encoder);
  device.queue.submit([encoder.finish()]);
  await readback.mapAsync(GPUMapMode.READ);
  const words = new Uint32Array(readback.getMappedRange().slice(0), 0, length);
  readback.unmap();
  return words;
}

/**
 * A uniform buffer of `count` slots of `slotBytes` each (the steps' parameters: one slot per
 * kernel, bound with a dynamic offset), slot k holding the words `wordsOf(k)`, written once.
 */
export function uniformSlots(
  device: GPUDevice,
  label: string,
  slotBytes: number,
  count: number,
  wordsOf: (k: number) => readonly number[],
): GPUBuffer {
  const buffer = device.createBuffer({
    label,
    size: count * slotBytes,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  const words = new Uint32Array((count * slotBytes) / 4);
  for (let k = 0; k < count; k++) words.set(wordsOf(k), (k * slotBytes) / 4);
  device.queue.writeBuffer(buffer, 0, words);
  return buffer;
}

/**
 * The bind group layout of a workload's `steps` program: its storage buffers at bindings 0…n−1,
 * then the parameter slots (uniformSlots) at binding n, chosen per dispatch by a dynamic offset
 * (hence an explicit layout: 'auto' layouts have none).
 */
export function stepsLayout(
  device: GPUDevice,
  storage: readonly ('read-only-storage' | 'storage')[],
): GPUBindGroupLayout {
  return device.createBindGroupLayout({
    entries: [
      ...storage.map((type, binding) => ({
        binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type },
      })),
      {
        binding: storage.length,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: 'uniform', hasDynamicOffset: true },
      },
    ],
  });
}
