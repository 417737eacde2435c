// v2 tiles: causal prefill (MHA / GQA / MQA) and MLA absorbed decode, one GEMM-shaped kernel.
//
// A workgroup owns R rows — GB query heads of one KV head × QB consecutive queries (prefill), or GB
// heads sharing MLA's one latent row (decode, QB = 1) — and a split of the token range, which it walks
// in tiles of BC keys. Both products are register micro-tiles over workgroup memory:
//   S = Q·Kᵀ   each thread an RS × CS block of the R × BC scores; its keys are cg, cg + CG, … so the
//              threads of a row group read consecutive K rows, whose stride is padded by one vec4
//              (an unpadded 512-byte stride puts every row in the same banks);
//   O += P·V   each thread an RO × DO block of the R × DV output; its columns are oc, oc + OCG, … so
//              consecutive threads read consecutive V columns.
// Q and K are staged in chunks of DC4 vec4s of the head dim — all of it at once when Q fits
// (Q_RESIDENT: Q staged once per workgroup), else Q's chunk again per tile (MLA's 576-wide rows: Q is
// a few hundred KB and stays in cache). V is staged VT tokens at a time over the same memory; MLA's V
// is the first DV values of each latent row (SHARED_KV).
// f16 products (F16_PRODUCTS, MLA absorbed decode where K/V are f16): Q and the K/V tiles are staged as
// vec4<f16> — half the workgroup memory and half the bytes each product reads from it — and multiplied
// in f16 with f32 sums: each Q·K vec4 dot (4 products) in f16, added to f32 scores; P·V in f16 chains
// of up to PV_RUN tokens (P ≤ 1 after the running maximum), added to f32 accumulators.
// f16's range bounds them: a 4-product dot of Q (pre-scaled by log2(e)/sqrt(d_k)) and a latent row must
// stay under 65504 — far inside it for the profiler's data (uniform in [-1, 1]); FlashMLA multiplies in
// bf16, whose range is f32's, which WGSL does not have.
// Softmax by the threads that own each score block: a row's CG threads find its maximum together
// (subgroup shuffles, or workgroup memory without `subgroups`), keep m and a partial l in registers,
// and write P once. Online softmax in the exp2 domain with f32 accumulators; each split writes its
// unnormalized (O, m, l) for merge.wgsl.
//
// Register prefetch (PREFETCH): K chunks and V blocks are staged from registers, and the next one's loads
// (the next chunk, the tile's first V block, the next V block, the next tile's first chunk) are issued
// right after each barrier, before the math on the current one, so memory latency hides behind it.
// Without it each block is loaded and stored in one step, the math waiting on the loads.
//
// Template values ({{…}}) are filled by src/gpu/shaders.ts.
{{ENABLE_F16}}
{{ENABLE_SUBGROUPS}}
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
const CG: u32 = BC / CS;
const OCG: u32 = DV4 / DO;
const DC4: u32 = {{DC4}}u;
const DCP: u32 = DC4 + 1u;
const VT: u32 = {{VT}}u;
const Q_RESIDENT: bool = {{Q_RESIDENT}};
const SHARED_KV: bool = {{SHARED_KV}};
// Staged Q, K and V: vec4<f32>, or vec4<f16> for f16 products.
alias ST = {{STAGE_T}};
const F16_PRODUCTS: bool = {{F16_PRODUCTS}};
const PV_RUN: u32 = 8u;
const PREFETCH: bool = {{PREFETCH}};
// vec4s of a K chunk (BC × DC4) and of a V block (VT × DV4) per thread, and the registers that hold either.
const KPT: u32 = (BC * DC4 + WG - 1u) / WG;
const VPT: u32 = (VT * DV4 + WG - 1u) / WG;
const PF: u32 = {{PF}}u;
// Row maxima and sums through subgroup shuffles (no barrier), else through workgroup memory (one barrier).
const ROW_REDUCE_IN_REGISTERS: bool = {{SUBGROUPS}};
// Workgroup memory: Q (resident, or its chunk at the start of stage), the K chunk after it; V over both.
const Q_OFF: u32 = 0u;
const K_OFF: u32 = select(R * DCP, 0u, Q_RESIDENT);
const SSP: u32 = BC + 1u;
const NEG: f32 = -1.0e30;

