/**
 * `launchbench compare A B --fail-on-slower 10%` is a CI gate: exit 5 with one stderr line naming
 * how many cases and the worst when B is slower beyond 10% on a case (here 30%, on the fixture
 * run with one case's wall figures × 1.3), exit 0 for identical runs or a threshold above the
 * shift; a malformed percentage is bad input (exit 2). And on the H200's own noise: the published
 * pair of identical default runs (results/20261204T204307Z-nvidia-h200-pair) passes the gate, and
 * the same pair with one strategy made 1.5× slower in B's rounds fails it, naming that strategy
 * only. Runs in-process through runCli(); no GPU.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { runInProcess } from './support/cli.ts';

const FIXTURE = new URL('./fixtures/run-small', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'launchbench-gate-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const A = join(root, 'a');
cpSync(FIXTURE, A, { recursive: true });
const B = join(root, 'b');
cpSync(FIXTURE, B, { recursive: true });

/** B: the fixture with fused at 64 elements, K = 100 made 30% slower (every wall figure × 1.3). */
{
  const path = join(B, 'summary.csv');
  const [header = '', ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
  const columns = header.split(',');
  const wall = [
    'wallUsPerKernel',
    'wallUsPerKernelP10',
    'wallUsPerKernelP90',
    'wallUsPerKernelLo95',
    'wallUsPerKernelHi95',
  ].map((c) => columns.indexOf(c));
  const slower = lines.map((line) => {
    if (!line.startsWith('map,fused,fused,64,100,')) return line;
    const cells = line.split(',');
    for (const i of wall) cells[i] = String(Number(cells[i]) * 1.3);
    return cells.join(',');
  });
  writeFileSync(path, `${[header, ...slower].join('\n')}\n`);
}

/**
 * A copy of run folder `from` named `name` with `dispatch-each`'s wall figures (summary.csv) and
 * round medians (rounds.csv) × `factor`.
 */
function scaled(from: string, name: string, factor: number): string {
  const dir = join(root, name);
  cpSync(from, dir, { recursive: true });
  for (const file of ['rounds.csv', 'summary.csv']) {
    const path = join(dir, file);
    const [header = '', ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
    const columns = header.split(',');
    const wall = columns
      .map((c, i) => (c.startsWith('wallUsPerKernel') ? i : -1))
      .filter((i) => i >= 0);
    const strategy = columns.indexOf('strategy');
    const out = lines.map((line) => {
      const cells = line.split(',');
      if (cells[strategy] !== 'dispatch-each') return line;
      for (const i of wall) if (cells[i] !== '') cells[i] = String(Number(cells[i]) * factor);
      return cells.join(',');
    });
    writeFileSync(path, `${[header, ...out].join('\n')}\n`);
  }
  return dir;
}

/** compare, in-process (no GPU needed). */
const compare = (...args: string[]): ReturnType<typeof runInProcess> =>
  runInProcess(['compare', ...args]);

describe('compare --fail-on-slower', () => {
  it('B 30% slower on a case: exit 5, one line naming the count and the worst case', async () => {
    const result = await compare(A, B, '--fail-on-slower', '10%');
    expect(result.code, result.stderr).toBe(5);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^launchbench: 1 case\(s\) slower in B by more than 10%; worst: map fused elements=64 K=100 intensity=0 wg=64, B\/A 1\.300 \(95% CI 1\.2\d\d–1\.3\d\d\)$/,
    );
    // The comparison is still printed in full.
    expect(result.stdout).toMatch(/map +fused +64 +100 .* 1\.300 .* slower/);
    expect(result.stdout).toMatch(/slower 1,/);
  });

  it('identical runs: exit 0, nothing on stderr', async () => {
    const result = await compare(A, A, '--min-effect', '5%', '--fail-on-slower', '10%');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/gate: no case slower by more than 10%/);
  });

  it('a threshold above the shift: exit 0', async () => {
    const result = await compare(A, B, '--fail-on-slower', '40%');
    expect(result.code, result.stderr).toBe(0);
  });

  it('a machine that moved (drift probe) is named beside the verdicts and in the gate', async () => {
    const C = join(root, 'c');
    cpSync(B, C, { recursive: true });
    // The fixture's probes with every round trip 1.6× longer: the machine, not the code.
    const path = join(C, 'drift.csv');
    const [header = '', ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
    const at = header.split(',').indexOf('roundTripUs');
    const slowed = lines.map((line) => {
      const cells = line.split(',');
      cells[at] = String(Number(cells[at]) * 1.6);
      return cells.join(',');
    });
    writeFileSync(path, `${[header, ...slowed].join('\n')}\n`);

    const same = await compare(A, B);
    expect(same.stdout).toMatch(
      /median B\/A: host loop 1\.000, round trip 1\.000, chain wall 1\.000/,
    );
    expect(same.stdout).not.toMatch(/warning: the machine itself moved/);

    const moved = await compare(A, C, '--fail-on-slower', '10%');
    expect(moved.code).toBe(5);
    expect(moved.stdout).toMatch(
      /warning: the machine itself moved between the runs \(drift probe: round trip 1\.600\)/,
    );
    expect(moved.stderr).toMatch(/; but the machine itself moved between the runs/);
  });

  it('two identical default runs on the H200: silent; a 1.5× change of one strategy in their rounds: exit 5 naming it', async () => {
    const pair = new URL('../results/20261204T204307Z-nvidia-h200-pair', import.meta.url).pathname;
    const [a, b] = [join(pair, 'a'), join(pair, 'b')];
    // Unchanged code on a machine whose round trip moved 0.82× between the runs: no gate.
    expect((await compare(a, b, '--fail-on-slower', '10%')).code).toBe(0);
    // B's own noise and states, with `dispatch-each` made 1.5× slower in every round (rounds.csv)
    // and figure (summary.csv): the gate names it, and nothing else.
    const slow = scaled(b, 'b-slow', 1.5);
    const result = await compare(
      a,
      slow,
      '--fail-on-slower',
      '10%',
      '--out',
      join(root, 'slow.csv'),
    );
    expect(result.code, result.stderr).toBe(5);
    expect(result.stderr).toMatch(
      /^launchbench: \d+ case\(s\) slower in B by more than 10%; worst: \w+ dispatch-each /,
    );
    const rows: Record<string, string>[] = parse(readFileSync(join(root, 'slow.csv'), 'utf8'), {
      columns: true,
    });
    const called = rows.filter(
      (r) => r['wallVerdict'] === 'slower' || r['relativeVerdict'] === 'slower',
    );
    expect(called.length).toBeGreaterThan(14);
    expect(called.every((r) => r['strategy'] === 'dispatch-each')).toBe(true);
    // One strategy made faster (0.3×) moves no other into `slower`, in group or on wall: the
    // gate stays silent.
    expect((await compare(a, scaled(b, 'b-fast', 0.3), '--fail-on-slower', '10%')).code).toBe(0);
    // A strategy that B lacks (a subset, a failed case) moves no other either.
    const fewer = join(root, 'b-fewer');
    cpSync(b, fewer, { recursive: true });
    for (const file of ['rounds.csv', 'summary.csv']) {
      const path = join(fewer, file);
      const kept = readFileSync(path, 'utf8')
        .split('\n')
        .filter((line) => !line.includes(',submit-wait,'));
      writeFileSync(path, kept.join('\n'));
    }
    expect((await compare(a, fewer, '--fail-on-slower', '10%')).code).toBe(0);
  });

  it('a percentage that is not one: exit 2', async () => {
    const result = await compare(A, B, '--fail-on-slower', '150%');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^launchbench: --fail-on-slower: '150%' must be a fraction/);
  });
});
