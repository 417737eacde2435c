/**
 * What the engine knows about each supported `model_type`: the `transformers` config-class defaults
 * for the keys it reads (a config omits a key whose class default applies, so the file alone is not
 * the model) and the few structural traits that differ between families.
 *
 * Values are the constructor defaults of the named class (transformers 4.5x; remote-code classes from
 * the model repo). `null` is a default of None: the feature is off unless the file turns it on.
 */
import type { ConfigField } from './configKeys';
import type { MixerKind } from './recurrentState';

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
  | 'attention-free'; // no attention at all (Mamba, Mamba-2)

/** How the number of KV heads is spelled. */
export type KvHeadsRule = 'standard' | 'falcon' | 'chatglm' | 'mpt' | 'bigcode';

export interface ModelTypeInfo {
  /** The config class whose defaults these are, for "assumed" notes. */
  configClass: string;
  family: string;
  defaults: Partial<Record<ConfigField, DefaultValue>>;
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
}

const LLAMA_LIKE = { layerPattern: 'uniform', kvHeads: 'standard', gatedMlp: true } as const;

const DEEPSEEK_V3_DEFAULTS = {
  vocabSize: 129280, hiddenSize: 7168, intermediateSize: 18432, moeIntermediateSize: 2048, numLayers: 61,
  numHeads: 128, numKvHeads: 128, numSharedExperts: 1, numExperts: 256, numExpertsPerToken: 8,
  kvLoraRank: 512, qLoraRank: 1536, qkRopeHeadDim: 64, vHeadDim: 128, qkNopeHeadDim: 128,
  firstKDenseReplace: 3, moeLayerFreq: 1, maxContext: 4096, tieWordEmbeddings: false, attentionBias: false,
} as const;

const QWEN_WINDOW = { useSlidingWindow: false, slidingWindow: 4096, maxWindowLayers: 28 } as const;

