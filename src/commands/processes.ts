/**
 * Runs made of several processes (issue 19), and `launchbench ab`.
 *
 * `bench --processes P`: the run's R rounds are shared out over P fresh processes (each its own
 * device), run one after another; each writes its part into <run>/processes/<i>/, and the run's
 * own files are made from all of them (src/measure/merge.ts): one summary, one report, intervals
 * from the processes where they vary more than the rounds. On the lent H200 a minimal Dawn loop
 * moved 17–31 µs per submit across processes a minute apart: a run of one process meets one draw
 * of that, and its intervals cannot say how far a second run's figures will be.
 *
 * `ab`: two configurations (bench options, environment variables) measured process by process,
 * interleaved A B B A A B …, into <out>/a and <out>/b, then compared (src/commands/compare.ts):
 * on a machine whose state drifts, both sides meet the same states, and the comparison is about
 * the configurations, not about when each ran.
 *
 * The processes are this CLI run again (bench, one process each); this module only spawns them,
 * waits, and merges their files. Never times anything itself.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  readdirSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { UsageError, errorMessage } from '../errors.ts';
import { selfCommand } from '../gpu/runtime.ts';
import { mergeProcesses, type ProcessPart } from '../measure/merge.ts';
import type { CaseResult, Sample } from '../stats/result.ts';
import type { DriftRow } from '../measure/drift.ts';
import { SAMPLE_COLUMNS } from '../report/columns.ts';
import { readDrift } from '../report/read-run.ts';
import { driftTable, summaryTable } from '../report/console.ts';
import { RunWriter, makeWritableDir, assertNoRun, writeAtomic } from '../report/writer.ts';
import { EXPORTS } from '../report/export.ts';
import { parseFraction, parseNameList } from '../options.ts';
import { STRATEGIES } from '../strategies/index.ts';
import { checkExportPaths, reportAfterBench } from './report.ts';
import { compareCommand } from './compare.ts';
import { TURNS_ENV, TURN_LOG, doneFile, type SideName } from './turns.ts';
import { STOP_SIGNALS, isStopSignal, signalExitCode, type StopSignal } from './signals.ts';
import type { BenchArgs } from './bench-options.ts';

/** Set in a process of a run of several: `i/P` (1-based), which it is. */
export const PROCESS_ENV = 'LAUNCHBENCH_PROCESS';
/** Set with PROCESS_ENV: what the processes after it should take, ms (progress's time left). */
export const PROCESS_LATER_MS_ENV = 'LAUNCHBENCH_PROCESS_LATER_MS';
/**
 * Set with PROCESS_ENV where not every later process runs after it (`ab --interleave visits`: the
 * other of its pair runs beside it): how many run after it, one at a time.
 */
export const PROCESS_AFTER_ENV = 'LAUNCHBENCH_PROCESS_AFTER';
/**
 * Set with PROCESS_ENV: the whole run's sampling (`{"rounds", "minSamples", "maxSamples"}`), so
 * that a process caps its samples at its share and judges a case's cost (`--case-budget`) as
 * the whole run's, as every other process of the run does.
 */
export const PROCESS_RUN_ENV = 'LAUNCHBENCH_PROCESS_RUN';
/**
 * Set to 1 for a bench process that only checks its options (everything a run refuses before
 * opening a GPU) and exits: `ab` asks each side so before any process runs.
 */
export const CHECK_ONLY_ENV = 'LAUNCHBENCH_CHECK_OPTIONS_ONLY';
/** A process's own record beside its samples: each case with its evidence (merge.ts). */
export const EVIDENCE_FILE = 'evidence.json';

/** The whole run's sampling, as a process of it is told (PROCESS_RUN_ENV). */
export interface RunSampling {
  rounds: number;
  minSamples: number;
  maxSamples: number;
}

/** In a process of a run of several: which (1-based) of how many; undefined otherwise. */
export function processPart():
  | { index: number; count: number; laterMs?: number; after?: number; run?: RunSampling }
  | undefined {
  const match = /^(\d+)\/(\d+)$/.exec(process.env[PROCESS_ENV] ?? '');
  if (match === null) return undefined;
  const later = Number(process.env[PROCESS_LATER_MS_ENV]);
  const after = Number(process.env[PROCESS_AFTER_ENV] ?? NaN);
  let run: RunSampling | undefined;
  try {
    run = JSON.parse(process.env[PROCESS_RUN_ENV] ?? 'null') as RunSampling | undefined;
  } catch {
    run = undefined;
  }
  return {
    index: Number(match[1]),
    count: Number(match[2]),
    ...(Number.isFinite(later) ? { laterMs: later } : {}),
    ...(Number.isInteger(after) && after >= 0 ? { after } : {}),
    ...(run === null || run === undefined ? {} : { run }),
  };
}

