/**
 * Adapter and device through Dawn's Node bindings (npm `webgpu`), with the toggles kernels.md asks
 * for, the optional features we use, and the adapter's own limits. No adapter → an error that says
 * which backend failed and how to fix it on this OS.
 */
import { create, globals } from 'webgpu';
import { adapterFlagsFromEnv, matrixConfigs, type SubgroupMatrixConfig } from './host/adapters';

export type Backend = 'default' | 'vulkan' | 'metal' | 'd3d12' | 'opengl' | 'null';

export interface GpuContext {
  device: GPUDevice;
  adapterName: string;
  backend: string;
  vendor: string;
  architecture: string;
  features: string[];
  hasF16: boolean;
  hasTimestamps: boolean;
  /** The `subgroups` feature is on, and the adapter's smallest subgroup size (null when unknown or off). */
  hasSubgroups: boolean;
  subgroupMinSize: number | null;
  subgroupMaxSize: number | null;
  /**
   * Opened with `matrices` on an adapter that has them: `chromium-experimental-subgroup-matrix` is on
   * and these are the shapes it multiplies. Empty otherwise.
   */
  subgroupMatrixConfigs: SubgroupMatrixConfig[];
  limits: { maxStorageBufferBindingSize: number; maxBufferSize: number; maxComputeWorkgroupStorageSize: number; maxComputeInvocationsPerWorkgroup: number; maxComputeWorkgroupsPerDimension: number };
  /** Device loss (driver reset, crash): resolves with the reason. */
  lost: Promise<string>;
  /** Throws the first uncaptured WebGPU error (validation, out of memory) seen since the last call. */
  throwIfErrored(): void;
  destroy(): void;
}

export class NoAdapterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoAdapterError';
  }
}

let globalsInstalled = false;
/**
 * Dawn's instance must outlive every device made from it: if the GPU object is garbage-collected while a
 * device is in use, the native side frees it and the process crashes. Keep it for the process's life:
 * dropping it after the last device is destroyed crashes too (a segfault at the next major GC while the
 * destroyed device's wrapper is still reachable — the quality worker destroys a software adapter's
 * device and then runs on the CPU for minutes). With every device destroyed, Node still exits on its own.
 */
let instance: GPU | undefined;
/** With Dawn's unsafe APIs allowed (subgroup matrices are behind them): kept as long, for the same reason. */
let unsafeInstance: GPU | undefined;
/** Open devices (for the no-adapter path: an instance that never made a device can go). */
let openDevices = 0;

/**
 * `adapter`: Dawn's exact adapter name (resolveAdapter's choice); otherwise the high-performance one.
 * `matrices`: also turn on `chromium-experimental-subgroup-matrix` where the adapter has it, through an
 * instance with Dawn's unsafe APIs allowed (the feature is experimental: only the kernels that ask for
 * it — mlaMatrix.wgsl — use it, and the benchmark and gpu:check ask).
 */
