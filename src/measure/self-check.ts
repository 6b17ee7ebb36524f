/**
 * Harness check: the harness's timed region (timedExecution: the strategy's execute() under the
 * watchdog, exactly what every wall sample times) against the hand-written loops of
 * src/measure/minimal-loops.ts, on the same device and the same case. The shared GPU machines drift by
 * tens of percent between processes and within seconds, so the two are not sampled in separate
 * blocks: single executions alternate (harness then loop, loop then harness, …), each pair gives a
 * ratio, and the median ratio over the pairs is the verdict — drift slower than one pair cancels.
 */
import { buildMinimalLoops } from './minimal-loops.ts';
import type { GpuContext } from '../gpu/context.ts';
import { STRATEGIES } from '../strategies/index.ts';
import { mapWorkload } from '../workloads/map.ts';
import type { CaseParams } from '../workloads/types.ts';
import { nowNs } from '../stats/clock.ts';
import { timedExecution } from './run-case.ts';
import { distribution } from '../stats/stats.ts';
import { submittedWorkDone } from '../strategies/completion.ts';

export interface SelfCheckRow {
  strategy: string;
  elements: number;
  kernels: number;
  /** Alternated (harness, hand-written) pairs measured after the warm-up. */
  pairs: number;
  /** Medians over the pairs, µs per kernel. */
  harnessUsPerKernel: number;
  minimalUsPerKernel: number;
  /** Median over the pairs of harness / hand-written: 1.05 = the harness reports 5% more. */
  ratio: number;
  ratioP10: number;
  ratioP90: number;
}

export interface SelfCheckOptions {
  elements: number;
  kernels: number;
  /** Time spent on each strategy's pairs, ms (at least minPairs, at most maxPairs). */
  budgetMs: number;
  minPairs: number;
  maxPairs: number;
  warmupPairs: number;
  stallTimeoutMs: number;
}

export const SELF_CHECK_DEFAULTS: SelfCheckOptions = {
  elements: 64,
  kernels: 1000,
  budgetMs: 3000,
  minPairs: 15,
  maxPairs: 400,
  warmupPairs: 5,
  stallTimeoutMs: 60_000,
};

/** The strategies src/measure/minimal-loops.ts writes out by hand. */
const CHECKED = ['submit-wait', 'submit-each', 'pass-each', 'dispatch-each'];

export async function selfCheck(
  ctx: GpuContext,
  options: SelfCheckOptions,
): Promise<SelfCheckRow[]> {
  const { elements, kernels } = options;
  const { device } = ctx;
  const params: CaseParams = {
    elements,
    kernels,
    intensity: 0,
    workgroupSize: 64,
    persistentWorkgroups: 1,
  };
  const prepared = await mapWorkload.prepare(device, params, ctx.limits);
  const minimal = buildMinimalLoops(device, elements, kernels);
  const rows: SelfCheckRow[] = [];
  try {
    const program = await prepared.program('steps');
    for (const strategy of STRATEGIES.filter((s) => CHECKED.includes(s.id))) {
      const loop = minimal.loops[strategy.id];
      if (loop === undefined)
        throw new Error(`self-check: no hand-written loop for ${strategy.id}`);
      const execution = strategy.prepare(device, program, submittedWorkDone(device));
      const harnessNs = async (): Promise<number> =>
        (await timedExecution(execution, undefined, options.stallTimeoutMs, strategy.id)).wallNs;
      const minimalNs = async (): Promise<number> => {
        const t0 = nowNs();
        await loop();
        return nowNs() - t0;
      };
      const harness: number[] = [];
      const hand: number[] = [];
      const end = nowNs() + options.budgetMs * 1e6;
      for (let pair = 0; ; pair++) {
        // Alternate which side goes first, so neither always follows the other.
        let h: number;
        let m: number;
        if (pair % 2 === 0) {
          h = await harnessNs();
          m = await minimalNs();
        } else {
          m = await minimalNs();
          h = await harnessNs();
        }
        if (pair >= options.warmupPairs) {
          harness.push(h);
          hand.push(m);
        }
        const measured = harness.length;
        if (measured >= options.maxPairs || (measured >= options.minPairs && nowNs() >= end)) break;
      }
      execution.destroy?.();
      const ratios = harness.map((h, i) => h / (hand[i] ?? NaN));
      const r = distribution(ratios);
      rows.push({
        strategy: strategy.id,
        elements,
        kernels,
        pairs: harness.length,
        harnessUsPerKernel: distribution(harness).median / 1000 / kernels,
        minimalUsPerKernel: distribution(hand).median / 1000 / kernels,
        ratio: r.median,
        ratioP10: r.p10,
        ratioP90: r.p90,
      });
    }
  } finally {
    minimal.destroy();
    prepared.destroy();
  }
  return rows;
}
