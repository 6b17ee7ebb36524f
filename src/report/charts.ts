/**
 * The report's charts, declared as vega-lite specs over a run read back from its files, compiled
 * with vega-lite and rendered to SVG by vega's headless view (no canvas, no browser). Per
 * workload:
 *   wall-<workload>.svg         wall time per kernel against elements, log-log, one colour (and
 *                               point shape) per strategy, p10–p90 as vertical rules, one panel
 *                               per K (and per intensity/workgroup size when several); with one
 *                               or two sizes, a dot per strategy in a panel per (size, K);
 *   breakdown-<workload>.svg    at the tiny case (smallest elements, largest K): each strategy's
 *                               wall time per kernel split into GPU busy and launch overhead;
 *   cost-per-kernel-<workload>.svg  at the smallest size, wall per kernel against K (three or
 *                               more values) with each strategy's fit a/K + b;
 *   utilisation-<workload>.svg  GPU busy / wall against elements, one line per strategy (clamped
 *                               at 100% on a CPU device);
 *   decode-steps.svg            `decode`: each preset's step per strategy, GPU busy and the rest.
 * Never times; deterministic for the same files (report DIR re-renders byte for byte).
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { fmtUs } from './md-format.ts';
import { adapterName, runtimeNote, type RunData, type SummaryRow } from './read-run.ts';
import {
  distinct,
  isOk,
  slug,
  strategyOrder,
  tinyCase,
  variantOf,
  perKernelWorkloads,
} from './select.ts';
import { decodeGroups } from './decode-section.ts';

export interface ChartSpec {
  /** Path relative to the run folder. */
  file: string;
  title: string;
  /** What the chart shows, one sentence (the report's caption). */
  caption: string;
  spec: TopLevelSpec;
}

export interface RenderedChart extends Omit<ChartSpec, 'spec'> {
  svg: string;
}

export const CHARTS_DIR = 'charts';

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

