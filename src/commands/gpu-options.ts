/**
 * The GPU flags that `bench` and `info` share (--adapter, --backend, --power-preference,
 * --dawn-toggles): their yargs definitions, and their translation into the options of openGpu.
 */
import { BACKENDS, type Backend, type GpuOptions } from '../gpu/context.ts';
import { UsageError } from '../errors.ts';

/** The GPU flags as the command line gives them (kebab-case names, text values). */
export interface GpuArgs {
  adapter?: string | undefined;
  backend?: string | undefined;
  'power-preference'?: string | undefined;
  'dawn-toggles'?: string | undefined;
}

/** Checks the GPU flags and turns them into openGpu's options; a bad value is a UsageError. */
export function gpuOptions(args: GpuArgs): GpuOptions {
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

/** yargs definitions of the GPU flags, for `.options(gpuFlags)`. */
export const gpuFlags = {
  adapter: { type: 'string', describe: "substring of the adapter's name (see `info`)" },
  backend: { type: 'string', describe: `Dawn backend: ${BACKENDS.join(', ')}` },
  'power-preference': { type: 'string', describe: 'low-power or high-performance' },
  'dawn-toggles': {
    type: 'string',
    describe: 'extra Dawn toggles, comma-separated; prefix - to disable (e.g. skip_validation)',
  },
} as const;
