/**
 * Run folders of simulated A/B runs, as compare reads them (summary.csv, rounds.csv,
 * context.json), and the two-state chain the simulated machines' host paths are made of. Shared by
 * test/compare-interleaved-ab.test.ts and test/compare-visit-turns.test.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { roundSummary } from '../../src/stats/stats.ts';

/**
 * A level that switches between two values, staying in each for an exponential time of the given
 * mean (seconds); starts in `fast` with probability 0.62. Ask it for times that only go forward.
 */
export function twoStatePath(
  u: () => number,
  level: { fast: number; slow: number },
  meanStayS: { fast: number; slow: number },
): (t: number) => number {
  let state: 'fast' | 'slow' = u() < 0.62 ? 'fast' : 'slow';
  let until = -Math.log(1 - u()) * meanStayS[state];
  return (t) => {
    while (t >= until) {
      state = state === 'fast' ? 'slow' : 'fast';
      until += -Math.log(1 - u()) * meanStayS[state];
    }
    return level[state];
  };
}

/** One simulated case of a run: `map`'s columns, its samples by round and each round's state. */
export interface SimulatedCase {
  strategy: string;
  elements: number;
  kernels: number;
  /** Wall µs per kernel, by round. */
  samples: readonly (readonly number[])[];
  /** The state probe's reading of each round's visit, ns. */
  statesNs: readonly number[];
}

const SUMMARY_HEADER =
  'workload,strategy,elements,kernels,intensity,workgroupSize,status,reason,enoughSamples,rounds,gpuRounds,wallUsPerKernel,wallUsPerKernelP10,wallUsPerKernelP90,wallRoundSpread,wallUsPerKernelLo95,wallUsPerKernelHi95';
const GPU_COLUMNS =
  ',gpuBusyUsPerKernel,gpuBusyRoundSpread,gpuBusyUsPerKernelLo95,gpuBusyUsPerKernelHi95';
const ROUNDS_HEADER =
  'workload,strategy,elements,kernels,intensity,workgroupSize,round,process,stateUs,wallUsPerKernel,gpuBusyUsPerKernel';

/**
 * Writes `dir` as a run of `cases` over `rounds` rounds (a process a round) with `context` as its
 * context.json; with `gpuBusy`, every case also has a constant GPU busy of 1 µs (spread 0.01).
 */
export function writeSimulatedRun(
  dir: string,
  cases: readonly SimulatedCase[],
  { rounds, context, gpuBusy }: { rounds: number; context: object; gpuBusy: boolean },
): void {
  const summary = [SUMMARY_HEADER + (gpuBusy ? GPU_COLUMNS : '')];
  const roundRows = [ROUNDS_HEADER];
  for (const c of cases) {
    const w = roundSummary(c.samples, c.statesNs);
    const key = `map,${c.strategy},${c.elements},${c.kernels},0,64`;
    const wall = [w.centre, w.centre, w.centre, w.spread, w.lo95, w.hi95];
    const gpu = gpuBusy ? [1, 0.01, 0.99, 1.01] : [];
    summary.push([key, 'ok', '', 'true', rounds, gpuBusy ? rounds : 0, ...wall, ...gpu].join(','));
    w.roundIds.forEach((r, i) =>
      roundRows.push(
        [key, r, r, (w.roundStatesNs[i] ?? 0) / 1e3, w.roundMedians[i], gpuBusy ? 1 : ''].join(','),
      ),
    );
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'summary.csv'), `${summary.join('\n')}\n`);
  writeFileSync(join(dir, 'rounds.csv'), `${roundRows.join('\n')}\n`);
  writeFileSync(join(dir, 'context.json'), JSON.stringify(context));
}
