/**
 * The math of each conversion, per layer. Weights come as HF stores them: W_k is [kvHeads·headDim,
 * hidden] row-major (k_proj.weight), head h owning rows h·headDim … (h+1)·headDim − 1.
 *
 *  - GQA-g / MQA (Ainslie et al. 2023, "GQA", §2.1): the KV heads of each of g groups are replaced by
 *    their mean. Pooled head j = (1/s)·Σ_{h ∈ group j} W_h with s = kvHeads/g; error
 *    ‖W − expand(pooled)‖_F / ‖W‖_F, for K and V separately.
 *  - MLA rank r (MHA2MLA / TransMLA): the best joint rank-r factorization of M = [W_k; W_v] (stacked
 *    rows), i.e. its truncated SVD. energy(r) = Σ_{i≤r} σ_i² / Σ σ_i², relative error
 *    sqrt(1 − energy(r)); the K (V) error is that of the K (V) rows of the rank-r approximation;
 *    rank99 = the smallest r with energy(r) ≥ 0.99. σ_i² are the eigenvalues of the Gram matrix of the
 *    smaller side (M·Mᵀ or Mᵀ·M), decomposed exactly (linalg.ts).
 *  - KV-cache quantization: K = X·W_kᵀ (+ bias), V = X·W_vᵀ for calibration rows X, each value
 *    round-tripped through the cache format; error ‖K − Q(K)‖_F / ‖K‖_F (and V).
 */
import type { Arena, Kernels } from './kernels';
import { eigenWorkDoubles, symmetricEigen } from './linalg';

// ───────────────────────── GQA / MQA ─────────────────────────

export interface SquaredError {
  /** ‖W − Ŵ‖²_F */
  err2: number;
  /** ‖W‖²_F */
  norm2: number;
}

/**
 * Mean-pooling of KV heads into `groups` groups (groups must divide heads; 1 = MQA).
 * W: heads·headDim rows of `hidden` values.
 */
export function gqaPoolError(W: Float32Array, heads: number, headDim: number, hidden: number, groups: number): SquaredError {
  const { norm2, err2 } = gqaPoolErrors(W, heads, headDim, hidden, [groups]);
  return { err2: err2[0]!, norm2 };
}

/**
 * Values per head in one column chunk of the pooling pass: all heads' chunks (heads·POOL_CHUNK f32,
 * 128 KiB for 32 heads) and every target's group means (f64) stay in L2 while they are read a second
 * time, so W streams from memory once for all targets.
 */
const POOL_CHUNK = 1024;
/** Group means of every target for one chunk, reused across calls (the worker is single-threaded). */
let poolMeans = new Float64Array(0);

/**
 * gqaPoolError for several group counts from one pass over W: ‖W‖² and each target's ‖W − pooled‖².
 *
 * Targets go finest first. A target whose groups are unions of a finer target's groups (contiguous
 * groups: whenever that target's group count is a multiple of this one's) is computed from the finer
 * group means by the law of total variance, Σ_{h∈J} ‖W_h − M_J‖² = Σ_{j⊂J} (Σ_{h∈j} ‖W_h − m_j‖² +
 * s_j·‖m_j − M_J‖²): every term a sum of squared differences, so no cancellation, and duplicate heads
 * still give exactly 0. The finest target reads the heads themselves; its group mean is the old
 * definition's sum in head order divided by the group size, bit for bit.
 */