/** Shared look: white background (PNG conversions are not transparent), legible type. */
const CONFIG = {
  background: 'white',
  font: FONT,
  padding: 12,
  title: { fontSize: 15, subtitleFontSize: 12, subtitleColor: '#444', anchor: 'start' },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#e4e4e4' },
  legend: { labelFontSize: 11, titleFontSize: 12, symbolSize: 90, labelLimit: 320 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  view: { stroke: '#bbb' },
} as const;

const formatElements = (n: number): string => n.toLocaleString('en-US');

/** The breakdown cuts the bars longer than this many times the median bar. */
const CUT_RATIO = 8;

/** A facet's label: the number of kernels K in one execution. */
const kLabel = (k: number): string => `K = ${k} kernel${k === 1 ? '' : 's'}`;

function subtitle(run: RunData, ...lines: string[]): string[] {
  const backend = run.context.adapter?.backend;
  const device = run.context.adapter?.cpuDevice === true ? ' (CPU device)' : '';
  return [
    `${adapterName(run.context)}${device}${backend === undefined ? '' : `, backend ${backend}`}${runtimeNote(run.context)}`,
    ...lines,
  ];
}

/**
 * The specs below are plain data built from parts (axes, facets) typed loosely as objects;
 * vega-lite's compile() checks them, and the tests render every chart.
 */
const asSpec = (spec: object): TopLevelSpec => spec as unknown as TopLevelSpec;

/** The colour and shape of each strategy, the same in every chart of a run. */
function strategyScale(strategies: readonly string[]): object {
  return { domain: strategies, scheme: 'tableau10' };
}

/** Colour by strategy, with the strategy legend or (dot charts: the x axis names them) none. */
const strategyColor = (strategies: readonly string[], legend: boolean): object => ({
  field: 'strategy',
  type: 'nominal',
  scale: strategyScale(strategies),
  legend: legend ? { title: 'strategy' } : null,
});

/** y of the utilisation charts. */
const UTILISATION_Y = {
  field: 'utilization',
  type: 'quantitative',
  scale: { zero: true },
  axis: { format: '.0%', title: 'GPU utilisation (% of wall time)' },
};

/**
 * Facets: one panel per K, wrapped two to a row; with several (intensity, workgroup size)
 * variants, a grid of one row per variant and one column per K instead.
 */
function facetOf(rows: readonly SummaryRow[]): object {
  const kernels = distinct(rows.map((r) => r.kernels)).sort((a, b) => a - b);
  const variants = distinct(rows.map(variantOf));
  const panel = { field: 'panel', type: 'ordinal', title: null, sort: kernels.map(kLabel) };
  if (variants.length > 1) {
    return {
      facet: { column: panel, row: { field: 'variant', type: 'ordinal', title: null } },
    };
  }
  // Three panels in one row, not two over one and an empty fourth.
  return { facet: panel, columns: kernels.length <= 3 ? kernels.length : 2 };
}

/** Powers of ten covering [min, max]: the ticks (and grid lines) of a log axis. */
function decades(values: readonly number[]): number[] {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  if (positive.length === 0) return [];
  const lo = Math.floor(Math.log10(Math.min(...positive)));
  const hi = Math.ceil(Math.log10(Math.max(...positive)));
  const out: number[] = [];
  for (let e = lo; e <= hi; e++) out.push(Number((10 ** e).toPrecision(1)));
  return out;
}

/** x: elements per kernel, log scale, ticks at powers of ten. */
function elementsAxis(rows: readonly SummaryRow[]): object {
  const values = decades(rows.map((r) => r.elements));
  return {
    field: 'elements',
    type: 'quantitative',
    scale: { type: 'log', domain: [values[0] ?? 1, values[values.length - 1] ?? 10] },
    axis: { format: '~s', values, title: 'elements per kernel (log scale)' },
  };
}

/**
 * The panels of a dot chart, spread into its spec: a row per size, a panel per K of that size in
 * it, one y scale for all. A row per size rather than one wrapped facet, so a size with fewer K
 * values than another (five panels: three over two) leaves no empty slot with an axis under it.
 * `panel` draws one panel; the data's rows carry `elements` and `panel` (dotPanel).
 */
function dotPanels(rows: readonly SummaryRow[], panel: object): object {
  const sizes = distinct(rows.map((r) => r.elements)).sort((a, b) => a - b);
  const sizeRow = (elements: number): object => {
    const kernels = distinct(rows.filter((r) => r.elements === elements).map((r) => r.kernels));
    return {
      facet: {
        field: 'panel',
        type: 'ordinal',
        title: null,
        sort: kernels.sort((a, b) => a - b).map((k) => dotPanel(elements, k)),
      },
      columns: kernels.length,
      spec: panel,
    };
  };
  if (sizes.length === 1) return sizeRow(sizes[0] ?? 0);
  return {
    vconcat: sizes.map((elements) => ({
      transform: [{ filter: { field: 'elements', equal: elements } }],
      ...sizeRow(elements),
    })),
    resolve: { scale: { y: 'shared' } },
  };
}

const dotPanel = (elements: number, kernels: number): string =>
  `${formatElements(elements)} elements · ${kLabel(kernels)}`;

/** x of a dot chart: the strategies, in run order. */
const strategyAxis = (strategies: readonly string[]): object => ({
  field: 'strategy',
  type: 'nominal',
  sort: strategies,
  axis: { title: null, labelAngle: -40 },
});

/** Runs of one or two sizes (of one intensity and workgroup size) get dot charts, not lines. */
const fewSizes = (rows: readonly SummaryRow[]): boolean =>
  distinct(rows.map((r) => r.elements)).length <= 2 && distinct(rows.map(variantOf)).length === 1;

/**
 * Wall time per kernel as dots, one per strategy, a panel per (size, K): for runs with one or two
 * sizes, where lines between two points (or stacked on one x) would hide series behind each other.
 */
function wallDots(
  run: RunData,
  workload: string,
  strategies: string[],
  rows: SummaryRow[],
): ChartSpec {
  const values = rows
    .filter((r) => (r.wallUsPerKernel ?? 0) > 0)
    .map((r) => ({
      strategy: r.strategy,
      elements: r.elements,
      panel: dotPanel(r.elements, r.kernels),
      wall: r.wallUsPerKernel,
      p10: r.wallUsPerKernelP10,
      p90: r.wallUsPerKernelP90,
    }));
  const x = strategyAxis(strategies);
  const yScale = { type: 'log' };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Wall time per kernel: ${workload}`,
      subtitle: subtitle(run, 'median per kernel (dots, log scale); rules: p10–p90 of the samples'),
    },
    data: { values },
    ...dotPanels(rows, {
      width: 260,
      height: 200,
      layer: [
        {
          mark: { type: 'point', filled: true, size: 90 },
          encoding: {
            x,
            y: {
              field: 'wall',
              type: 'quantitative',
              scale: yScale,
              axis: {
                format: '~g',
                values: decades(values.flatMap((v) => [v.p10 ?? 0, v.p90 ?? 0, v.wall ?? 0])),
                title: 'wall time per kernel (µs, log scale)',
              },
            },
            color: strategyColor(strategies, false),
          },
        },
        {
          mark: { type: 'rule', color: '#333' },
          encoding: {
            x,
            y: { field: 'p10', type: 'quantitative', scale: yScale },
            y2: { field: 'p90' },
          },
        },
      ],
    }),
    config: CONFIG,
  };
  return {
    file: `${CHARTS_DIR}/wall-${slug(workload)}.svg`,
    title: `Wall time per kernel, ${workload}`,
    caption:
      'One dot per strategy and a panel per size and K (a run of one or two sizes has no curve to draw): lower is cheaper.',
    spec: asSpec(spec),
  };
}

function wallChart(run: RunData, workload: string, strategies: string[]): ChartSpec | undefined {
  const rows = run.summary.filter((r) => r.workload === workload && isOk(r));
  if (rows.length === 0) return undefined;
  if (fewSizes(rows)) return wallDots(run, workload, strategies, rows);
  const values = rows
    .filter((r) => (r.wallUsPerKernel ?? 0) > 0)
    .map((r) => ({
      strategy: r.strategy,
      elements: r.elements,
      panel: kLabel(r.kernels),
      variant: variantOf(r),
      wall: r.wallUsPerKernel,
      p10: r.wallUsPerKernelP10,
      p90: r.wallUsPerKernelP90,
    }));
  const x = elementsAxis(rows);
  const color = strategyColor(strategies, true);
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Wall time per kernel against size: ${workload}`,
      subtitle: subtitle(run, 'median per kernel; vertical rules: p10–p90 of the samples'),
    },
    data: { values },
    ...facetOf(rows),
    spec: {
      width: 300,
      height: 240,
      encoding: {
        x,
        color,
      },
      layer: [
        {
          mark: { type: 'rule', opacity: 0.6 },
          encoding: {
            y: { field: 'p10', type: 'quantitative', scale: { type: 'log' } },
            y2: { field: 'p90' },
          },
        },
        {
          mark: { type: 'line', point: { size: 45, filled: true } },
          encoding: {
            y: {
              field: 'wall',
              type: 'quantitative',
              scale: { type: 'log' },
              axis: {
                format: '~g',
                values: decades(values.flatMap((v) => [v.p10 ?? 0, v.p90 ?? 0, v.wall ?? 0])),
                title: 'wall time per kernel (µs, log scale)',
              },
            },
            shape: { field: 'strategy', type: 'nominal', scale: { domain: strategies } },
          },
        },
      ],
    },
    config: CONFIG,
  };
  return {
    file: `${CHARTS_DIR}/wall-${slug(workload)}.svg`,
    title: `Wall time per kernel against elements, ${workload}`,
    caption:
      'Log-log: a flat line is a launch-bound strategy (cost per kernel independent of size); lines meet where execution dominates.',
    spec: asSpec(spec),
  };
}

