/**
 * compare between runs on two runtimes (Dawn in Node against wgpu in Deno): each side's runtime is
 * named, and two lines say what each strategy's wall becomes (the geometric mean of B/A over its
 * cases) and, for a workload measured per step (decode), the steps per second of each run's fastest
 * strategy. Made from the published H200 decode pair, B relabelled as Deno's; runs on one runtime
 * print neither. In-process, no GPU.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { runInProcess } from './support/cli.ts';

const PAIR = 'results/20261201T173902Z-nvidia-h200-decode-pair';
const root = mkdtempSync(join(tmpdir(), 'launchbench-across-runtimes-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Row = Record<string, string>;

describe('compare across runtimes', () => {
  it('names each runtime, and gives B/A per strategy and each run’s steps per second', async () => {
    for (const side of ['a', 'b']) cpSync(join(PAIR, side), join(root, side), { recursive: true });
    const contextPath = join(root, 'b', 'context.json');
    const context = JSON.parse(readFileSync(contextPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(
      contextPath,
      JSON.stringify({ ...context, runtime: { name: 'deno', version: '2.9.6', webgpu: 'wgpu' } }),
    );
    const out = join(root, 'compare.csv');
    const run = await runInProcess(['compare', join(root, 'a'), join(root, 'b'), '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^A: .*, node \(Dawn\)$/m);
    expect(run.stdout).toMatch(/^B: .*, deno 2\.9\.6 \(wgpu\)$/m);
    // The state probe times each runtime's own completion path: not fitted on, not called the
    // machine's move.
    expect(run.stdout).toContain(
      "from the runs' figures and between-round spreads: the runs measured different runtimes",
    );
    expect(run.stdout).not.toContain('the machine itself moved');
    // B/A per strategy: the geometric mean of compare.csv's ratios of its cases.
    const rows: Row[] = parse(readFileSync(out, 'utf8'), { columns: true });
    const fused = rows.filter((r) => r['strategy'] === 'fused').map((r) => Number(r['wallRatio']));
    const mean = Math.exp(fused.reduce((s, x) => s + Math.log(x), 0) / fused.length);
    expect(run.stdout).toContain(`fused ${mean.toPrecision(3)}× (${fused.length} cases)`);
    // Steps per second: 1 / the fastest strategy's step in each run.
    const fastest = (side: string): Row => {
      const summary: Row[] = parse(readFileSync(join(root, side, 'summary.csv'), 'utf8'), {
        columns: true,
      });
      const tiny = summary.filter((r) => r['workload'] === 'decode:tiny' && r['status'] === 'ok');
      return tiny.reduce((best, r) =>
        Number(r['wallUsTotal']) < Number(best['wallUsTotal']) ? r : best,
      );
    };
    const perSecond = (r: Row): string =>
      `${Number((1e6 / Number(r['wallUsTotal'])).toPrecision(3))} (${r['strategy']})`;
    expect(run.stdout).toContain(
      `decode:tiny ${perSecond(fastest('a'))} → ${perSecond(fastest('b'))}`,
    );
  });

  it('says when the two runs waited for the GPU in different ways', async () => {
    const b = join(root, 'b-map-async');
    cpSync(join(PAIR, 'b'), b, { recursive: true });
    const contextPath = join(b, 'context.json');
    const context = JSON.parse(readFileSync(contextPath, 'utf8')) as {
      options: Record<string, unknown>;
    };
    context.options = { ...context.options, completion: 'map-async' };
    writeFileSync(contextPath, JSON.stringify(context));
    const run = await runInProcess(['compare', join(PAIR, 'a'), b]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      'A waited with --completion submitted-work-done, B with map-async: every B/A includes',
    );
  });

  it('prints neither line for two runs on one runtime', async () => {
    const run = await runInProcess(['compare', join(PAIR, 'a'), join(PAIR, 'b')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain(' against ');
    expect(run.stdout).not.toContain('steps per second');
    expect(run.stdout).not.toContain('A waited with');
  });
});
