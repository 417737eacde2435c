/**
 * The fixed per-sequence state of layers that keep no per-token cache: linear attention (Gated
 * DeltaNet, MiniMax lightning, Kimi's KDA), Mamba-1 and Mamba-2 SSMs, and short convolutions (LFM2).
 * Each mixer's dims come from its family's keys; the shapes are those the modeling code allocates:
 * transformers keeps `conv_kernel` past inputs, vLLM and llama.cpp `conv_kernel − 1`
 * (vllm/model_executor/layers/mamba/mamba_utils.py); llama.cpp keeps the states in f32.
 */
import type { ModelConfig } from './modelConfig';
import { num, str } from './modelConfig';

export type MixerKind = 'gated-deltanet' | 'lightning' | 'kda' | 'mamba1' | 'mamba2' | 'short-conv';

export const MIXER_NAMES: Record<MixerKind, string> = {
  'gated-deltanet': 'Gated DeltaNet',
  lightning: 'lightning attention',
  kda: 'Kimi Delta Attention',
  mamba1: 'Mamba',
  mamba2: 'Mamba-2',
  'short-conv': 'short convolution',
};

/** A layer's state: a conv window over `convChannels` and a recurrent (SSM) state of `recurrentElements`. */
export interface RecurrentState {
  mixer: MixerKind;
  convChannels: number;
  /** Kernel width; 0 when the mixer has no convolution. */
  convKernel: number;
  recurrentElements: number;
  /** vLLM keeps the recurrent part in f32 (KDA always; Mamba when mamba_ssm_cache_dtype is float32). */
  recurrentFloat32?: boolean;
  /** Inner (channel) width and SSM heads, for the weights estimate. */
  innerSize: number;
  heads: number;
  /** The dims in words, e.g. "conv 8192 × (4 [− 1]) + SSM 64 heads × 64 × 128". */
  dims: string;
}

export type StateRuntime = 'hf' | 'vllm' | 'llamacpp';

/** Conv-window elements of the state for one sequence, as `runtime` allocates it. */
export function convElements(s: RecurrentState, runtime: StateRuntime): number {
  const columns = s.convKernel === 0 ? 0 : runtime === 'hf' ? s.convKernel : s.convKernel - 1;
  return s.convChannels * columns;
}

/**
 * Bytes of the state for one sequence: llama.cpp keeps every state in f32; vLLM keeps the conv window
 * in the model's dtype and the recurrent part in f32 for KDA (kda_state_dtype) and for Nemotron-H (its
 * config hook: mamba_ssm_cache_dtype, float32 when absent); transformers allocates both in the model's dtype.
 */
export function stateBytes(s: RecurrentState, runtime: StateRuntime, modelDtypeBytes: number): number {
  if (runtime === 'llamacpp') return 4 * (convElements(s, runtime) + s.recurrentElements);
  const recurrentBytes = runtime === 'vllm' && s.recurrentFloat32 ? 4 : modelDtypeBytes;
  return convElements(s, runtime) * modelDtypeBytes + s.recurrentElements * recurrentBytes;
}

/** The dims of `mixer` from the config; undefined when a key it needs is missing (the caller says so). */
export function resolveRecurrentState(config: ModelConfig, mixer: MixerKind, hidden: number, attentionHeads: number, headDim: number): RecurrentState | { missing: string } {
  const r = resolveDims(config, mixer, hidden, attentionHeads, headDim);
  if ('missing' in r) return r;
  // Only where vLLM is known to read it (Nemotron-H's config hook, float32 when the key is absent).
  const ssmFloat32 = config.typeInfo.vllmSsmDtypeFromConfig === true && /float32|fp32/.test(str(config, 'ssmStateDtype') ?? 'float32');
  return mixer === 'kda' || (ssmFloat32 && mixer === 'mamba2') ? { ...r, recurrentFloat32: true } : r;
}

