/**
 * Families whose converter class (llama.cpp v0.4.0, 80fb11a, conversion/*.py) this file mirrors.
 */
import { GgufMeta, need, ropeParameters, textModel, type Hparams } from '../base';
import type { FamilyTable } from './types';

/** ModelBase's block count: find_hparam(["n_layers", "num_hidden_layers", "n_layer", "num_layers"]) (conversion/base.py:1194). */
function blockCount(hp: Hparams): number {
  return Number(need(hp, ['n_layers', 'num_hidden_layers', 'n_layer', 'num_layers']));
}

/** `hparams.get(key)` with Python's None for a missing or null key. */
function get(hp: Hparams, key: string): unknown {
  return hp[key] ?? undefined;
}

/**
 * FalconModel.set_gguf_parameters (conversion/falcon.py:18). The kv head count is num_kv_heads as
 * AutoConfig gives it: FalconConfig.__post_init__ fills None with num_attention_heads
 * (transformers models/falcon/configuration_falcon.py:95, v5.18.0).
 *
 * One exception. For the old multi-query layout (multi_query and not new_decoder_architecture:
 * Falcon-7B) the checkpoint's query_key_value holds one K and one V head, and FalconModel.modify_tensors
 * (conversion/falcon.py:53) views it as (n_head_kv, n_head / n_head_kv + 2, head_dim, n_embd): with
 * num_kv_heads = num_attention_heads (71) that view fails ("shape '[71, 3, 64, 4544]' is invalid"), so this
 * converter writes no file for it. The loadable Falcon-7B GGUFs (the earlier convert-falcon-hf-to-gguf.py,
 * `n_head_kv` defaulting to 1) say 1, the only value llama.cpp's wqkv {n_embd, n_embd + 2*n_embd_gqa}
 * (src/models/falcon.cpp:38) accepts for those weights; that is what is written here.
 */
function falcon(hp: Hparams): GgufMeta {
  const m = new GgufMeta('falcon');
  const nHead = get(hp, 'num_attention_heads') ?? hp.n_head;
  let nHeadKv = get(hp, 'num_kv_heads');
  // AutoConfig(...).to_dict(): FalconConfig sets num_kv_heads = num_attention_heads when None.
  if (nHeadKv === undefined && hp.model_type === 'falcon' && get(hp, 'num_attention_heads') !== undefined) nHeadKv = hp.num_attention_heads;
  if (nHeadKv === undefined) nHeadKv = get(hp, 'n_head_kv') ?? 1;
  // The weights' layout (see above): one K/V head, whatever num_kv_heads says.
  if (hp.model_type === 'falcon' && hp.multi_query === true && hp.new_decoder_architecture !== true) nHeadKv = 1;
  m.uint('context_length', 2048); // not in config.json
  m.uint('embedding_length', hp.hidden_size);
  m.uint('feed_forward_length', 4 * Number(hp.hidden_size));
  m.uint('block_count', blockCount(hp));
  m.uint('attention.head_count', nHead);
  m.uint('attention.head_count_kv', nHeadKv);
  m.float('attention.layer_norm_epsilon', need(hp, ['layer_norm_epsilon']));
  return m;
}

/** GPT2Model.set_gguf_parameters (conversion/gpt2.py:18): no kv head count (llama.cpp takes n_head). */
function gpt2(hp: Hparams): GgufMeta {
  const m = new GgufMeta('gpt2');
  m.uint('block_count', blockCount(hp));
  m.uint('context_length', need(hp, ['n_ctx']));
  m.uint('embedding_length', hp.n_embd);
  m.uint('feed_forward_length', 4 * Number(hp.n_embd));
  m.uint('attention.head_count', hp.n_head);
  m.float('attention.layer_norm_epsilon', need(hp, ['layer_norm_epsilon']));
  return m;
}

/** StarCoderModel.set_gguf_parameters (conversion/starcoder.py:11): always one kv head. */
function starcoder(hp: Hparams): GgufMeta {
  const m = new GgufMeta('starcoder');
  m.uint('context_length', need(hp, ['n_positions']));
  m.uint('embedding_length', hp.n_embd);
  m.uint('feed_forward_length', 4 * Number(hp.n_embd));
  m.uint('block_count', blockCount(hp));
  m.uint('attention.head_count', hp.n_head);
  m.uint('attention.head_count_kv', 1);
  m.float('attention.layer_norm_epsilon', need(hp, ['layer_norm_epsilon']));
  return m;
}

