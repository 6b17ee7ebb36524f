/**
 * compare and the repeat intervals on a simulated machine that drifts as the lent H200 does
 * (issue 19): the host path switches between two states that last tens of seconds (a one-dispatch
 * round trip of 40 µs in one, 65 µs in the other, measured there), and each case's time moves with
 * the state by its own sensitivity (launch-bound cases nearly one for one, GPU-bound ones hardly).
 * No GPU needed; a seeded PRNG makes it deterministic.
 *
 * The model, per run: 28 groups of 9 cases visited once per round in a shuffled order, 8 rounds,
 * 0.6 s a visit. The state is a two-state Markov chain in time (mean stay 20 s fast, 12 s slow)
 * with a 5% jitter per visit; the state probe reads it with 3% noise before and after each visit.
 * A case's round median is base · (state / 40 µs)^β · exp(ε), ε ~ N(0, 4%²) (its samples' noise
 * and what the probe does not see); GPU busy does not move with the state (β = 0, 1% noise). Each
 * run is summarised by the suite's own functions (roundSummary, withStateFit), written as
 * summary.csv and rounds.csv, read back and compared with compareRuns.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { roundSummary, type RoundSummary } from '../src/stats/stats.ts';
import { visitStateVariance, withStateFit } from '../src/stats/state.ts';
import { compareRuns, type CompareRow } from '../src/report/compare.ts';
import { readRun } from '../src/report/read-run.ts';
import { normal, prng } from './support/random.ts';

const GROUPS = 28;
const STRATEGIES = 9;
const ROUNDS = 8;
const VISIT_S = 0.6;
const STATE_US = { fast: 40, slow: 65 };
const MEAN_STAY_S = { fast: 20, slow: 12 };
const VISIT_JITTER = 0.05;
const PROBE_NOISE = 0.03;
const ROUND_NOISE = 0.04;
const GPU_NOISE = 0.01;

/** The cases: a base time and a sensitivity to the state, fixed across runs. */
interface Case {
  group: number;
  strategy: number;
  baseUs: number;
  slope: number;
}

function cases(seed: number): Case[] {
  const u = prng(seed);
  const out: Case[] = [];
  for (let g = 0; g < GROUPS; g++) {
    // Two groups in three launch-bound (sensitivity 0.6–1.2), the rest GPU-bound (0–0.2).
    const launchBound = g % 3 !== 2;
    for (let s = 0; s < STRATEGIES; s++)
      out.push({
        group: g,
        strategy: s,
        baseUs: 1 + 100 * u(),
        slope: launchBound ? 0.6 + 0.6 * u() : 0.2 * u(),
      });
  }
  return out;
}

const root = mkdtempSync(join(tmpdir(), 'launchbench-drifting-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SUMMARY_HEADER =
  'workload,strategy,elements,kernels,intensity,workgroupSize,status,reason,enoughSamples,rounds,gpuRounds,wallUsPerKernel,wallUsPerKernelP10,wallUsPerKernelP90,wallRoundSpread,wallUsPerKernelLo95,wallUsPerKernelHi95,gpuBusyUsPerKernel,gpuBusyRoundSpread,gpuBusyUsPerKernelLo95,gpuBusyUsPerKernelHi95';
const ROUNDS_HEADER =
  'workload,strategy,elements,kernels,intensity,workgroupSize,round,stateUs,wallUsPerKernel,gpuBusyUsPerKernel';

/**
 * One run on the drifting machine: its folder. `change(c)` multiplies case c's wall time (1 for
 * an identical run).
 */
function simulateRun(
  name: string,
  all: readonly Case[],
  seed: number,
  change: (c: Case) => number = () => 1,
  repeatFromStates = true,
): string {
  const u = prng(seed);
  const gauss = normal(u);
  // The state path: switch times from exponential stays, starting in the fast state or not.
  let state: 'fast' | 'slow' = u() < 0.62 ? 'fast' : 'slow';
  let until = -Math.log(1 - u()) * MEAN_STAY_S[state];
  const stateAt = (t: number): number => {
    while (t >= until) {
      state = state === 'fast' ? 'slow' : 'fast';
      until += -Math.log(1 - u()) * MEAN_STAY_S[state];
    }
    return STATE_US[state];
  };
  const wall = new Map<Case, number[][]>();
  const busy = new Map<Case, number[][]>();
  const states = new Map<number, number[]>();
  let t = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const order = Array.from({ length: GROUPS }, (_, g) => g).sort(() => u() - 0.5);
    for (const g of order) {
      const true_ = stateAt(t) * Math.exp(VISIT_JITTER * gauss());
      const probed = true_ * Math.exp(PROBE_NOISE * gauss());
      (states.get(g) ?? states.set(g, []).get(g) ?? [])[r] = probed * 1e3;
      for (const c of all.filter((x) => x.group === g)) {
        const w = c.baseUs * change(c) * (true_ / STATE_US.fast) ** c.slope;
        ((wall.get(c) ?? wall.set(c, []).get(c)) as number[][])[r] = [
          w * Math.exp(ROUND_NOISE * gauss()),
        ];
        ((busy.get(c) ?? busy.set(c, []).get(c)) as number[][])[r] = [
          c.baseUs * 0.3 * Math.exp(GPU_NOISE * gauss()),
        ];
      }
      t += VISIT_S;
    }
  }
  // How far the states ranged over all the run's visits: the repeat intervals take it in.
  const variance = repeatFromStates
    ? visitStateVariance([...states.values()].flat().filter((v) => v > 0))
    : undefined;
  const summary = [SUMMARY_HEADER];
  const rounds = [ROUNDS_HEADER];
  const cells = (rs: RoundSummary): (number | null)[] => [rs.centre, rs.spread, rs.lo95, rs.hi95];
  for (const c of all) {
    const st = states.get(c.group) ?? [];
    const w = withStateFit(roundSummary(wall.get(c) ?? [], st), variance);
    const b = withStateFit(roundSummary(busy.get(c) ?? [], st), variance);
    const key = `map,s${c.strategy},${c.group + 1},100,0,64`;
    const [centre, spread, lo, hi] = cells(w);
    summary.push(
      [
        key,
        'ok',
        '',
        'true',
        ROUNDS,
        ROUNDS,
        centre,
        centre,
        centre,
        spread,
        lo,
        hi,
        ...cells(b),
      ].join(','),
    );
    w.roundIds.forEach((r, i) =>
      rounds.push(
        [key, r, (w.roundStatesNs[i] ?? 0) / 1e3, w.roundMedians[i], b.roundMedians[i]].join(','),
      ),
    );
  }
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'summary.csv'), `${summary.join('\n')}\n`);
  writeFileSync(join(dir, 'rounds.csv'), `${rounds.join('\n')}\n`);
  return dir;
}

