/**
 * Writes a run folder incrementally, so an interrupted run keeps every finished case:
 * samples.csv gets whole rows appended per case; summary.csv and context.json are rewritten
 * through a temporary file and a rename, so a reader never sees them half-written.
 */
import { appendFileSync, mkdirSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { SAMPLE_COLUMNS, roundRecord, sampleRow, summaryRows } from './columns.ts';
import { crossovers, kernelFits } from '../measure/fit.ts';
import type { CaseResult, Sample } from '../measure/result.ts';
import type { SelfCheckRow } from '../measure/self-check.ts';
import type { BandwidthRow } from '../measure/bandwidth.ts';

/** Booleans as true/false (csv-stringify's default writes 1 and an empty cell). */
const CSV_OPTIONS = { cast: { boolean: (value: boolean) => String(value) } };

export function toCsv(
  rows: readonly (readonly unknown[])[] | readonly Record<string, unknown>[],
  header = false,
): string {
  return stringify(rows as unknown[], { ...CSV_OPTIONS, header });
}

export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export class RunWriter {
  private readonly results: CaseResult[] = [];
  readonly summaryPath: string;
  readonly samplesPath: string;
  readonly contextPath: string;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.summaryPath = join(dir, 'summary.csv');
    this.samplesPath = join(dir, 'samples.csv');
    this.contextPath = join(dir, 'context.json');
    if (!existsSync(this.samplesPath)) {
      writeFileSync(this.samplesPath, toCsv([[...SAMPLE_COLUMNS]]));
    }
  }

  writeContext(context: object): void {
    writeAtomic(this.contextPath, `${JSON.stringify(context, null, 2)}\n`);
  }

  addCase(result: CaseResult, samples: readonly Sample[]): void {
    if (samples.length > 0) appendFileSync(this.samplesPath, toCsv(samples.map(sampleRow)));
    this.results.push(result);
    writeAtomic(this.summaryPath, toCsv(summaryRows(this.results), true));
    const fits = kernelFits(this.results);
    if (fits.length > 0)
      writeAtomic(join(this.dir, 'fits.csv'), toCsv(fits.map(roundRecord), true));
    const found = crossovers(this.results);
    if (found.length > 0)
      writeAtomic(join(this.dir, 'crossovers.csv'), toCsv(found.map(roundRecord), true));
  }

  writeSelfCheck(rows: readonly SelfCheckRow[]): void {
    writeAtomic(join(this.dir, 'selfcheck.csv'), toCsv(rows.map(roundRecord), true));
  }

  writeBandwidth(rows: readonly BandwidthRow[]): void {
    writeAtomic(join(this.dir, 'bandwidth.csv'), toCsv(rows.map(roundRecord), true));
  }

  get cases(): readonly CaseResult[] {
    return this.results;
  }
}