export function gqaPoolErrors(W: Float32Array, heads: number, headDim: number, hidden: number, groupCounts: readonly number[]): { norm2: number; err2: number[] } {
  for (const groups of groupCounts) {
    if (!Number.isInteger(groups) || groups < 1 || heads % groups !== 0) throw new RangeError(`${groups} groups do not divide ${heads} KV heads`);
  }
  const headSize = headDim * hidden;
  // Distinct group counts, finest first; one group per head changes nothing (error 0).
  const levels = [...new Set(groupCounts)].filter((g) => g < heads).sort((a, b) => b - a);
  // parent[t]: the level t's groups are unions of (-1: the heads themselves).
  const parent = levels.map((g, t) => {
    let best = -1;
    for (let p = 0; p < t; p++) if (levels[p]! % g === 0 && (best < 0 || levels[p]! < levels[best]!)) best = p;
    return best;
  });
  const offsets: number[] = [];
  let meanDoubles = 0;
  for (const g of levels) {
    offsets.push(meanDoubles);
    meanDoubles += g * POOL_CHUNK;
  }
  if (poolMeans.length < meanDoubles) poolMeans = new Float64Array(meanDoubles);
  const means = poolMeans;
  // Σ over chunks of Σ_j s_parent·‖m_child − M_J‖² per level (the between-group part).
  const between = new Float64Array(levels.length);
  let norm2 = 0;
  for (let x0 = 0; x0 < headSize; x0 += POOL_CHUNK) {
    const len = Math.min(POOL_CHUNK, headSize - x0);
    let normDone = false;
    for (let t = 0; t < levels.length; t++) {
      const g = levels[t]!;
      const p = parent[t]!;
      const out = offsets[t]!;
      if (p < 0) {
        const per = heads / g;
        for (let J = 0; J < g; J++) {
          const r = poolHeadsIntoMean(W, J * per * headSize + x0, headSize, per, len, means, out + J * POOL_CHUNK, !normDone);
          between[t] = between[t]! + r.err2;
          norm2 += r.norm2;
        }
        normDone = true;
      } else {
        const r = levels[p]! / g;
        let e = 0;
        for (let J = 0; J < g; J++) e += poolMeansIntoMean(means, offsets[p]! + J * r * POOL_CHUNK, r, len, out + J * POOL_CHUNK);
        between[t] = between[t]! + (heads / levels[p]!) * e;
      }
    }
    if (!normDone) norm2 += sumSquares(W, headSize, heads, x0, len);
  }
  const err2ByGroups = new Map<number, number>([[heads, 0]]);
  for (let t = 0; t < levels.length; t++) {
    const p = parent[t]!;
    err2ByGroups.set(levels[t]!, (p < 0 ? 0 : err2ByGroups.get(levels[p]!)!) + between[t]!);
  }
  return { norm2, err2: groupCounts.map((g) => err2ByGroups.get(g)!) };
}

/**
 * One group of `per` heads (head k's chunk at W[base + k·stride …]) → its mean into means[out …]
 * (Σ in head order, then ÷ per, as the definition reads) and Σ_k ‖W_k − mean‖² over the chunk;
 * ‖W‖² of the chunk too when asked. Heads go four at a time: one load and store of the f64 sum per
 * four heads, and four independent accumulators (the adds' latency, not the loads, bounds these loops).
 */
