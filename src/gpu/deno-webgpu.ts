/**
 * What `import { create, globals } from 'webgpu'` gives under Deno (deno.json maps the import
 * here): Deno's own WebGPU (wgpu) in place of dawn.node's. `create`'s flags are Dawn's instance
 * flags and mean nothing to wgpu; src/gpu/context.ts passes none under Deno. Deno already defines
 * the WebGPU globals (GPUBufferUsage, …), so `globals` adds nothing.
 */
export function create(flags: readonly string[]): GPU {
  if (flags.length > 0)
    throw new Error(`Deno's WebGPU takes no instance flags (${flags.join(' ')})`);
  // Node's types (this project's) declare no `navigator`; Deno has one, with `gpu`.
  return (globalThis as unknown as { navigator: { gpu: GPU } }).navigator.gpu;
}

export const globals = {};
