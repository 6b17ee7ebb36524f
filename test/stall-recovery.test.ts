/**
 * A stalled execution costs only its own case. With a tiny watchdog (`--stall-timeout 300ms`)
 * and every `fused` execution after its verification made to take 450 ms
 * (LAUNCHBENCH_FAULT_STALL_CASE, src/measure/run-case.ts), the run waits for the stalled
 * execution and the queue to drain before it frees or submits anything, and goes on: each fused
 * case fails with the watchdog's reason and every other case of the run (48) is verified and
 * meets the sample floor. An execution that never ends leaves a queue that does not drain: the
 * run stops as on a lost device (exit 4, one line), keeping the groups measured before it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { IN_CI } from './support/gpu.ts';
import { ownStderrLines, runCli } from './support/cli.ts';

const root = mkdtempSync(join(tmpdir(), 'launchbench-stall-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ARGS = ['bench', '--profile', 'quick', '--kernels', '1,10', '--stall-timeout', '300ms'];
const rowsOf = (dir: string): Record<string, string>[] =>
  existsSync(join(dir, 'summary.csv'))
    ? parse(readFileSync(join(dir, 'summary.csv'), 'utf8'), { columns: true })
    : [];

describe('a stalled case', () => {
  it('fails alone: the queue drains and every later case runs and verifies', async (t) => {
    const out = join(root, 'drained');
    const result = await runCli([...ARGS, '--elements', '64,4096,65536', '--out', out], {
      env: { LAUNCHBENCH_FAULT_STALL_CASE: 'fused', LAUNCHBENCH_FAULT_STALL_MS: '450' },
      timeoutMs: 120_000,
    });
    if (result.code === 3 && !IN_CI) t.skip('no WebGPU adapter');
    expect(result.code, result.stderr).toBe(0);
    const rows = rowsOf(out);
    expect(rows).toHaveLength(6 * 9);
    for (const r of rows) {
      if (r['strategy'] === 'fused') {
        expect(r['status']).toBe('failed');
        expect(r['reason']).toBe('fused execution did not complete within 300 ms (watchdog)');
      } else {
        expect([r['strategy'], r['status'], r['verified'], r['enoughSamples']]).toEqual([
          r['strategy'],
          'ok',
          'true',
          'true',
        ]);
      }
    }
    expect(ownStderrLines(result.stderr)).toContain(
      `launchbench: 6 case(s) failed; see the reason column of ${join(out, 'summary.csv')}`,
    );
  });

  it('whose execution never ends leaves a queue that does not drain: exit 4, earlier groups kept', async (t) => {
    const out = join(root, 'wedged');
    const stalled = 'map/e4096/k10/i0/wg64/fused';
    const result = await runCli([...ARGS, '--elements', '64,4096', '--out', out], {
      env: { LAUNCHBENCH_FAULT_STALL_CASE: stalled },
      timeoutMs: 120_000,
    });
    if (result.code === 3 && !IN_CI) t.skip('no WebGPU adapter');
    expect(result.code, result.stderr).toBe(4);
    const own = ownStderrLines(result.stderr).filter((l) => !l.startsWith('launchbench: round '));
    expect(own).toEqual([
      expect.stringMatching(
        /^launchbench: the GPU queue did not drain within 0\.3 s after a stalled execution \(fused execution did not complete within 300 ms \(watchdog\)\); the \d+ case\(s\) measured before it kept in /,
      ),
    ]);
    // Whatever was written comes from the groups visited before the stall, all verified.
    for (const r of rowsOf(out)) {
      expect(`${r['elements']}/${r['kernels']}`).not.toBe('4096/10');
      expect([r['status'], r['verified']]).toEqual(['ok', 'true']);
    }
    const context = JSON.parse(readFileSync(join(out, 'context.json'), 'utf8')) as {
      deviceLost: unknown;
      complete: unknown;
    };
    expect(context.complete).toBe(false);
    expect(context.deviceLost).toMatch(/did not drain/);
  });
});