function poolHeadsIntoMean(W: Float32Array, base: number, stride: number, per: number, len: number, means: Float64Array, out: number, withNorm: boolean): SquaredError {
  let k = 1;
  {
    const b0 = base;
    for (; k + 2 < per; k += 3) {
      const b1 = base + k * stride, b2 = b1 + stride, b3 = b2 + stride;
      if (k === 1) for (let i = 0; i < len; i++) means[out + i] = W[b0 + i]! + W[b1 + i]! + W[b2 + i]! + W[b3 + i]!;
      else for (let i = 0; i < len; i++) means[out + i] = means[out + i]! + W[b1 + i]! + W[b2 + i]! + W[b3 + i]!;
    }
    if (k === 1) for (let i = 0; i < len; i++) means[out + i] = W[b0 + i]!;
  }
  for (; k < per; k++) {
    const b = base + k * stride;
    for (let i = 0; i < len; i++) means[out + i] = means[out + i]! + W[b + i]!;
  }
  for (let i = 0; i < len; i++) means[out + i] = means[out + i]! / per;
  let e0 = 0, e1 = 0, e2 = 0, e3 = 0;
  let n0 = 0, n1 = 0, n2 = 0, n3 = 0;
  k = 0;
  for (; k + 3 < per; k += 4) {
    const b0 = base + k * stride, b1 = b0 + stride, b2 = b1 + stride, b3 = b2 + stride;
    if (withNorm) {
      for (let i = 0; i < len; i++) {
        const m = means[out + i]!;
        const w0 = W[b0 + i]!, w1 = W[b1 + i]!, w2 = W[b2 + i]!, w3 = W[b3 + i]!;
        e0 += (w0 - m) * (w0 - m);
        e1 += (w1 - m) * (w1 - m);
        e2 += (w2 - m) * (w2 - m);
        e3 += (w3 - m) * (w3 - m);
        n0 += w0 * w0;
        n1 += w1 * w1;
        n2 += w2 * w2;
        n3 += w3 * w3;
      }
    } else {
      for (let i = 0; i < len; i++) {
        const m = means[out + i]!;
        const d0 = W[b0 + i]! - m, d1 = W[b1 + i]! - m, d2 = W[b2 + i]! - m, d3 = W[b3 + i]! - m;
        e0 += d0 * d0;
        e1 += d1 * d1;
        e2 += d2 * d2;
        e3 += d3 * d3;
      }
    }
  }
  for (; k < per; k++) {
    const b = base + k * stride;
    for (let i = 0; i < len; i++) {
      const w = W[b + i]!;
      const d = w - means[out + i]!;
      e0 += d * d;
      if (withNorm) n0 += w * w;
    }
  }
  return { err2: e0 + e1 + e2 + e3, norm2: n0 + n1 + n2 + n3 };
}

/** `r` consecutive child means (chunks of POOL_CHUNK at means[first …]) → their mean into means[out …]; returns Σ_k ‖m_k − M‖². */
function poolMeansIntoMean(means: Float64Array, first: number, r: number, len: number, out: number): number {
  for (let i = 0; i < len; i++) means[out + i] = means[first + i]!;
  for (let k = 1; k < r; k++) {
    const b = first + k * POOL_CHUNK;
    for (let i = 0; i < len; i++) means[out + i] = means[out + i]! + means[b + i]!;
  }
  for (let i = 0; i < len; i++) means[out + i] = means[out + i]! / r;
  let e0 = 0, e1 = 0;
  for (let k = 0; k < r; k++) {
    const b = first + k * POOL_CHUNK;
    let i = 0;
    for (; i + 1 < len; i += 2) {
      const d0 = means[b + i]! - means[out + i]!, d1 = means[b + i + 1]! - means[out + i + 1]!;
      e0 += d0 * d0;
      e1 += d1 * d1;
    }
    if (i < len) {
      const d = means[b + i]! - means[out + i]!;
      e0 += d * d;
    }
  }
  return e0 + e1;
}

/** ‖W‖² over one chunk of every head. */
function sumSquares(W: Float32Array, stride: number, heads: number, x0: number, len: number): number {
  let n = 0;
  for (let h = 0; h < heads; h++) {
    const b = h * stride + x0;
    for (let i = 0; i < len; i++) n += W[b + i]! * W[b + i]!;
  }
  return n;
}

// ───────────────────────── MLA: joint low rank ─────────────────────────

export interface RankResult {
  rank: number;
  /** Σ_{i≤r} σ_i² / Σ σ_i² of the stacked [W_k; W_v]. */
  energy: number;
  /** sqrt(1 − energy). */
  relError: number;
  /** ‖W_k − (rank-r approximation)_K‖²_F: the K rows' share of the discarded energy. */
  kErr2: number;
  vErr2: number;
}

export interface JointSpectrum {
  /** σ_i² of [W_k; W_v], largest first (min(rows, hidden) of them; rounding negatives clamped to 0). */
  spectrum: Float64Array;
  /** ‖W_k‖²_F and ‖W_v‖²_F. */
  kNorm2: number;
  vNorm2: number;
  /** Smallest r with energy(r) ≥ 0.99. */
  rank99: number;
  ranks: RankResult[];
  /** Which Gram matrix was decomposed: 'rows' = M·Mᵀ (rows ≤ hidden), 'columns' = Mᵀ·M. */
  side: 'rows' | 'columns';
  /** Its order: the size of the eigenproblem. */
  order: number;
  timings: { gramMs: number; tridiagonalMs: number; eigenvaluesMs: number; vectorsMs: number; backTransformMs: number; splitMs: number };
}

