/**
 * The report's decode section (workload `decode`, issue 12): per case group (a preset at one
 * context, layer count and workgroup size), one table of the step per strategy (wall, GPU busy,
 * the time between them, dispatches, speed-up against `dispatch-each` from paired samples, the
 * step's weight bytes over its GPU busy time against the run's bandwidth reference, steps per
 * second), and sentences generated from those figures, each clause only where its figures say
 * so. Pure functions of a run read back from its files.
 */
import { code, fmtCount, fmtPercent, fmtUs, listing, table } from './md-format.ts';
import {
  inBrowser,
  webgpuIn,
  type BandwidthCsvRow,
  type RunData,
  type SummaryRow,
} from './read-run.ts';
import { distinct, groupKey, isOk } from './select.ts';

const fmtRatio = (x: number | null | undefined): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '–' : `${Number(x.toPrecision(3))}×`;
/** "2.1× faster than" or "1.3× slower than", from a speed-up (baseline time / this time). */
const faster = (speedup: number): string =>
  speedup >= 1 ? `${fmtRatio(speedup)} faster than` : `${fmtRatio(1 / speedup)} slower than`;
/** Bytes in GB, MB or kB, 3 significant digits. */
function fmtBytes(bytes: number): string {
  const [unit, scale] = bytes >= 1e9 ? ['GB', 1e9] : bytes >= 1e6 ? ['MB', 1e6] : ['kB', 1e3];
  return `${Number((bytes / scale).toPrecision(3))} ${unit}`;
}
const fmtGBps = (x: number | null): string =>
  x === null ? '–' : x >= 100 ? fmtCount(Math.round(x)) : Number(x.toPrecision(3)).toString();
/** A share as a percentage, "<1%" rather than "0%" for a small one. */
const fmtShare = (x: number): string => (x > 0 && x < 0.005 ? '<1%' : fmtPercent(x));

/** The kernels of the bandwidth reference, and how the decode section names each. */
const KERNEL_METHODS: Record<string, string> = {
  'map-kernel': 'the `map` kernel',
  'stream-copy': 'the `stream-copy` kernel',
  'stream-read': 'the `stream-read` kernel',
};

/**
 * The bandwidth a step's weights are held to: the fastest kernel of the bandwidth reference (its
 * GPU figure, else its wall one); in runs before the streaming kernels, the `map` kernel's.
 */
export function bandwidthReference(run: RunData): { GBps: number; method: string } | undefined {
  const figure = (b: BandwidthCsvRow): number => b.gpuGBps ?? b.wallGBps ?? 0;
  const best = run.bandwidth
    .filter((b) => KERNEL_METHODS[b.method] !== undefined && figure(b) > 0)
    .sort((a, b) => figure(b) - figure(a))[0];
  return best === undefined
    ? undefined
    : { GBps: figure(best), method: KERNEL_METHODS[best.method] ?? best.method };
}

export interface DecodeGroup {
  /** The preset, with the context, layers and workgroup size where the run has several. */
  label: string;
  rows: SummaryRow[];
}

/** The decode case groups of a run, in run order: one per preset unless axes were swept. */
export function decodeGroups(run: RunData): DecodeGroup[] {
  const rows = run.summary.filter((r) => r.unit === 'step');
  const keys = distinct(rows.map(groupKey));
  const perPreset = new Map<string, number>();
  for (const key of keys) {
    const w = key.split('|')[0] ?? '';
    perPreset.set(w, (perPreset.get(w) ?? 0) + 1);
  }
  return keys.map((key) => {
    const members = rows.filter((r) => groupKey(r) === key);
    const first = members[0] as SummaryRow;
    // The workload's label names its preset after a colon (`decode:llama-1b`).
    const preset = first.workload.slice(first.workload.indexOf(':') + 1);
    const several = (perPreset.get(first.workload) ?? 0) > 1;
    return {
      label: several
        ? `${preset}, ${first.kernels} layers, context ${fmtCount(first.elements)}, workgroups of ${first.workgroupSize}`
        : preset,
      rows: members,
    };
  });
}

