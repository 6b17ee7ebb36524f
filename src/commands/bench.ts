/**
 * `launchbench bench` (the default command): checks the plan without a GPU, opens the adapter,
 * checks the plan against its limits, runs every case into a run folder (CSV files,
 * context.json, report.md) and prints the summary. SIGINT/SIGTERM stop it after the current
 * sample, with the results so far written (exit 130/143). What is done on the GPU is the
 * measuring side's (src/commands/bench-gpu.ts): this process's GPU, or with `--runtime chromium`
 * or `firefox` a page in a headless browser (src/commands/browser-side.ts); this file writes the run folder and
 * prints, either way.
 */
import { join } from 'node:path';
import { isBrowserRuntime, isDawn } from '../gpu/runtime.ts';
import { abandonSetUp, parseToggles } from '../gpu/context.ts';
import { DeviceLostError, UsageError, errorMessage } from '../errors.ts';
import { parseInteger } from '../options.ts';
import { planGroups, type RunPlan } from '../run.ts';
import { ProgressLines, StatusLine } from './progress.ts';
import { caseId } from '../measure/run-case.ts';
import type { DriftRow } from '../measure/drift.ts';
import { ROUND_FLOOR, ROUND_SPLIT } from '../measure/schedule.ts';
import { runContext, runId } from '../report/context.ts';
import { adapterName } from '../report/read-run.ts';
import {
  bandwidthTable,
  driftTable,
  clockHoldLine,
  planTable,
  selfCheckTable,
  summaryTable,
} from '../report/console.ts';
import {
  RunWriter,
  assertNoRun,
  makeWritableDir,
  removeEmptyFolders,
  writeAtomic,
} from '../report/writer.ts';
import {
  CHECK_ONLY_ENV,
  EVIDENCE_FILE,
  abCommand,
  benchInProcesses,
  processPart,
  type AbArgs,
  type ProcessPlan,
} from './processes.ts';
import { TURNS_ENV, turnsFromEnv } from './turns.ts';
import { checkExportPaths, reportAfterBench } from './report.ts';
import { gpuFlags, gpuOptions } from './gpu-options.ts';
import { checkBrowserFlag, findBrowser } from './find-browser.ts';
import { stopOnSignals } from './signals.ts';
import { benchOptions, completionWay, presetFlags, type BenchArgs } from './bench-options.ts';
import {
  benchPlan,
  caseBudget,
  localSide,
  peakOverride,
  type GpuSide,
  type SideReplacement,
  type SideSetup,
  type SetupStatus,
} from './bench-gpu.ts';
import type { Workload } from '../workloads/types.ts';
import { userShaderWorkload } from '../workloads/user-shader.ts';

export type { BenchArgs } from './bench-options.ts';

