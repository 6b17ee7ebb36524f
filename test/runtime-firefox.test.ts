/**
 * `--runtime firefox`: the suite measured in a page of a headless Firefox (puppeteer-core over
 * WebDriver BiDi, the machine's Firefox: scripts/install-firefox.sh), its WebGPU (wgpu) on the
 * machine's Vulkan driver (lavapipe without a GPU). A small run verifies every strategy against
 * the CPU reference and names firefox, its full version (its user agent says only `153.0`) and
 * the preferences it was started with; `--completion nudged` keeps it short, since Firefox learns
 * of finished work only when it polls (every 100 ms, or on a submit). The run fails on any console
 * error of the page, so its exit 0 says the page ran without one. `serve`'s page, opened as a user
 * would, shows its facts without a console error. Without a Firefox the tests skip outside CI. In
 * vitest's `gpu` project: its GPU process takes the CPU as a Dawn device does.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { installedBrowser, verifiedBrowserRun } from './support/browsers.ts';
import { runCli } from './support/cli.ts';
import { launchOptions } from '../src/commands/find-browser.ts';
import { startPageServer } from '../src/commands/page-server.ts';

const root = mkdtempSync(join(tmpdir(), 'launchbench-firefox-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('--runtime firefox', () => {
  it('measures every strategy in the page, verified, and names firefox and its full version', async (t) => {
    const firefox = installedBrowser('firefox');
    if (firefox === undefined) return t.skip('no Firefox (scripts/install-firefox.sh)');
    const out = join(root, 'run');
    const context = await verifiedBrowserRun<{
      complete: boolean;
      runtime: { name: string; version: string; webgpu: string };
      options: { completion: string };
      browser: { executable: string; flags: string[]; crossOriginIsolated: boolean };
      dawn: unknown;
    }>('firefox', out, ['--completion', 'nudged']);
    // `Mozilla Firefox 153.8.0esr`: the number the run must name, not the user agent's `153.0`.
    const version = /(\d+\.\d+(?:\.\d+)?)/.exec(
      execFileSync(firefox, ['--version'], { encoding: 'utf8' }),
    )?.[1];
    expect(context.complete).toBe(true);
    expect(context.runtime).toEqual({ name: 'firefox', version, webgpu: 'wgpu' });
    expect(context.options.completion).toBe('nudged');
    expect(context.browser.executable).toBe(firefox);
    expect(context.browser.flags).toContain('dom.webgpu.enabled=true');
    expect(context.browser.crossOriginIsolated).toBe(true);
    expect(context.dawn).toBeNull();
  });

  it('takes a launch apart in the page: anatomy --runtime firefox', async (t) => {
    const firefox = installedBrowser('firefox');
    if (firefox === undefined) return t.skip('no Firefox (scripts/install-firefox.sh)');
    const out = join(root, 'anatomy');
    const result = await runCli(
      [
        'anatomy',
        '--runtime',
        'firefox',
        '--kernels',
        '20',
        '--rounds',
        '1',
        '--samples',
        '1',
      ].concat(['--out', out]),
      { timeoutMs: 240_000 },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/anatomy of a launch, K = 20, 1 rounds, on .*firefox 153/);
    const rows: Record<string, string>[] = parse(readFileSync(join(out, 'anatomy.csv'), 'utf8'), {
      columns: true,
    });
    const part = (chain: string, name: string): number =>
      Number(rows.find((r) => r['chain'] === chain && r['part'] === name)?.['usPerCall']);
    // The page's waits are measured, plain (Firefox's poll) and nudged.
    expect(part('extra', 'onSubmittedWorkDone, idle queue')).toBeGreaterThan(0);
    expect(part('extra', 'onSubmittedWorkDone nudged, idle queue')).toBeGreaterThan(0);
    const context = JSON.parse(readFileSync(join(out, 'anatomy-context.json'), 'utf8')) as {
      runtime: { name: string };
      browser: { executable: string };
      dawn: unknown;
    };
    expect(context.runtime.name).toBe('firefox');
    expect(context.browser.executable).toBe(firefox);
    expect(context.dawn).toBeNull();
  });

  it("serve's page loads in headless Firefox without a console error, cross-origin isolated", async (t) => {
    const firefox = installedBrowser('firefox');
    if (firefox === undefined) return t.skip('no Firefox (scripts/install-firefox.sh)');
    const { launch } = await import('puppeteer-core');
    const server = await startPageServer(0, '127.0.0.1');
    const browser = await launch(launchOptions('firefox', firefox).options);
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
      expect(facts).toContain('browserfirefox');
      expect(facts).toContain('cross-origin isolatedyes');
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
