/**
 * Dot charts (src/report/charts.ts dotPanels) for a run of one or two sizes: a row per size with
 * a panel per K of that size, so five panels (three K at one size, two at the other) are drawn as
 * three over two with an x axis under each panel, and no empty sixth slot carrying an axis under
 * nothing. Built from the fixture run (two sizes, K = 1 and 100) with K = 1000 added at 64
 * elements only.
 */
import { describe, expect, it } from 'vitest';
import { chartSpecs, renderSvg } from '../src/report/charts.ts';
import { readRun, type RunData } from '../src/report/read-run.ts';
import { svgTexts } from './support/svg.ts';

const FIXTURE = new URL('./fixtures/run-small', import.meta.url).pathname;

function fivePanels(run: RunData): RunData {
  const extra = run.summary
    .filter((r) => r.kernels === 100 && r.elements === 64)
    .map((r) => ({ ...r, kernels: 1000 }));
  return { ...run, summary: [...run.summary, ...extra] };
}

describe('dot charts', () => {
  for (const name of ['wall-map', 'utilisation-map']) {
    it(`${name}: a row per size, an x axis under every panel, no empty slot`, async () => {
      const run = fivePanels(readRun(FIXTURE));
      const chart = chartSpecs(run).find((c) => c.file.endsWith(`${name}.svg`));
      expect(chart, `no ${name} chart`).toBeDefined();
      if (chart === undefined) return;
      const rows = (chart.spec as unknown as { vconcat: { columns: number }[] }).vconcat;
      expect(rows.map((r) => r.columns)).toEqual([3, 2]);
      const texts = svgTexts(await renderSvg(chart.spec));
      for (const panel of [
        '64 elements · K = 1 kernel',
        '64 elements · K = 1000 kernels',
        '65,536 elements · K = 100 kernels',
      ])
        expect(texts).toContain(panel);
      // Five panels, five axes of strategy names: none missing, none under an empty slot.
      expect(texts.filter((t) => t === 'submit-wait')).toHaveLength(5);
    });
  }

  it('one size: one row of panels, a panel per K, no vconcat', () => {
    const run = readRun(FIXTURE);
    const one = { ...run, summary: run.summary.filter((r) => r.elements === 64) };
    const chart = chartSpecs(one).find((c) => c.file.endsWith('wall-map.svg'));
    const spec = chart?.spec as unknown as { vconcat?: unknown; columns: number; facet: object };
    expect(spec.vconcat).toBeUndefined();
    expect(spec.columns).toBe(2);
    expect(spec.facet).toMatchObject({
      sort: ['64 elements · K = 1 kernel', '64 elements · K = 100 kernels'],
    });
  });
});
