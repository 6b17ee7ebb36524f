/**
 * The GPU context: one Dawn instance, adapter and device, opened with the toggles the suite needs
 * and closed deterministically.
 *
 * Dawn pitfalls handled here (docs/design.md, Measurement):
 * - the object returned by `create()` must stay referenced while any device lives (dawn.node
 *   segfaults if it is collected): it is kept in `liveInstances` until `close()`;
 * - dawn.node busy-polls while a device exists and node will not exit: `close()` destroys it;
 * - toggles go in ONE `enable-dawn-features=` and ONE `disable-dawn-features=` entry (a second
 *   entry overwrites the first); `timestamp_quantization` is always disabled, or timestamps snap
 *   to 65.5 µs steps.
 */
import { create, globals } from 'webgpu';
import { DeviceLostError, NoAdapterError, UsageError, errorMessage } from '../errors.ts';
import { within } from '../stats/clock.ts';
import { isDawn, type RuntimeInfo } from './runtime.ts';

Object.assign(globalThis, globals);

export type Backend = 'vulkan' | 'metal' | 'd3d12' | 'd3d11' | 'opengl' | 'opengles' | 'null';
export const BACKENDS: readonly Backend[] = [
  'vulkan',
  'metal',
  'd3d12',
  'd3d11',
  'opengl',
  'opengles',
  'null',
];

export interface GpuOptions {
  /** Substring of the adapter's name (Dawn's `adapter=` flag). */
  adapter?: string;
  backend?: Backend;
  powerPreference?: GPUPowerPreference;
  /** Extra toggles, `name` to enable or `-name` (or `!name`) to disable. */
  dawnToggles?: readonly string[];
}

export interface DawnToggles {
  enabled: string[];
  disabled: string[];
}

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
}

/**
 * What a run records of its GPU (context.json, the run's id): the context's description, which
 * a measuring side in another process (a browser page, src/browser/) sends to the command line.
 * `runtime` and `gcWatched` default to this process's.
 */
export interface GpuDescription {
  readonly adapterInfo: AdapterDescription;
  readonly features: readonly string[];
  readonly limits: Record<string, number>;
  readonly toggles: DawnToggles;
  readonly instanceFlags: readonly string[];
  readonly backend: string;
  readonly hasTimestamps: boolean;
  /** The runtime whose WebGPU measured (a browser's, for a page). */
  readonly runtime?: RuntimeInfo;
  /** Whether samples that overlap a garbage collection could be left out there. */
  readonly gcWatched?: boolean;
}

/** Errors Dawn reported outside any error scope, collected so a case can fail on them. */
export interface GpuErrorLog {
  messages: string[];
}

export interface GpuContext {
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
  readonly adapterInfo: AdapterDescription;
  readonly features: string[];
  readonly limits: Record<string, number>;
  readonly toggles: DawnToggles;
  /** The exact flags passed to dawn.node's `create()`. */
  readonly instanceFlags: string[];
  readonly backend: string;
  readonly hasTimestamps: boolean;
  readonly errors: GpuErrorLog;
  /** Set once the device is lost (also when `close()` destroys it). */
  lost: GPUDeviceLostInfo | undefined;
  close(): void;
}

// dawn.node segfaults if the GPU object from create() is garbage-collected while a device lives.
const liveInstances = new Set<GPU>();

/** Always-on toggles: the suite's timing is wrong without them. */
const REQUIRED_DISABLED = ['timestamp_quantization'];

export function parseToggles(extra: readonly string[] = []): DawnToggles {
  const enabled = new Set<string>();
  const disabled = new Set<string>(REQUIRED_DISABLED);
  for (const raw of extra) {
    const name = raw.trim();
    if (name === '') continue;
    if (!/^[-!]?[a-z0-9_]+$/.test(name)) {
      throw new UsageError(
        `--dawn-toggles: '${raw}' is not a toggle name (lower-case letters, digits and '_', prefixed by '-' to disable)`,
      );
    }
    if (name.startsWith('-') || name.startsWith('!')) {
      const bare = name.slice(1);
      enabled.delete(bare);
      disabled.add(bare);
    } else {
      if (REQUIRED_DISABLED.includes(name)) {
        throw new UsageError(`--dawn-toggles: '${name}' must stay disabled for correct timestamps`);
      }
      disabled.delete(name);
      enabled.add(name);
    }
  }
  return { enabled: [...enabled].sort(), disabled: [...disabled].sort() };
}

export function instanceFlags(options: GpuOptions, toggles: DawnToggles): string[] {
  const flags: string[] = [];
  if (options.backend !== undefined) flags.push(`backend=${options.backend}`);
  if (options.adapter !== undefined) flags.push(`adapter=${options.adapter}`);
  if (options.powerPreference !== undefined)
    flags.push(`power-preference=${options.powerPreference}`);
  // One entry each: a second `enable-dawn-features=` would overwrite the first.
  if (toggles.enabled.length > 0) flags.push(`enable-dawn-features=${toggles.enabled.join(',')}`);
  if (toggles.disabled.length > 0)
    flags.push(`disable-dawn-features=${toggles.disabled.join(',')}`);
  return flags;
}

