/**
 * ModelConfig → AttentionSpec: for every layer its kind (full, sliding with its window, chunked with its
 * chunk, linear, none), its variant (MHA, GQA, MQA, MLA), query and KV heads, K and V head sizes and,
 * for MLA, the latent dims. Each family's spelling of KV heads and layer patterns is resolved here, once.
 */
import { ConfigError, type ConfigIssue } from './errors';
import { bool, describeSource, list, num, str, type FieldSource, type ModelConfig } from './modelConfig';
import { CONFIG_KEYS, type ConfigField } from './configKeys';

export type LayerKind = 'full' | 'sliding' | 'chunked' | 'linear' | 'none';
export type AttentionVariant = 'mha' | 'gqa' | 'mqa' | 'mla';
export type ModelDtype = 'float32' | 'float16' | 'bfloat16';

export interface MlaDims {
  kvLoraRank: number;
  qkRopeHeadDim: number;
  qkNopeHeadDim: number;
  vHeadDim: number;
  /** null: queries projected directly from the hidden state. */
  qLoraRank: number | null;
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
}

export interface AttentionSpec {
  modelType: string | undefined;
  family: string;
  hiddenSize: number;
  numLayers: number;
  maxContextTokens: number;
  dtype: ModelDtype;
  /** The softmax-attention shape shared by the attention layers. */
  variant: AttentionVariant | 'mixed';
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
  if (defaulted.length > 0) notes.push(`Not in the file, taken from the ${info.configClass} defaults: ${defaulted.join(', ')}.`);

  const require = (field: ConfigField, what: string): number => {
    const value = num(config, field);
    if (value === undefined) {
      const spell = keySpellings(field);
      return fail(field, 'missing-key', `${what} is missing (looked for ${spell})`, `Add "${keyName(field)}" to the config${config.knownModelType ? '' : ' (no defaults are known for this model_type)'}.`);
    }
    return value;
  };

  const hiddenSize = require('hiddenSize', 'the hidden size');
  const numLayers = require('numLayers', 'the number of layers');
  const qHeads = require('numHeads', 'the number of attention heads');

