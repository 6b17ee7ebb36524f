/**
 * Bad input gets one clear line on stderr, starting 'launchbench:', and exit code 2, never a stack
 * trace; checks that need the adapter (sizes past its limits) come after it opens and still exit 2.
 * No adapter exits 3 and points at scripts/install-lavapipe.sh. `info` and `list` exit 0. The
 * checks made before any GPU work run the command line in this process (runInProcess: a
 * process each cost a second apiece); one of each kind runs as a process, as a user's would.
 */
import { describe, expect, it } from 'vitest';
import { IN_CI } from './support/gpu.ts';
import {
  hasJsStackTrace,
  ownStderrLines,
  runCli,
  runInProcess,
  type CliResult,
} from './support/cli.ts';

/** Exit 3 means no adapter: acceptable (skip) outside CI only. */
function skipWithoutAdapter(result: CliResult, skip: (note: string) => never): void {
  if (result.code === 3 && !IN_CI) skip('no WebGPU adapter (see scripts/install-lavapipe.sh)');
}

function expectUsageError(
  result: Pick<CliResult, 'stdout' | 'stderr'> & { code: number | null },
  message: RegExp,
): void {
  const lines = ownStderrLines(result.stderr);
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^launchbench: /);
  expect(lines[0]).toMatch(message);
  expect(hasJsStackTrace(result.stderr), result.stderr).toBe(false);
  expect(result.stdout).toBe('');
  expect(result.code, result.stderr).toBe(2);
}

