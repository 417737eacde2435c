/**
 * The WebGPU backend of the quality math: opens the adapter through src/gpu/device.ts and serves
 * jointLowRank on it. Imported only dynamically (the worker's `import()`, an esbuild split chunk), so
 * Dawn's native module loads only when the GPU path is chosen.
 */
import { openGpu, type GpuContext } from '../../gpu/device';
import { type BackTransformKind, beginJointLowRankOnGpu, jointLowRankOnGpu, type TridiagonalKind } from './jointLowRank';
import { projectOnGpu } from './project';
import { GpuSession } from './session';
import type { QualityGpu } from './types';

export { NoAdapterError } from '../../gpu/device';
export { GpuLimitError, GpuLostError } from './session';

/** Software adapters by their own words: Mesa's lavapipe (llvmpipe), SwiftShader, Microsoft's WARP. */
const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|microsoft basic render|\bwarp\b/i;

export function isSoftwareAdapter(ctx: Pick<GpuContext, 'adapterName' | 'vendor' | 'architecture'>): boolean {
  return ctx.architecture === 'software' || SOFTWARE.test(`${ctx.adapterName} ${ctx.vendor} ${ctx.architecture}`);
}

/**
 * Opens the default adapter (high-performance preference); rejects with NoAdapterError when there is
 * none. `backTransform: 'per-reflector'` and `tridiagonal: 'per-column'` select the reference kernels
 * (benchmarks and tests compare).
 */
export async function openQualityGpu(options: { backTransform?: BackTransformKind; tridiagonal?: TridiagonalKind } = {}): Promise<QualityGpu> {
  // f32 only: the eigenproblem needs every bit f32 has, so shader-f16 is not requested.
  const ctx = await openGpu({ forceF32: true });
  const session = new GpuSession(ctx);
  return {
    adapter: ctx.adapterName,
    api: ctx.backend,
    software: isSoftwareAdapter(ctx),
    jointLowRank: (Wk, kRows, Wv, vRows, hidden, ranks) => jointLowRankOnGpu(session, Wk, kRows, Wv, vRows, hidden, ranks, options.backTransform, options.tridiagonal),
    beginJointLowRank: (Wk, kRows, Wv, vRows, hidden, ranks) => beginJointLowRankOnGpu(session, Wk, kRows, Wv, vRows, hidden, ranks, options.backTransform, options.tridiagonal),
    project: (X, tokens, hidden, projections) => projectOnGpu(session, X, tokens, hidden, projections),
    get lostReason() {
      return session.lost;
    },
    destroy: () => session.destroy(),
  };
}
