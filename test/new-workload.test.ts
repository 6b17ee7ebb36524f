/**
 * A new workload is one file and one registry line, its own command-line flags included: a
 * throwaway workload (`map` under another id, with named shapes whose axes it gives its own flag
 * names), pushed onto the registry before the command line is loaded, brings its flags to
 * `bench` (and its --help), takes them (a value past the flag's own range is bad input, exit 2), and runs
 * verified with every strategy asked for, its rows in summary.csv and report.md. Runs on the
 * adapter, in this process.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { WORKLOADS } from '../src/workloads/index.ts';
import { decodeWorkload } from '../src/workloads/decode/workload.ts';
import { mapWorkload } from '../src/workloads/map.ts';
import type { Workload } from '../src/workloads/types.ts';
import { IN_CI } from './support/gpu.ts';

const throwaway: Workload = {
  ...mapWorkload,
  id: 'throwaway',
  description: 'map under another id, with named shapes (a test double)',
  presets: {
    names: ['small', 'wide'],
    defaults: ['small'],
    meaning: { elements: 'items', kernels: 'steps' },
    axes: (preset) =>
      preset === 'small' ? { elements: 64, kernels: 4 } : { elements: 4096, kernels: 2 },
    flags: {
      elements: { name: 'throwaway-items', describe: 'items per step', min: 1, max: 1 << 20 },
      kernels: { name: 'throwaway-steps', describe: 'steps', min: 1, max: 8 },
    },
  },
};

// Before the command line is loaded: its options are made from the registry.
(WORKLOADS as Workload[]).push(throwaway);
const { runInProcess } = await import('./support/cli.ts');
const { presetFlags } = await import('../src/commands/bench-options.ts');
afterAll(() => {
  (WORKLOADS as Workload[]).splice(WORKLOADS.indexOf(throwaway), 1);
});

const root = mkdtempSync(join(tmpdir(), 'launchbench-new-workload-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a workload registered with one line', () => {
  it('brings its own flags to bench, with their ranges checked', async () => {
    expect(presetFlags['throwaway-items']?.describe).toBe(
      "throwaway: items per step, list (default each preset's)",
    );
    expect(presetFlags['throwaway-steps']?.describe).toBe(
      "throwaway: steps, list (default each preset's)",
    );
    const past = await runInProcess([
      'bench',
      '--workloads',
      'throwaway',
      '--throwaway-steps',
      '9',
    ]);
    expect(past.code).toBe(2);
    expect(past.stderr).toMatch(/^launchbench: --throwaway-steps: 9 is outside 1…8$/m);
  });

  it("gives its flags' values to itself only, not to another workload with presets", async (t) => {
    const run = await runInProcess([
      'bench',
      ...['--workloads', 'throwaway,decode', '--preset', 'small,tiny'],
      ...['--throwaway-steps', '3', '--strategies', 'fused', '--dry-run'],
    ]);
    if (run.code === 3 && !IN_CI) return t.skip('no WebGPU adapter');
    expect(run.code, run.stderr).toBe(0);
    const cases = [...run.stdout.matchAll(/^(\S+\/e\d+\/k\d+)\//gm)].map((m) => m[1]);
    // decode's tiny preset at its own context and layers (decode/shapes.ts).
    const tiny = decodeWorkload.presets?.axes('tiny');
    expect(cases).toEqual([
      'throwaway:small/e64/k3',
      `decode:tiny/e${tiny?.elements}/k${tiny?.kernels}`,
    ]);
  });

  it('runs verified at the axes its flags give', async (t) => {
    const out = join(root, 'run');
    const run = await runInProcess([
      'bench',
      '--workloads',
      'throwaway',
      '--throwaway-steps',
      '3',
      '--strategies',
      'dispatch-each,fused',
      '--rounds',
      '1',
      '--max-time',
      '10ms',
      '--no-drift',
      '--out',
      out,
    ]);
    if (run.code === 3 && !IN_CI) return t.skip('no WebGPU adapter');
    expect(run.code, run.stderr).toBe(0);
    type Row = Record<string, string>;
    const rows = parse<Row>(readFileSync(join(out, 'summary.csv'), 'utf8'), { columns: true });
    expect(rows.map((r) => [r['workload'], r['strategy'], r['elements'], r['kernels']])).toEqual([
      ['throwaway:small', 'dispatch-each', '64', '3'],
      ['throwaway:small', 'fused', '64', '3'],
    ]);
    for (const r of rows)
      expect([r['status'], r['verified']], r['strategy']).toEqual(['ok', 'true']);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('throwaway');
  }, 60_000);
});
