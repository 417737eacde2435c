/**
 * The compact-WY back-transform (src/quality/gpu/blockedBackTransform.ts) against the f64 CPU
 * back-transform (kernels.ts, one reflector at a time) and the GPU's per-reflector kernel, on
 * reflectors from a real f64 tridiagonalization (linalg.ts) of random symmetric matrices, at orders
 * that leave a partial last block; and the T factor (compactWy.ts) against the explicit product of
 * the reflectors.
 *
 * Tolerances: the eigenvectors are unit vectors and every reflector is orthogonal, so f32 rounding
 * adds about ε·(number of products a value passes through) per entry: n/nb blocks of three products
 * each, sums of ≤ n terms in 256-term partials. max |Δz| ≤ 1e-5 leaves ~30× room over what is
 * measured (printed as diagnostics) at these orders.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { openGpu } from '../../src/gpu/device';
import { blockedBackTransformOnGpu } from '../../src/quality/gpu/blockedBackTransform';
import { compactWyT } from '../../src/quality/gpu/compactWy';
import { jointLowRankOnGpu } from '../../src/quality/gpu/jointLowRank';
import { GpuSession } from '../../src/quality/gpu/session';
import { backTransformPerReflector } from '../../src/quality/gpu/vectors';
import { jsKernels } from '../../src/quality/kernels';
import { Rng, tridiagonalize } from '../../src/quality/linalg';

let s: GpuSession;
before(async () => {
  s = new GpuSession(await openGpu({ forceF32: true }));
});
after(() => s?.destroy());

test('compactWyT: H_0·H_1···H_{nb−1} = I − V·T·Vᵀ in f64, zero reflectors included', () => {
  const n = 12, nb = 5;
  const rng = new Rng(3);
  const V = Float64Array.from({ length: n * nb }, () => rng.gaussian()); // n × nb, column j = v_j
  const tau = Float64Array.from({ length: nb }, (_, j) => (j === 2 ? 0 : 2 / (1 + j)));
  const S = new Float64Array(nb * nb);
  for (let l = 0; l < nb; l++) for (let j = 0; j < nb; j++) for (let k = 0; k < n; k++) S[l * nb + j] = S[l * nb + j]! + V[k * nb + l]! * V[k * nb + j]!;
  const T = compactWyT(S, tau, nb);
  // Explicit product, applied right to left to the identity's columns: P = H_0·(H_1·(…)).
  const P = new Float64Array(n * n);
  for (let i = 0; i < n; i++) P[i * n + i] = 1;
  for (let j = nb - 1; j >= 0; j--) {
    for (let c = 0; c < n; c++) {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += V[k * nb + j]! * P[k * n + c]!;
      for (let k = 0; k < n; k++) P[k * n + c] = P[k * n + c]! - tau[j]! * V[k * nb + j]! * dot;
    }
  }
  let worst = 0;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      let vtv = 0;
      for (let a = 0; a < nb; a++) for (let b = 0; b < nb; b++) vtv += V[r * nb + a]! * T[a * nb + b]! * V[c * nb + b]!;
      worst = Math.max(worst, Math.abs((r === c ? 1 : 0) - vtv - P[r * n + c]!));
    }
  }
  assert.ok(worst < 1e-12, `${worst}`);
  for (let a = 0; a < nb; a++) for (let b = 0; b < a; b++) assert.equal(T[a * nb + b], 0, 'upper triangular');
});

/** Reflectors of a random symmetric n×n matrix (f64) and count random unit vectors. */
function problem(n: number, count: number, seed: number): { A: Float64Array; hInv: Float64Array; Z: Float64Array } {
  const rng = new Rng(seed);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) A[i * n + j] = A[j * n + i] = rng.gaussian();
  const d = new Float64Array(n), e = new Float64Array(n), hInv = new Float64Array(n);
  tridiagonalize(jsKernels, A, n, d, e, hInv, new Float64Array(4 * n));
  const Z = Float64Array.from({ length: count * n }, () => rng.gaussian());
  for (let v = 0; v < count; v++) {
    let s2 = 0;
    for (let k = 0; k < n; k++) s2 += Z[v * n + k]! ** 2;
    for (let k = 0; k < n; k++) Z[v * n + k] = Z[v * n + k]! / Math.sqrt(s2);
  }
  return { A, hInv, Z };
}

