/**
 * compare on interleaved A/B runs (`launchbench ab`) of a simulated machine that drifts as the
 * lent H200 does (issue 19; docs/design.md, "Comparing runs"). No GPU needed; seeded, so
 * deterministic.
 *
 * The model: each side is 5 processes of one round, run A B B A A B B A A B, one every 18 s. A
 * process visits 12 groups of 9 strategies; a visit is 12 turns, each taking one sample of every
 * strategy within a few ms. The host's speed is a two-state chain in time (1 and 1.4, mean stays
 * 20 s and 12 s, as the H200's round trip moved between 40 and 60 µs), times a jitter shared by
 * the samples of one turn (8%: what changes inside a visit), times each sample's own noise (3%);
 * each case also gets a fixed offset per process (2%: what stays for a whole process). A sample
 * is base · host^β: in two groups of three the first seven strategies are launch-bound (β
 * 0.8–1.2) and the last two are not (0–0.2); in the rest every β is 0–0.2. The run folders hold
 * what a real run's do for compare: summary.csv, rounds.csv, samples.csv and context.json's
 * processes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareRuns, roundsSeeProcesses, type BetweenRunSpreads } from '../src/report/compare.ts';
import { readRun, readTurnWalls, type RunData } from '../src/report/read-run.ts';
import { normal, prng } from './support/random.ts';
import { twoStatePath, writeSimulatedRun } from './support/simulated-runs.ts';

const GROUPS = 12;
const STRATEGIES = 9;
const PROCESSES = 5;
const TURNS = 12;
const PROCESS_EVERY_S = 18;
const VISIT_S = 0.5;
const HOST = { fast: 1, slow: 1.4 };
const MEAN_STAY_S = { fast: 20, slow: 12 };
const DRIFT_START = 0.05;
const DRIFT_STEP = 0.04;
const TURN_JITTER = 0.03;
const SAMPLE_NOISE = 0.03;
const PROCESS_OFFSET = 0.02;
const KERNELS = 100;
const PAIRS = 10;

interface Case {
  group: number;
  strategy: number;
  baseUs: number;
  beta: number;
}

function cases(): Case[] {
  const u = prng(11);
  const out: Case[] = [];
  for (let group = 0; group < GROUPS; group++)
    for (let strategy = 0; strategy < STRATEGIES; strategy++) {
      const launchBound = group % 3 !== 2 && strategy < 7;
      out.push({
        group,
        strategy,
        baseUs: 2 + 50 * u(),
        beta: launchBound ? 0.8 + 0.4 * u() : 0.2 * u(),
      });
    }
  return out;
}

/** The turns a strategy's samples take in a visit: a cheap one reaches the cap later. */
const turnsOf = (c: Case): number => TURNS - ((c.strategy * 4) % 9);

