/**
 * Formatting shared by the sections of report.md: numbers as a reader wants them, code spans,
 * listings and tables. Pure functions.
 */
import { distinct } from './select.ts';

/** µs with 3 significant digits (whole numbers from 1000 on). */
export function fmtUs(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  // Rounded first: 999.6 to three digits is 1000, written as 1,000 like any other thousand.
  const rounded = Math.abs(value) >= 1000 ? Math.round(value) : Number(value.toPrecision(3));
  return Math.abs(rounded) >= 1000 ? rounded.toLocaleString('en-US') : rounded.toString();
}

export const fmtCount = (n: number): string => n.toLocaleString('en-US');

/** A fraction as a whole percentage. */
export const fmtPercent = (x: number | null | undefined): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '–' : `${Math.round(x * 100)}%`;

export const code = (text: string): string => `\`${text}\``;

/** A markdown table cell: no pipes or line breaks. */
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

/** A column of numbers (figures, ranges, ratios, percentages) is right-aligned; text is not. */
const NUMERIC = /^[-–≈+]?[0-9][0-9.,]*(e[-+]?[0-9]+)?( ?(µs|ns|ms|×|%)|[–…][-0-9.,]+)?$|^–$/;

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const align = header.map((_, i) => {
    const values = rows.map((r) => r[i] ?? '').filter((v) => v !== '');
    return values.length > 0 && values.every((v) => NUMERIC.test(v)) ? '---:' : '---';
  });
  return [
    `| ${header.join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ];
}

/** "a, b and c". */
export function listing(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}

/** Ascending distinct numbers as "1, 10 and 100". */
export const numbers = (values: readonly number[]): string =>
  listing(
    distinct(values)
      .sort((a, b) => a - b)
      .map(fmtCount),
  );

/** An interpolated element count, to 2 significant digits (it is an estimate). */
export const fmtApprox = (n: number): string => fmtCount(Number(n.toPrecision(2)));

export const fmtRatio = (x: number | null | undefined): string =>
  x === null || x === undefined || !Number.isFinite(x)
    ? '–'
    : `${x >= 1000 ? fmtCount(Math.round(x)) : Number(x.toPrecision(3)).toString()}×`;

/** A relative target (0.025) as a percentage, to 2 significant digits (2.5%). */
export const fmtTarget = (x: number): string => `${Number((x * 100).toPrecision(2))}%`;
