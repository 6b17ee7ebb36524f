/**
 * Where a decode step's GPU time goes: every op of the `steps` and `fused` programs in its own
 * timestamped pass (one command buffer per repeat, all ops in order), the median over repeats per
 * op, summed by op name, with each GEMV's weight bytes over its time. Diagnostic, not a
 * benchmark: the passes add their own boundaries, so the sum is a little above the programs' GPU
 * busy time in summary.csv. The megakernel is timed whole, alone, for comparison, beside its grid
 * barriers alone as it timed them when built (its notes' gridBarriersUs) and the ops of each name
 * alone inside it (DecodeCase.opsProgram), less their barriers.
 *   npx tsx scripts/decode-ops.ts [preset] [repeats] [persistentWorkgroups…]   (0: probed)
 * ROUNDS=n visits every workgroup count n times, in turn.
 * Prints a table; with $OUT set, also writes $OUT/decode-ops-<preset>.json. Dawn toggles, as
 * `--dawn-toggles` takes them, from $LAUNCHBENCH_DAWN_TOGGLES (e.g. `disable_robustness`).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openGpu, withErrorScopes } from '../src/gpu/context.ts';
import { passTimesNs } from '../src/gpu/pass-times.ts';
import { decodeLayout, fusedOps, stepOps, type Op } from '../src/workloads/decode/programs.ts';
import { bytesPerWeight } from '../src/workloads/decode/shapes.ts';
import { caseShape, decodeWorkload, prepareDecode } from '../src/workloads/decode/workload.ts';
import type { CaseParams, Dispatch } from '../src/workloads/types.ts';

const [preset = 'tiny', repeatsText = '20', ...workgroupsText] = process.argv.slice(2);
const repeats = Number(repeatsText);
const togglesText = process.env['LAUNCHBENCH_DAWN_TOGGLES'] ?? '';
const ctx = await openGpu(togglesText === '' ? {} : { dawnToggles: togglesText.split(',') });
const { device } = ctx;
const base = decodeWorkload.presets?.axes(preset);
const params = (persistentWorkgroups: number): CaseParams => ({
  preset,
  elements: base?.elements ?? 16,
  kernels: base?.kernels ?? 2,
  intensity: 0,
  workgroupSize: 256,
  persistentWorkgroups,
});
const s = caseShape(params(1));
const layout = decodeLayout(s, ctx.limits, 256);
const median = (v: number[]): number => {
  const sorted = [...v].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};
const gemvBytes = (op: Op): number =>
  op.kind !== 'gemv'
    ? 0
    : (op.epi === 'siluPair' ? 2 : 1) * (op.rows ?? 0) * (op.cols ?? 0) * bytesPerWeight(s);

/** Median GPU ns of each dispatch, each in its own pass, over `repeats` runs after two. */
async function timePerDispatch(dispatches: readonly Dispatch[]): Promise<number[]> {
  const runs = await passTimesNs(device, dispatches, repeats, 2);
  return dispatches.map((_, i) => median(runs.map((run) => run[i] ?? NaN)));
}

function table(title: string, ops: readonly Op[], ns: readonly number[]): object[] {
  const byName = new Map<string, { ns: number; count: number; bytes: number }>();
  ops.forEach((op, i) => {
    const row = byName.get(op.name) ?? { ns: 0, count: 0, bytes: 0 };
    row.ns += ns[i] ?? 0;
    row.count++;
    row.bytes += gemvBytes(op);
    byName.set(op.name, row);
  });
  const total = ns.reduce((a, b) => a + b, 0);
  console.log(
    `\n${title}: ${ops.length} ops, sum of their GPU times ${(total / 1e3).toFixed(1)} µs`,
  );
  console.log('op           count   total µs   per op µs   share   weight GB/s');
  const rows = [...byName.entries()].map(([name, r]) => ({
    name,
    count: r.count,
    totalUs: r.ns / 1e3,
    perOpUs: r.ns / 1e3 / r.count,
    share: r.ns / total,
    weightGBps: r.bytes === 0 ? null : r.bytes / r.ns,
  }));
  for (const r of rows)
    console.log(
      `${r.name.padEnd(12)} ${String(r.count).padStart(5)} ${r.totalUs.toFixed(1).padStart(10)} ${r.perOpUs.toFixed(2).padStart(11)} ${(100 * r.share).toFixed(1).padStart(6)}%  ${r.weightGBps === null ? '' : r.weightGBps.toFixed(0).padStart(11)}`,
    );
  const bytes = ops.reduce((a, op) => a + gemvBytes(op), 0);
  const gemvNs = ops.reduce((a, op, i) => a + (op.kind === 'gemv' ? (ns[i] ?? 0) : 0), 0);
  console.log(
    `all GEMVs: ${(bytes / gemvNs).toFixed(0)} GB/s over ${(gemvNs / 1e3).toFixed(1)} µs`,
  );
  return rows;
}

