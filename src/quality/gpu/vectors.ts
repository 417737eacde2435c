/**
 * The GPU half of the eigenvectors: the per-reflector back-transform (the blocked one is in
 * blockedBackTransform.ts) and the K share of each kept component (rowDot.wgsl): Σ over the K rows of
 * z² (Gram of rows) or zᵀ·G_K·z (Gram of columns, Z·G_K by matmul.wgsl).
 */
import backTransformSource from './backTransform.wgsl';
import rowDotSource from './rowDot.wgsl';
import type { GpuSession } from './session';

/**
 * Z (count × n, rows the tridiagonal's eigenvectors) ← back-transformed, in place on the GPU, one
 * reflector at a time (backTransform.wgsl: a barrier per reflector). The reference the blocked form
 * (blockedBackTransform.ts) is tested and benchmarked against (`--back-transform per-reflector`).
 */
export async function backTransformPerReflector(s: GpuSession, A: GPUBuffer, scal: GPUBuffer, n: number, Z: GPUBuffer, count: number): Promise<void> {
  const per = Math.max(1, Math.ceil(n / 256));
  const pipeline = s.pipeline(`backTransform-${per}`, () => backTransformSource.replace('{{PER}}', String(per)), 'main');
  const params = s.uniform(new Uint32Array([n, count, 0, 0]), 'back-transform params');
  try {
    const group = s.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [params, A, scal, Z].map((buffer, binding) => ({ binding, resource: { buffer } })) });
    s.submit((encoder) => {
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(count);
      pass.end();
    });
    await s.settle();
  } finally {
    params.destroy();
  }
}

/** out[v] = Σ_{k0 ≤ k < k1} X[v][k]·Y[v][k] for `rows` rows of length ld, read back. */
export async function rowDots(s: GpuSession, X: GPUBuffer, Y: GPUBuffer, rows: number, ld: number, k0: number, k1: number): Promise<Float32Array> {
  const pipeline = s.pipeline('rowDot', () => rowDotSource, 'main');
  const params = s.uniform(new Uint32Array([ld, rows, k0, k1]), 'row-dot params');
  const out = s.storage(rows * 4, 'row dots');
  try {
    const group = s.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [params, X, Y, out].map((buffer, binding) => ({ binding, resource: { buffer } })) });
    s.submit((encoder) => {
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(rows);
      pass.end();
    });
    return await s.read(out, rows);
  } finally {
    params.destroy();
    out.destroy();
  }
}
