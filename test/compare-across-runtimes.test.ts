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

  it('says why verdicts across runtimes are unclear, and gives them with --between-run-spread', async () => {
    // The H200 default profile under Node (A of an identical pair) and in Chromium's page (B, its
    // first run, cut at round 6 of 6 by the batch's bound): every case differs, by 1.5–19×.
    const node = 'results/20261206T065444Z-nvidia-h200-pair/a';
    const page = 'results/20261206T070605Z-nvidia-h200-clock-batch/chromium-1';
    const counts = (stdout: string): { slower: number; busySame: number } => {
      const m = /B faster \d+, slower (\d+),.*GPU busy: faster \d+, slower \d+, same (\d+)/.exec(
        stdout,
      );
      if (m === null) throw new Error(`no summary line in:\n${stdout}`);
      return { slower: Number(m[1]), busySame: Number(m[2]) };
    };
    // Estimated from all the cases, the spread between the runs is the runtimes' differences
    // (±112% on wall): nothing is called, and the preamble says why and what to do.
    const estimated = await runInProcess(['compare', node, page]);
    expect(estimated.code, estimated.stderr).toBe(0);
    expect(estimated.stdout).toContain('(wall, estimated from all the cases)');
    expect(estimated.stdout).toContain('But the runs measured different runtimes');
    expect(estimated.stdout).toContain('give --between-run-spread');
    expect(counts(estimated.stdout).slower).toBe(0);
    // Given a wall spread of 4% (most identical pairs show 0–4%; docs/findings.md) and GPU busy's
    // 0.5%, the page is slower on wall for most of the 242 cases and its GPU busy the same as
    // Node's for most; in group, left out, is still estimated.
    const given = await runInProcess(['compare', node, page, '--between-run-spread', '4%,0.5%']);
    expect(given.code, given.stderr).toBe(0);
    expect(given.stdout).toContain(
      'a spread of ±4.0% (wall, given), ±0.5% (GPU busy, given), ±84.6% (in group, estimated from all the cases)',
    );
    expect(given.stdout).not.toContain('But the runs measured different runtimes');
    expect(counts(given.stdout).slower).toBeGreaterThan(200);
    expect(counts(given.stdout).busySame).toBeGreaterThan(180);
    // GPU busy left out keeps its estimate (±0.3%: the GPU's time is the same under both)
    const wallOnly = await runInProcess(['compare', node, page, '--between-run-spread=0.04']);
    expect(wallOnly.stdout).toContain('±0.3% (GPU busy, estimated from all the cases)');
    // 0 is a spread too, in any spelling
    const zero = await runInProcess(['compare', node, page, '--between-run-spread=0,0%,.0']);
    expect(zero.code, zero.stderr).toBe(0);
    expect(zero.stdout).toContain(
      '±0.0% (wall, given), ±0.0% (GPU busy, given), ±0.0% (in group, given)',
    );
    for (const bad of ['1%,2%,3%,4%', 'abc', '-2%', '3%,', ',3%', '100%', '1', '0 %x']) {
      const run = await runInProcess(['compare', node, page, `--between-run-spread=${bad}`]);
      expect(run.code, bad).toBe(2);
      expect(run.stderr).toContain(`--between-run-spread: '${bad}' must be`);
    }
    // runs that took turns one process per round see every process already: refused
    const ab = 'results/20261206T021946Z-nvidia-h100-80gb-hbm3-ab-known-cause-processes';
    const refused = await runInProcess([
      'compare',
      `${ab}/a`,
      `${ab}/b`,
      '--between-run-spread=4%',
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('their rounds already see every difference between processes');
  });

  it('prints neither line for two runs on one runtime', async () => {
    const run = await runInProcess(['compare', join(PAIR, 'a'), join(PAIR, 'b')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain(' against ');
    expect(run.stdout).not.toContain('steps per second');
    expect(run.stdout).not.toContain('A waited with');
  });
});