{{PARAMS}}

// Bindings: see params.wgsl.

var<workgroup> qS: array<ST, {{QS_SIZE}}>;
var<workgroup> stage: array<ST, {{STAGE_SIZE}}>;
var<workgroup> sS: array<f32, R * SSP>;
var<workgroup> aS: array<f32, R>;
var<workgroup> lS: array<f32, R>;
var<workgroup> rowLo: array<u32, R>;
var<workgroup> rowHi: array<u32, R>;
var<workgroup> redS: array<f32, {{RED_SIZE}}>;

// Per score row of this thread (rows sr0 ..): the maximum or sum of x over the row group's CG threads
// (consecutive invocations). Called in uniform control flow; the fallback's one barrier is enough as
// barriers always come between two calls.
fn rowMax(x: array<f32, RS>, sr0: u32, cg: u32) -> array<f32, RS> {
  var y = x;
{{ROW_MAX}}
  return y;
}
fn rowSum(x: array<f32, RS>, sr0: u32, cg: u32) -> array<f32, RS> {
  var y = x;
{{ROW_SUM}}
  return y;
}

fn kRow(t: u32, c: u32) -> ST {
  return ST(K[t * DK4 + c]);
}
fn vRow(t: u32, c: u32) -> ST {
  if (SHARED_KV) { return ST(K[t * DK4 + c]); }
  return ST(V[t * DV4 + c]);
}