const prepared = await withErrorScopes(device, () =>
  decodeWorkload.prepare(device, params(Number(workgroupsText[0] ?? 512)), ctx.limits),
);
prepared.writeInput(Uint32Array.of(12345));
const steps = await prepared.program('steps');
const fused = await prepared.program('fused');
const out: Record<string, unknown> = { preset, shape: s, repeats };
out['steps'] = table('steps', stepOps(s, layout, 256), await timePerDispatch(steps.dispatches));
out['fused'] = table('fused', fusedOps(s, layout, 256), await timePerDispatch(fused.dispatches));
prepared.destroy();

// The megakernel whole, and its grid barriers alone, at each workgroup count, in ROUNDS rounds
// that visit every count in turn.
const roundsText = process.env['ROUNDS'] ?? '1';
if (!/^[1-9]\d*$/.test(roundsText)) throw new Error(`ROUNDS=${roundsText}: a whole number ≥ 1`);
const rounds = Number(roundsText);
const megakernel: object[] = [];
for (let round = 1; round <= rounds; round++)
  for (const text of workgroupsText.length === 0 ? ['512'] : workgroupsText) {
    const P = Number(text);
    const one = await prepareDecode(device, params(P), ctx.limits);
    one.writeInput(Uint32Array.of(12345));
    const program = await one.program('persistent');
    const [ns] = await timePerDispatch(program.dispatches);
    const status = await one.checkStatus();
    // Timed as the program was built (DecodeCase.timeGridBarriers); absent where they gave up.
    const count = Number(program.notes?.['gridBarriers']);
    const barriersUs = Number(program.notes?.['gridBarriersUs'] ?? NaN);
    // 0: as many as the megakernel's probe finds co-resident
    const workgroups = program.notes?.['persistentWorkgroups'] ?? P;
    const us = (ns ?? 0) / 1e3;
    const named = P === 0 ? `${workgroups} (probed)` : `${P}`;
    console.log(
      `megakernel, ${named} workgroups, round ${round}: ${us.toFixed(1)} µs ${status ?? ''}; its ${count} grid barriers alone ${barriersUs.toFixed(1)} µs (${(barriersUs / count).toFixed(2)} µs each)`,
    );
    // Each op name's ops alone inside the megakernel (one after another, a barrier between two),
    // less those barriers at the cost measured alone: the ops' own time there, without a pass.
    // Also as timed, barriers in (`rawUs`): the figure to compare across kernel versions whose
    // barriers time differently alone, since each version's own is what comes off (2026-12-06).
    const inside: Record<string, { ops: number; us: number; perOpUs: number; rawUs: number }> = {};
    // No figure (no timestamps, or a barrier gave up while timed): the ops' time keeps them.
    const barrierEachUs = Number.isFinite(barriersUs) ? barriersUs / count : 0;
    const fusedList = fusedOps(s, layout, 256);
    for (const name of [...new Set(fusedList.map((op) => op.name))]) {
      const ops = fusedList.filter((op) => op.name === name);
      const [opsNs] = await timePerDispatch((await one.opsProgram(ops)).dispatches);
      const rawUs = (opsNs ?? 0) / 1e3;
      const opsUs = rawUs - (ops.length - 1) * barrierEachUs;
      inside[name] = { ops: ops.length, us: opsUs, perOpUs: opsUs / ops.length, rawUs };
    }
    const insideStatus = await one.checkStatus();
    const sum = Object.values(inside).reduce((a, r) => a + r.us, 0);
    console.log(
      `  inside it, each op name's ops alone less their barriers (µs in all, per op): ${Object.entries(
        inside,
      )
        .map(([name, r]) => `${name} ${r.us.toFixed(1)} (${r.perOpUs.toFixed(2)})`)
        .join(
          ', ',
        )}; their sum ${sum.toFixed(1)} + the step's barriers ${barriersUs.toFixed(1)} = ${(sum + barrierEachUs * count).toFixed(1)} against the step's ${us.toFixed(1)}${barrierEachUs === 0 ? ' (no barrier figure: not subtracted)' : ''} ${insideStatus ?? ''}`,
    );
    console.log(
      `  the same as timed, barriers in (µs per op): ${Object.entries(inside)
        .map(([name, r]) => `${name} ${(r.rawUs / r.ops).toFixed(2)}`)
        .join(', ')}`,
    );
    megakernel.push({
      round,
      workgroups,
      us,
      status: status ?? 'ok',
      barriersUs,
      inside,
      insideStatus: insideStatus ?? 'ok',
    });
    one.destroy();
  }
out['persistent'] = megakernel;
if (process.env['OUT'] !== undefined)
  writeFileSync(
    join(process.env['OUT'], `decode-ops-${preset}.json`),
    JSON.stringify(out, null, 1),
  );
process.exit(0);
