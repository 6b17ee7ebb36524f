/**
 * The anatomy of a launch (`launchbench anatomy`; docs/design.md, Anatomy): every WebGPU call the
 * one-by-one strategies make, timed on its own with the host clock around it, in the chains those
 * strategies run, beside the strategies themselves on the same program, so that the parts can be
 * added up against the whole:
 * - `submit-each`: per kernel createCommandEncoder, beginComputePass, setPipeline, setBindGroup,
 *   dispatchWorkgroups, end, finish, submit; one completion wait at the end;
 * - `dispatch-each`: one encoder and one pass; per kernel setBindGroup and dispatchWorkgroups
 *   (setPipeline only where the pipeline changes, as src/strategies/encode.ts does); end, finish,
 *   submit, one wait;
 * and the calls a launch may add, each on its own: timestampWrites on a pass, one submit of many
 * command buffers, a small writeBuffer, a completion wait on an idle queue (onSubmittedWorkDone,
 * mapAsync of a small buffer, onSubmittedWorkDone nudged by empty submits: --completion nudged),
 * and a round trip (one dispatch submitted and awaited: the first after those waits, one awaited
 * nudged, and the median of 16 made one after another).
 *
 * A part's time includes one read of the clock, measured apart (`clockNs`) and taken off. Laps
 * cost a little more than the calls alone: the strategy's own figure is the whole, and `rest`
 * (whole − sum of parts) says how far the parts are from it. Measurement only: nothing prints.
 */
import { nowNs } from '../stats/clock.ts';
import { nudgedWorkDone, submittedWorkDone } from '../strategies/completion.ts';
import { dispatchEach } from '../strategies/dispatch-each.ts';
import { submitEach } from '../strategies/submit-each.ts';
import type { Dispatch, Program } from '../workloads/types.ts';

/** The chains and extras measured; a part is one call (or one group of calls) of one of them. */
export type AnatomyChain = 'submit-each' | 'dispatch-each' | 'extra';

/** One part's time per call, in one round (the median of the round's samples), ns. */
type PartTimes = Record<string, number>;

export interface AnatomyPart {
  chain: AnatomyChain;
  part: string;
  /** How many times a kernel of the chain makes this call (1/K for once per execution). */
  callsPerKernel: number;
  /** The median over the rounds of the per-call time, µs, and the rounds' lowest and highest. */
  usPerCall: number;
  usPerCallMin: number;
  usPerCallMax: number;
}

export interface AnatomyWhole {
  chain: 'submit-each' | 'dispatch-each';
  /** The strategy's own wall time per kernel, median over the rounds, µs (no laps). */
  usPerKernel: number;
  usPerKernelMin: number;
  usPerKernelMax: number;
}

export interface Anatomy {
  kernels: number;
  rounds: number;
  samplesPerRound: number;
  /** What one clock read costs, ns (taken off every part). */
  clockNs: number;
  parts: AnatomyPart[];
  wholes: AnatomyWhole[];
}

export interface AnatomyOptions {
  kernels: number;
  rounds: number;
  samplesPerRound: number;
  /** A recorder-free timestampWrites for a pass: the timestamp variant is measured when given. */
  timestampWrites?: () => GPUComputePassTimestampWrites;
  /** Told as each round starts (0-based): progress, and a page's sign of life. */
  onRound?: (round: number) => void;
}

/** A stopwatch of consecutive laps: each lap's time goes to the named part. */
class Laps {
  readonly ns: PartTimes = {};
  private last = nowNs();

  lap(part: string): void {
    const now = nowNs();
    this.ns[part] = (this.ns[part] ?? 0) + (now - this.last);
    this.last = now;
  }
}

