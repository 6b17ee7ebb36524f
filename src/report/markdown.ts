/**
 * report.md: what a reader looks at first. Rendered from a run read back from its files only
 * (summary.csv, fits.csv, crossovers.csv, selfcheck.csv, drift.csv, context.json), so
 * `launchbench report DIR` and the end of `bench` produce the same text from the same folder.
 * Headline findings are sentences computed from the data, from cases on the sample floor only;
 * then the run's facts, the drift probes, per-group tables, what failed or does not apply and
 * why, the fits and crossovers, and links to the SVG charts. No clock readings (re-rendering is
 * byte-identical), never times.
 */
import { decodeSection } from './decode-section.ts';
import { driftSection } from './drift-section.ts';
import { code } from './md-format.ts';
import { adapterName, type RunData } from './read-run.ts';
import { atTypicalStateOf, isMeasured, isOk, wildPulledIn } from './select.ts';
import { facts } from './facts-section.ts';
import { headline } from './headline-section.ts';
import {
  bandwidthSection,
  crossoverTable,
  fitsTable,
  groupTables,
  notMeasured,
  selfCheckTable,
} from './tables-section.ts';

/** What the markdown needs to know about a chart: where it is and what it shows. */
export interface ChartLink {
  file: string;
  title: string;
  caption: string;
}

function chartSection(charts: readonly ChartLink[]): string[] {
  if (charts.length === 0) return [];
  const out = ['## Charts', ''];
  for (const c of charts)
    out.push(`### ${c.title}`, '', `![${c.title}](${c.file})`, '', c.caption, '');
  return out;
}

/** "15 measured" or "15 measured, 2 of them with insufficient samples". */
function measuredText(run: RunData): string {
  const measured = run.summary.filter(isMeasured);
  const short = measured.filter((r) => !isOk(r)).length;
  return `${measured.length} measured${short === 0 ? '' : `, ${short} of them with insufficient samples`}`;
}

/** What a figure is: the rounds' centre in a run made in rounds, else the median. */
function figureText(run: RunData): string {
  if (!run.summary.some((r) => r.wallUsPerKernelLo95 !== null))
    return 'All times are medians in microseconds (µs) per kernel unless marked.';
  const at = atTypicalStateOf(run);
  return `All times are in microseconds (µs) per kernel unless marked; a case's figure is the geometric mean of its round medians${wildPulledIn(run) ? ", GPU busy's with a wild round pulled in" : ''} (its median, where it has one round)${at.wall || at.gpuBusy ? `, stated at the run's typical state (${at.wall ? 'wall' : ''}${at.wall && at.gpuBusy ? ' and ' : ''}${at.gpuBusy ? 'GPU busy' : ''}: the machine's state explains nearly all of this run, see "machine state")` : ''}.`;
}

export function renderMarkdown(run: RunData, charts: readonly ChartLink[]): string {
  const id = run.context.runId;
  const lines = [
    `# launchbench: ${adapterName(run.context)}`,
    '',
    `Run ${id === undefined ? '(no run id)' : code(id)}: ${run.summary.length} cases, ${measuredText(run)}. ${figureText(run)}`,
    '',
    ...headline(run),
    ...chartSection(charts),
    ...decodeSection(run),
    ...facts(run),
    ...driftSection(run),
    ...groupTables(run),
    ...notMeasured(run),
    ...fitsTable(run),
    ...crossoverTable(run),
    ...selfCheckTable(run),
    ...bandwidthSection(run),
    '## Files',
    '',
    '`summary.csv` (one row per case), `samples.csv` (one row per sample), `context.json` (adapter, limits, toggles, settings), `fits.csv`, `crossovers.csv`, `selfcheck.csv`, `bandwidth.csv` and `drift.csv` where measured, and the charts in `charts/`. This page is rendered from those files by `launchbench report <this folder>`.',
    '',
  ];
  return lines.join('\n');
}
