/**
 * `launchbench info [--json]`: the runtime, adapter, backend, Dawn flags (under Dawn), features,
 * limits and the timestamp self-test, as text or JSON.
 */
import { openGpu } from '../gpu/context.ts';
import { currentRuntime, isDawn } from '../gpu/runtime.ts';
import { timestampSelfTest } from '../gpu/timestamp-selftest.ts';
import { gpuOptions, type GpuArgs } from './gpu-options.ts';

/** info's arguments as the command line gives them. */
export interface InfoArgs extends GpuArgs {
  json: boolean;
}

export async function infoCommand(args: InfoArgs): Promise<number> {
  const ctx = await openGpu(gpuOptions(args));
  try {
    const selfTest = await timestampSelfTest(ctx);
    const runtime = currentRuntime();
    const data = {
      runtime,
      adapter: ctx.adapterInfo,
      backend: ctx.backend,
      dawn: isDawn() ? { instanceFlags: ctx.instanceFlags, toggles: ctx.toggles } : null,
      features: ctx.features,
      limits: ctx.limits,
      timestampSelfTest: selfTest,
    };
    if (args.json) {
      process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
      return 0;
    }
    const a = ctx.adapterInfo;
    const lines = [
      `runtime      ${runtime.name} ${runtime.version} (${runtime.webgpu})`,
      `adapter      ${a.description || a.device} (${a.vendor}, ${a.architecture})${a.isFallbackAdapter ? ' [CPU / fallback adapter]' : ''}`,
      `backend      ${ctx.backend}`,
      ...(isDawn() ? [`dawn flags   ${ctx.instanceFlags.join(' ')}`] : []),
      `timestamps   ${selfTest.message}${selfTest.smallestStepNs === null ? '' : `; smallest step seen ${selfTest.smallestStepNs} ns`}`,
      `features     ${ctx.features.join(', ')}`,
      'limits',
      ...Object.entries(ctx.limits).map(([k, v]) => `  ${k.padEnd(44)} ${v}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    ctx.close();
  }
}