/** A group's figures that the sentences use. */
function facts(rows: readonly SummaryRow[]) {
  const ok = rows.filter((r) => isOk(r) && r.wallUsTotal !== null);
  const by = (id: string): SummaryRow | undefined => ok.find((r) => r.strategy === id);
  const byWall = [...ok].sort((a, b) => (a.wallUsTotal ?? 0) - (b.wallUsTotal ?? 0));
  return { one: by('dispatch-each'), mega: by('persistent'), fused: by('fused'), byWall, ok };
}

/** Whether a speed-up is one: above 1 with its 95% interval above 1 where it has one. */
const beats = (r: SummaryRow | undefined): boolean =>
  r !== undefined &&
  (r.speedupVsDispatchEach ?? 0) > 1 &&
  (r.speedupVsDispatchEachLo95 === null || r.speedupVsDispatchEachLo95 > 1);

const interval = (r: SummaryRow): string =>
  r.speedupVsDispatchEachLo95 === null || r.speedupVsDispatchEachHi95 === null
    ? ''
    : ` (95% interval ${fmtRatio(r.speedupVsDispatchEachLo95)}–${fmtRatio(r.speedupVsDispatchEachHi95)})`;

/** The step interval of a row, µs: its per-layer interval × its layers. */
const stepInterval = (r: SummaryRow): [number, number] | undefined =>
  r.wallUsPerKernelLo95 === null || r.wallUsPerKernelHi95 === null
    ? undefined
    : [r.wallUsPerKernelLo95 * r.kernels, r.wallUsPerKernelHi95 * r.kernels];

function groupSentence(
  group: DecodeGroup,
  reference: ReturnType<typeof bandwidthReference>,
): string | undefined {
  const { one, mega, byWall } = facts(group.rows);
  const first = group.rows[0];
  const fastest = byWall[0];
  if (first === undefined || fastest === undefined) return undefined;
  const parts: string[] = [];
  const shape = `**${group.label}** (${fmtCount(first.kernels)} layers, context ${fmtCount(first.elements)}${first.weightBytes === null ? '' : `, ${fmtBytes(first.weightBytes)} of f32 weights`})`;
  if (one !== undefined) {
    const busy = one.gpuBusyUsTotal;
    const gap = busy === null ? null : (one.wallUsTotal ?? 0) - busy;
    parts.push(
      `${shape}: \`dispatch-each\` takes ${fmtUs(one.wallUsTotal)} µs per step for ${fmtCount(one.dispatches ?? 0)} dispatches` +
        (busy === null || gap === null
          ? ''
          : gap >= 0
            ? `, ${fmtUs(busy)} µs of them GPU busy (${fmtUs(gap)} µs, ${fmtPercent(gap / (one.wallUsTotal ?? 1))}, not executing)`
            : `; its GPU busy time, ${fmtUs(busy)} µs, exceeds that (the timestamp queries cost execution time)`),
    );
  } else parts.push(shape);
  if (mega !== undefined) {
    const speed = mega.speedupVsDispatchEach;
    const busyRatio =
      one?.gpuBusyUsTotal && mega.gpuBusyUsTotal ? mega.gpuBusyUsTotal / one.gpuBusyUsTotal : null;
    parts.push(
      `the megakernel (\`persistent\`: one dispatch) takes ${fmtUs(mega.wallUsTotal)} µs` +
        (speed === null ? '' : `, ${faster(speed)} \`dispatch-each\`${interval(mega)}`) +
        (busyRatio === null
          ? ''
          : `; its GPU busy time is ${fmtRatio(busyRatio)} \`dispatch-each\`'s`),
    );
  }
  // The fastest figure, and whether the next one is within its interval.
  const next = byWall[1];
  const [, fastHi] = stepInterval(fastest) ?? [0, 0];
  const [nextLo] = next === undefined ? [Infinity] : (stepInterval(next) ?? [Infinity]);
  const tied =
    next !== undefined && nextLo <= fastHi
      ? ` (${code(next.strategy)}'s interval overlaps it)`
      : '';
  const rate = `${fmtCount(Math.round(fastest.tokensPerSecond ?? 0))} steps per second`;
  parts.push(
    fastest === mega
      ? `the megakernel has the lowest step time, ${rate}${tied}`
      : `the lowest step time is ${code(fastest.strategy)}'s, ${fmtUs(fastest.wallUsTotal)} µs or ${rate}${tied}`,
  );
  const bw = fastest.weightGBps;
  if (bw !== null && reference !== undefined && first.weightBytes !== null) {
    const floorUs = first.weightBytes / reference.GBps / 1e3;
    parts.push(
      `its weight bytes over its GPU busy time come to ${fmtGBps(bw)} GB/s, ${fmtShare(bw / reference.GBps)} of ${reference.method}'s ${fmtGBps(reference.GBps)} GB/s; at that rate the weights alone take ${fmtUs(floorUs)} µs, the step's floor`,
    );
  }
  return `${parts.join('; ')}.`;
}

