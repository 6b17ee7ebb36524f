/**
 * How often does an identical run's figure fall inside the other run's 95% repeat interval, and
 * what would it take (issue 19's Done-when: ≥ 90% each way, wall and GPU busy)? Per pair of
 * identical runs (folders with a/ and b/), for the metric asked (GPU busy by default):
 *   - coverage both ways, as repro-check.ts counts it (B's figure inside A's interval, A's inside B's);
 *   - the pair's median ln B/A over its cases (a shift of every case alike: the whole GPU), and
 *     the coverage with it taken out;
 *   - the coverage had every interval been at least ±F wide (F = 1, 2, 3%): how large a
 *     between-process term, which no run's rounds can see, the misses ask for;
 *   - with --by-strategy, the share of each strategy's cases outside, over all the pairs given.
 * Cases need a figure and an interval in both runs.
 *   npx tsx scripts/busy-coverage.ts [--wall] [--by-strategy] PAIR...
 */
import { caseKey, readRun, type SummaryRow } from '../src/report/read-run.ts';
import { median } from '../src/stats/stats.ts';

const args = process.argv.slice(2);
const wall = args.includes('--wall');
const byStrategy = args.includes('--by-strategy');
const pairs = args.filter((a) => !a.startsWith('--'));
if (
  pairs.length === 0 ||
  args.some((a) => a.startsWith('--') && a !== '--wall' && a !== '--by-strategy')
) {
  console.error(
    'usage: npx tsx scripts/busy-coverage.ts [--wall] [--by-strategy] PAIR...   (folders with a/ b/)',
  );
  process.exit(2);
}
const FLOORS = [0.01, 0.02, 0.03];

interface Figure {
  centre: number;
  lo: number;
  hi: number;
  strategy: string;
}

function figures(rows: readonly SummaryRow[]): Map<string, Figure> {
  const out = new Map<string, Figure>();
  for (const r of rows) {
    const [centre, lo, hi] = wall
      ? [r.wallUsPerKernel, r.wallUsPerKernelLo95, r.wallUsPerKernelHi95]
      : [r.gpuBusyUsPerKernel, r.gpuBusyUsPerKernelLo95, r.gpuBusyUsPerKernelHi95];
    if (r.status !== 'ok' || !(centre! > 0) || !(lo! > 0) || !(hi! > 0)) continue;
    out.set(caseKey(r), { centre: centre!, lo: lo!, hi: hi!, strategy: r.strategy });
  }
  return out;
}

/** Share of `keys` whose figure in `of` lies in `around`'s interval, moved by `shift` (ln) and widened to ±floor (ln). */
function coverage(
  keys: readonly string[],
  around: Map<string, Figure>,
  of: Map<string, Figure>,
  shift = 0,
  floor = 0,
): number {
  let inside = 0;
  for (const k of keys) {
    const x = around.get(k)!;
    const lo = Math.min(x.lo, x.centre * Math.exp(-floor)) * Math.exp(shift);
    const hi = Math.max(x.hi, x.centre * Math.exp(floor)) * Math.exp(shift);
    const y = of.get(k)!.centre;
    if (y >= lo && y <= hi) inside++;
  }
  return inside / keys.length;
}

const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;
const outside = new Map<string, [number, number]>();
console.log(`${wall ? 'wall' : 'GPU busy'}: B inside A's 95% interval / A inside B's`);
for (const pair of pairs) {
  const a = figures(readRun(`${pair}/a`).summary);
  const b = figures(readRun(`${pair}/b`).summary);
  const keys = [...a.keys()].filter((k) => b.has(k));
  if (keys.length === 0) {
    console.log(`${pair}: no case with a figure and an interval in both runs`);
    continue;
  }
  const shift = median(keys.map((k) => Math.log(b.get(k)!.centre / a.get(k)!.centre)));
  const both = (s = 0, f = 0): string =>
    `${pct(coverage(keys, a, b, s, f))}/${pct(coverage(keys, b, a, -s, f))}`;
  const floors = FLOORS.map((f) => `±${(100 * f).toFixed(0)}% ${both(0, Math.log1p(f))}`).join(
    ', ',
  );
  console.log(
    `${pair}: ${keys.length} cases; ${both()}; median shift ${(100 * shift).toFixed(2)}%, without it ${both(shift)}; at least ${floors}`,
  );
  for (const [from, to] of [
    [a, b],
    [b, a],
  ] as const)
    for (const k of keys) {
      const x = from.get(k)!;
      const y = to.get(k)!.centre;
      const tally = outside.get(x.strategy) ?? [0, 0];
      outside.set(x.strategy, [tally[0] + (y < x.lo || y > x.hi ? 1 : 0), tally[1] + 1]);
    }
}
if (byStrategy)
  console.log(
    `outside the other run's interval, by strategy (both ways, all pairs): ${[...outside]
      .sort(([x], [y]) => x.localeCompare(y))
      .map(([s, [n, of]]) => `${s} ${n}/${of} (${pct(n / of)})`)
      .join(', ')}`,
  );
