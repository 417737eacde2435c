/**
 * Where each checkpoint family keeps a layer's K/V projections, and how to cut K and V out of a fused
 * Q/K/V tensor. One table (CHECKPOINT_LAYOUTS): tensor names relative to a prefix, the fused tensor's row
 * order, the input-norm and embedding names. The layouts follow the transformers modelling code:
 *
 *  - contiguous  [Q | K | V] rows — Phi-3 `qkv_proj`, MPT `Wqkv`, ChatGLM/GLM-4 `query_key_value`
 *                (`split([heads·d, groups·d, groups·d])`).
 *  - grouped     per KV head: [its query heads | k | v], head_dim rows each — Falcon `query_key_value`
 *                (`view(…, kv_heads, heads/kv_heads + 2, head_dim)` in the new decoder architecture;
 *                multi-query Falcon-7B is the one-group case [Q | K | V], classic MHA Falcon/Bloom the
 *                one-head-per-group case [q k v] per head), GPT-NeoX (`view(…, heads, 3·head_size)`),
 *                InternLM2 `wqkv`.
 *  - columns     GPT-2's Conv1D `c_attn`: weight [hidden, 3·hidden], columns [Q | K | V] (x·W, not x·Wᵀ).
 */
import type { AttentionSpec, LayerSpec } from '../core/attentionSpec';
import { QualityInputError, readTensor, readTensorRows, type Checkpoint } from './safetensors';

export type FusedOrder = 'contiguous' | 'grouped' | 'columns';

/** The tensors of one attention layer, by full name. */
export type LayerTensors =
  | { kind: 'separate'; k: string; v: string; kBias?: string; vBias?: string; kNorm?: string; inputNorm?: string }
  | { kind: 'fused'; qkv: string; order: FusedOrder; bias?: string; kNorm?: string; inputNorm?: string }
  | { kind: 'mla'; kvA: string; kvANorm?: string; kvB: string; inputNorm?: string };

interface CheckpointLayout {
  /** Which checkpoints use it (for messages). */
  models: string;
  /** Name prefixes tried, most common first. */
  prefixes: readonly string[];
  /** The attention module of layer i, relative to the prefix, ending in '.'. */
  attention: (i: number) => string;
  /** The layer's pre-attention norm weights, relative to the prefix (first found is used). */
  inputNorms: (i: number) => readonly string[];
  /** Embedding tables, relative to the prefix. */
  embeddings: readonly string[];
  tensors:
    | { kind: 'separate'; k: string; v: string }
    | { kind: 'fused'; qkv: string; order: FusedOrder }
    | { kind: 'mla'; kvA: string; kvB: string };
}

const HF_PREFIXES = ['model.', 'model.language_model.', 'language_model.model.', 'language_model.', ''] as const;
const hfLayer = (i: number): string => `layers.${i}.self_attn.`;
const hfNorm = (i: number): string[] => [`layers.${i}.input_layernorm.weight`];

