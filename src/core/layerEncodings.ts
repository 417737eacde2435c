/**
 * The one table of per-layer structure encodings: every way a config says which layers attend (full,
 * sliding, chunked), which keep only a recurrent state (linear attention, Mamba, short conv), which
 * hold nothing (MLP-only blocks, NAS no-ops) and which reuse another layer's KV. The spec tries the
 * explicit encodings in order (the first whose key is present wins), then the family's implicit rule;
 * modifiers (KV sharing) apply after. Each row cites the code that defines it — transformers 5.18 /
 * 4.57 configuration_*.py unless said otherwise (research notes: docs/kv-cache.md "Per-layer encodings").
 */
import type { ConfigIssue } from './errors';
import type { ConfigField } from './configKeys';
import { ordinal } from './format';
import { describeSource, list, num, str, bool, type ModelConfig } from './modelConfig';
import type { LayerPatternRule } from './modelTypes';
import type { MixerKind } from './recurrentState';

/** What one layer is: an attention kind, a recurrent-only kind, nothing, or a reader of another layer's KV. */
export type PlannedKind = 'full' | 'sliding' | 'chunked' | 'linear' | 'mamba' | 'conv' | 'shared' | 'none';

export interface LayerPlan {
  kind: PlannedKind;
  /** Tokens a sliding (window) or chunked (chunk) layer keeps. */
  windowTokens?: number;
  /** The recurrent mixer of a recurrent layer, or the one beside the attention of a hybrid layer. */
  mixer?: MixerKind;
  /** KV heads of this layer when they differ from the model's (NAS n_heads_in_group, Gemma 4's full layers). */
  kvHeads?: number;
  /** K and V head sizes of this layer when they differ from the model's (Gemma 4's full layers, MiMo's sliding ones). */
  kHeadDim?: number;
  vHeadDim?: number;
  /** A shared layer: the layer whose K/V it reads. */
  sharesWith?: number;
  /** The layer's MLP when the encoding says (NAS ffn no_op, Nemotron-H single-mixer blocks). */
  mlp?: 'dense' | 'moe' | 'none';
}

export interface Resolution {
  plans: LayerPlan[];
  /** How the plan was derived, for --explain and the lens. */
  source: string;
  /** The encoding's key, for the lens anchor. */
  field?: ConfigField;
}

export interface EncodingContext {
  config: ModelConfig;
  numLayers: number;
  qHeads: number;
  /** The family's recurrent mixer for `linear_attention`-like layers. */
  mixer: MixerKind;
  fail: (field: ConfigField | undefined, code: string, message: string, hint: string) => never;
  issues: ConfigIssue[];
  notes: string[];
}

export interface LayerEncoding {
  id: string;
  /** The keys it reads (the first is the one whose presence selects it). */
  fields: readonly ConfigField[];
  /** Where the rule is defined. */
  source: string;
  applies(c: EncodingContext): boolean;
  resolve(c: EncodingContext): Resolution;
}

const present = (c: EncodingContext, field: ConfigField): boolean => c.config.get(field)?.source.kind === 'key' && c.config.get(field)?.value !== null;
const window = (c: EncodingContext, what: string): number =>
  num(c.config, 'slidingWindow') ?? c.fail('slidingWindow', 'missing-window', `${what} but sliding_window is ${c.config.get('slidingWindow')?.value === null ? 'null' : 'missing'}`, 'Set "sliding_window" to the window size in tokens.');
const chunk = (c: EncodingContext, what: string): number =>
  num(c.config, 'attentionChunkSize') ?? c.fail('attentionChunkSize', 'missing-chunk', `${what} but attention_chunk_size is missing`, 'Set "attention_chunk_size".');
