/**
 * The WebGPU quality math (src/quality/gpu) against the f64 CPU path (conversions.ts's jointLowRank on
 * the WASM kernels) on small shapes, on the machine's adapter (lavapipe here: it is slow, so the
 * orders stay ≤ 256). Both Gram sides (rows: M·Mᵀ; columns: Mᵀ·M = G_K + G_V), the exact constructions
 * (rank-8 K/V, duplicate heads) and the individual stages.
 *
 * Tolerances: the GPU works in f32 (ε = 6e-8) where the CPU works in f64; Householder reduction is
 * backward stable, so each eigenvalue moves by at most about c·n·ε·λ_max. Spectra are compared
 * relative to λ_max (1e-5), energies absolutely (1e-6: a sum of eigenvalues over the trace, errors
 * mostly cancel), the K and V squared errors as shares of ‖W_k‖² and ‖W_v‖² absolutely (1e-6: near
 * full rank the error left is a few tiny eigenvalues, whose f32 values are right to ~1e-7·λ_max but
 * not to many digits of their own), rank99 within ±1 (a tie at the 99% threshold can round either
 * way). The gaps measured here are 1e-7 to 3e-7 of λ_max and below 1e-7 for the rest (printed as
 * diagnostics), so the bounds leave 30–100× of room for other adapters' rounding.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { jointLowRank, type JointSpectrum } from '../../src/quality/conversions';
import { jsKernels, wasmKernels, type Kernels } from '../../src/quality/kernels';
import { Rng } from '../../src/quality/linalg';
import { openGpu } from '../../src/gpu/device';
import { gramInto } from '../../src/quality/gpu/gram';
import { openQualityGpu } from '../../src/quality/gpu/index';
import { GpuSession } from '../../src/quality/gpu/session';
import type { QualityGpu } from '../../src/quality/gpu/types';

let gpu: QualityGpu;
const kernels: Kernels = wasmKernels() ?? jsKernels;
before(async () => {
  gpu = await openQualityGpu();
});
after(() => gpu?.destroy());

function gaussian(n: number, seed: number, scale = 0.02): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.gaussian() * scale);
}

interface Gap {
  spectrum: number;
  energy: number;
  /** |ΔkErr2| / ‖W_k‖². */
  kRel: number;
  vRel: number;
}

function compare(cpu: JointSpectrum, gpuResult: JointSpectrum): Gap {
  assert.equal(gpuResult.order, cpu.order);
  assert.equal(gpuResult.side, cpu.side);
  assert.equal(gpuResult.spectrum.length, cpu.spectrum.length);
  const top = cpu.spectrum[0]!;
  let spectrum = 0;
  for (let i = 0; i < cpu.spectrum.length; i++) spectrum = Math.max(spectrum, Math.abs(cpu.spectrum[i]! - gpuResult.spectrum[i]!) / top);
  let energy = 0, kRel = 0, vRel = 0;
  cpu.ranks.forEach((r, i) => {
    const g = gpuResult.ranks[i]!;
    assert.equal(g.rank, r.rank);
    energy = Math.max(energy, Math.abs(g.energy - r.energy));
    kRel = Math.max(kRel, Math.abs(r.kErr2 / cpu.kNorm2 - g.kErr2 / gpuResult.kNorm2));
    vRel = Math.max(vRel, Math.abs(r.vErr2 / cpu.vNorm2 - g.vErr2 / gpuResult.vNorm2));
  });
  assert.ok(Math.abs(gpuResult.rank99 - cpu.rank99) <= 1, `rank99 ${gpuResult.rank99} vs ${cpu.rank99}`);
  return { spectrum, energy, kRel, vRel };
}

const fmt = (g: Gap): string => `spectrum ${g.spectrum.toExponential(1)} of λ_max, energy ${g.energy.toExponential(1)}, K err² share ${g.kRel.toExponential(1)}, V ${g.vRel.toExponential(1)}`;

