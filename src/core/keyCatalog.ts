/**
 * Every key of a config is one of three things: understood by the engine (configKeys.ts, or the
 * nesting that holds the text model), known not to change the KV cache (this file's table, each row
 * with why and where that is established), or unknown. An unknown key whose name says it may shape the
 * attention (layers, heads, KV, windows, blocks, sharing, patterns, SSM/Mamba/linear/conv…) makes the
 * figures "may be wrong": the engine never gives a clean number for a structure it did not model.
 */
import { CONFIG_KEYS } from './configKeys';
import { transformersData } from './transformersData';

/**
 * PretrainedConfig's generic keys of transformers 4.x, which config.json files written by it still carry
 * and transformers 5 no longer declares (transformers 4.57.6 configuration_utils.py, PretrainedConfig.__init__
 * and its generation defaults).
 */
const PRETRAINED_CONFIG_KEYS_V4: readonly string[] = ['return_dict','output_hidden_states','output_attentions','torchscript','torch_dtype','dtype','use_bfloat16','tf_legacy_loss','pruned_heads','tie_word_embeddings','chunk_size_feed_forward','is_encoder_decoder','is_decoder','cross_attention_hidden_size','add_cross_attention','tie_encoder_decoder','architectures','finetuning_task','id2label','label2id','num_labels','tokenizer_class','prefix','bos_token_id','pad_token_id','eos_token_id','sep_token_id','decoder_start_token_id','task_specific_params','problem_type','transformers_version','max_length','min_length','do_sample','early_stopping','num_beams','num_beam_groups','diversity_penalty','temperature','top_k','top_p','typical_p','repetition_penalty','length_penalty','no_repeat_ngram_size','encoder_no_repeat_ngram_size','bad_words_ids','num_return_sequences','output_scores','return_dict_in_generate','forced_bos_token_id','forced_eos_token_id','remove_invalid_values','exponential_decay_length_penalty','suppress_tokens','begin_suppress_tokens'];

/** Keys that hold the text model's config inside a multimodal wrapper (modelConfig.ts reads them). */
export const NESTING_KEYS: ReadonlySet<string> = new Set(['text_config', 'thinker_config', 'llm_config', 'language_config']);

/** The first segment of every spelling the engine reads ("attn_config.kv_n_heads" → "attn_config"). */
const UNDERSTOOD: ReadonlySet<string> = new Set(Object.values(CONFIG_KEYS).flatMap((k) => k.spellings.map((s) => s.split('.')[0]!)));

export interface IrrelevantRule {
  /** Exact key names, or a pattern over the name. */
  keys: readonly string[] | RegExp;
  /** Why the KV cache does not depend on it. */
  why: string;
  /** Where that is established. */
  source: string;
}

/**
 * Keys known not to change the KV cache. A key here is never "unknown", even when its name looks
 * structural (attn_logit_softcapping, n_group). Order does not matter; the first match explains.
 */
