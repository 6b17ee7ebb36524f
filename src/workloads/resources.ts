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
