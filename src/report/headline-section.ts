/**
 * report.md's headline: the sentences computed from the data (the main workload's strategies at
 * its tiny case, the fit and crossover sentences, the decode step's, the bandwidth), then what
 * to read with care. From cases on the sample floor only. Pure functions of a run.
 */
import { decodeHeadline } from './decode-section.ts';
import {
  code,
  fmtCount,
  fmtPercent,
  fmtUs,
  listing,
  fmtApprox,
  fmtRatio,
  fmtTarget,
} from './md-format.ts';
import { STRATEGIES } from '../strategies/index.ts';
import { median } from '../stats/stats.ts';
import {
  adapterName,
  inBrowser,
  runtimeNote,
  webgpuIn,
  type CrossoverRow,
  type RunData,
  type SummaryRow,
} from './read-run.ts';
import {
  distinct,
  isMeasured,
  isOk,
  strategyOrder,
  tinyCase,
  perKernelWorkloads,
} from './select.ts';

/** Why a row is left out of sentences: its status, or the sample floor. */
const why = (r: SummaryRow): string =>
  r.status === 'ok' && r.enoughSamples === false ? 'insufficient samples' : r.status;

const byStrategy = (rows: readonly SummaryRow[], strategy: string): SummaryRow | undefined =>
  rows.find((r) => r.strategy === strategy && isOk(r));

/** Against the `submit-wait` baseline of the tiny case: how much faster or slower `r` is. */
function vsBaseline(r: SummaryRow, baseline: SummaryRow | undefined): string {
  const s = r.speedupVsSubmitWait;
  if (baseline === undefined || s === null || r === baseline) return '';
  return s >= 1
    ? `, ${fmtRatio(s)} faster than submit-and-wait`
    : `, ${fmtRatio(1 / s)} slower than submit-and-wait`;
}

/** The spread of a row's wall time per kernel. */
const range = (r: SummaryRow): string =>
  `p10–p90 ${fmtUs(r.wallUsPerKernelP10)}–${fmtUs(r.wallUsPerKernelP90)} µs`;

/**
 * A strategy that encodes before the timer: what that costs, and the total against
 * `dispatch-each` (WebGPU cannot replay a command buffer, so with its encoding counted the
 * comparison is honest; the word follows the numbers).
 */
function preEncoded(r: SummaryRow, tiny: readonly SummaryRow[]): string {
  const one = byStrategy(tiny, 'dispatch-each');
  const pre = r.preEncodeUsPerKernel;
  const total =
    pre === null || pre <= 0 || r.wallUsPerKernel === null ? null : r.wallUsPerKernel + pre;
  if (total === null) return '';
  const against =
    one?.wallUsPerKernel == null
      ? ''
      : `, ${total <= one.wallUsPerKernel ? 'no more than' : 'more than'} \`dispatch-each\`'s ${fmtUs(one.wallUsPerKernel)} µs`;
  return `; encoding them beforehand, outside the timer, costs ${fmtUs(pre)} µs per kernel, so with their encoding, as WebGPU must redo it for every submit, they cost ${fmtUs(total)} µs${against}`;
}

/**
 * A workload other than the main one: one compact sentence, each strategy's wall time per
 * kernel at the tiny case (`at`) with its speed-up, and why the others are missing.
 */
function compactHeadline(
  workload: string,
  at: string,
  tiny: readonly SummaryRow[],
  baseline: SummaryRow | undefined,
): string {
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
  return `**${workload}** at ${at}, wall time per kernel${baseline === undefined ? '' : ' (speed-up against `submit-wait`)'}: ${listing(figures)}${missing.length === 0 ? '' : `; ${listing(missing)}`}.`;
}

/**
 * One item per registered strategy measured at the tiny case, in its own words
 * (Strategy.headline); none for a strategy not there, or one whose words are another's.
 */
function strategyItems(tiny: readonly SummaryRow[], baseline: SummaryRow | undefined): string[] {
  const items: string[] = [];
  for (const strategy of STRATEGIES) {
    const r = byStrategy(tiny, strategy.id);
    if (r === undefined || strategy.headline === null) continue;
    const { says, bold = false, note = '' } = strategy.headline;
    const wall = `${fmtUs(r.wallUsPerKernel)} µs`;
    const where = r === baseline ? `, ${range(r)}` : vsBaseline(r, baseline);
    items.push(
      `${says.replace('{wall}', bold ? `**${wall}**` : wall)} (${code(strategy.id)}${note}${where}${preEncoded(r, tiny)});`,
    );
  }
  return items;
}

