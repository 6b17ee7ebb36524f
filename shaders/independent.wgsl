// Workload `independent`: K unrelated tasks of N elements each. Task t maps every element v of its
// own slice to mix(v, t): map.wgsl's mix, applied once, so the arithmetic per task equals one
// `map` kernel but no task reads what another wrote (the batching case).
//
// `input` holds the K slices concatenated (task t at [t*N, (t+1)*N)) and is never written, so
// repeated executions give the same result. Outputs:
//   task_main        one task, one invocation per element, writes the task's OWN buffer (bound
//                    per dispatch): consecutive dispatches share no written buffer, so Dawn has no
//                    dependency to order them by             (one-by-one strategies)
//   fused_main       all K tasks in one dispatch, one invocation per element of the concatenated
//                    output                                   (strategy `fused`)
//   persistent_main  P workgroups pull (task, chunk) tickets from an atomic counter and write the
//                    concatenated output                      (strategy `persistent`)
// Past maxComputeWorkgroupsPerDimension the grids are 2-D: workgroup (x, y) is chunk
// y * rowWorkgroups + x.

struct Params {
  // elements per task (N)
  taskElements: u32,
  intensity: u32,
  // K
  tasks: u32,
  // this dispatch's task (task_main); read through a dynamic uniform offset, one slot per task
  task: u32,
  // workgroups per row of task_main's grid (N elements)
  rowWorkgroups: u32,
  // workgroups launched by persistent_main
  persistentWorkgroups: u32,
  // workgroups per row of fused_main's grid (K * N elements)
  fusedRowWorkgroups: u32,
}

struct Queue {
  ticket: atomic<u32>,
  finished: atomic<u32>,
}

@group(0) @binding(0) var<storage, read> input: array<u32>;
@group(0) @binding(1) var<storage, read_write> output: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

override WORKGROUP_SIZE: u32 = 64;

fn mix(value: u32, step: u32, intensity: u32) -> u32 {
  var v = value;
  for (var i = 0u; i < intensity; i++) {
    v = v * 1664525u + 1013904223u;
    v ^= v >> 15u;
  }
  return ((v << 1u) | (v >> 31u)) + step + 1u;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn task_main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wg.y * params.rowWorkgroups + wg.x) * WORKGROUP_SIZE + lid;
  if (i >= params.taskElements) {
    return;
  }
  output[i] = mix(input[params.task * params.taskElements + i], params.task, params.intensity);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn fused_main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let e = (wg.y * params.fusedRowWorkgroups + wg.x) * WORKGROUP_SIZE + lid;
  if (e >= params.taskElements * params.tasks) {
    return;
  }
  output[e] = mix(input[e], e / params.taskElements, params.intensity);
}

@group(0) @binding(3) var<storage, read_write> queue: Queue;
var<workgroup> item: u32;

// Bounded: each workgroup takes at most tickets + 1 tickets (the counter only grows), so the loop
// runs at most K * ceil(N / WORKGROUP_SIZE) + 1 times. No workgroup ever waits for another.
@compute @workgroup_size(WORKGROUP_SIZE)
fn persistent_main(@builtin(local_invocation_index) lid: u32) {
  let n = params.taskElements;
  let chunksPerTask = (n + WORKGROUP_SIZE - 1u) / WORKGROUP_SIZE;
  let tickets = chunksPerTask * params.tasks;
  for (var guard = 0u; guard <= tickets; guard++) {
    // One lane takes the ticket; the branch is on a workgroup-uniform load of it.
    if (lid == 0u) {
      item = atomicAdd(&queue.ticket, 1u);
    }
    let ticket = workgroupUniformLoad(&item);
    if (ticket >= tickets) {
      break;
    }
    let task = ticket / chunksPerTask;
    let i = (ticket % chunksPerTask) * WORKGROUP_SIZE + lid;
    if (i < n) {
      let e = task * n + i;
      output[e] = mix(input[e], task, params.intensity);
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