/** Layers listed by 0-based index attend (full); the others are `otherwise`. */
const indexedLayers = (c: EncodingContext, field: ConfigField, key: string, otherwise: LayerPlan): LayerPlan[] => {
  const ids = new Set(list<number>(c.config, field) ?? []);
  for (const i of ids) if (i >= c.numLayers) c.fail(field, 'bad-layer-number', `${key} lists layer ${i}, beyond the last layer ${c.numLayers - 1}`, 'Use 0-based layer indices.');
  return Array.from({ length: c.numLayers }, (_, i): LayerPlan => (ids.has(i) ? { kind: 'full' } : { ...otherwise }));
};
const recurrentKind = (mixer: MixerKind): PlannedKind => (mixer === 'mamba1' || mixer === 'mamba2' ? 'mamba' : mixer === 'short-conv' ? 'conv' : 'linear');
const same = (n: number, plan: LayerPlan): LayerPlan[] => Array.from({ length: n }, () => ({ ...plan }));
const checkLength = (c: EncodingContext, field: ConfigField, length: number, key: string): void => {
  if (length !== c.numLayers) c.fail(field, 'layer-list-length', `${key} lists ${length} layers but the model has ${c.numLayers}`, `Make ${key} one entry per layer.`);
};

/**
 * `layer_types` values transformers uses (configuration_utils.py ALLOWED_ATTN_LAYER_TYPES, the legacy
 * remap, and the class-specific ones of granitemoehybrid, zamba, lfm2, nemotron_h) → a plan.
 */
function layerTypePlan(t: string, i: number, c: EncodingContext): LayerPlan {
  switch (t) {
    case 'full_attention': case 'attention': case 'global_attention': case 'full': case 'global':
      return { kind: 'full' };
    case 'sliding_attention': case 'sliding_window_attention': case 'local_attention': case 'sliding': case 'local':
      return { kind: 'sliding', windowTokens: window(c, `layer ${i} is "${t}"`) };
    case 'chunked_attention':
      return { kind: 'chunked', windowTokens: chunk(c, `layer ${i} is "chunked_attention"`) };
    case 'linear_attention': case 'mamba': case 'mamba2': case 'gated_deltanet': case 'recurrent':
      return { kind: recurrentKind(c.mixer), mixer: c.mixer };
    case 'conv':
      return { kind: 'conv', mixer: 'short-conv' };
    case 'hybrid':
      // Zamba2 / Falcon-H1: attention and a Mamba state in the same layer.
      return { kind: 'full', mixer: c.mixer };
    case 'hybrid_sliding':
      return { kind: 'sliding', windowTokens: window(c, `layer ${i} is "hybrid_sliding"`), mixer: c.mixer };
    case 'moe':
      return { kind: 'none', mlp: 'moe' };
    case 'mlp':
      return { kind: 'none', mlp: 'dense' };
    default:
      return c.fail('layerTypes', 'unknown-layer-type', `layer ${i} has type "${t}", which Attention Lens does not model`, 'Known types: full_attention, sliding_attention, chunked_attention, linear_attention, mamba, conv, hybrid, moe, mlp. Check the figures against the model card.');
  }
}