/** What a lap costs with nothing in it, ns: the median of many empty laps. */
function clockCostNs(): number {
  const laps = new Laps();
  const each: number[] = [];
  for (let i = 0; i < 2001; i++) {
    const before = laps.ns['empty'] ?? 0;
    laps.lap('empty');
    if (i > 0) each.push((laps.ns['empty'] ?? 0) - before);
  }
  return median(each);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function dispatch(pass: GPUComputePassEncoder, d: Dispatch): void {
  const [x, y, z] = d.workgroups;
  if (y === 1 && z === 1) pass.dispatchWorkgroups(x);
  else pass.dispatchWorkgroups(x, y, z);
}

/** One execution of `submit-each`'s host loop, lapped call by call (per-call ns totals). */
async function submitEachChain(
  device: GPUDevice,
  dispatches: readonly Dispatch[],
  timestampWrites: (() => GPUComputePassTimestampWrites) | undefined,
): Promise<PartTimes> {
  const laps = new Laps();
  for (const d of dispatches) {
    const encoder = device.createCommandEncoder();
    laps.lap('createCommandEncoder');
    const pass =
      timestampWrites === undefined
        ? encoder.beginComputePass()
        : encoder.beginComputePass({ timestampWrites: timestampWrites() });
    laps.lap(timestampWrites === undefined ? 'beginComputePass' : 'beginComputePass+timestamps');
    pass.setPipeline(d.pipeline);
    laps.lap('setPipeline');
    pass.setBindGroup(0, d.bindGroup, d.dynamicOffsets);
    laps.lap('setBindGroup');
    dispatch(pass, d);
    laps.lap('dispatchWorkgroups');
    pass.end();
    laps.lap('end');
    const commands = encoder.finish();
    laps.lap('finish');
    device.queue.submit([commands]);
    laps.lap('submit');
  }
  await device.queue.onSubmittedWorkDone();
  laps.lap('onSubmittedWorkDone');
  return laps.ns;
}

/** One execution of `dispatch-each`'s host loop, lapped call by call. */
async function dispatchEachChain(
  device: GPUDevice,
  dispatches: readonly Dispatch[],
): Promise<PartTimes> {
  const laps = new Laps();
  const encoder = device.createCommandEncoder();
  laps.lap('createCommandEncoder');
  const pass = encoder.beginComputePass();
  laps.lap('beginComputePass');
  let pipeline: GPUComputePipeline | undefined;
  for (const d of dispatches) {
    if (d.pipeline !== pipeline) {
      pass.setPipeline(d.pipeline);
      pipeline = d.pipeline;
      laps.lap('setPipeline');
    }
    pass.setBindGroup(0, d.bindGroup, d.dynamicOffsets);
    laps.lap('setBindGroup');
    dispatch(pass, d);
    laps.lap('dispatchWorkgroups');
  }
  pass.end();
  laps.lap('end');
  const commands = encoder.finish();
  laps.lap('finish');
  device.queue.submit([commands]);
  laps.lap('submit');
  await device.queue.onSubmittedWorkDone();
  laps.lap('onSubmittedWorkDone');
  return laps.ns;
}

/** A command buffer of one pass of dispatch `d`. */
function oneDispatch(device: GPUDevice, d: Dispatch): GPUCommandBuffer {
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(d.pipeline);
  pass.setBindGroup(0, d.bindGroup, d.dynamicOffsets);
  dispatch(pass, d);
  pass.end();
  return encoder.finish();
}

/** The extras, each per call: one submit of K command buffers, writeBuffer, idle waits, round trip. */
async function extras(device: GPUDevice, dispatches: readonly Dispatch[]): Promise<PartTimes> {
  const first = dispatches[0];
  if (first === undefined) return {};
  const buffers = dispatches.map(() => oneDispatch(device, first));
  const small = device.createBuffer({
    size: 16,
    usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.STORAGE,
  });
  const readback = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ });
  const word = new Uint32Array(4);
  const nudged = nudgedWorkDone(device);
  try {
    await device.queue.onSubmittedWorkDone();
    const laps = new Laps();
    device.queue.submit(buffers);
    laps.lap('submit, one of K command buffers');
    await device.queue.onSubmittedWorkDone();
    laps.lap('skip');
    for (let i = 0; i < dispatches.length; i++) device.queue.writeBuffer(small, 0, word);
    laps.lap('writeBuffer, 16 bytes');
    await device.queue.onSubmittedWorkDone();
    laps.lap('skip');
    await device.queue.onSubmittedWorkDone();
    laps.lap('onSubmittedWorkDone, idle queue');
    await readback.mapAsync(GPUMapMode.READ);
    readback.unmap();
    laps.lap('mapAsync + unmap, idle buffer');
    await nudged.wait();
    laps.lap('onSubmittedWorkDone nudged, idle queue');
    const one = oneDispatch(device, first);
    laps.lap('skip');
    device.queue.submit([one]);
    await device.queue.onSubmittedWorkDone();
    laps.lap(ROUND_TRIP_FIRST);
    const again = oneDispatch(device, first);
    laps.lap('skip');
    device.queue.submit([again]);
    await nudged.wait();
    laps.lap('round trip nudged, one dispatch');
    // Per call: the K-call batches divided by K.
    const k = dispatches.length;
    const ns = laps.ns;
    for (const batch of BATCHED) ns[batch] = (ns[batch] ?? 0) / k;
    delete ns['skip'];
    ns[ROUND_TRIP_REPEATED] = await repeatedRoundTrips(device, first);
    return ns;
  } finally {
    nudged.destroy();
    small.destroy();
    readback.destroy();
  }
}

