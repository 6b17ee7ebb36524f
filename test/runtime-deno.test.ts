/**
 * `--runtime deno`: the same suite on Deno's WebGPU (wgpu), started by the Node command line as a
 * Deno child (src/cli.ts, src/gpu/runtime.ts). A small run verifies every strategy against the CPU
 * reference and names deno and its version, another the decode step's kernels; Dawn's own flags and a Deno that is not there are bad
 * input (one line, exit 2). Deno comes with `npm install` (the devDependency `deno`); without it,
 * or without an adapter, the run's test skips outside CI.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { IN_CI } from './support/gpu.ts';
import { hasJsStackTrace, ownStderrLines, runCli, type CliResult } from './support/cli.ts';
import { denoExecutable } from '../src/gpu/runtime.ts';

/** The Deno binary npm installed, or undefined (then the run's test skips outside CI). */
function installedDeno(): string | undefined {
  try {
    return denoExecutable();
  } catch (error) {
    if (IN_CI) throw error;
    return undefined;
  }
}

function expectOneLine(result: CliResult, message: RegExp): void {
  const lines = ownStderrLines(result.stderr);
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(hasJsStackTrace(result.stderr), result.stderr).toBe(false);
  expect(result.code, result.stderr).toBe(2);
}

const root = mkdtempSync(join(tmpdir(), 'launchbench-deno-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('--runtime deno', () => {
  it('measures every strategy on wgpu, verified, and names deno and its version', async (t) => {
    const deno = installedDeno();
    if (deno === undefined) return t.skip('Deno is not installed (npm install brings it)');
    const out = join(root, 'run');
    const result = await runCli(
      [
        'bench',
        '--runtime',
        'deno',
        '--profile',
        'quick',
        '--workloads',
        'map',
        '--elements',
        '64',
        '--kernels',
        '10',
        // The run's correctness, not its precision: two short rounds.
        '--rounds',
        '2',
        '--max-time',
        '20ms',
        '--out',
        out,
      ],
      { timeoutMs: 240_000 },
    );
    if (result.code === 3 && !IN_CI) return t.skip('no WebGPU adapter under Deno');
    expect(result.code, result.stderr).toBe(0);
    const rows: Record<string, string>[] = parse(readFileSync(join(out, 'summary.csv'), 'utf8'), {
      columns: true,
    });
    const strategies = rows.map((r) => r['strategy']);
    expect(new Set(strategies).size).toBeGreaterThanOrEqual(9);
    for (const r of rows) {
      expect(r['status'], r['strategy']).toBe('ok');
      expect(r['verified'], r['strategy']).toBe('true');
    }
    const context = JSON.parse(readFileSync(join(out, 'context.json'), 'utf8')) as {
      runtime: { name: string; version: string; webgpu: string };
      dawn: unknown;
      node: unknown;
    };
    const version = /deno (\S+)/.exec(execFileSync(deno, ['--version'], { encoding: 'utf8' }));
    expect(context.runtime).toEqual({ name: 'deno', version: version?.[1], webgpu: 'wgpu' });
    // Dawn's settings and Node's version are not this run's.
    expect(context.dawn).toBeNull();
    expect(context.node).toBeNull();
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toContain("These are wgpu's figures in Deno.");
    expect(report).toMatch(/\| runtime \| deno \S+ \(wgpu\) \|/);
  });

  it("runs the decode step's kernels on wgpu, verified (naga takes shaders/decode/step.wgsl)", async (t) => {
    if (installedDeno() === undefined) return t.skip('Deno is not installed');
    const out = join(root, 'decode');
    const result = await runCli(
      [
        'bench',
        ...['--runtime', 'deno', '--workloads', 'decode', '--preset', 'tiny'],
        ...['--strategies', 'dispatch-each,fused', '--rounds', '2', '--max-time', '20ms'],
        ...['--out', out],
      ],
      { timeoutMs: 240_000 },
    );
    if (result.code === 3 && !IN_CI) return t.skip('no WebGPU adapter under Deno');
    expect(result.code, result.stderr).toBe(0);
    const rows: Record<string, string>[] = parse(readFileSync(join(out, 'summary.csv'), 'utf8'), {
      columns: true,
    });
    expect(rows.map((r) => [r['strategy'], r['status'], r['verified']])).toEqual([
      ['dispatch-each', 'ok', 'true'],
      ['fused', 'ok', 'true'],
    ]);
  });

  it('ab compares Dawn in Node with wgpu in Deno, process by process, a side overriding the runtime of both', async (t) => {
    if (installedDeno() === undefined) return t.skip('Deno is not installed');
    const out = join(root, 'ab');
    const result = await runCli(
      [
        'ab',
        '--runtime',
        'deno',
        '--a',
        '--runtime node',
        ...['--workloads', 'map', '--elements', '64', '--kernels', '10'],
        ...['--strategies', 'submit-wait', '--rounds', '2', '--processes', '1'],
        ...['--max-time', '10ms', '--no-drift'],
        '--out',
        out,
      ],
      { timeoutMs: 240_000 },
    );
    if (result.code === 3 && !IN_CI) return t.skip('no WebGPU adapter');
    expect(result.code, result.stderr).toBe(0);
    const runtime = (side: string): unknown =>
      (JSON.parse(readFileSync(join(out, side, 'context.json'), 'utf8')) as { runtime: unknown })
        .runtime;
    expect(runtime('a')).toMatchObject({ name: 'node', webgpu: 'dawn' });
    expect(runtime('b')).toMatchObject({ name: 'deno', webgpu: 'wgpu' });
    const rows: Record<string, string>[] = parse(readFileSync(join(out, 'compare.csv'), 'utf8'), {
      columns: true,
    });
    expect(rows.map((r) => r['strategy'])).toEqual(['submit-wait']);
    // The comparison names each side's runtime, since they differ.
    expect(result.stdout).toMatch(/^A: .*, node \S+ \(Dawn\)$/m);
    expect(result.stdout).toMatch(/^B: .*, deno \S+ \(wgpu\)$/m);
    // And what each strategy's wall becomes from one to the other: here its one case's B/A.
    const ratio = Number(rows[0]?.['wallRatio']);
    expect(result.stdout).toContain(
      `Dawn in Node (A) against wgpu in Deno (B): B/A wall per strategy, geometric mean over its cases: submit-wait ${ratio.toPrecision(3)}× (1 case)`,
    );
  });

  it("takes none of Dawn's flags", async (t) => {
    if (installedDeno() === undefined) return t.skip('Deno is not installed');
    const result = await runCli(['info', '--runtime', 'deno', '--dawn-toggles', 'skip_validation']);
    expectOneLine(result, /^launchbench: --dawn-toggles is Dawn's \(--runtime node\)/);
  });

  it('a Deno that is not there: one line naming it, exit 2', async () => {
    const result = await runCli(['info', '--runtime', 'deno'], {
      env: { LAUNCHBENCH_DENO: '/nonexistent/deno' },
    });
    expectOneLine(
      result,
      /^launchbench: --runtime deno: LAUNCHBENCH_DENO=\/nonexistent\/deno: no such file$/,
    );
  });
});