const root = mkdtempSync(join(tmpdir(), 'launchbench-ab-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SAMPLES_HEADER = 'caseId,index,round,turn,atMs,gc,kind,wallNs';

/**
 * One interleaved pair: the folders of side A and side B. `change(c)` multiplies case c's time in
 * B. A's processes are the 1st, 4th, 5th, 8th and 9th of the pair's ten, B's the others.
 */
function simulatePair(
  name: string,
  all: readonly Case[],
  seed: number,
  change: (c: Case) => number,
): [string, string] {
  const u = prng(seed);
  const gauss = normal(u);
  const host = twoStatePath(u, HOST, MEAN_STAY_S);
  const order = ['a', 'b', 'b', 'a', 'a', 'b', 'b', 'a', 'a', 'b'] as const;
  const sides = {
    a: {
      round: 0,
      samples: new Map<Case, number[][]>(),
      states: new Map<number, number[]>(),
      lines: [SAMPLES_HEADER],
      processes: [] as object[],
    },
    b: {
      round: 0,
      samples: new Map<Case, number[][]>(),
      states: new Map<number, number[]>(),
      lines: [SAMPLES_HEADER],
      processes: [] as object[],
    },
  };
  order.forEach((side, p) => {
    const s = sides[side];
    const r = s.round++;
    const start = p * PROCESS_EVERY_S;
    const offsets = new Map(all.map((c) => [c, Math.exp(PROCESS_OFFSET * gauss())]));
    const groups = Array.from({ length: GROUPS }, (_, g) => g).sort(() => u() - 0.5);
    groups.forEach((g, i) => {
      const t0 = start + i * VISIT_S;
      (s.states.get(g) ?? s.states.set(g, []).get(g)!)[r] =
        40e3 * host(t0) * Math.exp(0.03 * gauss());
      let drift = DRIFT_START * gauss();
      for (let turn = 0; turn < TURNS; turn++) {
        const t = t0 + (turn * VISIT_S) / TURNS;
        drift += DRIFT_STEP * gauss();
        const turnHost = host(t) * Math.exp(drift + TURN_JITTER * gauss());
        for (const c of all.filter((x) => x.group === g && turn < turnsOf(x))) {
          const us =
            c.baseUs *
            (side === 'b' ? change(c) : 1) *
            offsets.get(c)! *
            turnHost ** c.beta *
            Math.exp(SAMPLE_NOISE * gauss());
          const rounds = s.samples.get(c) ?? s.samples.set(c, []).get(c)!;
          (rounds[r] ??= []).push(us);
          s.lines.push(
            `map/e${g + 1}/k${KERNELS}/i0/wg64/s${c.strategy},0,${r},${turn},${(t * 1e3).toFixed(3)},false,wall,${Math.round(us * 1e3 * KERNELS)}`,
          );
        }
      }
    });
    const at = (sec: number): string => new Date(Date.UTC(2026, 11, 5) + sec * 1e3).toISOString();
    s.processes.push({
      dir: `processes/${p + 1}`,
      exitCode: 0,
      rounds: [r, r],
      startedAt: at(start),
      finishedAt: at(start + GROUPS * VISIT_S),
    });
  });
  const dirs = (['a', 'b'] as const).map((side) => {
    const s = sides[side];
    const dir = join(root, `${name}-${side}`);
    writeSimulatedRun(
      dir,
      all.map((c) => ({
        strategy: `s${c.strategy}`,
        elements: c.group + 1,
        kernels: KERNELS,
        samples: s.samples.get(c) ?? [],
        statesNs: s.states.get(c.group) ?? [],
      })),
      { rounds: PROCESSES, context: { processes: s.processes }, gpuBusy: true },
    );
    writeFileSync(join(dir, 'samples.csv'), `${s.lines.join('\n')}\n`);
    return dir;
  });
  return [dirs[0]!, dirs[1]!];
}

const withTurns = (dir: string): RunData => ({
  ...readRun(dir),
  turnWalls: readTurnWalls(dir) ?? [],
});
const called = (v: string | null): boolean => v === 'slower' || v === 'faster';
const all = cases();
const changed = (c: Case): boolean => c.strategy === 3 && c.group % 3 !== 2 && c.group < 7;

/** Over PAIRS pairs: calls on the untouched cases, and the changed ones found slower in group. */
function tally(change: (c: Case) => number, turns: boolean) {
  const t = {
    tests: 0,
    wallCalls: 0,
    groupCalls: 0,
    found: 0,
    targets: 0,
    spreads: [] as BetweenRunSpreads[],
    widths: [] as number[],
  };
  for (let p = 0; p < PAIRS; p++) {
    const [da, db] = simulatePair(
      `${turns}-${p}-${change(all[3 * STRATEGIES + 3]!)}`,
      all,
      500 + p,
      change,
    );
    const [a, b] = turns ? [withTurns(da), withTurns(db)] : [readRun(da), readRun(db)];
    const spreads: BetweenRunSpreads = { wall: 0, gpuBusy: 0 };
    for (const r of compareRuns(a, b, {}, spreads)) {
      const c = all.find((x) => `s${x.strategy}` === r.strategy && x.group + 1 === r.elements)!;
      if (c.beta >= 0.8 && r.relativeRatioLo95 !== null && r.relativeRatioHi95 !== null)
        t.widths.push(Math.log(r.relativeRatioHi95 / r.relativeRatioLo95));
      if (change(c) !== 1) {
        t.targets++;
        if (r.relativeVerdict === 'slower') t.found++;
        continue;
      }
      t.tests++;
      if (called(r.wallVerdict)) t.wallCalls++;
      if (called(r.relativeVerdict)) t.groupCalls++;
    }
    t.spreads.push(spreads);
  }
  return t;
}

describe('compare on interleaved A/B runs of a drifting machine', () => {
  it('the runs are recognised as interleaved, one process a round: no spread between them is added', () => {
    const [da, db] = simulatePair('context', all, 1, () => 1);
    expect(roundsSeeProcesses(readRun(da).context, readRun(db).context)).toBe(true);
    const spreads: BetweenRunSpreads = { wall: 0, gpuBusy: 0 };
    compareRuns(withTurns(da), withTurns(db), {}, spreads);
    expect(spreads).toEqual({ wall: 0, gpuBusy: 0, relative: 0 });
  });

  it('identical sides: at most 1% of cases called, on wall and in group', () => {
    const t = tally(() => 1, true);
    expect(t.tests).toBe(PAIRS * GROUPS * STRATEGIES);
    expect(t.wallCalls / t.tests).toBeLessThanOrEqual(0.01);
    expect(t.groupCalls / t.tests).toBeLessThanOrEqual(0.01);
  });

  it('+25% on five launch-bound cases of one strategy: ≥ 90% found slower in group, ≤ 1% of the others called', () => {
    const change = (c: Case): number => (changed(c) ? 1.25 : 1);
    expect(all.filter(changed)).toHaveLength(5);
    const t = tally(change, true);
    expect(t.found / t.targets).toBeGreaterThanOrEqual(0.9);
    expect(t.groupCalls / t.tests).toBeLessThanOrEqual(0.01);
  });

  it('turn by turn knows the in-group ratio more sharply than round medians (what changes inside a visit cancels)', () => {
    const median = (v: number[]): number => v.sort((x, y) => x - y)[Math.floor(v.length / 2)]!;
    const byTurn = tally(() => 1, true);
    const byRound = tally(() => 1, false);
    expect(median(byTurn.widths)).toBeLessThan(0.9 * median(byRound.widths));
  });
});