/** A part of one strategy's stacked bar: µs of its wall time, stacked in `order`. */
interface BarPart {
  strategy: string;
  part: string;
  us: number;
  order: number;
}

/**
 * Each row's wall time as the parts of its bar: GPU busy (at most the wall) then `overhead` (the
 * rest, 0 where negative), or the whole wall where the row has no GPU timestamps.
 */
function breakdownParts(
  rows: readonly SummaryRow[],
  figures: (r: SummaryRow) => BarFigures,
  overhead: string,
): BarPart[] {
  const values: BarPart[] = [];
  for (const r of rows) {
    const { wall, busy, host } = figures(r);
    if (busy === null) {
      values.push({ strategy: r.strategy, part: 'wall (no GPU timestamps)', us: wall, order: 3 });
      continue;
    }
    const rest = Math.max(wall - busy, 0);
    values.push({ strategy: r.strategy, part: 'GPU busy', us: Math.min(busy, wall), order: 0 });
    if (host === undefined || host === null) {
      values.push({ strategy: r.strategy, part: overhead, us: rest, order: 1 });
      continue;
    }
    // The rest split: the host's encode + submit, and what is left, the wait while the GPU is
    // idle (completion latency, gaps): Deno's completion floor shows there. Host work that ran
    // while the GPU was busy (submit-each's loop under long kernels) is counted here too, so the
    // host part is an upper bound and the wait a lower one, as the legend says.
    const onHost = Math.min(host, rest);
    values.push({ strategy: r.strategy, part: HOST_PART, us: onHost, order: 1 });
    values.push({ strategy: r.strategy, part: WAIT_PART, us: rest - onHost, order: 2 });
  }
  return values;
}

