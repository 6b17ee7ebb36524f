/**
 * report.md's "The run" table: the adapter, Dawn, the timestamp self-test, warm-up, clock hold,
 * profile and sampling, CPU, verification, seed and times, from context.json and summary.csv.
 */
import { code, fmtCount, fmtPercent, fmtTarget, fmtUs, table } from './md-format.ts';
import { adapterName, runtimeName, type RunData, type SummaryRow } from './read-run.ts';
import { quantileSorted } from '../stats/stats.ts';
import { atTypicalStateOf } from './select.ts';
import { MIN_PROCESSES, STATE_RUN_R2 } from '../stats/state.ts';

/** The sampling of a run made in rounds, as context.json's options.sampling records it. */
function samplingText(s: Record<string, number>): string {
  const rounds = s['rounds'] ?? 1;
  const parts = [
    rounds === 1
      ? 'one round: the plan was visited once, its groups in a shuffled order'
      : `${fmtCount(rounds)} rounds spread over the run, each visiting every group of cases once, in its own shuffled order`,
    'within a visit the strategies of the group are interleaved sample by sample, in an order shuffled every turn',
  ];
  const floor = s['minSamples'];
  const most = s['maxSamples'];
  const perRound = s['roundFloor'];
  const split = s['roundSplit'];
  const perRoundText =
    perRound === undefined
      ? ''
      : ` and ${fmtCount(perRound)} in every round${split === undefined ? '' : `, ${fmtCount(perRound + 1)} where those ${fmtCount(perRound)} differ by more than ${fmtPercent(split - 1)} (so the round's median sets a stalled one aside)`}`;
  if (floor !== undefined) {
    parts.push(
      `a floor of ${fmtCount(floor)} samples of each kind (without and with timestamp queries) per case over the run${perRoundText}${most === undefined ? '' : `, at most ${fmtCount(most)}`}`,
    );
  }
  if (s['maxTimeMs'] !== undefined) {
    parts.push(
      `${fmtCount(s['maxTimeMs'])} ms of sampling per case over the whole run, shared between its visits (sampling goes on past it until the floor is met)`,
    );
  }
  const settle = s['settle'];
  if (settle !== undefined && settle > 0) {
    parts.push(
      `${fmtCount(settle)} untimed execution${settle === 1 ? '' : 's'} of the same case right before each timed sample`,
    );
  }
  if (s['warmupMs'] !== undefined) {
    const first =
      s['minWarmup'] === undefined
        ? ''
        : ` (in the first round also at least ${fmtCount(s['minWarmup'])} wall executions of each case, until their times settle)`;
    parts.push(
      `warm-up of ${fmtCount(s['warmupMs'])} ms per visit, interleaved like the samples${first}`,
    );
  }
  if (s['maxNoise'] !== undefined) {
    parts.push(
      rounds >= 2
        ? `noise target: the 95% repeat interval within ±${fmtTarget(s['maxNoise'])} of the figure`
        : `noise target: the median's 95% confidence interval within ±${fmtTarget(s['maxNoise'])} (one round: no repeat interval)`,
    );
  }
  return `${parts.join('; ')}.`;
}

/** A run made of several processes (src/commands/processes.ts): which took which rounds. */
function processesText(processes: RunData['context']['processes']): string | undefined {
  if (processes === undefined || processes.length === 0) return undefined;
  const ranges = processes.map(({ rounds }) =>
    rounds === undefined
      ? '?'
      : rounds[0] === rounds[1]
        ? `${(rounds[0] ?? 0) + 1}`
        : `${(rounds[0] ?? 0) + 1}–${(rounds[1] ?? 0) + 1}`,
  );
  const oneEach = processes.every(({ rounds }) => rounds !== undefined && rounds[0] === rounds[1]);
  const level = oneEach
    ? 'each round in its own process, so the rounds spread as the processes do'
    : processes.length < MIN_PROCESSES
      ? `fewer than ${MIN_PROCESSES} processes, so the repeat intervals come from the rounds alone`
      : "a case's repeat interval comes from the spread between the processes where it exceeds the spread between its rounds";
  return `${fmtCount(processes.length)} fresh processes one after another, each its own device, taking rounds ${ranges.join(', ')}; ${level} (each process's own files: \`processes/<i>/\`)`;
}

type CpuContext = NonNullable<RunData['context']['cpu']>;

function cpuText(cpu: CpuContext): string {
  const mhz = (x: number): string => fmtCount(Math.round(x));
  const mean = cpu.meanMHz ?? null;
  const low = cpu.minMHz ?? null;
  const high = cpu.maxMHz ?? null;
  const clock =
    mean === null
      ? ''
      : `; clock ${mhz(mean)} MHz mean over the cores${low === null || high === null ? '' : ` (${mhz(low)}–${mhz(high)})`} when context.json was written`;
  const governor =
    cpu.governor === null || cpu.governor === undefined || cpu.governor === ''
      ? ''
      : `, governor ${code(cpu.governor)}`;
  return `${cpu.model ?? 'unknown'}, ${cpu.cores ?? '?'} logical cores${clock}${governor}`;
}

/** What the clock hold did (src/gpu/clock-hold.ts), from context.json. */
function clockHoldText(hold: NonNullable<RunData['context']['clockHold']>): string {
  if (hold.off !== undefined)
    return `off (${hold.off}): samples ran at whatever clock the load left`;
  const every = hold.options?.checkEveryMs;
  const reference = hold.referenceChainUs ?? hold.fastestChainUs ?? null;
  const lowest =
    hold.lowestRel === null || hold.lowestRel === undefined
      ? ''
      : `; the lowest reading was ${fmtPercent(hold.lowestRel)} of the reference`;
  const extra = [
    (hold.notRestored ?? 0) > 0
      ? `${fmtCount(hold.notRestored ?? 0)} not brought back in time`
      : '',
    (hold.rebaselined ?? 0) > 0
      ? `the reference re-taken ${fmtCount(hold.rebaselined ?? 0)} times`
      : '',
    (hold.unreadable ?? 0) > 0 ? `${fmtCount(hold.unreadable ?? 0)} readings unusable` : '',
  ].filter((t) => t !== '');
  return `the shader clock read at ${fmtCount(hold.checks ?? 0)} checks (before each visit and drift probe, and between turns${every === undefined ? '' : ` at most every ${fmtCount(every)} ms`}) by a fixed chain of ${fmtUs(reference)} µs at the reference clock; ${fmtCount(hold.lowered ?? 0)} found it lowered by more than ${fmtPercent(hold.options?.tolerance)} and the GPU was spun back up${extra.length === 0 ? '' : ` (${extra.join(', ')})`}${lowest}; ${fmtCount(Math.round(hold.spinMs ?? 0))} ms spent spinning${hold.spinInFlight === undefined ? '' : ` (its queue fitted to ${fmtCount(hold.spinInFlight)} submits at once by the end)`}, ${fmtCount(Math.round(hold.totalMs ?? 0))} ms in all, none inside a sample`;
}

/**
 * What a timed pass cost the GPU and what was done with it (src/measure/timestamp-cost.ts);
 * undefined in runs made before it was measured.
 */
function timestampCostText(
  cost: RunData['context']['timestampCost'],
  drift: RunData['drift'],
): string | undefined {
  if (cost === undefined || cost === null) return undefined;
  const strategies =
    'strategies that time every kernel in its own pass (`gpuBusyMethod` in summary.csv)';
  if (cost.off !== undefined)
    return `not measured (${cost.off}): the GPU busy of ${strategies} includes what their timestamps cost the GPU`;
  const measured = cost.measuredUsPerTimedPass;
  const negative =
    measured !== undefined && measured < 0 ? ` (measured ${fmtUs(measured)} µs, applied as 0)` : '';
  const rounds = drift
    .map((d) => d.timestampCostUs)
    .filter((v): v is number => v !== null && v !== undefined);
  const again =
    rounds.length === 0
      ? ''
      : `; measured again before every round (\`timestampCostUs\` in drift.csv: ${fmtUs(Math.min(...rounds))}–${fmtUs(Math.max(...rounds))} µs), each round's samples less its own`;
  return `${fmtUs(cost.usPerTimedPass)} µs of GPU time per timed pass${negative} at start-up: one command buffer of ${fmtCount(cost.passes ?? 0)} passes of a 64-element \`map\` kernel took ${fmtUs(cost.timedBusyUsPerPass)} µs per pass with every pass timed and ${fmtUs(cost.spanUsPerPass)} µs timed as one span (medians of ${fmtCount(cost.repeats ?? 0)} alternated repeats); subtracted from the GPU busy of ${strategies}, for each timed pass beyond the first, so that it matches a span's${again}`;
}

/**
 * The machine's state over the run (src/stats/state.ts): the round trips of the visits and how
 * much of the cases' between-round variance they explain; undefined in runs without rounds.csv.
 */
function stateText(run: RunData): string | undefined {
  const visits = new Map<string, number>();
  for (const r of run.rounds)
    if (r.stateUs !== null)
      visits.set(
        `${r.workload}|${r.elements}|${r.kernels}|${r.intensity}|${r.workgroupSize}|${r.round}`,
        r.stateUs,
      );
  if (visits.size === 0) return undefined;
  const states = [...visits.values()].sort((x, y) => x - y);
  const r2 = run.summary
    .map((r) => r.wallStateR2)
    .filter((v): v is number => v !== null)
    .sort((x, y) => x - y);
  const explained =
    r2.length === 0
      ? ''
      : `; it explains a median ${fmtPercent(quantileSorted(r2, 0.5))} of a case's between-round variance of wall time (p10–p90 ${fmtPercent(quantileSorted(r2, 0.1))}–${fmtPercent(quantileSorted(r2, 0.9))}, \`wallStateR2\`), and the spread of the visits' states widens each case's repeat interval by how much the case moves with it`;
  // From schema 4 a run whose state explains nearly all of it is stated at its typical state
  // (src/measure/run-case.ts atRunState); what summary.csv shows tells which.
  const at = atTypicalStateOf(run);
  const metrics = [at.wall ? 'wall' : undefined, at.gpuBusy ? 'GPU busy' : undefined].filter(
    (m) => m !== undefined,
  );
  const moved =
    metrics.length > 0
      ? `; since it explains nearly all of it (a median of ${fmtPercent(STATE_RUN_R2)} or more), every case's ${metrics.join(' and ')} figure is stated at the run's typical state, the median visit's ${fmtUs(quantileSorted(states, 0.5))} µs: its state line's value there, within the states its own rounds met, its interval as wide (src/measure/run-case.ts atRunState)`
      : '';
  return `one round trip (\`map\`, 64 elements, K = 1, \`submit-wait\`) timed 7 times before and 7 times after each visit: ${fmtUs(quantileSorted(states, 0.1))}–${fmtUs(quantileSorted(states, 0.5))}–${fmtUs(quantileSorted(states, 0.9))} µs (p10–median–p90 over ${fmtCount(states.length)} visits, rounds.csv)${explained}${moved}`;
}

/** Samples left out because a garbage collection overlapped them; undefined in older runs. */
function gcText(rows: readonly SummaryRow[]): string | undefined {
  if (rows.every((r) => r.gcSamples === null)) return undefined;
  const dropped = rows.reduce((sum, r) => sum + (r.gcSamples ?? 0), 0);
  const kept = rows.reduce((sum, r) => sum + (r.wallSamples ?? 0) + (r.gpuSamples ?? 0), 0);
  const taken = dropped + kept;
  if (dropped === 0) return `none of ${fmtCount(taken)} samples taken`;
  const cases = rows.filter((r) => (r.gcSamples ?? 0) > 0).length;
  const share = (100 * dropped) / taken;
  return `${fmtCount(dropped)} of ${fmtCount(taken)} samples taken (${share < 1 ? share.toFixed(2) : share.toFixed(1)}%), in ${cases} case${cases === 1 ? '' : 's'}; left out of every figure, kept in samples.csv`;
}

/** A table row: what, and its value; one without a value (undefined, null, '') is left out. */
type Fact = [what: string, value: string | undefined | null];

type Context = RunData['context'];

/** The adapter: its name, vendor, architecture and device, whether it is a CPU one, its backend. */
function adapterFacts(c: Context): Fact[] {
  const a = c.adapter;
  if (a === undefined) return [];
  return [
    ['runtime', runtimeName(c)],
    ['adapter', adapterName(c)],
    [
      'vendor / architecture / device',
      [a.vendor, a.architecture, a.device].filter((x) => x !== undefined && x !== '').join(' / '),
    ],
    ['CPU (fallback) adapter', a.cpuDevice === true || a.isFallbackAdapter === true ? 'yes' : 'no'],
    ['backend', a.backend],
  ];
}

/** Dawn's instance flags, and the toggles it ran with enabled and disabled. */
function dawnFacts(c: Context): Fact[] {
  const flags: Fact = ['Dawn instance flags', c.dawn?.instanceFlags?.map(code).join(' ')];
  const toggles = c.dawn?.toggles;
  if (toggles === undefined) return [flags];
  return [
    flags,
    [
      'Dawn toggles enabled',
      toggles.enabled?.length ? toggles.enabled.map(code).join(', ') : 'none',
    ],
    [
      'Dawn toggles disabled',
      toggles.disabled?.length ? toggles.disabled.map(code).join(', ') : 'none',
    ],
  ];
}

/** Whether the timestamp self-test passed, its message and the smallest step it saw. */
function selfTestText(ts: NonNullable<Context['timestampSelfTest']>): string {
  const step =
    ts.smallestStepNs === null || ts.smallestStepNs === undefined
      ? ''
      : `; smallest step seen ${fmtCount(ts.smallestStepNs)} ns`;
  return `${ts.ok === true ? 'passed' : 'FAILED'}: ${ts.message ?? ''}${step}`;
}

/**
 * What the GPU's times rest on: the timestamp self-test, what a timed pass costs, and the
 * machine's state around the visits.
 */
function timingFacts(run: RunData): Fact[] {
  const c = run.context;
  const ts = c.timestampSelfTest;
  return [
    ['timestamp self-test', ts === undefined ? undefined : selfTestText(ts)],
    ['timestamp cost', timestampCostText(c.timestampCost, run.drift)],
    ['machine state', stateText(run)],
  ];
}

/** The GPU warm-up: how long it took, what one submit cost first and last, whether it settled. */
function warmupText(w: NonNullable<Context['gpuWarmup']>): string {
  const settled = w.stable === true ? 'settled' : 'not settled within its limit';
  if (w.windowMs === undefined)
    return `${fmtCount(Math.round(w.elapsedMs ?? 0))} ms, ${fmtCount(w.submits ?? 0)} submits waited on one by one; one submit ${fmtUs(w.firstSubmitUs)} µs first, ${fmtUs(w.lastSubmitUs)} µs last; ${settled}`;
  return `${fmtCount(Math.round(w.elapsedMs ?? 0))} ms, ${fmtCount(w.submits ?? 0)} submits queued ahead (up to ${fmtCount(w.inFlight ?? 0)} at once by the end, fitted to a completion round trip of ${fmtUs(w.completionUs)} µs, one spin workgroup's); wall per submit ${fmtUs(w.firstSubmitUs)} µs in the first ${fmtCount(w.windowMs)} ms, ${fmtUs(w.lastSubmitUs)} µs in the last; ${settled}`;
}

/** Each time the device was replaced: after what, where in the run, and what was done. */
function replacementsText(replaced: NonNullable<Context['deviceReplacements']>): string {
  return replaced
    .map(
      (r) =>
        `after ${r.reason ?? 'a wedged queue'} (round ${(r.round ?? 0) + 1}, ${code(r.group ?? '?')}, ${(r.atS ?? 0).toFixed(1)} s): a fresh device, every group prepared anew on it`,
    )
    .join('; ');
}

/** The GPU over the run: its warm-up, the clock hold, and the devices replaced. */
function gpuFacts(c: Context): Fact[] {
  const replaced = c.deviceReplacements ?? [];
  return [
    ['GPU warm-up', c.gpuWarmup === undefined ? undefined : warmupText(c.gpuWarmup)],
    ['clock hold', c.clockHold === undefined ? undefined : clockHoldText(c.clockHold)],
    ['device replaced', replaced.length > 0 ? replacementsText(replaced) : undefined],
  ];
}

/**
 * The sampling of a run: in rounds (samplingText), or, in a run made before rounds, per case
 * alone.
 */
function samplingFact(s: Record<string, number>): Fact {
  if (s['rounds'] !== undefined) return ['sampling', samplingText(s)];
  return [
    'sampling per case',
    `${s['minSamples'] ?? '?'}–${s['maxSamples'] ?? '?'} samples of each kind, at most ${fmtCount(s['maxTimeMs'] ?? 0)} ms, noise target ±${fmtPercent(s['maxNoise'])} on the median; warm-up ${fmtCount(s['warmupMs'] ?? 0)} ms`,
  ];
}

/**
 * How the cases were measured: the profile and sampling, the processes, the samples dropped for
 * garbage collection, and whether the results were verified.
 */
function measurementFacts(run: RunData): Fact[] {
  const c = run.context;
  const s = c.options?.sampling;
  const verify = c.options?.verify;
  return [
    ['profile', c.options?.profile],
    ...(s === undefined ? [] : [samplingFact(s)]),
    ['processes', processesText(c.processes)],
    [
      'completion (how each strategy waits for the GPU)',
      c.options?.completion === undefined
        ? undefined
        : c.options.completion === 'map-async'
          ? '`mapAsync` of a small buffer the last command buffer copies into (`--completion map-async`)'
          : c.options.completion === 'nudged'
            ? '`await onSubmittedWorkDone()` while submitting an empty command list every task turn (`--completion nudged`)'
            : '`await onSubmittedWorkDone()`',
    ],
    [
      'samples dropped for garbage collection',
      c.gcWatched === false
        ? 'not watched: this runtime reports no garbage collections'
        : gcText(run.summary),
    ],
    [
      'verified against the CPU reference',
      verify === false ? 'no (--no-verify)' : verify === true ? 'yes' : undefined,
    ],
    [
      'diagnostics set (not a plain run)',
      Object.entries(c.diagnostics ?? {})
        .map(([name, value]) => code(`${name}=${value}`))
        .join(', '),
    ],
  ];
}

/** Which run it is: the seed, its id, when it ran, its command line and the git commit. */
function provenanceFacts(c: Context): Fact[] {
  return [
    ['seed', c.options?.seed === undefined ? undefined : String(c.options.seed)],
    ['run id', c.runId],
    [
      'started / finished (UTC)',
      c.startedAt === undefined ? undefined : `${c.startedAt} / ${c.finishedAt ?? 'not finished'}`,
    ],
    [
      'command line',
      c.commandLine === undefined ? undefined : code(`launchbench ${c.commandLine.join(' ')}`),
    ],
    ['git commit', c.gitCommit],
  ];
}

/** What it ran on besides the GPU: the packages, node, the OS and the CPU. */
function hostFacts(c: Context): Fact[] {
  const pkgs = c.packages;
  return [
    [
      'packages',
      pkgs === undefined
        ? undefined
        : Object.entries(pkgs)
            .filter(([, v]) => v !== null)
            .map(([k, v]) => `${k} ${v}`)
            .join(', '),
    ],
    ['node', c.node ?? undefined],
    [
      'OS',
      c.os === undefined
        ? undefined
        : `${c.os.platform ?? ''} ${c.os.release ?? ''} ${c.os.arch ?? ''}`.trim(),
    ],
    ['CPU', c.cpu === undefined ? undefined : cpuText(c.cpu)],
  ];
}

/** The table, one group of facts after another; none without a single fact. */
export function facts(run: RunData): string[] {
  const c = run.context;
  const rows = [
    ...adapterFacts(c),
    ...dawnFacts(c),
    ...timingFacts(run),
    ...gpuFacts(c),
    ...measurementFacts(run),
    ...provenanceFacts(c),
    ...hostFacts(c),
  ].filter((f): f is [string, string] => f[1] !== undefined && f[1] !== null && f[1] !== '');
  if (rows.length === 0) return [];
  return ['## The run', '', ...table(['what', 'value'], rows), ''];
}
