/**
 * `bench --runtime chromium`: the run measured in a page of a headless Chromium that
 * puppeteer-core starts (it downloads no browser: the machine's is found here), the page served
 * by src/commands/page-server.ts. This process stays the command line: it writes the run folder
 * from what the page sends (RemoteSide), as from its own GPU. Without a GPU, Chromium's WebGPU
 * adapter is SwiftShader; on Linux with a GPU, the flags of CHROMIUM_GPU_FLAGS give it the GPU
 * through ANGLE's Vulkan (without them: SwiftShader; with `--use-vulkan=native`: no adapter).
 */
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { UsageError, errorMessage } from '../errors.ts';
import type { Browser } from 'puppeteer-core';
import type { RunPlan } from '../run.ts';
import type { BenchArgs } from './bench-options.ts';
import type { GpuSide } from './bench-gpu.ts';
import type { RunSampling } from './processes.ts';
import { StatusLine } from './progress.ts';
import { RemoteSide, startPageServer, type PageServer } from './page-server.ts';

/** Where the environment names a Chromium. */
export const CHROMIUM_ENV = 'LAUNCHBENCH_CHROMIUM';

/** Where a system keeps a Chromium, looked at in this order. */
const SYSTEM_CHROMIUMS = [
  '/usr/bin/chromium-headless-shell',
  '/usr/lib/chromium/headless_shell',
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

/** Whether `path` is a file this process may run. */
function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The Chromium to run: --browser's, else $LAUNCHBENCH_CHROMIUM, else the system's. One that is
 * named but missing, or none at all, is a UsageError saying how to get one.
 */
export function findChromium(given: string | undefined): string {
  for (const [source, path] of [
    ['--browser', given],
    [CHROMIUM_ENV, process.env[CHROMIUM_ENV]],
  ] as const) {
    if (path === undefined || path === '') continue;
    if (!executable(path)) throw new UsageError(`${source} ${path}: no such executable file`);
    return path;
  }
  const found = SYSTEM_CHROMIUMS.find(executable);
  if (found !== undefined) return found;
  throw new UsageError(
    `--runtime chromium: no Chromium found; sudo bash scripts/install-chromium.sh installs one (Debian), or name one with --browser PATH or ${CHROMIUM_ENV}`,
  );
}

/** What every launch passes: no chatter to the network, WebGPU on, V8's gc() for the harness. */
const CHROMIUM_FLAGS = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--enable-unsafe-webgpu',
  // src/measure/host-noise.ts collects garbage between visits (src/browser/shims/vm.ts).
  '--js-flags=--expose-gc',
];

/** On Linux with a GPU: its WebGPU adapter through ANGLE's Vulkan (else SwiftShader). */
export const CHROMIUM_GPU_FLAGS = [
  '--enable-gpu',
  '--use-gl=angle',
  '--use-angle=vulkan',
  '--enable-features=Vulkan,VulkanFromANGLE,DefaultANGLEVulkan',
  '--disable-gpu-sandbox',
];

/** Whether this Linux machine has a GPU device (NVIDIA's, or a DRM render node). */
function linuxGpu(): boolean {
  if (process.platform !== 'linux') return false;
  if (existsSync('/dev/nvidiactl')) return true;
  try {
    return readdirSync('/dev/dri').some((name) => name.startsWith('renderD'));
  } catch {
    return false;
  }
}

/** The flags a launch passes on this machine. */
export function chromiumFlags(): string[] {
  const root = process.getuid?.() === 0;
  return [
    ...CHROMIUM_FLAGS,
    ...(root ? ['--no-sandbox'] : []),
    ...(linuxGpu() ? CHROMIUM_GPU_FLAGS : []),
  ];
}

/** A page error, console error or crash, as one line. */
const pageProblem = (what: string, text: string): Error =>
  new Error(`the page: ${what}: ${text.split('\n')[0] ?? ''}`);

/**
 * The measuring side of `bench --runtime chromium`: the page server on a free local port, a
 * headless Chromium on it (puppeteer-core), the run's page opened; what the page sends comes
 * back through RemoteSide. A page error, console error, crash or lost browser ends the run with
 * a message (the cases measured so far are kept).
 */
export async function chromiumSide(
  args: BenchArgs,
  plan: RunPlan,
  run: RunSampling | undefined,
): Promise<GpuSide> {
  if (args.shader !== undefined)
    throw new UsageError(
      "--shader: not with --runtime chromium (the page measures the suite's kernels)",
    );
  const executable = findChromium(args.browser);
  const flags = chromiumFlags();
  const status = new StatusLine();
  status.say('starting Chromium');
  const { launch } = await import('puppeteer-core');
  const server = await startPageServer(0, '127.0.0.1');
  let browser: Awaited<ReturnType<typeof launch>> | undefined;
  try {
    browser = await launch({
      executablePath: executable,
      headless: /headless/i.test(executable) ? 'shell' : true,
      args: flags,
    });
  } catch (error) {
    await server.close();
    throw new Error(`could not start ${executable}: ${errorMessage(error).split('\n')[0] ?? ''}`);
  }
  return openPage(server, browser, { args, plan, run, executable, flags, status });
}

/** The run's page opened on `browser`, and its side. */
async function openPage(
  server: PageServer,
  browser: Browser,
  o: {
    args: BenchArgs;
    plan: RunPlan;
    run: RunSampling | undefined;
    executable: string;
    flags: string[];
    status: StatusLine;
  },
): Promise<GpuSide> {
  const version = await browser.version();
  const page = await browser.newPage();
  let closing = false;
  const side: RemoteSide = new RemoteSide(o.status, {
    browser: { executable: o.executable, version, flags: o.flags, driver: 'puppeteer-core' },
    stop: () => void page.evaluate('globalThis.launchbenchStop?.()').catch(() => undefined),
    async close() {
      closing = true;
      await browser.close().catch(() => undefined);
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
  // The seed fixed: the page's plan is this process's.
  const args = { ...o.args, seed: String(o.plan.seed) };
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        entry[0].startsWith('LAUNCHBENCH_FAULT_') && entry[1] !== undefined,
    ),
  );
  server.runs.set(token, { request: { args, run: o.run, env }, side });
  try {
    await page.goto(`${server.url}?run=${token}`);
  } catch (error) {
    await side.close();
    throw new Error(`could not open the page: ${errorMessage(error)}`);
  }
  return side;
}
