/**
 * The run's noise, said once: how wide its 95% repeat intervals typically are (wall and GPU busy
 * apart, since the host side of a launch moves far more between rounds than the GPU side), and
 * which rows are noisier than that. On a machine whose host drifts, nearly every row misses a
 * fixed target such as ±5%; saying so on every row hides the few rows that really are worse than
 * the rest. The console and report.md state the typical once per table and mark only those rows.
 * Pure functions: they never time.
 */
import { median } from '../stats/stats.ts';

/** What the rule reads of a row: summary.csv's columns of the same names (µs, any unit works). */
export interface NoiseRow {
  status: string;
  /** Null in runs made before the column existed: counted as on the floor. */
  enoughSamples: boolean | null;
  wallUsPerKernel: number | null;
  wallUsPerKernelHi95: number | null;
  gpuBusyUsPerKernel: number | null;
  gpuBusyUsPerKernelHi95: number | null;
}

/**
 * A row is worse than typical when its interval's log half-width is more than this many times
 * the run's typical one (and wider than the noise target). With R rounds the half-width is
 * t · s · √(2/R) with s the spread of R round medians, so between two rows of the same run the
 * ratio of log half-widths is the ratio of their spreads. Were every case equally noisy, s² would
 * scatter as σ² · χ²(R−1) / (R−1), and a row's s would exceed twice the median by chance alone
 * with probability P(χ²(R−1) > 4 × its median): 6% at 3 rounds, 0.9% at 5, 0.4% at 6, 0.06% at
 * 8. A mark thus says this case moved between rounds more than the run's cases do, not that its
 * few round medians happened to scatter. Where the run measured the machine's state the interval
 * comes from the case's state fit instead (src/stats/state.ts): its log half-width then grows
 * with the case's residual spread and with how much it moves with the state, and a mark says the
 * case is noisier, or more state-bound, than the run's typical one.
 */
export const WORSE_THAN_TYPICAL = 2;

/** The footnote-style marker of a row worse than typical. */
export const NOISE_MARK = '†';

export interface TypicalNoise {
  /** Relative upper half-width of the 95% repeat interval (Hi95 / figure − 1), the cases' median. */
  halfWidth: number;
  /** Cases the median is over: ok, on the sample floor, with an interval. */
  cases: number;
  /**
   * The relative half-width past which a row is marked: e^(WORSE_THAN_TYPICAL · ln(1 + typical))
   * − 1, at least the target.
   */
  threshold: number;
  /** Rows marked worse than typical on this side. */
  marked: number;
}

/** A marked row's own relative half-widths, on the sides worse than typical (null: not worse). */
export interface NoiseMark {
  wall: number | null;
  gpuBusy: number | null;
}

export interface RunNoise<T> {
  /** Null where no usable case has an interval (one round, or a run made before rounds). */
  wall: TypicalNoise | null;
  gpuBusy: TypicalNoise | null;
  /** The run's noise target (options.sampling.maxNoise), relative; null where unknown. */
  target: number | null;
  /** The rows worse than typical, keyed by the row objects given. */
  marks: ReadonlyMap<T, NoiseMark>;
}

/**
 * ln(Hi95 / figure): the half-width on the scale the interval is built on (figure × exp(± h)),
 * where it is proportional to the between-round spread. Upper, as `converged` tests it, so a
 * marked row is always one that missed the target.
 */
function logHalfWidth(figure: number | null, hi95: number | null): number | null {
  if (figure === null || hi95 === null || !(figure > 0) || !(hi95 > 0)) return null;
  const h = Math.log(hi95 / figure);
  return Number.isFinite(h) ? Math.max(h, 0) : null;
}

/**
 * The run's typical repeat interval and its rows worse than typical. The typical is the median
 * over ok rows on the sample floor (a row under it is already marked so, and its few rounds widen
 * its interval for another reason); every ok row with an interval may be marked. A side is worse
 * when its log half-width exceeds WORSE_THAN_TYPICAL × the typical's and its half-width exceeds
 * `target` (a row inside the target is precise enough, however quiet the rest).
 */
