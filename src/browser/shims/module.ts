/** `node:module` in a browser page: nothing is required there. */
export function createRequire(_url: string): never {
  throw new Error('a browser page requires no modules');
}
