/**
 * Reads a run folder back from its files (summary.csv, and where present fits.csv,
 * crossovers.csv, selfcheck.csv, bandwidth.csv, drift.csv, rounds.csv, context.json), so report.md, the
 * charts and `compare` are made from what a run published and nothing else. Readers ignore
 * unknown columns (docs/design.md, Outputs); a missing required column, an unreadable number or a
 * folder that is not a run is a UsageError naming the file and what is wrong. Never times, never
 * prints.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { UsageError, errorMessage } from '../errors.ts';
import { fitFlag } from '../stats/fit.ts';

/** The case key: what identifies a case across runs (two runs' cases match on it). */
export const CASE_KEY_COLUMNS = [
  'workload',
  'strategy',
  'elements',
  'kernels',
  'intensity',
  'workgroupSize',
] as const;

/** summary.csv columns without which nothing can be reported. */
const SUMMARY_REQUIRED = [
  ...CASE_KEY_COLUMNS,
  'status',
  'wallUsPerKernel',
  'wallUsPerKernelP10',
  'wallUsPerKernelP90',
] as const;

/** Numeric summary.csv columns read when present (null when absent or empty). */
const SUMMARY_OPTIONAL_NUMBERS = [
  'wallNoise',
  'wallSamples',
  'gpuSamples',
  'gcSamples',
  'gpuBusyUsPerKernel',
  'gpuBusyUsPerKernelP10',
  'gpuBusyUsPerKernelP90',
  'gpuIdleUsPerKernel',
  'launchOverheadUsPerKernel',
  'utilization',
  'encodeUsPerKernel',
  'submitUsPerKernel',
  'waitUs',
  'preEncodeUsPerKernel',
  'wallUsTotal',
  'gpuBusyUsTotal',
  'dispatches',
  'weightBytes',
  'weightGBps',
  'tokensPerSecond',
  'gridBarriersUsTotal',
  'timestampOverheadUsPerKernel',
  'speedupVsSubmitWait',
  'speedupVsDispatchEach',
  'speedupVsDispatchEachLo95',
  'speedupVsDispatchEachHi95',
  'rounds',
  'gpuRounds',
  'wallRoundSpread',
  'gpuBusyRoundSpread',
  'wallUsPerKernelLo95',
  'wallUsPerKernelHi95',
  'gpuBusyUsPerKernelLo95',
  'gpuBusyUsPerKernelHi95',
  'wallStateSlope',
  'wallStateR2',
  'gpuBusyStateSlope',
  'gpuBusyStateR2',
] as const;

type OptionalNumber = (typeof SUMMARY_OPTIONAL_NUMBERS)[number];

export type SummaryRow = {
  workload: string;
  strategy: string;
  program: string;
  /**
   * What its per-kernel columns are per: `kernel`, or `step` (one execution: decode's token).
   * Runs made before the column existed: `step` for the decode workload, else `kernel`.
   */
  unit: 'kernel' | 'step';
  /** How GPU busy was measured (`span`, `per-pass`, `per-pass, timestamp cost subtracted`); '' in older runs. */
  gpuBusyMethod: string;
  elements: number;
  kernels: number;
  intensity: number;
  workgroupSize: number;
  /** ok, failed or not-applicable. */
  status: string;
  reason: string;
  converged: boolean | null;
  verified: boolean | null;
  /** Whether the case met the sample floor; null in runs made before the column existed. */
  enoughSamples: boolean | null;
  /** Why this case's K-fit is not a finding ('' when it is, or in older runs). */
  fitFlag: string;
  wallUsPerKernel: number | null;
  wallUsPerKernelP10: number | null;
  wallUsPerKernelP90: number | null;
} & Record<OptionalNumber, number | null>;

export interface FitRow {
  workload: string;
  strategy: string;
  elements: number;
  intensity: number;
  workgroupSize: number;
  fixedUs: number | null;
  perKernelUs: number | null;
  r2: number | null;
  points: number | null;
  kernelsMin: number | null;
  kernelsMax: number | null;
  /**
   * Why the fit is not a finding ('negative fixed cost', 'negative cost per kernel', 'poor fit
   * (…)'), '' when it is.
   */
  flag: string;
}

/**
 * A fit's flag as fits.csv stores it, or, where it stored none, as fitFlag gives it now: runs
 * made before a rule was added (a negative cost per kernel) are read by the rules of today.
 */
