/**
 * How well two runs of the same plan agree (the reproducibility check of issue 10), from their
 * summary.csv files alone:
 *   - wall within 5%: cases whose wallUsPerKernel differs by at most 5% between the runs;
 *   - ratio within 5%: cases whose ratio to `dispatch-each` (same parameters, same run) differs
 *     by at most 5% between the runs;
 *   - covered: cases whose run-B figure lies inside run A's 95% repeat interval (and the other way),
 *     and the median half-width of A's intervals (how wide they are to cover);
 *   - under the floor: cases with enoughSamples = false in either run;
 *   - per round: for each run and round, the geometric mean over cases of the round's median wall
 *     time over run A's figure for the case (from samples.csv): when a run drifted, and by how
 *     much, as its rounds stray from 1;
 *   - ratio scatter: within each run, how far a case's ratio to `dispatch-each` moves between
 *     rounds (the standard deviation of its log over the rounds);
 *   - paired ratio within 5%: the same as "ratio within 5%", with each run's ratio from the two
 *     cases' samples paired turn by turn (src/stats/paired.ts, from samples.csv) instead of the
 *     ratio of their figures: what the speed-up columns state from this version on;
 *   - expected: how often that should happen by the runs' own rounds (each case's between-round
 *     scatter from its paired interval), and how many rounds would bring it to 80% at the same
 *     scatter per round (src/stats/paired.ts, expectedAgreement).
 * Only cases ok in both runs count. Usage: npx tsx scripts/repro-check.ts RUN_A RUN_B [--json]
 */
import { parse } from 'csv-parse/sync';
import {
  expectedAgreement,
  pairedRatio,
  roundScatter,
  roundsForAgreement,
  type AgreementCase,
  type PairedRatio,
  type PairSample,
} from '../src/stats/paired.ts';
import { quantileSorted } from '../src/stats/stats.ts';
import { caseKey, readRun, samplesText, type SummaryRow } from '../src/report/read-run.ts';
import { groupKey } from '../src/report/select.ts';

const [dirA, dirB] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (dirA === undefined || dirB === undefined) {
  process.stderr.write('usage: npx tsx scripts/repro-check.ts RUN_A RUN_B [--json]\n');
  process.exit(2);
}
const a = readRun(dirA);
const b = readRun(dirB);
const inB = new Map(b.summary.map((r) => [caseKey(r), r]));

const baseline = (run: SummaryRow[], r: SummaryRow): SummaryRow | undefined =>
  run.find((x) => groupKey(x) === groupKey(r) && x.strategy === 'dispatch-each');

type Metric = 'wallUsPerKernel' | 'gpuBusyUsPerKernel';
const within = (x: number, y: number, tolerance: number): boolean =>
  Math.abs(y / x - 1) <= tolerance;

interface Tally {
  n: number;
  within5: number;
  ratioN: number;
  ratioWithin5: number;
  coveredN: number;
  covered: number;
  coveredBack: number;
  /** Median over A's cases of its 95% interval's half-width, relative (hi95 / figure − 1). */
  medianHalfWidth: number;
  worst: { key: string; change: number }[];
}

function tally(metric: Metric, lo: 'wallUsPerKernelLo95' | 'gpuBusyUsPerKernelLo95'): Tally {
  const hi = lo.replace('Lo95', 'Hi95') as 'wallUsPerKernelHi95' | 'gpuBusyUsPerKernelHi95';
  const t: Tally = {
    n: 0,
    within5: 0,
    ratioN: 0,
    ratioWithin5: 0,
    coveredN: 0,
    covered: 0,
    coveredBack: 0,
    medianHalfWidth: NaN,
    worst: [],
  };
  const halfWidths: number[] = [];
  for (const ra of a.summary) {
    const rb = inB.get(caseKey(ra));
    if (rb === undefined || ra.status !== 'ok' || rb.status !== 'ok') continue;
    if (ra.enoughSamples === false || rb.enoughSamples === false) continue;
    const va = ra[metric];
    const vb = rb[metric];
    if (va === null || vb === null) continue;
    t.n++;
    if (within(va, vb, 0.05)) t.within5++;
    t.worst.push({ key: caseKey(ra), change: vb / va - 1 });
    const la = ra[lo];
    const ha = ra[hi];
    const lb = rb[lo];
    const hb = rb[hi];
    if (ha !== null) halfWidths.push(ha / va - 1);
    if (la !== null && ha !== null && lb !== null && hb !== null) {
      t.coveredN++;
      if (vb >= la && vb <= ha) t.covered++;
      if (va >= lb && va <= hb) t.coveredBack++;
    }
    const ba = baseline(a.summary, ra)?.[metric];
    const bb = baseline(b.summary, rb)?.[metric];
    if (ra.strategy !== 'dispatch-each' && ba != null && bb != null) {
      t.ratioN++;
      if (within(va / ba, vb / bb, 0.05)) t.ratioWithin5++;
    }
  }
  t.medianHalfWidth = quantileSorted(
    halfWidths.sort((x, y) => x - y),
    0.5,
  );
  t.worst.sort((x, y) => Math.abs(y.change) - Math.abs(x.change));
  t.worst = t.worst.slice(0, 8);
  return t;
}

