/**
 * What-if variants of the same model: the attention re-shaped as MHA, GQA-g for every g dividing the
 * query heads, MQA, MLA with a chosen latent rank, and the same attention with other KV dtypes. Each
 * is an AttentionSpec the cost and budget code runs unchanged; windows and layer kinds stay as they are.
 */
import { divisors, type AttentionSpec, type LayerSpec, type MlaDims } from './attentionSpec';
import { attentionParams } from './weights';

export type VariantKind = 'own' | 'heads' | 'mla' | 'dtype';

export interface VariantShape {
  /** Stable id: own, mha, gqa-8, mqa, mla-512, kv-fp8. */
  id: string;
  label: string;
  kind: VariantKind;
  spec: AttentionSpec;
  /** Set for dtype variants. */
  kvDtype?: string;
  note?: string;
}

export const DEFAULT_MLA_RANK = 512;
export const DEFAULT_MLA_ROPE = 64;

/** The same model with `kvHeads` KV heads on every softmax layer (MLA models become per-head K/V). */
export function withKvHeads(spec: AttentionSpec, kvHeads: number): AttentionSpec {
  // An MLA model re-shaped as MHA/GQA uses its value head size for K and V (DeepSeek-V2's comparison, Table 1).
  const d = spec.mla ? spec.mla.vHeadDim : spec.headDim;
  const dv = spec.mla ? spec.mla.vHeadDim : spec.vHeadDim;
  const variant = kvHeads === spec.qHeads ? 'mha' : kvHeads === 1 ? 'mqa' : 'gqa';
  const layers = spec.layers.map((l): LayerSpec => {
    if (l.variant === null) return l;
    const { mla: _drop, ...rest } = l;
    return { ...rest, variant, kvHeads, kHeadDim: d, vHeadDim: dv };
  });
  const { mla: _mla, ...base } = spec;
  return { ...base, variant, kvHeads, configKvHeads: kvHeads, headDim: d, vHeadDim: dv, layers };
}

/** The same model with MLA: a latent of `rank` plus a `rope`-wide shared RoPE key on every softmax layer. */
export function withMla(spec: AttentionSpec, rank: number, rope: number): AttentionSpec {
  const mla: MlaDims = spec.mla
    ? { ...spec.mla, kvLoraRank: rank, qkRopeHeadDim: rope }
    : { kvLoraRank: rank, qkRopeHeadDim: rope, qkNopeHeadDim: spec.headDim, vHeadDim: spec.vHeadDim, qLoraRank: null };
  const layers = spec.layers.map((l): LayerSpec => (l.variant === null ? l : { ...l, variant: 'mla', kvHeads: 1, kHeadDim: mla.qkNopeHeadDim + rope, vHeadDim: mla.vHeadDim, mla }));
  return { ...spec, variant: 'mla', kvHeads: 1, headDim: mla.qkNopeHeadDim + rope, vHeadDim: mla.vHeadDim, mla, layers };
}

export function headVariants(spec: AttentionSpec, mlaRank = DEFAULT_MLA_RANK, mlaRope = DEFAULT_MLA_ROPE): VariantShape[] {
  const out: VariantShape[] = [{ id: 'own', label: `${ownLabel(spec)} (as configured)`, kind: 'own', spec }];
  if (!spec.layers.some((l) => l.variant !== null)) return out;
  const own = spec.variant;
  const q = spec.qHeads;
  if (own !== 'mha') out.push({ id: 'mha', label: `MHA ${q} kv heads`, kind: 'heads', spec: withKvHeads(spec, q) });
  for (const g of divisors(q)) {
    if (g === 1 || g === q) continue;
    if (own === 'gqa' && g === spec.kvHeads) continue;
    out.push({ id: `gqa-${g}`, label: `GQA-${g} (${q / g} q heads per kv head)`, kind: 'heads', spec: withKvHeads(spec, g) });
  }
  if (own !== 'mqa' && q > 1) out.push({ id: 'mqa', label: 'MQA 1 kv head', kind: 'heads', spec: withKvHeads(spec, 1) });
  const ownMlaSame = spec.mla && spec.mla.kvLoraRank === mlaRank && spec.mla.qkRopeHeadDim === mlaRope;
  if (!ownMlaSame) {
    out.push({
      id: `mla-${mlaRank}`, label: `MLA latent ${mlaRank} + RoPE ${mlaRope}`, kind: 'mla', spec: withMla(spec, mlaRank, mlaRope),
      note: spec.mla ? undefined : 'Converting a trained model to MLA needs fine-tuning (MHA2MLA, TransMLA).',
    });
  }
  return out;
}

export function ownLabel(spec: AttentionSpec): string {
  switch (spec.variant) {
    case 'mla': return `MLA latent ${spec.mla?.kvLoraRank} + RoPE ${spec.mla?.qkRopeHeadDim}`;
    case 'mha': return `MHA ${spec.qHeads} heads`;
    case 'mqa': return `MQA ${spec.qHeads} q / 1 kv head`;
    case 'gqa': return `GQA ${spec.qHeads} q / ${spec.kvHeads} kv heads`;
    case 'mixed': return 'mixed attention';
    case 'none': return 'no attention';
  }
}

/** Attention projection parameters over all layers (what a variant changes in the weights). */
export function totalAttentionParams(spec: AttentionSpec, bias: boolean): number {
  return spec.layers.reduce((s, l) => s + attentionParams(spec.hiddenSize, l, bias), 0);
}

/**
 * Attention FLOPs to decode one token at `contextTokens`: projections (2 per weight) plus scores and
 * the weighted sum over the cached tokens each layer attends to. MLA runs absorbed, as runtimes decode
 * it: scores over the (rank + rope)-wide latent, the weighted sum over its rank-wide part.
 */
export function decodeAttentionFlops(spec: AttentionSpec, contextTokens: number, bias: boolean): number {
  let flops = 0;
  for (const l of spec.layers) {
    if (l.variant === null) {
      const s = spec.linear;
      flops += s ? 4 * s.numValueHeads * s.keyHeadDim * s.valueHeadDim : 0;
      continue;
    }
    flops += 2 * attentionParams(spec.hiddenSize, l, bias);
    const attended = (l.kind === 'sliding' || l.kind === 'chunked') && l.windowTokens !== undefined ? Math.min(contextTokens, l.windowTokens) : contextTokens;
    const width = l.mla ? 2 * l.mla.kvLoraRank + l.mla.qkRopeHeadDim : l.kHeadDim + l.vHeadDim;
    flops += 2 * l.qHeads * attended * width;
  }
  return flops;
}
