/**
 * Dense symmetric linear algebra in Float64 for the weight measurement: Gram matrices, Householder
 * tridiagonalization, all eigenvalues by implicit QL, the eigenvectors of the largest eigenvalues by
 * inverse iteration on the tridiagonal matrix and back-transformation — no library. The heavy loops run
 * in kernels.ts (WebAssembly SIMD, or JavaScript).
 */
import type { Kernels } from './kernels';

const EPS = 2.220446049250313e-16;

/**
 * Householder reduction of the symmetric n×n matrix A (row-major, stride n; only its lower triangle
 * A[j][k], k ≤ j, is read) to tridiagonal T = Qᵀ·A·Q: d the diagonal, e the subdiagonal (e[i] = T[i][i−1],
 * e[0] = 0). Step i (n−1 down to 1) builds from row i the reflector P_i = I − u·uᵀ/h acting on
 * coordinates 0..i−1 (Numerical Recipes' tred2 ordering): p = A·u/h, K = uᵀp/2h, q = p − K·u,
 * A ← A − u·qᵀ − q·uᵀ. Each step's rank-2 update is fused with the next step's matrix–vector product,
 * so the trailing matrix is streamed once per step. On return u_i lives in row i (A[i][0..i−1]) and
 * hInv[i] = 1/h_i (0 when the step needed no reflector), for backTransform. Cost ≈ (2/3)·n³ FMAs.
 * `work` must hold 4·n doubles (in the kernels' arena).
 */
