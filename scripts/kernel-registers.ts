/**
 * The registers a lane of the decode kernels takes on this GPU, as its Vulkan driver reports them
 * through scripts/vk-stats (NVIDIA: "Register Count"), beside the workgroups the megakernel's
 * co-residency probe fits. WebGPU gives neither a register count nor an occupancy; on NVIDIA a
 * multiprocessor holds 65 536 registers, allotted 8 a lane at a time, so a workgroup of 256 lanes
 * at R registers leaves floor(65 536 / (256 × ⌈R / 8⌉ × 8)) of them resident on each (at most 8:
 * 2 048 lanes; src/gpu/registers.ts), and the probe's count should agree (docs/design.md,
 * "Registers, measured").
 *   bash scripts/vk-stats/build.sh      (once: the layer, into .vk-stats/)
 *   npx tsx scripts/kernel-registers.ts [preset …]      (default: llama-1b llama-1b-f16 gpt2-small)
 * Each preset is built with 2 layers (the kernel's constants are the preset's shape; the layer
 * count only sizes the buffers). Prints a line per preset; with $OUT set, also writes
 * $OUT/kernel-registers.json. Without the layer's statistics (a driver that does not offer
 * VK_KHR_pipeline_executable_properties, such as lavapipe) it says so and exits 1.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  parseStatsLine,
  registerCount,
  residentWorkgroups,
  type PipelineExecutable,
} from '../src/gpu/registers.ts';

const LAYER_DIR = resolve('.vk-stats');
const LAYER = 'VK_LAYER_LAUNCHBENCH_stats';
if (!existsSync(join(LAYER_DIR, `${LAYER}.json`))) {
  console.error(
    'kernel-registers: no layer in .vk-stats: run bash scripts/vk-stats/build.sh first',
  );
  process.exit(2);
}
// Read by the Vulkan loader when the instance is made (openGpu, below), so set before it.
const statsFile = join(tmpdir(), `launchbench-vk-stats-${process.pid}.tsv`);
process.env['VK_LAYER_PATH'] = LAYER_DIR;
process.env['VK_INSTANCE_LAYERS'] = LAYER;
process.env['LAUNCHBENCH_VK_STATS'] = statsFile;

const { openGpu, withErrorScopes } = await import('../src/gpu/context.ts');
const { decodeWorkload, prepareDecode } = await import('../src/workloads/decode/workload.ts');

let linesRead = 0;
/** The executables the layer has written since the last call. */
function newExecutables(): PipelineExecutable[] {
  const lines = existsSync(statsFile) ? readFileSync(statsFile, 'utf8').split('\n') : [];
  const fresh = lines.slice(linesRead).filter((l) => l !== '');
  linesRead += fresh.length;
  return fresh.map(parseStatsLine);
}

// Once each: a preset built again reuses Dawn's pipelines, and the driver makes (and reports) none.
const presets = [
  ...new Set(
    process.argv.length > 2 ? process.argv.slice(2) : ['llama-1b', 'llama-1b-f16', 'gpt2-small'],
  ),
];
const ctx = await openGpu();
const rows: object[] = [];
for (const preset of presets) {
  const base = decodeWorkload.presets?.axes(preset);
  if (base === undefined) throw new Error(`kernel-registers: unknown preset '${preset}'`);
  const prepared = await withErrorScopes(ctx.device, () =>
    prepareDecode(
      ctx.device,
      {
        preset,
        elements: base.elements,
        kernels: 2,
        intensity: 0,
        workgroupSize: 256,
        persistentWorkgroups: 0,
      },
      ctx.limits,
    ),
  );
  newExecutables();
  // step_main, a pipeline per op kind of the fused ops, made together: in no particular order
  await prepared.program('fused');
  const kinds = newExecutables();
  // persistent_main (the probe runs it), and any pipeline Dawn makes for itself while timing it
  const persistent = await prepared.program('persistent');
  const [megakernel, ...others] = newExecutables();
  prepared.destroy();
  const registers = registerCount(megakernel);
  const kindRegisters = kinds
    .map(registerCount)
    .filter((r): r is number => r !== undefined)
    .sort((a, b) => a - b);
  const row = {
    preset,
    megakernelEntry: megakernel?.entry,
    megakernelRegisters: registers,
    residentPerMultiprocessor:
      registers === undefined ? undefined : residentWorkgroups(registers, 256),
    probedWorkgroups: persistent.notes['persistentWorkgroups'],
    stepMainRegisters: kindRegisters,
    megakernelStats: megakernel?.stats,
    pipelinesAfter: others.map((e) => e.entry),
  };
  rows.push(row);
  console.log(
    `${preset}: megakernel (${row.megakernelEntry ?? 'not reported'}) ${registers ?? '?'} registers a lane` +
      (registers === undefined
        ? ''
        : ` → ${row.residentPerMultiprocessor} workgroups of 256 a multiprocessor of 65 536 registers`) +
      `; the probe fit ${row.probedWorkgroups}; step_main's op kinds: ${kindRegisters.join(', ') || '?'}`,
  );
}
if (process.env['OUT'] !== undefined)
  writeFileSync(
    join(process.env['OUT'], 'kernel-registers.json'),
    `${JSON.stringify(rows, null, 2)}\n`,
  );
ctx.device.destroy();
rmSync(statsFile, { force: true });
if (rows.some((r) => (r as { megakernelRegisters?: number }).megakernelRegisters === undefined)) {
  console.error(
    'kernel-registers: the driver reported no register count (it does not offer VK_KHR_pipeline_executable_properties, or the layer did not load)',
  );
  process.exit(1);
}
process.exit(0);
