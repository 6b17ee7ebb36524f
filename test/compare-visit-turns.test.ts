/**
 * compare on A/B runs that took turns visit by visit (`ab --interleave visits`, src/commands/
 * turns.ts) on a simulated machine with the parts of a visit's spread measured on the lent H100
 * and H200 (docs/findings.md, "What a visit's spread is made of"). No GPU needed; seeded, so
 * deterministic.
 *
 * The model: each side is PROCESSES processes of one round; the two processes of a pair run at
 * once and take turns, so that A's visit j and B's visit j come one after the other (A first, then
 * B first, …), half a second each. A sample is base · (probe · hidden)^β · noise:
 * - `probe`, a two-state chain in time (1 and 1.1, mean stays 20 s and 12 s) that the state probe
 *   reads (its round trip, with 3% noise): the part compare's state fit takes out;
 * - `hidden`, what the probe does not see: a level that holds for a mean 3 s then jumps (ln sd
 *   0.12), the same for whatever runs then;
 * - each sample's own noise (ln sd 0.3, about 10 samples a visit: 0.11 on a visit's median);
 * - a fixed offset per case and process (2%).
 * β is 0.8–1.2 for launch-bound cases and 0–0.2 for the rest, as in
 * test/compare-interleaved-ab.test.ts. Paired by round, the hidden level falls on both of a pair;
 * compared as if the sides had run one process at a time (their rounds fitted on the probe,
 * unpaired), it does not. Whether the GPUs' hidden level is shared by two processes half a second
 * apart, as modelled here, is for a run on them to say (`ab --interleave visits` beside
 * `--interleave processes`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareRuns, tookTurns, type CompareRow } from '../src/report/compare.ts';
import { readRun, type RunData } from '../src/report/read-run.ts';
import { normal, prng } from './support/random.ts';
import { twoStatePath, writeSimulatedRun } from './support/simulated-runs.ts';

const GROUPS = 12;
const STRATEGIES = 9;
const PROCESSES = 12;
const SAMPLES = 10;
const VISIT_S = 0.5;
const PROBE = { fast: 1, slow: 1.1 };
const MEAN_STAY_S = { fast: 20, slow: 12 };
const HIDDEN = { sd: 0.12, meanStayS: 3 };
const SAMPLE_NOISE = 0.3;
const KERNELS = 100;
/**
 * Wild visits: the whole visit on one side 2–7× slower, the other side's beside it not (on
 * lavapipe, one round of 778 µs a kernel among rounds of 78–95; in the lent GPUs' default pairs
 * 0.5–1.2% of rounds lie past 10 robust sd of their case, where normal values give 0.2%:
 * docs/findings.md, "Wild visits").
 */
const WILD = { min: 2, max: 7, share: 0.01 };
/** Simulated A/B comparisons per figure. */
const REPEATS = 10;

interface Case {
  group: number;
  strategy: number;
  baseUs: number;
  beta: number;
}

const all: Case[] = (() => {
  const u = prng(7);
  return Array.from({ length: GROUPS * STRATEGIES }, (_, i) => {
    const group = Math.floor(i / STRATEGIES);
    const strategy = i % STRATEGIES;
    const launchBound = group % 3 !== 2 && strategy < 7;
    return {
      group,
      strategy,
      baseUs: 2 + 50 * u(),
      beta: launchBound ? 0.8 + 0.4 * u() : 0.2 * u(),
    };
  });
})();
const changed = (c: Case): boolean => c.strategy === 3 && c.group % 3 !== 2 && c.group < 7;

/** The hidden level: holds for an exponential time, then jumps to a fresh one. */
function hiddenPath(u: () => number, gauss: () => number): (t: number) => number {
  let level = Math.exp(HIDDEN.sd * gauss());
  let until = -Math.log(1 - u()) * HIDDEN.meanStayS;
  return (t) => {
    while (t >= until) {
      level = Math.exp(HIDDEN.sd * gauss());
      until += -Math.log(1 - u()) * HIDDEN.meanStayS;
    }
    return level;
  };
}

