/**
 * ModelConfig → AttentionSpec: for every layer its kind (full, sliding with its window, chunked with its
 * chunk, linear, none), its variant (MHA, GQA, MQA, MLA), query and KV heads, K and V head sizes and,
 * for MLA, the latent dims. Each family's spelling of KV heads and layer patterns is resolved here, once.
 */
import { ConfigError, type ConfigIssue } from './errors';
import { bool, describeSource, num, str, type FieldSource, type ModelConfig } from './modelConfig';
import { CONFIG_KEYS, type ConfigField } from './configKeys';
import { applyGlobalLayerShape, applyKvSharing, bidirectionalWindow, familyPlans, LAYER_ENCODINGS, type EncodingContext, type LayerPlan, type PlannedKind } from './layerEncodings';
import { MIXER_NAMES, resolveRecurrentState, type MixerKind, type RecurrentState } from './recurrentState';

/**
 * full / sliding / chunked: softmax attention with a per-token cache (bounded for the last two);
 * linear (linear attention), mamba (SSM), conv (short convolution): a fixed state only; shared: attention
 * over another layer's K/V, no cache of its own; none: no attention and no state (MLP-only blocks).
 */
export type LayerKind = PlannedKind;
export type AttentionVariant = 'mha' | 'gqa' | 'mqa' | 'mla';

/** Kinds that keep a per-token K/V cache of their own. */
export function cachesTokens(kind: LayerKind): boolean {
  return kind === 'full' || kind === 'sliding' || kind === 'chunked';
}
export type ModelDtype = 'float32' | 'float16' | 'bfloat16';

export interface MlaDims {
  kvLoraRank: number;
  qkRopeHeadDim: number;
  qkNopeHeadDim: number;
  vHeadDim: number;
  /** null: queries projected directly from the hidden state. */
  qLoraRank: number | null;
  /** The config's own head_dim beside the MLA dims (Kimi-Linear: 72), which some GGUF converters keep as value_length. */
  configHeadDim?: number;
}

/** Linear-attention (Gated DeltaNet, lightning) layers keep a fixed state per sequence instead of a per-token cache. */
export interface LinearStateDims {
  numKeyHeads: number;
  numValueHeads: number;
  keyHeadDim: number;
  valueHeadDim: number;
  /** Short-convolution width; 0 when the layer has none. */
  convKernel: number;
}

export interface LayerSpec {
  index: number;
  kind: LayerKind;
  /** Tokens a sliding (window) or chunked (chunk) layer keeps at most. */
  windowTokens?: number;
  /** null for linear layers, which have no softmax attention. */
  variant: AttentionVariant | null;
  qHeads: number;
  kvHeads: number;
  kHeadDim: number;
  vHeadDim: number;
  mla?: MlaDims;
  /** The fixed per-sequence state this layer keeps (recurrent layers, and hybrid layers beside their attention). */
  state?: RecurrentState;
  /** A shared layer: the layer whose K/V it reads. */
  sharesWith?: number;
  /** The layer's MLP when its block says (undefined: the family's usual MLP). */
  mlp?: 'dense' | 'moe' | 'none';
}

export interface AttentionSpec {
  modelType: string | undefined;
  family: string;
  hiddenSize: number;
  numLayers: number;
  maxContextTokens: number;
  dtype: ModelDtype;
  /** The softmax-attention shape shared by the attention layers; none for attention-free models (Mamba). */
  variant: AttentionVariant | 'mixed' | 'none';
  qHeads: number;
  /** KV heads per layer; 1 for MLA (one latent row shared by all heads). */
  kvHeads: number;
  /** Configured KV heads (for MLA the config's own num_key_value_heads, unused by the latent cache). */
  configKvHeads: number;
  headDim: number;
  vHeadDim: number;
  mla?: MlaDims;
  linear?: LinearStateDims;
  layers: LayerSpec[];
  /** Multi-token-prediction layers stored with the weights (num_nextn_predict_layers); 0 when none. */
  mtpLayers: number;
  /** Where each derived number came from, for --explain and hovers. */
  sources: Partial<Record<'qHeads' | 'kvHeads' | 'headDim' | 'layers' | 'context' | 'dtype' | 'pattern' | 'hiddenSize', string>>;
  /** What was assumed (unknown model type, defaults used) and other non-fatal findings. */
  notes: string[];
  issues: ConfigIssue[];
}

