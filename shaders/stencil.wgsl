// Workload `stencil`: a chain of K 3-point stencil steps over N u32 elements, clamped borders.
//
// Step k maps every element i to
//   point(in[max(i-1, 0)], in[i], in[min(i+1, N-1)], k)
//     = mix(l*3 + c*5 + r*7, k)        (wrapping u32 arithmetic)
// where mix is map.wgsl's: `intensity` rounds of an LCG + xorshift, a rotate and an add of k + 1.
// Integer math, so the CPU reference in src/workloads/stencil.ts is exact. Step k needs step k-1's
// neighbours, so unlike `map` the steps cannot be chained per element: only launch boundaries, a
// grid-wide barrier or redundant halo computation order them.
//
// Buffers: `input` is never written (every execution starts from it, so repeated executions give
// the same result); two planes P0 and P1 ping-pong, and every program leaves the result in P0:
// step k writes P[(K-1-k) % 2] and reads `input` (k = 0) or P[(K-k) % 2].
//
// Entry points (same arithmetic, different launch structure):
//   step_main        one step, one invocation per element          (one-by-one strategies)
//   fused_main       temporal blocking: each workgroup loads a tile plus a halo of K elements per
//                    side into workgroup memory and applies all K steps there (strategy `fused`)
//   persistent_main  P workgroups apply the K steps, a grid-wide barrier between steps
//                    (strategy `persistent`; relies on co-residency, see below)

struct Params {
  elements: u32,
  intensity: u32,
  kernels: u32,
  // index of this step (step_main); read through a dynamic uniform offset, one slot per step
  step: u32,
  // workgroups per row of step_main's 2-D grid (one invocation per element)
  rowWorkgroups: u32,
  // workgroups launched by persistent_main
  persistentWorkgroups: u32,
  // workgroups per row of fused_main's 2-D grid (one workgroup per tile)
  tileRowWorkgroups: u32,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
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

fn point(l: u32, c: u32, r: u32, step: u32) -> u32 {
  return mix(l * 3u + c * 5u + r * 7u, step, params.intensity);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn step_main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wg.y * params.rowWorkgroups + wg.x) * WORKGROUP_SIZE + lid;
  let n = params.elements;
  if (i >= n) {
    return;
  }
  dst[i] = point(src[max(i, 1u) - 1u], src[i], src[min(i + 1u, n - 1u)], params.step);
}

// ---- fused_main: temporal blocking --------------------------------------------------------------
// A workgroup owns TILE consecutive elements (its interior) and holds SPAN = TILE + 2*HALO
// elements, HALO = K, in two workgroup-memory planes. After step s the values are exact on local
// positions [s, SPAN-1-s] (each step loses one position per side), so after K steps exactly the
// interior [HALO, HALO+TILE) is exact, and only it is written. Positions outside [0, N) are never
// computed or read: a neighbour index is clamped to the array first, as the stencil's border
// rule says, and the clamped neighbour always lies in the exact range of the previous step.
// The host picks TILE and HALO (src/workloads/stencil.ts) so that 2*SPAN words fit in
// maxComputeWorkgroupStorageSize; that bounds K.

override TILE: u32 = 256;
override HALO: u32 = 1;
override SPAN: u32 = TILE + 2u * HALO;
override TILE_PLANES_WORDS: u32 = 2u * SPAN;
var<workgroup> tile: array<u32, TILE_PLANES_WORDS>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn fused_main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n = i32(params.elements);
  let span = i32(SPAN);
  let lanes = i32(WORKGROUP_SIZE);
  let start = i32((wg.y * params.tileRowWorkgroups + wg.x) * TILE);
  // Padding workgroups of a 2-D grid: uniform across the workgroup (it depends on workgroup_id
  // only), so returning before the barriers below is allowed.
  if (start >= n) {
    return;
  }
  // Global index of local position 0; local positions [jlo, jhi] hold elements inside [0, N).
  let base = start - i32(HALO);
  let jlo = max(0, -base);
  let jhi = min(span - 1, n - 1 - base);
  for (var j = jlo + i32(lid); j <= jhi; j += lanes) {
    tile[j] = src[base + j];
  }
  workgroupBarrier();
  for (var s = 1; s <= i32(HALO); s++) {
    let cur = ((s - 1) % 2) * span;
    let nxt = (s % 2) * span;
    for (var j = max(s, jlo) + i32(lid); j <= min(span - 1 - s, jhi); j += lanes) {
      let g = base + j;
      let l = tile[cur + max(g - 1, 0) - base];
      let r = tile[cur + min(g + 1, n - 1) - base];
      tile[nxt + j] = point(l, tile[cur + j], r, u32(s - 1));
    }
    workgroupBarrier();
  }
  let last = (i32(HALO) % 2) * span;
  for (var j = max(i32(HALO), jlo) + i32(lid); j <= min(i32(HALO + TILE) - 1, jhi); j += lanes) {
    dst[base + j] = tile[last + j];
  }
}