const CHECKPOINT_LAYOUTS: readonly CheckpointLayout[] = [
  { models: 'Llama, Mistral, Qwen, Gemma, GLM-4, gpt-oss … (k_proj, v_proj)', prefixes: HF_PREFIXES, attention: hfLayer, inputNorms: hfNorm, embeddings: ['embed_tokens.weight'], tensors: { kind: 'separate', k: 'k_proj', v: 'v_proj' } },
  { models: 'Phi-3 (fused qkv_proj)', prefixes: HF_PREFIXES, attention: hfLayer, inputNorms: hfNorm, embeddings: ['embed_tokens.weight'], tensors: { kind: 'fused', qkv: 'qkv_proj', order: 'contiguous' } },
  { models: 'DeepSeek-V2/V3, Kimi K2 (MLA kv_a_proj_with_mqa, kv_b_proj)', prefixes: HF_PREFIXES, attention: hfLayer, inputNorms: hfNorm, embeddings: ['embed_tokens.weight'], tensors: { kind: 'mla', kvA: 'kv_a_proj_with_mqa', kvB: 'kv_b_proj' } },
  {
    models: 'Falcon, Bloom (fused query_key_value)', prefixes: ['transformer.', ''], attention: (i) => `h.${i}.self_attention.`,
    inputNorms: (i) => [`h.${i}.input_layernorm.weight`, `h.${i}.ln_attn.weight`], embeddings: ['word_embeddings.weight'],
    tensors: { kind: 'fused', qkv: 'query_key_value', order: 'grouped' },
  },
  {
    models: 'GPT-NeoX, Pythia (fused query_key_value)', prefixes: ['gpt_neox.', ''], attention: (i) => `layers.${i}.attention.`,
    inputNorms: (i) => [`layers.${i}.input_layernorm.weight`], embeddings: ['embed_in.weight'],
    tensors: { kind: 'fused', qkv: 'query_key_value', order: 'grouped' },
  },
  {
    models: 'ChatGLM, GLM-4 chat (fused query_key_value)', prefixes: ['transformer.'], attention: (i) => `encoder.layers.${i}.self_attention.`,
    inputNorms: (i) => [`encoder.layers.${i}.input_layernorm.weight`], embeddings: ['embedding.word_embeddings.weight'],
    tensors: { kind: 'fused', qkv: 'query_key_value', order: 'contiguous' },
  },
  {
    models: 'MPT (fused Wqkv)', prefixes: ['transformer.'], attention: (i) => `blocks.${i}.attn.`,
    inputNorms: (i) => [`blocks.${i}.norm_1.weight`], embeddings: ['wte.weight'],
    tensors: { kind: 'fused', qkv: 'Wqkv', order: 'contiguous' },
  },
  {
    models: 'InternLM2 (fused wqkv)', prefixes: ['model.'], attention: (i) => `layers.${i}.attention.`,
    inputNorms: (i) => [`layers.${i}.attention_norm.weight`], embeddings: ['tok_embeddings.weight'],
    tensors: { kind: 'fused', qkv: 'wqkv', order: 'grouped' },
  },
  {
    models: 'GPT-2 (Conv1D c_attn)', prefixes: ['transformer.', ''], attention: (i) => `h.${i}.attn.`,
    inputNorms: (i) => [`h.${i}.ln_1.weight`], embeddings: ['wte.weight'],
    tensors: { kind: 'fused', qkv: 'c_attn', order: 'columns' },
  },
];

/** A layout and the prefix this checkpoint uses with it. */
export interface ResolvedLayout {
  layout: CheckpointLayout;
  prefix: string;
}

function weightNames(t: CheckpointLayout['tensors']): string[] {
  switch (t.kind) {
    case 'separate': return [t.k, t.v];
    case 'fused': return [t.qkv];
    case 'mla': return [t.kvA, t.kvB];
  }
}

const wantsMla = (l: CheckpointLayout, spec: AttentionSpec): boolean => (l.tensors.kind === 'mla') === Boolean(spec.mla);

/** The layout and prefix of this checkpoint, found on its first attention layer; else an error naming what was looked for. */
export function resolveLayout(ckpt: Checkpoint, layer: LayerSpec, spec: AttentionSpec): ResolvedLayout {
  for (const layout of CHECKPOINT_LAYOUTS) {
    if (!wantsMla(layout, spec)) continue;
    for (const prefix of layout.prefixes) {
      const base = prefix + layout.attention(layer.index);
      if (weightNames(layout.tensors).every((n) => ckpt.tensors.has(`${base}${n}.weight`))) return { layout, prefix };
    }
  }
  const looked = CHECKPOINT_LAYOUTS.filter((l) => wantsMla(l, spec)).map((l) =>
    `${l.models}: ${weightNames(l.tensors).map((n) => `"${l.prefixes[0]}${l.attention(layer.index)}${n}.weight"`).join(' + ')}${l.prefixes.length > 1 ? ` (also prefixed ${l.prefixes.slice(1).map((p) => `"${p}"`).join(', ')})` : ''}`);
  const quantized = [...ckpt.tensors.keys()].find((n) => n.includes(`.${layer.index}.`) && /\.(qweight|qzeros|weight_packed)$/.test(n));
  const sample = [...ckpt.tensors.keys()].filter((n) => n.includes(`.${layer.index}.`)).slice(0, 4);
  throw new QualityInputError(
    `${ckpt.dir}: no K/V projection tensors for layer ${layer.index}${quantized ? ` (found ${quantized}: a GPTQ/AWQ-quantized checkpoint, which the measurement does not read; use the BF16 release)` : ''}; looked for ${looked.join('; ')}. ` +
      `${sample.length > 0 ? `The checkpoint names layer ${layer.index}'s tensors like ${sample.map((n) => `"${n}"`).join(', ')}.` : `The checkpoint has no tensors for layer ${layer.index}.`} Use a Hugging Face transformers checkpoint whose config matches it.`,
  );
}

