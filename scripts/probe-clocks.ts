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
 *   hold      the same loops (`submit-wait` K = 1, `dispatch-each` K = 1000) for 6 s under each policy
 *             of the clock hold (src/gpu/clock-hold.ts): none (readings only), reactive, reactive
 *             with a duty spin; one summary row each (ops, median op, ops over 3× the median,
 *             lowest reading, checks that found the clock lowered, time spun and held).
 * Run: npx tsx scripts/probe-clocks.ts [decay] [ramp] [loops] [hold] > clocks.csv (default: all)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CLOCK_HOLD_DEFAULTS, ClockHold, type ClockHoldOptions } from '../src/gpu/clock-hold.ts';
import { ClockProbe } from '../src/gpu/clock-probe.ts';
import { openGpu } from '../src/gpu/context.ts';
import { warmUpGpu } from '../src/gpu/warmup.ts';
import { nowNs } from '../src/stats/clock.ts';
import { timedExecution } from '../src/measure/run-case.ts';
import { tinyMapCase } from './map-case.ts';

const ctx = await openGpu();
const probe = await ClockProbe.open(ctx);
if (probe === undefined) throw new Error('no timestamp queries on this adapter');
const warm = (ms: number) => warmUpGpu(ctx, { minMs: ms, maxMs: ms, tolerance: 0 });
const out: string[] = ['experiment,atMs,tMs,probeUs,opUs'];
const row = (exp: string, t0: number, probeNs: number | undefined, opNs?: number) =>
  out.push(
    `${exp},${Date.now()},${((nowNs() - t0) / 1e6).toFixed(2)},${probeNs === undefined ? '' : (probeNs / 1e3).toFixed(2)},${opNs === undefined ? '' : (opNs / 1e3).toFixed(2)}`,
  );

const chosen = process.argv.slice(2);
const run = (name: string): boolean => chosen.length === 0 || chosen.includes(name);

// decay
for (const gapMs of run('decay') ? [1, 3, 10, 30, 100, 300, 1000, 3000] : []) {
  for (let r = 0; r < 2; r++) {
    await warm(1000);
    const t0 = nowNs();
    await sleep(gapMs);
    row(`decay-${gapMs}ms`, t0, await probe.chainNs());
  }
}

// ramp
if (run('ramp')) {
  await sleep(3000);
  const t0 = nowNs();
  while (nowNs() - t0 < 2e9) row('ramp', t0, await probe.chainNs());
}

const prepare = (id: string, kernels: number) => tinyMapCase(ctx, id, kernels);

// launch-bound loops
for (const [id, kernels] of (run('loops')
  ? [
      ['submit-wait', 1],
      ['dispatch-each', 1000],
      ['prerecorded', 1000],
    ]
  : []) as [string, number][]) {
  const { execution, destroy } = await prepare(id, kernels);
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
  destroy();
}

// the hold's policies
const policies: [string, ClockHoldOptions][] = [
  ['none', { ...CLOCK_HOLD_DEFAULTS, tolerance: Infinity }],
  ['reactive', CLOCK_HOLD_DEFAULTS],
  ['duty 5ms/100ms', { ...CLOCK_HOLD_DEFAULTS, dutyMs: 5 }],
  ['duty 25ms/250ms', { ...CLOCK_HOLD_DEFAULTS, checkEveryMs: 250, dutyMs: 25 }],
];
const summary: string[] = [
  'policy,loop,ops,medianOpUs,over3x,lowestRel,checks,lowered,notRestored,spinMs,holdMs,loopMs',
];
for (const [id, kernels] of (run('hold')
  ? [
      ['submit-wait', 1],
      ['dispatch-each', 1000],
    ]
  : []) as [string, number][]) {
  const { execution, destroy } = await prepare(id, kernels);
  for (const [name, options] of policies) {
    const hold = await ClockHold.open(ctx, options);
    if (hold === undefined) throw new Error('no clock probe');
    await warm(1000);
    await hold.calibrate();
    const ops: number[] = [];
    const t0 = nowNs();
    while (nowNs() - t0 < 6e9) {
      await hold.tick();
      ops.push((await timedExecution(execution, undefined, 10_000, id)).wallNs);
    }
    const loopMs = (nowNs() - t0) / 1e6;
    const s = hold.summary();
    hold.destroy();
    const sorted = [...ops].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
    summary.push(
      [
        name,
        id,
        ops.length,
        (median / 1e3).toFixed(2),
        ops.filter((o) => o > 3 * median).length,
        s.lowestRel?.toFixed(3),
        s.checks,
        s.lowered,
        s.notRestored,
        s.spinMs.toFixed(0),
        s.totalMs.toFixed(0),
        loopMs.toFixed(0),
      ].join(','),
    );
  }
  destroy();
}
if (summary.length > 1) process.stderr.write(summary.join('\n') + '\n');

probe.destroy();
ctx.close();
process.stdout.write(out.join('\n') + '\n');