// ---- persistent_main: grid-wide barrier ---------------------------------------------------------
// P workgroups (1-D dispatch) each own the chunks c ≡ workgroup (mod P) of WORKGROUP_SIZE elements
// and apply step k to them, then wait at a grid-wide barrier until all P workgroups finished step
// k, then apply step k+1.
//
// WebGPU gives no forward-progress guarantee across workgroups: the barrier only completes if all
// P workgroups are resident at once (co-residency). A waiting workgroup spins a bounded number of
// times (SPIN_LIMIT); when the bound is hit it records the step in `grid.failed` and exits, every
// other waiting workgroup sees the flag and exits too, and the host reads the flag (checkStatus).
// The flag stays set until the host clears it: a later execution's waiting workgroups see it at
// once and exit, so a batch of executions after a failure is cheap and reported as failed.
//
// Memory model, honestly: WGSL atomics are relaxed and storageBarrier() orders storage accesses
// only among the invocations of one workgroup, so WGSL does not guarantee that another workgroup
// sees this step's stores after the barrier. What makes it work in practice: the planes are read
// and written with atomic operations (performed at the device's coherence point, so no stale
// per-multiprocessor cache line is read), storageBarrier() orders each workgroup's stores before
// its arrival and its loads after the wait, and the arrival counter is a single atomic location.
// The result is checked against the CPU reference, so a visibility failure is caught, not timed.
//
// Reset between executions: `arrived` counts arrivals within one execution (barrier b completes
// when it reaches (b+1)*P); every workgroup, failed or not, increments `finished` as its very last
// access, and the last one resets both counters. Nobody touches them after that within the
// dispatch, and the next dispatch is ordered after this one by the API.

struct GridBarrier {
  arrived: atomic<u32>,
  finished: atomic<u32>,
  // 0, or 1 + the step after which a barrier gave up
  failed: atomic<u32>,
}

@group(0) @binding(3) var<storage, read_write> plane0: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read_write> plane1: array<atomic<u32>>;
@group(0) @binding(5) var<storage, read_write> grid: GridBarrier;

override SPIN_LIMIT: u32 = 1048576u;
const FAILURE_POLL_SPINS: u32 = 64u;
var<workgroup> abort: u32;

// plane 0 = input, 1 = P0, 2 = P1
fn load_plane(plane: u32, i: u32) -> u32 {
  if (plane == 0u) {
    return src[i];
  }
  if (plane == 1u) {
    return atomicLoad(&plane0[i]);
  }
  return atomicLoad(&plane1[i]);
}

fn store_plane(plane: u32, i: u32, value: u32) {
  if (plane == 1u) {
    atomicStore(&plane0[i], value);
  } else {
    atomicStore(&plane1[i], value);
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn persistent_main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n = params.elements;
  let kernels = params.kernels;
  let workgroups = params.persistentWorkgroups;
  let chunks = (n + WORKGROUP_SIZE - 1u) / WORKGROUP_SIZE;
  for (var k = 0u; k < kernels; k++) {
    let readPlane = select(1u + (kernels - k) % 2u, 0u, k == 0u);
    let writePlane = 1u + (kernels - 1u - k) % 2u;
    for (var chunk = wg.x; chunk < chunks; chunk += workgroups) {
      let i = chunk * WORKGROUP_SIZE + lid;
      if (i < n) {
        let l = load_plane(readPlane, max(i, 1u) - 1u);
        let r = load_plane(readPlane, min(i + 1u, n - 1u));
        store_plane(writePlane, i, point(l, load_plane(readPlane, i), r, k));
      }
    }
    if (k + 1u == kernels) {
      break;
    }
    // Every lane's stores of step k before lane 0 announces the workgroup's arrival.
    storageBarrier();
    if (lid == 0u) {
      let arrivals = (k + 1u) * workgroups;
      // The last to arrive waits for nobody: one atomic round trip. The others poll `arrived`
      // and, now and then, the failure flag (set at most once; polling it every time would
      // double the polling period).
      var seen = atomicAdd(&grid.arrived, 1u) + 1u;
      var failed = 0u;
      for (var spins = 0u; seen < arrivals; spins++) {
        if (spins % FAILURE_POLL_SPINS == 0u) {
          failed = atomicLoad(&grid.failed);
          if (failed != 0u) {
            break;
          }
        }
        if (spins >= SPIN_LIMIT) {
          failed = k + 1u;
          atomicMax(&grid.failed, failed);
          break;
        }
        seen = atomicLoad(&grid.arrived);
      }
      abort = failed;
    }
    // One lane decided; the branch is on a workgroup-uniform load of its decision (WGSL's
    // uniformity analysis rejects a barrier after branching on the atomic directly).
    if (workgroupUniformLoad(&abort) != 0u) {
      break;
    }
    storageBarrier();
  }
  if (lid == 0u) {
    if (atomicAdd(&grid.finished, 1u) == workgroups - 1u) {
      atomicStore(&grid.arrived, 0u);
      atomicStore(&grid.finished, 0u);
    }
  }
}