export function tridiagonalize(kernels: Kernels, A: Float64Array, n: number, d: Float64Array, e: Float64Array, hInv: Float64Array, work: Float64Array): void {
  const p = work.subarray(0, n);
  const q = work.subarray(n, 2 * n);
  const zeros = work.subarray(2 * n, 3 * n);
  const ubuf = work.subarray(3 * n, 4 * n);
  zeros.fill(0);
  let havePrev = false;
  let prevRow = 0; // row holding the previous reflector u (its update still pending on rows ≤ i)
  e[0] = 0;
  hInv[0] = 0;
  for (let i = n - 1; i >= 1; i--) {
    const l = i - 1;
    const ri = i * n;
    const uPrev = havePrev ? A.subarray(prevRow * n, prevRow * n + prevRow) : zeros;
    // 1. Bring row i up to date with the previous step's update.
    if (havePrev) {
      const f = uPrev[i]!, g = q[i]!;
      for (let k = 0; k <= i; k++) A[ri + k] = A[ri + k]! - f * q[k]! - g * uPrev[k]!;
    }
    // 2. The reflector from row i, columns 0..l.
    let h = 0;
    let scale = 0;
    if (l > 0) for (let k = 0; k <= l; k++) scale += Math.abs(A[ri + k]!);
    const reflect = l > 0 && scale !== 0;
    if (reflect) {
      for (let k = 0; k <= l; k++) {
        const v = A[ri + k]! / scale;
        A[ri + k] = v;
        h += v * v;
      }
      const f = A[ri + l]!;
      const g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
      e[i] = scale * g;
      h -= f * g;
      A[ri + l] = f - g;
    } else {
      e[i] = A[ri + l]!;
    }
    hInv[i] = reflect ? 1 / h : 0;
    const u = reflect ? A.subarray(ri, ri + i) : zeros;
    // 3. Rows 0..l: apply the pending update and accumulate p = A·u over the lower triangle.
    if (havePrev || reflect) {
      p.fill(0, 0, i);
      // u is copied to its own buffer so the kernel's operands never alias the rows it writes.
      if (reflect) ubuf.set(u.subarray(0, i));
      kernels.tridiagRows(A, n, i, havePrev ? q : zeros, uPrev, reflect ? ubuf : zeros, p);
    }
    // 4. q = p/h − K·u for the next step.
    if (reflect) {
      let f = 0;
      for (let j = 0; j <= l; j++) {
        p[j] = p[j]! / h;
        f += p[j]! * ubuf[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j <= l; j++) q[j] = p[j]! - hh * ubuf[j]!;
      havePrev = true;
      prevRow = i;
    } else {
      havePrev = false;
    }
  }
  for (let i = 0; i < n; i++) d[i] = A[i * n + i]!;
}

/**
 * Eigenvalues of the symmetric tridiagonal matrix (d, e with e[i] = T[i][i−1]) by the implicit QL
 * method with Wilkinson shifts (Numerical Recipes' tqli, without vectors): O(n²). Returns them sorted
 * from largest to smallest. d and e are left untouched.
 */
export function tridiagonalEigenvalues(d: Float64Array, e: Float64Array): Float64Array {
  const n = d.length;
  const w = Float64Array.from(d);
  const f = new Float64Array(n);
  for (let i = 1; i < n; i++) f[i - 1] = e[i]!;
  qlImplicit(w, f, n);
  return w.sort().reverse();
}

function qlImplicit(d: Float64Array, e: Float64Array, n: number): void {
  for (let l = 0; l < n; l++) {
    let iter = 0;
    let m: number;
    do {
      for (m = l; m < n - 1; m++) {
        const dd = Math.abs(d[m]!) + Math.abs(d[m + 1]!);
        if (Math.abs(e[m]!) <= EPS * dd) break;
      }
      if (m !== l) {
        if (iter++ === 60) throw new Error('QL iteration did not converge');
        let g = (d[l + 1]! - d[l]!) / (2 * e[l]!);
        let r = Math.hypot(g, 1);
        g = d[m]! - d[l]! + e[l]! / (g + (g >= 0 ? Math.abs(r) : -Math.abs(r)));
        let s = 1, c = 1, p = 0;
        let i: number;
        for (i = m - 1; i >= l; i--) {
          const f = s * e[i]!;
          const b = c * e[i]!;
          r = Math.hypot(f, g);
          e[i + 1] = r;
          if (r === 0) {
            d[i + 1] = d[i + 1]! - p;
            e[m] = 0;
            break;
          }
          s = f / r;
          c = g / r;
          g = d[i + 1]! - p;
          r = (d[i]! - g) * s + 2 * c * b;
          p = s * r;
          d[i + 1] = g + p;
          g = c * r - b;
        }
        if (r === 0 && i >= l) continue;
        d[l] = d[l]! - p;
        e[l] = g;
        e[m] = 0;
      }
    } while (m !== l);
  }
}

/** A small seeded PRNG (mulberry32) with Gaussian draws (Box–Muller): reproducible runs. */
export class Rng {
  private s: number;
  private spare: number | undefined;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Standard normal N(0, 1). */
  gaussian(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

/**
 * Eigenvectors of the tridiagonal matrix for the given eigenvalues (largest first, as returned with
 * their unreduced block) by inverse iteration (LAPACK dstein's scheme): solve (T − λI)·x = b with a
 * pivoted LU of the block, three times from a seeded random start; eigenvalues closer than 1e-3·‖T‖
 * form a cluster whose vectors are re-orthogonalized (modified Gram–Schmidt) after each solve and whose
 * equal shifts are separated by 10·ε·|λ|. Returns count × n (rows are vectors of T, unit length).
 */
export function tridiagonalEigenvectors(d: Float64Array, e: Float64Array, count: number, out: Float64Array): Float64Array {
  const n = d.length;
  // Unreduced blocks: split where the subdiagonal is negligible.
  const norm = tridiagNorm(d, e);
  const blocks: [number, number][] = [];
  let b0 = 0;
  for (let i = 1; i < n; i++) {
    if (Math.abs(e[i]!) <= EPS * (Math.abs(d[i]!) + Math.abs(d[i - 1]!))) {
      blocks.push([b0, i]);
      b0 = i;
    }
  }
  blocks.push([b0, n]);
  // Eigenvalues per block, then the `count` largest overall with their block.
  const all: { value: number; block: number }[] = [];
  blocks.forEach(([s, t], bi) => {
    const vals = tridiagonalEigenvalues(d.subarray(s, t), blockSub(e, s, t));
    for (const v of vals) all.push({ value: v, block: bi });
  });
  all.sort((a, b) => b.value - a.value);
  const chosen = all.slice(0, count);
  // Within a block, iterate in descending order; clusters by gap.
  const rng = new Rng(0x5eed);
  const orthTol = 1e-3 * norm;
  const tiny = EPS * norm || Number.MIN_VALUE;
  const perBlock = new Map<number, number[]>();
  chosen.forEach((c, idx) => {
    const list = perBlock.get(c.block) ?? [];
    list.push(idx);
    perBlock.set(c.block, list);
  });
  out.fill(0, 0, count * n);
  for (const [bi, idxs] of perBlock) {
    const [s, t] = blocks[bi]!;
    const nb = t - s;
    const lu = new TridiagLU(nb);
    const x = new Float64Array(nb);
    let clusterStart = 0;
    let prevShift = Infinity;
    for (let c = 0; c < idxs.length; c++) {
      const idx = idxs[c]!;
      const lambda = chosen[idx]!.value;
      if (c > 0 && chosen[idxs[c - 1]!]!.value - lambda > orthTol) clusterStart = c;
      // Separate equal shifts inside a cluster so the solves differ.
      let shift = lambda;
      if (c > clusterStart && prevShift - shift < 10 * EPS * Math.max(Math.abs(shift), norm)) shift = prevShift - 10 * EPS * Math.max(Math.abs(shift), norm);
      prevShift = shift;
      if (nb === 1) {
        out[idx * n + s] = 1;
        continue;
      }
      lu.factor(d, e, s, shift, tiny);
      for (let k = 0; k < nb; k++) x[k] = rng.next() * 2 - 1;
      for (let it = 0; it < 3; it++) {
        normalize(x);
        lu.solve(x);
        // Orthogonalize against the cluster's earlier vectors.
        for (let c2 = clusterStart; c2 < c; c2++) {
          const row = idxs[c2]! * n + s;
          let dot = 0;
          for (let k = 0; k < nb; k++) dot += out[row + k]! * x[k]!;
          for (let k = 0; k < nb; k++) x[k] = x[k]! - dot * out[row + k]!;
        }
      }
      normalize(x);
      out.set(x, idx * n + s);
    }
  }
  return Float64Array.from(chosen.map((c) => c.value));
}

function blockSub(e: Float64Array, s: number, t: number): Float64Array {
  const sub = new Float64Array(t - s);
  for (let i = s + 1; i < t; i++) sub[i - s] = e[i]!;
  return sub;
}

function tridiagNorm(d: Float64Array, e: Float64Array): number {
  let m = 0;
  for (let i = 0; i < d.length; i++) m = Math.max(m, Math.abs(d[i]!) + Math.abs(e[i] ?? 0) + Math.abs(e[i + 1] ?? 0));
  return m;
}

function normalize(x: Float64Array): void {
  let s = 0;
  for (let k = 0; k < x.length; k++) s += x[k]! * x[k]!;
  s = Math.sqrt(s);
  if (s === 0 || !Number.isFinite(s)) {
    // Degenerate: restart from a fixed direction.
    x.fill(1 / Math.sqrt(x.length));
    return;
  }
  for (let k = 0; k < x.length; k++) x[k] = x[k]! / s;
}

/** LU with partial pivoting of a tridiagonal block T − σI (rows s..s+nb−1): U has three diagonals. */
class TridiagLU {
  private readonly u0: Float64Array;
  private readonly u1: Float64Array;
  private readonly u2: Float64Array;
  private readonly mult: Float64Array;
  private readonly swap: Uint8Array;
  constructor(private readonly nb: number) {
    this.u0 = new Float64Array(nb);
    this.u1 = new Float64Array(nb);
    this.u2 = new Float64Array(nb);
    this.mult = new Float64Array(nb);
    this.swap = new Uint8Array(nb);
  }
  factor(d: Float64Array, e: Float64Array, s: number, sigma: number, tiny: number): void {
    const nb = this.nb;
    let curDiag = d[s]! - sigma;
    let curSup = nb > 1 ? e[s + 1]! : 0;
    for (let k = 0; k < nb - 1; k++) {
      const sub = e[s + k + 1]!;
      const nextDiag = d[s + k + 1]! - sigma;
      const nextSup = k + 2 < nb ? e[s + k + 2]! : 0;
      if (Math.abs(curDiag) >= Math.abs(sub)) {
        const piv = curDiag === 0 ? tiny : curDiag;
        const m = sub / piv;
        this.u0[k] = piv; this.u1[k] = curSup; this.u2[k] = 0; this.swap[k] = 0; this.mult[k] = m;
        curDiag = nextDiag - m * curSup;
        curSup = nextSup;
      } else {
        const m = curDiag / sub;
        this.u0[k] = sub; this.u1[k] = nextDiag; this.u2[k] = nextSup; this.swap[k] = 1; this.mult[k] = m;
        curDiag = curSup - m * nextDiag;
        curSup = -m * nextSup;
      }
    }
    this.u0[nb - 1] = curDiag;
    for (let k = 0; k < nb; k++) if (Math.abs(this.u0[k]!) < tiny) this.u0[k] = this.u0[k]! < 0 ? -tiny : tiny;
  }
  solve(y: Float64Array): void {
    const nb = this.nb;
    for (let k = 0; k < nb - 1; k++) {
      if (this.swap[k]) {
        const t = y[k]!;
        y[k] = y[k + 1]!;
        y[k + 1] = t;
      }
      y[k + 1] = y[k + 1]! - this.mult[k]! * y[k]!;
    }
    y[nb - 1] = y[nb - 1]! / this.u0[nb - 1]!;
    if (nb > 1) y[nb - 2] = (y[nb - 2]! - this.u1[nb - 2]! * y[nb - 1]!) / this.u0[nb - 2]!;
    for (let k = nb - 3; k >= 0; k--) y[k] = (y[k]! - this.u1[k]! * y[k + 1]! - this.u2[k]! * y[k + 2]!) / this.u0[k]!;
  }
}

/**
 * x ← P_{n−1}···P_1·x for each row x of Z (count × n): eigenvectors of T become eigenvectors of A.
 * Reflectors are applied in blocks of 64 so a block stays in cache while every vector passes through.
 */
export function backTransform(kernels: Kernels, A: Float64Array, n: number, hInv: Float64Array, Z: Float64Array, count: number): void {
  kernels.backTransform(A, n, hInv, Z, count);
}

export interface SymmetricEigen {
  /** All eigenvalues, largest first. */
  values: Float64Array;
  /** count × n, row v the unit eigenvector of values[v] (the `count` largest). */
  vectors: Float64Array;
  count: number;
  timings: { tridiagonalMs: number; eigenvaluesMs: number; vectorsMs: number; backTransformMs: number };
}

/** Arena doubles symmetricEigen needs besides A itself. */
export const eigenWorkDoubles = (n: number, count: number): number[] => [n, n, n, 4 * n, Math.max(1, count * n)];

/**
 * All eigenvalues of the symmetric matrix A (lower triangle read; destroyed) and the eigenvectors of
 * the `count` largest. A must live in the kernels' arena, as must the work arrays allocated here.
 */
export function symmetricEigen(kernels: Kernels, arena: { f64(n: number): Float64Array }, A: Float64Array, n: number, count: number): SymmetricEigen {
  const d = arena.f64(n), e = arena.f64(n), hInv = arena.f64(n), work = arena.f64(4 * n);
  const vectors = arena.f64(Math.max(1, count * n));
  const timings = { tridiagonalMs: 0, eigenvaluesMs: 0, vectorsMs: 0, backTransformMs: 0 };
  if (n === 0) return { values: new Float64Array(0), vectors, count: 0, timings };
  let t = performance.now();
  const lap = (): number => {
    const now = performance.now();
    const dt = now - t;
    t = now;
    return dt;
  };
  tridiagonalize(kernels, A, n, d, e, hInv, work);
  timings.tridiagonalMs = lap();
  const values = tridiagonalEigenvalues(d, e);
  timings.eigenvaluesMs = lap();
  if (count > 0) {
    tridiagonalEigenvectors(d, e, count, vectors);
    timings.vectorsMs = lap();
    backTransform(kernels, A, n, hInv, vectors, count);
    // Sign convention (a solve's sign hangs on the rounding of a tiny pivot): positive projection on a
    // fixed irregular vector, so runs on different threads or kernels agree.
    for (let v = 0; v < count; v++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += vectors[v * n + k]! * (1 + ((k * 0.6180339887498949) % 1));
      if (s < 0) for (let k = 0; k < n; k++) vectors[v * n + k] = -vectors[v * n + k]!;
    }
    timings.backTransformMs = lap();
  }
  return { values, vectors, count, timings };
}
