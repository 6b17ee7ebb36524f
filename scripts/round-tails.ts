/**
 * How heavy the tails of a run's round medians are (issue 19; docs/findings.md, "Wild visits"):
 * per case of each run folder's rounds.csv, every round's robust z, ln(round median) against the
 * case's median over its rounds in units of 1.4826 · MAD, and the share of rounds past 3, 5 and 10;
 * beside it the same procedure on normal values of the same case sizes (seeded), since a robust z
 * from a handful of rounds is itself noisy. A case whose MAD is 0 is left out.
 *   npx tsx scripts/round-tails.ts RUN...     (folders holding rounds.csv, or a/ and b/ with it)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { median } from '../src/stats/stats.ts';
import { normal, prng } from '../test/support/random.ts';

const CUTS = [3, 5, 10] as const;
/** Per cut, how many of the rounds lie past it, of how many (cases with MAD 0 left out). */
function tally(cases: readonly (readonly number[])[]): { past: number[]; rounds: number } {
  const past = CUTS.map(() => 0);
  let rounds = 0;
  for (const v of cases) {
    const m = median(v);
    const mad = 1.4826 * median(v.map((x) => Math.abs(x - m)));
    if (!(mad > 0)) continue;
    rounds += v.length;
    for (const x of v) CUTS.forEach((c, i) => (past[i]! += +(Math.abs(x - m) / mad > c)));
  }
  return { past, rounds };
}
const shares = (t: { past: number[]; rounds: number }): string =>
  t.past.map((p) => `${((100 * p) / t.rounds).toFixed(2)}%`).join(' / ');

const args = process.argv.slice(2);
if (args.length === 0 || args.includes('--help')) {
  console.error(
    'usage: npx tsx scripts/round-tails.ts RUN...   (run folders holding rounds.csv, or a/ and b/ with it)',
  );
  process.exit(args.length === 0 ? 2 : 0);
}
const folders = args.flatMap((dir) => {
  const found = existsSync(join(dir, 'rounds.csv'))
    ? [dir]
    : ['a', 'b'].map((s) => join(dir, s)).filter((d) => existsSync(join(d, 'rounds.csv')));
  if (found.length === 0)
    console.error(`round-tails.ts: ${dir}: no rounds.csv there nor in a/ or b/ (skipped)`);
  return found;
});
if (folders.length === 0) process.exit(2);
console.log(
  `run: cases, rounds; rounds past ${CUTS.join(' / ')} robust sd (ln wall); normal values, same sizes`,
);
for (const dir of folders) {
  const rows = parse<Record<string, string>>(readFileSync(join(dir, 'rounds.csv'), 'utf8'), {
    columns: true,
  });
  const byCase = new Map<string, number[]>();
  for (const r of rows) {
    const x = Number(r.wallUsPerKernel);
    if (!(x > 0)) continue;
    const key = [r.workload, r.strategy, r.elements, r.kernels, r.intensity, r.workgroupSize].join(
      ',',
    );
    (byCase.get(key) ?? byCase.set(key, []).get(key)!).push(Math.log(x));
  }
  const cases = [...byCase.values()].filter((v) => v.length >= 3);
  const measured = tally(cases);
  if (measured.rounds === 0) {
    console.log(
      `${dir}: no case of 3 rounds or more with a spread (wallUsPerKernel and the case columns)`,
    );
    continue;
  }
  // 50 normal draws of every case's size, for a steady reference share; seeded per folder, so
  // that a folder's figures do not depend on the others named beside it
  const gauss = normal(prng(19));
  const simulated = tally(
    Array.from({ length: 50 }, () => cases.map((v) => v.map(() => gauss()))).flat(),
  );
  console.log(
    `${dir}: ${cases.length} cases, ${measured.rounds} rounds; ${shares(measured)}; normal ${shares(simulated)}`,
  );
}
