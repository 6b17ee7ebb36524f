/**
 * The Chromium of `bench --runtime chromium` (src/commands/chromium.ts) and the flags it is started
 * with; apart, so that `bench` checks the browser before any work without loading the page's
 * server and bundler.
 */
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { UsageError } from '../errors.ts';

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

/**
 * puppeteer's headless mode for `executable`: the old headless ('shell') for a headless shell
 * (chromium-headless-shell), Chromium's own headless mode for a full browser (whose binary no
 * longer has the old one).
 */
export const headlessMode = (executable: string): true | 'shell' =>
  /headless/i.test(executable) ? 'shell' : true;
