/**
 * AttentionSpec + options → exact KV-cache bytes: per token per layer, and the memory a runtime holds
 * for a context and batch (window-aware, paged for vLLM, padded cells for llama.cpp), per tensor-parallel
 * rank and in total. Every layer cost carries the formula that produced it.
 */
import { cachesTokens, type AttentionSpec, type LayerKind, type LayerSpec } from './attentionSpec';
import { stateBytes, type MixerKind } from './recurrentState';
import { int as fmt } from './format';
import { UsageError } from './errors';
import { checkBlocks, KV_DTYPES, type KvDtype, type Runtime } from './kvDtypes';
import { checkLlamaCppCacheTypes, hasZeroWidthEntry, llamaCppKeepsWindows, llamaCppLayers, mtpLayersNote, paddedVWidth, vBytes } from './llamaCppRules';

export type MlaCacheLayout = 'latent' | 'decompressed';
export type LlamaCppMlaLayout = 'k-only' | 'k+v';

export interface KvOptions {
  contextTokens: number;
  batch: number;
  kDtype: KvDtype;
  vDtype: KvDtype;
  runtime: Runtime;
  tp: number;
  /** hf/vllm: MLA caches the latent (vLLM, SGLang, FlashMLA) or per-head K/V (transformers' eager DeepSeek code). */
  mlaCache: MlaCacheLayout;
  /** llama.cpp: MLA stored as K only (576, new builds) or K 576 + V 512 (older builds). */
  llamacppMla: LlamaCppMlaLayout;
  /** vLLM page size in tokens. */
  vllmBlockTokens: number;
  /** vLLM max_num_batched_tokens: sliding layers keep window − 1 + this many tokens. */
  vllmMaxBatchedTokens: number;
  /** llama.cpp physical batch (-ub): the sliding cache keeps window + this many cells. */
  llamacppUbatch: number;
  /**
   * llama.cpp flash attention (-fa): on by default (`auto` turns it on wherever the backend has it). Off,
   * V is stored transposed — padded to the widest layer when widths differ — and a quantized V is refused.
   */
  llamacppFlashAttention: boolean;
}

export const LLAMACPP_CELL_PAD = 256;

/** Layer kinds as a runtime treats them: llama.cpp drops windows it does not implement. */
export function runtimeLayers(spec: AttentionSpec, runtime: Runtime): LayerSpec[] {
  if (runtime !== 'llamacpp' || llamaCppKeepsWindows(spec)) return spec.layers;
  return spec.layers.map((l) => {
    if (l.kind !== 'sliding' && l.kind !== 'chunked') return l;
    const { windowTokens: _w, ...rest } = l;
    return { ...rest, kind: 'full' };
  });
}

export const DEFAULT_KV_OPTIONS = {
  batch: 1,
  runtime: 'hf',
  tp: 1,
  mlaCache: 'latent',
  llamacppMla: 'k-only',
  vllmBlockTokens: 16,
  vllmMaxBatchedTokens: 8192,
  llamacppUbatch: 512,
  llamacppFlashAttention: true,
} as const satisfies Partial<KvOptions>;

export interface LayerCost {
  layer: number;
  kind: LayerKind;
  windowTokens?: number;
  variant: string | null;
  /** KV heads stored on each tensor-parallel rank (1 for an MLA latent). */
  kvHeadsPerRank: number;
  kBytesPerToken: number;
  vBytesPerToken: number;
  /** K + V bytes per token on one rank. */
  bytesPerTokenPerRank: number;
  /** K + V bytes per token over all ranks (replicated heads counted on every rank). */
  bytesPerToken: number;
  /** Token slots this layer holds for the whole batch under the runtime's rules. */
  cachedTokens: number;
  /** cachedTokens × bytesPerToken. */
  totalBytes: number;
  /** e.g. `8 kv heads × (128 + 128) × 2 B = 4,096 B`. */
  formula: string;
  /** e.g. `min(131072, 4096) × 1` or `⌈…/16⌉ pages × 16`. */
  tokensFormula: string;
}

export interface KvCost {
  options: KvOptions;
  layers: LayerCost[];
  /** Σ over layers that keep a per-token cache of their per-token bytes (all ranks). */
  bytesPerToken: number;
  bytesPerTokenPerRank: number;
  /** Σ over layers of the runtime's held bytes at the context and batch (all ranks). */
  totalBytes: number;
  totalBytesPerRank: number;
  /** Fixed per-sequence state of linear-attention layers (all ranks), × batch in `stateBytes`. */
  stateBytesPerSequence: number;
  stateBytes: number;
  /** Replication and layout facts worth saying. */
  notes: string[];
}

