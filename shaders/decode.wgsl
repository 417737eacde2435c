// Split-K flash-decoding for MHA / GQA / MQA (one query per sequence), FlashInfer's design.
//
// A workgroup owns R query heads of one KV head's group and one split of the token range; it walks
// the split in tiles of WG tokens. Scores: thread j reads token j's K row straight from memory once and
// dots it with all R queries (held in workgroup memory). PV: thread (c, part) owns output column c
// (a vec4) for all R heads over the tokens j ≡ part (mod PARTS), reading V[j][c] once. So each K and V
// element is read once per workgroup, by one thread, in coalesced rows — for GQA, once for the whole
// group. Online softmax in the exp2 domain, f32 accumulators; the per-split (O, m, l) go to merge.wgsl.
// Tokens outside [lo, hi) are never loaded (the tests fill them with NaN). MLA absorbed runs here too:
// the query heads share one latent row per token, K = the whole row, V = its first DV values.
//
// Template values ({{…}}) are filled by src/gpu/shaders.ts.
{{ENABLE_F16}}
const WG: u32 = {{WG}}u;
const DK4: u32 = {{DK4}}u;
const DV4: u32 = {{DV4}}u;
const DV: u32 = DV4 * 4u;
const R: u32 = {{GB}}u;
// MLA absorbed: one latent row per token is K (all DK) and V (its first DV values).
const SHARED_KV: bool = {{SHARED_KV}};
const PARTS: u32 = WG / DV4;
const NEG: f32 = -1.0e30;

{{PARAMS}}

// Bindings: see params.wgsl.

var<workgroup> qS: array<vec4<f32>, R * DK4>;
var<workgroup> pS: array<f32, R * WG>;
var<workgroup> mS: array<f32, R>;
var<workgroup> aS: array<f32, R>;
var<workgroup> redO: array<vec4<f32>, WG>;
var<workgroup> redL: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let split = P.splitBase + wid.x % P.dispatchSplits;
  let kvhLocal = wid.y % P.chunkHeads;
  let kvh = P.kvHeadBase + kvhLocal;
  let hb = wid.y / P.chunkHeads;
  let b = P.batchBase + wid.z;
  let group = P.qHeads / P.kvHeads;
  let firstHead = kvh * group + hb * R;

  // The one query's tokens: causal ∩ window or chunk ∩ this split (params.wgsl).
  let range = decodeRange(seqLens[b], split);
  let lo = range.x;
  let hi = range.y;

  // Queries, pre-scaled by log2(e)/sqrt(d_k) so the softmax runs in exp2.
  for (var i = tid; i < R * DK4; i += WG) {
    qS[i] = Q[(b * P.qHeads + firstHead + i / DK4) * DK4 + i % DK4] * P.scaleLog2;
  }
  if (tid < R) { mS[tid] = NEG; }
  workgroupBarrier();

  let c = tid % DV4;
  let part = tid / DV4;
  var acc: array<vec4<f32>, R>;
  var lAcc: array<f32, R>;
  for (var r = 0u; r < R; r++) {
    acc[r] = vec4<f32>(0.0);
    lAcc[r] = 0.0;
  }
  // Row start in this dispatch's buffers, less the chunk's first token (u32 arithmetic wraps: t ≥ tokenBase).
  let kvBase = (wid.z * P.chunkHeads + kvhLocal) * P.chunkLen - P.tokenBase;

  for (var t0 = lo; t0 < hi; t0 += WG) {
    // 1. Scores of this thread's token against every query of the block.
    let t = t0 + tid;
    var s: array<f32, R>;
    for (var r = 0u; r < R; r++) { s[r] = NEG; }
    if (t < hi) {
      var dots: array<vec4<f32>, R>;
      for (var r = 0u; r < R; r++) { dots[r] = vec4<f32>(0.0); }
      for (var d = 0u; d < DK4; d++) {
        let k = vec4<f32>(K[(kvBase + t) * DK4 + d]);
        for (var r = 0u; r < R; r++) { dots[r] = fma(qS[r * DK4 + d], k, dots[r]); }
      }
      for (var r = 0u; r < R; r++) { s[r] = dots[r].x + dots[r].y + dots[r].z + dots[r].w; }
    }
    for (var r = 0u; r < R; r++) { pS[r * WG + tid] = s[r]; }
    workgroupBarrier();

    // 2. Each row's new running max and the rescale factor of what was accumulated so far.
    if (tid < R) {
      let mOld = mS[tid];
      var mNew = mOld;
      for (var j = 0u; j < WG; j++) { mNew = max(mNew, pS[tid * WG + j]); }
      aS[tid] = exp2(mOld - mNew);
      mS[tid] = mNew;
    }
    workgroupBarrier();

    // 3. Probabilities of this thread's token, in place.
    for (var r = 0u; r < R; r++) {
      pS[r * WG + tid] = select(0.0, exp2(s[r] - mS[r]), t < hi);
    }
    workgroupBarrier();

    // 4. O += P·V over this thread's tokens and column; the row sums ride along.
    for (var r = 0u; r < R; r++) {
      acc[r] *= aS[r];
      lAcc[r] *= aS[r];
    }
    let count = min(WG, hi - t0);
    for (var j = part; j < count; j += PARTS) {
      var v: vec4<f32>;
      if (SHARED_KV) {
        // The row this tile's score pass just read: served from cache, not memory, on a GPU.
        v = vec4<f32>(K[(kvBase + t0 + j) * DK4 + c]);
      } else {
        v = vec4<f32>(V[(kvBase + t0 + j) * DV4 + c]);
      }
      for (var r = 0u; r < R; r++) {
        let p = pS[r * WG + j];
        acc[r] = fma(vec4<f32>(p), v, acc[r]);
        lAcc[r] += p;
      }
    }
    workgroupBarrier();
  }

  // Sum the PARTS partial accumulators of each row and write this split's (O, m, l).
  for (var r = 0u; r < R; r++) {
    redO[tid] = acc[r];
    redL[tid] = lAcc[r];
    workgroupBarrier();
    if (part == 0u) {
      var o = vec4<f32>(0.0);
      var l = 0.0;
      for (var q = 0u; q < PARTS; q++) {
        o += redO[q * DV4 + c];
        l += redL[q * DV4 + c];
      }
      let idx = (b * P.qHeads + firstHead + r) * P.numSplits + split;
      partO[idx * DV4 + c] = o;
      if (c == 0u) { partML[idx] = vec2<f32>(mS[r], l); }
    }
    workgroupBarrier();
  }
}
