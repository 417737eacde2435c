/**
 * Families whose converter class (llama.cpp v0.4.0, 80fb11a, conversion/*.py) this file mirrors.
 */
import { find, need, textModel, type GgufMeta, type Hparams } from '../base';
import type { FamilyTable } from './types';

/**
 * DeepseekV2Model.set_gguf_parameters (conversion/deepseek.py:319): MLA written as MQA with wide heads —
 * one KV head, key_length = kv_lora_rank + qk_rope_head_dim, value_length = kv_lora_rank, and the
 * decompressed (MHA) sizes as key_length_mla / value_length_mla.
 */
function deepseek2(hp: Hparams): GgufMeta {
  // "deepseek2 using MLA converts into MQA (ie: GQA with 1 group)"
  const h: Hparams = { ...hp, num_key_value_heads: 1, rms_norm_eps: hp.rms_norm_eps ?? 1e-6 };
  const m = textModel('deepseek2', h);
  const hasMoe = h.n_routed_experts !== undefined && h.n_routed_experts !== null;
  let dense = h.first_k_dense_replace;
  if (dense === undefined || dense === null) dense = hasMoe ? 0 : h.num_hidden_layers;
  m.uint('leading_dense_block_count', dense);
  const kvLoraRank = Number(h.kv_lora_rank ?? 512);
  if (h.q_lora_rank !== undefined && h.q_lora_rank !== null) m.uint('attention.q_lora_rank', h.q_lora_rank);
  m.uint('attention.kv_lora_rank', kvLoraRank);
  m.uint('attention.key_length', kvLoraRank + Number(h.qk_rope_head_dim));
  m.uint('attention.value_length', kvLoraRank);
  m.uint('attention.key_length_mla', Number(h.qk_nope_head_dim) + Number(h.qk_rope_head_dim));
  m.uint('attention.value_length_mla', h.v_head_dim);
  m.uint('expert_feed_forward_length', need(h, ['moe_intermediate_size', 'intermediate_size']));
  if (hasMoe) m.uint('expert_count', h.n_routed_experts);
  m.uint('expert_shared_count', h.n_shared_experts ?? 0);
  if (typeof h.routed_scaling_factor === 'number') m.float('expert_weights_scale', h.routed_scaling_factor);
  if (h.norm_topk_prob === true) m.flag('expert_weights_norm', true);
  m.uint('rope.dimension_count', h.qk_rope_head_dim);
  return m;
}

/** TextModel.set_gguf_parameters (conversion/base.py:1368): the expert gating function (gguf ExpertGatingFuncType). */
/**
 * Qwen3NextModel.set_gguf_parameters (conversion/qwen.py:375) over _QwenMtpMixin (:296, :349) and
 * Qwen2MoeModel (:81): the gated-DeltaNet sizes as ssm.*, full_attention_interval (llama.cpp marks layer i
 * recurrent when (i + 1) % interval != 0).
 *
 * Converted as `convert_hf_to_gguf.py --no-mtp` (convert_hf_to_gguf.py:125): block_count = num_hidden_layers,
 * no nextn_predict_layers. By default _QwenMtpMixin (conversion/qwen.py:296, :349) appends the MTP layers
 * and writes nextn_predict_layers; that changes no cache — the main context's hybrid memory keeps only
 * layers il < n_layer() (src/llama-model.cpp:2487) — but a GGUF with nextn layers and no trunk layer 0
 * loads as an MTP-only file (src/models/qwen3next.cpp:38), whose trunk tensors the oracle's loader never asks for.
 */
