/**
 * The table of scripts/completion-ways.sh: per runtime and completion way, µs per kernel of each
 * run of `submit-wait` and `dispatch-each` at K = 1 and 100 (a case left out: n/a; not verified:
 * !), and the median of the drift probe's round trips (always plain onSubmittedWorkDone).
 *   npx tsx scripts/completion-table.ts OUT
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readRun } from '../src/report/read-run.ts';
import { median } from '../src/stats/stats.ts';

const out = process.argv[2];
if (out === undefined) {
  console.error('usage: npx tsx scripts/completion-table.ts OUT');
  process.exit(2);
}
const runs = readdirSync(out).filter((name) => existsSync(join(out, name, 'summary.csv')));
const groups = new Map<string, string[]>();
for (const name of runs.sort()) {
  const key = name.replace(/-\d+$/, '');
  groups.set(key, [...(groups.get(key) ?? []), name]);
}
const columns = [
  ['submit-wait', 1],
  ['dispatch-each', 1],
  ['submit-wait', 100],
  ['dispatch-each', 100],
] as const;
const fmt = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
console.log(
  `| runtime, way | ${columns.map(([s, k]) => `\`${s}\` K = ${k}`).join(' | ')} | round trip |`,
);
console.log(`|---|${columns.map(() => '---|').join('')}---|`);
for (const [key, names] of groups) {
  const data = names.map((name) => readRun(join(out, name)));
  const cells = columns.map(([strategy, kernels]) =>
    data
      .map((run) => {
        const row = run.summary.find((r) => r.strategy === strategy && r.kernels === kernels);
        if (row === undefined || row.status !== 'ok' || row.wallUsPerKernel === null) return 'n/a';
        return fmt(row.wallUsPerKernel) + (row.verified === true ? '' : '!');
      })
      .join(', '),
  );
  const trips = data.map((run) => {
    const values = run.drift.flatMap((d) => (d.roundTripUs === null ? [] : [d.roundTripUs]));
    return values.length === 0 ? 'n/a' : fmt(median(values));
  });
  console.log(`| ${key} | ${cells.join(' | ')} | ${trips.join(', ')} |`);
}