export const MODEL_TYPES: Record<string, ModelTypeInfo> = {
  llama: {
    configClass: 'LlamaConfig', family: 'Llama', ...LLAMA_LIKE,
    defaults: { vocabSize: 32000, hiddenSize: 4096, intermediateSize: 11008, numLayers: 32, numHeads: 32, numKvHeads: null, maxContext: 2048, tieWordEmbeddings: false, attentionBias: false, headDim: null },
  },
  mistral: {
    configClass: 'MistralConfig', family: 'Mistral', ...LLAMA_LIKE,
    defaults: { vocabSize: 32000, hiddenSize: 4096, intermediateSize: 14336, numLayers: 32, numHeads: 32, numKvHeads: 8, maxContext: 131072, slidingWindow: 4096, tieWordEmbeddings: false, headDim: null },
  },
  mixtral: {
    configClass: 'MixtralConfig', family: 'Mixtral', ...LLAMA_LIKE,
    defaults: { vocabSize: 32000, hiddenSize: 4096, intermediateSize: 14336, numLayers: 32, numHeads: 32, numKvHeads: 8, maxContext: 131072, slidingWindow: null, numExperts: 8, numExpertsPerToken: 2, tieWordEmbeddings: false, headDim: null },
  },
  qwen2: {
    configClass: 'Qwen2Config', family: 'Qwen2', layerPattern: 'qwen-window-layers', kvHeads: 'standard', gatedMlp: true, qkvBias: true,
    defaults: { vocabSize: 151936, hiddenSize: 4096, intermediateSize: 22016, numLayers: 32, numHeads: 32, numKvHeads: 32, maxContext: 32768, tieWordEmbeddings: false, ...QWEN_WINDOW },
  },
  qwen2_moe: {
    configClass: 'Qwen2MoeConfig', family: 'Qwen2-MoE', layerPattern: 'qwen-window-layers', kvHeads: 'standard', gatedMlp: true, qkvBias: true,
    defaults: { vocabSize: 151936, hiddenSize: 2048, intermediateSize: 5632, numLayers: 24, numHeads: 16, numKvHeads: 16, maxContext: 32768, tieWordEmbeddings: false, decoderSparseStep: 1, moeIntermediateSize: 1408, sharedExpertIntermediateSize: 5632, numExpertsPerToken: 4, numExperts: 60, mlpOnlyLayers: [], ...QWEN_WINDOW },
  },
  qwen3: {
    configClass: 'Qwen3Config', family: 'Qwen3', layerPattern: 'qwen-window-layers', kvHeads: 'standard', gatedMlp: true,
    defaults: { vocabSize: 151936, hiddenSize: 4096, intermediateSize: 22016, numLayers: 32, numHeads: 32, numKvHeads: 32, headDim: 128, maxContext: 32768, tieWordEmbeddings: false, attentionBias: false, ...QWEN_WINDOW },
  },
  qwen3_moe: {
    configClass: 'Qwen3MoeConfig', family: 'Qwen3-MoE', layerPattern: 'qwen-window-layers', kvHeads: 'standard', gatedMlp: true,
    defaults: { vocabSize: 151936, hiddenSize: 2048, intermediateSize: 6144, numLayers: 24, numHeads: 32, numKvHeads: 4, maxContext: 32768, tieWordEmbeddings: false, attentionBias: false, decoderSparseStep: 1, moeIntermediateSize: 768, numExpertsPerToken: 8, numExperts: 128, mlpOnlyLayers: [], ...QWEN_WINDOW },
  },
  qwen3_next: {
    configClass: 'Qwen3NextConfig', family: 'Qwen3-Next', layerPattern: 'qwen3-next', kvHeads: 'standard', gatedMlp: true,
    defaults: {
      vocabSize: 151936, hiddenSize: 2048, intermediateSize: 5632, numLayers: 48, numHeads: 16, numKvHeads: 2, headDim: 256, maxContext: 32768,
      tieWordEmbeddings: false, attentionBias: false, fullAttentionInterval: 4, linearConvKernelDim: 4, linearKeyHeadDim: 128, linearValueHeadDim: 128,
      linearNumKeyHeads: 16, linearNumValueHeads: 32, decoderSparseStep: 1, moeIntermediateSize: 512, sharedExpertIntermediateSize: 512,
      numExpertsPerToken: 10, numExperts: 512, mlpOnlyLayers: [],
    },
  },
  deepseek_v2: {
    configClass: 'DeepseekV2Config', family: 'DeepSeek-V2', ...LLAMA_LIKE,
    defaults: {
      vocabSize: 102400, hiddenSize: 4096, intermediateSize: 11008, moeIntermediateSize: 1407, numLayers: 30, numHeads: 32, numKvHeads: 32,
      numSharedExperts: null, numExperts: null, kvLoraRank: 512, qLoraRank: 1536, qkRopeHeadDim: 64, vHeadDim: 128, qkNopeHeadDim: 128,
      firstKDenseReplace: 0, moeLayerFreq: 1, maxContext: 2048, tieWordEmbeddings: false, attentionBias: false,
    },
  },
  deepseek_v3: { configClass: 'DeepseekV3Config', family: 'DeepSeek-V3', ...LLAMA_LIKE, defaults: DEEPSEEK_V3_DEFAULTS },
  kimi_k2: { configClass: 'DeepseekV3Config (Kimi K2 remote code)', family: 'Kimi K2', ...LLAMA_LIKE, defaults: DEEPSEEK_V3_DEFAULTS },
  gemma: {
    configClass: 'GemmaConfig', family: 'Gemma', ...LLAMA_LIKE,
    defaults: { vocabSize: 256000, hiddenSize: 3072, intermediateSize: 24576, numLayers: 28, numHeads: 16, numKvHeads: 16, headDim: 256, maxContext: 8192, tieWordEmbeddings: true },
  },
  gemma2: {
    configClass: 'Gemma2Config', family: 'Gemma 2', layerPattern: 'alternate', kvHeads: 'standard', gatedMlp: true,
    defaults: { vocabSize: 256000, hiddenSize: 2304, intermediateSize: 9216, numLayers: 26, numHeads: 8, numKvHeads: 4, headDim: 256, maxContext: 8192, slidingWindow: 4096, tieWordEmbeddings: true },
  },
  gemma3_text: {
    configClass: 'Gemma3TextConfig', family: 'Gemma 3', layerPattern: 'every-nth-global', kvHeads: 'standard', gatedMlp: true,
    defaults: { vocabSize: 262208, hiddenSize: 2304, intermediateSize: 9216, numLayers: 26, numHeads: 8, numKvHeads: 4, headDim: 256, maxContext: 131072, slidingWindow: 4096, slidingWindowPattern: 6, tieWordEmbeddings: true },
  },
  phi3: {
    configClass: 'Phi3Config', family: 'Phi-3', ...LLAMA_LIKE,
    defaults: { vocabSize: 32064, hiddenSize: 3072, intermediateSize: 8192, numLayers: 32, numHeads: 32, numKvHeads: null, maxContext: 4096, slidingWindow: null, tieWordEmbeddings: false },
  },
  falcon: {
    configClass: 'FalconConfig', family: 'Falcon', layerPattern: 'uniform', kvHeads: 'falcon', gatedMlp: false,
    defaults: { vocabSize: 65024, hiddenSize: 4544, numLayers: 32, numHeads: 71, numKvHeads: null, multiQuery: true, newDecoderArchitecture: false, maxContext: 2048, attentionBias: false, tieWordEmbeddings: true },
  },
  gpt2: {
    configClass: 'GPT2Config', family: 'GPT-2', layerPattern: 'uniform', kvHeads: 'standard', gatedMlp: false, learnedPositions: true,
    defaults: { vocabSize: 50257, maxContext: 1024, hiddenSize: 768, numLayers: 12, numHeads: 12, intermediateSize: null, tieWordEmbeddings: true, attentionBias: true, dtype: 'float32' },
  },
  mpt: {
    configClass: 'MptConfig', family: 'MPT', layerPattern: 'uniform', kvHeads: 'mpt', gatedMlp: false,
    defaults: { hiddenSize: 2048, numHeads: 16, numLayers: 24, expansionRatio: 4, maxContext: 2048, vocabSize: 50368, attnType: 'multihead_attention', tieWordEmbeddings: true, attentionBias: false },
  },
  gpt_oss: {
    configClass: 'GptOssConfig', family: 'GPT-OSS', layerPattern: 'alternate', kvHeads: 'standard', gatedMlp: true,
    // The released configs name no torch_dtype; the checkpoints are bf16 with mxfp4 experts.
    defaults: { vocabSize: 201088, hiddenSize: 2880, intermediateSize: 2880, numLayers: 36, numHeads: 64, numKvHeads: 8, headDim: 64, slidingWindow: 128, maxContext: 131072, numExperts: 128, numExpertsPerToken: 4, tieWordEmbeddings: false, attentionBias: true, dtype: 'bfloat16' },
  },
  chatglm: {
    configClass: 'ChatGLMConfig (remote code)', family: 'ChatGLM / GLM-4', layerPattern: 'uniform', kvHeads: 'chatglm', gatedMlp: true,
    defaults: { numLayers: 28, vocabSize: 65024, hiddenSize: 4096, intermediateSize: 13696, headDim: 128, numHeads: 32, maxContext: 2048, multiQueryAttention: false, numKvHeads: 1, attentionBias: false, tieWordEmbeddings: false },
  },
  glm4: {
    configClass: 'Glm4Config', family: 'GLM-4', ...LLAMA_LIKE,
    defaults: { vocabSize: 151552, hiddenSize: 4096, intermediateSize: 13696, numLayers: 40, numHeads: 32, numKvHeads: 2, headDim: 128, maxContext: 131072, attentionBias: true, tieWordEmbeddings: false },
  },
  glm4_moe: {
    configClass: 'Glm4MoeConfig', family: 'GLM-4.5', ...LLAMA_LIKE,
    defaults: {
      vocabSize: 151552, hiddenSize: 4096, intermediateSize: 10944, numLayers: 46, numHeads: 96, numKvHeads: 8, headDim: 128, maxContext: 131072,
      moeIntermediateSize: 1408, numSharedExperts: 1, numExperts: 128, numExpertsPerToken: 8, firstKDenseReplace: 1, attentionBias: false, tieWordEmbeddings: false,
    },
  },
  llama4_text: {
    configClass: 'Llama4TextConfig', family: 'Llama 4', layerPattern: 'llama4-chunked', kvHeads: 'standard', gatedMlp: true, sharedExpertFromIntermediate: true,
    defaults: {
      vocabSize: 202048, hiddenSize: 5120, intermediateSize: 8192, intermediateSizeMlp: 16384, numLayers: 48, numHeads: 40, numKvHeads: 8, headDim: 128,
      maxContext: 131072, numExperts: 16, numExpertsPerToken: 1, interleaveMoeLayerStep: 1, attentionChunkSize: 8192, noRopeLayerInterval: 4,
      tieWordEmbeddings: false, attentionBias: false,
    },
  },
  minimax: {
    configClass: 'MiniMaxConfig', family: 'MiniMax', layerPattern: 'minimax', kvHeads: 'standard', gatedMlp: true,
    defaults: { vocabSize: 32000, hiddenSize: 4096, intermediateSize: 14336, numLayers: 32, numHeads: 32, numKvHeads: 8, maxContext: 131072, numExperts: 8, numExpertsPerToken: 2, tieWordEmbeddings: false },
  },
  // --- Hybrids and recurrent families (defaults: transformers 5.18 configuration_*.py) ---
  jamba: {
    configClass: 'JambaConfig', family: 'Jamba', layerPattern: 'jamba-period', kvHeads: 'standard', gatedMlp: true, recurrent: 'mamba1',
    defaults: { vocabSize: 65536, hiddenSize: 4096, intermediateSize: 14336, numLayers: 32, numHeads: 32, numKvHeads: 8, maxContext: 262144, attnLayerPeriod: 8, attnLayerOffset: 4, ssmStateSize: 16, ssmConvKernel: 4, ssmExpand: 2, numExperts: 16, numExpertsPerToken: 2, tieWordEmbeddings: false },
  },
  bamba: {
    configClass: 'BambaConfig', family: 'Bamba', layerPattern: 'bamba-indices', kvHeads: 'standard', gatedMlp: true, recurrent: 'mamba2',
    defaults: { vocabSize: 128000, hiddenSize: 4096, intermediateSize: 14336, numLayers: 32, numHeads: 32, numKvHeads: 8, maxContext: 262144, ssmNumHeads: 128, ssmGroups: 1, ssmStateSize: 256, ssmConvKernel: 4, ssmExpand: 2, tieWordEmbeddings: false },
  },
  granitemoehybrid: {
    configClass: 'GraniteMoeHybridConfig', family: 'Granite 4.0 (hybrid)', layerPattern: 'all-recurrent', kvHeads: 'standard', gatedMlp: true, recurrent: 'mamba2',
    defaults: { vocabSize: 32000, hiddenSize: 4096, intermediateSize: 11008, numLayers: 32, numHeads: 32, numKvHeads: null, maxContext: 2048, ssmNumHeads: 128, ssmGroups: 1, ssmStateSize: 256, ssmConvKernel: 4, ssmExpand: 2, tieWordEmbeddings: false },
  },
  nemotron_h: {
    configClass: 'NemotronHConfig', family: 'Nemotron-H', layerPattern: 'all-recurrent', kvHeads: 'standard', gatedMlp: false, recurrent: 'mamba2',
    defaults: { vocabSize: 131072, hiddenSize: 4096, intermediateSize: 21504, numHeads: 32, numKvHeads: 8, headDim: 128, maxContext: 4096, ssmStateSize: 128, ssmNumHeads: 128, ssmHeadDim: 64, ssmGroups: 8, ssmConvKernel: 4, ssmExpand: 2, tieWordEmbeddings: false },
  },
  falcon_h1: {
    configClass: 'FalconH1Config', family: 'Falcon-H1', layerPattern: 'all-hybrid', kvHeads: 'standard', gatedMlp: true, recurrent: 'mamba2',
    defaults: { vocabSize: 128000, hiddenSize: 4096, intermediateSize: 14336, numLayers: 32, numHeads: 32, numKvHeads: 8, maxContext: 8192, ssmNumHeads: 128, ssmGroups: 1, ssmStateSize: 256, ssmConvKernel: 4, ssmExpand: 2, ssmInnerSize: 1024, tieWordEmbeddings: false },
  },
  lfm2: {
    configClass: 'Lfm2Config', family: 'LFM2', layerPattern: 'uniform', kvHeads: 'standard', gatedMlp: true, recurrent: 'short-conv',
    defaults: { vocabSize: 65536, hiddenSize: 2560, intermediateSize: 12288, numLayers: 32, numHeads: 32, numKvHeads: 8, maxContext: 128000, ssmConvKernel: 3, tieWordEmbeddings: true },
  },
  lfm2_moe: {
    configClass: 'Lfm2MoeConfig', family: 'LFM2-MoE', layerPattern: 'uniform', kvHeads: 'standard', gatedMlp: true, recurrent: 'short-conv',
    defaults: { vocabSize: 65536, hiddenSize: 2048, intermediateSize: 7168, moeIntermediateSize: 1792, numLayers: 32, numHeads: 32, numKvHeads: 8, maxContext: 128000, ssmConvKernel: 3, tieWordEmbeddings: true },
  },
  mamba: {
    configClass: 'MambaConfig', family: 'Mamba', layerPattern: 'attention-free', kvHeads: 'standard', gatedMlp: false, recurrent: 'mamba1', attentionFree: true,
    defaults: { vocabSize: 50280, hiddenSize: 768, numLayers: 32, ssmStateSize: 16, ssmConvKernel: 4, ssmExpand: 2, tieWordEmbeddings: true },
  },
  falcon_mamba: {
    configClass: 'FalconMambaConfig', family: 'Falcon Mamba', layerPattern: 'attention-free', kvHeads: 'standard', gatedMlp: false, recurrent: 'mamba1', attentionFree: true,
    defaults: { vocabSize: 50280, hiddenSize: 768, numLayers: 32, ssmStateSize: 16, ssmConvKernel: 4, ssmExpand: 2, tieWordEmbeddings: true },
  },
  mamba2: {
    configClass: 'Mamba2Config', family: 'Mamba-2', layerPattern: 'attention-free', kvHeads: 'standard', gatedMlp: false, recurrent: 'mamba2', attentionFree: true,
    defaults: { vocabSize: 32768, hiddenSize: 4096, numLayers: 64, numHeads: 128, headDim: 64, ssmStateSize: 128, ssmGroups: 8, ssmConvKernel: 4, ssmExpand: 2, tieWordEmbeddings: false },
  },
  kimi_linear: {
    configClass: 'KimiLinearConfig', family: 'Kimi Linear', ...LLAMA_LIKE, recurrent: 'kda',
    defaults: { vocabSize: 163840, hiddenSize: 2304, intermediateSize: 9216, moeIntermediateSize: 1024, numLayers: 27, numHeads: 32, numKvHeads: 32, qkRopeHeadDim: 64, vHeadDim: 128, qkNopeHeadDim: 128, maxContext: 1048576, tieWordEmbeddings: false },
  },
  gpt_bigcode: {
    configClass: 'GPTBigCodeConfig', family: 'GPT-BigCode (StarCoder)', layerPattern: 'uniform', kvHeads: 'bigcode', gatedMlp: false, learnedPositions: true,
    defaults: { vocabSize: 50257, maxContext: 1024, hiddenSize: 768, numLayers: 12, numHeads: 12, intermediateSize: null, multiQuery: true, tieWordEmbeddings: true, attentionBias: true },
  },
  cohere2: {
    configClass: 'Cohere2Config', family: 'Cohere 2 (Command R7B / A)', layerPattern: 'every-nth-global', kvHeads: 'standard', gatedMlp: true,
    defaults: { vocabSize: 256000, hiddenSize: 8192, intermediateSize: 22528, numLayers: 40, numHeads: 64, numKvHeads: null, maxContext: 8192, slidingWindow: 4096, slidingWindowPattern: 4, tieWordEmbeddings: true },
  },
  exaone4: {
    configClass: 'Exaone4Config', family: 'EXAONE 4', layerPattern: 'every-nth-global', kvHeads: 'standard', gatedMlp: true,
    defaults: { vocabSize: 102400, hiddenSize: 4096, intermediateSize: 16384, numLayers: 32, numHeads: 32, numKvHeads: 32, maxContext: 2048, slidingWindow: 4096, slidingWindowPattern: 4, tieWordEmbeddings: false },
  },
  minimax_m2: {
    configClass: 'MiniMaxM2Config', family: 'MiniMax-M2', ...LLAMA_LIKE,
    defaults: { vocabSize: 200064, hiddenSize: 3072, intermediateSize: 1536, numLayers: 62, numHeads: 48, numKvHeads: 8, headDim: 128, maxContext: 196608, numExperts: 256, numExpertsPerToken: 8, tieWordEmbeddings: false },
  },
  'nemotron-nas': {
    // DeciLM remote code (configuration_decilm.py): Llama blocks, each configured by block_configs.
    configClass: 'DeciLMConfig (remote code)', family: 'Nemotron-NAS (DeciLM)', ...LLAMA_LIKE,
    defaults: { numKvHeads: null, tieWordEmbeddings: false },
  },
  qwen3_5_text: {
    configClass: 'Qwen3_5TextConfig', family: 'Qwen3.5', layerPattern: 'qwen3-next', kvHeads: 'standard', gatedMlp: true, recurrent: 'gated-deltanet',
    defaults: { vocabSize: 248320, hiddenSize: 4096, intermediateSize: 12288, numLayers: 32, numHeads: 16, numKvHeads: 4, headDim: 256, maxContext: 32768, fullAttentionInterval: 4, linearConvKernelDim: 4, linearKeyHeadDim: 128, linearValueHeadDim: 128, linearNumKeyHeads: 16, linearNumValueHeads: 32, tieWordEmbeddings: false },
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

export function modelTypeInfo(modelType: string | undefined): ModelTypeInfo | undefined {
  if (modelType === undefined) return undefined;
  return MODEL_TYPES[modelType] ?? MODEL_TYPES[ALIASES[modelType] ?? ''];
}

/** Rules for a model type we do not know: generic keys only, no defaults, sliding window on every layer. */
export const GENERIC_MODEL_TYPE: ModelTypeInfo = {
  configClass: 'generic (no transformers class known)',
  family: 'unknown',
  defaults: {},
  layerPattern: 'uniform',
  kvHeads: 'standard',
  gatedMlp: true,
};
