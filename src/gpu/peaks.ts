/**
 * The device's own limits, measured with peaks.wgsl: copy and read-only bandwidth over a working set far
 * larger than any cache (256 MB by default), and the f32 / f16 FMA rate of independent register chains.
 * Every kernel result is reported as a percentage of these, naming which. Clocks: the peaks follow ≥ 1 s
 * of sustained work (a GPU idles at low clocks and boosts under load), and are measured again after the
 * cases, so a run whose clocks moved says so.
 */
import type { GpuContext } from './device';
import { matrixPeakWgsl, peaksWgsl, type StorageType } from './shaders';
import { describeMatrixConfig, pickMatrixConfig } from './matrices';
import { timeWork, type TimingOptions } from './timing';
import type { DevicePeaks } from '../shared/profileProtocol';
export { peakDrift, PEAK_DRIFT_LIMIT } from '../shared/measurement';

export const DEFAULT_PEAK_BYTES = 256 * 1024 * 1024;

export async function measurePeaks(ctx: GpuContext, options: TimingOptions & { peakBytes?: number }): Promise<DevicePeaks> {
  const copy = await measureBandwidth(ctx, 'copy', options);
  const read = await measureBandwidth(ctx, 'read', options);
  const f32 = await measureFma(ctx, 'f32', options);
  const f16 = ctx.hasF16 ? await measureFma(ctx, 'f16', options) : null;
  return {
    copyGBps: copy.value,
    readGBps: read.value,
    f32TFlops: f32.value,
    f16TFlops: f16 ? f16.value : null,
    derivation: [copy.line, read.line, f32.line, ...(f16 ? [f16.line] : [])],
  };
}

/**
 * `peaks` with the subgroup-matrix peak on mlaMatrix's shape added, where the device has subgroup
 * matrices (else unchanged). Measured only by runs that use them, right before they do: an experimental
 * feature that failed here costs that peak (null, with the reason), and one that took the device down
 * would not take the other peaks with it.
 */
export async function withMatrixPeak(ctx: GpuContext, peaks: DevicePeaks, options: TimingOptions): Promise<DevicePeaks> {
  const matrix = await measureMatrix(ctx, options);
  return matrix ? { ...peaks, matrixTFlops: matrix.value, matrixShape: matrix.shape, derivation: [...peaks.derivation, matrix.line] } : peaks;
}

/**
 * Keeps the device busy for `seconds` (copies and FMA chains, alternating) so its clocks reach the level
 * they hold under load before anything is timed. Returns the seconds it ran.
 */
export async function sustainLoad(ctx: GpuContext, seconds: number, signal?: AbortSignal): Promise<number> {
  if (seconds <= 0) return 0;
  const { device } = ctx;
  const bytes = Math.floor(Math.min(64 * 2 ** 20, ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize) / 16) * 16;
  const module = device.createShaderModule({ code: peaksWgsl('f32') });
  const copy = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'copy' } });
  const params = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(params, 0, new Uint32Array([bytes / 16, 0, 0, 0]));
  const src = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE });
  const dst = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE });
  const group = device.createBindGroup({ layout: copy.getBindGroupLayout(0), entries: [params, src, dst].map((buffer, binding) => ({ binding, resource: { buffer } })) });
  const workgroups = Math.min(ctx.limits.maxComputeWorkgroupsPerDimension, Math.ceil(bytes / 16 / 256), 8192);
  const t0 = performance.now();
  try {
    while ((performance.now() - t0) / 1000 < seconds) {
      signal?.throwIfAborted();
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(copy);
      pass.setBindGroup(0, group);
      for (let i = 0; i < 8; i++) pass.dispatchWorkgroups(workgroups);
      pass.end();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
    }
    ctx.throwIfErrored();
    return (performance.now() - t0) / 1000;
  } finally {
    for (const b of [params, src, dst]) b.destroy();
  }
}

/** A measured peak and the line that derives it from its bytes or FLOPs and its median time. */
interface Peak {
  value: number;
  line: string;
}

/** copy: read N and write N bytes; read: read N bytes (a reduction). */
async function measureBandwidth(ctx: GpuContext, kind: 'copy' | 'read', options: TimingOptions & { peakBytes?: number }): Promise<Peak> {
  const { device } = ctx;
  const wanted = options.peakBytes ?? DEFAULT_PEAK_BYTES;
  const bytes = Math.floor(Math.min(wanted, ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize) / 16) * 16;
  const module = device.createShaderModule({ code: peaksWgsl('f32') });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: kind === 'read' ? 'read_sum' : 'copy' } });
  const params = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(params, 0, new Uint32Array([bytes / 16, 0, 0, 0]));
  const src = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE });
  // The reduction writes nothing that counts: a small target keeps its working set the source alone.
  const dst = device.createBuffer({ size: kind === 'copy' ? bytes : 4096, usage: GPUBufferUsage.STORAGE });
  const group = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [params, src, dst].map((buffer, binding) => ({ binding, resource: { buffer } })) });
  // Enough workgroups to fill any GPU; each thread then strides over the rest.
  const workgroups = Math.min(ctx.limits.maxComputeWorkgroupsPerDimension, Math.ceil(bytes / 16 / 256), 8192);
  try {
    ctx.throwIfErrored();
    const t = await timeWork(ctx, (pass) => {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(workgroups);
    }, options);
    if (kind === 'read') {
      const value = bytes / (t.medianUs * 1e3);
      return { value, line: `read GB/s = ${bytes} B (read only) / ${t.medianUs.toFixed(1)} µs median of ${t.samples} = ${value.toFixed(3)}` };
    }
    const value = (2 * bytes) / (t.medianUs * 1e3);
    return { value, line: `copy GB/s = 2 × ${bytes} B (read + written) / ${t.medianUs.toFixed(1)} µs median of ${t.samples} = ${value.toFixed(3)}` };
  } finally {
    for (const b of [params, src, dst]) b.destroy();
  }
}

