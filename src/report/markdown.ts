/**
 * report.md: what a reader looks at first. Rendered from a run read back from its files only
 * (summary.csv, fits.csv, crossovers.csv, selfcheck.csv, drift.csv, context.json), so
 * `launchbench report DIR` and the end of `bench` produce the same text from the same folder.
 * Headline findings are sentences computed from the data, from cases on the sample floor only;
 * then the run's facts, the drift probes, per-group tables, what failed or does not apply and
 * why, the fits and crossovers, and links to the SVG charts. No clock readings (re-rendering is
 * byte-identical), never times.
 */
import { decodeHeadline, decodeSection, isDecode } from './decode-section.ts';
import { driftSection } from './drift-section.ts';
import { code, fmtCount, fmtPercent, fmtUs, listing, numbers, table } from './md-format.ts';
import { adapterName, type CrossoverRow, type RunData, type SummaryRow } from './read-run.ts';
import {
  distinct,
  groups,
  isMeasured,
  isOk,
  strategyOrder,
  tinyCase,
  workloadsOf,
} from './select.ts';

export { fmtUs } from './md-format.ts';

/** What the markdown needs to know about a chart: where it is and what it shows. */
export interface ChartLink {
  file: string;
  title: string;
  caption: string;
}

/** An interpolated element count, to 2 significant digits (it is an estimate). */
const fmtApprox = (n: number): string => fmtCount(Number(n.toPrecision(2)));

const fmtRatio = (x: number | null | undefined): string =>
  x === null || x === undefined || !Number.isFinite(x)
    ? '–'
    : `${x >= 1000 ? fmtCount(Math.round(x)) : Number(x.toPrecision(3)).toString()}×`;

/** A relative target (0.025) as a percentage, to 2 significant digits (2.5%). */
const fmtTarget = (x: number): string => `${Number((x * 100).toPrecision(2))}%`;

/** Why a row is left out of sentences: its status, or the sample floor. */
const why = (r: SummaryRow): string =>
  r.status === 'ok' && r.enoughSamples === false ? 'insufficient samples' : r.status;

const byStrategy = (rows: readonly SummaryRow[], strategy: string): SummaryRow | undefined =>
  rows.find((r) => r.strategy === strategy && isOk(r));

