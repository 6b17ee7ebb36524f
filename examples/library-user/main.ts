/**
 * A project of its own that uses launchbench as a library: `npm install` here links the package
 * (`file:../..`), then `npm start` measures `dispatch-each` and `prerecorded` on a `map` case of
 * 64 elements × K = 100, each verified against the workload's CPU reference, and prints one JSON
 * line per strategy.
 */
import { measureOne, openGpu } from 'launchbench';

const ctx = await openGpu();
for (const strategy of ['dispatch-each', 'prerecorded']) {
  const { result, metrics } = await measureOne({
    ctx,
    workload: 'map',
    strategy,
    params: { elements: 64, kernels: 100 },
    sampling: { maxTimeMs: 100 },
  });
  console.log(
    JSON.stringify({
      strategy,
      status: result.status,
      verified: result.verified,
      wallSamples: result.wallNs?.n ?? 0,
      wallUsPerKernel: metrics.wallUsPerKernel,
    }),
  );
}
ctx.device.destroy();
process.exit(0);
