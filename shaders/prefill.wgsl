// Causal prefill, FlashAttention-2 with register micro-tiles (MHA / GQA / MQA; MLA runs attention.wgsl).
//
// A workgroup owns R rows — GB query heads of one KV head's group × QB consecutive queries, so a
// GQA group shares every K/V tile — and walks the union of its rows' token ranges in tiles of BC
// keys staged in workgroup memory. S = Q·Kᵀ: each thread computes an RS × CS block of the R × BC
// scores (q and k vec4s loaded once, used RS·CS times). O += P·V: each thread owns an RO × DO block
// of the R × DV output (p and v loaded once, used RO·DO times). Online softmax in the exp2 domain with
// f32 accumulators; (O, m, l) go to merge.wgsl (one split). Causal, window and chunk ranges are
// per-row masks; tiles outside every row's range are never visited.
//
// Template values ({{…}}) are filled by src/gpu/shaders.ts.
{{ENABLE_F16}}
const WG: u32 = {{WG}}u;
const BC: u32 = {{TILE}}u;
const DK4: u32 = {{DK4}}u;
const DV4: u32 = {{DV4}}u;
const GB: u32 = {{GB}}u;
const QB: u32 = {{QB}}u;
const R: u32 = GB * QB;
const RS: u32 = {{RS}}u;
const CS: u32 = {{CS}}u;
const RO: u32 = {{RO}}u;
const DO: u32 = {{DO}}u;
const COL_GROUPS: u32 = BC / CS;
const OUT_COL_GROUPS: u32 = DV4 / DO;
const KV4: u32 = max(DK4, DV4);
const NEG: f32 = -1.0e30;

{{PARAMS}}

// Bindings: see params.wgsl.

