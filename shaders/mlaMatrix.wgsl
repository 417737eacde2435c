// v2 MLA absorbed decode on subgroup matrices (Vulkan cooperative matrices, Metal simdgroup matrices),
// where the adapter multiplies them (`chromium-experimental-subgroup-matrix`): FlashMLA's two products
// as SM × SN × SK matrix multiply-accumulates with f32 results.
//
// A workgroup owns R query heads (RB row blocks of SM) and a split of the token range, walked in tiles
// of BC tokens; NSG subgroups of SG invocations.
//   Stage      the tile's latent rows, once, in the matrices' component type (CT), rows past the range as
//              zeros (padding may hold NaN, and 0 · NaN is NaN inside a product too); the row stride is
//              padded by 8 values (16 bytes of f16), so the rows start in different banks.
//   S = Q·Kᵀ   Q (R × DK, CT, from the storage buffer: R × DK is more than the workgroup memory can hold
//              beside the tile, and every tile reads it from cache) times the tile's rows read as Kᵀ
//              (column-major); each subgroup multiplies its share of the DK steps into RB × NB result
//              matrices, and the shares are summed by the softmax.
//   softmax    a thread per head: the scores in the exp2 domain, the tile's maximum, P = exp2(s − m) in
//              CT for the next product and the row sum in f32 from the same rounded P. m is the row's
//              maximum when the split began or last rescaled: the accumulators are rescaled only when a
//              row's maximum grows past m + TAU (FlashAttention-4's conditional rescaling), since a
//              result matrix cannot be scaled by row in registers — it goes through workgroup memory, a
//              tile at a time. P stays ≤ 2^TAU, well inside f16.
//   O += P·V   each subgroup owns OT output tiles (SM heads × SN columns of DV) and accumulates P (R × BC)
//              times the tile's rows' first DV values (row-major) into them.
// Each split writes its unnormalized (O, m, l) for merge.wgsl.
//
// The matrix operations are the functions below (loadQ, mma, …): the adapter's subgroup matrices, or,
// to check this kernel's tiling and softmax on an adapter without them, a plain-WGSL emulation in
// which every invocation of an SG-wide group holds the whole matrix (src/gpu/shaders.ts writes both).
// Template values ({{…}}) are filled by src/gpu/shaders.ts.
{{ENABLE_F16}}
{{ENABLE_MATRIX}}
const SG: u32 = {{SG}}u;
const NSG: u32 = {{NSG}}u;
const WG: u32 = SG * NSG;
const SM: u32 = {{SM}}u;
const SN: u32 = {{SN}}u;
const SK: u32 = {{SK}}u;
const R: u32 = {{GB}}u;
const BC: u32 = {{TILE}}u;
const DK: u32 = {{DK}}u;
const DV: u32 = {{DV}}u;
const DK4: u32 = DK / 4u;
const DKP: u32 = DK + 8u;
const RB: u32 = R / SM;
const NB: u32 = BC / SN;
// Output tiles per subgroup: RB row blocks × DV / SN column blocks, dealt out in order.
const OT: u32 = RB * (DV / SN) / NSG;
// Conditional rescaling threshold (log2 units): P ≤ 2^TAU between rescales.
const TAU: f32 = 8.0;
const NEG: f32 = -1.0e30;

{{PARAMS}}

// Bindings: see params.wgsl; Q is bound as CT values, partO as f32 values, V not at all (the latent
// rows are K and V).

var<workgroup> kS: array<CT, BC * DKP>;
// Each subgroup's partial scores (R × BC, row-major); the first holds the summed, scaled scores after the softmax.
var<workgroup> sP: array<f32, NSG * R * BC>;
var<workgroup> pS: array<CT, R * BC>;
// A result tile per subgroup on its way through a rescale, from OX_BASE: in sP's second and later slots
// where they hold it (the softmax has summed them by then, and the next tile's scores come after a
// barrier), else in an array of its own.
{{OX_DECL}}
const OX_BASE: u32 = {{OX_BASE}}u;
var<workgroup> mS: array<f32, R>;
var<workgroup> aS: array<f32, R>;
var<workgroup> lS: array<f32, R>;
var<workgroup> rescaleS: atomic<u32>;

