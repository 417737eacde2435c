/**
 * The blocked tridiagonalization (src/quality/gpu/tridiagonal.ts, DLATRD panels) against the
 * per-column reference kernel and the f64 CPU path (linalg.ts), at orders that leave a partial last
 * panel, panels of 8, 16 and 32; then whole jointLowRank runs with either form against f64, and the
 * exact rank-8 construction.
 *
 * What is compared, and why those bounds: both GPU forms compute the same reflectors in f32 (the
 * blocked form only defers the rank-2 updates), so each is backward stable with error c·n·ε·‖A‖. The
 * eigenvalues of the tridiagonal are therefore compared with f64's relative to max |λ| (1e-5, as
 * qualityMath.test.ts bounds whole spectra); the reflectors are checked through their consumers: the
 * top eigenvectors of the GPU's tridiagonal, carried back by the compact-WY and the per-reflector
 * back-transforms, must be eigenvectors of the original matrix, ‖A·z − λ·z‖∞ ≤ 1e-5·max |λ| in f64
 * (f32 rounding gives ~1e-6 here), and both back-transforms must agree to 1e-5 (as
 * qualityBackTransform.test.ts bounds them). The convention (u_i in row i, hInv = 1/h = 2/‖u_i‖²) is
 * checked directly. d, e of the two forms are printed, not bounded: individual entries of a
 * tridiagonal are not forward stable, only its spectrum is.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { deriveAttentionSpec } from '../../src/core/attentionSpec';
import { loadModelConfig } from '../../src/core/modelConfig';
import { jointLowRank } from '../../src/quality/conversions';
import { openGpu } from '../../src/gpu/device';
import { blockedBackTransformOnGpu } from '../../src/quality/gpu/blockedBackTransform';
import { openQualityGpu } from '../../src/quality/gpu/index';
import { jointLowRankOnGpu } from '../../src/quality/gpu/jointLowRank';
import { GpuSession } from '../../src/quality/gpu/session';
import { type Tridiagonal, type TridiagonalKind, tridiagonalizeOnGpu } from '../../src/quality/gpu/tridiagonal';
import { backTransformPerReflector } from '../../src/quality/gpu/vectors';
import { jsKernels, wasmKernels, type Kernels } from '../../src/quality/kernels';
import { Rng, tridiagonalEigenvalues, tridiagonalEigenvectors, tridiagonalize } from '../../src/quality/linalg';
import { measureWeights, type WeightsMeasurement } from '../../src/quality/measure';
import { writeSafetensors, type TensorToWrite } from '../helpers/safetensorsWriter';
import { parseMeasureTargets } from '../../src/quality/targets';

let s: GpuSession;
const kernels: Kernels = wasmKernels() ?? jsKernels;
before(async () => {
  s = new GpuSession(await openGpu({ forceF32: true }));
});
after(() => s?.destroy());

/** A random symmetric n×n matrix, f32-exact so the GPU and f64 start from the same numbers. */
function symmetric(n: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) A[i * n + j] = A[j * n + i] = Math.fround(rng.gaussian());
  return A;
}

const maxGap = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!));
  return w;
};

interface GpuRun {
  tri: Tridiagonal;
  /** A as the tridiagonalization left it (reflectors in rows, below the diagonal). */
  reflectors: Float32Array;
  /** The top `count` eigenvectors carried back by the compact-WY and the per-reflector kernels. */
  blockedZ: Float32Array;
  perReflectorZ: Float32Array;
}

async function onGpu(A0: Float64Array, n: number, kind: TridiagonalKind, nb: number, count: number): Promise<GpuRun> {
  const owned: GPUBuffer[] = [];
  const buffer = (data: Float32Array, label: string): GPUBuffer => {
    const b = s.storage(data.length * 4, label);
    s.write(b, data);
    owned.push(b);
    return b;
  };
  try {
    const A = buffer(Float32Array.from(A0), 'A');
    const tri = await tridiagonalizeOnGpu(s, A, n, kind, nb);
    owned.push(tri.scal);
    const reflectors = await s.read(A, n * n);
    const vectors = new Float64Array(count * n);
    tridiagonalEigenvectors(tri.d, tri.e, count, vectors);
    const Zp = buffer(Float32Array.from(vectors), 'Z per reflector');
    await backTransformPerReflector(s, A, tri.scal, n, Zp, count);
    // After the per-reflector kernel: the compact-WY form zeroes A at and right of the diagonal.
    const Zb = buffer(Float32Array.from(vectors), 'Z blocked');
    await blockedBackTransformOnGpu(s, A, tri.hInv, n, Zb, count);
    return { tri, reflectors, blockedZ: await s.read(Zb, count * n), perReflectorZ: await s.read(Zp, count * n) };
  } finally {
    for (const b of owned) b.destroy();
  }
}