function storedOrFitFlag(
  stored: string,
  fixedUs: number | null,
  perKernelUs: number | null,
  r2: number | null,
): string {
  if (stored !== '' || fixedUs === null || perKernelUs === null || r2 === null) return stored;
  return fitFlag(fixedUs, perKernelUs, r2);
}

export interface CrossoverRow {
  workload: string;
  strategy: string;
  kernels: number;
  intensity: number;
  workgroupSize: number;
  /** between, below-range or above-range (src/stats/fit.ts). */
  kind: string;
  elements: number | null;
  overheadUsPerKernel: number | null;
  sizes: number | null;
}

export interface SelfCheckCsvRow {
  strategy: string;
  elements: number | null;
  kernels: number | null;
  pairs: number | null;
  harnessUsPerKernel: number | null;
  minimalUsPerKernel: number | null;
  ratio: number | null;
  ratioP10: number | null;
  ratioP90: number | null;
}

export interface BandwidthCsvRow {
  method: string;
  bytes: number | null;
  wallGBps: number | null;
  gpuGBps: number | null;
  ofCopy: number | null;
  /** The streaming kernels' tuned workgroup count; null elsewhere and in runs before 2026-12-05. */
  workgroups: number | null;
  /** The GPU's nominal peak and its source, and the row's share of it; null where not known. */
  peakGBps: number | null;
  peakSource: string | null;
  ofPeak: number | null;
  /** The clock chain as the rounds began, µs (median, slowest); null in runs before the column. */
  clockChainUs: number | null;
  clockChainUsMax: number | null;
}

/** One drift probe (src/measure/drift.ts): fixed references measured between rounds. */
export interface DriftCsvRow {
  /** 0 before the first round, r after round r. */
  probe: number;
  /** 'start', 'after round N' or 'end'. */
  at: string;
  /** Seconds since the run started. */
  atS: number | null;
  hostLoopUs: number | null;
  roundTripUs: number | null;
  chainWallUsPerKernel: number | null;
  chainGpuBusyUsPerKernel: number | null;
  clockChainUs: number | null;
  cpuMeanMHz: number | null;
  /** The timestamp cost measured for the round that follows (runs from 2026-12-04 on). */
  timestampCostUs: number | null;
}

/** One case's round (rounds.csv): its medians per kernel and the state of the round's visit. */
export interface RoundCsvRow extends Pick<SummaryRow, CaseAxis> {
  round: number;
  /** The visit's state (the state probe's round trip, src/stats/state.ts); null unmeasured. */
  stateUs: number | null;
  wallUsPerKernel: number | null;
  gpuBusyUsPerKernel: number | null;
}

