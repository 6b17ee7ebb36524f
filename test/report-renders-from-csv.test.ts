/**
 * `launchbench report DIR` renders report.md and the SVG charts from a run folder's files alone
 * (the hand-made run in test/fixtures/run-small): the headline sentences carry the fixture's
 * numbers, failed and not-applicable cases appear with their reasons, every chart is well-formed
 * SVG with labelled axes (units) and one legend entry per strategy, and rendering twice gives the
 * same bytes. No GPU needed.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderRunReport } from '../src/report/render-run.ts';
import { runCli } from './support/cli.ts';
import { svgTexts } from './support/svg.ts';

const FIXTURE = new URL('./fixtures/run-small', import.meta.url).pathname;
let dir = '';

beforeAll(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'launchbench-report-')), 'run');
  cpSync(FIXTURE, dir, { recursive: true });
});
afterAll(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

describe('report from a fixture run', () => {
  it('launchbench report DIR exits 0 and names report.md and the charts', async () => {
    const result = await runCli(['report', dir]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`report: ${join(dir, 'report.md')} (3 charts)\n`);
  });

  it('report.md states the headline findings in sentences, with units', () => {
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toContain(
      'On this GPU (**Fixture GPU 9000**, backend vulkan), map at 64 elements per kernel and K = 100 kernels:',
    );
    expect(md).toContain(
      '- one submit-and-wait costs **38 µs** per kernel (`submit-wait`, p10–p90 36.1–41 µs);',
    );
    expect(md).toContain(
      '- dispatches in one pass cost **4 µs** each (`dispatch-each`, 9.5× faster than submit-and-wait);',
    );
    expect(md).toContain('pre-recorded command buffers bring that to **2.5 µs** per kernel');
    expect(md).toContain('one fused kernel costs **0.5 µs** per kernel-equivalent');
    expect(md).toContain(
      'launch overhead stops dominating above ≈ 43,000 elements with `submit-wait`',
    );
  });

  it('report.md has the run facts, per-case tables, reasons, fits, crossovers and chart links', () => {
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toContain('| timestamp self-test | passed: timestamps monotonic and unquantised');
    expect(md).toContain('| GPU warm-up | 1,000 ms, 500 submits waited on one by one;');
    expect(md).toContain('### map · 64 elements · K = 100 · intensity 0 · workgroup 64');
    // The noise is said once per table; the reason the fixture's CSV stores on every row that
    // missed the target (as runs before that did) is not repeated on the row.
    expect(md).toMatch(
      /\| `dispatch-each` \| 4 \| 3\.79–4\.22 \| 3\.8–4\.32 \| 2 \| 2 \| 50% \| 9\.5× \| {2}\|/,
    );
    expect(md).not.toContain('95% repeat interval wider than');
    expect(md.split('\n').filter((l) => l.startsWith('95% repeat intervals: '))).toEqual(
      Array(4).fill(
        '95% repeat intervals: typically ±5.1% wall, ±2.5% GPU busy (median over 16 cases); † wider than ±11% wall, ±5.1% GPU busy.',
      ),
    );
    expect(md).toContain(
      '| map | `persistent` | failed | 65,536 | 100 | grid barrier spin bound hit after step 0: workgroups not co-resident |',
    );
    expect(md).toContain('fixture: indirect left out of this run');
    expect(md).toMatch(
      /\| map \| `dispatch-each` \| 64 \| 0 \| 64 \| 1…100 \| 38\.4 \| 3\.62 \| 1\.000 \|/,
    );
    expect(md).toContain('| map | `submit-wait` | 100 | 0 | 64 | 2 | ≈ 43,000 | 25.5 |');
    for (const chart of ['wall-map', 'breakdown-map', 'utilisation-map']) {
      expect(md).toContain(`](charts/${chart}.svg)`);
    }
    expect(md).not.toContain('someFutureColumn');
  });

  it('every chart is valid SVG with axis titles in units and one legend entry per strategy', () => {
    const files = readdirSync(join(dir, 'charts')).sort();
    expect(files).toEqual(['breakdown-map.svg', 'utilisation-map.svg', 'wall-map.svg']);
    const parser = new XMLParser({ ignoreAttributes: false });
    for (const file of files) {
      const svg = readFileSync(join(dir, 'charts', file), 'utf8');
      expect(XMLValidator.validate(svg), file).toBe(true);
      const doc = parser.parse(svg) as Record<string, unknown>;
      expect(Object.keys(doc), file).toContain('svg');
      const texts = svgTexts(svg);
      expect(
        texts.some((t) => t.includes('Fixture GPU 9000')),
        file,
      ).toBe(true);
      if (file === 'wall-map.svg' || file === 'utilisation-map.svg') {
        // Two sizes: one dot per strategy in a panel per size and K, strategies on the x axis.
        expect(texts, file).toContain('64 elements · K = 1 kernel');
        expect(texts, file).toContain('65,536 elements · K = 100 kernels');
        for (const s of ['submit-wait', 'dispatch-each', 'prerecorded', 'fused'])
          expect(texts.filter((t) => t === s).length, `${file} ${s}`).toBeGreaterThan(0);
      } else if (file !== 'breakdown-map.svg') {
        expect(texts, file).toContain('elements per kernel (log scale)');
        for (const s of ['submit-wait', 'dispatch-each', 'prerecorded', 'fused']) {
          expect(
            texts.filter((t) => t === s),
            `${file} legend ${s}`,
          ).toHaveLength(1);
        }
      }
    }
    const wall = svgTexts(readFileSync(join(dir, 'charts', 'wall-map.svg'), 'utf8'));
    expect(wall).toContain('wall time per kernel (µs, log scale)');
    const breakdown = svgTexts(readFileSync(join(dir, 'charts', 'breakdown-map.svg'), 'utf8'));
    expect(breakdown).toContain('time per kernel (µs)');
    expect(breakdown).toContain('launch overhead');
    expect(breakdown).toContain('GPU busy');
    const utilisation = svgTexts(readFileSync(join(dir, 'charts', 'utilisation-map.svg'), 'utf8'));
    expect(utilisation).toContain('GPU utilisation (% of wall time)');
  });

  it('rendering again from the same files gives the same bytes', async () => {
    const before = [
      readFileSync(join(dir, 'report.md'), 'utf8'),
      ...['wall-map', 'breakdown-map', 'utilisation-map'].map((c) =>
        readFileSync(join(dir, 'charts', `${c}.svg`), 'utf8'),
      ),
    ];
    await renderRunReport(dir);
    const after = [
      readFileSync(join(dir, 'report.md'), 'utf8'),
      ...['wall-map', 'breakdown-map', 'utilisation-map'].map((c) =>
        readFileSync(join(dir, 'charts', `${c}.svg`), 'utf8'),
      ),
    ];
    expect(after).toEqual(before);
  });
});

/** report.md of the fixture run with `fields` set in its context.json (a copy, removed after). */
async function reportWithContext(fields: Record<string, unknown>): Promise<string> {
  const run = join(mkdtempSync(join(tmpdir(), 'launchbench-report-')), 'run');
  try {
    cpSync(FIXTURE, run, { recursive: true });
    const file = join(run, 'context.json');
    const context = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...context, ...fields }));
    await renderRunReport(run);
    return readFileSync(join(run, 'report.md'), 'utf8');
  } finally {
    rmSync(join(run, '..'), { recursive: true, force: true });
  }
}