/**
 * The subgroup-matrix rate on mlaMatrix.wgsl's shape. An experimental feature: a failure here costs this
 * peak (null, with the reason as its line), not the run.
 */
async function measureMatrix(ctx: GpuContext, options: TimingOptions): Promise<(Omit<Peak, 'value'> & { value: number | null; shape: string }) | null> {
  const pick = pickMatrixConfig(ctx);
  if (!('config' in pick)) return null;
  const c = pick.config;
  const shape = describeMatrixConfig({ componentType: c.component, resultComponentType: 'f32', M: c.m, N: c.n, K: c.k });
  try {
    const iterations = 2048;
    const peak = await measureChains(ctx, matrixPeakWgsl(c), 'matrix_chain', iterations, options);
    // 4 subgroups × 4 chains × 2·M·N·K FLOPs per iteration.
    const perWorkgroup = 4 * 4 * 2 * c.m * c.n * c.k * iterations;
    const flops = peak.workgroups * perWorkgroup;
    const value = flops / (peak.medianUs * 1e6);
    return { value, shape, line: `matrix TFLOP/s (${shape}) = ${peak.workgroups} workgroups × 4 subgroups × ${iterations} iterations × 4 × 2·${c.m}·${c.n}·${c.k} FLOPs = ${flops} / ${peak.medianUs.toFixed(1)} µs median of ${peak.samples} = ${value.toFixed(3)}` };
  } catch (e) {
    clearAfterFailure(ctx);
    return { value: null, shape, line: `matrix TFLOP/s (${shape}): not measured: ${e instanceof Error ? e.message : String(e)}` };
  }
}

function clearAfterFailure(ctx: GpuContext): void {
  try {
    ctx.throwIfErrored();
  } catch {
    // The error is the reason already given.
  }
}

async function measureFma(ctx: GpuContext, type: StorageType, options: TimingOptions): Promise<Peak> {
  const iterations = 4096;
  const peak = await measureChains(ctx, peaksWgsl(type), 'fma_chain', iterations, options);
  // 4 vec4 chains = 16 FMAs = 32 FLOPs per iteration per thread.
  const flops = peak.workgroups * 256 * iterations * 32;
  const value = flops / (peak.medianUs * 1e6);
  return { value, line: `${type} TFLOP/s = ${peak.workgroups} workgroups × 256 threads × ${iterations} iterations × 32 FLOPs = ${flops} / ${peak.medianUs.toFixed(1)} µs median of ${peak.samples} = ${value.toFixed(5)}` };
}

/**
 * Times an entry point of register chains (`iterations` per thread, its only binding PP and dst): the
 * grid is 1024 workgroups, or fewer where one dispatch would last over about 20 ms.
 */
async function measureChains(ctx: GpuContext, code: string, entryPoint: string, iterations: number, options: TimingOptions): Promise<{ workgroups: number; medianUs: number; samples: number }> {
  const { device } = ctx;
  const module = device.createShaderModule({ code });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint } });
  const params = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(params, 0, new Uint32Array([256, iterations, 0, 0]));
  const dst = device.createBuffer({ size: 256 * 16 * 4, usage: GPUBufferUsage.STORAGE });
  // The chains do not read `src`, so the auto layout has only bindings 0 and 2.
  const group = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: params } }, { binding: 2, resource: { buffer: dst } }] });
  // 1024 workgroups of 256 fill the largest GPUs; a software adapter (lavapipe) would need most of a
  // second per dispatch, so shrink the grid until one dispatch lasts about 20 ms (it still fills the CPU).
  let workgroups = Math.min(ctx.limits.maxComputeWorkgroupsPerDimension, 1024);
  const once = async (): Promise<number> => {
    const t0 = performance.now();
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(workgroups);
    pass.end();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  };
  try {
    ctx.throwIfErrored();
    await once(); // compile and warm
    const ms = await once();
    if (ms > 20) workgroups = Math.max(16, Math.floor((workgroups * 20) / ms));
    const t = await timeWork(ctx, (pass) => {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(workgroups);
    }, options);
    return { workgroups, medianUs: t.medianUs, samples: t.samples };
  } finally {
    for (const b of [params, dst]) b.destroy();
  }
}
