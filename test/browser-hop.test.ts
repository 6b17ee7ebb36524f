/**
 * What a browser adds to a launch (src/report/browser-hop.ts), on known answers: a browser run
 * whose every submit costs 10 µs more than Node's and every completion 2000 µs more gives back
 * those two figures from submit-wait and submit-each at the same K, whichever side it is, with a
 * difference in GPU busy time taken off; runs on two adapters give no figure, saying why, unless
 * the browser hid its adapter, its vendor (if it tells one) agrees and GPU time comes off; two
 * Node runs, or runs without both strategies at a K > 1, give none. No GPU needed.
 */
import { describe, expect, it } from 'vitest';
import { browserHop } from '../src/report/browser-hop.ts';
import type { RunData, SummaryRow } from '../src/report/read-run.ts';

/** A run's summary rows of submit-wait and submit-each at `kernels`, wall µs per kernel. */
function run(
  browser: boolean,
  rows: [strategy: string, kernels: number, wall: number, gpu?: number][],
  device = 'gpu',
): RunData {
  return {
    dir: browser ? 'browser' : 'node',
    summary: rows.map(
      ([strategy, kernels, wall, gpu]) =>
        ({
          workload: 'map',
          strategy,
          unit: 'kernel',
          status: 'ok',
          enoughSamples: true,
          elements: 64,
          kernels,
          intensity: 0,
          workgroupSize: 64,
          wallUsPerKernel: wall,
          gpuBusyUsPerKernel: gpu ?? null,
        }) as SummaryRow,
    ),
    fits: [],
    crossovers: [],
    selfCheck: [],
    bandwidth: [],
    drift: [],
    rounds: [],
    context: {
      adapter: { vendor: 'v', architecture: '', device, description: '' },
      ...(browser ? { browser: { version: 'HeadlessChrome/156' } } : {}),
    },
    hasContext: true,
  };
}

/** Node: encode + submit 40 µs, a completion 40 µs more; the browser adds 10 and 2000. */
function pair(k: number): [RunData, RunData] {
  const node = run(false, [
    ['submit-wait', k, 80],
    ['submit-each', k, 40 + 40 / k],
  ]);
  const web = run(true, [
    ['submit-wait', k, 80 + 10 + 2000],
    ['submit-each', k, 40 + 10 + (40 + 2000) / k],
  ]);
  return [node, web];
}

describe("the browser's hop", () => {
  it('splits into what a submit and what a completion adds, whichever side the browser is', () => {
    const [node, web] = pair(100);
    const hop = browserHop(node, web);
    if (hop === undefined || 'withheld' in hop) throw new Error('no figures');
    expect(hop.browser).toBe('B');
    expect(hop.cases).toBe(1);
    expect(hop.gpuSubtracted).toBe(0);
    expect(hop.submitUs.median).toBeCloseTo(10, 6);
    expect(hop.completionUs.median).toBeCloseTo(2000, 6);
    const reversed = browserHop(web, node);
    if (reversed === undefined || 'withheld' in reversed) throw new Error('no figures');
    expect(reversed.browser).toBe('A');
    expect(reversed.submitUs.median).toBeCloseTo(10, 6);
  });

  it("takes each wall's GPU busy time off, so a slower GPU in the browser is no submit cost", () => {
    const k = 100;
    // The browser's GPU takes 30 µs more per kernel; both walls pay it.
    const node = run(false, [
      ['submit-wait', k, 80 + 5, 5],
      ['submit-each', k, 40 + 40 / k + 5, 5],
    ]);
    const web = run(true, [
      ['submit-wait', k, 80 + 10 + 2000 + 35, 35],
      ['submit-each', k, 40 + 10 + (40 + 2000) / k + 35, 35],
    ]);
    const hop = browserHop(node, web);
    expect(hop !== undefined && !('withheld' in hop)).toBe(true);
    if (hop === undefined || 'withheld' in hop) return;
    expect(hop.gpuSubtracted).toBe(1);
    expect(hop.submitUs.median).toBeCloseTo(10, 6);
    expect(hop.completionUs.median).toBeCloseTo(2000, 6);
  });

  it('withholds the figures, saying why, for runs on two adapters', () => {
    const node = run(false, [
      ['submit-wait', 100, 80],
      ['submit-each', 100, 40.4],
    ]);
    const web = run(
      true,
      [
        ['submit-wait', 100, 2090],
        ['submit-each', 100, 70.4],
      ],
      'other',
    );
    const hop = browserHop(node, web);
    expect(hop !== undefined && 'withheld' in hop ? hop : undefined).toMatchObject({
      browser: 'B',
    });
    if (hop === undefined || !('withheld' in hop)) return;
    expect(hop.withheld).toMatch(/different adapters \(other in the browser, gpu in Node\)/);
  });

  it("takes a browser's hidden adapter as Node's where the vendor agrees and GPU time comes off", () => {
    const rows = (gpu: boolean): [string, number, number, number?][] =>
      gpu
        ? [
            ['submit-wait', 100, 2090, 5],
            ['submit-each', 100, 70.4, 5],
          ]
        : [
            ['submit-wait', 100, 2090],
            ['submit-each', 100, 70.4],
          ];
    const node = run(false, [
      ['submit-wait', 100, 80, 5],
      ['submit-each', 100, 40.4, 5],
    ]);
    node.context.adapter = { vendor: 'nvidia', architecture: '', device: 'h100', description: '' };
    const masked = (vendor: string, gpu: boolean): RunData => {
      const web = run(true, rows(gpu), '');
      web.context.adapter = { vendor, architecture: '', device: '', description: '' };
      return web;
    };
    // Chromium tells the vendor alone, Firefox nothing: both taken as Node's.
    for (const vendor of ['nvidia', '']) {
      const hop = browserHop(node, masked(vendor, true));
      expect(hop !== undefined && !('withheld' in hop), vendor).toBe(true);
      if (hop === undefined || 'withheld' in hop) return;
      expect(hop.adapterHidden).toBe(true);
      expect(hop.submitUs.median).toBeCloseTo(10, 6);
    }
    // Another vendor, or no GPU time to take off: withheld.
    const other = browserHop(node, masked('amd', true));
    expect(other !== undefined && 'withheld' in other).toBe(true);
    const wallOnly = browserHop(node, masked('nvidia', false));
    expect(wallOnly !== undefined && 'withheld' in wallOnly ? wallOnly.withheld : '').toMatch(
      /without GPU busy time in every case/,
    );
  });

  it('gives none for two Node runs, at K = 1, or without both strategies', () => {
    const [node, web] = pair(100);
    expect(browserHop(node, node)).toBeUndefined();
    const [node1, web1] = pair(1);
    expect(browserHop(node1, web1)).toBeUndefined();
    const onlyWait = run(true, [['submit-wait', 100, 2090]]);
    expect(browserHop(node, onlyWait)).toBeUndefined();
    expect(browserHop(node, web)).toBeDefined();
  });
});