/** `rounds` shared out over `processes`, the first ones taking one more where it does not divide. */
export function shareRounds(rounds: number, processes: number): number[] {
  return Array.from(
    { length: processes },
    (_, i) => Math.floor(rounds / processes) + (i < rounds % processes ? 1 : 0),
  );
}

/** Options a process of the run is given by the run itself, not passed through. */
const SET_PER_PROCESS = new Set([
  'out',
  'rounds',
  'seed',
  'processes',
  'min-samples',
  'max-time',
  'bandwidth',
  'self-check',
  'export-json',
  'export-benchmark-action',
  'export-markdown',
  'a',
  'b',
  'fail-on-slower',
  'compare-strategies',
  'interleave',
  '_',
  '$0',
]);

/**
 * The command line that gives a bench process the same options as `args` (less SET_PER_PROCESS
 * and less `except`, the options a side of `ab` sets itself), each as one `--name=value` word so
 * that a value starting with '-' stays a value.
 */
export function passThrough(
  args: object,
  known: readonly string[],
  except: ReadonlySet<string> = new Set(),
): string[] {
  const out: string[] = [];
  for (const key of known) {
    if (SET_PER_PROCESS.has(key) || except.has(key)) continue;
    const value = (args as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (typeof value === 'boolean') out.push(value ? `--${key}` : `--no-${key}`);
    else if (typeof value === 'string' || typeof value === 'number') out.push(`--${key}=${value}`);
  }
  return out;
}

/** The option names a command line sets (`--name`, `--name=v`, `--no-name`). */
export function optionNames(argv: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const word of argv) {
    const match = /^--(?:no-)?([^=]+)/.exec(word);
    if (match !== null) names.add(match[1] as string);
  }
  return names;
}

/**
 * One side of `ab` as given (`--b "NAME=VALUE --dawn-toggles skip_validation"`): leading
 * NAME=VALUE words are environment variables, the rest bench options (words split at white
 * space; no quoting).
 */
export function parseSide(
  option: string,
  text: string | undefined,
): { env: Record<string, string>; argv: string[] } {
  const words = (text ?? '').split(/\s+/).filter((w) => w !== '');
  const env: Record<string, string> = {};
  let i = 0;
  for (; i < words.length; i++) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(words[i] ?? '');
    if (match === null) break;
    env[match[1] as string] = match[2] as string;
  }
  const argv = words.slice(i);
  const stray = argv.find((w) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
  if (stray !== undefined)
    throw new UsageError(`--${option}: '${stray}': environment variables go before the options`);
  const own = [...optionNames(argv)].find(
    (name) => SET_PER_PROCESS.has(name) || name === 'dry-run',
  );
  if (own !== undefined)
    throw new UsageError(
      `--${option}: --${own} is the run's own (give it to ab itself, for both sides)`,
    );
  return { env, argv };
}

/** The CLI's entry script, to run a process of the run with. */
const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));

/** Runs one process; resolves to its exit code. `onChild` gets it, to pass signals on. */
function runProcess(
  argv: readonly string[],
  env: Record<string, string>,
  onChild: (kill: ((signal: NodeJS.Signals) => void) | undefined) => void,
): Promise<number> {
  return new Promise((done) => {
    const self = selfCommand(CLI);
    const child = spawn(self.command, [...self.args, ...argv], {
      // Its stdout and stderr are the run's; the IPC channel stops it when this process is gone.
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, LAUNCHBENCH_RAW_STDERR: '1', ...env },
    });
    onChild((signal) => child.kill(signal));
    child.on('error', (error) => {
      process.stderr.write(`launchbench: could not start a process: ${errorMessage(error)}\n`);
      onChild(undefined);
      done(1);
    });
    child.on('close', (code, signal) => {
      onChild(undefined);
      done(code ?? (isStopSignal(signal) ? signalExitCode(signal) : 1));
    });
  });
}

const INTERRUPTED = new Set([130, 143]);

