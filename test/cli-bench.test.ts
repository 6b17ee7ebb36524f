/**
 * End to end: `launchbench bench --profile quick` with a few cases writes a well-formed run folder.
 * summary.csv has one verified row per (parameters, strategy) with every registered strategy for
 * `map`, positive times and consistent derived figures; samples.csv has the rows each case counts;
 * context.json records the schema version, the adapter, its limits, the Dawn toggles (timestamp
 * quantisation disabled) and a passing timestamp self-test. No timed assertions: only relations
 * that hold by construction (a GPU sample's busy time lies inside its own wall time).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_COLUMNS } from '../src/report/columns.ts';
import { atTypicalState, dominates, withStateFit } from '../src/stats/state.ts';
import { median, roundSummary } from '../src/stats/stats.ts';
import { STRATEGIES } from '../src/strategies/index.ts';
import { IN_CI } from './support/gpu.ts';
import { hasJsStackTrace, ownStderrLines, runCli, type CliResult } from './support/cli.ts';

type Row = Record<string, string>;

const ELEMENTS = [64, 1000];
const KERNELS = [1, 100];
const ARGS = [
  'bench',
  '--profile',
  'quick',
  '--kernels',
  KERNELS.join(','),
  '--elements',
  ELEMENTS.join(','),
  '--max-time',
  '100ms',
];

let dir = '';
let run: CliResult | undefined;
/** The whole command line of the run (context.json records it). */
const runArgs = (): string[] => [
  ...ARGS,
  '--out',
  dir,
  '--export-json',
  join(dir, 'export', 'gbench.json'),
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'launchbench-cli-'));
  run = await runCli([...ARGS, '--out', dir, '--export-json', join(dir, 'export', 'gbench.json')], {
    timeoutMs: 280_000,
  });
}, 300_000);

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** The finished run, or a skip when there is no adapter (outside CI only). */
function finished(skip: (note: string) => never): CliResult {
  if (run === undefined) throw new Error('the bench did not run');
  if (run.code === 3 && !IN_CI) skip('no WebGPU adapter (see scripts/install-lavapipe.sh)');
  return run;
}

/** The columns that name a case in summary.csv and rounds.csv. */
const CASE_KEYS = ['workload', 'strategy', 'elements', 'kernels', 'intensity', 'workgroupSize'];
const csv = (name: string): Row[] =>
  parse(readFileSync(join(dir, name), 'utf8'), { columns: true, skip_empty_lines: true });

const num = (row: Row, column: string): number => {
  const text = row[column];
  if (text === undefined || text === '') return NaN;
  return Number(text);
};

