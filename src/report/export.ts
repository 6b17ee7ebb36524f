/**
 * Exports of a run for other tools, from its files (like the report: nothing here times):
 *   - google-benchmark's JSON (`--benchmark_format=json`), which its `tools/compare.py` and
 *     github-action-benchmark (`tool: 'googlecpp'`) read: one benchmark per measured case on
 *     the sample floor, named like samples.csv's case ids;
 *   - github-action-benchmark's own JSON (`tool: 'customSmallerIsBetter'`): of the googlecpp
 *     form it charts `real_time` alone (counters are dropped); this one adds each case's interval
 *     as `range` and its GPU busy time as a series of its own, so a regression of either is charted;
 *   - a markdown table of the same cases (hyperfine's `--export-markdown`, for a pull request).
 * Times are per kernel (for `decode`, per step: its `label` says which), in µs.
 */
import { hostname } from 'node:os';
import { code, fmtUs, table } from './md-format.ts';
import type { RunData, SummaryRow } from './read-run.ts';
import { atTypicalStateOf, isOk } from './select.ts';

/** The name a case's benchmark gets: its case id (samples.csv's `caseId`). */
export const benchmarkName = (r: SummaryRow): string =>
  `${r.workload}/e${r.elements}/k${r.kernels}/i${r.intensity}/wg${r.workgroupSize}/${r.strategy}`;

/** A row's times per unit, µs (wall, GPU busy), the unit, their 95% intervals (null if none). */
function perUnit(r: SummaryRow): {
  us: number;
  unit: 'kernel' | 'step';
  lo: number | null;
  hi: number | null;
  gpuUs: number | null;
  gpuLo: number | null;
  gpuHi: number | null;
} {
  const step = r.unit === 'step';
  const scale = step ? r.kernels : 1;
  const times = (v: number | null): number | null => (v === null ? null : v * scale);
  return {
    us: times(r.wallUsPerKernel) ?? NaN,
    unit: step ? 'step' : 'kernel',
    lo: times(r.wallUsPerKernelLo95),
    hi: times(r.wallUsPerKernelHi95),
    gpuUs: times(r.gpuBusyUsPerKernel),
    gpuLo: times(r.gpuBusyUsPerKernelLo95),
    gpuHi: times(r.gpuBusyUsPerKernelHi95),
  };
}

/** The run in google-benchmark's JSON format (an object to JSON.stringify). */
export function googleBenchmarkJson(run: RunData): object {
  const c = run.context;
  const atState = atTypicalStateOf(run).wall;
  const benchmarks = run.summary.filter(isOk).map((r, i) => {
    const t = perUnit(r);
    const name = benchmarkName(r);
    return {
      name,
      family_index: i,
      per_family_instance_index: 0,
      run_name: name,
      run_type: 'iteration',
      repetitions: r.rounds ?? 1,
      repetition_index: 0,
      threads: 1,
      iterations: r.wallSamples ?? 0,
      // No process CPU time is measured: both are the wall figure (the rounds' centre).
      real_time: t.us,
      cpu_time: t.us,
      time_unit: 'us',
      label: `per ${t.unit}; wall, the geometric mean of ${r.rounds ?? 1} round medians${atState ? " at the run's typical state" : ''}`,
      // User counters (google-benchmark writes them as further numeric fields).
      ...(t.lo === null || t.hi === null ? {} : { real_time_lo95: t.lo, real_time_hi95: t.hi }),
      ...(t.gpuUs === null ? {} : { gpu_busy_time: t.gpuUs }),
      ...(r.speedupVsDispatchEach === null
        ? {}
        : { speedup_vs_dispatch_each: r.speedupVsDispatchEach }),
    };
  });
  return {
    context: {
      date: c.startedAt ?? '',
      host_name: hostname(),
      executable: 'launchbench',
      num_cpus: c.cpu?.cores ?? 0,
      mhz_per_cpu: Math.round(c.cpu?.meanMHz ?? c.cpu?.maxMHz ?? 0),
      cpu_scaling_enabled: false,
      caches: [],
      load_avg: [],
      library_build_type: 'release',
      launchbench_run_id: c.runId ?? '',
      launchbench_git_commit: c.gitCommit ?? '',
      launchbench_adapter: c.adapter?.description ?? c.adapter?.device ?? '',
    },
    benchmarks,
  };
}