const maxGap = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!));
  return w;
};

for (const [n, count, nb] of [[200, 37, 64], [130, 130, 64], [200, 70, 16], [260, 20, 64]] as const) {
  test(`blocked back-transform, order ${n}, ${count} vectors, blocks of ${nb}: matches f64 and the per-reflector kernel to 1e-5`, async (t) => {
    const { A, hInv, Z } = problem(n, count, n + count + nb);
    const ref = Float64Array.from(Z);
    jsKernels.backTransform(A, n, hInv, ref, count);
    const owned: GPUBuffer[] = [];
    const buffer = (data: Float32Array, label: string): GPUBuffer => {
      const b = s.storage(data.length * 4, label);
      s.write(b, data);
      owned.push(b);
      return b;
    };
    try {
      const scal = new Float32Array(3 * n);
      scal.set(Float32Array.from(hInv));
      // The per-reflector kernel first: the blocked form zeroes A at and right of the diagonal.
      const Ag = buffer(Float32Array.from(A), 'A');
      const Zs = buffer(Float32Array.from(Z), 'Z per reflector');
      await backTransformPerReflector(s, Ag, buffer(scal, 'scal'), n, Zs, count);
      const Zb = buffer(Float32Array.from(Z), 'Z blocked');
      await blockedBackTransformOnGpu(s, Ag, hInv, n, Zb, count, nb);
      const perReflector = await s.read(Zs, count * n);
      const blocked = await s.read(Zb, count * n);
      const gBlocked = maxGap(blocked, ref), gPer = maxGap(perReflector, ref), gBoth = maxGap(blocked, perReflector);
      t.diagnostic(`max |Δz|: blocked vs f64 ${gBlocked.toExponential(1)}, per-reflector vs f64 ${gPer.toExponential(1)}, blocked vs per-reflector ${gBoth.toExponential(1)}`);
      assert.ok(gBlocked < 1e-5 && gPer < 1e-5, `${gBlocked} ${gPer}`);
      // The transform did something: the output is far from the input.
      assert.ok(maxGap(blocked, Z) > 1e-2);
    } finally {
      for (const b of owned) b.destroy();
    }
  });
}

test('jointLowRank on the GPU: the blocked and per-reflector back-transforms give the same energies and K/V errors (both Gram sides)', async (t) => {
  const rng = new Rng(77);
  const g = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.gaussian() * 0.02);
  for (const [hidden, kRows, vRows, ranks] of [[96, 128, 128, [8, 48, 90]], [200, 64, 64, [16, 100]]] as const) {
    const Wk = g(kRows * hidden), Wv = g(vRows * hidden);
    const blocked = await jointLowRankOnGpu(s, Wk, kRows, Wv, vRows, hidden, [...ranks], 'blocked');
    const per = await jointLowRankOnGpu(s, Wk, kRows, Wv, vRows, hidden, [...ranks], 'per-reflector');
    let worst = 0;
    blocked.ranks.forEach((r, i) => {
      worst = Math.max(worst, Math.abs(r.kErr2 - per.ranks[i]!.kErr2) / blocked.kNorm2, Math.abs(r.vErr2 - per.ranks[i]!.vErr2) / blocked.vNorm2);
      assert.equal(r.energy, per.ranks[i]!.energy, 'energies come from the eigenvalues alone');
    });
    t.diagnostic(`${blocked.side}, order ${blocked.order}: K/V err² shares differ by ${worst.toExponential(1)}`);
    assert.ok(worst < 1e-6, `${worst}`);
  }
});
