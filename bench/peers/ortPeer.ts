/**
 * The ONNX Runtime Web peer: onnxruntime-web (a dev dependency, pinned) with its WebGPU execution
 * provider, in Node, over the same Dawn package our kernels use (npm `webgpu`), on the same adapter.
 *
 * How it runs in Node (found in onnxruntime-web 1.31.1's dist/ort.webgpu.mjs):
 * - `onnxruntime-web/webgpu` is the native C++ WebGPU EP compiled to WebAssembly with emdawnwebgpu
 *   (ort-wasm-simd-threaded.asyncify.wasm, loaded from node_modules); it asks `navigator.gpu` for an
 *   adapter and makes its own device. Node has no navigator.gpu: we set one from `webgpu`'s create(),
 *   with the flags that pick the adapter our device opens (ATTENTION_LENS_ADAPTER, as gpu:check sets).
 * - The wasm module's memory is a SharedArrayBuffer (the build is threaded), and ORT hands views of it
 *   to GPUQueue.writeBuffer; Dawn's Node binding segfaults on a view of a SharedArrayBuffer (tried:
 *   an ArrayBuffer view writes, a SharedArrayBuffer view crashes the process). installSharedMemoryShim
 *   copies such views into an ArrayBuffer first — a few KiB per step (the new token's Q, K, V and
 *   uniforms), never the cache.
 * - One wasm thread (env.wasm.numThreads = 1): its pthreads would need web Workers. The EP's work is
 *   on the GPU; the CPU thread only records and submits it.
 *
 * The decode step timed (the way onnxruntime-genai runs GroupQueryAttention on WebGPU): past and
 * present K/V are one GPU buffer each (past_present_share_buffer — ORT detects it when the present
 * output is bound to the past input's buffer), max length = the context; the new token's query, key and
 * value go up from the CPU, and the attention output comes back to the CPU when session.run resolves.
 */
import { create, globals } from 'webgpu';
import { adapterFlagsFromEnv } from '../../src/gpu/host/adapters';
import { fromHalf, toHalfArray } from '../../src/gpu/reference';
import { gqaDecodeModel, ONNX_FLOAT, ONNX_FLOAT16 } from './onnxModel';