/**
 * The run in github-action-benchmark's custom format (`customSmallerIsBetter`): an array of
 * { name, unit, value, range, extra }, two entries per case (`<case id> wall`, `<case id> GPU
 * busy`). `range` is half the 95% repeat interval's width, as the action shows it (`± x`); the
 * interval itself, asymmetric, is in `extra`.
 */
export function benchmarkActionJson(run: RunData): object[] {
  const commit = run.context.gitCommit ?? '';
  return run.summary.filter(isOk).flatMap((r) => {
    const t = perUnit(r);
    const name = benchmarkName(r);
    const unit = `us/${t.unit}`;
    const interval = (lo: number | null, hi: number | null): object =>
      lo === null || hi === null ? {} : { range: `± ${round((hi - lo) / 2)}` };
    const extra = (lo: number | null, hi: number | null, samples: number | null): string =>
      [
        lo === null || hi === null ? null : `95% repeat interval ${round(lo)}–${round(hi)} ${unit}`,
        `${samples ?? 0} samples over ${r.rounds ?? 1} rounds`,
        commit === '' ? null : `commit ${commit.slice(0, 12)}`,
      ]
        .filter((part) => part !== null)
        .join('; ');
    const entries: object[] = [
      {
        name: `${name} wall`,
        unit,
        value: t.us,
        ...interval(t.lo, t.hi),
        extra: extra(t.lo, t.hi, r.wallSamples),
      },
    ];
    if (t.gpuUs !== null) {
      entries.push({
        name: `${name} GPU busy`,
        unit,
        value: t.gpuUs,
        ...interval(t.gpuLo, t.gpuHi),
        extra: extra(t.gpuLo, t.gpuHi, r.gpuSamples),
      });
    }
    return entries;
  });
}

/** Three significant digits: the precision the intervals support. */
const round = (v: number): number => Number(v.toPrecision(3));

/** The run's measured cases as one markdown table. */
export function markdownExport(run: RunData): string {
  const rows = run.summary.filter(isOk);
  const lines = [
    `# launchbench ${run.context.runId ?? ''}`.trimEnd(),
    '',
    `${rows.length} cases on the sample floor; wall per kernel (\`decode\`: per step), µs, the geometric mean of the rounds' medians${atTypicalStateOf(run).wall ? " at the run's typical state" : ''} with its 95% repeat interval; GPU busy from pass timestamps; speed-up over \`dispatch-each\` on the same case, from paired samples.`,
    '',
    ...table(
      ['case', 'strategy', 'wall µs', '95% interval µs', 'GPU busy µs', 'vs dispatch-each'],
      rows.map((r) => {
        const t = perUnit(r);
        return [
          code(benchmarkName(r).replace(`/${r.strategy}`, '')),
          code(r.strategy),
          fmtUs(t.us),
          t.lo === null || t.hi === null ? '–' : `${fmtUs(t.lo)}–${fmtUs(t.hi)}`,
          fmtUs(t.gpuUs),
          r.speedupVsDispatchEach === null
            ? '–'
            : `${Number(r.speedupVsDispatchEach.toPrecision(3))}×`,
        ];
      }),
    ),
    '',
  ];
  return lines.join('\n');
}

/** The exports `bench` and `report DIR` write on request: option, help, the file's text. */
export const EXPORTS = [
  {
    option: 'export-json',
    describe:
      "write the run's measured cases in google-benchmark's JSON format to this file (its compare.py and github-action-benchmark's 'googlecpp' read it)",
    render: (run: RunData): string => `${JSON.stringify(googleBenchmarkJson(run), null, 2)}\n`,
  },
  {
    option: 'export-benchmark-action',
    describe:
      "write the run's measured cases in github-action-benchmark's 'customSmallerIsBetter' JSON to this file: wall and GPU busy per case, each with its interval",
    render: (run: RunData): string => `${JSON.stringify(benchmarkActionJson(run), null, 2)}\n`,
  },
  {
    option: 'export-markdown',
    describe: "write the run's measured cases as a markdown table to this file",
    render: markdownExport,
  },
] as const;

export type ExportOption = (typeof EXPORTS)[number]['option'];
