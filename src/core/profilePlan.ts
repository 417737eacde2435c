/**
 * AttentionSpec → the kernels to measure: one layer of the model's own attention with its real head
 * counts and dims, and the same layer as the what-if variants of variants.ts (MHA, GQA-g, MQA, MLA),
 * per layer kind (full, sliding window, chunk), over a context sweep, for decode and prefill. Also
 * the bytes and FLOPs each case must move and do (FlashMLA's formulas), which every measured time is
 * divided by. Pure: the worker runs the plan, the CLI and the editor build it.
 */
import { parseVariantName } from './variantNames';
import type { AttentionSpec, LayerSpec } from './attentionSpec';
import { UsageError } from './errors';
import { int, tokens as fmtTokens } from './format';
import { DEFAULT_MLA_RANK, DEFAULT_MLA_ROPE, withKvHeads, withMla } from './variants';

export type ProfileMode = 'decode' | 'prefill';
/** The `variant` field of a result: the kernel family that ran. */
export type KernelVariant = 'mha' | 'gqa' | 'mqa' | 'mla' | 'mla-naive' | 'naive';

export interface KernelCase {
  /** Stable id of the variant: mha, gqa-8, mqa, mla-512, mla-naive, naive. */
  id: string;
  variant: KernelVariant;
  label: string;
  /** The config's own attention (as opposed to a what-if). */
  own: boolean;
  layerKind: 'full' | 'sliding' | 'chunked';
  /** Sliding window in tokens (0: none). */
  windowTokens: number;
  /** Chunked attention size in tokens (0: none). */
  chunkTokens: number;
  mode: ProfileMode;
  contextTokens: number;
  batch: number;
  /** Queries per sequence: 1 for decode, the context for prefill (causal). */
  numQueries: number;
  qHeads: number;
  /** KV heads the kernel reads: 1 for MLA absorbed (one latent row shared by all heads). */
  kvHeads: number;
  /** Width of a K row: head_dim, or latent + RoPE (576) for MLA absorbed. */
  headDim: number;
  /** Width of a V row: v head dim, or the latent (512) for MLA absorbed. */
  vHeadDim: number;
  /** MLA absorbed: V is the first vHeadDim values of the K row, read once for both products. */
  sharedKv: boolean;
  /** Softmax scale (MLA: 1/sqrt(qk_nope + qk_rope), not 1/sqrt(576)). */
  scale: number;
  /** The naive baseline: one workgroup per query head, no split-K. */
  naive: boolean;
}

export interface ProfileOptions {
  /** Context sweep in tokens (default 1k, 4k, 16k, 32k, capped at the model's maximum). */
  contexts?: number[];
  batch?: number;
  /** own | all | a list like ['mha', 'gqa8', 'mqa', 'mla']. */
  variants?: 'own' | 'all' | string[];
  mode?: ProfileMode | 'both';
  mlaRank?: number;
  mlaRope?: number;
}

export interface ProfilePlan {
  modelType: string | undefined;
  contexts: number[];
  batch: number;
  modes: ProfileMode[];
  cases: KernelCase[];
  notes: string[];
}

export const DEFAULT_PROFILE_CONTEXTS = [1024, 4096, 16384, 32768];
export const MAX_PROFILE_BATCH = 256;
export const MAX_PROFILE_CONTEXT = 1 << 20;

interface Shape {
  id: string;
  variant: KernelVariant;
  label: string;
  own: boolean;
  layer: LayerSpec;
  naive: boolean;
  mlaNaive: boolean;
}

export function buildProfilePlan(spec: AttentionSpec, options: ProfileOptions = {}): ProfilePlan {
  const notes: string[] = [];
  const batch = options.batch ?? 1;
  if (!Number.isInteger(batch) || batch < 1 || batch > MAX_PROFILE_BATCH) throw new UsageError(`--batch ${batch}: give 1 to ${MAX_PROFILE_BATCH}`);
  const modes: ProfileMode[] = options.mode === 'both' || options.mode === undefined ? ['decode', 'prefill'] : [options.mode];

  let contexts = [...new Set(options.contexts ?? DEFAULT_PROFILE_CONTEXTS)].sort((a, b) => a - b);
  for (const c of contexts) {
    if (!Number.isInteger(c) || c < 1 || c > MAX_PROFILE_CONTEXT) throw new UsageError(`context ${c}: give 1 to ${fmtTokens(MAX_PROFILE_CONTEXT)} tokens`);
  }
  if (options.contexts === undefined) {
    const capped = contexts.filter((c) => c <= spec.maxContextTokens);
    if (capped.length < contexts.length) {
      notes.push(`contexts above the model's maximum of ${fmtTokens(spec.maxContextTokens)} tokens left out`);
      contexts = capped.length > 0 ? capped : [spec.maxContextTokens];
    }
  }

  const softmax = spec.layers.filter((l) => l.variant !== null);
  if (softmax.length === 0) throw new UsageError('this model has no softmax-attention layer to profile (its layers keep a recurrent state or have no attention)');
  const recurrent = spec.layers.filter((l) => l.variant === null && l.state).length;
  if (recurrent > 0) notes.push(`${recurrent} recurrent layers (linear attention, Mamba, conv) keep a fixed state and are not profiled`);

  const shapes = selectShapes(spec, options.variants ?? 'all', options.mlaRank ?? DEFAULT_MLA_RANK, options.mlaRope ?? DEFAULT_MLA_ROPE);
  const cases: KernelCase[] = [];
  for (const mode of modes) {
    for (const shape of shapes) {
      if (shape.naive && mode === 'prefill') continue; // the baseline is a decode kernel
      for (const kind of layerKinds(spec)) {
        for (const contextTokens of contexts) cases.push(toCase(shape, kind, mode, contextTokens, batch));
      }
    }
  }
  return { modelType: spec.modelType, contexts, batch, modes, cases, notes };
}