/** MPTModel.set_gguf_parameters (conversion/mpt.py:27). */
function mpt(hp: Hparams): GgufMeta {
  const m = new GgufMeta('mpt');
  const attn = (hp.attn_config ?? {}) as Hparams;
  m.uint('context_length', need(hp, ['max_seq_len']));
  m.uint('embedding_length', hp.d_model);
  m.uint('block_count', blockCount(hp));
  m.uint('feed_forward_length', 4 * Number(hp.d_model));
  m.uint('attention.head_count', hp.n_heads);
  if (attn.kv_n_heads) m.uint('attention.head_count_kv', attn.kv_n_heads);
  m.float('attention.layer_norm_epsilon', 1e-5);
  if (attn.clip_qkv !== null && attn.clip_qkv !== undefined) m.float('attention.clamp_kqv', attn.clip_qkv);
  m.float('attention.max_alibi_bias', attn.alibi ? attn.alibi_bias_max : 0);
  return m;
}

/**
 * ChatGLMModel.set_gguf_parameters (conversion/chatglm.py:134). model_type "chatglm" is remote code, so
 * AutoConfig fails and the converter reads config.json as is (conversion/base.py:1126).
 */
function chatglm(hp: Hparams): GgufMeta {
  const m = new GgufMeta('chatglm');
  const nEmbd = get(hp, 'hidden_size') ?? hp.n_embed;
  const nHead = get(hp, 'n_head') ?? hp.num_attention_heads;
  const nHeadKv = get(hp, 'multi_query_group_num') ?? get(hp, 'num_key_value_heads') ?? nHead;
  m.uint('context_length', get(hp, 'seq_length') ?? nEmbd);
  m.uint('embedding_length', nEmbd);
  m.uint('feed_forward_length', get(hp, 'ffn_hidden_size') ?? get(hp, 'intermediate_size') ?? 4 * Number(nEmbd));
  m.uint('block_count', blockCount(hp));
  m.uint('attention.head_count', nHead);
  m.uint('attention.head_count_kv', nHeadKv);
  m.float('attention.layer_norm_rms_epsilon', get(hp, 'layernorm_epsilon') ?? 1e-5);
  const ropeDim = 'attention_dim' in hp ? Number(hp.attention_dim) : Math.floor(Number(hp.hidden_size) / Number(hp.num_attention_heads));
  const partial = Number(ropeParameters(hp).partial_rotary_factor ?? partialRotary(hp) ?? 0.5);
  m.uint('rope.dimension_count', Math.trunc(ropeDim * partial));
  m.float('rope.freq_base', 10000 * Number(hp.rope_ratio ?? 1));
  return m;
}

/** TextModel.__init__ mirrors partial_rotary_factor (or rope_pct / rope_percent) into rope_parameters (conversion/base.py:1201). */
function partialRotary(hp: Hparams): unknown {
  for (const k of ['partial_rotary_factor', 'rope_pct', 'rope_percent']) if (hp[k] !== undefined && hp[k] !== null) return hp[k];
  return undefined;
}

/** TextModel writes mrope sections, padded to four (conversion/base.py:1335). */
function mropeSections(m: GgufMeta, hp: Hparams): void {
  const section = ropeParameters(hp).mrope_section;
  if (Array.isArray(section)) m.int('rope.dimension_sections', [...(section as unknown[]), 0, 0, 0, 0].slice(0, 4));
}

/** Glm4Model.set_gguf_parameters (conversion/glm.py:47): TextModel's, plus the partial rope width. */
function glm4(hp: Hparams): GgufMeta {
  const m = textModel('glm4', hp);
  mropeSections(m, hp);
  const ropeDim = typeof hp.head_dim === 'number' ? hp.head_dim : Math.floor(Number(hp.hidden_size) / Number(hp.num_attention_heads));
  const partial = Number(ropeParameters(hp).partial_rotary_factor ?? partialRotary(hp) ?? 0.5);
  m.uint('rope.dimension_count', Math.trunc(ropeDim * partial));
  return m;
}

