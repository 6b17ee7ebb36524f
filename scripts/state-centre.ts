/**
 * Does stating figures at the run's typical state make identical runs agree better (issue 19;
 * src/stats/state.ts STATE_RUN_R2; docs/findings.md, "Figures at the run's typical state")? Per
 * pair of identical runs (a/ and b/ with rounds.csv and summary.csv), per case, each run's wall
 * figure is made again from its rounds with the suite's own functions two ways: the rounds'
 * geometric mean (roundSummary, withStateFit), and the same moved to the run's typical state
 * (atTypicalState at the median visit state: one state per group and round) by the rule:
 *   (default)        the run's rule: every case of a run whose state dominates it
 *                    (stateDominates: the median case's line explains ≥ STATE_RUN_R2), none else;
 *   --per-case R2    the rule analysed and not taken: each case whose own line explains ≥ R2.
 * Prints, per pair and in all, as plain → moved: the share of cases whose B/A is within 5% and the
 * median |ln B/A|; how often B's figure lies inside A's 95% interval and A's inside B's (each
 * interval's width as its run's summary.csv gives it, centred on that run's figure of the same
 * kind); and how often a figure's ratio to its group's `dispatch-each` figure is within 5% across
 * the runs (what moving some cases of a group and not others costs).
 *   npx tsx scripts/state-centre.ts [--per-case R2] PAIR...
 */
import { caseKey, readRun, type RoundCsvRow, type SummaryRow } from '../src/report/read-run.ts';
import { atTypicalState, stateDominates, withStateFit } from '../src/stats/state.ts';
import { median, roundSummary, type RoundSummary } from '../src/stats/stats.ts';

const args = process.argv.slice(2);
const at = args.indexOf('--per-case');
const perCase = at < 0 ? undefined : Number(args[at + 1]);
const pairs = args.filter((_, i) => at < 0 || (i !== at && i !== at + 1));
if (pairs.length === 0 || (perCase !== undefined && !(perCase >= 0 && perCase <= 1))) {
  console.error(
    'usage: npx tsx scripts/state-centre.ts [--per-case 0…1] PAIR...   (folders with a/ b/)',
  );
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
  const typicalNs = visitStates.size === 0 ? NaN : median([...visitStates.values()]);
  const halves = new Map(
    summary.map((s) => [
      caseKey(s),
      Math.log((s.wallUsPerKernelHi95 ?? NaN) / (s.wallUsPerKernelLo95 ?? NaN)) / 2,
    ]),
  );
  const fitted = new Map<string, { rs: RoundSummary; first: RoundCsvRow }>();
  for (const [key, list] of byCase) {
    const byRound: number[][] = [];
    const states: number[] = [];
    for (const r of list) {
      byRound[r.round] = [r.wallUsPerKernel ?? NaN];
      if (r.stateUs !== null) states[r.round] = r.stateUs * 1e3;
    }
    const rs = withStateFit(
      roundSummary(
        Array.from(byRound, (v) => v ?? []),
        states,
      ),
    );
    if (rs.centre !== null) fitted.set(key, { rs, first: list[0]! });
  }
  const dominated = stateDominates([...fitted.values()].map((f) => f.rs));
  const out = new Map<string, Figures>();
  for (const [key, { rs, first }] of fitted) {
    const move = perCase === undefined ? dominated : rs.stateR2 !== null && rs.stateR2 >= perCase;
    const moved = move ? atTypicalState(rs, typicalNs) : rs;
    out.set(key, {
      plain: Math.log(rs.centre!),
      atState: Math.log(moved.centre!),
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
if (all.plain.length > 0)
  console.log(
    describe(
      perCase === undefined ? "all (the run's rule)" : `all (each case with R² ≥ ${perCase})`,
      all,
    ),
  );