/** The parts of context.json the report uses; every field may be missing in an older run. */
export interface RunContextFile {
  schemaVersion?: number;
  runId?: string;
  startedAt?: string;
  finishedAt?: string | null;
  complete?: boolean;
  interrupted?: boolean;
  deviceLost?: string | null;
  adapter?: {
    vendor?: string;
    architecture?: string;
    device?: string;
    description?: string;
    isFallbackAdapter?: boolean;
    backend?: string;
    cpuDevice?: boolean;
  };
  features?: string[];
  limits?: Record<string, number>;
  /** The runtime the GPU came from (since the Deno runtime; older runs are node's, Dawn). */
  runtime?: { name?: string; version?: string; webgpu?: string };
  /** A run measured in a browser page (`bench --runtime chromium`, `serve`): the browser. */
  browser?: { version?: string; userAgent?: string; crossOriginIsolated?: boolean };
  dawn?: {
    instanceFlags?: string[];
    toggles?: { enabled?: string[]; disabled?: string[] };
  } | null;
  timestampSelfTest?: {
    ok?: boolean;
    message?: string;
    smallestStepNs?: number | null;
    resolveMode?: string;
  };
  gpuWarmup?: {
    elapsedMs?: number;
    submits?: number;
    /**
     * One submit waited on, first and last; in runs with windowMs, wall per submit of the first and
     * last window.
     */
    firstSubmitUs?: number;
    lastSubmitUs?: number;
    stable?: boolean;
    windowMs?: number;
    completionUs?: number;
    inFlight?: number;
  };
  deviceReplacements?: { atS?: number; round?: number; group?: string; reason?: string }[];
  /** The variables that changed what the measuring side did (src/report/context.ts measuringEnv). */
  diagnostics?: Record<string, string> | null;
  /** src/measure/timestamp-cost.ts; absent in runs made before it, null where none was recorded. */
  timestampCost?: {
    off?: string;
    usPerTimedPass?: number;
    measuredUsPerTimedPass?: number;
    timedBusyUsPerPass?: number;
    spanUsPerPass?: number;
    passes?: number;
    repeats?: number;
  } | null;
  clockHold?: {
    off?: string;
    options?: { checkEveryMs?: number; tolerance?: number; dutyMs?: number };
    /** referenceChainUs; fastestChainUs in runs made before the reference became a median. */
    referenceChainUs?: number | null;
    fastestChainUs?: number | null;
    unreadable?: number;
    rebaselined?: number;
    checks?: number;
    lowered?: number;
    notRestored?: number;
    lowestRel?: number | null;
    spinMs?: number;
    totalMs?: number;
    /** Absent in runs made before the spin's depth followed the round trip (2026-12-05). */
    spinInFlight?: number;
  };
  options?: {
    profile?: string;
    seed?: number;
    /** How the strategies waited for the GPU (since --completion; before it, submitted-work-done). */
    completion?: string;
    verify?: boolean;
    sampling?: Record<string, number>;
  };
  commandLine?: string[];
  /** `ab`'s: how its sides were interleaved, `processes` or `visits` (taking turns, paired). */
  abInterleave?: string;
  /** A run made of several processes (src/commands/processes.ts): each one's part. */
  processes?: {
    dir?: string;
    exitCode?: number;
    rounds?: number[];
    seed?: number;
    startedAt?: string | null;
    finishedAt?: string | null;
    clockHold?: {
      off?: string;
      lowered?: number;
      notRestored?: number;
      rebaselined?: number;
    } | null;
  }[];
  gitCommit?: string | null;
  packages?: Record<string, string | null>;
  node?: string | null;
  /** False where the runtime reported no garbage collections (Deno): none could be left out. */
  gcWatched?: boolean;
  os?: { platform?: string; release?: string; arch?: string };
  cpu?: {
    model?: string;
    cores?: number;
    meanMHz?: number | null;
    minMHz?: number | null;
    maxMHz?: number | null;
    governor?: string | null;
  };
}

export interface RunData {
  dir: string;
  summary: SummaryRow[];
  fits: FitRow[];
  crossovers: CrossoverRow[];
  selfCheck: SelfCheckCsvRow[];
  bandwidth: BandwidthCsvRow[];
  /** drift.csv's probes in file order; empty when the folder has none. */
  drift: DriftCsvRow[];
  /** rounds.csv's rows; empty in runs made before it existed. */
  rounds: RoundCsvRow[];
  /** Empty when the folder has no context.json. */
  context: RunContextFile;
  hasContext: boolean;
  /** Wall samples by round and turn (readTurnWalls), where a reader asked for them: compare does. */
  turnWalls?: TurnWall[];
}

type CsvRecord = Record<string, string>;