/** max_v ‖A·z_v − λ_v·z_v‖∞ in f64, λ_v = z_vᵀ·A·z_v (z_v unit up to f32). */
function residual(A: Float64Array, n: number, Z: Float32Array, count: number): number {
  let worst = 0;
  const y = new Float64Array(n);
  for (let v = 0; v < count; v++) {
    const z = Z.subarray(v * n, (v + 1) * n);
    let zz = 0, zAz = 0;
    for (let i = 0; i < n; i++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += A[i * n + k]! * z[k]!;
      y[i] = acc;
      zz += z[i]! * z[i]!;
      zAz += z[i]! * acc;
    }
    const lambda = zAz / zz;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(y[i]! - lambda * z[i]!) / Math.sqrt(zz));
  }
  return worst;
}

for (const [n, nb] of [[96, 8], [130, 16], [200, 32], [257, 16], [300, 32]] as const) {
  test(`blocked tridiagonalization, order ${n}, panels of ${nb}: spectrum, reflectors and back-transformed eigenvectors match f64 and the per-column form`, async (t) => {
    const A0 = symmetric(n, 1000 + n + nb);
    // f64 reference: the same algorithm (linalg.ts) on the same f32-exact numbers.
    const d = new Float64Array(n), e = new Float64Array(n), hInv = new Float64Array(n);
    tridiagonalize(jsKernels, Float64Array.from(A0), n, d, e, hInv, new Float64Array(4 * n));
    const exact = tridiagonalEigenvalues(d, e);
    const top = Math.max(...Array.from(exact, Math.abs));
    const count = 12;
    const blocked = await onGpu(A0, n, 'blocked', nb, count);
    const perColumn = await onGpu(A0, n, 'per-column', nb, count);
    const spectrumGap = (r: GpuRun): number => maxGap(tridiagonalEigenvalues(r.tri.d, r.tri.e), exact) / top;
    const gB = spectrumGap(blocked), gP = spectrumGap(perColumn);
    const rB = residual(A0, n, blocked.blockedZ, count) / top, rBp = residual(A0, n, blocked.perReflectorZ, count) / top, rP = residual(A0, n, perColumn.blockedZ, count) / top;
    const consumers = maxGap(blocked.blockedZ, blocked.perReflectorZ);
    t.diagnostic(`spectrum vs f64 (of max |λ|): blocked ${gB.toExponential(1)}, per-column ${gP.toExponential(1)}; residual ‖Az − λz‖∞: blocked ${rB.toExponential(1)} (per-reflector back-transform ${rBp.toExponential(1)}), per-column ${rP.toExponential(1)}; compact-WY vs per-reflector on blocked reflectors ${consumers.toExponential(1)}`);
    t.diagnostic(`blocked vs per-column (of max |λ|): d ${(maxGap(blocked.tri.d, perColumn.tri.d) / top).toExponential(1)}, e ${(maxGap(blocked.tri.e, perColumn.tri.e) / top).toExponential(1)}; vs f64: d ${(maxGap(blocked.tri.d, d) / top).toExponential(1)}, e ${(maxGap(blocked.tri.e, e) / top).toExponential(1)}`);
    assert.ok(gB < 1e-5 && gP < 1e-5, `${gB} ${gP}`);
    assert.ok(rB < 1e-5 && rBp < 1e-5 && rP < 1e-5, `${rB} ${rBp} ${rP}`);
    assert.ok(consumers < 1e-5, `${consumers}`);
    // The contract the back-transforms read: hInv[0] = hInv[1] = 0, e[0] = 0, and for every other
    // reflector hInv = 1/h = 2/‖u_i‖² (P_i = I − hInv·u·uᵀ orthogonal), u_i in row i's first i columns.
    assert.equal(blocked.tri.hInv[0], 0);
    assert.equal(blocked.tri.hInv[1], 0);
    assert.equal(blocked.tri.e[0], 0);
    let convention = 0;
    for (let i = 2; i < n; i++) {
      let uu = 0;
      for (let k = 0; k < i; k++) uu += blocked.reflectors[i * n + k]! ** 2;
      convention = Math.max(convention, Math.abs(blocked.tri.hInv[i]! * uu - 2));
      // The same sign convention as f64: e_i has the sign of −(the entry next to the diagonal).
      assert.equal(Math.sign(blocked.tri.e[i]!), Math.sign(e[i]!), `sign of e[${i}]`);
    }
    assert.ok(convention < 1e-4, `hInv·‖u‖² − 2: ${convention}`);
  });
}