export const LAYER_ENCODINGS: readonly LayerEncoding[] = [
  {
    id: 'block_configs',
    fields: ['blockConfigs'],
    source: 'DeciLM / Nemotron-NAS remote code (block_config.py, modeling_decilm.py); vLLM model_executor/models/nemotron_nas.py',
    applies: (c) => present(c, 'blockConfigs'),
    resolve: (c) => {
      const blocks = c.config.get('blockConfigs')!.value as Record<string, unknown>[];
      checkLength(c, 'blockConfigs', blocks.length, 'block_configs');
      const plans = blocks.map((b, i): LayerPlan => {
        const a = (b.attention ?? {}) as Record<string, unknown>;
        const f = (b.ffn ?? {}) as Record<string, unknown>;
        const mlp = f.no_op === true ? 'none' : 'dense';
        if (a.no_op === true || a.replace_with_linear === true) return { kind: 'none', mlp };
        const group = typeof a.n_heads_in_group === 'number' && a.n_heads_in_group > 0 ? a.n_heads_in_group : undefined;
        if (group === undefined || c.qHeads % group !== 0) {
          return c.fail('blockConfigs', 'bad-block', `block_configs[${i}].attention.n_heads_in_group is ${JSON.stringify(a.n_heads_in_group)}: it must divide num_attention_heads ${c.qHeads}`, 'Each attention block groups its query heads: kv heads = num_attention_heads / n_heads_in_group.');
        }
        const plan: LayerPlan = { kind: 'full', kvHeads: c.qHeads / group, mlp };
        if (typeof a.window_length === 'number' && a.window_length > 0) return { ...plan, kind: 'sliding', windowTokens: a.window_length };
        return plan;
      });
      const attn = plans.filter((p) => p.kind !== 'none').length;
      return { plans, source: `${describeSource(c.config.get('blockConfigs')?.source)}: ${attn} attention blocks (kv heads = heads / n_heads_in_group), ${plans.length - attn} without attention (no_op or replace_with_linear)`, field: 'blockConfigs' };
    },
  },
  {
    id: 'hybrid_override_pattern',
    fields: ['hybridOverridePattern'],
    source: 'transformers models/nemotron_h/configuration_nemotron_h.py: {"M": linear_attention (Mamba-2), "E": moe, "*": full_attention, "-": mlp}',
    applies: (c) => present(c, 'hybridOverridePattern'),
    resolve: (c) => {
      const pattern = str(c.config, 'hybridOverridePattern')!;
      checkLength(c, 'hybridOverridePattern', pattern.length, 'hybrid_override_pattern');
      const plans = [...pattern].map((ch, i): LayerPlan => {
        switch (ch) {
          case 'M': return { kind: 'mamba', mixer: 'mamba2', mlp: 'none' };
          case '*': return { kind: 'full', mlp: 'none' };
          case '-': return { kind: 'none', mlp: 'dense' };
          case 'E': return { kind: 'none', mlp: 'moe' };
          default: return c.fail('hybridOverridePattern', 'bad-pattern', `hybrid_override_pattern has "${ch}" at layer ${i}`, 'Nemotron-H patterns use M (Mamba-2), * (attention), - (MLP) and E (MoE).');
        }
      });
      return { plans, source: `${describeSource(c.config.get('hybridOverridePattern')?.source)}: * attention, M Mamba-2, - MLP, E MoE (one mixer per layer)`, field: 'hybridOverridePattern' };
    },
  },
  {
    id: 'linear_attn_config',
    fields: ['linearAttnConfig'],
    source: 'transformers models/kimi_linear/configuration_kimi_linear.py: layer_types[layer - 1] for the 1-indexed full_attn_layers / kda_layers',
    applies: (c) => present(c, 'linearAttnConfig'),
    resolve: (c) => {
      const cfg = c.config.get('linearAttnConfig')!.value as Record<string, unknown>;
      const ids = (k: string): number[] | undefined => (Array.isArray(cfg[k]) && (cfg[k] as unknown[]).every((v) => Number.isInteger(v)) ? (cfg[k] as number[]) : undefined);
      const full = ids('full_attn_layers');
      const kda = ids('kda_layers');
      const plans: LayerPlan[] = Array.from({ length: c.numLayers }, (_, i) => (i && i % 4 === 0 ? { kind: 'full' } : { kind: 'linear', mixer: 'kda' }));
      for (const [layers, plan] of [[kda, { kind: 'linear', mixer: 'kda' }], [full, { kind: 'full' }]] as const) {
        for (const n of layers ?? []) {
          if (n < 1 || n > c.numLayers) c.fail('linearAttnConfig', 'bad-layer-number', `linear_attn_config lists layer ${n}, outside 1..${c.numLayers} (its layer numbers are 1-indexed)`, 'Use layer numbers from 1 to num_hidden_layers.');
          plans[n - 1] = { ...plan };
        }
      }
      return { plans, source: `${describeSource(c.config.get('linearAttnConfig')?.source)}: full_attn_layers (1-indexed) MLA, the rest KDA linear attention`, field: 'linearAttnConfig' };
    },
  },
  {
    id: 'layer_types',
    fields: ['layerTypes'],
    source: 'transformers configuration_utils.py (ALLOWED_ATTN_LAYER_TYPES, legacy remap) and cache_utils.py (layer type → cache layer)',
    applies: (c) => present(c, 'layerTypes'),
    resolve: (c) => {
      const types = list<string>(c.config, 'layerTypes')!;
      checkLength(c, 'layerTypes', types.length, 'layer_types');
      return { plans: types.map((t, i) => layerTypePlan(t, i, c)), source: describeSource(c.config.get('layerTypes')?.source), field: 'layerTypes' };
    },
  },
  {
    id: 'attn_layer_period',
    fields: ['attnLayerPeriod', 'attnLayerOffset'],
    source: 'transformers models/jamba/configuration_jamba.py: "attention" if i % attn_layer_period == attn_layer_offset else "mamba"; zamba: the same after a [mamba, mamba, hybrid] prefix',
    applies: (c) => present(c, 'attnLayerPeriod') || c.config.typeInfo.layerPattern === 'jamba-period' || c.config.typeInfo.layerPattern === 'zamba-period',
    resolve: (c) => {
      const period = num(c.config, 'attnLayerPeriod') ?? 8;
      const offset = num(c.config, 'attnLayerOffset') ?? 4;
      if (offset >= period) c.fail('attnLayerOffset', 'offset-beyond-period', `attn_layer_offset ${offset} is not below attn_layer_period ${period}: no layer would attend`, 'The offset picks one layer of each period: 0 ≤ offset < period.');
      const mamba: LayerPlan = { kind: 'mamba', mixer: c.mixer };
      if (c.config.typeInfo.layerPattern === 'zamba-period') {
        // Zamba: layers 0–1 Mamba, layer 2 hybrid, then hybrid every period from offset (counted after the prefix).
        const plans: LayerPlan[] = Array.from({ length: c.numLayers }, (_, i) => (i < 2 ? { ...mamba } : i === 2 || (i - 3) % period === offset ? { kind: 'full', mixer: c.mixer } : { ...mamba }));
        return { plans, source: `zamba: layers 0–1 Mamba, layer 2 and every ${period}th from ${offset} after layer 3 hybrid (attention + Mamba)`, field: 'attnLayerPeriod' };
      }
      const plans = Array.from({ length: c.numLayers }, (_, i): LayerPlan => (i % period === offset ? { kind: 'full' } : { ...mamba }));
      return { plans, source: `layer i attends when i % attn_layer_period ${period} == attn_layer_offset ${offset}; the others are Mamba`, field: 'attnLayerPeriod' };
    },
  },
  {
    id: 'attn_layer_indices',
    fields: ['attnLayerIndices'],
    source: 'transformers models/bamba/configuration_bamba.py: "full_attention" if i in attn_layer_indices else Mamba-2 (none listed: every layer Mamba-2)',
    applies: (c) => present(c, 'attnLayerIndices') || c.config.typeInfo.layerPattern === 'bamba-indices',
    resolve: (c) => {
      const plans = indexedLayers(c, 'attnLayerIndices', 'attn_layer_indices', { kind: 'mamba', mixer: c.mixer });
      return { plans, source: `attn_layer_indices: ${plans.filter((p) => p.kind === 'full').length} attention layers, the rest Mamba-2`, field: 'attnLayerIndices' };
    },
  },
  {
    id: 'hybrid_layer_pattern',
    fields: ['hybridLayerPattern'],
    source: 'vLLM model_executor/models/mimo_v2_flash.py: hybrid_layer_pattern[i] == 1 → sliding (swa_num_key_value_heads, swa_head_dim, swa_v_head_dim, sliding_window_size), else full',
    applies: (c) => present(c, 'hybridLayerPattern'),
    resolve: (c) => {
      const pattern = list<number>(c.config, 'hybridLayerPattern')!;
      checkLength(c, 'hybridLayerPattern', pattern.length, 'hybrid_layer_pattern');
      const w = window(c, 'hybrid_layer_pattern marks sliding layers');
      const kv = num(c.config, 'swaNumKvHeads');
      const dk = num(c.config, 'swaHeadDim');
      const dv = num(c.config, 'swaVHeadDim') ?? dk;
      const sliding: LayerPlan = { kind: 'sliding', windowTokens: w, ...(kv !== undefined ? { kvHeads: kv } : {}), ...(dk !== undefined ? { kHeadDim: dk, vHeadDim: dv } : {}) };
      const plans = pattern.map((t): LayerPlan => (t === 1 ? { ...sliding } : { kind: 'full' }));
      return { plans, source: `${describeSource(c.config.get('hybridLayerPattern')?.source)}: 1 → sliding (${w}) with the swa_* shape, 0 → full`, field: 'hybridLayerPattern' };
    },
  },
  {
    id: 'full_attn_idxs',
    fields: ['fullAttnIdxs'],
    source: 'transformers models/lfm2/configuration_lfm2.py: "full_attention" if i in full_attn_idxs else "conv" (neither key: every layer attention)',
    applies: (c) => present(c, 'fullAttnIdxs'),
    resolve: (c) => {
      const plans = indexedLayers(c, 'fullAttnIdxs', 'full_attn_idxs', { kind: 'conv', mixer: 'short-conv' });
      return { plans, source: `full_attn_idxs: ${plans.filter((p) => p.kind === 'full').length} attention layers, the rest short convolutions`, field: 'fullAttnIdxs' };
    },
  },
  {
    id: 'attn_type_list',
    fields: ['attnTypeList'],
    source: 'vLLM model_executor/models/minimax_text_01.py: attn_type_list[i] == 0 → linear (lightning), 1 → softmax',
    applies: (c) => present(c, 'attnTypeList'),
    resolve: (c) => {
      const types = list<number>(c.config, 'attnTypeList')!;
      checkLength(c, 'attnTypeList', types.length, 'attn_type_list');
      const w = num(c.config, 'slidingWindow');
      return {
        plans: types.map((t): LayerPlan => (t === 1 ? (w !== undefined ? { kind: 'sliding', windowTokens: w } : { kind: 'full' }) : { kind: 'linear', mixer: 'lightning' })),
        source: `${describeSource(c.config.get('attnTypeList')?.source)}: 1 → softmax, 0 → linear (lightning)`,
        field: 'attnTypeList',
      };
    },
  },
  {
    id: 'full_attention_interval',
    fields: ['fullAttentionInterval'],
    source: 'transformers models/qwen3_next/configuration_qwen3_next.py: "linear_attention" if (i + 1) % full_attention_interval else "full_attention"',
    applies: (c) => present(c, 'fullAttentionInterval') || c.config.typeInfo.layerPattern === 'qwen3-next',
    resolve: (c) => {
      const k = num(c.config, 'fullAttentionInterval') ?? 4;
      return {
        plans: Array.from({ length: c.numLayers }, (_, i): LayerPlan => ((i + 1) % k === 0 ? { kind: 'full' } : { kind: recurrentKind(c.mixer), mixer: c.mixer })),
        source: `${describeSource(c.config.get('fullAttentionInterval')?.source)}: every ${ordinal(k)} layer full attention, the rest linear (Gated DeltaNet)`,
        field: 'fullAttentionInterval',
      };
    },
  },
];