describe('bad input: one line, exit 2, before any GPU work', () => {
  it.each([
    [['--strategies', 'bogus'], /--strategies: unknown 'bogus' \(known: .*submit-wait/],
    [['--workloads', 'bogus'], /--workloads: unknown 'bogus' \(known: .*map/],
    [['--bogus-option'], /Unknown arguments?: bogus-option/],
    [['frobnicate'], /Unknown argument: frobnicate/],
    [['--elements', 'abc'], /--elements: 'abc' is not a number/],
    [['--elements', '0'], /--elements: 0 is outside 1…/],
    [['--elements', '10:1'], /--elements: range '10:1' ends before it starts/],
    [['--elements', '1e12'], /--elements: 1e12 is outside 1…4294967295/],
    [['--elements', '1e30'], /--elements: 1e30 is outside 1…4294967295/],
    [['--elements', '-5'], /--elements: -5 is outside 1…4294967295/],
    [['--elements', '1.5'], /--elements: '1.5' is not a whole number/],
    [['--kernels', '5000'], /--kernels: 5000 is outside 1…4096/],
    [['--intensity', '-1'], /--intensity: -1 is outside 0…4096/],
    [['--workgroup-size', '4096'], /--workgroup-size: 4096 is outside 1…1024/],
    [['--profile', 'bogus'], /--profile: unknown 'bogus' \(known: quick, default, full, decode\)/],
    [['--max-noise', '2'], /--max-noise: '2' must be a fraction between 0 and 1/],
    [['--max-noise', 'abc'], /--max-noise: 'abc' must be a fraction/],
    [['--max-time', '1h'], /--max-time: '1h' is not a duration/],
    [['--case-budget', 'abc'], /--case-budget: 'abc' is not a duration/],
    [['--stall-timeout', '0'], /--stall-timeout: '0' must be positive/],
    [['--settle', '11'], /--settle: 11 is outside 0…10/],
    [['--processes', '0'], /--processes: 0 is outside 1…1000/],
    [['--seed', '-1'], /--seed: -1 is outside 0…9007199254740991/],
    [
      ['--workloads', 'map', '--preset', 'tiny'],
      /--preset: tiny is decode's, which this run does not measure \(--workloads map\)/,
    ],
    [
      ['--workloads', 'map', '--context', '128'],
      /--context is decode's, which this run does not measure \(--workloads map\)/,
    ],
  ])('bench %j', async (args, message) => {
    const result = await runInProcess(['bench', '--out', '/nonexistent/never-written', ...args]);
    expectUsageError(result, message);
  });

  // As processes: the GPU flags (checked as Dawn is set up), and one of the above as a user runs it.
  it.each([
    [['--backend', 'bogus'], /--backend: unknown 'bogus'/],
    [['--runtime', 'nope'], /--runtime: unknown 'nope' \(known: node, deno, chromium, firefox\)/],
    [['--dawn-toggles', 'timestamp_quantization'], /must stay disabled/],
    [['--strategies', 'bogus'], /--strategies: unknown 'bogus' \(known: .*submit-wait/],
  ])('bench %j, as a process', async (args, message) => {
    const result = await runCli(['bench', '--out', '/nonexistent/never-written', ...args]);
    expectUsageError(result, message);
  });
});

describe('an output folder that cannot be written: one line, exit 2, before any GPU work', () => {
  it.each([
    ['/proc/launchbench-out', /--out: cannot write to '\/proc\/launchbench-out': ENOENT/],
    [
      'package.json',
      /--out: cannot write to 'package.json': '.*package\.json' is a file, not a folder/,
    ],
    ['package.json/run', /--out: cannot write to 'package.json\/run': ENOTDIR/],
    ['/dev/null/run', /--out: cannot write to '\/dev\/null\/run': ENOTDIR/],
    ['', /--out: cannot write to '': an empty path/],
    // a folder that holds a run already: its CSVs would be appended to
    [
      'test/fixtures/run-small',
      /--out: 'test\/fixtures\/run-small' already holds a run \(context\.json\)/,
    ],
  ])('bench --out %j', async (out, message) => {
    const result = await runInProcess(['bench', '--profile', 'quick', '--out', out]);
    expectUsageError(result, message);
  });

  it('compare --out under /proc', async () => {
    const fixture = 'test/fixtures/run-small';
    const result = await runCli(['compare', fixture, fixture, '--out', '/proc/x/compare.csv']);
    expectUsageError(result, /--out: cannot write to '\/proc\/x': ENOENT/);
  });
});

describe('info and list: bad input, one line, exit 2', () => {
  it.each([
    [['info', '--backend', 'bogus'], /--backend: unknown 'bogus'/],
    [
      ['info', '--runtime', 'nope'],
      /--runtime: unknown 'nope' \(known: node, deno, chromium, firefox\)/,
    ],
    [
      ['info', '--power-preference', 'max'],
      /--power-preference: 'max' must be low-power or high-performance/,
    ],
    [['info', '--frobnicate'], /Unknown argument: frobnicate/],
    [['list', '--frobnicate'], /Unknown argument: frobnicate/],
    [['list', 'extra'], /Unknown argument: extra/],
  ])('%j', async (args, message) => {
    expectUsageError(await runInProcess(args), message);
  });
});

describe('past the adapter limits: checked after the adapter opens, still exit 2', () => {
  it('elements past maxStorageBufferBindingSize', async (t) => {
    // 1e9 u32 = 4 GB: within the axis limit (2^32 − 1) but past any adapter's binding size.
    const result = await runCli(['bench', '--elements', '1e9', '--out', '/nonexistent/x']);
    skipWithoutAdapter(result, t.skip);
    expectUsageError(result, /1000000000 elements .* past maxStorageBufferBindingSize \d+/);
  });
});

describe('no adapter', () => {
  it('exits 3 and names scripts/install-lavapipe.sh', async () => {
    // Points the Vulkan loader at no driver: Dawn then finds no adapter on Linux.
    const result = await runCli(['bench', '--backend', 'vulkan', '--out', '/nonexistent/x'], {
      env: { VK_ICD_FILENAMES: '/nonexistent.json', VK_DRIVER_FILES: '/nonexistent.json' },
    });
    const lines = ownStderrLines(result.stderr);
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^launchbench: no WebGPU adapter found/);
    expect(lines[0]).toContain('scripts/install-lavapipe.sh');
    expect(hasJsStackTrace(result.stderr), result.stderr).toBe(false);
    expect(result.code, result.stderr).toBe(3);
  });
});

describe('info and list', () => {
  it('list exits 0 and names every strategy, workload and profile', async () => {
    const { STRATEGIES } = await import('../src/strategies/index.ts');
    const { WORKLOADS } = await import('../src/workloads/index.ts');
    const result = await runCli(['list']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    for (const s of STRATEGIES) expect(result.stdout).toContain(s.id);
    for (const w of WORKLOADS) expect(result.stdout).toContain(w.id);
    for (const p of ['quick', 'default', 'full']) expect(result.stdout).toContain(p);
  });

  it('info exits 0 and shows the adapter, the timestamp self-test and limits', async (t) => {
    const result = await runCli(['info']);
    skipWithoutAdapter(result, t.skip);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^adapter {6}\S/m);
    expect(result.stdout).toMatch(/^timestamps {3}timestamps monotonic and unquantised/m);
    expect(result.stdout).toContain('disable-dawn-features=timestamp_quantization');
    expect(result.stdout).toMatch(/maxStorageBufferBindingSize\s+\d+/);
    expect(ownStderrLines(result.stderr)).toEqual([]);
  });

  it('info --json is parseable and complete', async (t) => {
    const result = await runCli(['info', '--json']);
    skipWithoutAdapter(result, t.skip);
    expect(result.code, result.stderr).toBe(0);
    const info = JSON.parse(result.stdout) as {
      adapter: { vendor: string };
      features: string[];
      limits: Record<string, number>;
      dawn: { toggles: { disabled: string[] } };
      timestampSelfTest: { ok: boolean };
    };
    expect(typeof info.adapter.vendor).toBe('string');
    expect(info.features).toContain('timestamp-query');
    expect(info.limits['maxComputeWorkgroupsPerDimension']).toBeGreaterThanOrEqual(65535);
    expect(info.dawn.toggles.disabled).toContain('timestamp_quantization');
    expect(info.timestampSelfTest.ok).toBe(true);
  });
});

describe("Dawn's own notes on stderr", () => {
  it('are filtered unless --verbose', async (t) => {
    const quiet = await runCli(['info']);
    skipWithoutAdapter(quiet, t.skip);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toMatch(/artificially reduced/);
    const verbose = await runCli(['info', '--verbose']);
    expect(verbose.code, verbose.stderr).toBe(0);
    // lavapipe reports unbounded dynamic-buffer limits, which Dawn notes it lowered
    if (verbose.stdout.includes('fallback adapter'))
      expect(verbose.stderr).toMatch(/^Warning: maxDynamic\w+ artificially reduced/m);
  });
});
