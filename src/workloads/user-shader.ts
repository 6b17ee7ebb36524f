/**
 * Workload `user:<name>`: your own WGSL kernel, measured by every one-by-one strategy and, when
 * the file has a fused form, by `fused` (`bench --shader my.wgsl [--entry main]
 * [--fused-entry fused] [--reference my-reference.ts]`). The kernel updates one array<u32> of N
 * elements in place, K times in a chain, like `map`; its contract (examples/user-kernel/ has one):
 *
 *   @group(0) @binding(0) var<storage, read_write> data: array<u32>;
 *   struct Params { elements: u32, intensity: u32, kernels: u32, step: u32,
 *                   rowWorkgroups: u32, persistentWorkgroups: u32 }
 *   @group(0) @binding(1) var<uniform> params: Params;
 *   override WORKGROUP_SIZE: u32;   // the case's workgroup size
 *
 * The entry point runs step `params.step` (0 … K − 1) with one invocation per element, element
 * (workgroup_id.y · rowWorkgroups + workgroup_id.x) · WORKGROUP_SIZE + local_invocation_index
 * (a 2-D grid past 65 535 workgroups); the fused entry point runs all `params.kernels` steps in
 * one dispatch of the same grid.
 *
 * The reference, a TypeScript module exporting `reference(input, { elements, kernels, intensity })`
 * that returns the expected array, makes the results verified as for every workload: without
 * one, nothing is verified, and the workload is named `user:<name>:unverified` in every output.
 */
import { readFileSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileErrors, compileSource } from '../gpu/shaders.ts';
import { prepareElementwiseChain, type ElementwiseChain } from './elementwise-chain.ts';
import { uniformSlotBytes } from './grid.ts';
import { randomWords } from './random.ts';
import type { Workload } from './types.ts';

export interface UserShaderOptions {
  /** The WGSL file. */
  shader: string;
  /** The one-step entry point (default `main`). */
  entry?: string | undefined;
  /** The all-steps entry point, if the file has one. */
  fusedEntry?: string | undefined;
  /** A TypeScript or JavaScript module exporting `reference`. */
  reference?: string | undefined;
}

export type UserReference = (
  input: Uint32Array,
  params: { elements: number; kernels: number; intensity: number },
) => Uint32Array;

/** `Params` of the contract: six u32. */
const PARAM_WORDS = 6;

/**
 * Whether a workload is a user's kernel without a reference: its id ends in `:unverified`, so
 * every output that names the workload (summary.csv, samples.csv, report.md, the exports,
 * `compare`) says its results were not verified.
 */
export const unverifiedUserKernel = (w: Workload): boolean =>
  w.id.startsWith('user:') && w.id.endsWith(':unverified');

/**
 * The text of the WGSL file: a file that cannot be read, or that is not UTF-8 text (a NUL byte,
 * bytes that do not decode), is a RangeError saying which.
 */
function readShader(shader: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(resolve(shader));
  } catch (error) {
    throw new RangeError(`--shader: cannot read '${shader}': ${(error as Error).message}`);
  }
  // WGSL is UTF-8 text: a NUL byte or bytes that do not decode are some other file.
  let code = '';
  try {
    code = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    code = '\0';
  }
  if (code.includes('\0'))
    throw new RangeError(`--shader: '${shader}' is not WGSL text (binary data)`);
  return code;
}

/** Fails with a RangeError naming `option` when the shader's text declares no function `fn`. */
function requireFunction(code: string, shader: string, option: string, fn: string): void {
  if (!new RegExp(`\\bfn\\s+${fn}\\s*\\(`).test(code))
    throw new RangeError(`${option}: '${shader}' has no function '${fn}'`);
}

/**
 * The `reference` function the module exports, or undefined without a module; a module that
 * cannot be loaded, or that exports no such function, is a RangeError saying which.
 */