var<workgroup> qS: array<vec4<f32>, R * DK4>;
var<workgroup> kvS: array<vec4<f32>, BC * KV4>;
var<workgroup> sS: array<f32, R * BC>;
var<workgroup> mS: array<f32, R>;
var<workgroup> lS: array<f32, R>;
var<workgroup> aS: array<f32, R>;
var<workgroup> rowLo: array<u32, R>;
var<workgroup> rowHi: array<u32, R>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let qb = wid.x;
  let kvhLocal = wid.y % P.chunkHeads;
  let kvh = P.kvHeadBase + kvhLocal;
  let hb = wid.y / P.chunkHeads;
  let b = P.batchBase + wid.z;
  let group = P.qHeads / P.kvHeads;
  let len = seqLens[b];

  // Each row's token range (causal, then the window or chunk); the workgroup walks their union.
  // Every thread computes the union from uniform values, so the tile loop is in uniform control flow.
  var wgLo = 0xffffffffu;
  var wgHi = 0u;
  for (var r = 0u; r < R; r++) {
    // One split: the whole sequence.
    let range = queryRange(len, qb * QB + r % QB, 0u, len);
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
    }
  }
  if (wgHi == 0u) { wgLo = 0u; }

  // Queries, pre-scaled by log2(e)/sqrt(d_k) so the softmax runs in exp2.
  for (var i = tid; i < R * DK4; i += WG) {
    let r = i / DK4;
    let q = qb * QB + r % QB;
    var v = vec4<f32>(0.0);
    if (q < P.numQueries) {
      let head = kvh * group + hb * GB + r / QB;
      v = Q[((b * P.qHeads + head) * P.numQueries + q) * DK4 + i % DK4] * P.scaleLog2;
    }
    qS[i] = v;
  }
  workgroupBarrier();

  // This thread's score block (rows sr0.., keys sc0..) and output block (rows or0.., columns oc0..).
  let sr0 = (tid / COL_GROUPS) * RS;
  let sc0 = (tid % COL_GROUPS) * CS;
  let or0 = (tid / OUT_COL_GROUPS) * RO;
  let oc0 = (tid % OUT_COL_GROUPS) * DO;
  var acc: array<vec4<f32>, RO * DO>;
  for (var i = 0u; i < RO * DO; i++) { acc[i] = vec4<f32>(0.0); }
  // Row start in this dispatch's buffers, less the chunk's first token (u32 arithmetic wraps: t ≥ tokenBase).
  let kvBase = (wid.z * P.chunkHeads + kvhLocal) * P.chunkLen - P.tokenBase;

  for (var t0 = wgLo; t0 < wgHi; t0 += BC) {
    // K tile, coalesced; tokens past the range load as zeros (padding may hold NaN).
    for (var i = tid; i < BC * DK4; i += WG) {
      let t = t0 + i / DK4;
      var v = vec4<f32>(0.0);
      if (t < wgHi) { v = vec4<f32>(K[(kvBase + t) * DK4 + i % DK4]); }
      kvS[(i / DK4) * KV4 + i % DK4] = v;
    }
    workgroupBarrier();

    // S block: RS × CS dot products over DK.
    var s: array<f32, RS * CS>;
    for (var i = 0u; i < RS * CS; i++) { s[i] = 0.0; }
    for (var d = 0u; d < DK4; d++) {
      var kv: array<vec4<f32>, CS>;
      for (var c = 0u; c < CS; c++) { kv[c] = kvS[(sc0 + c) * KV4 + d]; }
      for (var r = 0u; r < RS; r++) {
        let qv = qS[(sr0 + r) * DK4 + d];
        for (var c = 0u; c < CS; c++) { s[r * CS + c] += dot(qv, kv[c]); }
      }
    }
    for (var r = 0u; r < RS; r++) {
      for (var c = 0u; c < CS; c++) {
        let t = t0 + sc0 + c;
        let row = sr0 + r;
        sS[row * BC + sc0 + c] = select(NEG, s[r * CS + c], t >= rowLo[row] && t < rowHi[row]);
      }
    }
    workgroupBarrier();

    // Softmax rows (one thread each) while everyone stages the V tile over the K tile.
    if (tid < R) {
      let mOld = mS[tid];
      var mNew = mOld;
      for (var j = 0u; j < BC; j++) { mNew = max(mNew, sS[tid * BC + j]); }
      let alpha = exp2(mOld - mNew);
      var sum = 0.0;
      for (var j = 0u; j < BC; j++) {
        let x = sS[tid * BC + j];
        let p = select(0.0, exp2(x - mNew), x > 0.5 * NEG);
        sS[tid * BC + j] = p;
        sum += p;
      }
      lS[tid] = lS[tid] * alpha + sum;
      aS[tid] = alpha;
      mS[tid] = mNew;
    }
    for (var i = tid; i < BC * DV4; i += WG) {
      let t = t0 + i / DV4;
      var v = vec4<f32>(0.0);
      if (t < wgHi) { v = vec4<f32>(V[(kvBase + t) * DV4 + i % DV4]); }
      kvS[(i / DV4) * KV4 + i % DV4] = v;
    }
    workgroupBarrier();

    // O block += P · V.
    for (var r = 0u; r < RO; r++) {
      let a = aS[or0 + r];
      for (var c = 0u; c < DO; c++) { acc[r * DO + c] *= a; }
    }
    for (var j = 0u; j < BC; j++) {
      var vv: array<vec4<f32>, DO>;
      for (var c = 0u; c < DO; c++) { vv[c] = kvS[j * KV4 + oc0 + c]; }
      for (var r = 0u; r < RO; r++) {
        let p = vec4<f32>(sS[(or0 + r) * BC + j]);
        for (var c = 0u; c < DO; c++) { acc[r * DO + c] = fma(p, vv[c], acc[r * DO + c]); }
      }
    }
    workgroupBarrier();
  }

  for (var r = 0u; r < RO; r++) {
    let row = or0 + r;
    let q = qb * QB + row % QB;
    if (q < P.numQueries) {
      let head = kvh * group + hb * GB + row / QB;
      let idx = (b * P.qHeads + head) * P.numQueries + q;
      for (var c = 0u; c < DO; c++) { partO[idx * DV4 + oc0 + c] = acc[r * DO + c]; }
      if (oc0 == 0u) { partML[idx] = vec2<f32>(mS[row], lS[row]); }
    }
  }
}
