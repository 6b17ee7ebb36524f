/**
 * Would stating a case's figure at the run's typical state make identical runs agree better
 * (issue 19; docs/findings.md, "Figures at the run's typical state: an analysis")? Per pair of
 * identical runs (a/ and b/ with rounds.csv and summary.csv), per case, each run's wall figure is
 * made again from its rounds two ways: the rounds' geometric mean (roundSummary, as summary.csv
 * states it), and the value of the case's state line (stateFit: Theil–Sen, ln round median on ln
 * visit state) at the run's median visit state (describeVisits' typical state: one state per group
 * and round), held within the states the case's own rounds met, wherever the line explains at least
 * R2 (default 0.8) of the rounds' variance, the plain figure elsewhere. Prints, per pair and in all,
 * as plain → at the typical state: the share of cases whose B/A is within 5% and the median
 * |ln B/A|; how often B's figure lies inside A's 95% interval and A's inside B's (each interval's
 * width as its run's summary.csv gives it, centred on that run's figure of the same kind); and how
 * often a figure's ratio to its group's `dispatch-each` figure is within 5% across the runs (what
 * moving some cases of a group and not others costs).
 *   npx tsx scripts/state-centre.ts [--r2 0…1] PAIR...
 */
import { caseKey, readRun, type RoundCsvRow, type SummaryRow } from '../src/report/read-run.ts';
import { stateFit, visitStateVariance } from '../src/stats/state.ts';
import { median, roundSummary } from '../src/stats/stats.ts';

const args = process.argv.slice(2);
const at = args.indexOf('--r2');
const minR2 = at < 0 ? 0.8 : Number(args[at + 1]);
const pairs = args.filter((_, i) => at < 0 || (i !== at && i !== at + 1));
if (pairs.length === 0 || !(minR2 >= 0 && minR2 <= 1)) {
  console.error('usage: npx tsx scripts/state-centre.ts [--r2 0…1] PAIR...   (folders with a/ b/)');
  process.exit(2);
}

interface Figures {
  /** ln of the rounds' geometric mean, and of the figure at the run's typical state. */
  plain: number;
  atState: number;
  /** ln half-width of the case's 95% wall interval in summary.csv (NaN without one). */
  half: number;
  /** The case's group (its key less the strategy) and strategy. */
  group: string;
  strategy: string;
}

function figures(
  rounds: readonly RoundCsvRow[],
  summary: readonly SummaryRow[],
): Map<string, Figures> {
  const visitStates = new Map<string, number>();
  const byCase = new Map<string, RoundCsvRow[]>();
  for (const r of rounds) {
    if (r.wallUsPerKernel === null || !(r.wallUsPerKernel > 0)) continue;
    const key = caseKey(r);
    byCase.set(key, [...(byCase.get(key) ?? []), r]);
    // a group's cases share their visit's state: one per group and round
    if (r.stateUs !== null && r.stateUs > 0)
      visitStates.set(`${caseKey(r, ['strategy'])}#${r.round}`, r.stateUs * 1e3);
  }
  const states = [...visitStates.values()];
  // as the run's own repeat intervals take the visits: none below 3 with a state
  const typical = visitStateVariance(states) === undefined ? undefined : median(states);
  const halves = new Map(
    summary.map((s) => [
      caseKey(s),
      Math.log((s.wallUsPerKernelHi95 ?? NaN) / (s.wallUsPerKernelLo95 ?? NaN)) / 2,
    ]),
  );
  const out = new Map<string, Figures>();
  for (const [key, list] of byCase) {
    const byRound: number[][] = [];
    for (const r of list) byRound[r.round] = [r.wallUsPerKernel ?? NaN];
    const plain = roundSummary(Array.from(byRound, (v) => v ?? []));
    if (plain.centre === null) continue;
    const withState = list.filter((r) => r.stateUs !== null && r.stateUs > 0);
    const m = withState.map((r) => r.wallUsPerKernel ?? NaN);
    const z = withState.map((r) => (r.stateUs ?? NaN) * 1e3);
    const fit = stateFit(m, z);
    let atState = Math.log(plain.centre);
    if (fit !== undefined && fit.r2 >= minR2 && typical !== undefined) {
      const logs = z.map(Math.log);
      const mean = (v: readonly number[]): number => v.reduce((a, x) => a + x, 0) / v.length;
      const to = Math.min(Math.max(Math.log(typical), Math.min(...logs)), Math.max(...logs));
      atState = mean(m.map(Math.log)) + fit.slope * (to - mean(logs));
    }
    const first = list[0]!;
    out.set(key, {
      plain: Math.log(plain.centre),
      atState,
      half: halves.get(key) ?? NaN,
      group: caseKey(first, ['strategy']),
      strategy: first.strategy,
    });
  }
  return out;
}

