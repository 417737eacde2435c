/**
 * The tridiagonal eigensolver of the weight measurement (src/quality/linalg.ts): eigenvalues by the
 * root-free QL/QR against a brute-force reference (cyclic Jacobi on the dense matrix) and Sturm-count
 * bisection, eigenvectors by inverse iteration checked by their residual ‖T·v − λ·v‖ and orthogonality
 * ‖VᵀV − I‖, on matrices built to be hard: Wilkinson's W21+ (pairs equal to 1e-14), repeated eigenvalues
 * (split blocks with the same entries, a Gram of duplicated heads), graded entries, a heavy-tailed spectrum
 * whose top eigenvalues form one cluster of hundreds (the orthogonalization in blocks); and the same
 * vectors, bit for bit, on one thread or two.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsKernels, separateKernels, wasmKernels } from '../../src/quality/kernels';
import { Rng, symmetricEigen, eigenWorkDoubles, tridiagonalEigenvalues, tridiagonalEigenvectors, tridiagonalize } from '../../src/quality/linalg';

interface Tridiagonal {
  d: Float64Array;
  /** e[i] = T[i][i−1], e[0] = 0. */
  e: Float64Array;
}

function tridiagonal(d: number[], off: number[]): Tridiagonal {
  return { d: Float64Array.from(d), e: Float64Array.from([0, ...off]) };
}

const infNorm = ({ d, e }: Tridiagonal): number => {
  let m = 0;
  for (let i = 0; i < d.length; i++) m = Math.max(m, Math.abs(d[i]!) + Math.abs(e[i]!) + Math.abs(e[i + 1] ?? 0));
  return m;
};

/** Cyclic Jacobi on a dense symmetric matrix: eigenvalues, largest first (the brute-force reference). */
function jacobiValues(A0: number[][]): number[] {
  const n = A0.length;
  const A = A0.map((r) => [...r]);
  let frobenius2 = 0;
  for (const row of A) for (const x of row) frobenius2 += x * x;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p]![q]! ** 2;
    if (off <= 1e-34 * frobenius2) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p]![q]!;
        if (apq === 0) continue;
        const theta = (A[q]![q]! - A[p]![p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k]![p]!, akq = A[k]![q]!;
          A[k]![p] = c * akp - s * akq;
          A[k]![q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p]![k]!, aqk = A[q]![k]!;
          A[p]![k] = c * apk - s * aqk;
          A[q]![k] = s * apk + c * aqk;
        }
      }
    }
  }
  return A.map((r, i) => r[i]!).sort((a, b) => b - a);
}

const dense = ({ d, e }: Tridiagonal): number[][] =>
  Array.from({ length: d.length }, (_, i) => Array.from({ length: d.length }, (_, j) => (i === j ? d[i]! : Math.abs(i - j) === 1 ? e[Math.max(i, j)]! : 0)));

/** Eigenvalues by bisection on Sturm counts (an independent O(n²·60) reference), largest first. */
function bisectionValues({ d, e }: Tridiagonal): number[] {
  const n = d.length;
  const norm = infNorm({ d, e });
  const below = (x: number): number => {
    let count = 0, q = 1;
    for (let i = 0; i < n; i++) {
      q = d[i]! - x - (i > 0 ? e[i]! ** 2 / q : 0);
      if (q === 0) q = -1e-300;
      if (q < 0) count++;
    }
    return count;
  };
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    // The (k+1)-th smallest: the least x with below(x) ≥ k + 1.
    let lo = -norm - 1, hi = norm + 1;
    for (let it = 0; it < 200 && hi - lo > 0; it++) {
      const mid = (lo + hi) / 2;
      if (mid === lo || mid === hi) break;
      if (below(mid) >= k + 1) hi = mid;
      else lo = mid;
    }
    out.push((lo + hi) / 2);
  }
  return out.reverse();
}

