/**
 * Dense symmetric linear algebra in Float64 for the weight measurement: Gram matrices, Householder
 * tridiagonalization, all eigenvalues by root-free implicit QL/QR (LAPACK dsterf), the eigenvectors of the largest eigenvalues by
 * inverse iteration on the tridiagonal matrix and back-transformation — no library. The heavy loops run
 * in kernels.ts (WebAssembly SIMD, or JavaScript).
 */
import { defaultThreads, jsKernels, separateKernels, type Kernels } from './kernels';

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
 * Eigenvalues of the symmetric tridiagonal matrix (d, e with e[i] = T[i][i−1]), sorted from largest to
 * smallest; d and e are left untouched. Unreduced blocks (split where |e[i]| ≤ ε·(|d[i−1]| + |d[i]|))
 * each go through the Pal–Walker–Kahan root-free QL/QR of LAPACK's dsterf: O(n²), on the squares of the
 * off-diagonals, so a rotation costs three divisions and no square root (the Numerical Recipes tqli it
 * replaces spent most of its time in Math.hypot). The last result is kept (checked against a copy of
 * d and e), so the eigenvector stage that follows on the same matrix does not compute them again.
 */
export function tridiagonalEigenvalues(d: Float64Array, e: Float64Array): Float64Array {
  const spectrum = blockSpectrum(d, e);
  const all = new Float64Array(d.length);
  let at = 0;
  for (const values of spectrum.values) {
    all.set(values, at);
    at += values.length;
  }
  return all.sort().reverse();
}

/** The unreduced blocks [start, end) of a tridiagonal matrix and each block's eigenvalues, largest first. */
interface BlockSpectrum {
  blocks: [number, number][];
  values: Float64Array[];
}

/** One-entry cache of blockSpectrum: the arrays it was computed from (copies) and the result. */
let lastSpectrum: { d: Float64Array; e: Float64Array; spectrum: BlockSpectrum } | undefined;

