/**
 * Renders a run folder's report.md and charts/*.svg from the folder's own files: the one code
 * path behind both the end of `bench` and `launchbench report DIR`, so both write the same bytes
 * for the same files. Files are replaced through a temporary file and a rename.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CHARTS_DIR, renderCharts } from './charts.ts';
import { renderMarkdown } from './markdown.ts';
import { readRun } from './read-run.ts';
import { writeAtomic } from './writer.ts';

export interface RenderedReport {
  reportPath: string;
  chartPaths: string[];
}

export async function renderRunReport(dir: string): Promise<RenderedReport> {
  const run = readRun(dir);
  const charts = await renderCharts(run);
  if (charts.length > 0) mkdirSync(join(dir, CHARTS_DIR), { recursive: true });
  const chartPaths = charts.map((c) => {
    const path = join(dir, c.file);
    writeAtomic(path, c.svg);
    return path;
  });
  const reportPath = join(dir, 'report.md');
  writeAtomic(reportPath, renderMarkdown(run, charts));
  return { reportPath, chartPaths };
}
