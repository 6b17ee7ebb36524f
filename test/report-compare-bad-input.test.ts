/**
 * Every command (`bench`, `info`, `list`, `report`, `compare`) has --help (exit 0), and bad input gets one stderr line starting
 * 'launchbench:' that names the file and what is wrong, exit 2, no stack trace: a missing folder,
 * a folder without summary.csv, a summary.csv missing a required column or holding a bad number,
 * and compare with one argument. No GPU needed.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasJsStackTrace, ownStderrLines, runCli, type CliResult } from './support/cli.ts';

const FIXTURE = new URL('./fixtures/run-small', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'launchbench-bad-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function expectUsageError(result: CliResult, message: RegExp): void {
  const lines = ownStderrLines(result.stderr);
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^launchbench: /);
  expect(lines[0]).toMatch(message);
  expect(hasJsStackTrace(result.stderr), result.stderr).toBe(false);
  expect(result.stdout).toBe('');
  expect(result.code, result.stderr).toBe(2);
}

/** A copy of the fixture run whose summary.csv has `column` removed. */
function runWithout(column: string): string {
  const dir = join(root, `without-${column}`);
  cpSync(FIXTURE, dir, { recursive: true });
  const lines = readFileSync(join(dir, 'summary.csv'), 'utf8').trimEnd().split('\n');
  const index = (lines[0] ?? '').split(',').indexOf(column);
  const cut = lines.map((l) =>
    l
      .split(',')
      .filter((_, i) => i !== index)
      .join(','),
  );
  writeFileSync(join(dir, 'summary.csv'), `${cut.join('\n')}\n`);
  return dir;
}

describe('--help', () => {
  it.each([
    [['report', '--help'], /launchbench report <dir>[\s\S]*re-render report\.md/],
    [['compare', '--help'], /launchbench compare <a> <b>[\s\S]*--out/],
    [['bench', '--help'], /run the benchmark[\s\S]*--profile[\s\S]*--max-noise/],
    [['info', '--help'], /timestamp self-test[\s\S]*--json/],
    [['list', '--help'], /which combinations do not apply/],
  ])('%j exits 0 and describes the command', async (args, text) => {
    const result = await runCli(args);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(text);
    expect(ownStderrLines(result.stderr)).toEqual([]);
  });
});

describe('--version', () => {
  it("prints package.json's version and exits 0", async () => {
    const { version } = JSON.parse(
      readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    const result = await runCli(['--version']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });
});

describe('report: bad input, one line, exit 2', () => {
  it('a folder that does not exist', async () => {
    const missing = join(root, 'nope');
    expectUsageError(await runCli(['report', missing]), new RegExp(`${missing}: no such folder`));
  });

  it('a folder without summary.csv', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    expectUsageError(
      await runCli(['report', empty]),
      new RegExp(`${empty}: not a run folder \\(no summary\\.csv\\)`),
    );
  });

  it('a summary.csv missing a required column', async () => {
    const dir = runWithout('wallUsPerKernelP90');
    expectUsageError(
      await runCli(['report', dir]),
      new RegExp(`${dir}/summary\\.csv: missing column wallUsPerKernelP90$`),
    );
  });

  it('a summary.csv with a number that is not one', async () => {
    const dir = join(root, 'bad-number');
    cpSync(FIXTURE, dir, { recursive: true });
    const path = join(dir, 'summary.csv');
    writeFileSync(path, readFileSync(path, 'utf8').replace(',64,1,0,64,ok,', ',64,one,0,64,ok,'));
    expectUsageError(
      await runCli(['report', dir]),
      /summary\.csv: line 2: kernels 'one' is not a number/,
    );
  });

  it('a summary.csv cut off in the middle of a row', async () => {
    const dir = join(root, 'truncated');
    cpSync(FIXTURE, dir, { recursive: true });
    const path = join(dir, 'summary.csv');
    writeFileSync(path, readFileSync(path, 'utf8').slice(0, 700));
    expectUsageError(
      await runCli(['report', dir]),
      /summary\.csv: not valid CSV \(Invalid Record Length/,
    );
  });

  it('a drift.csv cut off in the middle of a row', async () => {
    const dir = join(root, 'truncated-drift');
    cpSync(FIXTURE, dir, { recursive: true });
    const path = join(dir, 'drift.csv');
    writeFileSync(path, readFileSync(path, 'utf8').slice(0, 150));
    expectUsageError(await runCli(['report', dir]), /drift\.csv: not valid CSV/);
  });

  it('a binary file in place of summary.csv: one printable line', async () => {
    const dir = join(root, 'binary');
    mkdirSync(dir, { recursive: true });
    const bytes = Buffer.alloc(3000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 256;
    writeFileSync(join(dir, 'summary.csv'), bytes);
    const result = await runCli(['compare', dir, FIXTURE]);
    expectUsageError(result, /summary\.csv: (not valid CSV|missing columns)/);
    expect(result.stderr).toMatch(/^[\x20-\x7e\n]*$/);
  });

  it('no folder given', async () => {
    expectUsageError(await runCli(['report']), /Not enough non-option arguments/);
  });
});

describe('compare: bad input, one line, exit 2', () => {
  it('one argument only', async () => {
    expectUsageError(
      await runCli(['compare', FIXTURE]),
      /Not enough non-option arguments: got 1, need at least 2/,
    );
  });

  it('run B missing', async () => {
    const missing = join(root, 'gone');
    expectUsageError(
      await runCli(['compare', FIXTURE, missing]),
      new RegExp(`${missing}: no such folder`),
    );
  });

  it('run A without a required column', async () => {
    const dir = runWithout('strategy');
    expectUsageError(
      await runCli(['compare', dir, FIXTURE]),
      /summary\.csv: missing column strategy$/,
    );
  });

  it('--out that is not a .csv file', async () => {
    expectUsageError(
      await runCli(['compare', FIXTURE, FIXTURE, '--out', join(root, 'x.txt')]),
      /--out: '.*x\.txt' should name a \.csv file/,
    );
  });
});
