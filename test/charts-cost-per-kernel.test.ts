/**
 * The cost-per-kernel chart (src/report/charts.ts fitChart): drawn where a run has at least three
 * values of K at its smallest size, with one fitted curve a/K + b per strategy whose fit is a
 * finding (none for a flagged fit), and left out below three K values (two points make no
 * curve worth a chart). Built from the fixture run with its K = 100 rows copied to K = 1000.
 */
import { describe, expect, it } from 'vitest';
import { chartSpecs, renderSvg } from '../src/report/charts.ts';
import { readRun, type RunData } from '../src/report/read-run.ts';

const FIXTURE = new URL('./fixtures/run-small', import.meta.url).pathname;

function withThirdK(run: RunData): RunData {
  const extra = run.summary
    .filter((r) => r.kernels === 100)
    .map((r) => ({ ...r, kernels: 1000, wallUsPerKernel: (r.wallUsPerKernel ?? 0) * 0.9 }));
  // One flagged fit: it must not be drawn.
  const fits = run.fits.map((f) =>
    f.strategy === 'submit-wait' ? { ...f, flag: 'negative fixed cost' } : f,
  );
  return { ...run, summary: [...run.summary, ...extra], fits };
}

describe('cost-per-kernel chart', () => {
  it('is drawn with three K values, one curve per unflagged fit', async () => {
    const run = withThirdK(readRun(FIXTURE));
    const chart = chartSpecs(run).find((c) => c.file.includes('cost-per-kernel-map'));
    expect(chart, 'no cost-per-kernel chart').toBeDefined();
    if (chart === undefined) return;
    const svg = await renderSvg(chart.spec);
    expect(svg).toContain('kernels K in one execution (log scale)');
    expect(svg).toContain('wall time per kernel (µs, log scale)');
    const layers = (
      chart.spec as unknown as { layer: { data: { values: { strategy: string }[] } }[] }
    ).layer;
    const curves = new Set(layers[0]?.data.values.map((v) => v.strategy));
    const fitted = run.fits
      .filter((f) => f.elements === 64 && f.flag === '')
      .map((f) => f.strategy);
    expect([...curves].sort()).toEqual([...new Set(fitted)].sort());
    expect(curves.has('submit-wait')).toBe(false);
  });

  it('is left out with two K values', () => {
    const run = readRun(FIXTURE);
    expect(chartSpecs(run).some((c) => c.file.includes('cost-per-kernel'))).toBe(false);
  });
});
