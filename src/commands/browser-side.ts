/**
 * `bench` and `anatomy` with `--runtime chromium|firefox`: the run measured in a page of a
 * headless browser that puppeteer-core starts (it downloads no browser: the machine's is found,
 * and started, by src/commands/find-browser.ts), the page served by src/commands/page-server.ts.
 * This process stays the command line: it writes the run folder from what the page sends
 * (RemoteSide), as from its own GPU.
 */
import { randomUUID } from 'node:crypto';
import { errorMessage } from '../errors.ts';
import type { Browser, Page } from 'puppeteer-core';
import type { RunPlan } from '../run.ts';
import type { BenchArgs } from './bench-options.ts';
import type { GpuSide, SetupStatus } from './bench-gpu.ts';
import type { RunSampling } from './processes.ts';
import type { GpuArgs } from './gpu-options.ts';
import type { AnatomyMeasured, AnatomySizes } from './anatomy-gpu.ts';
import type { PageRequest } from '../browser/wire.ts';
import { RemoteSide, startPageServer, type PageServer } from './page-server.ts';
import type { BrowserRuntime } from '../gpu/runtime.ts';
import { findBrowser, launchOptions } from './find-browser.ts';
import { measuringEnv } from '../report/context.ts';

/** How long closing the browser gracefully may take before its process group is killed, ms. */
const CLOSE_MS = 10_000;

/**
 * Closes the browser: gracefully, bounded by CLOSE_MS, then its whole process group is killed.
 * puppeteer starts the browser detached, leader of a process group of browser processes only;
 * the leader may be the distribution's wrapper script (Debian's /usr/bin/chromium-headless-shell
 * is `sh` running the binary), so killing the leader alone can leave the browser running, and a
 * graceful close can leave a process exiting behind the leader.
 */
async function closeBrowser(browser: Browser): Promise<void> {
  const group = browser.process()?.pid;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    browser.close().catch(() => undefined),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_MS))),
  ]);
  clearTimeout(timer);
  if (group === undefined) return;
  try {
    process.kill(-group, 'SIGKILL');
  } catch {
    // ESRCH: the group is gone already (EPERM cannot be helped).
  }
}

/** A page error, console error or crash, as one line. */
const pageProblem = (what: string, text: string): Error =>
  new Error(`the page: ${what}: ${text.split('\n')[0] ?? ''}`);

/**
 * The measuring side of `bench --runtime chromium|firefox`: the page server on a free local port,
 * a headless browser on it (puppeteer-core), the run's page opened; what the page sends comes
 * back through RemoteSide. A page error, console error, crash or lost browser ends the run with
 * a message (the cases measured so far are kept).
 */
export async function browserSide(
  kind: BrowserRuntime,
  args: BenchArgs,
  plan: RunPlan,
  run: RunSampling | undefined,
  status: SetupStatus,
  stop?: AbortSignal,
): Promise<GpuSide> {
  const env = measuringEnv();
  // The seed fixed: the page's plan is this process's.
  const request = { args: { ...args, seed: String(plan.seed) }, run, env };
  return openSide(kind, args.browser, request, status, stop);
}

/**
 * `launchbench anatomy --runtime chromium|firefox`: the anatomy measured in the browser's page
 * (src/commands/anatomy-gpu.ts there), and what context.json records of the browser.
 */
export async function browserAnatomy(
  kind: BrowserRuntime,
  args: GpuArgs & { browser?: string | undefined },
  sizes: AnatomySizes,
  status: SetupStatus,
  stop?: AbortSignal,
): Promise<{ measured: AnatomyMeasured; browser: object }> {
  // The page takes the power preference alone (a browser has no Dawn flags).
  const request = { args: { 'power-preference': args['power-preference'] }, anatomy: sizes };
  const side = await openSide(kind, args.browser, request, status, stop);
  // A signal closes the browser at once: the anatomy has nothing worth keeping half done. One
  // that came while the page opened is acted on now.
  const onStop = (): void => void side.close();
  stop?.addEventListener('abort', onStop);
  if (stop?.aborted === true) onStop();
  try {
    const measured = await side.anatomy();
    return { measured, browser: side.record().browser };
  } finally {
    stop?.removeEventListener('abort', onStop);
    await side.close();
  }
}

/** The browser started on a page server, and `request`'s page opened on it: its side. */
async function openSide(
  kind: BrowserRuntime,
  given: string | undefined,
  request: PageRequest,
  status: SetupStatus,
  stop: AbortSignal | undefined,
): Promise<RemoteSide> {
  const executable = findBrowser(kind, given);
  const { options, flags } = launchOptions(kind, executable);
  status.say(`starting ${kind}`);
  const { launch } = await import('puppeteer-core');
  const server = await startPageServer(0, '127.0.0.1');
  let browser: Awaited<ReturnType<typeof launch>> | undefined;
  try {
    browser = await launch({
      ...options,
      // A signal stops the run after its current sample, files written (src/commands/bench.ts),
      // and the side closes the browser: puppeteer's own handlers would exit at once.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
  } catch (error) {
    await server.close();
    throw new Error(`could not start ${executable}: ${errorMessage(error).split('\n')[0] ?? ''}`);
  }
  // A signal while it started: this process handles it (puppeteer's handlers are off) and the
  // browser, in a process group of its own, would outlive it.
  if (stop?.aborted === true) {
    await closeBrowser(browser);
    await server.close();
    throw new Error(`stopped (${String(stop.reason)}) while ${kind} started`);
  }
  return openPage(server, browser, { request, executable, flags, status });
}

/** The request's page opened on `browser`, and its side; on failure both are closed. */
async function openPage(
  server: PageServer,
  browser: Browser,
  o: { request: PageRequest; executable: string; flags: string[]; status: SetupStatus },
): Promise<RemoteSide> {
  let version: string;
  let page: Page;
  try {
    version = await browser.version();
    page = await browser.newPage();
  } catch (error) {
    await closeBrowser(browser);
    await server.close();
    throw new Error(`could not open a page: ${errorMessage(error)}`);
  }
  let closing = false;
  const side: RemoteSide = new RemoteSide(o.status, {
    browser: { executable: o.executable, version, flags: o.flags, driver: 'puppeteer-core' },
    stop: () => void page.evaluate('globalThis.launchbenchStop?.()').catch(() => undefined),
    async close() {
      closing = true;
      await closeBrowser(browser);
      await server.close();
    },
  });
  page.on('pageerror', (error) => side.fail(pageProblem('uncaught error', errorMessage(error))));
  page.on('console', (message) => {
    if (message.type() === 'error') side.fail(pageProblem('console error', message.text()));
  });
  page.on('error', (error) => side.fail(pageProblem('crashed', errorMessage(error))));
  browser.on('disconnected', () => {
    if (!closing) side.fail(new Error('the browser went away'));
  });
  const token = randomUUID();
  // `firefox/153.8.0`, `HeadlessChrome/156.0.8078.114`: the page takes the number where its user
  // agent tells less.
  const browserVersion = /\/([\d.]+)$/.exec(version)?.[1];
  server.runs.set(token, { request: { ...o.request, browserVersion }, side });
  try {
    await page.goto(`${server.url}?run=${token}`);
  } catch (error) {
    await side.close();
    throw new Error(`could not open the page: ${errorMessage(error)}`);
  }
  return side;
}
