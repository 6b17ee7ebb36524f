/**
 * The run's typical repeat interval and the rows worse than it (src/report/noise.ts), on rows
 * whose answers are worked out by hand: the typical is the median over ok rows on the sample
 * floor with an interval, wall and GPU busy apart; a side is marked where its log half-width is
 * more than twice the typical's and its half-width misses the noise target; a marked row is
 * always one that missed the target (`converged` false). No GPU needed.
 */
import { describe, expect, it } from 'vitest';
import {
  fmtHalfWidth,
  isOldNoiseReason,
  markText,
  noiseLine,
  noiseRule,
  runNoise,
  type NoiseRow,
} from '../src/report/noise.ts';

/** An ok row of figure 100 µs whose Hi95 lies `wall` and `gpu` above it (relative). */
function row(
  wall: number | null,
  gpu: number | null,
  extra: Partial<NoiseRow> = {},
): NoiseRow & { id: string } {
  return {
    id: `${wall}/${gpu}`,
    status: 'ok',
    enoughSamples: true,
    wallUsPerKernel: 100,
    wallUsPerKernelHi95: wall === null ? null : 100 * (1 + wall),
    gpuBusyUsPerKernel: 10,
    gpuBusyUsPerKernelHi95: gpu === null ? null : 10 * (1 + gpu),
    ...extra,
  };
}

describe('runNoise', () => {
  // Wall half-widths 10%, 20%, 30%, 44%, 80% (median 30%); GPU busy 1%, 2%, 2%, 3%, 9% (median 2%).
  const rows = [row(0.1, 0.01), row(0.2, 0.02), row(0.3, 0.02), row(0.44, 0.03), row(0.8, 0.09)];

  it('the typical is the median over the ok rows, wall and GPU busy apart', () => {
    const noise = runNoise(rows, 0.05);
    expect(noise.wall?.halfWidth).toBeCloseTo(0.3, 12);
    expect(noise.wall?.cases).toBe(5);
    expect(noise.gpuBusy?.halfWidth).toBeCloseTo(0.02, 12);
    expect(noise.gpuBusy?.cases).toBe(5);
  });

  it('marks a side past twice the typical log half-width and the target, with its own width', () => {
    const noise = runNoise(rows, 0.05);
    // Wall: 1.3² − 1 = 69%, so 80% is marked and 44% not. GPU busy: 1.02² − 1 = 4.04% is below
    // the 5% target, so the target decides: 9% is marked.
    expect(noise.wall?.threshold).toBeCloseTo(0.69, 12);
    expect(noise.gpuBusy?.threshold).toBe(0.05);
    expect([...noise.marks.keys()].map((r) => r.id)).toEqual(['0.8/0.09']);
    const mark = noise.marks.get(rows[4] as (typeof rows)[number]);
    expect(mark?.wall).toBeCloseTo(0.8, 12);
    expect(mark?.gpuBusy).toBeCloseTo(0.09, 12);
    expect(noise.wall?.marked).toBe(1);
    expect(noise.gpuBusy?.marked).toBe(1);
    expect(markText(mark ?? { wall: null, gpuBusy: null })).toBe('† ±80% wall, ±9% GPU busy');
  });

  it('without a target, twice the typical alone decides', () => {
    const noise = runNoise(rows);
    // GPU busy: 4.04% < 9% only (3% is not past it).
    expect(noise.gpuBusy?.threshold).toBeCloseTo(0.0404, 12);
    expect(noise.marks.get(rows[4] as (typeof rows)[number])?.gpuBusy).toBeCloseTo(0.09, 12);
    expect(noise.marks.size).toBe(1);
  });

  it('a row inside the target is never marked, however quiet the rest', () => {
    const quiet = [row(0.001, 0.001), row(0.001, 0.001), row(0.04, 0.04)];
    expect(runNoise(quiet, 0.05).marks.size).toBe(0);
    // Without the target, 4% is 40× the typical 0.1%.
    expect(runNoise(quiet).marks.size).toBe(1);
  });

  it('the typical leaves out failed rows, rows under the floor and rows without an interval', () => {
    const mixed = [
      ...rows,
      row(5, 5, { status: 'failed' }),
      row(5, 5, { enoughSamples: false }),
      row(null, null),
      row(0.3, null, { enoughSamples: null }), // a run before the column: counted
    ];
    const noise = runNoise(mixed, 0.05);
    expect(noise.wall?.cases).toBe(6);
    expect(noise.wall?.halfWidth).toBeCloseTo(0.3, 12);
    expect(noise.gpuBusy?.cases).toBe(5);
    // The row under the floor is still marked (its note says both); the failed one never.
    const ids = [...noise.marks.keys()].map((r) => `${r.id} ${r.status} ${r.enoughSamples}`);
    expect(ids).toEqual(['0.8/0.09 ok true', '5/5 ok false']);
  });

  it('an even count takes the geometric middle of the two middle widths', () => {
    const noise = runNoise([row(0.1, null), row(0.21, null)]);
    // exp((ln 1.1 + ln 1.21) / 2) − 1 = √(1.1 · 1.21) − 1.
    expect(noise.wall?.halfWidth).toBeCloseTo(Math.sqrt(1.1 * 1.21) - 1, 12);
    expect(noise.gpuBusy).toBeNull();
  });

  it('a marked row is always one whose interval missed the target (converged false)', () => {
    const target = 0.05;
    const many = Array.from({ length: 40 }, (_, i) => row(0.005 * i ** 1.5, 0.001 * i ** 1.7));
    const { marks } = runNoise(many, target);
    expect(marks.size).toBeGreaterThan(0);
    for (const [r, mark] of marks) {
      for (const [half, figure, hi] of [
        [mark.wall, r.wallUsPerKernel, r.wallUsPerKernelHi95],
        [mark.gpuBusy, r.gpuBusyUsPerKernel, r.gpuBusyUsPerKernelHi95],
      ] as const) {
        if (half === null) continue;
        expect((hi ?? 0) / (figure ?? 1) - 1).toBeGreaterThan(target);
      }
    }
  });

  it('no intervals (one round, or a run before rounds): no typical, no line, no marks', () => {
    const noise = runNoise([row(null, null), row(null, null)], 0.05);
    expect(noise.wall).toBeNull();
    expect(noise.gpuBusy).toBeNull();
    expect(noise.marks.size).toBe(0);
    expect(noiseLine(noise)).toBeUndefined();
    expect(noiseRule(noise)).toBeUndefined();
  });
});