const root = mkdtempSync(join(tmpdir(), 'launchbench-visit-turns-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** One pair of runs that took turns; `change(c)` multiplies case c's time in B. */
function simulate(
  name: string,
  seed: number,
  change: (c: Case) => number,
  interleave: string,
  groups = GROUPS,
  wild = 0,
) {
  const cases = all.filter((c) => c.group < groups);
  const u = prng(seed);
  const gauss = normal(u);
  const probe = twoStatePath(u, PROBE, MEAN_STAY_S);
  const hidden = hiddenPath(u, gauss);
  const w = prng(seed + 1e6);
  const samples = { a: new Map<Case, number[][]>(), b: new Map<Case, number[][]>() };
  const states = { a: new Map<number, number[]>(), b: new Map<number, number[]>() };
  const processes = { a: [] as object[], b: [] as object[] };
  const at = (sec: number): string => new Date(Date.UTC(2026, 11, 5) + sec * 1e3).toISOString();
  for (let p = 0; p < PROCESSES; p++) {
    const start = p * 2 * groups * VISIT_S;
    const order = Array.from({ length: groups }, (_, g) => g).sort(() => u() - 0.5);
    const offsets = { a: new Map<Case, number>(), b: new Map<Case, number>() };
    for (const side of ['a', 'b'] as const)
      for (const c of cases) offsets[side].set(c, Math.exp(0.02 * gauss()));
    order.forEach((g, j) => {
      // In time order: the paths only go forward.
      (j % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const)).forEach((side, second) => {
        const t0 = start + (2 * j + second) * VISIT_S;
        // a wild visit (WILD): this side's whole visit slower, the other's beside it not; drawn
        // from a source of its own, so that without wild visits the runs are as before
        const slow = w() < wild ? WILD.min * (WILD.max / WILD.min) ** w() : 1;
        (states[side].get(g) ?? states[side].set(g, []).get(g)!)[p] =
          40e3 * probe(t0) * Math.exp(0.03 * gauss());
        for (let k = 0; k < SAMPLES; k++) {
          const t = t0 + (k * VISIT_S) / SAMPLES;
          const host = probe(t) * hidden(t);
          for (const c of cases.filter((x) => x.group === g)) {
            const us =
              c.baseUs *
              (side === 'b' ? change(c) : 1) *
              offsets[side].get(c)! *
              host ** c.beta *
              slow *
              Math.exp(SAMPLE_NOISE * gauss());
            const rounds = samples[side].get(c) ?? samples[side].set(c, []).get(c)!;
            (rounds[p] ??= []).push(us);
          }
        }
      });
    });
    for (const side of ['a', 'b'] as const)
      processes[side].push({
        dir: `processes/${p + 1}`,
        exitCode: 0,
        rounds: [p, p],
        startedAt: at(start),
        finishedAt: at(start + 2 * groups * VISIT_S),
      });
  }
  return (['a', 'b'] as const).map((side) => {
    const dir = join(root, `${name}-${side}`);
    writeSimulatedRun(
      dir,
      cases.map((c) => ({
        strategy: `s${c.strategy}`,
        elements: c.group + 1,
        kernels: KERNELS,
        samples: samples[side].get(c) ?? [],
        statesNs: states[side].get(c.group) ?? [],
      })),
      {
        rounds: PROCESSES,
        context: { abInterleave: interleave, processes: processes[side] },
        gpuBusy: false,
      },
    );
    return readRun(dir);
  }) as [RunData, RunData];
}

const called = (v: string | null): boolean => v === 'slower' || v === 'faster';
const caseOf = (r: CompareRow): Case =>
  all.find((x) => `s${x.strategy}` === r.strategy && x.group + 1 === r.elements)!;

/** Over REPEATS simulated comparisons of `groups` groups each: wall calls on the untouched cases, changed cases found slower. */
function tally(change: (c: Case) => number, interleave: string, groups = GROUPS, wild = 0) {
  const t = { tests: 0, calls: 0, found: 0, targets: 0, widths: [] as number[], paired: 0 };
  for (let p = 0; p < REPEATS; p++) {
    const name = `${interleave}-${groups}-${change(all[30]!)}-${wild}-${p}`;
    const [a, b] = simulate(name, 900 + p, change, interleave, groups, wild);
    for (const r of compareRuns(a, b)) {
      const c = caseOf(r);
      if (r.wallPaired === true) t.paired++;
      if (c.beta >= 0.8 && r.wallRatioLo95 !== null && r.wallRatioHi95 !== null)
        t.widths.push(Math.log(r.wallRatioHi95 / r.wallRatioLo95));
      if (change(c) !== 1) {
        t.targets++;
        if (r.wallVerdict === 'slower') t.found++;
      } else {
        t.tests++;
        if (called(r.wallVerdict)) t.calls++;
      }
    }
  }
  return t;
}

const plus25 = (c: Case): number => (changed(c) ? 1.25 : 1);

describe('compare on A/B runs that took turns visit by visit', () => {
  it('recognises them from context.json, and only them', () => {
    const [a, b] = simulate('context', 1, () => 1, 'visits');
    expect(tookTurns(a.context, b.context)).toBe(true);
    const [c, d] = simulate('context-processes', 1, () => 1, 'processes');
    expect(tookTurns(c.context, d.context)).toBe(false);
  });

  it('identical sides: every case paired, at most 1% called on wall', () => {
    const t = tally(() => 1, 'visits');
    expect(t.tests).toBe(REPEATS * GROUPS * STRATEGIES);
    expect(t.paired).toBe(t.tests);
    expect(t.calls / t.tests).toBeLessThanOrEqual(0.01);
  });

  // 12 pairs, seeded: paired 41 of the 50 found and 1 of 1 030 others called (43 and 2 with the
  // pairs' mean before the Huber estimate; at the three other seeds above 40–45 against 39–47);
  // unpaired 14 found;
  // the median 95% interval of a launch-bound case ±10% paired, ±15% unpaired.
  it('+25% on five launch-bound cases: ≥ 80% found slower on wall, ≤ 1% of the others called', () => {
    expect(all.filter(changed)).toHaveLength(5);
    const t = tally(plus25, 'visits');
    expect(t.found / t.targets).toBeGreaterThanOrEqual(0.8);
    expect(t.calls / t.tests).toBeLessThanOrEqual(0.01);
  });

  // The default profile's `map` at two sizes and two counts: 4 cases a strategy, too few for a
  // prior of their own; one fitted to every strategy's cases (24 found, 26 with the pairs' mean;
  // 20 with no prior), unpaired 16.
  it('at 4 cases a strategy, one prior for all: ≥ 80% found, more than unpaired, ≤ 1% others called', () => {
    const paired = tally(plus25, 'visits', 4);
    const unpaired = tally(plus25, 'processes', 4);
    expect(paired.paired).toBe(REPEATS * 4 * STRATEGIES);
    expect(paired.found / paired.targets).toBeGreaterThanOrEqual(0.8);
    expect(paired.found).toBeGreaterThan(unpaired.found);
    expect(paired.calls / paired.tests).toBeLessThanOrEqual(0.01);
  });

  // Seeded: 43 of the 50 found and 2 of 1 030 others called; the pairs' mean, before the Huber
  // estimate of src/stats/robust.ts, found 28 (1 called). At seeds 2000, 3000 and 4000 instead of
  // 900: 40, 38 and 41 found (the mean: 36, 22 and 32), 1–4 others called.
  it('wild visits (1% of them 2–7× slower on one side): ≥ 75% found slower, ≤ 1% of the others called', () => {
    const t = tally(plus25, 'visits', GROUPS, WILD.share);
    expect(t.found / t.targets).toBeGreaterThanOrEqual(0.75);
    expect(t.calls / t.tests).toBeLessThanOrEqual(0.01);
  });

  it('unpaired, the same runs find at most half as many, with intervals a third wider or more', () => {
    const median = (v: number[]): number => v.sort((x, y) => x - y)[Math.floor(v.length / 2)]!;
    const paired = tally(plus25, 'visits');
    const unpaired = tally(plus25, 'processes');
    expect(unpaired.found).toBeLessThanOrEqual(paired.found / 2);
    expect(median(unpaired.widths)).toBeGreaterThan(1.33 * median(paired.widths));
  });
});
