// decode workload: one token of a Llama-style decoder at batch 1 (src/workloads/decode/).
//
// Every op of the step is a row of the op table `ops` (src/workloads/decode/programs.ts builds
// it); an op is split into `units` of work that one workgroup does (a tile of GEMV rows, a chunk
// of elements, one attention head). The three programs run the same units:
//   step_main        one dispatch per op, one workgroup per unit; compiled once per op kind
//                    (override KIND), so each kind is its own pipeline as in an inference engine
//   persistent_main  one dispatch for the whole step: P workgroups walk the op table, each doing
//                    units wg, wg + P, ... of an op, a grid-wide barrier between ops (a GEMV of
//                    between P and 2P units in units of twice the rows, one each: gemv_wide)
// The `steps` program runs the 17 unfused ops per layer, `fused` and `persistent` the 6 fused
// ones (norm folded into the next GEMV, RoPE and the cache append into the QKV GEMV's epilogue,
// SiLU·up into the gate/up GEMV's, the residual add into the projections', attention as one op
// over chunks of positions and one that combines them).
//
// Buffers: weights in up to four slabs (a model past one storage binding is split by layers),
// array<vec4<f32>> with every tensor at a multiple of 64 floats, rows output-major; the K and V
// caches (layer, position, kvHeads × headDim); `act`, every activation of the step in its own
// region, written once per step and read only after (see persistent_main for why that matters).
//
// Memory model, honestly: WGSL gives no ordering between workgroups of one dispatch. The grid
// barrier (an atomic counter polled with a bounded spin) and storageBarrier() order each
// workgroup's own accesses; that other workgroups see them after the barrier is what GPUs do in
// practice, not what WGSL promises. The CPU reference check catches a failure; a barrier that
// cannot complete (workgroups not co-resident) gives up and sets `grid.failed`.

struct Op {
  kind: u32,
  units: u32,
  rows: u32,
  cols: u32,
  // GEMV: the weight slab and the matrix's first vec4
  slab: u32,
  w: u32,
  // activations read and written (float offsets into `act`)
  src: u32,
  dst: u32,
  // residual added to a GEMV's or ADD's result (NONE: none); second operand of SILU
  res: u32,
  // RMSNorm weights (slab and float offset; norm == NONE: the GEMV reads src as it is)
  normSlab: u32,
  norm: u32,
  // GEMV epilogue: EPI_STORE, EPI_ROPE_APPEND, EPI_SILU_PAIR
  epi: u32,
  // this layer's first float in kcache and vcache
  cache: u32,
  // attention: scores (heads × (L + 1)) and softmax sums (heads), float offsets into `act`
  scores: u32,
  sums: u32,
  // workgroups per row of a 2-D dispatch (step_main: unit = y × rowWorkgroups + x)
  rowWorkgroups: u32,
}

// Per dispatch (dynamic offset): the ops it runs.
struct Dispatch {
  first: u32,
  count: u32,
}

// The token's parameters, written before every submit (with the RoPE table), as a replayed
// decode graph receives them.
struct Token {
  // the token's position L: attends over positions 0 … L, appends K and V at L
  position: u32,
  // float offset in `act` of the RoPE table (cos, sin) at this position
  rope: u32,
}

struct GridBarrier {
  arrived: atomic<u32>,
  finished: atomic<u32>,
  // 0, or 1 + the op after which a barrier gave up
  failed: atomic<u32>,
  // on a cache line of its own: the barriers completed so far, set by each barrier's last
  // arrival; the waiting workgroups poll it, so their loads do not queue behind the arrivals'
  // atomic adds on `arrived`
  pad: array<u32, 29>,
  completed: atomic<u32>,
}

const MAX_OPS: u32 = 1024u;
const NONE: u32 = 0xffffffffu;

const K_NORM: u32 = 0u;
const K_GEMV: u32 = 1u;
const K_ROPE: u32 = 2u;
const K_APPEND: u32 = 3u;
const K_SCORES: u32 = 4u;
const K_SOFTMAX: u32 = 5u;
const K_WSUM: u32 = 6u;
const K_ADD: u32 = 7u;
const K_SILU: u32 = 8u;
const K_ATTENTION: u32 = 9u;
const K_COMBINE: u32 = 10u;

const EPI_STORE: u32 = 0u;
const EPI_ROPE_APPEND: u32 = 1u;
const EPI_SILU_PAIR: u32 = 2u;

@group(0) @binding(0) var<storage, read> w0: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> w1: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> w2: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> w3: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> kcache: array<f32>;
@group(0) @binding(5) var<storage, read_write> vcache: array<f32>;
@group(0) @binding(6) var<storage, read_write> act: array<f32>;
@group(0) @binding(7) var<storage, read_write> grid: GridBarrier;
@group(0) @binding(8) var<uniform> ops: array<Op, MAX_OPS>;
@group(0) @binding(9) var<uniform> dispatch: Dispatch;
@group(0) @binding(10) var<uniform> token: Token;

override WORKGROUP_SIZE: u32 = 256u;
override HIDDEN: u32 = 64u;
override HEADS: u32 = 4u;
override KV_HEADS: u32 = 2u;
override HEAD_DIM: u32 = 16u;
override NORM_EPS: f32 = 1e-5;
// step_main's op kind
override KIND: u32 = 0u;
// weights stored as f16 pairs (the `-f16` presets)
override F16_WEIGHTS: bool = false;
// persistent_main: polls of the barrier before giving up
override SPIN_LIMIT: u32 = 1048576u;
const FAILURE_POLL_SPINS: u32 = 64u;

// lanes per (head, position) of a score; dims per unit of the weighted sum
const SCORE_LANES: u32 = 8u;
const WSUM_DIMS: u32 = 8u;

var<workgroup> red: array<f32, WORKGROUP_SIZE>;
var<workgroup> red4: array<vec4<f32>, WORKGROUP_SIZE>;
// the fused attention: a chunk's scores (then weights) and queries, four heads to a vec4
var<workgroup> scores4: array<vec4<f32>, WORKGROUP_SIZE / SCORE_LANES>;
var<workgroup> q4: array<vec4<f32>, HEAD_DIM>;
var<workgroup> abort: u32;

fn wraw(slab: u32, i: u32) -> vec4<f32> {
  switch slab {
    case 0u: { return w0[i]; }
    case 1u: { return w1[i]; }
    case 2u: { return w2[i]; }
    default: { return w3[i]; }
  }
}

