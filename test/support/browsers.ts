/** The machine's browsers for the browser tests (test/runtime-chromium.test.ts, runtime-firefox). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { expect } from 'vitest';
import { runCli } from './cli.ts';
import { findBrowser } from '../../src/commands/find-browser.ts';
import type { BrowserRuntime } from '../../src/gpu/runtime.ts';
import { IN_CI } from './gpu.ts';

/** The machine's `kind` of browser, or undefined (then the tests skip; in CI a missing one fails). */
export function installedBrowser(kind: BrowserRuntime): string | undefined {
  try {
    return findBrowser(kind, undefined);
  } catch (error) {
    if (IN_CI) throw error;
    return undefined;
  }
}

/**
 * A small verified run in `kind`'s page (`extra` bench options besides it) into `out`: it exits
 * 0, measures at least the nine strategies, each `ok` and verified; its context.json is returned.
 */
export async function verifiedBrowserRun<Context>(
  kind: BrowserRuntime,
  out: string,
  extra: readonly string[] = [],
): Promise<Context> {
  const result = await runCli(
    [
      ...['bench', '--runtime', kind, ...extra, '--profile', 'quick', '--workloads', 'map'],
      ...['--elements', '64', '--kernels', '10'],
      // The run's correctness, not its precision: two short rounds.
      ...['--rounds', '2', '--max-time', '20ms', '--out', out],
    ],
    { timeoutMs: 240_000 },
  );
  expect(result.code, result.stderr).toBe(0);
  const rows: Record<string, string>[] = parse(readFileSync(join(out, 'summary.csv'), 'utf8'), {
    columns: true,
  });
  expect(new Set(rows.map((r) => r['strategy'])).size).toBeGreaterThanOrEqual(9);
  for (const r of rows) {
    expect(r['status'], r['strategy']).toBe('ok');
    expect(r['verified'], r['strategy']).toBe('true');
  }
  return JSON.parse(readFileSync(join(out, 'context.json'), 'utf8')) as Context;
}