/** The embedding table's full name, if the checkpoint has one where this layout keeps it. */
export function embeddingName(ckpt: Checkpoint, r: ResolvedLayout): string | undefined {
  const prefixes = [r.prefix, ...r.layout.prefixes];
  for (const p of prefixes) for (const e of r.layout.embeddings) if (ckpt.tensors.has(p + e)) return p + e;
  return undefined;
}

/** Layer `layer`'s tensors under the resolved layout, each shape checked against the config. */
export function layerTensors(ckpt: Checkpoint, r: ResolvedLayout, layer: LayerSpec, spec: AttentionSpec): LayerTensors {
  const { layout, prefix } = r;
  const base = prefix + layout.attention(layer.index);
  const opt = (n: string): string | undefined => (ckpt.tensors.has(n) ? n : undefined);
  const inputNorm = layout.inputNorms(layer.index).map((n) => prefix + n).find((n) => ckpt.tensors.has(n));
  const norm = inputNorm ? { inputNorm } : {};
  const hidden = spec.hiddenSize;
  const shapeError = (name: string, want: number[], what: string): QualityInputError => {
    const t = ckpt.tensors.get(name)!;
    return new QualityInputError(`${t.file}: "${name}" has shape ${JSON.stringify(t.shape)} but the config implies [${want.join(', ')}] (${what}, hidden_size ${hidden}); the config and the checkpoint do not belong together`);
  };
  const expectShape = (name: string, want: number[], what: string): void => {
    const shape = ckpt.tensors.get(name)!.shape;
    if (shape.length !== want.length || shape.some((d, i) => d !== want[i])) throw shapeError(name, want, what);
  };
  const missing = (): never => {
    throw new QualityInputError(`${ckpt.dir}: layer ${layer.index} has no K/V projections; looked for ${weightNames(layout.tensors).map((n) => `"${base}${n}.weight"`).join(', ')} (${layout.models}). The checkpoint is incomplete or does not match the config's ${spec.numLayers} layers`);
  };
  const t = layout.tensors;
  if (t.kind === 'mla') {
    const m = spec.mla!;
    const kvA = opt(`${base}${t.kvA}.weight`);
    const kvB = opt(`${base}${t.kvB}.weight`);
    if (!kvA || !kvB) return missing();
    expectShape(kvA, [m.kvLoraRank + m.qkRopeHeadDim, hidden], `kv_lora_rank ${m.kvLoraRank} + qk_rope_head_dim ${m.qkRopeHeadDim}`);
    expectShape(kvB, [layer.qHeads * (m.qkNopeHeadDim + m.vHeadDim), m.kvLoraRank], 'heads × (qk_nope_head_dim + v_head_dim), kv_lora_rank');
    const kvANorm = opt(`${base}kv_a_layernorm.weight`);
    return { kind: 'mla', kvA, kvB, ...(kvANorm ? { kvANorm } : {}), ...norm };
  }
  const kRows = layer.kvHeads * layer.kHeadDim;
  const vRows = layer.kvHeads * layer.vHeadDim;
  const heads = `${layer.kvHeads} KV heads × head_dim ${layer.kHeadDim}`;
  const kNorm = opt(`${base}k_norm.weight`);
  const kNormPart = kNorm ? { kNorm } : {};
  if (t.kind === 'separate') {
    const k = opt(`${base}${t.k}.weight`);
    const v = opt(`${base}${t.v}.weight`);
    if (!k || !v) return missing();
    expectShape(k, [kRows, hidden], heads);
    expectShape(v, [vRows, hidden], `${layer.kvHeads} KV heads × v head dim ${layer.vHeadDim}`);
    const kBias = opt(`${base}${t.k}.bias`);
    const vBias = opt(`${base}${t.v}.bias`);
    return { kind: 'separate', k, v, ...(kBias ? { kBias } : {}), ...(vBias ? { vBias } : {}), ...kNormPart, ...norm };
  }
  const qkv = opt(`${base}${t.qkv}.weight`);
  if (!qkv) return missing();
  const rows = layer.qHeads * layer.kHeadDim + kRows + vRows;
  const what = `fused Q, K, V: ${layer.qHeads} query heads + 2 × ${heads}`;
  if (t.order === 'columns') expectShape(qkv, [hidden, rows], `${what}, stored as Conv1D [in, out]`);
  else expectShape(qkv, [rows, hidden], what);
  if (t.order === 'grouped' && (layer.kHeadDim !== layer.vHeadDim || layer.qHeads % layer.kvHeads !== 0)) {
    throw new QualityInputError(`${ckpt.tensors.get(qkv)!.file}: "${qkv}" groups each KV head with its query heads, which needs equal K/V head dims and query heads divisible by the ${layer.kvHeads} KV heads; the config says ${layer.qHeads} query heads, K dim ${layer.kHeadDim}, V dim ${layer.vHeadDim}`);
  }
  const bias = opt(`${base}${t.qkv}.bias`);
  return { kind: 'fused', qkv, order: t.order, ...(bias ? { bias } : {}), ...kNormPart, ...norm };
}