/** Arena doubles jointLowRank needs for these shapes (to check the 4 GiB WebAssembly limit first). */
export function jointLowRankDoubles(kRows: number, vRows: number, hidden: number, ranks: number[]): number[] {
  const rows = kRows + vRows;
  const m = Math.min(rows, hidden);
  const count = vectorCount(ranks, m);
  if (rows <= hidden) return [rows * hidden, m * m, ...eigenWorkDoubles(m, count)];
  return [rows * hidden, m * m, m * m, count * m, ...eigenWorkDoubles(m, count)];
}

function vectorCount(ranks: number[], m: number): number {
  return Math.min(m, Math.max(0, ...ranks.filter((r) => r < m)));
}

/**
 * The spectrum of M = [W_k; W_v] (kRows + vRows rows of `hidden`) and, at each requested rank, the
 * energy kept and the K and V errors of the best joint rank-r approximation.
 *
 * With rows ≤ hidden: G = M·Mᵀ = U·Σ²·Uᵀ; the rank-r approximation U_r·U_rᵀ·M leaves in the K rows
 * ‖W_k‖² − Σ_{i≤r} σ_i²·‖u_i[K rows]‖². Otherwise G = Mᵀ·M = G_K + G_V (G_K = W_kᵀW_k) = V·Σ²·Vᵀ; the
 * approximation M·V_r·V_rᵀ leaves ‖W_k‖² − Σ_{i≤r} v_iᵀ·G_K·v_i. Eigenvectors are computed for the
 * largest requested rank below min(rows, hidden) only.
 */
export function jointLowRank(kernels: Kernels, Wk: Float32Array, kRows: number, Wv: Float32Array, vRows: number, hidden: number, ranks: number[]): JointSpectrum {
  const rows = kRows + vRows;
  const m = Math.min(rows, hidden);
  const count = vectorCount(ranks, m);
  return kernels.withArena(jointLowRankDoubles(kRows, vRows, hidden, ranks), (arena) => {
    const t0 = performance.now();
    let kNorm2 = 0;
    let vNorm2 = 0;
    for (const w of Wk) kNorm2 += w * w;
    for (const w of Wv) vNorm2 += w * w;
    const G = arena.f64(m * m);
    let GK: Float64Array | undefined;
    if (rows <= hidden) {
      const M = arena.f64(rows * hidden);
      M.set(Wk, 0);
      M.set(Wv, kRows * hidden);
      kernels.gemmABt(M, hidden, rows, M, hidden, rows, hidden, G, m, true);
    } else {
      // Mᵀ (hidden × rows), then G_K = Σ over K columns and G_V over V columns.
      const MT = arena.f64(hidden * rows);
      transposeInto(Wk, kRows, hidden, MT, rows, 0);
      transposeInto(Wv, vRows, hidden, MT, rows, kRows);
      GK = arena.f64(m * m);
      kernels.gemmABt(MT, rows, hidden, MT, rows, hidden, kRows, GK, m, true);
      const GV = MT.subarray(kRows); // columns kRows… of each row: offset view with the same stride
      kernels.gemmABt(GV, rows, hidden, GV, rows, hidden, vRows, G, m, true);
      for (let i = 0; i < m; i++) for (let j = 0; j <= i; j++) G[i * m + j] = G[i * m + j]! + GK[i * m + j]!;
    }
    const t1 = performance.now();
    const eig = symmetricEigen(kernels, arena, G, m, count);
    // K share of each kept component.
    const kShare = new Float64Array(count);
    if (GK === undefined) {
      for (let v = 0; v < count; v++) {
        let s = 0;
        for (let i = 0; i < kRows; i++) s += eig.vectors[v * m + i]! ** 2;
        kShare[v] = Math.max(0, eig.values[v]!) * s;
      }
    } else if (count > 0) {
      for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) GK[j * m + i] = GK[i * m + j]!;
      const Y = arena.f64(count * m);
      kernels.gemmABt(eig.vectors, m, count, GK, m, m, m, Y, m);
      for (let v = 0; v < count; v++) {
        let s = 0;
        for (let i = 0; i < m; i++) s += Y[v * m + i]! * eig.vectors[v * m + i]!;
        kShare[v] = Math.max(0, s);
      }
    }
    const t3 = performance.now();
    const t2 = t1 + eig.timings.tridiagonalMs + eig.timings.eigenvaluesMs + eig.timings.vectorsMs + eig.timings.backTransformMs;
    const spectrum = Float64Array.from(eig.values, (x) => Math.max(0, x));
    return {
      ...summarize(spectrum, kNorm2, vNorm2, ranks, kShare),
      spectrum,
      kNorm2,
      vNorm2,
      side: rows <= hidden ? 'rows' : 'columns',
      order: m,
      timings: { gramMs: t1 - t0, ...eig.timings, splitMs: t3 - t2 },
    };
  });
}

