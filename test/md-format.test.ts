/** report.md's number formatting (src/report/md-format.ts). No GPU needed. */
import { describe, expect, it } from 'vitest';
import { fmtPercent, fmtUs } from '../src/report/md-format.ts';

describe('fmtUs', () => {
  it('three significant digits below a thousand, whole numbers with separators from it on', () => {
    expect(fmtUs(3.456)).toBe('3.46');
    expect(fmtUs(0.04321)).toBe('0.0432');
    expect(fmtUs(248.2)).toBe('248');
    expect(fmtUs(1234.4)).toBe('1,234');
    expect(fmtUs(63972)).toBe('63,972');
  });
  it('a value that rounds up to a thousand is written as one', () => {
    expect(fmtUs(999.6)).toBe('1,000');
    expect(fmtUs(-999.7)).toBe('-1,000');
  });
  it('no value is a dash', () => {
    expect(fmtUs(null)).toBe('–');
    expect(fmtUs(Number.NaN)).toBe('–');
    expect(fmtPercent(undefined)).toBe('–');
  });
});
