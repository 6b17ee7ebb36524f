/**
 * Fuzz: 300 random malformed command lines, run in-process through runCli(). Each must end with
 * exit code 2 and exactly one line on stderr starting 'launchbench:', never a stack trace, and
 * never reach the GPU (every line carries at least one value that is rejected before the adapter
 * opens). The generator is seeded; a failure prints the seed and the command line.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.ts';
import { seededRandom } from '../src/workloads/random.ts';

const LISTS = [
  'elements',
  'kernels',
  'intensity',
  'workgroup-size',
  'persistent-workgroups',
  'min-samples',
];
const BAD_NUMBERS = [
  'abc',
  '',
  ',',
  '1,,2',
  '-5',
  '1.5',
  '1e400',
  '10:1',
  '1:10:*1',
  '1:10:+0',
  '5:5:5:5',
  'NaN',
  '0x10',
  '1e3e3',
  '∞',
  '12abc',
  ' ',
  '1:',
  ':4',
  '1:1e9:+1',
  '1:4:/2',
  '--',
  '2^',
];
/** Well-formed numbers outside one option's range. */
const OUT_OF_RANGE: Record<string, string[]> = {
  elements: ['0', '4294967296'],
  kernels: ['0', '4097'],
  intensity: ['4097'],
  'workgroup-size': ['0', '1025'],
  'persistent-workgroups': ['0'],
  'min-samples': ['2'],
};
const NAME_OPTIONS = ['strategies', 'workloads'];
const BAD_NAMES = ['nope', 'map,', ',', 'all,map', 'MAP', 'dispatch_each', ' ', 'fused;persistent'];
const OTHER: Record<string, string[]> = {
  'max-noise': ['0', '1', '-0.1', '150%', 'abc', '%', ''],
  'max-time': ['0', '-1s', '5h', 'abc', '', '1 s s'],
  'gpu-warmup': ['0', 'soon', '-3'],
  seed: ['x', '-1', '1.5'],
  profile: ['fastest', '', 'QUICK'],
  scenario: ['nope', ''],
  backend: ['cuda', 'webgl', ''],
  'power-preference': ['max', 'low'],
  'dawn-toggles': ['Bad Toggle', 'timestamp_quantization', 'a;b', 'x y'],
};
const UNKNOWN = [
  '--frobnicate',
  '--elementz=5',
  '--kernel=4',
  'benchmark',
  'infos',
  '-z',
  '--no-such',
];
const VALID = [
  '--profile=quick',
  '--elements=64',
  '--kernels=10',
  '--strategies=fused',
  '--no-verify',
];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[random() % items.length] as T;
}

function malformedItem(random: () => number): string {
  switch (random() % 4) {
    case 0: {
      const option = pick(random, LISTS);
      return `--${option}=${pick(random, [...BAD_NUMBERS, ...(OUT_OF_RANGE[option] ?? [])])}`;
    }
    case 1:
      return `--${pick(random, NAME_OPTIONS)}=${pick(random, BAD_NAMES)}`;
    case 2: {
      const option = pick(random, Object.keys(OTHER));
      return `--${option}=${pick(random, OTHER[option] ?? [''])}`;
    }
    default:
      return pick(random, UNKNOWN);
  }
}

function malformedLine(random: () => number): string[] {
  const items = [malformedItem(random)];
  for (let extra = random() % 3; extra > 0; extra--) {
    items.push(random() % 2 === 0 ? malformedItem(random) : pick(random, VALID));
  }
  // Shuffle so the malformed item is not always first.
  for (let i = items.length - 1; i > 0; i--) {
    const j = random() % (i + 1);
    [items[i], items[j]] = [items[j] as string, items[i] as string];
  }
  return random() % 3 === 0 ? ['bench', ...items] : items;
}

describe('malformed command lines', () => {
  const seed = Date.now() >>> 0;
  it(`300 random ones each exit 2 with one message line (seed ${seed})`, async () => {
    const random = seededRandom(seed);
    for (let n = 0; n < 300; n++) {
      const argv = malformedLine(random);
      const lines: string[] = [];
      const code = await runCli(argv, (text) =>
        lines.push(...text.split('\n').filter((l) => l !== '')),
      );
      const where = `seed ${seed}, line ${n}: launchbench ${argv.join(' ')}`;
      expect(code, `${where}: ${lines.join(' | ')}`).toBe(2);
      expect(lines, where).toHaveLength(1);
      expect(lines[0], where).toMatch(/^launchbench: \S/);
      expect(lines[0], where).not.toMatch(/\n\s+at |Error:|node:internal/);
    }
  });
});