// Weights 4i … 4i + 3 of a slab. F16_WEIGHTS: the slab holds f16 pairs, eight weights to a
// vec4 of 32-bit words, unpacked to f32 (unpack2x16float: no shader-f16 feature needed).
fn wload(slab: u32, i: u32) -> vec4<f32> {
  if (F16_WEIGHTS) {
    let q = bitcast<vec4<u32>>(wraw(slab, i / 2u));
    let h = select(q.xy, q.zw, (i & 1u) == 1u);
    return vec4<f32>(unpack2x16float(h.x), unpack2x16float(h.y));
  }
  return wraw(slab, i);
}

fn wscalar(slab: u32, i: u32) -> f32 {
  return wload(slab, i / 4u)[i % 4u];
}

fn kv_width() -> u32 {
  return KV_HEADS * HEAD_DIM;
}

// Sums `value` over each group of `lanes` consecutive invocations (a power of two; a tree in
// `red`); every invocation gets its group's sum. The trees here count their levels from 0 to a
// constant bound and break, the form Tint leaves without an iteration guard (a loop of `s >>= 1`
// is guarded: scripts/loop-guards.ts).
fn group_sum(value: f32, lid: u32, lanes: u32) -> f32 {
  red[lid] = value;
  workgroupBarrier();
  for (var t = 0u; t < 32u; t++) {
    let s = (lanes / 2u) >> t;
    if (s == 0u) {
      break;
    }
    if (lid % lanes < s) {
      red[lid] += red[lid + s];
    }
    workgroupBarrier();
  }
  let total = red[lid - lid % lanes];
  workgroupBarrier();
  return total;
}

// Sums `value` over the `count` invocations lid % stride, lid % stride + stride, … (count a power
// of two); every invocation gets its sum.
fn strided_sum(value: f32, lid: u32, stride: u32, count: u32) -> f32 {
  red[lid] = value;
  workgroupBarrier();
  for (var t = 0u; t < 32u; t++) {
    let s = (count / 2u) >> t;
    if (s == 0u) {
      break;
    }
    if (lid / stride < s) {
      red[lid] += red[lid + s * stride];
    }
    workgroupBarrier();
  }
  let total = red[lid % stride];
  workgroupBarrier();
  return total;
}