function qwen3next(arch: string, hp: Hparams): GgufMeta {
  const m = textModel(arch, hp);
  // Qwen2MoeModel.set_gguf_parameters (conversion/qwen.py:81)
  if (typeof hp.moe_intermediate_size === 'number') m.uint('expert_feed_forward_length', hp.moe_intermediate_size);
  if (typeof hp.shared_expert_intermediate_size === 'number') m.uint('expert_shared_feed_forward_length', hp.shared_expert_intermediate_size);
  // _QwenMtpMixin.__init__ (conversion/qwen.py:296) with no_mtp: block_count = num_hidden_layers.
  m.uint('block_count', hp.num_hidden_layers);
  m.uint('ssm.conv_kernel', hp.linear_conv_kernel_dim);
  m.uint('ssm.state_size', hp.linear_key_head_dim);
  m.uint('ssm.group_count', hp.linear_num_key_heads);
  m.uint('ssm.time_step_rank', hp.linear_num_value_heads);
  m.uint('ssm.inner_size', Number(hp.linear_value_head_dim) * Number(hp.linear_num_value_heads));
  m.uint('full_attention_interval', hp.full_attention_interval ?? 4);
  const headDim = typeof hp.head_dim === 'number' ? hp.head_dim : Math.floor(Number(hp.hidden_size) / Number(hp.num_attention_heads));
  // TextModel.__init__ (conversion/base.py:1201) mirrors partial_rotary_factor into rope_parameters.
  const rope = ((hp.rope_parameters ?? hp.rope_scaling) as Record<string, unknown> | null | undefined) ?? {};
  const partial = Number(rope.partial_rotary_factor ?? find(hp, ['partial_rotary_factor', 'rope_pct', 'rope_percent']) ?? 0.25);
  m.uint('rope.dimension_count', Math.trunc(headDim * partial));
  // TextModel.set_gguf_parameters (conversion/base.py:1335): mrope_section padded to 4; _Qwen35MRopeMixin
  // (conversion/qwen.py:624) writes [11, 11, 10, 0] when it is absent (Qwen3.5 only).
  const section = rope.mrope_section as number[] | undefined;
  if (Array.isArray(section)) m.int('rope.dimension_sections', [...section, 0, 0, 0, 0].slice(0, 4));
  else if (arch === 'qwen35') m.int('rope.dimension_sections', [11, 11, 10, 0]);
  return m;
}

/**
 * KimiLinearModel.set_gguf_parameters (conversion/kimi_linear.py:78): MLA as MQA on the full-attention
 * layers (head_count_kv 1 there, 0 on the KDA layers, which llama.cpp marks recurrent), the KDA head size
 * and conv kernel. key_length is overwritten with kv_lora_rank + qk_rope_head_dim; value_length stays
 * TextModel's head_dim (72 for Kimi-Linear-48B), so llama.cpp refuses every quantized V cache type for it
 * (block size 32 does not divide n_embd_head_v, src/llama-context.cpp:3720).
 */
function kimiLinear(hp: Hparams): GgufMeta {
  const h: Hparams = { ...hp, num_key_value_heads: 1 };
  const m = textModel('kimi-linear', h);
  const lin = h.linear_attn_config as Hparams;
  const full = lin.full_attn_layers as number[];
  const nLayer = Number(h.num_hidden_layers);
  m.uint('attention.head_count_kv', Array.from({ length: nLayer }, (_, il) => (full.includes(il + 1) ? 1 : 0)));
  if (lin.short_conv_kernel_size !== undefined && lin.short_conv_kernel_size !== null) m.uint('ssm.conv_kernel', lin.short_conv_kernel_size);
  if (lin.head_dim !== undefined && lin.head_dim !== null) m.uint('kda.head_dim', lin.head_dim);
  const qLora = find(h, ['q_lora_rank', 'n_lora_q']);
  if (qLora !== undefined && qLora !== null) m.uint('attention.q_lora_rank', qLora);
  const kvLora = Number(need(h, ['kv_lora_rank', 'n_lora_kv']));
  m.uint('attention.kv_lora_rank', kvLora);
  const rope = Number(need(h, ['qk_rope_head_dim', 'n_rot']));
  m.uint('rope.dimension_count', rope);
  m.uint('attention.key_length', kvLora + rope);
  const kMla = find(h, ['n_embd_head_k_mla']);
  if (kMla !== undefined && kMla !== null) m.uint('attention.key_length_mla', kMla);
  else if (h.qk_nope_head_dim !== undefined && h.qk_nope_head_dim !== null) m.uint('attention.key_length_mla', Number(h.qk_nope_head_dim) + rope);
  if (h.n_embd_head_v_mla !== undefined && h.n_embd_head_v_mla !== null) m.uint('attention.value_length_mla', h.n_embd_head_v_mla);
  else if (h.v_head_dim !== undefined && h.v_head_dim !== null) m.uint('attention.value_length_mla', h.v_head_dim);
  m.uint('expert_feed_forward_length', need(h, ['moe_intermediate_size']));
  m.uint('expert_shared_count', need(h, ['num_shared_experts']));
  m.uint('leading_dense_block_count', need(h, ['first_k_dense_replace']));
  m.float('expert_weights_scale', need(h, ['routed_scaling_factor']));
  return m;
}

