/**
 * Which WGSL loop forms Dawn's shader compiler (Tint) guards against running forever: a loop it
 * cannot prove finite gets a 64-bit iteration counter (`tint_loop_idx`, a vec2<u32>) and a break
 * when it runs out. A guarded loop may keep the driver from unrolling it and issuing its loads
 * together: the decode megakernel's attention took 14.8 µs an op on an H100 with its K and V
 * loops guarded, 10.4 with neither (docs/findings.md, "The runs of 2026-12-05, sixth session";
 * docs/design.md, "Workloads"). Compiles one small kernel per loop form with the `dump_shaders`
 * toggle, in a child process whose standard output carries the dump, and prints whether each came
 * out guarded, from the SPIR-V: any Vulkan adapter will do (lavapipe too), the guard being
 * Tint's, not the driver's.
 *   npx tsx scripts/loop-guards.ts
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openGpu } from '../src/gpu/context.ts';

/** Loop forms, each the body of a kernel with `override N`, `params.n` (run time) and `lid`. */
const FORMS: Record<string, string> = {
  'index 0…8 by 1, constant bound': 'for (var t = 0u; t < 8u; t++) { acc += data[t]; }',
  'bound an override expression': 'for (var t = 0u; t < N / 8u; t++) { acc += data[t]; }',
  'down from an override, by 1': 'for (var t = N; t > 0u; t--) { acc += data[t]; }',
  'override bound, break at run time':
    'for (var t = 0u; t < N; t++) { if (t >= params.n) { break; } acc += data[t]; }',
  'bound a let of an override expression':
    'let n = N / 8u; for (var t = 0u; t < n; t++) { acc += data[t]; }',
  'bound read at run time': 'for (var t = 0u; t < params.n; t++) { acc += data[t]; }',
  'from the invocation index': 'for (var t = lid; t < N; t++) { acc += data[t]; }',
  'override bound, step 2': 'for (var t = 0u; t < N; t += 2u) { acc += data[t]; }',
  'run-time bound, step the workgroup':
    'for (var t = lid; t < params.n; t += 64u) { acc += data[t]; }',
  'a tree: halving from an override': 'for (var s = N / 2u; s > 0u; s >>= 1u) { acc += data[s]; }',
  'a tree: levels 0…32 by 1, break at run time':
    'for (var t = 0u; t < 32u; t++) { let s = (params.n / 2u) >> t; if (s == 0u) { break; } acc += data[s]; }',
};

const kernel = (body: string): string => `override N: u32 = 64u;
struct P { n: u32 }
@group(0) @binding(0) var<storage, read_write> data: array<f32>;
@group(0) @binding(1) var<uniform> params: P;
@compute @workgroup_size(64) fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  ${body}
  data[lid] = acc;
}`;

const MARK = '=== loop form ';

if (process.env['LAUNCHBENCH_LOOP_GUARDS_CHILD'] === '1') {
  // The child: compile each form; Dawn writes each dump to standard output after the mark.
  const { device } = await openGpu({ dawnToggles: ['dump_shaders'] });
  for (const [name, body] of Object.entries(FORMS)) {
    console.log(`${MARK}${name}`);
    const module = device.createShaderModule({ code: kernel(body) });
    device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  }
  await device.queue.onSubmittedWorkDone();
  process.exit(0);
}

const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
  env: { ...process.env, LAUNCHBENCH_LOOP_GUARDS_CHILD: '1' },
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
});
if (child.status !== 0) {
  process.stderr.write(child.stderr);
  console.error(`loop-guards.ts: the compiling child exited ${child.status ?? child.signal}`);
  process.exit(1);
}
const parts = child.stdout.split(MARK).slice(1);
if (parts.length !== Object.keys(FORMS).length || !parts.every((p) => p.includes('OpLoopMerge'))) {
  console.error('loop-guards.ts: no SPIR-V in the dump (not a Vulkan adapter, or no dump_shaders)');
  process.exit(1);
}
// A reader that stops early (`| head`) ends the script quietly.
process.stdout.on('error', () => process.exit(0));
for (const part of parts) {
  const name = part.slice(0, part.indexOf('\n'));
  // Tint's guard: a function-scope vec2<u32> counter (no other in these kernels).
  const guarded = part.includes('OpVariable %_ptr_Function_v2uint Function');
  console.log(`${guarded ? 'guarded  ' : 'unguarded'}  ${name}`);
}