const PAIRS = 12;

interface Tally {
  tests: number;
  /** Faster/slower calls: wall, GPU busy, wall in group. */
  calls: number;
  gpuCalls: number;
  groupCalls: number;
  /** Cases whose 95% interval of B/A holds 1 (the truth): wall, GPU busy, wall in group. */
  covered: number;
  gpuCovered: number;
  groupCovered: number;
  /** Median of ln(hi95/lo95) of the wall B/A over the launch-bound cases. */
  medianWidth: number;
  /** Cases whose B figure lies inside A's 95% repeat interval, and A's inside B's (wall). */
  repeatCovered: number;
  repeatCoveredBack: number;
}

/**
 * Over PAIRS simulated identical pairs, compared at equal states (`state`) or not, their repeat
 * intervals from the states' spread (`repeatFromStates`) or from their rounds alone.
 */
function identicalPairs(state: boolean, repeatFromStates = true): Tally {
  const all = cases(7);
  const t: Tally = {
    tests: 0,
    calls: 0,
    gpuCalls: 0,
    groupCalls: 0,
    covered: 0,
    gpuCovered: 0,
    groupCovered: 0,
    medianWidth: NaN,
    repeatCovered: 0,
    repeatCoveredBack: 0,
  };
  const widths: number[] = [];
  const called = (v: string | null): boolean => v === 'slower' || v === 'faster';
  const holdsOne = (lo: number | null, hi: number | null): boolean =>
    lo !== null && hi !== null && lo <= 1 && hi >= 1;
  for (let p = 0; p < PAIRS; p++) {
    const tag = `${state}${repeatFromStates}`;
    const a = readRun(simulateRun(`id${p}a${tag}`, all, 1000 + p, () => 1, repeatFromStates));
    const b = readRun(simulateRun(`id${p}b${tag}`, all, 2000 + p, () => 1, repeatFromStates));
    a.summary.forEach((ra, i) => {
      const rb = b.summary[i];
      const inside = (x: number | null, lo: number | null, hi: number | null): boolean =>
        x !== null && lo !== null && hi !== null && x >= lo && x <= hi;
      if (rb === undefined) return;
      if (inside(rb.wallUsPerKernel, ra.wallUsPerKernelLo95, ra.wallUsPerKernelHi95))
        t.repeatCovered++;
      if (inside(ra.wallUsPerKernel, rb.wallUsPerKernelLo95, rb.wallUsPerKernelHi95))
        t.repeatCoveredBack++;
    });
    for (const r of compareRuns(a, b, { state })) {
      if (r.status !== 'compared') continue;
      t.tests++;
      if (called(r.wallVerdict)) t.calls++;
      if (called(r.gpuBusyVerdict)) t.gpuCalls++;
      if (called(r.relativeVerdict)) t.groupCalls++;
      if (holdsOne(r.wallRatioLo95, r.wallRatioHi95)) t.covered++;
      if (holdsOne(r.gpuBusyRatioLo95, r.gpuBusyRatioHi95)) t.gpuCovered++;
      if (holdsOne(r.relativeRatioLo95, r.relativeRatioHi95)) t.groupCovered++;
      if ((r.elements - 1) % 3 !== 2 && r.wallRatioLo95 !== null && r.wallRatioHi95 !== null)
        widths.push(Math.log(r.wallRatioHi95 / r.wallRatioLo95));
    }
  }
  widths.sort((x, y) => x - y);
  return { ...t, medianWidth: widths[Math.floor(widths.length / 2)] ?? NaN };
}

