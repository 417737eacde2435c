// Decode v2 for MHA / GQA / MQA (one query per sequence): FlashInfer's decode reads.
//
// v1 (decode.wgsl) has one thread read a whole K row as DK/4 loads 4·DK bytes apart: a warp touches
// 32 cache lines per load, and on HBM GPUs the load/store unit, not memory, becomes the limit. Here a
// lane group of L lanes reads a token's row with 16-byte loads, side by side, and each lane owns a
// fixed slice of the head dimension for the whole run: its slice of the R queries and of the R output
// accumulators stay in registers. Each step a lane group reads U consecutive tokens and the G groups
// read G·U consecutive tokens, so every step of a workgroup covers one contiguous stretch of K and of
// V (a first version read one token per group per step: 2 KB of K per split per step, and on an H200
// its steps slowed from 1.2 to 5–7 µs as splits multiplied — bench/results/nvidia-h200-vulkan-v1-v2.md).
// The L partial dots of a token are summed with subgroup shuffles (workgroup memory where the adapter
// has no subgroups). Each lane group keeps its own online softmax (m, l, accumulators), rescaled once
// per step; the G groups are merged once, at the end. The next step's K and V loads are issued before
// the current step's math.
//
// K/V in f16 are read as vec4<u32> (8 halves) and unpacked with unpack2x16float, so f16 caches run on
// adapters without shader-f16 (NVIDIA under Dawn's Vulkan backend has none). Tokens outside [lo, hi)
// are never loaded (the tests fill them with NaN). Writes the per-split (O, m, l) that merge.wgsl reads.
//
// Template values ({{…}}) are filled by src/gpu/shaders.ts.
{{ENABLE_SUBGROUPS}}
const WG: u32 = {{WG}}u;
// Lanes per token row, and tokens in flight per workgroup step.
const L: u32 = {{L}}u;
const G: u32 = WG / L;
// Consecutive tokens per lane group per step, and tokens per workgroup step.
const U: u32 = {{U}}u;
const STEP: u32 = G * U;
// Query heads per workgroup (their queries and accumulators are per-lane registers).
const R: u32 = {{GB}}u;
// Per lane: vec4<f32> of K and of V it owns, the 16-byte loads that bring them, and vec4<f32> per load.
const QK: u32 = {{QK}}u;
const QV: u32 = {{QV}}u;
const LK: u32 = {{LK}}u;
const LV: u32 = {{LV}}u;
const QPR: u32 = {{QPR}}u;
// 16-byte units per K row and per V row.
const RK: u32 = LK * L;
const RV: u32 = LV * L;
const DK4: u32 = QK * L;
const DV4: u32 = QV * L;
const NEG: f32 = -1.0e30;

{{PARAMS}}

// Bindings: see params.wgsl (K and V as 16-byte units: vec4<u32> of packed halves, or vec4<f32>).

// The cross-group merge at the end, one head at a time; the no-subgroup reduction of partial dots.
var<workgroup> mS: array<f32, G>;
var<workgroup> lS: array<f32, G>;
var<workgroup> oS: array<vec4<f32>, G * DV4>;
var<workgroup> redS: array<f32, {{RED_SIZE}}>;

