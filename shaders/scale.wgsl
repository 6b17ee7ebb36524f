// Workload `scale`: the kernel of NVIDIA's "Getting Started with CUDA Graphs" blog post,
// out[i] = 1.23 * in[i] over float32, as a chain of K kernels in place on one array<f32>.
//
// One step multiplies every element by `factor` (f32(1.23), written by the host) 1 + `intensity`
// times: intensity 0 is exactly the blog's kernel, one multiply per element and step. The factor
// is a uniform, not a literal, so the compiler cannot fold 1.23 × 1.23 × … at compile time: every
// multiply is a correctly rounded f32 multiply at run time, in the order the CPU reference
// (src/workloads/scale.ts) does them.
//
// Entry points (same arithmetic, different launch structure), as in map.wgsl:
//   step_main        one step, one invocation per element      (one-by-one strategies)
//   fused_main       all K steps in one invocation per element (strategy `fused`)
//   persistent_main  P workgroups pull chunks of WORKGROUP_SIZE elements from an atomic ticket
//                    counter and apply all K steps to each     (strategy `persistent`)
// Past maxComputeWorkgroupsPerDimension the grid is 2-D: workgroup (x, y) is chunk
// y * rowWorkgroups + x.

struct Params {
  elements: u32,
  intensity: u32,
  kernels: u32,
  // workgroups per row of a 2-D grid
  rowWorkgroups: u32,
  // workgroups launched by persistent_main
  persistentWorkgroups: u32,
  // f32(1.23), bit-exact from the host
  factor: f32,
}

struct Queue {
  ticket: atomic<u32>,
  finished: atomic<u32>,
}

@group(0) @binding(0) var<storage, read_write> data: array<f32>;
@group(0) @binding(1) var<uniform> params: Params;

override WORKGROUP_SIZE: u32 = 64;

// One kernel's work on one element: 1 + intensity multiplies, in sequence.
fn scale(value: f32, intensity: u32, factor: f32) -> f32 {
  var v = factor * value;
  for (var r = 0u; r < intensity; r++) {
    v = factor * v;
  }
  return v;
}

fn element_index(wg: vec3<u32>, lid: u32) -> u32 {
  return (wg.y * params.rowWorkgroups + wg.x) * WORKGROUP_SIZE + lid;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn step_main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = element_index(wg, lid);
  if (i >= params.elements) {
    return;
  }
  data[i] = scale(data[i], params.intensity, params.factor);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn fused_main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = element_index(wg, lid);
  if (i >= params.elements) {
    return;
  }
  var v = data[i];
  for (var k = 0u; k < params.kernels; k++) {
    v = scale(v, params.intensity, params.factor);
  }
  data[i] = v;
}

@group(0) @binding(2) var<storage, read_write> queue: Queue;
var<workgroup> item: u32;

// Bounded: each workgroup takes at most chunks + 1 tickets (the counter only grows), so the loop
// runs at most ceil(elements / WORKGROUP_SIZE) + 1 times. No workgroup ever waits for another.
@compute @workgroup_size(WORKGROUP_SIZE)
fn persistent_main(@builtin(local_invocation_index) lid: u32) {
  let chunks = (params.elements + WORKGROUP_SIZE - 1u) / WORKGROUP_SIZE;
  for (var guard = 0u; guard <= chunks; guard++) {
    // One lane takes the ticket; the branch below is on a workgroup-uniform load of it, which
    // WGSL's uniformity analysis accepts (it rejects branching on the atomic's result directly).
    if (lid == 0u) {
      item = atomicAdd(&queue.ticket, 1u);
    }
    let chunk = workgroupUniformLoad(&item);
    if (chunk >= chunks) {
      break;
    }
    let i = chunk * WORKGROUP_SIZE + lid;
    if (i < params.elements) {
      var v = data[i];
      for (var k = 0u; k < params.kernels; k++) {
        v = scale(v, params.intensity, params.factor);
      }
      data[i] = v;
    }
    // lane 0 overwrites `item` next iteration only after every lane has read it
    workgroupBarrier();
  }
  // The last workgroup out resets the queue for the next execution: every other workgroup has
  // already taken its final ticket, so nobody reads the counter after this.
  if (lid == 0u) {
    if (atomicAdd(&queue.finished, 1u) == params.persistentWorkgroups - 1u) {
      atomicStore(&queue.ticket, 0u);
      atomicStore(&queue.finished, 0u);
    }
  }
}
