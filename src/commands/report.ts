/** `launchbench report DIR`, and the report rendered at the end of `bench`. */
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError, errorMessage } from '../errors.ts';
import { EXPORTS, type ExportOption } from '../report/export.ts';
import { readRun } from '../report/read-run.ts';
import { renderRunReport } from '../report/render-run.ts';
import { makeWritableDir, writeAtomic } from '../report/writer.ts';

/** Where to write a run's exports (src/report/export.ts EXPORTS); each is optional. */
export type ExportPaths = Partial<Record<ExportOption, string | undefined>>;

/** Writes the exports asked for; returns their paths. */
export function writeExports(dir: string, paths: ExportPaths): string[] {
  const asked = EXPORTS.filter((e) => paths[e.option] !== undefined);
  if (asked.length === 0) return [];
  const run = readRun(dir);
  return asked.map((e) => {
    const path = paths[e.option] as string;
    writeAtomic(path, e.render(run));
    return path;
  });
}

/** Re-renders report.md and the charts of a run folder from its CSV files and context.json. */
export async function reportCommand(dir: string, exports: ExportPaths = {}): Promise<number> {
  const { reportPath, chartPaths } = await renderRunReport(dir);
  const charts = chartPaths.length === 1 ? '1 chart' : `${chartPaths.length} charts`;
  process.stdout.write(`report: ${reportPath} (${charts})\n`);
  for (const path of writeExports(dir, exports)) process.stdout.write(`export: ${path}\n`);
  return 0;
}

/**
 * The end of `bench`: renders the report, and on any failure prints one warning line instead of
 * failing the run (its CSV files are already written; `report DIR` can retry).
 */
export async function reportAfterBench(dir: string, exports: ExportPaths = {}): Promise<void> {
  // Stopped before the first case finished: nothing to report, and nothing went wrong.
  if (!existsSync(join(dir, 'summary.csv'))) return;
  try {
    const { reportPath, chartPaths } = await renderRunReport(dir);
    process.stdout.write(`\nreport: ${reportPath}\n`);
    // Cases under the sample floor (a run stopped in its first round) are charted by none.
    if (chartPaths.length === 0)
      process.stdout.write('charts: none (no case on the sample floor; report.md says which)\n');
    for (const path of writeExports(dir, exports)) process.stdout.write(`export: ${path}\n`);
  } catch (error) {
    process.stderr.write(
      `launchbench: warning: report.md not rendered (${errorMessage(error).split('\n')[0]}); the CSV files are complete, retry with: launchbench report ${dir}\n`,
    );
  }
}

/** An export file must be writable (its folder made if missing) before any GPU work. */
export function checkExportPaths(args: ExportPaths): void {
  for (const { option } of EXPORTS) {
    const path = args[option];
    if (path === undefined) continue;
    if (path.trim() === '' || path.endsWith('/'))
      throw new UsageError(`--${option}: '${path}' is not a file name`);
    makeWritableDir(dirname(path), `--${option}`);
    if (existsSync(path) && statSync(path).isDirectory())
      throw new UsageError(`--${option}: '${path}' is a folder, not a file`);
  }
}
