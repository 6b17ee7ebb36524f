/**
 * What the processes of a run, and each side of `ab`, are given on their command line
 * (src/commands/processes.ts): the run's options as one `--name=value` word each (a value that
 * starts with '-' stays a value), a side's own options replacing the common ones of that name,
 * the run's own options refused on a side, environment variables before a side's options, and
 * the rounds shared out. Pure; no GPU.
 */
import { describe, expect, it } from 'vitest';
import { optionNames, parseSide, passThrough, shareRounds } from '../src/commands/processes.ts';

describe('passThrough', () => {
  const known = ['profile', 'dawn-toggles', 'drift', 'verify', 'out', 'rounds', 'strategies'];
  it('gives each option as one word, booleans as --x / --no-x, and leaves out the run’s own', () => {
    const args = {
      profile: 'default',
      'dawn-toggles': '-foo,bar',
      drift: false,
      verify: true,
      out: 'x',
      rounds: '6',
    };
    expect(passThrough(args, known)).toEqual([
      '--profile=default',
      '--dawn-toggles=-foo,bar',
      '--no-drift',
      '--verify',
    ]);
  });
  it('leaves out what a side sets itself', () => {
    const args = { profile: 'default', strategies: 'fused' };
    expect(passThrough(args, known, optionNames(['--profile', 'quick', '--no-verify']))).toEqual([
      '--strategies=fused',
    ]);
  });
});

describe('parseSide', () => {
  it('takes NAME=VALUE words before the options as environment variables', () => {
    expect(parseSide('b', 'A_B=1 C=x y --dawn-toggles skip_validation')).toEqual({
      env: { A_B: '1', C: 'x' },
      argv: ['y', '--dawn-toggles', 'skip_validation'],
    });
    expect(parseSide('a', undefined)).toEqual({ env: {}, argv: [] });
  });
  it.each([
    ['--strategies fused X=1', "--b: 'X=1': environment variables go before the options"],
    ['--rounds 3', '--b: --rounds is the run’s own (give it to ab itself, for both sides)'],
    [
      '--min-samples=20',
      '--b: --min-samples is the run’s own (give it to ab itself, for both sides)',
    ],
    ['--no-bandwidth', '--b: --bandwidth is the run’s own (give it to ab itself, for both sides)'],
    ['--dry-run', '--b: --dry-run is the run’s own (give it to ab itself, for both sides)'],
  ])("refuses '%s'", (text, message) => {
    expect(() => parseSide('b', text)).toThrow(message.replace(/’/g, "'"));
  });
});

describe('shareRounds', () => {
  it('shares the rounds out, the first processes taking one more where it does not divide', () => {
    expect(shareRounds(6, 6)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(shareRounds(5, 3)).toEqual([2, 2, 1]);
    expect(shareRounds(6, 4)).toEqual([2, 2, 1, 1]);
  });
});
