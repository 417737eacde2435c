// Eigenvectors of the tridiagonal T become eigenvectors of the Gram matrix: z ← P_1·P_2···P_{n−1}… in
// the order of linalg.ts's backTransform (reflectors i = 1 … n−1 applied in turn, P_i = I − hInv[i]·u_i·u_iᵀ,
// u_i = A[i][0..i−1] as the tridiagonalization left it). Each vector is independent, so one workgroup
// carries one vector through every reflector in a single dispatch; each thread keeps the PER entries
// k = li + 256·t of its vector in registers, and only the dot products cross threads.

struct Params { n: u32, count: u32, pad0: u32, pad1: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> scal: array<f32>;
@group(0) @binding(3) var<storage, read_write> Z: array<f32>;

const PER: u32 = {{PER}}u;

var<workgroup> red: array<f32, 256>;

fn reduceSum(li: u32, v: f32) -> f32 {
  red[li] = v;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (li < s) {
      red[li] += red[li + s];
    }
    workgroupBarrier();
  }
  return workgroupUniformLoad(&red[0]);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let v = wg.x;
  if (v >= P.count) {
    return;
  }
  let n = P.n;
  let base = v * n;
  var z: array<f32, PER>;
  for (var t = 0u; t < PER; t++) {
    let k = li + t * 256u;
    if (k < n) {
      z[t] = Z[base + k];
    }
  }
  for (var i = 1u; i < n; i++) {
    let row = i * n;
    var s = 0.0;
    for (var t = 0u; t < PER; t++) {
      let k = li + t * 256u;
      if (k < i) {
        s = fma(A[row + k], z[t], s);
      }
    }
    let c = reduceSum(li, s) * scal[i];
    for (var t = 0u; t < PER; t++) {
      let k = li + t * 256u;
      if (k < i) {
        z[t] -= c * A[row + k];
      }
    }
  }
  for (var t = 0u; t < PER; t++) {
    let k = li + t * 256u;
    if (k < n) {
      Z[base + k] = z[t];
    }
  }
}
