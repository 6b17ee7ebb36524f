// decode's sums (shaders/decode/step.wgsl's GEMV and attention scores) where the device has no
// `subgroups` (or subgroups smaller than 8): the GEMV's workgroup sum of a vec4 by a tree in
// workgroup memory, log2(WORKGROUP_SIZE) barriers. The module is this file followed by step.wgsl
// (src/workloads/decode/buffers.ts); sum-subgroups.wgsl is the other choice.

// The sum of `v` over the workgroup, to every invocation; called in uniform control flow.
fn workgroup_sum4(v: vec4<f32>, lid: u32) -> vec4<f32> {
  return group_sum4(v, lid, WORKGROUP_SIZE);
}

// The sum of `v` over each run of SCORE_LANES consecutive invocations, to each of them: a tree in
// workgroup memory (sum-subgroups.wgsl shuffles within the subgroup). Called in uniform control
// flow.
fn score_sum4(v: vec4<f32>, lid: u32) -> vec4<f32> {
  return group_sum4(v, lid, SCORE_LANES);
}