/** Validates tensor parallelism the way vLLM does and returns the KV heads each rank stores. */
export function kvHeadsPerRank(spec: AttentionSpec, layer: LayerSpec, tp: number): { heads: number; replicated: boolean } {
  if (layer.variant === 'mla') return { heads: 1, replicated: tp > 1 };
  if (tp === 1) return { heads: layer.kvHeads, replicated: false };
  if (layer.qHeads % tp !== 0) {
    throw new UsageError(`--tp ${tp}: ${layer.qHeads} query heads are not divisible by ${tp}; tensor parallelism needs num_attention_heads % tp == 0 (try ${tpChoices(spec).join(', ')})`);
  }
  if (layer.kvHeads >= tp) {
    if (layer.kvHeads % tp !== 0) throw new UsageError(`--tp ${tp}: ${layer.kvHeads} KV heads are not divisible by ${tp} (try ${tpChoices(spec).join(', ')})`);
    return { heads: layer.kvHeads / tp, replicated: false };
  }
  if (tp % layer.kvHeads !== 0) throw new UsageError(`--tp ${tp}: ${layer.kvHeads} KV heads cannot be replicated evenly over ${tp} ranks (try ${tpChoices(spec).join(', ')})`);
  return { heads: 1, replicated: true };
}

export function tpChoices(spec: AttentionSpec): number[] {
  const out: number[] = [];
  for (let tp = 1; tp <= Math.min(spec.qHeads, 64); tp *= 2) {
    if (spec.qHeads % tp === 0 && (spec.kvHeads >= tp ? spec.kvHeads % tp === 0 : tp % spec.kvHeads === 0)) out.push(tp);
  }
  return out;
}

/** Bytes per token of one layer on one rank, K and V apart, with the formula. */
export function layerBytesPerToken(
  spec: AttentionSpec,
  layer: LayerSpec,
  options: Pick<KvOptions, 'kDtype' | 'vDtype' | 'runtime' | 'tp' | 'mlaCache' | 'llamacppMla'>,
): { k: number; v: number; heads: number; formula: string; replicated: boolean } {
  if (!cachesTokens(layer.kind)) return { k: 0, v: 0, heads: 0, formula: layer.kind === 'shared' ? `shared layer: reads layer ${layer.sharesWith}'s K/V, no cache of its own` : `${layer.kind} layer: no per-token cache`, replicated: false };
  const { kDtype, vDtype } = options;
  const kInfo = KV_DTYPES[kDtype];
  const vInfo = KV_DTYPES[vDtype];

  if (layer.mla) {
    const m = layer.mla;
    const latent = m.kvLoraRank + m.qkRopeHeadDim;
    const decompressed = options.runtime !== 'llamacpp' && options.mlaCache === 'decompressed';
    if (decompressed) {
      const heads = kvHeadsPerRank(spec, { ...layer, variant: 'mha', kvHeads: layer.qHeads }, options.tp).heads;
      const kd = m.qkNopeHeadDim + m.qkRopeHeadDim;
      checkBlocks(kDtype, heads, kd, 'the decompressed K');
      checkBlocks(vDtype, heads, m.vHeadDim, 'the decompressed V');
      const k = kInfo.bytes(heads, kd);
      const v = vInfo.bytes(heads, m.vHeadDim);
      return { k, v, heads, replicated: false, formula: `MLA decompressed: K ${kInfo.formula(heads, kd)} + V ${vInfo.formula(heads, m.vHeadDim)} = ${fmt(k + v)} B` };
    }
    if (kDtype === 'fp8_ds_mla' && options.runtime !== 'vllm') throw new UsageError('fp8_ds_mla is a vLLM layout; use --runtime vllm');
    checkBlocks(kDtype, 1, latent, 'the MLA latent row');
    const k = kInfo.bytes(1, latent);
    if (options.runtime === 'llamacpp' && options.llamacppMla === 'k+v') {
      checkBlocks(vDtype, 1, m.kvLoraRank, 'the MLA V view');
      const v = vInfo.bytes(1, m.kvLoraRank);
      return { k, v, heads: 1, replicated: options.tp > 1, formula: `MLA (llama.cpp K+V): K (${m.kvLoraRank} + ${m.qkRopeHeadDim}) ${kInfo.formula(1, latent).replace(`${latent} `, '')} + V ${vInfo.formula(1, m.kvLoraRank)} = ${fmt(k + v)} B` };
    }
    const formula = kDtype === 'fp8_ds_mla' ? kInfo.formula(1, latent) : `(kv_lora_rank ${m.kvLoraRank} + qk_rope_head_dim ${m.qkRopeHeadDim}) × ${kInfo.formula(1, 1).replace(/^1 × /, '')}`;
    return { k, v: 0, heads: 1, replicated: options.tp > 1, formula: `MLA latent: ${formula} = ${fmt(k)} B (one row shared by all ${layer.qHeads} heads${options.tp > 1 ? ', replicated on every rank' : ''})` };
  }
  if (kDtype === 'fp8_ds_mla' || vDtype === 'fp8_ds_mla') throw new UsageError('fp8_ds_mla applies only to MLA models (DeepSeek-V2/V3, Kimi K2)');

  const { heads, replicated } = kvHeadsPerRank(spec, layer, options.tp);
  checkBlocks(kDtype, heads, layer.kHeadDim, 'K');
  checkBlocks(vDtype, heads, layer.vHeadDim, 'V');
  const k = kInfo.bytes(heads, layer.kHeadDim);
  const v = vInfo.bytes(heads, layer.vHeadDim);
  const headsText = `${heads} kv head${heads === 1 ? '' : 's'}${options.tp > 1 ? ' per rank' : ''}`;
  let formula: string;
  if (kDtype === vDtype && layer.kHeadDim === layer.vHeadDim && !kInfo.block) {
    formula = `${headsText} × 2 (K,V) × ${kInfo.formula(1, layer.kHeadDim)} = ${fmt(k + v)} B`;
  } else {
    formula = `${headsText}: K ${kInfo.formula(heads, layer.kHeadDim)} + V ${vInfo.formula(heads, layer.vHeadDim)} = ${fmt(k + v)} B`;
  }
  return { k, v, heads, replicated, formula };
}

