// decode workload: fills one tensor with its hashed values, the same bits as the CPU reference's
// decodeValue / decodeWeight (src/workloads/decode/reference.ts): lowbias32 of
// (stream + index * 0x85ebca6b), its top `bits` bits as a fraction (exact in f32: ldexp), minus
// 0.5 (exact), times the tensor's scale (one correctly rounded f32 product), plus 1 for norm
// weights (their scale is 0.5, a power of two, so a fused multiply-add rounds the same).
//   main      one f32 per element
//   main_f16  two f16 per 32-bit word (f16 weights: 9 bits times a power of two, exact in f16,
//             so pack2x16float has nothing to round)
struct Params {
  stream: u32,
  count: u32,
  scale: f32,
  offset: f32,
  bits: u32,
}

@group(0) @binding(0) var<storage, read_write> values: array<f32>;
@group(0) @binding(0) var<storage, read_write> packed: array<u32>;
@group(0) @binding(1) var<uniform> params: Params;

fn hash32(x: u32) -> u32 {
  var h = x;
  h ^= h >> 16u;
  h *= 0x7feb352du;
  h ^= h >> 15u;
  h *= 0x846ca68bu;
  h ^= h >> 16u;
  return h;
}

fn value(i: u32) -> f32 {
  let h = hash32(params.stream + i * 0x85ebca6bu);
  let fraction = ldexp(f32(h >> (32u - params.bits)), -i32(params.bits));
  var v = (fraction - 0.5) * params.scale;
  if (params.offset != 0.0) {
    v = v + params.offset;
  }
  return v;
}

override WORKGROUP_SIZE: u32 = 256;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.count) {
    return;
  }
  values[i] = value(i);
}

// params.count: f16 values (even); one invocation per pair
@compute @workgroup_size(WORKGROUP_SIZE)
fn main_f16(@builtin(global_invocation_id) gid: vec3<u32>,
            @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (2u * i >= params.count) {
    return;
  }
  packed[i] = pack2x16float(vec2<f32>(value(2u * i), value(2u * i + 1u)));
}