function checkValues(t: Tridiagonal, reference: number[], tolerance: number, label: string): void {
  const got = tridiagonalEigenvalues(t.d, t.e);
  const norm = infNorm(t);
  assert.equal(got.length, reference.length);
  for (let i = 1; i < got.length; i++) assert.ok(got[i - 1]! >= got[i]!, `${label}: sorted descending`);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - reference[i]!) / norm);
  assert.ok(worst <= tolerance, `${label}: max |Δλ|/‖T‖ ${worst.toExponential(2)} > ${tolerance}`);
}

/** Residual and orthogonality of the `count` top vectors; returns the vectors. */
function checkVectors(t: Tridiagonal, count: number, label: string, options: Parameters<typeof tridiagonalEigenvectors>[4] = {}, bounds = { residual: 1e-13, orthogonality: 1e-12 }): Float64Array {
  const n = t.d.length;
  const out = new Float64Array(count * n);
  const values = tridiagonalEigenvectors(t.d, t.e, count, out, options);
  const all = tridiagonalEigenvalues(t.d, t.e);
  const norm = infNorm(t);
  for (let v = 0; v < count; v++) assert.equal(values[v], all[v], `${label}: value ${v} as tridiagonalEigenvalues gives it`);
  let residual = 0;
  for (let v = 0; v < count; v++) {
    let r2 = 0;
    for (let i = 0; i < n; i++) {
      const x = out[v * n + i]!;
      const tx = t.d[i]! * x + (i > 0 ? t.e[i]! * out[v * n + i - 1]! : 0) + (i + 1 < n ? t.e[i + 1]! * out[v * n + i + 1]! : 0);
      r2 += (tx - values[v]! * x) ** 2;
    }
    residual = Math.max(residual, Math.sqrt(r2) / norm);
  }
  let orthogonality = 0;
  for (let a = 0; a < count; a++) {
    for (let b = a; b < count; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += out[a * n + i]! * out[b * n + i]!;
      orthogonality = Math.max(orthogonality, Math.abs(s - (a === b ? 1 : 0)));
    }
  }
  assert.ok(residual <= bounds.residual, `${label}: max ‖Tv − λv‖/‖T‖ ${residual.toExponential(2)}`);
  assert.ok(orthogonality <= bounds.orthogonality, `${label}: max |VᵀV − I| ${orthogonality.toExponential(2)}`);
  return out;
}

/** Wilkinson's W(2m+1)+: d = |m − i|, e = 1; its largest eigenvalues come in pairs equal to ~1e-14 and beyond. */
const wilkinson = (m: number): Tridiagonal => tridiagonal(Array.from({ length: 2 * m + 1 }, (_, i) => Math.abs(m - i)), new Array<number>(2 * m).fill(1));

function randomTridiagonal(n: number, seed: number, diag: (i: number, rng: Rng) => number, off: (i: number, rng: Rng) => number): Tridiagonal {
  const rng = new Rng(seed);
  const d = Array.from({ length: n }, (_, i) => diag(i, rng));
  const e = Array.from({ length: n - 1 }, (_, i) => off(i, rng));
  return tridiagonal(d, e);
}

/** T of the Gram matrix M·Mᵀ (M rows × cols of Gaussians; `duplicate`: rows in equal pairs, so the spectrum is doubled up). */
function gramTridiagonal(rows: number, cols: number, seed: number, duplicate: boolean): Tridiagonal {
  const kernels = wasmKernels(1) ?? jsKernels;
  return kernels.withArena([rows * cols, rows * rows, rows, rows, rows, 4 * rows], (arena) => {
    const rng = new Rng(seed);
    const M = arena.f64(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) M[r * cols + c] = duplicate && r % 2 === 1 ? M[(r - 1) * cols + c]! : rng.gaussian();
    const G = arena.f64(rows * rows);
    kernels.gemmABt(M, cols, rows, M, cols, rows, cols, G, rows, true);
    const d = arena.f64(rows), e = arena.f64(rows), hInv = arena.f64(rows), work = arena.f64(4 * rows);
    tridiagonalize(kernels, G, rows, d, e, hInv, work);
    return { d: d.slice(), e: e.slice() };
  });
}