/** The strategies of the tiny case not quoted: not measured, or below the sample floor. */
function unquotedItems(tiny: readonly SummaryRow[]): string[] {
  const items: string[] = [];
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
  return items;
}

/** The fastest strategy of the tiny case, with its speed-up against `submit-wait`; none if none. */
function fastestItem(tiny: readonly SummaryRow[], baseline: SummaryRow | undefined): string[] {
  const best = tiny
    .filter(isOk)
    .reduce<SummaryRow | undefined>(
      (m, r) =>
        m === undefined || (r.wallUsPerKernel ?? Infinity) < (m.wallUsPerKernel ?? Infinity)
          ? r
          : m,
      undefined,
    );
  if (best === undefined) return [];
  return [
    `the fastest here is ${code(best.strategy)} at ${fmtUs(best.wallUsPerKernel)} µs per kernel${baseline === undefined || best === baseline ? '' : `, ${fmtRatio(best.speedupVsSubmitWait)} faster than ${code('submit-wait')}`}.`,
  ];
}

/**
 * The headline sentences for one workload at its tiny case: for the main one, a sentence on
 * where it ran and a list, one item per strategy; for the others, one compact sentence.
 */
function headlineFor(run: RunData, workload: string, isMain: boolean): string[] {
  const tiny = tinyCase(run, workload);
  const first = tiny?.find(isOk);
  if (tiny === undefined || first === undefined) return [];
  const at = `${fmtCount(first.elements)} elements per kernel and K = ${fmtCount(first.kernels)} kernels`;
  const baseline = byStrategy(tiny, 'submit-wait');
  if (!isMain) return [compactHeadline(workload, at, tiny, baseline)];
  const backend = run.context.adapter?.backend;
  const items = [
    ...strategyItems(tiny, baseline),
    ...unquotedItems(tiny),
    ...fastestItem(tiny, baseline),
  ];
  return [
    `On this GPU (**${adapterName(run.context)}**${backend === undefined ? '' : `, backend ${backend}`}${runtimeNote(run.context)}), ${workload} at ${at}:`,
    ...items.map((i) => `- ${i}`),
  ];
}

/** Strategies whose K-fit the headline quotes, in this order. */
const QUOTED_FITS = ['submit-wait', 'dispatch-each', 'prerecorded', 'fused'];

/**
 * "Across K" sentence from the fits at the workload's smallest size. Flagged fits (a negative
 * fixed cost or cost per kernel, a poor R²) are not findings: never quoted; named as left out
 * where they would be.
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
      : ` Not quoted at this size: the fit of ${listing(flagged.map((f) => `${code(f.strategy)} (${f.flag}: ${f.flag.startsWith('negative') ? 'no real cost is below zero' : 'the line does not describe its points'})`))}.`;
  return `Across K${kRange} at ${fmtCount(elements)} elements, one more ${workload} kernel costs ${listing(parts)}, from the fit wall(K) = a + b·K (b per kernel, a fixed).${exact}${left}`;
}

export function describeCrossover(c: CrossoverRow): string {
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

/** A runtime's completion wait at or above this is its own timer's, not the GPU's, µs. */
const TIMER_FLOOR_US = 5_000;

/**
 * Where the runtime learns of finished work only on a timer (Deno's wgpu: about 11 ms; Firefox:
 * its 100 ms device poll, Mozilla bug 1870699), the drift probe's round trip (one `map` kernel,
 * submit + onSubmittedWorkDone) says so: a sentence with its median; for a run that waited
 * nudged, whether its executions came in under it; for Firefox waiting otherwise, the way past it
 * (--completion nudged). Undefined below TIMER_FLOOR_US.
 */