/** A run's samples.csv, or samples.csv.gz where a published run keeps it compressed. */
const samplesOf = (dir: string): Record<string, string>[] => {
  const text = samplesText(dir);
  if (text === undefined) throw new Error(`${dir}: no samples.csv or samples.csv.gz`);
  return parse(text, { columns: true });
};
const samplesA = samplesOf(dirA);
const samplesB = samplesOf(dirB);

/** caseId → round → median wall ns, over the valid wall samples of a run's samples.csv. */
function roundMedians(rows: readonly Record<string, string>[]): Map<string, Map<number, number>> {
  const walls = new Map<string, Map<number, number[]>>();
  for (const r of rows) {
    if (r['kind'] !== 'wall' || r['gc'] === 'true') continue;
    const byRound = walls.get(r['caseId'] ?? '') ?? new Map<number, number[]>();
    walls.set(r['caseId'] ?? '', byRound);
    const round = Number(r['round']);
    byRound.set(round, [...(byRound.get(round) ?? []), Number(r['wallNs'])]);
  }
  const out = new Map<string, Map<number, number>>();
  for (const [id, byRound] of walls) {
    const medians = new Map<number, number>();
    for (const [round, values] of byRound)
      medians.set(
        round,
        quantileSorted(
          values.sort((x, y) => x - y),
          0.5,
        ),
      );
    out.set(id, medians);
  }
  return out;
}

const geomean = (values: readonly number[]): number =>
  Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length);
const medA = roundMedians(samplesA);
const medB = roundMedians(samplesB);
const figureA = new Map([...medA].map(([id, m]) => [id, geomean([...m.values()])]));
const perRound = (run: Map<string, Map<number, number>>): number[] => {
  const rounds = Math.max(0, ...[...run.values()].flatMap((m) => [...m.keys()])) + 1;
  return Array.from({ length: rounds }, (_, round) =>
    geomean(
      [...run].flatMap(([id, m]) => {
        const v = m.get(round);
        const ref = figureA.get(id);
        return v === undefined || ref === undefined || !medB.has(id) ? [] : [v / ref];
      }),
    ),
  );
};
const rounds = { a: perRound(medA), b: perRound(medB) };

/**
 * Within run A: for each case, the standard deviation over rounds of ln(its round median / the
 * same round's `dispatch-each` median): how steady a strategy ratio is inside one run.
 */
function ratioScatter(run: Map<string, Map<number, number>>): { median: number; p90: number } {
  const spreads: number[] = [];
  for (const [id, m] of run) {
    const parts = id.split('/');
    if (parts[5] === 'dispatch-each') continue;
    const base = run.get([...parts.slice(0, 5), 'dispatch-each'].join('/'));
    if (base === undefined) continue;
    const logs = [...m].flatMap(([round, v]) => {
      const b = base.get(round);
      return b === undefined ? [] : [Math.log(v / b)];
    });
    if (logs.length < 2) continue;
    const mean = logs.reduce((sum, v) => sum + v, 0) / logs.length;
    spreads.push(Math.sqrt(logs.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (logs.length - 1)));
  }
  spreads.sort((x, y) => x - y);
  return { median: quantileSorted(spreads, 0.5), p90: quantileSorted(spreads, 0.9) };
}
const scatter = { a: ratioScatter(medA), b: ratioScatter(medB) };

/** caseId → its wall (and GPU busy) samples, for pairing. */
function pairSamples(rows: readonly Record<string, string>[]): Map<string, PairSample[]> {
  const out = new Map<string, PairSample[]>();
  for (const r of rows) {
    const id = r['caseId'] ?? '';
    const kind = r['kind'] === 'gpu' ? 'gpu' : 'wall';
    const column = kind === 'gpu' ? 'gpuBusyNs' : 'wallNs';
    const value = r[column] === undefined || r[column] === '' ? null : Number(r[column]);
    const list = out.get(id) ?? [];
    const turn = r['turn'] === undefined || r['turn'] === '' ? null : Number(r['turn']);
    list.push({ round: Number(r['round']), turn, kind, gc: r['gc'] === 'true', value });
    out.set(id, list);
  }
  return out;
}

interface PairedTally {
  n: number;
  within5: number;
  /** Share of the cases expected within 5% by the runs' own rounds (NaN without intervals). */
  expected5: number;
  /** The runs' typical rounds per case, and the rounds at which 80% would be expected (null: past 64). */
  rounds: number;
  roundsFor80: number | null;
}