/**
 * The round trip two ways. The first after the extras' waits on an idle queue: on the H200 it
 * took 2.8 ms under Node (2767–2791 µs over five rounds) where `submit-wait`'s round trips, one
 * after another, take 40–60 µs (results/20261205T024333Z-nvidia-h200-anatomy-node-1, before a
 * nudged idle wait was timed ahead of it, 2026-12-05); and the
 * median of ROUND_TRIPS one right after another, as a loop that reads every result back makes them.
 */
const ROUND_TRIP_FIRST = 'round trip after the idle waits, one dispatch';
const ROUND_TRIP_REPEATED = 'round trip, one after another (median of 16), one dispatch';
const ROUND_TRIPS = 16;

/** The median wall time of ROUND_TRIPS one-dispatch round trips made one right after another, ns. */
async function repeatedRoundTrips(device: GPUDevice, first: Dispatch): Promise<number> {
  const each: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const buffer = oneDispatch(device, first);
    const t0 = nowNs();
    device.queue.submit([buffer]);
    await device.queue.onSubmittedWorkDone();
    each.push(nowNs() - t0);
  }
  return median(each);
}

/** A shader of four bind groups, each one storage buffer: for setBindGroup's variants. */
const FOUR_GROUPS_WGSL = `
@group(0) @binding(0) var<storage, read_write> a: array<u32>;
@group(1) @binding(0) var<storage, read> b: array<u32>;
@group(2) @binding(0) var<storage, read> c: array<u32>;
@group(3) @binding(0) var<storage, read> d: array<u32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) {
  if (g.x < arrayLength(&a)) { a[g.x] = a[g.x] + b[0] + c[0] + d[0]; }
}`;

/** Two pipelines on FOUR_GROUPS_WGSL, group 0 static or with a dynamic offset, and their groups. */
interface BindGroupRig {
  pipeline: GPUComputePipeline;
  groups: GPUBindGroup[];
  dynamicPipeline: GPUComputePipeline;
  dynamicGroup: GPUBindGroup;
  buffers: GPUBuffer[];
}

function bindGroupRig(device: GPUDevice): BindGroupRig {
  const module = device.createShaderModule({ code: FOUR_GROUPS_WGSL });
  const layoutOf = (type: GPUBufferBindingType, dynamic: boolean): GPUBindGroupLayout =>
    device.createBindGroupLayout({
      entries: [
        {
          binding: 0,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type, hasDynamicOffset: dynamic },
        },
      ],
    });
  const buffers = [0, 1, 2, 3].map(() =>
    device.createBuffer({ size: 256, usage: GPUBufferUsage.STORAGE }),
  );
  const readOnly = [1, 2, 3].map(() => layoutOf('read-only-storage', false));
  const pipelineWith = (first: GPUBindGroupLayout): GPUComputePipeline =>
    device.createComputePipeline({
      layout: device.createPipelineLayout({ bindGroupLayouts: [first, ...readOnly] }),
      compute: { module, entryPoint: 'main' },
    });
  const groupOf = (layout: GPUBindGroupLayout, i: number): GPUBindGroup =>
    device.createBindGroup({
      layout,
      entries: [{ binding: 0, resource: { buffer: buffers[i] as GPUBuffer, size: 64 } }],
    });
  const first = layoutOf('storage', false);
  const dynamicFirst = layoutOf('storage', true);
  return {
    pipeline: pipelineWith(first),
    groups: [groupOf(first, 0), ...readOnly.map((layout, i) => groupOf(layout, i + 1))],
    dynamicPipeline: pipelineWith(dynamicFirst),
    dynamicGroup: groupOf(dynamicFirst, 0),
    buffers,
  };
}