function resolveDims(config: ModelConfig, mixer: MixerKind, hidden: number, attentionHeads: number, headDim: number): RecurrentState | { missing: string } {
  const conv = (n: number | undefined, fallback: number): number => n ?? fallback;
  switch (mixer) {
    case 'gated-deltanet': {
      const nk = num(config, 'linearNumKeyHeads');
      if (nk === undefined) return { missing: 'linear_num_key_heads' };
      const nv = num(config, 'linearNumValueHeads') ?? nk;
      const dk = num(config, 'linearKeyHeadDim') ?? headDim;
      const dv = num(config, 'linearValueHeadDim') ?? headDim;
      const k = num(config, 'linearConvKernelDim') ?? 0;
      const channels = 2 * nk * dk + nv * dv;
      return { mixer, convChannels: channels, convKernel: k, recurrentElements: nv * dk * dv, innerSize: nv * dv, heads: nv, dims: `conv ${channels} channels (2 × ${nk} × ${dk} + ${nv} × ${dv}) × kernel ${k} + state ${nv} heads × ${dk} × ${dv}` };
    }
    case 'lightning':
      // MiniMax lightning attention: one d × d state per head, no convolution.
      return { mixer, convChannels: 0, convKernel: 0, recurrentElements: attentionHeads * headDim * headDim, innerSize: attentionHeads * headDim, heads: attentionHeads, dims: `state ${attentionHeads} heads × ${headDim} × ${headDim}` };
    case 'kda': {
      const c = config.get('linearAttnConfig')?.value as Record<string, unknown> | null | undefined;
      const heads = typeof c?.num_heads === 'number' ? c.num_heads : undefined;
      const d = typeof c?.head_dim === 'number' ? c.head_dim : undefined;
      if (heads === undefined || d === undefined) return { missing: 'linear_attn_config.num_heads / head_dim' };
      const k = typeof c?.short_conv_kernel_size === 'number' ? c.short_conv_kernel_size : 4;
      // q, k and v each pass a short conv (vLLM kda_state_shape: num_heads·head_dim + 2·num_k_heads·head_k_dim).
      return { mixer, convChannels: 3 * heads * d, convKernel: k, recurrentElements: heads * d * d, innerSize: heads * d, heads, dims: `conv ${3 * heads * d} channels (q, k, v: 3 × ${heads} × ${d}) × kernel ${k} + state ${heads} heads × ${d} × ${d}` };
    }
    case 'mamba1': {
      const state = num(config, 'ssmStateSize');
      const expand = num(config, 'ssmExpand');
      if (state === undefined || expand === undefined) return { missing: state === undefined ? 'mamba_d_state / state_size' : 'mamba_expand / expand' };
      // Pure Mamba checkpoints: the mixer is intermediate_size wide when the file says so (Falcon-Mamba-7B
      // says expand 16 but its weights and vLLM use intermediate_size 8192); hybrids size it expand × hidden.
      const inner = (config.typeInfo.attentionFree ? num(config, 'intermediateSize') : undefined) ?? Math.round(expand * hidden);
      const k = conv(num(config, 'ssmConvKernel'), 4);
      return { mixer, convChannels: inner, convKernel: k, recurrentElements: inner * state, innerSize: inner, heads: 1, dims: `conv ${inner} channels × kernel ${k} + SSM ${inner} × ${state}` };
    }
    case 'mamba2': {
      const state = num(config, 'ssmStateSize');
      if (state === undefined) return { missing: 'mamba_d_state / ssm_state_size / state_size' };
      const explicitHeads = num(config, 'ssmNumHeads');
      const explicitHeadDim = num(config, 'ssmHeadDim');
      // Pure Mamba-2 spells its SSM heads num_heads / head_dim (the attention keys of other families).
      const pure = config.typeInfo.attentionFree === true;
      const heads = explicitHeads ?? (pure ? attentionHeads : undefined);
      const innerFromKeys = num(config, 'ssmInnerSize') ?? (num(config, 'ssmExpand') !== undefined ? Math.round(num(config, 'ssmExpand')! * hidden) : undefined);
      const headDimKey = explicitHeadDim ?? (pure ? headDim : undefined);
      const inner = innerFromKeys ?? (heads !== undefined && headDimKey !== undefined ? heads * headDimKey : undefined);
      if (heads === undefined || inner === undefined) return { missing: heads === undefined ? 'mamba_n_heads / mamba_num_heads' : 'mamba_expand / mamba_d_ssm' };
      const d = headDimKey ?? inner / heads;
      const groups = num(config, 'ssmGroups') ?? 1;
      const k = conv(num(config, 'ssmConvKernel'), 4);
      const channels = inner + 2 * groups * state;
      return { mixer, convChannels: channels, convKernel: k, recurrentElements: heads * d * state, innerSize: inner, heads, dims: `conv ${channels} channels (${inner} + 2 × ${groups} × ${state}) × kernel ${k} + SSM ${heads} heads × ${d} × ${state}` };
    }
    case 'short-conv': {
      const k = conv(num(config, 'ssmConvKernel'), 3);
      return { mixer, convChannels: hidden, convKernel: k, recurrentElements: 0, innerSize: hidden, heads: 1, dims: `conv ${hidden} channels × kernel ${k}` };
    }
  }
}