/** What a process left in its folder, read back; undefined where it left no evidence. */
function readPart(dir: string, rounds: number, code: number): ProcessPart | undefined {
  const path = join(dir, EVIDENCE_FILE);
  if (!existsSync(path)) return undefined;
  const { cases } = JSON.parse(readFileSync(path, 'utf8')) as { cases: CaseResult[] };
  const rows = existsSync(join(dir, 'samples.csv'))
    ? parse<Record<string, string>>(readFileSync(join(dir, 'samples.csv'), 'utf8'), {
        columns: true,
      })
    : [];
  const number = (text: string | undefined): number | null =>
    text === undefined || text === '' ? null : Number(text);
  const samples = rows.map((row) => {
    const s: Record<string, unknown> = {};
    for (const c of SAMPLE_COLUMNS) {
      if (c === 'caseId' || c === 'kind') s[c] = row[c];
      else if (c === 'gc') s[c] = row[c] === 'true';
      else s[c] = number(row[c]);
    }
    return s as unknown as Sample;
  });
  return { results: cases, samples, rounds, interrupted: INTERRUPTED.has(code) };
}

/**
 * Whether a process measured anything: its evidence holds a case. A process stopped before its
 * first visit leaves evidence of none.
 */
function measuredIn(run: ProcessRun): boolean {
  const evidence = readJson(join(run.dir, EVIDENCE_FILE));
  return Array.isArray(evidence?.['cases']) && evidence['cases'].length > 0;
}

/** A process's drift rows on the run's axes: probe and time from the run's start. */
function processDrift(dir: string, p: number, offset: number, startS: number): DriftRow[] {
  const path = join(dir, 'drift.csv');
  if (!existsSync(path)) return [];
  return readDrift(path).map((r) => ({
    ...r,
    probe: r.probe + offset,
    at: `process ${p + 1}: ${r.at}`,
    atS: (r.atS ?? 0) + startS,
    hostLoopUs: r.hostLoopUs ?? NaN,
    roundTripUs: r.roundTripUs ?? NaN,
    chainWallUsPerKernel: r.chainWallUsPerKernel ?? NaN,
  }));
}

const readJson = (path: string): Record<string, unknown> | undefined =>
  existsSync(path)
    ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>)
    : undefined;

/** A folder that holds the processes of an earlier run is refused (they would be merged as ours). */
function assertNoProcesses(dir: string): void {
  if (existsSync(join(dir, 'processes')))
    throw new UsageError(
      `--out: '${dir}' already holds the processes of a run (processes/); give a new folder, or remove that run first`,
    );
}

/** One process of a run, as it ran. */
interface ProcessRun {
  dir: string;
  rounds: number;
  seed: number;
  code: number;
}

/**
 * The run's context.json: its first process's, with the run's own ending (a signal may come
 * between two processes, or stop the other side of `ab`), command line, rounds, seed and
 * sampling, and each process's part.
 */
function mergedContext(
  dir: string,
  kept: readonly ProcessRun[],
  contexts: readonly Record<string, unknown>[],
  offsets: readonly number[],
  runs: readonly ProcessRun[],
  plan: ProcessPlan & { processes: number; interleave?: Interleave },
  code: number,
  argv: readonly string[],
): object {
  const { sampling } = plan;
  const first = contexts[0] ?? {};
  const interrupted = INTERRUPTED.has(code) || runs.some((r) => INTERRUPTED.has(r.code));
  const failedCode =
    runs.find((r) => r.code !== 0 && !INTERRUPTED.has(r.code))?.code ??
    (code !== 0 && !INTERRUPTED.has(code) ? code : undefined);
  const options = (first['options'] ?? {}) as Record<string, unknown>;
  return {
    ...first,
    startedAt: first['startedAt'],
    finishedAt: contexts.at(-1)?.['finishedAt'] ?? null,
    complete: !interrupted && failedCode === undefined && kept.length === plan.processes,
    interrupted,
    error: failedCode === undefined ? null : `a process exited ${failedCode}`,
    deviceLost: contexts.map((c) => c['deviceLost']).find((d) => typeof d === 'string') ?? null,
    commandLine: argv,
    // `ab`'s: how its sides were interleaved (compare pairs the rounds of `visits`).
    ...(plan.interleave === undefined ? {} : { abInterleave: plan.interleave }),
    options: {
      ...options,
      rounds: sampling.rounds,
      // The run's seed: each process's own is derived from it (and recorded below).
      seed: plan.seed,
      sampling: {
        ...(options['sampling'] ?? {}),
        rounds: sampling.rounds,
        minSamples: sampling.minSamples,
        maxSamples: sampling.maxSamples,
        maxTimeMs: sampling.maxTimeMs,
      },
    },
    processes: kept.map((r, p) => ({
      dir: relative(dir, r.dir),
      exitCode: r.code,
      rounds: [offsets[p] ?? 0, (offsets[p] ?? 0) + r.rounds - 1],
      seed: r.seed,
      startedAt: contexts[p]?.['startedAt'] ?? null,
      finishedAt: contexts[p]?.['finishedAt'] ?? null,
      timestampCost: contexts[p]?.['timestampCost'] ?? null,
      gpuWarmup: contexts[p]?.['gpuWarmup'] ?? null,
      clockHold: contexts[p]?.['clockHold'] ?? null,
      deviceReplacements: contexts[p]?.['deviceReplacements'] ?? [],
    })),
  };
}

