// A user's kernel for `launchbench bench --shader` (the contract: src/workloads/user-shader.ts):
// each step rotates every element left by (step mod 31) + 1 bits and xors in its index. Integer
// math, so xor-rotate.ts computes the same result exactly.
struct Params {
  elements: u32,
  intensity: u32,
  kernels: u32,
  step: u32,
  rowWorkgroups: u32,
  persistentWorkgroups: u32,
}

@group(0) @binding(0) var<storage, read_write> data: array<u32>;
@group(0) @binding(1) var<uniform> params: Params;

override WORKGROUP_SIZE: u32 = 64;

fn apply(v: u32, i: u32, step: u32) -> u32 {
  let r = step % 31u + 1u;
  return ((v << r) | (v >> (32u - r))) ^ i;
}

fn element(wg: vec3<u32>, lid: u32) -> u32 {
  return (wg.y * params.rowWorkgroups + wg.x) * WORKGROUP_SIZE + lid;
}

// One step, `params.step`.
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = element(wg, lid);
  if (i >= params.elements) {
    return;
  }
  data[i] = apply(data[i], i, params.step);
}

// All `params.kernels` steps in one dispatch (strategy `fused`, with --fused-entry fused).
@compute @workgroup_size(WORKGROUP_SIZE)
fn fused(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = element(wg, lid);
  if (i >= params.elements) {
    return;
  }
  var v = data[i];
  for (var k = 0u; k < params.kernels; k++) {
    v = apply(v, i, k);
  }
  data[i] = v;
}