/** Writes Wᵀ (W: rows × cols) into `out` at column offset colOffset with leading dimension ld, in 32×32 tiles (cache-friendly). */
export function transposeInto(W: Float32Array, rows: number, cols: number, out: Float32Array | Float64Array, ld: number, colOffset: number): void {
  const B = 32;
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(rows, r0 + B);
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = Math.min(cols, c0 + B);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) out[c * ld + colOffset + r] = W[r * cols + c]!;
    }
  }
}

/** Energies and errors at the requested ranks from the spectrum and the K share of the top components. */
export function summarize(spectrum: Float64Array, kNorm2: number, vNorm2: number, ranks: number[], kShare: Float64Array): { rank99: number; ranks: RankResult[] } {
  const m = spectrum.length;
  let total = 0;
  for (const s of spectrum) total += s;
  // Suffix sums for accurate tails.
  const tail = new Float64Array(m + 1);
  for (let i = m - 1; i >= 0; i--) tail[i] = tail[i + 1]! + spectrum[i]!;
  let rank99 = m;
  let acc = 0;
  for (let i = 0; i < m; i++) {
    acc += spectrum[i]!;
    if (acc >= 0.99 * total) {
      rank99 = i + 1;
      break;
    }
  }
  if (total === 0) rank99 = 0;
  const out: RankResult[] = ranks.map((rank) => {
    if (rank >= m || total === 0) return { rank, energy: 1, relError: 0, kErr2: 0, vErr2: 0 };
    let kKept = 0;
    let kept = 0;
    for (let i = 0; i < rank; i++) {
      kKept += kShare[i]!;
      kept += spectrum[i]!;
    }
    const kErr2 = Math.max(0, kNorm2 - kKept);
    const vErr2 = Math.max(0, vNorm2 - (kept - kKept));
    const energy = 1 - tail[rank]! / total;
    return { rank, energy, relError: Math.sqrt(Math.max(0, tail[rank]! / total)), kErr2, vErr2 };
  });
  return { rank99, ranks: out };
}

// ───────────────────────── KV-cache quantization ─────────────────────────

export type KvQuantDtype = 'int8' | 'int4' | 'fp8' | 'q8_0' | 'q4_0' | 'nvfp4';

/** What each format does, in one line (used in the measurement's `what`). */
export const KV_FORMAT_TEXT: Record<KvQuantDtype, string> = {
  int8: 'int8, symmetric absmax scale per token and head',
  int4: 'int4, symmetric absmax scale per group of 32 values',
  fp8: 'fp8 e4m3 with a per-tensor scale (absmax/448, saturating at 448)',
  q8_0: 'llama.cpp q8_0: blocks of 32, int8 with an f16 absmax scale',
  q4_0: 'llama.cpp q4_0: blocks of 32, 4-bit with an f16 scale (max/−8)',
  nvfp4: 'NVFP4: blocks of 16, e2m1 values with an fp8 e4m3 block scale and an f32 tensor scale',
};

