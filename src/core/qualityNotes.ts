/**
 * The quality side of a what-if, for hovers and the report: which targets a config key is about, the
 * published evidence for them, and what was measured on this model's weights — each said for what it is
 * ("weight-space error before uptraining", "published: T5-XXL … after 5% uptraining").
 */
import type { AttentionSpec } from './attentionSpec';
import { CONFIG_KEYS, type ConfigField, type KeyInfo, type Tradeoff } from './configKeys';
import { percent } from './format';
import { evidenceFor, evidenceLine, parseTarget, type Evidence } from './evidence';
import { qualityChange } from './qualityMetrics';
import type { WeightsMeasurementJson } from '../shared/qualityProtocol';
import type { QualityEvidence, ReportVariant } from '../shared/reportProtocol';

/** The conversions a key's hover speaks about. */
export function targetsForField(field: ConfigField, spec: AttentionSpec): string[] {
  const tradeoff: Tradeoff | undefined = (CONFIG_KEYS[field] as KeyInfo).tradeoff;
  return tradeoff ? TRADEOFF_TARGETS[tradeoff](spec) : [];
}

/** The what-if targets each kind of trade shows for this model. */
const TRADEOFF_TARGETS: Record<Tradeoff, (spec: AttentionSpec) => string[]> = {
  kvHeads: (spec) => (spec.mla ? ['mla-512'] : [...(spec.kvHeads > 2 ? [`gqa-${Math.max(2, Math.floor(spec.kvHeads / 2))}`] : []), 'mqa', 'mla-512']),
  mlaRank: (spec) => [`mla-${spec.mla?.kvLoraRank ?? 512}`],
  kvDtype: () => ['kv-fp8', 'kv-int8', 'kv-int4'],
  window: (spec) => [`window-${spec.layers.find((l) => l.kind === 'sliding')?.windowTokens ?? 4096}`],
};

/** Markdown lines for a hover: measured first (when a run exists), then at most two published rows per target. */
export function qualityLines(targets: readonly string[], context: { params?: number; kvHeads?: number; qHeads?: number }, measured?: WeightsMeasurementJson): string[] {
  const lines: string[] = [];
  for (const target of targets) {
    const m = measured?.conversions.find((c) => c.target === target);
    const published = evidenceFor(target, context).slice(0, 2);
    if (!m && published.length === 0) continue;
    const parts: string[] = [];
    if (m) parts.push(`${target.toUpperCase()} on this model's weights: K error ${percent(m.kRelError)}, V error ${percent(m.vRelError)}${m.energyRetained !== undefined ? `, energy kept ${percent(m.energyRetained)}` : ''} (${m.what})`);
    for (const e of published) parts.push(`published: ${evidenceLine(e)}`);
    lines.push(`${target}: ${parts.join(' · ')}`);
  }
  return lines;
}

/** This model's cache sizes an MLA row's kept fraction is compared with (elements per layer). */
export interface MlaShape {
  /** K + V elements one token caches per layer as MHA (all query heads with their own K/V). */
  mhaElementsPerLayer: number;
  /** The shared RoPE key width the report's MLA variants add to their latent. */
  ropeDim: number;
}

/** The report's tradeoff points: published numbers for the variants it charts (never a number a source did not give). */
export function reportEvidence(variants: readonly ReportVariant[], context: { params?: number; kvHeads?: number; qHeads?: number; mla?: MlaShape }): QualityEvidence[] {
  const out: QualityEvidence[] = [];
  for (const v of variants) {
    const target = v.kind === 'dtype' ? v.id : v.kind === 'heads' || v.kind === 'mla' ? v.id : undefined;
    if (!target) continue;
    const t = parseTarget(target);
    for (const e of evidenceFor(target, context)) {
      // A point sits at this variant's bytes: only rows about that very shape (same KV heads, same
      // bits; MQA is MQA; MLA rows only at the cache size they state) — never a neighbour's number.
      if (e.value === null || !t) continue;
      // MQA is one KV head (groups 1): the GQA rows evidenceFor ranks as its neighbours are not about it.
      if ((t.kind === 'gqa' || t.kind === 'mqa') && e.match.groups !== t.groups) continue;
      if (t.kind === 'kv-quant' && e.match.bits !== t.bits) continue;
      if (t.kind === 'mla' && !mlaRowMatches(e.match.keptFraction, t.rank, context.mla)) continue;
      out.push(withChange({
        variant: v.id, metric: e.metric, value: e.value, baseline: e.baseline, source: `${e.source} — ${e.setting}`, caveat: caveatOf(e),
        baselineLabel: e.baselineLabel, modelScale: e.modelScale, trainingBudget: e.trainingBudget,
      }));
    }
  }
  return out;
}

/**
 * A published point with its metric's kind and its change against its own baseline (core/qualityMetrics.ts),
 * or the reason it is listed but not charted. Recomputed from metric, value and baseline whatever the
 * point carried: the chart draws only what this table says.
 */
export function withChange(e: QualityEvidence): QualityEvidence {
  const rest = { ...e };
  delete rest.metricKind;
  delete rest.changePoints;
  delete rest.changePercent;
  delete rest.uncharted;
  const c = qualityChange(e.metric, e.value, e.baseline);
  if ('uncharted' in c) return { ...rest, ...(c.kind ? { metricKind: c.kind } : {}), uncharted: c.uncharted };
  return { ...rest, metricKind: c.kind, ...('changePoints' in c ? { changePoints: c.changePoints } : { changePercent: c.changePercent }) };
}

/**
 * MLA rows state the cache they keep as a fraction of MHA's, which for this model is a latent rank:
 * rank + RoPE = fraction × MHA's K+V elements per layer. A row matches the MLA-r variant only when r
 * keeps the same fraction to the precision the row states (0.07 → ±0.005); a row stating no fraction
 * (about MLA in general) matches any rank; without this model's shape no sized row matches.
 */
export function mlaRowMatches(keptFraction: number | undefined, rank: number | undefined, shape: MlaShape | undefined): boolean {
  if (keptFraction === undefined) return true;
  if (rank === undefined || !shape || !(shape.mhaElementsPerLayer > 0)) return false;
  const kept = (rank + shape.ropeDim) / shape.mhaElementsPerLayer;
  return Math.abs(kept - keptFraction) <= statedPrecision(keptFraction) + 1e-12;
}

/** Half a unit in the last decimal place written: 0.07 → 0.005, 0.1875 → 0.00005. */
function statedPrecision(x: number): number {
  const s = String(x);
  const dot = s.indexOf('.');
  return 0.5 * 10 ** -(dot < 0 ? 0 : s.length - dot - 1);
}

function caveatOf(e: Evidence): string {
  return `${e.modelScale}, ${e.trainingBudget} (${e.origin})${e.caveat ? `; ${e.caveat}` : ''}`;
}
