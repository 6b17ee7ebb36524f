/**
 * The schedule of a run: when each case is measured. One job, so that it can be read, tested and
 * changed in one place.
 *
 * The machines this suite runs on drift by tens of per cent in blocks of seconds (docs/design.md,
 * Measurement). Two rules keep that drift out of the figures:
 *   - rounds: the plan is visited `rounds` times, each round in its own shuffled order of groups,
 *     so a case's figures come from R moments spread over the run, and the spread between its
 *     round medians is the honest uncertainty of the figure (a second run sees other moments);
 *   - interleaving: within a visit, the strategies of a group take turns, one sample of each per turn, in an order shuffled every turn, so every strategy
 *     sees the same machine state and their ratios cancel the drift. One sample each, not more
 *     of the fast ones: a strategy that finished its share early would miss the visit's later
 *     seconds, and the alignment in time is what cancels the drift.
 * Orders come from the run's seed: a run can be replayed in the same order.
 */
import { nowNs } from '../stats/clock.ts';
import type { SampleKind } from '../stats/result.ts';
import { seededRandom } from '../workloads/random.ts';
import { median } from '../stats/stats.ts';

/** Fisher–Yates shuffle with a seeded generator (the input is not changed). */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = random() % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** A generator for one purpose of one round: independent streams from one seed. */
export function roundRandom(seed: number, round: number, purpose: number): () => number {
  return seededRandom(
    (Math.imul(seed ^ 0x2545f491, 0x9e3779b1) + Math.imul(round + 1, 0x85ebca77) + purpose) >>> 0,
  );
}

/** The order in which round `round` visits `count` groups. */
export function visitOrder(count: number, seed: number, round: number): number[] {
  return shuffled(
    Array.from({ length: count }, (_, i) => i),
    roundRandom(seed, round, 1),
  );
}

/** What the schedule needs of a case (Sampled in the suite; a model of one in tests). */
export interface Sampled {
  /** Still measurable: not failed, open on this visit's buffers. */
  readonly active: boolean;
  readonly kinds: readonly SampleKind[];
  /**
   * Wall time of its latest execution (warm-up or sample), ns; undefined before the first on its
   * current buffers.
   */
  readonly lastWallNs: number | undefined;
  /** Valid samples of `kind` so far, in `round` or over the run. */
  count(kind: SampleKind, round?: number): number;
  /** The largest over the smallest of `round`'s valid samples of `kind`; 1 below two. */
  roundSpread(kind: SampleKind, round: number): number;
  /** One execution that does not count (warm-up); its wall time in ns, undefined on failure. */
  warm(kind: SampleKind): Promise<number | undefined>;
  /**
   * One sample recorded in `round`, in the visit's sampling turn `turn` (0, 1, …: the samples of
   * one turn were taken side by side); its wall time in ns, undefined on failure.
   */
  sample(kind: SampleKind, round: number, turn?: number): Promise<number | undefined>;
  /** Marks the samples that a garbage collection overlapped (after the event loop turned). */
  markCollected(): void;
}

/** What one visit of a group may spend and must collect. */
export interface VisitBudget {
  round: number;
  /** Warm-up time of the visit (interleaved, like the samples). */
  warmupMs: number;
  /** The cases' first visit: warm-up until `minWarmup` wall executions settle (or 3 × warmupMs). */
  firstVisit: boolean;
  minWarmup: number;
  /** Untimed executions of the same (case, kind) right before each sample (SamplingOptions). */
  settle?: number | undefined;
  /** Sampling time of the visit, all its cases together. */
  samplingMs: number;
  /** Per case and kind: valid samples this visit must collect (the floor's share), … */
  floor: (runner: Sampled, kind: SampleKind) => number;
  /** … and may collect at most. */
  cap: (runner: Sampled, kind: SampleKind) => number;
  shouldStop: () => boolean;
  /**
   * Before every turn (warm-up and samples): the clock hold's check (src/gpu/clock-hold.ts). Its
   * time counts toward neither the warm-up nor the sampling time.
   */
  beforeTurn?: () => Promise<void>;
  /**
   * The state probe (src/stats/state.ts): one fixed round trip, its wall time in ns (undefined
   * when it failed). A visit times it STATE_PROBES times right before its warm-up and as many
   * times right after its last sample, with the queue idle: between the visit's own executions it
   * would read the group's load (on lavapipe a round trip took 2–4× longer inside the heavier
   * groups' turns than inside the light ones'), and a reference that moves with the group cannot
   * tell the machine's state apart from the case. The visit's state is the median of the two sets.
   */
  probe?: () => Promise<number | undefined>;
}

/** Round trips of the state probe before and after each visit. */
export const STATE_PROBES = 7;

