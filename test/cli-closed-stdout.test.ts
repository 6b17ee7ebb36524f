/**
 * A reader that goes away early (`launchbench compare A B | head -1`): the command ends as it
 * would have (exit 0), without a stack trace, instead of dying on EPIPE.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, hasJsStackTrace } from './support/cli.ts';

function withStdoutClosed(
  args: readonly string[],
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Closed before the command writes anything, as `| true` would.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('did not exit'));
    }, 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('stdout closed early', () => {
  it.each([
    [['compare', 'test/fixtures/run-small', 'test/fixtures/run-small']],
    [['list']],
    [['--help']],
  ])('%j exits 0 without a stack trace', async (args) => {
    const result = await withStdoutClosed(args);
    expect(hasJsStackTrace(result.stderr), result.stderr).toBe(false);
    expect(result.stderr).not.toMatch(/EPIPE/);
    expect(result.code, result.stderr).toBe(0);
  });
});