/** A bar's figures: wall and GPU busy, and where known the host's encode + submit. */
interface BarFigures {
  wall: number;
  busy: number | null;
  host?: number | null;
}

/** The parts launch overhead is split into where the host's phases are known. */
const HOST_PART = 'host: encode + submit (at most)';
const WAIT_PART = 'waiting, GPU idle (at least)';

/**
 * Where the axis ends when bars are cut: 1.3 × the longest of the bars within CUT_RATIO × the
 * median one, when some are longer; undefined when none is cut. `walls` in increasing order.
 */
function breakdownCap(walls: readonly number[]): number | undefined {
  const median = walls[Math.floor(walls.length / 2)] ?? 0;
  const kept = walls.filter((w) => w <= CUT_RATIO * median);
  const longestKept = kept[kept.length - 1] ?? 0;
  return kept.length < walls.length && longestKept > 0 ? longestKept * 1.3 : undefined;
}

/** The label at the end of each bar: the wall time; at the axis's end for a cut bar, saying so. */
function breakdownLabels(
  rows: readonly SummaryRow[],
  figures: (r: SummaryRow) => { wall: number; busy: number | null },
  cap: number | undefined,
): { strategy: string; x: number; text: string }[] {
  return rows.map((r) => {
    const { wall } = figures(r);
    const cut = cap !== undefined && wall > cap;
    return {
      strategy: r.strategy,
      x: cut ? cap : wall,
      text: cut ? `${fmtUs(wall)} µs (bar cut)` : fmtUs(wall),
    };
  });
}

/** Colour by part: GPU busy blue, `overhead` orange, a wall without timestamps grey. */
const partColor = (parts: readonly string[], overhead: string): object => ({
  field: 'part',
  type: 'nominal',
  scale: {
    domain: parts,
    range: parts.map((p) =>
      p === 'GPU busy'
        ? '#4c78a8'
        : p === overhead || p === HOST_PART
          ? '#f58518'
          : p === WAIT_PART
            ? '#e45756'
            : '#9d9d9d',
    ),
  },
  legend: { title: 'part of wall time', orient: 'bottom' },
});