/**
 * setBindGroup's variants, per call, each over K dispatches of one pass: one group changed per
 * dispatch (the others set once), all four changed, and one group with a dynamic offset.
 */
async function bindGroupVariants(
  device: GPUDevice,
  rig: BindGroupRig,
  kernels: number,
): Promise<PartTimes> {
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  const variants = [
    {
      part: 'setBindGroup, 1 of 4 groups per dispatch',
      pipeline: rig.pipeline,
      each: [0],
      dynamic: false,
    },
    {
      part: 'setBindGroup, 4 of 4 groups per dispatch',
      pipeline: rig.pipeline,
      each: [0, 1, 2, 3],
      dynamic: false,
    },
    {
      part: 'setBindGroup with a dynamic offset',
      pipeline: rig.dynamicPipeline,
      each: [0],
      dynamic: true,
    },
  ];
  const ns: PartTimes = {};
  for (const v of variants) {
    pass.setPipeline(v.pipeline);
    for (let g = 0; g < 4; g++)
      if (g === 0 && v.dynamic) pass.setBindGroup(0, rig.dynamicGroup, [0]);
      else pass.setBindGroup(g, rig.groups[g] ?? null);
    const laps = new Laps();
    for (let k = 0; k < kernels; k++) {
      for (const g of v.each)
        if (v.dynamic) pass.setBindGroup(0, rig.dynamicGroup, [0]);
        else pass.setBindGroup(g, rig.groups[g] ?? null);
      laps.lap(v.part);
      pass.dispatchWorkgroups(1);
      laps.lap('skip');
    }
    ns[v.part] = (laps.ns[v.part] ?? 0) / (kernels * v.each.length);
  }
  pass.end();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  return ns;
}

/** The strategies whose host loops the chains take apart. */
export const WHOLES = { 'submit-each': submitEach, 'dispatch-each': dispatchEach } as const;

/** The strategy's own execution, wall ns per kernel (no laps): the whole the parts add up to. */
async function wholeNsPerKernel(
  device: GPUDevice,
  program: Program,
  chain: 'submit-each' | 'dispatch-each',
): Promise<number> {
  const execution = WHOLES[chain].prepare(device, program, submittedWorkDone(device));
  program.beforeExecution?.();
  const t0 = nowNs();
  await execution.execute();
  const wall = nowNs() - t0;
  execution.destroy?.();
  return wall / program.dispatches.length;
}

/** Extras timed as one batch of K calls: a lap's clock read is shared by K of them. */
const BATCHED = new Set(['submit, one of K command buffers', 'writeBuffer, 16 bytes']);

/** The share of one lap's clock read that falls on one call of `part`. */
function lapShare(part: string, kernels: number): number {
  if (BATCHED.has(part)) return 1 / kernels;
  return part === 'setBindGroup, 4 of 4 groups per dispatch' ? 1 / 4 : 1;
}

/** Per-call times of the parts of one sample of `chain`: its totals over the calls it made. */
function perCall(totals: PartTimes, kernels: number, calls: (part: string) => number): PartTimes {
  return Object.fromEntries(
    Object.entries(totals).map(([part, ns]) => [part, ns / Math.max(1, calls(part) * kernels)]),
  );
}

/** Calls per kernel of a part of `chain` (per-kernel calls 1, once-per-execution calls 1/K). */
export function callsPerKernel(chain: AnatomyChain, part: string, kernels: number): number {
  if (chain === 'extra') return 1;
  const perKernel =
    chain === 'submit-each'
      ? part !== 'onSubmittedWorkDone'
      : part === 'setBindGroup' || part === 'dispatchWorkgroups';
  return perKernel ? 1 : 1 / kernels;
}

/**
 * Measures the anatomy on `program` (K dispatches: a workload's steps): `rounds` rounds, each
 * taking `samplesPerRound` samples of every chain, the extras and the two strategies, in turn.
 */
