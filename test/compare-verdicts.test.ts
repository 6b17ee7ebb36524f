/**
 * `compare A B` gives the right verdict, by the rule of src/report/compare.ts (log ratio of the
 * centres, its standard error from each run's between-round spread, Welch t interval, minimum
 * effect 5%), on hand-made figures with known answers: clearly faster, clearly slower, identical,
 * a small real shift (unclear or same), a shift hidden in noise, runs without round statistics
 * (unclear, never faster/slower), a case under the sample floor (not comparable), cases in one run
 * only or failed in one. The runs are small summary.csv files written here; no GPU needed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { compareRuns, judge, summarizeComparison } from '../src/report/compare.ts';
import { readRun } from '../src/report/read-run.ts';
import { runCli } from './support/cli.ts';

/** 5 rounds with a between-round spread of 2% (ln units): a well-measured case. */
const tight = (centre: number) => ({ centre, spread: 0.02, rounds: 5 });

describe('verdict rule (judge)', () => {
  // Both runs R = 5, s = 0.02: se = 0.02·√(2/5) = 0.012649, df = 8, t₀.₉₇₅ = 2.306004,
  // t₀.₉₅ = 1.859548; δ = ln 1.05 = 0.048790.
  it('slower and faster beyond the minimum effect, with the 95% interval of B/A', () => {
    const slower = judge(tight(10), tight(15));
    expect(slower.verdict).toBe('slower');
    expect(slower.ratio).toBeCloseTo(1.5, 12);
    // 1.5·exp(∓2.306004·0.012649), checked with scipy.stats.t.
    expect(slower.lo95).toBeCloseTo(1.456879, 5);
    expect(slower.hi95).toBeCloseTo(1.544398, 5);
    expect(judge(tight(10), tight(5)).verdict).toBe('faster');
    // 6%: beyond δ, and the interval (1.029…1.092) excludes 1.
    expect(judge(tight(10), tight(10.6)).verdict).toBe('slower');
    expect(judge(tight(10.6), tight(10)).verdict).toBe('faster');
  });

  it('same when the 90% interval lies within ±5% (TOST), even for a real but small shift', () => {
    const same = judge(tight(10), tight(10));
    expect(same.verdict).toBe('same');
    expect(same.lo95).toBeCloseTo(Math.exp(-2.306004 * 0.012649), 5);
    // 4% measured very precisely (s = 0.005): real, but inside the minimum effect.
    const precise = (centre: number) => ({ centre, spread: 0.005, rounds: 5 });
    expect(judge(precise(10), precise(10.4)).verdict).toBe('same');
  });

  it('unclear for a shift below the minimum effect whose interval reaches past it', () => {
    // 3%: d = 0.029559 < δ, but d + 1.859548·0.012649 = 0.053081 > δ.
    expect(judge(tight(10), tight(10.3)).verdict).toBe('unclear');
  });

  it('unclear when a shift beyond the minimum effect is hidden in between-round noise', () => {
    const noisy = (centre: number) => ({ centre, spread: 0.1, rounds: 5 });
    const j = judge(noisy(10), noisy(11));
    expect(j.verdict).toBe('unclear');
    expect(j.lo95).toBeLessThan(1);
    expect(j.hi95).toBeGreaterThan(1);
  });

  it('Welch–Satterthwaite degrees of freedom for unequal spreads and rounds', () => {
    // A: R 5, s 0.02; B: R 3, s 0.05 → se 0.030221, df 2.391412, t₀.₉₇₅ 3.693503 (scipy).
    const j = judge(
      { centre: 10, spread: 0.02, rounds: 5 },
      { centre: 12, spread: 0.05, rounds: 3 },
    );
    expect(j.lo95).toBeCloseTo(1.073258, 5);
    expect(j.hi95).toBeCloseTo(1.341709, 5);
    expect(j.verdict).toBe('slower');
  });

  it('the minimum effect is an option', () => {
    // 6% is beyond 5% but, measured this well, equivalent within 10%.
    expect(judge(tight(10), tight(10.6), 0.1).verdict).toBe('same');
    expect(judge(tight(10), tight(10.3), 0.02).verdict).toBe('slower');
  });

  it('no spread at all: the interval is the point itself', () => {
    const exact = (centre: number) => ({ centre, spread: 0, rounds: 5 });
    expect(judge(exact(10), exact(11))).toMatchObject({ verdict: 'slower', lo95: 1.1, hi95: 1.1 });
    expect(judge(exact(10), exact(10.2)).verdict).toBe('same');
  });

  it('without round statistics in either run: unclear with a note, never faster/slower', () => {
    const old = { centre: 10, spread: null, rounds: null };
    const j = judge(old, tight(20));
    expect(j).toMatchObject({ verdict: 'unclear', lo95: null, hi95: null });
    expect(j.note).toMatch(/^no between-round spread in A/);
    expect(judge(tight(10), { centre: 5, spread: null, rounds: 1 }).note).toMatch(
      /no between-round spread in B/,
    );
    expect(judge(old, old).note).toMatch(/no between-round spread in A and B/);
  });
});