/** Parses a CSV file into header-keyed records; a missing required column is a UsageError. */
function readCsv(path: string, required: readonly string[]): CsvRecord[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`${path}: cannot read (${errorMessage(error)})`);
  }
  if (text.trim() === '') throw new UsageError(`${path}: empty file, no header row`);
  let records: CsvRecord[];
  let header: string[] = [];
  try {
    records = parse(text, {
      columns: (names: string[]) => (header = names),
      skip_empty_lines: true,
    });
  } catch (error) {
    // The parser quotes the offending value: a binary file's would put raw bytes on the terminal.
    const why = (errorMessage(error).split('\n')[0] ?? '')
      .replace(/[^\x20-\x7e]/g, '?')
      .slice(0, 160);
    throw new UsageError(`${path}: not valid CSV (${why})`);
  }
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length > 0) {
    throw new UsageError(
      `${path}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
    );
  }
  return records;
}

/** A reader of typed cells from one record, naming file, line and column on a bad value. */
function cells(path: string, record: CsvRecord, line: number) {
  const text = (column: string): string => record[column] ?? '';
  const number = (column: string): number | null => {
    const t = text(column).trim();
    if (t === '') return null;
    const value = Number(t);
    if (Number.isNaN(value)) {
      throw new UsageError(`${path}: line ${line}: ${column} '${t}' is not a number`);
    }
    return value;
  };
  const requiredNumber = (column: string): number => {
    const value = number(column);
    if (value === null) throw new UsageError(`${path}: line ${line}: ${column} is empty`);
    return value;
  };
  const bool = (column: string): boolean | null => {
    const t = text(column).trim().toLowerCase();
    return t === 'true' ? true : t === 'false' ? false : null;
  };
  return { text, number, requiredNumber, bool };
}

/** Line numbers as a reader of the file counts them (header = line 1). */
const lineOf = (index: number): number => index + 2;

export function readSummary(path: string): SummaryRow[] {
  return readCsv(path, SUMMARY_REQUIRED).map((record, i) => {
    const c = cells(path, record, lineOf(i));
    const optional = {} as Record<OptionalNumber, number | null>;
    for (const column of SUMMARY_OPTIONAL_NUMBERS) optional[column] = c.number(column);
    return {
      workload: c.text('workload'),
      strategy: c.text('strategy'),
      program: c.text('program'),
      unit:
        c.text('unit') === 'step' || (c.text('unit') === '' && /^decode:/.test(c.text('workload')))
          ? 'step'
          : 'kernel',
      gpuBusyMethod: c.text('gpuBusyMethod'),
      elements: c.requiredNumber('elements'),
      kernels: c.requiredNumber('kernels'),
      intensity: c.requiredNumber('intensity'),
      workgroupSize: c.requiredNumber('workgroupSize'),
      status: c.text('status'),
      reason: c.text('reason'),
      converged: c.bool('converged'),
      verified: c.bool('verified'),
      enoughSamples: c.bool('enoughSamples'),
      fitFlag: c.text('fitFlag'),
      wallUsPerKernel: c.number('wallUsPerKernel'),
      wallUsPerKernelP10: c.number('wallUsPerKernelP10'),
      wallUsPerKernelP90: c.number('wallUsPerKernelP90'),
      ...optional,
    };
  });
}

function readFits(path: string): FitRow[] {
  return readCsv(path, [
    'workload',
    'strategy',
    'elements',
    'intensity',
    'workgroupSize',
    'fixedUs',
    'perKernelUs',
  ]).map((record, i) => {
    const c = cells(path, record, lineOf(i));
    return {
      workload: c.text('workload'),
      strategy: c.text('strategy'),
      elements: c.requiredNumber('elements'),
      intensity: c.requiredNumber('intensity'),
      workgroupSize: c.requiredNumber('workgroupSize'),
      fixedUs: c.number('fixedUs'),
      perKernelUs: c.number('perKernelUs'),
      r2: c.number('r2'),
      points: c.number('points'),
      kernelsMin: c.number('kernelsMin'),
      kernelsMax: c.number('kernelsMax'),
      flag: storedOrFitFlag(
        c.text('flag'),
        c.number('fixedUs'),
        c.number('perKernelUs'),
        c.number('r2'),
      ),
    };
  });
}

function readCrossovers(path: string): CrossoverRow[] {
  return readCsv(path, [
    'workload',
    'strategy',
    'kernels',
    'intensity',
    'workgroupSize',
    'kind',
    'elements',
  ]).map((record, i) => {
    const c = cells(path, record, lineOf(i));
    return {
      workload: c.text('workload'),
      strategy: c.text('strategy'),
      kernels: c.requiredNumber('kernels'),
      intensity: c.requiredNumber('intensity'),
      workgroupSize: c.requiredNumber('workgroupSize'),
      kind: c.text('kind'),
      elements: c.number('elements'),
      overheadUsPerKernel: c.number('overheadUsPerKernel'),
      sizes: c.number('sizes'),
    };
  });
}

function readSelfCheck(path: string): SelfCheckCsvRow[] {
  return readCsv(path, ['strategy', 'harnessUsPerKernel', 'minimalUsPerKernel', 'ratio']).map(
    (record, i) => {
      const c = cells(path, record, lineOf(i));
      return {
        strategy: c.text('strategy'),
        elements: c.number('elements'),
        kernels: c.number('kernels'),
        pairs: c.number('pairs'),
        harnessUsPerKernel: c.number('harnessUsPerKernel'),
        minimalUsPerKernel: c.number('minimalUsPerKernel'),
        ratio: c.number('ratio'),
        ratioP10: c.number('ratioP10'),
        ratioP90: c.number('ratioP90'),
      };
    },
  );
}

function readBandwidth(path: string): BandwidthCsvRow[] {
  return readCsv(path, ['method', 'wallGBps']).map((record, i) => {
    const c = cells(path, record, lineOf(i));
    return {
      method: c.text('method'),
      bytes: c.number('bytes'),
      wallGBps: c.number('wallGBps'),
      gpuGBps: c.number('gpuGBps'),
      ofCopy: c.number('ofCopy'),
      workgroups: c.number('workgroups'),
      peakGBps: c.number('peakGBps'),
      peakSource: c.text('peakSource') === '' ? null : c.text('peakSource'),
      ofPeak: c.number('ofPeak'),
      clockChainUs: c.number('clockChainUs'),
      clockChainUsMax: c.number('clockChainUsMax'),
    };
  });
}

/** drift.csv's rows (also read by a run of several processes, to merge its processes'). */
export function readDrift(path: string): DriftCsvRow[] {
  return readCsv(path, ['probe', 'at', 'atS', 'hostLoopUs', 'roundTripUs']).map((record, i) => {
    const c = cells(path, record, lineOf(i));
    return {
      probe: c.requiredNumber('probe'),
      at: c.text('at'),
      atS: c.number('atS'),
      hostLoopUs: c.number('hostLoopUs'),
      roundTripUs: c.number('roundTripUs'),
      chainWallUsPerKernel: c.number('chainWallUsPerKernel'),
      chainGpuBusyUsPerKernel: c.number('chainGpuBusyUsPerKernel'),
      clockChainUs: c.number('clockChainUs'),
      cpuMeanMHz: c.number('cpuMeanMHz'),
      timestampCostUs: c.number('timestampCostUs'),
    };
  });
}

function readRounds(path: string): RoundCsvRow[] {
  return readCsv(path, [...CASE_KEY_COLUMNS, 'round', 'stateUs', 'wallUsPerKernel']).map(
    (record, i) => {
      const c = cells(path, record, lineOf(i));
      return {
        workload: c.text('workload'),
        strategy: c.text('strategy'),
        elements: c.requiredNumber('elements'),
        kernels: c.requiredNumber('kernels'),
        intensity: c.requiredNumber('intensity'),
        workgroupSize: c.requiredNumber('workgroupSize'),
        round: c.requiredNumber('round'),
        stateUs: c.number('stateUs'),
        wallUsPerKernel: c.number('wallUsPerKernel'),
        gpuBusyUsPerKernel: c.number('gpuBusyUsPerKernel'),
      };
    },
  );
}

/**
 * A run's samples.csv as text, or samples.csv.gz's where a published run keeps it compressed;
 * undefined where it has neither.
 */
export function samplesText(dir: string): string | undefined {
  const plain = join(dir, 'samples.csv');
  if (existsSync(plain)) return readFileSync(plain, 'utf8');
  if (existsSync(`${plain}.gz`)) return gunzipSync(readFileSync(`${plain}.gz`)).toString('utf8');
  return undefined;
}

/** One valid wall sample of samples.csv: what compare pairs turn by turn. */
export interface TurnWall {
  /** samples.csv's case id (benchmarkName of its summary row). */
  caseId: string;
  round: number;
  turn: number;
  wallNs: number;
}

/**
 * A run's wall samples with their rounds and turns (samples.csv, or samples.csv.gz where a
 * published run keeps it compressed), garbage-collected ones left out; undefined where the run
 * has neither file, a file that cannot be read, no wall samples, or no turns (runs made before
 * turns were).
 */
export function readTurnWalls(dir: string): TurnWall[] | undefined {
  let records: CsvRecord[];
  try {
    const text = samplesText(dir);
    if (text === undefined) return undefined;
    records = parse(text, { columns: true, skip_empty_lines: true, relax_column_count: true });
  } catch {
    // A damaged file: compare works from the round medians, as for a run without samples.
    return undefined;
  }
  const out: TurnWall[] = [];
  for (const r of records) {
    if (r['kind'] !== 'wall' || r['gc'] === 'true') continue;
    const round = Number(r['round']);
    const turn = r['turn'] === undefined || r['turn'] === '' ? NaN : Number(r['turn']);
    const wallNs = Number(r['wallNs']);
    if (!Number.isInteger(turn)) return undefined;
    if (!Number.isInteger(round) || !(wallNs > 0)) continue;
    out.push({ caseId: r['caseId'] ?? '', round, turn, wallNs });
  }
  return out.length === 0 ? undefined : out;
}

function readContext(path: string): RunContextFile {
  try {
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new Error('not a JSON object');
    }
    return value;
  } catch (error) {
    throw new UsageError(`${path}: not valid JSON (${errorMessage(error).split('\n')[0]})`);
  }
}

/** Reads a run folder; throws UsageError when `dir` is missing or is not a run folder. */
export function readRun(dir: string): RunData {
  if (!existsSync(dir)) throw new UsageError(`${dir}: no such folder`);
  if (!statSync(dir).isDirectory()) throw new UsageError(`${dir}: not a folder`);
  const summaryPath = join(dir, 'summary.csv');
  if (!existsSync(summaryPath)) {
    throw new UsageError(`${dir}: not a run folder (no summary.csv)`);
  }
  const optional = <T>(name: string, read: (path: string) => T[]): T[] => {
    const path = join(dir, name);
    return existsSync(path) ? read(path) : [];
  };
  const contextPath = join(dir, 'context.json');
  const hasContext = existsSync(contextPath);
  return {
    dir,
    summary: readSummary(summaryPath),
    fits: optional('fits.csv', readFits),
    crossovers: optional('crossovers.csv', readCrossovers),
    selfCheck: optional('selfcheck.csv', readSelfCheck),
    bandwidth: optional('bandwidth.csv', readBandwidth),
    drift: optional('drift.csv', readDrift),
    rounds: optional('rounds.csv', readRounds),
    context: hasContext ? readContext(contextPath) : {},
    hasContext,
  };
}

/**
 * The runtime the run's GPU came from, as `deno 2.9.6 (wgpu)`; undefined for runs made before
 * runtimes were recorded (all of them Node's, with Dawn).
 */
export function runtimeName(context: RunContextFile): string | undefined {
  const r = context.runtime;
  if (r?.name === undefined) return undefined;
  const webgpu = r.webgpu === 'dawn' ? 'Dawn' : (r.webgpu ?? 'unknown WebGPU');
  return `${[r.name, r.version].filter((x) => x !== undefined).join(' ')} (${webgpu})`;
}

/**
 * The WebGPU implementation and the runtime a run measured, for sentences: `Dawn` in `Node`
 * (also every run made before runtimes were recorded), `wgpu` in `Deno`.
 */
export function webgpuIn(context: RunContextFile): { webgpu: string; runtime: string } {
  const r = context.runtime;
  if (r?.name === undefined || r.name === 'node') return { webgpu: 'Dawn', runtime: 'Node' };
  const runtime = `${r.name.charAt(0).toUpperCase()}${r.name.slice(1)}`;
  return { webgpu: r.webgpu ?? 'its WebGPU', runtime };
}

/** Whether the run was measured in a browser page, whose submits cross its GPU process. */
export const inBrowser = (context: RunContextFile): boolean => context.browser !== undefined;

/**
 * `, deno 2.9.6 (wgpu)` after an adapter's name where the runtime is not Node's (whose Dawn is
 * the default, said in the facts), else nothing.
 */
export function runtimeNote(context: RunContextFile): string {
  const name = runtimeName(context);
  return name === undefined || context.runtime?.name === 'node' ? '' : `, ${name}`;
}

/** The adapter's name as a reader knows it, from context.json. */
export function adapterName(context: RunContextFile): string {
  const a = context.adapter;
  if (a === undefined) return 'unknown adapter';
  const description = (a.description ?? '').trim();
  const device = (a.device ?? '').trim();
  const vendor = (a.vendor ?? '').trim();
  // Some drivers (NVIDIA on Vulkan) describe themselves as 'NVIDIA: <driver version>' and name
  // the GPU only in `device` ('nvidia-h100-80gb-hbm3'): then the device names the adapter.
  const driverOnly =
    vendor !== '' && description.toLowerCase().startsWith(`${vendor.toLowerCase()}:`);
  if (driverOnly && device !== '') return `${device} (${description})`;
  return description || device || vendor || 'unknown adapter';
}

/** A case axis that `compare --across` may leave out of the match. */
export type CaseAxis = (typeof CASE_KEY_COLUMNS)[number];

/** A stable string key of a case (see CASE_KEY_COLUMNS), leaving out the axes in `omit`. */
export function caseKey(row: Pick<SummaryRow, CaseAxis>, omit: readonly CaseAxis[] = []): string {
  return CASE_KEY_COLUMNS.filter((c) => !omit.includes(c))
    .map((c) => String(row[c]))
    .join('|');
}
