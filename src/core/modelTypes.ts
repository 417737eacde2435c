/**
 * What the engine knows about each supported `model_type`: the few structural rules that differ between
 * families (how layers get their kinds, how KV heads are spelled, the recurrent mixer), typed here, and
 * the config-class defaults for the keys it reads (a config omits a key whose class default applies, so
 * the file alone is not the model), generated from transformers' own configuration files
 * (classDefaults.ts). `null` is a default of None: the feature is off unless the file turns it on.
 */
import type { ConfigField } from './configKeys';
import type { MixerKind } from './recurrentState';
import { transformersClassDefaults } from './classDefaults';

export type DefaultValue = number | boolean | string | null | readonly number[];

/** How layers are assigned sliding/chunked/linear kinds when `layer_types` is absent. */
export type LayerPatternRule =
  | 'uniform' // a present sliding_window applies to every layer (Mistral, Phi-3, Mixtral, Llama)
  | 'qwen-window-layers' // use_sliding_window + max_window_layers (Qwen2/3 family)
  | 'alternate' // even layers sliding, odd layers full (Gemma 2, GPT-OSS)
  | 'every-nth-global' // sliding_window_pattern N: layer i full when (i+1) % N == 0 (Gemma 3)
  | 'llama4-chunked' // no_rope_layers / no_rope_layer_interval + attention_chunk_size
  | 'qwen3-next' // full_attention_interval: every k-th layer full, the rest linear
  | 'minimax' // attn_type_list: 0 linear, 1 softmax
  | 'jamba-period' // attn_layer_period / attn_layer_offset (Jamba): attention on one layer per period
  | 'zamba-period' // the same after Zamba's [mamba, mamba, hybrid] prefix
  | 'bamba-indices' // attn_layer_indices (Bamba); none listed: every layer Mamba-2
  | 'all-recurrent' // no layer_types: every layer the family's recurrent mixer (GraniteMoeHybrid)
  | 'all-hybrid' // every layer attention and Mamba-2 side by side (Falcon-H1)
  | 'attention-free' // no attention at all (Mamba, Mamba-2)
  | 'every-nth-global-last-full' // Gemma 4: every N-th layer full and the last layer full
  | 'mimo-flash' // MiMo-V2-Flash: layer 0 and every 6th full; sliding layers keep twice the KV heads
  | 'smollm3'; // SmolLM3: with use_sliding_window, the NoPE layers (no_rope_layers 0) slide

/** How the number of KV heads is spelled. */
export type KvHeadsRule = 'standard' | 'falcon' | 'chatglm' | 'mpt' | 'bigcode';

/** A family's structural rules (typed here: they are how the modeling code reads the config). */
export interface FamilyRules {
  /** The config class, for "assumed" notes (the generated table's name wins when it has the class). */
  configClass: string;
  family: string;
  /**
   * Defaults from outside transformers' class, each entry saying which: a remote-code class (ChatGLM,
   * DeciLM), or what every checkpoint of the family holds when its config has no key for it (GPT-OSS's
   * bf16, GPT-2's biases).
   */
  remoteDefaults?: Partial<Record<ConfigField, DefaultValue>>;
  /** The transformers class whose defaults apply when the model type has none of its own (Kimi K2 → DeepseekV3Config). */
  classDefaultsFrom?: string;
  layerPattern: LayerPatternRule;
  kvHeads: KvHeadsRule;
  /** MLP with a gate (SwiGLU/GeGLU: 3 matrices) or plain (2 matrices). */
  gatedMlp: boolean;
  /** Learned absolute position embeddings (GPT-2): n_positions × hidden extra weights. */
  learnedPositions?: boolean;
  /** MoE layers carry a shared expert of `intermediate_size` (Llama 4) even without a count key. */
  sharedExpertFromIntermediate?: boolean;
  /** q/k/v biases always present regardless of keys (Qwen2). */
  qkvBias?: boolean;
  /** The mixer of its recurrent (linear_attention / mamba) layers; Gated DeltaNet when unsaid. */
  recurrent?: MixerKind;
  /** No attention layer at all (Mamba, Mamba-2): heads are not required, and mean SSM heads. */
  attentionFree?: boolean;
  /**
   * vLLM takes the SSM state dtype from the config's mamba_ssm_cache_dtype, float32 when absent
   * (vllm/model_executor/models/config.py NemotronHForCausalLMConfig.update_mamba_ssm_cache_dtype).
   */
  vllmSsmDtypeFromConfig?: boolean;
  /** Full-attention layers take global_head_dim / num_global_key_value_heads (Gemma 4). */
  globalLayerShape?: boolean;
  /** every-nth-global without sliding_window_pattern: every N-th layer full (Gemma-3n: 5). */
  globalEvery?: number;
  /** every-nth-global counting from layer 0: layer i full when i % N == 0 (Granite SWA), not (i + 1) % N. */
  globalFromZero?: boolean;
}

