/**
 * C = [C +] Aᵀ·B on the GPU (gram.wgsl): the Gram matrix of K/V weights (A = B = W, streamed in row
 * chunks that fit one storage binding, so any number of rows works) and the K/V split's Z·G_K.
 */
import gramSource from './gram.wgsl';
import type { GpuSession } from './session';

const TILE = 64;

export interface AtBProblem {
  /** Summed rows; A is T × lda, B is T × ldb, both row-major. */
  T: number;
  n1: number;
  n2: number;
  lda: number;
  ldb: number;
  ldc: number;
  aOffset?: number;
  bOffset?: number;
  accumulate: boolean;
  /** A and B are the same matrix: only tiles on or below the diagonal run, mirrored. */
  symmetric: boolean;
}

/** Encodes one C (+)= Aᵀ·B dispatch. The uniform buffer is returned so the caller can free it after the work is done. */
export function encodeAtB(s: GpuSession, encoder: GPUCommandEncoder, A: GPUBuffer, B: GPUBuffer, C: GPUBuffer, p: AtBProblem): GPUBuffer {
  const pipeline = s.pipeline('gram', () => gramSource, 'main');
  const params = s.uniform(new Uint32Array([p.T, p.n1, p.n2, p.lda, p.ldb, p.ldc, p.aOffset ?? 0, p.bOffset ?? 0, p.accumulate ? 1 : 0, p.symmetric ? 1 : 0, 0, 0]), 'gram params');
  const group = s.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [params, A, B, C].map((buffer, binding) => ({ binding, resource: { buffer } })) });
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  pass.dispatchWorkgroups(Math.ceil(p.n2 / TILE), Math.ceil(p.n1 / TILE));
  pass.end();
  return params;
}

/**
 * G (+)= Wᵀ·W for W (rows × cols, row-major f32) into the cols × cols buffer G: W goes up in chunks
 * of rows that fit one binding, each chunk's Gram added to G. `accumulate` false starts from zero.
 */
export async function gramInto(s: GpuSession, W: Float32Array, rows: number, cols: number, G: GPUBuffer, accumulate: boolean): Promise<void> {
  const rowBytes = cols * 4;
  const chunkRows = Math.max(1, Math.min(rows, Math.floor(s.maxBindingBytes / rowBytes)));
  const staging = s.storage(chunkRows * rowBytes, 'weight rows');
  const uniforms: GPUBuffer[] = [];
  try {
    for (let r0 = 0; r0 < rows; r0 += chunkRows) {
      const n = Math.min(chunkRows, rows - r0);
      // Queue order: this write lands after the previous chunk's dispatch has read the buffer.
      s.write(staging, W.subarray(r0 * cols, (r0 + n) * cols));
      s.submit((e) => uniforms.push(encodeAtB(s, e, staging, staging, G, { T: n, n1: cols, n2: cols, lda: cols, ldb: cols, ldc: cols, accumulate: accumulate || r0 > 0, symmetric: true })));
    }
    await s.settle();
  } finally {
    staging.destroy();
    for (const u of uniforms) u.destroy();
  }
}