function completionFloor(run: RunData): string | undefined {
  const trips = run.drift.map((d) => d.roundTripUs).filter((v): v is number => v !== null);
  if (trips.length === 0) return undefined;
  const floorUs = median(trips);
  if (floorUs < TIMER_FLOOR_US) return undefined;
  const { runtime } = webgpuIn(run.context);
  const nudged = run.context.options?.completion === 'nudged';
  // An execution waits once at least: the quickest says whether the strategies' waits were under the floor.
  const executions = run.summary
    .filter(isOk)
    .flatMap((r) => (r.wallUsPerKernel === null ? [] : [r.wallUsPerKernel * r.kernels]));
  const quickest = executions.length === 0 ? undefined : Math.min(...executions);
  const under = quickest !== undefined && quickest < floorUs / 2;
  let advice = '';
  if (nudged)
    advice = under
      ? ` The strategies here waited with \`--completion nudged\` (an empty submit each task turn, at which the runtime polls at once), so their figures do not include it (the quickest execution took ${fmtUs(quickest)} µs); the run's own probes do.`
      : ` The strategies here waited with \`--completion nudged\`, yet no execution took less than half of it${quickest === undefined ? '' : ` (the quickest: ${fmtUs(quickest)} µs)`}: the nudges did not hasten this runtime's waits.`;
  else if (run.context.runtime?.name === 'firefox')
    advice =
      ' Firefox polls its device every 100 ms, and at a submit (Mozilla bug 1870699): `--completion nudged` measures the waits of code that submits an empty command list to hasten it.';
  return `A plain completion wait costs ${runtime} about ${fmtUs(floorUs / 1000)} ms whatever the GPU does (the drift probe's round trip: one small kernel submitted and awaited with \`onSubmittedWorkDone\`, median of ${fmtCount(trips.length)}), so a loop that reads back each step runs at most about ${fmtCount(Math.round(1e6 / floorUs))} times a second.${nudged ? '' : ' Every figure of a strategy that waits includes it.'}${advice}`;
}

/** The drift probe's clock chain, as its median, this many times its fastest reading: the clock fell. */
const CLOCK_FELL_RATIO = 1.5;

/**
 * Where the GPU's shader clock fell during the run and stayed down, a sentence saying so and what
 * the clock hold did. The drift probe's clock chain (src/gpu/clock-probe.ts) takes GPU time in
 * inverse proportion to the clock; its median reading CLOCK_FELL_RATIO times its fastest or more
 * means most of the run ran slower than its start. It happened in Chromium's page on the lent
 * H100 and H200 (docs/findings.md); in Node the hold keeps the chain within a few percent.
 * Undefined otherwise, and on CPU adapters (which the hold leaves alone).
 */
function clockFell(run: RunData): string | undefined {
  const c = run.context;
  if (c.adapter?.cpuDevice === true || c.adapter?.isFallbackAdapter === true) return undefined;
  const chains = run.drift
    .map((d) => d.clockChainUs)
    .filter((v): v is number => v !== null && v > 0);
  if (chains.length < 2) return undefined;
  const fastest = Math.min(...chains);
  const typical = median(chains);
  if (typical < CLOCK_FELL_RATIO * fastest) return undefined;
  const hold = c.clockHold;
  const did =
    hold === undefined || hold.off !== undefined
      ? `the clock hold was off${hold?.off === undefined ? '' : ` (${hold.off})`}`
      : `the clock hold found it lowered at ${fmtCount(hold.lowered ?? 0)} of its ${fmtCount(hold.checks ?? 0)} checks, did not bring it back ${fmtCount(hold.notRestored ?? 0)} times and re-took its reference at a lower clock ${fmtCount(hold.rebaselined ?? 0)} times`;
  return `The GPU's shader clock fell during the run and stayed down: the drift probe's clock chain took ${fmtUs(typical)} µs (median of ${fmtCount(chains.length)}) against ${fmtUs(fastest)} µs at its fastest, so the GPU ran at about ${fmtPercent(fastest / typical)} of that clock for most of the run (${did}). GPU busy and every GPU-bound figure here come from the slower clock: they do not compare with a run that kept its clock.`;
}

/** Lowered checks not brought back, at least this many and this share of those lowered. */
const NOT_HELD_MIN = 3;
const NOT_HELD_SHARE = 0.25;