/** The distinct softmax layer kinds of the model (full, each window, each chunk), as this shape. */
function layerKinds(spec: AttentionSpec): { kind: KernelCase['layerKind']; windowTokens: number; chunkTokens: number }[] {
  const seen = new Map<string, { kind: KernelCase['layerKind']; windowTokens: number; chunkTokens: number }>();
  for (const l of spec.layers) {
    if (l.variant === null) continue;
    const kind: KernelCase['layerKind'] = l.kind === 'sliding' || l.kind === 'chunked' ? l.kind : 'full';
    const w = l.windowTokens ?? 0;
    const entry = { kind, windowTokens: kind === 'sliding' ? w : 0, chunkTokens: kind === 'chunked' ? w : 0 };
    seen.set(`${kind}:${w}`, entry);
  }
  return [...seen.values()].sort((a, b) => order(a.kind) - order(b.kind));
}

function order(kind: KernelCase['layerKind']): number {
  return kind === 'full' ? 0 : kind === 'sliding' ? 1 : 2;
}

function toCase(shape: Shape, k: { kind: KernelCase['layerKind']; windowTokens: number; chunkTokens: number }, mode: ProfileMode, contextTokens: number, batch: number): KernelCase {
  const l = shape.layer;
  const base = { id: shape.id, variant: shape.variant, label: shape.label, own: shape.own, layerKind: k.kind, windowTokens: k.windowTokens, chunkTokens: k.chunkTokens, mode, contextTokens, batch, numQueries: mode === 'decode' ? 1 : contextTokens, naive: shape.naive };
  if (l.mla && !shape.mlaNaive) {
    // Absorbed: q' = [q_nope·W_UK ‖ q_pe] attends over the cached [c_kv ‖ k_pe] rows; V = c_kv.
    const m = l.mla;
    return { ...base, qHeads: l.qHeads, kvHeads: 1, headDim: m.kvLoraRank + m.qkRopeHeadDim, vHeadDim: m.kvLoraRank, sharedKv: true, scale: 1 / Math.sqrt(m.qkNopeHeadDim + m.qkRopeHeadDim) };
  }
  if (l.mla) {
    // Decompressed: per-head K (nope + rope) and V, as transformers' eager DeepSeek code caches them.
    const m = l.mla;
    const dk = m.qkNopeHeadDim + m.qkRopeHeadDim;
    return { ...base, qHeads: l.qHeads, kvHeads: l.qHeads, headDim: dk, vHeadDim: m.vHeadDim, sharedKv: false, scale: 1 / Math.sqrt(dk) };
  }
  return { ...base, qHeads: l.qHeads, kvHeads: l.kvHeads, headDim: l.kHeadDim, vHeadDim: l.vHeadDim, sharedKv: false, scale: 1 / Math.sqrt(l.kHeadDim) };
}

function firstSoftmaxLayer(spec: AttentionSpec): LayerSpec {
  return spec.layers.find((l) => l.variant !== null && l.kind === 'full') ?? spec.layers.find((l) => l.variant !== null)!;
}

function headsShape(spec: AttentionSpec, kvHeads: number, own: boolean, naive = false): Shape {
  const s = own ? spec : withKvHeads(spec, kvHeads);
  const layer = firstSoftmaxLayer(s);
  const variant = layer.variant === 'mla' ? 'mla' : kvHeads === layer.qHeads ? 'mha' : kvHeads === 1 ? 'mqa' : 'gqa';
  const id = naive ? 'naive' : variant === 'gqa' ? `gqa-${kvHeads}` : variant;
  const heads = `${layer.qHeads} q / ${layer.kvHeads} kv heads × ${layer.kHeadDim}`;
  const label = naive ? `naive baseline, ${heads} (one workgroup per q head)` : `${variant.toUpperCase()}${variant === 'gqa' ? `-${kvHeads}` : ''} ${heads}`;
  return { id, variant: naive ? 'naive' : variant, label, own, layer, naive, mlaNaive: false };
}