/**
 * Horizontal bars, one per strategy: wall time split into GPU busy and the rest (`overhead`,
 * 0 where negative), labelled with the wall time. A bar far longer than the rest (indirect
 * dispatch with Dawn's validation: tens of times the others) would flatten them all: the bars
 * past CUT_RATIO × the median one are cut a little past the longest of the others, their labels
 * giving the full value. Returns the layers of one panel and whether a bar was cut.
 */
export function breakdownPanel(
  rows: readonly SummaryRow[],
  strategies: readonly string[],
  figures: (r: SummaryRow) => BarFigures,
  axisTitle: string,
  overhead = 'launch overhead',
): { layer: object[]; cut: boolean } {
  const values = breakdownParts(rows, figures, overhead);
  const present = strategies.filter((s) => rows.some((r) => r.strategy === s));
  const parts = distinct(values.map((v) => v.part));
  const cap = breakdownCap(rows.map((r) => figures(r).wall).sort((a, b) => a - b));
  const y = {
    field: 'strategy',
    type: 'nominal',
    sort: present,
    axis: { title: 'strategy', labelLimit: 200 },
  };
  const layer = [
    {
      data: { values },
      mark: { type: 'bar', clip: true },
      encoding: {
        y,
        x: {
          field: 'us',
          type: 'quantitative',
          aggregate: 'sum',
          stack: 'zero',
          ...(cap === undefined ? {} : { scale: { domain: [0, cap], nice: false } }),
          axis: { title: axisTitle },
        },
        color: partColor(parts, overhead),
        order: { field: 'order', type: 'quantitative' },
        tooltip: [
          { field: 'strategy', type: 'nominal' },
          { field: 'part', type: 'nominal' },
          { field: 'us', type: 'quantitative', title: 'µs', format: '.3~g' },
        ],
      },
    },
    {
      data: { values: breakdownLabels(rows, figures, cap) },
      mark: { type: 'text', align: 'left', dx: 4, fontSize: 11 },
      encoding: {
        y,
        x: { field: 'x', type: 'quantitative' },
        text: { field: 'text', type: 'nominal' },
      },
    },
  ];
  return { layer, cut: cap !== undefined };
}