/** The limits the suite sizes its cases by; the device is created with the adapter's maxima. */
const LIMITS_USED = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxUniformBufferBindingSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupStorageSize',
  'maxStorageBuffersPerShaderStage',
  'maxDynamicUniformBuffersPerPipelineLayout',
  'minUniformBufferOffsetAlignment',
  'minStorageBufferOffsetAlignment',
] as const;

function limitsRecord(limits: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  // GPUSupportedLimits exposes its values as prototype getters, not own properties.
  let proto: object | null = Object.getPrototypeOf(limits) as object | null;
  const names = new Set<string>();
  while (proto !== null && proto !== Object.prototype) {
    for (const name of Object.getOwnPropertyNames(proto)) names.add(name);
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  for (const name of [...names].sort()) {
    const value: unknown = (limits as unknown as Record<string, unknown>)[name];
    if (typeof value === 'number') out[name] = value;
  }
  return out;
}

/** Dawn's adapter name as GPUAdapterInfo.device spells it: lower case, other runs as one '-'. */
function deviceSpelling(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

/**
 * The backend of adapter `device` (GPUAdapterInfo.device) in dawn.node's list of adapters (the
 * message it rejects with when no adapter matches its `adapter=` flag: lines
 * ` * backend: 'vulkan', name: 'NVIDIA H200'`). dawn.node enumerates one backend (the platform's,
 * or the one `backend=` names), so the entries agree; the entries whose name `device` was spelled
 * from decide if they do not. Undefined when the message lists none, or the list is ambiguous.
 */
export function backendFromListing(listing: string, device: string): string | undefined {
  const entries = [...listing.matchAll(/^ \* backend: '([^']+)', name: '(.*)'$/gm)].map((m) => ({
    backend: m[1] ?? '',
    device: deviceSpelling(m[2] ?? ''),
  }));
  const chosen = entries.filter((entry) => entry.device === device);
  const backends = new Set((chosen.length > 0 ? chosen : entries).map((entry) => entry.backend));
  return backends.size === 1 ? [...backends][0] : undefined;
}

/** How long the backend probe may take (it enumerates adapters once: ~0.1 s on lavapipe). */
const PROBE_BOUND_MS = 5000;
/** One probe per set of flags (a run that replaces its device opens again with the same flags). */
const probed = new Map<string, Promise<string | undefined>>();
/** The probes' instances, kept referenced: none is collected (and torn down) during a sample. */
const probeInstances = new Set<GPU>();

/**
 * The backend dawn.node chooses with `flags`, which its GPUAdapterInfo does not carry: a second
 * instance with the same flags and an adapter name no adapter has lists the adapters it
 * enumerated, each with its backend (the way dawn.node's README gives to list them), for
 * backendFromListing. Undefined when that cannot be read within PROBE_BOUND_MS.
 */
export function enumeratedBackend(
  flags: readonly string[],
  device: string,
): Promise<string | undefined> {
  const probeFlags = [
    ...flags.filter((flag) => !flag.startsWith('adapter=')),
    'adapter=launchbench: no adapter has this name',
  ];
  const key = `${probeFlags.join('\n')}\n${device}`;
  const known = probed.get(key);
  if (known !== undefined) return known;
  const probe = (async (): Promise<string | undefined> => {
    const gpu = create(probeFlags);
    probeInstances.add(gpu);
    let listing = '';
    const request = gpu.requestAdapter().then(
      () => undefined,
      (error: unknown) => {
        listing = errorMessage(error);
      },
    );
    if (!(await within(request, PROBE_BOUND_MS))) return undefined;
    return backendFromListing(listing, device);
  })();
  probed.set(key, probe);
  return probe;
}

export const NO_ADAPTER_HELP =
  "no WebGPU adapter found. Install your GPU's Vulkan driver, or on a machine without a GPU " +
  "Mesa's lavapipe CPU driver: sudo bash scripts/install-lavapipe.sh (Debian bookworm).";