export async function measureAnatomy(
  device: GPUDevice,
  program: Program,
  options: AnatomyOptions,
): Promise<Anatomy> {
  const clockNs = clockCostNs();
  const rig = bindGroupRig(device);
  try {
    return await anatomyRounds(device, program, options, rig, clockNs);
  } finally {
    for (const buffer of rig.buffers) buffer.destroy();
  }
}

/** The rounds of measureAnatomy, and their summary. */
async function anatomyRounds(
  device: GPUDevice,
  program: Program,
  options: AnatomyOptions,
  rig: BindGroupRig,
  clockNs: number,
): Promise<Anatomy> {
  const { dispatches } = program;
  const kernels = dispatches.length;
  const byRound: { chain: AnatomyChain; times: PartTimes }[][] = [];
  const wholeByRound: Record<'submit-each' | 'dispatch-each', number[]> = {
    'submit-each': [],
    'dispatch-each': [],
  };
  for (let round = 0; round < options.rounds; round++) {
    options.onRound?.(round);
    const samples: { chain: AnatomyChain; times: PartTimes }[] = [];
    const wholes: Record<'submit-each' | 'dispatch-each', number[]> = {
      'submit-each': [],
      'dispatch-each': [],
    };
    for (let s = 0; s < options.samplesPerRound; s++) {
      const calls = (chain: AnatomyChain) => (part: string) => callsPerKernel(chain, part, kernels);
      samples.push({
        chain: 'submit-each',
        times: perCall(
          await submitEachChain(device, dispatches, undefined),
          kernels,
          calls('submit-each'),
        ),
      });
      if (options.timestampWrites !== undefined) {
        const stamped = await submitEachChain(device, dispatches, options.timestampWrites);
        const key = 'beginComputePass+timestamps';
        samples.push({ chain: 'extra', times: { [key]: (stamped[key] ?? 0) / kernels } });
      }
      samples.push({
        chain: 'dispatch-each',
        times: perCall(
          await dispatchEachChain(device, dispatches),
          kernels,
          calls('dispatch-each'),
        ),
      });
      samples.push({ chain: 'extra', times: await extras(device, dispatches) });
      samples.push({ chain: 'extra', times: await bindGroupVariants(device, rig, kernels) });
      for (const chain of ['submit-each', 'dispatch-each'] as const)
        wholes[chain].push(await wholeNsPerKernel(device, program, chain));
    }
    byRound.push(samples);
    for (const chain of ['submit-each', 'dispatch-each'] as const)
      wholeByRound[chain].push(median(wholes[chain]));
  }
  return {
    kernels,
    rounds: options.rounds,
    samplesPerRound: options.samplesPerRound,
    clockNs,
    parts: summariseParts(byRound, clockNs, kernels),
    wholes: (['submit-each', 'dispatch-each'] as const).map((chain) => {
      const us = wholeByRound[chain].map((ns) => ns / 1000);
      return {
        chain,
        usPerKernel: median(us),
        usPerKernelMin: Math.min(...us),
        usPerKernelMax: Math.max(...us),
      };
    }),
  };
}

/** Each part's median per call within a round, then over the rounds (with their range), µs. */
function summariseParts(
  byRound: readonly (readonly { chain: AnatomyChain; times: PartTimes }[])[],
  clockNs: number,
  kernels: number,
): AnatomyPart[] {
  const keys = new Map<string, { chain: AnatomyChain; part: string }>();
  for (const round of byRound)
    for (const s of round)
      for (const part of Object.keys(s.times))
        keys.set(`${s.chain}\n${part}`, { chain: s.chain, part });
  return [...keys.values()].map(({ chain, part }) => {
    const roundMedians = byRound.map((round) =>
      median(
        round
          .filter((s) => s.chain === chain && s.times[part] !== undefined)
          .map((s) => Math.max(0, (s.times[part] ?? 0) - clockNs * lapShare(part, kernels))),
      ),
    );
    const us = roundMedians.map((ns) => ns / 1000);
    return {
      chain,
      part,
      callsPerKernel: callsPerKernel(chain, part, kernels),
      usPerCall: median(us),
      usPerCallMin: Math.min(...us),
      usPerCallMax: Math.max(...us),
    };
  });
}