function mlaShape(spec: AttentionSpec, rank: number, rope: number, naive: boolean): Shape {
  const own = spec.mla !== undefined && spec.mla.kvLoraRank === rank && spec.mla.qkRopeHeadDim === rope;
  const s = own ? spec : withMla(spec, rank, rope);
  const layer = firstSoftmaxLayer(s);
  const m = layer.mla!;
  if (naive) {
    return { id: 'mla-naive', variant: 'mla-naive', label: `MLA decompressed, ${layer.qHeads} heads × K ${m.qkNopeHeadDim + m.qkRopeHeadDim} / V ${m.vHeadDim}`, own: false, layer, naive: false, mlaNaive: true };
  }
  return { id: own ? 'mla' : `mla-${rank}`, variant: 'mla', label: `MLA absorbed, ${layer.qHeads} heads over latent ${rank} + RoPE ${rope}`, own, layer, naive: false, mlaNaive: false };
}

/**
 * own: the config's attention (for MLA also its decompressed form, the byte/FLOP contrast).
 * all: own, MHA, GQA-8 (or the nearest group count dividing the heads), MQA, MLA, and the naive
 * baseline decode of the model's own shape. A list names them: mha, gqa8 / gqa-8, mqa, mla, mla256,
 * mla-naive, naive, own.
 */
export function selectShapes(spec: AttentionSpec, variants: 'own' | 'all' | string[], mlaRank: number, mlaRope: number): Shape[] {
  const q = spec.qHeads;
  const ownIsMla = spec.variant === 'mla' || spec.mla !== undefined;
  const own = (): Shape[] => (ownIsMla ? [mlaShape(spec, spec.mla!.kvLoraRank, spec.mla!.qkRopeHeadDim, false), mlaShape(spec, spec.mla!.kvLoraRank, spec.mla!.qkRopeHeadDim, true)] : [headsShape(spec, spec.kvHeads, true)]);
  let names: string[];
  if (variants === 'own') return own();
  if (variants === 'all') {
    const g = [8, 4, 2, 16].find((d) => d < q && q % d === 0);
    names = ['own', 'mha', ...(g ? [`gqa${g}`] : []), 'mqa', 'mla', ownIsMla ? 'mla-naive' : 'naive'];
  } else names = variants;
  if (names.length === 0) throw new UsageError('--variants: name at least one (own, all, or a list like mha,gqa8,mqa,mla)');

  const out: Shape[] = [];
  const add = (s: Shape): void => {
    const dup = out.find((o) => o.id === s.id || (o.layer.kvHeads === s.layer.kvHeads && o.layer.kHeadDim === s.layer.kHeadDim && o.variant === s.variant && o.naive === s.naive && o.mlaNaive === s.mlaNaive && !!o.layer.mla === !!s.layer.mla));
    if (!dup) out.push(s);
    else if (s.own) dup.own = true;
  };
  for (const raw of names) {
    const v = parseVariantName(raw);
    if (!v || v.kind === 'kv' || v.kind === 'window') {
      throw new UsageError(`--variants: ${v ? `"${raw}" is a KV dtype or window, not a kernel variant` : `unknown variant "${raw}"`}; use own, all, or a list of mha, gqa-N (or gqaN), mqa, mla, mla-R (or mlaR), mla-naive, naive`);
    }
    const n = v.kind === 'gqa' ? v.kvHeads : v.kind === 'mla' ? v.rank : undefined;
    switch (v.kind) {
      case 'own':
        own().forEach(add);
        break;
      case 'mha':
        add(headsShape(spec, q, !ownIsMla && spec.kvHeads === q));
        break;
      case 'mqa':
        add(headsShape(spec, 1, !ownIsMla && spec.kvHeads === 1));
        break;
      case 'gqa': {
        if (n === undefined) throw new UsageError(`--variants: "${raw}" needs a KV head count, e.g. gqa8`);
        if (n < 1 || n > q || q % n !== 0) throw new UsageError(`--variants: ${raw}: ${n} KV heads must divide the model's ${q} query heads`);
        add(headsShape(spec, n, !ownIsMla && spec.kvHeads === n));
        break;
      }
      case 'mla':
        if (n !== undefined && (n < 4 || n % 4 !== 0)) throw new UsageError(`--variants: ${raw}: the latent rank must be a multiple of 4`);
        add(mlaShape(spec, n ?? (ownIsMla ? spec.mla!.kvLoraRank : mlaRank), ownIsMla && n === undefined ? spec.mla!.qkRopeHeadDim : mlaRope, false));
        break;
      case 'mla-naive':
        add(mlaShape(spec, ownIsMla ? spec.mla!.kvLoraRank : mlaRank, ownIsMla ? spec.mla!.qkRopeHeadDim : mlaRope, true));
        break;
      case 'naive':
        add(ownIsMla ? headsShape(spec, q, false, true) : headsShape(spec, spec.kvHeads, false, true));
        break;
    }
  }
  return out;
}

