/**
 * The metadata llama.cpp's converter (convert_hf_to_gguf.py and its conversion/ package, at the commit
 * the bundled binaries were built from) writes for a Hugging Face config — the cache-deciding part of
 * it, mirrored here so that llama.cpp, not our engine, interprets the config. Each family's converter
 * cites the Python class it mirrors. The engine's own reading of the config is never used to build the
 * GGUF: that would make the oracle agree with us by construction.
 */
import { TRANSFORMERS_CONFIGS, type TransformersDefault } from '../../../src/core/generated/transformersDefaults';
import { arr, bool, f32, str, u32, type GgufScalarType, type GgufValue } from '../../helpers/ggufWriter';

export type Hparams = Record<string, unknown>;

/** What a converter returns: llama.cpp's architecture name and its metadata, before the widths shrink. */
export interface Conversion {
  arch: string;
  meta: GgufMeta;
}

export type Converter = (hp: Hparams) => Conversion;

/** Metadata keyed as gguf-py's GGUFWriter writes them (`{arch}.attention.head_count`, …). */
export class GgufMeta {
  readonly values: Record<string, GgufValue> = {};
  constructor(readonly arch: string) {
    this.values['general.architecture'] = str(arch);
    this.values['general.name'] = str('attention-lens oracle');
  }
  /** `key` is relative to the architecture (`attention.head_count`); `general.*` and `tokenizer.*` are absolute. */
  set(key: string, value: GgufValue): this {
    this.values[this.fullKey(key)] = value;
    return this;
  }
  get(key: string): GgufValue | undefined {
    return this.values[this.fullKey(key)];
  }
  has(key: string): boolean {
    return this.fullKey(key) in this.values;
  }
  delete(key: string): void {
    delete this.values[this.fullKey(key)];
  }
  /** gguf-py's add_*: a number is UINT32 (or FLOAT32 when `float`), a list an array of that type. */
  uint(key: string, value: unknown): this {
    if (Array.isArray(value)) return this.set(key, arr('UINT32', value.map((v) => intOf(key, v))));
    return this.set(key, u32(intOf(key, value)));
  }
  int(key: string, value: unknown): this {
    if (Array.isArray(value)) return this.set(key, arr('INT32', value.map((v) => intOf(key, v))));
    return this.set(key, { type: 'INT32', value: intOf(key, value) });
  }
  float(key: string, value: unknown): this {
    if (Array.isArray(value)) return this.set(key, arr('FLOAT32', value.map(Number)));
    return this.set(key, f32(Number(value)));
  }
  flag(key: string, value: boolean): this {
    return this.set(key, bool(value));
  }
  array(key: string, itemType: GgufScalarType, value: Array<number | boolean | string>): this {
    return this.set(key, arr(itemType, value));
  }
  private fullKey(key: string): string {
    return /^(general|tokenizer)\./.test(key) ? key : `${this.arch}.${key}`;
  }
}

function intOf(key: string, v: unknown): number {
  const n = typeof v === 'boolean' ? Number(v) : Number(v);
  if (!Number.isInteger(n)) throw new Error(`converter: ${key} = ${JSON.stringify(v)} is not an integer`);
  return n;
}

