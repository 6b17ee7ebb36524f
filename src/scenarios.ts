/**
 * Named scenarios: a published experiment reproduced as one fixed case set, every strategy side by
 * side. A scenario is a profile with a source: `scenarioProfile()` turns it into the same shape
 * as src/profiles.ts's profiles, so `bench --scenario NAME` runs it the way `--profile` runs a
 * profile (explicit axis flags still override it).
 *
 *   cuda-graphs-blog   NVIDIA's "Getting Started with CUDA Graphs" (Alan Gray, 2019):
 *                      20 kernels out[i] = 1.23 * in[i] over 500 000 floats per step
 */
import { PROFILES, type Profile } from './profiles.ts';

export interface Scenario {
  name: string;
  /** One line for `list`. */
  description: string;
  /** Where the setup comes from, and what maps to what. */
  source: string;
  /** How strategies stand for something in the source (those without a counterpart need none). */
  mapping: Partial<Record<string, string>>;
  /** Strategy ids, or 'all'. */
  strategies: string[] | 'all';
  workloads: string[];
  elements: number[];
  kernels: number[];
  intensity: number[];
  workgroupSize: number[];
  /** Sampling like this profile's. */
  samplingLike: string;
}

export const SCENARIOS: Record<string, Scenario> = {
  'cuda-graphs-blog': {
    name: 'cuda-graphs-blog',
    description:
      "NVIDIA's CUDA-graphs blog experiment: 20 kernels out = 1.23 * in over 500 000 floats, every strategy",
    source: [
      'https://developer.nvidia.com/blog/cuda-graphs/ ("Getting Started with CUDA Graphs", 2019):',
      'shortKernel out_d[i] = 1.23 * in_d[i] over N = 500 000 floats ("tuned such that the kernel',
      'takes a few microseconds"), NKERNEL = 20 kernels per step, 1000 steps, 512 threads per block;',
      'time per kernel with a stream sync after every launch, with one sync per step, and with the',
      "step's 20 launches captured once as a graph and replayed. Here: workload scale, N = 500 000,",
      'K = 20, intensity 0 (one multiply per element and kernel: the blog kernel). Each wall sample',
      'is one step of 20 kernels. Differences: the kernels run in place (kernel k reads what k-1',
      'wrote; in the blog all 20 read in_d and write out_d, ordered only by the stream), so fused',
      'and persistent do the same 20 multiplies per element; 256 threads per workgroup instead of',
      "512, because 256 is WebGPU's default maxComputeInvocationsPerWorkgroup (1954 workgroups",
      'against 977 blocks). Float results are checked against an f32 CPU reference within',
      '((1+2^-24)/(1-2^-24))^20 - 1 ≈ 2.4e-6 relative (src/workloads/scale.ts, scaleTolerance).',
    ].join(' '),
    mapping: {
      'submit-wait': 'launch + cudaStreamSynchronize after each kernel (the blog baseline)',
      'submit-each': 'stream launches, one sync per step (a submit per kernel, one wait)',
      'pass-each': 'stream launches batched into one command buffer, a pass per kernel',
      'dispatch-each': 'stream launches batched into one pass (the cheapest one-by-one form)',
      prerecorded:
        'graph replay: the step encoded before the timer, timed = submit + wait; encoding reported apart as the instantiation cost a replayable graph would amortise',
      'prerecorded-passes': 'graph replay, a pass per kernel',
      indirect: 'device-side launch sizes (no counterpart in the blog)',
      fused: 'one kernel doing all 20 multiplies (what a graph cannot do: no launches at all)',
      persistent: 'one persistent kernel pulling chunks from a ticket queue',
    },
    strategies: 'all',
    workloads: ['scale'],
    elements: [500_000],
    kernels: [20],
    intensity: [0],
    workgroupSize: [256],
    samplingLike: 'default',
  },
};

/** The scenario as a profile (src/profiles.ts), for the CLI's plan; undefined if unknown. */
export function scenarioProfile(name: string): Profile | undefined {
  const scenario = SCENARIOS[name];
  if (scenario === undefined) return undefined;
  const like = PROFILES[scenario.samplingLike];
  if (like === undefined) {
    throw new Error(`scenario ${name}: sampling profile '${scenario.samplingLike}' is unknown`);
  }
  return {
    name: scenario.name,
    description: scenario.description,
    workloads: [...scenario.workloads],
    elements: [...scenario.elements],
    kernels: [...scenario.kernels],
    intensity: [...scenario.intensity],
    workgroupSize: [...scenario.workgroupSize],
    sampling: { ...like.sampling },
  };
}

/** The scenario's strategies as `--strategies` takes them ('all' or a comma-separated list). */
export function scenarioStrategies(name: string): string | undefined {
  const scenario = SCENARIOS[name];
  if (scenario === undefined) return undefined;
  return scenario.strategies === 'all' ? 'all' : scenario.strategies.join(',');
}
