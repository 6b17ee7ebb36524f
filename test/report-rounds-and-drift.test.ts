/**
 * report.md on a run made in rounds (test/fixtures/run-small): the run's facts describe the
 * sampling as it was (rounds, interleaving, floor, noise target on the repeat interval) and count
 * the samples dropped for garbage collection; "Drift during the run" tabulates drift.csv and its
 * sentences carry the figures computed from it (ranges, the probes more than 10% off, the rounds
 * they touch); a case under the sample floor is marked in its table and never quoted in the
 * headline; a flagged fit is listed with its flag and never stated as a finding. No GPU needed.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderMarkdown } from '../src/report/markdown.ts';
import { readRun, type RunData } from '../src/report/read-run.ts';
import { renderRunReport } from '../src/report/render-run.ts';

const FIXTURE = new URL('./fixtures/run-small', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'launchbench-rounds-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A copy of the fixture whose summary.csv rows are changed by `edit` (header-keyed cells). */
function variant(name: string, edit: (row: Record<string, string>) => void): string {
  const dir = join(root, name);
  cpSync(FIXTURE, dir, { recursive: true });
  const path = join(dir, 'summary.csv');
  const [header = '', ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
  const columns = header.split(',');
  const edited = lines.map((line) => {
    const cells = line.split(',');
    const row = Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? '']));
    edit(row);
    return columns.map((c) => row[c] ?? '').join(',');
  });
  writeFileSync(path, `${[header, ...edited].join('\n')}\n`);
  return dir;
}

async function report(dir: string): Promise<string> {
  const { reportPath } = await renderRunReport(dir);
  return readFileSync(reportPath, 'utf8');
}

/** The text between a `## ` heading and the next one. */
function section(md: string, heading: string): string {
  const start = md.indexOf(`## ${heading}\n`);
  if (start < 0) return '';
  const end = md.indexOf('\n## ', start + 1);
  return md.slice(start, end < 0 ? undefined : end);
}

