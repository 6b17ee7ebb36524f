/**
 * Runs every strategy of the decode workload once on a preset and prints each one's largest error
 * against the CPU reference (in units of max(|expected|, tolerance floor)) and how long it took.
 *   npx tsx scripts/decode-check.ts [preset] [layers] [context] [persistentWorkgroups]
 */
import { openGpu, withErrorScopes } from '../src/gpu/context.ts';
import { firstMismatch } from '../src/measure/run-case.ts';
import { notApplicable } from '../src/run.ts';
import { STRATEGIES } from '../src/strategies/index.ts';
import { caseShape, decodeWorkload, prepareDecode } from '../src/workloads/decode/workload.ts';
import type { CaseParams } from '../src/workloads/types.ts';
import { submittedWorkDone } from '../src/strategies/completion.ts';

const [preset = 'tiny', layers, context, workgroups] = process.argv.slice(2);
const base = decodeWorkload.presets?.axes(preset);
const params: CaseParams = {
  preset,
  elements: context === undefined || context === '' ? (base?.elements ?? 16) : Number(context),
  kernels: layers === undefined || layers === '' ? (base?.kernels ?? 2) : Number(layers),
  intensity: 0,
  workgroupSize: 256,
  persistentWorkgroups: workgroups === undefined ? 1 : Number(workgroups),
};
const ctx = await openGpu();
const problem = decodeWorkload.checkLimits(params, ctx.limits);
if (problem !== undefined) throw new Error(problem);
const t0 = performance.now();
const input = Uint32Array.of(0x1234567);
const expected = decodeWorkload.reference(input, params);
console.log(`reference ${(performance.now() - t0).toFixed(0)} ms, shape`, caseShape(params));
const prepared = await withErrorScopes(ctx.device, () =>
  prepareDecode(ctx.device, params, ctx.limits),
);
const tolerance = decodeWorkload.tolerance?.(params);
for (const strategy of STRATEGIES) {
  const why = notApplicable(decodeWorkload, strategy, params, ctx.limits);
  if (why !== undefined) {
    console.log(strategy.id, 'n/a', why);
    continue;
  }
  const program = await prepared.program(strategy.program);
  const execution = strategy.prepare(ctx.device, program, submittedWorkDone(ctx.device));
  prepared.writeInput(input);
  const t = performance.now();
  execution.prepareSample?.(undefined);
  await execution.execute(undefined);
  const ms = performance.now() - t;
  const status = await prepared.checkStatus?.();
  const out = await prepared.readOutput(); // every program writes the logits to the same place
  const notes: Record<string, string | number> = {};
  const mismatch = firstMismatch(out, { values: expected }, tolerance, notes);
  console.log(
    strategy.id.padEnd(20),
    `${program.dispatches.length} dispatches`,
    `${ms.toFixed(1)} ms`,
    status ?? '',
    `maxErr ${Number(notes['maxRelativeError']).toExponential(2)}`,
    mismatch ?? 'ok',
  );
  execution.destroy?.();
}
console.log('errors', ctx.errors.messages);
prepared.destroy();
process.exit(0);