function breakdownChart(
  run: RunData,
  workload: string,
  strategies: string[],
): ChartSpec | undefined {
  const tiny = tinyCase(run, workload)?.filter(isOk);
  const first = tiny?.[0];
  if (tiny === undefined || first === undefined) return undefined;
  const panel = breakdownPanel(
    tiny,
    strategies,
    (r) => ({
      wall: r.wallUsPerKernel ?? 0,
      busy: r.gpuBusyUsPerKernel,
      host:
        r.encodeUsPerKernel === null || r.submitUsPerKernel === null
          ? null
          : r.encodeUsPerKernel + r.submitUsPerKernel,
    }),
    'time per kernel (µs)',
  );
  // Whether any bar splits its overhead (a row with its host phases and GPU busy).
  const split = tiny.some(
    (r) =>
      r.gpuBusyUsPerKernel !== null && r.encodeUsPerKernel !== null && r.submitUsPerKernel !== null,
  );
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Launch overhead and GPU busy time per kernel: ${workload}, ${formatElements(first.elements)} elements, K = ${first.kernels}`,
      subtitle: subtitle(
        run,
        'medians per kernel; launch overhead = wall − GPU busy (0 where negative); labels: wall time',
        ...(split
          ? [
              'overhead: the host encoding and submitting, then waiting while the GPU is idle (completion, gaps)',
            ]
          : []),
        ...(panel.cut
          ? ['bars past the end of the axis are cut; their labels give the value']
          : []),
      ),
    },
    width: 560,
    height: { step: 26 },
    layer: panel.layer,
    config: CONFIG,
  };
  return {
    file: `${CHARTS_DIR}/breakdown-${slug(workload)}.svg`,
    title: `Launch overhead against GPU busy time per kernel, ${workload}, ${formatElements(first.elements)} elements, K = ${first.kernels}`,
    caption: split
      ? 'At the smallest size and largest K, where launch cost weighs most: the orange and red parts are what each strategy spends not executing kernels, encoding and submitting on the host (orange, at most: host work under a busy GPU counts there too) and waiting while the GPU is idle (red, at least: completion latency and gaps).'
      : 'At the smallest size and largest K, where launch cost weighs most: the orange part is what each strategy spends not executing kernels.',
    spec: asSpec(spec),
  };
}

/** The utilisation of each row, in a panel per K (and per variant). */
function utilisationValues(run: RunData, rows: readonly SummaryRow[]) {
  // On a CPU device the "GPU" shares the host's cores and busy can exceed wall: clamped at 100%.
  const cpu = run.context.adapter?.cpuDevice === true;
  return rows.map((r) => ({
    strategy: r.strategy,
    elements: r.elements,
    panel: kLabel(r.kernels),
    variant: variantOf(r),
    utilization: cpu ? Math.min(1, r.utilization ?? 0) : r.utilization,
  }));
}

/** The utilisation charts' subtitle: what the figure is, and on a CPU device that it is clamped. */
const utilisationSubtitle = (run: RunData): string[] =>
  subtitle(
    run,
    'median GPU busy / median wall time; 100% = the GPU never waits',
    ...(run.context.adapter?.cpuDevice === true
      ? ['CPU device: busy and wall share the host cores; values clamped at 100%']
      : []),
  );

/** GPU utilisation as dots, one per strategy, a panel per (size, K): for runs of one or two sizes. */
function utilisationDots(
  run: RunData,
  workload: string,
  strategies: string[],
  rows: SummaryRow[],
): ChartSpec {
  const values = utilisationValues(run, rows);
  const dots = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `GPU kernel utilisation: ${workload}`,
      subtitle: utilisationSubtitle(run),
    },
    data: {
      values: values.map((v, i) => ({
        ...v,
        panel: dotPanel(rows[i]?.elements ?? 0, rows[i]?.kernels ?? 0),
      })),
    },
    ...dotPanels(rows, {
      width: 260,
      height: 180,
      mark: { type: 'point', filled: true, size: 90 },
      encoding: {
        x: strategyAxis(strategies),
        y: UTILISATION_Y,
        color: strategyColor(strategies, false),
      },
    }),
    config: CONFIG,
  };
  return {
    file: `${CHARTS_DIR}/utilisation-${slug(workload)}.svg`,
    title: `GPU utilisation, ${workload}`,
    caption:
      'How much of the wall time the GPU spends executing kernels, one dot per strategy and a panel per size and K.',
    spec: asSpec(dots),
  };
}

/** GPU utilisation against elements, a line per strategy and a dashed rule at 100%, per K. */
function utilisationLines(
  run: RunData,
  workload: string,
  strategies: string[],
  rows: SummaryRow[],
): ChartSpec {
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `GPU kernel utilisation against size: ${workload}`,
      subtitle: utilisationSubtitle(run),
    },
    data: { values: utilisationValues(run, rows) },
    ...facetOf(rows),
    spec: {
      width: 300,
      height: 220,
      layer: [
        {
          mark: { type: 'rule', strokeDash: [4, 3], color: '#888' },
          encoding: { y: { datum: 1, type: 'quantitative' } },
        },
        {
          mark: { type: 'line', point: { size: 45, filled: true } },
          encoding: {
            x: elementsAxis(rows),
            y: UTILISATION_Y,
            color: strategyColor(strategies, true),
            shape: { field: 'strategy', type: 'nominal', scale: { domain: strategies } },
          },
        },
      ],
    },
    config: CONFIG,
  };
  return {
    file: `${CHARTS_DIR}/utilisation-${slug(workload)}.svg`,
    title: `GPU utilisation against elements, ${workload}`,
    caption:
      'How much of the wall time the GPU spends executing kernels; above 100% the timestamp samples ran slower than the wall samples (noise, or queries that cost execution time).',
    spec: asSpec(spec),
  };
}

/** GPU busy / wall of the workload's timed cases: dots for one or two sizes, else lines. */
function utilisationChart(
  run: RunData,
  workload: string,
  strategies: string[],
): ChartSpec | undefined {
  const rows = run.summary.filter(
    (r) => r.workload === workload && isOk(r) && r.utilization !== null,
  );
  if (rows.length === 0) return undefined;
  return fewSizes(rows)
    ? utilisationDots(run, workload, strategies, rows)
    : utilisationLines(run, workload, strategies, rows);
}

/**
 * The measured points of the cost-per-kernel chart: the workload's ok cases timed at the tiny
 * case's size, intensity and workgroup size (`first`), one per strategy and K.
 */
function fitPoints(run: RunData, workload: string, first: SummaryRow): SummaryRow[] {
  return run.summary.filter(
    (r) =>
      r.workload === workload &&
      isOk(r) &&
      r.elements === first.elements &&
      r.intensity === first.intensity &&
      r.workgroupSize === first.workgroupSize &&
      (r.wallUsPerKernel ?? 0) > 0,
  );
}

/**
 * The fits across K at the tiny case's size (`first`) that are findings (no flag), each drawn as
 * a/K + b at 41 values of K spread evenly on the log axis from `lo` to `hi`.
 */
function fitCurves(
  run: RunData,
  workload: string,
  first: SummaryRow,
  lo: number,
  hi: number,
): { strategy: string; kernels: number; fit: number }[] {
  const fits = run.fits.filter(
    (f) =>
      f.workload === workload &&
      f.elements === first.elements &&
      f.intensity === first.intensity &&
      f.workgroupSize === first.workgroupSize &&
      f.flag === '' &&
      f.fixedUs !== null &&
      f.perKernelUs !== null,
  );
  const grid = Array.from({ length: 41 }, (_, i) => lo * (hi / lo) ** (i / 40));
  return fits.flatMap((f) =>
    grid.map((k) => ({
      strategy: f.strategy,
      kernels: k,
      fit: (f.fixedUs ?? 0) / k + (f.perKernelUs ?? 0),
    })),
  );
}

/**
 * Cost per kernel against K at the smallest size, with the fit wall(K) = a + b·K drawn as
 * a/K + b: how many dispatches a submit must carry before the fixed cost stops mattering.
 */
function fitChart(run: RunData, workload: string, strategies: string[]): ChartSpec | undefined {
  const first = tinyCase(run, workload)?.[0];
  if (first === undefined) return undefined;
  const rows = fitPoints(run, workload, first);
  const kernels = distinct(rows.map((r) => r.kernels)).sort((a, b) => a - b);
  if (kernels.length < 3) return undefined;
  const lo = kernels[0] ?? 1;
  const hi = kernels[kernels.length - 1] ?? 1;
  const curves = fitCurves(run, workload, first, lo, hi);
  const points = rows.map((r) => ({
    strategy: r.strategy,
    kernels: r.kernels,
    wall: r.wallUsPerKernel,
  }));
  const all = [...points.map((p) => p.wall ?? 0), ...curves.map((c) => c.fit)].filter((v) => v > 0);
  const x = {
    field: 'kernels',
    type: 'quantitative',
    scale: { type: 'log', domain: [lo, hi] },
    axis: { values: kernels, format: '~s', title: 'kernels K in one execution (log scale)' },
  };
  const color = strategyColor(strategies, true);
  const y = (field: string) => ({
    field,
    type: 'quantitative',
    scale: { type: 'log' },
    axis: { format: '~g', values: decades(all), title: 'wall time per kernel (µs, log scale)' },
  });
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Cost per kernel against K: ${workload}, ${formatElements(first.elements)} elements`,
      subtitle: subtitle(
        run,
        'points: measured wall per kernel; lines: the fit wall(K) = a + b·K as a/K + b (strategies with a fit that is a finding)',
      ),
    },
    width: 520,
    height: 300,
    layer: [
      {
        data: { values: curves },
        mark: { type: 'line', strokeWidth: 1.5, opacity: 0.8 },
        encoding: { x, y: y('fit'), color, detail: { field: 'strategy' } },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 50 },
        encoding: {
          x,
          y: y('wall'),
          color,
          shape: { field: 'strategy', type: 'nominal', scale: { domain: strategies } },
        },
      },
    ],
    config: CONFIG,
  };
  return {
    file: `${CHARTS_DIR}/cost-per-kernel-${slug(workload)}.svg`,
    title: `Cost per kernel against K, ${workload}, ${formatElements(first.elements)} elements`,
    caption:
      'Where a line flattens, the fixed cost per execution (a) is spread thin and each further kernel costs its b: the launch cost per dispatch that a longer submit cannot amortise.',
    spec: asSpec(spec),
  };
}

