/**
 * Which of the adapter's subgroup-matrix configurations mlaMatrix.wgsl runs on, or why none.
 *
 * The kernel multiplies f16 (else f32) matrices into f32 results — an f16 result would sum 576-wide
 * dot products in f16 — at tile sizes that divide its 16 heads and its 8-, 16- or 32-token tiles. It
 * deals work to subgroups by their id, so it needs a subgroup size the adapter never varies (NVIDIA's
 * and Apple's 32; not AMD's 32-or-64 or Intel's 8-to-32).
 */
import type { GpuContext } from './device';
import { describeMatrixConfig, type SubgroupMatrixConfig } from './host/adapterText';
import type { MatrixConfigChoice } from './attention';

export { describeMatrixConfig };

export type MatrixPick = { config: MatrixConfigChoice } | { reason: string };

export function pickMatrixConfig(ctx: Pick<GpuContext, 'subgroupMatrixConfigs' | 'subgroupMinSize' | 'subgroupMaxSize'>): MatrixPick {
  const configs = ctx.subgroupMatrixConfigs;
  if (configs.length === 0) return { reason: 'the adapter has no subgroup matrices (chromium-experimental-subgroup-matrix)' };
  if (ctx.subgroupMinSize === null || ctx.subgroupMaxSize === null || ctx.subgroupMinSize !== ctx.subgroupMaxSize) {
    return { reason: `the adapter's subgroup size varies (${ctx.subgroupMinSize ?? '?'}–${ctx.subgroupMaxSize ?? '?'}): mlaMatrix deals work by subgroup and needs one size` };
  }
  const usable = configs.filter(fitsKernel).sort((a, b) => rank(a) - rank(b) || b.M * b.N * b.K - a.M * a.N * a.K);
  const best = usable[0];
  if (!best) return { reason: `none of the adapter's subgroup-matrix shapes (${configs.map(describeMatrixConfig).join(', ')}) has f16 or f32 inputs, f32 results and sides that divide 16 heads and 32 tokens` };
  return { config: { m: best.M, n: best.N, k: best.K, component: best.componentType as 'f16' | 'f32', subgroupSize: ctx.subgroupMinSize, emulated: false } };
}

function fitsKernel(c: SubgroupMatrixConfig): boolean {
  return (c.componentType === 'f16' || c.componentType === 'f32') && c.resultComponentType === 'f32' && [8, 16].includes(c.M) && [8, 16, 32].includes(c.N) && [8, 16, 32].includes(c.K);
}

/** f16 inputs first: twice the rate of f32 where both exist, and half the workgroup memory. */
function rank(c: SubgroupMatrixConfig): number {
  return c.componentType === 'f16' ? 0 : 1;
}