export function deriveAttentionSpec(config: ModelConfig): AttentionSpec {
  const issues: ConfigIssue[] = [];
  const notes: string[] = [];
  const fail = (field: ConfigField | undefined, code: string, message: string, hint: string): never => {
    const source = field ? config.get(field)?.source : undefined;
    throw new ConfigError(config.file, {
      severity: 'error', code, message, hint,
      key: source?.kind === 'key' ? source.key : field ? keyName(field) : undefined,
      range: source?.kind === 'key' ? source.range : undefined,
    });
  };
  const info = config.typeInfo;

  if (config.modelType === undefined) {
    notes.push('No model_type: read the generic keys only (no class defaults), a sliding_window applies to every layer.');
  } else if (!config.knownModelType) {
    notes.push(`model_type "${config.modelType}" is not one Attention Lens knows: read the generic keys only (no class defaults), a sliding_window applies to every layer. Check the numbers against the model card.`);
  }
  const defaulted = usedDefaults(config);
  if (defaulted.length > 0) notes.push(`Not in the file, taken from the class defaults (${info.defaultsSource}): ${defaulted.join(", ")}.`);

  const require = (field: ConfigField, what: string): number => {
    const value = num(config, field);
    if (value === undefined) {
      const spell = keySpellings(field);
      return fail(field, 'missing-key', `${what} is missing (looked for ${spell})`, `Add "${keyName(field)}" to the config${config.knownModelType ? '' : ' (no defaults are known for this model_type)'}.`);
    }
    return value;
  };

  const hiddenSize = require('hiddenSize', 'the hidden size');
  // Nemotron-H's layer count is its pattern's length (the class ignores num_hidden_layers).
  const pattern = str(config, 'hybridOverridePattern');
  const numLayers = pattern !== undefined && num(config, 'numLayers') === undefined ? pattern.length : require('numLayers', 'the number of layers');
  // Attention-free families (Mamba) need no heads; Mamba-2 spells its SSM heads num_heads.
  const attentionFree = info.attentionFree === true;
  const qHeads = attentionFree ? num(config, 'numHeads') ?? 0 : require('numHeads', 'the number of attention heads');

  // --- KV heads: each family spells them differently. ---
  const { kvHeads: configKvHeads, kvSource } = attentionFree ? { kvHeads: Math.max(1, qHeads), kvSource: `${info.configClass}: no attention` } : resolveKvHeads(config, qHeads, issues);
  if (!attentionFree && configKvHeads > qHeads) {
    fail('numKvHeads', 'kv-heads-exceed', `${configKvHeads} KV heads exceed ${qHeads} query heads`, 'KV heads must be ≤ num_attention_heads (equal for MHA, 1 for MQA).');
  }
  if (!attentionFree && qHeads % configKvHeads !== 0) {
    fail('numKvHeads', 'heads-not-divisible', `num_attention_heads ${qHeads} is not divisible by ${configKvHeads} KV heads`, `Each KV head serves a whole group of query heads: use a divisor of ${qHeads} (e.g. ${divisors(qHeads).filter((d) => d < qHeads).slice(-3).join(', ')}).`);
  }

  // --- Head size. ---
  let headDim: number;
  let headSource: string;
  const headField = config.get('headDim');
  if (typeof headField?.value === 'number') {
    headDim = headField.value;
    headSource = describeSource(headField.source);
    if (hiddenSize % qHeads === 0 && hiddenSize / qHeads !== headDim) {
      notes.push(`head_dim ${headDim} differs from hidden_size / num_attention_heads = ${hiddenSize / qHeads}: the KV cache uses head_dim (as ${config.knownModelType ? info.configClass : 'transformers'} does).`);
    }
  } else if (attentionFree) {
    headDim = 0;
    headSource = `${info.configClass}: no attention`;
  } else {
    if (hiddenSize % qHeads !== 0) {
      fail('hiddenSize', 'head-dim-not-integer', `hidden_size ${hiddenSize} is not divisible by num_attention_heads ${qHeads}, and there is no head_dim`, 'Add "head_dim", or fix hidden_size / num_attention_heads.');
    }
    headDim = hiddenSize / qHeads;
    headSource = `hidden_size ${hiddenSize} / num_attention_heads ${qHeads}`;
  }

  // --- MLA: detected from kv_lora_rank, never from the name. ---
  let mla: MlaDims | undefined;
  const kvLoraRank = num(config, 'kvLoraRank');
  if (kvLoraRank !== undefined) {
    mla = {
      kvLoraRank,
      qkRopeHeadDim: require('qkRopeHeadDim', 'MLA qk_rope_head_dim'),
      qkNopeHeadDim: require('qkNopeHeadDim', 'MLA qk_nope_head_dim'),
      vHeadDim: require('vHeadDim', 'MLA v_head_dim'),
      qLoraRank: num(config, 'qLoraRank') ?? null,
      ...(typeof headField?.value === 'number' ? { configHeadDim: headField.value } : {}),
    };
  }

  // --- Context and dtype. ---
  const maxField = config.get('maxContext');
  let maxContextTokens: number;
  if (typeof maxField?.value === 'number') maxContextTokens = maxField.value;
  else {
    maxContextTokens = 2048;
    notes.push('No max_position_embeddings (or another context key): assumed 2,048 tokens; pass --context to choose.');
  }
  const dtype = resolveDtype(config, notes);

  // --- Per-layer kinds: the first explicit encoding present, else the family's rule; then sharing. ---
  const mixer: MixerKind = info.recurrent ?? (num(config, 'linearNumKeyHeads') !== undefined ? 'gated-deltanet' : 'lightning');
  const context: EncodingContext = { config, numLayers, qHeads, mixer, fail, issues, notes };
  const encoding = LAYER_ENCODINGS.find((e) => e.applies(context));
  const resolution = encoding ? encoding.resolve(context) : familyPlans(info.layerPattern, context, info.configClass);
  const plans: LayerPlan[] = resolution.plans;
  // Pattern keys only some families read: present in a family whose rule does not, they would be
  // silently ignored — said instead.
  if (!encoding && info.layerPattern !== 'every-nth-global' && info.layerPattern !== 'every-nth-global-last-full') {
    for (const field of ['slidingWindowPattern', 'globalAttnEveryNLayers'] as const) {
      const f = config.get(field);
      if (f?.source.kind === 'key' && f.value !== null) {
        issues.push({ severity: 'warning', code: 'unmodelled-key', key: f.source.key, range: f.source.range, message: `${f.source.key} is not read by ${info.configClass}'s layer rule (${resolution.source}): if the model uses it, the KV figures are wrong`, hint: 'Check the model_type, or give layer_types explicitly.' });
      }
    }
  }
  const globalShape = applyGlobalLayerShape(plans, context);
  const halfWindow = bidirectionalWindow(context);
  if (halfWindow !== undefined) for (const p of plans) if (p.kind === 'sliding') p.windowTokens = halfWindow;
  const sharing = applyKvSharing(plans, context);
  const patternSource = [resolution.source, globalShape, halfWindow !== undefined ? `use_bidirectional_attention: sliding layers keep window // 2 + 1 = ${halfWindow} tokens` : undefined, sharing].filter(Boolean).join('; ');

  const kvVariant = (heads: number): AttentionVariant => (mla ? 'mla' : heads === qHeads ? 'mha' : heads === 1 ? 'mqa' : 'gqa');
  const variant = kvVariant(configKvHeads);
  const kvHeads = mla ? 1 : configKvHeads;
  const kHeadDim = mla ? mla.qkNopeHeadDim + mla.qkRopeHeadDim : headDim;
  // Outside MLA, a v_head_dim the file gives is V's own width (MiMo-V2: K 192, V 128).
  const vHeadDim = mla ? mla.vHeadDim : num(config, 'vHeadDim') ?? headDim;

  // Recurrent states, resolved once per mixer; a mixer whose keys are missing is said, not guessed.
  const states = new Map<MixerKind, RecurrentState | undefined>();
  const stateOf = (m: MixerKind): RecurrentState | undefined => {
    if (!states.has(m)) {
      const r = resolveRecurrentState(config, m, hiddenSize, qHeads, headDim);
      if ('missing' in r) {
        issues.push({ severity: 'warning', code: 'unknown-state', key: r.missing, message: `the ${MIXER_NAMES[m]} layers' state size needs ${r.missing}, which the config does not give: their fixed per-sequence state is not counted and the memory figures may be too low`, hint: `Add ${r.missing} (see the model card or the modeling code).` });
        states.set(m, undefined);
      } else states.set(m, r);
    }
    return states.get(m);
  };

  let linear: LinearStateDims | undefined;
  const layers: LayerSpec[] = plans.map((p, index) => {
    const state = p.mixer ? stateOf(p.mixer) : undefined;
    const extra = { ...(state ? { state } : {}), ...(p.mlp ? { mlp: p.mlp } : {}) };
    if (p.kind === 'linear' || p.kind === 'mamba' || p.kind === 'conv' || p.kind === 'none') {
      if (p.kind === 'linear' && (p.mixer === 'gated-deltanet' || p.mixer === 'lightning')) {
        linear ??= resolveLinearDims(config, qHeads, headDim);
        return { index, kind: p.kind, variant: null, qHeads: linear.numValueHeads, kvHeads: linear.numKeyHeads, kHeadDim: linear.keyHeadDim, vHeadDim: linear.valueHeadDim, ...extra };
      }
      return { index, kind: p.kind, variant: null, qHeads: 0, kvHeads: 0, kHeadDim: 0, vHeadDim: 0, ...extra };
    }
    const layer: LayerSpec = { index, kind: p.kind, variant: kvVariant(p.kvHeads ?? configKvHeads), qHeads, kvHeads: mla ? 1 : p.kvHeads ?? kvHeads, kHeadDim: p.kHeadDim ?? kHeadDim, vHeadDim: p.vHeadDim ?? vHeadDim, ...extra };
    if (p.windowTokens !== undefined) layer.windowTokens = p.windowTokens;
    if (p.sharesWith !== undefined) layer.sharesWith = p.sharesWith;
    if (mla) layer.mla = mla;
    return layer;
  });
  if (layers.some((l) => l.variant !== null) && qHeads === 0) fail('numHeads', 'missing-key', 'the number of attention heads is missing', 'Add "num_attention_heads".');

  const blockSize = config.get('hybridBlockSize');
  if (blockSize?.source.kind === 'key' && typeof blockSize.value === 'number') {
    issues.push({ severity: 'warning', code: 'unmodelled-key', key: blockSize.source.key, range: blockSize.source.range, message: `${blockSize.source.key} = ${blockSize.value} is a layer layout Attention Lens does not model: the KV figures may be wrong`, hint: 'Give hybrid_layer_pattern instead, or check the figures against the model card.' });
  }

  // No class behind the config: every family rule (layer patterns, defaults, KV-head spellings) may be
  // missing, so the figures are said to be a guess on every surface, on the model_type key.
  if (config.modelType === undefined) {
    issues.push({
      severity: 'warning', code: 'no-model-type',
      message: 'no model_type: Attention Lens read the generic keys only (no class defaults, any sliding_window on every layer): the KV figures may be wrong',
      hint: 'Add "model_type" (e.g. "llama") so the right defaults and layer rules apply.',
    });
  } else if (!config.knownModelType) {
    const source = config.get('modelType')?.source;
    issues.push({
      severity: 'warning', code: 'unknown-model-type',
      ...(source?.kind === 'key' ? { key: source.key, range: source.range } : { key: 'model_type' }),
      message: `model_type "${config.modelType}" is not one Attention Lens knows, so the KV figures may be wrong: assumed ${mla ? 'MLA' : variant.toUpperCase()} with ${qHeads} query / ${configKvHeads} KV heads of ${kHeadDim}, ${numLayers} layers, ${patternSource}`,
      hint: 'Check these numbers against the model card; no class defaults or family rules were used.',
    });
  }

  const attentionVariants = new Set(layers.filter((l) => l.variant !== null).map((l) => l.variant));
  const specVariant = attentionVariants.size === 0 ? 'none' : attentionVariants.size > 1 ? 'mixed' : [...attentionVariants][0]!;
  // Per-layer KV heads (NAS blocks): the model's figure is theirs when they agree.
  const layerKvHeads = new Set(layers.filter((l) => l.variant !== null).map((l) => l.kvHeads));
  const modelKvHeads = layerKvHeads.size === 1 ? [...layerKvHeads][0]! : kvHeads;
  return {
    modelType: config.modelType,
    family: info.family,
    hiddenSize,
    numLayers,
    maxContextTokens,
    dtype,
    variant: specVariant,
    qHeads,
    kvHeads: modelKvHeads,
    configKvHeads: layerKvHeads.size === 1 && !mla ? modelKvHeads : configKvHeads,
    headDim: kHeadDim,
    vHeadDim,
    ...(mla ? { mla } : {}),
    ...(linear ? { linear } : {}),
    layers,
    mtpLayers: num(config, 'numNextnPredictLayers') ?? 0,
    sources: {
      qHeads: describeSource(config.get('numHeads')?.source),
      kvHeads: kvSource,
      headDim: mla ? `MLA qk_nope_head_dim ${mla.qkNopeHeadDim} + qk_rope_head_dim ${mla.qkRopeHeadDim}` : headSource,
      layers: describeSource(config.get('numLayers')?.source),
      context: maxField ? describeSource(maxField.source) : 'assumed',
      dtype: describeSource(config.get('dtype')?.source),
      pattern: patternSource,
      hiddenSize: describeSource(config.get('hiddenSize')?.source),
    },
    notes,
    issues,
  };
}