/**
 * The family's rule when no explicit encoding is present (Gemma 2 alternates, Qwen slides its upper
 * layers, Llama 4 chunks all but every 4th, Mamba has no attention at all, …).
 */
export function familyPlans(rule: LayerPatternRule, c: EncodingContext, configClass: string): Resolution {
  const config = c.config;
  const n = c.numLayers;
  const w = num(config, 'slidingWindow');
  const windowField = config.get('slidingWindow');
  switch (rule) {
    case 'attention-free':
      // Mamba blocks are a mixer alone: no attention and no MLP (modeling_mamba.py MambaBlock).
      return { plans: same(n, { kind: recurrentKind(c.mixer), mixer: c.mixer, mlp: 'none' }), source: `${configClass}: no attention layer, every layer ${c.mixer === 'mamba2' ? 'Mamba-2' : 'Mamba'}` };
    case 'all-hybrid':
      return { plans: same(n, { kind: 'full', mixer: c.mixer }), source: `${configClass}: every layer attention and Mamba-2 side by side` };
    case 'all-recurrent':
      return { plans: same(n, { kind: recurrentKind(c.mixer), mixer: c.mixer }), source: `${configClass}: no layer_types: every layer ${c.mixer === 'mamba2' ? 'Mamba-2' : c.mixer}` };
    case 'uniform':
    case 'jamba-period':
    case 'zamba-period':
    case 'bamba-indices':
    case 'qwen3-next': {
      if (w === undefined) return { plans: same(n, { kind: 'full' }), source: 'no sliding_window: every layer full attention' };
      const classUsesWindow = !config.knownModelType || 'slidingWindow' in config.typeInfo.defaults;
      if (!classUsesWindow) {
        if (windowField?.source.kind === 'key') {
          c.issues.push({ severity: 'info', code: 'window-ignored', key: windowField.source.key, range: windowField.source.range, message: `sliding_window is not read by ${configClass}: every layer attends to the full context`, hint: 'Remove the key if the model has no sliding window.' });
        }
        return { plans: same(n, { kind: 'full' }), source: `${configClass} has no sliding window` };
      }
      if (!config.knownModelType) c.notes.push(`Assumed sliding_window ${w} applies to every layer.`);
      return { plans: same(n, { kind: 'sliding', windowTokens: w }), source: `${describeSource(windowField?.source)} on every layer` };
    }
    case 'qwen-window-layers': {
      const use = bool(config, 'useSlidingWindow') ?? false;
      if (!use || w === undefined) {
        const why = !use ? `use_sliding_window ${config.get('useSlidingWindow')?.source.kind === 'key' ? 'false' : 'absent (default false)'}` : 'sliding_window null';
        return { plans: same(n, { kind: 'full' }), source: `${why}: every layer full attention` };
      }
      const from = num(config, 'maxWindowLayers') ?? 0;
      return { plans: Array.from({ length: n }, (_, i): LayerPlan => (i >= from ? { kind: 'sliding', windowTokens: w } : { kind: 'full' })), source: `use_sliding_window: layers ≥ max_window_layers ${from} slide over ${w} tokens` };
    }
    case 'alternate':
      if (w === undefined) return { plans: same(n, { kind: 'full' }), source: 'sliding_window null: every layer full attention' };
      return { plans: Array.from({ length: n }, (_, i): LayerPlan => (i % 2 === 0 ? { kind: 'sliding', windowTokens: w } : { kind: 'full' })), source: `${configClass}: even layers sliding (${w}), odd layers full` };
    case 'mimo-flash': {
      if (w === undefined) return { plans: same(n, { kind: 'full' }), source: 'sliding_window null: every layer full attention' };
      const kv = num(config, 'numKvHeads');
      const plans = Array.from({ length: n }, (_, i): LayerPlan => (i === 0 || (i + 1) % 6 === 0 ? { kind: 'full' } : { kind: 'sliding', windowTokens: w, ...(kv !== undefined ? { kvHeads: 2 * kv } : {}) }));
      return { plans, source: `${configClass}: layer 0 and every 6th layer full, the rest sliding (${w}) with twice the KV heads (${kv === undefined ? '2 ×' : 2 * kv})` };
    }
    case 'smollm3': {
      // configuration_smollm3.py: no_rope_layers[i] = 1 means the layer uses RoPE; with use_sliding_window
      // and a window the NoPE layers slide, the others stay full. Otherwise every layer is full.
      const use = bool(config, 'useSlidingWindow') === true;
      if (!use || w === undefined) return { plans: same(n, { kind: 'full' }), source: `${configClass}: use_sliding_window off: every layer full attention` };
      const interval = num(config, 'noRopeLayerInterval') ?? 4;
      const rope = list<number>(config, 'noRopeLayers') ?? Array.from({ length: n }, (_, i) => ((i + 1) % interval !== 0 ? 1 : 0));
      checkLength(c, 'noRopeLayers', rope.length, 'no_rope_layers');
      return { plans: rope.map((r): LayerPlan => (r ? { kind: 'full' } : { kind: 'sliding', windowTokens: w })), source: `${configClass}: use_sliding_window: the NoPE layers (no_rope_layers 0) slide over ${w}, the rest full` };
    }
    case 'every-nth-global-last-full': {
      // Gemma 4 without layer_types: sliding_window_pattern = 6 (a local of its __post_init__), the last layer full.
      if (w === undefined) return { plans: same(n, { kind: 'full' }), source: 'sliding_window null: every layer full attention' };
      const plans = Array.from({ length: n }, (_, i): LayerPlan => ((i + 1) % 6 !== 0 && i !== n - 1 ? { kind: 'sliding', windowTokens: w } : { kind: 'full' }));
      return { plans, source: `${configClass}: every 6th layer and the last full, the rest sliding (${w})` };
    }
    case 'every-nth-global': {
      if (w === undefined) return { plans: same(n, { kind: 'full' }), source: 'sliding_window null: every layer full attention' };
      const letters = str(config, 'slidingWindowPattern');
      if (letters !== undefined) {
        // EXAONE's spelling: the pattern of local (L) and global (G) layers, repeated over the stack.
        return { plans: Array.from({ length: n }, (_, i): LayerPlan => (letters[i % letters.length] === 'L' ? { kind: 'sliding', windowTokens: w } : { kind: 'full' })), source: `${describeSource(config.get('slidingWindowPattern')?.source)} "${letters}" repeated: L sliding (${w}), G full` };
      }
      const field: ConfigField = config.get('slidingWindowPattern') ? 'slidingWindowPattern' : 'globalAttnEveryNLayers';
      const k = num(config, 'slidingWindowPattern') ?? num(config, 'globalAttnEveryNLayers') ?? config.typeInfo.globalEvery ?? 1;
      const fromZero = config.typeInfo.globalFromZero === true;
      const isFull = (i: number): boolean => (fromZero ? i % k === 0 : (i + 1) % k === 0);
      const how = config.get(field) ? describeSource(config.get(field)?.source) : configClass;
      return { plans: Array.from({ length: n }, (_, i): LayerPlan => (isFull(i) ? { kind: 'full' } : { kind: 'sliding', windowTokens: w })), source: `${how}: every ${ordinal(k)} layer full${fromZero ? ' from layer 0' : ''}, the rest sliding (${w})` };
    }
    case 'llama4-chunked': {
      const size = num(config, 'attentionChunkSize');
      if (size === undefined) return { plans: same(n, { kind: 'full' }), source: 'attention_chunk_size null: every layer full attention' };
      const explicit = list<number>(config, 'noRopeLayers');
      let rope: boolean[];
      let source: string;
      if (explicit && explicit.length > 0) {
        checkLength(c, 'noRopeLayers', explicit.length, 'no_rope_layers');
        rope = explicit.map((v) => v !== 0);
        source = `${describeSource(config.get('noRopeLayers')?.source)}: 1 → chunked, 0 → global`;
      } else {
        const k = num(config, 'noRopeLayerInterval') ?? 4;
        rope = Array.from({ length: n }, (_, i) => (i + 1) % k !== 0);
        source = `every ${ordinal(k)} layer global (NoPE), the rest chunked`;
      }
      return { plans: rope.map((r): LayerPlan => (r ? { kind: 'chunked', windowTokens: size } : { kind: 'full' })), source: `${source} (chunk ${size})` };
    }
    case 'minimax':
      return { plans: same(n, { kind: 'full' }), source: 'no attn_type_list: every layer softmax attention' };
  }
}

