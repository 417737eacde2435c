// Zeroes A[i][k] for k ≥ i, in place: after the tridiagonalization row i holds its reflector u_i in
// columns 0..i−1 and stale matrix entries beyond; the blocked back-transform reads whole rows of A as
// the reflectors' matrix U (row i = u_i), so the stale part must read as zero.

struct Params { n: u32, pad0: u32, pad1: u32, pad2: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> A: array<f32>;

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y;
  let k = gid.x;
  if (i < P.n && k < P.n && k >= i) {
    A[i * P.n + k] = 0.0;
  }
}