type RuntimeRules = Pick<KvOptions, 'runtime' | 'vllmBlockTokens' | 'vllmMaxBatchedTokens' | 'llamacppUbatch'>;

/** Token slots a layer of this kind holds for `batch` sequences of `contextTokens` (numbers only: budgets search over it). */
export function cachedTokenCount(kind: LayerKind, windowTokens: number | undefined, rules: RuntimeRules, contextTokens: number, batch: number): number {
  if (!cachesTokens(kind)) return 0;
  const T = contextTokens;
  const w = windowTokens;
  const bounded = (kind === 'sliding' || kind === 'chunked') && w !== undefined;
  switch (rules.runtime) {
    case 'hf':
      return (bounded ? Math.min(T, w) : T) * batch;
    case 'vllm': {
      const bs = rules.vllmBlockTokens;
      let pages = Math.ceil(T / bs);
      if (bounded && kind === 'sliding') pages = Math.ceil(Math.min(w - 1 + rules.vllmMaxBatchedTokens, T) / bs) + 1;
      else if (bounded) pages = Math.ceil(Math.min(w + rules.vllmMaxBatchedTokens, T) / bs);
      return pages * bs * batch;
    }
    case 'llamacpp': {
      const cells = padTo(T * batch, LLAMACPP_CELL_PAD);
      return bounded ? Math.min(cells, padTo(w * batch + rules.llamacppUbatch, LLAMACPP_CELL_PAD)) : cells;
    }
  }
}

/** The same count with the runtime rule written out, for --explain and hovers. */
export function cachedTokensFormula(layer: Pick<LayerSpec, 'kind' | 'windowTokens'>, options: RuntimeRules & Pick<KvOptions, 'contextTokens' | 'batch'>): string {
  const T = options.contextTokens;
  const b = options.batch;
  const w = layer.windowTokens;
  const tokens = cachedTokenCount(layer.kind, w, options, T, b);
  if (!cachesTokens(layer.kind)) return '0 (no per-token cache)';
  const bounded = (layer.kind === 'sliding' || layer.kind === 'chunked') && w !== undefined;
  switch (options.runtime) {
    case 'hf':
      return `${bounded ? `min(${fmt(T)}, ${fmt(w)})` : fmt(T)} × ${b} = ${fmt(tokens)} tokens`;
    case 'vllm': {
      const bs = options.vllmBlockTokens;
      const m = options.vllmMaxBatchedTokens;
      const pages = tokens / bs / b;
      const rule = !bounded ? `⌈${fmt(T)}/${bs}⌉` : layer.kind === 'sliding' ? `⌈min(${fmt(w)} − 1 + ${fmt(m)}, ${fmt(T)})/${bs}⌉ + 1` : `⌈min(${fmt(w)} + ${fmt(m)}, ${fmt(T)})/${bs}⌉`;
      return `${rule} = ${fmt(pages)} pages × ${bs} tokens × ${b} = ${fmt(tokens)} slots`;
    }
    case 'llamacpp': {
      const cells = padTo(T * b, LLAMACPP_CELL_PAD);
      if (!bounded) return `pad256(${fmt(T)} × ${b}) = ${fmt(cells)} cells`;
      return `min(${fmt(cells)}, pad256(${fmt(w)} × ${b} + ${options.llamacppUbatch})) = ${fmt(tokens)} cells (iSWA)`;
    }
  }
}