/** [strategy, elements, status, wall, GPU busy, rounds, wall spread, GPU spread, enoughSamples] */
type Case = [string, number, string, number, number, number | '', number | '', number | '', string];

const HEADER =
  'workload,strategy,elements,kernels,intensity,workgroupSize,status,reason,wallUsPerKernel,wallUsPerKernelP10,wallUsPerKernelP90,gpuBusyUsPerKernel,rounds,gpuRounds,wallRoundSpread,gpuBusyRoundSpread,enoughSamples';

const root = mkdtempSync(join(tmpdir(), 'launchbench-compare-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function writeRun(name: string, cases: readonly Case[]): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const lines = cases.map(
    ([strategy, elements, status, wall, busy, rounds, sWall, sBusy, enough]) =>
      `map,${strategy},${elements},100,0,64,${status},${status === 'ok' ? '' : 'spin bound hit'},${wall},${wall * 0.9},${wall * 1.1},${busy},${rounds},${rounds},${sWall},${sBusy},${enough}`,
  );
  writeFileSync(join(dir, 'summary.csv'), `${[HEADER, ...lines].join('\n')}\n`);
  return dir;
}

// A: the reference. B: dispatch-each clearly faster (GPU busy the same), submit-wait clearly
// slower, fused identical, pass-each 10% slower but noisy (unclear), dispatch-each at 4096
// elements twice as slow but A has no rounds (a run made before them: unclear), submit-each under
// the sample floor in B, prerecorded failed in B, indirect only in A, persistent only in B.
const A = writeRun('a', [
  ['dispatch-each', 64, 'ok', 10, 5, 5, 0.02, 0.01, 'true'],
  ['submit-wait', 64, 'ok', 40, 2, 5, 0.02, 0.01, 'true'],
  ['fused', 64, 'ok', 1, 0.8, 5, 0.02, 0.01, 'true'],
  ['pass-each', 64, 'ok', 10, 5, 5, 0.08, 0.01, 'true'],
  ['dispatch-each', 4096, 'ok', 10, 5, '', '', '', ''],
  ['submit-each', 64, 'ok', 10, 5, 5, 0.02, 0.01, 'true'],
  ['prerecorded', 64, 'ok', 3, 2, 5, 0.02, 0.01, 'true'],
  ['indirect', 64, 'ok', 30, 3, 5, 0.02, 0.01, 'true'],
]);
const B = writeRun('b', [
  ['dispatch-each', 64, 'ok', 5, 5, 5, 0.02, 0.01, 'true'],
  ['submit-wait', 64, 'ok', 60, 2, 5, 0.03, 0.01, 'true'],
  ['fused', 64, 'ok', 1, 0.8, 5, 0.02, 0.01, 'true'],
  ['pass-each', 64, 'ok', 11, 5, 5, 0.08, 0.01, 'true'],
  ['dispatch-each', 4096, 'ok', 20, 5, 5, 0.02, 0.01, 'true'],
  ['submit-each', 64, 'ok', 20, 5, 5, 0.02, 0.01, 'false'],
  ['prerecorded', 64, 'failed', 0, 0, '', '', '', 'false'],
  ['persistent', 64, 'ok', 0.5, 0.4, 5, 0.02, 0.01, 'true'],
]);