fn reduce_max(value: f32, lid: u32) -> f32 {
  red[lid] = value;
  workgroupBarrier();
  for (var t = 0u; t < 32u; t++) {
    let s = (WORKGROUP_SIZE / 2u) >> t;
    if (s == 0u) {
      break;
    }
    if (lid < s) {
      red[lid] = max(red[lid], red[lid + s]);
    }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}

// 1 / √(mean(x²) + eps) of act[src .. src + n), n a multiple of 8 (a model width: heads × a
// headDim that is a power of two of at least 8). Eight values per lane per iteration, all loaded
// before any is used: one memory latency for the eight, where a loop over single values paid one
// each (n / WORKGROUP_SIZE in a row: 8 at llama-1b's 2048, once per workgroup and normed GEMV).
fn rms_inv(src: u32, n: u32, lid: u32) -> f32 {
  var squares = vec4<f32>();
  for (var i = src + 8u * lid; i < src + n; i += 8u * WORKGROUP_SIZE) {
    let a = vec4<f32>(act[i], act[i + 1u], act[i + 2u], act[i + 3u]);
    let b = vec4<f32>(act[i + 4u], act[i + 5u], act[i + 6u], act[i + 7u]);
    squares += a * a + b * b;
  }
  let total = workgroup_sum4(squares, lid);
  return 1.0 / sqrt((total.x + total.y + total.z + total.w) / f32(n) + NORM_EPS);
}

// ---- GEMV: dst[r] = W[r] · x (+ res[r]), x = src or RMSNorm(src) · norm -------------------------
// A unit is ROWS = 4 rows and every lane works on all four: lane l takes the weight words
// l, l + WORKGROUP_SIZE, … of each row (coalesced), so that one load of x, normalised once,
// serves four rows' weight loads; two such words per iteration, four loads each. A word is one
// vec4 of a slab: four f32 weights, or eight f16 ones (F16_WEIGHTS). The four partial sums ride
// in one vec4 (component = row) to workgroup_sum4, which the module's first part defines: with
// subgroups where the device has them (sum-subgroups.wgsl), else a tree in workgroup memory
// (sum-workgroup.wgsl).
// EPI_SILU_PAIR: rows 0 and 1 of a unit are gate rows j, j + 1, rows 2 and 3 the up rows
// rows + j, rows + j + 1 (W holds gate then up), and it writes silu(gate) · up. EPI_ROPE_APPEND:
// the rows are q (HIDDEN), k and v (kv_width() each) of Wq, Wk, Wv stored one after another; q is
// rotated into dst, k rotated and v appended to the caches at the token's position.

const ROWS: u32 = 4u;

fn gemv_row(op: Op, unit: u32, slot: u32) -> u32 {
  if (op.epi == EPI_SILU_PAIR) {
    let j = unit * 2u + slot % 2u;
    return select(j, op.rows + j, slot >= 2u);
  }
  return unit * ROWS + slot;
}

// Whether output row `slot` of the unit exists (an up row exists where its gate row does).
fn gemv_valid(op: Op, unit: u32, slot: u32) -> bool {
  if (op.epi == EPI_SILU_PAIR) {
    return unit * 2u + slot % 2u < op.rows;
  }
  return unit * ROWS + slot < op.rows;
}

// x[4c .. 4c + 3], normalised by `inv` and the norm's weights where the op folds a norm in
fn x4(op: Op, c: u32, inv: f32) -> vec4<f32> {
  let at = op.src + 4u * c;
  var x = vec4<f32>(act[at], act[at + 1u], act[at + 2u], act[at + 3u]);
  if (op.norm != NONE) {
    x = (x * inv) * wload(op.normSlab, op.norm / 4u + c);
  }
  return x;
}

// The four rows' weight words k (row bases b), one matrix column per row, loaded together and used
// before the next four are loaded. Loading both words' eight before using any (cdc7eca) held more
// registers: on the H100 the megakernel then fit 512 workgroups instead of 640 and its llama-1b
// step took 2 311 µs instead of 2 255 (docs/findings.md, "The runs of 2026-12-05, fifth session").
fn wwords(slab: u32, b: vec4<u32>, k: u32) -> mat4x4<f32> {
  return mat4x4<f32>(wraw(slab, b.x + k), wraw(slab, b.y + k), wraw(slab, b.z + k),
                     wraw(slab, b.w + k));
}

// The four rows' sums over their words `w` (word k of each row): x loaded once for the four; a
// word is four f32 weights, or eight f16 ones (unpacked with unpack2x16float, which needs no
// shader-f16 feature).
fn rows_dot(w: mat4x4<f32>, op: Op, k: u32, inv: f32) -> vec4<f32> {
  if (F16_WEIGHTS) {
    let xa = x4(op, 2u * k, inv);
    let xb = x4(op, 2u * k + 1u, inv);
    var sums = vec4<f32>();
    for (var r = 0u; r < ROWS; r++) {
      let h = bitcast<vec4<u32>>(w[r]);
      sums[r] = dot(vec4<f32>(unpack2x16float(h.x), unpack2x16float(h.y)), xa) +
        dot(vec4<f32>(unpack2x16float(h.z), unpack2x16float(h.w)), xb);
    }
    return sums;
  }
  return x4(op, k, inv) * w;
}

// Weight words per row of a GEMV.
fn gemv_words(op: Op) -> u32 {
  return op.cols / select(4u, 8u, F16_WEIGHTS);
}

// The first word of each of the unit's four rows in its slab. A missing row (the last unit of a
// row count that is not a multiple of four) reads the unit's first row again; its sum is dropped.
fn gemv_bases(op: Op, unit: u32) -> vec4<u32> {
  var b = vec4<u32>();
  for (var r = 0u; r < ROWS; r++) {
    let row = select(gemv_row(op, unit, 0u), gemv_row(op, unit, r), gemv_valid(op, unit, r));
    b[r] = op.w / select(1u, 2u, F16_WEIGHTS) + row * gemv_words(op);
  }
  return b;
}

// EPI_ROPE_APPEND's output pair (rows r, r + 1, r even): q rotated into dst, k rotated and v
// appended to the caches at the token's position.
fn rope_append_pair(op: Op, r: u32, a0: f32, b0: f32) {
  var a = a0;
  var b = b0;
  let kv = kv_width();
  let qk = r < HIDDEN + kv;
  if (qk) {
    let i = (r % HEAD_DIM) / 2u;
    let c = act[token.rope + 2u * i];
    let sn = act[token.rope + 2u * i + 1u];
    a = a0 * c - b0 * sn;
    b = a0 * sn + b0 * c;
  }
  let at = op.cache + token.position * kv;
  if (r < HIDDEN) {
    act[op.dst + r] = a;
    act[op.dst + r + 1u] = b;
  } else if (qk) {
    kcache[at + r - HIDDEN] = a;
    kcache[at + r - HIDDEN + 1u] = b;
  } else {
    vcache[at + r - HIDDEN - kv] = a;
    vcache[at + r - HIDDEN - kv + 1u] = b;
  }
}

// `inv`: 1 / RMS of the op's src where it folds a norm in (gemv_inv), computed once per op by
// the caller, not once per unit.
// variant preb: begin
fn gemv_unit(op: Op, unit: u32, lid: u32, inv: f32, first: mat4x4<f32>, pre: bool) {
/*
// variant preb: end
fn gemv_unit(op: Op, unit: u32, lid: u32, inv: f32) {
// variant preb: begin
*/
// variant preb: end
  let words = gemv_words(op);
  let b = gemv_bases(op, unit);
  // A plain GEMV's residual, loaded with the weights rather than after the sum has waited for them.
  let row = unit * ROWS + lid;
  var residual = 0.0;
  if (op.epi == EPI_STORE && op.res != NONE && lid < ROWS && row < op.rows) {
    residual = act[op.res + row];
  }
  var acc = vec4<f32>();
  // variant preb: begin
  // One word of the four rows a turn (16 weights in flight a lane, not 32); with `pre`, the
  // first is `first`, loaded by persistent_main before the grid barrier (pre_words).
  var k0 = lid;
  if (pre) {
    if (lid < words) {
      acc += rows_dot(first, op, lid, inv);
    }
    k0 += WORKGROUP_SIZE;
  }
  for (var k = k0; k < words; k += WORKGROUP_SIZE) {
    acc += rows_dot(wwords(op.slab, b, k), op, k, inv);
  }
  /*
  // variant preb: end
  for (var k = lid; k < words; k += 2u * WORKGROUP_SIZE) {
    // Past the row's end (a row shorter than two words per lane) the second word is the last
    // again, counted for nothing: no branch around its loads.
    let k2 = k + WORKGROUP_SIZE;
    let k2c = min(k2, words - 1u);
    acc += rows_dot(wwords(op.slab, b, k), op, k, inv);
    acc += rows_dot(wwords(op.slab, b, k2c), op, k2c, inv) * select(0.0, 1.0, k2 < words);
  }
  // variant preb: begin
  */
  // variant preb: end
  let sums = workgroup_sum4(acc, lid);
  switch op.epi {
    case EPI_SILU_PAIR: {
      // lid < 2: the pair (gate row j, up row) of slot lid
      let j = unit * 2u + lid;
      if (lid < 2u && j < op.rows) {
        let g = sums[lid];
        let u = sums[lid + 2u];
        act[op.dst + j] = g / (1.0 + exp(-g)) * u;
      }
    }
    case EPI_ROPE_APPEND: {
      // lid < 2 handles the pair (2·lid, 2·lid + 1) of the unit
      let r = unit * ROWS + 2u * lid;
      if (lid < 2u && r < op.rows) {
        rope_append_pair(op, r, sums[2u * lid], sums[2u * lid + 1u]);
      }
    }
    default: {
      if (lid < ROWS && row < op.rows) {
        act[op.dst + row] = sums[lid] + residual;
      }
    }
  }
  workgroupBarrier();
}

// 1 / RMS of a GEMV's src where it folds a norm in, else 1. Every invocation of the workgroup
// calls it (it reduces over the workgroup), in uniform control flow.
fn gemv_inv(op: Op, lid: u32) -> f32 {
  if (op.kind == K_GEMV && op.norm != NONE) {
    return rms_inv(op.src, op.cols, lid);
  }
  return 1.0;
}

// ---- wide GEMV units, the megakernel's only ---------------------------------------------------
// A GEMV of more units than the P workgroups but no more than 2P (llama-1b's fused q/k/v: 768 on
// 640) would leave some workgroups two units back to back and the rest one; a unit of a short
// row is a turn or two of gemv_unit's loop, its time mostly a round of loads, the sums and the
// epilogue. persistent_main does such an op in units of 8 rows, one per workgroup; each turn of
// the loop loads one word of each of the 8 rows (8 loads in flight, as gemv_unit's two words of
// 4 rows). For f16 rows of 256 words that is one round of loads instead of two; for f32 rows of
// 512 it is still two turns, and only the second unit's sums and epilogue go. Measured as a
// variant (the same computation, the epilogue not yet shared) on the H200, the megakernel's step:
// llama-1b-f16 1 664–1 667 → 1 563–1 565 µs (the probe then fits 512 workgroups; at 512 each,
// 1 692–1 694 → 1 568–1 569), llama-1b 1 702–1 704 → 1 684–1 687. How much is the wide units'
// is not clear: ops that do not take the path moved too, and gpt2-small, which has none, ran
// 1.5% faster in one run each (docs/findings.md, "The runs of 2026-12-06, fifteenth session").
// EPI_SILU_PAIR ops keep their units (a unit there is two gate rows and their two up rows).

// Whether persistent_main does the op in 8-row units (gemv_wide).
fn gemv_wide_op(op: Op, workgroups: u32) -> bool {
  return op.kind == K_GEMV && op.epi != EPI_SILU_PAIR && op.units > workgroups &&
    gemv_wide_units(op) <= workgroups;
}

fn gemv_wide_units(op: Op) -> u32 {
  return (op.rows + 2u * ROWS - 1u) / (2u * ROWS);
}

// Rows 8u … 8u + 7: gemv_unit's units 2u and 2u + 1 together. A missing row reads a valid one
// again (gemv_bases; unit 2u + 1 wholly past the rows: unit 2u's) and its sum is dropped.
// variant preb: begin
fn gemv_wide(op: Op, u: u32, lid: u32, inv: f32, first: mat4x4<f32>, pre: bool) {
/*
// variant preb: end
fn gemv_wide(op: Op, u: u32, lid: u32, inv: f32) {
// variant preb: begin
*/
// variant preb: end
  let words = gemv_words(op);
  let b0 = gemv_bases(op, 2u * u);
  let b1 = select(b0, gemv_bases(op, 2u * u + 1u), gemv_valid(op, 2u * u + 1u, 0u));
  let row = 2u * ROWS * u + lid;
  var residual = 0.0;
  if (op.epi == EPI_STORE && op.res != NONE && lid < 2u * ROWS && row < op.rows) {
    residual = act[op.res + row];
  }
  var acc0 = vec4<f32>();
  var acc1 = vec4<f32>();
  // variant preb: begin
  // The two groups of four rows one after the other (x loaded twice, from the cache the second
  // time), 16 weights in flight a lane as in gemv_unit above; with `pre`, the first group's
  // first word is `first` (pre_words).
  var k0 = lid;
  if (pre) {
    if (lid < words) {
      acc0 += rows_dot(first, op, lid, inv);
    }
    k0 += WORKGROUP_SIZE;
  }
  for (var k = k0; k < words; k += WORKGROUP_SIZE) {
    acc0 += rows_dot(wwords(op.slab, b0, k), op, k, inv);
  }
  for (var k = lid; k < words; k += WORKGROUP_SIZE) {
    acc1 += rows_dot(wwords(op.slab, b1, k), op, k, inv);
  }
  /*
  // variant preb: end
  for (var k = lid; k < words; k += WORKGROUP_SIZE) {
    acc0 += rows_dot(wwords(op.slab, b0, k), op, k, inv);
    acc1 += rows_dot(wwords(op.slab, b1, k), op, k, inv);
  }
  // variant preb: begin
  */
  // variant preb: end
  let sums0 = workgroup_sum4(acc0, lid);
  let sums1 = workgroup_sum4(acc1, lid);
  if (op.epi == EPI_ROPE_APPEND) {
    // lid < 4 handles the pair (r, r + 1), r = 8u + 2·lid: rows 2·(lid % 2), +1 of group lid / 2
    let r = row + lid;
    if (lid < ROWS && r < op.rows) {
      let s = select(sums0, sums1, lid >= 2u);
      rope_append_pair(op, r, s[2u * (lid % 2u)], s[2u * (lid % 2u) + 1u]);
    }
  } else if (lid < 2u * ROWS && row < op.rows) {
    act[op.dst + row] = select(sums0, sums1, lid >= ROWS)[lid % ROWS] + residual;
  }
  workgroupBarrier();
}

// variant preb: begin
// lazys16 (the norm folded into the sums, one word of four rows a turn: 48 registers) and the next
// GEMV's first weight words loaded before the grid barrier, as pre40b on w16 (its file is beside
// its run, results/20261207T014512Z-…): a local of persistent_main, passed to the op's first unit.
// Whether the workgroup has a unit of `op` that pre_words can load for: a GEMV's first unit.
fn pre_has(op: Op, workgroups: u32, wgx: u32) -> bool {
  return op.kind == K_GEMV &&
    wgx < select(op.units, gemv_wide_units(op), gemv_wide_op(op, workgroups));
}

// Word lid (or the last) of the four rows of the workgroup's first unit of `op` (gemv_wide's first
// group where the op takes that path).
fn pre_words(op: Op, workgroups: u32, wgx: u32, lid: u32) -> mat4x4<f32> {
  let b = gemv_bases(op, select(wgx, 2u * wgx, gemv_wide_op(op, workgroups)));
  return wwords(op.slab, b, min(lid, gemv_words(op) - 1u));
}

// A normed GEMV's first unit in each workgroup without waiting for the norm: Σ W·(x·inv·g) =
// inv · Σ W·(x·g), so the weight loads start at once and the lanes sum the squares of the x they
// load anyway (each word of x once per unit); inv comes with the rows' sums, one more reduction,
// and is returned for the workgroup's later units (gemv_unit with it, as before). gemv_inv
// waited a round of loads of x and a reduction before the first weight load, in every workgroup
// of qkv, gate+up and the LM head.
fn x_raw(op: Op, c: u32) -> vec4<f32> {
  let at = op.src + 4u * c;
  return vec4<f32>(act[at], act[at + 1u], act[at + 2u], act[at + 3u]);
}

// the squares of word k's x values (four, or eight: F16_WEIGHTS), summed
fn x_squares(op: Op, k: u32) -> f32 {
  if (F16_WEIGHTS) {
    let a = x_raw(op, 2u * k);
    let b = x_raw(op, 2u * k + 1u);
    return dot(a, a) + dot(b, b);
  }
  let a = x_raw(op, k);
  return dot(a, a);
}

fn lazy_inv(op: Op, squares: f32, lid: u32) -> f32 {
  let t = workgroup_sum4(vec4<f32>(squares, 0.0, 0.0, 0.0), lid);
  return 1.0 / sqrt(t.x / f32(op.cols) + NORM_EPS);
}

fn gemv_unit_lazy(op: Op, unit: u32, lid: u32, first: mat4x4<f32>, pre: bool) -> f32 {
  let words = gemv_words(op);
  let b = gemv_bases(op, unit);
  let row = unit * ROWS + lid;
  var residual = 0.0;
  if (op.epi == EPI_STORE && op.res != NONE && lid < ROWS && row < op.rows) {
    residual = act[op.res + row];
  }
  var acc = vec4<f32>();
  var squares = 0.0;
  var k0 = lid;
  if (pre) {
    if (lid < words) {
      acc += rows_dot(first, op, lid, 1.0);
      squares += x_squares(op, lid);
    }
    k0 += WORKGROUP_SIZE;
  }
  for (var k = k0; k < words; k += WORKGROUP_SIZE) {
    acc += rows_dot(wwords(op.slab, b, k), op, k, 1.0);
    squares += x_squares(op, k);
  }
  let inv = lazy_inv(op, squares, lid);
  let sums = workgroup_sum4(acc, lid) * inv;
  switch op.epi {
    case EPI_SILU_PAIR: {
      let j = unit * 2u + lid;
      if (lid < 2u && j < op.rows) {
        let g = sums[lid];
        let u = sums[lid + 2u];
        act[op.dst + j] = g / (1.0 + exp(-g)) * u;
      }
    }
    case EPI_ROPE_APPEND: {
      let r = unit * ROWS + 2u * lid;
      if (lid < 2u && r < op.rows) {
        rope_append_pair(op, r, sums[2u * lid], sums[2u * lid + 1u]);
      }
    }
    default: {
      if (lid < ROWS && row < op.rows) {
        act[op.dst + row] = sums[lid] + residual;
      }
    }
  }
  workgroupBarrier();
  return inv;
}

fn gemv_wide_lazy(op: Op, u: u32, lid: u32, first: mat4x4<f32>, pre: bool) {
  let words = gemv_words(op);
  let b0 = gemv_bases(op, 2u * u);
  let b1 = select(b0, gemv_bases(op, 2u * u + 1u), gemv_valid(op, 2u * u + 1u, 0u));
  let row = 2u * ROWS * u + lid;
  var residual = 0.0;
  if (op.epi == EPI_STORE && op.res != NONE && lid < 2u * ROWS && row < op.rows) {
    residual = act[op.res + row];
  }
  var acc0 = vec4<f32>();
  var acc1 = vec4<f32>();
  var squares = 0.0;
  var k0 = lid;
  if (pre) {
    if (lid < words) {
      acc0 += rows_dot(first, op, lid, 1.0);
      squares += x_squares(op, lid);
    }
    k0 += WORKGROUP_SIZE;
  }
  for (var k = k0; k < words; k += WORKGROUP_SIZE) {
    acc0 += rows_dot(wwords(op.slab, b0, k), op, k, 1.0);
    squares += x_squares(op, k);
  }
  for (var k = lid; k < words; k += WORKGROUP_SIZE) {
    acc1 += rows_dot(wwords(op.slab, b1, k), op, k, 1.0);
  }
  let inv = lazy_inv(op, squares, lid);
  let sums0 = workgroup_sum4(acc0, lid) * inv;
  let sums1 = workgroup_sum4(acc1, lid) * inv;
  if (op.epi == EPI_ROPE_APPEND) {
    let r = row + lid;
    if (lid < ROWS && r < op.rows) {
      let s = select(sums0, sums1, lid >= 2u);
      rope_append_pair(op, r, s[2u * (lid % 2u)], s[2u * (lid % 2u) + 1u]);
    }
  } else if (lid < 2u * ROWS && row < op.rows) {
    act[op.dst + row] = select(sums0, sums1, lid >= ROWS)[lid % ROWS] + residual;
  }
  workgroupBarrier();
}

// variant preb: end
// ---- the unfused ops ----------------------------------------------------------------------------

// dst = RMSNorm(src) · norm over op.cols elements; one unit
fn norm_unit(op: Op, lid: u32) {
  let inv = rms_inv(op.src, op.cols, lid);
  for (var i = lid; i < op.cols; i += WORKGROUP_SIZE) {
    act[op.dst + i] = (act[op.src + i] * inv) * wscalar(op.normSlab, op.norm + i);
  }
}

// RoPE in place on q (HEADS heads at src) and k (KV_HEADS heads after it): one pair per lane
fn rope_unit(op: Op, unit: u32, lid: u32) {
  let pair = unit * WORKGROUP_SIZE + lid;
  if (pair >= (HEADS + KV_HEADS) * HEAD_DIM / 2u) {
    return;
  }
  let r = op.src + 2u * pair;
  let i = pair % (HEAD_DIM / 2u);
  let c = act[token.rope + 2u * i];
  let sn = act[token.rope + 2u * i + 1u];
  let a = act[r];
  let b = act[r + 1u];
  act[r] = a * c - b * sn;
  act[r + 1u] = a * sn + b * c;
}

// k (at src) and v (after it) into the caches at the token's position
fn append_unit(op: Op, unit: u32, lid: u32) {
  let kv = kv_width();
  let i = unit * WORKGROUP_SIZE + lid;
  if (i >= 2u * kv) {
    return;
  }
  let at = op.cache + token.position * kv;
  if (i < kv) {
    kcache[at + i] = act[op.src + i];
  } else {
    vcache[at + i - kv] = act[op.src + i];
  }
}

// One lane's part of q_h · k_p / √headDim: dims lane, lane + SCORE_LANES, …; a group of
// SCORE_LANES lanes sums them (group_sum).
fn score_part(op: Op, head: u32, p: u32, lane: u32) -> f32 {
  let kvh = head / (HEADS / KV_HEADS);
  let k = op.cache + p * kv_width() + kvh * HEAD_DIM;
  let q = op.src + head * HEAD_DIM;
  var acc = 0.0;
  for (var i = lane; i < HEAD_DIM; i += SCORE_LANES) {
    acc += act[q + i] * kcache[k + i];
  }
  return acc * (1.0 / sqrt(f32(HEAD_DIM)));
}

// scores[h, p], SCORE_LANES lanes per (head, position)
fn scores_unit(op: Op, unit: u32, lid: u32) {
  let positions = token.position + 1u;
  let idx = unit * (WORKGROUP_SIZE / SCORE_LANES) + lid / SCORE_LANES;
  let valid = idx < HEADS * positions;
  var part = 0.0;
  if (valid) {
    part = score_part(op, idx / positions, idx % positions, lid % SCORE_LANES);
  }
  let value = group_sum(part, lid, SCORE_LANES);
  if (valid && lid % SCORE_LANES == 0u) {
    act[op.scores + idx] = value;
  }
}

// one head per unit: scores → exp(score − max) in place, their sum into sums[h]
fn softmax_unit(op: Op, head: u32, lid: u32) {
  let positions = token.position + 1u;
  let s = op.scores + head * positions;
  var m = -3.0e38;
  for (var p = lid; p < positions; p += WORKGROUP_SIZE) {
    m = max(m, act[s + p]);
  }
  m = reduce_max(m, lid);
  var total = 0.0;
  for (var p = lid; p < positions; p += WORKGROUP_SIZE) {
    let e = exp(act[s + p] - m);
    act[s + p] = e;
    total += e;
  }
  total = group_sum(total, lid, WORKGROUP_SIZE);
  if (lid == 0u) {
    act[op.sums + head] = total;
  }
}

// dst[h, i] = Σ_p e[h, p] · v_p[i] / sums[h]: a unit is WSUM_DIMS dims of one head, its
// WORKGROUP_SIZE / WSUM_DIMS groups of lanes split the positions
fn wsum_unit(op: Op, unit: u32, lid: u32) {
  let positions = token.position + 1u;
  let blocks = HEAD_DIM / WSUM_DIMS;
  let head = unit / blocks;
  let i = (unit % blocks) * WSUM_DIMS + lid % WSUM_DIMS;
  let groups = WORKGROUP_SIZE / WSUM_DIMS;
  let v = op.cache + (head / (HEADS / KV_HEADS)) * HEAD_DIM + i;
  let s = op.scores + head * positions;
  var acc = 0.0;
  for (var p = lid / WSUM_DIMS; p < positions; p += groups) {
    acc += act[s + p] * vcache[v + p * kv_width()];
  }
  let total = strided_sum(acc, lid, WSUM_DIMS, groups);
  if (lid < WSUM_DIMS) {
    act[op.dst + head * HEAD_DIM + i] = total / act[op.sums + head];
  }
}

// dst = src + res (ADD) or silu(src) · res (SILU), op.cols elements
fn elementwise_unit(op: Op, kind: u32, unit: u32, lid: u32) {
  let i = unit * WORKGROUP_SIZE + lid;
  if (i >= op.cols) {
    return;
  }
  let a = act[op.src + i];
  let b = act[op.res + i];
  if (kind == K_ADD) {
    act[op.dst + i] = a + b;
  } else {
    act[op.dst + i] = a / (1.0 + exp(-a)) * b;
  }
}

// ---- fused attention: split over the positions (flash-decoding) ---------------------------------
// K_ATTENTION: a unit is a chunk of CHUNK = WORKGROUP_SIZE / SCORE_LANES positions of one KV head,
// for up to four of the query heads that share it (grouped-query attention: the unit's `quad`),
// so that each K and V value is loaded once for the four: the heads ride in the components of a
// vec4. Per head: the chunk's scores, their max m, l = Σ exp(s − m) and o = Σ exp(s − m) · v,
// written to the head's partials (HEAD_DIM + 2 floats per chunk at op.sums). K_COMBINE, one head
// per unit: rescales the chunks to the largest m and divides, out = Σ e^(m_c − m) o_c / Σ e^(m_c −
// m) l_c.

// Query heads per KV head, and groups of four of them.
fn group_heads() -> u32 {
  return HEADS / KV_HEADS;
}
fn quads() -> u32 {
  return (group_heads() + 3u) / 4u;
}

// Sums `value` over each group of `lanes` consecutive invocations (a power of two), as group_sum
// does for one float; every invocation gets its group's sum.
fn group_sum4(value: vec4<f32>, lid: u32, lanes: u32) -> vec4<f32> {
  red4[lid] = value;
  workgroupBarrier();
  for (var t = 0u; t < 32u; t++) {
    let s = (lanes / 2u) >> t;
    if (s == 0u) {
      break;
    }
    if (lid % lanes < s) {
      red4[lid] += red4[lid + s];
    }
    workgroupBarrier();
  }
  let total = red4[lid - lid % lanes];
  workgroupBarrier();
  return total;
}

// Sums `value` over the `count` invocations lid % stride, lid % stride + stride, … (as
// strided_sum for one float); every invocation gets its sum.
fn strided_sum4(value: vec4<f32>, lid: u32, stride: u32, count: u32) -> vec4<f32> {
  red4[lid] = value;
  workgroupBarrier();
  for (var t = 0u; t < 32u; t++) {
    let s = (count / 2u) >> t;
    if (s == 0u) {
      break;
    }
    if (lid / stride < s) {
      red4[lid] += red4[lid + s * stride];
    }
    workgroupBarrier();
  }
  let total = red4[lid % stride];
  workgroupBarrier();
  return total;
}

fn attention_unit(op: Op, unit: u32, lid: u32) {
  let positions = token.position + 1u;
  let chunk = WORKGROUP_SIZE / SCORE_LANES;
  let chunks = (positions + chunk - 1u) / chunk;
  let c = unit % chunks;
  let quad = (unit / chunks) % quads();
  let kvh = unit / chunks / quads();
  // the unit's heads: kvh · group_heads() + 4 · quad + j, for j < heads
  let h0 = kvh * group_heads() + 4u * quad;
  let heads = min(4u, group_heads() - 4u * quad);
  let first = c * chunk;
  // The heads' queries, scaled by 1/√headDim, dim by dim (a missing head's are 0); a workgroup
  // has at least HEAD_DIM invocations (the workload's checkLimits).
  if (lid < HEAD_DIM) {
    var q = vec4<f32>();
    for (var j = 0u; j < 4u; j++) {
      if (j >= heads) {
        break;
      }
      q[j] = act[op.src + (h0 + j) * HEAD_DIM + lid];
    }
    q4[lid] = q * (1.0 / sqrt(f32(HEAD_DIM)));
  }
  workgroupBarrier();
  // Scores: SCORE_LANES lanes per position, each over dims lane, lane + SCORE_LANES, … The K and
  // V loops' trip counts are expressions of overrides and constants alone: Tint then knows them
  // finite and adds no iteration counter (a bound in a `let` or read at run time gets one,
  // scripts/loop-guards.ts), and the driver may unroll them and issue their loads together. On
  // an H100 this form's attention op took 10.4 µs inside the megakernel against 14.8 with both
  // loops guarded, two rounds by turns in one command (docs/findings.md, "The runs of 2026-12-05,
  // sixth session"). Keep the bounds free of `let`s: a bound in a `let` is guarded. The op's other
  // loops are written the same way (a constant bound and a break: the tree sums, m, l, the heads)
  // and the 8 lanes' sum is score_sum4 (subgroup shuffles where the module has them): 6.4 µs
  // against 10.3, two rounds by turns (docs/findings.md, "The runs of 2026-12-05, seventh
  // session").
  let p = first + lid / SCORE_LANES;
  var part = vec4<f32>();
  if (p < positions) {
    let k = op.cache + p * kv_width() + kvh * HEAD_DIM;
    for (var t = 0u; t < HEAD_DIM / SCORE_LANES; t++) {
      let d = lid % SCORE_LANES + t * SCORE_LANES;
      part += kcache[k + d] * q4[d];
    }
  }
  let value = score_sum4(part, lid);
  if (lid % SCORE_LANES == 0u) {
    scores4[lid / SCORE_LANES] = select(vec4<f32>(-3.0e38), value, p < positions);
  }
  workgroupBarrier();
  let count = min(chunk, positions - first);
  var m = vec4<f32>(-3.0e38);
  for (var j = 0u; j < WORKGROUP_SIZE / SCORE_LANES; j++) {
    if (j >= count) {
      break;
    }
    m = max(m, scores4[j]);
  }
  workgroupBarrier();
  // the weights exp(s − m), in place
  if (lid < count) {
    scores4[lid] = exp(scores4[lid] - m);
  }
  workgroupBarrier();
  var l = vec4<f32>();
  for (var j = 0u; j < WORKGROUP_SIZE / SCORE_LANES; j++) {
    if (j >= count) {
      break;
    }
    l += scores4[j];
  }
  // o: HEAD_DIM dims × WORKGROUP_SIZE / HEAD_DIM groups of positions
  let groups = WORKGROUP_SIZE / HEAD_DIM;
  let i = lid % HEAD_DIM;
  let v = op.cache + kvh * HEAD_DIM + i;
  var acc = vec4<f32>();
  for (var t = 0u; t < (WORKGROUP_SIZE / SCORE_LANES) / (WORKGROUP_SIZE / HEAD_DIM); t++) {
    // past the chunk's last position: that position again, weighted 0
    let j = lid / HEAD_DIM + t * groups;
    let jc = min(j, count - 1u);
    acc += select(vec4<f32>(), scores4[jc] * vcache[v + (first + jc) * kv_width()], j < count);
  }
  let o = strided_sum4(acc, lid, HEAD_DIM, groups);
  for (var j = 0u; j < 4u; j++) {
    if (j >= heads) {
      break;
    }
    let at = op.sums + ((h0 + j) * chunks + c) * (HEAD_DIM + 2u);
    if (lid < HEAD_DIM) {
      act[at + 2u + lid] = o[j];
    }
    if (lid == 0u) {
      act[at] = m[j];
      act[at + 1u] = l[j];
    }
  }
}

fn combine_unit(op: Op, head: u32, lid: u32) {
  let positions = token.position + 1u;
  let chunk = WORKGROUP_SIZE / SCORE_LANES;
  let chunks = (positions + chunk - 1u) / chunk;
  let base = op.sums + head * chunks * (HEAD_DIM + 2u);
  var m = -3.0e38;
  for (var c = lid; c < chunks; c += WORKGROUP_SIZE) {
    m = max(m, act[base + c * (HEAD_DIM + 2u)]);
  }
  m = reduce_max(m, lid);
  var l = 0.0;
  for (var c = lid; c < chunks; c += WORKGROUP_SIZE) {
    let at = base + c * (HEAD_DIM + 2u);
    l += exp(act[at] - m) * act[at + 1u];
  }
  l = group_sum(l, lid, WORKGROUP_SIZE);
  // HEAD_DIM dims × WORKGROUP_SIZE / HEAD_DIM groups of chunks
  let groups = WORKGROUP_SIZE / HEAD_DIM;
  let i = lid % HEAD_DIM;
  // Four chunks per iteration, their loads written before any is used (one latency for four).
  var acc = 0.0;
  for (var c0 = lid / HEAD_DIM; c0 < chunks; c0 += 4u * groups) {
    var mc: array<f32, 4>;
    var oc: array<f32, 4>;
    for (var u = 0u; u < 4u; u++) {
      let at = base + min(c0 + u * groups, chunks - 1u) * (HEAD_DIM + 2u);
      mc[u] = act[at];
      oc[u] = act[at + 2u + i];
    }
    for (var u = 0u; u < 4u; u++) {
      acc += select(0.0, exp(mc[u] - m) * oc[u], c0 + u * groups < chunks);
    }
  }
  let o = strided_sum(acc, lid, HEAD_DIM, groups);
  if (lid < HEAD_DIM) {
    act[op.dst + head * HEAD_DIM + i] = o / l;
  }
}

// For a GEMV: inv, gemv_inv(op, lid).
fn run_unit(kind: u32, op: Op, unit: u32, lid: u32, inv: f32) {
  switch kind {
    case K_NORM: { norm_unit(op, lid); }
    // variant preb: begin
    case K_GEMV: { gemv_unit(op, unit, lid, inv, mat4x4<f32>(), false); }
    /*
    // variant preb: end
    case K_GEMV: { gemv_unit(op, unit, lid, inv); }
    // variant preb: begin
    */
    // variant preb: end
    case K_ROPE: { rope_unit(op, unit, lid); }
    case K_APPEND: { append_unit(op, unit, lid); }
    case K_SCORES: { scores_unit(op, unit, lid); }
    case K_SOFTMAX: { softmax_unit(op, unit, lid); }
    case K_WSUM: { wsum_unit(op, unit, lid); }
    case K_ATTENTION: { attention_unit(op, unit, lid); }
    case K_COMBINE: { combine_unit(op, unit, lid); }
    default: { elementwise_unit(op, kind, unit, lid); }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn step_main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let op = ops[dispatch.first];
  let unit = wg.y * op.rowWorkgroups + wg.x;
  // Padding workgroups of a 2-D grid: uniform per workgroup, before any barrier.
  if (unit >= op.units) {
    return;
  }
  run_unit(KIND, op, unit, lid, gemv_inv(op, lid));
}

// ---- persistent_main: the whole step in one dispatch --------------------------------------------
// P workgroups (1-D dispatch) do units wg, wg + P, ... of each op, then wait at a grid-wide barrier
// until all P finished it (as the stencil's, shaders/stencil.wgsl, with a release flag): the
// arrival that brings `arrived` to (b + 1) · P sets `completed` to b + 1, which the others poll;
// a waiting workgroup spins at most SPIN_LIMIT polls, then records the op in `grid.failed` and
// exits, and every other one sees the flag and exits too; the last workgroup out resets it all. It relies on all P workgroups being co-resident, which WebGPU
// does not guarantee.
//
// Why every activation has its own region, written once per step: a GPU's per-multiprocessor cache
// is not coherent with the others', and WGSL cannot ask for device-scope ordering. A region that
// no workgroup has read before the barrier that follows its write cannot be stale in any cache.

@compute @workgroup_size(WORKGROUP_SIZE)
fn persistent_main(@builtin(workgroup_id) wg: vec3<u32>,
                   @builtin(num_workgroups) groups: vec3<u32>,
                   @builtin(local_invocation_index) lid: u32) {
  let workgroups = groups.x;
  let count = dispatch.count;
  // variant preb: begin
  // the next GEMV's first words, loaded before each barrier (pre_words), and whether they were
  var pw = mat4x4<f32>();
  var pre = false;
  for (var o = 0u; o < count; o++) {
  /*
  // variant preb: end
  for (var o = 0u; o < count; o++) {
  // variant preb: begin
  */
  // variant preb: end
    let op = ops[dispatch.first + o];
    // variant preb: begin
    if (op.kind == K_GEMV && op.norm != NONE) {
      if (gemv_wide_op(op, workgroups)) {
        if (wg.x < gemv_wide_units(op)) {
          gemv_wide_lazy(op, wg.x, lid, pw, pre);
        }
      } else if (wg.x < op.units) {
        let first = gemv_unit_lazy(op, wg.x, lid, pw, pre);
        for (var unit = wg.x + workgroups; unit < op.units; unit += workgroups) {
          gemv_unit(op, unit, lid, first, mat4x4<f32>(), false);
        }
      }
    } else {
    // variant preb: end
    // A GEMV that folds a norm in normalises once per workgroup, not once per unit.
    var inv = 1.0;
    if (wg.x < op.units) {
      inv = gemv_inv(op, lid);
    }
    if (gemv_wide_op(op, workgroups)) {
      if (wg.x < gemv_wide_units(op)) {
        // variant preb: begin
        gemv_wide(op, wg.x, lid, inv, pw, pre);
      }
    } else if (op.kind == K_GEMV) {
      // the first unit takes the words loaded before the barrier; a later one loads its own
      if (wg.x < op.units) {
        gemv_unit(op, wg.x, lid, inv, pw, pre);
      }
      for (var unit = wg.x + workgroups; unit < op.units; unit += workgroups) {
        gemv_unit(op, unit, lid, inv, mat4x4<f32>(), false);
      }
    } else {
        /*
        // variant preb: end
        gemv_wide(op, wg.x, lid, inv);
      }
    } else {
        // variant preb: begin
        */
        // variant preb: end
      for (var unit = wg.x; unit < op.units; unit += workgroups) {
        run_unit(op.kind, op, unit, lid, inv);
      }
    }
    // variant preb: begin
    }
    // variant preb: end
    // variant preb: begin
    if (o + 1u == count) {
      break;
    }
    let next = ops[dispatch.first + o + 1u];
    pre = pre_has(next, workgroups, wg.x);
    pw = mat4x4<f32>();
    if (pre) {
      pw = pre_words(next, workgroups, wg.x, lid);
    }
    storageBarrier();
    /*
    // variant preb: end
    if (o + 1u == count) {
      break;
    }
    storageBarrier();
    // variant preb: begin
    */
    // variant preb: end
    if (lid == 0u) {
      var failed = 0u;
      if (atomicAdd(&grid.arrived, 1u) + 1u == (o + 1u) * workgroups) {
        // The last to arrive waits for nobody and releases the others.
        atomicStore(&grid.completed, o + 1u);
      } else {
        for (var spins = 0u; atomicLoad(&grid.completed) <= o; spins++) {
          if (spins % FAILURE_POLL_SPINS == 0u) {
            failed = atomicLoad(&grid.failed);
            if (failed != 0u) {
              break;
            }
          }
          if (spins >= SPIN_LIMIT) {
            failed = o + 1u;
            atomicMax(&grid.failed, failed);
            break;
          }
        }
      }
      abort = failed;
    }
    if (workgroupUniformLoad(&abort) != 0u) {
      break;
    }
    storageBarrier();
  }
  if (lid == 0u) {
    if (atomicAdd(&grid.finished, 1u) == workgroups - 1u) {
      atomicStore(&grid.arrived, 0u);
      atomicStore(&grid.completed, 0u);
      atomicStore(&grid.finished, 0u);
    }
  }
}