/**
 * The fewest valid samples of each kind a visit collects for each of its cases, so that no round's
 * median is a single sample.
 */
export const ROUND_FLOOR = 2;

/**
 * A round whose two samples of a kind differ by more than this ratio takes a third, and its median
 * then sets the odd one aside: of two samples the median is their mean, so one stall moves it
 * (3 ms and a 28 ms stall: 15.5 ms). In the H200 default run of 1e9de29 a quarter of the two-sample
 * rounds (114 of 450: the K = 1000 cases, two samples a round at the floor) differed by more than
 * 25%, one in ten by more than 1.6×; three samples in every round instead cost 26 s more of sampling
 * (a 183 s run).
 */
export const ROUND_SPLIT = 1.25;

/**
 * The floor's share for a visit of round `round` of `rounds`: what is still missing of `floor`,
 * spread over the rounds left (so a case that lost samples early makes them up later), and at
 * least ROUND_FLOOR.
 */
export function floorShare(floor: number, have: number, round: number, rounds: number): number {
  return Math.max(ROUND_FLOOR, Math.ceil((floor - have) / (rounds - round)));
}

/** The samples of each kind a case collects at least over `rounds` rounds with floor `floor`. */
export const runFloor = (floor: number, rounds: number): number =>
  Math.max(floor, ROUND_FLOOR * rounds);

interface Unit {
  runner: Sampled;
  kind: SampleKind;
}

const WARMUP_SETTLE = 0.05;
/** A visit re-checks the floor after dropping collected samples at most this many times. */
const FLOOR_RETRIES = 3;
const turnOfLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A clock for one phase of a visit (warm-up, then sampling): milliseconds since the phase began,
 * less the time spent in the clock hold's checks before its turns (VisitBudget.beforeTurn), which
 * counts toward neither the warm-up nor the sampling time.
 */
interface PhaseClock {
  /** The clock hold's check before a turn, its time set aside. */
  hold(): Promise<void>;
  elapsedMs(): number;
}

/** A phase's clock, started now. */
function phaseClock(budget: VisitBudget): PhaseClock {
  let heldNs = 0;
  const start = nowNs();
  return {
    hold: async () => {
      if (budget.beforeTurn === undefined) return;
      const t0 = nowNs();
      await budget.beforeTurn();
      heldNs += nowNs() - t0;
    },
    elapsedMs: () => (nowNs() - start - heldNs) / 1e6,
  };
}

/**
 * The state probe's STATE_PROBES round trips, with the queue idle (before a visit's warm-up or
 * after its last sample): the ones that succeed are added to `probed`.
 */
async function probeState(budget: VisitBudget, probed: number[]): Promise<void> {
  if (budget.probe === undefined) return;
  for (let i = 0; i < STATE_PROBES; i++) {
    const ns = await budget.probe();
    if (ns !== undefined) probed.push(ns);
  }
}

/**
 * Whether a case warms up on this visit. On buffers that stayed prepared since its last visit, a
 * case whose one execution outlasts the warm-up needs none: its caches are cold for the first
 * microseconds of its first sample only. (A case opened anew has no last wall time, so it warms
 * up.)
 */
function warmsUp(runner: Sampled, budget: VisitBudget): boolean {
  return (
    runner.active &&
    (budget.firstVisit ||
      runner.lastWallNs === undefined ||
      runner.lastWallNs < budget.warmupMs * 1e6)
  );
}

/**
 * Whether every case of a first visit's warm-up has `minWarmup` wall executions and its last
 * three agree (within WARMUP_SETTLE of their median).
 */
function warmedUp(
  cases: readonly Sampled[],
  walls: Map<Sampled, number[]>,
  minWarmup: number,
): boolean {
  const settled = cases.every((r) => {
    const recent = (walls.get(r) ?? []).slice(-3).sort((a, b) => a - b);
    const mid = recent[1] ?? NaN;
    return recent.length === 3 && recent.every((w) => Math.abs(w - mid) <= WARMUP_SETTLE * mid);
  });
  const enough = cases.every((r) => (walls.get(r)?.length ?? 0) >= minWarmup);
  return enough && settled;
}

/**
 * A visit's warm-up: turns like the samples', one execution of each case per turn, so caches,
 * clocks and the JIT settle on this mix. Per case, not per kind: the kinds run the same commands
 * (GPU samples add pass timestamps), so the first turn takes the GPU kind where there is one (its
 * query path warms too) and the others the wall kind, whose times the settle test reads. A visit
 * warms for `warmupMs` and at least one turn (later visits leave out cases whose one execution
 * outlasts the warm-up); a first visit takes at least one wall turn, then goes on until every
 * case has `minWarmup` wall executions whose last three agree, or until 3 × `warmupMs` have
 * passed.
 */