/**
 * Round-trips K (tokens × heads·headDim, row-major) through `dtype` and returns ‖K − Q(K)‖² and ‖K‖².
 * Per-tensor scales (fp8, nvfp4's global scale) are taken from this K's absmax (dynamic scaling over the
 * calibration tokens). `groupSize` applies to int4 (default 32; pass headDim for a per token-head scale).
 * `out`, when given, receives Q(K) (the dequantized values).
 *
 * One specialized loop per format, in f64, with every rounding written out (no closures, no
 * Math.log2): the same operations in the same order as the formats' definitions, so the same bits as
 * the reference form (roundE4M3, roundE2M1, f16Round) — the unit tests check both against each other.
 */
export function quantizationError(K: Float64Array, tokens: number, heads: number, headDim: number, dtype: KvQuantDtype, groupSize = 32, out?: Float64Array): SquaredError {
  const width = heads * headDim;
  const count = tokens * width;
  let norm2 = 0;
  let absmax = 0;
  for (let i = 0; i < count; i++) {
    const v = K[i]!;
    norm2 += v * v;
    // Math.abs, not a test on the sign: random signs mispredict.
    const a = Math.abs(v);
    if (a > absmax) absmax = a;
  }
  let err2 = 0;
  switch (dtype) {
    case 'int8':
    case 'int4': {
      const levels = dtype === 'int8' ? 127 : 7;
      const group = dtype === 'int8' ? headDim : Math.min(groupSize, headDim);
      for (let row = 0; row < tokens * heads; row++) {
        for (let g0 = 0; g0 < headDim; g0 += group) {
          const start = row * headDim + g0;
          const len = Math.min(group, headDim - g0);
          err2 = absmaxRoundTrip(K, start, len, blockAbsmax(K, start, len) / levels, levels, out, err2);
        }
      }
      break;
    }
    case 'fp8': {
      const s = absmax / 448;
      if (s === 0) {
        err2 = zeroBlock(K, 0, count, out, err2);
        break;
      }
      for (let i = 0; i < count; i++) {
        const x = K[i]!;
        const v = x / s;
        const q = signOf(v) * e4m3Magnitude(Math.abs(v)) * s;
        if (out) out[i] = q;
        err2 += (x - q) * (x - q);
      }
      break;
    }
    case 'q8_0':
    case 'q4_0': {
      // llama.cpp blocks run along the whole K row of a token (all heads), 32 values each.
      for (let t = 0; t < tokens; t++) {
        for (let b0 = 0; b0 < width; b0 += 32) {
          const start = t * width + b0;
          const len = Math.min(32, width - b0);
          if (dtype === 'q8_0') {
            err2 = absmaxRoundTrip(K, start, len, f16Round(blockAbsmax(K, start, len) / 127), 127, out, err2);
            continue;
          }
          let max = 0;
          let maxAbs = 0;
          for (let i = start; i < start + len; i++) {
            const x = K[i]!;
            const a = Math.abs(x);
            if (a > maxAbs) {
              maxAbs = a;
              max = x;
            }
          }
          const d = f16Round(max / -8);
          const id = d !== 0 ? 1 / d : 0;
          for (let i = start; i < start + len; i++) {
            const x = K[i]!;
            const c = Math.trunc(x * id + 8.5);
            const q = ((c < 15 ? c : 15) - 8) * d;
            if (out) out[i] = q;
            const diff = x - q;
            err2 += diff * diff;
          }
        }
      }
      break;
    }
    case 'nvfp4': {
      const global = absmax / (448 * 6);
      for (let t = 0; t < tokens; t++) {
        for (let b0 = 0; b0 < width; b0 += 16) {
          const start = t * width + b0;
          const len = Math.min(16, width - b0);
          const s = global === 0 ? 0 : e4m3Magnitude(blockAbsmax(K, start, len) / 6 / global) * global;
          if (s === 0) {
            err2 = zeroBlock(K, start, start + len, out, err2);
            continue;
          }
          for (let i = start; i < start + len; i++) {
            const x = K[i]!;
            const v = x / s;
            const q = signOf(v) * e2m1Magnitude(Math.abs(v)) * s;
            if (out) out[i] = q;
            err2 += (x - q) * (x - q);
          }
        }
      }
      break;
    }
  }
  return { err2, norm2 };
}

