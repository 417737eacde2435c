/**
 * KV-cache element formats: exact bytes for a token's K or V vectors, scales included, and which
 * runtimes offer each. One table; every cost and every derivation string reads from it.
 */
import { UsageError } from './errors';
import type { ModelDtype } from './attentionSpec';

export type KvDtype = 'fp32' | 'fp16' | 'bf16' | 'fp8' | 'int8' | 'nvfp4' | 'q8_0' | 'q4_0' | 'fp8_ds_mla';
export type Runtime = 'hf' | 'vllm' | 'llamacpp';

export interface KvDtypeInfo {
  label: string;
  /** Bytes for `vectors` vectors of `elems` values each (one token, one layer, K or V). */
  bytes(vectors: number, elems: number): number;
  /** The same as a formula with the numbers in, e.g. `8 × 128 × 2 B`. */
  formula(vectors: number, elems: number): string;
  /** Elements must come in whole blocks of this size (per vector, or per row of all vectors for GGUF). */
  block?: { size: number; perRow: boolean };
  runtimes: readonly Runtime[];
  note: string;
}

const times = (vectors: number, inner: string): string => (vectors === 1 ? inner : `${vectors} × ${inner}`);

export const KV_DTYPES: Record<KvDtype, KvDtypeInfo> = {
  fp32: {
    label: 'fp32', bytes: (v, n) => v * n * 4, formula: (v, n) => `${times(v, `${n}`)} × 4 B`,
    runtimes: ['hf', 'vllm', 'llamacpp'], note: '4 bytes per value.',
  },
  fp16: {
    label: 'fp16', bytes: (v, n) => v * n * 2, formula: (v, n) => `${times(v, `${n}`)} × 2 B`,
    runtimes: ['hf', 'vllm', 'llamacpp'], note: '2 bytes per value.',
  },
  bf16: {
    label: 'bf16', bytes: (v, n) => v * n * 2, formula: (v, n) => `${times(v, `${n}`)} × 2 B`,
    runtimes: ['hf', 'vllm', 'llamacpp'], note: '2 bytes per value.',
  },
  fp8: {
    label: 'fp8', bytes: (v, n) => v * n, formula: (v, n) => `${times(v, `${n}`)} × 1 B`,
    runtimes: ['hf', 'vllm'], note: '1 byte per value (e4m3/e5m2) with a per-tensor scale (negligible).',
  },
  int8: {
    label: 'int8', bytes: (v, n) => v * (n + 4), formula: (v, n) => `${times(v, `(${n} × 1 B + 4 B scale)`)}`,
    runtimes: ['hf'], note: '1 byte per value plus one 4-byte scale per token per head.',
  },
  nvfp4: {
    label: 'nvfp4', bytes: (v, n) => v * (n / 2 + n / 16), formula: (v, n) => `${times(v, `(${n}/2 B packed + ${n}/16 B fp8 scales)`)}`,
    block: { size: 16, perRow: false },
    runtimes: ['hf', 'vllm'], note: '4-bit values packed two per byte plus one fp8 scale per block of 16.',
  },
  q8_0: {
    label: 'q8_0', bytes: (v, n) => ((v * n) / 32) * 34, formula: (v, n) => `${(v * n) / 32} blocks of 32 × 34 B`,
    block: { size: 32, perRow: true },
    runtimes: ['llamacpp'], note: 'GGUF q8_0: 34 bytes per block of 32 values (8.5 bits per value).',
  },
  q4_0: {
    label: 'q4_0', bytes: (v, n) => ((v * n) / 32) * 18, formula: (v, n) => `${(v * n) / 32} blocks of 32 × 18 B`,
    block: { size: 32, perRow: true },
    runtimes: ['llamacpp'], note: 'GGUF q4_0: 18 bytes per block of 32 values (4.5 bits per value).',
  },
  fp8_ds_mla: {
    label: 'fp8_ds_mla', bytes: () => 656, formula: () => '656 B (512 fp8 + 4 fp32 scales + 64 bf16 RoPE)',
    runtimes: ['vllm'], note: "vLLM's DeepSeek MLA fp8 layout: 656 bytes per token per layer; MLA latent cache only.",
  },
};

export const KV_DTYPE_NAMES = Object.keys(KV_DTYPES) as KvDtype[];

export function parseKvDtype(name: string): KvDtype | 'auto' {
  const n = name.toLowerCase().replace(/-/g, '_');
  const aliases: Record<string, KvDtype | 'auto'> = {
    auto: 'auto', float32: 'fp32', f32: 'fp32', float16: 'fp16', f16: 'fp16', half: 'fp16', bfloat16: 'bf16',
    fp8_e4m3: 'fp8', fp8_e5m2: 'fp8', e4m3: 'fp8', int8: 'int8', fp4: 'nvfp4',
  };
  const found = aliases[n] ?? (n in KV_DTYPES ? (n as KvDtype) : undefined);
  if (!found) throw new UsageError(`unknown KV dtype "${name}"; choose one of auto, ${KV_DTYPE_NAMES.join(', ')}`);
  return found;
}

/**
 * What `auto` means in each runtime: transformers keeps the model's dtype; vLLM's dtype "auto" runs
 * fp32 checkpoints in fp16; llama.cpp's cache type defaults to f16 whatever the weights.
 */
export function autoKvDtype(model: ModelDtype, runtime: Runtime): { dtype: KvDtype; why: string } {
  const own: KvDtype = model === 'float32' ? 'fp32' : model === 'float16' ? 'fp16' : 'bf16';
  switch (runtime) {
    case 'hf':
      return { dtype: own, why: `the model's dtype (${model})` };
    case 'vllm':
      return model === 'float32'
        ? { dtype: 'fp16', why: 'vLLM runs float32 checkpoints in float16 (dtype "auto")' }
        : { dtype: own, why: `the model's dtype (${model}), as vLLM's kv_cache_dtype "auto" does` };
    case 'llamacpp':
      return { dtype: 'fp16', why: "llama.cpp's default cache type (f16)" };
  }
}

/** Throws when `elems`-wide vectors cannot be stored in the dtype's blocks. */
export function checkBlocks(dtype: KvDtype, vectors: number, elems: number, what: string): void {
  const block = KV_DTYPES[dtype].block;
  if (!block) return;
  const n = block.perRow ? vectors * elems : elems;
  if (n % block.size !== 0) {
    throw new UsageError(`${dtype} stores values in blocks of ${block.size}, but ${what} has ${n} values per ${block.perRow ? 'row' : 'head'}; choose another KV dtype`);
  }
}
