/**
 * The one table of config keys the engine reads: for each normalized field, every spelling it has in
 * the wild (in priority order), the type it must have, what it means and how it changes the KV cache.
 * Parsing, diagnostics, hovers and `--explain` all read from here; no provider keeps its own strings.
 */

export type KeyType = 'posInt' | 'nonNegInt' | 'bool' | 'string' | 'number' | 'intList' | 'stringList' | 'object'
  /** One integer, or one per layer (Gemma-3n's intermediate_size, per-layer MoE flags). */
  | 'posIntOrList'
  /** A positive integer, or "auto" (derived by the class: Bamba's mamba_d_head). */
  | 'posIntOrAuto'
  /** A list of objects (Nemotron-NAS block_configs). */
  | 'objectList'
  /** A positive integer, or a string pattern of L (local) and G (global) layers (EXAONE's "LLLG"). */
  | 'posIntOrPattern'
  /** true / false or a mode string (Gemma's use_bidirectional_attention: "all", "vision"). */
  | 'boolOrString';

export interface KeyInfo {
  /** Spellings, highest priority first; dotted for nesting inside the (text) config, e.g. `attn_config.kv_n_heads`. */
  spellings: readonly string[];
  type: KeyType;
  /** Largest sane value for numeric keys: beyond it the file is wrong, not the model big. */
  max?: number;
  meaning: string;
  /** How this key changes the KV cache (empty when it does not). */
  kvEffect: string;
  /** The what-if trade this key sets, whose quality evidence its hover shows (see core/qualityNotes.ts). */
  tradeoff?: Tradeoff;
}

/** Kinds of memory saving a key controls: fewer KV heads, a latent rank, the cache dtype, a window. */
export type Tradeoff = 'kvHeads' | 'mlaRank' | 'kvDtype' | 'window';

const MAX_DIM = 1 << 20;
const MAX_HEADS = 1 << 16;
const MAX_LAYERS = 10_000;
/** 2^31 tokens: far past any real context, small enough that bytes stay exact in a double. */
export const MAX_CONTEXT_TOKENS = 2 ** 31;

