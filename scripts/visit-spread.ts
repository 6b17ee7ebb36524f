/**
 * What a case's spread between visits is made of, in stored runs (issue 19; docs/findings.md,
 * "What a visit's spread is made of"). Per run folder, the median over cases of:
 *   rounds   the sd of ln(round median) over the run's rounds (rounds.csv), and what is left of it
 *            after a line on the ln state of each visit (the state probe's fit, per case);
 *   halves   from samples.csv (wall samples): each visit's samples split into their first and
 *            second halves in time, rms(ln median₁ − ln median₂)/2, about the sd that the samples'
 *            own noise gives a visit's median; and the sd of the visits' ln medians themselves.
 * The part of the spread that holds through a visit and changes between visits is
 * √(visits² − halves²): what pairing two runs visit by visit (`ab --interleave visits`) can cancel
 * where both runs see it.
 *   npx tsx scripts/visit-spread.ts RUN...
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';

type Row = Record<string, string>;
const median = (v: readonly number[]): number => {
  const s = [...v].sort((x, y) => x - y);
  const n = s.length;
  return n === 0
    ? NaN
    : n % 2 === 1
      ? (s[(n - 1) / 2] as number)
      : ((s[n / 2 - 1] as number) + (s[n / 2] as number)) / 2;
};
const sd = (v: readonly number[]): number => {
  const m = v.reduce((x, y) => x + y, 0) / v.length;
  return Math.sqrt(v.reduce((x, y) => x + (y - m) ** 2, 0) / (v.length - 1));
};

function csvOf(dir: string, name: string): Row[] {
  const plain = join(dir, name);
  if (existsSync(plain)) return parse(readFileSync(plain, 'utf8'), { columns: true });
  if (existsSync(`${plain}.gz`))
    return parse(gunzipSync(readFileSync(`${plain}.gz`)).toString(), { columns: true });
  return [];
}

/** Per case with 5 rounds or more: the raw sd of ln round medians, and its residual on ln state. */
function roundSpreads(dir: string): { raw: number[]; fitted: number[] } {
  const byCase = new Map<string, [number, number][]>();
  for (const r of csvOf(dir, 'rounds.csv')) {
    const state = Number(r['stateUs']);
    const wall = Number(r['wallUsPerKernel']);
    if (!(state > 0 && wall > 0)) continue;
    const key = ['workload', 'strategy', 'elements', 'kernels', 'intensity', 'workgroupSize']
      .map((c) => r[c])
      .join('/');
    byCase.set(key, [...(byCase.get(key) ?? []), [Math.log(state), Math.log(wall)]]);
  }
  const raw: number[] = [];
  const fitted: number[] = [];
  for (const points of byCase.values()) {
    const n = points.length;
    if (n < 5) continue;
    const mx = points.reduce((a, p) => a + p[0], 0) / n;
    const my = points.reduce((a, p) => a + p[1], 0) / n;
    const sxx = points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
    const sxy = points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
    const slope = sxx > 0 ? sxy / sxx : 0;
    raw.push(sd(points.map((p) => p[1])));
    const residual = points.reduce((a, p) => a + (p[1] - my - slope * (p[0] - mx)) ** 2, 0);
    fitted.push(Math.sqrt(residual / (n - 2)));
  }
  return { raw, fitted };
}

/** Per case with 3 visits of 6 wall samples or more: halves' noise and the visits' own spread. */
function visitSpreads(dir: string): { halves: number[]; visits: number[]; samples: number[] } {
  const byVisit = new Map<string, [number, number][]>();
  for (const s of csvOf(dir, 'samples.csv')) {
    if (s['kind'] !== 'wall') continue;
    const key = `${s['caseId']}#${s['round']}`;
    byVisit.set(key, [
      ...(byVisit.get(key) ?? []),
      [Number(s['atMs']), Math.log(Number(s['wallNs']))],
    ]);
  }
  const byCase = new Map<string, { d: number[]; medians: number[]; n: number[] }>();
  for (const [key, samples] of byVisit) {
    if (samples.length < 6) continue;
    samples.sort((x, y) => x[0] - y[0]);
    const half = Math.floor(samples.length / 2);
    const first = median(samples.slice(0, half).map((s) => s[1]));
    const second = median(samples.slice(samples.length - half).map((s) => s[1]));
    const c = key.slice(0, key.lastIndexOf('#'));
    const t = byCase.get(c) ?? { d: [], medians: [], n: [] };
    t.d.push(first - second);
    t.medians.push(median(samples.map((s) => s[1])));
    t.n.push(samples.length);
    byCase.set(c, t);
  }
  const out = { halves: [] as number[], visits: [] as number[], samples: [] as number[] };
  for (const t of byCase.values()) {
    if (t.medians.length < 3) continue;
    out.halves.push(Math.sqrt(t.d.reduce((a, d) => a + d * d, 0) / t.d.length) / 2);
    out.visits.push(sd(t.medians));
    out.samples.push(median(t.n));
  }
  return out;
}

const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  console.error('usage: npx tsx scripts/visit-spread.ts RUN...');
  process.exit(2);
}
const f = (x: number): string => x.toFixed(3);
for (const dir of dirs) {
  const r = roundSpreads(dir);
  const v = visitSpreads(dir);
  const held = Math.sqrt(Math.max(0, median(v.visits) ** 2 - median(v.halves) ** 2));
  console.log(
    `${dir}: rounds (${r.raw.length} cases): sd of ln round median ${f(median(r.raw))}, after the state fit ${f(median(r.fitted))}; ` +
      `visits (${v.visits.length} cases, ${median(v.samples)} wall samples a visit): halves ${f(median(v.halves))}, visits ${f(median(v.visits))}, held through a visit ${f(held)}`,
  );
}
