/**
 * Harness check: the suite's wall time per kernel against the hand-written loops of
 * bench/minimal-loops.ts (timed by tinybench), on the same device and the same case. The shared
 * GPU machines drift by tens of percent within seconds, so each strategy is measured in rounds of
 * an adjacent pair (harness then loop in even rounds, loop then harness in odd ones), the ratio
 * taken within each pair, and the median ratio over the rounds is the verdict.
 */
import { minimalLoops } from '../../bench/minimal-loops.ts';
import type { GpuContext } from '../gpu/context.ts';
import { STRATEGIES } from '../strategies/index.ts';
import { mapWorkload } from '../workloads/map.ts';
import { randomWords, seededRandom } from '../workloads/random.ts';
import type { CaseParams } from '../workloads/types.ts';
import { measureCase, type SamplingOptions } from './run-case.ts';
import { distribution } from './stats.ts';

export interface SelfCheckRow {
  strategy: string;
  elements: number;
  kernels: number;
  rounds: number;
  /** Medians over rounds of each round's median wall time per kernel, µs. */
  harnessUsPerKernel: number;
  minimalUsPerKernel: number;
  /** Median over rounds of harness / minimal: 1.05 = the harness reports 5% more. */
  ratio: number;
  ratioMin: number;
  ratioMax: number;
}

export interface SelfCheckOptions {
  elements: number;
  kernels: number;
  rounds: number;
  /** Sampling time of each side in each round, ms. */
  roundMs: number;
  stallTimeoutMs: number;
}

export const SELF_CHECK_DEFAULTS: SelfCheckOptions = {
  elements: 64,
  kernels: 1000,
  rounds: 15,
  roundMs: 150,
  stallTimeoutMs: 60_000,
};

/** The strategies bench/minimal-loops.ts writes out by hand. */
const CHECKED = ['submit-wait', 'submit-each', 'pass-each', 'dispatch-each'];

export async function selfCheck(
  ctx: GpuContext,
  options: SelfCheckOptions,
): Promise<SelfCheckRow[]> {
  const { elements, kernels } = options;
  const params: CaseParams = {
    elements,
    kernels,
    intensity: 0,
    workgroupSize: 64,
    persistentWorkgroups: 1,
  };
  const prepared = await mapWorkload.prepare(ctx.device, params, ctx.limits);
  const sampling: SamplingOptions = {
    warmupMs: 20,
    minWarmup: 2,
    minSamples: 3,
    maxSamples: 100_000,
    maxTimeMs: options.roundMs,
    // never stop early: both sides sample for the same time
    maxNoise: 0,
    stallTimeoutMs: options.stallTimeoutMs,
  };
  const input = randomWords(elements, seededRandom(1));
  const strategies = STRATEGIES.filter((s) => CHECKED.includes(s.id));
  const harness = new Map<string, number[]>();
  const minimal = new Map<string, number[]>();
  const push = (m: Map<string, number[]>, key: string, v: number): void => {
    m.set(key, [...(m.get(key) ?? []), v]);
  };
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const strategy of strategies) {
        const runHarness = async (): Promise<void> => {
          const { result } = await measureCase({
            ctx,
            workload: mapWorkload,
            strategy,
            params,
            prepared,
            input,
            expected: { values: new Uint32Array(0) },
            sampling,
            verify: false,
            timestamps: undefined,
            shouldStop: () => false,
          });
          if (result.status !== 'ok' || result.wallNs === null) {
            throw new Error(`self-check: ${strategy.id}: ${result.reason}`);
          }
          push(harness, strategy.id, result.wallNs.median / 1000 / kernels);
        };
        const runMinimal = async (): Promise<void> => {
          const [loop] = await minimalLoops(ctx.device, elements, kernels, options.roundMs, [
            strategy.id,
          ]);
          if (loop === undefined) throw new Error(`self-check: no minimal loop for ${strategy.id}`);
          push(minimal, strategy.id, loop.medianUsPerKernel);
        };
        if (round % 2 === 0) {
          await runHarness();
          await runMinimal();
        } else {
          await runMinimal();
          await runHarness();
        }
      }
    }
  } finally {
    prepared.destroy();
  }
  return strategies.map((s) => {
    const h = harness.get(s.id) ?? [];
    const m = minimal.get(s.id) ?? [];
    const ratios = h.map((v, i) => v / (m[i] ?? NaN));
    return {
      strategy: s.id,
      elements,
      kernels,
      rounds: options.rounds,
      harnessUsPerKernel: distribution(h).median,
      minimalUsPerKernel: distribution(m).median,
      ratio: distribution(ratios).median,
      ratioMin: Math.min(...ratios),
      ratioMax: Math.max(...ratios),
    };
  });
}
