/**
 * The report's decode section (workload `decode`, issue 12): per preset, one table of the step
 * per strategy (wall, GPU busy, the launch overhead between them, dispatches, speed-up against
 * `dispatch-each` from paired samples, the weights' bandwidth against the run's reference, tokens
 * per second), and sentences generated from those figures: what the megakernel and the fastest
 * strategy win, and where the time goes. Pure functions of a run read back from its files.
 */
import { code, fmtCount, fmtPercent, fmtUs, listing, table } from './md-format.ts';
import type { BandwidthCsvRow, RunData, SummaryRow } from './read-run.ts';
import { distinct, isOk } from './select.ts';

export const DECODE_PREFIX = 'decode:';
export const isDecode = (workload: string): boolean => workload.startsWith(DECODE_PREFIX);
const presetOf = (workload: string): string => workload.slice(DECODE_PREFIX.length);

const fmtRatio = (x: number | null | undefined): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '–' : `${Number(x.toPrecision(3))}×`;
/** Bytes in GB, MB or kB, 3 significant digits. */
function fmtBytes(bytes: number): string {
  const [unit, scale] = bytes >= 1e9 ? ['GB', 1e9] : bytes >= 1e6 ? ['MB', 1e6] : ['kB', 1e3];
  return `${Number((bytes / scale).toPrecision(3))} ${unit}`;
}
const fmtGBps = (x: number | null): string =>
  x === null ? '–' : x >= 100 ? fmtCount(Math.round(x)) : Number(x.toPrecision(3)).toString();

/** The bandwidth a step's weights are held to: the `map` kernel's GPU figure, else its wall one. */
export function bandwidthReference(run: RunData): { GBps: number; method: string } | undefined {
  const kernel: BandwidthCsvRow | undefined = run.bandwidth.find((b) => b.method === 'map-kernel');
  const GBps = kernel?.gpuGBps ?? kernel?.wallGBps ?? null;
  return GBps === null || GBps <= 0 ? undefined : { GBps, method: 'the `map` kernel' };
}

/** The decode rows of a run, by preset in run order. */
export function decodePresets(run: RunData): { preset: string; rows: SummaryRow[] }[] {
  const workloads = distinct(run.summary.map((r) => r.workload)).filter(isDecode);
  return workloads.map((w) => ({
    preset: presetOf(w),
    rows: run.summary.filter((r) => r.workload === w),
  }));
}

/** One preset's figures that the sentences use. */
function presetFacts(rows: readonly SummaryRow[]) {
  const by = (id: string): SummaryRow | undefined => rows.find((r) => r.strategy === id && isOk(r));
  const ok = rows.filter(isOk);
  const fastest = ok.reduce<SummaryRow | undefined>(
    (best, r) =>
      best === undefined || (r.wallUsTotal ?? Infinity) < (best.wallUsTotal ?? Infinity) ? r : best,
    undefined,
  );
  return { one: by('dispatch-each'), mega: by('persistent'), fastest, ok };
}

