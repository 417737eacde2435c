// The blocked tridiagonalization's per-step kernels (LAPACK DLATRD in this project's ordering: steps
// i = n−1 … 1, row i reflected, the leading i×i block updated). Appended to tridiagonal.wgsl, whose
// bindings, Step slot, reductions, `house` and `diagonal` it shares.
//
// Within a panel of steps [bot, top] the leading block is not updated per step. The per-column form's
// update of step j is  A ← A − u_j·q_jᵀ − q_j·u_jᵀ  (u_j = row j of A, q_j its q), so the true matrix at
// step i is the stored one minus Σ_{j ∈ (i, top]} (u_j·q_jᵀ + q_j·u_jᵀ): DLATRD's V = [u_j], W = [q_j].
// Each step corrects only what it reads:
//   correct: row i, columns 0..i (the reflector's source and the diagonal d[i])
//   dots:    c_j = q_j·u_i and g_j = u_j·u_i over columns < i, for j ∈ (i, top]
//   matvecPanel: p = hInv · (A·u − Σ_j (u_j·c_j + q_j·g_j)), the stored A read as in `matvec`
//   kqPanel: q = p − (hInv · uᵀp / 2)·u, written to the panel's row i − bot (binding 3)
// and once per panel the leading bot×bot block takes the whole rank-2·nb update as one tiled product
// (tridiagonal.ts, matmul.wgsl). q_i is exactly the per-column form's q, so the reflectors, d, e and
// hInv are the per-column form's up to f32 rounding.
//
// Binding 3 holds the panel's q rows (row i − bot, stride n); binding 5 the dots (c_j at 2(j − bot),
// g_j at 2(j − bot) + 1).

@group(0) @binding(5) var<storage, read_write> dots: array<f32>;

@compute @workgroup_size(256)
fn correct(@builtin(global_invocation_id) gid: vec3u) {
  let i = S.i;
  let n = S.n;
  let k = gid.x;
  if (k > i) {
    return;
  }
  var s = 0.0;
  for (var j = i + 1u; j <= S.top; j++) {
    let w = (j - S.bot) * n;
    s = fma(A[j * n + i], q[w + k], s);
    s = fma(q[w + i], A[j * n + k], s);
  }
  A[i * n + k] -= s;
}

// One workgroup per dot: workgroup 2t + 0 → c (q row t with u_i), 2t + 1 → g (u row with u_i), where
// t indexes j = i + 1 + t.
@compute @workgroup_size(256)
fn dotsPanel(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = S.i;
  let n = S.n;
  let j = i + 1u + wg.x / 2u;
  let second = (wg.x & 1u) == 1u;
  let row = i * n;
  var s = 0.0;
  if (second) {
    for (var k = li; k < i; k += 256u) {
      s = fma(A[j * n + k], A[row + k], s);
    }
  } else {
    let w = (j - S.bot) * n;
    for (var k = li; k < i; k += 256u) {
      s = fma(q[w + k], A[row + k], s);
    }
  }
  let total = reduceSum(li, s);
  if (li == 0u) {
    dots[2u * (j - S.bot) + select(0u, 1u, second)] = total;
  }
}

// `matvec` with the panel's lazy correction: lane x of a row also subtracts the terms of j = i + 1 + x
// (+ 32·m), so the correction rides on the same reduction.
@compute @workgroup_size(32, 8)
fn matvecPanel(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = S.i;
  let n = S.n;
  let r = wg.x * 8u + lid.y;
  var s = 0.0;
  if (r < i) {
    for (var k = lid.x; k < i; k += 32u) {
      s = fma(A[r * n + k], A[i * n + k], s);
    }
    for (var j = i + 1u + lid.x; j <= S.top; j += 32u) {
      let t = j - S.bot;
      s -= A[j * n + r] * dots[2u * t] + q[t * n + r] * dots[2u * t + 1u];
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
  if (lid.x == 0u && r < i) {
    p[r] = red[base] * scal[i];
  }
}

@compute @workgroup_size(256)
fn kqPanel(@builtin(local_invocation_index) li: u32) {
  let i = S.i;
  let row = i * S.n;
  let w = (i - S.bot) * S.n;
  var s = 0.0;
  for (var k = li; k < i; k += 256u) {
    s = fma(p[k], A[row + k], s);
  }
  let half_k = 0.5 * scal[i] * reduceSum(li, s);
  for (var k = li; k < i; k += 256u) {
    q[w + k] = p[k] - half_k * A[row + k];
  }
}