/** What one run of a case reads, writes and computes, by FlashMLA's formulas. */
export interface KernelWork {
  /** Σ over queries of the tokens each attends to (causal, window, chunk), over the batch. */
  attendedTokens: number;
  /** Distinct cached tokens read per sequence × batch: each K/V row is loaded once per KV head. */
  kvTokensRead: number;
  bytes: number;
  flops: number;
}

/**
 * The tokens [lo, hi) a query at position `pos` attends to: causal, then the sliding window or the
 * chunk it falls in. The kernels, the CPU reference and the byte/FLOP counts all follow this rule.
 */
export function attendedRange(pos: number, windowTokens: number, chunkTokens: number): [number, number] {
  const hi = pos + 1;
  let lo = 0;
  if (windowTokens > 0 && hi > windowTokens) lo = hi - windowTokens;
  if (chunkTokens > 0) lo = Math.floor(pos / chunkTokens) * chunkTokens;
  return [lo, hi];
}

/**
 * bytes = (KV tokens read · Hkv · (d_k + d_v, a shared latent counted once)) · B_kv
 *         + batch · s_q · Hq · (d_k · 4 + d_v · 4)   (queries read and outputs written in f32);
 * FLOPs = 2 · Hq · (d_k + d_v) · Σ attended tokens.
 */
export function kernelWork(c: KernelCase, kvElementBytes: number): KernelWork {
  let attended = 0;
  let lowest = c.contextTokens;
  for (let q = 0; q < c.numQueries; q++) {
    const [lo, hi] = attendedRange(c.contextTokens - c.numQueries + q, c.windowTokens, c.chunkTokens);
    attended += hi - lo;
    lowest = Math.min(lowest, lo);
  }
  const kvTokensRead = (c.contextTokens - lowest) * c.batch;
  const rowElements = c.headDim + (c.sharedKv ? 0 : c.vHeadDim);
  const bytes = kvTokensRead * c.kvHeads * rowElements * kvElementBytes + c.batch * c.numQueries * c.qHeads * (c.headDim + c.vHeadDim) * 4;
  const flops = 2 * c.qHeads * (c.headDim + c.vHeadDim) * attended * c.batch;
  return { attendedTokens: attended * c.batch, kvTokensRead, bytes, flops };
}

/** The derivation of a case's bytes and FLOPs with its own numbers, for `--explain` and hovers. */
export function kernelWorkDerivation(c: KernelCase, kvElementBytes: number): string[] {
  const w = kernelWork(c, kvElementBytes);
  const row = c.sharedKv ? `${c.headDim} (latent row, V = its first ${c.vHeadDim})` : `(${c.headDim} + ${c.vHeadDim})`;
  const range = c.windowTokens > 0 ? `, window ${int(c.windowTokens)}` : c.chunkTokens > 0 ? `, chunk ${int(c.chunkTokens)}` : '';
  return [
    `KV tokens read = ${int(w.kvTokensRead)} (${int(c.contextTokens)} context${range}${c.batch > 1 ? ` × batch ${c.batch}` : ''})`,
    `bytes = ${int(w.kvTokensRead)} × ${c.kvHeads} kv heads × ${row} × ${kvElementBytes} B + ${c.batch} × ${int(c.numQueries)} queries × ${c.qHeads} q heads × (${c.headDim} + ${c.vHeadDim}) × 4 B = ${int(w.bytes)} B`,
    `attended tokens = ${int(w.attendedTokens)}${c.numQueries > 1 ? ' (Σ over the causal queries of the tokens each sees)' : ''}`,
    `FLOPs = 2 × ${c.qHeads} q heads × (${c.headDim} + ${c.vHeadDim}) × ${int(w.attendedTokens)} = ${int(w.flops)}`,
  ];
}

/** Parses `--variants`: own, all, or a comma list. */
export function parseVariantsOption(text: string): 'own' | 'all' | string[] {
  const t = text.trim().toLowerCase();
  if (t === 'own' || t === 'all') return t;
  return t.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}
