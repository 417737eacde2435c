/**
 * Families whose converter class (llama.cpp v0.4.0, 80fb11a, conversion/*.py) this file mirrors:
 * the recurrent (Mamba, Mamba-2, LFM2 short-conv) models and their attention hybrids. llama.cpp marks a
 * layer recurrent by its per-layer head_count_kv being 0 (src/models/jamba.cpp:12, granite-hybrid.cpp:24,
 * lfm2.cpp:12, lfm2moe.cpp:13), and for Nemotron-H by head_count_kv and feed_forward_length both 0
 * (src/models/nemotron-h.cpp:15); the converter writes those per-layer arrays, and so does this file.
 * Its state per recurrent layer is R = (d_conv - 1)·(d_inner + 2·n_group·d_state) and S = d_state·d_inner
 * (Mamba), R = n_embd·(l_cache - 1) (LFM2) (src/llama-hparams.cpp:208–257).
 *
 * Hparams: MambaModel and Mamba2Model (so GraniteHybridModel and NemotronHModel) read config.json itself
 * instead of AutoConfig (conversion/mamba.py:21, :108; NemotronH's config is not in the converter's
 * transformers 4.57.6, requirements/requirements-convert_hf_to_gguf.txt, so ModelBase.load_hparams falls
 * back to config.json, conversion/base.py:1119–1127). The hp given here carries transformers' class
 * defaults on top; where such a default would change what the converter writes, the entry says so.
 */
import { find, GgufMeta, need, textModel, type Hparams } from '../base';
import type { FamilyTable } from './types';

/** Python's `x or default`: None, 0, False and "" fall through. */
function or(value: unknown, fallback: number): number {
  return value === undefined || value === null || value === 0 || value === false || value === '' ? fallback : Number(value);
}

/** -(a // -b): ceiling division as the converters write it. */
function ceilDiv(a: number, b: number): number {
  return Math.ceil(a / b);
}

function blockCount(hp: Hparams): number {
  return Number(need(hp, ['n_layers', 'num_hidden_layers', 'n_layer', 'num_layers']));
}

/** MambaModel.set_gguf_parameters (conversion/mamba.py:46); it writes no TextModel keys. */
function mamba(hp: Hparams): GgufMeta {
  const m = new GgufMeta('mamba');
  const dModel = Number(need(hp, ['hidden_size', 'd_model']));
  const dConv = or(find(hp, ['conv_kernel', 'd_conv']), 4);
  const dInner = or(find(hp, ['intermediate_size', 'd_inner']), 2 * dModel);
  const dState = or(find(hp, ['state_size', 'd_state']), 16);
  const dtRank = or(find(hp, ['time_step_rank', 'dt_rank']), ceilDiv(dModel, 16));
  const rmsEps = or(find(hp, ['layer_norm_epsilon', 'rms_norm_eps']), 1e-5);
  if (dInner !== 2 * dModel) throw new Error(`converter: MambaModel asserts d_inner == 2 * d_model (${dInner} vs ${dModel})`);
  m.uint('context_length', 2 ** 20);
  m.uint('embedding_length', dModel);
  m.uint('feed_forward_length', 0);
  m.uint('attention.head_count', 0);
  m.uint('block_count', blockCount(hp));
  m.uint('ssm.conv_kernel', dConv);
  m.uint('ssm.inner_size', dInner);
  m.uint('ssm.state_size', dState);
  m.uint('ssm.time_step_rank', dtRank);
  m.float('attention.layer_norm_rms_epsilon', rmsEps);
  m.flag('ssm.dt_b_c_rms', hp.model_type === 'falcon_mamba');
  return m;
}

/** JambaModel.set_gguf_parameters (conversion/jamba.py:25); it writes no TextModel keys. */
function jamba(hp: Hparams): GgufMeta {
  const m = new GgufMeta('jamba');
  const n = blockCount(hp);
  const dModel = Number(need(hp, ['hidden_size', 'mamba_d_model']));
  const dConv = or(find(hp, ['mamba_d_conv']), 4);
  const dInner = Number(hp.mamba_expand) * dModel;
  const dState = or(find(hp, ['mamba_d_state']), 16);
  const dtRank = or(find(hp, ['mamba_dt_rank']), ceilDiv(dModel, 16));
  const rmsEps = or(find(hp, ['layer_norm_epsilon', 'rms_norm_eps']), 1e-6);
  const nKv = Number(hp.num_key_value_heads);
  const offset = Number(hp.attn_layer_offset);
  const period = Number(hp.attn_layer_period);
  const nKvVec = Array.from({ length: n }, (_, i) => (i >= offset && (i - offset) % period === 0 ? nKv : 0));
  m.uint('block_count', n);
  m.uint('context_length', need(hp, ['max_position_embeddings', 'n_ctx']));
  m.uint('embedding_length', dModel);
  m.uint('feed_forward_length', hp.intermediate_size);
  m.uint('attention.head_count', hp.num_attention_heads);
  m.uint('attention.head_count_kv', nKvVec);
  m.uint('ssm.conv_kernel', dConv);
  m.uint('ssm.inner_size', dInner);
  m.uint('ssm.state_size', dState);
  m.uint('ssm.time_step_rank', dtRank);
  m.float('attention.layer_norm_rms_epsilon', rmsEps);
  m.uint('expert_count', need(hp, ['num_local_experts', 'num_experts']));
  m.uint('expert_used_count', need(hp, ['num_experts_per_tok', 'num_experts_per_token']));
  return m;
}

