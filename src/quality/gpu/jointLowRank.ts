/**
 * conversions.ts's jointLowRank with the heavy stages on the GPU: the Gram matrix of [W_k; W_v]
 * (f32, partial sums), its Householder tridiagonalization, the back-transform of the top eigenvectors
 * and the K/V split. The tridiagonal's eigenvalues (root-free QL/QR, dsterf) and eigenvectors (inverse iteration)
 * stay on the CPU in f64 (linalg.ts): O(n²), well under a second at n = 4096. Same JointSpectrum,
 * timings included, so measure.ts can take either.
 */
import { summarize, transposeInto, type JointSpectrum } from '../conversions';
import { tridiagonalEigenvalues, tridiagonalEigenvectors } from '../linalg';
import { gramInto } from './gram';
import { GpuLimitError, type GpuSession } from './session';
import { type Tridiagonal, type TridiagonalKind, tridiagonalizeOnGpu } from './tridiagonal';
import { blockedBackTransformOnGpu } from './blockedBackTransform';
import { matmuls, rowMajor } from './matmul';
import { backTransformPerReflector, rowDots } from './vectors';
import type { JointLowRankJob } from './types';

export type { JointLowRankJob } from './types';
export type { TridiagonalKind } from './tridiagonal';

/** How the eigenvectors are carried back through the reflectors: compact-WY blocks (the default) or one reflector at a time (the reference). */
export type BackTransformKind = 'blocked' | 'per-reflector';

export async function jointLowRankOnGpu(s: GpuSession, Wk: Float32Array, kRows: number, Wv: Float32Array, vRows: number, hidden: number, ranks: number[], backTransform: BackTransformKind = 'blocked', tridiagonal: TridiagonalKind = 'blocked'): Promise<JointSpectrum> {
  return beginJointLowRankOnGpu(s, Wk, kRows, Wv, vRows, hidden, ranks, backTransform, tridiagonal).finish();
}

/**
 * Queues the Gram matrix and the tridiagonalization of M = [W_k; W_v] without waiting for either:
 * every submission happens before this returns (WebGPU runs a queue in order, so nothing needs the
 * CPU between them), which is what lets the caller start the next layer while the CPU is busy.
 * Throws GpuLimitError at once for a shape beyond the adapter.
 */
export function beginJointLowRankOnGpu(s: GpuSession, Wk: Float32Array, kRows: number, Wv: Float32Array, vRows: number, hidden: number, ranks: number[], backTransform: BackTransformKind = 'blocked', tridiagonal: TridiagonalKind = 'blocked'): JointLowRankJob {
  const rows = kRows + vRows;
  const m = Math.min(rows, hidden);
  const count = Math.min(m, Math.max(0, ...ranks.filter((r) => r < m)));
  const side = rows <= hidden ? 'rows' : 'columns';
  if (m * m * 4 > s.maxBindingBytes) throw new GpuLimitError(`the ${m}×${m} Gram matrix (${(m * m * 4 / 2 ** 20).toFixed(0)} MiB in f32) exceeds this adapter's ${(s.maxBindingBytes / 2 ** 20).toFixed(0)} MiB storage binding limit`);
  const owned: GPUBuffer[] = [];
  const keep = (b: GPUBuffer): GPUBuffer => (owned.push(b), b);
  const free = (): void => {
    for (const b of owned) b.destroy();
    owned.length = 0;
  };
  const t0 = performance.now();
  let queued: Promise<[void[], Tridiagonal]>;
  let GK: GPUBuffer | undefined;
  let G: GPUBuffer;
  try {
    G = keep(s.storage(m * m * 4, 'Gram'));
    const grams: Promise<void>[] = [];
    if (side === 'rows') {
      // G = M·Mᵀ = (Mᵀ)ᵀ·Mᵀ: the Gram of the columns of Mᵀ (hidden × rows).
      const MT = new Float32Array(hidden * rows);
      transposeInto(Wk, kRows, hidden, MT, rows, 0);
      transposeInto(Wv, vRows, hidden, MT, rows, kRows);
      grams.push(gramInto(s, MT, hidden, rows, G, false));
    } else {
      // G = G_K + G_V; G_K kept for the split.
      GK = keep(s.storage(m * m * 4, 'Gram of K'));
      grams.push(gramInto(s, Wk, kRows, hidden, GK, false));
      s.submit((e) => e.copyBufferToBuffer(GK!, 0, G, 0, m * m * 4));
      grams.push(gramInto(s, Wv, vRows, hidden, G, true));
    }
    // gramInto and tridiagonalizeOnGpu submit everything before their first await: queue order does the rest.
    queued = Promise.all([Promise.all(grams), tridiagonalizeOnGpu(s, G, m, tridiagonal)]);
  } catch (e) {
    free();
    throw e;
  }
  // Nobody may be waiting yet when the device goes: the rejection is taken in finish.
  queued.catch(() => undefined);
  const submitMs = performance.now() - t0;
  return {
    abandon: () => {
      // Destroyed buffers still serve the work already submitted (WebGPU frees them after it).
      void queued.then(([, tri]) => {
        tri.scal.destroy();
        free();
      }, free);
    },
    finish: async (onGpuFree) => {
      try {
        const t1 = performance.now();
        const [, tri] = await queued;
        keep(tri.scal);
        const t2 = performance.now();
        onGpuFree?.();
        const values = tridiagonalEigenvalues(tri.d, tri.e);
        const t3 = performance.now();
        const kShare = new Float64Array(count);
        let t4 = t3, t5 = t3, t6 = t3;
        if (count > 0) {
          const vectors = new Float64Array(count * m);
          tridiagonalEigenvectors(tri.d, tri.e, count, vectors);
          t4 = performance.now();
          const Z = keep(s.storage(count * m * 4, 'eigenvectors'));
          s.write(Z, Float32Array.from(vectors));
          if (backTransform === 'blocked') await blockedBackTransformOnGpu(s, G, tri.hInv, m, Z, count);
          else await backTransformPerReflector(s, G, tri.scal, m, Z, count);
          t5 = performance.now();
          if (side === 'rows') {
            const kRowsMass = await rowDots(s, Z, Z, count, m, 0, kRows);
            for (let v = 0; v < count; v++) kShare[v] = Math.max(0, values[v]!) * kRowsMass[v]!;
          } else {
            const Y = keep(s.storage(count * m * 4, 'Z·G_K'));
            await matmuls(s, [{ M: count, N: m, K: m, A: rowMajor(Z, m), B: rowMajor(GK!, m), C: { buffer: Y, ld: m } }]);
            const quad = await rowDots(s, Y, Z, count, m, 0, m);
            for (let v = 0; v < count; v++) kShare[v] = Math.max(0, quad[v]!);
          }
          t6 = performance.now();
        }
        let kNorm2 = 0;
        let vNorm2 = 0;
        for (const w of Wk) kNorm2 += w * w;
        for (const w of Wv) vNorm2 += w * w;
        const spectrum = Float64Array.from(values, (x) => Math.max(0, x));
        return {
          ...summarize(spectrum, kNorm2, vNorm2, ranks, kShare),
          spectrum,
          kNorm2,
          vNorm2,
          side,
          order: m,
          // Gram: the submission; tridiagonalization: the wait for d and e (when the previous layer's CPU
          // stages ran meanwhile, only what they did not hide).
          timings: { gramMs: submitMs, tridiagonalMs: t2 - t1, eigenvaluesMs: t3 - t2, vectorsMs: t4 - t3, backTransformMs: t5 - t4, splitMs: t6 - t5 },
        };
      } finally {
        free();
      }
    },
  };
}
