/**
 * The GPU half of the eigenvectors: the back-transform of the tridiagonal's eigenvectors through the
 * Householder reflectors left in A (backTransform.wgsl, one workgroup per vector), and the K share of
 * each kept component (rowDot.wgsl): Σ over the K rows of z² (Gram of rows) or zᵀ·G_K·z (Gram of
 * columns, Z·G_K by gram.wgsl).
 */
import backTransformSource from './backTransform.wgsl';
import rowDotSource from './rowDot.wgsl';
import { encodeAtB } from './gram';
import type { GpuSession } from './session';

/**
 * Z (count × n, rows the tridiagonal's eigenvectors) ← back-transformed, in place on the GPU; Zt gets
 * its transpose (n × count) when given.
 */
export async function backTransformOnGpu(s: GpuSession, A: GPUBuffer, scal: GPUBuffer, n: number, Z: GPUBuffer, count: number, Zt?: GPUBuffer): Promise<void> {
  const per = Math.max(1, Math.ceil(n / 256));
  const pipeline = s.pipeline(`backTransform-${per}`, () => backTransformSource.replace('{{PER}}', String(per)), 'main');
  const params = s.uniform(new Uint32Array([n, count, Zt ? 1 : 0, 0]), 'back-transform params');
  // Without a transpose to write, a 16-byte placeholder fills the binding (the kernel never touches it).
  const zt = Zt ?? s.storage(16, 'unused Zt');
  try {
    const group = s.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [params, A, scal, Z, zt].map((buffer, binding) => ({ binding, resource: { buffer } })) });
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
    if (!Zt) zt.destroy();
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

/** Y = Z·G (count × n) for symmetric G (n × n): Y[v][k] = Σ_j Zt[j][v]·G[j][k], from Zt = Zᵀ (n × count). */
export async function timesSymmetric(s: GpuSession, Zt: GPUBuffer, G: GPUBuffer, count: number, n: number, Y: GPUBuffer): Promise<void> {
  let params: GPUBuffer | undefined;
  try {
    s.submit((e) => { params = encodeAtB(s, e, Zt, G, Y, { T: n, n1: count, n2: n, lda: count, ldb: n, ldc: n, accumulate: false, symmetric: false }); });
    await s.settle();
  } finally {
    params?.destroy();
  }
}