// This thread's share of K chunk (t0, d0): vec4s tid, tid + WG, … of its BC × DC4; zeros past the range
// (padding may hold NaN).
fn fetchK(kvBase: u32, t0: u32, d0: u32, wgHi: u32, tid: u32) -> array<ST, PF> {
  var out: array<ST, PF>;
  for (var n = 0u; n < KPT; n++) {
    let i = tid + n * WG;
    let t = t0 + i / DC4;
    if (i < BC * DC4 && t < wgHi) { out[n] = kRow(kvBase + t, d0 + i % DC4); }
  }
  return out;
}
fn storeK(pf: array<ST, PF>, tid: u32) {
  for (var n = 0u; n < KPT; n++) {
    let i = tid + n * WG;
    if (i < BC * DC4) { stage[K_OFF + (i / DC4) * DCP + i % DC4] = pf[n]; }
  }
}
// This thread's share of the V block of VT tokens from t0.
fn fetchV(kvBase: u32, t0: u32, wgHi: u32, tid: u32) -> array<ST, PF> {
  var out: array<ST, PF>;
  for (var n = 0u; n < VPT; n++) {
    let i = tid + n * WG;
    let t = t0 + i / DV4;
    if (i < VT * DV4 && t < wgHi) { out[n] = vRow(kvBase + t, i % DV4); }
  }
  return out;
}
fn storeV(pf: array<ST, PF>, tid: u32) {
  for (var n = 0u; n < VPT; n++) {
    let i = tid + n * WG;
    if (i < VT * DV4) { stage[i] = pf[n]; }
  }
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

  // Each row's token range (causal, then the window or chunk, then this split); the workgroup walks
  // their union, computed by every thread from uniform values so the tile loop stays uniform.
  var wgLo = 0xffffffffu;
  var wgHi = 0u;
  for (var r = 0u; r < R; r++) {
    let range = queryRange(len, qb * QB + r % QB, splitLo, splitHi);
    let lo = range.x;
    let hi = range.y;
    if (hi > lo) {
      wgLo = min(wgLo, lo);
      wgHi = max(wgHi, hi);
    }
    if (tid == r) {
      rowLo[r] = lo;
      rowHi[r] = hi;
    }
  }
  if (wgHi == 0u) { wgLo = 0u; }

  // Score block: rows sr0 + i, keys cg + j·CG. Output block: rows or0 + i, columns oc + c·OCG.
  let cg = tid % CG;
  let sr0 = (tid / CG) * RS;
  let oc = tid % OCG;
  let or0 = (tid / OCG) * RO;
  // Row start in this dispatch's buffers, less the chunk's first token (u32 arithmetic wraps: t ≥ tokenBase).
  let kvBase = (wid.z * P.chunkHeads + kvhLocal) * P.chunkLen - P.tokenBase;
  // Query row r's first vec4 in Q, pre-scaled below by log2(e)/sqrt(d_k) so the softmax runs in exp2.
  let qRow0 = (b * P.qHeads + kvh * group + hb * GB) * P.numQueries + qb * QB;

  if (Q_RESIDENT) {
    for (var i = tid; i < R * DK4; i += WG) {
      let r = i / DK4;
      let q = qb * QB + r % QB;
      var v = ST();
      if (q < P.numQueries) { v = ST(Q[(qRow0 + (r / QB) * P.numQueries + r % QB) * DK4 + i % DK4] * P.scaleLog2); }
      qS[r * DCP + i % DK4] = v;
    }
  }

  var acc: array<vec4<f32>, RO * DO>;
  for (var i = 0u; i < RO * DO; i++) { acc[i] = vec4<f32>(0.0); }
  var m: array<f32, RS>;
  var l: array<f32, RS>;
  for (var i = 0u; i < RS; i++) {
    m[i] = NEG;
    l[i] = 0.0;
  }

  // The first K chunk's loads, issued before anything waits on them.
  var pf: array<ST, PF>;
  if (PREFETCH && wgLo < wgHi) { pf = fetchK(kvBase, wgLo, 0u, wgHi, tid); }
  for (var t0 = wgLo; t0 < wgHi; t0 += BC) {
    // S = Q·Kᵀ over the head dim, DC4 vec4s at a time. Keys past the range load as zeros (padding may hold NaN).
    var s: array<f32, RS * CS>;
    for (var i = 0u; i < RS * CS; i++) { s[i] = 0.0; }
    for (var d0 = 0u; d0 < DK4; d0 += DC4) {
      if (!Q_RESIDENT) {
        for (var i = tid; i < R * DC4; i += WG) {
          let r = i / DC4;
          let q = qb * QB + r % QB;
          var v = ST();
          if (q < P.numQueries) { v = ST(Q[(qRow0 + (r / QB) * P.numQueries + r % QB) * DK4 + d0 + i % DC4] * P.scaleLog2); }
          stage[Q_OFF + r * DCP + i % DC4] = v;
        }
      }
      if (!PREFETCH) { pf = fetchK(kvBase, t0, d0, wgHi, tid); }
      storeK(pf, tid);
      workgroupBarrier();
      if (PREFETCH) {
        if (d0 + DC4 < DK4) { pf = fetchK(kvBase, t0, d0 + DC4, wgHi, tid); } else { pf = fetchV(kvBase, t0, wgHi, tid); }
      }
      for (var d = 0u; d < DC4; d++) {
        var kv: array<ST, CS>;
        for (var c = 0u; c < CS; c++) { kv[c] = stage[K_OFF + (cg + c * CG) * DCP + d]; }
        for (var r = 0u; r < RS; r++) {
          var qv: ST;
          if (Q_RESIDENT) { qv = qS[(sr0 + r) * DCP + d0 + d]; } else { qv = stage[Q_OFF + (sr0 + r) * DCP + d]; }
          for (var c = 0u; c < CS; c++) { s[r * CS + c] += f32(dot(qv, kv[c])); }
        }
      }
      // Before the stage is overwritten (the next chunk, or V): the workgroup-memory row maximum below
      // has a barrier of its own, which serves after the last chunk.
      if (d0 + DC4 < DK4 || ROW_REDUCE_IN_REGISTERS) { workgroupBarrier(); }
    }

    // Online softmax by the score blocks' owners: the row's maximum over its CG threads, m and the
    // partial l in registers, P written once for the O product; each row's rescale factor in aS.
    var mx: array<f32, RS>;
    for (var r = 0u; r < RS; r++) {
      mx[r] = NEG;
      for (var c = 0u; c < CS; c++) {
        let t = t0 + cg + c * CG;
        if (t >= rowLo[sr0 + r] && t < rowHi[sr0 + r]) { mx[r] = max(mx[r], s[r * CS + c]); }
      }
    }
    let tileMax = rowMax(mx, sr0, cg);
    for (var r = 0u; r < RS; r++) {
      let row = sr0 + r;
      let lo = rowLo[row];
      let hi = rowHi[row];
      let mNew = max(m[r], tileMax[r]);
      let alpha = exp2(m[r] - mNew);
      var sum = 0.0;
      for (var c = 0u; c < CS; c++) {
        let t = t0 + cg + c * CG;
        let p = select(0.0, exp2(s[r * CS + c] - mNew), t >= lo && t < hi);
        sS[row * SSP + cg + c * CG] = p;
        sum += p;
      }
      l[r] = l[r] * alpha + sum;
      m[r] = mNew;
      if (cg == 0u) { aS[row] = alpha; }
    }

    // O += P·V, VT keys of V staged at a time over Q's chunk and K's.
    for (var j0 = 0u; j0 < BC; j0 += VT) {
      if (!PREFETCH) { pf = fetchV(kvBase, t0 + j0, wgHi, tid); }
      storeV(pf, tid);
      workgroupBarrier();
      if (PREFETCH) {
        if (j0 + VT < BC) { pf = fetchV(kvBase, t0 + j0 + VT, wgHi, tid); } else if (t0 + BC < wgHi) { pf = fetchK(kvBase, t0 + BC, 0u, wgHi, tid); }
      }
      if (j0 == 0u) {
        for (var r = 0u; r < RO; r++) {
          let a = aS[or0 + r];
          for (var c = 0u; c < DO; c++) { acc[r * DO + c] *= a; }
        }
      }
      // f16 products: each run of PV_RUN tokens sums in f16 registers, then into the f32 accumulators.
      var run: array<ST, RO * DO>;
      for (var j = 0u; j < VT; j++) {
        var vv: array<ST, DO>;
        for (var c = 0u; c < DO; c++) { vv[c] = stage[j * DV4 + oc + c * OCG]; }
        for (var r = 0u; r < RO; r++) {
          let p = sS[(or0 + r) * SSP + j0 + j];
          for (var c = 0u; c < DO; c++) {
            if (F16_PRODUCTS) {
              run[r * DO + c] = fma(ST(vec4<f32>(p)), vv[c], select(run[r * DO + c], ST(), j % PV_RUN == 0u));
            } else {
              acc[r * DO + c] = fma(vec4<f32>(p), vec4<f32>(vv[c]), acc[r * DO + c]);
            }
          }
        }
        if (F16_PRODUCTS && (j % PV_RUN == PV_RUN - 1u || j == VT - 1u)) {
          for (var i = 0u; i < RO * DO; i++) { acc[i] += vec4<f32>(run[i]); }
        }
      }
      workgroupBarrier();
    }
  }

  // Each row's l: the sum of its CG threads' partial sums.
  let total = rowSum(l, sr0, cg);
  for (var r = 0u; r < RS; r++) {
    if (cg == 0u) {
      lS[sr0 + r] = total[r];
      aS[sr0 + r] = m[r];
    }
  }
  workgroupBarrier();

  for (var r = 0u; r < RO; r++) {
    let row = or0 + r;
    let q = qb * QB + row % QB;
    if (q < P.numQueries) {
      let idx = (qRow0 + (row / QB) * P.numQueries + row % QB) * P.numSplits + split;
      for (var c = 0u; c < DO; c++) { partO[idx * DV4 + oc + c * OCG] = acc[r * DO + c]; }
      if (oc == 0u) { partML[idx] = vec2<f32>(aS[row], lS[row]); }
    }
  }
}