/** Of the cases in both runs, how many have a paired ratio to `dispatch-each` within 5% of the other run's. */
function pairedTally(kind: 'wall' | 'gpu'): PairedTally {
  const runA = pairSamples(samplesA);
  const runB = pairSamples(samplesB);
  const ratio = (run: Map<string, PairSample[]>, id: string): PairedRatio | undefined => {
    const parts = id.split('/');
    const base = run.get([...parts.slice(0, 5), 'dispatch-each'].join('/'));
    const own = run.get(id);
    if (base === undefined || own === undefined) return undefined;
    return pairedRatio(own, base, kind) ?? undefined;
  };
  // Only cases ok in both runs and on the floor count, as in tally().
  const ok = (rows: readonly SummaryRow[]): Set<string> =>
    new Set(
      rows
        .filter((r) => r.status === 'ok' && r.enoughSamples !== false)
        .map(
          (r) =>
            `${r.workload}/e${r.elements}/k${r.kernels}/i${r.intensity}/wg${r.workgroupSize}/${r.strategy}`,
        ),
    );
  const okA = ok(a.summary);
  const okB = ok(b.summary);
  let n = 0;
  let within5 = 0;
  const cases: AgreementCase[] = [];
  for (const id of runA.keys()) {
    if (id.split('/')[5] === 'dispatch-each' || !okA.has(id) || !okB.has(id)) continue;
    const ra = ratio(runA, id);
    const rb = ratio(runB, id);
    if (ra === undefined || rb === undefined) continue;
    n++;
    if (within(ra.ratio, rb.ratio, 0.05)) within5++;
    const scatterA = roundScatter(ra);
    const scatterB = roundScatter(rb);
    if (scatterA !== undefined && scatterB !== undefined)
      cases.push({ scatterA, roundsA: ra.rounds, scatterB, roundsB: rb.rounds });
  }
  const rounds = cases.flatMap((c) => [c.roundsA, c.roundsB]).sort((x, y) => x - y);
  return {
    n,
    within5,
    expected5: expectedAgreement(cases, 0.05),
    rounds: Math.round(quantileSorted(rounds, 0.5)),
    roundsFor80: cases.length === 0 ? null : roundsForAgreement(cases, 0.05, 0.8),
  };
}
const paired = { wall: pairedTally('wall'), busy: pairedTally('gpu') };

const underFloor = [...a.summary, ...b.summary].filter(
  (r) => r.status === 'ok' && r.enoughSamples === false,
).length;
const wall = tally('wallUsPerKernel', 'wallUsPerKernelLo95');
const busy = tally('gpuBusyUsPerKernel', 'gpuBusyUsPerKernelLo95');
const pct = (x: number, n: number): string => (n === 0 ? '-' : `${((100 * x) / n).toFixed(1)}%`);

if (process.argv.includes('--json')) {
  process.stdout.write(
    `${JSON.stringify({ a: dirA, b: dirB, underFloor, wall, busy, paired, rounds, scatter }, null, 2)}\n`,
  );
} else {
  const lines = [
    `A: ${dirA}`,
    `B: ${dirB}`,
    `cases under the sample floor (A and B): ${underFloor}`,
  ];
  for (const [name, t, p] of [
    ['wall', wall, paired.wall],
    ['GPU busy', busy, paired.busy],
  ] as const) {
    const for80 =
      p.expected5 >= 0.8
        ? 'already over 80%'
        : `80% at ${p.roundsFor80 === null ? 'more than 64' : p.roundsFor80} rounds a run with the same scatter per round`;
    const expected = Number.isNaN(p.expected5)
      ? ''
      : `; ${pct(p.expected5, 1)} expected by the runs' own rounds at ${p.rounds} rounds, ${for80}`;
    lines.push(
      `${name}: ${t.n} cases; within 5%: ${pct(t.within5, t.n)}; ratio to dispatch-each within 5%: ${pct(t.ratioWithin5, t.ratioN)} of ${t.ratioN} (paired turn by turn: ${pct(p.within5, p.n)} of ${p.n}${expected}); B inside A's 95% interval: ${pct(t.covered, t.coveredN)}, A inside B's: ${pct(t.coveredBack, t.coveredN)} of ${t.coveredN}; A's interval typically ±${(100 * t.medianHalfWidth).toFixed(1)}% (median half-width)`,
      `  largest changes: ${t.worst.map((w) => `${w.key} ${(w.change * 100).toFixed(1)}%`).join('; ')}`,
    );
  }
  const fmt = (values: number[]): string => values.map((v) => v.toFixed(3)).join(' ');
  lines.push(
    `per round, geometric mean over cases of the round's median wall / A's figure: A ${fmt(rounds.a)}; B ${fmt(rounds.b)}`,
  );
  const pc = (x: number): string => `${(100 * x).toFixed(1)}%`;
  lines.push(
    `within each run, the between-round scatter of a case's wall ratio to dispatch-each (sd of its log): A median ${pc(scatter.a.median)}, p90 ${pc(scatter.a.p90)}; B median ${pc(scatter.b.median)}, p90 ${pc(scatter.b.p90)}`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}
