/**
 * Diagnostic (issue 10): what makes the host side of a launch (encode, submit, wait) differ by
 * several times between two processes on the same machine? One process, one JSON line on stdout:
 * the host loop of the drift probe, `submit-each` at K = 100 (64 elements) for 3 s — host time
 * per kernel in encode and submit, and per kernel the minor page faults and context switches the
 * process took (process.resourceUsage) — and the `submit-wait` K = 1 round trip.
 *   npx tsx scripts/probe-host.ts [plain|raised]
 * `raised`: before the GPU opens, a 16 MiB ArrayBuffer is allocated, touched and collected, so
 * that glibc's dynamic mmap threshold starts at 16 MiB (and its trim threshold at 32 MiB) instead
 * of rising whenever the run happens to free its first large block.
 */
import { readFileSync } from 'node:fs';
import { openGpu } from '../src/gpu/context.ts';
import { warmUpGpu } from '../src/gpu/warmup.ts';
import { nowNs } from '../src/stats/clock.ts';
import { collectGarbage } from '../src/measure/host-noise.ts';
import { timedExecution } from '../src/measure/run-case.ts';
import { tinyMapCase } from './map-case.ts';

const mode = process.argv[2] ?? 'plain';
if (mode === 'raised') {
  let block: Uint8Array | undefined = new Uint8Array(16 * 2 ** 20);
  block.fill(1);
  block = undefined;
  collectGarbage();
}
const ctx = await openGpu();
await warmUpGpu(ctx, { minMs: 1000, maxMs: 1000, tolerance: 0 });
const median = (v: number[]): number =>
  [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;

async function loop(id: string, kernels: number, ms: number) {
  const { execution, destroy } = await tinyMapCase(ctx, id, kernels);
  const wall: number[] = [];
  const encode: number[] = [];
  const submit: number[] = [];
  const faults: number[] = [];
  const switches: number[] = [];
  const t0 = nowNs();
  while (nowNs() - t0 < ms * 1e6) {
    const before = process.resourceUsage();
    const { wallNs, phases } = await timedExecution(execution, undefined, 10_000, id);
    const after = process.resourceUsage();
    wall.push(wallNs / kernels / 1e3);
    encode.push(phases.encodeNs / kernels / 1e3);
    submit.push(phases.submitNs / kernels / 1e3);
    faults.push((after.minorPageFault - before.minorPageFault) / kernels);
    switches.push(
      (after.voluntaryContextSwitches -
        before.voluntaryContextSwitches +
        after.involuntaryContextSwitches -
        before.involuntaryContextSwitches) /
        kernels,
    );
  }
  destroy();
  const r = (x: number) => Math.round(x * 100) / 100;
  return {
    n: wall.length,
    wallUs: r(median(wall)),
    encodeUs: r(median(encode)),
    submitUs: r(median(submit)),
    faultsPerKernel: r(median(faults)),
    switchesPerKernel: r(median(switches)),
  };
}

let x = 0x9e3779b9;
const h0 = nowNs();
for (let i = 0; i < 2_000_000; i++) {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
}
const hostLoopUs = Math.round((nowNs() - h0) / 1e3);
const submitEach = await loop('submit-each', 100, 3000);
const roundTrip = await loop('submit-wait', 1, 1000);
const stat = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
process.stdout.write(
  `${JSON.stringify({ mode, tunables: process.env['GLIBC_TUNABLES'] ?? '', cpu: Number(stat[36]), hostLoopUs, submitEach, roundTrip, sink: x & 1 })}\n`,
);
ctx.close();
