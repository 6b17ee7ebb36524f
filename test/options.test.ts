/**
 * Command-line value parsing: what each parser accepts, and for bad input the exact one-line
 * UsageError (exit code 2) naming the option, the value and the rule.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.ts';
import {
  parseDurationMs,
  parseFraction,
  parseInteger,
  parseIntegerList,
  parseNameList,
} from '../src/options.ts';

/** Runs `parse` and returns the UsageError it threw (fails when it threw nothing or else). */
function usageError(parse: () => unknown): UsageError {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    const usage = error as UsageError;
    expect(usage.exitCode).toBe(2);
    expect(usage.message).not.toContain('\n');
    return usage;
  }
  throw new Error('expected a UsageError, nothing was thrown');
}

describe('parseInteger', () => {
  it.each([
    ['64', 64],
    [' 7 ', 7],
    ['+5', 5],
    ['0', 0],
    ['1e6', 1_000_000],
    ['1.5e3', 1500],
    ['1_000', 1000],
    ['2^20', 1_048_576],
    ['1K', 1000],
    ['1.5k', 1500],
    ['4M', 4_000_000],
    ['1g', 1e9],
    ['1Ki', 1024],
    ['16Mi', 16 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['4294967295', 2 ** 32 - 1],
  ])('%s = %d', (text, value) => {
    expect(parseInteger('elements', text)).toBe(value);
  });

  it.each(['abc', '', '0x10', '1e', '1,000', '1 000', 'k', '2^', 'Infinity', 'NaN', '1e400'])(
    "'%s' is not a number",
    (text) => {
      expect(usageError(() => parseInteger('elements', text)).message).toBe(
        `--elements: '${text}' is not a number`,
      );
    },
  );

  it.each(['1.5', '1.0001k'])("'%s' is not a whole number", (text) => {
    expect(usageError(() => parseInteger('kernels', text)).message).toBe(
      `--kernels: '${text}' is not a whole number`,
    );
  });

  it.each(['2^60', '9007199254740993'])("'%s' is too large", (text) => {
    expect(usageError(() => parseInteger('kernels', text)).message).toBe(
      `--kernels: ${text} is too large (at most 2^53 − 1)`,
    );
  });

  it.each([
    ['-1', '--kernels: -1 is outside 1…4096'],
    ['-5k', '--kernels: -5k is outside 1…4096'],
    ['1e30', '--kernels: 1e30 is outside 1…4096'],
    ['4097', '--kernels: 4097 is outside 1…4096'],
  ])("with a range, '%s': %s", (text, message) => {
    expect(usageError(() => parseInteger('kernels', text, { min: 1, max: 4096 })).message).toBe(
      message,
    );
  });
});

describe('parseIntegerList', () => {
  const list = (text: string, min = 1, max = 2 ** 32 - 1): number[] =>
    parseIntegerList('elements', text, min, max);

  it('lists, sorted and without duplicates', () => {
    expect(list('64,1e3')).toEqual([64, 1000]);
    expect(list('100, 1 ,100')).toEqual([1, 100]);
    expect(list('1K,1Ki')).toEqual([1000, 1024]);
  });

  it('ranges: ×10 by default, *f, xf, +s, mixed with values', () => {
    expect(list('1:1000')).toEqual([1, 10, 100, 1000]);
    expect(list('1:999')).toEqual([1, 10, 100]);
    expect(list('64:4096:*4')).toEqual([64, 256, 1024, 4096]);
    expect(list('1:8:x2')).toEqual([1, 2, 4, 8]);
    expect(list('1:10:+3')).toEqual([1, 4, 7, 10]);
    expect(list('5:5')).toEqual([5]);
    expect(list('0:2:+1', 0)).toEqual([0, 1, 2]);
    expect(list('7,1:100')).toEqual([1, 7, 10, 100]);
  });

  it.each([
    ['', '--elements: empty list'],
    [' ', '--elements: empty list'],
    ['1,,2', "--elements: empty item in '1,,2'"],
    ['1,', "--elements: empty item in '1,'"],
    ['abc', "--elements: 'abc' is not a number"],
    ['10:1', "--elements: range '10:1' ends before it starts"],
    ['1:2:3:4', "--elements: '1:2:3:4' is not a range (a:b, a:b:*f or a:b:+s)"],
    ['1:100:/2', "--elements: range step '/2' must be *factor or +increment"],
    ['1:100:2', "--elements: range step '2' must be *factor or +increment"],
    ['1:100:*1', "--elements: range step '*1' would never reach 100"],
    ['1:100:+0', "--elements: range step '+0' would never reach 100"],
    ['1:1e6:+1', "--elements: range '1:1e6:+1' has more than 1000 values"],
    ['0', '--elements: 0 is outside 1…4294967295'],
    ['1e12', '--elements: 1e12 is outside 1…4294967295'],
    ['-5', '--elements: -5 is outside 1…4294967295'],
  ])("'%s': %s", (text, message) => {
    expect(usageError(() => list(text)).message).toBe(message);
  });

  it('a range starting at 0 cannot multiply', () => {
    expect(usageError(() => list('0:100:*2', 0)).message).toBe(
      "--elements: range step '*2' would never reach 100",
    );
  });

  it('checks the bounds of the option', () => {
    expect(usageError(() => parseIntegerList('kernels', '5000', 1, 4096)).message).toBe(
      '--kernels: 5000 is outside 1…4096',
    );
    expect(parseIntegerList('kernels', '4096', 1, 4096)).toEqual([4096]);
  });
});

describe('parseNameList', () => {
  const known = ['submit-wait', 'dispatch-each', 'fused'] as const;

  it('names, in the order given, without duplicates; all = every known name', () => {
    expect(parseNameList('strategies', 'fused,submit-wait', known)).toEqual([
      'fused',
      'submit-wait',
    ]);
    expect(parseNameList('strategies', ' fused , fused ', known)).toEqual(['fused']);
    expect(usageError(() => parseNameList('strategies', 'fused,', known)).message).toBe(
      "--strategies: empty item in 'fused,'",
    );
    expect(parseNameList('strategies', 'all', known)).toEqual([...known]);
  });

  it('an unknown name lists the known ones', () => {
    expect(usageError(() => parseNameList('strategies', 'fused,bogus', known)).message).toBe(
      "--strategies: unknown 'bogus' (known: submit-wait, dispatch-each, fused)",
    );
    expect(usageError(() => parseNameList('strategies', 'all,fused', known)).message).toBe(
      "--strategies: unknown 'all' (known: submit-wait, dispatch-each, fused)",
    );
  });

  it.each(['', ',', ' , '])("'%s' is an empty list", (text) => {
    expect(usageError(() => parseNameList('workloads', text, known)).message).toBe(
      '--workloads: empty list',
    );
  });
});

describe('parseFraction', () => {
  it.each([
    ['0.02', 0.02],
    ['2%', 0.02],
    [' 5% ', 0.05],
    ['0.5', 0.5],
    ['1e-3', 0.001],
    ['99.9%', 0.999],
  ])('%s = %d', (text, value) => {
    expect(parseFraction('max-noise', text)).toBeCloseTo(value, 15);
  });

  it.each(['0', '1', '2', '-0.1', '100%', '0%', 'abc', '', '%', '2 %%'])(
    "'%s' is not a fraction",
    (text) => {
      expect(usageError(() => parseFraction('max-noise', text)).message).toBe(
        `--max-noise: '${text}' must be a fraction between 0 and 1 (e.g. 0.02 or 2%)`,
      );
    },
  );
});

describe('parseDurationMs', () => {
  it.each([
    ['500', 500],
    ['500ms', 500],
    ['2s', 2000],
    ['1.5s', 1500],
    ['1m', 60_000],
    [' 2 s ', 2000],
    ['0.5ms', 0.5],
  ])('%s = %d ms', (text, value) => {
    expect(parseDurationMs('max-time', text)).toBe(value);
  });

  it.each(['abc', '', '-1s', '1h', '1 sec', 's', '1e3'])("'%s' is not a duration", (text) => {
    expect(usageError(() => parseDurationMs('max-time', text)).message).toBe(
      `--max-time: '${text}' is not a duration (e.g. 500ms, 2s)`,
    );
  });

  it.each(['0', '0ms', '0.0s'])("'%s' must be positive", (text) => {
    expect(usageError(() => parseDurationMs('max-time', text)).message).toBe(
      `--max-time: '${text}' must be positive`,
    );
  });
});
