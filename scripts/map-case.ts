/**
 * For the diagnostic scripts: one strategy bound to a prepared `map` case of 64 elements and K
 * kernels at intensity 0, the suite's tiny launch-bound case.
 */
import type { GpuContext } from '../src/gpu/context.ts';
import { strategyById } from '../src/strategies/index.ts';
import type { Execution } from '../src/strategies/types.ts';
import { mapWorkload } from '../src/workloads/map.ts';
import { submittedWorkDone } from '../src/strategies/completion.ts';

export async function tinyMapCase(
  ctx: GpuContext,
  strategyId: string,
  kernels: number,
): Promise<{ execution: Execution; destroy: () => void }> {
  const strategy = strategyById(strategyId);
  if (strategy === undefined) throw new Error(`unknown strategy ${strategyId}`);
  const params = {
    elements: 64,
    kernels,
    intensity: 0,
    workgroupSize: 64,
    persistentWorkgroups: 1,
  };
  const prepared = await mapWorkload.prepare(ctx.device, params, ctx.limits);
  const execution = strategy.prepare(
    ctx.device,
    await prepared.program('steps'),
    submittedWorkDone(ctx.device),
  );
  return {
    execution,
    destroy: () => {
      execution.destroy?.();
      prepared.destroy();
    },
  };
}