function presetSentence(
  preset: string,
  rows: readonly SummaryRow[],
  reference: ReturnType<typeof bandwidthReference>,
): string | undefined {
  const { one, mega, fastest } = presetFacts(rows);
  const first = rows[0];
  if (first === undefined || fastest === undefined) return undefined;
  const parts: string[] = [];
  const shape = `**${preset}** (${fmtCount(first.kernels)} layers, context ${fmtCount(first.elements)}${first.weightBytes === null ? '' : `, ${fmtBytes(first.weightBytes)} of f32 weights`})`;
  if (one !== undefined) {
    const overhead = (one.wallUsTotal ?? 0) - (one.gpuBusyUsTotal ?? 0);
    parts.push(
      `${shape}: \`dispatch-each\` takes ${fmtUs(one.wallUsTotal)} µs per step for ${fmtCount(one.dispatches ?? 0)} dispatches, ${fmtUs(one.gpuBusyUsTotal)} µs of them GPU busy` +
        (one.gpuBusyUsTotal === null
          ? ''
          : ` (${fmtUs(overhead)} µs, ${fmtPercent(overhead / (one.wallUsTotal ?? 1))}, not executing)`),
    );
  } else parts.push(shape);
  if (mega !== undefined) {
    const interval =
      mega.speedupVsDispatchEachLo95 === null || mega.speedupVsDispatchEachHi95 === null
        ? ''
        : ` (95% interval ${fmtRatio(mega.speedupVsDispatchEachLo95)}–${fmtRatio(mega.speedupVsDispatchEachHi95)})`;
    const speed = mega.speedupVsDispatchEach ?? null;
    const busy =
      one?.gpuBusyUsTotal && mega.gpuBusyUsTotal
        ? `; its GPU busy time is ${fmtRatio(mega.gpuBusyUsTotal / one.gpuBusyUsTotal)} \`dispatch-each\`'s`
        : '';
    parts.push(
      `the megakernel (\`persistent\`: one dispatch) takes ${fmtUs(mega.wallUsTotal)} µs` +
        (speed === null
          ? ''
          : `, ${speed >= 1 ? `${fmtRatio(speed)} faster than` : `${fmtRatio(1 / speed)} slower than`} \`dispatch-each\`${interval}`) +
        busy,
    );
  }
  if (fastest !== mega)
    parts.push(
      `the fastest is ${code(fastest.strategy)} at ${fmtUs(fastest.wallUsTotal)} µs (${fmtCount(Math.round(fastest.tokensPerSecond ?? 0))} steps per second)`,
    );
  else
    parts.push(
      `it is the fastest strategy (${fmtCount(Math.round(fastest.tokensPerSecond ?? 0))} steps per second)`,
    );
  const bw = fastest.weightGBps;
  if (bw !== null && reference !== undefined && first.weightBytes !== null) {
    const floorUs = first.weightBytes / reference.GBps / 1e3;
    parts.push(
      `its GPU time streams the weights at ${fmtGBps(bw)} GB/s, ${fmtPercent(bw / reference.GBps)} of ${reference.method}'s ${fmtGBps(reference.GBps)} GB/s, whose time for the weights, ${fmtUs(floorUs)} µs, is the step's floor`,
    );
  }
  return `${parts.join('; ')}.`;
}

/** Headline bullets: one sentence per preset. */
export function decodeHeadline(run: RunData): string[] {
  const reference = bandwidthReference(run);
  const sentences = decodePresets(run).flatMap(({ preset, rows }) => {
    const s = presetSentence(preset, rows, reference);
    return s === undefined ? [] : [`- ${s}`];
  });
  return sentences.length === 0
    ? []
    : [
        'One Llama-style decode step at batch 1 (workload `decode`), per model preset:',
        '',
        ...sentences,
      ];
}

/** What the figures mean for someone running a model on WebGPU, from the figures. */
function meaning(run: RunData): string[] {
  const facts = decodePresets(run).map(({ preset, rows }) => ({ preset, ...presetFacts(rows) }));
  const launchBound = facts.filter((f) => f.one !== undefined && (f.one.utilization ?? 1) < 0.5);
  const weightBound = facts.filter((f) => f.one !== undefined && (f.one.utilization ?? 0) >= 0.8);
  const out: string[] = [];
  if (launchBound.length > 0) {
    const replay = launchBound.flatMap((f) => {
      const pre = f.ok.find((r) => r.strategy === 'prerecorded');
      return pre?.speedupVsDispatchEach == null
        ? []
        : [`${fmtRatio(pre.speedupVsDispatchEach)} on ${f.preset}`];
    });
    out.push(
      `Launch-bound (the GPU busy for under half of a one-by-one step): ${listing(launchBound.map((f) => `${f.preset} (${fmtPercent(f.one?.utilization)})`))}. There, what fusing kernels or one persistent kernel wins is the launch overhead itself.` +
        (replay.length === 0
          ? ''
          : ` Encoding the step's command buffer before the timer (\`prerecorded\`, the nearest WebGPU has to replaying a CUDA graph) speeds it up by ${listing(replay)} against \`dispatch-each\`: WebGPU command buffers are single-use, and each dispatch still goes through Dawn's backend recording inside \`submit()\`.`),
    );
  }
  if (weightBound.length > 0)
    out.push(
      `Weight-bound (the GPU busy for at least 80% of a one-by-one step): ${listing(weightBound.map((f) => `${f.preset} (${fmtPercent(f.one?.utilization)})`))}. There the strategies differ by little on wall time, and what is left is kernel efficiency: the step cannot beat its weight bytes over the memory bandwidth.`,
    );
  if (out.length > 0)
    out.push(
      'A web page pays more per submit than these figures (a GPU-process hop that Dawn in Node skips), so the launch-bound cases weigh more in a browser.',
    );
  return out;
}