// Quad j of a 16-byte load: 4 of its 8 packed halves, or the load itself.
fn quad(raw: {{RAW_T}}, j: u32) -> vec4<f32> {
{{QUAD}}
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let split = P.splitBase + wid.x % P.dispatchSplits;
  let kvhLocal = wid.y % P.chunkHeads;
  let kvh = P.kvHeadBase + kvhLocal;
  let hb = wid.y / P.chunkHeads;
  let b = P.batchBase + wid.z;
  let group = P.qHeads / P.kvHeads;
  let firstHead = kvh * group + hb * R;
  let lane = tid % L;
  let g = tid / L;

  // The one query's tokens: causal ∩ window or chunk ∩ this split (params.wgsl).
  let range = decodeRange(seqLens[b], split);
  let lo = range.x;
  let hi = range.y;

  // This lane's slice of the R queries, pre-scaled by log2(e)/sqrt(d_k) so the softmax runs in exp2.
  var q: array<array<vec4<f32>, QK>, R>;
  var acc: array<array<vec4<f32>, QV>, R>;
  var m: array<f32, R>;
  var l: array<f32, R>;
  for (var r = 0u; r < R; r++) {
    for (var i = 0u; i < QK; i++) {
      q[r][i] = Q[(b * P.qHeads + firstHead + r) * DK4 + lane * QK + i] * P.scaleLog2;
    }
    for (var i = 0u; i < QV; i++) { acc[r][i] = vec4<f32>(0.0); }
    m[r] = NEG;
    l[r] = 0.0;
  }
  // Row start in this dispatch's buffers, less the chunk's first token (u32 arithmetic wraps: t ≥ tokenBase).
  let kvBase = (wid.z * P.chunkHeads + kvhLocal) * P.chunkLen - P.tokenBase;

  // The first step's loads; each step then loads the next step's before using the current one.
  var rawK: array<{{RAW_T}}, U * LK>;
  var rawV: array<{{RAW_T}}, U * LV>;
  var tb = lo + g * U;
  for (var u = 0u; u < U; u++) {
    if (tb + u < hi) {
      for (var i = 0u; i < LK; i++) { rawK[u * LK + i] = K[(kvBase + tb + u) * RK + lane * LK + i]; }
      for (var i = 0u; i < LV; i++) { rawV[u * LV + i] = V[(kvBase + tb + u) * RV + lane * LV + i]; }
    }
  }
  for (var t0 = lo; t0 < hi; t0 += STEP) {
    let curK = rawK;
    let curV = rawV;
    let tbNext = tb + STEP;
    for (var u = 0u; u < U; u++) {
      if (tbNext + u < hi) {
        for (var i = 0u; i < LK; i++) { rawK[u * LK + i] = K[(kvBase + tbNext + u) * RK + lane * LK + i]; }
        for (var i = 0u; i < LV; i++) { rawV[u * LV + i] = V[(kvBase + tbNext + u) * RV + lane * LV + i]; }
      }
    }

    // This lane's part of each head's dot with each of its U tokens, then the sum over the token's L lanes.
    var s: array<array<f32, R>, U>;
    for (var u = 0u; u < U; u++) {
      let valid = tb + u < hi;
      for (var r = 0u; r < R; r++) {
        var d = vec4<f32>(0.0);
        for (var i = 0u; i < QK; i++) { d = fma(q[r][i], quad(curK[u * LK + i / QPR], i % QPR), d); }
        s[u][r] = select(0.0, d.x + d.y + d.z + d.w, valid);
      }
    }
{{REDUCE}}

    // Online softmax of this lane group: one rescale per step, then the step's U tokens.
    for (var r = 0u; r < R; r++) {
      var mNew = m[r];
      for (var u = 0u; u < U; u++) {
        if (tb + u < hi) { mNew = max(mNew, s[u][r]); }
      }
      let a = exp2(m[r] - mNew);
      var lr = l[r] * a;
      for (var i = 0u; i < QV; i++) { acc[r][i] *= a; }
      for (var u = 0u; u < U; u++) {
        let p = select(0.0, exp2(s[u][r] - mNew), tb + u < hi);
        lr += p;
        for (var i = 0u; i < QV; i++) { acc[r][i] = fma(vec4<f32>(p), quad(curV[u * LV + i / QPR], i % QPR), acc[r][i]); }
      }
      m[r] = mNew;
      l[r] = lr;
    }
    tb = tbNext;
  }

  // Merge the G lane groups of each head and write this split's (O, m, l).
  for (var r = 0u; r < R; r++) {
    if (lane == 0u) {
      mS[g] = m[r];
      lS[g] = l[r];
    }
    for (var i = 0u; i < QV; i++) { oS[g * DV4 + lane * QV + i] = acc[r][i]; }
    workgroupBarrier();
    if (tid < DV4) {
      var mMax = NEG;
      for (var j = 0u; j < G; j++) { mMax = max(mMax, mS[j]); }
      var o = vec4<f32>(0.0);
      var lSum = 0.0;
      for (var j = 0u; j < G; j++) {
        let w = exp2(mS[j] - mMax);
        o = fma(oS[j * DV4 + tid], vec4<f32>(w), o);
        lSum = fma(lS[j], w, lSum);
      }
      let idx = (b * P.qHeads + firstHead + r) * P.numSplits + split;
      partO[idx * DV4 + tid] = o;
      if (tid == 0u) { partML[idx] = vec2<f32>(mMax, lSum); }
    }
    workgroupBarrier();
  }
}
