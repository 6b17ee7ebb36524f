/**
 * The compare verdict is calibrated: on simulated runs it rarely cries wolf, finds a real
 * regression, and does not call a shift below the minimum effect a regression (beyond what the
 * noise occasionally pushes over it). No GPU needed; a seeded PRNG makes it deterministic.
 *
 * The model (ln scale), per case and per run: R = 5 rounds; round r has a block effect
 * β_r ~ N(0, 0.03²) (the machine's state during that round: clocks, other tenants, 3% log-normal);
 * each of its 20 samples is base · shift · exp(β_r + ε), ε ~ N(0, 0.05²) (5% within-round noise).
 * The run's centre (the geometric mean of its round medians), round spread and 95% interval come
 * from roundSummary (src/stats/stats.ts), as a run computes them. Runs are written as summary.csv
 * files with the round columns and compared with compareRuns at the default minimum effect (5%).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { quantileSorted, roundSummary } from '../src/stats/stats.ts';
import { compareRuns, summarizeComparison, type Verdict } from '../src/report/compare.ts';
import { readRun } from '../src/report/read-run.ts';
import { normal, prng } from './support/random.ts';

const ROUNDS = 5;
const SAMPLES_PER_ROUND = 20;
const BLOCK_SD = 0.03;
const WITHIN_SD = 0.05;
const CASES = 2000;

const root = mkdtempSync(join(tmpdir(), 'launchbench-calibration-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const HEADER =
  'workload,strategy,elements,kernels,intensity,workgroupSize,status,reason,wallUsPerKernel,wallUsPerKernelP10,wallUsPerKernelP90,rounds,wallRoundSpread,wallUsPerKernelLo95,wallUsPerKernelHi95,enoughSamples';

/** One simulated run of CASES cases: case i has base time 1 + i % 97 µs, times `shift`. */
function simulateRun(name: string, shift: number, gauss: () => number): string {
  const lines = [HEADER];
  for (let i = 0; i < CASES; i++) {
    const base = (1 + (i % 97)) * shift;
    const rounds: number[][] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const block = BLOCK_SD * gauss();
      rounds.push(
        Array.from(
          { length: SAMPLES_PER_ROUND },
          () => base * Math.exp(block + WITHIN_SD * gauss()),
        ),
      );
    }
    const all = rounds.flat().sort((x, y) => x - y);
    const s = roundSummary(rounds);
    const cells = [
      s.centre,
      quantileSorted(all, 0.1),
      quantileSorted(all, 0.9),
      s.rounds,
      s.spread,
      s.lo95,
      s.hi95,
    ];
    lines.push(`map,dispatch-each,${i + 1},100,0,64,ok,,${cells.join(',')},true`);
  }
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'summary.csv'), `${lines.join('\n')}\n`);
  return dir;
}

/** Fractions of cases per wall verdict when B is A's process with its times × `shift`. */
function verdictRates(seed: number, shift: number): Record<Verdict, number> {
  const gauss = normal(prng(seed));
  const a = simulateRun(`a-${seed}`, 1, gauss);
  const b = simulateRun(`b-${seed}`, shift, gauss);
  const summary = summarizeComparison(compareRuns(readRun(a), readRun(b)));
  expect(summary.compared).toBe(CASES);
  const v = summary.verdicts;
  return {
    faster: v.faster / CASES,
    slower: v.slower / CASES,
    same: v.same / CASES,
    unclear: v.unclear / CASES,
  };
}

describe('compare verdicts on simulated runs (R = 5, 3% block effect, 5% within-round noise)', () => {
  it('two runs from the same distribution: faster/slower in at most 5% of cases', () => {
    const rates = verdictRates(1, 1);
    expect(rates.faster + rates.slower, JSON.stringify(rates)).toBeLessThanOrEqual(0.05);
    // Both directions err alike.
    expect(rates.faster, JSON.stringify(rates)).toBeLessThanOrEqual(0.025);
    expect(rates.slower, JSON.stringify(rates)).toBeLessThanOrEqual(0.025);
  });

  it('a real 20% regression: slower in at least 95% of cases, never faster', () => {
    const rates = verdictRates(2, 1.2);
    expect(rates.slower, JSON.stringify(rates)).toBeGreaterThanOrEqual(0.95);
    expect(rates.faster).toBe(0);
  });

  it('a 2% shift, below the 5% minimum effect: not called slower, bar the odd case noise pushes past 5%', () => {
    const rates = verdictRates(3, 1.02);
    // The rule calls slower only when the estimate itself exceeds 5%; with this noise the
    // estimate's standard error is ≈ 2%, so a true 2% lands above 5% now and then (≈ 5%).
    expect(rates.slower, JSON.stringify(rates)).toBeLessThanOrEqual(0.1);
    expect(rates.faster, JSON.stringify(rates)).toBeLessThanOrEqual(0.005);
    expect(rates.same + rates.unclear, JSON.stringify(rates)).toBeGreaterThanOrEqual(0.9);
  });
});