/** Headline bullets: one sentence per decode group. */
export function decodeHeadline(run: RunData): string[] {
  const reference = bandwidthReference(run);
  const sentences = decodeGroups(run).flatMap((group) => {
    const s = groupSentence(group, reference);
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
  const all = decodeGroups(run).map((g) => ({ label: g.label, ...facts(g.rows) }));
  const withOne = all.filter((f) => f.one !== undefined && f.one.utilization !== null);
  const launchBound = withOne.filter((f) => (f.one?.utilization ?? 1) < 0.5);
  const weightBound = withOne.filter((f) => (f.one?.utilization ?? 0) >= 0.8);
  const out: string[] = [];
  const speedups = (groups: typeof all, id: 'mega' | 'fused'): string[] =>
    groups.flatMap((f) => {
      const s = f[id]?.speedupVsDispatchEach;
      if (s === null || s === undefined) return [];
      return [`${fmtRatio(s >= 1 ? s : 1 / s)} ${s >= 1 ? 'faster' : 'slower'} on ${f.label}`];
    });
  if (launchBound.length > 0) {
    const parts = [
      `Launch-bound (GPU busy for under half of a one-by-one step): ${listing(launchBound.map((f) => `${f.label} (${fmtPercent(f.one?.utilization)})`))}.`,
    ];
    const mega = speedups(launchBound, 'mega');
    const fused = speedups(launchBound, 'fused');
    if (mega.length > 0 || fused.length > 0)
      parts.push(
        `Against \`dispatch-each\`, ${[
          ...(mega.length > 0 ? [`the megakernel is ${listing(mega)}`] : []),
          ...(fused.length > 0 ? [`per-layer fusion ${listing(fused)}`] : []),
        ].join('; ')}.`,
      );
    if (launchBound.every((f) => beats(f.mega) || beats(f.fused))) {
      const busy = launchBound.flatMap((f) =>
        f.mega?.gpuBusyUsTotal && f.one?.gpuBusyUsTotal
          ? [`${fmtRatio(f.mega.gpuBusyUsTotal / f.one.gpuBusyUsTotal)} on ${f.label}`]
          : [],
      );
      parts.push(
        `They do the same arithmetic with fewer launches on the host and fewer gaps between kernels on the GPU${busy.length === 0 ? '' : ` (the megakernel's GPU busy time against \`dispatch-each\`'s: ${listing(busy)})`}.`,
      );
    }
    const replay = launchBound.flatMap((f) => {
      const pre = f.ok.find((r) => r.strategy === 'prerecorded');
      if (pre?.speedupVsDispatchEach == null) return [];
      const submitUs = pre.submitUsPerKernel === null ? null : pre.submitUsPerKernel * pre.kernels;
      return [
        `${faster(pre.speedupVsDispatchEach)} \`dispatch-each\` on ${f.label}` +
          (submitUs === null
            ? ''
            : ` (its \`submit()\` call alone takes ${fmtUs(submitUs)} µs of the ${fmtUs(pre.wallUsTotal)} µs step)`),
      ];
    });
    if (replay.length > 0)
      parts.push(
        `Encoding the step's command buffer before the timer (\`prerecorded\`, the nearest WebGPU comes to replaying a CUDA graph: its command buffers are single-use) is ${listing(replay)}.`,
      );
    out.push(parts.join(' '));
  }
  if (weightBound.length > 0)
    out.push(
      `Weight-bound (GPU busy for at least 80% of a one-by-one step): ${listing(weightBound.map((f) => `${f.label} (${fmtPercent(f.one?.utilization)})`))}, where the lowest step time is ${listing(weightBound.map((f) => `${fmtRatio((f.one?.wallUsTotal ?? 0) / (f.byWall[0]?.wallUsTotal ?? 1))} below \`dispatch-each\`'s on ${f.label}`))}: what is left there is kernel efficiency against the weight bytes.`,
    );
  const { webgpu, runtime } = webgpuIn(run.context);
  if (out.length > 0 && !inBrowser(run.context))
    out.push(
      `Not measured here: a web page pays more per submit than these figures (the browser sends each submit through its GPU process, which ${webgpu} in ${runtime} does not), so in a browser the one-by-one strategies lose more.`,
    );
  return out;
}

function groupTable(
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
      'weights / GPU busy, GB/s',
      ...(reference === undefined ? [] : ['of bandwidth ref.']),
      'steps/s',
    ],
    measured.map((r) => {
      const range = stepInterval(r);
      return [
        code(r.strategy) + (isOk(r) ? '' : ' (insufficient samples)'),
        fmtCount(r.dispatches ?? 0),
        fmtUs(r.wallUsTotal),
        range === undefined ? '–' : `${fmtUs(range[0])}–${fmtUs(range[1])}`,
        fmtUs(r.gpuBusyUsTotal),
        r.gpuBusyUsTotal === null ? '–' : fmtUs((r.wallUsTotal ?? 0) - r.gpuBusyUsTotal),
        fmtPercent(r.utilization),
        fmtRatio(r.speedupVsDispatchEach),
        fmtGBps(r.weightGBps),
        ...(reference === undefined ? [] : [fmtShare((r.weightGBps ?? NaN) / reference.GBps)]),
        fmtCount(Math.round(r.tokensPerSecond ?? 0)),
      ];
    }),
  );
  if (missing.length > 0)
    lines.push(
      '',
      `Not measured: ${listing(missing.map((r) => `${code(r.strategy)} (${r.status}${r.reason === '' ? '' : `: ${r.reason}`})`))}.`,
    );
  return lines;
}

/**
 * Where each strategy's step goes (issue 22): the weights streamed at the run's ceiling (the
 * floor), the GPU's busy time above that floor (kernels slower than the ceiling, attention,
 * norms), and the rest of the wall time, off the GPU, split into the GPU's idle time between the
 * strategy's timed passes and the remainder (launching, the host, the completion wait). The
 * split is in the proportion the timestamped samples show (their gaps against their own wall
 * less busy time): those samples are slower than the wall samples by the queries' cost, so their
 * gaps cannot be subtracted from the wall figure as they are. From summary.csv and bandwidth.csv;
 * none without a ceiling or weight bytes.
 */
function whereTheStepGoes(
  rows: readonly SummaryRow[],
  reference: ReturnType<typeof bandwidthReference>,
  costUsPerTimedPass: number | undefined,
): string[] {
  const ok = rows.filter((r) => isOk(r) && r.wallUsTotal !== null);
  const measured = ok.filter((r) => r.gpuBusyUsTotal !== null);
  const without = ok.filter((r) => r.gpuBusyUsTotal === null);
  const bytes = measured[0]?.weightBytes ?? null;
  if (reference === undefined || bytes === null || measured.length === 0) return [];
  const floorUs = bytes / reference.GBps / 1e3;
  const barriers = measured.some((r) => r.gridBarriersUsTotal !== null);
  return [
    '',
    `Where the step goes, µs: the weights at ${fmtGBps(reference.GBps)} GB/s take ${fmtUs(floorUs)} µs, the floor (a negative figure above it: the strategy streamed faster than the reference); the GPU's busy time above it${barriers ? ', and of that, for the megakernel, its grid barriers timed alone (itself over as many ops of no work less itself over two, before the samples): what making its workgroups wait for each other between ops costs, its analogue of launching' : ''}; and the rest of the wall time, off the GPU: idle between the strategy's timed passes (in the proportion its timestamped samples show), and the remainder (launching, the host, the completion wait).`,
    '',
    ...table(
      [
        'strategy',
        'step',
        'weight floor',
        'GPU busy above the floor',
        ...(barriers ? ['of which grid barriers, alone'] : []),
        'off the GPU: between passes',
        'off the GPU: the rest',
      ],
      measured.map((r) => {
        const wall = r.wallUsTotal ?? 0;
        const busy = r.gpuBusyUsTotal ?? 0;
        const off = wall - busy;
        const gaps = r.gpuIdleUsPerKernel === null ? null : r.gpuIdleUsPerKernel * r.kernels;
        // The timestamped samples' own busy time: with every pass's timestamp cost, where the
        // figure has K − 1 of them taken off (gpuBusyMethod).
        const subtracted =
          r.gpuBusyMethod === 'per-pass, timestamp cost subtracted'
            ? ((r.dispatches ?? 1) - 1) * (costUsPerTimedPass ?? 0)
            : 0;
        const timedOff =
          wall + (r.timestampOverheadUsPerKernel ?? 0) * r.kernels - (busy + subtracted);
        const share =
          gaps === null || !(timedOff > 0) ? null : Math.min(1, Math.max(0, gaps / timedOff));
        return [
          code(r.strategy),
          fmtUs(wall),
          fmtUs(floorUs),
          fmtUs(busy - floorUs),
          ...(barriers
            ? [r.gridBarriersUsTotal === null ? '–' : fmtUs(r.gridBarriersUsTotal)]
            : []),
          share === null ? '–' : fmtUs(share * off),
          fmtUs(off - (share ?? 0) * off),
        ];
      }),
    ),
    ...(without.length === 0
      ? []
      : [
          '',
          `No GPU busy figure, so not split: ${listing(without.map((r) => code(r.strategy)))}.`,
        ]),
  ];
}

/** The section, or nothing for a run without decode cases. */
export function decodeSection(run: RunData): string[] {
  const groups = decodeGroups(run);
  if (groups.length === 0) return [];
  const reference = bandwidthReference(run);
  const out = [
    '## Decode step',
    '',
    `One token of a Llama-style decoder at batch 1, f32, every strategy verified against the CPU reference first. \`steps\` strategies launch 17 dispatches per layer (norm, q, k, v, RoPE, cache append, scores, softmax, weighted sum, output projection, add, norm, gate, up, SiLU·up, down, add) and 2 more (final norm, LM head); \`fused\` 6 per layer and 1; \`persistent\` one megakernel whose workgroups pass a grid-wide barrier between the fused ops (it relies on co-residency). Every step first writes the token's parameters (position, RoPE table). "Not executing" = wall − GPU busy. Speed-ups are paired turn by turn. The weights' bandwidth is the step's weight bytes over its whole GPU busy time (attention and norms included)${reference === undefined ? '' : `; the reference is ${reference.method} at ${fmtGBps(reference.GBps)} GB/s (this run's bandwidth.csv)`}.`,
    '',
  ];
  for (const group of groups) {
    const first = group.rows[0];
    out.push(
      `### ${group.label}${first === undefined ? '' : ` · ${fmtCount(first.kernels)} layers · context ${fmtCount(first.elements)}${first.weightBytes === null ? '' : ` · ${fmtBytes(first.weightBytes)} of weights`}`}`,
      '',
      ...groupTable(group.rows, reference),
      ...whereTheStepGoes(group.rows, reference, run.context.timestampCost?.usPerTimedPass),
      '',
    );
  }
  const sense = meaning(run);
  if (sense.length > 0)
    out.push('What this means for a model on WebGPU:', '', ...sense.map((s) => `- ${s}`), '');
  return out;
}
