enable subgroups;

// decode's sums (shaders/decode/step.wgsl's GEMV and attention scores) where the device has
// `subgroups` of 8 or more, or does not say their size: the GEMV's workgroup sum of a vec4 by
// subgroupAdd within each subgroup, then the subgroups' sums through workgroup memory: two
// barriers where the tree of sum-workgroup.wgsl takes log2(WORKGROUP_SIZE). The module is this
// file followed by step.wgsl (src/workloads/decode/buffers.ts).
//
// It assumes what GPUs do but WGSL does not promise: that each subgroup is a run of consecutive
// local_invocation_index values. Where that fails, subgroups overwrite each other's slots and the
// step's logits miss the CPU reference, which every strategy is checked against before timing.

// The sum of `v` over the workgroup, to every invocation; called in uniform control flow. The
// barrier first brings together the invocations that a loop of per-invocation trip counts (the
// GEMV's, for a row shorter than two words per invocation) may have left apart, so that every
// invocation is active at subgroupAdd and subgroupAdd(1u) is the subgroup's size.
fn workgroup_sum4(v: vec4<f32>, lid: u32) -> vec4<f32> {
  workgroupBarrier();
  let s = subgroupAdd(v);
  let size = subgroupAdd(1u);
  if (lid % size == 0u) {
    red4[lid / size] = s;
  }
  workgroupBarrier();
  var total = vec4<f32>();
  for (var i = 0u; i < WORKGROUP_SIZE / size; i++) {
    total += red4[i];
  }
  workgroupBarrier();
  return total;
}

// The sum of `v` over each run of SCORE_LANES (8) consecutive invocations, to each of them (the
// attention's score of one position): three shuffles within the subgroup, no barrier. It needs
// subgroups of at least 8 invocations whose subgroup_invocation_id is local_invocation_index
// modulo their size (aligned runs of consecutive indices), so that lanes lid ^ 1, ^ 2, ^ 4 are in
// the same subgroup and run; src/workloads/decode/buffers.ts takes this file only where the
// adapter's smallest subgroup is 8 or more, or unknown. Called in uniform control flow.
fn score_sum4(v: vec4<f32>, lid: u32) -> vec4<f32> {
  var s = v;
  s += subgroupShuffleXor(s, 1u);
  s += subgroupShuffleXor(s, 2u);
  s += subgroupShuffleXor(s, 4u);
  return s;
}