/** `--shader`: the user's kernel as a workload (or nothing); a file that does not load is bad input. */
async function loadUserWorkload(args: BenchArgs): Promise<Workload | undefined> {
  if (args.shader === undefined) {
    for (const option of ['entry', 'fused-entry', 'reference'] as const)
      if (args[option] !== undefined) throw new UsageError(`--${option}: needs --shader`);
    return undefined;
  }
  if (args.workloads !== undefined)
    throw new UsageError('--shader: measures its own kernel; leave out --workloads');
  try {
    return await userShaderWorkload({
      shader: args.shader,
      entry: args.entry,
      fusedEntry: args['fused-entry'],
      reference: args.reference,
    });
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * The line a run starts with once the plan stands: its cases, groups and rounds, and the
 * calibration's estimate of its sampling time.
 */
function startLine(setup: SideSetup, plan: RunPlan): string {
  const { ms, running, cases } = setup.estimate;
  const leftOut = cases - running;
  const rounds = plan.sampling.rounds;
  const groups = planGroups(plan).length;
  const adapter = adapterName({ adapter: setup.gpu.adapterInfo });
  return `measuring ${running} case${running === 1 ? '' : 's'} in ${groups} group${groups === 1 ? '' : 's'} on ${adapter}, ${rounds} round${rounds === 1 ? '' : 's'}${ms === null ? '' : `: about ${Math.ceil(ms / 1000)} s of sampling`}${leftOut === 0 ? '' : ` (${leftOut} left out on this adapter: --dry-run says why)`}`;
}

/** What a run of several processes (src/commands/processes.ts) takes from the plan. */
function processPlan(args: BenchArgs, plan: RunPlan, bandwidth: boolean): ProcessPlan {
  const { rounds, minSamples, maxSamples, maxTimeMs, maxNoise } = plan.sampling;
  return {
    sampling: { rounds, minSamples, maxSamples, maxTimeMs, maxNoise },
    seed: plan.seed,
    strategies: plan.strategies.map((s) => s.id),
    bandwidth,
    selfCheck: args['self-check'],
    known: [
      ...Object.keys(gpuFlags),
      ...Object.keys(benchOptions),
      ...Object.keys(presetFlags),
      'verbose',
    ],
  };
}

/**
 * `launchbench ab`: A and B interleaved process by process or visit by visit
 * (src/commands/processes.ts), each side `--processes` processes (default: one per round), then
 * compared.
 */
export async function abBenchCommand(args: AbArgs): Promise<number> {
  if (args['dry-run'] === true) throw new UsageError('--dry-run: not in ab; use bench --dry-run');
  const user = await loadUserWorkload(args);
  const { plan, bandwidth } = benchPlan(args, user);
  const processes =
    args.processes === undefined
      ? plan.sampling.rounds
      : parseInteger('processes', args.processes, { min: 1, max: 1000 });
  return abCommand(args, processes, processPlan(args, plan, bandwidth));
}

/**
 * What a run refuses of its options beyond its plan, before opening a GPU (and all that `ab`'s
 * check of a side sees, CHECK_ONLY_ENV): throws UsageError. `startsBrowser`: whether the run
 * starts its own browser (not where the side is the caller's: `serve`'s page, in the user's
 * browser), which must then be there.
 */
function checkRunOptions(args: BenchArgs, startsBrowser: boolean): void {
  const inBrowser = isBrowserRuntime(args.runtime);
  if (inBrowser && (process.env[TURNS_ENV] ?? '') !== '')
    throw new UsageError(
      `--interleave visits: not with --runtime ${args.runtime} (a page measures its visits without taking turns with another process); use --interleave processes`,
    );
  checkBrowserFlag(args.runtime, args.browser);
  if (args.shader !== undefined && inBrowser)
    throw new UsageError(
      `--shader: not with --runtime ${args.runtime} (the page measures the suite's own kernels)`,
    );
  caseBudget(args);
  peakOverride(args);
  const options = gpuOptions(args, true);
  if (isDawn() && !inBrowser) parseToggles(options.dawnToggles);
  if (isBrowserRuntime(args.runtime) && startsBrowser) findBrowser(args.runtime, args.browser);
}

/** How a run's measuring ended. */
interface Measured {
  drift: DriftRow[];
  interrupted: boolean;
  /** The lost device's message, where it was lost. */
  deviceLost: string | undefined;
}

/**
 * Measures the plan into `writer` (the side's runPlan) with progress on stderr; context.json says
 * how it ended whatever happens, and a process of a run of several leaves its cases' evidence
 * beside them. A lost device ends it (`deviceLost`); any other error is thrown.
 */
async function measureRun(
  side: GpuSide,
  writer: RunWriter,
  context: Parameters<typeof runContext>[0],
  stop: AbortSignal,
  progress: ProgressLines,
): Promise<Measured> {
  const drift: DriftRow[] = [];
  const replacements: SideReplacement[] = [];
  const ended: Partial<Measured> & { crashed?: string } = { interrupted: false };
  try {
    const outcome = await side.measure(
      {
        onVisit: (p) => progress.visit(p),
        onCases(results, samples) {
          writer.updateCases(results, samples);
          progress.visited(results);
        },
        onDrift(row) {
          drift.push(row);
          writer.addDrift(row);
        },
        onDeviceReplaced(r) {
          replacements.push(r);
          writer.writeContext(runContext({ ...context, deviceReplacements: replacements }));
          progress.note(
            `${r.reason}; the device was given up and a fresh one opened (round ${r.round + 1}, ${r.group}); the run goes on`,
          );
        },
      },
      () => stop.aborted,
    );
    ended.interrupted = outcome.interrupted;
    // A finished run: every case once more with the states of all its visits (their spread
    // sets the repeat intervals, src/stats/state.ts). An interrupted one keeps each case as
    // its last visit left it (only the visit cut short says 'interrupted').
    if (!outcome.interrupted) writer.updateCases(outcome.results, []);
  } catch (error) {
    // context.json must not call a run that ended on an error complete.
    if (!(error instanceof DeviceLostError)) {
      ended.crashed = errorMessage(error);
      throw error;
    }
    ended.deviceLost = error.message;
  } finally {
    progress.end();
    writer.writeContext(
      runContext({
        ...context,
        clockHold: side.clockHold(),
        deviceReplacements: replacements,
        finishedAt: new Date(),
        interrupted: ended.interrupted ?? false,
        deviceLost: ended.deviceLost,
        error: ended.crashed,
      }),
    );
    // A process of a run of several: its cases with their evidence, for the run to merge.
    if (processPart() !== undefined)
      writeAtomic(join(writer.dir, EVIDENCE_FILE), JSON.stringify({ cases: writer.cases }));
  }
  return { drift, interrupted: ended.interrupted ?? false, deviceLost: ended.deviceLost };
}

/**
 * After the cases: the summary, drift and clock-hold tables (a run of one process), the
 * self-check and the bandwidth reference where asked and the run went to its end, and the
 * report; a line for failed cases.
 */
async function afterRun(
  args: BenchArgs,
  plan: RunPlan,
  side: GpuSide,
  writer: RunWriter,
  measured: Measured,
  bandwidth: boolean,
): Promise<void> {
  const alone = processPart() === undefined;
  const whole = measured.deviceLost === undefined && !measured.interrupted;
  if (alone) {
    process.stdout.write(`${summaryTable(writer.cases, plan.sampling.maxNoise)}\n`);
    if (measured.drift.length > 0) process.stdout.write(`\n${driftTable(measured.drift)}\n`);
    process.stdout.write(`\n${clockHoldLine(side.clockHold())}\n`);
  }
  if (args['self-check'] && whole) {
    const rows = await side.selfCheck();
    writer.writeSelfCheck(rows);
    process.stdout.write(`\n${selfCheckTable(rows)}\n`);
  }
  if (bandwidth && whole) {
    // A reference that fails (its kernels not verified, say) is left out, as a failed case is:
    // the run's report is still written. A lost device ends the run as anywhere else.
    try {
      const rows = await side.bandwidth();
      writer.writeBandwidth(rows);
      process.stdout.write(`\n${bandwidthTable(rows)}\n`);
    } catch (error) {
      if (error instanceof DeviceLostError) throw error;
      process.stderr.write(
        `launchbench: bandwidth reference not measured: ${errorMessage(error)}\n`,
      );
    }
  }
  if (alone) {
    await reportAfterBench(writer.dir, args);
    process.stdout.write(`\nresults: ${writer.dir}\n`);
  }
  const failed = writer.cases.filter((c) => c.status === 'failed');
  if (failed.length > 0)
    process.stderr.write(
      `launchbench: ${failed.length} case(s) failed; see the reason column of ${writer.summaryPath}\n`,
    );
}

/**
 * The run folder (or results/, where it will go) made writable before any GPU work, and the
 * export paths checked; returns the folders that made, which the run takes back where it stops
 * before writing anything (here already where a check fails).
 */
function prepareOutput(args: BenchArgs): string[] {
  const made = makeWritableDir(args.out ?? 'results', '--out');
  try {
    if (args.out !== undefined) assertNoRun(args.out, '--out');
    checkExportPaths(args);
  } catch (error) {
    removeEmptyFolders(made);
    throw error;
  }
  return made;
}

/**
 * Where a run measures, given its plan: a page in a headless browser for `--runtime chromium` or
 * `firefox` (puppeteer-core, loaded only then), else this process's GPU. `stop` aborts on a signal: a side
 * that takes time to open (a browser) closes what it opened and ends.
 */
export type OpenSide = (
  args: BenchArgs,
  plan: RunPlan,
  user: Workload | undefined,
  status: SetupStatus,
  stop: AbortSignal,
) => Promise<GpuSide>;

const defaultSide: OpenSide = async (args, plan, user, status, stop) => {
  if (isBrowserRuntime(args.runtime)) {
    const { browserSide } = await import('./browser-side.ts');
    return browserSide(args.runtime, args, plan, processPart()?.run, status, stop);
  }
  return localSide(args, plan, {
    gpuOptions: gpuOptions(args),
    status,
    user,
    run: processPart()?.run,
    turns: turnsFromEnv(),
  });
};

/** What context.json records of a run before its cases: the set-up and the options. */
function runRecord(
  args: BenchArgs,
  plan: RunPlan,
  setup: SideSetup,
  profile: string,
  extra: object,
) {
  const startedAt = new Date();
  return {
    runId: runId(setup.gpu, startedAt),
    ctx: setup.gpu,
    selfTest: setup.selfTest,
    warmup: setup.warmup,
    calibration: setup.calibration,
    timestampCost: setup.timestampCost,
    clockHold: setup.clockHold,
    argv: process.argv.slice(2),
    options: {
      profile,
      ...plan,
      // Recorded with the options: what every round collects whatever the run's floor.
      sampling: { ...plan.sampling, roundFloor: ROUND_FLOOR, roundSplit: ROUND_SPLIT },
      workloads: plan.workloads.map((w) => w.id),
      strategies: plan.strategies.map((s) => s.id),
      completion: completionWay(args),
    },
    startedAt,
    ...extra,
  };
}

/**
 * Runs the benchmark; returns the exit code (0, or 130/143 when a signal stopped it). A run of
 * several processes goes to src/commands/processes.ts. `openSide`: where it measures (another
 * than the default: the caller's, `serve`'s page, which needs no browser here).
 */
export async function benchCommand(args: BenchArgs, openSide = defaultSide): Promise<number> {
  const user = await loadUserWorkload(args);
  const { plan, profile, bandwidth, processes } = benchPlan(args, user, processPart()?.run);
  checkRunOptions(args, openSide === defaultSide);
  if (process.env[CHECK_ONLY_ENV] === '1') return 0;
  const part = processPart();
  if (processes > 1 && part === undefined && args['dry-run'] !== true)
    return benchInProcesses(args, processes, processPlan(args, plan, bandwidth));
  let made = args['dry-run'] === true ? [] : prepareOutput(args);
  const status = new StatusLine();
  let side: GpuSide | undefined;
  // From before the side opens: a signal while a browser starts or the side sets up ends the run
  // there, the side closed (a browser left running would outlive this process).
  const stop = stopOnSignals('stopping after the current sample');
  let measuring = false;
  try {
    side = await openSide(args, plan, user, status, stop.signal);
    const setup = await untilStopped(side.setUp(), stop.signal);
    if (setup === undefined) {
      status.clear();
      abandonSetUp();
      return stop.exitCode();
    }
    status.clear();
    if (args['dry-run'] === true) {
      const { ms } = setup.estimate;
      process.stdout.write(`${planTable(setup.planned, ms === null ? null : ms / 1000)}\n`);
      return 0;
    }
    const inPart = part === undefined ? '' : `process ${part.index}/${part.count}, `;
    process.stderr.write(`launchbench: ${inPart}${startLine(setup, plan)}\n`);
    const context = runRecord(args, plan, setup, profile, side.record?.() ?? {});
    const writer = new RunWriter(args.out ?? join('results', context.runId));
    made = [];
    writer.setOrder(
      planGroups(plan).flatMap(({ workload, params }) =>
        plan.strategies.map((s) => caseId(workload.id, params, s.id)),
      ),
    );
    writer.writeContext(runContext(context));
    const progress = new ProgressLines(
      planGroups(plan).length,
      setup.estimate.ms ?? undefined,
      part,
    );
    measuring = true;
    const measured = await measureRun(side, writer, context, stop.signal, progress);
    await afterRun(args, plan, side, writer, measured, bandwidth);
    if (measured.deviceLost !== undefined)
      throw new DeviceLostError(
        `${measured.deviceLost}; the ${writer.cases.filter((c) => c.wallNs !== null).length} case(s) measured before it kept in ${writer.dir}`,
      );
    return measured.interrupted ? stop.exitCode() : 0;
  } catch (error) {
    status.clear();
    // Stopped while the side opened: what failed was the stopping.
    if (stop.signal.aborted && !measuring) return stop.exitCode();
    throw error;
  } finally {
    stop.dispose();
    removeEmptyFolders(made);
    await side?.close();
  }
}

/** `work`'s value, or undefined once `stop` aborts first (`work` then left to fail unheard). */
function untilStopped<T>(work: Promise<T>, stop: AbortSignal): Promise<T | undefined> {
  if (stop.aborted) {
    work.catch(() => undefined);
    return Promise.resolve(undefined);
  }
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = (): void => {
      work.catch(() => undefined);
      resolve(undefined);
    };
    stop.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => stop.removeEventListener('abort', onAbort));
  });
}

export { benchOptions, exportOptions, withPresetFlags } from './bench-options.ts';
