/**
 * Which device runs the MLA eigenproblems, and the fallback when it fails. 'auto' opens WebGPU only
 * when a loader is given and keeps it only on a hardware adapter (on lavapipe, llvmpipe or SwiftShader
 * the WASM-SIMD CPU path is faster); 'gpu' keeps any adapter; 'cpu' never opens one. No adapter, a
 * device lost mid-run or a shape beyond the adapter's limits: the layer (and the rest) run on the CPU
 * and a note says so. The GPU is opened lazily, on the first layer that needs it.
 */
import { jointLowRank, type JointSpectrum } from '../conversions';
import type { Kernels } from '../kernels';
import type { LoadQualityGpu, QualityBackendJson, QualityDevice, QualityGpu } from './types';

export class MathBackend {
  private gpu: QualityGpu | undefined;
  private opened = false;
  private info: { adapter: string; api: string; software: boolean } | undefined;
  private gpuLayers = 0;
  private cpuLayers = 0;

  constructor(
    private readonly device: QualityDevice,
    private readonly loadGpu: LoadQualityGpu | undefined,
    private readonly kernels: Kernels,
    private readonly notes: string[],
  ) {}

  async jointLowRank(Wk: Float32Array, kRows: number, Wv: Float32Array, vRows: number, hidden: number, ranks: number[], layer: number): Promise<JointSpectrum> {
    const gpu = await this.open();
    if (gpu) {
      try {
        const result = await gpu.jointLowRank(Wk, kRows, Wv, vRows, hidden, ranks);
        this.gpuLayers++;
        return result;
      } catch (e) {
        const lost = gpu.lostReason;
        const why = lost !== undefined ? `the device was lost (${lost})` : e instanceof Error ? e.message : String(e);
        this.notes.push(`WebGPU (${gpu.adapter}) failed at layer ${layer}: ${why}. That layer and the rest were measured on the CPU (${this.kernels.kind}).`);
        this.close();
      }
    }
    this.cpuLayers++;
    return jointLowRank(this.kernels, Wk, kRows, Wv, vRows, hidden, ranks);
  }

  /** What ran, for the measurement's `backend`. */
  describe(): QualityBackendJson {
    if (!this.info || this.gpuLayers === 0) return { kind: 'cpu', kernels: this.kernels.kind };
    return { kind: 'webgpu', ...this.info, gpuLayers: this.gpuLayers, cpuLayers: this.cpuLayers, cpuKernels: this.kernels.kind };
  }

  /** The text for a conversion's `method`: where each stage ran. */
  methodText(): string {
    if (!this.info || this.gpuLayers === 0) return `on the CPU in f64 (${this.kernels.kind})`;
    const where = `Gram matrix, tridiagonalization, back-transform and K/V split in f32 on WebGPU (${this.info.adapter}), the tridiagonal's eigenvalues and eigenvectors in f64 on the CPU`;
    return this.cpuLayers > 0 ? `${where}; ${this.cpuLayers} layer${this.cpuLayers === 1 ? '' : 's'} on the CPU in f64 (see notes)` : where;
  }

  close(): void {
    this.gpu?.destroy();
    this.gpu = undefined;
  }

  private async open(): Promise<QualityGpu | undefined> {
    if (this.opened) return this.gpu;
    this.opened = true;
    if (this.device === 'cpu') return undefined;
    if (!this.loadGpu) {
      if (this.device === 'gpu') this.notes.push(`device gpu: this build carries no WebGPU backend; measured on the CPU (${this.kernels.kind}).`);
      return undefined;
    }
    let gpu: QualityGpu;
    try {
      gpu = await this.loadGpu();
    } catch (e) {
      this.notes.push(`device ${this.device}: no WebGPU device (${e instanceof Error ? e.message : String(e)}); measured on the CPU (${this.kernels.kind}).`);
      return undefined;
    }
    if (this.device === 'auto' && gpu.software) {
      this.notes.push(`device auto: the WebGPU adapter is ${gpu.adapter}, a software rasterizer, where the CPU kernels (${this.kernels.kind}) are faster; measured on the CPU (--device gpu forces WebGPU).`);
      gpu.destroy();
      return undefined;
    }
    this.gpu = gpu;
    this.info = { adapter: gpu.adapter, api: gpu.api, software: gpu.software };
    return gpu;
  }
}
