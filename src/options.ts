/**
 * Parsing and validation of the command line's values, separate from yargs so it can be tested
 * directly. Every failure is a UsageError with one line naming the option, the value and the rule.
 */
import { UsageError } from './errors.ts';

/**
 * Parses one integer written as 64, 1e6, 1_000, 2^20 or 1M/1K (binary suffixes: Ki, Mi); with
 * `range`, one outside it (negative, or 1e30) is refused naming the range.
 */
export function parseInteger(
  option: string,
  text: string,
  range?: { min: number; max: number },
): number {
  const t = text.trim().replace(/_/g, '');
  const negative = /^-\s*\d/.test(t);
  if (negative) {
    const magnitude = parseInteger(option, t.slice(1));
    return inRange(option, text, -magnitude, range);
  }
  let value: number;
  const power = /^(\d+)\^(\d+)$/.exec(t);
  const suffix = /^(\d+(?:\.\d+)?)(k|m|g|ki|mi|gi)$/i.exec(t);
  if (power !== null) {
    value = Number(power[1]) ** Number(power[2]);
  } else if (suffix !== null) {
    const scale: Record<string, number> = {
      k: 1e3,
      m: 1e6,
      g: 1e9,
      ki: 2 ** 10,
      mi: 2 ** 20,
      gi: 2 ** 30,
    };
    value = Number(suffix[1]) * (scale[(suffix[2] ?? '').toLowerCase()] ?? NaN);
  } else if (/^[+]?(\d+(\.\d*)?|\.\d+)(e[+]?\d+)?$/i.test(t)) {
    value = Number(t);
  } else {
    throw new UsageError(`--${option}: '${text}' is not a number`);
  }
  if (!Number.isFinite(value)) throw new UsageError(`--${option}: '${text}' is not a number`);
  if (!Number.isInteger(value))
    throw new UsageError(`--${option}: '${text}' is not a whole number`);
  return inRange(option, text, value, range);
}

/** `value` where it lies in `range` (and is a safe integer); else a UsageError naming both. */
function inRange(
  option: string,
  text: string,
  value: number,
  range: { min: number; max: number } | undefined,
): number {
  if (range !== undefined && (value < range.min || value > range.max))
    throw new UsageError(`--${option}: ${text.trim()} is outside ${range.min}…${range.max}`);
  if (!Number.isSafeInteger(value))
    throw new UsageError(`--${option}: ${text.trim()} is too large (at most 2^53 − 1)`);
  return value;
}

/**
 * Parses a list of integers and ranges, e.g. `64,1e3,1e6` or `64:4096:*4`. A range `a:b`
 * multiplies by 10 from a up to b; `a:b:*f` multiplies by f; `a:b:+s` adds s. Sorted, unique.
 */
export function parseIntegerList(option: string, text: string, min: number, max: number): number[] {
  if (text.trim() === '') throw new UsageError(`--${option}: empty list`);
  const out: number[] = [];
  for (const part of text.split(',')) {
    if (part.trim() === '') throw new UsageError(`--${option}: empty item in '${text}'`);
    const pieces = part.split(':');
    if (pieces.length === 1) {
      out.push(parseInteger(option, part, { min, max }));
      continue;
    }
    if (pieces.length > 3)
      throw new UsageError(`--${option}: '${part}' is not a range (a:b, a:b:*f or a:b:+s)`);
    const start = parseInteger(option, pieces[0] ?? '', { min, max });
    const stop = parseInteger(option, pieces[1] ?? '', { min, max });
    if (stop < start) throw new UsageError(`--${option}: range '${part}' ends before it starts`);
    const step = (pieces[2] ?? '*10').trim();
    const match = /^([*x+])(.+)$/.exec(step);
    if (match === null)
      throw new UsageError(`--${option}: range step '${step}' must be *factor or +increment`);
    const amount = parseInteger(option, match[2] ?? '');
    const multiply = match[1] !== '+';
    if (multiply ? amount < 2 || start < 1 : amount < 1) {
      throw new UsageError(`--${option}: range step '${step}' would never reach ${stop}`);
    }
    for (let v = start; v <= stop; v = multiply ? v * amount : v + amount) {
      out.push(v);
      if (out.length > 1000)
        throw new UsageError(`--${option}: range '${part}' has more than 1000 values`);
    }
  }
  for (const v of out) {
    if (v < min || v > max) throw new UsageError(`--${option}: ${v} is outside ${min}…${max}`);
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

/** Parses a comma-separated list of names, each of which must be one of `known`. */
export function parseNameList(option: string, text: string, known: readonly string[]): string[] {
  const names = text.split(',').map((s) => s.trim());
  if (names.every((s) => s === '')) throw new UsageError(`--${option}: empty list`);
  if (names.includes('')) throw new UsageError(`--${option}: empty item in '${text}'`);
  if (names.length === 1 && names[0] === 'all') return [...known];
  for (const name of names) {
    if (!known.includes(name)) {
      throw new UsageError(`--${option}: unknown '${name}' (known: ${known.join(', ')})`);
    }
  }
  return [...new Set(names)];
}

export function parseFraction(option: string, text: string): number {
  const t = text.trim();
  const percent = t.endsWith('%');
  const value = Number(percent ? t.slice(0, -1) : t) / (percent ? 100 : 1);
  if (t === '' || t === '%' || !Number.isFinite(value) || value <= 0 || value >= 1) {
    throw new UsageError(
      `--${option}: '${text}' must be a fraction between 0 and 1 (e.g. 0.02 or 2%)`,
    );
  }
  return value;
}

/** Parses a duration: plain milliseconds, or with a unit (ms, s, m). */
export function parseDurationMs(option: string, text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(text);
  if (match === null)
    throw new UsageError(`--${option}: '${text}' is not a duration (e.g. 500ms, 2s)`);
  const value = Number(match[1]) * ({ ms: 1, s: 1000, m: 60_000 }[match[2] ?? 'ms'] ?? 1);
  if (value <= 0) throw new UsageError(`--${option}: '${text}' must be positive`);
  return value;
}

/** Limits on the axes, independent of the adapter (docs/design.md, Workloads). */
export const AXIS_LIMITS = {
  elements: { min: 1, max: 2 ** 32 - 1 },
  kernels: { min: 1, max: 4096 },
  intensity: { min: 0, max: 4096 },
  workgroupSize: { min: 1, max: 1024 },
} as const;
