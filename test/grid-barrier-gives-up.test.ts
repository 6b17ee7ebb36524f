/**
 * Programs that rely on co-residency (a grid-wide barrier between steps: the persistent stencil)
 * never hang and never pass off a wrong result: when the P workgroups are not all resident at
 * once, the barrier's bounded spin gives up, the execution finishes, and PreparedCase.checkStatus
 * reports why. On a CPU adapter (lavapipe runs two workgroups at a time) P = 16 must give up; on a
 * GPU, 16 workgroups are resident and the result must match the reference.
 * measureCase turns the give-up into a failed case with that reason and no samples, the status is
 * cleared once read, and the prepared case stays usable for the next strategy.
 */
import { describe, expect, it } from 'vitest';
import { withErrorScopes } from '../src/gpu/context.ts';
import { measureCase } from '../src/run.ts';
import { type CaseInput } from '../src/measure/run-case.ts';
import { notApplicable } from '../src/run.ts';
import { STRATEGIES, strategyById } from '../src/strategies/index.ts';
import { WORKLOADS } from '../src/workloads/index.ts';
import { seededRandom } from '../src/workloads/random.ts';
import type { CaseParams } from '../src/workloads/types.ts';
import { firstDifference, freshSeed, useSharedGpu, within } from './support/gpu.ts';
import { submittedWorkDone } from '../src/strategies/completion.ts';

const gpu = useSharedGpu();

const PARAMS: CaseParams = {
  elements: 4096,
  kernels: 3,
  intensity: 0,
  workgroupSize: 64,
  persistentWorkgroups: 16,
};
const LIMIT_MS = 60_000;

describe.each(WORKLOADS.map((w) => [w.id, w] as const))('workload %s', (_id, workload) => {
  it('a co-residency program finishes and reports a barrier that gave up', async (t) => {
    const ctx = gpu(t);
    const { device } = ctx;
    const prepared = await withErrorScopes(device, () =>
      workload.prepare(device, PARAMS, ctx.limits),
    );
    let checked = 0;
    try {
      for (const strategy of STRATEGIES) {
        if (notApplicable(workload, strategy, PARAMS, ctx.limits) !== undefined) continue;
        const program = await prepared.program(strategy.program);
        if (program.notes['reliesOn'] !== 'co-residency') continue;
        checked++;
        const input = workload.makeInput(PARAMS, seededRandom(freshSeed()));
        const expected = workload.reference(input, PARAMS);

        // One execution by hand.
        const execution = await withErrorScopes(device, () =>
          strategy.prepare(device, program, submittedWorkDone(device)),
        );
        try {
          prepared.writeInput(input);
          execution.prepareSample?.(undefined);
          await within(execution.execute(undefined), LIMIT_MS, `${strategy.id} execution`);
        } finally {
          execution.destroy?.();
        }
        expect('checkStatus' in prepared, 'a co-residency program needs checkStatus').toBe(true);
        const status = await prepared.checkStatus?.();
        if (ctx.adapterInfo.isFallbackAdapter) {
          expect(
            status,
            `${strategy.id}: ${PARAMS.persistentWorkgroups} workgroups on a CPU`,
          ).toMatch(/\S/);
          // Reading cleared it.
          expect(await prepared.checkStatus?.()).toBeUndefined();
        } else if (status === undefined) {
          expect(firstDifference(await prepared.readOutput(strategy.program), expected)).toBe(-1);
        }

        // The harness: a failed case with the program's own reason, nothing timed.
        const caseInput: CaseInput = {
          ctx,
          workload,
          strategy,
          params: PARAMS,
          prepared,
          input,
          expected: { values: expected },
          sampling: {
            rounds: 1,
            warmupMs: 0,
            minWarmup: 1,
            minSamples: 1,
            maxSamples: 1,
            maxTimeMs: 0,
            maxNoise: 0.5,
            stallTimeoutMs: LIMIT_MS,
          },
          verify: true,
          timestamps: undefined,
          shouldStop: () => false,
        };
        const measured = await measureCase(caseInput);
        if (ctx.adapterInfo.isFallbackAdapter) {
          expect(measured.result.status).toBe('failed');
          expect(measured.result.reason).toMatch(/\S/);
          expect(measured.result.reason).not.toMatch(/wrong result|watchdog/);
          expect(measured.samples).toEqual([]);
        } else if (measured.result.status === 'failed') {
          expect(measured.result.reason).not.toMatch(/wrong result|watchdog/);
        }

        // The next strategy on the same prepared case starts clean.
        const next = strategyById('dispatch-each');
        if (next !== undefined && notApplicable(workload, next, PARAMS, ctx.limits) === undefined) {
          const after = await measureCase({ ...caseInput, strategy: next });
          expect(after.result.status, after.result.reason).toBe('ok');
          expect(after.result.verified).toBe(true);
        }
      }
    } finally {
      prepared.destroy();
    }
    if (checked === 0) t.skip(`${workload.id} has no program that relies on co-residency`);
    expect(ctx.lost).toBeUndefined();
    expect(ctx.errors.messages).toEqual([]);
  });
});