/** The rules and the defaults that apply: the class's, generated from transformers (classDefaults.ts), then remoteDefaults. */
export interface ModelTypeInfo extends FamilyRules {
  defaults: Partial<Record<ConfigField, DefaultValue>>;
  /** Where the defaults come from: a transformers file and version, or the remote code named by configClass. */
  defaultsSource: string;
}

const LLAMA_LIKE = { layerPattern: 'uniform', kvHeads: 'standard', gatedMlp: true } as const;

export const MODEL_TYPES: Record<string, FamilyRules> = {
  llama: {
    configClass: 'LlamaConfig', family: 'Llama', ...LLAMA_LIKE
  },
  mistral: {
    configClass: 'MistralConfig', family: 'Mistral', ...LLAMA_LIKE
  },
  mixtral: {
    configClass: 'MixtralConfig', family: 'Mixtral', ...LLAMA_LIKE
  },
  qwen2: {
    configClass: 'Qwen2Config', family: 'Qwen2', layerPattern: 'qwen-window-layers', kvHeads: 'standard', gatedMlp: true, qkvBias: true
  },
  qwen2_moe: {
    configClass: 'Qwen2MoeConfig', family: 'Qwen2-MoE', layerPattern: 'qwen-window-layers', kvHeads: 'standard', gatedMlp: true, qkvBias: true
  },
  qwen3: {
    configClass: 'Qwen3Config', family: 'Qwen3', layerPattern: 'qwen-window-layers', kvHeads: 'standard', gatedMlp: true
  },
  qwen3_moe: {
    configClass: 'Qwen3MoeConfig', family: 'Qwen3-MoE', layerPattern: 'qwen-window-layers', kvHeads: 'standard', gatedMlp: true
  },
  qwen3_next: {
    configClass: 'Qwen3NextConfig', family: 'Qwen3-Next', layerPattern: 'qwen3-next', kvHeads: 'standard', gatedMlp: true
  },
  deepseek_v2: {
    configClass: 'DeepseekV2Config', family: 'DeepSeek-V2', ...LLAMA_LIKE
  },
  deepseek_v3: { configClass: 'DeepseekV3Config', family: 'DeepSeek-V3', ...LLAMA_LIKE },
  kimi_k2: { configClass: 'DeepseekV3Config (Kimi K2 remote code)', family: 'Kimi K2', ...LLAMA_LIKE, classDefaultsFrom: 'deepseek_v3' },
  gemma: {
    configClass: 'GemmaConfig', family: 'Gemma', ...LLAMA_LIKE
  },
  gemma2: {
    configClass: 'Gemma2Config', family: 'Gemma 2', layerPattern: 'alternate', kvHeads: 'standard', gatedMlp: true
  },
  gemma3_text: {
    configClass: 'Gemma3TextConfig', family: 'Gemma 3', layerPattern: 'every-nth-global', kvHeads: 'standard', gatedMlp: true
  },
  phi3: {
    configClass: 'Phi3Config', family: 'Phi-3', ...LLAMA_LIKE
  },
  falcon: {
    configClass: 'FalconConfig', family: 'Falcon', layerPattern: 'uniform', kvHeads: 'falcon', gatedMlp: false
  },
  gpt2: {
    configClass: 'GPT2Config', family: 'GPT-2', layerPattern: 'uniform', kvHeads: 'standard', gatedMlp: false, learnedPositions: true,
    // Every GPT-2 checkpoint's Conv1D layers carry biases; no config key says so.
    remoteDefaults: { attentionBias: true },
  },
  mpt: {
    configClass: 'MptConfig', family: 'MPT', layerPattern: 'uniform', kvHeads: 'mpt', gatedMlp: false
  },
  gpt_oss: {
    configClass: 'GptOssConfig', family: 'GPT-OSS', layerPattern: 'alternate', kvHeads: 'standard', gatedMlp: true,
    // The released configs name no torch_dtype; the checkpoints are bf16 with mxfp4 experts.
    remoteDefaults: { dtype: 'bfloat16' },
  },
  chatglm: {
    configClass: 'ChatGLMConfig (remote code)', family: 'ChatGLM / GLM-4', layerPattern: 'uniform', kvHeads: 'chatglm', gatedMlp: true,
    remoteDefaults: { numLayers: 28, vocabSize: 65024, hiddenSize: 4096, intermediateSize: 13696, headDim: 128, numHeads: 32, maxContext: 2048, multiQueryAttention: false, numKvHeads: 1, attentionBias: false, tieWordEmbeddings: false },
  },
  glm4: {
    configClass: 'Glm4Config', family: 'GLM-4', ...LLAMA_LIKE
  },
  glm4_moe: {
    configClass: 'Glm4MoeConfig', family: 'GLM-4.5', ...LLAMA_LIKE
  },
  llama4_text: {
    configClass: 'Llama4TextConfig', family: 'Llama 4', layerPattern: 'llama4-chunked', kvHeads: 'standard', gatedMlp: true, sharedExpertFromIntermediate: true
  },
  minimax: {
    configClass: 'MiniMaxConfig', family: 'MiniMax', layerPattern: 'minimax', kvHeads: 'standard', gatedMlp: true
  },
  // --- Hybrids and recurrent families (
  jamba: {
    configClass: 'JambaConfig', family: 'Jamba', layerPattern: 'jamba-period', kvHeads: 'standard', gatedMlp: true, recurrent: 'mamba1'
  },
  bamba: {
    configClass: 'BambaConfig', family: 'Bamba', layerPattern: 'bamba-indices', kvHeads: 'standard', gatedMlp: true, recurrent: 'mamba2'
  },
  granitemoehybrid: {
    configClass: 'GraniteMoeHybridConfig', family: 'Granite 4.0 (hybrid)', layerPattern: 'all-recurrent', kvHeads: 'standard', gatedMlp: true, recurrent: 'mamba2'
  },
  nemotron_h: {
    configClass: 'NemotronHConfig', family: 'Nemotron-H', layerPattern: 'all-recurrent', kvHeads: 'standard', gatedMlp: false, recurrent: 'mamba2', vllmSsmDtypeFromConfig: true,
  },
  falcon_h1: {
    configClass: 'FalconH1Config', family: 'Falcon-H1', layerPattern: 'all-hybrid', kvHeads: 'standard', gatedMlp: true, recurrent: 'mamba2'
  },
  lfm2: {
    configClass: 'Lfm2Config', family: 'LFM2', layerPattern: 'uniform', kvHeads: 'standard', gatedMlp: true, recurrent: 'short-conv'
  },
  lfm2_moe: {
    configClass: 'Lfm2MoeConfig', family: 'LFM2-MoE', layerPattern: 'uniform', kvHeads: 'standard', gatedMlp: true, recurrent: 'short-conv'
  },
  mamba: {
    configClass: 'MambaConfig', family: 'Mamba', layerPattern: 'attention-free', kvHeads: 'standard', gatedMlp: false, recurrent: 'mamba1', attentionFree: true
  },
  falcon_mamba: {
    configClass: 'FalconMambaConfig', family: 'Falcon Mamba', layerPattern: 'attention-free', kvHeads: 'standard', gatedMlp: false, recurrent: 'mamba1', attentionFree: true
  },
  mamba2: {
    configClass: 'Mamba2Config', family: 'Mamba-2', layerPattern: 'attention-free', kvHeads: 'standard', gatedMlp: false, recurrent: 'mamba2', attentionFree: true
  },
  kimi_linear: {
    configClass: 'KimiLinearConfig', family: 'Kimi Linear', ...LLAMA_LIKE, recurrent: 'kda'
  },
  gpt_bigcode: {
    configClass: 'GPTBigCodeConfig', family: 'GPT-BigCode (StarCoder)', layerPattern: 'uniform', kvHeads: 'bigcode', gatedMlp: false, learnedPositions: true,
    // Its linear layers all carry biases (GPTBigCodeAttention c_attn / c_proj); no config key says so.
    remoteDefaults: { attentionBias: true },
  },
  cohere2: {
    configClass: 'Cohere2Config', family: 'Cohere 2 (Command R7B / A)', layerPattern: 'every-nth-global', kvHeads: 'standard', gatedMlp: true
  },
  exaone4: {
    configClass: 'Exaone4Config', family: 'EXAONE 4', layerPattern: 'every-nth-global', kvHeads: 'standard', gatedMlp: true
  },
  minimax_m2: {
    configClass: 'MiniMaxM2Config', family: 'MiniMax-M2', ...LLAMA_LIKE
  },
  olmo3: {
    // layer_types absent: "sliding_attention" if (i + 1) % 4 != 0 (configuration_olmo3.py).
    configClass: 'Olmo3Config', family: 'OLMo 3', layerPattern: 'every-nth-global', kvHeads: 'standard', gatedMlp: true, globalEvery: 4,
  },
  afmoe: {
    // "sliding_attention" if (i + 1) % global_attn_every_n_layers (configuration_afmoe.py).
    configClass: 'AfmoeConfig', family: 'AFMoE', layerPattern: 'every-nth-global', kvHeads: 'standard', gatedMlp: true,
  },
  granite_swa: {
    // "full_attention" if i % 4 == 0 else "sliding_attention" (configuration_granite_swa.py).
    configClass: 'GraniteSwaConfig', family: 'Granite (SWA)', layerPattern: 'every-nth-global', kvHeads: 'standard', gatedMlp: true, globalEvery: 4, globalFromZero: true,
  },
  granitemoe_swa: {
    configClass: 'GraniteMoeSwaConfig', family: 'Granite MoE (SWA)', layerPattern: 'every-nth-global', kvHeads: 'standard', gatedMlp: true, globalEvery: 4, globalFromZero: true,
  },
  smollm3: {
    configClass: 'SmolLM3Config', family: 'SmolLM3', layerPattern: 'smollm3', kvHeads: 'standard', gatedMlp: true,
  },
  mimo_v2_flash: {
    // configuration_mimo_v2_flash.py / modeling: layer 0 and every 6th full, window 128; SWA layers num_key_value_heads × 2.
    configClass: 'MiMoV2FlashConfig', family: 'MiMo-V2-Flash', layerPattern: 'mimo-flash', kvHeads: 'standard', gatedMlp: true,
  },
  mimo_v2: {
    // Xiaomi MiMo-V2 (remote code; vLLM mimo_v2_flash.py): layers by hybrid_layer_pattern.
    configClass: 'MiMoV2Config (remote code)', family: 'MiMo-V2', ...LLAMA_LIKE,
  },
  gemma3n_text: {
    // layer_types absent: "full_attention" if (i + 1) % 5 == 0 (configuration_gemma3n.py __post_init__).
    configClass: 'Gemma3nTextConfig', family: 'Gemma 3n', layerPattern: 'every-nth-global', kvHeads: 'standard', gatedMlp: true, globalEvery: 5,
  },
  gemma4_text: {
    // layer_types absent: every 6th layer full and the last forced full (configuration_gemma4.py __post_init__).
    configClass: 'Gemma4TextConfig', family: 'Gemma 4', layerPattern: 'every-nth-global-last-full', kvHeads: 'standard', gatedMlp: true, globalLayerShape: true,
  },
  'nemotron-nas': {
    // DeciLM remote code (configuration_decilm.py): Llama blocks, each configured by block_configs.
    configClass: 'DeciLMConfig (remote code)', family: 'Nemotron-NAS (DeciLM)', ...LLAMA_LIKE,
    remoteDefaults: { numKvHeads: null, tieWordEmbeddings: false },
  },
  qwen3_5_text: {
    configClass: 'Qwen3_5TextConfig', family: 'Qwen3.5', layerPattern: 'qwen3-next', kvHeads: 'standard', gatedMlp: true, recurrent: 'gated-deltanet'
  },
};

