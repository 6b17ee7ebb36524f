/**
 * Diagnostic (issue 10): how the GPU's shader clock follows the load, read with the clock probe
 * (src/gpu/clock-probe.ts). Prints CSV to stdout: experiment,atMs (Date.now, to line up with an
 * `nvidia-smi -lms` log),tMs (since the experiment began),probeUs,opUs (the loop's own operation,
 * where there is one).
 *   decay     after a 1 s warm-up, idle for a gap, then one reading (gaps 1 ms … 3 s);
 *   ramp      after 3 s idle, readings back to back for 2 s;
 *   submit-wait / dispatch-each / prerecorded
 *             after a warm-up, 4 s of a launch-bound loop (map, 64 elements; K = 1, 1000, 1000),
 *             a reading every 50 ms: does launch-bound work let the clock fall?
 * Run: npx tsx scripts/probe-clocks.ts > clocks.csv
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ClockProbe } from '../src/gpu/clock-probe.ts';
import { openGpu } from '../src/gpu/context.ts';
import { warmUpGpu } from '../src/gpu/warmup.ts';
import { nowNs } from '../src/measure/clock.ts';
import { timedExecution } from '../src/measure/run-case.ts';
import { strategyById } from '../src/strategies/index.ts';
import { mapWorkload } from '../src/workloads/map.ts';

const ctx = await openGpu();
const probe = await ClockProbe.open(ctx);
if (probe === undefined) throw new Error('no timestamp queries on this adapter');
const warm = (ms: number) => warmUpGpu(ctx, { minMs: ms, maxMs: ms, tolerance: 0 });
const out: string[] = ['experiment,atMs,tMs,probeUs,opUs'];
const row = (exp: string, t0: number, probeNs: number | undefined, opNs?: number) =>
  out.push(
    `${exp},${Date.now()},${((nowNs() - t0) / 1e6).toFixed(2)},${probeNs === undefined ? '' : (probeNs / 1e3).toFixed(2)},${opNs === undefined ? '' : (opNs / 1e3).toFixed(2)}`,
  );

// decay
for (const gapMs of [1, 3, 10, 30, 100, 300, 1000, 3000]) {
  for (let r = 0; r < 2; r++) {
    await warm(1000);
    const t0 = nowNs();
    await sleep(gapMs);
    row(`decay-${gapMs}ms`, t0, await probe.chainNs());
  }
}

// ramp
await sleep(3000);
{
  const t0 = nowNs();
  while (nowNs() - t0 < 2e9) row('ramp', t0, await probe.chainNs());
}

// launch-bound loops
for (const [id, kernels] of [
  ['submit-wait', 1],
  ['dispatch-each', 1000],
  ['prerecorded', 1000],
] as const) {
  const strategy = strategyById(id);
  if (strategy === undefined) throw new Error(id);
  const params = {
    elements: 64,
    kernels,
    intensity: 0,
    workgroupSize: 64,
    persistentWorkgroups: 1,
  };
  const prepared = await mapWorkload.prepare(ctx.device, params, ctx.limits);
  const execution = strategy.prepare(ctx.device, await prepared.program('steps'));
  await warm(1000);
  const t0 = nowNs();
  let nextProbe = t0;
  while (nowNs() - t0 < 4e9) {
    const { wallNs } = await timedExecution(execution, undefined, 10_000, id);
    if (nowNs() >= nextProbe) {
      row(id, t0, await probe.chainNs(), wallNs);
      nextProbe += 50e6;
    }
  }
  execution.destroy?.();
  prepared.destroy();
}

probe.destroy();
ctx.close();
process.stdout.write(out.join('\n') + '\n');
