/**
 * llama.cpp's own rules for a model's cache, beyond bytes × cells: which combinations it refuses, the
 * layers it gives a cache entry, and the V layout without flash attention. Each rule cites the llama.cpp
 * source it comes from (release v0.4.0, commit 80fb11a, the build node-llama-cpp 3.21.1 bundles) and is
 * checked against that build by the oracle test (test/oracle/).
 */
import type { AttentionSpec, LayerSpec } from './attentionSpec';
import { UsageError } from './errors';
import { KV_DTYPES, type KvDtype } from './kvDtypes';

/**
 * Families whose windows llama.cpp honors with its separate sliding cache (iSWA; chunked for Llama 4),
 * each set in its loader (src/models/<arch>.cpp load_arch_hparams). For the rest (Mistral v0.1, Phi-3,
 * whose loader reads the window and turns it off, src/models/phi3.cpp:20) it keeps a full-size cache and
 * only masks: a Phi-3-mini-4k log shows 1536 MiB at 4096 cells, the full 32 × 3072 × 2 × 2 B per cell.
 */
const WINDOWED: ReadonlySet<string> = new Set([
  'gemma2', 'gemma3_text', 'gemma3', 'gemma3n_text', 'gemma4_text', 'gemma4', 'gpt_oss', 'llama4_text', 'llama4', 'cohere2',
]);

/** EXAONE 4 slides only in its 64-layer (32B) shape: the loader sets the window for n_layer == 64 alone (src/models/exaone4.cpp:4). */
const WINDOWED_AT_64_LAYERS: ReadonlySet<string> = new Set(['exaone4', 'exaone4_5', 'exaone4_5_text']);

export function llamaCppKeepsWindows(spec: Pick<AttentionSpec, 'modelType' | 'numLayers'>): boolean {
  const type = spec.modelType ?? '';
  return WINDOWED.has(type) || (WINDOWED_AT_64_LAYERS.has(type) && spec.numLayers === 64);
}

/** Quantized cache types and their block size (ggml_blck_size). */
const QUANTIZED_BLOCK: Partial<Record<KvDtype, number>> = { q8_0: 32, q4_0: 32 };

/** Whether llama.cpp stores this cache type in quantized blocks (a quantized V then needs flash attention). */
export function isQuantizedCacheType(dtype: KvDtype): boolean {
  return QUANTIZED_BLOCK[dtype] !== undefined;
}

/**
 * Families whose GGUF converter keeps the multi-token-prediction layers (block_count = num_hidden_layers +
 * num_nextn_predict_layers: conversion/glm.py:121, conversion/exaone.py:226) and whose main context caches
 * them, as full-attention layers (set_swa_pattern, src/llama-hparams.cpp:19): llama.cpp filters
 * them out only for STEP35, HY_V3, GLM_DSA, MIMO2 and DEEPSEEK32 (src/llama-model.cpp:2585).
 */
const MTP_LAYERS_CACHED: ReadonlySet<string> = new Set(['glm4_moe', 'exaone4', 'exaone4_5', 'exaone4_5_text']);

/**
 * Families loaded into llama.cpp's plain cache with attention-free layers among them (Nemotron-NAS no-op
 * blocks): every layer gets a cache entry (has_kv, src/llama-hparams.cpp:320; the loop runs over
 * n_layer_all, src/llama-kv-cache.cpp:102), of zero width — and, without flash attention, of the widest
 * layer's V width.
 */
const EVERY_LAYER_HAS_AN_ENTRY: ReadonlySet<string> = new Set(['nemotron-nas']);

/**
 * MLA GGUFs whose converter leaves the config's head_dim as value_length (conversion/kimi_linear.py:78
 * overwrites key_length only): llama.cpp checks a quantized V's blocks against that width.
 */
const MLA_VALUE_LENGTH_IS_HEAD_DIM: ReadonlySet<string> = new Set(['kimi_linear']);

/** The layers llama.cpp builds for this config: the MTP layers its converter keeps, appended. */
export function llamaCppLayers(spec: AttentionSpec, layers: LayerSpec[]): LayerSpec[] {
  if (spec.mtpLayers === 0 || !MTP_LAYERS_CACHED.has(spec.modelType ?? '')) return layers;
  const last = [...layers].reverse().find((l) => l.kind === 'full');
  if (!last) return layers;
  const extra = Array.from({ length: spec.mtpLayers }, (_, i): LayerSpec => ({ ...last, index: layers.length + i }));
  return [...layers, ...extra];
}

