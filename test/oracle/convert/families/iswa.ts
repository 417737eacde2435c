/**
 * Families whose converter class (llama.cpp v0.4.0, 80fb11a, conversion/*.py) this file mirrors: the
 * sliding-window (iSWA) and chunked-attention families, and the ones that share their converter shape.
 */
import { find, GgufMeta, need, ropeParameters, textModel, type Hparams } from '../base';
import type { FamilyTable } from './types';

// gguf-py's add_array types a list by its first item (GGUFValueType.get_type, gguf-py/gguf/constants.py):
// Python ints become INT32, bools BOOL — the per-layer arrays below are written with those types.

/** ModelBase's block count: find_hparam(["n_layers", "num_hidden_layers", "n_layer", "num_layers"]) (conversion/base.py:1194). */
function blockCount(hp: Hparams): number {
  return Number(need(hp, ['n_layers', 'num_hidden_layers', 'n_layer', 'num_layers']));
}

/** Python's `value is not None` for a config value. */
function given(v: unknown): boolean {
  return v !== undefined && v !== null;
}

/** TextModel.set_gguf_parameters (conversion/base.py:1368): the expert gating function (gguf ExpertGatingFuncType). */
/**
 * Gemma2Model.set_gguf_parameters (conversion/gemma.py:83): does not call TextModel's; writes the window,
 * no pattern (llama.cpp's gemma2 loader takes period 2: layer i slides when i % 2 == 0, src/models/gemma2.cpp).
 */
function gemma2(hp: Hparams): GgufMeta {
  const m = new GgufMeta('gemma2');
  m.uint('context_length', hp.max_position_embeddings);
  m.uint('embedding_length', hp.hidden_size);
  m.uint('block_count', blockCount(hp));
  m.uint('feed_forward_length', hp.intermediate_size);
  m.uint('attention.head_count', hp.num_attention_heads);
  m.uint('attention.head_count_kv', 'num_key_value_heads' in hp ? hp.num_key_value_heads : hp.num_attention_heads);
  m.float('attention.layer_norm_rms_epsilon', hp.rms_norm_eps);
  m.uint('attention.key_length', hp.head_dim);
  m.uint('attention.value_length', hp.head_dim);
  m.float('attn_logit_softcapping', hp.attn_logit_softcapping);
  m.float('final_logit_softcapping', hp.final_logit_softcapping);
  m.uint('attention.sliding_window', hp.sliding_window);
  return m;
}

/**
 * Gemma3Model.set_gguf_parameters (conversion/gemma.py:140) over TextModel's: the window unless
 * sliding_window_pattern == 1, no pattern (llama.cpp's gemma3 loader takes period 6, src/models/gemma3.cpp).
 */
function gemma3(arch: string, hp: Hparams): GgufMeta {
  const m = textModel(arch, hp);
  m.uint('context_length', hp.max_position_embeddings ?? 131072);
  m.uint('attention.head_count', hp.num_attention_heads ?? 8);
  m.float('attention.layer_norm_rms_epsilon', hp.rms_norm_eps ?? 1e-6);
  m.uint('attention.key_length', hp.head_dim ?? 256);
  m.uint('attention.value_length', hp.head_dim ?? 256);
  if (hp.final_logit_softcapping) m.float('final_logit_softcapping', hp.final_logit_softcapping);
  if (hp.sliding_window_pattern !== 1) m.uint('attention.sliding_window', hp.sliding_window);
  m.uint('attention.head_count_kv', hp.num_key_value_heads ?? 4);
  return m;
}

/**
 * Gemma4Model.set_gguf_parameters (conversion/gemma.py:670) over Gemma3Model's: the per-layer SWA pattern
 * from layer_types, KV sharing (shared_kv_layers), the full/SWA head sizes, the per-layer kv heads when the
 * full layers have their own count, and the double-wide FFN of the shared layers.
 */