/**
 * Gemma 4: its full-attention layers use global_head_dim (512 by default) and, with attention_k_eq_v,
 * num_global_key_value_heads (transformers models/gemma4/configuration_gemma4.py: per_layer_config on
 * the full layers; modeling_gemma4.py: head_dim = global_head_dim if not sliding).
 */
export function applyGlobalLayerShape(plans: LayerPlan[], c: EncodingContext): string | undefined {
  if (!c.config.typeInfo.globalLayerShape) return undefined;
  const headDim = num(c.config, 'globalHeadDim');
  const kEqV = bool(c.config, 'attentionKEqV') === true;
  const kvHeads = kEqV ? num(c.config, 'numGlobalKvHeads') : undefined;
  if (headDim === undefined && kvHeads === undefined) return undefined;
  for (const p of plans) {
    if (p.kind !== 'full') continue;
    if (headDim !== undefined) {
      p.kHeadDim = headDim;
      p.vHeadDim = headDim;
    }
    if (kvHeads !== undefined) p.kvHeads = kvHeads;
  }
  return `full layers: head_dim ${headDim ?? 'as configured'}${kvHeads !== undefined ? `, ${kvHeads} KV heads (attention_k_eq_v)` : ''}`;
}

/**
 * Gemma 3/4: with use_bidirectional_attention on for text (true, "all") the sliding window becomes
 * window // 2 + 1 (configuration_gemma3.py / configuration_gemma4.py __post_init__).
 */
