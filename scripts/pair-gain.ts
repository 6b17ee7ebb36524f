/**
 * Whether two sides' rounds share their machine's state (issue 19; docs/findings.md, "visits
 * against processes on an H100"): per A/B folder, per case, the rounds both sides measured with
 * the same round number, each side's ln round medians centred on the case's mean; pooled over the
 * cases, the correlation of A's and B's, and the variance of the paired differences over the sum of
 * the two sides' variances (1: pairing gains nothing; 0.5: it halves the variance), pooled and the
 * median over cases; and each side's median sd of ln round median.
 *   npx tsx scripts/pair-gain.ts PAIR...     (folders with a/rounds.csv and b/rounds.csv)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';

type Series = Map<string, Map<number, number>>;
const args = process.argv.slice(2);
if (args.length === 0 || args.includes('--help')) {
  console.error(
    'usage: npx tsx scripts/pair-gain.ts PAIR...   (folders with a/rounds.csv and b/rounds.csv)',
  );
  process.exit(args.length === 0 ? 2 : 0);
}
const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
const median = (v: readonly number[]): number =>
  [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;
function side(dir: string): Series {
  const rows = parse<Record<string, string>>(readFileSync(join(dir, 'rounds.csv'), 'utf8'), {
    columns: true,
  });
  const out: Series = new Map();
  for (const r of rows) {
    const x = Number(r.wallUsPerKernel);
    if (!(x > 0)) continue;
    const key = [r.workload, r.strategy, r.elements, r.kernels, r.intensity, r.workgroupSize].join(
      ',',
    );
    (out.get(key) ?? out.set(key, new Map()).get(key)!).set(Number(r.round), Math.log(x));
  }
  return out;
}
for (const dir of args) {
  if (!existsSync(join(dir, 'a', 'rounds.csv')) || !existsSync(join(dir, 'b', 'rounds.csv'))) {
    console.error(`pair-gain.ts: ${dir}: no a/rounds.csv and b/rounds.csv (skipped)`);
    continue;
  }
  const [a, b] = [side(join(dir, 'a')), side(join(dir, 'b'))];
  let sab = 0,
    saa = 0,
    sbb = 0,
    sdd = 0,
    cases = 0;
  const ratios: number[] = [];
  for (const [key, ra] of a) {
    const rb = b.get(key);
    const rounds = [...ra.keys()].filter((r) => rb?.has(r));
    if (rb === undefined || rounds.length < 3) continue;
    const xa = rounds.map((r) => ra.get(r)!);
    const xb = rounds.map((r) => rb.get(r)!);
    const ca = xa.map((x) => x - mean(xa));
    const cb = xb.map((x) => x - mean(xb));
    const [ab, aa, bb] = [
      ca.reduce((s, x, i) => s + x * cb[i]!, 0),
      ca.reduce((s, x) => s + x * x, 0),
      cb.reduce((s, x) => s + x * x, 0),
    ];
    const dd = ca.reduce((s, x, i) => s + (cb[i]! - x) ** 2, 0);
    [sab, saa, sbb, sdd, cases] = [sab + ab, saa + aa, sbb + bb, sdd + dd, cases + 1];
    if (aa + bb > 0) ratios.push(dd / (aa + bb));
  }
  const sd = (s: Series): number =>
    median(
      [...s.values()]
        .map((m) => [...m.values()])
        .filter((v) => v.length >= 3)
        .map((v) => Math.sqrt(v.reduce((t, x) => t + (x - mean(v)) ** 2, 0) / (v.length - 1))),
    );
  console.log(
    `${dir}: ${cases} cases; corr(ln A_r, ln B_r) ${(sab / Math.sqrt(saa * sbb)).toFixed(3)}; ` +
      `var(B_r − A_r) / (var A + var B) ${(sdd / (saa + sbb)).toFixed(3)} pooled, ${median(ratios).toFixed(3)} median; ` +
      `sd of ln round median (median over cases) a ${sd(a).toFixed(3)}, b ${sd(b).toFixed(3)}`,
  );
}