async function loadReference(module: string | undefined): Promise<UserReference | undefined> {
  if (module === undefined) return undefined;
  let loaded: { reference?: unknown };
  try {
    loaded = (await import(pathToFileURL(resolve(module)).href)) as {
      reference?: unknown;
    };
  } catch (error) {
    throw new RangeError(
      `--reference: cannot load '${module}': ${(error as Error).message.split('\n')[0] ?? ''}`,
    );
  }
  if (typeof loaded.reference !== 'function')
    throw new RangeError(`--reference: '${module}' exports no function 'reference(input, params)'`);
  return loaded.reference as UserReference;
}

/**
 * What is wrong with the shader on this device (Workload.check): the compiler's first error, and
 * how many more there are; undefined when it compiles.
 */
async function firstCompileError(
  device: GPUDevice,
  shader: string,
  code: string,
): Promise<string | undefined> {
  const { errors } = await compileErrors(device, shader, code);
  if (errors.length === 0) return undefined;
  const more =
    errors.length > 1
      ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})`
      : '';
  return `--shader: ${errors[0] ?? ''}${more}`;
}

/**
 * The kernel as an element-wise chain: the shader's text compiled under its file's name, the
 * given entry points, one contract `Params` per step.
 */
function userChain(
  label: string,
  shader: string,
  code: string,
  entry: string,
  fused: string | undefined,
): ElementwiseChain {
  return {
    name: label,
    compile: (d) => compileSource(d, shader, code),
    entryPoints: { steps: entry, ...(fused === undefined ? {} : { fused }) },
    paramWords: PARAM_WORDS,
    slotWords: (step, s) => [
      s.elements,
      s.intensity,
      s.kernels,
      step,
      s.rowWorkgroups,
      s.persistentWorkgroups,
    ],
  };
}

/**
 * Loads the shader text and the reference module and returns the workload; a file that cannot be
 * read, or a reference module without a `reference` function, is a RangeError saying which.
 */
export async function userShaderWorkload(options: UserShaderOptions): Promise<Workload> {
  const path = resolve(options.shader);
  const code = readShader(options.shader);
  const entry = options.entry ?? 'main';
  requireFunction(code, options.shader, '--entry', entry);
  const fused = options.fusedEntry;
  if (fused !== undefined) requireFunction(code, options.shader, '--fused-entry', fused);
  const reference = await loadReference(options.reference);
  const name = basename(path, extname(path));
  const label = `user:${name}${reference === undefined ? ':unverified' : ''}`;
  return {
    id: label,
    description: `your kernel ${options.shader} (${entry}${fused === undefined ? '' : `, fused ${fused}`}), ${reference === undefined ? 'not verified: no --reference' : `verified against ${options.reference}`}`,
    programs: {
      steps: true,
      fused: fused === undefined ? 'no --fused-entry given' : true,
      persistent: 'a user kernel has no persistent form',
    },
    check: (device) => firstCompileError(device, options.shader, code),
    checkLimits(params, limits) {
      const bytes = params.elements * 4;
      const binding = limits['maxStorageBufferBindingSize'] ?? 0;
      if (bytes > binding)
        return `${label}: ${params.elements} elements need a ${bytes}-byte storage binding, past maxStorageBufferBindingSize ${binding}`;
      if (params.kernels * uniformSlotBytes(limits) > (limits['maxBufferSize'] ?? 0))
        return `${label}: ${params.kernels} kernels past maxBufferSize for parameters`;
      return undefined;
    },
    deviceBytes: (params) => params.elements * 4 * 2 + params.kernels * 256 + 256,
    makeInput: (params, random) => randomWords(params.elements, random),
    referenceCost: (params) => params.elements * params.kernels * 4,
    reference(input, params, indices) {
      if (reference === undefined) throw new Error(`${label}: no --reference to verify against`);
      const all = reference(input, params);
      return indices === undefined ? all : indices.map((i) => all[i] ?? 0);
    },
    prepare: (device, params, limits) =>
      prepareElementwiseChain(
        device,
        params,
        limits,
        userChain(label, options.shader, code, entry, fused),
      ),
  };
}
