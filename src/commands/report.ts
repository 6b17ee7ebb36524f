/** `launchbench report DIR`, and the report rendered at the end of `bench`. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../errors.ts';
import { renderRunReport } from '../report/render-run.ts';

/** Re-renders report.md and the charts of a run folder from its CSV files and context.json. */
export async function reportCommand(dir: string): Promise<number> {
  const { reportPath, chartPaths } = await renderRunReport(dir);
  const charts = chartPaths.length === 1 ? '1 chart' : `${chartPaths.length} charts`;
  process.stdout.write(`report: ${reportPath} (${charts})\n`);
  return 0;
}

/**
 * The end of `bench`: renders the report, and on any failure prints one warning line instead of
 * failing the run (its CSV files are already written; `report DIR` can retry).
 */
export async function reportAfterBench(dir: string): Promise<void> {
  // Stopped before the first case finished: nothing to report, and nothing went wrong.
  if (!existsSync(join(dir, 'summary.csv'))) return;
  try {
    const { reportPath } = await renderRunReport(dir);
    process.stdout.write(`\nreport: ${reportPath}\n`);
  } catch (error) {
    process.stderr.write(
      `launchbench: warning: report.md not rendered (${errorMessage(error).split('\n')[0]}); the CSV files are complete, retry with: launchbench report ${dir}\n`,
    );
  }
}