describe('compare on a machine that switches host-path states every tens of seconds', () => {
  const equalStates = identicalPairs(true);
  it('identical runs: at most 1% of cases called faster or slower (wall, GPU busy, in group)', () => {
    const n = equalStates.tests;
    expect(n).toBe(PAIRS * GROUPS * STRATEGIES);
    expect(equalStates.calls / n).toBeLessThanOrEqual(0.01);
    expect(equalStates.gpuCalls / n).toBeLessThanOrEqual(0.01);
    expect(equalStates.groupCalls / n).toBeLessThanOrEqual(0.01);
  });

  it("identical runs: each run's figure inside the other's repeat interval for more cases with the states' spread than from the rounds alone", () => {
    // States that last 12–20 s in runs of 135 s: a run's ~8 rounds see few of them, and no
    // interval made within one run covers a repeat that stayed longer in the slow state 95% of
    // the time (here 94% and 89%); the spread of all its visits' states gets closer than the
    // case's own rounds (91% and 87% on this machine; on the H200's three pairs of 2026-12-04,
    // 92/89, 64/93, 87/96% against 94/93, 81/96, 98/98%).
    const plain = identicalPairs(true, false);
    const n = equalStates.tests;
    const worst = (t: Tally): number => Math.min(t.repeatCovered, t.repeatCoveredBack) / n;
    expect(worst(equalStates)).toBeGreaterThan(worst(plain));
    expect(worst(equalStates)).toBeGreaterThanOrEqual(0.85);
  });

  it("identical runs: compare's 95% interval of B/A holds 1 for at least 90% of cases", () => {
    const n = equalStates.tests;
    expect(equalStates.covered / n).toBeGreaterThanOrEqual(0.9);
    expect(equalStates.gpuCovered / n).toBeGreaterThanOrEqual(0.9);
    expect(equalStates.groupCovered / n).toBeGreaterThanOrEqual(0.9);
  });

  it('a +25% change of 7 launch-bound cases is called slower in ≥ 90% of them, at equal states and in group, and nothing else is called', () => {
    const all = cases(7);
    const changed = (c: Case): boolean => c.strategy === 3 && c.group % 3 !== 2 && c.group < 10;
    expect(all.filter(changed)).toHaveLength(7);
    let found = 0;
    let foundInGroup = 0;
    let wrong = 0;
    for (let p = 0; p < PAIRS; p++) {
      const a = readRun(simulateRun(`ch${p}a`, all, 3000 + p));
      const b = readRun(simulateRun(`ch${p}b`, all, 4000 + p, (c) => (changed(c) ? 1.25 : 1)));
      const rows: CompareRow[] = compareRuns(a, b);
      for (const r of rows) {
        const c = all.find((x) => `s${x.strategy}` === r.strategy && x.group + 1 === r.elements);
        if (c !== undefined && changed(c)) {
          found += r.wallVerdict === 'slower' ? 1 : 0;
          foundInGroup += r.relativeVerdict === 'slower' ? 1 : 0;
        } else if (
          [r.wallVerdict, r.relativeVerdict, r.gpuBusyVerdict].some(
            (v) => v === 'slower' || v === 'faster',
          )
        )
          wrong++;
      }
    }
    expect(found / (7 * PAIRS)).toBeGreaterThanOrEqual(0.9);
    expect(foundInGroup / (7 * PAIRS)).toBeGreaterThanOrEqual(0.9);
    expect(wrong / (PAIRS * (GROUPS * STRATEGIES - 7))).toBeLessThanOrEqual(0.01);
  });

  it("at equal states B/A is known at least twice as sharply for the launch-bound cases as from the runs' spreads", () => {
    // Without the states, each launch-bound case's rounds scatter with the machine's two states
    // and the comparison inherits that scatter; at equal states only what the probe does not see
    // is left (here the 4% round noise against the states' 48%).
    const without = identicalPairs(false);
    expect(without.tests).toBe(equalStates.tests);
    expect(equalStates.medianWidth).toBeLessThan(without.medianWidth / 2);
  });
});