describe('what is said', () => {
  const rows = [row(0.1, 0.01), row(0.2, 0.02), row(0.3, 0.02), row(0.44, 0.03), row(0.8, 0.09)];

  it('one line: the typical, where the marker starts and, on request, how many rows carry it', () => {
    const noise = runNoise(rows, 0.05);
    expect(noiseLine(noise)).toBe(
      '95% repeat intervals: typically ±30% wall, ±2% GPU busy (median over 5 cases); † wider than ±69% wall, ±5% GPU busy',
    );
    expect(noiseLine(noise, true)).toBe(
      '95% repeat intervals: typically ±30% wall, ±2% GPU busy (median over 5 cases); † wider than ±69% wall (1 row), ±5% GPU busy (1 row)',
    );
    expect(noiseRule(noise)).toBe(
      "† marks a row's own half-width where its rounds spread more than 2× the run's typical and it misses the ±5% noise target",
    );
    expect(noiseLine(runNoise([...rows, row(0.3, null)]))).toContain(
      '(medians over 6 and 5 cases)',
    );
  });

  it('half-widths: ± to 2 digits, rounded up for a mark; a factor either way past ±100%', () => {
    expect(fmtHalfWidth(0.05)).toBe('±5%');
    expect(fmtHalfWidth(0.05, true)).toBe('±5%');
    expect(fmtHalfWidth(0.0502)).toBe('±5%');
    expect(fmtHalfWidth(0.0502, true)).toBe('±5.1%');
    expect(fmtHalfWidth(0.30301)).toBe('±30%');
    expect(fmtHalfWidth(0.017)).toBe('±1.7%');
    expect(fmtHalfWidth(1)).toBe('±100%');
    expect(fmtHalfWidth(1.3)).toBe('×/÷2.3');
    expect(fmtHalfWidth(1.301, true)).toBe('×/÷2.4');
  });

  it('the reason older runs stored on every row that missed the target is recognised', () => {
    expect(isOldNoiseReason('95% repeat interval wider than ±5%')).toBe(true);
    expect(isOldNoiseReason('insufficient samples: 4 wall < floor 10')).toBe(false);
    expect(isOldNoiseReason('interrupted')).toBe(false);
  });
});