{{MATRIX_FNS}}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32{{SUBGROUP_BUILTINS}}) {
{{SUBGROUP_IDS}}
  let split = P.splitBase + wid.x % P.dispatchSplits;
  let kvhLocal = wid.y % P.chunkHeads;
  let kvh = P.kvHeadBase + kvhLocal;
  let hb = wid.y / P.chunkHeads;
  let b = P.batchBase + wid.z;
  let group = P.qHeads / P.kvHeads;
  // The one query's tokens: causal ∩ window or chunk ∩ this split (params.wgsl), uniform.
  let range = decodeRange(seqLens[b], split);
  let lo = range.x;
  let hi = range.y;
  // Row start in this dispatch's buffers, less the chunk's first token (u32 arithmetic wraps: t ≥ tokenBase).
  let kvBase = (wid.z * P.chunkHeads + kvhLocal) * P.chunkLen - P.tokenBase;
  // This block's first query head in Q.
  let qRow0 = b * P.qHeads + kvh * group + hb * R;

  if (tid < R) {
    mS[tid] = NEG;
    lS[tid] = 0.0;
  }
  if (tid == 0u) { atomicStore(&rescaleS, 0u); }
  var acc: array<ResultM, OT>;
  for (var o = 0u; o < OT; o++) { acc[o] = zeroM(); }

  for (var t0 = lo; t0 < hi; t0 += BC) {
    // The tile's latent rows, once for both products.
    for (var i = tid; i < BC * DK4; i += WG) {
      let j = i / DK4;
      var v = vec4<f32>(0.0);
      if (t0 + j < hi) { v = vec4<f32>(K[(kvBase + t0 + j) * DK4 + i % DK4]); }
      let at = j * DKP + (i % DK4) * 4u;
      kS[at] = CT(v.x);
      kS[at + 1u] = CT(v.y);
      kS[at + 2u] = CT(v.z);
      kS[at + 3u] = CT(v.w);
    }
    workgroupBarrier();

    // S = Q·Kᵀ: this subgroup's share of the DK steps.
    var s: array<ResultM, RB * NB>;
    for (var i = 0u; i < RB * NB; i++) { s[i] = zeroM(); }
    for (var ks = sg; ks < DK / SK; ks += NSG) {
      for (var rb = 0u; rb < RB; rb++) {
        let a = loadQ((qRow0 + rb * SM) * DK + ks * SK);
        for (var nb = 0u; nb < NB; nb++) { s[rb * NB + nb] = mma(a, loadKT(nb * SN * DKP + ks * SK), s[rb * NB + nb]); }
      }
    }
    for (var rb = 0u; rb < RB; rb++) {
      for (var nb = 0u; nb < NB; nb++) { storeS(sg * R * BC + rb * SM * BC + nb * SN, s[rb * NB + nb], lane); }
    }
    workgroupBarrier();

    // The softmax, a thread per head: summed, scaled, masked scores and the tile's maximum; a rescale
    // is called for when it passes the row's m by more than TAU.
    var tileMax = NEG;
    if (tid < R) {
      for (var j = 0u; j < BC; j++) {
        var x = 0.0;
        for (var g = 0u; g < NSG; g++) { x += sP[g * R * BC + tid * BC + j]; }
        x = select(NEG, x * P.scaleLog2, t0 + j < hi);
        sP[tid * BC + j] = x;
        tileMax = max(tileMax, x);
      }
      if (tileMax > mS[tid] + TAU) { atomicStore(&rescaleS, 1u); }
    }
    if (workgroupUniformLoad(&rescaleS) != 0u) {
      if (tid < R) {
        let mNew = max(mS[tid], tileMax);
        let alpha = exp2(mS[tid] - mNew);
        aS[tid] = alpha;
        lS[tid] *= alpha;
        mS[tid] = mNew;
      }
      workgroupBarrier();
      if (tid == 0u) { atomicStore(&rescaleS, 0u); }
      // Nothing to rescale before the split's first tile.
      if (t0 != lo) {
        for (var o = 0u; o < OT; o++) {
          storeX(OX_BASE + sg * SM * SN, acc[o], lane);
          workgroupBarrier();
          let rb = (sg * OT + o) / (DV / SN);
          for (var e = lane; e < SM * SN; e += SG) { {{OX}}[OX_BASE + sg * SM * SN + e] *= aS[rb * SM + e / SN]; }
          workgroupBarrier();
          acc[o] = loadX(OX_BASE + sg * SM * SN);
          workgroupBarrier();
        }
      }
    }
    if (tid < R) {
      let m = mS[tid];
      var sum = 0.0;
      for (var j = 0u; j < BC; j++) {
        let p = CT(exp2(sP[tid * BC + j] - m));
        pS[tid * BC + j] = p;
        sum += f32(p);
      }
      lS[tid] += sum;
    }
    workgroupBarrier();

    // O += P·V over this subgroup's output tiles.
    for (var o = 0u; o < OT; o++) {
      let tile = sg * OT + o;
      let rb = tile / (DV / SN);
      let cb = tile % (DV / SN);
      for (var ps = 0u; ps < BC / SK; ps++) { acc[o] = mma(loadP(rb * SM * BC + ps * SK), loadV(ps * SK * DKP + cb * SN), acc[o]); }
    }
    // Before the next tile overwrites the stage, the scores and P.
    workgroupBarrier();
  }

  // This split's (O, m, l): a head's row of partO is numSplits · DV values after the previous head's.
  for (var o = 0u; o < OT; o++) {
    let tile = sg * OT + o;
    let rb = tile / (DV / SN);
    let cb = tile % (DV / SN);
    storeO(((qRow0 + rb * SM) * P.numSplits + split) * DV + cb * SN, acc[o], P.numSplits * DV, lane);
  }
  if (tid < R) { partML[(qRow0 + tid) * P.numSplits + split] = vec2<f32>(mS[tid], lS[tid]); }
}