function resolveKvHeads(config: ModelConfig, qHeads: number, issues: ConfigIssue[]): { kvHeads: number; kvSource: string } {
  const kvField = config.get('numKvHeads');
  const explicit = typeof kvField?.value === 'number' ? kvField.value : undefined;
  const fromKey = describeSource(kvField?.source);
  switch (config.typeInfo.kvHeads) {
    case 'falcon': {
      if (bool(config, 'newDecoderArchitecture')) {
        return explicit !== undefined ? { kvHeads: explicit, kvSource: `${fromKey} (new_decoder_architecture)` } : { kvHeads: qHeads, kvSource: 'num_kv_heads absent → one per query head' };
      }
      if (bool(config, 'multiQuery')) {
        if (explicit !== undefined && explicit !== 1 && kvField?.source.kind === 'key') {
          issues.push({
            severity: 'warning', code: 'falcon-multi-query', key: kvField.source.key, range: kvField.source.range,
            message: `${kvField.source.key} = ${explicit} is ignored: with multi_query true and new_decoder_architecture false, Falcon has 1 KV head`,
            hint: 'Remove the key, or set new_decoder_architecture to true if the checkpoint really has grouped KV heads.',
          });
        }
        return { kvHeads: 1, kvSource: `${describeSource(config.get('multiQuery')?.source)}: multi_query → 1 KV head` };
      }
      return { kvHeads: qHeads, kvSource: 'multi_query false → one per query head (MHA)' };
    }
    case 'chatglm':
      if (bool(config, 'multiQueryAttention')) {
        return { kvHeads: explicit ?? 1, kvSource: `${fromKey} (multi_query_attention)` };
      }
      return { kvHeads: qHeads, kvSource: 'multi_query_attention false → one per query head (MHA)' };
    case 'mpt': {
      const type = str(config, 'attnType') ?? 'multihead_attention';
      if (type === 'multiquery_attention') return { kvHeads: 1, kvSource: 'attn_config.attn_type multiquery_attention → 1 KV head' };
      if (type === 'grouped_query_attention') return { kvHeads: explicit ?? 1, kvSource: `${fromKey} (grouped_query_attention)` };
      return { kvHeads: qHeads, kvSource: `attn_config.attn_type ${type} → one per query head (MHA)` };
    }
    case 'bigcode':
      // GPTBigCodeConfig: num_key_value_heads = 1 if multi_query else n_head (multi_query defaults to true).
      if (bool(config, 'multiQuery') ?? true) return { kvHeads: 1, kvSource: `${describeSource(config.get('multiQuery')?.source)}: multi_query → 1 KV head` };
      return { kvHeads: qHeads, kvSource: 'multi_query false → one per query head (MHA)' };
    case 'standard':
      if (explicit !== undefined) return { kvHeads: explicit, kvSource: fromKey };
      return { kvHeads: qHeads, kvSource: kvField?.value === null ? 'num_key_value_heads null → one per query head (MHA)' : 'num_key_value_heads absent → one per query head (MHA)' };
  }
}

