// One Householder step of the tridiagonalization (the ordering of linalg.ts's tridiagonalize, NR's
// tred2): step i (n−1 down to 1) reflects row i's columns 0..i−1 and updates the leading i×i block.
// The whole symmetric matrix is stored (row-major, stride n) so the matrix–vector product reads rows.
// Four entry points run in order per step, each one dispatch; the step's i comes from a per-step
// uniform slot (dynamic offset), so hundreds of steps are encoded into one command buffer with no
// readback between them.
//   house:   u from row i (scaled by its max |a|), e[i], hInv[i] = 1/h (0: no reflector); u replaces row i
//   matvec:  p = hInv · A[0..i)[0..i) · u
//   kq:      q = p − (hInv · uᵀp / 2) · u
//   update:  A ← A − u·qᵀ − q·uᵀ on the leading i×i block
// and once at the end `diagonal` copies d[k] = A[k][k].
// scal holds hInv in [0, n), e in [n, 2n), d in [2n, 3n).

// bot, top: the panel of steps [bot, top] that step i belongs to (the blocked form, tridiagonalPanel.wgsl);
// the per-column form leaves them 0.
struct Step { i: u32, n: u32, bot: u32, top: u32 }

@group(0) @binding(0) var<uniform> S: Step;
@group(0) @binding(1) var<storage, read_write> A: array<f32>;
@group(0) @binding(2) var<storage, read_write> p: array<f32>;
@group(0) @binding(3) var<storage, read_write> q: array<f32>;
@group(0) @binding(4) var<storage, read_write> scal: array<f32>;

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

fn reduceMax(li: u32, v: f32) -> f32 {
  red[li] = v;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (li < s) {
      red[li] = max(red[li], red[li + s]);
    }
    workgroupBarrier();
  }
  return workgroupUniformLoad(&red[0]);
}

@compute @workgroup_size(256)
fn house(@builtin(local_invocation_index) li: u32) {
  let i = S.i;
  let n = S.n;
  let row = i * n;
  let l = i - 1u;
  var mx = 0.0;
  for (var k = li; k < i; k += 256u) {
    mx = max(mx, abs(A[row + k]));
  }
  let scale = reduceMax(li, mx);
  if (l == 0u || scale == 0.0) {
    if (li == 0u) {
      scal[i] = 0.0;
      scal[n + i] = A[row + l];
    }
    return;
  }
  let inv = 1.0 / scale;
  var ss = 0.0;
  for (var k = li; k < i; k += 256u) {
    let v = A[row + k] * inv;
    ss = fma(v, v, ss);
  }
  let f = A[row + l] * inv;
  let h0 = reduceSum(li, ss);
  // Every thread has read A[row + l] (f) before any thread writes row i.
  storageBarrier();
  let g = select(sqrt(h0), -sqrt(h0), f >= 0.0);
  let h = h0 - f * g;
  for (var k = li; k < l; k += 256u) {
    A[row + k] = A[row + k] * inv;
  }
  if (li == 0u) {
    A[row + l] = f - g;
    scal[i] = 1.0 / h;
    scal[n + i] = scale * g;
  }
}

// 8 rows per workgroup, 32 lanes per row: each lane reads every 32nd element (coalesced segments).
@compute @workgroup_size(32, 8)
fn matvec(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = S.i;
  let n = S.n;
  let j = wg.x * 8u + lid.y;
  var s = 0.0;
  if (j < i) {
    for (var k = lid.x; k < i; k += 32u) {
      s = fma(A[j * n + k], A[i * n + k], s);
    }
  }
  let base = lid.y * 32u;
  red[base + lid.x] = s;
  workgroupBarrier();
  for (var w = 16u; w > 0u; w >>= 1u) {
    if (lid.x < w) {
      red[base + lid.x] += red[base + lid.x + w];
    }
    workgroupBarrier();
  }
  if (lid.x == 0u && j < i) {
    p[j] = red[base] * scal[i];
  }
}

@compute @workgroup_size(256)
fn kq(@builtin(local_invocation_index) li: u32) {
  let i = S.i;
  let row = i * S.n;
  var s = 0.0;
  for (var k = li; k < i; k += 256u) {
    s = fma(p[k], A[row + k], s);
  }
  let half_k = 0.5 * scal[i] * reduceSum(li, s);
  for (var k = li; k < i; k += 256u) {
    q[k] = p[k] - half_k * A[row + k];
  }
}

@compute @workgroup_size(16, 16)
fn update(@builtin(global_invocation_id) gid: vec3u) {
  let i = S.i;
  let n = S.n;
  let j = gid.y;
  let k = gid.x;
  if (j < i && k < i) {
    let row = i * n;
    A[j * n + k] -= A[row + j] * q[k] + q[j] * A[row + k];
  }
}

@compute @workgroup_size(256)
fn diagonal(@builtin(global_invocation_id) gid: vec3u) {
  let k = gid.x;
  if (k < S.n) {
    scal[2u * S.n + k] = A[k * S.n + k];
  }
}