function gemma4(hp: Hparams): GgufMeta {
  const m = gemma3('gemma4', hp);
  const nLayer = blockCount(hp);
  const nShared = Number(hp.num_kv_shared_layers);
  m.uint('attention.shared_kv_layers', nShared);
  m.uint('embedding_length_per_layer_input', hp.hidden_size_per_layer_input || 0);
  const layerTypes = (hp.layer_types ?? []) as string[];
  const swaLayers = layerTypes.map((t) => t === 'sliding_attention');
  m.array('attention.sliding_window_pattern', 'BOOL', swaLayers);
  const perLayer = hp.per_layer_config as Record<string, Record<string, unknown>> | undefined | null;
  const fromFullLayer = (key: string): unknown => {
    if (!perLayer) return undefined;
    for (const [idx, cfg] of Object.entries(perLayer)) {
      const i = Number(idx);
      if (i < layerTypes.length && layerTypes[i] === 'full_attention' && key in cfg) return cfg[key];
    }
    return undefined;
  };
  let headDimFull = hp.global_head_dim;
  if (!given(headDimFull) && perLayer) headDimFull = fromFullLayer('head_dim');
  if (!given(headDimFull)) throw new Error('converter: gemma4 has no global_head_dim');
  const headDimSwa = hp.head_dim;
  m.uint('attention.key_length', headDimFull);
  m.uint('attention.value_length', headDimFull);
  m.uint('attention.key_length_swa', headDimSwa);
  m.uint('attention.value_length_swa', headDimSwa);
  const expertFf = find(hp, ['expert_intermediate_size', 'moe_intermediate_size']);
  if (given(expertFf)) m.uint('expert_feed_forward_length', expertFf);
  const firstShared = nLayer - nShared;
  if (hp.use_double_wide_mlp) {
    const nFf = Number(hp.intermediate_size);
    m.int('feed_forward_length', Array.from({ length: nLayer }, (_, il) => (il < firstShared ? nFf : nFf * 2)));
  }
  let kvFull = hp.num_global_key_value_heads;
  if (!given(kvFull) && perLayer) kvFull = fromFullLayer('num_key_value_heads');
  const kvSwa = hp.num_key_value_heads;
  if (given(kvFull) && given(kvSwa)) m.int('attention.head_count_kv', swaLayers.map((swa) => (swa ? kvSwa : kvFull)));
  // rope_parameters is keyed by layer type: its top level has no partial_rotary_factor (1.0).
  const rope = ((hp.rope_parameters ?? hp.rope_scaling) as Record<string, unknown> | null | undefined) ?? {};
  const partialSwa = Number(rope.partial_rotary_factor ?? 1.0);
  m.uint('rope.dimension_count', Math.trunc(Number(headDimFull)));
  m.uint('rope.dimension_count_swa', Math.trunc(Number(headDimSwa) * partialSwa));
  return m;
}

/** GptOssModel.set_gguf_parameters (conversion/gpt_oss.py:128): the window, no pattern (llama.cpp: period 2, src/models/openai-moe.cpp). */
function gptOss(hp: Hparams): GgufMeta {
  const m = textModel('gpt-oss', hp);
  m.uint('attention.sliding_window', hp.sliding_window);
  m.uint('expert_feed_forward_length', hp.intermediate_size);
  return m;
}

/**
 * Llama4Model (conversion/llama.py:379, set_gguf_parameters :392) over LlamaModel (:164): intermediate_size
 * is the MoE width, intermediate_size_mlp the dense one; no window is written unless every layer is full
 * attention (then 0) — llama.cpp's llama4 loader fixes the chunk at 8192 with period 4 (src/models/llama4.cpp).
 * layer_types as AutoConfig gives it: Llama4TextConfig.__post_init__ (transformers
 * models/llama4/configuration_llama4.py:180-201) derives it from no_rope_layers (default: every 4th layer NoPE).
 */
function llama4(hp: Hparams): GgufMeta {
  const h: Hparams = { ...hp, intermediate_size_moe: hp.intermediate_size, intermediate_size: hp.intermediate_size_mlp };
  const m = textModel('llama4', h);
  m.uint('vocab_size', h.vocab_size);
  m.uint('rope.dimension_count', given(h.head_dim) ? h.head_dim : Math.floor(Number(h.hidden_size) / Number(h.num_attention_heads)));
  m.uint('interleave_moe_layer_step', h.interleave_moe_layer_step);
  m.uint('expert_feed_forward_length', h.intermediate_size_moe);
  let layerTypes = h.layer_types as string[] | null | undefined;
  if (!given(layerTypes)) {
    const n = blockCount(h);
    const interval = Number(h.no_rope_layer_interval ?? 4);
    const noRope = (h.no_rope_layers as number[] | null | undefined)?.length
      ? (h.no_rope_layers as number[])
      : Array.from({ length: n }, (_, i) => Number((i + 1) % interval !== 0));
    layerTypes = noRope.map((r) => (r ? 'chunked_attention' : 'full_attention'));
  }
  if (layerTypes!.every((t) => t === 'full_attention')) m.uint('attention.sliding_window', 0);
  return m;
}

/** Cohere2Model.set_gguf_parameters (conversion/command_r.py:40): the window, no pattern (llama.cpp: period 4, src/models/cohere2.cpp). */
function cohere2(hp: Hparams): GgufMeta {
  const m = textModel('cohere2', hp);
  m.float('logit_scale', hp.logit_scale);
  m.uint('attention.sliding_window', hp.sliding_window);
  m.uint('vocab_size', hp.vocab_size);
  const headDim = Math.floor(Number(hp.hidden_size) / Number(hp.num_attention_heads));
  m.uint('rope.dimension_count', Math.trunc(Number(hp.rotary_pct) * headDim));
  m.set('rope.scaling.type', { type: 'STRING', value: 'none' });
  return m;
}

