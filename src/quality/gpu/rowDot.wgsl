// out[v] = Σ_{k0 ≤ k < k1} X[v·ld + k] · Y[v·ld + k]: per eigenvector, the K share of its energy
// (zᵀ·G_K·z with X = Z·G_K, Y = Z; or Σ z_k² over the K rows with X = Y = Z). One workgroup per row.

struct Params { ld: u32, rows: u32, k0: u32, k1: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

var<workgroup> red: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let v = wg.x;
  if (v >= P.rows) {
    return;
  }
  var s = 0.0;
  for (var k = P.k0 + li; k < P.k1; k += 256u) {
    s = fma(X[v * P.ld + k], Y[v * P.ld + k], s);
  }
  red[li] = s;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w >>= 1u) {
    if (li < w) {
      red[li] += red[li + w];
    }
    workgroupBarrier();
  }
  if (li == 0u) {
    out[v] = red[0];
  }
}
