/**
 * `compare A B --across intensity` matches cases that differ only in the named axes: two runs of
 * the same cases at intensity 0 and 4 are compared case by case (without it, nothing matches);
 * a run holding two values of such an axis is bad input (exit 2), as is an axis that is not one.
 * Runs in-process through runCli() on the fixture run; no GPU.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runInProcess } from './support/cli.ts';

const FIXTURE = new URL('./fixtures/run-small', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'launchbench-across-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A copy of the fixture with every row's `intensity` set by `intensityOf(row index)`. */
function variant(name: string, intensityOf: (row: number) => number, slowFused = false): string {
  const dir = join(root, name);
  cpSync(FIXTURE, dir, { recursive: true });
  const path = join(dir, 'summary.csv');
  const [header = '', ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
  const columns = header.split(',');
  const at = columns.indexOf('intensity');
  const wall = ['wallUsPerKernel', 'wallUsPerKernelLo95', 'wallUsPerKernelHi95'].map((c) =>
    columns.indexOf(c),
  );
  const rows = lines.map((line, i) => {
    const cells = line.split(',');
    cells[at] = String(intensityOf(i));
    if (slowFused && line.startsWith('map,fused,fused,64,100,'))
      for (const w of wall) cells[w] = String(Number(cells[w]) * 1.5);
    return cells.join(',');
  });
  writeFileSync(path, `${[header, ...rows].join('\n')}\n`);
  return dir;
}

const A = variant('i0', () => 0);
const B = variant('i4', () => 4, true);
const MIXED = variant('mixed', (i) => (i % 2 === 0 ? 0 : 4));

async function compare(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await runInProcess(['compare', ...args]);
  return { code, out: stdout, err: stderr };
}

describe('compare --across', () => {
  it('without it, runs at other intensities share no case', async () => {
    const r = await compare(A, B);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^0 case\(s\) compared: .*only in A 24, only in B 24/m);
  });

  it('with it, every case is matched (16 measured, 8 not applicable) and the 50% slower one is called slower', async () => {
    const r = await compare(A, B, '--across', 'intensity');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^matched across intensity: A at 0, B at 4/m);
    expect(r.out).toMatch(
      /^16 case\(s\) compared: B faster 0, slower 1, .*only in A 0, only in B 0, not comparable 8$/m,
    );
    expect(r.out).toMatch(/map +fused +64 +100 .* 1\.500 .* slower/);
  });

  it('a run with two values of the axis: exit 2', async () => {
    const r = await compare(A, MIXED, '--across', 'intensity');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^launchbench: --across intensity: run B holds several values \(0, 4\)/);
  });

  it('an axis that is not one: exit 2', async () => {
    const r = await compare(A, B, '--across', 'strategy');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^launchbench: --across: unknown 'strategy' \(known: elements, kernels/);
  });
});
