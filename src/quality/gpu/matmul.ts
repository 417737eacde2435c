/**
 * Strided matrix products on the GPU (matmul.wgsl): C = [C +] alpha·A·B with each operand a view
 * (offset, row and column strides, in floats) into a storage buffer. A list of products is encoded into
 * one compute pass — each reads its parameters from its own 256-byte slot of one uniform buffer
 * (dynamic offset) — so a chain of dependent products (the blocked back-transform) costs one submit.
 * Dispatches in one pass see each other's writes in order.
 */
import source from './matmul.wgsl';
import { type GpuSession, UNIFORM_SLOT_BYTES } from './session';

const TILE = 64;

/** A[i][k] = buffer[offset + i·row + k·col] (B alike with k as the row index). */
export interface MatrixView {
  buffer: GPUBuffer;
  /** In floats. */
  offset?: number;
  row: number;
  col: number;
}

export interface Matmul {
  M: number;
  N: number;
  K: number;
  A: MatrixView;
  B: MatrixView;
  /** C[i][j] = buffer[offset + i·ld + j]. */
  C: { buffer: GPUBuffer; offset?: number; ld: number };
  /** Default 1. */
  alpha?: number;
  /** Add to C instead of overwriting it. */
  accumulate?: boolean;
}

/** Row-major A (rows × cols) as an operand: A[i][k] = A[i·cols + k]. */
export const rowMajor = (buffer: GPUBuffer, cols: number, offset = 0): MatrixView => ({ buffer, offset, row: cols, col: 1 });
/** The transpose of row-major W (rows × cols) as an operand: (Wᵀ)[k][j] = W[j·cols + k]. */
export const transposed = (buffer: GPUBuffer, cols: number, offset = 0): MatrixView => ({ buffer, offset, row: 1, col: cols });

const layouts = new WeakMap<GpuSession, { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout }>();

function layoutFor(s: GpuSession): { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout } {
  let l = layouts.get(s);
  if (!l) {
    const group = s.device.createBindGroupLayout({
      entries: [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: 64 } },
        { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } },
        { binding: 2, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } },
        { binding: 3, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
      ],
    });
    l = { group, pipeline: s.device.createPipelineLayout({ bindGroupLayouts: [group] }) };
    layouts.set(s, l);
  }
  return l;
}

/**
 * Encodes the products, in order, into one compute pass on `encoder`. Returns the uniform buffer of
 * their parameters: destroy it once the work is done.
 */
export function encodeMatmuls(s: GpuSession, encoder: GPUCommandEncoder, products: Matmul[]): GPUBuffer {
  const layout = layoutFor(s);
  const slotWords = UNIFORM_SLOT_BYTES / 4;
  const words = new Uint32Array(Math.max(1, products.length) * slotWords);
  const floats = new Float32Array(words.buffer);
  products.forEach((p, n) => {
    const at = n * slotWords;
    words.set([p.M, p.N, p.K, p.accumulate ? 1 : 0, p.A.offset ?? 0, p.A.row, p.A.col, p.B.offset ?? 0, p.B.row, p.B.col, p.C.offset ?? 0, p.C.ld], at);
    floats[at + 12] = p.alpha ?? 1;
  });
  const params = s.uniform(words, 'matmul params');
  const pass = encoder.beginComputePass();
  products.forEach((p, n) => {
    const aK = p.A.col === 1, bK = p.B.row === 1;
    const pipeline = s.pipeline(`matmul-${aK ? 'k' : 'i'}${bK ? 'k' : 'j'}`, () => source.replace('{{A_K_CONTIG}}', String(aK)).replace('{{B_K_CONTIG}}', String(bK)), 'main', layout.pipeline);
    const group = s.device.createBindGroup({
      layout: layout.group,
      entries: [
        { binding: 0, resource: { buffer: params, size: 64 } },
        { binding: 1, resource: { buffer: p.A.buffer } },
        { binding: 2, resource: { buffer: p.B.buffer } },
        { binding: 3, resource: { buffer: p.C.buffer } },
      ],
    });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group, [n * UNIFORM_SLOT_BYTES]);
    pass.dispatchWorkgroups(Math.ceil(p.N / TILE), Math.ceil(p.M / TILE));
  });
  pass.end();
  return params;
}

/** Runs the products (one submit) and waits for them. */
export async function matmuls(s: GpuSession, products: Matmul[]): Promise<void> {
  let params: GPUBuffer | undefined;
  try {
    s.submit((e) => { params = encodeMatmuls(s, e, products); });
    await s.settle();
  } finally {
    params?.destroy();
  }
}
