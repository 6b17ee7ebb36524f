/**
 * `launchbench compare A B [--out FILE.csv]`: per-case ratio of run B to run A with a noise-aware
 * verdict (rule: src/report/compare.ts), printed as a table and, with --out, written as CSV.
 */
import type { Argv } from 'yargs';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../errors.ts';
import {
  compareRuns,
  summarizeComparison,
  type CompareRow,
  type CompareSummary,
} from '../report/compare.ts';
import { formatTable } from '../report/console.ts';
import { fmtUs } from '../report/markdown.ts';
import { adapterName, readRun, type RunData } from '../report/read-run.ts';
import { toCsv, writeAtomic } from '../report/writer.ts';

/** CSV cells: numbers to 6 significant digits, as summary.csv writes them. */
const csvRecord = (row: CompareRow): Record<string, string | number | null> =>
  Object.fromEntries(
    Object.entries(row).map(([k, v]) => [
      k,
      typeof v === 'number' ? Number(v.toPrecision(6)) : (v as string | null),
    ]),
  );

const ratio = (x: number | null): string => (x === null ? '-' : `${x.toFixed(3)}`);

function runLine(label: string, run: RunData): string {
  const id = run.context.runId ?? '(no run id)';
  return `${label}: ${run.dir}  ${id}  ${adapterName(run.context)}`;
}

/** Up to three strategy names, else their count. */
function strategies(rows: readonly CompareRow[]): string {
  const names = [...new Set(rows.map((r) => r.strategy))];
  return names.length <= 3 ? names.join(',') : `${names.length} strategies`;
}

/** The printed table: compared cases first (in A's order), then those not compared. */
export function compareTable(rows: readonly CompareRow[]): string {
  const compared = rows.filter((r) => r.status === 'compared');
  const caseCells = (r: CompareRow): string[] => [
    r.workload,
    r.strategy,
    String(r.elements),
    String(r.kernels),
    String(r.intensity),
    String(r.workgroupSize),
  ];
  const head = ['workload', 'strategy', 'elements', 'K', 'intensity', 'wg'];
  const parts: string[] = [];
  if (compared.length > 0) {
    parts.push(
      formatTable(
        [
          ...head,
          'A wall µs/kernel',
          'B wall µs/kernel',
          'B/A wall',
          'verdict',
          'B/A GPU busy',
          'GPU verdict',
        ],
        compared.map((r) => [
          ...caseCells(r),
          fmtUs(r.aWallUsPerKernel),
          fmtUs(r.bWallUsPerKernel),
          ratio(r.wallRatio),
          r.wallVerdict ?? '-',
          ratio(r.gpuBusyRatio),
          r.gpuBusyVerdict ?? '-',
        ]),
      ),
    );
  }
  const notComparable = rows.filter((r) => r.status === 'not-comparable');
  if (notComparable.length > 0) {
    parts.push(
      `not comparable\n${formatTable(
        [...head, 'why'],
        notComparable.map((r) => [...caseCells(r), r.note]),
      )}`,
    );
  }
  // Cases in one run only, by workload (a run with another workload adds many).
  const single = new Map<string, CompareRow[]>();
  for (const r of rows) {
    if (r.status !== 'only-in-a' && r.status !== 'only-in-b') continue;
    const key = `${r.note}|${r.workload}`;
    single.set(key, [...(single.get(key) ?? []), r]);
  }
  if (single.size > 0) {
    const list = (values: number[]): string => [...new Set(values)].sort((x, y) => x - y).join(',');
    parts.push(
      `in one run only\n${formatTable(
        ['where', 'workload', 'cases', 'strategies', 'elements', 'K', 'intensity', 'wg'],
        [...single.values()].map((members) => {
          const r = members[0] as CompareRow;
          return [
            r.note,
            r.workload,
            String(members.length),
            strategies(members),
            list(members.map((m) => m.elements)),
            list(members.map((m) => m.kernels)),
            list(members.map((m) => m.intensity)),
            list(members.map((m) => m.workgroupSize)),
          ];
        }),
      )}`,
    );
  }
  return parts.join('\n\n');
}

function summaryLine(s: CompareSummary): string {
  const v = s.verdicts;
  const mean =
    s.geomeanWallRatio === null ? '' : `; geometric mean B/A wall ${s.geomeanWallRatio.toFixed(3)}`;
  return `${s.compared} case(s) compared: B faster ${v.faster}, slower ${v.slower}, same ${v.same}, unclear ${v.unclear}${mean}; only in A ${s.onlyInA}, only in B ${s.onlyInB}, not comparable ${s.notComparable}`;
}

export function compareCommand(a: string, b: string, out: string | undefined): number {
  if (out !== undefined && !out.toLowerCase().endsWith('.csv')) {
    throw new UsageError(`--out: '${out}' should name a .csv file`);
  }
  const runA = readRun(a);
  const runB = readRun(b);
  const rows = compareRuns(runA, runB);
  const lines = [
    runLine('A', runA),
    runLine('B', runB),
    "B/A < 1: B is faster. Verdict from the runs' p10–p90 ranges: faster/slower when they do not overlap, same when each median lies in the other run's range, unclear otherwise.",
    '',
    rows.length === 0 ? '(neither run has a case)' : compareTable(rows),
    '',
    summaryLine(summarizeComparison(rows)),
  ];
  if (out !== undefined) {
    mkdirSync(dirname(out), { recursive: true });
    writeAtomic(out, toCsv(rows.map(csvRecord), true));
    lines.push(`csv: ${out}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

/** yargs definitions of compare's positionals and options, for `.command('compare <a> <b>', …)`. */
export function compareBuilder<T>(y: Argv<T>) {
  return y
    .positional('a', { type: 'string', describe: 'run folder A (the reference)' })
    .positional('b', { type: 'string', describe: 'run folder B (compared with A)' })
    .option('out', { type: 'string', describe: 'also write the comparison as CSV here' });
}
