/**
 * The profiler's worker protocol (parent ⇄ child process over Node IPC) and the result shapes the CLI
 * `--json`, the editor and the report read. Types plus runtime guards: a message that fails its guard
 * is dropped with a log line, never trusted.
 */
import type { KernelCase, KernelVariant, ProfileMode, ProfilePlan } from '../core/profilePlan';

/** Kernel generations: v2 the new decode kernel, v1 the reference its figures stand beside. */
export const KERNEL_GENERATIONS = ['v1', 'v2'] as const;
export type KernelGeneration = (typeof KERNEL_GENERATIONS)[number];
/**
 * `--kernel`: a generation, or auto — on each adapter the generation measured faster there: v2 on
 * software adapters (lavapipe: decode 2–5× v1) except MLA absorbed decode (tile2 1.1–1.3× v1's time
 * there), v1 on GPUs until a GPU run shows v2 ahead (on an H200 the first v2 was behind v1 at 16k:
 * bench/results/nvidia-h200-vulkan-v1-v2.md).
 */
export const KERNEL_CHOICES = ['auto', ...KERNEL_GENERATIONS] as const;
export type KernelChoice = (typeof KERNEL_CHOICES)[number];

export interface DevicePeaks {
  /** Measured copy bandwidth: (bytes read + bytes written) / time, GB/s (10^9). */
  copyGBps: number;
  /**
   * Measured read-only bandwidth (a reduction, several loads in flight per thread), GB/s: the bound of
   * decode, which only reads K and V. Absent in reports written before it was measured.
   */
  readGBps?: number;
  /** Measured FMA rate, TFLOP/s (an FMA counts 2). */
  f32TFlops: number;
  /** null when the device has no shader-f16. */
  f16TFlops: number | null;
  /**
   * Measured subgroup-matrix multiply-accumulate rate, TFLOP/s (2·M·N·K per operation), on the shape
   * mlaMatrix.wgsl uses (`matrixShape`, e.g. "f16 × f16 → f32 at 16 × 16 × 16"): the tensor-core peak
   * its results are a percentage of. Absent when the device was opened without subgroup matrices or has
   * none; null when measuring failed (the derivation says why).
   */
  matrixTFlops?: number | null;
  matrixShape?: string;
  /** How each peak follows from its bytes or FLOPs and its measured time. */
  derivation: string[];
}

export interface DeviceInfo {
  adapter: string;
  backend: string;
  vendor: string;
  architecture: string;
  features: string[];
  /** KV storage of kernels that need shader-f16 for f16: f16 when it exists, else f32. v2's decode stores f16 on every adapter: each result's `storage` says what that case used. */
  storage: 'f16' | 'f32';
  timing: 'timestamp' | 'wall-clock';
  limits: Record<string, number>;
  peaks: DevicePeaks;
  /** Seconds of sustained load run before the peaks, so clocks were at their loaded level. */
  sustainedSeconds?: number;
  /** A software adapter (lavapipe, SwiftShader, WARP): the figures are the CPU's, not a GPU's. */
  software?: boolean;
  /**
   * Workgroups of 128 threads and 16 KiB the adapter ran at once (a probe dispatch, src/gpu/wave.ts), and
   * how that follows from the times; split-K decode fills whole waves of it. Absent in older reports.
   */
  wave?: { workgroups: number; derivation: string };
}