test('eigenvalues match cyclic Jacobi and bisection: random, Wilkinson W21+, graded, split with repeats', () => {
  const cases: [string, Tridiagonal][] = [
    ['random 60', randomTridiagonal(60, 1, (_, r) => r.gaussian(), (_, r) => r.gaussian())],
    ['W21+', wilkinson(10)],
    ['W41+', wilkinson(20)],
    ['graded 1e-1 per row (QL from the top)', randomTridiagonal(40, 2, (i) => 10 ** -(i / 4), (i) => 0.3 * 10 ** -((i + 0.5) / 4))],
    ['graded the other way (QR from the bottom)', randomTridiagonal(40, 3, (i) => 10 ** -((39 - i) / 4), (i) => 0.3 * 10 ** -((38.5 - i) / 4))],
    ['two equal blocks split by a zero', tridiagonal([2, 1, 3, 2, 1, 3], [0.5, 0.25, 0, 0.5, 0.25])],
    ['zero diagonal', randomTridiagonal(31, 4, () => 0, (_, r) => 1 + r.next())],
    ['2×2 and 1×1', tridiagonal([1, 5], [2])],
  ];
  for (const [label, t] of cases) {
    // Jacobi on the dense matrix carries its own rounding (≈ 1e-14 at n = 60); bisection is sharper.
    checkValues(t, jacobiValues(dense(t)), 5e-14, `${label} vs Jacobi`);
    checkValues(t, bisectionValues(t), 1e-14, `${label} vs bisection`);
  }
  // Entries whose squares would underflow or overflow: scaled into range (by a power of two) and back.
  // The references cannot square them either, so compare with 2^±600 times the unit matrix's values.
  for (const exponent of [-600, 600]) {
    const unit = randomTridiagonal(30, 5, (_, r) => r.gaussian(), (_, r) => r.gaussian());
    const scaled = { d: unit.d.map((x) => x * 2 ** exponent), e: unit.e.map((x) => x * 2 ** exponent) };
    checkValues(scaled, bisectionValues(unit).map((x) => x * 2 ** exponent), 1e-14, `entries near 2^${exponent}`);
  }
  assert.deepEqual([...tridiagonalEigenvalues(new Float64Array([7]), new Float64Array(1))], [7]);
  assert.equal(tridiagonalEigenvalues(new Float64Array(0), new Float64Array(0)).length, 0);
  // Graded: the small eigenvalues to high relative accuracy too (what the root-free iteration promises for this shape).
  const graded = randomTridiagonal(40, 2, (i) => 10 ** -(i / 4), (i) => 0.3 * 10 ** -((i + 0.5) / 4));
  const got = tridiagonalEigenvalues(graded.d, graded.e);
  const ref = bisectionValues(graded);
  for (let i = 0; i < 40; i++) assert.ok(Math.abs(got[i]! - ref[i]!) <= 1e-12 * Math.abs(ref[i]!) + 1e-15 * infNorm(graded), `graded λ_${i}`);
});

test('eigenvalues of a Gram tridiagonal at order 400 match bisection; a second call returns an equal fresh array', () => {
  const t = gramTridiagonal(400, 300, 11, false);
  checkValues(t, bisectionValues(t), 1e-14, 'Gram 400');
  const a = tridiagonalEigenvalues(t.d, t.e);
  a[0] = -1;
  const b = tridiagonalEigenvalues(t.d, t.e);
  assert.notEqual(b[0], -1);
  // A changed matrix is not served from the cache.
  const t2 = { d: t.d.slice(), e: t.e.slice() };
  t2.d[5] = t2.d[5]! + 1;
  checkValues(t2, bisectionValues(t2), 1e-14, 'Gram 400, one entry changed');
});