describe('report of a run made in rounds', () => {
  it('the run facts describe the rounds, the interleaving, the floor and the GC drops', async () => {
    const md = await report(variant('facts', () => undefined));
    expect(md).toContain(
      '| sampling | 5 rounds spread over the run, each visiting every group of cases once, in its own shuffled order; within a visit the strategies of the group are interleaved sample by sample, in an order shuffled every turn; a floor of 5 samples of each kind (without and with timestamp queries) per case over the run, at most 100;',
    );
    expect(md).toContain('noise target: the 95% repeat interval within ±5% of the figure. |');
    expect(md).toContain(
      '| samples dropped for garbage collection | 3 of 1,203 samples taken (0.25%), in 2 cases;',
    );
    expect(md).toContain(
      '| CPU | fixture CPU, 2 logical cores; clock 2,995 MHz mean over the cores (2,990–3,000) when context.json was written, governor `performance` |',
    );
    // The noise caution counts the repeat intervals wider than the target, not a 2% median noise.
    expect(md).toContain(
      '- 8 of 16 cases with enough samples have a 95% repeat interval (wall or GPU busy) wider than the target of ±5%',
    );
  });

  it('the drift section tabulates the probes and states the figures computed from them', async () => {
    const md = await report(variant('drift', () => undefined));
    const drift = section(md, 'Drift during the run');
    expect(drift).not.toBe('');
    expect(drift).toContain(
      '| probe | s since start | host loop µs | round trip µs | chain wall µs/dispatch | chain GPU busy µs/dispatch | CPU mean MHz |',
    );
    expect(drift).toContain('| start | 0.0 | 1,500 | 40 | 2 | 1 | 3,000 |');
    expect(drift).toContain('| after round 2 | 10.4 | 1,530 | 52 | 2.1 | 1 | 2,400 |');
    expect(drift).toContain('| end | 29.9 | 1,500 | 40 | 2 | 1 | 3,000 |');
    // max/min − 1: 1530/1485, 52/39, 2.1/1.96, 1/1, 3010/2400.
    expect(drift).toContain(
      "Over the run's 6 probes (0.0–29.9 s), each reference's range, max/min − 1: host loop 3.0%, round trip 33%, chain wall per dispatch 7.1%, chain GPU busy per dispatch 0.0% and CPU clock 25%.",
    );
    expect(drift).toContain(
      "More than 10% off the run's median: round trip (median 40 µs) 52 µs, +30%, after round 2 (10.4 s); CPU clock (median 3,000 MHz) 2,400 MHz, −20%, after round 2 (10.4 s).",
    );
    expect(drift).toContain('What the probes saw falls in rounds 2 and 3');
    expect(drift).toContain("touches one of each case's 5 round medians");
    // It sits between the run's facts and the per-case tables.
    expect(md.indexOf('## The run')).toBeLessThan(md.indexOf('## Drift during the run'));
    expect(md.indexOf('## Drift during the run')).toBeLessThan(md.indexOf('## Results per case'));
  });

  it('a quiet run says in one sentence that nothing moved more than 10%', () => {
    const run = readRun(FIXTURE);
    const quiet: RunData = {
      ...run,
      drift: run.drift.map((p) => ({
        ...p,
        roundTripUs: p.roundTripUs === 52 ? 43 : p.roundTripUs,
        cpuMeanMHz: p.cpuMeanMHz === 2400 ? 2990 : p.cpuMeanMHz,
      })),
    };
    const drift = section(renderMarkdown(quiet, []), 'Drift during the run');
    expect(drift).toContain(
      "No probe was more than 10% off its reference's median over the run (the largest deviation: round trip, +7.5% after round 2 (10.4 s)).",
    );
    expect(drift).not.toContain('More than 10% off');
    expect(drift).not.toContain('What the probes saw');
  });

  it('a run without drift.csv has no drift section', () => {
    const run = readRun(FIXTURE);
    expect(renderMarkdown({ ...run, drift: [] }, [])).not.toContain('## Drift during the run');
  });

  it('a case under the sample floor is marked in its table and left out of the headline', async () => {
    const dir = variant('short', (row) => {
      if (
        row['strategy'] === 'prerecorded' &&
        row['elements'] === '64' &&
        row['kernels'] === '100'
      ) {
        row['enoughSamples'] = 'false';
        row['converged'] = 'false';
        // Quoted: the reason holds a comma (the split above never meets one in the fixture).
        row['reason'] = '"insufficient samples: 3 wall, 2 GPU < floor 5"';
        row['wallSamples'] = '3';
        row['gpuSamples'] = '2';
      }
    });
    const md = await report(dir);
    const headline = section(md, 'Headline');
    expect(headline).not.toContain('pre-recorded command buffers');
    expect(headline).not.toContain('2.5 µs');
    expect(headline).not.toContain('15.2×');
    expect(headline).toContain('- not quoted, too few samples (below the floor): `prerecorded`;');
    expect(headline).toContain('- the fastest here is `fused` at 0.5 µs per kernel');
    expect(headline).toContain(
      '- 1 of 16 measured cases have insufficient samples (fewer than the floor of 5 of a kind)',
    );
    // Still shown in its table, marked, with no speed-up.
    expect(md).toMatch(
      /\| `prerecorded` \| 2\.5 \| 2\.41–2\.59 \| 2\.38–2\.7 \| 2 \| 0\.5 \| 80% \| – \| insufficient samples: 3 wall, 2 GPU < floor 5 \|/,
    );
    // And not under "Failed and not applicable": it was measured.
    expect(section(md, 'Failed and not applicable')).not.toContain('prerecorded');
    expect(md).toContain('24 cases, 16 measured, 1 of them with insufficient samples.');
  });

  it('the noise is said once per table; only a row worse than the typical is marked', async () => {
    const dir = variant('noisy', (row) => {
      if (
        row['strategy'] === 'dispatch-each' &&
        row['elements'] === '64' &&
        row['kernels'] === '100'
      ) {
        // Rounds that spread four times as much as the rest: 4 µs × 1.5 (wall), 2 × 1.12 (GPU).
        row['wallUsPerKernelLo95'] = '2.66667';
        row['wallUsPerKernelHi95'] = '6';
        row['gpuBusyUsPerKernelLo95'] = '1.78571';
        row['gpuBusyUsPerKernelHi95'] = '2.24';
      }
    });
    const md = await report(dir);
    const tables = section(md, 'Results per case');
    expect(tables).toMatch(
      /\| `dispatch-each` \| 4 \| 2\.67–6 \| 3\.8–4\.32 \| 2 \| 2 \| 50% \| 9\.5× \| † ±50% wall, ±12% GPU busy \|/,
    );
    expect(tables.match(/†/g)).toHaveLength(1 + 1 + 4); // the intro, the row, one line per table
    expect(tables).toContain(
      '95% repeat intervals: typically ±5.1% wall, ±2.5% GPU busy (median over 16 cases); † wider than ±11% wall, ±5.1% GPU busy.',
    );
    expect(tables).toContain(
      "† marks a row's own half-width where its rounds spread more than 2× the run's typical and it misses the ±5% noise target",
    );
  });

  it('one round (no intervals): no noise line, and a missed target is said on its row', async () => {
    const dir = variant('one-round', (row) => {
      for (const c of ['wall', 'gpuBusy'])
        for (const end of ['Lo95', 'Hi95']) row[`${c}UsPerKernel${end}`] = '';
    });
    const md = await report(dir);
    const tables = section(md, 'Results per case');
    expect(tables).not.toContain('95% repeat intervals');
    expect(tables).not.toContain('†');
    // The old reason named an interval such a run did not have.
    expect(tables).not.toContain('95% repeat interval wider than');
    expect(tables).toMatch(
      /\| `dispatch-each` \| 4 \| 3\.8–4\.32 \| .* \| noise target not reached \|/,
    );
  });

  it('a flagged fit is listed with its flag and never stated as a finding', async () => {
    const md = await report(variant('fits', () => undefined));
    expect(md).toMatch(
      /\| map \| `fused` \| 65,536 \| 0 \| 64 \| 1…100 \| -0\.505 \| 28 \| 1\.000 \| negative fixed cost \|/,
    );
    const headline = section(md, 'Headline');
    expect(headline).not.toContain('-0.505');
    expect(headline).not.toContain('28 µs with `fused`');

    // Flagged where the sentence looks (the smallest size): left out of it, and said so.
    const run = readRun(FIXTURE);
    const flagFused: RunData = {
      ...run,
      fits: run.fits.map((f) =>
        f.strategy === 'fused' && f.elements === 64
          ? { ...f, flag: 'poor fit (R² 0.72 < 0.9)' }
          : f,
      ),
    };
    const one = section(renderMarkdown(flagFused, []), 'Headline');
    expect(one).toContain('one more map kernel costs 38 µs with `submit-wait`');
    expect(one).not.toContain('0.141 µs with `fused`');
    expect(one).toContain(
      'Not quoted at this size: the fit of `fused` (poor fit (R² 0.72 < 0.9): the line does not describe its points).',
    );

    // Every fit flagged: no fit sentence states a cost, one says none is reliable.
    const allFlagged: RunData = {
      ...run,
      fits: run.fits.map((f) => ({ ...f, flag: 'negative fixed cost' })),
    };
    const none = section(renderMarkdown(allFlagged, []), 'Headline');
    expect(none).not.toContain('Across K');
    expect(none).not.toContain('one more map kernel costs');
    expect(none).toContain(
      'No fit across K is reliable for map: all 8 are flagged (negative fixed cost), so none is quoted',
    );
  });

  it("names a runtime's completion floor from the drift probe's round trip, and Firefox's way past it", async () => {
    // The fixture's round trips are 40 µs: no such sentence.
    expect(await report(variant('no-floor', () => undefined))).not.toContain('completion wait');
    const slow = (
      name: string,
      context: (c: Record<string, unknown>) => void,
      row: (r: Record<string, string>) => void = () => undefined,
    ): string => {
      const dir = variant(name, row);
      const drift = join(dir, 'drift.csv');
      const [header = '', ...lines] = readFileSync(drift, 'utf8').trimEnd().split('\n');
      const at = header.split(',').indexOf('roundTripUs');
      const slowed = lines.map((line) => {
        const cells = line.split(',');
        cells[at] = String(100_000 + 200 * Number(cells[0]));
        return cells.join(',');
      });
      writeFileSync(drift, `${[header, ...slowed].join('\n')}\n`);
      const path = join(dir, 'context.json');
      const c = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      context(c);
      writeFileSync(path, JSON.stringify(c));
      return dir;
    };
    const firefox = { name: 'firefox', version: '153.8.0', webgpu: 'wgpu' };
    const plain = await report(slow('firefox-plain', (c) => (c['runtime'] = firefox)));
    expect(plain).toMatch(
      /A plain completion wait costs Firefox about 10\d ms whatever the GPU does .*median of \d+\), so a loop that reads back each step runs at most about 10 times a second\. Every figure of a strategy that waits includes it\. Firefox polls its device every 100 ms/,
    );
    const nudged = await report(
      slow('firefox-nudged', (c) => {
        c['runtime'] = firefox;
        c['options'] = { ...(c['options'] as object), completion: 'nudged' };
      }),
    );
    expect(nudged).toContain('waited with `--completion nudged`');
    expect(nudged).not.toContain('Every figure of a strategy that waits includes it');
    const deno = await report(
      slow('deno', (c) => (c['runtime'] = { name: 'deno', version: '2.9.6', webgpu: 'wgpu' })),
    );
    expect(deno).toMatch(/A plain completion wait costs Deno about 10\d ms/);
    expect(deno).not.toContain('nudged');
    // Nudged, yet every execution as long as the plain wait: the nudges are not said to help.
    const unhelped = await report(
      slow(
        'deno-nudged',
        (c) => {
          c['runtime'] = { name: 'deno', version: '2.9.6', webgpu: 'wgpu' };
          c['options'] = { ...(c['options'] as object), completion: 'nudged' };
        },
        (r) => (r['wallUsPerKernel'] = String(200_000 / Number(r['kernels']))),
      ),
    );
    expect(unhelped).toContain('the nudges did not hasten this runtime');
    expect(unhelped).not.toContain('so their figures do not include it');
  });

  it("says when the shader clock fell and stayed down, from the drift probe's clock chain", async () => {
    const withChain = (
      name: string,
      chainUs: (probe: number) => number,
      hold: Record<string, number> = { checks: 99, lowered: 30, notRestored: 15, rebaselined: 3 },
    ): string => {
      const dir = variant(name, () => undefined);
      const drift = join(dir, 'drift.csv');
      const [header = '', ...lines] = readFileSync(drift, 'utf8').trimEnd().split('\n');
      const chained = lines.map((line) => `${line},${chainUs(Number(line.split(',')[0]))}`);
      writeFileSync(drift, `${[`${header},clockChainUs`, ...chained].join('\n')}\n`);
      const path = join(dir, 'context.json');
      const c = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      c['clockHold'] = hold;
      writeFileSync(path, JSON.stringify(c));
      return dir;
    };
    // As Chromium's page on the H200: 123 µs at the start, about 290 after.
    const fell = await report(
      withChain('clock-fell', (probe) => (probe === 0 ? 123 : 290 + probe)),
    );
    expect(fell).toMatch(
      /The GPU's shader clock fell during the run and stayed down: the drift probe's clock chain took 29\d µs \(median of \d+\) against 123 µs at its fastest, so the GPU ran at about 4\d% of that clock for most of the run \(the clock hold found it lowered at 30 of its 99 checks, did not bring it back 15 times and re-took its reference at a lower clock 3 times\)/,
    );
    // As Node's runs: within a few percent, every lowered check brought back.
    const held = await report(
      withChain('clock-held', (probe) => 123 + probe, { checks: 99, lowered: 30, notRestored: 0 }),
    );
    expect(held).not.toContain('shader clock fell');
    expect(held).not.toContain('could not bring');
    // As Deno's: the chain steady at the idle clock, the hold failing at every lowered check.
    const low = await report(
      withChain('clock-low', () => 2622, {
        checks: 300,
        lowered: 24,
        notRestored: 24,
        rebaselined: 8,
      }),
    );
    expect(low).not.toContain('shader clock fell');
    expect(low).toContain(
      'The clock hold could not bring a lowered shader clock back at 24 of the 24 checks that found it low (and re-took its reference at the lower clock 8 times)',
    );
    // Below the floor (2 of 2) or the share (3 of 13): silent; no re-take: no clause for it.
    for (const [name, hold] of [
      ['clock-two', { checks: 99, lowered: 2, notRestored: 2 }],
      ['clock-few', { checks: 99, lowered: 13, notRestored: 3 }],
    ] as const)
      expect(await report(withChain(name, () => 2622, hold))).not.toContain('could not bring');
    expect(
      await report(
        withChain('clock-four', () => 2622, { checks: 99, lowered: 13, notRestored: 4 }),
      ),
    ).toContain('back at 4 of the 13 checks that found it low: parts of this run');
    // A run of processes: summed over them (each alone under the floor).
    const each = { lowered: 2, notRestored: 2, rebaselined: 0 };
    const split = withChain('clock-processes', () => 2622, { checks: 50, ...each });
    const path = join(split, 'context.json');
    const c = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    c['processes'] = [{ clockHold: each }, { clockHold: each }];
    writeFileSync(path, JSON.stringify(c));
    expect(await report(split)).toContain('back at 4 of the 4 checks that found it low:');
  });
});