export interface ProfileResult {
  id: string;
  variant: KernelVariant;
  label: string;
  own: boolean;
  qHeads: number;
  kvHeads: number;
  headDim: number;
  vHeadDim: number;
  mode: ProfileMode;
  layerKind: KernelCase['layerKind'];
  windowTokens: number;
  chunkTokens: number;
  context: number;
  batch: number;
  storage: 'f16' | 'f32';
  /** Per layer; null when the case was skipped. */
  medianUs: number | null;
  minUs: number | null;
  p90Us: number | null;
  gbps: number | null;
  /** gbps / measured copy bandwidth × 100 (the copy peak). */
  pctBandwidth: number | null;
  /** gbps / measured read-only bandwidth × 100 (the read peak: decode's bound). */
  pctReadBandwidth?: number | null;
  tflops: number | null;
  /** tflops / measured FMA peak (f32: accumulation is f32) × 100. */
  pctFlops: number | null;
  /** mlaMatrix.wgsl's cases: tflops / the measured subgroup-matrix peak (peaks.matrixTFlops) × 100. */
  pctMatrixFlops?: number | null;
  /**
   * The type the kernel multiplied in, sums always in f32: f16 for tile2's MLA absorbed decode where
   * K/V are f16 (f16 products) and for mlaMatrix's f16 matrices, else f32. Absent in older reports.
   */
  products?: 'f16' | 'f32';
  /** tile2's cases: whether it loaded the next K chunk or V block into registers before the math on the current one. */
  prefetch?: boolean;
  /** Cases with f16 products outside matrices: tflops / the measured f16 FMA peak (peaks.f16TFlops) × 100. */
  pctF16Flops?: number | null;
  /** max(bytes / bandwidth, FLOPs / peak) / time × 100: how close to the device's own roofline. */
  pctRoofline: number | null;
  bytes: number;
  flops: number;
  maxAbsError: number | null;
  /** The correctness gate passed and the case was timed; a failed or skipped case shows no timing. */
  ok: boolean;
  /** measured; skipped (could not run here: device limits, time limit); failed (wrong results). */
  status: 'measured' | 'skipped' | 'failed';
  /** Why the case was not measured (device limits, estimated time), if it was not. */
  skipped?: string;
  splits?: number;
  /** K/V copies rotated through so timed runs read memory, not a warm cache. */
  coldCopies?: number;
  /** Bytes of K/V those copies total; a case under its cold target says so in `coldNote`. */
  coldBytes?: number;
  /** Set when the rotated copies could not reach the cold target (memory budget): the cache may flatter it. */
  coldNote?: string;
  /** Set when the GPU timestamps and the wall clock disagree (timestamps longer than the wall-clock pass). */
  timingNote?: string;
  /** The kernel generation that ran this case (a mode without a v2 kernel runs v1's under --kernel v2). */
  kernel?: KernelGeneration;
  /** The WGSL kernel that ran: decode2 (v2 decode), decode, prefill or tiled. */
  kernelName?: string;
  /** K/V dispatched in this many chunks to fit the device's storage-binding limit (1: one binding). */
  kvChunks?: number;
  samples?: number;
  timing?: 'timestamp' | 'wall-clock';
  /** Cross-check of the GPU timestamps: one wall-clock pass per repetition, µs (adds submission overhead). */
  wallClockUs?: number;
}

export interface ProfileReport {
  device: DeviceInfo;
  /** The peaks measured again after the last case; a run whose peaks moved > 10% is flagged in notes. */
  peaksAfter?: DevicePeaks;
  results: ProfileResult[];
  notes: string[];
  startedAt: string;
  finishedAt: string;
}

export interface ProfileSettings {
  samples: number;
  warmupPasses: number;
  /** Dawn backend to ask for (default: the platform's). */
  backend?: 'default' | 'vulkan' | 'metal' | 'd3d12' | 'opengl';
  /** Ignore shader-f16 and store KV in f32. */
  forceF32?: boolean;
  /**
   * The adapter to profile on (`--adapter`, setting attentionLens.profile.adapter): an index into
   * Dawn's list or a part of a name. Unset: Dawn's high-performance choice (a discrete GPU before an
   * integrated one, a GPU before a software adapter).
   */
  adapter?: string;
  /**
   * Kernel generation (`--kernel`, default auto): v2 runs the v2 decode kernel for MHA/GQA/MQA, v1 the
   * reference kernels it is measured beside. Modes without a v2 kernel run v1's under either.
   */
  kernel?: KernelChoice;
  /** A case whose estimated run time exceeds this is skipped with the estimate as the reason. */
  maxCaseSeconds: number;
  /** Copy-bandwidth probe working set; ≥ 256 MB per kernels.md unless the device allows less. */
  peakBytes?: number;
  /** Seconds of sustained load before the peaks and each case (default 1 on a GPU, 0.05 on a software adapter). */
  sustainSeconds?: number;
  /**
   * MLA absorbed decode on the adapter's subgroup matrices (mlaMatrix.wgsl) where the device was opened
   * with them and has a shape the kernel takes; v2 only. The benchmark and gpu:check set it.
   */
  matrices?: boolean;
  /**
   * MLA absorbed decode on tile2.wgsl: the type it multiplies in. Default: f16 where K/V are stored in
   * f16 and the measured f16 FMA peak is above the f32 one, else f32. The benchmark runs the other beside.
   */
  products?: 'f16' | 'f32';
  /** tile2.wgsl's register prefetch of the next K/V block (default on); the benchmark runs it off beside. */
  prefetch?: boolean;
}