/**
 * Merges the processes' folders into the run's own files in `dir` (summary.csv, samples.csv,
 * rounds.csv, drift.csv, context.json, and bandwidth.csv / selfcheck.csv where the last process
 * measured them), then its report; prints the summary. Returns the cases, or undefined where no
 * process left any.
 */
function mergeRun(
  dir: string,
  runs: readonly ProcessRun[],
  plan: ProcessPlan & { processes: number; interleave?: Interleave },
  code: number,
  argv: readonly string[],
): CaseResult[] | undefined {
  const { sampling } = plan;
  const parts: ProcessPart[] = [];
  const kept: ProcessRun[] = [];
  for (const run of runs) {
    const part = readPart(run.dir, run.rounds, run.code);
    if (part === undefined) {
      process.stderr.write(
        `launchbench: ${run.dir} holds nothing measured (the process exited ${run.code}); left out\n`,
      );
      continue;
    }
    parts.push(part);
    kept.push(run);
  }
  if (parts.length === 0) return undefined;
  // Every process ran to its end, as context.json's `complete` says (mergedContext).
  const finished =
    !INTERRUPTED.has(code) && runs.every((r) => r.code === 0) && parts.length === plan.processes;
  const merged = mergeProcesses(parts, sampling, finished);
  const contexts = kept.map((r) => readJson(join(r.dir, 'context.json')) ?? {});
  const first = contexts[0] ?? {};
  const time = (c: Record<string, unknown>, key: string): number =>
    typeof c[key] === 'string' ? Date.parse(c[key]) : NaN;
  const t0 = time(first, 'startedAt');
  const writer = new RunWriter(dir);
  writer.setOrder(merged.results.map((r) => r.caseId));
  writer.updateCases(merged.results, merged.samples);
  const drift = kept.flatMap((r, p) =>
    processDrift(
      r.dir,
      p,
      merged.offsets[p] ?? 0,
      (time(contexts[p] ?? {}, 'startedAt') - t0) / 1000 || 0,
    ),
  );
  for (const row of drift) writer.addDrift(row);
  for (const file of ['bandwidth.csv', 'selfcheck.csv']) {
    const from = kept
      .map((r) => join(r.dir, file))
      .filter(existsSync)
      .at(-1);
    if (from !== undefined) writeAtomic(join(dir, file), readFileSync(from, 'utf8'));
  }
  writer.writeContext(mergedContext(dir, kept, contexts, merged.offsets, runs, plan, code, argv));
  // The processes' samples are the run's now (samples.csv); their other files stay, for the record.
  for (const r of kept) rmSync(join(r.dir, 'samples.csv'), { force: true });
  process.stdout.write(`${summaryTable(writer.cases, sampling.maxNoise)}\n`);
  if (drift.length > 0) process.stdout.write(`\n${driftTable(drift)}\n`);
  return [...writer.cases];
}

/** What a run of several processes needs from bench's own parsing of its options. */
export interface ProcessPlan {
  /** The run's rounds, sample floor and cap, sampling time per case and noise target. */
  sampling: {
    rounds: number;
    minSamples: number;
    maxSamples: number;
    maxTimeMs: number;
    maxNoise: number;
  };
  seed: number;
  /** The strategies the run measures (those of a side that names none of its own). */
  strategies: readonly string[];
  /** Whether the run measures the bandwidth reference / the self-check afterwards. */
  bandwidth: boolean;
  selfCheck: boolean;
  /** bench's option names (what passThrough may pass on). */
  known: readonly string[];
}

/** One side's processes in flight: their folder, argv and environment. */
interface Side {
  dir: string;
  argv: string[];
  env: Record<string, string>;
  runs: ProcessRun[];
}

