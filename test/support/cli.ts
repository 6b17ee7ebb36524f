/**
 * Runs the command line as a user does (`node --import tsx src/cli.ts …`, the same as `npx tsx`
 * without npx's start-up), in a child process, so exit codes, stdout and stderr are the real ones.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { runCli as runInside } from '../../src/cli.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Called once the child has started, e.g. to send it a signal later. */
  onSpawn?: (child: ChildProcess) => void;
  /**
   * The child leads a process group of its own, so that a signal can reach every process of the
   * command at once, as a terminal's does (`process.kill(-child.pid, signal)`).
   */
  group?: boolean;
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: options.group === true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`launchbench ${args.join(' ')} did not exit within ${options.timeoutMs} ms`),
      );
    }, options.timeoutMs ?? 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    options.onSpawn?.(child);
  });
}

/**
 * Dawn's own diagnostics, which it writes to stderr itself: the Vulkan loader's complaints (with a
 * C++ source location) when no adapter opens, Dawn's validation warnings, and with `--verbose`
 * lavapipe's 'Warning: maxDynamic…PerPipelineLayout artificially reduced …' (which the CLI
 * otherwise filters, src/stderr-filter.ts).
 */
const DAWN_DIAGNOSTIC = /^(Warning: |warning:$|\s+at \w+ \(\/.*\.(cpp|h):\d+\)$)/;

/** The stderr lines that launchbench wrote (Dawn's own diagnostics and blank lines removed). */
export function ownStderrLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.trim() !== '' && !DAWN_DIAGNOSTIC.test(line));
}

/** True when the text looks like a JavaScript stack trace. */
export function hasJsStackTrace(text: string): boolean {
  return /^\s+at .*(\.ts|\.js|node:)[^\n]*$/m.test(text);
}

/**
 * Runs the command line in this process (src/cli.ts's runCli, no child: for commands that need no
 * GPU), capturing what it writes on stdout and stderr.
 */
export async function runInProcess(
  args: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  try {
    const code = await runInside([...args], (text) => (stderr += text));
    return { code, stdout, stderr };
  } finally {
    spy.mockRestore();
  }
}
