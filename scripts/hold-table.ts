/**
 * What the GPU warm-up and the clock hold did in every run folder under DIR (default results/),
 * by runtime and adapter: runs, warm-up submits, the last warm-up submit's time, the clock chain
 * at the run's first drift probe (drift.csv, right after the warm-up and the timestamp cost), the
 * hold's reference at the end, the times it re-took it, and its lowered checks not brought back
 * (context.json `gpuWarmup`, `clockHold`; a run of processes counts once, by its first process).
 * Runs without a hold (CPU adapters, before it existed, `--no-clock-hold`) are left out. The table of docs/findings.md,
 * "The runs of 2026-12-05, eighth session".
 *   npx tsx scripts/hold-table.ts [DIR]
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface Ctx {
  adapter?: { description?: string; device?: string };
  runtime?: { name?: string };
  gpuWarmup?: { submits?: number; lastSubmitUs?: number; windowMs?: number };
  clockHold?: {
    referenceChainUs?: number | null;
    notRestored?: number;
    lowered?: number;
    rebaselined?: number;
  };
  /** drift.csv's first clockChainUs, where the run has one. */
  firstChainUs?: number | undefined;
}

/** The clock chain of a run's first drift probe (drift.csv beside context.json), µs. */
function firstChainUs(contextFile: string): number | undefined {
  const drift = join(dirname(contextFile), 'drift.csv');
  if (!existsSync(drift)) return undefined;
  const [header, first] = readFileSync(drift, 'utf8').split('\n');
  const column = header?.split(',').indexOf('clockChainUs') ?? -1;
  const value = column < 0 ? NaN : Number(first?.split(',')[column]);
  return Number.isFinite(value) && value > 0 ? value : undefined;
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
  ctx.firstChainUs = firstChainUs(file);
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
  '| runtime, adapter | runs | warm-up submits | last warm-up submit, µs | first drift-probe chain, µs | reference chain at the end, µs | references re-taken | lowered checks not brought back |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
const sum = (runs: Ctx[], of: (r: Ctx) => number | undefined): number =>
  runs.reduce((total, r) => total + (of(r) ?? 0), 0);
for (const [key, runs] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
  const first = runs.map((r) => r.firstChainUs).filter((v): v is number => v !== undefined);
  const cells = [
    runs.length,
    range(
      runs.map((r) => r.gpuWarmup?.submits ?? NaN),
      0,
    ),
    range(
      runs.map((r) => r.gpuWarmup?.lastSubmitUs ?? NaN),
      0,
    ),
    first.length === 0 ? '–' : range(first, 1),
    range(
      runs.map((r) => r.clockHold?.referenceChainUs ?? NaN),
      1,
    ),
    sum(runs, (r) => r.clockHold?.rebaselined),
    `${sum(runs, (r) => r.clockHold?.notRestored)} of ${sum(runs, (r) => r.clockHold?.lowered)}`,
  ];
  console.log(`| ${key} | ${cells.join(' | ')} |`);
}