/** The command line and environment of one process of a side: its share of the run's rounds. */
function processCommand(
  side: Side,
  plan: ProcessPlan,
  {
    rounds,
    seed,
    last,
    index,
    count,
    laterMs,
  }: {
    rounds: number;
    seed: number;
    last: boolean;
    index: number;
    count: number;
    laterMs: number | undefined;
  },
): { dir: string; argv: string[]; env: Record<string, string> } {
  const dir = join(side.dir, 'processes', String(side.runs.length + 1));
  const argv = [
    ...side.argv,
    '--out',
    dir,
    '--rounds',
    String(rounds),
    '--seed',
    String(seed),
    '--min-samples',
    String(Math.max(3, Math.ceil((plan.sampling.minSamples * rounds) / plan.sampling.rounds))),
    '--max-time',
    `${(plan.sampling.maxTimeMs * rounds) / plan.sampling.rounds}ms`,
    last && plan.bandwidth ? '--bandwidth' : '--no-bandwidth',
    last && plan.selfCheck ? '--self-check' : '--no-self-check',
  ];
  const env: Record<string, string> = {
    ...side.env,
    [PROCESS_ENV]: `${index}/${count}`,
    [PROCESS_RUN_ENV]: JSON.stringify({
      rounds: plan.sampling.rounds,
      minSamples: plan.sampling.minSamples,
      maxSamples: plan.sampling.maxSamples,
    }),
    ...(laterMs === undefined ? {} : { [PROCESS_LATER_MS_ENV]: String(laterMs) }),
  };
  return { dir, argv, env };
}

/** A process's seed: the run's, mixed with its place in the run (`k`, 0-based). */
const processSeed = (plan: ProcessPlan, k: number): number =>
  (plan.seed + Math.imul(k + 1, 0x9e3779b1)) >>> 0;

/** Signals to this process passed on to the processes running; what came first, if any. */
function passSignals(): {
  kills: Set<(signal: StopSignal) => void>;
  stopped: () => StopSignal | undefined;
  dispose: () => void;
} {
  let stop: StopSignal | undefined;
  const kills = new Set<(signal: StopSignal) => void>();
  const onSignal = (signal: StopSignal): void => {
    stop ??= signal;
    for (const kill of kills) kill(signal);
  };
  for (const name of STOP_SIGNALS) process.on(name, onSignal);
  return {
    kills,
    stopped: () => stop,
    dispose: () => {
      for (const name of STOP_SIGNALS) process.off(name, onSignal);
    },
  };
}
const mean = (xs: readonly number[]): number | undefined =>
  xs.length === 0 ? undefined : xs.reduce((a, b) => a + b) / xs.length;

/**
 * Runs `order` (indices into `sides`, one process each) one after another; each process of a
 * side takes the next share of that side's rounds. Stops at the first process that fails or is
 * interrupted. Returns the exit code to give: 0, or the first non-zero.
 */
async function runProcesses(
  sides: Side[],
  order: readonly number[],
  plan: ProcessPlan,
): Promise<number> {
  const perSide = sides.map((_, s) => order.filter((o) => o === s).length);
  const shares = perSide.map((n) => shareRounds(plan.sampling.rounds, n));
  const signals = passSignals();
  const durations: number[] = [];
  try {
    for (let k = 0; k < order.length; k++) {
      const s = order[k] as number;
      const side = sides[s] as Side;
      const rounds = shares[s]?.[side.runs.length] ?? 1;
      const seed = processSeed(plan, k);
      const average = mean(durations);
      const { dir, argv, env } = processCommand(side, plan, {
        rounds,
        seed,
        last: k === order.length - 1,
        index: k + 1,
        count: order.length,
        laterMs: average === undefined ? undefined : average * (order.length - k - 1),
      });
      const started = Date.now();
      let kill: ((signal: NodeJS.Signals) => void) | undefined;
      const code = await runProcess(argv, env, (k2) => {
        if (kill !== undefined) signals.kills.delete(kill);
        kill = k2;
        if (k2 !== undefined) signals.kills.add(k2);
      });
      durations.push(Date.now() - started);
      side.runs.push({ dir, rounds, seed, code });
      if (code !== 0) return code;
      const stop = signals.stopped();
      if (stop !== undefined) return signalExitCode(stop);
    }
    return 0;
  } finally {
    signals.dispose();
  }
}