export const CONFIG_KEYS = {
  modelType: {
    spellings: ['model_type'],
    type: 'string',
    meaning: 'Architecture family; selects the `transformers` config class and its defaults for omitted keys.',
    kvEffect: 'Decides which defaults apply and how heads, windows and layer patterns are spelled.',
  },
  hiddenSize: {
    spellings: ['hidden_size', 'n_embd', 'd_model', 'dim'],
    type: 'posInt',
    max: MAX_DIM,
    meaning: 'Width of the residual stream (model dimension).',
    kvEffect: 'Only through the head size when `head_dim` is absent: head_dim = hidden_size / num_attention_heads.',
  },
  numLayers: {
    spellings: ['num_hidden_layers', 'n_layer', 'n_layers', 'num_layers'],
    type: 'posInt',
    max: MAX_LAYERS,
    meaning: 'Number of decoder layers (transformer blocks).',
    kvEffect: 'Each attention layer keeps its own K and V: the cache grows linearly with it.',
  },
  numHeads: {
    spellings: ['num_attention_heads', 'n_head', 'n_heads', 'num_heads'],
    type: 'posInt',
    max: MAX_HEADS,
    meaning: 'Number of query heads per layer.',
    kvEffect: 'Sets the KV heads when none are given (MHA); attention FLOPs scale with it.',
    tradeoff: 'kvHeads',
  },
  numKvHeads: {
    spellings: ['num_key_value_heads', 'num_kv_heads', 'n_head_kv', 'multi_query_group_num', 'attn_config.kv_n_heads'],
    type: 'posInt',
    max: MAX_HEADS,
    meaning: 'Number of key/value heads shared by the query heads (GQA groups). Missing means one per query head (MHA).',
    kvEffect: 'KV bytes per token per layer = kv_heads × (d_k + d_v) × bytes per element: directly proportional.',
    tradeoff: 'kvHeads',
  },
  headDim: {
    spellings: ['head_dim', 'kv_channels', 'head_size', 'attention_head_dim'],
    type: 'posInt',
    max: MAX_DIM,
    meaning: 'Size of each attention head. Gemma, Qwen3, GPT-OSS, GLM and others set it apart from hidden_size / heads.',
    kvEffect: 'KV bytes per token per layer are proportional to it; when absent it is hidden_size / num_attention_heads.',
  },
  maxContext: {
    spellings: ['max_position_embeddings', 'n_positions', 'n_ctx', 'max_seq_len', 'seq_length', 'max_sequence_length'],
    type: 'posInt',
    max: MAX_CONTEXT_TOKENS,
    meaning: 'Longest context the position encoding was configured for.',
    kvEffect: 'The default context at which the total KV cache is reported.',
  },
  dtype: {
    spellings: ['dtype', 'torch_dtype'],
    type: 'string',
    meaning: 'Precision the weights were saved in; activations, and so the KV cache, use it by default.',
    kvEffect: 'Bytes per cached element when the KV dtype is `auto`: 4 for float32, 2 for bfloat16/float16.',
    tradeoff: 'kvDtype',
  },
  vocabSize: {
    spellings: ['vocab_size', 'padded_vocab_size'],
    type: 'posInt',
    max: 1 << 24,
    meaning: 'Number of token embeddings.',
    kvEffect: '',
  },
  intermediateSize: {
    spellings: ['intermediate_size', 'n_inner', 'ffn_hidden_size', 'ffn_dim'],
    type: 'posIntOrList',
    max: 1 << 22,
    meaning: 'Width of the dense MLP.',
    kvEffect: '',
  },
  expansionRatio: {
    spellings: ['expansion_ratio'],
    type: 'number',
    max: 1024,
    meaning: 'MPT: MLP width as a multiple of d_model.',
    kvEffect: '',
  },
  tieWordEmbeddings: {
    spellings: ['tie_word_embeddings'],
    type: 'bool',
    meaning: 'Whether the output projection reuses the input embedding matrix.',
    kvEffect: 'None; counts the embedding once in the weights.',
  },
  attentionBias: {
    spellings: ['attention_bias', 'qkv_bias', 'add_qkv_bias', 'bias'],
    type: 'bool',
    meaning: 'Whether the attention projections carry biases.',
    kvEffect: '',
  },
  slidingWindow: {
    spellings: ['sliding_window', 'sliding_window_size'],
    type: 'posInt',
    max: MAX_CONTEXT_TOKENS,
    meaning: 'Local attention window: a sliding layer attends to (and caches) at most this many recent tokens.',
    kvEffect: 'Sliding layers hold min(context, window) tokens, so their cache stops growing past the window.',
    tradeoff: 'window',
  },
  useSlidingWindow: {
    spellings: ['use_sliding_window'],
    type: 'bool',
    meaning: 'Qwen2-family switch: false turns a present `sliding_window` off.',
    kvEffect: 'false → every layer is full attention and caches the whole context.',
  },
  maxWindowLayers: {
    spellings: ['max_window_layers'],
    type: 'nonNegInt',
    max: MAX_LAYERS,
    meaning: 'Qwen2-family: with sliding windows on, layers from this index up use the window.',
    kvEffect: 'Decides which layers are sliding when `use_sliding_window` is true.',
  },
  layerTypes: {
    spellings: ['layer_types', 'layers_block_type'],
    type: 'stringList',
    meaning: 'Per-layer attention type (`full_attention`, `sliding_attention`, `chunked_attention`, `linear_attention`): authoritative when present.',
    kvEffect: 'Full layers cache the whole context, sliding/chunked layers at most their window, linear layers a fixed state.',
    tradeoff: 'window',
  },
  slidingWindowPattern: {
    spellings: ['sliding_window_pattern', '_sliding_window_pattern'],
    type: 'posIntOrPattern',
    max: MAX_LAYERS,
    meaning: 'Every N-th layer is global (full attention); the others are sliding.',
    kvEffect: 'Only 1 layer in N caches the whole context.',
    tradeoff: 'window',
  },
  attentionChunkSize: {
    spellings: ['attention_chunk_size'],
    type: 'posInt',
    max: MAX_CONTEXT_TOKENS,
    meaning: 'Llama 4 chunked local attention: tokens attend only within their chunk of this size.',
    kvEffect: 'Chunked layers hold at most one chunk of tokens.',
  },
  noRopeLayers: {
    spellings: ['no_rope_layers'],
    type: 'intList',
    meaning: 'Llama 4: per layer, 1 = RoPE with chunked attention, 0 = NoPE global attention.',
    kvEffect: 'Decides which layers are chunked (bounded cache) and which are global (full cache).',
  },
  noRopeLayerInterval: {
    spellings: ['no_rope_layer_interval'],
    type: 'posInt',
    max: MAX_LAYERS,
    meaning: 'Llama 4: every k-th layer is a global NoPE layer when `no_rope_layers` is absent.',
    kvEffect: 'Only 1 layer in k caches the whole context.',
  },
  fullAttentionInterval: {
    spellings: ['full_attention_interval'],
    type: 'posInt',
    max: MAX_LAYERS,
    meaning: 'Qwen3-Next: every k-th layer is full (softmax) attention, the rest linear attention (Gated DeltaNet).',
    kvEffect: 'Linear layers keep a fixed state, not a per-token cache: only 1 layer in k grows with context.',
  },
  attnTypeList: {
    spellings: ['attn_type_list'],
    type: 'intList',
    meaning: 'MiniMax: per layer, 0 = linear (lightning) attention, 1 = softmax attention.',
    kvEffect: 'Only softmax layers keep a per-token cache.',
  },
  attnLayerPeriod: {
    spellings: ['attn_layer_period'],
    type: 'posInt',
    max: MAX_LAYERS,
    meaning: 'Jamba (and Zamba after its 3-layer prefix): one attention layer every N layers, the others Mamba.',
    kvEffect: 'Only 1 layer in N keeps a per-token cache; the Mamba layers keep a fixed state.',
  },
  attnLayerOffset: {
    spellings: ['attn_layer_offset'],
    type: 'nonNegInt',
    max: MAX_LAYERS,
    meaning: 'Jamba: which layer of each period is attention (layer i attends when i % attn_layer_period == attn_layer_offset).',
    kvEffect: 'Decides which layers cache tokens (not how many).',
  },
  attnLayerIndices: {
    spellings: ['attn_layer_indices'],
    type: 'intList',
    meaning: 'Bamba: the (0-based) layers that are attention; every other layer is Mamba-2.',
    kvEffect: 'Only these layers keep a per-token cache.',
  },
  hybridOverridePattern: {
    spellings: ['hybrid_override_pattern'],
    type: 'string',
    meaning: 'Nemotron-H: one character per layer — M Mamba-2, * attention, - MLP, E MoE.',
    kvEffect: 'Only * layers keep a per-token cache; M layers keep a fixed state; - and E keep nothing.',
  },
  fullAttnIdxs: {
    spellings: ['full_attn_idxs'],
    type: 'intList',
    meaning: 'LFM2: the (0-based) attention layers; the others are short-convolution layers.',
    kvEffect: 'Only these layers keep a per-token cache; conv layers keep a few inputs per sequence.',
  },
  linearAttnConfig: {
    spellings: ['linear_attn_config'],
    type: 'object',
    meaning: 'Kimi-Linear: the linear (KDA) layers and the full-attention (MLA) layers, as 1-indexed layer numbers, and the KDA heads.',
    kvEffect: 'Only the full_attn_layers keep a per-token (MLA latent) cache; KDA layers keep a fixed state.',
  },
  blockConfigs: {
    spellings: ['block_configs'],
    type: 'objectList',
    meaning: 'Nemotron-NAS (DeciLM): one block per layer — attention no_op / replace_with_linear / n_heads_in_group / window_length, FFN width.',
    kvEffect: 'Per layer: no cache (no_op, linear), kv heads = heads / n_heads_in_group, or a window.',
    tradeoff: 'kvHeads',
  },
  numKvSharedLayers: {
    spellings: ['num_kv_shared_layers'],
    type: 'nonNegInt',
    max: MAX_LAYERS,
    meaning: 'Gemma-3n: the last N layers reuse the K/V of the last earlier layer of the same type.',
    kvEffect: 'Those N layers hold no cache of their own.',
  },
  ssmStateSize: {
    spellings: ['mamba_d_state', 'ssm_state_size', 'state_size'],
    type: 'posInt',
    max: MAX_DIM,
    meaning: 'Mamba: the SSM state size (N) per channel or head.',
    kvEffect: 'Sizes the fixed per-sequence SSM state of Mamba layers (no per-token cache).',
  },
  ssmConvKernel: {
    spellings: ['mamba_d_conv', 'conv_kernel', 'conv_L_cache'],
    type: 'posInt',
    max: 1024,
    meaning: 'Mamba / short-convolution kernel width.',
    kvEffect: 'The conv state keeps the last kernel (transformers) or kernel − 1 (vLLM, llama.cpp) inputs per sequence.',
  },
  ssmExpand: {
    spellings: ['mamba_expand', 'expand'],
    type: 'number',
    max: 64,
    meaning: 'Mamba: inner width = expand × hidden_size.',
    kvEffect: 'Sizes the Mamba conv and SSM states.',
  },
  ssmNumHeads: {
    spellings: ['mamba_n_heads', 'mamba_num_heads', 'n_mamba_heads'],
    type: 'posInt',
    max: MAX_HEADS,
    meaning: 'Mamba-2: SSM heads.',
    kvEffect: 'Sizes the Mamba-2 SSM state (heads × head dim × state size).',
  },
  ssmHeadDim: {
    spellings: ['mamba_d_head', 'mamba_head_dim', 'mamba_headdim'],
    type: 'posIntOrAuto',
    max: MAX_DIM,
    meaning: 'Mamba-2: SSM head size ("auto": inner width / heads).',
    kvEffect: 'Sizes the Mamba-2 SSM state.',
  },
  ssmGroups: {
    spellings: ['mamba_n_groups', 'n_groups', 'mamba_ngroups'],
    type: 'posInt',
    max: MAX_HEADS,
    meaning: 'Mamba-2: groups sharing B and C.',
    kvEffect: 'The conv state covers inner + 2 × groups × state size channels.',
  },
  ssmInnerSize: {
    spellings: ['mamba_d_ssm'],
    type: 'posInt',
    max: MAX_DIM,
    meaning: 'Falcon-H1: the Mamba inner width (instead of expand × hidden_size).',
    kvEffect: 'Sizes the Mamba conv and SSM states.',
  },
  ssmStateDtype: {
    spellings: ['mamba_ssm_cache_dtype', 'mamba_ssm_dtype'],
    type: 'string',
    meaning: 'The dtype of the SSM (recurrent) state, for runtimes that read it: vLLM for Nemotron-H (float32 when absent); transformers keeps the model dtype.',
    kvEffect: 'float32 doubles the recurrent part of the state where it is read; no per-token effect.',
  },
  globalHeadDim: {
    spellings: ['global_head_dim'],
    type: 'posInt',
    max: MAX_DIM,
    meaning: 'Gemma 4: the head size of the full-attention layers (the sliding ones use head_dim).',
    kvEffect: 'Full layers cache K and V this wide per KV head.',
  },
  numGlobalKvHeads: {
    spellings: ['num_global_key_value_heads'],
    type: 'posInt',
    max: MAX_HEADS,
    meaning: 'Gemma 4: KV heads of the full-attention layers when attention_k_eq_v is on.',
    kvEffect: 'Full layers keep this many KV heads (with attention_k_eq_v).',
    tradeoff: 'kvHeads',
  },
  attentionKEqV: {
    spellings: ['attention_k_eq_v'],
    type: 'bool',
    meaning: 'Gemma 4: full-attention layers derive V from K (no v_proj) and use num_global_key_value_heads.',
    kvEffect: 'K and V are both still cached; the full layers\' KV-head count changes.',
  },
  bidirectionalAttention: {
    spellings: ['use_bidirectional_attention'],
    type: 'boolOrString',
    meaning: 'Gemma 3/4: bidirectional attention (all, or only over vision tokens); with it on for text the sliding window becomes window // 2 + 1.',
    kvEffect: 'Changes how many tokens a sliding layer keeps when on for text.',
  },
  hybridLayerPattern: {
    spellings: ['hybrid_layer_pattern'],
    type: 'intList',
    meaning: 'MiMo-V2: per layer, 1 = sliding-window attention with the swa_* shape, 0 = full attention.',
    kvEffect: 'Sliding layers keep at most sliding_window_size tokens, with their own KV heads and dims.',
  },
  hybridBlockSize: {
    spellings: ['hybrid_block_size'],
    type: 'posInt',
    max: MAX_LAYERS,
    meaning: 'MiMo-V2: a block-periodic alternative to hybrid_layer_pattern (null when the pattern is given).',
    kvEffect: 'Not modelled when set: the figures are then flagged.',
  },
  swaNumKvHeads: {
    spellings: ['swa_num_key_value_heads'],
    type: 'posInt',
    max: MAX_HEADS,
    meaning: 'KV heads of the sliding-window layers (MiMo-V2), when they differ from the full layers\'.',
    kvEffect: 'Sliding layers cache this many KV heads.',
    tradeoff: 'kvHeads',
  },
  swaNumHeads: {
    spellings: ['swa_num_attention_heads'],
    type: 'posInt',
    max: MAX_HEADS,
    meaning: 'Query heads of the sliding-window layers (MiMo-V2).',
    kvEffect: 'None on the cache (query heads); attention FLOPs scale with it.',
  },
  swaHeadDim: {
    spellings: ['swa_head_dim'],
    type: 'posInt',
    max: MAX_DIM,
    meaning: 'K head size of the sliding-window layers (MiMo-V2).',
    kvEffect: 'Sliding layers cache K this wide.',
  },
  swaVHeadDim: {
    spellings: ['swa_v_head_dim'],
    type: 'posInt',
    max: MAX_DIM,
    meaning: 'V head size of the sliding-window layers (MiMo-V2).',
    kvEffect: 'Sliding layers cache V this wide.',
  },
  globalAttnEveryNLayers: {
    spellings: ['global_attn_every_n_layers'],
    type: 'posInt',
    max: MAX_LAYERS,
    meaning: 'AFMoE: every N-th layer is global (full) attention, the others sliding.',
    kvEffect: 'Only 1 layer in N caches the whole context.',
    tradeoff: 'window',
  },
  kvLoraRank: {
    spellings: ['kv_lora_rank'],
    type: 'posInt',
    max: MAX_DIM,
    meaning: 'MLA: width of the compressed KV latent c_kv, shared by all heads.',
    kvEffect: 'The cache holds kv_lora_rank + qk_rope_head_dim values per token per layer (576 for DeepSeek-V3), not per-head K and V.',
    tradeoff: 'mlaRank',
  },
  qLoraRank: {
    spellings: ['q_lora_rank'],
    type: 'posInt',
    max: MAX_DIM,
    meaning: 'MLA: width of the compressed query latent (null: queries are projected directly).',
    kvEffect: 'None (queries are not cached); changes the weights.',
  },
  qkRopeHeadDim: {
    spellings: ['qk_rope_head_dim'],
    type: 'posInt',
    max: MAX_DIM,
    meaning: 'MLA: decoupled RoPE key width, one shared k_pe per token.',
    kvEffect: 'Added to the latent: the cached row is kv_lora_rank + qk_rope_head_dim wide.',
  },
  qkNopeHeadDim: {
    spellings: ['qk_nope_head_dim'],
    type: 'posInt',
    max: MAX_DIM,
    meaning: 'MLA: per-head key width without RoPE, up-projected from the latent.',
    kvEffect: 'Only in the decompressed form: K per head = qk_nope_head_dim + qk_rope_head_dim.',
  },
  vHeadDim: {
    spellings: ['v_head_dim'],
    type: 'posInt',
    max: MAX_DIM,
    meaning: 'MLA: per-head value width, up-projected from the latent.',
    kvEffect: 'Only in the decompressed form: V per head = v_head_dim.',
  },
  numExperts: {
    spellings: ['num_local_experts', 'n_routed_experts', 'num_experts', 'moe_num_experts'],
    type: 'nonNegInt',
    max: 1 << 16,
    meaning: 'Routed experts per MoE layer; all are resident in memory even though few run per token.',
    kvEffect: 'None on the KV cache; all experts count in the weights that share the GPU with it.',
  },
  numExpertsPerToken: {
    spellings: ['num_experts_per_tok', 'num_experts_per_token', 'moe_topk'],
    type: 'nonNegInt',
    max: 1 << 16,
    meaning: 'Experts each token is routed to.',
    kvEffect: '',
  },
  numSharedExperts: {
    spellings: ['n_shared_experts', 'num_shared_experts'],
    type: 'nonNegInt',
    max: 1 << 16,
    meaning: 'Always-active shared experts per MoE layer.',
    kvEffect: '',
  },
  moeIntermediateSize: {
    spellings: ['moe_intermediate_size'],
    type: 'posInt',
    max: 1 << 22,
    meaning: 'MLP width of each routed expert.',
    kvEffect: '',
  },
  sharedExpertIntermediateSize: {
    spellings: ['shared_expert_intermediate_size'],
    type: 'posInt',
    max: 1 << 22,
    meaning: 'MLP width of the shared expert (Qwen MoE).',
    kvEffect: '',
  },
  firstKDenseReplace: {
    spellings: ['first_k_dense_replace'],
    type: 'nonNegInt',
    max: MAX_LAYERS,
    meaning: 'The first k layers use a dense MLP instead of experts.',
    kvEffect: '',
  },
  moeLayerFreq: {
    spellings: ['moe_layer_freq'],
    type: 'posIntOrList',
    max: MAX_LAYERS,
    meaning: 'Every n-th layer (after the dense ones) is an MoE layer; as a list, 1 marks each MoE layer.',
    kvEffect: '',
  },
  decoderSparseStep: {
    spellings: ['decoder_sparse_step'],
    type: 'nonNegInt',
    max: MAX_LAYERS,
    meaning: 'Qwen MoE: every n-th layer is sparse (MoE).',
    kvEffect: '',
  },
  mlpOnlyLayers: {
    spellings: ['mlp_only_layers'],
    type: 'intList',
    meaning: 'Qwen MoE: layers that keep a dense MLP.',
    kvEffect: '',
  },
  interleaveMoeLayerStep: {
    spellings: ['interleave_moe_layer_step'],
    type: 'nonNegInt',
    max: MAX_LAYERS,
    meaning: 'Llama 4: every n-th layer is an MoE layer.',
    kvEffect: '',
  },
  intermediateSizeMlp: {
    spellings: ['intermediate_size_mlp'],
    type: 'posInt',
    max: 1 << 22,
    meaning: 'Llama 4: MLP width of the dense (non-MoE) layers.',
    kvEffect: '',
  },
  multiQuery: {
    spellings: ['multi_query'],
    type: 'bool',
    meaning: 'Falcon: one KV head shared by all query heads (MQA), unless `new_decoder_architecture` is true.',
    kvEffect: 'true → 1 KV head: the cache is num_attention_heads× smaller than MHA. Overrides `num_kv_heads` in the old architecture.',
    tradeoff: 'kvHeads',
  },
  newDecoderArchitecture: {
    spellings: ['new_decoder_architecture'],
    type: 'bool',
    meaning: 'Falcon-40B/180B layout: grouped KV heads from `num_kv_heads`.',
    kvEffect: 'true → `num_kv_heads` KV heads; false → 1 if `multi_query` else MHA.',
  },
  multiQueryAttention: {
    spellings: ['multi_query_attention'],
    type: 'bool',
    meaning: 'ChatGLM: grouped KV heads, `multi_query_group_num` of them.',
    kvEffect: 'true → `multi_query_group_num` KV heads; false → MHA.',
    tradeoff: 'kvHeads',
  },
  attnType: {
    spellings: ['attn_config.attn_type'],
    type: 'string',
    meaning: 'MPT/DBRX attention type: multihead_attention, multiquery_attention or grouped_query_attention.',
    kvEffect: 'multiquery → 1 KV head; grouped_query → `attn_config.kv_n_heads`; multihead → one per query head.',
  },
  linearNumKeyHeads: {
    spellings: ['linear_num_key_heads'],
    type: 'posInt',
    max: MAX_HEADS,
    meaning: 'Linear-attention (Gated DeltaNet) key heads.',
    kvEffect: 'Sizes the fixed per-sequence state of linear layers (no per-token cache).',
  },
  linearNumValueHeads: {
    spellings: ['linear_num_value_heads'],
    type: 'posInt',
    max: MAX_HEADS,
    meaning: 'Linear-attention (Gated DeltaNet) value heads.',
    kvEffect: 'Sizes the fixed per-sequence state of linear layers.',
  },
  linearKeyHeadDim: {
    spellings: ['linear_key_head_dim'],
    type: 'posInt',
    max: MAX_DIM,
    meaning: 'Linear-attention key head size.',
    kvEffect: 'Sizes the fixed per-sequence state of linear layers.',
  },
  linearValueHeadDim: {
    spellings: ['linear_value_head_dim'],
    type: 'posInt',
    max: MAX_DIM,
    meaning: 'Linear-attention value head size.',
    kvEffect: 'Sizes the fixed per-sequence state of linear layers.',
  },
  linearConvKernelDim: {
    spellings: ['linear_conv_kernel_dim'],
    type: 'posInt',
    max: 1024,
    meaning: 'Linear-attention short convolution width.',
    kvEffect: 'Its state keeps kernel − 1 recent inputs per sequence.',
  },
  numNextnPredictLayers: {
    spellings: ['num_nextn_predict_layers'],
    type: 'nonNegInt',
    max: 64,
    meaning: 'Multi-token-prediction (MTP) modules for speculative decoding, stored with the weights.',
    kvEffect: 'Not counted: runtimes cache them only when MTP speculation is on.',
  },
  quantizationConfig: {
    spellings: ['quantization_config'],
    type: 'object',
    meaning: 'How the weights are quantized (fp8, mxfp4, awq, gptq, …).',
    kvEffect: 'None: it is about weights. The KV cache stays in the activation dtype unless you pick a KV dtype.',
  },
} as const satisfies Record<string, KeyInfo>;

export type ConfigField = keyof typeof CONFIG_KEYS;

/** Key name (last segment of a spelling) → the field it spells, for hovers and diagnostics. */
export function fieldForKey(key: string): ConfigField | undefined {
  for (const [field, info] of Object.entries(CONFIG_KEYS) as [ConfigField, KeyInfo][]) {
    if (info.spellings.some((s) => s === key || s.endsWith(`.${key}`))) return field;
  }
  return undefined;
}