/** GraniteHybridModel.find_hparam (conversion/granite.py:466): the keys, then the keys prefixed `mamba_`. */
function findMamba(hp: Hparams, keys: string[]): unknown {
  return find(hp, [...keys, ...keys.map((k) => `mamba_${k}`)]);
}
function needMamba(hp: Hparams, keys: string[]): unknown {
  return need(hp, [...keys, ...keys.map((k) => `mamba_${k}`)]);
}

/** GraniteHybridModel.get_attn_layers (conversion/granite.py:438). */
function graniteAttnLayers(hp: Hparams, n: number): number[] {
  const types = hp.layer_types as string[] | undefined;
  if (Array.isArray(types) && types.length > 0) return types.flatMap((t, i) => (t === 'attention' ? [i] : []));
  const indices = (hp.attn_layer_indices as number[] | undefined) ?? [];
  if (indices.length > 0) return indices.map(Number);
  const period = Number(hp.attn_layer_period);
  const offset = Number(hp.attn_layer_offset);
  if (!period || Number.isNaN(offset)) throw new Error("converter: Didn't find attn_layer_indices or attn_layer_period");
  return Array.from({ length: n }, (_, i) => i).filter((i) => i % period === offset);
}

/**
 * GraniteHybridModel (conversion/granite.py:393): __init__ (:399) and set_gguf_parameters (:486), which runs
 * GraniteMoeModel (:185) → GraniteModel (:23, pops head_dim) → LlamaModel (conversion/llama.py:164) →
 * TextModel (conversion/base.py:1272), then writes the Mamba-2 sizes and the per-layer head_count_kv.
 * `dInner` and `attnLayers` are what NemotronHModel.__init__ overrides.
 */
function graniteHybrid(arch: string, hp: Hparams, over: { dInner?: number; attnLayers?: number[] } = {}): { m: GgufMeta; attn: number[]; ssm: number[] } {
  const n = blockCount(hp);
  const attn = over.attnLayers ?? graniteAttnLayers(hp, n);
  const ssm = Array.from({ length: n }, (_, i) => i).filter((i) => !attn.includes(i));
  if (ssm.length === 0) throw new Error('converter: a GraniteHybrid config without SSM layers converts to granite/granitemoe, not mirrored here');
  // GraniteHybridModel.__init__ (:431–434): d_model is the mamba head dim when given, n_group, d_inner.
  const dModel = Number(findMamba(hp, ['mamba_head_dim', 'hidden_size', 'd_model']));
  const nGroup = needMamba(hp, ['n_groups', 'num_groups']);
  const dInner = over.dInner ?? Number(needMamba(hp, ['expand', 'num_heads'])) * dModel;

  // GraniteModel pops head_dim before LlamaModel/TextModel read it.
  const { head_dim: _popped, ...noHeadDim } = hp;
  const m = textModel(arch, noHeadDim);
  m.uint('vocab_size', hp.vocab_size ?? 0);
  m.uint('rope.dimension_count', Math.floor(Number(hp.hidden_size) / Number(hp.num_attention_heads)));
  if (hp.attention_multiplier) m.float('attention.scale', hp.attention_multiplier);
  if (hp.embedding_multiplier) m.float('embedding_scale', hp.embedding_multiplier);
  if (hp.residual_multiplier) m.float('residual_scale', hp.residual_multiplier);
  if (hp.logits_scaling) m.float('logit_scale', hp.logits_scaling);
  if (hp.shared_intermediate_size) m.uint('expert_shared_feed_forward_length', hp.shared_intermediate_size);

  m.uint('ssm.conv_kernel', needMamba(hp, ['conv_kernel', 'd_conv']));
  m.uint('ssm.state_size', needMamba(hp, ['state_size', 'd_state', 'state_dim', 'ssm_state_size']));
  m.uint('ssm.group_count', nGroup);
  m.uint('ssm.inner_size', dInner);
  m.uint('ssm.time_step_rank', needMamba(hp, ['n_heads', 'num_heads']));

  const nKv = Number(needMamba(hp, ['num_key_value_heads', 'n_head_kv']));
  m.uint('attention.head_count_kv', Array.from({ length: n }, (_, i) => (attn.includes(i) ? nKv : 0)));
  if (hp.attn_rotary_emb) m.uint('rope.dimension_count', hp.attn_rotary_emb);
  const useRope = ((hp.architectures as string[] | undefined) ?? []).includes('BambaForCausalLM');
  m.flag('rope.scaling.finetuned', useRope);
  if (!useRope) m.uint('context_length', 2 ** 20);
  const dHead = or(findMamba(hp, ['d_head']), 64);
  if (dInner % dHead !== 0) throw new Error(`converter: SSM inner size ${dInner} not a multiple of head dim ${dHead}`);
  return { m, attn, ssm };
}

