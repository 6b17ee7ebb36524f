/**
 * report.md's tables: per parameter group, the cases not measured and why, the fits, the
 * crossovers, the self-check and the bandwidth reference.
 */
import {
  code,
  fmtCount,
  fmtPercent,
  fmtRatio,
  fmtUs,
  listing,
  numbers,
  table,
} from './md-format.ts';
import { type RunData, type SummaryRow } from './read-run.ts';
import {
  atTypicalStateOf,
  groups,
  isMeasured,
  isOk,
  strategyOrder,
  wildPulledIn,
} from './select.ts';
import { describeCrossover } from './headline-section.ts';
import {
  isOldNoiseReason,
  markText,
  noiseLine,
  noiseRule,
  runNoise,
  type NoiseMark,
} from './noise.ts';

/**
 * The note of a measured row: the sample floor first, then the recorded reason, then the noise
 * mark where the row's interval is worse than the run's typical. Where the run has intervals the
 * table's noise line says how wide they typically are, so a missed target is not repeated per
 * row; the reason runs made before that stored on every such row is dropped (with one round it
 * named an interval the run did not have).
 */
function note(r: SummaryRow, mark: NoiseMark | undefined, intervals: boolean): string {
  const parts: string[] = [];
  const reason = isOldNoiseReason(r.reason) ? '' : r.reason;
  if (r.enoughSamples === false) {
    parts.push(reason.startsWith('insufficient samples') ? reason : 'insufficient samples');
  } else if (reason !== '') {
    parts.push(reason);
  } else if (!intervals && r.converged === false) {
    // One round (or a run before rounds): no interval, so no typical to compare with.
    parts.push('noise target not reached');
  }
  if (mark !== undefined) parts.push(markText(mark));
  return parts.join('; ');
}

export function groupTables(run: RunData): string[] {
  if (run.summary.every((r) => r.unit === 'step')) return [];
  const repeat = run.summary.some((r) => r.wallUsPerKernelLo95 !== null);
  const noise = runNoise(run.summary, run.context.options?.sampling?.['maxNoise'] ?? null);
  const line = noiseLine(noise);
  const rule = noiseRule(noise);
  const out: string[] = [
    '## Results per case',
    '',
    `Per kernel: one execution of all K kernels divided by K (for \`fused\` and \`persistent\`, per kernel-equivalent of the same work). Wall: host clock, samples without timestamp queries; ${repeat ? `the figure is the geometric mean of the case's round medians${atTypicalStateOf(run).wall ? ' stated at the run\'s typical state (see "machine state")' : ''}, with its 95% repeat interval (where a repeat run's figure would fall: from the spread between round medians and, where the run measured the machine's state, from how far the states of all its visits ranged and how much the case moves with them) and the p10–p90 of all its samples` : 'median and p10–p90'}. GPU busy: from pass timestamps${repeat && wildPulledIn(run) ? '; its figure is the geometric mean of its round medians with a round more than 2 robust sd out pulled in' : ''}. Launch overhead = (wall − GPU busy) per kernel. Utilisation = GPU busy / wall. Speed-up: \`submit-wait\` wall / this wall, on the same work. A case marked "insufficient samples" has fewer samples than the floor: its figures are shown but used nowhere else.${line === undefined || rule === undefined ? '' : ` Under each table: how wide the run's 95% repeat intervals typically are; ${rule} (×/÷: a factor either way, for an interval past ±100%).`}`,
    '',
  ];
  for (const rows of groups(run)) {
    // decode has its own section, per step.
    if (rows[0]?.unit === 'step') continue;
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
          note(r, noise.marks.get(r), line !== undefined),
        ]),
      ),
    );
    if (line !== undefined) out.push('', `${line}.`);
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

export function notMeasured(run: RunData): string[] {
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

export function fitsTable(run: RunData): string[] {
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
    'Per strategy and size, least squares on relative residuals over the values of K measured, from the cases with enough samples only: a is the fixed cost of one execution (submit, completion), b the marginal cost of one more kernel. A flagged fit (a negative fixed cost or cost per kernel: no real cost is below zero; or a poor R²: the line does not describe its points) is listed with its flag and no sentence quotes it.',
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

export function crossoverTable(run: RunData): string[] {
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

export function selfCheckTable(run: RunData): string[] {
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

export function bandwidthSection(run: RunData): string[] {
  if (run.bandwidth.length === 0) return [];
  const gb = (x: number | null): string => (x === null ? '–' : `${Number(x.toPrecision(3))} GB/s`);
  // Runs from 2026-12-05 on also hold the streaming kernels and the GPU's peak (issue 22).
  const streams = run.bandwidth.some((b) => b.workgroups !== null);
  const peak = run.bandwidth.find((b) => b.peakGBps !== null);
  // the same readings in every row (the rounds are shared); runs before 2026-12-05 have none
  const { clockChainUs: chainUs = null, clockChainUsMax: slowestUs = null } =
    run.bandwidth[0] ?? {};
  const clock =
    chainUs === null || slowestUs === null
      ? ''
      : ` Measured under the clock hold: its clock chain (the drift probe's, in inverse proportion to the shader clock) read ${fmtUs(chainUs)} µs as the rounds began (the median; the slowest ${fmtUs(slowestUs)}).`;
  const intro = streams
    ? `The bytes copyBufferToBuffer, the \`map\` kernel at intensity 0 and the streaming kernels move per second (GB = 10⁹ bytes; read and written counted, \`stream-read\` reads only): vec4 accesses over a grid-stride loop, its workgroup count tuned to the adapter (src/measure/stream.ts). The best kernel figure is the ceiling decode's weight-streaming floor is held to.${peak === undefined ? " The GPU's nominal peak is not known here (`--peak-gbps` gives it)." : ` The GPU's nominal peak: ${fmtCount(peak.peakGBps ?? 0)} GB/s (${peak.peakSource ?? ''}).`}`
    : 'The same bytes moved by copyBufferToBuffer and by the `map` kernel at intensity 0 (read and write counted, GB = 10⁹ bytes): how close the kernel comes to what the GPU can copy.';

  const cells = (b: (typeof run.bandwidth)[number]): string[] => [
    code(b.method),
    b.bytes === null ? '–' : fmtCount(Math.round(b.bytes / 2 ** 20)),
    gb(b.wallGBps),
    gb(b.gpuGBps),
    fmtPercent(b.ofCopy),
  ];
  return [
    '## Memory bandwidth reference',
    '',
    intro + clock,
    '',
    ...(streams
      ? table(
          ['method', 'MiB', 'wall GB/s', 'GPU GB/s', 'of copy', 'workgroups', 'of peak'],
          run.bandwidth.map((b) => [
            ...cells(b),
            b.workgroups === null ? '–' : fmtCount(b.workgroups),
            b.ofPeak === null ? '–' : fmtPercent(b.ofPeak),
          ]),
        )
      : table(['method', 'MiB', 'wall GB/s', 'GPU GB/s', 'of copy'], run.bandwidth.map(cells))),
    '',
  ];
}
