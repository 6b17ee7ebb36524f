/**
 * `node:vm` in a browser page: src/measure/host-noise.ts asks for V8's `gc`, which a Chromium
 * started with `--js-flags=--expose-gc` (src/commands/find-browser.ts) has on the page's global.
 */
export function runInNewContext(code: string): unknown {
  const gc = (globalThis as { gc?: unknown }).gc;
  if (code === 'gc' && typeof gc === 'function') return gc;
  throw new Error(`${code}: not in this page`);
}
