// Flash attention for decode and prefill, one kernel (FlashAttention-2 / flash-decoding design).
//
// A workgroup owns R = GB query heads × QB queries ("rows") that share one KV head, and a split of
// the token range. It streams K/V tiles of TILE tokens into workgroup memory once and every row uses
// them: for GQA the whole group of query heads reads each tile once (FlashInfer's design). Online
// softmax in the exp2 domain with f32 accumulators; each split writes its unnormalized (O, m, l) and
// merge.wgsl combines the splits. Decode is QB = 1 with many splits; prefill is QB > 1, causal.
// MLA (absorbed) is the same kernel with one latent "KV head" whose row is K and whose first DV
// values are V (SHARED_KV): each 576-wide row is read once for both products.
//
// Template values ({{…}}) are filled by src/gpu/shaders.ts.
{{ENABLE_F16}}
const WG: u32 = {{WG}}u;
const TILE: u32 = {{TILE}}u;
const DK4: u32 = {{DK4}}u;
const DV4: u32 = {{DV4}}u;
const DV: u32 = DV4 * 4u;
const GB: u32 = {{GB}}u;
const QB: u32 = {{QB}}u;
const R: u32 = GB * QB;
const ACC: u32 = {{ACC}}u;
const SHARED_KV: bool = {{SHARED_KV}};
const NEG: f32 = -1.0e30;

{{PARAMS}}

// Bindings: see params.wgsl.

var<workgroup> kT: array<vec4<f32>, {{KT_SIZE}}>;
var<workgroup> vT: array<vec4<f32>, {{VT_SIZE}}>;
var<workgroup> qS: array<vec4<f32>, {{QS_SIZE}}>;
var<workgroup> sS: array<f32, {{SS_SIZE}}>;
var<workgroup> mS: array<f32, R>;
var<workgroup> lS: array<f32, R>;
var<workgroup> aS: array<f32, R>;
var<workgroup> rowLo: array<u32, R>;
var<workgroup> rowHi: array<u32, R>;

