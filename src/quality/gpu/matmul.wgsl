// C = [C +] alpha · A·B over strided views of three storage buffers:
//   C[cOff + i·ldc + j] (+)= alpha · Σ_{k < K} A[aOff + i·aRow + k·aCol] · B[bOff + k·bRow + j·bCol]
// for i < M, j < N. The strides cover every product the quality math needs without a transpose:
// K = X·W_kᵀ (calibration rows times k_proj rows), the blocked back-transform's Z·U_bᵀ, W·T and
// Z − W·U_b, and the K/V split's Z·G_K.
//
// 64×64 output tile per workgroup, 4×4 per thread, TK = 16 steps of k staged in workgroup memory.
// A_K_CONTIG / B_K_CONTIG (substituted per pipeline) say which index of the operand is contiguous in
// memory, so consecutive threads of a tile load read consecutive addresses either way.
//
// Accuracy as gram.wgsl: each thread sums 256 products into a partial and adds the partial to its
// total, so the f32 rounding error grows like (256 + K/256)·ε rather than K·ε.

struct Params {
  M: u32, N: u32, K: u32, accumulate: u32,
  aOff: u32, aRow: u32, aCol: u32, bOff: u32,
  bRow: u32, bCol: u32, cOff: u32, ldc: u32,
  alpha: f32, pad0: u32, pad1: u32, pad2: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;

const TILE: u32 = 64u;
const TK: u32 = 16u;
// Row stride of the staged tiles: one more than TILE so a k-contiguous load (16 threads on one row of
// A, each a different k) spreads over the memory banks.
const LDS: u32 = 65u;
const PARTIAL_STEPS: u32 = 16u;
const A_K_CONTIG: bool = {{A_K_CONTIG}};
const B_K_CONTIG: bool = {{B_K_CONTIG}};

var<workgroup> As: array<f32, 1040>; // TK × LDS: As[k·LDS + i]
var<workgroup> Bs: array<f32, 1040>; // TK × LDS: Bs[k·LDS + j]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32) {
  let i0 = wg.y * TILE;
  let j0 = wg.x * TILE;
  var total: array<f32, 16>;
  var part: array<f32, 16>;
  var step = 0u;
  for (var k0 = 0u; k0 < P.K; k0 += TK) {
    for (var s = 0u; s < 4u; s++) {
      let e = li + s * 256u;
      var ka: u32;
      var ia: u32;
      if (A_K_CONTIG) {
        ia = e / TK;
        ka = e % TK;
      } else {
        ka = e / TILE;
        ia = e % TILE;
      }
      var a = 0.0;
      if (k0 + ka < P.K && i0 + ia < P.M) {
        a = A[P.aOff + (i0 + ia) * P.aRow + (k0 + ka) * P.aCol];
      }
      As[ka * LDS + ia] = a;
      var kb: u32;
      var jb: u32;
      if (B_K_CONTIG) {
        jb = e / TK;
        kb = e % TK;
      } else {
        kb = e / TILE;
        jb = e % TILE;
      }
      var b = 0.0;
      if (k0 + kb < P.K && j0 + jb < P.N) {
        b = B[P.bOff + (k0 + kb) * P.bRow + (j0 + jb) * P.bCol];
      }
      Bs[kb * LDS + jb] = b;
    }
    workgroupBarrier();
    for (var r = 0u; r < TK; r++) {
      let ar = r * LDS + lid.y * 4u;
      let br = r * LDS + lid.x * 4u;
      let av = vec4f(As[ar], As[ar + 1u], As[ar + 2u], As[ar + 3u]);
      let bv = vec4f(Bs[br], Bs[br + 1u], Bs[br + 2u], Bs[br + 3u]);
      for (var x = 0u; x < 4u; x++) {
        for (var y = 0u; y < 4u; y++) {
          part[x * 4u + y] = fma(av[x], bv[y], part[x * 4u + y]);
        }
      }
    }
    workgroupBarrier();
    step++;
    if (step == PARTIAL_STEPS) {
      step = 0u;
      for (var x = 0u; x < 16u; x++) {
        total[x] += part[x];
        part[x] = 0.0;
      }
    }
  }
  for (var x = 0u; x < 4u; x++) {
    for (var y = 0u; y < 4u; y++) {
      let i = i0 + lid.y * 4u + x;
      let j = j0 + lid.x * 4u + y;
      if (i < P.M && j < P.N) {
        let at = P.cOff + i * P.ldc + j;
        var v = P.alpha * (total[x * 4u + y] + part[x * 4u + y]);
        if (P.accumulate != 0u) {
          v += C[at];
        }
        C[at] = v;
      }
    }
  }
}