/** Decode: each preset's step per strategy, wall split into GPU busy and the rest. */
function decodeChart(run: RunData, strategies: string[]): ChartSpec | undefined {
  const panels = decodeGroups(run).flatMap(({ label, rows }) => {
    const ok = rows.filter((r) => isOk(r) && r.wallUsTotal !== null);
    if (ok.length === 0) return [];
    const first = ok[0] as SummaryRow;
    const panel = breakdownPanel(
      ok,
      strategies,
      (r) => ({ wall: r.wallUsTotal ?? 0, busy: r.gpuBusyUsTotal }),
      'time per decode step (µs)',
      'not executing',
    );
    return [
      {
        title: {
          text: `${label}: ${first.kernels} layers, context ${formatElements(first.elements)}${panel.cut ? ' (bars past the axis are cut)' : ''}`,
          fontSize: 13,
        },
        width: 560,
        height: { step: 22 },
        layer: panel.layer,
      },
    ];
  });
  if (panels.length === 0) return undefined;
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'One decode step per strategy: GPU busy and the rest of the wall time',
      subtitle: subtitle(
        run,
        'medians per step; not executing = wall − GPU busy (0 where negative); labels: wall time',
      ),
    },
    vconcat: panels,
    resolve: { scale: { x: 'independent', color: 'shared' } },
    config: CONFIG,
  };
  return {
    file: `${CHARTS_DIR}/decode-steps.svg`,
    title: 'One decode step per strategy, per model preset',
    caption:
      'Each preset on its own time axis: the blue part is GPU busy time, the orange part the wall time the GPU spent not executing the step (launch overhead, gaps, completion).',
    spec: asSpec(spec),
  };
}

/** The charts a run gets, in report order (none for a run without an ok case). */
export function chartSpecs(run: RunData): ChartSpec[] {
  const strategies = strategyOrder(run);
  const out: ChartSpec[] = [];
  for (const workload of perKernelWorkloads(run)) {
    for (const make of [wallChart, breakdownChart, fitChart, utilisationChart]) {
      const chart = make(run, workload, strategies);
      if (chart !== undefined) out.push(chart);
    }
  }
  const decode = decodeChart(run, strategies);
  if (decode !== undefined) out.push(decode);
  return out;
}

/** Compiles a vega-lite spec and renders it to SVG text, headless. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function renderCharts(run: RunData): Promise<RenderedChart[]> {
  const out: RenderedChart[] = [];
  for (const { spec, ...chart } of chartSpecs(run)) {
    out.push({ ...chart, svg: await renderSvg(spec) });
  }
  return out;
}
