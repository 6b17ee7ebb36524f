/**
 * `--runtime chromium`: the suite measured in a page of a headless Chromium (puppeteer-core, the
 * machine's Chromium: scripts/install-chromium.sh), the run folder written by the command line. A
 * small run verifies every strategy against the CPU reference and names chromium, its version
 * and the adapter (SwiftShader without a GPU); the run fails on any console error of the page, so
 * its exit 0 says the page ran without one. `serve`'s page, opened as a user would, shows its
 * facts (cross-origin isolated, timestamp-query) without a console error. Without a Chromium the
 * tests skip outside CI. In vitest's `gpu` project: a browser on SwiftShader takes the CPU as a
 * Dawn device does, so it runs alone, as the GPU tests do.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { installedBrowser, verifiedBrowserRun } from './support/browsers.ts';
import { runCli } from './support/cli.ts';
import { chromiumFlags, headlessMode } from '../src/commands/find-browser.ts';
import { startPageServer } from '../src/commands/page-server.ts';
import { PROFILES } from '../src/profiles.ts';

/** The processes of browsers puppeteer started (its profile folder in their command lines). */
function puppeteerBrowsers(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('puppeteer_dev_chrome_profile'))
        pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/** `pid (comm) S ppid pgrp …` of `pid`, or '' once it is gone. */
function stat(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return '';
  }
}

/** Whether a stat line is a process that still runs: there, and not a zombie. */
const running = (line: string): boolean => line !== '' && line[line.lastIndexOf(')') + 2] !== 'Z';

const root = mkdtempSync(join(tmpdir(), 'launchbench-chromium-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('--runtime chromium', () => {
  it('measures every strategy in the page, verified, and names chromium, its version and the adapter', async (t) => {
    const chromium = installedBrowser('chromium');
    if (chromium === undefined) return t.skip('no Chromium (scripts/install-chromium.sh)');
    const out = join(root, 'run');
    const context = await verifiedBrowserRun<{
      complete: boolean;
      runtime: { name: string; version: string; webgpu: string };
      adapter: { vendor: string; architecture: string };
      browser: { executable: string; crossOriginIsolated: boolean; clockStepUs: number };
      dawn: unknown;
    }>('chromium', out);
    const version = /(\d+\.\d+\.\d+\.\d+)/.exec(
      execFileSync(chromium, ['--version'], { encoding: 'utf8' }),
    )?.[1];
    expect(context.complete).toBe(true);
    expect(context.runtime).toEqual({ name: 'chromium', version, webgpu: 'dawn' });
    expect(context.browser.executable).toBe(chromium);
    expect(context.browser.crossOriginIsolated).toBe(true);
    // Isolated, the page's clock steps in µs, not 100 µs.
    expect(context.browser.clockStepUs).toBeLessThan(50);
    expect(context.adapter.vendor).not.toBe('');
    expect(context.dawn).toBeNull();
    for (const file of ['samples.csv', 'rounds.csv', 'report.md'])
      expect(readFileSync(join(out, file), 'utf8').length, file).toBeGreaterThan(0);
  });

  it('a SIGINT while Chromium starts ends the run with exit 130 and leaves no Chromium running', async (t) => {
    const chromium = installedBrowser('chromium');
    if (chromium === undefined) return t.skip('no Chromium (scripts/install-chromium.sh)');
    // Browsers of earlier tests, still exiting, are not this run's.
    const before = new Set(puppeteerBrowsers());
    const ours = (): number[] => puppeteerBrowsers().filter((pid) => !before.has(pid));
    let pids: number[] = [];
    let child: ChildProcess | undefined;
    const run = runCli(
      ['bench', '--runtime', 'chromium', '--profile', 'quick', '--workloads', 'map'],
      { timeoutMs: 60_000, onSpawn: (c) => (child = c) },
    );
    try {
      // The browser's processes (puppeteer's profile folder in their command lines), once there.
      for (let i = 0; i < 200 && pids.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        pids = ours();
      }
      expect(pids.length).toBeGreaterThan(0);
    } finally {
      child?.kill('SIGINT');
    }
    const result = await run;
    expect(result.code, result.stderr).toBe(130);
    // Those seen starting and any started since. The command kills the browser's process group
    // as it exits (src/commands/browser-side.ts); a process SIGKILLed takes a moment to go, and
    // a zombie runs nothing. Still there 1 s later, it was left running: its stat line says what
    // it was.
    const watched = [...new Set([...pids, ...ours()])];
    let alive = watched.map(stat).filter(running);
    for (let i = 0; i < 20 && alive.length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      alive = watched.map(stat).filter(running);
    }
    expect(alive.map((line) => line.slice(0, 100))).toEqual([]);
  });

  it("serve's page loads in headless Chromium without a console error, cross-origin isolated", async (t) => {
    const chromium = installedBrowser('chromium');
    if (chromium === undefined) return t.skip('no Chromium (scripts/install-chromium.sh)');
    const { launch } = await import('puppeteer-core');
    const server = await startPageServer(0, '127.0.0.1');
    const browser = await launch({
      executablePath: chromium,
      headless: headlessMode(chromium),
      args: chromiumFlags(),
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(String(e)));
      await page.goto(server.url);
      await page.waitForFunction('document.querySelectorAll("#facts tr").length >= 4');
      const facts = String(await page.evaluate('document.getElementById("facts").textContent'));
      expect(facts).toContain('cross-origin isolatedyes');
      // The timestamp self-test's verdict, not the feature's presence.
      expect(facts).toMatch(
        /timestamp-query(yes, self-test passed \(timestamps monotonic|present, but the self-test failed \(timestamps|missing: wall time only)/,
      );
      expect(await page.evaluate('document.querySelectorAll("#profile option").length')).toBe(
        Object.keys(PROFILES).length,
      );
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
