/**
 * `launchbench anatomy`: after both strategies it takes apart match the CPU reference, every call
 * of their host loops is timed on its own; anatomy.csv holds each chain's parts, their sum, the
 * strategy's own time and the rest (whole − sum), consistent with each other, and anatomy.md says
 * what the parts add up to from those rows. Bad input: one line, exit 2. Runs on the adapter.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { IN_CI } from './support/gpu.ts';
import { ownStderrLines, runCli } from './support/cli.ts';

const root = mkdtempSync(join(tmpdir(), 'launchbench-anatomy-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Row = Record<string, string>;

describe('anatomy', () => {
  it('takes submit-each and dispatch-each apart and adds the parts up against them', async (t) => {
    const out = join(root, 'run');
    const run = await runCli([
      'anatomy',
      '--kernels',
      '50',
      '--rounds',
      '2',
      '--samples',
      '1',
      '--out',
      out,
    ]);
    if (run.code === 3 && !IN_CI) return t.skip('no WebGPU adapter');
    expect(run.code, run.stderr).toBe(0);
    const rows: Row[] = parse(readFileSync(join(out, 'anatomy.csv'), 'utf8'), { columns: true });
    const md = readFileSync(join(out, 'anatomy.md'), 'utf8');
    for (const chain of ['submit-each', 'dispatch-each']) {
      const own = rows.filter((r) => r['chain'] === chain);
      const parts = own.filter((r) => r['usPerCall'] !== '');
      expect(parts.map((r) => r['part'])).toEqual(
        expect.arrayContaining([
          'createCommandEncoder',
          'setBindGroup',
          'dispatchWorkgroups',
          'submit',
          'onSubmittedWorkDone',
        ]),
      );
      for (const r of parts)
        expect(Number(r['usPerCall']), `${chain} ${r['part']}`).toBeGreaterThanOrEqual(0);
      const value = (part: string): number =>
        Number(own.find((r) => (r['part'] ?? '').startsWith(part))?.['usPerKernel']);
      const sum = parts.reduce((s, r) => s + Number(r['usPerKernel']), 0);
      expect(value('sum of parts')).toBeCloseTo(sum, 6);
      expect(value('whole')).toBeGreaterThan(0);
      expect(value('rest')).toBeCloseTo(value('whole') - sum, 6);
      const share = Math.round((100 * sum) / value('whole'));
      expect(md).toContain(`\`${chain}\`: the parts add up to`);
      expect(md).toContain(`, ${share}% of the strategy's own`);
    }
    const extras = rows.filter((r) => r['chain'] === 'extra').map((r) => r['part']);
    expect(extras).toEqual(
      expect.arrayContaining([
        'onSubmittedWorkDone, idle queue',
        'mapAsync + unmap, idle buffer',
        'onSubmittedWorkDone nudged, idle queue',
        'round trip nudged, one dispatch',
        'writeBuffer, 16 bytes',
        'setBindGroup, 4 of 4 groups per dispatch',
        'setBindGroup with a dynamic offset',
      ]),
    );
    const context = JSON.parse(readFileSync(join(out, 'anatomy-context.json'), 'utf8')) as {
      runtime: { name: string };
      kernels: number;
    };
    expect(context).toMatchObject({ runtime: { name: 'node' }, kernels: 50 });
  }, 120_000);

  it('leaves no folder behind when it fails, and its folder is refused to a bench', async (t) => {
    const never = join(root, 'no-adapter', 'deep');
    const failed = await runCli([
      'anatomy',
      '--adapter',
      'no adapter has this name',
      '--out',
      never,
    ]);
    expect(failed.code).toBe(3);
    expect(existsSync(join(root, 'no-adapter'))).toBe(false);
    const out = join(root, 'run');
    if (!existsSync(join(out, 'anatomy.csv'))) return t.skip('the anatomy above did not run');
    const bench = await runCli(['bench', '--profile', 'quick', '--out', out]);
    expect(ownStderrLines(bench.stderr)).toEqual([
      `launchbench: --out: '${out}' already holds a run (anatomy.csv); give a new folder, or remove that run first`,
    ]);
    expect(bench.code).toBe(2);
  });

  it('refuses a K it cannot take apart: one line, exit 2', async () => {
    const run = await runCli(['anatomy', '--kernels', '1', '--out', join(root, 'never')]);
    expect(ownStderrLines(run.stderr)).toEqual(['launchbench: --kernels: 1 is outside 2…4096']);
    expect(run.code).toBe(2);
  });
});