/**
 * Glm4MoeModel (conversion/glm.py:113): block_count grows by num_nextn_predict_layers (__init__, the
 * MTP layers are exported unless --no-mtp), set_gguf_parameters (:151) adds the MoE keys.
 */
function glm4Moe(hp: Hparams): GgufMeta {
  const m = textModel('glm4moe', hp);
  const nextn = get(hp, 'num_nextn_predict_layers');
  m.uint('block_count', blockCount(hp) + Number(nextn ?? 0));
  mropeSections(m, hp);
  const ropeDim = typeof hp.head_dim === 'number' ? hp.head_dim : Math.floor(Number(hp.hidden_size) / Number(hp.num_attention_heads));
  const partial = Number(ropeParameters(hp).partial_rotary_factor ?? partialRotary(hp) ?? 0.5);
  m.uint('rope.dimension_count', Math.trunc(ropeDim * partial));
  if (get(hp, 'n_routed_experts') !== undefined) m.uint('expert_count', hp.n_routed_experts);
  if (get(hp, 'moe_intermediate_size') !== undefined) m.uint('expert_feed_forward_length', hp.moe_intermediate_size);
  if (get(hp, 'n_shared_experts') !== undefined) m.uint('expert_shared_count', hp.n_shared_experts);
  if (get(hp, 'first_k_dense_replace') !== undefined) m.uint('leading_dense_block_count', hp.first_k_dense_replace);
  m.uint('expert_gating_func', 2); // ExpertGatingFuncType.SIGMOID
  if (get(hp, 'routed_scaling_factor') !== undefined) m.float('expert_weights_scale', hp.routed_scaling_factor);
  if (get(hp, 'norm_topk_prob') !== undefined) m.flag('expert_weights_norm', Boolean(hp.norm_topk_prob));
  if (nextn !== undefined) m.uint('nextn_predict_layers', nextn);
  return m;
}

/** DeciModel._ffn_mult_to_intermediate_size (conversion/deci.py:21). */
function deciFfn(ffnMult: number, nEmbd: number): number {
  const size = Math.trunc((2 * ffnMult * nEmbd) / 3);
  return size % 256 === 0 ? size : size + 256 - (size % 256);
}

/**
 * DeciModel (conversion/deci.py:17): with block_configs, __init__ (:33) derives per-layer head counts
 * (0 kv heads for no-op and linear-attention layers) and FFN widths; set_gguf_parameters (:97) writes them.
 * model_type "nemotron-nas" is remote code: the converter reads config.json as is (conversion/base.py:1126).
 */
function deci(hp: Hparams): GgufMeta {
  const m = new GgufMeta('deci');
  const nHead = Number(hp.num_attention_heads);
  const nEmbd = Number(hp.hidden_size);
  const blocks = hp.block_configs as Array<{ attention: Hparams; ffn: Hparams }> | undefined;
  if (blocks) {
    const nLayer = blockCount(hp);
    if (blocks.length !== nLayer) throw new Error(`converter: ${blocks.length} block_configs for ${nLayer} layers`);
    const kv: number[] = [];
    const heads: number[] = [];
    const ffn: number[] = [];
    for (const b of blocks) {
      const group = b.attention.n_heads_in_group;
      if (group === null || group === undefined) {
        kv.push(0);
        heads.push(b.attention.replace_with_linear === true ? nHead : 0);
      } else {
        kv.push(Math.floor(nHead / Number(group)));
        heads.push(nHead);
      }
      const mult = b.ffn.ffn_mult;
      ffn.push(deciFfn(mult === null || mult === undefined ? 0 : Number(mult), nEmbd));
    }
    const theta = ropeParameters(hp).rope_theta ?? hp.rope_theta;
    if (typeof theta === 'number') m.float('rope.freq_base', theta);
    m.int('attention.head_count_kv', kv);
    m.int('attention.head_count', heads);
    m.int('feed_forward_length', ffn);
    m.uint('block_count', nLayer);
    m.uint('context_length', hp.max_position_embeddings);
    m.uint('embedding_length', nEmbd);
    m.float('attention.layer_norm_rms_epsilon', hp.rms_norm_eps);
    m.uint('attention.key_length', Math.floor(nEmbd / nHead));
    m.uint('attention.value_length', Math.floor(nEmbd / nHead));
  } else {
    // DeciLM-7B: TextModel's, then per-layer kv heads.
    const t = textModel('deci', hp);
    Object.assign(m.values, t.values);
    if (Array.isArray(hp.num_key_value_heads_per_layer)) m.int('attention.head_count_kv', hp.num_key_value_heads_per_layer as number[]);
  }
  m.uint('vocab_size', hp.vocab_size);
  m.uint('rope.dimension_count', typeof hp.head_dim === 'number' ? hp.head_dim : Math.floor(nEmbd / nHead));
  return m;
}

