/**
 * The GPU flags that `bench` and `info` share (--runtime, --adapter, --backend,
 * --power-preference, --dawn-toggles): their yargs definitions, and their translation into the
 * options of openGpu.
 */
import { BACKENDS, type Backend, type GpuOptions } from '../gpu/context.ts';
import { currentRuntime, isBrowserRuntime, RUNTIMES } from '../gpu/runtime.ts';
import { UsageError } from '../errors.ts';

/** The GPU flags as the command line gives them (kebab-case names, text values). */
export interface GpuArgs {
  runtime?: string | undefined;
  adapter?: string | undefined;
  backend?: string | undefined;
  'power-preference'?: string | undefined;
  'dawn-toggles'?: string | undefined;
}

/**
 * Checks the GPU flags and turns them into openGpu's options; a bad value is a UsageError.
 * `browser`: the command can measure in a browser page (`bench`, `anatomy`); the options
 * are then the page's (only --power-preference means something there).
 */
export function gpuOptions(args: GpuArgs, browser = false): GpuOptions {
  checkRuntime(args, browser);
  const options: GpuOptions = {};
  if (args.adapter !== undefined) options.adapter = args.adapter;
  if (args.backend !== undefined) {
    if (!(BACKENDS as readonly string[]).includes(args.backend)) {
      throw new UsageError(`--backend: unknown '${args.backend}' (known: ${BACKENDS.join(', ')})`);
    }
    options.backend = args.backend as Backend;
  }
  const pp = args['power-preference'];
  if (pp !== undefined) {
    if (pp !== 'low-power' && pp !== 'high-performance') {
      throw new UsageError(`--power-preference: '${pp}' must be low-power or high-performance`);
    }
    options.powerPreference = pp;
  }
  if (args['dawn-toggles'] !== undefined) options.dawnToggles = args['dawn-toggles'].split(',');
  return options;
}

/** Flags that are Dawn's own: they mean nothing to wgpu. */
const DAWN_FLAGS = ['adapter', 'backend', 'dawn-toggles'] as const;

/**
 * The runtime asked for is the one this process runs on (the command line starts the Deno child
 * for `--runtime deno`: src/cli.ts), and no flag of Dawn's is given to another runtime.
 */
function checkRuntime(args: GpuArgs, browser: boolean): void {
  const asked = args.runtime ?? 'node';
  if (!(RUNTIMES as readonly string[]).includes(asked)) {
    throw new UsageError(`--runtime: unknown '${asked}' (known: ${RUNTIMES.join(', ')})`);
  }
  const here = currentRuntime();
  if (isBrowserRuntime(asked)) {
    // The command line stays here and drives a page (src/commands/browser-side.ts).
    if (!browser)
      throw new UsageError(`--runtime ${asked}: only bench and anatomy measure in a browser`);
    const dawnOnly = DAWN_FLAGS.find((flag) => args[flag] !== undefined);
    if (dawnOnly !== undefined)
      throw new UsageError(
        `--${dawnOnly} is Dawn's in this process (--runtime node); a browser's WebGPU takes none`,
      );
    return;
  }
  if (asked !== here.name) {
    throw new UsageError(`--runtime ${asked}: this process runs on ${here.name} ${here.version}`);
  }
  const dawnOnly = DAWN_FLAGS.filter((flag) => args[flag] !== undefined);
  if (here.webgpu !== 'dawn' && dawnOnly.length > 0) {
    throw new UsageError(
      `--${dawnOnly[0]} is Dawn's (--runtime node); --runtime ${asked} has ${here.webgpu}`,
    );
  }
}

/** yargs definitions of the GPU flags, for `.options(gpuFlags)`. */
export const gpuFlags = {
  runtime: {
    type: 'string',
    describe: `where the GPU comes from: node (Dawn, the default), deno (wgpu; Deno comes with npm install), chromium or firefox (bench and anatomy: a page in a headless browser, puppeteer-core; scripts/install-chromium.sh, scripts/install-firefox.sh)`,
  },
  adapter: { type: 'string', describe: "substring of the adapter's name (see `info`)" },
  backend: { type: 'string', describe: `Dawn backend: ${BACKENDS.join(', ')}` },
  'power-preference': { type: 'string', describe: 'low-power or high-performance' },
  'dawn-toggles': {
    type: 'string',
    describe: 'extra Dawn toggles, comma-separated; prefix - to disable (e.g. skip_validation)',
  },
} as const;
