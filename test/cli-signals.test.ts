/**
 * An interrupted run keeps what it finished: SIGINT (exit 130), SIGTERM (exit 143) or SIGHUP
 * (exit 129) during a bench stops it after the current sample, and the run folder stays
 * well-formed: summary.csv parses with every finished case, samples.csv parses, and context.json
 * says interrupted. Each signal to the command's process, which passes it on to its measuring
 * child, and SIGHUP also to the whole process group at once, as a closed terminal sends it (the
 * child, which did not listen for it, died of it with its files half written).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { STRATEGIES } from '../src/strategies/index.ts';
import { IN_CI } from './support/gpu.ts';
import { ownStderrLines, runCli } from './support/cli.ts';

const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Data rows of summary.csv so far (0 while it does not exist: written after the first case). */
function summaryRows(dir: string): Record<string, string>[] {
  const path = join(dir, 'summary.csv');
  if (!existsSync(path)) return [];
  return parse(readFileSync(path, 'utf8'), { columns: true, skip_empty_lines: true });
}

describe.each([
  ['SIGINT', 130, 'the process'],
  ['SIGTERM', 143, 'the process'],
  ['SIGHUP', 129, 'the process'],
  ['SIGHUP', 129, 'the process group'],
] as const)('%s to %s', (signal, exitCode, to) => {
  it(`stops after the current sample, exits ${exitCode}, keeps the finished cases`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), `launchbench-${signal}-`));
    dirs.push(dir);
    // Far more work than the test waits for: 3 groups (sizes) × every strategy, up to 2 s each.
    // The signal comes once the first visit is written, so the second visit is cut short and the
    // third group is never visited: it must not appear in summary.csv.
    const elements = [64, 4096, 65536];
    const planned = elements.length * STRATEGIES.length;
    let child: ChildProcess | undefined;
    const running = runCli(
      [
        'bench',
        '--profile',
        'quick',
        '--kernels',
        '100',
        '--elements',
        elements.join(','),
        '--max-time',
        '2s',
        '--max-noise',
        '0.0001',
        // The drift probes (another test's concern) would only delay the first visit.
        '--no-drift',
        '--out',
        dir,
      ],
      { timeoutMs: 100_000, onSpawn: (c) => (child = c), group: to === 'the process group' },
    );
    let exited = false;
    void running.then(
      () => (exited = true),
      () => (exited = true),
    );
    while (!exited && summaryRows(dir).length === 0) await sleep(50);
    const exitedEarly = exited;
    if (!exitedEarly) {
      const pid = child?.pid;
      // never -0: that would be this test's own group
      if (to === 'the process group' && pid !== undefined && pid > 0) process.kill(-pid, signal);
      else child?.kill(signal);
    }
    const result = await running;
    if (result.code === 3 && !IN_CI) t.skip('no WebGPU adapter (see scripts/install-lavapipe.sh)');
    expect(exitedEarly, `exited before the first case was written: ${result.stderr}`).toBe(false);

    expect(result.code, result.stderr).toBe(exitCode);
    expect(result.signal).toBeNull();
    expect(ownStderrLines(result.stderr)).toContain(
      `launchbench: ${signal}: stopping after the current sample`,
    );

    const rows = summaryRows(dir);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(planned);
    for (const r of rows) {
      expect(['ok', 'not-applicable']).toContain(r['status']);
      if (r['status'] === 'ok') expect(r['verified']).toBe('true');
    }
    // Only the visit in flight when the signal came is cut short: its cases, one group, say so.
    const group = (r: Record<string, string>): string => `${r['elements']}/${r['kernels']}`;
    const cut = new Set(rows.filter((r) => r['reason'] === 'interrupted').map(group));
    expect(cut.size).toBeLessThanOrEqual(1);
    expect(new Set(rows.map(group)).size).toBeLessThan(elements.length);

    const samples: Record<string, string>[] = parse(
      readFileSync(join(dir, 'samples.csv'), 'utf8'),
      { columns: true, skip_empty_lines: true },
    );
    expect(samples.length).toBeGreaterThan(0);

    const context = JSON.parse(readFileSync(join(dir, 'context.json'), 'utf8')) as {
      interrupted: unknown;
      complete: unknown;
      finishedAt: unknown;
    };
    expect(context.interrupted).toBe(true);
    expect(context.complete).toBe(false);
    expect(typeof context.finishedAt).toBe('string');
  });
});