function within(g: Gap): void {
  assert.ok(g.spectrum < 1e-5, fmt(g));
  assert.ok(g.energy < 1e-6, fmt(g));
  assert.ok(g.kRel < 1e-6 && g.vRel < 1e-6, fmt(g));
}

test('Gram of columns (rows > hidden): 4 KV heads × 32, hidden 96 — spectrum, energies, K/V errors and rank99 match f64', async (t) => {
  const hidden = 96, rows = 4 * 32;
  const Wk = gaussian(rows * hidden, 1), Wv = gaussian(rows * hidden, 2);
  const ranks = [8, 32, 64, 95, 96, 200];
  const cpu = jointLowRank(kernels, Wk, rows, Wv, rows, hidden, ranks);
  const g = await gpu.jointLowRank(Wk, rows, Wv, rows, hidden, ranks);
  assert.equal(g.side, 'columns');
  const gap = compare(cpu, g);
  t.diagnostic(`columns, order 96: ${fmt(gap)}`);
  within(gap);
  for (const k of ['gramMs', 'tridiagonalMs', 'eigenvaluesMs', 'vectorsMs', 'backTransformMs', 'splitMs'] as const) assert.ok(g.timings[k] >= 0, k);
});

test('Gram of rows (rows ≤ hidden): 2 KV heads × 48, hidden 256 — matches f64', async (t) => {
  const hidden = 256, kRows = 96, vRows = 96;
  const Wk = gaussian(kRows * hidden, 3), Wv = gaussian(vRows * hidden, 4, 0.05);
  const ranks = [4, 16, 100, 191];
  const cpu = jointLowRank(kernels, Wk, kRows, Wv, vRows, hidden, ranks);
  const g = await gpu.jointLowRank(Wk, kRows, Wv, vRows, hidden, ranks);
  assert.equal(g.side, 'rows');
  const gap = compare(cpu, g);
  t.diagnostic(`rows, order 192: ${fmt(gap)}`);
  within(gap);
});

test('an order above one workgroup stride (260) and a larger columns problem (hidden 160, 384 rows)', async (t) => {
  {
    const hidden = 260, kRows = 130, vRows = 130;
    const Wk = gaussian(kRows * hidden, 5), Wv = gaussian(vRows * hidden, 6);
    const ranks = [10, 129];
    const gap = compare(jointLowRank(kernels, Wk, kRows, Wv, vRows, hidden, ranks), await gpu.jointLowRank(Wk, kRows, Wv, vRows, hidden, ranks));
    t.diagnostic(`rows, order 260: ${fmt(gap)}`);
    within(gap);
  }
  {
    const hidden = 160, kRows = 192, vRows = 192;
    const Wk = gaussian(kRows * hidden, 7), Wv = gaussian(vRows * hidden, 8);
    const ranks = [16, 80, 150];
    const gap = compare(jointLowRank(kernels, Wk, kRows, Wv, vRows, hidden, ranks), await gpu.jointLowRank(Wk, kRows, Wv, vRows, hidden, ranks));
    t.diagnostic(`columns, order 160 (384 rows summed): ${fmt(gap)}`);
    within(gap);
  }
});

