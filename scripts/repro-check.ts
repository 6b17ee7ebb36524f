/**
 * How well two runs of the same plan agree (the reproducibility check of issue 10), from their
 * summary.csv files alone:
 *   - wall within 5%: cases whose wallUsPerKernel differs by at most 5% between the runs;
 *   - ratio within 5%: cases whose ratio to `dispatch-each` (same parameters, same run) differs
 *     by at most 5% between the runs;
 *   - covered: cases whose run-B figure lies inside run A's 95% repeat interval (and the other way);
 *   - under the floor: cases with enoughSamples = false in either run.
 * Only cases ok in both runs count. Usage: npx tsx scripts/repro-check.ts RUN_A RUN_B [--json]
 */
import { caseKey, readRun, type SummaryRow } from '../src/report/read-run.ts';
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
    worst: [],
  };
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
  t.worst.sort((x, y) => Math.abs(y.change) - Math.abs(x.change));
  t.worst = t.worst.slice(0, 8);
  return t;
}

const underFloor = [...a.summary, ...b.summary].filter(
  (r) => r.status === 'ok' && r.enoughSamples === false,
).length;
const wall = tally('wallUsPerKernel', 'wallUsPerKernelLo95');
const busy = tally('gpuBusyUsPerKernel', 'gpuBusyUsPerKernelLo95');
const pct = (x: number, n: number): string => (n === 0 ? '-' : `${((100 * x) / n).toFixed(1)}%`);

if (process.argv.includes('--json')) {
  process.stdout.write(
    `${JSON.stringify({ a: dirA, b: dirB, underFloor, wall, busy }, null, 2)}\n`,
  );
} else {
  const lines = [
    `A: ${dirA}`,
    `B: ${dirB}`,
    `cases under the sample floor (A and B): ${underFloor}`,
  ];
  for (const [name, t] of [
    ['wall', wall],
    ['GPU busy', busy],
  ] as const) {
    lines.push(
      `${name}: ${t.n} cases; within 5%: ${pct(t.within5, t.n)}; ratio to dispatch-each within 5%: ${pct(t.ratioWithin5, t.ratioN)} of ${t.ratioN}; B inside A's 95% interval: ${pct(t.covered, t.coveredN)}, A inside B's: ${pct(t.coveredBack, t.coveredN)} of ${t.coveredN}`,
      `  largest changes: ${t.worst.map((w) => `${w.key} ${(w.change * 100).toFixed(1)}%`).join('; ')}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
