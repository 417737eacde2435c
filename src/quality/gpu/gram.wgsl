// C = [C +] Aᵀ·B: C[i][j] (+)= Σ_t A[aOff + t·lda + i] · B[bOff + t·ldb + j] for t < T, i < n1, j < n2.
// Serves the Gram matrix of the K/V weights (A = B = W, rows t of W contiguous) and the K/V split
// (A = Zᵀ, B = G_K). 64×64 output tile per workgroup, 4×4 per thread, 16 rows of A and B staged in
// workgroup memory per step (both loads read contiguous row segments).
//
// Accuracy: each thread sums 256 terms into a partial and adds the partial to its total, so the f32
// rounding error grows like (256 + T/256)·ε instead of T·ε over the 8192 rows of a 7B [W_k; W_v].
// BF16 weights multiply exactly in f32 (8 + 8 significant bits ≤ 24): only the sums round.
//
// symmetric = 1 (A = B): only tiles on or below the diagonal run; off-diagonal tiles also write their
// mirror image. Diagonal tiles write each element from its own thread only (no mirror), so no two
// threads ever touch one element.

struct Params {
  T: u32, n1: u32, n2: u32, lda: u32,
  ldb: u32, ldc: u32, aOff: u32, bOff: u32,
  accumulate: u32, symmetric: u32, pad0: u32, pad1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;

const TILE: u32 = 64u;
const TK: u32 = 16u;
// Rows per partial sum: 16 staging steps of TK rows.
const PARTIAL_STEPS: u32 = 16u;

var<workgroup> As: array<f32, 1024>; // TK × TILE
var<workgroup> Bs: array<f32, 1024>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32) {
  let i0 = wg.y * TILE;
  let j0 = wg.x * TILE;
  // Uniform per workgroup, so returning before the barriers is allowed.
  if (P.symmetric != 0u && j0 > i0) {
    return;
  }
  var total: array<f32, 16>;
  var part: array<f32, 16>;
  var step = 0u;
  for (var t0 = 0u; t0 < P.T; t0 += TK) {
    for (var s = 0u; s < 4u; s++) {
      let e = li + s * 256u;
      let r = e / TILE;
      let c = e % TILE;
      let t = t0 + r;
      var a = 0.0;
      var b = 0.0;
      if (t < P.T && i0 + c < P.n1) {
        a = A[P.aOff + t * P.lda + i0 + c];
      }
      if (t < P.T && j0 + c < P.n2) {
        b = B[P.bOff + t * P.ldb + j0 + c];
      }
      As[e] = a;
      Bs[e] = b;
    }
    workgroupBarrier();
    for (var r = 0u; r < TK; r++) {
      let av = vec4f(As[r * TILE + lid.y * 4u], As[r * TILE + lid.y * 4u + 1u], As[r * TILE + lid.y * 4u + 2u], As[r * TILE + lid.y * 4u + 3u]);
      let bv = vec4f(Bs[r * TILE + lid.x * 4u], Bs[r * TILE + lid.x * 4u + 1u], Bs[r * TILE + lid.x * 4u + 2u], Bs[r * TILE + lid.x * 4u + 3u]);
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
  let diagonal = i0 == j0;
  for (var x = 0u; x < 4u; x++) {
    for (var y = 0u; y < 4u; y++) {
      let i = i0 + lid.y * 4u + x;
      let j = j0 + lid.x * 4u + y;
      if (i < P.n1 && j < P.n2) {
        var v = total[x * 4u + y] + part[x * 4u + y];
        if (P.accumulate != 0u) {
          v += C[i * P.ldc + j];
        }
        C[i * P.ldc + j] = v;
        if (P.symmetric != 0u && !diagonal) {
          C[j * P.ldc + i] = v;
        }
      }
    }
  }
}