function presetTable(
  rows: readonly SummaryRow[],
  reference: ReturnType<typeof bandwidthReference>,
): string[] {
  const measured = rows.filter((r) => r.status === 'ok' && r.wallUsTotal !== null);
  const missing = rows.filter((r) => !measured.includes(r));
  const reasons = distinct(
    missing.map((r) => `${r.status}${r.reason === '' ? '' : `: ${r.reason}`}`),
  );
  if (measured.length === 0)
    return [`Not measured${reasons.length === 1 ? `, every strategy (${reasons[0] ?? ''})` : ''}.`];
  const lines = table(
    [
      'strategy',
      'dispatches',
      'step µs (wall)',
      '95% repeat interval µs',
      'GPU busy µs',
      'not executing µs',
      'GPU utilisation',
      'speed-up vs dispatch-each',
      'weights GB/s (GPU)',
      ...(reference === undefined ? [] : ['of bandwidth ref.']),
      'steps/s',
    ],
    measured.map((r) => [
      code(r.strategy) + (isOk(r) ? '' : ' (insufficient samples)'),
      fmtCount(r.dispatches ?? 0),
      fmtUs(r.wallUsTotal),
      r.wallUsPerKernelLo95 === null || r.wallUsPerKernelHi95 === null
        ? '–'
        : `${fmtUs(r.wallUsPerKernelLo95 * r.kernels)}–${fmtUs(r.wallUsPerKernelHi95 * r.kernels)}`,
      fmtUs(r.gpuBusyUsTotal),
      r.gpuBusyUsTotal === null ? '–' : fmtUs((r.wallUsTotal ?? 0) - r.gpuBusyUsTotal),
      fmtPercent(r.utilization),
      fmtRatio(r.speedupVsDispatchEach),
      fmtGBps(r.weightGBps),
      ...(reference === undefined ? [] : [fmtPercent((r.weightGBps ?? NaN) / reference.GBps)]),
      fmtCount(Math.round(r.tokensPerSecond ?? 0)),
    ]),
  );
  if (missing.length > 0)
    lines.push(
      '',
      `Not measured: ${listing(missing.map((r) => `${code(r.strategy)} (${r.status}${r.reason === '' ? '' : `: ${r.reason}`})`))}.`,
    );
  return lines;
}

/** The section, or nothing for a run without decode cases. */
export function decodeSection(run: RunData): string[] {
  const presets = decodePresets(run);
  if (presets.length === 0) return [];
  const reference = bandwidthReference(run);
  const out = [
    '## Decode step',
    '',
    `One token of a Llama-style decoder at batch 1, f32, every strategy verified against the CPU reference first. \`steps\` strategies launch 17 dispatches per layer (norm, q, k, v, RoPE, cache append, scores, softmax, weighted sum, output projection, add, norm, gate, up, SiLU·up, down, add) and 2 more (final norm, LM head); \`fused\` 6 per layer and 1; \`persistent\` one megakernel whose workgroups pass a grid-wide barrier between the fused ops (it relies on co-residency). "Not executing" = wall − GPU busy. Speed-ups are paired turn by turn. Weights GB/s: the step's weight bytes over its GPU busy time${reference === undefined ? '' : `; the reference is ${reference.method} at ${fmtGBps(reference.GBps)} GB/s (this run's bandwidth.csv)`}.`,
    '',
  ];
  for (const { preset, rows } of presets) {
    const first = rows[0];
    out.push(
      `### ${preset}${first === undefined ? '' : ` · ${fmtCount(first.kernels)} layers · context ${fmtCount(first.elements)}${first.weightBytes === null ? '' : ` · ${fmtBytes(first.weightBytes)} of weights`}`}`,
      '',
      ...presetTable(rows, reference),
      '',
    );
  }
  const sense = meaning(run);
  if (sense.length > 0)
    out.push('What this means for a model on WebGPU:', '', ...sense.map((s) => `- ${s}`), '');
  return out;
}