/** A config's string field (model_type), '' when absent or not a string. */
export function stringField(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** find_hparam: the first key present. */
export function find(hp: Hparams, keys: string[]): unknown {
  for (const k of keys) if (k in hp && hp[k] !== undefined) return hp[k];
  return undefined;
}

export function need(hp: Hparams, keys: string[]): unknown {
  const v = find(hp, keys);
  if (v === undefined || v === null) throw new Error(`converter: could not find any of ${keys.join(', ')}`);
  return v;
}

/**
 * The config as the converter sees it: `AutoConfig.from_pretrained(dir).to_dict()` (ModelBase.load_hparams,
 * conversion/base.py:1118) fills the class's defaults, and TextModel.__init__ (:1190) lifts text_config
 * to the top level. The defaults come from the table generated out of transformers' config classes.
 */
export function converterHparams(config: Hparams): Hparams {
  const modelType = stringField(config.model_type);
  const withDefaults = (c: Hparams, type: string): Hparams => {
    const info = TRANSFORMERS_CONFIGS[type];
    if (!info) return { ...c };
    const out: Hparams = {};
    for (const [key, d] of [...Object.entries(info.kwargDefaults), ...Object.entries(info.defaults)]) {
      const value = literal(d);
      if (value !== undefined) out[key] = value;
    }
    for (const [alias, target] of Object.entries(info.attributeMap)) {
      if (alias in c && !(target in c)) out[target] = c[alias];
    }
    return { ...out, ...c };
  };
  let hp = withDefaults(config, modelType);
  const text = config.text_config as Hparams | undefined;
  if (text && typeof text === 'object') {
    const textType = stringField(text.model_type);
    hp = { ...hp, ...withDefaults(text, textType) };
  }
  return hp;
}

function literal(d: TransformersDefault): unknown {
  if (d === null || typeof d !== 'object' || Array.isArray(d)) return d;
  const expr = (d as { expr: string }).expr.replace(/_/g, '');
  if (!/^\s*\d+(\s*[*+]\s*\d+)*\s*$/.test(expr)) return undefined;
  return expr.split('+').reduce((sum, term) => sum + term.split('*').reduce((p, f) => p * Number(f), 1), 0);
}

/** The rope parameters as TextModel reads them (`rope_parameters`, else `rope_scaling`). */
export function ropeParameters(hp: Hparams): Record<string, unknown> {
  return ((hp.rope_parameters ?? hp.rope_scaling) as Record<string, unknown> | null | undefined) ?? {};
}

/**
 * TextModel.set_gguf_parameters (conversion/base.py:1272–1370), the keys llama.cpp's loader needs and the
 * ones that decide the cache. RoPE scaling, which decides neither, is left out.
 */
export function textModel(arch: string, hp: Hparams): GgufMeta {
  const m = new GgufMeta(arch);
  m.uint('block_count', need(hp, ['n_layers', 'num_hidden_layers', 'n_layer', 'num_layers']));
  const nCtx = find(hp, ['max_position_embeddings', 'n_ctx', 'n_positions', 'max_length', 'max_sequence_length', 'model_max_length']);
  if (nCtx !== undefined && nCtx !== null) m.uint('context_length', nCtx);
  const nEmbd = find(hp, ['hidden_size', 'n_embd', 'dim']);
  if (nEmbd !== undefined && nEmbd !== null) m.uint('embedding_length', nEmbd);
  const nFf = find(hp, ['prefix_dense_intermediate_size', 'dense_intermediate_size', 'intermediate_size', 'n_inner', 'hidden_dim']);
  if (nFf !== undefined && nFf !== null) m.uint('feed_forward_length', nFf);
  const nHead = find(hp, ['num_attention_heads', 'n_head', 'n_heads']);
  if (nHead !== undefined && nHead !== null) m.uint('attention.head_count', nHead);
  const nHeadKv = find(hp, ['num_key_value_heads', 'n_kv_heads']);
  if (nHeadKv !== undefined && nHeadKv !== null) m.uint('attention.head_count_kv', nHeadKv);
  if (hp.is_causal === false) m.flag('attention.causal', false);
  const rope = ropeParameters(hp);
  const ropeFull = (rope.full_attention as Record<string, unknown> | undefined) ?? rope;
  const theta = ropeFull.rope_theta ?? find(hp, ['global_rope_theta', 'rope_global_theta', 'rope_theta_global', 'rope_theta', 'rotary_emb_base']);
  if (typeof theta === 'number') m.float('rope.freq_base', theta);
  const rmsEps = find(hp, ['rms_norm_eps', 'norm_eps']);
  if (typeof rmsEps === 'number') m.float('attention.layer_norm_rms_epsilon', rmsEps);
  const normEps = find(hp, ['layer_norm_eps', 'layer_norm_epsilon', 'norm_epsilon']);
  if (typeof normEps === 'number') m.float('attention.layer_norm_epsilon', normEps);
  const nExperts = find(hp, ['num_local_experts', 'num_experts', 'n_routed_experts']);
  if (typeof nExperts === 'number') m.uint('expert_count', nExperts);
  const nUsed = find(hp, ['num_experts_per_tok', 'num_experts_per_token', 'top_k_experts']);
  if (typeof nUsed === 'number') m.uint('expert_used_count', nUsed);
  if (typeof hp.n_group === 'number') m.uint('expert_group_count', hp.n_group);
  if (typeof hp.topk_group === 'number') m.uint('expert_group_used_count', hp.topk_group);
  expertGatingFunc(m, hp);
  if (typeof hp.head_dim === 'number') {
    m.uint('attention.key_length', hp.head_dim);
    m.uint('attention.value_length', hp.head_dim);
  }
  return m;
}

/** TextModel's expert_gating_func from the config's score function (conversion/base.py:1356); unknown ones refused, as there. */
export function expertGatingFunc(m: GgufMeta, hp: Hparams): void {
  const f = find(hp, ['score_function', 'scoring_func', 'score_func', 'moe_router_activation', 'moe_router_activation_func', 'expert_selection_fn']);
  // gguf-py's ExpertGatingFuncType.
  const types: Record<string, number> = { softmax: 1, sigmoid: 2, sqrtsoftplus: 4 };
  if (f === undefined || f === null) return;
  if (typeof f !== 'string' || !(f in types)) throw new Error(`converter: unsupported expert score gating function ${JSON.stringify(f)}`);
  m.uint('expert_gating_func', types[f]);
}

/** LlamaModel.set_gguf_parameters (conversion/llama.py:164): vocab size and rope dimension count. */
export function llamaLike(arch: string, hp: Hparams): GgufMeta {
  const m = textModel(arch, hp);
  const headDim = typeof hp.head_dim === 'number' ? hp.head_dim : Math.floor(Number(hp.hidden_size) / Number(hp.num_attention_heads));
  m.uint('rope.dimension_count', headDim);
  return m;
}