test('blocked tridiagonalization at orders 1 to 5 (one partial panel; step 1 has no reflector) gives f64\'s d and e', async () => {
  for (const n of [1, 2, 3, 5]) {
    const A0 = symmetric(n, 7 + n);
    const d = new Float64Array(n), e = new Float64Array(n), hInv = new Float64Array(n);
    tridiagonalize(jsKernels, Float64Array.from(A0), n, d, e, hInv, new Float64Array(4 * n));
    const A = s.storage(n * n * 4, 'A');
    try {
      s.write(A, Float32Array.from(A0));
      const tri = await tridiagonalizeOnGpu(s, A, n, 'blocked', 8);
      tri.scal.destroy();
      const scale = Math.max(1, ...Array.from(A0, Math.abs));
      assert.ok(maxGap(tri.d, d) / scale < 1e-5 && maxGap(tri.e, e) / scale < 1e-5, `order ${n}: d ${Array.from(tri.d).join(',')} vs ${Array.from(d).join(',')}, e ${Array.from(tri.e).join(',')} vs ${Array.from(e).join(',')}`);
      // hInv = 2/‖u_i‖² for the u_i left in A's rows (the CPU path scales its rows differently, so
      // its hInv is not this one's).
      const U = await s.read(A, n * n);
      for (let i = 2; i < n; i++) {
        let uu = 0;
        for (let k = 0; k < i; k++) uu += U[i * n + k]! ** 2;
        assert.ok(Math.abs(tri.hInv[i]! * uu - 2) < 1e-5, `order ${n}, hInv[${i}]·‖u‖² = ${tri.hInv[i]! * uu}`);
      }
    } finally {
      A.destroy();
    }
  }
});

test('jointLowRank with the blocked and per-column tridiagonalizations: both match f64 (both Gram sides) and each other', async (t) => {
  const rng = new Rng(91);
  const g = (count: number): Float32Array => Float32Array.from({ length: count }, () => rng.gaussian() * 0.02);
  for (const [hidden, kRows, vRows, ranks] of [[96, 128, 128, [8, 32, 64, 95]], [256, 96, 96, [4, 16, 100, 191]], [260, 130, 130, [10, 129]]] as const) {
    const Wk = g(kRows * hidden), Wv = g(vRows * hidden);
    const cpu = jointLowRank(kernels, Wk, kRows, Wv, vRows, hidden, [...ranks]);
    const blocked = await jointLowRankOnGpu(s, Wk, kRows, Wv, vRows, hidden, [...ranks], 'blocked', 'blocked');
    const perColumn = await jointLowRankOnGpu(s, Wk, kRows, Wv, vRows, hidden, [...ranks], 'blocked', 'per-column');
    const top = cpu.spectrum[0]!;
    for (const [name, r] of [['blocked', blocked], ['per-column', perColumn]] as const) {
      assert.equal(r.order, cpu.order);
      const spectrum = maxGap(r.spectrum, cpu.spectrum) / top;
      let energy = 0, kv = 0;
      cpu.ranks.forEach((c, i) => {
        const x = r.ranks[i]!;
        energy = Math.max(energy, Math.abs(x.energy - c.energy));
        kv = Math.max(kv, Math.abs(x.kErr2 / r.kNorm2 - c.kErr2 / cpu.kNorm2), Math.abs(x.vErr2 / r.vNorm2 - c.vErr2 / cpu.vNorm2));
      });
      t.diagnostic(`${cpu.side}, order ${cpu.order}, ${name}: spectrum ${spectrum.toExponential(1)} of λ_max, energy ${energy.toExponential(1)}, K/V err² shares ${kv.toExponential(1)}, rank99 ${r.rank99} (f64 ${cpu.rank99})`);
      assert.ok(spectrum < 1e-5 && energy < 1e-6 && kv < 1e-6, `${name}: ${spectrum} ${energy} ${kv}`);
      assert.ok(Math.abs(r.rank99 - cpu.rank99) <= 1);
    }
  }
});