test('K/V of exact rank 8 keep 100% of the energy at r = 8, and K and V errors vanish there', async () => {
  const hidden = 128, kRows = 64, vRows = 64;
  // [W_k; W_v] = L·R with L (128 × 8) and R (8 × 128): rank 8.
  const L = gaussian((kRows + vRows) * 8, 9, 1), R = gaussian(8 * hidden, 10, 0.05);
  const M = new Float32Array((kRows + vRows) * hidden);
  for (let i = 0; i < kRows + vRows; i++) {
    for (let j = 0; j < hidden; j++) {
      let s = 0;
      for (let r = 0; r < 8; r++) s += L[i * 8 + r]! * R[r * hidden + j]!;
      M[i * hidden + j] = s;
    }
  }
  const g = await gpu.jointLowRank(M.subarray(0, kRows * hidden), kRows, M.subarray(kRows * hidden), vRows, hidden, [4, 8, 16]);
  const at8 = g.ranks.find((r) => r.rank === 8)!;
  assert.ok(at8.energy > 1 - 1e-6, `energy at 8: ${at8.energy}`);
  assert.ok(Math.sqrt(at8.kErr2 / g.kNorm2) < 2e-3 && Math.sqrt(at8.vErr2 / g.vNorm2) < 2e-3, `K ${at8.kErr2 / g.kNorm2}, V ${at8.vErr2 / g.vNorm2}`);
  assert.ok(g.ranks.find((r) => r.rank === 4)!.energy < 0.99);
  assert.equal(g.rank99 <= 8, true, `rank99 ${g.rank99}`);
});

test('duplicate heads: K and V heads in equal pairs make [W_k; W_v] rank half its rows — energy 100% there', async () => {
  const hidden = 192, headDim = 16, heads = 4;
  const dup = (seed: number): Float32Array => {
    const w = gaussian(heads * headDim * hidden, seed);
    for (let h = 1; h < heads; h += 2) w.copyWithin(h * headDim * hidden, (h - 1) * headDim * hidden, h * headDim * hidden);
    return w;
  };
  const kRows = heads * headDim, vRows = heads * headDim; // 128 rows ≤ 192: rows side
  const Wk = dup(11), Wv = dup(12);
  const half = (kRows + vRows) / 2;
  const g = await gpu.jointLowRank(Wk, kRows, Wv, vRows, hidden, [half - 8, half]);
  assert.ok(g.ranks[1]!.energy > 1 - 1e-6, `energy at ${half}: ${g.ranks[1]!.energy}`);
  assert.ok(g.ranks[0]!.energy < 1 - 1e-3);
  assert.ok(g.spectrum[half]! < 1e-5 * g.spectrum[0]!, `σ²_${half + 1} = ${g.spectrum[half]} vs ${g.spectrum[0]}`);
  const cpu = jointLowRank(kernels, Wk, kRows, Wv, vRows, hidden, [half - 8, half]);
  within(compare(cpu, g));
});

test('the f32 Gram over 8192 rows (a 7B [W_k; W_v]) stays within 1e-6 of f64 (256-row partial sums)', async (t) => {
  const rows = 8192, cols = 64;
  // BF16-exact values, as a checkpoint holds them: products are exact in f32, only the sums round.
  const W = Float32Array.from(gaussian(rows * cols, 13), (x) => Math.fround(Number(x.toPrecision(3))));
  const exact = new Float64Array(cols * cols);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < cols; i++) {
      const a = W[r * cols + i]!;
      for (let j = 0; j < cols; j++) exact[i * cols + j] = exact[i * cols + j]! + a * W[r * cols + j]!;
    }
  }
  const s = new GpuSession(await openGpu({ forceF32: true }));
  try {
    const G = s.storage(cols * cols * 4, 'G');
    await gramInto(s, W, rows, cols, G, false);
    const got = await s.read(G, cols * cols);
    let worst = 0, diag = 0;
    for (let i = 0; i < cols; i++) diag = Math.max(diag, exact[i * cols + i]!);
    for (let k = 0; k < cols * cols; k++) worst = Math.max(worst, Math.abs(got[k]! - exact[k]!) / diag);
    t.diagnostic(`Gram 8192 rows: max |G_f32 − G_f64| = ${worst.toExponential(2)} of max G_ii`);
    assert.ok(worst < 1e-6, `${worst}`);
    // Symmetric by construction (mirrored tiles).
    for (let i = 0; i < cols; i++) for (let j = 0; j < i; j++) assert.equal(got[i * cols + j], got[j * cols + i]);
  } finally {
    s.destroy();
  }
});