describe('bench --profile quick', () => {
  it('--export-json writes google-benchmark JSON of every measured case at the end', (t) => {
    finished(t.skip);
    const file = JSON.parse(readFileSync(join(dir, 'export', 'gbench.json'), 'utf8')) as {
      benchmarks: { name: string; real_time: number; time_unit: string; iterations: number }[];
    };
    const ok = csv('summary.csv').filter((r) => r['status'] === 'ok');
    expect(file.benchmarks.length).toBe(ok.length);
    for (const b of file.benchmarks) {
      expect(b.time_unit).toBe('us');
      expect(b.real_time).toBeGreaterThan(0);
      expect(b.iterations).toBeGreaterThanOrEqual(1);
    }
  });

  it('exits 0 and names the run folder', (t) => {
    const result = finished(t.skip);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`results: ${dir}`);
    // Nothing failed, nothing crashed; launchbench's own notes (if any) are one-liners.
    expect(hasJsStackTrace(result.stderr), result.stderr).toBe(false);
    for (const line of ownStderrLines(result.stderr)) {
      expect(line).toMatch(/^launchbench: /);
      expect(line).not.toMatch(/failed/);
    }
  });

  it('without a terminal, a progress line after every round with the time left', (t) => {
    const result = finished(t.skip);
    const progress = ownStderrLines(result.stderr).filter((l) =>
      l.startsWith('launchbench: round'),
    );
    const groups = ELEMENTS.length * KERNELS.length;
    // The quick profile's 5 rounds, each ending with its last visit (a line every 10 s besides).
    // Figures group their thousands ("1,019 µs/kernel" on a loaded two-core machine).
    for (const round of [1, 2, 3, 4, 5])
      expect(progress).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^launchbench: round ${round}/5, ${round * groups}/${5 * groups} visits done, ~\\d+ s left, \\d+ s so far: map/e\\d+/k\\d+/i0/wg64: dispatch-each \\d{1,3}(,\\d{3})*(\\.\\d+)? µs/kernel$`,
          ),
        ),
      );
  });

  it('summary.csv: one verified row per case, every strategy present for map', (t) => {
    finished(t.skip);
    const rows = csv('summary.csv');
    expect(rows).toHaveLength(ELEMENTS.length * KERNELS.length * STRATEGIES.length);
    for (const elements of ELEMENTS)
      for (const kernels of KERNELS) {
        const group = rows.filter(
          (r) =>
            r['workload'] === 'map' &&
            num(r, 'elements') === elements &&
            num(r, 'kernels') === kernels,
        );
        expect(group.map((r) => r['strategy']).sort()).toEqual(STRATEGIES.map((s) => s.id).sort());
      }
    const failed = rows.filter((r) => r['status'] === 'failed');
    expect(failed.map((r) => `${r['strategy']}: ${r['reason']}`)).toEqual([]);
    for (const r of rows) {
      expect(['ok', 'not-applicable']).toContain(r['status']);
      if (r['status'] === 'not-applicable') expect(r['reason']).toMatch(/\S/);
    }
    const ok = rows.filter((r) => r['status'] === 'ok');
    expect(ok.length).toBeGreaterThan(0);
    for (const r of ok) {
      expect(r['verified'], r['strategy']).toBe('true');
      expect(num(r, 'verifiedElements')).toBe(num(r, 'elements'));
      // A missed noise target is `converged` false, not a reason repeated on every row.
      expect(r['reason'], r['strategy']).toMatch(/^(|insufficient samples: .*)$/);
    }
  });

  it('the console summary says the typical repeat interval once, after the tables', (t) => {
    const result = finished(t.skip);
    const lines = result.stdout.split('\n');
    const typical = lines.filter((l) => l.startsWith('95% repeat intervals: typically '));
    expect(typical, result.stdout).toHaveLength(1);
    expect(typical[0]).toMatch(
      / wall, .* GPU busy \((median over \d+ cases?|medians over \d+ and \d+ cases)\); † wider than /,
    );
    expect(lines).toContain(
      "† marks a row's own half-width where its rounds spread more than 2× the run's typical and it misses the ±5% noise target",
    );
    expect(result.stdout).not.toContain('repeat interval wider than');
    // A marked row carries the marker and its own half-width in its note.
    for (const row of lines.filter(
      (l) => l.includes('† ') && !l.startsWith('95%') && !l.startsWith('†'),
    ))
      expect(row).toMatch(/† (±[\d.]+%|×\/÷[\d.]+) (wall|GPU busy)/);
  });

  it('samples.csv: every GPU sample has its busy time inside its own wall time', (t) => {
    finished(t.skip);
    const gpu = csv('samples.csv').filter((s) => s['kind'] === 'gpu' && s['gpuBusyNs'] !== '');
    expect(gpu.length).toBeGreaterThan(0);
    for (const s of gpu)
      expect(num(s, 'gpuBusyNs'), s['caseId']).toBeLessThanOrEqual(num(s, 'wallNs'));
  });

  it('summary.csv: times positive, GPU busy inside wall, overhead not negative', (t) => {
    finished(t.skip);
    const { cpuDevice } = (
      JSON.parse(readFileSync(join(dir, 'context.json'), 'utf8')) as {
        adapter: { cpuDevice: boolean };
      }
    ).adapter;
    const rounds = csv('rounds.csv');
    // A run whose state explains nearly all of its rounds is stated at its typical state
    // (src/measure/run-case.ts atRunState), which can take a figure past its round medians.
    const summary = csv('summary.csv');
    const moved = dominates(summary.map((row) => num(row, 'wallStateR2')));
    // The run's typical state: the median over its visits, one state per group and round.
    const visitStates = new Map(
      rounds
        .filter((row) => Number.isFinite(num(row, 'stateUs')))
        .map((row) => [
          `${CASE_KEYS.filter((k) => k !== 'strategy')
            .map((k) => row[k])
            .join('|')}#${row['round']}`,
          num(row, 'stateUs') * 1e3,
        ]),
    );
    const typicalNs = median([...visitStates.values()]);
    for (const r of summary.filter((row) => row['status'] === 'ok')) {
      const id = `${r['strategy']} e${r['elements']} k${r['kernels']}`;
      expect(num(r, 'wallSamples'), id).toBeGreaterThan(0);
      expect(num(r, 'gpuSamples'), id).toBeGreaterThan(0);
      for (const column of [
        'wallUsPerKernel',
        'wallUsPerKernelP10',
        'wallUsPerKernelP90',
        'wallUsTotal',
        'wallWithTimestampsUsPerKernel',
      ]) {
        expect(num(r, column), `${id} ${column}`).toBeGreaterThan(0);
      }
      // A strategy that times a pass per kernel has K − 1 passes' timestamp cost taken off its
      // GPU busy (src/measure/timestamp-cost.ts). On a loaded CPU adapter that cost, measured
      // again each round, can exceed what the passes took (seen in CI: submit-wait at 1000
      // elements × K = 100); such a round's samples have no figure (spanEquivalentBusyNs), and a
      // case whose every round is so has none. Elsewhere it is positive.
      const perPass = ['submit-wait', 'submit-each'].includes(r['strategy'] ?? '');
      const busyUs = num(r, 'gpuBusyUsPerKernel');
      if (cpuDevice && perPass)
        expect(Number.isNaN(busyUs) || busyUs > 0, `${id} ${busyUs}`).toBe(true);
      else expect(busyUs, id).toBeGreaterThan(0);
      for (const column of [
        'encodeUsPerKernel',
        'submitUsPerKernel',
        'waitUs',
        'gpuIdleUsPerKernel',
      ])
        expect(num(r, column), `${id} ${column}`).toBeGreaterThanOrEqual(0);
      // The figure is the geometric mean of the round medians: inside their range. P10 and P90
      // describe the pooled samples, where a slow round with fewer samples (its time ran out)
      // weighs less, so the figure need not lie between them.
      expect(num(r, 'wallUsPerKernelP10'), id).toBeLessThanOrEqual(num(r, 'wallUsPerKernelP90'));
      const caseRounds = rounds.filter((row) => CASE_KEYS.every((key) => row[key] === r[key]));
      const roundMedians = caseRounds.map((row) => num(row, 'wallUsPerKernel'));
      expect(roundMedians.length, id).toBeGreaterThan(0);
      if (moved) {
        // A run whose state dominates it: the figure is the case's state line at the run's
        // typical state (src/measure/run-case.ts atRunState), made again here from rounds.csv.
        const byRound: number[][] = [];
        const states: number[] = [];
        for (const row of caseRounds) {
          byRound[Number(row['round'])] = [num(row, 'wallUsPerKernel')];
          const state = num(row, 'stateUs');
          if (Number.isFinite(state)) states[Number(row['round'])] = state * 1e3;
        }
        const expected = atTypicalState(
          withStateFit(
            roundSummary(
              Array.from(byRound, (v) => v ?? []),
              states,
            ),
          ),
          typicalNs,
        ).centre;
        expect(num(r, 'wallUsPerKernel') / (expected ?? NaN), id).toBeCloseTo(1, 2);
      } else {
        expect(num(r, 'wallUsPerKernel'), id).toBeGreaterThanOrEqual(
          Math.min(...roundMedians) * 0.999,
        );
        expect(num(r, 'wallUsPerKernel'), id).toBeLessThanOrEqual(
          Math.max(...roundMedians) * 1.001,
        );
      }
      // Without a GPU busy figure (above) there is nothing more to check against it.
      if (Number.isNaN(busyUs)) continue;
      // The two figures are different estimators (the timestamped samples' pooled median, the
      // GPU busy time's centre of round medians): roughly ordered only; each sample is checked
      // exactly below.
      expect(num(r, 'wallWithTimestampsUsPerKernel'), id).toBeGreaterThanOrEqual(
        0.8 * num(r, 'gpuBusyUsPerKernel'),
      );
      // Overhead = median wall − median GPU busy, utilization = their ratio. Not negative (and
      // utilization at most 1) on a real GPU; on a CPU device the timestamp queries slow the GPU
      // samples themselves, so there either can come out past its bound (src/stats/metrics.ts).
      const wall = num(r, 'wallUsPerKernel');
      const busy = num(r, 'gpuBusyUsPerKernel');
      expect(num(r, 'launchOverheadUsPerKernel'), id).toBeCloseTo(wall - busy, 1);
      expect(num(r, 'utilization'), id).toBeCloseTo(busy / wall, 3);
      expect(num(r, 'utilization'), id).toBeGreaterThan(0);
      if (!cpuDevice) {
        expect(num(r, 'launchOverheadUsPerKernel'), id).toBeGreaterThanOrEqual(0);
        expect(num(r, 'utilization'), id).toBeLessThanOrEqual(1);
      }
      if (r['strategy'] === 'submit-wait') expect(num(r, 'speedupVsSubmitWait')).toBe(1);
      // A speed-up where the baseline was measured. On a loaded machine the calibration can leave
      // submit-wait out at K = 100 (its sample floor past --case-budget: not-applicable, which a
      // two-core CI machine met), and then there is none.
      const baseline = summary.find(
        (row) =>
          row['strategy'] === 'submit-wait' &&
          CASE_KEYS.every((key) => key === 'strategy' || row[key] === r[key]),
      );
      if (baseline?.['status'] === 'ok')
        expect(num(r, 'speedupVsSubmitWait'), id).toBeGreaterThan(0);
      else expect(r['speedupVsSubmitWait'], id).toBe('');
    }
  });

  it('samples.csv: the header, and the rows each case counts', (t) => {
    finished(t.skip);
    const text = readFileSync(join(dir, 'samples.csv'), 'utf8');
    expect(text.split('\n')[0]).toBe(SAMPLE_COLUMNS.join(','));
    const samples = csv('samples.csv');
    for (const r of csv('summary.csv')) {
      const prefix = `map/e${r['elements']}/k${r['kernels']}/`;
      const mine = samples.filter(
        (s) => s['caseId']?.startsWith(prefix) && s['caseId'].endsWith(`/${r['strategy']}`),
      );
      // Samples a garbage collection overlapped stay in samples.csv but out of the counts.
      const valid = mine.filter((s) => s['gc'] === 'false');
      const wall = valid.filter((s) => s['kind'] === 'wall');
      const gpu = valid.filter((s) => s['kind'] === 'gpu');
      expect(mine.length - valid.length).toBe(num(r, 'gcSamples'));
      expect(wall.length, `${prefix}${r['strategy']}`).toBe(num(r, 'wallSamples'));
      expect(gpu.length).toBe(num(r, 'gpuSamples') + num(r, 'droppedGpuSamples'));
      for (const s of mine) {
        expect(num(s, 'wallNs')).toBeGreaterThan(0);
        if (s['kind'] === 'gpu' && s['gpuBusyNs'] !== '')
          expect(num(s, 'gpuBusyNs')).toBeLessThanOrEqual(num(s, 'wallNs'));
        if (s['kind'] === 'wall') expect(s['gpuBusyNs']).toBe('');
      }
      // Indices run 0…n−1 within a case.
      expect(mine.map((s) => num(s, 'index'))).toEqual(mine.map((_, i) => i));
    }
  });

  it('context.json: schema, adapter, limits, toggles, timestamp self-test', (t) => {
    finished(t.skip);
    const context = JSON.parse(readFileSync(join(dir, 'context.json'), 'utf8')) as {
      schemaVersion: unknown;
      complete: unknown;
      interrupted: unknown;
      finishedAt: unknown;
      adapter: { vendor?: unknown };
      limits: Record<string, unknown>;
      features: unknown[];
      dawn: { toggles: { disabled: string[]; enabled: string[] }; instanceFlags: string[] };
      timestampSelfTest: { ok: unknown; monotonic: unknown; quantized: unknown };
      commandLine: unknown;
      node: unknown;
    };
    expect(typeof context.schemaVersion).toBe('number');
    expect(context.complete).toBe(true);
    expect(context.interrupted).toBe(false);
    expect(typeof context.finishedAt).toBe('string');
    expect(typeof context.adapter.vendor).toBe('string');
    expect(context.limits['maxStorageBufferBindingSize']).toEqual(expect.any(Number));
    expect(context.limits['maxComputeWorkgroupsPerDimension']).toEqual(expect.any(Number));
    expect(context.features).toContain('timestamp-query');
    expect(context.dawn.toggles.disabled).toContain('timestamp_quantization');
    expect(context.dawn.instanceFlags).toContain('disable-dawn-features=timestamp_quantization');
    expect(context.timestampSelfTest).toMatchObject({
      ok: true,
      monotonic: true,
      quantized: false,
    });
    expect(context.commandLine).toEqual(runArgs());
    expect(context.node).toBe(process.version);
  });
});