describe('compareRuns on two fixture runs', () => {
  const rows = compareRuns(readRun(A), readRun(B));
  const row = (strategy: string, elements = 64) =>
    rows.find((r) => r.strategy === strategy && r.elements === elements);

  it('clearly faster: B/A 0.5, verdict faster, with its interval', () => {
    expect(row('dispatch-each')?.wallRatio).toBeCloseTo(0.5, 6);
    expect(row('dispatch-each')?.wallVerdict).toBe('faster');
    expect(row('dispatch-each')?.wallRatioHi95).toBeLessThan(0.52);
    expect(row('dispatch-each')?.gpuBusyVerdict).toBe('same');
    expect(row('dispatch-each')?.gpuBusyRatioLo95).toBeCloseTo(Math.exp(-2.306004 * 0.006325), 5);
  });

  it('clearly slower: B/A 1.5, verdict slower', () => {
    expect(row('submit-wait')?.wallRatio).toBeCloseTo(1.5, 6);
    expect(row('submit-wait')?.wallVerdict).toBe('slower');
  });

  it('identical: B/A 1, verdict same', () => {
    expect(row('fused')?.wallRatio).toBe(1);
    expect(row('fused')?.wallVerdict).toBe('same');
    expect(row('fused')?.gpuBusyVerdict).toBe('same');
  });

  it('10% slower in noisy rounds: unclear', () => {
    expect(row('pass-each')?.wallRatio).toBeCloseTo(1.1, 6);
    expect(row('pass-each')?.wallVerdict).toBe('unclear');
  });

  it('a run without rounds: twice as slow, yet unclear, with the reason in the note', () => {
    const r = row('dispatch-each', 4096);
    expect(r?.status).toBe('compared');
    expect(r?.wallRatio).toBe(2);
    expect(r?.wallVerdict).toBe('unclear');
    expect(r?.gpuBusyVerdict).toBe('unclear');
    expect(r?.wallRatioLo95).toBeNull();
    expect(r?.note).toMatch(/^wall and GPU busy unclear: no between-round spread in A/);
  });

  it('a case under the sample floor gets no verdict', () => {
    expect(row('submit-each')?.status).toBe('not-comparable');
    expect(row('submit-each')?.wallVerdict).toBeNull();
    expect(row('submit-each')?.note).toBe('insufficient samples in B');
  });

  it('a case that failed in one run is listed as not comparable, with the reason', () => {
    expect(row('prerecorded')?.status).toBe('not-comparable');
    expect(row('prerecorded')?.wallVerdict).toBeNull();
    expect(row('prerecorded')?.note).toMatch(/^B failed: spin bound hit/);
  });

  it('cases in one run only are listed as such', () => {
    expect(row('indirect')?.status).toBe('only-in-a');
    expect(row('persistent')?.status).toBe('only-in-b');
    const summary = summarizeComparison(rows);
    expect(summary.verdicts).toEqual({ faster: 1, slower: 1, same: 1, unclear: 2 });
    expect([summary.onlyInA, summary.onlyInB, summary.notComparable]).toEqual([1, 1, 2]);
  });
});

describe('launchbench compare A B --out', () => {
  it('prints the table and writes the verdicts and intervals as CSV', async () => {
    const out = join(root, 'out', 'compare.csv');
    const result = await runCli(['compare', A, B, '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/dispatch-each .* 0\.500 +0\.48\d–0\.51\d +[<\d.]+ +faster/);
    expect(result.stdout).toMatch(/submit-wait .* slower/);
    expect(result.stdout).toMatch(/only in B +map/);
    expect(result.stdout).toMatch(/more than 5%/);
    const csv = parse<Record<string, string>>(readFileSync(out, 'utf8'), { columns: true });
    const verdicts = Object.fromEntries(
      csv.map((r) => [`${r['strategy']}/${r['elements']}`, r['wallVerdict'] ?? ''] as const),
    );
    expect(verdicts).toEqual({
      'dispatch-each/64': 'faster',
      'submit-wait/64': 'slower',
      'fused/64': 'same',
      'pass-each/64': 'unclear',
      'dispatch-each/4096': 'unclear',
      'submit-each/64': '',
      'prerecorded/64': '',
      'indirect/64': '',
      'persistent/64': '',
    });
    const fused = csv.find((r) => r['strategy'] === 'fused');
    expect(Number(fused?.['wallRatioLo95'])).toBeCloseTo(0.97125, 4);
    expect(Number(fused?.['wallRatioHi95'])).toBeCloseTo(1.0296, 4);
  });

  it('--min-effect changes the threshold', async () => {
    const result = await runCli(['compare', A, B, '--min-effect', '60%']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/submit-wait .* same/);
    expect(result.stdout).toMatch(/more than 60%/);
  });
});