test('blocked tridiagonalization: K/V of exact rank 8 keep 100% of the energy at r = 8', async () => {
  const hidden = 128, kRows = 64, vRows = 64;
  const rng = new Rng(9);
  const L = Float32Array.from({ length: (kRows + vRows) * 8 }, () => rng.gaussian());
  const R = Float32Array.from({ length: 8 * hidden }, () => rng.gaussian() * 0.05);
  const M = new Float32Array((kRows + vRows) * hidden);
  for (let i = 0; i < kRows + vRows; i++) {
    for (let j = 0; j < hidden; j++) {
      let acc = 0;
      for (let r = 0; r < 8; r++) acc += L[i * 8 + r]! * R[r * hidden + j]!;
      M[i * hidden + j] = acc;
    }
  }
  const g = await jointLowRankOnGpu(s, M.subarray(0, kRows * hidden), kRows, M.subarray(kRows * hidden), vRows, hidden, [4, 8, 16], 'blocked', 'blocked');
  const at8 = g.ranks.find((r) => r.rank === 8)!;
  assert.ok(at8.energy > 1 - 1e-6, `energy at 8: ${at8.energy}`);
  assert.ok(Math.sqrt(at8.kErr2 / g.kNorm2) < 2e-3 && Math.sqrt(at8.vErr2 / g.vNorm2) < 2e-3, `K ${at8.kErr2 / g.kNorm2}, V ${at8.vErr2 / g.vNorm2}`);
  assert.ok(g.ranks.find((r) => r.rank === 4)!.energy < 0.99);
  assert.ok(g.rank99 <= 8, `rank99 ${g.rank99}`);
});

test('measureWeights on WebGPU with the blocked and the per-column tridiagonalization: the f64 CPU run\'s energies, K/V errors and rank99', async (t) => {
  // Llama-shaped, hidden 160, 2 KV heads × 64: [W_k; W_v] is 256 × 160, a 160×160 Gram of columns
  // (5 panels of 32, the last one partial), 2 layers.
  const layers = 2;
  const dir = mkdtempSync(path.join(tmpdir(), 'al-quality-tridiagonal-'));
  const config = { model_type: 'llama', hidden_size: 160, num_hidden_layers: layers, num_attention_heads: 2, num_key_value_heads: 2, head_dim: 64, max_position_embeddings: 2048, torch_dtype: 'bfloat16', vocab_size: 32, intermediate_size: 320 };
  const text = JSON.stringify(config, null, 2);
  writeFileSync(path.join(dir, 'config.json'), text);
  const tensors: TensorToWrite[] = [];
  for (let l = 0; l < layers; l++) {
    for (const p of ['k', 'v']) {
      const rng = new Rng(300 + 2 * l + (p === 'k' ? 0 : 1));
      tensors.push({ name: `model.layers.${l}.self_attn.${p}_proj.weight`, dtype: 'BF16', shape: [128, 160], data: () => rng.gaussian() * 0.02 });
    }
  }
  writeSafetensors(path.join(dir, 'model.safetensors'), tensors);
  const spec = deriveAttentionSpec(loadModelConfig(path.join(dir, 'config.json'), text));
  const run = (device: 'cpu' | 'gpu', tridiagonal: TridiagonalKind): Promise<WeightsMeasurement> =>
    measureWeights({ configDir: dir, spec, targets: parseMeasureTargets(['mla-8', 'mla-64', 'mla-150']), device, loadGpu: () => openQualityGpu({ tridiagonal }) });
  try {
    const cpu = await run('cpu', 'blocked');
    for (const tridiagonal of ['blocked', 'per-column'] as const) {
      const gpu = await run('gpu', tridiagonal);
      assert.equal(gpu.backend?.kind, 'webgpu');
      let energy = 0, kv = 0;
      for (const c of cpu.conversions) {
        const g = gpu.conversions.find((x) => x.target === c.target)!;
        energy = Math.max(energy, Math.abs(g.energyRetained! - c.energyRetained!));
        kv = Math.max(kv, Math.abs(g.kRelError - c.kRelError), Math.abs(g.vRelError - c.vRelError));
        assert.ok(Math.abs(g.rank99! - c.rank99!) <= 1, `${c.target} rank99 ${g.rank99} vs ${c.rank99}`);
        assert.equal(g.perLayer.length, layers);
      }
      t.diagnostic(`${tridiagonal}: energy ${energy.toExponential(1)}, K/V relative errors ${kv.toExponential(1)} from f64`);
      // qualityBackend.test.ts's bounds for a GPU run against the CPU's.
      assert.ok(energy < 1e-6 && kv < 1e-5, `${tridiagonal}: ${energy} ${kv}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