function resolveDtype(config: ModelConfig, notes: string[]): ModelDtype {
  const field = config.get('dtype');
  const raw = typeof field?.value === 'string' ? field.value : undefined;
  if (raw === undefined) {
    notes.push('No torch_dtype/dtype: transformers loads such a model in float32, so the KV cache defaults to 4 bytes per element; pass --kv-dtype to choose.');
    return 'float32';
  }
  const normalized = raw.replace(/^torch\./, '').toLowerCase();
  const map: Record<string, ModelDtype> = {
    float32: 'float32', float: 'float32', fp32: 'float32',
    float16: 'float16', half: 'float16', fp16: 'float16',
    bfloat16: 'bfloat16', bf16: 'bfloat16',
  };
  const dtype = map[normalized];
  if (dtype) return dtype;
  if (normalized === 'auto') {
    notes.push('dtype "auto" names no precision: assumed bfloat16 for the KV cache; pass --kv-dtype to choose.');
    return 'bfloat16';
  }
  // fp8/int weights: activations (and so the KV cache) still run in a 16-bit dtype.
  notes.push(`dtype "${raw}" is a weight format; the KV cache is assumed bfloat16 (activations' dtype); pass --kv-dtype to choose.`);
  return 'bfloat16';
}

function resolveLinearDims(config: ModelConfig, qHeads: number, headDim: number): LinearStateDims {
  const keyHeads = num(config, 'linearNumKeyHeads');
  if (keyHeads !== undefined) {
    return {
      numKeyHeads: keyHeads,
      numValueHeads: num(config, 'linearNumValueHeads') ?? keyHeads,
      keyHeadDim: num(config, 'linearKeyHeadDim') ?? headDim,
      valueHeadDim: num(config, 'linearValueHeadDim') ?? headDim,
      convKernel: num(config, 'linearConvKernelDim') ?? 0,
    };
  }
  // Lightning attention (MiniMax): one d×d state per head, no convolution.
  return { numKeyHeads: qHeads, numValueHeads: qHeads, keyHeadDim: headDim, valueHeadDim: headDim, convKernel: 0 };
}