/** Two layers cost the same when every field the cost reads is equal (the memo key's fields). */
function sameShape(a: LayerSpec, b: LayerSpec): boolean {
  return a.kind === b.kind && a.windowTokens === b.windowTokens && a.variant === b.variant && a.qHeads === b.qHeads && a.kvHeads === b.kvHeads
    && a.kHeadDim === b.kHeadDim && a.vHeadDim === b.vHeadDim && a.mla === b.mla && a.sharesWith === b.sharesWith;
}

/** Layers with the same per-token bytes and cache rule, so totals are a few multiplications. */
export interface LayerGroup {
  count: number;
  kind: LayerKind;
  windowTokens: number | undefined;
  bytesPerTokenPerRank: number;
}

export function groupLayers(layers: readonly LayerCost[]): LayerGroup[] {
  const groups = new Map<string, LayerGroup>();
  for (const l of layers) {
    if (l.bytesPerTokenPerRank === 0) continue;
    // An attention-free layer with bytes is a llama.cpp entry padded without flash attention: full cells.
    const kind = l.kind === 'none' ? 'full' : l.kind;
    const key = `${kind}/${l.windowTokens}/${l.bytesPerTokenPerRank}`;
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { count: 1, kind, windowTokens: l.windowTokens, bytesPerTokenPerRank: l.bytesPerTokenPerRank });
  }
  return [...groups.values()];
}

/** KV bytes one rank holds for `batch` sequences of `contextTokens`. */
export function heldBytesPerRank(groups: readonly LayerGroup[], rules: RuntimeRules, contextTokens: number, batch: number): number {
  let bytes = 0;
  for (const g of groups) bytes += g.count * g.bytesPerTokenPerRank * cachedTokenCount(g.kind, g.windowTokens, rules, contextTokens, batch);
  return bytes;
}

