// Streaming kernels of the bandwidth reference (src/measure/bandwidth.ts, issue 22): what the
// memory system moves when a kernel does nothing else, the ceiling a memory-bound kernel (decode's
// GEMVs) is held to.
//
// vec4<u32> loads and stores (16 bytes each), four of them in flight per invocation per
// iteration, over a grid-stride loop: invocation i of a grid of G handles i, i + G, i + 2G, … so
// that every load of a subgroup is coalesced and the grid's size (the dispatch's workgroup count)
// can be tuned to the adapter without changing the kernel.
//   copy_main  dst = src                     bytes moved: 2 × count × 16
//   read_main  reads src, writes nothing     bytes moved:     count × 16
//              (an invocation stores only where the xor of what it read equals `never`, one in
//              2³² per invocation: a word now and then, but the loads cannot be optimised away;
//              with `verify` set, each invocation stores its xor for the host to check)

override WORKGROUP_SIZE: u32 = 256u;

struct Params {
  // vec4s in src and dst
  count: u32,
  // read_main: the xor an invocation must read to store it
  never: u32,
  // read_main: 1 = store every invocation's xor in sink (verification), 0 = timing
  verify: u32,
  pad: u32,
}

@group(0) @binding(0) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> sink: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn copy_main(@builtin(global_invocation_id) gid: vec3<u32>,
             @builtin(num_workgroups) groups: vec3<u32>) {
  let stride = groups.x * WORKGROUP_SIZE;
  let n = params.count;
  var i = gid.x;
  while (i + 3u * stride < n) {
    let a = src[i];
    let b = src[i + stride];
    let c = src[i + 2u * stride];
    let d = src[i + 3u * stride];
    dst[i] = a;
    dst[i + stride] = b;
    dst[i + 2u * stride] = c;
    dst[i + 3u * stride] = d;
    i += 4u * stride;
  }
  while (i < n) {
    dst[i] = src[i];
    i += stride;
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn read_main(@builtin(global_invocation_id) gid: vec3<u32>,
             @builtin(num_workgroups) groups: vec3<u32>) {
  let stride = groups.x * WORKGROUP_SIZE;
  let n = params.count;
  var acc = vec4<u32>();
  var i = gid.x;
  while (i + 3u * stride < n) {
    acc ^= src[i] ^ src[i + stride] ^ src[i + 2u * stride] ^ src[i + 3u * stride];
    i += 4u * stride;
  }
  while (i < n) {
    acc ^= src[i];
    i += stride;
  }
  let x = acc.x ^ acc.y ^ acc.z ^ acc.w;
  if (params.verify == 1u) {
    sink[gid.x] = x;
  } else if (x == params.never) {
    sink[0] = x;
  }
}