/** The headline sentences for one workload at its tiny case. */
function headlineFor(run: RunData, workload: string, isMain: boolean): string[] {
  const tiny = tinyCase(run, workload);
  const first = tiny?.find(isOk);
  if (tiny === undefined || first === undefined) return [];
  const out: string[] = [];
  const at = `${fmtCount(first.elements)} elements per kernel and K = ${fmtCount(first.kernels)} kernels`;
  const baseline = byStrategy(tiny, 'submit-wait');
  const vsBaseline = (r: SummaryRow): string => {
    const s = r.speedupVsSubmitWait;
    if (baseline === undefined || s === null || r === baseline) return '';
    return s >= 1
      ? `, ${fmtRatio(s)} faster than submit-and-wait`
      : `, ${fmtRatio(1 / s)} slower than submit-and-wait`;
  };
  const range = (r: SummaryRow): string =>
    `p10–p90 ${fmtUs(r.wallUsPerKernelP10)}–${fmtUs(r.wallUsPerKernelP90)} µs`;
  if (!isMain) {
    // The other workloads: one compact sentence each, the main one has the full list.
    const figures = tiny.filter(isOk).map((r) => {
      const s = r.speedupVsSubmitWait;
      const rel =
        baseline === undefined || r === baseline || s === null
          ? ''
          : s >= 1
            ? ` (${fmtRatio(s)} faster)`
            : ` (${fmtRatio(1 / s)} slower)`;
      return `${code(r.strategy)} ${fmtUs(r.wallUsPerKernel)} µs${rel}`;
    });
    const missing = tiny.filter((r) => !isOk(r)).map((r) => `${code(r.strategy)} ${why(r)}`);
    return [
      `**${workload}** at ${at}, wall time per kernel${baseline === undefined ? '' : ' (speed-up against `submit-wait`)'}: ${listing(figures)}${missing.length === 0 ? '' : `; ${listing(missing)}`}.`,
    ];
  }
  const backend = run.context.adapter?.backend;
  out.push(
    `On this GPU (**${adapterName(run.context)}**${backend === undefined ? '' : `, backend ${backend}`}), ${workload} at ${at}:`,
  );
  const items: string[] = [];
  /** One sentence per strategy measured at the tiny case; none for a strategy not there. */
  const push = (strategy: string, text: (r: SummaryRow) => string): void => {
    const r = byStrategy(tiny, strategy);
    if (r !== undefined) items.push(text(r));
  };
  push(
    'submit-wait',
    (r) =>
      `one submit-and-wait costs **${fmtUs(r.wallUsPerKernel)} µs** per kernel (${code('submit-wait')}, ${range(r)});`,
  );
  push(
    'submit-each',
    (r) =>
      `one submit per kernel with a single wait costs ${fmtUs(r.wallUsPerKernel)} µs per kernel (${code('submit-each')}${vsBaseline(r)});`,
  );
  push(
    'pass-each',
    (r) =>
      `one compute pass per kernel in one command buffer costs ${fmtUs(r.wallUsPerKernel)} µs per kernel (${code('pass-each')}${vsBaseline(r)});`,
  );
  push(
    'dispatch-each',
    (r) =>
      `dispatches in one pass cost **${fmtUs(r.wallUsPerKernel)} µs** each (${code('dispatch-each')}${vsBaseline(r)});`,
  );
  push('prerecorded', (r) => {
    // WebGPU cannot replay a command buffer: with its encoding counted, compare it to dispatch-each
    // honestly (the word follows the numbers).
    const one = byStrategy(tiny, 'dispatch-each');
    const pre = r.preEncodeUsPerKernel;
    const total =
      pre === null || pre <= 0 || r.wallUsPerKernel === null ? null : r.wallUsPerKernel + pre;
    const against =
      total === null || one?.wallUsPerKernel == null
        ? ''
        : `, ${total <= one.wallUsPerKernel ? 'no more than' : 'more than'} \`dispatch-each\`'s ${fmtUs(one.wallUsPerKernel)} µs`;
    const encode =
      total === null
        ? ''
        : `; encoding them beforehand, outside the timer, costs ${fmtUs(pre)} µs per kernel, so with their encoding, as WebGPU must redo it for every submit, they cost ${fmtUs(total)} µs${against}`;
    return `pre-recorded command buffers bring that to **${fmtUs(r.wallUsPerKernel)} µs** per kernel (${code('prerecorded')}: submit and wait only${vsBaseline(r)}${encode});`;
  });
  push(
    'indirect',
    (r) =>
      `indirect dispatches in one pass cost ${fmtUs(r.wallUsPerKernel)} µs each (${code('indirect')}${vsBaseline(r)});`,
  );
  push(
    'fused',
    (r) =>
      `one fused kernel costs **${fmtUs(r.wallUsPerKernel)} µs** per kernel-equivalent (${code('fused')}${vsBaseline(r)});`,
  );
  push(
    'persistent',
    (r) =>
      `a persistent kernel costs **${fmtUs(r.wallUsPerKernel)} µs** per kernel-equivalent (${code('persistent')}${vsBaseline(r)});`,
  );
  const notRun = tiny.filter((r) => !isMeasured(r));
  if (notRun.length > 0) {
    items.push(
      `not measured at this size: ${listing(notRun.map((r) => `${code(r.strategy)} (${r.status})`))};`,
    );
  }
  const short = tiny.filter((r) => isMeasured(r) && !isOk(r));
  if (short.length > 0) {
    items.push(
      `not quoted, too few samples (below the floor): ${listing(short.map((r) => code(r.strategy)))};`,
    );
  }
  const ok = tiny.filter(isOk);
  const best = ok.reduce<SummaryRow | undefined>(
    (m, r) =>
      m === undefined || (r.wallUsPerKernel ?? Infinity) < (m.wallUsPerKernel ?? Infinity) ? r : m,
    undefined,
  );
  if (best !== undefined) {
    items.push(
      `the fastest here is ${code(best.strategy)} at ${fmtUs(best.wallUsPerKernel)} µs per kernel${baseline === undefined || best === baseline ? '' : `, ${fmtRatio(best.speedupVsSubmitWait)} faster than ${code('submit-wait')}`}.`,
    );
  }
  return [...out, ...items.map((i) => `- ${i}`)];
}