export function computeKvCost(spec: AttentionSpec, options: KvOptions): KvCost {
  if (options.runtime === 'llamacpp' && options.tp > 1) {
    throw new UsageError('llama.cpp has no tensor parallelism for the KV cache (it splits layers across GPUs); use --tp 1 and --gpu-mem with the sum of your GPUs');
  }
  const notes: string[] = [];
  const layers: LayerCost[] = [];
  let anyReplicated = false;
  const windowed = runtimeLayers(spec, options.runtime);
  if (windowed !== spec.layers && spec.layers.some((l) => l.kind === 'sliding' || l.kind === 'chunked')) {
    notes.push(`llama.cpp keeps a full-size cache for ${spec.family} and only masks the window, so windowed layers are counted at full context`);
  }
  const llamaCpp = options.runtime === 'llamacpp';
  const specLayers = llamaCpp ? llamaCppLayers(spec, windowed) : windowed;
  /** llama.cpp without flash attention: every entry's V padded to the widest layer's, when widths differ. */
  let paddedV: number | undefined;
  if (llamaCpp) {
    checkLlamaCppCacheTypes(spec, specLayers, options.kDtype, options.vDtype, options.llamacppFlashAttention);
    const mtp = mtpLayersNote(spec);
    if (mtp) notes.push(mtp);
    paddedV = paddedVWidth(spec, specLayers, options.llamacppFlashAttention);
    if (paddedV !== undefined) notes.push(`Without flash attention llama.cpp stores V transposed and pads every layer's V to the widest, ${fmt(paddedV)} values per token`);
  }
  // Layers repeat (a 126-layer model has one or two shapes): cost each shape once.
  const memo = new Map<string, Omit<LayerCost, 'layer'>>();
  let previous: { layer: LayerSpec; shape: Omit<LayerCost, 'layer'> } | undefined;
  for (const layer of specLayers) {
    // Neighbours usually share a shape: compare with the previous layer before building a memo key.
    if (previous && sameShape(previous.layer, layer)) {
      layers.push({ layer: layer.index, ...previous.shape });
      continue;
    }
    const key = `${layer.kind}|${layer.sharesWith}|${layer.windowTokens}|${layer.variant}|${layer.qHeads}|${layer.kvHeads}|${layer.kHeadDim}|${layer.vHeadDim}|${layer.mla ? `${layer.mla.kvLoraRank}/${layer.mla.qkRopeHeadDim}/${layer.mla.qkNopeHeadDim}/${layer.mla.vHeadDim}` : ''}`;
    let shape = memo.get(key);
    if (!shape) {
      const per = layerBytesPerToken(spec, layer, options);
      anyReplicated ||= per.replicated;
      const entry = llamaCpp && hasZeroWidthEntry(spec, layer);
      if (paddedV !== undefined && (cachesTokens(layer.kind) || entry)) {
        const padded = vBytes(options.vDtype, paddedV);
        if (padded !== per.v) per.formula += `; V padded to ${fmt(paddedV)} values without flash attention = ${fmt(padded)} B`;
        per.v = padded;
      }
      const perRank = per.k + per.v;
      // A zero-width entry still takes its cells (and, padded, V bytes) in llama.cpp's cache.
      const tokens = entry ? padTo(options.contextTokens * options.batch, LLAMACPP_CELL_PAD)
        : perRank === 0 ? 0 : cachedTokenCount(layer.kind, layer.windowTokens, options, options.contextTokens, options.batch);
      if (entry && perRank === 0) per.formula = 'attention-free layer: a zero-width entry in llama.cpp\'s cache';
      const bytesPerToken = perRank * options.tp;
      shape = {
        kind: layer.kind,
        variant: layer.variant,
        kvHeadsPerRank: per.heads,
        kBytesPerToken: per.k,
        vBytesPerToken: per.v,
        bytesPerTokenPerRank: perRank,
        bytesPerToken,
        cachedTokens: tokens,
        totalBytes: tokens * bytesPerToken,
        formula: per.formula,
        tokensFormula: entry ? `pad256(${fmt(options.contextTokens)} × ${options.batch}) = ${fmt(tokens)} cells (an entry of its own)` : perRank === 0 ? '0 (no per-token cache)' : cachedTokensFormula(layer, options),
      };
      if (layer.windowTokens !== undefined) shape.windowTokens = layer.windowTokens;
      memo.set(key, shape);
    }
    layers.push({ layer: layer.index, ...shape });
    previous = { layer, shape };
  }
  if (anyReplicated) {
    notes.push(spec.variant === 'mla'
      ? `The MLA latent is replicated on each of the ${options.tp} ranks, not split: tensor parallelism does not shrink it.`
      : `With --tp ${options.tp} > ${spec.kvHeads} KV heads, each rank keeps a replica of one KV head.`);
  }
  const stateBytesPerSequence = recurrentStateBytesPerSequence(spec, options.runtime);
  const sum = (f: (l: LayerCost) => number): number => layers.reduce((s, l) => s + f(l), 0);
  return {
    options,
    layers,
    bytesPerToken: sum((l) => l.bytesPerToken),
    bytesPerTokenPerRank: sum((l) => l.bytesPerTokenPerRank),
    totalBytes: sum((l) => l.totalBytes),
    totalBytesPerRank: sum((l) => l.totalBytes) / options.tp,
    stateBytesPerSequence,
    stateBytes: stateBytesPerSequence * options.batch,
    notes,
  };
}

/**
 * The fixed state of every layer that keeps one (linear attention, Mamba, short conv, and hybrid layers
 * beside their attention), per sequence, as `runtime` allocates it (recurrentState.ts: transformers
 * keeps conv_kernel past inputs, vLLM and llama.cpp conv_kernel − 1; llama.cpp in f32).
 */
export function recurrentStateBytesPerSequence(spec: AttentionSpec, runtime: Runtime): number {
  return stateGroups(spec, runtime).reduce((s, g) => s + g.layers * g.bytesPerLayer, 0);
}

/** Layers with a state, grouped by mixer: how many, bytes per layer per sequence, and the dims. */
export function stateGroups(spec: AttentionSpec, runtime: Runtime): { mixer: MixerKind; layers: number; bytesPerLayer: number; dims: string }[] {
  const dtypeBytes = spec.dtype === 'float32' ? 4 : 2;
  const groups = new Map<string, { mixer: MixerKind; layers: number; bytesPerLayer: number; dims: string }>();
  for (const l of spec.layers) {
    if (!l.state) continue;
    const bytesPerLayer = stateBytes(l.state, runtime, dtypeBytes);
    const key = `${l.state.mixer}|${l.state.dims}`;
    const g = groups.get(key);
    if (g) g.layers++;
    else groups.set(key, { mixer: l.state.mixer, layers: 1, bytesPerLayer, dims: l.state.dims });
  }
  return [...groups.values()];
}

export function padTo(n: number, multiple: number): number {
  return Math.ceil(n / multiple) * multiple;
}