let pretrainedKeys: readonly string[] | undefined;
export const KV_IRRELEVANT_KEYS: readonly IrrelevantRule[] = [
  {
    // Not per_layer_config: transformers 5's HeterogeneousConfigMixin overrides num_key_value_heads,
    // head_dim or sliding_window per layer through it (integrations/heterogeneity/configuration_utils.py).
    // Read when a key is first classified, not at load (transformersData.ts).
    get keys(): readonly string[] {
      pretrainedKeys ??= transformersData().PRETRAINED_CONFIG_KEYS.filter((k) => k !== 'per_layer_config');
      return pretrainedKeys;
    },
    why: 'an attribute every transformers config has (bookkeeping, outputs, attention implementation)',
    source: 'transformers src/transformers/configuration_utils.py, PreTrainedConfig (generated: src/core/generated/transformersDefaults.ts)',
  },
  {
    keys: PRETRAINED_CONFIG_KEYS_V4,
    why: 'a generic attribute of transformers 4 configs (outputs, generation defaults, token ids, task heads)',
    source: 'transformers 4.57.6 src/transformers/configuration_utils.py, PretrainedConfig.__init__',
  },
  {
    keys: /^(rope_.*|.*_rope_.*|rotary_.*|partial_rotary_factor|rope|use_rope|position_embedding_type|pos_emb.*|max_window_layers_rope|original_max_position_embeddings|yarn_.*|scaling_factor|alibi.*|use_alibi)$/,
    why: 'position encoding (RoPE base, scaling, partial rotary, ALiBi): changes the values stored, not how many',
    source: 'the attention modules of transformers (apply_rotary_pos_emb is applied to q and k before the cache update; the cache shape is batch × kv_heads × tokens × head_dim)',
  },
  {
    keys: /^(.*norm.*eps.*|.*_eps|.*layernorm.*|.*layer_norm.*|.*rms_norm.*|norm_.*|.*_norm|use_qk_norm|qk_norm.*|post_norm|pre_norm|normalization_.*|norm_type)$/,
    why: 'normalization (epsilon, QK-norm, pre/post norm): elementwise, no cached state',
    source: 'transformers modeling code: RMSNorm/LayerNorm modules hold weights, the cache holds only K and V',
  },
  {
    keys: /^(hidden_act|activation_function|activation|hidden_activation|act_fn|mlp_activation|glu.*|swiglu.*)$/,
    why: 'the MLP activation',
    source: 'transformers ACT2FN; the MLP keeps no per-token state',
  },
  {
    keys: /^(.*dropout.*|.*_pdrop|.*_drop_rate|drop_path.*)$/,
    why: 'dropout (training only)',
    source: 'nn.Dropout is the identity at inference',
  },
  {
    keys: /^(initializer_range|init_.*|.*_init_.*|.*_init|initializer_.*|embedding_init_std|.*_std)$/,
    why: 'weight initialization (training only)',
    source: 'PreTrainedModel._init_weights reads these once, at construction',
  },
  {
    keys: /^(router_.*|.*aux_loss.*|norm_topk_prob|routed_scaling_factor|topk_method|n_group|topk_group|scoring_func|output_router_logits|moe_router_.*|expert_.*bias|e_score_correction_bias|jitter_noise|router_jitter_noise|capacity_factor|moe_renormalize|use_expert_bias|moe_topk|num_experts_group|moe_group_.*|.*_routing_.*|seq_aux|moe_use_.*|gating_.*)$/,
    why: 'MoE routing (which experts a token uses): the experts are MLPs and keep no per-token state',
    source: 'the MoE blocks of transformers (e.g. DeepseekV3MoE, Qwen3MoeSparseMoeBlock): routing only selects MLP experts',
  },
  {
    keys: /^(attn_logit_softcapping|final_logit_softcapping|logit_softcapping|query_pre_attn_scalar|attention_multiplier|logits_scaling|logit_scale|embedding_multiplier|residual_multiplier|scale_emb|scale_depth|dim_model_base|attn_scale.*|attention_scale.*|softmax_scale|use_scaled_rope|mup_.*|.*_multiplier|.*_scale_factor|logits_soft_cap|attn_temperature_tuning|floor_scale|attn_scale)$/,
    why: 'scales and soft-caps of logits and residuals: change values, not the cache',
    source: 'the attention and decoder modules of transformers (Gemma 2/3 softcapping, Granite multipliers, Llama 4 temperature tuning)',
  },
  {
    keys: /^(apply_query_key_layer_scaling|attention_softmax_in_fp32|.*_in_fp32|bf16|fp16|fp32)$/,
    why: 'numeric precision and scaling inside the attention computation (ChatGLM, Megatron exports)',
    source: 'their attention modules (e.g. THUDM/glm-4-9b-chat modeling_chatglm.py CoreAttention): the cache still holds kv_channels-wide K and V per group',
  },
  {
    keys: /^(moe_layers|mlp_only_layers|decoder_sparse_step|moe_every_.*|num_dense_layers|dense_layers|expert_layer_period|expert_layer_offset|moe_layer_.*)$/,
    why: 'which layers use an MoE MLP and which a dense one: the MLP keeps no per-token state',
    source: 'the decoder layers of transformers (Qwen2MoeDecoderLayer mlp_only_layers, Llama4 moe_layers, Jamba expert_layer_period): only the MLP differs',
  },
  {
    keys: /^(mamba_chunk_size|chunk_size|mamba_conv_bias|conv_bias|use_conv_bias|mamba_proj_bias|use_mamba_kernels|use_mambapy|use_falcon_mambapy|mamba_dt_rank|time_step_rank|time_step_.*|mamba_dt_.*|dt_.*|mamba_hidden_act|residual_in_fp32|rescale_prenorm_residual|mamba_rms_norm|ssm_cfg_unused)$/,
    why: 'Mamba kernel switches, chunked-scan block size, biases and time-step (dt) initialization: none changes the conv or SSM state shapes',
    source: 'transformers models/{mamba,mamba2,jamba,bamba,nemotron_h}/modeling_*.py: the cache shapes read only the state size, conv kernel, inner width, heads and groups',
  },
  {
    keys: /^(shared_intermediate_size|shared_moe_mode|num_expert_group|use_grouped_topk|moe_shared_expert_intermediate_size|n_routed_experts|moe_n_group)$/,
    why: 'MoE expert sizes and routing groups: MLPs, no per-token state',
    source: 'the MoE blocks of transformers (GraniteMoeHybrid shared_mlp, DeepseekV3 grouped top-k)',
  },
  {
    keys: /^(scale_attn_weights|scale_attn_by_inverse_layer_idx|reorder_and_upcast_attn|attn_rotary_emb|mla_use_nope|attn_output_gate|attention_out_gate|use_output_gate|attention_value_scale|attention_projection_layout|add_full_attention_sink_bias|add_swa_attention_sink_bias)$/,
    why: 'attention score scaling, output gates and rotary dims: change values, not the cache',
    source: 'GPTBigCodeAttention (scale_attn_weights), Bamba (attn_rotary_emb = rotary dims), Kimi-Linear MLA (mla_use_nope: no RoPE on the latent), Qwen3.5 (gated attention output), vLLM mimo_v2_flash.py (a value scale, the fused qkv layout, a learned sink logit per head — no cached token)',
  },
  {
    keys: /^(pre_allocate_kv_cache|order_of_interleaved_layers|use_parallel_block|block_dim|block_ff_dim|block_multiple_of|block_ffn_dim_multiplier|block_auto_adjust_ff_dim|block_use_swiglu|block_mlp_init_scale|block_out_init_scale|block_use_xavier_init|block_norm_eps|conv_dim|conv_dim_out|conv_use_xavier_init|_num_mtp_layers|mtp_num_hidden_layers)$/,
    why: 'keys their transformers class does not read (legacy exports): pre-allocation flags, Cohere2 block order, LFM2 block and conv widths (the conv state is hidden_size wide), MTP layer counts',
    source: 'transformers 5.18 configuration_/modeling_ gpt_bigcode, cohere2 and lfm2 (grep finds no reader); MTP: speculative-decoding modules outside the decoder stack',
  },
  {
    keys: /^(enable_moe_block|hidden_size_per_layer_input|altup_.*|laurel_rank|activation_sparsity_pattern|top_k_experts|expert_intermediate_size|moe_intermediate_size_per_layer)$/,
    why: 'Gemma-3n / Gemma 4 residual-stream extras (AltUp, LAuReL low-rank residual, per-layer embedding inputs), MLP activation sparsity and the optional MoE block: weights and MLP arithmetic, no per-token state',
    source: 'transformers models/gemma3n/modeling_gemma3n.py and models/gemma4/modeling_gemma4.py: the attention caches only K and V of head_dim / global_head_dim',
  },
  {
    keys: /^(mlp_bias|bias|use_bias|add_bias_linear|qkv_bias|add_qkv_bias|attention_out_bias|o_proj_bias|use_qkv_bias|lm_head_bias|dense_bias)$/,
    why: 'linear-layer biases: parameters, no per-token state',
    source: 'nn.Linear(bias=…); the cache stores projected K and V only',
  },
  {
    keys: /^(use_cache|cache_implementation|use_return_dict|return_dict|output_attentions|output_hidden_states|torchscript|pretraining_tp|tp_plan|base_model_tp_plan|base_model_pp_plan|auto_map|_attn_implementation.*|attn_implementation|use_flash_attn|use_flash_attention.*|fp32_.*|use_fused_.*|fused_.*|use_memory_efficient_attention|gradient_checkpointing|use_triton|sequence_parallel)$/,
    why: 'runtime and implementation switches (attention kernel, parallel plans, output flags)',
    source: 'transformers configuration_utils.py / modeling_utils.py: these pick kernels and outputs, not cache shapes',
  },
  {
    keys: /^(tokenizer_.*|chat_template|vocab_file|.*_token|.*_token_id|.*_token_ids|.*_token_index|.*_token_idx|pad_vocab_size_multiple|padded_vocab_size|vocab_size_per_.*)$/,
    why: 'tokenizer and special tokens',
    source: 'tokenizer settings; the cache is per token whatever its id',
  },
  {
    keys: /^(vision_.*|image_.*|video_.*|audio_.*|mm_.*|multi_modal_.*|projector_.*|spatial_.*|patch_.*|perceiver_.*|vit_.*|visual_.*|speech_.*|boi_.*|eoi_.*|mm_tokens_per_image|num_image_tokens)$/,
    why: 'the multimodal encoder and projector, not the text decoder (their tokens enter the text cache as ordinary tokens)',
    source: 'the multimodal wrappers of transformers (LlavaForConditionalGeneration, Gemma3ForConditionalGeneration, …): the language model owns the KV cache',
  },
  {
    keys: /^(num_nextn_predict_layers_.*|mtp_.*|num_mtp_.*|.*_mtp)$/,
    why: 'multi-token-prediction heads: speculative-decoding modules outside the decoder stack',
    source: 'DeepSeek-V3 / MiMo model cards: MTP modules are separate and loaded only for speculative decoding',
  },
  {
    keys: /^(torch_dtype|dtype|transformers_version|architectures|model_type|_name_or_path|name_or_path|_commit_hash|quantization|compression_config|for_llm_compressor|is_composition|keys_to_ignore_at_inference|license|language|library_name|tags|release_date|model_name|description)$/,
    why: 'identity, provenance and metadata',
    source: 'transformers configuration_utils.py (to_dict / from_dict bookkeeping) and hub metadata',
  },
  {
    keys: /^(moe_intermediate_size|ffn_hidden_size|ffn_dim|ffn_dim_multiplier|multiple_of|shared_expert_intermediate_size|intermediate_size_mlp|n_inner|mlp_ratio|mlp_hidden_size|num_local_experts|num_experts_per_tok|n_routed_experts|n_shared_experts|moe_num_experts|moe_k|num_experts|num_shared_experts|expert_hidden_size|moe_ffn_hidden_size|dense_intermediate_size)$/,
    why: 'MLP and expert widths and counts: weights, no per-token state (the budget reads the ones it needs)',
    source: 'the MLP/MoE modules of transformers',
  },
  {
    keys: /^(tie_word_embeddings|tie_embeddings|share_embeddings|embedding_size|use_embedding_sharing|scale_embedding|embed_dim_multiplier|emb_dropout|word_embed_proj_dim|use_parallel_residual|parallel_attn|parallel_block|residual_in_fp32|rescale_prenorm_residual)$/,
    why: 'embedding tying and residual wiring: weights and arithmetic, no per-token state',
    source: 'the embedding and decoder-layer modules of transformers',
  },
];

/** Names that say a key may shape the attention or the cache. */
const STRUCTURAL = /layer|attn|attention|kv|key_value|head|window|block|shar|pattern|ssm|mamba|linear|conv|state|chunk|group|period|offset|interval|lora|latent|rank|cross|sparse|local|global|swa|recurr|hybrid|mla|compress|retention|cache|memory|segment|stride|dilat|expand|query|value|ratio/i;

export type KeyClass =
  | { kind: 'understood' }
  | { kind: 'irrelevant'; why: string; source: string }
  | { kind: 'unknown'; structural: boolean };

/** What the engine makes of one key of the text config (or of a wrapper's top level). */
export function classifyKey(key: string, alsoUnderstood: ReadonlySet<string> = new Set()): KeyClass {
  if (UNDERSTOOD.has(key) || NESTING_KEYS.has(key) || alsoUnderstood.has(key)) return { kind: 'understood' };
  for (const rule of KV_IRRELEVANT_KEYS) {
    if (rule.keys instanceof RegExp ? rule.keys.test(key) : rule.keys.includes(key)) return { kind: 'irrelevant', why: rule.why, source: rule.source };
  }
  return { kind: 'unknown', structural: STRUCTURAL.test(key) };
}
