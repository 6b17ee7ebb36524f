/** context.json: everything needed to know what produced a run and to reproduce it. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { SCHEMA_VERSION } from './columns.ts';
import type { GpuDescription } from '../gpu/context.ts';
import { currentRuntime, isDawn } from '../gpu/runtime.ts';
import type { TimestampSelfTest } from '../gpu/timestamp-selftest.ts';
import type { ClockHoldStats } from '../gpu/clock-hold.ts';
import type { WarmupResult } from '../gpu/warmup.ts';
import { cpuClock, GcWatch } from '../measure/host-noise.ts';
import type { Calibration } from '../measure/calibrate.ts';
import type { TimestampCostRecord } from '../measure/timestamp-cost.ts';

function packageVersion(name: string): string | null {
  try {
    const url = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

/**
 * The commit that produced the run: git's, or LAUNCHBENCH_GIT_COMMIT where the tree arrived
 * without .git (the GPU machine: ../shared/gpu/pack.sh records the packed commit there).
 */
export function gitCommit(): string | null {
  const packed = process.env['LAUNCHBENCH_GIT_COMMIT'];
  if (packed !== undefined && packed !== '') return packed;
  try {
    const cwd = new URL('../..', import.meta.url);
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
    return dirty === '' ? commit : `${commit}+dirty`;
  } catch {
    return null;
  }
}

/** A file-name-safe slug of the adapter, for run ids. */
export function adapterSlug(ctx: Pick<GpuDescription, 'adapterInfo' | 'runtime'>): string {
  const { vendor, device, description } = ctx.adapterInfo;
  // NVIDIA's Vulkan driver puts its version in the description and the GPU's name in `device`;
  // wgpu (Deno) gives `device` as a PCI id, a number that names nothing.
  const named = /[a-z]/i.test(device) ? device : '';
  const name = named || description || vendor || 'adapter';
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  // A run on another runtime than Node's says so in its folder's name.
  const runtime = (ctx.runtime ?? currentRuntime()).name;
  return runtime === 'node' ? slug : `${slug}-${runtime}`;
}

export function runId(
  ctx: Pick<GpuDescription, 'adapterInfo' | 'runtime'>,
  date = new Date(),
): string {
  const stamp = date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${adapterSlug(ctx)}`;
}

export interface RunContextInput {
  runId: string;
  ctx: GpuDescription;
  selfTest: TimestampSelfTest;
  warmup: WarmupResult;
  /** The plan-fitting calibration and the per-case budget it was held to (null: none). */
  calibration: (Calibration & { caseBudgetMs: number }) | null;
  /**
   * What a timed pass costs the GPU (src/measure/timestamp-cost.ts), taken off per-pass GPU busy,
   * or why it was not measured.
   */
  timestampCost?: TimestampCostRecord | undefined;
  /** The clock hold's figures (src/gpu/clock-hold.ts), or why the run held no clock. */
  clockHold: ClockHoldStats | { off: string };
  /** Devices given up after a wedged queue and replaced (src/run.ts). */
  deviceReplacements?: readonly object[] | undefined;
  argv: readonly string[];
  options: object;
  startedAt: Date;
  finishedAt?: Date | undefined;
  interrupted?: boolean | undefined;
  deviceLost?: string | undefined;
  /** The unexpected error the run ended on, if it did. */
  error?: string | undefined;
  /**
   * A run measured in a browser page (src/browser/): the browser as this process found and
   * started it, and what the page said of itself (user agent, cross-origin isolation).
   */
  browser?: object | undefined;
}

/**
 * The variables that change what the measuring side does, with their values: the known faults
 * (LAUNCHBENCH_FAULT_*: src/measure/run-case.ts, src/run.ts), LAUNCHBENCH_FRESH_GROUPS (src/run.ts)
 * and decode's sums (LAUNCHBENCH_DECODE_SUMS). A measuring child inherits them, a page is sent them
 * (src/commands/browser-side.ts), and context.json names them (`diagnostics`), so that a run made
 * with one says so.
 */
export function measuringEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        /^LAUNCHBENCH_(FAULT_|FRESH_|DECODE_SUMS$)/.test(entry[0]) &&
        entry[1] !== undefined &&
        entry[1] !== '',
    ),
  );
}

export function runContext(input: RunContextInput): object {
  const { ctx } = input;
  const cpus = os.cpus();
  // Dawn in this process measured (not a browser's WebGPU, which only reports its adapter).
  const dawnHere = isDawn() && (ctx.runtime ?? currentRuntime()).name === currentRuntime().name;
  return {
    schemaVersion: SCHEMA_VERSION,
    runId: input.runId,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt?.toISOString() ?? null,
    complete:
      input.finishedAt !== undefined &&
      input.interrupted !== true &&
      input.deviceLost === undefined &&
      input.error === undefined,
    interrupted: input.interrupted ?? false,
    error: input.error ?? null,
    deviceLost: input.deviceLost ?? null,
    adapter: {
      ...ctx.adapterInfo,
      backend: ctx.backend,
      cpuDevice: ctx.adapterInfo.isFallbackAdapter,
    },
    features: ctx.features,
    limits: ctx.limits,
    runtime: ctx.runtime ?? currentRuntime(),
    ...(input.browser === undefined ? {} : { browser: input.browser }),
    // Dawn's own settings; null where the GPU is another runtime's (wgpu under Deno).
    dawn: dawnHere ? { instanceFlags: ctx.instanceFlags, toggles: ctx.toggles } : null,
    timestampSelfTest: input.selfTest,
    timestampCost: input.timestampCost ?? null,
    gpuWarmup: input.warmup,
    calibration: input.calibration,
    clockHold: input.clockHold,
    diagnostics: measuringEnv(),
    deviceReplacements: input.deviceReplacements ?? [],
    options: input.options,
    commandLine: input.argv,
    gitCommit: gitCommit(),
    packages: {
      webgpu: dawnHere ? packageVersion('webgpu') : null,
      tinybench: packageVersion('tinybench'),
      launchbench: packageVersion('..') ?? null,
    },
    // Deno answers process.version with the Node.js version it is compatible with: not a Node.js.
    node: dawnHere ? process.version : null,
    os: { platform: os.platform(), release: os.release(), arch: os.arch() },
    cpu: { ...cpuClock(), model: cpus[0]?.model ?? 'unknown', cores: cpus.length },
    // Whether samples taken during a garbage collection could be left out (the runtime reports them).
    gcWatched: ctx.gcWatched ?? GcWatch.supported(),
    hostname: os.hostname(),
  };
}
