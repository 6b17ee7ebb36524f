/**
 * How wide `compare`'s intervals of an A/B folder are (issue 19; docs/findings.md, "Visits at 8
 * processes a side"): per folder (one with compare.csv, as `launchbench ab` leaves it), the median
 * over the compared cases of the wall B/A interval's half-width in ln, and each case of one strategy
 * with its B/A, 95% interval and verdict (`--strategy`, default `dispatch-each`: the one
 * scripts/ab-known-cause.sh slows in B).
 *   npx tsx scripts/ab-widths.ts [--strategy NAME] DIR...
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { median } from '../src/stats/stats.ts';

const args = process.argv.slice(2);
const at = args.indexOf('--strategy');
const strategy = at < 0 ? 'dispatch-each' : args[at + 1];
const dirs = args.filter((_, i) => at < 0 || (i !== at && i !== at + 1));
if (dirs.length === 0 || args.includes('--help') || strategy === undefined) {
  console.error(
    'usage: npx tsx scripts/ab-widths.ts [--strategy NAME] DIR...   (folders with compare.csv)',
  );
  process.exit(args.includes('--help') ? 0 : 2);
}
let missing = 0;
for (const dir of dirs) {
  const file = join(dir, 'compare.csv');
  if (!existsSync(file)) {
    console.error(`ab-widths.ts: ${dir}: no compare.csv (skipped)`);
    missing++;
    continue;
  }
  const rows = parse<Record<string, string>>(readFileSync(file), { columns: true }).filter(
    (r) => r['status'] === 'compared',
  );
  const num = (r: Record<string, string>, key: string): number => Number(r[key]);
  const half = rows
    .map((r) => (Math.log(num(r, 'wallRatioHi95')) - Math.log(num(r, 'wallRatioLo95'))) / 2)
    .filter(Number.isFinite);
  const ofStrategy = rows
    .filter((r) => r['strategy'] === strategy)
    .map(
      (r) =>
        `${r['elements']}x${r['kernels']} ${num(r, 'wallRatio').toFixed(3)} ` +
        `[${num(r, 'wallRatioLo95').toFixed(2)}-${num(r, 'wallRatioHi95').toFixed(2)}] ${r['wallVerdict']}`,
    );
  console.log(
    `${dir}: median wall half-width (ln) ${median(half).toFixed(3)} over ${half.length} cases; ` +
      `${strategy}: ${ofStrategy.join('; ')}`,
  );
}
process.exit(missing === 0 ? 0 : 1);
