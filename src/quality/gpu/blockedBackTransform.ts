/**
 * The back-transform of the tridiagonal's eigenvectors in compact-WY blocks: the reflectors
 * P_i = I − τ_i·u_i·u_iᵀ (i = 1 … n−1, u_i = row i of A in columns 0..i−1, τ_i = hInv[i]) are applied in
 * ascending order, nb at a time, as three matrix products per block instead of a barrier per reflector:
 *
 *   block [b, e): P_{e−1}···P_b = (H_b···H_{e−1})ᵀ = I − V·Tᵀ·Vᵀ  (V = [u_b … u_{e−1}], T from DLARFT)
 *   so each row z of Z (count × n) becomes  z − ((z·V)·T)·Vᵀ:
 *     W  = Z·U_bᵀ       (count × nb; U_b = rows b..e−1 of A, so Vᵀ = U_b; contraction over k < e)
 *     W2 = W·T_b        (count × nb)
 *     Z −= W2·U_b       (count × e: u_i vanishes beyond column i)
 *
 * The blocks' Gram matrices S_b = U_b·U_bᵀ come from the GPU (one submit, read back: nb² floats per
 * block); T_b is built from them in f64 on the CPU (compactWy.ts) and goes back up. Work: 2·count·n²
 * multiply-adds in tiled products, the same count as the per-reflector kernel. A is modified: its
 * entries at and right of the diagonal are zeroed (reflectorRows.wgsl), so U's rows are the u_i.
 */
import { compactWyT } from './compactWy';
import { encodeMatmuls, type Matmul, rowMajor, transposed } from './matmul';
import maskSource from './reflectorRows.wgsl';
import type { GpuSession } from './session';

/** Reflectors per block: the matmul tile's width, so the products' tiles are full. */
export const WY_BLOCK = 64;
/** Blocks per command buffer: few submits, each short enough for a display driver's watchdog. */
const BLOCKS_PER_SUBMIT = 16;

/** Z (count × n, rows the tridiagonal's eigenvectors) ← back-transformed, in place on the GPU. */
export async function blockedBackTransformOnGpu(s: GpuSession, A: GPUBuffer, hInv: Float64Array, n: number, Z: GPUBuffer, count: number, nb = WY_BLOCK): Promise<void> {
  if (count === 0 || n < 2) return;
  const blocks: { b: number; e: number }[] = [];
  for (let b = 0; b < n; b += nb) blocks.push({ b, e: Math.min(n, b + nb) });
  const owned: GPUBuffer[] = [];
  const keep = (b: GPUBuffer): GPUBuffer => (owned.push(b), b);
  try {
    const S = keep(s.storage(blocks.length * nb * nb * 4, 'block Gram matrices'));
    s.submit((encoder) => {
      const mask = s.pipeline('reflectorRows', () => maskSource, 'main');
      const params = keep(s.uniform(new Uint32Array([n, 0, 0, 0]), 'mask params'));
      const pass = encoder.beginComputePass();
      pass.setPipeline(mask);
      pass.setBindGroup(0, s.device.createBindGroup({ layout: mask.getBindGroupLayout(0), entries: [params, A].map((buffer, binding) => ({ binding, resource: { buffer } })) }));
      pass.dispatchWorkgroups(Math.ceil(n / 16), Math.ceil(n / 16));
      pass.end();
      keep(encodeMatmuls(s, encoder, blocks.map(({ b, e }, k): Matmul => ({
        M: e - b, N: e - b, K: e, A: rowMajor(A, n, b * n), B: transposed(A, n, b * n), C: { buffer: S, offset: k * nb * nb, ld: nb },
      }))));
    });
    const gram = await s.read(S, blocks.length * nb * nb);
    const T = new Float32Array(blocks.length * nb * nb);
    blocks.forEach(({ b, e }, k) => {
      const size = e - b;
      const Sb = new Float64Array(size * size);
      for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) Sb[i * size + j] = gram[k * nb * nb + i * nb + j]!;
      const Tb = compactWyT(Sb, hInv.subarray(b, e), size);
      for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) T[k * nb * nb + i * nb + j] = Tb[i * size + j]!;
    });
    const Tg = keep(s.storage(T.length * 4, 'compact-WY T'));
    s.write(Tg, T);
    const W = keep(s.storage(count * nb * 4, 'Z·V'));
    const W2 = keep(s.storage(count * nb * 4, 'Z·V·T'));
    for (let k0 = 0; k0 < blocks.length; k0 += BLOCKS_PER_SUBMIT) {
      const products: Matmul[] = [];
      blocks.slice(k0, k0 + BLOCKS_PER_SUBMIT).forEach(({ b, e }, dk) => {
        const size = e - b;
        products.push(
          { M: count, N: size, K: e, A: rowMajor(Z, n), B: transposed(A, n, b * n), C: { buffer: W, ld: nb } },
          { M: count, N: size, K: size, A: rowMajor(W, nb), B: rowMajor(Tg, nb, (k0 + dk) * nb * nb), C: { buffer: W2, ld: nb } },
          { M: count, N: e, K: size, A: rowMajor(W2, nb), B: rowMajor(A, n, b * n), C: { buffer: Z, ld: n }, alpha: -1, accumulate: true },
        );
      });
      s.submit((encoder) => keep(encodeMatmuls(s, encoder, products)));
      s.check();
    }
    await s.settle();
  } finally {
    for (const b of owned) b.destroy();
  }
}
