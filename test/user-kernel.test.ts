/**
 * Your own kernel from the command line (`bench --shader`, src/workloads/user-shader.ts), with
 * examples/user-kernel/xor-rotate.wgsl: with its reference every strategy that applies is
 * verified and measured (fused through --fused-entry); a wrong reference fails every case as a
 * wrong result; without one the cases are measured, named `…:unverified` and not verified; a
 * missing file, entry point or reference function is bad input (exit 2) before any GPU work; a
 * shader that does not compile, or a file that is not text, is bad input in one line naming
 * file:line:column and the compiler's message, with no run folder left behind.
 */
import { parse } from 'csv-parse/sync';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, ownStderrLines, runCli } from './support/cli.ts';

const SHADER = join(REPO_ROOT, 'examples', 'user-kernel', 'xor-rotate.wgsl');
const REFERENCE = join(REPO_ROOT, 'examples', 'user-kernel', 'xor-rotate.ts');
const IN_CI = process.env['CI'] !== undefined;
const QUICK = ['bench', '--profile', 'quick', '--elements', '64,1000', '--kernels', '1,10'];
const FAST = ['--rounds', '1', '--max-time', '20ms', '--min-samples', '3', '--no-drift'];

let root = '';
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'launchbench-user-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Row = Record<string, string>;
const summary = (dir: string): Row[] =>
  parse<Row>(readFileSync(join(dir, 'summary.csv'), 'utf8'), { columns: true });

describe('bench --shader', () => {
  it('verifies and measures your kernel with its reference, fused too', async (t) => {
    const out = join(root, 'verified');
    const run = await runCli(
      [
        ...QUICK,
        ...FAST,
        '--shader',
        SHADER,
        '--fused-entry',
        'fused',
        '--reference',
        REFERENCE,
        '--out',
        out,
      ],
      { timeoutMs: 110_000 },
    );
    if (run.code === 3 && !IN_CI) t.skip('no WebGPU adapter');
    expect(run.code, run.stderr).toBe(0);
    const rows = summary(out);
    expect(new Set(rows.map((r) => r['workload']))).toEqual(new Set(['user:xor-rotate']));
    const ok = rows.filter((r) => r['status'] === 'ok');
    expect(ok.length).toBe(4 * 8); // 2 sizes × 2 K × every strategy but persistent
    for (const r of ok) expect(r['verified'], `${r['strategy']}`).toBe('true');
    expect(rows.filter((r) => r['strategy'] === 'persistent').map((r) => r['reason'])).toEqual(
      Array(4).fill('a user kernel has no persistent form'),
    );
  }, 120_000);

  it('a wrong reference fails every case as a wrong result', async (t) => {
    const wrong = join(root, 'wrong.ts');
    writeFileSync(wrong, 'export const reference = (input: Uint32Array) => input.slice();\n');
    const out = join(root, 'wrong');
    const run = await runCli(
      [
        ...QUICK,
        ...FAST,
        '--strategies',
        'dispatch-each,prerecorded',
        '--shader',
        SHADER,
        '--reference',
        wrong,
        '--out',
        out,
      ],
      { timeoutMs: 110_000 },
    );
    if (run.code === 3 && !IN_CI) t.skip('no WebGPU adapter');
    expect(run.code, run.stderr).toBe(0);
    const rows = summary(out);
    expect(rows.length).toBe(8);
    for (const r of rows) {
      expect(r['status']).toBe('failed');
      expect(r['reason']).toMatch(/^wrong result/);
    }
  }, 120_000);

  it('without a reference: measured, not verified, and named so', async (t) => {
    const out = join(root, 'unverified');
    const run = await runCli(
      [...QUICK, ...FAST, '--strategies', 'dispatch-each', '--shader', SHADER, '--out', out],
      { timeoutMs: 110_000 },
    );
    if (run.code === 3 && !IN_CI) t.skip('no WebGPU adapter');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('user:xor-rotate:unverified has no --reference');
    for (const r of summary(out)) {
      expect(r['workload']).toBe('user:xor-rotate:unverified');
      expect(r['status']).toBe('ok');
      expect(r['verified']).toBe('false');
    }
  }, 120_000);

  it('refuses a missing file, entry point or reference function before any GPU work', async () => {
    const noFunction = join(root, 'nofunction.ts');
    writeFileSync(noFunction, 'export const something = 1;\n');
    for (const [args, message] of [
      [['--shader', join(root, 'missing.wgsl')], /^launchbench: --shader: cannot read/],
      [['--shader', SHADER, '--entry', 'nope'], /^launchbench: --entry: .* has no function 'nope'/],
      [
        ['--shader', SHADER, '--reference', noFunction],
        /^launchbench: --reference: .* exports no function/,
      ],
      [['--reference', REFERENCE], /^launchbench: --reference: needs --shader/],
      [
        ['--shader', SHADER, '--workloads', 'map'],
        /^launchbench: --shader: .*leave out --workloads/,
      ],
    ] as const) {
      const run = await runCli(['bench', ...args]);
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toMatch(message);
    }
  });

  it('refuses a shader that does not compile, or is not text: one line, nothing written', async (t) => {
    const broken = join(root, 'broken.wgsl');
    writeFileSync(
      broken,
      '@compute @workgroup_size(64)\nfn main(@builtin(global_invocation_id) id: vec3u) {\n  let x = 1 +;\n}\n',
    );
    const binary = join(root, 'binary.wgsl');
    writeFileSync(binary, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0xff]));
    for (const [shader, line] of [
      [broken, new RegExp(`^launchbench: --shader: ${broken}:3:\\d+: \\S.*$`)],
      [binary, /^launchbench: --shader: '.*binary\.wgsl' is not WGSL text \(binary data\)$/],
    ] as const) {
      const out = join(root, 'not-written', 'run');
      const run = await runCli([...QUICK, '--shader', shader, '--out', out]);
      if (run.code === 3 && !IN_CI) t.skip('no WebGPU adapter');
      expect(run.code, run.stderr).toBe(2);
      expect(ownStderrLines(run.stderr)).toHaveLength(1);
      expect(ownStderrLines(run.stderr)[0]).toMatch(line);
      expect(existsSync(join(root, 'not-written'))).toBe(false);
    }
  });
});
