/**
 * The JavaScript runtime the GPU comes from. One code path measures on every runtime: the
 * strategies, workloads and reports never ask which; only the GPU's entry point differs.
 * - `node`: Dawn, through dawn.node (npm `webgpu`), the default.
 * - `deno`: wgpu, Deno's own `navigator.gpu`. deno.json at the repository root maps the `webgpu`
 *   import to src/gpu/deno-webgpu.ts, so src/gpu/context.ts is the same file under both.
 * - `chromium`, `firefox` (bench only): a page in a headless browser that the command line
 *   starts and drives (src/commands/browser-side.ts); the page finds its browser by user agent.
 * What is Dawn's alone (instance flags, toggles, the backend probe, the stderr filter) is gated on
 * `dawn` here (docs/design.md, Runtimes).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.ts';

export const RUNTIMES = ['node', 'deno', 'chromium', 'firefox'] as const;
export type RuntimeName = (typeof RUNTIMES)[number];
/** The runtimes that are a browser bench starts (src/commands/find-browser.ts). */
export const BROWSER_RUNTIMES = ['chromium', 'firefox'] as const;
export type BrowserRuntime = (typeof BROWSER_RUNTIMES)[number];
export const isBrowserRuntime = (runtime: string | undefined): runtime is BrowserRuntime =>
  (BROWSER_RUNTIMES as readonly (string | undefined)[]).includes(runtime);
/** A browser a page measured in (src/browser/page.ts): what its user agent says it is. */
export type BrowserName = 'chromium' | 'firefox' | 'safari' | 'browser';

export interface RuntimeInfo {
  name: RuntimeName | BrowserName;
  /** The runtime's own version (`20.20.2`, `2.9.6`, a browser's `156.0.8078.114`). */
  version: string;
  /** The WebGPU implementation under it (a browser's as its engine suggests). */
  webgpu: 'dawn' | 'wgpu' | 'webkit' | 'unknown';
}

interface DenoGlobal {
  version: { deno: string };
  execPath(): string;
}

const deno = (globalThis as { Deno?: DenoGlobal }).Deno;

/** Set in a browser page (src/browser/page.ts): the browser it runs in. */
let pageRuntime: RuntimeInfo | undefined;

/** A page's runtime, as the page found it (user agent); only a page calls this. */
export function setPageRuntime(runtime: RuntimeInfo): void {
  pageRuntime = runtime;
}

/** The runtime this process (or page) runs on. */
export function currentRuntime(): RuntimeInfo {
  if (pageRuntime !== undefined) return pageRuntime;
  if (deno !== undefined) return { name: 'deno', version: deno.version.deno, webgpu: 'wgpu' };
  return { name: 'node', version: process.versions.node, webgpu: 'dawn' };
}

/** Whether this process's GPU is Dawn's (instance flags, toggles and its stderr notes apply). */
export const isDawn = (): boolean => deno === undefined && pageRuntime === undefined;

/**
 * The command that runs the TypeScript script `script` on this runtime, for a child process
 * (bench --processes, ab): `node --import tsx script` under Node (tsx's loader named outright:
 * this process may run under a host, a test runner, whose own flags mean nothing to the child),
 * `deno run script` under Deno, which runs TypeScript itself.
 */
export function selfCommand(script: string): { command: string; args: string[] } {
  if (deno !== undefined) return { command: deno.execPath(), args: [...denoRun(), script] };
  return { command: process.execPath, args: ['--import', import.meta.resolve('tsx'), script] };
}

/**
 * `deno run`'s arguments: every permission (the bench reads and writes files, runs git and child
 * processes, reads the environment), no "Check"/download chatter on stderr, and the project's
 * deno.json named outright (Deno looks for one from the working directory, which may be anywhere).
 */
export const denoRun = (): string[] => [
  'run',
  '--allow-all',
  '--quiet',
  '--config',
  fileURLToPath(new URL('../../deno.json', import.meta.url)),
];

/** Where the project looks for Deno: the environment's choice, then npm's (package `deno`). */
export const DENO_ENV = 'LAUNCHBENCH_DENO';

/**
 * The Deno binary for `--runtime deno`: $LAUNCHBENCH_DENO, else the one npm installed with the
 * project (the devDependency `deno`, whose platform package carries the binary). None: a
 * UsageError saying how to get one.
 */
export function denoExecutable(): string {
  const chosen = process.env[DENO_ENV];
  if (chosen !== undefined && chosen !== '') {
    if (!existsSync(chosen))
      throw new UsageError(`--runtime deno: ${DENO_ENV}=${chosen}: no such file`);
    return chosen;
  }
  // deno's postinstall links its platform package's binary into it; without the script
  // (npm ci --ignore-scripts) the platform package still has it.
  const exe = process.platform === 'win32' ? 'deno.exe' : 'deno';
  const linux = process.platform === 'linux' ? '-glibc' : '';
  for (const where of ['deno', `@deno/${process.platform}-${process.arch}${linux}`]) {
    try {
      const require = createRequire(import.meta.url);
      const found = join(dirname(require.resolve(`${where}/package.json`)), exe);
      if (existsSync(found)) return found;
    } catch {
      // not installed there: the next place, or said below
    }
  }
  throw new UsageError(
    `--runtime deno: Deno is not installed; \`npm install\` brings it (the devDependency deno), or set ${DENO_ENV} to a deno binary`,
  );
}