  // --- KV heads: each family spells them differently. ---
  const { kvHeads: configKvHeads, kvSource } = resolveKvHeads(config, qHeads, issues);
  if (configKvHeads > qHeads) {
    fail('numKvHeads', 'kv-heads-exceed', `${configKvHeads} KV heads exceed ${qHeads} query heads`, 'KV heads must be ≤ num_attention_heads (equal for MHA, 1 for MQA).');
  }
  if (qHeads % configKvHeads !== 0) {
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

  // --- Per-layer kinds. ---
  const { kinds, patternSource } = resolveLayerKinds(config, numLayers, fail, issues, notes);

  const variant: AttentionVariant = mla ? 'mla' : configKvHeads === qHeads ? 'mha' : configKvHeads === 1 ? 'mqa' : 'gqa';
  const kvHeads = mla ? 1 : configKvHeads;
  const kHeadDim = mla ? mla.qkNopeHeadDim + mla.qkRopeHeadDim : headDim;
  const vHeadDim = mla ? mla.vHeadDim : headDim;

  let linear: LinearStateDims | undefined;
  const layers: LayerSpec[] = kinds.map((k, index) => {
    if (k.kind === 'linear') {
      linear ??= resolveLinearDims(config, qHeads, headDim);
      return { index, kind: 'linear', variant: null, qHeads: linear.numValueHeads, kvHeads: linear.numKeyHeads, kHeadDim: linear.keyHeadDim, vHeadDim: linear.valueHeadDim };
    }
    const layer: LayerSpec = { index, kind: k.kind, variant, qHeads, kvHeads, kHeadDim, vHeadDim };
    if (k.windowTokens !== undefined) layer.windowTokens = k.windowTokens;
    if (mla) layer.mla = mla;
    return layer;
  });

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
  return {
    modelType: config.modelType,
    family: info.family,
    hiddenSize,
    numLayers,
    maxContextTokens,
    dtype,
    variant: attentionVariants.size > 1 ? 'mixed' : variant,
    qHeads,
    kvHeads,
    configKvHeads,
    headDim: kHeadDim,
    vHeadDim,
    ...(mla ? { mla } : {}),
    ...(linear ? { linear } : {}),
    layers,
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

interface KindAssignment {
  kind: LayerKind;
  windowTokens?: number;
}

function resolveLayerKinds(
  config: ModelConfig,
  numLayers: number,
  fail: (field: ConfigField | undefined, code: string, message: string, hint: string) => never,
  issues: ConfigIssue[],
  notes: string[],
): { kinds: KindAssignment[]; patternSource: string } {
  const info = config.typeInfo;
  const windowField = config.get('slidingWindow');
  const window = num(config, 'slidingWindow');
  const chunk = num(config, 'attentionChunkSize');
  const all = (kind: KindAssignment): KindAssignment[] => Array.from({ length: numLayers }, () => ({ ...kind }));
  const needWindow = (what: string): number =>
    window ?? fail('slidingWindow', 'missing-window', `${what} but sliding_window is ${windowField?.value === null ? 'null' : 'missing'}`, 'Set "sliding_window" to the window size in tokens.');

  const layerTypes = list<string>(config, 'layerTypes');
  if (layerTypes) {
    if (layerTypes.length !== numLayers) {
      fail('layerTypes', 'layer-types-length', `layer_types lists ${layerTypes.length} layers but the model has ${numLayers}`, 'Make layer_types one entry per layer.');
    }
    const kinds = layerTypes.map((t, i): KindAssignment => {
      switch (t) {
        case 'full_attention': case 'attention': case 'global_attention': case 'full':
          return { kind: 'full' };
        case 'sliding_attention': case 'sliding_window_attention': case 'local_attention': case 'sliding':
          return { kind: 'sliding', windowTokens: needWindow(`layer ${i} is "${t}"`) };
        case 'chunked_attention':
          return { kind: 'chunked', windowTokens: chunk ?? fail('attentionChunkSize', 'missing-chunk', `layer ${i} is "chunked_attention" but attention_chunk_size is missing`, 'Set "attention_chunk_size".') };
        case 'linear_attention': case 'mamba': case 'mamba2': case 'gated_deltanet':
          return { kind: 'linear' };
        default:
          return fail('layerTypes', 'unknown-layer-type', `layer ${i} has type "${t}", which Attention Lens does not know`, 'Known types: full_attention, sliding_attention, chunked_attention, linear_attention.');
      }
    });
    return { kinds, patternSource: describeSource(config.get('layerTypes')?.source) };
  }

  switch (info.layerPattern) {
    case 'uniform': {
      if (window === undefined) return { kinds: all({ kind: 'full' }), patternSource: 'no sliding_window: every layer full attention' };
      const classUsesWindow = !config.knownModelType || 'slidingWindow' in info.defaults;
      if (!classUsesWindow) {
        if (windowField?.source.kind === 'key') {
          issues.push({ severity: 'info', code: 'window-ignored', key: windowField.source.key, range: windowField.source.range, message: `sliding_window is not read by ${info.configClass}: every layer attends to the full context`, hint: 'Remove the key if the model has no sliding window.' });
        }
        return { kinds: all({ kind: 'full' }), patternSource: `${info.configClass} has no sliding window` };
      }
      if (!config.knownModelType) notes.push(`Assumed sliding_window ${window} applies to every layer.`);
      return { kinds: all({ kind: 'sliding', windowTokens: window }), patternSource: `${describeSource(windowField?.source)} on every layer` };
    }
    case 'qwen-window-layers': {
      const use = bool(config, 'useSlidingWindow') ?? false;
      if (!use || window === undefined) {
        const why = !use ? `use_sliding_window ${config.get('useSlidingWindow')?.source.kind === 'key' ? 'false' : 'absent (default false)'}` : 'sliding_window null';
        return { kinds: all({ kind: 'full' }), patternSource: `${why}: every layer full attention` };
      }
      const from = num(config, 'maxWindowLayers') ?? 0;
      return {
        kinds: Array.from({ length: numLayers }, (_, i) => (i >= from ? { kind: 'sliding', windowTokens: window } : { kind: 'full' })),
        patternSource: `use_sliding_window: layers ≥ max_window_layers ${from} slide over ${window} tokens`,
      };
    }
    case 'alternate': {
      if (window === undefined) return { kinds: all({ kind: 'full' }), patternSource: 'sliding_window null: every layer full attention' };
      return {
        kinds: Array.from({ length: numLayers }, (_, i) => (i % 2 === 0 ? { kind: 'sliding', windowTokens: window } : { kind: 'full' })),
        patternSource: `${info.configClass}: even layers sliding (${window}), odd layers full`,
      };
    }
    case 'every-nth-global': {
      if (window === undefined) return { kinds: all({ kind: 'full' }), patternSource: 'sliding_window null: every layer full attention' };
      const n = num(config, 'slidingWindowPattern') ?? 1;
      return {
        kinds: Array.from({ length: numLayers }, (_, i) => ((i + 1) % n !== 0 ? { kind: 'sliding', windowTokens: window } : { kind: 'full' })),
        patternSource: `${describeSource(config.get('slidingWindowPattern')?.source)}: every ${ordinal(n)} layer full, the rest sliding (${window})`,
      };
    }
    case 'llama4-chunked': {
      if (chunk === undefined) return { kinds: all({ kind: 'full' }), patternSource: 'attention_chunk_size null: every layer full attention' };
      const explicit = list<number>(config, 'noRopeLayers');
      let ropeLayers: boolean[];
      let source: string;
      if (explicit && explicit.length > 0) {
        if (explicit.length !== numLayers) fail('noRopeLayers', 'layer-list-length', `no_rope_layers lists ${explicit.length} layers but the model has ${numLayers}`, 'Make no_rope_layers one entry per layer.');
        ropeLayers = explicit.map((v) => v !== 0);
        source = `${describeSource(config.get('noRopeLayers')?.source)}: 1 → chunked, 0 → global`;
      } else {
        const k = num(config, 'noRopeLayerInterval') ?? 4;
        ropeLayers = Array.from({ length: numLayers }, (_, i) => (i + 1) % k !== 0);
        source = `every ${ordinal(k)} layer global (NoPE), the rest chunked`;
      }
      return {
        kinds: ropeLayers.map((rope) => (rope ? { kind: 'chunked', windowTokens: chunk } : { kind: 'full' })),
        patternSource: `${source} (chunk ${chunk})`,
      };
    }
    case 'qwen3-next': {
      const k = num(config, 'fullAttentionInterval') ?? 4;
      return {
        kinds: Array.from({ length: numLayers }, (_, i) => ((i + 1) % k === 0 ? { kind: 'full' } : { kind: 'linear' })),
        patternSource: `${describeSource(config.get('fullAttentionInterval')?.source)}: every ${ordinal(k)} layer full attention, the rest linear (Gated DeltaNet)`,
      };
    }
    case 'minimax': {
      const types = list<number>(config, 'attnTypeList');
      if (!types) return { kinds: all({ kind: 'full' }), patternSource: 'no attn_type_list: every layer softmax attention' };
      if (types.length !== numLayers) fail('attnTypeList', 'layer-list-length', `attn_type_list lists ${types.length} layers but the model has ${numLayers}`, 'Make attn_type_list one entry per layer.');
      return {
        kinds: types.map((t) => (t === 1 ? (window !== undefined ? { kind: 'sliding', windowTokens: window } : { kind: 'full' }) : { kind: 'linear' })),
        patternSource: `${describeSource(config.get('attnTypeList')?.source)}: 1 → softmax, 0 → linear (lightning)`,
      };
    }
  }
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

function ordinal(n: number): string {
  if (n === 1) return '';
  const suffix = n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th';
  return `${n}${suffix}`;
}

export type { FieldSource };