/**
 * `ab --interleave visits`: A's and B's processes in pairs, the two of a pair at once, taking turns
 * on the GPU step by step (src/commands/turns.ts) from a folder of their own under `turnsDir`;
 * the two of a pair share their share of the rounds and their seed, so that each visits the same
 * groups in the same order. When one ends, however it ends, it is marked done so that the other
 * does not wait for it; one that fails stops the other (SIGTERM: it keeps what it measured). Each
 * pair's turns are kept in `<turnsDir>/<pair>/turns.csv`. Returns 0, or the first non-zero code.
 */
async function runPairs(
  sides: readonly Side[],
  pairs: number,
  plan: ProcessPlan,
  turnsDir: string,
): Promise<number> {
  const shares = shareRounds(plan.sampling.rounds, pairs);
  const signals = passSignals();
  const durations: number[] = [];
  // A killed ab's turns would hold a pair, and go into this one's turns.csv.
  rmSync(turnsDir, { recursive: true, force: true });
  try {
    for (let i = 0; i < pairs; i++) {
      const rounds = shares[i] ?? 1;
      const seed = processSeed(plan, i);
      const dir = join(turnsDir, String(i + 1));
      mkdirSync(dir, { recursive: true });
      const average = mean(durations);
      const started = Date.now();
      const kills: (((signal: NodeJS.Signals) => void) | undefined)[] = [];
      const codes = await Promise.all(
        sides.map(async (side, s) => {
          const name: SideName = s === 0 ? 'a' : 'b';
          const command = processCommand(side, plan, {
            rounds,
            seed,
            last: i === pairs - 1,
            index: 2 * i + s + 1,
            count: 2 * pairs,
            laterMs: average === undefined ? undefined : average * (pairs - i - 1),
          });
          const code = await runProcess(
            command.argv,
            {
              ...command.env,
              [TURNS_ENV]: `${name}:${dir}`,
              [PROCESS_AFTER_ENV]: String(pairs - i - 1),
            },
            (kill) => {
              const before = kills[s];
              if (before !== undefined) signals.kills.delete(before);
              kills[s] = kill;
              if (kill !== undefined) signals.kills.add(kill);
            },
          );
          writeFileSync(doneFile(dir, name), '');
          side.runs.push({ dir: command.dir, rounds, seed, code });
          // A side that failed stops the other: the pair is no longer a pair.
          if (code !== 0 && !INTERRUPTED.has(code)) kills[1 - s]?.('SIGTERM');
          return code;
        }),
      );
      durations.push(Date.now() - started);
      const failed =
        codes.find((c) => c !== 0 && !INTERRUPTED.has(c)) ?? codes.find((c) => c !== 0);
      if (failed !== undefined) return failed;
      const stop = signals.stopped();
      if (stop !== undefined) return signalExitCode(stop);
    }
    return 0;
  } finally {
    signals.dispose();
  }
}

