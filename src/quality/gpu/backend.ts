/**
 * Which device runs the MLA eigenproblems, and the fallback when it fails. 'auto' opens WebGPU only
 * when a loader is given and keeps it only on a hardware adapter (on lavapipe, llvmpipe or SwiftShader
 * the WASM-SIMD CPU path is faster); 'gpu' keeps any adapter; 'cpu' never opens one. No adapter, a
 * device lost mid-run or a shape beyond the adapter's limits: the layer (and the rest) run on the CPU
 * and a note says so. The GPU is opened lazily, on the first layer that needs it.
 */
import { jointLowRank, type JointSpectrum } from '../conversions';
import type { Kernels } from '../kernels';
import type { JointLowRankJob, LoadQualityGpu, QualityBackendJson, QualityDevice, QualityGpu } from './types';

/** Which layers ran a stage where: a layer counts as a GPU layer only when all its GPU work succeeded. */
interface StageLayers {
  gpu: Set<number>;
  cpu: Set<number>;
}

export class MathBackend {
  private gpu: QualityGpu | undefined;
  private opened = false;
  private info: { adapter: string; api: string; software: boolean } | undefined;
  private readonly mla: StageLayers = { gpu: new Set(), cpu: new Set() };
  private readonly kv: StageLayers = { gpu: new Set(), cpu: new Set() };

  constructor(
    private readonly device: QualityDevice,
    private readonly loadGpu: LoadQualityGpu | undefined,
    private readonly kernels: Kernels,
    private readonly notes: string[],
  ) {}

  /** Opens the GPU now (when it is to be used) so that beginJointLowRank can queue work without waiting. */
  async ready(): Promise<void> {
    await this.open();
  }

  /**
   * One layer's MLA spectrum, begun: on the GPU the Gram matrix and tridiagonalization are queued
   * before this returns (call ready() first, or this layer runs on the CPU); on the CPU nothing runs
   * until finish. finish(onGpuFree) gives the same JointSpectrum as jointLowRank and calls onGpuFree
   * exactly once, whatever happens — the measure loop begins the next layer there.
   */
  beginJointLowRank(Wk: Float32Array, kRows: number, Wv: Float32Array, vRows: number, hidden: number, ranks: number[], layer: number): { finish(onGpuFree: () => void): Promise<JointSpectrum> } {
    const gpu = this.gpu;
    let job: JointLowRankJob | undefined;
    if (gpu) {
      try {
        job = gpu.beginJointLowRank(Wk, kRows, Wv, vRows, hidden, ranks);
      } catch (e) {
        this.fail(gpu, e, layer, 'MLA spectrum');
      }
    }
    const cpu = (): JointSpectrum => {
      this.mla.cpu.add(layer);
      return jointLowRank(this.kernels, Wk, kRows, Wv, vRows, hidden, ranks);
    };
    return {
      finish: async (onGpuFree) => {
        let freed = false;
        const free = (): void => {
          if (freed) return;
          freed = true;
          onGpuFree();
        };
        if (job && gpu) {
          try {
            const result = await job.finish(free);
            this.mla.gpu.add(layer);
            return result;
          } catch (e) {
            // A GPU closed since (an earlier failure): its note is written already.
            if (this.gpu === gpu) this.fail(gpu, e, layer, 'MLA spectrum');
          }
        }
        free();
        return cpu();
      },
    };
  }

  /**
   * The KV-quantization projections X·Wᵀ (tokens × rows, f32) on the GPU, or undefined when the CPU is
   * to compute them: no GPU chosen, or it failed just now (a note says so and the GPU is closed).
   */
  async project(X: Float32Array, tokens: number, hidden: number, projections: { W: Float32Array; rows: number }[], layer: number): Promise<Float32Array[] | undefined> {
    const gpu = await this.open();
    if (gpu) {
      try {
        const out = await gpu.project(X, tokens, hidden, projections);
        this.kv.gpu.add(layer);
        return out;
      } catch (e) {
        this.fail(gpu, e, layer, 'KV projections');
      }
    }
    this.kv.cpu.add(layer);
    return undefined;
  }

  /** What ran, for the measurement's `backend`: a layer is a GPU layer when none of its stages fell back. */
  describe(): QualityBackendJson {
    const gpuAny = new Set([...this.mla.gpu, ...this.kv.gpu]);
    if (!this.info || gpuAny.size === 0) return { kind: 'cpu', kernels: this.kernels.kind };
    const cpuAny = new Set([...this.mla.cpu, ...this.kv.cpu]);
    const gpuLayers = [...gpuAny].filter((l) => !cpuAny.has(l)).length;
    return { kind: 'webgpu', ...this.info, gpuLayers, cpuLayers: cpuAny.size, cpuKernels: this.kernels.kind };
  }

  /** The text for an MLA conversion's `method`: where each stage ran. */
  methodText(): string {
    if (!this.info || this.mla.gpu.size === 0) return `on the CPU in f64 (${this.kernels.kind})`;
    const where = `Gram matrix, tridiagonalization, back-transform (compact-WY blocks) and K/V split in f32 on WebGPU (${this.info.adapter}), the tridiagonal's eigenvalues and eigenvectors in f64 on the CPU`;
    return this.mla.cpu.size > 0 ? `${where}; ${plural(this.mla.cpu.size, 'layer')} on the CPU in f64 (see notes)` : where;
  }

  /** Where a KV-quantization conversion's projections ran: '' when all ran on the CPU. */
  kvMethodText(): string {
    if (!this.info || this.kv.gpu.size === 0) return '';
    const where = `K and V products in f32 on WebGPU (${this.info.adapter}); bias, k_norm and the round-trips in f64 on the CPU`;
    return this.kv.cpu.size > 0 ? `${where}; ${plural(this.kv.cpu.size, 'layer')} entirely on the CPU (see notes)` : where;
  }

  private fail(gpu: QualityGpu, e: unknown, layer: number, stage: string): void {
    const lost = gpu.lostReason;
    const why = lost !== undefined ? `the device was lost (${lost})` : e instanceof Error ? e.message : String(e);
    this.notes.push(`WebGPU (${gpu.adapter}) failed at layer ${layer} (${stage}): ${why}. That stage and everything after it were measured on the CPU (${this.kernels.kind}).`);
    this.close();
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

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