function usedDefaults(config: ModelConfig): string[] {
  const essential: ConfigField[] = ['hiddenSize', 'numLayers', 'numHeads', 'numKvHeads', 'headDim', 'maxContext', 'slidingWindow', 'slidingWindowPattern', 'kvLoraRank', 'qkRopeHeadDim', 'attentionChunkSize', 'fullAttentionInterval', 'useSlidingWindow', 'dtype'];
  const out: string[] = [];
  for (const field of essential) {
    const f = config.get(field);
    if (f?.source.kind === 'default' && f.value !== null) out.push(`${keyName(field)} = ${JSON.stringify(f.value)}`);
  }
  return out;
}

function keyName(field: ConfigField): string {
  return CONFIG_KEY_NAME[field] ?? field;
}
function keySpellings(field: ConfigField): string {
  return SPELLINGS[field] ?? field;
}
const CONFIG_KEY_NAME = Object.fromEntries(Object.entries(CONFIG_KEYS).map(([f, i]) => [f, i.spellings[0]])) as Record<string, string>;
const SPELLINGS = Object.fromEntries(Object.entries(CONFIG_KEYS).map(([f, i]) => [f, i.spellings.join(', ')])) as Record<string, string>;

export function divisors(n: number): number[] {
  const out: number[] = [];
  for (let d = 1; d <= n; d++) if (n % d === 0) out.push(d);
  return out;
}


export type { FieldSource };