function blockAbsmax(K: Float64Array, start: number, len: number): number {
  let a = 0;
  for (let i = start; i < start + len; i++) {
    const x = K[i]!;
    const m = Math.abs(x);
    if (m > a) a = m;
  }
  return a;
}

/**
 * err2 + Σ (x − Q(x))² over one block for symmetric integer levels ±levels with scale s (round half
 * away from zero, clamped); the running sum goes in so the terms add in index order, as one loop would.
 */
function absmaxRoundTrip(K: Float64Array, start: number, len: number, s: number, levels: number, out: Float64Array | undefined, err2: number): number {
  const end = start + len;
  // The zero scale and `out` are decided once per block: tests inside the loop halved its speed.
  if (s === 0) return zeroBlock(K, start, end, out, err2);
  if (out) {
    for (let i = start; i < end; i++) {
      const x = K[i]!;
      const v = x / s;
      const q = signOf(v) * Math.min(levels, roundHalfUpMagnitude(Math.abs(v))) * s;
      out[i] = q;
      err2 += (x - q) * (x - q);
    }
  } else {
    for (let i = start; i < end; i++) {
      const x = K[i]!;
      const v = x / s;
      const q = signOf(v) * Math.min(levels, roundHalfUpMagnitude(Math.abs(v))) * s;
      err2 += (x - q) * (x - q);
    }
  }
  return err2;
}

/** A block whose scale is 0 quantizes to 0: err2 + Σ x². */
function zeroBlock(K: Float64Array, start: number, end: number, out: Float64Array | undefined, err2: number): number {
  for (let i = start; i < end; i++) {
    if (out) out[i] = 0;
    err2 += K[i]! * K[i]!;
  }
  return err2;
}

/** The largest double below 0.5: the one a ≥ 0 whose a + 0.5 rounds up to an integer (1). */
const BELOW_HALF = 0.5 - 2 ** -54;
/**
 * Math.round(a) for 0 ≤ a < 2⁵² (= round half away from zero of a magnitude), as ⌊a + 0.5⌋: V8 inlines
 * Math.floor where Math.round costs a call on this CPU (≈ 8 ns a value). a + 0.5 is exact, or rounds
 * without crossing an integer, for every such a except BELOW_HALF, corrected without a branch.
 */
function roundHalfUpMagnitude(a: number): number {
  return Math.floor(a + 0.5) - +(a === BELOW_HALF);
}

/**
 * −1 for v < 0, else 1 (−0 included), without a branch: the signs of calibration values are random, and
 * a mispredicted branch per value cost more than the rest of the round-trip. (±1)·m is exactly ±m.
 */
