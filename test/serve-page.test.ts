/**
 * The measuring page's server without a browser: `launchbench serve --port P` answers the page,
 * its script (bundled from src/ for a browser, Node's modules shimmed) and every other answer with
 * the headers that make the page cross-origin isolated (COOP `same-origin`, COEP `require-corp`:
 * without them performance.now() ticks in 100 µs steps); Ctrl-C stops it with exit 0. A
 * Chromium named but missing is bad input, one line and exit 2, before any work. No GPU needed.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { hasJsStackTrace, ownStderrLines, runCli } from './support/cli.ts';

const root = mkdtempSync(join(tmpdir(), 'launchbench-serve-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The isolation headers of an answer. */
const isolation = (res: Response) => ({
  opener: res.headers.get('cross-origin-opener-policy'),
  embedder: res.headers.get('cross-origin-embedder-policy'),
});

/** `launchbench serve` on a free port, once it has said where: the process and the page's URL. */
async function startServe(env: Record<string, string> = {}): Promise<{
  run: ReturnType<typeof runCli>;
  child: ChildProcess | undefined;
  url: string;
}> {
  let child: ChildProcess | undefined;
  let stdout = '';
  const run = runCli(['serve', '--port', '0', '--out', root], {
    timeoutMs: 60_000,
    env,
    onSpawn: (c) => {
      child = c;
      c.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    },
  });
  for (let i = 0; i < 300 && !/http:\/\/\S+\//.test(stdout); i++)
    await new Promise((resolve) => setTimeout(resolve, 100));
  const url = /http:\/\/\S+\//.exec(stdout)?.[0];
  expect(url, stdout).toBeDefined();
  return { run, child, url: url ?? '' };
}

/**
 * A run the page asks for, the page (this test) giving up at once: the run needs no Chromium
 * here (there is none), its result says the page's reason as JSON though no folder was written,
 * and the page's posts after it are answered `stop`.
 */
async function pageGivesUp(url: string): Promise<void> {
  const asked = await fetch(`${url}api/runs`, {
    method: 'POST',
    body: JSON.stringify({ profile: 'quick', workloads: 'map' }),
  });
  expect(asked.status, await asked.clone().text()).toBe(200);
  const { token } = (await asked.json()) as { token: string };
  expect((await fetch(`${url}api/runs/${token}`)).status).toBe(200);
  const post = async (messages: object[]) =>
    (await (
      await fetch(`${url}api/runs/${token}/messages`, {
        method: 'POST',
        body: JSON.stringify(messages),
      })
    ).json()) as { stop: boolean };
  // The server's errors are JSON, as the page reads every answer.
  const bad = await fetch(`${url}api/runs/${token}/messages`, { method: 'POST', body: '[{' });
  expect(bad.status).toBe(500);
  expect(((await bad.json()) as { error: string }).error).toMatch(/JSON/);
  await post([
    { type: 'error', error: { name: 'Error', message: 'the test page gave up' } },
    { type: 'closed' },
  ]);
  let result: { done: boolean; code?: number; error?: string; files?: string[] } = {
    done: false,
  };
  for (let i = 0; i < 100 && !result.done; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const res = await fetch(`${url}api/runs/${token}/result`);
    expect(res.status).toBe(200);
    result = (await res.json()) as typeof result;
  }
  expect(result).toMatchObject({ done: true, code: 1, files: [] });
  expect(result.error).toBe('in the page: the test page gave up');
  expect(await post([{ type: 'status', text: 'still here' }])).toEqual({ stop: true });
}

describe('launchbench serve', () => {
  it('answers the page and its script cross-origin isolated, and stops on SIGINT with exit 0', async () => {
    // serve's runs are measured in the user's browser: no Chromium needed here.
    const { run, child, url } = await startServe({ LAUNCHBENCH_CHROMIUM: '/nonexistent' });
    try {
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(isolation(page)).toEqual({ opener: 'same-origin', embedder: 'require-corp' });
      expect(await page.text()).toContain('<script type="module" src="/page.js">');
      const script = await fetch(`${url}page.js`);
      expect(script.status).toBe(200);
      expect(isolation(script)).toEqual({ opener: 'same-origin', embedder: 'require-corp' });
      expect(script.headers.get('content-type')).toMatch(/javascript/);
      const js = await script.text();
      // The suite's own code and WGSL, with no Node module left to import.
      expect(js).toContain('submit-each');
      expect(js).toContain('@compute');
      expect(js).not.toMatch(/from\s*["']node:/);
      const missing = await fetch(`${url}api/runs/no-such-run`);
      expect(missing.status).toBe(404);
      expect(isolation(missing)).toEqual({ opener: 'same-origin', embedder: 'require-corp' });
      await pageGivesUp(url);
    } finally {
      child?.kill('SIGINT');
    }
    const result = await run;
    expect(result.code, result.stderr).toBe(0);
  });

  it('on SIGINT stops a run in flight and exits 130 once it has ended', async () => {
    const { run, child, url } = await startServe();
    try {
      const asked = await fetch(`${url}api/runs`, {
        method: 'POST',
        body: JSON.stringify({ profile: 'quick', workloads: 'map' }),
      });
      expect(asked.status).toBe(200);
    } finally {
      child?.kill('SIGINT');
    }
    const result = await run;
    expect(result.stderr).toMatch(/waiting for 1 run\(s\) to stop/);
    expect(result.code, result.stderr).toBe(130);
  });

  it('refuses a Chromium that is not there: one line, exit 2, nothing written', async () => {
    const out = join(root, 'none');
    const result = await runCli(
      ['bench', '--runtime', 'chromium', '--browser', join(root, 'no-chromium'), '--out', out],
      { timeoutMs: 60_000 },
    );
    const lines = ownStderrLines(result.stderr);
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^launchbench: --browser \S+no-chromium: no such executable file$/);
    expect(hasJsStackTrace(result.stderr)).toBe(false);
    expect(result.code).toBe(2);
    expect(readdirSync(root)).not.toContain('none');
  });

  it('refuses a Firefox named by the environment that is not there: one line, exit 2', async () => {
    const result = await runCli(['bench', '--runtime', 'firefox', '--dry-run'], {
      timeoutMs: 60_000,
      env: { LAUNCHBENCH_FIREFOX: join(root, 'no-firefox') },
    });
    const lines = ownStderrLines(result.stderr);
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^launchbench: LAUNCHBENCH_FIREFOX \S+no-firefox: no such executable file$/,
    );
    expect(result.code).toBe(2);
  });

  it('refuses --browser without a browser runtime, and Dawn-only flags and --shader with one', async () => {
    for (const [args, message] of [
      [['--browser', '/bin/sh'], /--browser: only with --runtime chromium or firefox/],
      [['--runtime', 'chromium', '--dawn-toggles', 'skip_validation'], /--dawn-toggles is Dawn's/],
      [['--runtime', 'firefox', '--adapter', 'llvmpipe'], /--adapter is Dawn's/],
      [
        ['--runtime', 'chromium', '--shader', 'examples/user-kernel/xor-rotate.wgsl'],
        /^launchbench: --shader: not with --runtime chromium \(the page measures the suite's own kernels\)$/m,
      ],
    ] as const) {
      // Refused before a Chromium is looked for.
      const result = await runCli(['bench', ...args, '--dry-run'], {
        timeoutMs: 60_000,
        env: { LAUNCHBENCH_CHROMIUM: '/nonexistent', LAUNCHBENCH_FIREFOX: '/nonexistent' },
      });
      expect(ownStderrLines(result.stderr), result.stderr).toHaveLength(1);
      expect(result.stderr).toMatch(message);
      expect(result.code).toBe(2);
    }
  });
});
