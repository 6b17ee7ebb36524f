/**
 * What `import { create, globals } from 'webgpu'` gives in a browser page (the bundler maps the
 * import here, as deno.json does for Deno): the browser's own `navigator.gpu`. It takes no
 * instance flags, and the browser already defines the WebGPU globals.
 */
export function create(flags: readonly string[]): GPU {
  if (flags.length > 0)
    throw new Error(`a browser's WebGPU takes no instance flags (${flags.join(' ')})`);
  const gpu = (globalThis as unknown as { navigator: { gpu?: GPU } }).navigator.gpu;
  if (gpu === undefined) throw new Error('this browser has no WebGPU (navigator.gpu)');
  return gpu;
}

export const globals = {};
