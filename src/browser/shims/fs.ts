/**
 * `node:fs` in a browser page (src/commands/page-server.ts bundles the page with it): the suite's
 * WGSL, which src/gpu/shaders.ts and src/measure/minimal-loops.ts read from shaders/, comes
 * bundled as text; a page has no other files.
 */
import shaders from 'launchbench:shaders';

/** A shader's text by its path under shaders/ (`map.wgsl`, `decode/step.wgsl`). */
export function readFileSync(path: string | URL, _encoding?: string): string {
  const text = String(path instanceof URL ? path.pathname : path);
  const at = text.lastIndexOf('/shaders/');
  const name = at < 0 ? undefined : text.slice(at + '/shaders/'.length);
  const source = name === undefined ? undefined : shaders[name];
  if (source === undefined) throw new Error(`${text}: a browser page reads no files`);
  return source;
}

/** A page has no files. */
export const existsSync = (_path: string | URL): boolean => false;