/** Strategies whose K-fit the headline quotes, in this order. */
const QUOTED_FITS = ['submit-wait', 'dispatch-each', 'prerecorded', 'fused'];

/**
 * "Across K" sentence from the fits at the workload's smallest size. Flagged fits (a negative
 * fixed cost, a poor R²) are not findings: never quoted; named as left out where they would be.
 */
function fitSentence(run: RunData, workload: string): string | undefined {
  const all = run.fits.filter((f) => f.workload === workload && f.perKernelUs !== null);
  if (all.length === 0) return undefined;
  const fits = all.filter((f) => f.flag === '');
  if (fits.length === 0) {
    const flags = distinct(all.map((f) => f.flag));
    return `No fit across K is reliable for ${workload}: all ${all.length} are flagged (${listing(flags)}), so none is quoted; the fits table below shows them with their flags.`;
  }
  const elements = Math.min(...fits.map((f) => f.elements));
  const intensity = Math.min(...fits.map((f) => f.intensity));
  const atSize = all.filter((f) => f.elements === elements && f.intensity === intensity);
  const at = atSize.filter((f) => f.flag === '');
  const parts: string[] = [];
  for (const strategy of QUOTED_FITS) {
    const f = at.find((x) => x.strategy === strategy);
    if (f === undefined) continue;
    const r2 = f.r2 === null || (f.points ?? 0) <= 2 ? '' : `, r² = ${f.r2.toFixed(2)}`;
    parts.push(
      `${fmtUs(f.perKernelUs)} µs with ${code(strategy)} (fixed ${fmtUs(f.fixedUs)} µs per execution${r2})`,
    );
  }
  if (parts.length === 0) return undefined;
  const first = at[0];
  const kRange =
    first?.kernelsMin === null || first?.kernelsMax === null || first === undefined
      ? ''
      : ` (K = ${fmtCount(first.kernelsMin)}…${fmtCount(first.kernelsMax)})`;
  const exact =
    (first?.points ?? 0) <= 2
      ? ' Only two values of K were measured, so the line passes through both exactly (no r²).'
      : '';
  const flagged = atSize.filter((f) => f.flag !== '' && QUOTED_FITS.includes(f.strategy));
  const left =
    flagged.length === 0
      ? ''
      : ` Not quoted: the fit of ${listing(flagged.map((f) => `${code(f.strategy)} (${f.flag})`))} at this size, which does not describe its points.`;
  return `Across K${kRange} at ${fmtCount(elements)} elements, one more ${workload} kernel costs ${listing(parts)}, from the fit wall(K) = a + b·K (b per kernel, a fixed).${exact}${left}`;
}

function describeCrossover(c: CrossoverRow): string {
  if (c.elements === null) return 'unknown';
  if (c.kind === 'between') return `≈ ${fmtApprox(c.elements)}`;
  if (c.kind === 'below-range')
    return `below ${fmtCount(c.elements)} (execution dominates already)`;
  if (c.kind === 'above-range') return `above ${fmtCount(c.elements)} (overhead still dominates)`;
  return `${c.kind} ${fmtCount(c.elements)}`;
}

/** "Launch overhead stops dominating above N elements" sentence, per strategy, at the largest K. */
function crossoverSentence(run: RunData, workload: string): string | undefined {
  const all = run.crossovers.filter((c) => c.workload === workload);
  if (all.length === 0) return undefined;
  const kernels = Math.max(...all.map((c) => c.kernels));
  const intensity = Math.min(...all.map((c) => c.intensity));
  const at = all.filter((c) => c.kernels === kernels && c.intensity === intensity);
  const order = strategyOrder(run);
  at.sort((a, b) => order.indexOf(a.strategy) - order.indexOf(b.strategy));
  const between = at.filter((c) => c.kind === 'between' && c.elements !== null);
  const below = at.filter((c) => c.kind === 'below-range');
  const above = at.filter((c) => c.kind === 'above-range');
  const parts: string[] = [];
  if (between.length > 0) {
    parts.push(
      `launch overhead stops dominating above ${listing(between.map((c) => `≈ ${fmtApprox(c.elements ?? 0)} elements with ${code(c.strategy)}`))}`,
    );
  }
  if (below.length > 0) {
    parts.push(
      `execution already dominates at the smallest size measured (${fmtCount(Math.min(...below.map((c) => c.elements ?? 0)))} elements) with ${listing(below.map((c) => code(c.strategy)))}`,
    );
  }
  if (above.length > 0) {
    parts.push(
      `overhead still dominates at the largest size measured (${fmtCount(Math.max(...above.map((c) => c.elements ?? 0)))} elements) with ${listing(above.map((c) => code(c.strategy)))}`,
    );
  }
  const text = parts.join('; ');
  return `At K = ${fmtCount(kernels)}, ${text} (where GPU busy time per kernel overtakes launch overhead per kernel; interpolated in log-log between measured sizes).`;
}