/** The part of onnxruntime-web's API used here (types.d.ts of onnxruntime-common 1.31.1). */
interface OrtTensor {
  readonly data: Float32Array | Uint16Array | Int32Array;
  readonly dims: readonly number[];
  readonly location: string;
  dispose(): void;
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>, fetches?: Record<string, OrtTensor | null>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
export interface Ort {
  env: {
    versions: { web?: string; common?: string };
    logLevel: string;
    wasm: { numThreads: number };
    webgpu: { device?: GPUDevice; powerPreference?: string };
  };
  InferenceSession: { create(model: Uint8Array, options: Record<string, unknown>): Promise<OrtSession> };
  Tensor: {
    new (type: string, data: Float32Array | Uint16Array | Int32Array, dims: readonly number[]): OrtTensor;
    fromGpuBuffer(buffer: GPUBuffer, options: { dataType: string; dims: readonly number[] }): OrtTensor;
  };
}

let shimmed = false;
/** GPUQueue.writeBuffer with a view of a SharedArrayBuffer: copy it into an ArrayBuffer (see above). */
export function installSharedMemoryShim(): void {
  if (shimmed) return;
  shimmed = true;
  type WriteBuffer = (this: GPUQueue, buffer: GPUBuffer, offset: number, data: unknown, dataOffset?: number, size?: number) => undefined;
  const proto = (globals as unknown as { GPUQueue: { prototype: { writeBuffer: WriteBuffer } } }).GPUQueue.prototype;
  const original = proto.writeBuffer;
  proto.writeBuffer = function (this: GPUQueue, buffer: GPUBuffer, offset: number, data: unknown, dataOffset?: number, size?: number) {
    if (ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer) {
      const unit = (data as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
      const start = data.byteOffset + (dataOffset ?? 0) * unit;
      const bytes = size !== undefined ? size * unit : data.byteLength - (dataOffset ?? 0) * unit;
      const copy = new Uint8Array(bytes);
      copy.set(new Uint8Array(data.buffer, start, bytes));
      return original.call(this, buffer, offset, copy);
    }
    return original.call(this, buffer, offset, data, dataOffset, size);
  };
}

let loaded: Promise<Ort> | undefined;

/** onnxruntime-web's WebGPU build, with navigator.gpu set from `webgpu` (once per process). */
export function loadOrt(): Promise<Ort> {
  loaded ??= (async () => {
    // WebGPU's globals (GPUBufferUsage, GPUMapMode, GPUDevice…), which ORT's glue code uses; openGpu sets them too.
    if (typeof (globalThis as { GPUDevice?: unknown }).GPUDevice === 'undefined') Object.assign(globalThis, globals);
    installSharedMemoryShim();
    process.env.XDG_RUNTIME_DIR ??= '/tmp';
    const flags = ['disable-dawn-features=timestamp_quantization', ...(await adapterFlagsFromEnv()).flags];
    const gpu = create(flags);
    // Node 21+ defines a navigator without gpu; Node 20 none. Replace it with one that has ours.
    const existing = (globalThis as { navigator?: object }).navigator;
    Object.defineProperty(globalThis, 'navigator', { value: { ...(existing ?? {}), gpu }, configurable: true, writable: true });
    const ort = (await import('onnxruntime-web/webgpu')) as unknown as Ort;
    ort.env.wasm.numThreads = 1;
    ort.env.logLevel = 'error';
    ort.env.webgpu.powerPreference = 'high-performance';
    return ort;
  })();
  return loaded;
}

export interface GqaProblem {
  qHeads: number;
  kvHeads: number;
  headDim: number;
  /** Tokens attended: N − 1 in the cache before the step, and the new one. */
  tokens: number;
  storage: 'f16' | 'f32';
}

/** The step's numbers: q [Hq·d] and the whole context's K and V [Hkv, N, d] (BNSH, as AttentionData), f16-rounded for f16. */
export interface GqaInputs {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
}

export interface OrtDecode {
  /** One decode step: session.run, resolved with the output on the CPU. */
  step(): Promise<unknown>;
  /** One step, its output as f32 [Hq·d]. */
  output(): Promise<Float32Array>;
  /** session.create's wall time (WGSL compiled lazily: the first step pays for its pipelines). */
  sessionSeconds: number;
  /** The adapter ORT's device is on (its adapterInfo), for the table. */
  adapter: string;
  release(): Promise<void>;
}

/**
 * A session over one GroupQueryAttention node for this shape, its cache uploaded once: rows 0..N−2 are
 * the past; row N−1, the new token's K and V, is also fed as `key`/`value` (ORT writes it there).
 */
export async function prepareOrtDecode(ort: Ort, p: GqaProblem, x: GqaInputs, options: { scale?: number } = {}): Promise<OrtDecode> {
  const { qHeads, kvHeads, headDim: d, tokens: n } = p;
  const f16 = p.storage === 'f16';
  const type = f16 ? 'float16' : 'float32';
  const bytes = gqaDecodeModel({ qHeads, kvHeads, headDim: d, cacheTokens: n, sharedBuffer: true, elemType: f16 ? ONNX_FLOAT16 : ONNX_FLOAT, ...(options.scale !== undefined ? { scale: options.scale } : {}) });
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['webgpu'], graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  const sessionSeconds = (performance.now() - t0) / 1000;
  const device = ort.env.webgpu.device;
  if (!device) {
    await session.release();
    throw new Error('onnxruntime-web made no WebGPU device (env.webgpu.device is unset after the session)');
  }
  const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const adapter = [info?.description, info?.device].filter((s) => s && s.length > 0).join(' ') || [info?.vendor, info?.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  const encode = (a: Float32Array): Float32Array | Uint16Array => (f16 ? toHalfArray(a) : a);
  const cacheDims = [1, kvHeads, n, d] as const;
  const buffers: GPUBuffer[] = [];
  const upload = (a: Float32Array): GPUBuffer => {
    const data = encode(a);
    const buffer = device.createBuffer({ size: Math.ceil(data.byteLength / 16) * 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
    device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    buffers.push(buffer);
    return buffer;
  };
  const newRow = (a: Float32Array): Float32Array => {
    const row = new Float32Array(kvHeads * d);
    for (let h = 0; h < kvHeads; h++) row.set(a.subarray((h * n + n - 1) * d, (h * n + n) * d), h * d);
    return row;
  };
  const pastKey = ort.Tensor.fromGpuBuffer(upload(x.k), { dataType: type, dims: cacheDims });
  const pastValue = ort.Tensor.fromGpuBuffer(upload(x.v), { dataType: type, dims: cacheDims });
  const feeds = {
    query: new ort.Tensor(type, encode(x.q), [1, 1, qHeads * d]),
    key: new ort.Tensor(type, encode(newRow(x.k)), [1, 1, kvHeads * d]),
    value: new ort.Tensor(type, encode(newRow(x.v)), [1, 1, kvHeads * d]),
    past_key: pastKey,
    past_value: pastValue,
    seqlens_k: new ort.Tensor('int32', Int32Array.from([n - 1]), [1]),
    total_sequence_length: new ort.Tensor('int32', Int32Array.from([n]), []),
  };
  // Present bound to past's buffer: ORT's shared-buffer path (no copy of the cache per step).
  const fetches = { output: null, present_key: pastKey, present_value: pastValue };
  const run = (): Promise<Record<string, OrtTensor>> => session.run(feeds, fetches);
  return {
    step: run,
    async output() {
      const out = (await run()).output;
      if (!out) throw new Error('GroupQueryAttention returned no output');
      return out.data instanceof Uint16Array ? Float32Array.from(out.data, fromHalf) : Float32Array.from(out.data);
    },
    sessionSeconds,
    adapter,
    async release() {
      await session.release();
      for (const b of buffers) b.destroy();
    },
  };
}
