/**
 * Profiles: which cases a run holds and how long each may sample. Declared as data (nvbench's
 * axes): every list below is an axis, the run is their cross product × the selected strategies.
 *   quick    the headline at a glance: launch cost at a tiny size, K = 1, 100, 1000, and at a
 *            moderate size, K = 1, 100, in 5 rounds (about 25 s on the H200)
 *   default  `npm run bench`: the K sweep (for the fixed + per-kernel fit) and a size sweep
 *            (for the crossover where execution time overtakes launch overhead), in 6 rounds
 *            (under 3 min on an H200). The largest size is 4M elements: GPU-bound on any
 *            discrete GPU (16 MiB per kernel), and the sample floor of the K = 1000 row costs a
 *            quarter of what 16M would (20 executions × 9 strategies × ~60 ms there)
 *   full     wider sweeps, more intensity values, more rounds and a tighter noise target
 *   decode   one decode step of each model preset (issue 12), every strategy, in 5 rounds
 * Every profile keeps the sample floor of 10 (20 in full) samples of each kind per case; the
 * rounds share the per-case time (`maxTimeMs`) between them.
 */
import type { SamplingOptions } from './measure/run-case.ts';

export interface Profile {
  name: string;
  description: string;
  workloads: string[];
  elements: number[];
  kernels: number[];
  intensity: number[];
  workgroupSize: number[];
  /** Per-workload axes that replace the profile's (a smaller slice for the slower workloads). */
  /** A list of slices for one workload: the union of their cross products. */
  slices?: Record<string, Slice | Slice[]>;
  /** Workloads with presets (`decode`): which to run (default all). */
  presets?: string[];
  /** Measure the bandwidth reference (src/measure/bandwidth.ts) after the cases. */
  bandwidth?: boolean;
  /** Fresh processes the rounds are shared out over (src/commands/processes.ts); default 1. */
  processes?: number;
  sampling: SamplingOptions;
}

interface Slice {
  elements?: number[];
  kernels?: number[];
  intensity?: number[];
  workgroupSize?: number[];
}

export const STALL_TIMEOUT_MS = 60_000;
/**
 * `decode` runs 256-invocation workgroups (every lane on the 4 rows of a GEMV unit) in every profile that does
 * not name its own workgroup sizes on the command line (`--workgroup-size` applies to all).
 */
const DECODE_SLICE = { workgroupSize: [256] };

export const PROFILES: Record<string, Profile> = {
  quick: {
    name: 'quick',
    description: 'map at 64 elements, K = 1, 100, 1000, and at 65 536 elements, K = 1, 100',
    workloads: ['map'],
    elements: [64, 65536],
    kernels: [1, 100, 1000],
    intensity: [0],
    workgroupSize: [64],
    // 65 536 elements × K = 1000 left out: `indirect` alone spent 5–6 s of a 31 s quick run on
    // the H200 on it (Dawn validates each of its 1000 indirect dispatches).
    slices: {
      map: [
        { elements: [64], kernels: [1, 100, 1000] },
        { elements: [65536], kernels: [1, 100] },
      ],
      decode: DECODE_SLICE,
    },
    sampling: {
      rounds: 5,
      warmupMs: 50,
      minWarmup: 2,
      minSamples: 10,
      maxSamples: 150,
      maxTimeMs: 40,
      maxNoise: 0.05,
      stallTimeoutMs: STALL_TIMEOUT_MS,
    },
  },
  default: {
    name: 'default',
    description:
      'map: K sweep 1…1000 × sizes 64…4M (fit and crossover); stencil and independent at 64 and 64K elements, K = 10, 100',
    workloads: ['map', 'stencil', 'independent'],
    bandwidth: true,
    elements: [64, 4096, 65536, 1048576, 4194304],
    kernels: [1, 10, 100, 1000],
    intensity: [0],
    workgroupSize: [64],
    // The map sweep is the full cross product; the other workloads take this smaller slice.
    slices: {
      stencil: { elements: [64, 65536], kernels: [10, 100] },
      independent: { elements: [64, 65536], kernels: [10, 100] },
      decode: DECODE_SLICE,
    },
    sampling: {
      rounds: 6,
      warmupMs: 50,
      minWarmup: 3,
      minSamples: 10,
      maxSamples: 300,
      maxTimeMs: 160,
      maxNoise: 0.05,
      stallTimeoutMs: STALL_TIMEOUT_MS,
    },
  },
  full: {
    name: 'full',
    description: 'map, K sweep 1…4096, size sweep 1…64M, intensity 0/16/256',
    bandwidth: true,
    workloads: ['map'],
    elements: [1, 64, 1024, 16384, 262144, 4194304, 67108864],
    kernels: [1, 4, 16, 64, 256, 1024, 4096],
    intensity: [0, 16, 256],
    workgroupSize: [64, 256],
    slices: { decode: DECODE_SLICE },
    sampling: {
      rounds: 8,
      warmupMs: 300,
      minWarmup: 5,
      minSamples: 20,
      maxSamples: 1000,
      maxTimeMs: 3000,
      maxNoise: 0.02,
      stallTimeoutMs: STALL_TIMEOUT_MS,
    },
  },
  decode: {
    name: 'decode',
    description:
      'decode: one Llama-style decode step of each preset (tiny, gpt2-small, llama-1b), every strategy',
    workloads: ['decode'],
    bandwidth: true,
    // Unused by decode (each preset brings its layers and context); kept for the plan's shape.
    elements: [1],
    kernels: [1],
    intensity: [0],
    workgroupSize: [256],
    sampling: {
      rounds: 5,
      warmupMs: 50,
      minWarmup: 3,
      minSamples: 10,
      maxSamples: 300,
      maxTimeMs: 300,
      maxNoise: 0.05,
      stallTimeoutMs: STALL_TIMEOUT_MS,
    },
  },
};
