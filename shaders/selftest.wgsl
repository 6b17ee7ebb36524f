// Timestamp self-test kernel: each invocation spins on an integer recurrence so that passes of
// more workgroups take measurably longer. The result is stored so the loop cannot be removed.
@group(0) @binding(0) var<storage, read_write> sink: array<u32>;

override WORKGROUP_SIZE: u32 = 64;
override ITERATIONS: u32 = 256;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  var v = gid.x;
  for (var i = 0u; i < ITERATIONS; i++) {
    v = v * 1664525u + 1013904223u;
    v ^= v >> 15u;
  }
  sink[gid.x % arrayLength(&sink)] = v;
}