export async function openGpu(options: { backend?: Backend; forceF32?: boolean; adapter?: string; matrices?: boolean } = {}): Promise<GpuContext> {
  if (!globalsInstalled) {
    Object.assign(globalThis, globals);
    globalsInstalled = true;
  }
  // Timestamps are quantized to 65.536 µs unless this Dawn feature is disabled.
  const flags = ['disable-dawn-features=timestamp_quantization'];
  if (options.backend && options.backend !== 'default') flags.push(`backend=${options.backend}`);
  // Dawn's own choice by name (a case-sensitive part of it; we pass the whole name). Without one,
  // gpu:check's --adapter (ATTENTION_LENS_ADAPTER) for every part it runs.
  if (options.adapter) flags.push(`adapter=${options.adapter}`);
  else {
    try {
      flags.push(...(await adapterFlagsFromEnv()).flags.filter((f) => !(f.startsWith('backend=') && flags.some((g) => g.startsWith('backend=')))));
    } catch (e) {
      throw new NoAdapterError(e instanceof Error ? e.message : String(e));
    }
  }
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  const gpu = options.matrices ? (unsafeInstance ??= create([...flags, 'enable-dawn-features=allow_unsafe_apis'])) : (instance ??= create(flags));
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    if (openDevices === 0) {
      instance = undefined;
      unsafeInstance = undefined;
    }
    throw new NoAdapterError(noAdapterMessage(options.backend ?? 'default'));
  }

  const wanted: GPUFeatureName[] = ['timestamp-query', 'subgroups'];
  if (!options.forceF32) wanted.push('shader-f16');
  if (options.matrices) wanted.push('chromium-experimental-subgroup-matrix' as GPUFeatureName);
  const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
  const a = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxStorageBufferBindingSize: a.maxStorageBufferBindingSize,
      maxBufferSize: a.maxBufferSize,
      maxComputeWorkgroupStorageSize: a.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: a.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: a.maxComputeWorkgroupSizeX,
      maxStorageBuffersPerShaderStage: Math.min(a.maxStorageBuffersPerShaderStage, 10),
    },
  });
  const info = adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  const description = [info.description, info.device].filter((s) => s && s.length > 0).join(' ') || [info.vendor, info.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  const features = [...device.features].map(String).sort();
  openDevices++;
  let destroyed = false;
  const lost = device.lost.then((l) => `${l.reason}: ${l.message}`);
  // Error scopes' promises do not settle reliably in Dawn's Node bindings; collect uncaptured errors instead.
  let firstError: string | undefined;
  device.onuncapturederror = (event) => {
    firstError ??= event.error.message;
  };
  return {
    device,
    adapterName: description,
    backend: backendName(info, options.backend),
    vendor: info.vendor,
    architecture: info.architecture,
    features,
    hasF16: device.features.has('shader-f16'),
    hasTimestamps: device.features.has('timestamp-query'),
    hasSubgroups: device.features.has('subgroups'),
    subgroupMinSize: device.features.has('subgroups') && typeof info.subgroupMinSize === 'number' && info.subgroupMinSize > 0 ? info.subgroupMinSize : null,
    subgroupMaxSize: device.features.has('subgroups') && typeof info.subgroupMaxSize === 'number' && info.subgroupMaxSize > 0 ? info.subgroupMaxSize : null,
    subgroupMatrixConfigs: device.features.has('chromium-experimental-subgroup-matrix') ? matrixConfigs(info) : [],
    limits: {
      maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
      maxBufferSize: device.limits.maxBufferSize,
      maxComputeWorkgroupStorageSize: device.limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: device.limits.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
    },
    lost,
    throwIfErrored() {
      if (firstError !== undefined) {
        const message = firstError;
        firstError = undefined;
        throw new Error(`WebGPU error: ${message}`);
      }
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      device.destroy();
      openDevices--;
    },
  };
}

function backendName(info: GPUAdapterInfo, requested: Backend | undefined): string {
  const anyInfo = info as unknown as { backendType?: string };
  if (anyInfo.backendType) return anyInfo.backendType;
  if (requested && requested !== 'default') return requested;
  return process.platform === 'darwin' ? 'metal' : process.platform === 'win32' ? 'd3d12' : 'vulkan';
}

export function noAdapterMessage(backend: Backend): string {
  const which = backend === 'default' ? 'the default backend' : `the ${backend} backend`;
  switch (process.platform) {
    case 'linux':
      return `no WebGPU adapter: Dawn found no usable GPU through ${which} (Vulkan on Linux). Install your GPU's Vulkan driver; on a machine without a GPU install Mesa's lavapipe 23 or newer (Debian 12: add bookworm-backports and run "apt-get install -t bookworm-backports mesa-vulkan-drivers"; Ubuntu 24.04: "apt-get install mesa-vulkan-drivers"), then check with "vulkaninfo --summary".`;
    case 'darwin':
      return `no WebGPU adapter: Dawn found no Metal device through ${which}. Metal needs macOS 11 or newer on a Mac with a Metal-capable GPU; in a VM or over SSH without a GPU session there is none.`;
    case 'win32':
      return `no WebGPU adapter: Dawn found no D3D12 device through ${which}. Update the GPU driver (Windows 10 1909 or newer); in Remote Desktop or a VM without a GPU, install the WARP/D3D12 runtime or run on a machine with a GPU.`;
    default:
      return `no WebGPU adapter: Dawn found none through ${which} on ${process.platform}.`;
  }
}
