/**
 * Writes a run folder incrementally, so an interrupted run keeps everything measured so far:
 * samples.csv and drift.csv get whole rows appended as they come (after every visit of a group,
 * and every drift probe); summary.csv (each case over the rounds so far, in the plan's order),
 * rounds.csv (each case's round medians and their visits' states), fits.csv, crossovers.csv and
 * context.json are rewritten through a temporary file and a rename,
 * so a reader never sees them half-written.
 */
import {
  appendFileSync,
  mkdirSync,
  rmdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError, errorMessage } from '../errors.ts';
import { stringify } from 'csv-stringify/sync';
import { SAMPLE_COLUMNS, roundRecord, roundRows, sampleRow, summaryRows } from './columns.ts';
import { crossovers, kernelFits } from '../stats/fit.ts';
import type { CaseResult, Sample } from '../stats/result.ts';
import type { SelfCheckRow } from '../measure/self-check.ts';
import type { BandwidthRow } from '../measure/bandwidth.ts';
import type { DriftRow } from '../measure/drift.ts';

/** Booleans as true/false (csv-stringify's default writes 1 and an empty cell). */
const CSV_OPTIONS = { cast: { boolean: (value: boolean) => String(value) } };

export function toCsv(
  rows: readonly (readonly unknown[])[] | readonly Record<string, unknown>[],
  header = false,
): string {
  return stringify(rows as unknown[], { ...CSV_OPTIONS, header });
}

/**
 * Makes `dir` (and its missing parents) a folder this process can write, or fails at once with a
 * UsageError naming `option`: a file in the way, a parent that cannot hold folders (a
 * pseudo-filesystem such as /proc), no permission. Called before any GPU work. Node's recursive
 * mkdirSync never returns on some of those paths, so the parents are made one by one. Returns the
 * folders it made, outermost first (removeEmptyFolders takes them back).
 */
export function makeWritableDir(dir: string, option: string): string[] {
  const fail = (why: string): never => {
    throw new UsageError(`${option}: cannot write to '${dir}': ${why}`);
  };
  if (dir.trim() === '') fail('an empty path');
  const missing: string[] = [];
  for (let at = resolve(dir); ;) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(at).isDirectory();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return fail(errorMessage(error));
      missing.unshift(at);
      const up = dirname(at);
      if (up === at) return fail('no such folder');
      at = up;
      continue;
    }
    if (!isDirectory) fail(`'${at}' is a file, not a folder`);
    break;
  }
  const probe = join(dir, `.launchbench-write-test-${process.pid}`);
  try {
    for (const folder of missing) mkdirSync(folder);
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (error) {
    fail(errorMessage(error));
  }
  return missing;
}

/** Removes `folders` (makeWritableDir's) innermost first, each only while it is empty. */
export function removeEmptyFolders(folders: readonly string[]): void {
  for (const folder of [...folders].reverse()) {
    try {
      rmdirSync(folder);
    } catch {
      return;
    }
  }
}

/** Files that mark a folder as holding a run already. */
const RUN_FILES = ['context.json', 'samples.csv', 'drift.csv', 'anatomy.csv'];

/**
 * A run folder holds one run: `--out` naming a folder with an earlier run's files is refused
 * (its samples.csv and drift.csv would be appended to, under another run's context.json).
 */
export function assertNoRun(dir: string, option: string): void {
  const found = RUN_FILES.find((f) => existsSync(join(dir, f)));
  if (found !== undefined)
    throw new UsageError(
      `${option}: '${dir}' already holds a run (${found}); give a new folder, or remove that run first`,
    );
}

export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export class RunWriter {
  private readonly results = new Map<string, CaseResult>();
  /** caseId → position in the plan, so the summary keeps the plan's order whatever the visits'. */
  private order = new Map<string, number>();
  readonly summaryPath: string;
  readonly samplesPath: string;
  readonly contextPath: string;

  constructor(readonly dir: string) {
    makeWritableDir(dir, '--out');
    this.summaryPath = join(dir, 'summary.csv');
    this.samplesPath = join(dir, 'samples.csv');
    this.contextPath = join(dir, 'context.json');
    assertNoRun(dir, '--out');
    // Exclusive: of two runs started into one folder, the second stops here.
    try {
      writeFileSync(this.samplesPath, toCsv([[...SAMPLE_COLUMNS]]), { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') assertNoRun(dir, '--out');
      throw error;
    }
  }

  writeContext(context: object): void {
    writeAtomic(this.contextPath, `${JSON.stringify(context, null, 2)}\n`);
  }

  /** The plan's case ids in order (cases not named sort after them, in arrival order). */
  setOrder(caseIds: readonly string[]): void {
    this.order = new Map(caseIds.map((id, i) => [id, i]));
  }

  /** Records cases measured or re-measured (a later round) and the samples just taken. */
  updateCases(results: readonly CaseResult[], samples: readonly Sample[]): void {
    if (samples.length > 0) appendFileSync(this.samplesPath, toCsv(samples.map(sampleRow)));
    for (const r of results) this.results.set(r.caseId, r);
    const all = this.cases;
    writeAtomic(this.summaryPath, toCsv(summaryRows(all), true));
    const rounds = roundRows(all);
    if (rounds.length > 0) writeAtomic(join(this.dir, 'rounds.csv'), toCsv(rounds, true));
    const fits = kernelFits(all);
    if (fits.length > 0)
      writeAtomic(join(this.dir, 'fits.csv'), toCsv(fits.map(roundRecord), true));
    const found = crossovers(all);
    if (found.length > 0)
      writeAtomic(join(this.dir, 'crossovers.csv'), toCsv(found.map(roundRecord), true));
  }

  addDrift(row: DriftRow): void {
    const path = join(this.dir, 'drift.csv');
    appendFileSync(path, toCsv([roundRecord(row)], !existsSync(path)));
  }

  writeSelfCheck(rows: readonly SelfCheckRow[]): void {
    writeAtomic(join(this.dir, 'selfcheck.csv'), toCsv(rows.map(roundRecord), true));
  }

  writeBandwidth(rows: readonly BandwidthRow[]): void {
    writeAtomic(join(this.dir, 'bandwidth.csv'), toCsv(rows.map(roundRecord), true));
  }

  get cases(): readonly CaseResult[] {
    const arrived = [...this.results.values()];
    const rank = (r: CaseResult, i: number): number =>
      this.order.get(r.caseId) ?? this.order.size + i;
    return arrived
      .map((r, i) => [rank(r, i), r] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, r]) => r);
  }
}