fn vValue(j: u32, d: u32) -> f32 {
  if (SHARED_KV) {
    return kT[j * DK4 + d / 4u][d % 4u];
  }
  return vT[j * DV4 + d / 4u][d % 4u];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let split = P.splitBase + wid.x % P.dispatchSplits;
  let qb = wid.x / P.dispatchSplits;
  let kvhLocal = wid.y % P.chunkHeads;
  let kvh = P.kvHeadBase + kvhLocal;
  let hb = wid.y / P.chunkHeads;
  let b = P.batchBase + wid.z;
  let group = P.qHeads / P.kvHeads;
  let len = seqLens[b];
  let splitLo = split * P.splitTokens;
  let splitHi = min(len, splitLo + P.splitTokens);

  // Each row's token range: causal, then the window or chunk, then this split. Every thread computes
  // the workgroup's range from uniform values, so the tile loop below is in uniform control flow.
  var wgLo = 0xffffffffu;
  var wgHi = 0u;
  for (var r = 0u; r < R; r++) {
    let headInGroup = hb * GB + r / QB;
    var range = vec2<u32>(0u, 0u);
    if (headInGroup < group) { range = queryRange(len, qb * QB + r % QB, splitLo, splitHi); }
    let lo = range.x;
    let hi = range.y;
    if (hi > lo) {
      wgLo = min(wgLo, lo);
      wgHi = max(wgHi, hi);
    }
    if (tid == r) {
      rowLo[r] = lo;
      rowHi[r] = hi;
      mS[r] = NEG;
      lS[r] = 0.0;
      aS[r] = 1.0;
    }
  }
  if (wgHi == 0u) { wgLo = 0u; }
  // Queries, pre-scaled by log2(e)/sqrt(d_k) so the softmax runs in exp2.
  for (var i = tid; i < R * DK4; i += WG) {
    let r = i / DK4;
    let c = i % DK4;
    let headInGroup = hb * GB + r / QB;
    let q = qb * QB + r % QB;
    var v = vec4<f32>(0.0);
    if (q < P.numQueries && headInGroup < group) {
      let head = kvh * group + headInGroup;
      v = Q[((b * P.qHeads + head) * P.numQueries + q) * DK4 + c] * P.scaleLog2;
    }
    qS[i] = v;
  }
  workgroupBarrier();
  let range = vec2<u32>(wgLo, wgHi);

  var acc: array<f32, ACC>;
  for (var k = 0u; k < ACC; k++) { acc[k] = 0.0; }

  // Row start in this dispatch's buffers, less the chunk's first token (u32 arithmetic wraps: t ≥ tokenBase).
  let kvBase = (wid.z * P.chunkHeads + kvhLocal) * P.chunkLen - P.tokenBase;
  for (var t0 = range.x; t0 < range.y; t0 += TILE) {
    // Tokens past the range load as zeros: padding may hold anything (the tests fill it with NaN).
    for (var i = tid; i < TILE * DK4; i += WG) {
      let t = t0 + i / DK4;
      var v = vec4<f32>(0.0);
      if (t < range.y) { v = vec4<f32>(K[(kvBase + t) * DK4 + i % DK4]); }
      kT[i] = v;
    }
    if (!SHARED_KV) {
      for (var i = tid; i < TILE * DV4; i += WG) {
        let t = t0 + i / DV4;
        var v = vec4<f32>(0.0);
        if (t < range.y) { v = vec4<f32>(V[(kvBase + t) * DV4 + i % DV4]); }
        vT[i] = v;
      }
    }
    workgroupBarrier();

    for (var p = tid; p < R * TILE; p += WG) {
      let r = p / TILE;
      let j = p % TILE;
      let t = t0 + j;
      var s = NEG;
      if (t >= rowLo[r] && t < rowHi[r]) {
        var dotv = vec4<f32>(0.0);
        for (var c = 0u; c < DK4; c++) {
          dotv = fma(qS[r * DK4 + c], kT[j * DK4 + c], dotv);
        }
        s = dotv.x + dotv.y + dotv.z + dotv.w;
      }
      sS[p] = s;
    }
    workgroupBarrier();

    if (tid < R) {
      let mOld = mS[tid];
      var mNew = mOld;
      for (var j = 0u; j < TILE; j++) { mNew = max(mNew, sS[tid * TILE + j]); }
      let alpha = exp2(mOld - mNew);
      var sum = 0.0;
      for (var j = 0u; j < TILE; j++) {
        let s = sS[tid * TILE + j];
        var p = 0.0;
        if (s > 0.5 * NEG) { p = exp2(s - mNew); }
        sS[tid * TILE + j] = p;
        sum += p;
      }
      lS[tid] = lS[tid] * alpha + sum;
      aS[tid] = alpha;
      mS[tid] = mNew;
    }
    workgroupBarrier();

    for (var k = 0u; k < ACC; k++) {
      let e = tid + k * WG;
      let r = e / DV;
      let d = e % DV;
      var a = acc[k] * aS[r];
      for (var j = 0u; j < TILE; j++) {
        a = fma(sS[r * TILE + j], vValue(j, d), a);
      }
      acc[k] = a;
    }
    workgroupBarrier();
  }

  for (var k = 0u; k < ACC; k++) {
    let e = tid + k * WG;
    let r = e / DV;
    let d = e % DV;
    let headInGroup = hb * GB + r / QB;
    let q = qb * QB + r % QB;
    if (q < P.numQueries && headInGroup < group) {
      let head = kvh * group + headInGroup;
      let idx = ((b * P.qHeads + head) * P.numQueries + q) * P.numSplits + split;
      partO[idx * DV + d] = acc[k];
      if (d == 0u) { partML[idx] = vec2<f32>(mS[r], lS[r]); }
    }
  }
}