export function runNoise<T extends NoiseRow>(
  rows: readonly T[],
  target: number | null = null,
): RunNoise<T> {
  const sides = {
    wall: (r: NoiseRow) => logHalfWidth(r.wallUsPerKernel, r.wallUsPerKernelHi95),
    gpuBusy: (r: NoiseRow) => logHalfWidth(r.gpuBusyUsPerKernel, r.gpuBusyUsPerKernelHi95),
  };
  const ok = rows.filter((r) => r.status === 'ok');
  const typicalLog = (side: keyof typeof sides): { log: number; cases: number } | null => {
    const values = ok
      .filter((r) => r.enoughSamples !== false)
      .map(sides[side])
      .filter((h): h is number => h !== null);
    return values.length === 0 ? null : { log: median(values), cases: values.length };
  };
  const typical = { wall: typicalLog('wall'), gpuBusy: typicalLog('gpuBusy') };
  const threshold = (side: keyof typeof sides): number | null => {
    const t = typical[side];
    return t === null ? null : Math.max(Math.expm1(WORSE_THAN_TYPICAL * t.log), target ?? 0);
  };
  const worse = (side: keyof typeof sides, r: NoiseRow): number | null => {
    const limit = threshold(side);
    const h = sides[side](r);
    if (limit === null || h === null) return null;
    const half = Math.expm1(h);
    return half > limit ? half : null;
  };
  const marks = new Map<T, NoiseMark>();
  for (const r of ok) {
    const mark = { wall: worse('wall', r), gpuBusy: worse('gpuBusy', r) };
    if (mark.wall !== null || mark.gpuBusy !== null) marks.set(r, mark);
  }
  const count = (side: keyof NoiseMark): number =>
    [...marks.values()].filter((m) => m[side] !== null).length;
  const summary = (side: keyof typeof sides): TypicalNoise | null => {
    const t = typical[side];
    return t === null
      ? null
      : {
          halfWidth: Math.expm1(t.log),
          cases: t.cases,
          threshold: threshold(side) ?? 0,
          marked: count(side),
        };
  };
  return { wall: summary('wall'), gpuBusy: summary('gpuBusy'), target, marks };
}

/** To 2 significant digits; `up`: rounded up. */
function sig2(x: number, up: boolean): number {
  if (!up || !(x > 0)) return Number(x.toPrecision(2));
  const step = 10 ** (Math.floor(Math.log10(x)) - 1);
  // The 1e-9 keeps a value that is whole steps but for float error (0.05 × 100) where it is.
  return Number((Math.ceil(x / step - 1e-9) * step).toPrecision(2));
}

/**
 * A relative half-width as a reader takes it: ±8.3%, ±34%; past ±100% the interval reaches
 * below half the figure, so a "±" would mislead: there it is the factor either way, ×/÷3.1.
 * `up` rounds up, for a marked row: its ±5.02% must not read as the ±5% it exceeds.
 */
export function fmtHalfWidth(half: number, up = false): string {
  if (half > 1) return `×/÷${sig2(1 + half, up)}`;
  return `±${sig2(half * 100, up)}%`;
}

/** A marked row's note: the marker and its own half-widths, e.g. "† ±93% wall". */
export function markText(mark: NoiseMark): string {
  const parts = [
    ...(mark.wall === null ? [] : [`${fmtHalfWidth(mark.wall, true)} wall`]),
    ...(mark.gpuBusy === null ? [] : [`${fmtHalfWidth(mark.gpuBusy, true)} GPU busy`]),
  ];
  return `${NOISE_MARK} ${parts.join(', ')}`;
}

/** The sides of a run that have a typical, named as the tables name them. */
function sidesOf(noise: RunNoise<unknown>): (TypicalNoise & { name: string })[] {
  return [
    ...(noise.wall === null ? [] : [{ name: 'wall', ...noise.wall }]),
    ...(noise.gpuBusy === null ? [] : [{ name: 'GPU busy', ...noise.gpuBusy }]),
  ];
}

/**
 * The line said once per table: the run's typical interval and where the marker starts, e.g.
 * "95% repeat intervals: typically ±30% wall, ±1.7% GPU busy (median over 252 cases); † wider
 * than ±70% wall, ±5% GPU busy". With `counts`, how many rows carry the marker on each side.
 * Undefined where no case has an interval.
 */
export function noiseLine(noise: RunNoise<unknown>, counts = false): string | undefined {
  const sides = sidesOf(noise);
  const [first, second] = sides;
  if (first === undefined) return undefined;
  const typical = sides.map((s) => `${fmtHalfWidth(s.halfWidth)} ${s.name}`).join(', ');
  const over =
    second === undefined || second.cases === first.cases
      ? `median over ${first.cases} case${first.cases === 1 ? '' : 's'}`
      : `medians over ${first.cases} and ${second.cases} cases`;
  const rows = (n: number): string => ` (${n} row${n === 1 ? '' : 's'})`;
  const limits = sides
    .map((s) => `${fmtHalfWidth(s.threshold)} ${s.name}${counts ? rows(s.marked) : ''}`)
    .join(', ');
  return `95% repeat intervals: typically ${typical} (${over}); ${NOISE_MARK} wider than ${limits}`;
}

/**
 * Why the marker starts where it does, said once: e.g. "† marks a row's own half-width where its
 * rounds spread more than 2× the run's typical and it misses the ±5% noise target".
 */
export function noiseRule(noise: RunNoise<unknown>): string | undefined {
  if (sidesOf(noise).length === 0) return undefined;
  const target =
    noise.target === null ? '' : ` and it misses the ${fmtHalfWidth(noise.target)} noise target`;
  return `${NOISE_MARK} marks a row's own half-width where its rounds spread more than ${WORSE_THAN_TYPICAL}× the run's typical${target}`;
}

/**
 * The reason runs made before this module stored on every ok row that missed the target. Its
 * readers drop it where the run has intervals: the typical line and the marks say it better.
 */
export const isOldNoiseReason = (reason: string): boolean =>
  reason.startsWith('95% repeat interval wider than');