function cautions(run: RunData): string[] {
  const out: string[] = [];
  const c = run.context;
  if (!run.hasContext) out.push('This folder has no context.json: adapter and settings unknown.');
  if (c.adapter?.cpuDevice === true || c.adapter?.isFallbackAdapter === true) {
    out.push(
      'This adapter is a CPU device (a software/fallback adapter): "GPU" time runs on the host CPU, sharing its cores with the host side, so none of these figures transfers to a real GPU.',
    );
  }
  if (c.interrupted === true)
    out.push(
      'The run was interrupted: only the cases measured before it are here, with the rounds they had.',
    );
  out.push(
    "These are Dawn's figures in Node. A browser sends every submit and every completion through its GPU process, a hop Dawn in Node does not have, so a web page pays more per submit and per wait than measured here (not measured by this suite): read the costs of the submit-heavy strategies as lower bounds for the web.",
  );
  if (c.deviceLost !== null && c.deviceLost !== undefined) {
    out.push(
      `The GPU device was lost during the run (${c.deviceLost}): only the cases measured before it are here, with the rounds they had.`,
    );
  }
  if (c.complete === false && c.interrupted !== true && (c.deviceLost ?? null) === null) {
    out.push(
      'The run did not finish (context.json has no finish time): only the cases written so far are here.',
    );
  }
  if (c.timestampSelfTest?.ok === false) {
    out.push(
      `The timestamp self-test failed (${c.timestampSelfTest.message ?? 'no message'}): GPU busy, overhead and utilisation are not measured.`,
    );
  }
  const ok = run.summary.filter(isOk);
  const measured = run.summary.filter(isMeasured);
  const floor = c.options?.sampling?.['minSamples'];
  const short = measured.filter((r) => r.enoughSamples === false);
  if (short.length > 0) {
    out.push(
      `${short.length} of ${measured.length} measured cases have insufficient samples (fewer than the floor${floor === undefined ? '' : ` of ${fmtCount(floor)}`} of a kind): they are marked in their tables and left out of the headline, the charts, the fits and the crossovers.`,
    );
  }
  const target = c.options?.sampling?.['maxNoise'];
  const wide = ok.filter((r) => r.converged === false);
  if (wide.length > 0) {
    const withRounds = wide.some((r) => r.wallUsPerKernelLo95 !== null);
    out.push(
      withRounds
        ? `${wide.length} of ${ok.length} cases with enough samples have a 95% repeat interval (wall or GPU busy) wider than the target${target === undefined ? '' : ` of ±${fmtTarget(target)}`}: a repeat run may report a figure further than that from theirs; their intervals are in the tables.`
        : `${wide.length} of ${ok.length} measured cases did not reach the noise target${target === undefined ? '' : ` (±${fmtTarget(target)} on the median)`} within their time budget: read their p10–p90 ranges.`,
    );
  }
  const negative = ok.filter((r) => (r.launchOverheadUsPerKernel ?? 0) < 0);
  if (negative.length > 0) {
    out.push(
      `${negative.length} case(s) show a negative launch overhead: their samples with timestamp queries ran slower than those without (the queries themselves cost execution time, or noise), so GPU busy exceeds wall there.`,
    );
  }
  const failed = run.summary.filter((r) => r.status === 'failed');
  if (failed.length > 0) {
    out.push(
      `${failed.length} case(s) failed: see [Failed and not applicable](#failed-and-not-applicable).`,
    );
  }
  return out;
}