interface Tally {
  plain: number[];
  atState: number[];
  /** B inside A's interval, and A inside B's: plain, at the typical state; cases with both. */
  inside: [number, number, number, number];
  withInterval: number;
  /** Cases whose figure's ratio to its group's `dispatch-each` is within 5% across the runs. */
  ratioWithin: [number, number];
  withRatio: number;
}
const percent = (x: number, n: number): string => `${((100 * x) / n).toFixed(1)}%`;
const within5 = (d: readonly number[]): number =>
  d.filter((x) => Math.abs(x) < Math.log(1.05)).length;
const describe = (name: string, t: Tally): string =>
  `${name}: ${t.plain.length} cases; within 5%: ${percent(within5(t.plain), t.plain.length)} → ` +
  `${percent(within5(t.atState), t.plain.length)}; median |ln B/A| ` +
  `${median(t.plain.map(Math.abs)).toFixed(3)} → ${median(t.atState.map(Math.abs)).toFixed(3)}; ` +
  `B inside A's interval ${percent(t.inside[0], t.withInterval)} → ` +
  `${percent(t.inside[1], t.withInterval)}, A inside B's ${percent(t.inside[2], t.withInterval)} → ` +
  `${percent(t.inside[3], t.withInterval)} of ${t.withInterval}; figure's ratio to ` +
  `dispatch-each within 5% ${percent(t.ratioWithin[0], t.withRatio)} → ` +
  `${percent(t.ratioWithin[1], t.withRatio)} of ${t.withRatio}`;
const empty = (): Tally => ({
  plain: [],
  atState: [],
  inside: [0, 0, 0, 0],
  withInterval: 0,
  ratioWithin: [0, 0],
  withRatio: 0,
});
const all = empty();
for (const pair of pairs) {
  const [runA, runB] = [readRun(`${pair}/a`), readRun(`${pair}/b`)];
  const a = figures(runA.rounds, runA.summary);
  const b = figures(runB.rounds, runB.summary);
  const t = empty();
  const baseline = (run: Map<string, Figures>, group: string): Figures | undefined =>
    [...run.values()].find((f) => f.group === group && f.strategy === 'dispatch-each');
  for (const [key, fa] of a) {
    const fb = b.get(key);
    if (fb === undefined) continue;
    const [ba, bb] = [baseline(a, fa.group), baseline(b, fb.group)];
    if (fa.strategy !== 'dispatch-each' && ba !== undefined && bb !== undefined) {
      t.withRatio++;
      const near = (x: number): boolean => Math.abs(x) < Math.log(1.05);
      if (near(fb.plain - bb.plain - (fa.plain - ba.plain))) t.ratioWithin[0]++;
      if (near(fb.atState - bb.atState - (fa.atState - ba.atState))) t.ratioWithin[1]++;
    }
    t.plain.push(fb.plain - fa.plain);
    t.atState.push(fb.atState - fa.atState);
    if (!Number.isFinite(fa.half) || !Number.isFinite(fb.half)) continue;
    t.withInterval++;
    [
      Math.abs(fb.plain - fa.plain) <= fa.half,
      Math.abs(fb.atState - fa.atState) <= fa.half,
      Math.abs(fb.plain - fa.plain) <= fb.half,
      Math.abs(fb.atState - fa.atState) <= fb.half,
    ].forEach((inside, i) => {
      if (inside) t.inside[i as 0 | 1 | 2 | 3]++;
    });
  }
  if (t.plain.length === 0) {
    console.log(`${pair}: no case with rounds in both runs (skipped)`);
    continue;
  }
  all.plain.push(...t.plain);
  all.atState.push(...t.atState);
  t.inside.forEach((n, i) => (all.inside[i as 0 | 1 | 2 | 3] += n));
  all.ratioWithin[0] += t.ratioWithin[0];
  all.ratioWithin[1] += t.ratioWithin[1];
  all.withRatio += t.withRatio;
  all.withInterval += t.withInterval;
  console.log(describe(pair, t));
}
if (all.plain.length > 0) console.log(describe(`all (R² ≥ ${minR2})`, all));
