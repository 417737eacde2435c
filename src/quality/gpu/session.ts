/**
 * One WebGPU device for the quality math, over src/gpu/device.ts's openGpu: buffer helpers, pipeline
 * cache, and every wait raced against device loss, so a GPU that dies mid-run rejects with
 * GpuLostError (the caller finishes on the CPU) instead of hanging on a map that never completes.
 */
import type { GpuContext } from '../../gpu/device';

export class GpuLostError extends Error {
  constructor(readonly reason: string) {
    super(`the GPU device was lost (${reason})`);
    this.name = 'GpuLostError';
  }
}

/** A problem that does not fit this adapter's buffers: the CPU measures it instead. */
export class GpuLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpuLimitError';
  }
}

/** Uniform slots per dynamic offset: 256 bytes is the largest minUniformBufferOffsetAlignment allowed. */
export const UNIFORM_SLOT_BYTES = 256;

export class GpuSession {
  readonly device: GPUDevice;
  private lostReason: string | undefined;
  private readonly lostPromise: Promise<never>;
  private readonly pipelines = new Map<string, GPUComputePipeline>();

  constructor(readonly ctx: GpuContext) {
    this.device = ctx.device;
    this.lostPromise = ctx.lost.then((reason) => {
      this.lostReason = reason;
      throw new GpuLostError(reason);
    });
    // Nobody may be waiting when the device goes: keep the rejection from being unhandled.
    this.lostPromise.catch(() => undefined);
  }

  get lost(): string | undefined {
    return this.lostReason;
  }

  /** The largest storage buffer one binding can see. */
  get maxBindingBytes(): number {
    return Math.min(this.ctx.limits.maxStorageBufferBindingSize, this.ctx.limits.maxBufferSize);
  }

  /** Throws when the device is gone or a WebGPU error was reported. */
  check(): void {
    if (this.lostReason !== undefined) throw new GpuLostError(this.lostReason);
    this.ctx.throwIfErrored();
  }

  storage(bytes: number, label: string): GPUBuffer {
    if (bytes > this.maxBindingBytes) throw new GpuLimitError(`${label} needs ${bytes} bytes, beyond this adapter's ${this.maxBindingBytes}-byte storage binding limit`);
    return this.device.createBuffer({ label, size: Math.max(16, align(bytes, 16)), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  }

  uniform(words: Uint32Array, label: string): GPUBuffer {
    const buffer = this.device.createBuffer({ label, size: Math.max(16, align(words.byteLength, 16)), usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.device.queue.writeBuffer(buffer, 0, words);
    return buffer;
  }

  write(buffer: GPUBuffer, data: Float32Array, offsetBytes = 0): void {
    this.device.queue.writeBuffer(buffer, offsetBytes, data.buffer, data.byteOffset, data.byteLength);
  }

  pipeline(key: string, code: () => string, entryPoint: string, layout?: GPUPipelineLayout): GPUComputePipeline {
    const id = `${key}:${entryPoint}`;
    let p = this.pipelines.get(id);
    if (!p) {
      const module = this.device.createShaderModule({ label: key, code: code() });
      p = this.device.createComputePipeline({ label: id, layout: layout ?? 'auto', compute: { module, entryPoint } });
      this.pipelines.set(id, p);
      this.check();
    }
    return p;
  }

  submit(encode: (encoder: GPUCommandEncoder) => void): void {
    const encoder = this.device.createCommandEncoder();
    encode(encoder);
    this.device.queue.submit([encoder.finish()]);
  }

  /** Waits for the queue (or the loss of the device). */
  async settle(): Promise<void> {
    await this.guard(this.device.queue.onSubmittedWorkDone());
  }

  /** Copies `floats` f32 values from `buffer` back to the CPU. */
  async read(buffer: GPUBuffer, floats: number, offsetFloats = 0): Promise<Float32Array> {
    const bytes = align(floats * 4, 4);
    const staging = this.device.createBuffer({ size: Math.max(16, align(bytes, 16)), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      this.submit((e) => e.copyBufferToBuffer(buffer, offsetFloats * 4, staging, 0, align(bytes, 4)));
      await this.guard(staging.mapAsync(GPUMapMode.READ));
      const out = new Float32Array(floats);
      out.set(new Float32Array(staging.getMappedRange(), 0, floats));
      staging.unmap();
      return out;
    } finally {
      staging.destroy();
    }
  }

  private async guard<T>(work: Promise<T>): Promise<T> {
    this.check();
    const value = await Promise.race([work, this.lostPromise]);
    this.check();
    return value;
  }

  destroy(): void {
    this.pipelines.clear();
    this.ctx.destroy();
  }
}

export const align = (n: number, to: number): number => Math.ceil(n / to) * to;