/**
 * Where the clock hold often could not bring a lowered clock back (and the drift probe did not
 * already say the clock fell), a sentence saying so. A run whose clock sat low from its start and
 * rose only now and then reads a steady clock chain at the drift probe, which the clock-fell
 * caution cannot see (Deno's runs: 114 lowered checks, none brought back; docs/findings.md, "The
 * runs of 2026-12-05, eighth session"); one that never left the low clock has no lowered check
 * and cannot be told from inside the run. Summed over a run's processes where it has several.
 * Undefined otherwise.
 */
function clockNotHeld(run: RunData): string | undefined {
  const c = run.context;
  const holds = c.processes?.map((p) => p.clockHold) ?? [c.clockHold];
  const held = holds.filter(
    (h): h is NonNullable<typeof h> => h !== undefined && h !== null && h.off === undefined,
  );
  if (held.length === 0) return undefined;
  const total = (of: (h: (typeof held)[number]) => number | undefined): number =>
    held.reduce((sum, h) => sum + (of(h) ?? 0), 0);
  const lowered = total((h) => h.lowered);
  const notRestored = total((h) => h.notRestored);
  const retaken = total((h) => h.rebaselined);
  if (notRestored < NOT_HELD_MIN || notRestored < NOT_HELD_SHARE * lowered) return undefined;
  return `The clock hold could not bring a lowered shader clock back at ${fmtCount(notRestored)} of the ${fmtCount(lowered)} checks that found it low${retaken > 0 ? ` (and re-took its reference at the lower clock ${fmtCount(retaken)} times)` : ''}: parts of this run, or all of it, may have run below the GPU's full clock, and its GPU-bound figures may not compare with a run whose hold kept the clock (in this project's published Node runs it brought back every one: docs/findings.md).`;
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
  const { webgpu, runtime } = webgpuIn(c);
  out.push(
    inBrowser(c)
      ? `These are figures of a page in ${runtime} ${c.runtime?.version ?? ''} (${webgpu}): every submit and every completion crossed the browser's GPU process, as a web page's do. Beside a run in Node on the same GPU (\`launchbench compare\`), the difference per submit and per wait is that hop's cost.`
      : `These are ${webgpu}'s figures in ${runtime}. A browser sends every submit and every completion through its GPU process, a hop ${webgpu} in ${runtime} does not have, so a web page pays more per submit and per wait than measured here (\`--runtime chromium\` or \`firefox\` measures it): read the costs of the submit-heavy strategies as lower bounds for the web.`,
  );
  const timerFloor = completionFloor(run);
  if (timerFloor !== undefined) out.push(timerFloor);
  const fell = clockFell(run) ?? clockNotHeld(run);
  if (fell !== undefined) out.push(fell);
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

export function headline(run: RunData): string[] {
  const workloads = perKernelWorkloads(run);
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

/** One headline sentence on bandwidth, when the run measured it. */
function bandwidthSentence(run: RunData): string | undefined {
  const copy = run.bandwidth.find((b) => b.method === 'copyBufferToBuffer');
  const kernel = run.bandwidth.find((b) => b.method === 'map-kernel');
  if (copy?.wallGBps === null || copy?.wallGBps === undefined) return undefined;
  const k =
    kernel?.wallGBps === null || kernel?.wallGBps === undefined
      ? ''
      : `; the \`map\` kernel at intensity 0 reaches ${Number(kernel.wallGBps.toPrecision(3))} GB/s (${fmtPercent(kernel.ofCopy)} of that)`;
  return `For scale: copyBufferToBuffer moves ${Number(copy.wallGBps.toPrecision(3))} GB/s${k}${streamClause(run)}.`;
}

/** The fastest streaming kernel's GPU figure and its share of the GPU's peak, where measured. */
function streamClause(run: RunData): string {
  const figure = (b: (typeof run.bandwidth)[number]): number => b.gpuGBps ?? b.wallGBps ?? 0;
  const best = run.bandwidth
    .filter((b) => b.method.startsWith('stream-') && figure(b) > 0)
    .sort((a, b) => figure(b) - figure(a))[0];
  if (best === undefined) return '';
  const share =
    best.ofPeak === null
      ? ''
      : `, ${fmtPercent(best.ofPeak)} of the GPU's nominal ${fmtCount(best.peakGBps ?? 0)} GB/s`;
  return `; the fastest streaming kernel, \`${best.method}\`, ${Number(figure(best).toPrecision(3))} GB/s${best.gpuGBps === null ? ' (wall)' : ''}${share}`;
}