/**
 * Qwen3VLMoeTextModel (conversion/qwen3vl.py:277) → Qwen3MoeModel → Qwen2MoeModel.set_gguf_parameters
 * (conversion/qwen.py:81): TextModel's (with the mrope sections), the expert widths, and the deepstack layer count.
 */
function qwen3VlMoe(hp: Hparams): GgufMeta {
  const m = textModel('qwen3vlmoe', hp);
  mropeSections(m, hp);
  if (typeof hp.moe_intermediate_size === 'number') m.uint('expert_feed_forward_length', hp.moe_intermediate_size);
  if (typeof hp.shared_expert_intermediate_size === 'number') m.uint('expert_shared_feed_forward_length', hp.shared_expert_intermediate_size);
  const vision = (hp.vision_config ?? {}) as Hparams;
  m.uint('n_deepstack_layers', Array.isArray(vision.deepstack_visual_indexes) ? vision.deepstack_visual_indexes.length : 0);
  return m;
}

// The fused-QKV graphs below shape wqkv {n_embd, n_embd + 2*n_embd_gqa} and wo {n_embd, n_embd}
// (src/models/{falcon,gpt2,starcoder,mpt,chatglm}.cpp): Q is n_embd wide, so the embedding cannot shrink.
export const CLASSIC_FAMILIES: FamilyTable = {
  falcon: { mirrors: 'FalconModel (conversion/falcon.py:15, set_gguf_parameters :18)', convert: falcon, keepEmbedding: true },
  gpt2: { mirrors: 'GPT2Model (conversion/gpt2.py:15, set_gguf_parameters :18)', convert: gpt2, keepEmbedding: true },
  gpt_bigcode: { mirrors: 'StarCoderModel (conversion/starcoder.py:8, set_gguf_parameters :11)', convert: starcoder, keepEmbedding: true },
  mpt: { mirrors: 'MPTModel (conversion/mpt.py:13, set_gguf_parameters :27)', convert: mpt, keepEmbedding: true },
  chatglm: { mirrors: 'ChatGLMModel (conversion/chatglm.py:13, set_gguf_parameters :134)', convert: chatglm, keepEmbedding: true },
  glm4: { mirrors: 'Glm4Model (conversion/glm.py:19, set_gguf_parameters :47)', convert: glm4 },
  glm4_moe: {
    mirrors: 'Glm4MoeModel (conversion/glm.py:113, set_gguf_parameters :151)',
    convert: glm4Moe,
    differsFromHf: "llama.cpp caches the MTP (nextn) layer too: the converter writes block_count = num_hidden_layers + num_nextn_predict_layers and the KV cache spans every block (src/llama-kv-cache.cpp:102, no nextn filter for GLM4_MOE), while transformers' cache holds num_hidden_layers",
  },
  'nemotron-nas': {
    mirrors: 'DeciModel (conversion/deci.py:17, __init__ :33, set_gguf_parameters :97)',
    convert: deci,
    differsFromHf: 'llama.cpp gives every layer a cache entry, the attention-free ones included, and without flash attention pads each V to the widest layer (src/llama-kv-cache.cpp:158, :210), while transformers caches only the attention layers',
  },
  qwen3_vl_moe_text: { mirrors: 'Qwen3VLMoeTextModel (conversion/qwen3vl.py:277) → Qwen2MoeModel (conversion/qwen.py:81)', convert: qwen3VlMoe },
};

/** model_type → why llama.cpp v0.4.0 cannot load it. */
export const CLASSIC_UNSUPPORTED: Record<string, string> = {};