/** After a first process that failed on bad input or found no adapter: nothing is kept. */
function removeEmpty(dir: string, created: boolean): void {
  rmSync(join(dir, 'processes'), { recursive: true, force: true });
  try {
    if (created && readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {
    // left as it is
  }
}

/** A new run folder under results/, named for the time (renamed for the adapter afterwards). */
function pendingDir(): string {
  return join(
    'results',
    `${new Date().toISOString().replace(/[-:]|\.\d+/g, '')}-pending-${process.pid}`,
  );
}

/**
 * `bench --processes P`: the run in P processes, merged into one run folder. Returns the exit
 * code: 0, or the first process's that was not (its message is already on stderr).
 */
export async function benchInProcesses(
  args: BenchArgs,
  processes: number,
  plan: ProcessPlan,
): Promise<number> {
  if (processes > plan.sampling.rounds)
    throw new UsageError(
      `--processes: ${processes} is more than the run's ${plan.sampling.rounds} rounds (each process takes at least one)`,
    );
  const dir = args.out ?? pendingDir();
  const created = !existsSync(dir);
  makeWritableDir(dir, '--out');
  assertNoRun(dir, '--out');
  assertNoProcesses(dir);
  checkExportPaths(args);
  const side: Side = { dir, argv: ['bench', ...passThrough(args, plan.known)], env: {}, runs: [] };
  const code = await runProcesses([side], Array(processes).fill(0), plan);
  // No process measured anything (bad input, no adapter, a crash or a signal at start-up):
  // nothing is kept.
  if (!side.runs.some(measuredIn)) {
    removeEmpty(dir, created);
    return code === 0 ? 1 : code;
  }
  const cases = mergeRun(dir, side.runs, { ...plan, processes }, code, process.argv.slice(2));
  const final = args.out === undefined ? runFolderName(dir) : dir;
  if (cases !== undefined) await reportAfterBench(final, args);
  process.stdout.write(`\nresults: ${final}\n`);
  return code;
}

/** A pending folder renamed for its first process's run id (results/<run-id>), where free. */
function runFolderName(dir: string): string {
  const context = readJson(join(dir, 'processes', '1', 'context.json'));
  const id = context?.['runId'];
  if (typeof id !== 'string') return dir;
  const target = join('results', id);
  if (existsSync(target)) return dir;
  try {
    renameSync(dir, target);
    return target;
  } catch {
    return dir;
  }
}

/**
 * The turns of every pair (`<turnsDir>/<pair>/turns.csv`) into one file with a pair column, the
 * turns' folders removed: the record that the sides took turns, and when.
 */
function gatherTurns(turnsDir: string, to: string): void {
  if (!existsSync(turnsDir)) return;
  const pairs = readdirSync(turnsDir)
    .filter((name) => /^\d+$/.test(name))
    .sort((x, y) => Number(x) - Number(y));
  const lines = pairs.flatMap((pair) => {
    const path = join(turnsDir, pair, TURN_LOG);
    if (!existsSync(path)) return [];
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => `${pair},${line}`);
  });
  writeAtomic(to, `pair,turn,side,startMs,endMs\n${lines.map((l) => `${l}\n`).join('')}`);
  rmSync(turnsDir, { recursive: true, force: true });
}

/** `launchbench ab`'s own arguments. */
export interface AbArgs extends BenchArgs {
  a?: string | undefined;
  b?: string | undefined;
  'fail-on-slower'?: string | undefined;
  /** The strategies whose cases compare judges (the family of tests); both sides run them all. */
  'compare-strategies'?: string | undefined;
  /** `processes` (A B B A …, one at a time) or `visits` (A's and B's at once, taking turns). */
  interleave?: string | undefined;
}

export const INTERLEAVES = ['processes', 'visits'] as const;
export type Interleave = (typeof INTERLEAVES)[number];

/**
 * Each side's options checked in a process of its own before any measuring process runs (what a
 * bench refuses before opening a GPU): the first refused side's exit code, its message already
 * written; 0 when both pass.
 */
async function checkSides(sides: readonly Side[]): Promise<number> {
  for (const side of sides) {
    const code = await runProcess(side.argv, { ...side.env, [CHECK_ONLY_ENV]: '1' }, () => {});
    if (code !== 0) return code;
  }
  return 0;
}

/**
 * What `ab` asks of its own options, checked before any process runs: how it interleaves.
 * `measured`: the strategies both sides measure, where neither names its own.
 */
function checkAbOptions(
  args: AbArgs,
  processes: number,
  plan: ProcessPlan,
  measured: readonly string[] | undefined,
): Interleave {
  // What compare will be asked.
  if (args['fail-on-slower'] !== undefined) parseFraction('fail-on-slower', args['fail-on-slower']);
  if (args['compare-strategies'] !== undefined)
    parseNameList(
      'compare-strategies',
      args['compare-strategies'],
      measured ?? STRATEGIES.map((s) => s.id),
    );
  const interleave = (args.interleave ?? 'processes') as Interleave;
  if (!INTERLEAVES.includes(interleave))
    throw new UsageError(
      `--interleave: unknown '${args.interleave}' (known: ${INTERLEAVES.join(', ')})`,
    );
  const exported = EXPORTS.find((e) => args[e.option] !== undefined);
  if (exported !== undefined)
    throw new UsageError(
      `--${exported.option}: not in ab; export each side with launchbench report <out>/a or <out>/b`,
    );
  if (processes > plan.sampling.rounds)
    throw new UsageError(
      `--processes: ${processes} per side is more than the run's ${plan.sampling.rounds} rounds (each process takes at least one)`,
    );
  return interleave;
}

/** Each side's processes merged into its run folder and reported, then compare; its exit code. */
async function compareSides(
  dir: string,
  sides: readonly Side[],
  args: AbArgs,
  plan: ProcessPlan & { processes: number; interleave: Interleave },
  code: number,
): Promise<number> {
  for (const [name, side] of [
    ['A', sides[0]],
    ['B', sides[1]],
  ] as const) {
    process.stdout.write(`\n${name}: ${side?.dir}\n`);
    const merged = mergeRun(side?.dir ?? '', side?.runs ?? [], plan, code, process.argv.slice(2));
    if (merged !== undefined) await reportAfterBench(side?.dir ?? '');
  }
  process.stdout.write('\n');
  return compareCommand({
    a: join(dir, 'a'),
    b: join(dir, 'b'),
    out: join(dir, 'compare.csv'),
    'fail-on-slower': args['fail-on-slower'],
    strategies: args['compare-strategies'],
    strategiesOption: 'compare-strategies',
  });
}

/**
 * `ab`: A and B, `processes` processes each, into <out>/a and <out>/b; then compare(a, b) into
 * <out>/compare.csv, with its gate where asked. `--interleave processes` (the default) runs them
 * one at a time, A B B A A B B A … (so that a drift that is linear in time weighs both alike);
 * `visits` runs A's and B's in pairs, at once, taking turns on the GPU (runPairs), and keeps the
 * turns in <out>/turns.csv. Returns compare's exit code, or the first process's that failed.
 */
export async function abCommand(
  args: AbArgs,
  processes: number,
  plan: ProcessPlan,
): Promise<number> {
  const a = parseSide('a', args.a);
  const b = parseSide('b', args.b);
  const ownStrategies = [a, b].some((side) => optionNames(side.argv).has('strategies'));
  const interleave = checkAbOptions(
    args,
    processes,
    plan,
    ownStrategies ? undefined : plan.strategies,
  );
  const dir =
    args.out ?? join('results', `${new Date().toISOString().replace(/[-:]|\.\d+/g, '')}-ab`);
  const created = !existsSync(dir);
  makeWritableDir(dir, '--out');
  assertNoRun(dir, '--out');
  for (const side of ['a', 'b']) {
    assertNoRun(join(dir, side), '--out');
    assertNoProcesses(join(dir, side));
  }
  if (existsSync(join(dir, 'compare.csv')))
    throw new UsageError(`--out: '${dir}' already holds a comparison (compare.csv)`);
  // A side's own options replace the common ones of the same name.
  const argvOf = (side: { argv: string[] }): string[] => [
    'bench',
    ...passThrough(args, plan.known, optionNames(side.argv)),
    ...side.argv,
  ];
  const sides: Side[] = [
    { dir: join(dir, 'a'), argv: argvOf(a), env: a.env, runs: [] },
    { dir: join(dir, 'b'), argv: argvOf(b), env: b.env, runs: [] },
  ];
  const turnsDir = join(dir, 'turns');
  // Checked as it will run: a side that cannot take turns (a browser's page) refuses them.
  const refused = await checkSides(
    interleave === 'visits'
      ? sides.map((side, s) => ({
          ...side,
          env: { ...side.env, [TURNS_ENV]: `${s === 0 ? 'a' : 'b'}:${turnsDir}` },
        }))
      : sides,
  );
  if (refused !== 0) {
    removeEmpty(dir, created);
    return refused;
  }
  const order = Array.from({ length: 2 * processes }, (_, k) => [0, 1, 1, 0][k % 4] as number);
  const code =
    interleave === 'visits'
      ? await runPairs(sides, processes, plan, turnsDir)
      : await runProcesses(sides, order, plan);
  const merging = { ...plan, processes, interleave };
  const measured = sides.map((s) => s.runs.some(measuredIn));
  if (!measured.every(Boolean)) {
    // A side without a measurement cannot be compared: nothing of it is kept, and nothing at all
    // where neither side measured anything; a side that did is a run of its own.
    rmSync(turnsDir, { recursive: true, force: true });
    sides.forEach((side, s) => {
      if (!measured[s]) removeEmpty(side.dir, true);
    });
    const kept = sides.find((_, s) => measured[s]);
    if (kept === undefined) removeEmpty(dir, created);
    else {
      const [name, other] = kept === sides[0] ? ['A', 'B'] : ['B', 'A'];
      if (mergeRun(kept.dir, kept.runs, merging, code, process.argv.slice(2)) !== undefined)
        await reportAfterBench(kept.dir);
      process.stderr.write(
        `launchbench: side ${other} measured nothing, so nothing was compared; side ${name}'s run is in ${kept.dir}\n`,
      );
    }
    return code === 0 ? 1 : code;
  }
  if (interleave === 'visits') gatherTurns(turnsDir, join(dir, TURN_LOG));
  const gate = await compareSides(dir, sides, args, merging, code);
  process.stdout.write(`\nresults: ${dir}\n`);
  return code !== 0 ? code : gate;
}
