/** `node:path` in a browser page: the few functions bundled code names, on '/' paths. */
export const basename = (path: string, ext = ''): string => {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return ext !== '' && base.endsWith(ext) ? base.slice(0, -ext.length) : base;
};

export const extname = (path: string): string => {
  const base = basename(path);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot);
};

export const dirname = (path: string): string => path.slice(0, Math.max(0, path.lastIndexOf('/')));

export const join = (...parts: string[]): string => parts.filter((p) => p !== '').join('/');

export const resolve = (...parts: string[]): string => join(...parts);
