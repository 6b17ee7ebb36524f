/**
 * What the GPU warm-up and the clock hold did in every run folder under DIR (default results/),
 * by runtime and adapter: runs, warm-up submits, the last warm-up submit's time, the hold's
 * reference chain and its lowered checks not brought back (context.json `gpuWarmup`,
 * `clockHold`; a run of processes counts once, by its first process). Runs without a hold (CPU
 * adapters, before it existed, `--no-clock-hold`) are left out. The table of docs/findings.md,
 * "The runs of 2026-12-05, eighth session".
 *   npx tsx scripts/hold-table.ts [DIR]
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

interface Ctx {
  adapter?: { description?: string; device?: string };
  runtime?: { name?: string };
  gpuWarmup?: { submits?: number; lastSubmitUs?: number; windowMs?: number };
  clockHold?: { referenceChainUs?: number | null; notRestored?: number; lowered?: number };
}

const root = process.argv[2] ?? 'results';
/** Every context.json one or two levels down (a pair's a/ and b/). */
function contexts(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    if (!name.isDirectory() || name.name === 'processes') continue;
    const here = join(dir, name.name, 'context.json');
    if (existsSync(here)) found.push(here);
    for (const sub of readdirSync(join(dir, name.name), { withFileTypes: true })) {
      const nested = join(dir, name.name, sub.name, 'context.json');
      if (sub.isDirectory() && sub.name !== 'processes' && existsSync(nested)) found.push(nested);
    }
  }
  return found.sort();
}

const range = (values: number[], digits: number): string => {
  const fmt = (v: number): string => v.toFixed(digits);
  const [lo, hi] = [Math.min(...values), Math.max(...values)];
  return lo === hi ? fmt(lo) : `${fmt(lo)}–${fmt(hi)}`;
};

const groups = new Map<string, Ctx[]>();
for (const file of contexts(root)) {
  const ctx = JSON.parse(readFileSync(file, 'utf8')) as Ctx;
  const reference = ctx.clockHold?.referenceChainUs;
  if (typeof reference !== 'number' || ctx.gpuWarmup === undefined) continue;
  // Pages and Deno do not name the adapter alike; the run folder's name does (…-nvidia-h200-…).
  const gpu =
    /nvidia-[a-z]\d+/.exec(file)?.[0] ??
    (ctx.adapter?.device || ctx.adapter?.description || 'unknown adapter');
  const key = `${ctx.runtime?.name ?? 'node'}, ${gpu}${
    ctx.gpuWarmup.windowMs === undefined ? '' : ', queued ahead'
  }`;
  groups.set(key, [...(groups.get(key) ?? []), ctx]);
}
console.log(
  '| runtime, adapter | runs | warm-up submits | last warm-up submit, µs | reference chain, µs | lowered checks not brought back |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const [key, runs] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
  const notRestored = runs.reduce((sum, r) => sum + (r.clockHold?.notRestored ?? 0), 0);
  const lowered = runs.reduce((sum, r) => sum + (r.clockHold?.lowered ?? 0), 0);
  console.log(
    `| ${key} | ${runs.length} | ${range(
      runs.map((r) => r.gpuWarmup?.submits ?? NaN),
      0,
    )} | ${range(
      runs.map((r) => r.gpuWarmup?.lastSubmitUs ?? NaN),
      0,
    )} | ${range(
      runs.map((r) => r.clockHold?.referenceChainUs ?? NaN),
      1,
    )} | ${notRestored} of ${lowered} |`,
  );
}
