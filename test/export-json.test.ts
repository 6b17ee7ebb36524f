/**
 * The exports other tools read (src/report/export.ts), from the fixture run: `report DIR
 * --export-json` writes google-benchmark's JSON, which a small consumer reads as google-benchmark's
 * tools/compare.py does (benchmarks matched by `name`, `real_time` in `time_unit`, `iterations`),
 * and `--export-markdown` a table of the same cases; a path that cannot be a file is bad input
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

  it('refuses an export path that cannot be a file, before anything runs', async () => {
    for (const args of [
      ['report', dir, '--export-json', root],
      ['bench', '--export-markdown', `${root}/`],
      ['bench', '--export-json', join(FIXTURE, 'summary.csv', 'x.json')],
    ]) {
      const result = await runCli(args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(/^launchbench: --export-(json|markdown): /);
    }
  });
});