function headline(run: RunData): string[] {
  const workloads = workloadsOf(run).filter((w) => !isDecode(w));
  const main = workloads.includes('map') ? 'map' : workloads[0];
  const ordered = main === undefined ? [] : [main, ...workloads.filter((w) => w !== main)];
  const out: string[] = ['## Headline', ''];
  const decode = decodeHeadline(run);
  if (decode.length > 0) out.push(...decode, '');
  if (run.summary.filter(isOk).length === 0) {
    out.push('No case was measured successfully: nothing to report but the reasons below.', '');
  }
  for (const [i, workload] of ordered.entries()) {
    const lines = headlineFor(run, workload, i === 0);
    if (lines.length === 0) continue;
    out.push(...lines, '');
    for (const sentence of [fitSentence(run, workload), crossoverSentence(run, workload)]) {
      if (sentence !== undefined) out.push(sentence, '');
    }
  }
  const bandwidth = bandwidthSentence(run);
  if (bandwidth !== undefined) out.push(bandwidth, '');
  const notes = cautions(run);
  if (notes.length > 0) out.push('Read with care:', '', ...notes.map((n) => `- ${n}`), '');
  return out;
}

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
  if (floor !== undefined) {
    parts.push(
      `a floor of ${fmtCount(floor)} samples of each kind (without and with timestamp queries) per case over the run${most === undefined ? '' : `, at most ${fmtCount(most)}`}`,
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
  return `the shader clock read at ${fmtCount(hold.checks ?? 0)} checks (before each visit and drift probe, and between turns${every === undefined ? '' : ` at most every ${fmtCount(every)} ms`}) by a fixed chain of ${fmtUs(reference)} µs at the reference clock; ${fmtCount(hold.lowered ?? 0)} found it lowered by more than ${fmtPercent(hold.options?.tolerance)} and the GPU was spun back up${extra.length === 0 ? '' : ` (${extra.join(', ')})`}${lowest}; ${fmtCount(Math.round(hold.spinMs ?? 0))} ms spent spinning, ${fmtCount(Math.round(hold.totalMs ?? 0))} ms in all, none inside a sample`;
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

function facts(run: RunData): string[] {
  const c = run.context;
  const rows: string[][] = [];
  const add = (what: string, value: string | undefined | null): void => {
    if (value !== undefined && value !== null && value !== '') rows.push([what, value]);
  };
  const a = c.adapter;
  if (a !== undefined) {
    add('adapter', adapterName(c));
    add(
      'vendor / architecture / device',
      [a.vendor, a.architecture, a.device].filter((x) => x !== undefined && x !== '').join(' / '),
    );
    add(
      'CPU (fallback) adapter',
      a.cpuDevice === true || a.isFallbackAdapter === true ? 'yes' : 'no',
    );
    add('backend', a.backend);
  }
  add('Dawn instance flags', c.dawn?.instanceFlags?.map(code).join(' '));
  const toggles = c.dawn?.toggles;
  if (toggles !== undefined) {
    add(
      'Dawn toggles enabled',
      toggles.enabled?.length ? toggles.enabled.map(code).join(', ') : 'none',
    );
    add(
      'Dawn toggles disabled',
      toggles.disabled?.length ? toggles.disabled.map(code).join(', ') : 'none',
    );
  }
  const ts = c.timestampSelfTest;
  if (ts !== undefined) {
    const step =
      ts.smallestStepNs === null || ts.smallestStepNs === undefined
        ? ''
        : `; smallest step seen ${fmtCount(ts.smallestStepNs)} ns`;
    add(
      'timestamp self-test',
      `${ts.ok === true ? 'passed' : 'FAILED'}: ${ts.message ?? ''}${step}`,
    );
  }
  const w = c.gpuWarmup;
  if (w !== undefined) {
    add(
      'GPU warm-up',
      `${fmtCount(Math.round(w.elapsedMs ?? 0))} ms, ${fmtCount(w.submits ?? 0)} submits; one submit ${fmtUs(w.firstSubmitUs)} µs first, ${fmtUs(w.lastSubmitUs)} µs last; ${w.stable === true ? 'settled' : 'not settled within its limit'}`,
    );
  }
  const hold = c.clockHold;
  if (hold !== undefined) add('clock hold', clockHoldText(hold));
  const replaced = c.deviceReplacements ?? [];
  if (replaced.length > 0)
    add(
      'device replaced',
      replaced
        .map(
          (r) =>
            `after ${r.reason ?? 'a wedged queue'} (round ${(r.round ?? 0) + 1}, ${code(r.group ?? '?')}, ${(r.atS ?? 0).toFixed(1)} s): a fresh device, every group prepared anew on it`,
        )
        .join('; '),
    );
  const s = c.options?.sampling;
  if (c.options?.profile !== undefined) add('profile', c.options.profile);
  if (s !== undefined) {
    if (s['rounds'] === undefined) {
      add(
        'sampling per case',
        `${s['minSamples'] ?? '?'}–${s['maxSamples'] ?? '?'} samples of each kind, at most ${fmtCount(s['maxTimeMs'] ?? 0)} ms, noise target ±${fmtPercent(s['maxNoise'])} on the median; warm-up ${fmtCount(s['warmupMs'] ?? 0)} ms`,
      );
    } else {
      add('sampling', samplingText(s));
    }
  }
  add('samples dropped for garbage collection', gcText(run.summary));
  add(
    'verified against the CPU reference',
    c.options?.verify === false
      ? 'no (--no-verify)'
      : c.options?.verify === true
        ? 'yes'
        : undefined,
  );
  add('seed', c.options?.seed === undefined ? undefined : String(c.options.seed));
  add('run id', c.runId);
  add(
    'started / finished (UTC)',
    c.startedAt === undefined ? undefined : `${c.startedAt} / ${c.finishedAt ?? 'not finished'}`,
  );
  add(
    'command line',
    c.commandLine === undefined ? undefined : code(`launchbench ${c.commandLine.join(' ')}`),
  );
  add('git commit', c.gitCommit);
  const pkgs = c.packages;
  if (pkgs !== undefined) {
    add(
      'packages',
      Object.entries(pkgs)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    );
  }
  add('node', c.node);
  add(
    'OS',
    c.os === undefined
      ? undefined
      : `${c.os.platform ?? ''} ${c.os.release ?? ''} ${c.os.arch ?? ''}`.trim(),
  );
  add('CPU', c.cpu === undefined ? undefined : cpuText(c.cpu));
  if (rows.length === 0) return [];
  return ['## The run', '', ...table(['what', 'value'], rows), ''];
}

/** The note of a measured row: the sample floor first, then the recorded reason. */
function note(r: SummaryRow): string {
  if (r.enoughSamples === false) {
    return r.reason.startsWith('insufficient samples') ? r.reason : 'insufficient samples';
  }
  if (r.reason !== '') return r.reason;
  return r.converged === false ? 'noise target not reached' : '';
}

function groupTables(run: RunData): string[] {
  if (run.summary.every((r) => isDecode(r.workload))) return [];
  const repeat = run.summary.some((r) => r.wallUsPerKernelLo95 !== null);
  const out: string[] = [
    '## Results per case',
    '',
    `Per kernel: one execution of all K kernels divided by K (for \`fused\` and \`persistent\`, per kernel-equivalent of the same work). Wall: host clock, samples without timestamp queries; ${repeat ? "the figure is the geometric mean of the case's round medians, with its 95% repeat interval (where a repeat run's figure would fall, from the spread between round medians) and the p10–p90 of all its samples" : 'median and p10–p90'}. GPU busy: from pass timestamps. Launch overhead = (wall − GPU busy) per kernel. Utilisation = GPU busy / wall. Speed-up: \`submit-wait\` wall / this wall, on the same work. A case marked "insufficient samples" has fewer samples than the floor: its figures are shown but used nowhere else.`,
    '',
  ];
  for (const rows of groups(run)) {
    // decode has its own section, per step.
    if (isDecode(rows[0]?.workload ?? '')) continue;
    const measured = rows.filter(isMeasured);
    const first = rows[0];
    if (first === undefined || measured.length === 0) continue;
    out.push(
      `### ${first.workload} · ${fmtCount(first.elements)} elements · K = ${fmtCount(first.kernels)} · intensity ${first.intensity} · workgroup ${first.workgroupSize}`,
      '',
    );
    const baseline = rows.find((r) => r.strategy === 'submit-wait');
    const speedup = (r: SummaryRow): string =>
      isOk(r) && (baseline === undefined || isOk(baseline)) ? fmtRatio(r.speedupVsSubmitWait) : '–';
    out.push(
      ...table(
        [
          'strategy',
          'wall µs/kernel',
          ...(repeat ? ['95% repeat interval µs'] : []),
          'p10–p90 µs',
          'GPU busy µs/kernel',
          'launch overhead µs/kernel',
          'GPU utilisation',
          'speed-up vs submit-wait',
          'note',
        ],
        measured.map((r) => [
          code(r.strategy),
          fmtUs(r.wallUsPerKernel),
          ...(repeat
            ? [
                r.wallUsPerKernelLo95 === null || r.wallUsPerKernelHi95 === null
                  ? '–'
                  : `${fmtUs(r.wallUsPerKernelLo95)}–${fmtUs(r.wallUsPerKernelHi95)}`,
              ]
            : []),
          `${fmtUs(r.wallUsPerKernelP10)}–${fmtUs(r.wallUsPerKernelP90)}`,
          fmtUs(r.gpuBusyUsPerKernel),
          fmtUs(r.launchOverheadUsPerKernel),
          fmtPercent(r.utilization),
          speedup(r),
          note(r),
        ]),
      ),
    );
    const missing = rows.filter((r) => !isMeasured(r));
    if (missing.length > 0) {
      out.push(
        '',
        `Not measured: ${listing(missing.map((r) => `${code(r.strategy)} (${r.status})`))}.`,
      );
    }
    out.push('');
  }
  return out;
}

function notMeasured(run: RunData): string[] {
  const rows = run.summary.filter((r) => !isMeasured(r));
  if (rows.length === 0) return [];
  const byReason = new Map<string, SummaryRow[]>();
  for (const r of rows) {
    const key = `${r.workload}|${r.strategy}|${r.status}|${r.reason}`;
    byReason.set(key, [...(byReason.get(key) ?? []), r]);
  }
  const lines = [...byReason.values()].map((members) => {
    const r = members[0] as SummaryRow;
    return [
      r.workload,
      code(r.strategy),
      r.status,
      numbers(members.map((m) => m.elements)),
      numbers(members.map((m) => m.kernels)),
      r.reason === '' ? '(no reason recorded)' : r.reason,
    ];
  });
  return [
    '## Failed and not applicable',
    '',
    ...table(['workload', 'strategy', 'status', 'elements', 'K', 'reason'], lines),
    '',
  ];
}

function fitsTable(run: RunData): string[] {
  if (run.fits.length === 0) return [];
  const order = strategyOrder(run);
  const fits = [...run.fits].sort(
    (a, b) =>
      a.workload.localeCompare(b.workload) ||
      a.elements - b.elements ||
      a.intensity - b.intensity ||
      a.workgroupSize - b.workgroupSize ||
      order.indexOf(a.strategy) - order.indexOf(b.strategy),
  );
  return [
    '## Fits across K: wall(K) = a + b·K',
    '',
    'Per strategy and size, least squares on relative residuals over the values of K measured, from the cases with enough samples only: a is the fixed cost of one execution (submit, completion), b the marginal cost of one more kernel. A flagged fit (a negative fixed cost, or a poor R²) does not describe its points: it is listed with its flag and no sentence quotes it.',
    '',
    ...table(
      [
        'workload',
        'strategy',
        'elements',
        'intensity',
        'workgroup',
        'K range',
        'a fixed µs',
        'b µs/kernel',
        'r²',
        'flag',
      ],
      fits.map((f) => [
        f.workload,
        code(f.strategy),
        fmtCount(f.elements),
        String(f.intensity),
        String(f.workgroupSize),
        f.kernelsMin === null || f.kernelsMax === null
          ? '–'
          : `${fmtCount(f.kernelsMin)}…${fmtCount(f.kernelsMax)}`,
        fmtUs(f.fixedUs),
        fmtUs(f.perKernelUs),
        f.r2 === null ? '–' : f.r2.toFixed(3),
        f.flag,
      ]),
    ),
    '',
  ];
}

function crossoverTable(run: RunData): string[] {
  if (run.crossovers.length === 0) return [];
  const order = strategyOrder(run);
  const rows = [...run.crossovers].sort(
    (a, b) =>
      a.workload.localeCompare(b.workload) ||
      a.kernels - b.kernels ||
      a.intensity - b.intensity ||
      a.workgroupSize - b.workgroupSize ||
      order.indexOf(a.strategy) - order.indexOf(b.strategy),
  );
  return [
    '## Crossovers: where execution overtakes launch overhead',
    '',
    'The element count where GPU busy time per kernel equals launch overhead per kernel, interpolated in log-log between the sizes measured (cases with enough samples only); outside the measured range only a bound is known.',
    '',
    ...table(
      [
        'workload',
        'strategy',
        'K',
        'intensity',
        'workgroup',
        'sizes used',
        'crossover elements',
        'overhead there µs/kernel',
      ],
      rows.map((c) => [
        c.workload,
        code(c.strategy),
        fmtCount(c.kernels),
        String(c.intensity),
        String(c.workgroupSize),
        c.sizes === null ? '–' : String(c.sizes),
        describeCrossover(c),
        fmtUs(c.overheadUsPerKernel),
      ]),
    ),
    '',
  ];
}

function selfCheckTable(run: RunData): string[] {
  const first = run.selfCheck[0];
  if (first === undefined) return [];
  return [
    '## Harness self-check',
    '',
    `The harness against the hand-written loops of src/measure/minimal-loops.ts (map, ${fmtCount(first.elements ?? 0)} elements, K = ${fmtCount(first.kernels ?? 0)}, median over ${first.pairs ?? '?'} alternated pairs of single executions): a ratio near 1 means the harness adds nothing measurable.`,
    '',
    ...table(
      ['strategy', 'harness µs/kernel', 'minimal loop µs/kernel', 'ratio', 'ratio range'],
      run.selfCheck.map((r) => [
        code(r.strategy),
        fmtUs(r.harnessUsPerKernel),
        fmtUs(r.minimalUsPerKernel),
        r.ratio === null ? '–' : r.ratio.toFixed(3),
        r.ratioP10 === null || r.ratioP90 === null
          ? '–'
          : `${r.ratioP10.toFixed(2)}…${r.ratioP90.toFixed(2)}`,
      ]),
    ),
    '',
  ];
}

function bandwidthSection(run: RunData): string[] {
  if (run.bandwidth.length === 0) return [];
  const gb = (x: number | null): string => (x === null ? '–' : `${Number(x.toPrecision(3))} GB/s`);
  return [
    '## Memory bandwidth reference',
    '',
    'The same bytes moved by copyBufferToBuffer and by the `map` kernel at intensity 0 (read and write counted, GB = 10⁹ bytes): how close the kernel comes to what the GPU can copy.',
    '',
    ...table(
      ['method', 'MiB', 'wall GB/s', 'GPU GB/s', 'of copy'],
      run.bandwidth.map((b) => [
        code(b.method),
        b.bytes === null ? '–' : fmtCount(Math.round(b.bytes / 2 ** 20)),
        gb(b.wallGBps),
        gb(b.gpuGBps),
        fmtPercent(b.ofCopy),
      ]),
    ),
    '',
  ];
}

/** One headline sentence on bandwidth, when the run measured it. */
function bandwidthSentence(run: RunData): string | undefined {
  const copy = run.bandwidth.find((b) => b.method === 'copyBufferToBuffer');
  const kernel = run.bandwidth.find((b) => b.method === 'map-kernel');
  if (copy?.wallGBps === null || copy?.wallGBps === undefined) return undefined;
  const k =
    kernel?.wallGBps === null || kernel?.wallGBps === undefined
      ? ''
      : `; the \`map\` kernel at intensity 0 reaches ${Number(kernel.wallGBps.toPrecision(3))} GB/s (${fmtPercent(kernel.ofCopy)} of that)`;
  return `For scale: copyBufferToBuffer moves ${Number(copy.wallGBps.toPrecision(3))} GB/s${k}.`;
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
  return run.summary.some((r) => r.wallUsPerKernelLo95 !== null)
    ? "All times are in microseconds (µs) per kernel unless marked; a case's figure is the geometric mean of its round medians (its median, where it has one round)."
    : 'All times are medians in microseconds (µs) per kernel unless marked.';
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
