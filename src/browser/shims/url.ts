/** `node:url` in a browser page: a URL's path is all a page's code takes of it (shaders/). */
export const fileURLToPath = (url: string | URL): string => new URL(String(url)).pathname;

export const pathToFileURL = (path: string): URL => new URL(path, 'file:///');