/**
 * Exaone4_5_TextModel (conversion/exaone.py:221; __init__ :226, set_gguf_parameters :233) over Exaone4Model
 * (:78): block_count = num_hidden_layers + num_nextn_predict_layers, nextn_predict_layers, the window and
 * the layer_types pattern (num_hidden_layers entries).
 */
function exaone4(hp: Hparams, nNextn: number): GgufMeta {
  const h: Hparams = { ...hp, num_hidden_layers: blockCount(hp) + nNextn, n_layers: undefined, n_layer: undefined, num_layers: undefined };
  const m = textModel('exaone4', h);
  m.uint('vocab_size', hp.vocab_size);
  if (given(hp.sliding_window)) {
    m.uint('attention.sliding_window', hp.sliding_window);
    const nLayer = Number(hp.num_hidden_layers);
    if ('layer_types' in hp) {
      m.array('attention.sliding_window_pattern', 'BOOL', (hp.layer_types as string[]).map((t) => t === 'sliding_attention'));
    } else if ('sliding_window_pattern' in hp) {
      const p = hp.sliding_window_pattern;
      const pattern: boolean[] = [];
      if (typeof p === 'string') for (let i = 0; i < nLayer; i++) pattern.push(p[i % p.length] === 'L');
      if (typeof p === 'number') for (let i = 0; i < nLayer; i++) pattern.push((i + 1) % p !== 0);
      if (pattern.length === nLayer) m.array('attention.sliding_window_pattern', 'BOOL', pattern);
    }
  }
  if (nNextn > 0) m.uint('nextn_predict_layers', nNextn);
  return m;
}

/**
 * Phi3MiniModel.set_gguf_parameters (conversion/phi.py:148): does not call TextModel's; writes the window
 * (0 when absent), which llama.cpp's phi3 loader reads and then disables (src/models/phi3.cpp).
 */
function phi3(hp: Hparams): GgufMeta {
  const m = new GgufMeta('phi3');
  const nEmbd = need(hp, ['hidden_size', 'n_embd']);
  const nHead = need(hp, ['num_attention_heads', 'n_head']);
  const rope = ((hp.rope_parameters ?? hp.rope_scaling) as Record<string, unknown> | null | undefined) ?? {};
  const rotPct = Number(rope.partial_rotary_factor ?? find(hp, ['partial_rotary_factor', 'rope_pct', 'rope_percent']) ?? 1.0);
  m.uint('context_length', need(hp, ['n_positions', 'max_position_embeddings']));
  m.uint('embedding_length', nEmbd);
  m.uint('feed_forward_length', need(hp, ['intermediate_size']));
  m.uint('block_count', blockCount(hp));
  m.uint('attention.head_count', nHead);
  m.uint('attention.head_count_kv', need(hp, ['num_key_value_heads', 'n_head_kv']));
  m.float('attention.layer_norm_rms_epsilon', need(hp, ['rms_norm_eps']));
  m.uint('rope.dimension_count', Math.floor(Math.trunc(rotPct * Number(nEmbd)) / Number(nHead)));
  const theta = rope.rope_theta ?? hp.rope_theta;
  if (typeof theta === 'number') m.float('rope.freq_base', theta);
  m.uint('attention.sliding_window', hp.sliding_window ?? 0);
  return m;
}

/** MiniMaxM2Model.set_gguf_parameters (conversion/minimax.py:128): expert width and rotary_dim. Full attention only. */
function minimaxM2(hp: Hparams): GgufMeta {
  const m = textModel('minimax-m2', hp);
  m.uint('expert_feed_forward_length', need(hp, ['intermediate_size']));
  m.uint('rope.dimension_count', need(hp, ['rotary_dim']));
  return m;
}

const SWA_CELLS = "llama.cpp's SWA cache keeps window + n_ubatch (512) cells, padded to 256 (src/llama-kv-cache-iswa.cpp:73), where transformers keeps the last window tokens";

/**
 * MimoV2Model.set_gguf_parameters (conversion/mimo.py:18, :139): block_count = num_hidden_layers + 3 MTP
 * blocks (:23, :28), and the per-layer head_count_kv and sliding_window_pattern extended with 3 SWA
 * entries for them (:149).
 */