export async function openGpu(options: GpuOptions = {}): Promise<GpuContext> {
  // Dawn's toggles and instance flags; wgpu (Deno) has neither.
  const toggles = isDawn() ? parseToggles(options.dawnToggles) : { enabled: [], disabled: [] };
  const flags = isDawn() ? instanceFlags(options, toggles) : [];
  const gpu = create(flags);
  liveInstances.add(gpu);
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter(
      options.powerPreference !== undefined ? { powerPreference: options.powerPreference } : {},
    );
  } catch (error) {
    liveInstances.delete(gpu);
    // Dawn throws with the list of available adapters when `adapter=` matches none.
    const detail = errorMessage(error).replace(/\s*\n\s*/g, '; ');
    throw new NoAdapterError(`no adapter matches the request (${detail})`);
  }
  if (adapter === null) {
    liveInstances.delete(gpu);
    throw new NoAdapterError(NO_ADAPTER_HELP);
  }
  // Before the device exists: the probe's instance then never overlaps its work.
  const backend =
    options.backend ??
    (isDawn() ? await enumeratedBackend(flags, adapter.info.device) : undefined) ??
    'unknown';
  const hasTimestamps = adapter.features.has('timestamp-query');
  const requiredLimits: Record<string, number> = {};
  for (const name of LIMITS_USED) {
    const value = (adapter.limits as unknown as Record<string, number | undefined>)[name];
    if (value !== undefined) requiredLimits[name] = value;
  }
  // subgroups where the adapter has them: decode's GEMV sums with them (src/workloads/decode/).
  const wanted: GPUFeatureName[] = ['timestamp-query', 'subgroups'];
  const device = await adapter.requestDevice({
    requiredFeatures: wanted.filter((feature) => adapter.features.has(feature)),
    requiredLimits,
  });
  const info = adapter.info;
  const context: GpuContext = {
    adapter,
    device,
    adapterInfo: {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      isFallbackAdapter:
        (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false,
    },
    features: [...adapter.features].sort(),
    limits: limitsRecord(device.limits),
    toggles,
    instanceFlags: flags,
    backend,
    hasTimestamps,
    errors: { messages: [] },
    lost: undefined,
    close() {
      device.destroy();
      liveInstances.delete(gpu);
    },
  };
  device.addEventListener('uncapturederror', (event) => {
    context.errors.messages.push(event.error.message);
  });
  void device.lost.then((info) => {
    context.lost = info;
  });
  return context;
}

/**
 * Runs `body` inside validation, out-of-memory and internal error scopes and throws the first
 * error any of them caught, so a bad case fails with Dawn's message instead of silently.
 */
export async function withErrorScopes<T>(
  device: GPUDevice,
  body: () => T | Promise<T>,
): Promise<T> {
  device.pushErrorScope('internal');
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: T;
  try {
    result = await body();
  } finally {
    const errors = [
      await device.popErrorScope(),
      await device.popErrorScope(),
      await device.popErrorScope(),
    ];
    const first = errors.find((e) => e !== null);
    if (first !== undefined && first !== null) {
      // eslint-disable-next-line no-unsafe-finally -- a GPU error outranks the body's result
      throw new Error(`GPU ${first.constructor.name}: ${first.message}`);
    }
  }
  return result;
}

/** The device's loss as an error, or undefined while the device lives. */
export function lostError(ctx: GpuContext): DeviceLostError | undefined {
  return ctx.lost === undefined
    ? undefined
    : new DeviceLostError(`device lost (${ctx.lost.reason}): ${ctx.lost.message}`);
}

/**
 * `error` as the device's loss when the device is lost, else `error` itself. Dawn rejects pending
 * work (an AbortError) before `device.lost` resolves, so this looks again after the event loop
 * has turned.
 */
export async function asDeviceLost(ctx: GpuContext, error: unknown): Promise<unknown> {
  if (error instanceof DeviceLostError) return error;
  if (ctx.lost === undefined) await new Promise((resolve) => setImmediate(resolve));
  return lostError(ctx) ?? error;
}

/** Devices whose queue never went idle, left alive rather than destroyed (see closeWhenIdle). */
const stuckDevices = new Set<GpuContext>();

/**
 * Closes `ctx` once its queue has gone idle, waiting at most `boundMs`. Destroying a device waits
 * for its queue, so a queue that never drains (a wedged GPU) would hang the process: such a
 * device is left alive instead, and the command line then ends the process itself
 * (`mustExitExplicitly`), since dawn.node keeps node running while a device exists.
 */
export async function closeWhenIdle(ctx: GpuContext, boundMs: number): Promise<void> {
  if (ctx.lost !== undefined) return ctx.close();
  const idle = await within(
    ctx.device.queue.onSubmittedWorkDone().catch(() => undefined),
    boundMs,
  );
  if (idle) ctx.close();
  else stuckDevices.add(ctx);
}

/** Whether a set-up was left running (a signal during it): a device may open after it ended. */
let setUpAbandoned = false;

/** A set-up is left running: whatever it opens late must not keep the process alive. */
export function abandonSetUp(): void {
  setUpAbandoned = true;
}

/**
 * Whether a device was left alive (closeWhenIdle) or a set-up abandoned: the process must then
 * exit explicitly.
 */
export const mustExitExplicitly = (): boolean => stuckDevices.size > 0 || setUpAbandoned;