async function warmUp(
  runners: readonly Sampled[],
  budget: VisitBudget,
  random: () => number,
): Promise<void> {
  const clock = phaseClock(budget);
  const walls = new Map<Sampled, number[]>();
  for (let turn = 0; ; turn++) {
    const cases = runners.filter((r) => warmsUp(r, budget));
    if (cases.length === 0 || budget.shouldStop()) break;
    await clock.hold();
    for (const runner of shuffled(cases, random)) {
      const kind: SampleKind = turn === 0 && runner.kinds.includes('gpu') ? 'gpu' : 'wall';
      const wall = await runner.warm(kind);
      if (wall === undefined || kind !== 'wall') continue;
      walls.set(runner, [...(walls.get(runner) ?? []), wall]);
    }
    const elapsedMs = clock.elapsedMs();
    // A first visit has at least one wall turn (turn 0 may have been the GPU kind's).
    if (elapsedMs < budget.warmupMs || (budget.firstVisit && turn === 0)) continue;
    if (!budget.firstVisit) break;
    if (warmedUp(cases, walls, budget.minWarmup) || elapsedMs >= 3 * budget.warmupMs) break;
  }
}

/**
 * Whether a (case, kind) takes a sample in this turn of round `round`: it is under its bound, or
 * its two samples this round disagree (ROUND_SPLIT) and a third decides. The third is taken in a
 * turn of its own, so it pairs (paired.ts) only with another case's third.
 */
function needs(u: Unit, bound: (r: Sampled, k: SampleKind) => number, round: number): boolean {
  if (!u.runner.active) return false;
  const have = u.runner.count(u.kind, round);
  return (
    have < bound(u.runner, u.kind) ||
    (have === ROUND_FLOOR && u.runner.roundSpread(u.kind, round) > ROUND_SPLIT)
  );
}

/**
 * A visit's samples: turns in which every (case, kind) that needs one takes one sample, in an
 * order shuffled every turn, until none needs more; then the samples a garbage collection
 * overlapped are left out, and the turns go on if that broke a floor (FLOOR_RETRIES times at
 * most). Returns true when the run was stopped on the way.
 */
async function sampleTurns(
  all: readonly Unit[],
  runners: readonly Sampled[],
  budget: VisitBudget,
  random: () => number,
): Promise<boolean> {
  const clock = phaseClock(budget);
  let turn = 0;
  for (let retry = 0; retry <= FLOOR_RETRIES; retry++) {
    for (; ; turn++) {
      if (budget.shouldStop()) return true;
      // While the visit has time, every (case, kind) under its cap takes a turn; after it, only
      // those still under their floor share (so the top-up costs what is missing, no more).
      const timeLeft = clock.elapsedMs() < budget.samplingMs;
      const bound = (r: Sampled, k: SampleKind): number =>
        timeLeft ? Math.max(budget.cap(r, k), budget.floor(r, k)) : budget.floor(r, k);
      const open = all.filter((u) => needs(u, bound, budget.round));
      if (open.length === 0) break;
      await clock.hold();
      for (const u of shuffled(open, random)) {
        for (let i = 0; i < (budget.settle ?? 0); i++) await u.runner.warm(u.kind);
        await u.runner.sample(u.kind, budget.round, turn);
      }
    }
    // Leave out the samples a garbage collection overlapped; make up the floor if they broke it.
    await turnOfLoop();
    for (const r of runners) r.markCollected();
    if (!all.some((u) => needs(u, budget.floor, budget.round))) break;
  }
  return false;
}

/**
 * One visit of a group: the runners are open on the group's buffers. Warm-up, then interleaved
 * samples until the visit's time is spent and every case has its floor share, or every case is
 * at its cap, or the run is stopped. Runners that fail drop out; the others go on. Returns the
 * visit's state: the median of the state probe's round trips before and after it (ns), undefined
 * without a probe.
 */
export async function visit(
  runners: readonly Sampled[],
  budget: VisitBudget,
  random: () => number,
): Promise<number | undefined> {
  // Every (case, kind) of the visit; a case that fails on the way is skipped from then on.
  const all: Unit[] = runners
    .filter((r) => r.active)
    .flatMap((runner) => runner.kinds.map((kind) => ({ runner, kind })));
  // The state probe: STATE_PROBES round trips before the warm-up and as many after the samples.
  const probed: number[] = [];
  await probeState(budget, probed);
  await warmUp(runners, budget, random);
  const stopped = await sampleTurns(all, runners, budget, random);
  if (!stopped) await probeState(budget, probed);
  return probed.length === 0 ? undefined : median(probed);
}