/** Wrapper model types whose text model lives in `text_config` under another model_type. */
export const TEXT_MODEL_TYPE_OF_WRAPPER: Record<string, string> = {
  gemma3: 'gemma3_text',
  llama4: 'llama4_text',
  qwen2_5_vl: 'qwen2',
  qwen2_vl: 'qwen2',
  mistral3: 'mistral',
  llava: 'llama',
};

/** Model types that share another's rules under their own name. */
const ALIASES: Record<string, string> = {
  glm: 'chatglm',
  RefinedWeb: 'falcon',
  RefinedWebModel: 'falcon',
  minimax_m1: 'minimax',
  minimax_text_01: 'minimax',
  deepseek_v32: 'deepseek_v3',
  qwen3_vl_text: 'qwen3',
  qwen3_vl_moe_text: 'qwen3_moe',
  qwen3_5_moe_text: 'qwen3_5_text',
  exaone4_5_text: 'exaone4',
  deci: 'nemotron-nas',
};

const infos = new Map<string, ModelTypeInfo | undefined>();

export function modelTypeInfo(modelType: string | undefined): ModelTypeInfo | undefined {
  if (modelType === undefined) return undefined;
  if (infos.has(modelType)) return infos.get(modelType);
  const key = MODEL_TYPES[modelType] ? modelType : ALIASES[modelType];
  const rules = key ? MODEL_TYPES[key] : undefined;
  let info: ModelTypeInfo | undefined;
  if (rules) {
    // The model type's own transformers class first (qwen3_vl_text has one), else its family's.
    const generated = transformersClassDefaults(modelType) ?? transformersClassDefaults(rules.classDefaultsFrom ?? key!);
    info = {
      ...rules,
      configClass: generated && !rules.classDefaultsFrom ? generated.configClass : rules.configClass,
      defaults: { ...(generated?.defaults ?? {}), ...(rules.remoteDefaults ?? {}) },
      defaultsSource: generated ? `${generated.configClass}, transformers ${generated.source}${rules.remoteDefaults ? ` (+ ${rules.configClass})` : ''}` : rules.configClass,
    };
  }
  infos.set(modelType, info);
  return info;
}

/** Rules for a model type we do not know: generic keys only, no defaults, sliding window on every layer. */
export const GENERIC_MODEL_TYPE: ModelTypeInfo = {
  configClass: 'generic (no transformers class known)',
  family: 'unknown',
  defaults: {},
  defaultsSource: 'none',
  layerPattern: 'uniform',
  kvHeads: 'standard',
  gatedMlp: true,
};