function signOf(v: number): number {
  return 1 - 2 * +(v < 0);
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Nearest fp8 e4m3 (the "fn" variant: bias 7, no infinities, max 448, subnormals to 2⁻⁹), ties to even, saturating. */
export function roundE4M3(v: number): number {
  if (Number.isNaN(v)) return 0;
  return v < 0 ? -e4m3Magnitude(-v) : e4m3Magnitude(v);
}

const exponentBits = new Float64Array(1);
const exponentWords = new Uint32Array(exponentBits.buffer);
/** Index of the 32-bit word holding a double's sign and exponent (1 on little-endian hosts). */
const HIGH_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
/** 2^k for k = -16 … 16, exact, by table (scaling by a power of two is exact in binary64). */
const POW2 = Float64Array.from({ length: 33 }, (_, i) => 2 ** (i - 16));

/**
 * e4m3 of a ≥ 0 (not NaN): the quantum is 2^(e−3) with e = max(−6, ⌊log₂ a⌋), ⌊log₂ a⌋ read from the
 * exponent field (exact, where Math.log2 may round up just below a power of two — a value there rounds
 * to that power of two under either quantum, so the result is the same), ties to even.
 */
function e4m3Magnitude(a: number): number {
  if (a === 0) return 0;
  if (a >= 448) return 448;
  exponentBits[0] = a;
  let e = ((exponentWords[HIGH_WORD]! >>> 20) & 0x7ff) - 1023;
  if (e < -6) e = -6;
  const y = a * POW2[16 + 3 - e]!;
  let r = roundHalfUpMagnitude(y);
  // Math.round rounds halves up; e4m3 wants the even neighbour.
  if (r - y === 0.5 && (r & 1) === 1) r -= 1;
  const q = r * POW2[16 + e - 3]!;
  return q < 448 ? q : 448;
}

const E2M1 = [0, 0.5, 1, 1.5, 2, 3, 4, 6];
/** Nearest fp4 e2m1 value, ties to the even code, saturating at 6. */
export function roundE2M1(v: number): number {
  const a = Math.abs(v);
  let best = 0;
  for (let i = 1; i < E2M1.length; i++) {
    const lo = E2M1[i - 1]!, hi = E2M1[i]!;
    if (a >= hi) best = i;
    else if (a > lo) {
      const mid = (lo + hi) / 2;
      best = a > mid ? i : a < mid ? i - 1 : (i % 2 === 0 ? i : i - 1);
      break;
    } else break;
  }
  return Math.sign(v) * E2M1[best]!;
}

const E2M1_VALUES = Float64Array.from(E2M1);
/**
 * roundE2M1 of a ≥ 0: the code is the number of midpoints below a (0.25, 0.75, …, 5), a midpoint itself
 * counting toward the even code (0, 1, 2, 4 hold codes 0, 2, 4, 6). Comparisons as 0/1 sums: no
 * branches to mispredict on random data.
 */
function e2m1Magnitude(a: number): number {
  const code = +(a > 0.25) + +(a >= 0.75) + +(a > 1.25) + +(a >= 1.75) + +(a > 2.5) + +(a >= 3.5) + +(a > 5);
  return E2M1_VALUES[code]!;
}

const f16buf = new Float32Array(1);
/** The value nearest x in IEEE half precision (the scale llama.cpp stores). */
export function f16Round(x: number): number {
  if (x === 0) return 0;
  const a = Math.abs(x);
  if (a >= 65520) return Math.sign(x) * Infinity;
  const e = Math.max(-14, Math.floor(Math.log2(a)));
  const quantum = 2 ** (e - 10);
  f16buf[0] = Math.sign(x) * roundHalfEven(a / quantum) * quantum;
  return f16buf[0];
}

/**
 * K = X·Wᵀ (+ bias) for tokens × hidden X and rows × hidden W (both f64 in the arena): tokens × rows.
 */
export function project(kernels: Kernels, X: Float64Array, tokens: number, hidden: number, W: Float64Array, rows: number, out: Float64Array, bias?: Float32Array): void {
  out.fill(0, 0, tokens * rows);
  kernels.gemmABt(X, hidden, tokens, W, hidden, rows, hidden, out, rows);
  if (bias) for (let t = 0; t < tokens; t++) for (let r = 0; r < rows; r++) out[t * rows + r] = out[t * rows + r]! + bias[r]!;
}

/** Per-head RMSNorm (Qwen3/Gemma 3 k_norm): x_h ← x_h / rms(x_h) · w (w = 1 + weight for Gemma). */
export function headRmsNorm(K: Float64Array, tokens: number, heads: number, headDim: number, weight: Float32Array, onePlus: boolean, eps = 1e-6): void {
  for (let t = 0; t < tokens; t++) {
    for (let h = 0; h < heads; h++) {
      const base = (t * heads + h) * headDim;
      let s = 0;
      for (let i = 0; i < headDim; i++) s += K[base + i]! ** 2;
      const inv = 1 / Math.sqrt(s / headDim + eps);
      for (let i = 0; i < headDim; i++) K[base + i] = K[base + i]! * inv * (onePlus ? 1 + weight[i]! : weight[i]!);
    }
  }
}

export type { Arena };
