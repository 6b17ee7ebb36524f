/**
 * The browser of `bench --runtime chromium|firefox` (src/commands/browser-side.ts) and how
 * puppeteer-core starts it; apart, so that `bench` checks the browser before any work without
 * loading the page's server and bundler.
 * - Chromium: over the DevTools protocol. Without a GPU its WebGPU adapter is SwiftShader; on Linux
 *   with a GPU, CHROMIUM_GPU_FLAGS give it the GPU through ANGLE's Vulkan (without them:
 *   SwiftShader; with `--use-vulkan=native`: no adapter).
 * - Firefox: over WebDriver BiDi, WebGPU switched on by preference (FIREFOX_PREFS). Without a GPU
 *   its adapter is the machine's Vulkan driver (lavapipe here); it tells nothing of it (adapter
 *   info all empty).
 */
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import type { LaunchOptions } from 'puppeteer-core';
import { UsageError } from '../errors.ts';
import { isBrowserRuntime, type BrowserRuntime } from '../gpu/runtime.ts';

interface BrowserKind {
  /** Where the environment names one. */
  env: string;
  /** Where a system keeps one, looked at in this order. */
  system: readonly string[];
  /** How to get one, for the message when none is found. */
  install: string;
}

const BROWSERS: Record<BrowserRuntime, BrowserKind> = {
  chromium: {
    env: 'LAUNCHBENCH_CHROMIUM',
    system: [
      '/usr/bin/chromium-headless-shell',
      '/usr/lib/chromium/headless_shell',
      '/usr/bin/chromium',
      '/usr/bin/chromium-browser',
      '/usr/bin/google-chrome-stable',
      '/usr/bin/google-chrome',
      '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
      '/Applications/Chromium.app/Contents/MacOS/Chromium',
    ],
    install: 'sudo bash scripts/install-chromium.sh installs one (Debian)',
  },
  firefox: {
    env: 'LAUNCHBENCH_FIREFOX',
    system: [
      '/usr/bin/firefox-esr',
      '/usr/bin/firefox',
      '/usr/lib/firefox-esr/firefox-esr',
      '/usr/lib/firefox/firefox',
      '/Applications/Firefox.app/Contents/MacOS/firefox',
      '/Applications/Firefox Nightly.app/Contents/MacOS/firefox',
    ],
    install: 'sudo bash scripts/install-firefox.sh installs one (Debian)',
  },
};

/** Whether `path` is a file this process may run. */
function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** `--browser` names a browser for a browser runtime only: else a UsageError. */
export function checkBrowserFlag(runtime: string | undefined, given: string | undefined): void {
  if (given !== undefined && !isBrowserRuntime(runtime))
    throw new UsageError('--browser: only with --runtime chromium or firefox');
}

/**
 * The browser to run: --browser's, else its environment variable, else the system's. One that is
 * named but missing, or none at all, is a UsageError saying how to get one.
 */
export function findBrowser(kind: BrowserRuntime, given: string | undefined): string {
  const { env, system, install } = BROWSERS[kind];
  for (const [source, path] of [
    ['--browser', given],
    [env, process.env[env]],
  ] as const) {
    if (path === undefined || path === '') continue;
    if (!executable(path)) throw new UsageError(`${source} ${path}: no such executable file`);
    return path;
  }
  const found = system.find(executable);
  if (found !== undefined) return found;
  throw new UsageError(
    `--runtime ${kind}: no ${kind === 'chromium' ? 'Chromium' : 'Firefox'} found; ${install}, or name one with --browser PATH or ${env}`,
  );
}

/** What every Chromium launch passes: no chatter to the network, WebGPU on, V8's gc() for the harness. */
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

/** On Linux with a GPU: Chromium's WebGPU adapter through ANGLE's Vulkan (else SwiftShader). */
const CHROMIUM_GPU_FLAGS = [
  '--enable-gpu',
  '--use-gl=angle',
  '--use-angle=vulkan',
  '--enable-features=Vulkan,VulkanFromANGLE,DefaultANGLEVulkan',
  '--disable-gpu-sandbox',
];

/**
 * Firefox's preferences: WebGPU on where a release leaves it off (Linux), its blocklist ignored (it
 * refuses software adapters and some drivers), and nothing fetched from the network.
 */
const FIREFOX_PREFS: Record<string, unknown> = {
  'dom.webgpu.enabled': true,
  'gfx.webgpu.ignore-blocklist': true,
  'app.update.enabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
};

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

/** The flags a Chromium launch passes on this machine. */
export function chromiumFlags(): string[] {
  const root = process.getuid?.() === 0;
  return [
    ...CHROMIUM_FLAGS,
    ...(root ? ['--no-sandbox'] : []),
    ...(linuxGpu() ? CHROMIUM_GPU_FLAGS : []),
  ];
}

/**
 * puppeteer's headless mode for a Chromium `executable`: the old headless ('shell') for a headless
 * shell (chromium-headless-shell), Chromium's own headless mode for a full browser (whose binary
 * no longer has the old one).
 */
export const headlessMode = (executable: string): true | 'shell' =>
  /headless/i.test(executable) ? 'shell' : true;

/**
 * puppeteer-core's launch options for `executable` of `kind`, headless, and what context.json
 * records of how it was started (Chromium's flags; Firefox's preferences, as `name=value`).
 */
export function launchOptions(
  kind: BrowserRuntime,
  executable: string,
): { options: LaunchOptions; flags: string[] } {
  if (kind === 'firefox') {
    return {
      options: {
        browser: 'firefox',
        executablePath: executable,
        headless: true,
        extraPrefsFirefox: FIREFOX_PREFS,
      },
      flags: Object.entries(FIREFOX_PREFS).map(([name, value]) => `${name}=${String(value)}`),
    };
  }
  const flags = chromiumFlags();
  return {
    options: { executablePath: executable, headless: headlessMode(executable), args: flags },
    flags,
  };
}