describe('report of a run whose spin queued ahead (since 2026-12-05)', () => {
  it('says how many submits the warm-up and the hold queued and what round trip they covered', async () => {
    const md = await reportWithContext({
      gpuWarmup: {
        elapsedMs: 1090,
        submits: 2069,
        firstSubmitUs: 3074,
        lastSubmitUs: 742,
        stable: true,
        windowMs: 100,
        completionUs: 11747,
        inFlight: 36,
      },
      clockHold: {
        options: { checkEveryMs: 100, tolerance: 0.03 },
        referenceChainUs: 125,
        checks: 40,
        lowered: 2,
        notRestored: 0,
        unreadable: 0,
        rebaselined: 0,
        lowestRel: 0.5,
        spinMs: 300,
        totalMs: 900,
        spinInFlight: 128,
      },
    });
    expect(md).toContain(
      "| GPU warm-up | 1,090 ms, 2,069 submits queued ahead (up to 36 at once by the end, fitted to a completion round trip of 11,747 µs, one spin workgroup's); wall per submit 3,074 µs in the first 100 ms, 742 µs in the last; settled |",
    );
    expect(md).toContain(
      '300 ms spent spinning (its queue fitted to 128 submits at once by the end)',
    );
  });
});

describe('report of a run made with diagnostics set (since 2026-12-06)', () => {
  it('names the diagnostics a run was made with, and says nothing of them for a plain run', async () => {
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).not.toContain('diagnostics set');
    const md = await reportWithContext({
      diagnostics: {
        LAUNCHBENCH_FAULT_HOST_CASE: 'dispatch-each',
        LAUNCHBENCH_FAULT_HOST_US_PER_KERNEL: '1.5',
      },
    });
    expect(md).toContain(
      '| diagnostics set (not a plain run) | `LAUNCHBENCH_FAULT_HOST_CASE=dispatch-each`, `LAUNCHBENCH_FAULT_HOST_US_PER_KERNEL=1.5` |',
    );
  });
});
