/**
 * How compare's verdicts fare on stored pairs (issue 19; docs/design.md, "Comparing runs"): per
 * pair, the cases called faster or slower on wall, GPU busy and in group, whether
 * `--fail-on-slower 10%` would fire, and the between-run spreads compare added. With `--fault
 * STRATEGY:US` the pairs are known-cause ones (B spun US µs per kernel more in STRATEGY): the cases
 * that the fault moves by ≥ 20% of A's figure are the targets, reported as found (slower on wall or
 * in group) or not, and left out of the false calls.
 *   npx tsx scripts/verdict-check.ts [--fault dispatch-each:1.5] PAIR...   (PAIR: a folder with
 *   a/ and b/, or A:B)
 */
import { readRun, readTurnWalls, type RunData } from '../src/report/read-run.ts';
import { compareRuns, slowerBeyond, type BetweenRunSpreads } from '../src/report/compare.ts';

const args = process.argv.slice(2);
const faultAt = args.indexOf('--fault');
const [faultStrategy, faultUs] =
  faultAt < 0
    ? [undefined, 0]
    : [args[faultAt + 1]?.split(':')[0], Number(args[faultAt + 1]?.split(':')[1])];
const pairs = args.filter((_, i) => faultAt < 0 || (i !== faultAt && i !== faultAt + 1));
if (pairs.length === 0) {
  console.error('usage: npx tsx scripts/verdict-check.ts [--fault STRATEGY:US] PAIR...');
  process.exit(2);
}

const withTurns = (dir: string): RunData => {
  const run = readRun(dir);
  const turnWalls = readTurnWalls(dir);
  return turnWalls === undefined ? run : { ...run, turnWalls };
};
const called = (v: string | null): boolean => v === 'slower' || v === 'faster';
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

for (const pair of pairs) {
  const [dirA, dirB] = pair.includes(':') ? pair.split(':') : [`${pair}/a`, `${pair}/b`];
  const spreads: BetweenRunSpreads = { wall: 0, gpuBusy: 0 };
  const rows = compareRuns(withTurns(dirA ?? ''), withTurns(dirB ?? ''), {}, spreads).filter(
    (r) => r.status === 'compared',
  );
  const target = (r: (typeof rows)[number]): boolean =>
    r.strategy === faultStrategy && faultUs / (r.aWallUsPerKernel ?? Infinity) >= 0.2;
  const others = rows.filter((r) => !target(r));
  const targets = rows.filter(target);
  const count = (pick: (r: (typeof rows)[number]) => string | null): number =>
    others.filter((r) => called(pick(r))).length;
  const found = targets.filter((r) => r.wallVerdict === 'slower' || r.relativeVerdict === 'slower');
  console.log(
    `${pair}: ${rows.length} cases; called among the ${others.length} others: wall ${count((r) => r.wallVerdict)}, GPU busy ${count((r) => r.gpuBusyVerdict)}, in group ${count((r) => r.relativeVerdict)}; --fail-on-slower 10% on them: ${slowerBeyond(others, 0.1).length}; spread between the runs ±${pct(spreads.wall)} wall, ±${pct(spreads.gpuBusy)} GPU busy, ±${pct(spreads.relative ?? 0)} in group` +
      (faultStrategy === undefined
        ? ''
        : `; moved ≥ 20% by the fault: ${targets.length}, found ${found.length} (${targets.map((r) => `${r.elements}×${r.kernels} in group ${r.relativeRatio?.toFixed(2)} ${r.relativeVerdict}`).join(', ')})`),
  );
}