/**
 * MiniMaxText01Model.set_gguf_parameters (conversion/minimax.py:62): TextModel's keys, residual_scale and
 * rotary_dim. attn_type_list is not written: llama.cpp marks layer i recurrent (lightning attention) when
 * (i + 1) % 8 != 0 (src/models/minimax-01.cpp:13).
 */
function minimax01(hp: Hparams): GgufMeta {
  const m = textModel('minimax-01', hp);
  m.float('residual_scale', need(hp, ['layernorm_full_attention_alpha']));
  m.uint('rope.dimension_count', need(hp, ['rotary_dim']));
  return m;
}

const MLA_DIFFERS =
  "llama.cpp caches MLA's compressed latent (kv_lora_rank + qk_rope_head_dim per token, one head, K only), where transformers caches the decompressed per-head K and V";

/**
 * The Gated DeltaNet layers' fused attn_qkv / attn_gate are optional to the loader and used by the graph
 * (src/models/qwen3next.cpp:57, :87); a full-attention layer asks for its separate attn_q instead.
 */
function gatedDeltaNetProjections(name: string, asked: ReadonlySet<string>): boolean {
  const m = /^blk\.(\d+)\.attn_(qkv|gate)\.weight$/.exec(name);
  return m !== null && !asked.has(`blk.${m[1]}.attn_q.weight`);
}

export const MLA_FAMILIES: FamilyTable = {
  deepseek_v2: { mirrors: 'DeepseekV2Model (DeepseekV2ForCausalLM, conversion/deepseek.py:225, set_gguf_parameters :319)', convert: deepseek2, differsFromHf: MLA_DIFFERS },
  deepseek_v3: { mirrors: 'DeepseekV2Model (DeepseekV3ForCausalLM, conversion/deepseek.py:225, set_gguf_parameters :319)', convert: deepseek2, differsFromHf: MLA_DIFFERS },
  kimi_k2: { mirrors: 'DeepseekV2Model (DeepseekV3ForCausalLM, conversion/deepseek.py:225, set_gguf_parameters :319)', convert: deepseek2, differsFromHf: MLA_DIFFERS },
  qwen3_next: {
    optionalTensors: gatedDeltaNetProjections,
    mirrors: 'Qwen3NextModel (Qwen3NextForCausalLM, conversion/qwen.py:370, set_gguf_parameters :375; converted with --no-mtp)',
    convert: (hp) => qwen3next('qwen3next', hp),
  },
  qwen3_5_text: {
    optionalTensors: gatedDeltaNetProjections,
    mirrors: 'Qwen3_5TextModel (Qwen3_5ForConditionalGeneration, conversion/qwen.py:630; Qwen3NextModel.set_gguf_parameters :375; converted with --no-mtp)',
    convert: (hp) => qwen3next('qwen35', hp),
  },
  qwen3_5: {
    optionalTensors: gatedDeltaNetProjections,
    mirrors: 'Qwen3_5TextModel (Qwen3_5ForCausalLM, conversion/qwen.py:630; Qwen3NextModel.set_gguf_parameters :375; converted with --no-mtp)',
    convert: (hp) => qwen3next('qwen35', hp),
  },
  kimi_linear: {
    mirrors: 'KimiLinearModel (KimiLinearForCausalLM, conversion/kimi_linear.py:15, set_gguf_parameters :78)',
    convert: kimiLinear,
    differsFromHf: MLA_DIFFERS,
  },
  minimax_m1: {
    mirrors: 'MiniMaxText01Model (MiniMaxM1ForCausalLM, conversion/minimax.py:14, set_gguf_parameters :62)',
    convert: minimax01,
  },
};

/** model_type → why llama.cpp v0.4.0 cannot load it. */
export const MLA_UNSUPPORTED: Record<string, string> = {};
