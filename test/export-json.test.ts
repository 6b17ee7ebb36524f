/**
 * The exports other tools read (src/report/export.ts), from the fixture run: `report DIR
 * --export-json` writes google-benchmark's JSON, which a small consumer reads as google-benchmark's
 * tools/compare.py does (benchmarks matched by `name`, `real_time` in `time_unit`, `iterations`),
 * `--export-benchmark-action` github-action-benchmark's custom JSON (read as its
 * `customSmallerIsBetter` tool does: an array of { name, unit, value, range?, extra? }), and
 * `--export-markdown` a table of the same cases; a path that cannot be a file is bad input
 * (exit 2) before anything runs. No GPU needed.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRun } from '../src/report/read-run.ts';
import { isOk } from '../src/report/select.ts';
import { runCli } from './support/cli.ts';

const FIXTURE = new URL('./fixtures/run-small', import.meta.url).pathname;
let root = '';
let dir = '';

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'launchbench-export-'));
  dir = join(root, 'run');
  cpSync(FIXTURE, dir, { recursive: true });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface GBenchmark {
  name: string;
  run_type: string;
  iterations: number;
  real_time: number;
  cpu_time: number;
  time_unit: string;
}

/** What compare.py takes from a google-benchmark JSON file: name → time in ns. */
function readGoogleBenchmark(path: string): Map<string, number> {
  const file = JSON.parse(readFileSync(path, 'utf8')) as {
    context: Record<string, unknown>;
    benchmarks: GBenchmark[];
  };
  expect(typeof file.context['date']).toBe('string');
  const toNs: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9 };
  const out = new Map<string, number>();
  for (const b of file.benchmarks) {
    expect(typeof b.name).toBe('string');
    expect(b.run_type).toBe('iteration');
    expect(Number.isInteger(b.iterations) && b.iterations >= 1).toBe(true);
    expect(Object.keys(toNs)).toContain(b.time_unit);
    expect(Number.isFinite(b.real_time) && b.real_time > 0).toBe(true);
    expect(Number.isFinite(b.cpu_time)).toBe(true);
    expect(out.has(b.name), `duplicate name ${b.name}`).toBe(false);
    out.set(b.name, b.real_time * (toNs[b.time_unit] ?? NaN));
  }
  return out;
}

describe('exports', () => {
  it('report --export-json writes what a google-benchmark consumer reads', async () => {
    const json = join(root, 'out', 'gbench.json');
    const markdown = join(root, 'out', 'table.md');
    const result = await runCli([
      'report',
      dir,
      '--export-json',
      json,
      '--export-markdown',
      markdown,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`export: ${json}\n`);
    const times = readGoogleBenchmark(json);
    // One benchmark per case on the sample floor, with the run's own figure (µs → ns).
    const ok = readRun(dir).summary.filter(isOk);
    expect(times.size).toBe(ok.length);
    const first = ok[0];
    if (first === undefined) throw new Error('fixture has no measured case');
    const name = `${first.workload}/e${first.elements}/k${first.kernels}/i${first.intensity}/wg${first.workgroupSize}/${first.strategy}`;
    expect(times.get(name)).toBeCloseTo((first.wallUsPerKernel ?? NaN) * 1e3, 6);
    // compare.py's comparison of a file with itself: every ratio 1.
    const again = readGoogleBenchmark(json);
    for (const [n, t] of times) expect((again.get(n) ?? NaN) / t).toBe(1);

    const table = readFileSync(markdown, 'utf8');
    expect(table.split('\n').filter((l) => l.startsWith('| `')).length).toBe(ok.length);
    expect(table).toContain('| case | strategy | wall µs |');
  });

  it('report --export-benchmark-action writes what github-action-benchmark reads', async () => {
    const path = join(root, 'out', 'action.json');
    const result = await runCli(['report', dir, '--export-benchmark-action', path]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`export: ${path}\n`);
    // The action's custom tools take an array and require name, unit and a numeric value.
    const entries = JSON.parse(readFileSync(path, 'utf8')) as unknown[];
    expect(Array.isArray(entries)).toBe(true);
    const byName = new Map<string, { unit: string; value: number; range?: string }>();
    for (const e of entries as Record<string, unknown>[]) {
      expect(typeof e['name']).toBe('string');
      expect(typeof e['unit']).toBe('string');
      expect(Number.isFinite(e['value'])).toBe(true);
      if (e['range'] !== undefined) expect(e['range']).toMatch(/^± [0-9.e+-]+$/);
      if (e['extra'] !== undefined) expect(typeof e['extra']).toBe('string');
      expect(byName.has(e['name'] as string), `duplicate ${String(e['name'])}`).toBe(false);
      byName.set(e['name'] as string, e as { unit: string; value: number; range?: string });
    }
    // Per case on the floor: its wall figure, and its GPU busy figure where it has one.
    const ok = readRun(dir).summary.filter(isOk);
    const withGpu = ok.filter((r) => r.gpuBusyUsPerKernel !== null);
    expect(byName.size).toBe(ok.length + withGpu.length);
    const first = withGpu[0];
    if (first === undefined) throw new Error('fixture has no case with GPU busy');
    const name = `${first.workload}/e${first.elements}/k${first.kernels}/i${first.intensity}/wg${first.workgroupSize}/${first.strategy}`;
    expect(byName.get(`${name} wall`)?.value).toBe(first.wallUsPerKernel);
    expect(byName.get(`${name} wall`)?.unit).toBe('us/kernel');
    expect(byName.get(`${name} GPU busy`)?.value).toBe(first.gpuBusyUsPerKernel);
    if (first.wallUsPerKernelLo95 !== null && first.wallUsPerKernelHi95 !== null) {
      const half = (first.wallUsPerKernelHi95 - first.wallUsPerKernelLo95) / 2;
      const range = Number(byName.get(`${name} wall`)?.range?.slice(2));
      expect(Math.abs(range / half - 1)).toBeLessThan(0.005); // three significant digits
    }
  });

  it('refuses an export path that cannot be a file, before anything runs', async () => {
    for (const args of [
      ['report', dir, '--export-json', root],
      ['bench', '--export-markdown', `${root}/`],
      ['bench', '--export-json', join(FIXTURE, 'summary.csv', 'x.json')],
      ['report', dir, '--export-benchmark-action', ''],
    ]) {
      const result = await runCli(args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(/^launchbench: --export-(json|markdown|benchmark-action): /);
    }
  });
});