/**
 * NemotronHModel (conversion/nemotron.py:200): __init__ (:211) picks nemotron_h_moe when config.json has
 * num_experts_per_tok, takes d_inner = mamba_num_heads · mamba_head_dim and the layers from
 * hybrid_override_pattern (M Mamba-2, * attention, - MLP); set_gguf_parameters (:325) adds the head size and
 * the per-layer feed_forward_length (0 but on MLP layers).
 */
function nemotronH(hp: Hparams): GgufMeta {
  const pattern = (hp.hybrid_override_pattern || hp.layers_block_type) as string | string[] | undefined;
  // config.json decides MoE by num_experts_per_tok; the hp here always has one (transformers 5's
  // NemotronHConfig default), so the pattern decides: a dense Nemotron-H has no 'E' / 'moe' layer.
  const isMoe = typeof pattern === 'string' ? pattern.includes('E') : Array.isArray(pattern) && pattern.includes('moe');
  if (isMoe) throw new Error('converter: Nemotron-H MoE (nemotron_h_moe) is not mirrored here');
  const n = blockCount(hp);
  if (pattern !== undefined && pattern !== null && pattern.length !== n) {
    throw new Error(`converter: Mismatch between pattern (${pattern.length}) and block_count (${n})!`);
  }
  const layers = pattern === undefined || pattern === null ? [] : [...pattern];
  const attnLayers = layers.flatMap((v, i) => (v === '*' || v === 'attention' || v === 'full_attention' ? [i] : []));
  const mlpLayers = layers.flatMap((v, i) => (v === '-' ? [i] : []));
  const dModel = Number(findMamba(hp, ['mamba_head_dim', 'hidden_size', 'd_model']));
  const dInner = Number(needMamba(hp, ['num_heads'])) * dModel;
  // The converter's config.json has no expert keys for a dense Nemotron-H: those below are transformers 5's
  // defaults only, which TextModel would otherwise write.
  const dense: Hparams = { ...hp };
  for (const key of ['num_experts_per_tok', 'n_routed_experts', 'n_group', 'topk_group']) delete dense[key];
  const { m } = graniteHybrid('nemotron_h', dense, { dInner, attnLayers });
  // config.json's own head_dim, else attention_head_dim; hp's head_dim is transformers 5's default (128)
  // whenever config.json has only attention_head_dim.
  const headDim = Number(hp.attention_head_dim ?? hp.head_dim);
  if (!headDim) throw new Error('converter: Could not find the attention head dim in config');
  m.uint('attention.key_length', headDim);
  m.uint('attention.value_length', headDim);
  const nFf = need(hp, ['intermediate_size', 'n_inner', 'hidden_dim']);
  m.uint('feed_forward_length', Array.from({ length: n }, (_, i) => (mlpLayers.includes(i) ? nFf : 0)));
  return m;
}

/** LFM2Model.set_gguf_parameters (conversion/lfm2.py:35) and _add_feed_forward_length (:20). */
function lfm2(hp: Hparams): GgufMeta {
  const types = hp.layer_types as string[];
  const withKv = { ...hp, num_key_value_heads: types.map((t) => (t !== 'conv' ? hp.num_key_value_heads : 0)) };
  const m = textModel('lfm2', withKv);
  m.uint('attention.head_count_kv', withKv.num_key_value_heads);
  m.uint('vocab_size', hp.vocab_size);
  m.uint('shortconv.l_cache', hp.conv_L_cache);
  m.float('attention.layer_norm_rms_epsilon', hp.norm_eps);
  let ff = Number(need(hp, ['block_ff_dim', 'intermediate_size']));
  if (hp.block_auto_adjust_ff_dim) {
    ff = Math.trunc((2 * ff) / 3);
    if (hp.block_ffn_dim_multiplier !== null && hp.block_ffn_dim_multiplier !== undefined) ff = Math.trunc(Number(hp.block_ffn_dim_multiplier) * ff);
    const multiple = Number(hp.block_multiple_of);
    ff = multiple * Math.floor((ff + multiple - 1) / multiple);
  }
  m.uint('feed_forward_length', ff);
  return m;
}

