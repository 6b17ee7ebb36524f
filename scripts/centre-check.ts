/**
 * How the figures of two identical runs agree under two centres of a case's round medians: their
 * mean in logs (the geometric mean, the figure up to schema 4) and roundCentreLog (schema 5: a
 * wild round pulled in, src/stats/robust.ts), from each pair's rounds.csv alone. Per pair and
 * metric: cases whose centres agree within 5%, and B's centre inside A's 95% interval and A's
 * inside B's (the plain interval, t₀.₉₇₅,R−1 · s · √(2/R) around each centre, s the sd of the logs;
 * no state fit); and cases whose figure's ratio to its group's `dispatch-each` agrees within 5%;
 * cases with at least 3 rounds in both runs. Pooled by GPU (the folder's name).
 *   npx tsx scripts/centre-check.ts PAIR...   (folders with a/ and b/, e.g. results/*-pair)
 */
import { readRun, type RoundCsvRow } from '../src/report/read-run.ts';
import { roundCentreLog } from '../src/stats/robust.ts';
import { studentT } from '../src/stats/stats.ts';

type Metric = 'wallUsPerKernel' | 'gpuBusyUsPerKernel';
type Centre = (logs: readonly number[]) => number;
const CENTRES: [string, Centre][] = [
  ['mean', (l) => l.reduce((s, v) => s + v, 0) / l.length],
  ['roundCentreLog', roundCentreLog],
];

/** case → its rounds' ln medians of `metric`. */
function logsByCase(rows: readonly RoundCsvRow[], metric: Metric): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of rows) {
    const v = r[metric];
    if (v === null || !(v > 0)) continue;
    const key = [r.workload, r.strategy, r.elements, r.kernels, r.intensity, r.workgroupSize].join(
      '|',
    );
    out.set(key, [...(out.get(key) ?? []), Math.log(v)]);
  }
  return out;
}

interface Tally {
  n: number;
  agree: number[];
  covered: number[];
  ratioN: number;
  ratioAgree: number[];
}
const emptyTally = (): Tally => ({
  n: 0,
  agree: CENTRES.map(() => 0),
  covered: CENTRES.map(() => 0),
  ratioN: 0,
  ratioAgree: CENTRES.map(() => 0),
});
/** The key of a case's group's `dispatch-each`. */
const baseKey = (key: string): string => {
  const parts = key.split('|');
  parts[1] = 'dispatch-each';
  return parts.join('|');
};

function tally(a: Map<string, number[]>, b: Map<string, number[]>): Tally {
  const t = emptyTally();
  const usable = (l: readonly number[] | undefined): l is number[] =>
    l !== undefined && l.length >= 3;
  for (const [key, la] of a) {
    const lb = b.get(key);
    if (!usable(la) || !usable(lb)) continue;
    t.n++;
    const [ba, bb] = [a.get(baseKey(key)), b.get(baseKey(key))];
    if (key !== baseKey(key) && usable(ba) && usable(bb)) {
      t.ratioN++;
      CENTRES.forEach(([, centre], i) => {
        const d = centre(lb) - centre(bb) - (centre(la) - centre(ba));
        if (Math.abs(d) <= Math.log(1.05)) (t.ratioAgree[i] as number)++;
      });
    }
    const half = (l: readonly number[]): number => {
      const m = l.reduce((s, v) => s + v, 0) / l.length;
      const sd = Math.sqrt(l.reduce((s, v) => s + (v - m) ** 2, 0) / (l.length - 1));
      return studentT(0.975, l.length - 1) * sd * Math.sqrt(2 / l.length);
    };
    CENTRES.forEach(([, centre], i) => {
      const [ca, cb] = [centre(la), centre(lb)];
      if (Math.abs(cb - ca) <= Math.log(1.05)) (t.agree[i] as number)++;
      // both ways: counted out of 2n
      if (Math.abs(cb - ca) <= half(la)) (t.covered[i] as number)++;
      if (Math.abs(ca - cb) <= half(lb)) (t.covered[i] as number)++;
    });
  }
  return t;
}

const pct = (x: number, n: number): string => (n === 0 ? '-' : `${((100 * x) / n).toFixed(1)}%`);
const text = (t: Tally): string =>
  `${t.n} cases; ${t.agree.map((x) => pct(x, t.n)).join(' / ')} | ${t.covered.map((x) => pct(x, 2 * t.n)).join(' / ')} | ratio ${t.ratioAgree.map((x) => pct(x, t.ratioN)).join(' / ')} of ${t.ratioN}`;
const pooled = new Map<string, Tally>();
const lines: string[] = [
  `centres: ${CENTRES.map(([name]) => name).join(' / ')}; agreement within 5% | inside the other run's 95% interval (both ways) | ratio to dispatch-each within 5%`,
];
for (const dir of process.argv.slice(2)) {
  let a;
  let b;
  try {
    a = readRun(`${dir}/a`);
    b = readRun(`${dir}/b`);
  } catch {
    continue;
  }
  if (a.rounds.length === 0 || b.rounds.length === 0) continue;
  const gpu = /nvidia-h100/.test(dir) ? 'h100' : /nvidia-h200/.test(dir) ? 'h200' : 'other';
  for (const metric of ['wallUsPerKernel', 'gpuBusyUsPerKernel'] as const) {
    const t = tally(logsByCase(a.rounds, metric), logsByCase(b.rounds, metric));
    if (t.n === 0) continue;
    const name = metric === 'wallUsPerKernel' ? 'wall' : 'GPU busy';
    lines.push(`${dir} ${name}: ${text(t)}`);
    const key = `${gpu} ${name}`;
    const p = pooled.get(key) ?? emptyTally();
    p.n += t.n;
    p.ratioN += t.ratioN;
    for (const f of ['agree', 'covered', 'ratioAgree'] as const)
      t[f].forEach((x, i) => ((p[f][i] as number) += x));
    pooled.set(key, p);
  }
}
for (const [key, p] of pooled) lines.push(`pooled ${key}: ${text(p)}`);
process.stdout.write(`${lines.join('\n')}\n`);