test('eigenvectors: residual and orthogonality on clustered and repeated spectra', () => {
  checkVectors(wilkinson(10), 21, 'W21+');
  checkVectors(wilkinson(25), 51, 'W51+');
  checkVectors(tridiagonal([2, 1, 3, 2, 1, 3], [0.5, 0.25, 0, 0.5, 0.25]), 6, 'two equal blocks');
  checkVectors(tridiagonal([3, 1, 4, 1, 5], [0, 0, 0, 0]), 5, 'diagonal (1×1 blocks)');
  checkVectors(gramTridiagonal(240, 100, 12, true), 120, 'Gram of duplicated heads (repeated eigenvalues, zero tail)');
  checkVectors(gramTridiagonal(200, 300, 13, false), 200, 'Gram, all vectors');
  checkVectors(randomTridiagonal(80, 14, (i) => 10 ** -(i / 8), (i) => 0.3 * 10 ** -((i + 0.5) / 8)), 40, 'graded');
  // All equal eigenvalues: a zero off-diagonal everywhere but one tight group in a single block is not
  // possible, so use a block of equal ones through tiny couplings.
  checkVectors(randomTridiagonal(50, 15, () => 1, (_, r) => 1e-9 * (1 + r.next())), 50, 'near-identity (one tight group)');
  for (const kernels of [jsKernels, separateKernels(1)]) {
    checkVectors(wilkinson(10), 21, `W21+ on ${kernels.kind}`, { kernels });
  }
});

/** Heavy-tailed diagonal (d_i ∝ i^−1.2) with random couplings: hundreds of the top eigenvalues in one cluster. */
const heavyTailed = (n: number, seed: number): Tridiagonal => randomTridiagonal(n, seed, (i) => (1 + i) ** -1.2, (_, r) => 0.01 * r.next());

test('eigenvectors of a cluster of hundreds (the block orthogonalization), the same on 1 and 2 threads', () => {
  const t = heavyTailed(1024, 21);
  const count = 300;
  const one = checkVectors(t, count, 'heavy-tailed, 1 thread', { kernels: separateKernels(1) });
  const two = checkVectors(t, count, 'heavy-tailed, 2 threads', { kernels: separateKernels(2) });
  assert.deepEqual(Buffer.from(two.buffer), Buffer.from(one.buffer), 'bit-identical on 1 and 2 threads');
  const viaThreadsOption = new Float64Array(count * 1024);
  tridiagonalEigenvectors(t.d, t.e, count, viaThreadsOption, { threads: 2 });
  assert.deepEqual(Buffer.from(viaThreadsOption.buffer), Buffer.from(one.buffer));
  // JavaScript kernels: other sums, same bounds.
  checkVectors(t, 150, 'heavy-tailed on JavaScript kernels', { kernels: jsKernels });
});

test('symmetricEigen: the same values and vectors on 1 and 2 threads, up to the tridiagonalization\'s sum order', () => {
  const rng = new Rng(31);
  const n = 300, count = 120;
  const base = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) base[i * n + j] = base[j * n + i] = rng.gaussian() / (1 + Math.min(i, j)) ** 0.6;
  const results = [1, 2].map((threads) => {
    const kernels = wasmKernels(threads)!;
    return kernels.withArena([n * n, ...eigenWorkDoubles(n, count)], (arena) => {
      const A = arena.f64(n * n);
      A.set(base);
      const r = symmetricEigen(kernels, arena, A, n, count);
      return { values: r.values.slice(), vectors: r.vectors.slice(0, count * n) };
    });
  });
  for (let i = 0; i < n; i++) assert.ok(Math.abs(results[1]!.values[i]! - results[0]!.values[i]!) <= 1e-13 * Math.abs(results[0]!.values[0]!), `λ_${i}`);
  let worst = 0;
  for (let i = 0; i < count * n; i++) worst = Math.max(worst, Math.abs(results[1]!.vectors[i]! - results[0]!.vectors[i]!));
  // The tridiagonalization's row split sums in another order: equal up to rounding, not bit for bit.
  assert.ok(worst < 1e-9, `max |Δv| ${worst}`);
});