export function mtpLayersNote(spec: AttentionSpec): string | undefined {
  if (spec.mtpLayers === 0 || !MTP_LAYERS_CACHED.has(spec.modelType ?? '')) return undefined;
  return `llama.cpp caches the ${spec.mtpLayers} MTP layer${spec.mtpLayers === 1 ? '' : 's'} too: its converter keeps them (block_count = ${spec.numLayers} + num_nextn_predict_layers ${spec.mtpLayers}) and the main context does not filter them out`;
}

/** Whether a layer of this kind keeps a zero-width cache entry under llama.cpp. */
export function hasZeroWidthEntry(spec: AttentionSpec, layer: Pick<LayerSpec, 'kind'>): boolean {
  return layer.kind === 'none' && EVERY_LAYER_HAS_AN_ENTRY.has(spec.modelType ?? '');
}

/** V elements per token of a layer as llama.cpp lays it out (n_embd_v_gqa(il)); 0 for MLA (K only). */
function vWidth(layer: LayerSpec): number {
  if (layer.variant === null || layer.mla) return 0;
  return layer.kvHeads * layer.vHeadDim;
}

/**
 * Without flash attention llama.cpp stores V transposed, and when V widths differ across the model's layers
 * every entry is padded to the widest (n_embd_v_gqa_max, src/llama-kv-cache.cpp:158 and :210).
 * Returns that width when padding applies, else undefined.
 */
export function paddedVWidth(spec: AttentionSpec, layers: LayerSpec[], flashAttention: boolean): number | undefined {
  if (flashAttention || spec.mla) return undefined;
  const widths = layers.map(vWidth);
  const max = Math.max(0, ...widths);
  // is_n_embd_v_gqa_variable runs over every layer, attention-free ones (width 0) included (llama-hparams.cpp:179).
  return widths.some((w) => w !== max) ? max : undefined;
}

/**
 * What llama.cpp refuses when it creates the context (llama_init_from_model, src/llama-context.cpp:3693–3724),
 * said before any number is shown.
 */
export function checkLlamaCppCacheTypes(spec: AttentionSpec, layers: LayerSpec[], kDtype: KvDtype, vDtype: KvDtype, flashAttention: boolean): void {
  if (spec.mla && kDtype !== vDtype) {
    throw new UsageError(`llama.cpp refuses different K (${kDtype}) and V (${vDtype}) cache types for an MLA model (src/llama-context.cpp:3693): give -ctk and -ctv the same type`);
  }
  const vBlock = QUANTIZED_BLOCK[vDtype];
  if (vBlock && !flashAttention) {
    throw new UsageError(`llama.cpp needs flash attention for a quantized V cache (${vDtype}; src/llama-context.cpp:3698): use --flash-attn on (llama.cpp's -fa on or auto)`);
  }
  if (!flashAttention) return;
  const kBlock = QUANTIZED_BLOCK[kDtype];
  for (const layer of layers) {
    if (layer.variant === null) continue;
    const kHead = layer.mla ? layer.mla.kvLoraRank + layer.mla.qkRopeHeadDim : layer.kHeadDim;
    const vHead = !layer.mla ? layer.vHeadDim
      : MLA_VALUE_LENGTH_IS_HEAD_DIM.has(spec.modelType ?? '') && layer.mla.configHeadDim !== undefined ? layer.mla.configHeadDim : layer.mla.kvLoraRank;
    if (kBlock && kHead % kBlock !== 0) {
      throw new UsageError(`llama.cpp refuses a ${kDtype} K cache here: its block of ${kBlock} does not divide layer ${layer.index}'s K head of ${kHead} (src/llama-context.cpp:3709); choose f16 or another type`);
    }
    if (vBlock && vHead % vBlock !== 0) {
      throw new UsageError(`llama.cpp refuses a ${vDtype} V cache here: its block of ${vBlock} does not divide layer ${layer.index}'s V head of ${vHead}${layer.mla ? ' (the GGUF value_length)' : ''} (src/llama-context.cpp:3720); choose f16 or another type`);
    }
  }
}

/** Bytes per token of a V row of `width` elements in this dtype. */
export function vBytes(dtype: KvDtype, width: number): number {
  return width === 0 ? 0 : KV_DTYPES[dtype].bytes(1, width);
}