function sameEntries(a: Float64Array, b: Float64Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

function blockSpectrum(d: Float64Array, e: Float64Array): BlockSpectrum {
  const n = d.length;
  const hit = lastSpectrum;
  if (hit && hit.d.length === n && sameEntries(hit.d, d, n) && sameEntries(hit.e, e, n)) return hit.spectrum;
  const blocks: [number, number][] = [];
  let b0 = 0;
  for (let i = 1; i < n; i++) {
    if (Math.abs(e[i]!) <= EPS * (Math.abs(d[i]!) + Math.abs(d[i - 1]!))) {
      blocks.push([b0, i]);
      b0 = i;
    }
  }
  if (n > 0) blocks.push([b0, n]);
  const values = blocks.map(([s, t]) => {
    const w = d.slice(s, t);
    const offDiagonal = e.slice(s + 1, t); // offDiagonal[i] couples block rows i and i + 1
    rootFreeQlQr(w, offDiagonal, t - s);
    return w.sort().reverse();
  });
  const spectrum = { blocks, values };
  lastSpectrum = { d: d.slice(0, n), e: e.slice(0, n), spectrum };
  return spectrum;
}

/** LAPACK dlamch('E'), the unit roundoff 2⁻⁵³, as dsterf's deflation tests use it. */
const UNIT_ROUNDOFF = 2 ** -53;
const SAFE_MIN = 2 ** -1022;
/** dsterf's scaling window: a block whose largest entry lies outside is scaled into it, so squares neither overflow nor underflow. */
const SCALED_MAX = Math.sqrt(1 / SAFE_MIN) / 3;
const SCALED_MIN = Math.sqrt(SAFE_MIN) / UNIT_ROUNDOFF ** 2;

/**
 * All eigenvalues of the n×n symmetric tridiagonal (d, e with e[i] = T[i][i+1]), unordered, into d; e is
 * destroyed. LAPACK dsterf (Pal–Walker–Kahan): splits where |e| ≤ ε·√|d_m|·√|d_m+1|, scales each piece
 * into a safe range (by a power of two, so exactly), squares e, then runs implicit QL or QR — whichever
 * starts at the end with the larger |d|, so graded matrices converge from their large end — with
 * Wilkinson-style shifts and 2×2 blocks solved directly (dlae2).
 */
function rootFreeQlQr(d: Float64Array, e: Float64Array, n: number): void {
  const eps2 = UNIT_ROUNDOFF * UNIT_ROUNDOFF;
  const maxIterations = 30 * n;
  let iterations = 0;
  let l1 = 0;
  while (l1 < n) {
    if (l1 > 0) e[l1 - 1] = 0;
    let m = l1;
    for (; m < n - 1; m++) {
      if (Math.abs(e[m]!) <= Math.sqrt(Math.abs(d[m]!)) * Math.sqrt(Math.abs(d[m + 1]!)) * UNIT_ROUNDOFF) {
        e[m] = 0;
        break;
      }
    }
    let l = l1;
    const lStart = l;
    let lEnd = m;
    const lEndStart = lEnd;
    l1 = m + 1;
    if (lEnd === l) continue;
    let anorm = 0;
    for (let i = l; i <= lEnd; i++) anorm = Math.max(anorm, Math.abs(d[i]!));
    for (let i = l; i < lEnd; i++) anorm = Math.max(anorm, Math.abs(e[i]!));
    if (anorm === 0) continue;
    const scale = anorm > SCALED_MAX ? 2 ** Math.floor(Math.log2(SCALED_MAX / anorm)) : anorm < SCALED_MIN ? 2 ** Math.ceil(Math.log2(SCALED_MIN / anorm)) : 1;
    if (scale !== 1) {
      for (let i = l; i <= lEnd; i++) d[i] = d[i]! * scale;
      for (let i = l; i < lEnd; i++) e[i] = e[i]! * scale;
    }
    for (let i = l; i < lEnd; i++) e[i] = e[i]! * e[i]!;
    if (Math.abs(d[lEnd]!) < Math.abs(d[l]!)) {
      lEnd = lStart;
      l = lEndStart;
    }
    if (lEnd >= l) {
      // QL: deflate from the top (l grows).
      while (l <= lEnd) {
        let mm = l;
        for (; mm < lEnd; mm++) if (Math.abs(e[mm]!) <= eps2 * Math.abs(d[mm]! * d[mm + 1]!)) break;
        if (mm < lEnd) e[mm] = 0;
        let p = d[l]!;
        if (mm === l) {
          l++;
          continue;
        }
        if (mm === l + 1) {
          eigen2x2(d, l, l + 1, Math.sqrt(e[l]!));
          e[l] = 0;
          l += 2;
          continue;
        }
        if (iterations === maxIterations) break;
        iterations++;
        const rte = Math.sqrt(e[l]!);
        let sigma = (d[l + 1]! - p) / (2 * rte);
        const r = Math.abs(sigma) > 1e150 ? Math.abs(sigma) : Math.sqrt(sigma * sigma + 1);
        sigma = p - rte / (sigma + (sigma >= 0 ? r : -r));
        let c = 1, s = 0;
        let gamma = d[mm]! - sigma;
        p = gamma * gamma;
        for (let i = mm - 1; i >= l; i--) {
          const bb = e[i]!;
          const rr = p + bb;
          if (i !== mm - 1) e[i + 1] = s * rr;
          const oldC = c;
          c = p / rr;
          s = bb / rr;
          const oldGamma = gamma;
          const alpha = d[i]!;
          gamma = c * (alpha - sigma) - s * oldGamma;
          d[i + 1] = oldGamma + (alpha - gamma);
          p = c !== 0 ? (gamma * gamma) / c : oldC * bb;
        }
        e[l] = s * p;
        d[l] = sigma + gamma;
      }
    } else {
      // QR: deflate from the bottom (l shrinks).
      while (l >= lEnd) {
        let mm = l;
        for (; mm > lEnd; mm--) if (Math.abs(e[mm - 1]!) <= eps2 * Math.abs(d[mm]! * d[mm - 1]!)) break;
        if (mm > lEnd) e[mm - 1] = 0;
        let p = d[l]!;
        if (mm === l) {
          l--;
          continue;
        }
        if (mm === l - 1) {
          eigen2x2(d, l, l - 1, Math.sqrt(e[l - 1]!));
          e[l - 1] = 0;
          l -= 2;
          continue;
        }
        if (iterations === maxIterations) break;
        iterations++;
        const rte = Math.sqrt(e[l - 1]!);
        let sigma = (d[l - 1]! - p) / (2 * rte);
        const r = Math.abs(sigma) > 1e150 ? Math.abs(sigma) : Math.sqrt(sigma * sigma + 1);
        sigma = p - rte / (sigma + (sigma >= 0 ? r : -r));
        let c = 1, s = 0;
        let gamma = d[mm]! - sigma;
        p = gamma * gamma;
        for (let i = mm; i < l; i++) {
          const bb = e[i]!;
          const rr = p + bb;
          if (i !== mm) e[i - 1] = s * rr;
          const oldC = c;
          c = p / rr;
          s = bb / rr;
          const oldGamma = gamma;
          const alpha = d[i + 1]!;
          gamma = c * (alpha - sigma) - s * oldGamma;
          d[i] = oldGamma + (alpha - gamma);
          p = c !== 0 ? (gamma * gamma) / c : oldC * bb;
        }
        e[l - 1] = s * p;
        d[l] = sigma + gamma;
      }
    }
    if (scale !== 1) for (let i = Math.min(lStart, lEndStart); i <= Math.max(lStart, lEndStart); i++) d[i] = d[i]! / scale;
    if (iterations >= maxIterations) {
      for (let i = 0; i < n - 1; i++) if (e[i] !== 0) throw new Error('tridiagonal eigenvalue iteration did not converge');
    }
  }
}

/**
 * Eigenvalues of [[d[a], b], [b, d[c]]] into d[a] (larger in magnitude) and d[c]: LAPACK dlae2, which
 * forms the discriminant without overflow and the smaller root from the determinant (no cancellation).
 */
function eigen2x2(d: Float64Array, a: number, c: number, b: number): void {
  const A = d[a]!, C = d[c]!;
  const sm = A + C;
  const adf = Math.abs(A - C);
  const ab = Math.abs(b + b);
  const [acmx, acmn] = Math.abs(A) > Math.abs(C) ? [A, C] : [C, A];
  const rt = adf > ab ? adf * Math.sqrt(1 + (ab / adf) ** 2) : adf < ab ? ab * Math.sqrt(1 + (adf / ab) ** 2) : ab * Math.SQRT2;
  let rt1: number, rt2: number;
  if (sm < 0) {
    rt1 = 0.5 * (sm - rt);
    rt2 = (acmx / rt1) * acmn - (b / rt1) * b;
  } else if (sm > 0) {
    rt1 = 0.5 * (sm + rt);
    rt2 = (acmx / rt1) * acmn - (b / rt1) * b;
  } else {
    rt1 = 0.5 * rt;
    rt2 = -0.5 * rt;
  }
  d[a] = rt1;
  d[c] = rt2;
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

/** Consecutive eigenvalues closer than this times ‖T‖ form a cluster whose vectors are made orthogonal to each other (dstein's ORTOL). */
const CLUSTER_GAP = 1e-3;
/**
 * Consecutive eigenvalues closer than this times ‖T‖ form a tight group, re-orthogonalized after every
 * solve as dstein does. Farther apart, the solves separate the vectors by themselves: each multiplies a
 * neighbour's share by |λ_j − σ| / |λ_k − σ| ≲ 1e-15·‖T‖ / 1e-8·‖T‖, so what is left after the last solve
 * is the rounding error ε·‖T‖/gap ≲ 1e-8, removed by one orthogonalization of the finished vectors.
 */
const TIGHT_GAP = 1e-8;
/** Vectors of a cluster orthogonalized together against the cluster's earlier ones (two matrix products). */
const ORTHO_BLOCK = 32;
/** Seed of the random start vectors; each vector's own stream is derived from it and its rank in the block. */
const START_SEED = 0x5eed;

export interface EigenvectorOptions {
  /**
   * Kernels for the products that orthogonalize a cluster. They need an arena of their own, so not an
   * instance whose withArena is running (symmetricEigen passes separateKernels). Default:
   * separateKernels(threads).
   */
  kernels?: Kernels;
  /** Threads for the default kernels (default: defaultThreads()). Results do not depend on it. */
  threads?: number;
}

/**
 * Eigenvectors of the tridiagonal matrix for its `count` largest eigenvalues (largest first; each found in
 * its unreduced block) by inverse iteration after LAPACK's dstein: a pivoted LU of the block, three solves
 * from a seeded random start (each vector's start depends only on its rank in the block, so results do
 * not depend on the order or the thread it is computed on), equal shifts separated by 10·ε·‖T‖.
 * Eigenvalues closer than 1e-3·‖T‖ form a cluster whose vectors must be orthogonalized: within a tight
 * group (gaps below 1e-8·‖T‖, exact and near repeats) after every solve by modified Gram–Schmidt, as
 * dstein does; across the cluster once, after the last solve, in blocks of 32 against the cluster's
 * finished vectors with two matrix products (the kernels' A·Bᵀ, on their threads) — the O(k²·n) part that
 * dstein runs vector by vector, and the cost of the heavy-tailed spectra of real weights, where hundreds
 * of the top eigenvalues share one cluster. Returns the eigenvalues; `out` gets count × n (rows are unit
 * vectors of T).
 */
export function tridiagonalEigenvectors(d: Float64Array, e: Float64Array, count: number, out: Float64Array, options: EigenvectorOptions = {}): Float64Array {
  const n = d.length;
  const norm = tridiagNorm(d, e);
  const { blocks, values } = blockSpectrum(d, e);
  // The `count` largest eigenvalues overall, with their block (a stable sort: ties keep block order).
  const all: { value: number; block: number }[] = [];
  values.forEach((vals, block) => {
    for (const value of vals) all.push({ value, block });
  });
  all.sort((a, b) => b.value - a.value);
  const chosen = all.slice(0, count);
  const perBlock = new Map<number, number[]>();
  chosen.forEach((c, idx) => {
    const list = perBlock.get(c.block) ?? [];
    list.push(idx);
    perBlock.set(c.block, list);
  });
  out.fill(0, 0, count * n);
  const kernels = options.kernels ?? separateKernels(options.threads ?? defaultThreads());
  for (const [bi, idxs] of perBlock) {
    const [s, t] = blocks[bi]!;
    if (t - s === 1) {
      for (const idx of idxs) out[idx * n + s] = 1;
      continue;
    }
    const lambdas = idxs.map((idx) => chosen[idx]!.value); // descending
    blockEigenvectors(kernels, d, e, s, t - s, lambdas, norm, (c, x) => out.set(x, idxs[c]! * n + s));
  }
  return Float64Array.from(chosen.map((c) => c.value));
}

/** Eigenvectors of block rows s … s+nb−1 for `lambdas` (descending, eigenvalues of that block), handed to `store` in order. */
function blockEigenvectors(kernels: Kernels, d: Float64Array, e: Float64Array, s: number, nb: number, lambdas: number[], norm: number, store: (c: number, x: Float64Array) => void): void {
  const k = lambdas.length;
  const clusterTol = CLUSTER_GAP * norm;
  const tightTol = TIGHT_GAP * norm;
  const tiny = EPS * norm || Number.MIN_VALUE;
  // Clusters [start, end) by dstein's rule; only those holding more than one tight group need the block pass.
  const clusters: [number, number][] = [];
  let needsPass = false;
  let widest = 0;
  for (let c = 0, c0 = 0; c <= k; c++) {
    if (c === k || (c > 0 && lambdas[c - 1]! - lambdas[c]! > clusterTol)) {
      if (c > c0) {
        let groups = 1;
        for (let j = c0 + 1; j < c; j++) if (lambdas[j - 1]! - lambdas[j]! > tightTol) groups++;
        if (groups > 1) {
          clusters.push([c0, c]);
          needsPass = true;
          widest = Math.max(widest, c - c0);
        }
      }
      c0 = c;
    }
  }
  const counts = needsPass ? [k * nb, nb * widest, ORTHO_BLOCK * widest] : [k * nb];
  kernels.withArena(counts, (arena) => {
    const X = arena.f64(k * nb);
    const lu = new TridiagLU(nb);
    let prevShift = Infinity;
    let clusterStart = 0;
    let tightStart = 0;
    for (let c = 0; c < k; c++) {
      const lambda = lambdas[c]!;
      const gap = c > 0 ? lambdas[c - 1]! - lambda : Infinity;
      if (gap > clusterTol) clusterStart = c;
      if (gap > tightTol) tightStart = c;
      // Separate equal shifts inside a cluster so the solves differ (dstein's PERTOL).
      let shift = lambda;
      const separation = 10 * EPS * Math.max(Math.abs(shift), norm);
      if (c > clusterStart && prevShift - shift < separation) shift = prevShift - separation;
      prevShift = shift;
      lu.factor(d, e, s, shift, tiny);
      const x = X.subarray(c * nb, (c + 1) * nb);
      const rng = new Rng(START_SEED ^ Math.imul(c + 1, 0x9e3779b1));
      for (let i = 0; i < nb; i++) x[i] = rng.next() * 2 - 1;
      for (let it = 0; it < 3; it++) {
        normalize(x);
        lu.solve(x);
        for (let c2 = tightStart; c2 < c; c2++) subtractProjection(x, X, c2 * nb, nb);
      }
      normalize(x);
    }
    if (needsPass) {
      const Qt = arena.f64(nb * widest);
      const C = arena.f64(ORTHO_BLOCK * widest);
      for (const [c0, c1] of clusters) orthogonalizeCluster(kernels, X, nb, c0, c1, Qt, C);
    }
    for (let c = 0; c < k; c++) store(c, X.subarray(c * nb, (c + 1) * nb));
  });
}

/**
 * Makes rows c0 … c1−1 of X (nb long) orthonormal in order, each against the finished earlier ones, in
 * blocks of ORTHO_BLOCK: C = X_b·Q_doneᵀ, X_b ← X_b − C·Q_done (one classical Gram–Schmidt pass: the
 * shares removed are ≲ 1e-8, so a second pass would change nothing), then modified Gram–Schmidt and
 * normalization inside the block. Qt (nb × (c1−c0), stride c1−c0) holds the finished rows transposed,
 * so both products are A·Bᵀ with contiguous rows; C holds ORTHO_BLOCK × (c1−c0).
 */
function orthogonalizeCluster(kernels: Kernels, X: Float64Array, nb: number, c0: number, c1: number, Qt: Float64Array, C: Float64Array): void {
  const kc = c1 - c0;
  for (let b0 = c0; b0 < c1; b0 += ORTHO_BLOCK) {
    const bs = Math.min(ORTHO_BLOCK, c1 - b0);
    const done = b0 - c0;
    const Xb = X.subarray(b0 * nb, (b0 + bs) * nb);
    if (done > 0) {
      C.fill(0, 0, bs * done);
      kernels.gemmABt(Xb, nb, bs, X.subarray(c0 * nb, b0 * nb), nb, done, nb, C, done);
      for (let i = 0; i < bs * done; i++) C[i] = -C[i]!;
      kernels.gemmABt(C, done, bs, Qt, kc, nb, done, Xb, nb);
    }
    for (let j = b0; j < b0 + bs; j++) {
      const x = X.subarray(j * nb, (j + 1) * nb);
      for (let i = b0; i < j; i++) subtractProjection(x, X, i * nb, nb);
      normalize(x);
      const col = j - c0;
      for (let r = 0; r < nb; r++) Qt[r * kc + col] = x[r]!;
    }
  }
}

/** x ← x − (x·q)·q for the unit row q = rows[at … at+nb−1]. */
function subtractProjection(x: Float64Array, rows: Float64Array, at: number, nb: number): void {
  let dot = 0;
  for (let i = 0; i < nb; i++) dot += rows[at + i]! * x[i]!;
  for (let i = 0; i < nb; i++) x[i] = x[i]! - dot * rows[at + i]!;
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
  const inv = 1 / s; // one division: the loop multiplies
  for (let k = 0; k < x.length; k++) x[k] = x[k]! * inv;
}

/** LU with partial pivoting of a tridiagonal block T − σI (rows s..s+nb−1): U has three diagonals. */
class TridiagLU {
  private readonly u0: Float64Array;
  private readonly u1: Float64Array;
  private readonly u2: Float64Array;
  private readonly mult: Float64Array;
  private readonly swap: Uint8Array;
  private readonly invPivot: Float64Array;
  constructor(private readonly nb: number) {
    this.invPivot = new Float64Array(nb);
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
    // Reciprocal pivots: each of the three solves multiplies instead of dividing.
    for (let k = 0; k < nb; k++) this.invPivot[k] = 1 / this.u0[k]!;
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
    const u1 = this.u1, u2 = this.u2, inv = this.invPivot;
    y[nb - 1] = y[nb - 1]! * inv[nb - 1]!;
    if (nb > 1) y[nb - 2] = (y[nb - 2]! - u1[nb - 2]! * y[nb - 1]!) * inv[nb - 2]!;
    for (let k = nb - 3; k >= 0; k--) y[k] = (y[k]! - u1[k]! * y[k + 1]! - u2[k]! * y[k + 2]!) * inv[k]!;
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
    // The inverse iteration needs an arena while this one is in use: the same kind of kernels, apart.
    tridiagonalEigenvectors(d, e, count, vectors, { kernels: kernels.kind === 'js' ? jsKernels : separateKernels(kernels.threads) });
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