/** Every weight tensor a layer's K/V come from (for `tensorsRead` and the dtype check). */
export function projectionNames(t: LayerTensors): string[] {
  switch (t.kind) {
    case 'separate': return [t.k, t.v];
    case 'fused': return [t.qkv];
    case 'mla': return [t.kvA, t.kvB];
  }
}

/** Row ranges [start, count) of K and V inside a fused tensor's output dimension. */
export function fusedRanges(order: FusedOrder, layer: LayerSpec): { k: [number, number][]; v: [number, number][] } {
  const qRows = layer.qHeads * layer.kHeadDim;
  const kRows = layer.kvHeads * layer.kHeadDim;
  const vRows = layer.kvHeads * layer.vHeadDim;
  if (order !== 'grouped') return { k: [[qRows, kRows]], v: [[qRows + kRows, vRows]] };
  const d = layer.kHeadDim;
  const perGroup = layer.qHeads / layer.kvHeads;
  const stride = (perGroup + 2) * d;
  const k: [number, number][] = [];
  const v: [number, number][] = [];
  for (let h = 0; h < layer.kvHeads; h++) {
    k.push([h * stride + perGroup * d, d]);
    v.push([h * stride + (perGroup + 1) * d, d]);
  }
  return { k, v };
}

/** W_k and W_v as [rows, hidden] f32 (HF Linear orientation), and their biases when asked for. */
export function readKvProjections(ckpt: Checkpoint, t: Exclude<LayerTensors, { kind: 'mla' }>, layer: LayerSpec, hidden: number, withBias: boolean):
  { Wk: Float32Array; Wv: Float32Array; kBias?: Float32Array; vBias?: Float32Array } {
  if (t.kind === 'separate') {
    return {
      Wk: readTensor(ckpt, t.k), Wv: readTensor(ckpt, t.v),
      ...(withBias && t.kBias ? { kBias: readTensor(ckpt, t.kBias) } : {}),
      ...(withBias && t.vBias ? { vBias: readTensor(ckpt, t.vBias) } : {}),
    };
  }
  const ranges = fusedRanges(t.order, layer);
  const bias = withBias && t.bias ? readTensor(ckpt, t.bias) : undefined;
  const gatherBias = (rs: [number, number][]): Float32Array | undefined => (bias ? concat(rs.map(([s, n]) => bias.subarray(s, s + n))) : undefined);
  const biases = (): { kBias?: Float32Array; vBias?: Float32Array } => {
    const kBias = gatherBias(ranges.k), vBias = gatherBias(ranges.v);
    return { ...(kBias ? { kBias } : {}), ...(vBias ? { vBias } : {}) };
  };
  if (t.order === 'columns') {
    // Conv1D keeps [hidden, out]: read it whole, then K's and V's columns become rows.
    const W = readTensor(ckpt, t.qkv);
    const out = W.length / hidden;
    const columns = (rs: [number, number][]): Float32Array => {
      const rows = rs.reduce((s, [, n]) => s + n, 0);
      const M = new Float32Array(rows * hidden);
      let r = 0;
      for (const [s, n] of rs) for (let c = s; c < s + n; c++, r++) for (let i = 0; i < hidden; i++) M[r * hidden + i] = W[i * out + c]!;
      return M;
    };
    return { Wk: columns(ranges.k), Wv: columns(ranges.v), ...biases() };
  }
  const rowsOf = (rs: [number, number][]): Float32Array => concat(rs.map(([s, n]) => readTensorRows(ckpt, t.qkv, s, n)));
  return { Wk: rowsOf(ranges.k), Wv: rowsOf(ranges.v), ...biases() };
}

function concat(parts: Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