/** LFM2MoeModel.set_gguf_parameters (conversion/lfm2.py:102). */
function lfm2Moe(hp: Hparams): GgufMeta {
  const types = hp.layer_types as string[];
  const withKv = { ...hp, num_key_value_heads: types.map((t) => (t === 'full_attention' ? hp.num_key_value_heads : 0)) };
  const m = textModel('lfm2moe', withKv);
  m.uint('attention.head_count_kv', withKv.num_key_value_heads);
  m.uint('expert_feed_forward_length', hp.moe_intermediate_size);
  m.uint('leading_dense_block_count', hp.num_dense_layers);
  m.uint('expert_gating_func', 2); // gguf.ExpertGatingFuncType.SIGMOID
  m.uint('vocab_size', hp.vocab_size);
  m.uint('shortconv.l_cache', hp.conv_L_cache);
  return m;
}

/**
 * The Mamba-2 graph adds the conv bias unconditionally (src/models/mamba-base.cpp:233) though the loader
 * marks it optional (src/models/granite-hybrid.cpp:80, nemotron-h.cpp:88); the converter writes it whenever the
 * checkpoint has one (mamba_conv_bias / use_conv_bias: true in every fixture).
 */
const MAMBA2_CONV_BIAS = /\.ssm_conv1d\.bias$/;

const CONV_STATE_DIFFERS =
  "llama.cpp keeps d_conv − 1 conv columns per channel (src/llama-hparams.cpp:229), in f32 (src/llama-model.cpp:2461, :2554), where transformers' cache keeps all d_conv columns in the cache's dtype";
const SHORTCONV_DIFFERS =
  "llama.cpp keeps L_cache − 1 short-conv columns per channel (src/llama-hparams.cpp:216), in f32 (src/llama-model.cpp:2554), where transformers' Lfm2 cache keeps all L_cache columns in the model's dtype";

export const HYBRID_FAMILIES: FamilyTable = {
  // Both load asserting 2·n_embd == ssm_d_inner (src/models/mamba.cpp:43): the embedding cannot shrink.
  mamba: { mirrors: 'MambaModel (conversion/mamba.py:18, set_gguf_parameters :46)', convert: mamba, keepEmbedding: true, differsFromHf: CONV_STATE_DIFFERS },
  falcon_mamba: { mirrors: 'MambaModel (FalconMambaForCausalLM, conversion/mamba.py:18, set_gguf_parameters :46)', convert: mamba, keepEmbedding: true, differsFromHf: CONV_STATE_DIFFERS },
  // Jamba asserts 2·n_embd == d_inner (src/models/jamba.cpp:32).
  jamba: { mirrors: 'JambaModel (conversion/jamba.py:15, set_gguf_parameters :25)', convert: jamba, keepEmbedding: true, differsFromHf: CONV_STATE_DIFFERS },
  // GraniteHybrid asserts 2·n_embd == d_inner (src/models/granite-hybrid.cpp:54).
  bamba: {
    mirrors: 'GraniteHybridModel (BambaForCausalLM, conversion/granite.py:393, set_gguf_parameters :486)',
    convert: (hp) => graniteHybrid('granitehybrid', hp).m,
    keepEmbedding: true,
    optionalTensors: MAMBA2_CONV_BIAS,
    differsFromHf: CONV_STATE_DIFFERS,
  },
  granitemoehybrid: {
    mirrors: 'GraniteHybridModel (GraniteMoeHybridForCausalLM, conversion/granite.py:393, set_gguf_parameters :486)',
    convert: (hp) => graniteHybrid('granitehybrid', hp).m,
    keepEmbedding: true,
    optionalTensors: MAMBA2_CONV_BIAS,
    differsFromHf: CONV_STATE_DIFFERS,
  },
  nemotron_h: { mirrors: 'NemotronHModel (conversion/nemotron.py:200, set_gguf_parameters :325)', convert: nemotronH, optionalTensors: MAMBA2_CONV_BIAS, differsFromHf: CONV_STATE_DIFFERS },
  // LFM2's short-conv state is n_embd·(l_cache − 1) (src/llama-hparams.cpp:216): the embedding decides the cache.
  lfm2: { mirrors: 'LFM2Model (Lfm2ForCausalLM, the text_config of Lfm2VlForConditionalGeneration; conversion/lfm2.py:17, set_gguf_parameters :35)', convert: lfm2, keepEmbedding: true, differsFromHf: SHORTCONV_DIFFERS },
  lfm2_moe: { mirrors: 'LFM2MoeModel (conversion/lfm2.py:99, set_gguf_parameters :102)', convert: lfm2Moe, keepEmbedding: true, differsFromHf: SHORTCONV_DIFFERS },
};

/** model_type → why llama.cpp v0.4.0 cannot load it. */
export const HYBRID_UNSUPPORTED: Record<string, string> = {};
