/**
 * The KV-quantization projections on the GPU: K = X·W_kᵀ and V = X·W_vᵀ for the calibration rows X
 * (tokens × hidden) and the k_proj / v_proj rows W (rows × hidden), in f32 (matmul.wgsl, 256-term
 * partial sums). Only the products move: bias, k_norm and the round-trips stay in measure.ts /
 * conversions.ts, in f64 and the same code as the CPU path, so the formats' definitions cannot drift.
 * W goes up in row chunks that fit one storage binding; X once for all projections.
 */
import { encodeMatmuls, rowMajor, transposed } from './matmul';
import type { GpuSession } from './session';

export interface Projection {
  W: Float32Array;
  rows: number;
}

/** X·Wᵀ (tokens × rows, row-major f32) for each W, read back. */
export async function projectOnGpu(s: GpuSession, X: Float32Array, tokens: number, hidden: number, projections: Projection[]): Promise<Float32Array[]> {
  const owned: GPUBuffer[] = [];
  const keep = (b: GPUBuffer): GPUBuffer => (owned.push(b), b);
  try {
    const Xg = keep(s.storage(tokens * hidden * 4, 'calibration rows'));
    s.write(Xg, X.subarray(0, tokens * hidden));
    const outputs = projections.map((p) => keep(s.storage(tokens * p.rows * 4, 'projected K/V')));
    const maxRows = Math.max(1, ...projections.map((p) => p.rows));
    const chunkRows = Math.max(1, Math.min(maxRows, Math.floor(s.maxBindingBytes / (hidden * 4))));
    const staging = keep(s.storage(chunkRows * hidden * 4, 'projection rows'));
    projections.forEach((p, n) => {
      for (let r0 = 0; r0 < p.rows; r0 += chunkRows) {
        const rows = Math.min(chunkRows, p.rows - r0);
        // Queue order: this write lands after the previous chunk's product has read the buffer.
        s.write(staging, p.W.subarray(r0 * hidden, (r0 + rows) * hidden));
        s.submit((e) => {
          keep(encodeMatmuls(s, e, [{ M: tokens, N: rows, K: hidden, A: rowMajor(Xg, hidden), B: transposed(staging, hidden), C: { buffer: outputs[n]!, offset: r0, ld: p.rows } }]));
        });
      }
    });
    const out: Float32Array[] = [];
    for (let n = 0; n < projections.length; n++) out.push(await s.read(outputs[n]!, tokens * projections[n]!.rows));
    return out;
  } finally {
    for (const b of owned) b.destroy();
  }
}