/** Defaults shared by the CLI and the editor. */
export const DEFAULT_PROFILE_SETTINGS: ProfileSettings = { samples: 30, warmupPasses: 10, maxCaseSeconds: 120 };
export const DEFAULT_PROFILE_TIMEOUT_S = 1800;

export type WorkerRequest = { type: 'run'; plan: ProfilePlan; settings: ProfileSettings } | { type: 'list-adapters' };

/** One of Dawn's adapters as `--list-adapters` shows it; `chosen` marks the one a profile would open. */
export interface AdapterListing {
  index: number;
  name: string;
  backend: string;
  chosen: boolean;
  /** A software adapter (lavapipe, SwiftShader, WARP): profiling it measures the CPU. */
  software?: boolean;
}

export type WorkerErrorCode = 'no-adapter' | 'device-lost' | 'gpu-error' | 'bad-request' | 'internal';

export type WorkerEvent =
  | { type: 'ready' }
  | { type: 'device'; device: DeviceInfo }
  | { type: 'progress'; done: number; total: number; message: string }
  | { type: 'log'; level: 'info' | 'warn'; message: string }
  | { type: 'result'; result: ProfileResult }
  | { type: 'done'; report: ProfileReport }
  | { type: 'adapters'; adapters: AdapterListing[]; chosen: { name: string; software: boolean } | null }
  | { type: 'error'; code: WorkerErrorCode; message: string };

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isStr = (x: unknown): x is string => typeof x === 'string';

export function isWorkerEvent(x: unknown): x is WorkerEvent {
  if (!isObject(x) || !isStr(x.type)) return false;
  switch (x.type) {
    case 'ready':
      return true;
    case 'device':
      return isObject(x.device) && isStr(x.device.adapter) && isObject(x.device.peaks);
    case 'progress':
      return isNum(x.done) && isNum(x.total) && isStr(x.message);
    case 'log':
      return (x.level === 'info' || x.level === 'warn') && isStr(x.message);
    case 'result':
      return isObject(x.result) && isStr(x.result.variant) && isNum(x.result.context) && typeof x.result.ok === 'boolean';
    case 'done':
      return isObject(x.report) && isObject(x.report.device) && Array.isArray(x.report.results);
    case 'error':
      return isStr(x.code) && isStr(x.message);
    case 'adapters':
      return Array.isArray(x.adapters) && x.adapters.every((a) => isObject(a) && isNum(a.index) && isStr(a.name) && isStr(a.backend)) && (x.chosen === null || isObject(x.chosen));
    default:
      return false;
  }
}

export function isWorkerRequest(x: unknown): x is WorkerRequest {
  if (isObject(x) && x.type === 'list-adapters') return true;
  if (!isObject(x) || x.type !== 'run' || !isObject(x.plan) || !isObject(x.settings)) return false;
  const s = x.settings;
  return Array.isArray(x.plan.cases) && isNum(s.samples) && s.samples >= 1 && isNum(s.warmupPasses) && s.warmupPasses >= 0 && isNum(s.maxCaseSeconds);
}
