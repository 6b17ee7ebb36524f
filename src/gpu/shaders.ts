/** WGSL lives in shaders/*.wgsl, one file per kernel family; this loads and caches it. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SHADER_DIR = fileURLToPath(new URL('../../shaders/', import.meta.url));
const cache = new Map<string, string>();

export function shaderSource(name: string): string {
  let source = cache.get(name);
  if (source === undefined) {
    source = readFileSync(`${SHADER_DIR}${name}.wgsl`, 'utf8');
    cache.set(name, source);
  }
  return source;
}

const modules = new WeakMap<GPUDevice, Map<string, Promise<GPUShaderModule>>>();

/**
 * Compiles a shader module (once per device: a module is immutable, and reusing it lets Dawn
 * reuse identical pipelines, which matters where a pipeline takes seconds to build, as the decode
 * megakernel on lavapipe) and fails with the compiler's messages if it has errors. Several names:
 * one module of those files in that order (a part chosen per device, then the kernel).
 */
export function compileShader(
  device: GPUDevice,
  names: string | readonly string[],
): Promise<GPUShaderModule> {
  const parts = typeof names === 'string' ? [names] : names;
  const name = parts.join('+');
  let byName = modules.get(device);
  if (byName === undefined) {
    byName = new Map();
    modules.set(device, byName);
  }
  let module = byName.get(name);
  if (module === undefined) {
    module = compileSource(
      device,
      parts.map((part) => `${part}.wgsl`).join('+'),
      parts.map(shaderSource).join('\n'),
    );
    byName.set(name, module);
    // A failed compilation is not cached: the error is thrown to every caller that awaited it.
    module.catch(() => byName.delete(name));
  }
  return module;
}

/**
 * The compiler's errors for WGSL text, each as `label:line:column: message` (the message's first
 * line: Tint adds the source line and a caret below it); empty when it compiles.
 */
export async function compileErrors(
  device: GPUDevice,
  label: string,
  code: string,
): Promise<{ module: GPUShaderModule; errors: string[] }> {
  // In its own scope: the compiler's errors are reported here, not as the device's uncaptured error.
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label, code });
  const scoped = await device.popErrorScope();
  const info = await module.getCompilationInfo();
  const errors = info.messages
    .filter((m) => m.type === 'error')
    .map((m) => `${label}:${m.lineNum}:${m.linePos}: ${m.message.split('\n')[0] ?? ''}`);
  // A module that is invalid without a compiler message to say where: the scope's error says why.
  if (errors.length === 0 && scoped !== null)
    errors.push(`${label}: ${scoped.message.split('\n')[0] ?? ''}`);
  return { module, errors };
}

/** Compiles WGSL text (a user's kernel); fails with the compiler's messages, named by `label`. */
export async function compileSource(
  device: GPUDevice,
  label: string,
  code: string,
): Promise<GPUShaderModule> {
  const { module, errors } = await compileErrors(device, label, code);
  if (errors.length > 0) throw new Error(`WGSL compilation failed: ${errors.join('; ')}`);
  return module;
}
