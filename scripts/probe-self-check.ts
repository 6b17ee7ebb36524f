/**
 * Diagnostic for the harness self-check (issue 4): where does the gap between the harness's
 * `submit-each` and the hand-written loop come from? In one process, on one prepared case:
 *   A. single executions alternated: the harness strategy's execute() vs a hand-written loop;
 *   B. the self-check's pairing: measureCase (wall samples only) vs bench/minimal-loops.ts
 *      (tinybench, with resources of its own), 150 ms each, 9 rounds;
 *   C. the same, but tinybench times the hand-written loop on the harness's own resources.
 * Prints medians per kernel. Run: npx tsx scripts/probe-self-check.ts [strategy] [K]
 */
import { Bench } from 'tinybench';
import { minimalLoops } from '../bench/minimal-loops.ts';
import { openGpu } from '../src/gpu/context.ts';
import { measureCase } from '../src/run.ts';
import { distribution } from '../src/stats/stats.ts';
import { strategyById } from '../src/strategies/index.ts';
import { mapWorkload } from '../src/workloads/map.ts';
import { randomWords, seededRandom } from '../src/workloads/random.ts';
import { submittedWorkDone } from '../src/strategies/completion.ts';

const strategyId = process.argv[2] ?? 'submit-each';
const kernels = Number(process.argv[3] ?? 1000);
const strategy = strategyById(strategyId);
if (strategy === undefined) throw new Error(`unknown strategy ${strategyId}`);
const ctx = await openGpu();
const { device } = ctx;
const params = { elements: 64, kernels, intensity: 0, workgroupSize: 64, persistentWorkgroups: 1 };
const prepared = await mapWorkload.prepare(device, params, ctx.limits);
const { dispatches } = await prepared.program('steps');
const execution = strategy.prepare(
  device,
  await prepared.program('steps'),
  submittedWorkDone(device),
);
const queue = device.queue;
const handWritten = async (): Promise<void> => {
  for (let k = 0; k < kernels; k++) {
    const d = dispatches[k];
    if (d === undefined) continue;
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup, d.dynamicOffsets);
    pass.dispatchWorkgroups(d.workgroups[0]);
    pass.end();
    queue.submit([encoder.finish()]);
  }
  await queue.onSubmittedWorkDone();
};
const perKernelUs = (ns: bigint): number => Number(ns) / 1000 / kernels;
try {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < 60; i++) {
    let t = process.hrtime.bigint();
    await execution.execute();
    a.push(perKernelUs(process.hrtime.bigint() - t));
    t = process.hrtime.bigint();
    await handWritten();
    b.push(perKernelUs(process.hrtime.bigint() - t));
  }
  console.log(
    `A alternated executions: harness ${distribution(a).median.toFixed(2)} µs/kernel, hand-written ${distribution(b).median.toFixed(2)}`,
  );
  const input = randomWords(64, seededRandom(1));
  const h: number[] = [];
  const m: number[] = [];
  const c: number[] = [];
  for (let round = 0; round < 9; round++) {
    const { result } = await measureCase({
      ctx,
      workload: mapWorkload,
      strategy,
      params,
      prepared,
      input,
      expected: { values: new Uint32Array(0) },
      sampling: {
        rounds: 1,
        warmupMs: 20,
        minWarmup: 2,
        minSamples: 3,
        maxSamples: 100000,
        maxTimeMs: 150,
        maxNoise: 0,
        stallTimeoutMs: 60000,
      },
      verify: false,
      timestamps: undefined,
      shouldStop: () => false,
    });
    h.push((result.wallNs?.median ?? NaN) / 1000 / kernels);
    const [loop] = await minimalLoops(device, 64, kernels, 150, [strategyId]);
    m.push(loop?.medianUsPerKernel ?? NaN);
    const bench = new Bench({
      time: 150,
      iterations: 5,
      warmupTime: 37,
      warmupIterations: 2,
      now: () => Number(process.hrtime.bigint()) / 1e6,
    });
    bench.add('hand-written', handWritten);
    await bench.run();
    const task = bench.tasks[0]?.result;
    c.push(task?.state === 'completed' ? (task.latency.p50 * 1000) / kernels : NaN);
  }
  console.log(
    `B self-check pairing: measureCase ${distribution(h).median.toFixed(2)} µs/kernel, tinybench ${distribution(m).median.toFixed(2)}`,
  );
  console.log(
    `C tinybench on the harness's resources: ${distribution(c).median.toFixed(2)} µs/kernel`,
  );
} finally {
  prepared.destroy();
  ctx.close();
}
