/**
 * What measure.ts knows of the WebGPU backend: an interface and plain data only. The backend itself
 * (index.ts: Dawn, ESM + native) is loaded by whoever bundles it — the quality worker, the GPU tests,
 * the benchmark — and handed in as a loader, so the CPU-only builds never touch `webgpu`.
 */
import type { JointSpectrum } from '../conversions';
import type { QualityDevice } from '../../shared/qualityProtocol';

export type { QualityDevice, QualityBackendJson } from '../../shared/qualityProtocol';

export interface QualityGpu {
  /** The adapter's description (e.g. "NVIDIA GeForce RTX 4070 Laptop GPU", "llvmpipe: Mesa 25.0.7 …"). */
  readonly adapter: string;
  /** The native API under WebGPU: vulkan, metal, d3d12. */
  readonly api: string;
  /** A CPU rasterizer posing as a GPU (lavapipe/llvmpipe, SwiftShader, WARP): 'auto' keeps to the WASM path there. */
  readonly software: boolean;
  /** conversions.ts's jointLowRank on the GPU; rejects on device loss or a shape beyond the adapter's limits. */
  jointLowRank(Wk: Float32Array, kRows: number, Wv: Float32Array, vRows: number, hidden: number, ranks: number[]): Promise<JointSpectrum>;
  /**
   * jointLowRank in two parts: this queues the Gram matrix and the tridiagonalization and returns at
   * once (throws at once for a shape beyond the adapter); the job's finish does the rest (see
   * jointLowRank.ts). The same bits as jointLowRank.
   */
  beginJointLowRank(Wk: Float32Array, kRows: number, Wv: Float32Array, vRows: number, hidden: number, ranks: number[]): JointLowRankJob;
  /**
   * X·Wᵀ (tokens × rows, f32) for the calibration rows X (tokens × hidden) and each W (rows × hidden):
   * the KV-quantization projections. Rejects like jointLowRank.
   */
  project(X: Float32Array, tokens: number, hidden: number, projections: { W: Float32Array; rows: number }[]): Promise<Float32Array[]>;
  /** Why the device was lost, once it has been. */
  readonly lostReason: string | undefined;
  destroy(): void;
}

export type LoadQualityGpu = () => Promise<QualityGpu>;

/**
 * One layer's spectrum, begun: the Gram matrix and the tridiagonalization are in the GPU's queue.
 * `finish` waits for d, e, calls `onGpuFree` (the GPU has nothing of this layer's left to do until the
 * back-transform: the caller queues the next layer's Gram and tridiagonalization there, so they run
 * while this layer's eigenvalues and eigenvectors are computed on the CPU), then does the rest.
 * Call finish once; `abandon` frees the buffers of a job that will not be finished.
 */
export interface JointLowRankJob {
  finish(onGpuFree?: () => void): Promise<JointSpectrum>;
  abandon(): void;
}

export const isQualityDevice = (x: unknown): x is QualityDevice => x === 'auto' || x === 'gpu' || x === 'cpu';