export function bidirectionalWindow(c: EncodingContext): number | undefined {
  const mode = c.config.get('bidirectionalAttention')?.value;
  const w = num(c.config, 'slidingWindow');
  return (mode === true || mode === 'all') && w !== undefined ? Math.floor(w / 2) + 1 : undefined;
}

/**
 * Gemma-3n: the last `num_kv_shared_layers` layers keep no cache; each reads the last earlier layer of
 * its own type (transformers models/gemma3n/modeling_gemma3n.py; cache_utils drops them from the cache).
 */
export function applyKvSharing(plans: LayerPlan[], c: EncodingContext): string | undefined {
  const shared = num(c.config, 'numKvSharedLayers') ?? 0;
  if (shared === 0) return undefined;
  if (shared >= plans.length) c.fail('numKvSharedLayers', 'too-many-shared', `num_kv_shared_layers ${shared} leaves no layer with a cache of its own (${plans.length} layers)`, 'It must be smaller than num_hidden_layers.');
  const first = plans.length - shared;
  for (let i = first; i < plans.length; i++) {
    const kind = plans[i]!.kind;
    let source = -1;
    for (let j = first - 1; j >= 0; j--) if (plans[j]!.kind === kind) { source = j; break; }
    if (source < 0) c.fail('numKvSharedLayers', 'no-kv-source', `layer ${i} shares K/V but no earlier ${kind} layer holds any`, 'Check num_kv_shared_layers against layer_types.');
    plans[i] = { ...plans[i]!, kind: 'shared', sharesWith: source };
  }
  return `the last ${shared} layers (${first}–${plans.length - 1}) reuse the K/V of the last earlier layer of their type`;
}