function mimo2(hp: Hparams): GgufMeta {
  const mtpBlocks = 3;
  const m = textModel('mimo2', hp);
  m.uint('block_count', Number(need(hp, ['num_hidden_layers'])) + mtpBlocks);
  const pattern = [...(need(hp, ['hybrid_layer_pattern']) as number[]), ...Array<number>(mtpBlocks).fill(1)];
  const kv = Number(need(hp, ['num_key_value_heads']));
  const kvSwa = Number(need(hp, ['swa_num_key_value_heads']));
  m.uint('attention.head_count_kv', pattern.map((swa) => (swa === 1 ? kvSwa : kv)));
  m.uint('attention.sliding_window', need(hp, ['sliding_window']));
  m.array('attention.sliding_window_pattern', 'BOOL', pattern.map((swa) => swa === 1));
  m.uint('attention.value_length', need(hp, ['v_head_dim']));
  m.uint('expert_count', need(hp, ['n_routed_experts']));
  m.uint('expert_feed_forward_length', need(hp, ['moe_intermediate_size']));
  const rope = ropeParameters(hp);
  const partial = Number(rope.partial_rotary_factor ?? hp.partial_rotary_factor);
  m.uint('rope.dimension_count', Math.trunc(Number(need(hp, ['head_dim'])) * partial));
  m.float('attention.layer_norm_rms_epsilon', hp.layernorm_epsilon ?? 1e-5);
  m.uint('nextn_predict_layers', mtpBlocks);
  return m;
}

export const ISWA_FAMILIES: FamilyTable = {
  mimo_v2: {
    mirrors: 'MimoV2Model (conversion/mimo.py:18, set_gguf_parameters :139)',
    convert: mimo2,
    // The loader reads the pattern with n_layer() = num_hidden_layers entries (src/models/mimo2.cpp).
    expectedRefusal: /sliding_window_pattern has wrong array length; expected \d+, got \d+/,
  },
  gemma2: { mirrors: 'Gemma2Model (conversion/gemma.py:75, set_gguf_parameters :83)', convert: gemma2, differsFromHf: SWA_CELLS },
  gemma3_text: { mirrors: 'Gemma3Model (conversion/gemma.py:127, set_gguf_parameters :140)', convert: (hp) => gemma3('gemma3', hp), differsFromHf: SWA_CELLS },
  gemma4_text: { mirrors: 'Gemma4Model (conversion/gemma.py:633, set_gguf_parameters :670)', convert: gemma4, differsFromHf: SWA_CELLS },
  gpt_oss: { mirrors: 'GptOssModel (conversion/gpt_oss.py:15, set_gguf_parameters :128)', convert: gptOss, differsFromHf: SWA_CELLS },
  llama4_text: { mirrors: 'Llama4Model (conversion/llama.py:379, set_gguf_parameters :392)', convert: llama4,
    differsFromHf: "llama.cpp's chunked cache keeps the 8192-token chunk + n_ubatch (512) cells (src/llama-kv-cache-iswa.cpp:73), where transformers keeps attention_chunk_size tokens",
  },
  // Cohere2's and Phi3's loaders shape wq as {n_embd, n_embd} (src/models/cohere2.cpp:39, phi3.cpp:46): the embedding cannot shrink.
  cohere2: { mirrors: 'Cohere2Model (conversion/command_r.py:37, set_gguf_parameters :40)', convert: cohere2, keepEmbedding: true, differsFromHf: SWA_CELLS },
  exaone4_5_text: {
    mirrors: 'Exaone4_5_TextModel (conversion/exaone.py:221, set_gguf_parameters :233) over Exaone4Model (:65)',
    convert: (hp) => exaone4(hp, Number(hp.num_nextn_predict_layers ?? 0) || 0),
    // wo is {n_embd, n_embd} (src/models/exaone4.cpp:51): the embedding cannot shrink.
    keepEmbedding: true,
    differsFromHf:
      `${SWA_CELLS}; and llama.cpp also caches the MTP layer the converter appends (block num_hidden_layers, a full-attention layer: ` +
      'set_swa_pattern marks layers >= n_layer() non-SWA, src/llama-hparams.cpp:19, and EXAONE4 is not among the archs whose main ' +
      'context filters nextn layers out, src/llama-model.cpp:2585), which transformers never runs',
  },
  // Phi3 marks both the fused and the split QKV optional (create_tensor_qkv with TENSOR_NOT_REQUIRED,
  // src/models/phi3.cpp:46, src/llama-model.cpp:3186-3192); its graph dereferences one of them.
  phi3: { mirrors: 'Phi3MiniModel (conversion/phi.py:41, set_gguf_parameters :148)', convert: phi3, keepEmbedding: true,
    optionalTensors: /^blk\.\d+\.attn_qkv\.weight$/,
    differsFromHf: "llama.cpp keeps every token: its phi3 loader reads the converter's sliding_window and disables it (src/models/phi3.cpp:20, swa_type NONE), while transformers' cache for Phi-3-mini-4k holds the last 2047",
  },
  minimax_m2: { mirrors: 'MiniMaxM2Model (conversion/minimax.py:124, set_gguf_parameters :128)', convert: minimaxM2 },
};

/** model_type → why llama.cpp v0.4.0 cannot load it. */
export const ISWA_UNSUPPORTED: Record<string, string> = {
};
