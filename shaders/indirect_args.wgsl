// Strategy `indirect`: the GPU writes the arguments of the K `dispatchWorkgroupsIndirect` calls
// that follow in the same command buffer (the dynamic-parallelism analogue: work sized on the GPU,
// not by the host). Each step's (x, y, z) workgroup counts come from `counts`, laid out exactly
// as the indirect arguments (3 u32 per step), so the kernel is the cheapest possible producer:
// what the strategy measures is the indirect launch path, not the arithmetic that decided it.

@group(0) @binding(0) var<storage, read> counts: array<u32>;
@group(0) @binding(1) var<storage, read_write> args: array<u32>;

override WORKGROUP_SIZE: u32 = 64;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i < arrayLength(&args)) {
    args[i] = counts[i];
  }
}
