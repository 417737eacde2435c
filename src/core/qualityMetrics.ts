/**
 * What kind of score each published metric is, and how a result is compared with its baseline: the one
 * table the report's data and its quality charts read, so that an MMLU accuracy, a perplexity and a
 * ROUGE average are never drawn on one axis. Keyed by the exact `metric` text of the evidence rows
 * (core/evidence.ts); a row whose metric is missing here fails test/unit/qualityMetrics.test.ts.
 * Pure data and arithmetic, no I/O; imported by the engine and by the report page.
 */

export type QualityKind = 'accuracy' | 'perplexity' | 'generation';

export interface QualityKindInfo {
  /** Chart heading: 'Accuracy-like scores'. */
  label: string;
  /** Benchmarks of this kind in the evidence, for the heading. */
  examples: string;
  higherIsBetter: boolean;
  /**
   * How a value is set against its baseline: 'points' = value − baseline, in percentage points (scores that
   * are already percentages of questions right); 'percent' = (value / baseline − 1) × 100, relative.
   */
  change: 'points' | 'percent';
  /** The unit a change is written in: 'pp' or '%'. */
  unit: 'pp' | '%';
}

/** The kinds, in the order the report draws them. */
export const QUALITY_KINDS: Readonly<Record<QualityKind, QualityKindInfo>> = Object.freeze({
  accuracy: { label: 'Accuracy-like scores', examples: 'MMLU, BBH, C-Eval, commonsense reasoning, retrieval', higherIsBetter: true, change: 'points', unit: 'pp' },
  perplexity: { label: 'Perplexity-like', examples: 'validation, Wikitext-2, PG19 perplexity', higherIsBetter: false, change: 'percent', unit: '%' },
  generation: { label: 'Generation scores', examples: 'ROUGE, BLEU, F1, LongBench', higherIsBetter: true, change: 'percent', unit: '%' },
});

export const QUALITY_KIND_ORDER: readonly QualityKind[] = Object.freeze(Object.keys(QUALITY_KINDS) as QualityKind[]);

export interface MetricClass {
  /** null: not a quality score (a cache size, a throughput, a statement without a number). */
  kind: QualityKind | null;
  /** A short name for legends and point labels, unique over the table: 'MMLU 5-shot (dense 7B ablation)'. */
  short: string;
  /** 'ln': the value is a natural-log perplexity; its change is the perplexity ratio e^(value − baseline) − 1. */
  scale?: 'ln';
  /** Why a result with this metric is listed in the table but never charted. */
  uncharted?: string;
}

const NOT_QUALITY = 'not a quality score';

/**
 * Every metric of core/evidence.ts. LongBench averages are generation scores: its tasks score generated
 * answers (F1, ROUGE-L, edit similarity) and the averages mix them; its PassageRetrieval task is accuracy
 * (the right paragraph named or not). BBH exact match is accuracy. The GQA paper's T5 average mixes
 * ROUGE-1, BLEU and F1 of generated text: a generation score.
 */
export const METRIC_CLASSES: Readonly<Record<string, MetricClass>> = Object.freeze({
  // ---- GQA / MQA
  'average dev score: ROUGE-1 on CNN/DM, arXiv, PubMed, MediaSum, MultiNews; BLEU on WMT EN-DE; F1 on TriviaQA (Table 1)': { kind: 'generation', short: 'T5 average dev score (ROUGE-1 / BLEU / F1)' },
  'performance on CNN/DM, MultiNews and TriviaQA (Fig. 4, a bar chart; no numbers in the text)': { kind: 'generation', short: 'T5-Large CNN/DM, MultiNews, TriviaQA (figure)' },
  'BLEU on the dev set, greedy decoding (Table 1)': { kind: 'generation', short: 'WMT14 EN-DE dev BLEU' },
  'per-subword-token ln(PPL) on the dev set (Table 1)': { kind: 'perplexity', short: 'WMT14 EN-DE dev perplexity (from ln PPL)', scale: 'ln' },
  'MMLU accuracy, 5-shot (Appendix D.1, Table 8)': { kind: 'accuracy', short: 'MMLU 5-shot (dense 7B ablation)' },
  'BBH exact match, 3-shot (Appendix D.1, Table 8)': { kind: 'accuracy', short: 'BBH 3-shot (dense 7B ablation)' },
  'C-Eval accuracy, 5-shot (Appendix D.1, Table 8)': { kind: 'accuracy', short: 'C-Eval 5-shot (dense 7B ablation)' },
  // Gemma 2 does not name the four benchmarks; they are averaged as scores out of 100.
  'average over 4 benchmarks (Table 8)': { kind: 'accuracy', short: 'Gemma 2 average of 4 benchmarks' },
  'validation perplexity (Table 1)': { kind: 'perplexity', short: 'CLA 1B validation perplexity' },
  // ---- MLA
  'KV cache elements per token (Table 1); not a quality number': { kind: null, short: 'KV cache elements per token', uncharted: NOT_QUALITY },
  'MMLU accuracy, 5-shot (Appendix D.2, Table 9)': { kind: 'accuracy', short: 'MMLU 5-shot (MoE ablation)' },
  'BBH exact match, 3-shot (Appendix D.2, Table 9)': { kind: 'accuracy', short: 'BBH 3-shot (MoE ablation)' },
  'KV cache size and generation throughput (§3.2.3); not a quality number': { kind: null, short: 'KV cache size and throughput', uncharted: NOT_QUALITY },
  'average over commonsense-reasoning benchmarks (Table 1)': { kind: 'accuracy', short: 'commonsense-reasoning average' },
  'LongBench average (Table 2)': { kind: 'generation', short: 'LongBench average (MHA2MLA)' },
  'drop in average score vs the original model, % (lower is better)': {
    kind: 'accuracy', short: 'drop in average score, %',
    uncharted: 'the source gives only the drop, not the score of the original model it is taken from (see the caveat), so there is no baseline to set it against',
  },
  // A score already relative to the original's (100): its change in points is its change in % of the original.
  'average benchmark score, % of the original model': { kind: 'accuracy', short: 'average score, % of the original model' },
  'quality relative to the original (abstract; no number recorded here)': { kind: null, short: 'quality relative to the original (no number)', uncharted: 'no number recorded' },
  // ---- KV quantization
  'perplexity from the llama.cpp perplexity tool': { kind: 'perplexity', short: 'llama.cpp perplexity' },
  'none (statement without numbers)': { kind: null, short: 'statement without numbers', uncharted: NOT_QUALITY },
  'LongBench average (MHA2MLA Table 2)': { kind: 'generation', short: 'LongBench average (HF quantized cache)' },
  'LongBench average': { kind: 'generation', short: 'LongBench average (KIVI)' },
  'LongBench PassageRetrieval score': { kind: 'accuracy', short: 'LongBench PassageRetrieval' },
  'Wikitext-2 perplexity': { kind: 'perplexity', short: 'Wikitext-2 perplexity' },
  // ---- windows, cross-layer
  'none (claim without an ablation)': { kind: null, short: 'claim without an ablation', uncharted: NOT_QUALITY },
  'validation perplexity (Table 10)': { kind: 'perplexity', short: 'Gemma 2 validation perplexity' },
  'perplexity (Fig. 3, §5.2); no number recorded here': { kind: 'perplexity', short: 'Gemma 3 perplexity (figure)' },
  'perplexity on the first book (65K tokens) of the PG19 test set (Table 1)': { kind: 'perplexity', short: 'PG19 perplexity' },
});

export function metricClass(metric: string): MetricClass | undefined {
  return Object.prototype.hasOwnProperty.call(METRIC_CLASSES, metric) ? METRIC_CLASSES[metric] : undefined;
}

/** A result set against its baseline, in its kind's unit; or why it cannot be. */
export type QualityChange =
  | { kind: QualityKind; short: string; changePoints: number }
  | { kind: QualityKind; short: string; changePercent: number }
  | { kind: QualityKind | null; short: string | null; uncharted: string };

/** Decimal places of a number as written (47.1 → 1). */
function decimals(x: number): number {
  const s = String(x);
  const dot = s.indexOf('.');
  return dot < 0 || s.includes('e') ? 0 : s.length - dot - 1;
}

/**
 * The change of `value` against `baseline` for `metric`: percentage points to the precision the two
 * numbers are written in (41.2 vs 45.2 → −4), or a relative change in % to three significant digits
 * (13.36 vs 13.15 → +1.6%; ln PPL 1.439 vs 1.424 → perplexity +1.51%). Nothing is guessed: an unknown
 * metric, a missing or zero baseline gives the reason instead.
 */
export function qualityChange(metric: string, value: number, baseline: number | null): QualityChange {
  const c = metricClass(metric);
  if (!c) return { kind: null, short: null, uncharted: 'its metric is not classified (accuracy-like, perplexity-like or generation score), so it has no axis to go on' };
  if (c.uncharted !== undefined || c.kind === null) return { kind: c.kind, short: c.short, uncharted: c.uncharted ?? NOT_QUALITY };
  if (baseline === null) return { kind: c.kind, short: c.short, uncharted: 'the source gives no baseline value in the same study to set it against' };
  if (!Number.isFinite(value) || !Number.isFinite(baseline)) return { kind: c.kind, short: c.short, uncharted: 'not a finite number' };
  if (QUALITY_KINDS[c.kind].change === 'points') {
    const dp = Math.max(decimals(value), decimals(baseline));
    return { kind: c.kind, short: c.short, changePoints: roundTo(value - baseline, dp) };
  }
  const ratio = c.scale === 'ln' ? Math.exp(value - baseline) : baseline === 0 ? NaN : value / baseline;
  if (!Number.isFinite(ratio)) return { kind: c.kind, short: c.short, uncharted: 'its baseline is 0: no relative change' };
  return { kind: c.kind, short: c.short, changePercent: sig3((ratio - 1) * 100) };
}

function roundTo(x: number, dp: number): number {
  const r = Number(x.toFixed(dp));
  return r === 0 ? 0 : r;
}

function sig3(x: number): number {
  const r = Number(x.toPrecision(3));
  return r === 0 ? 0 : r;
}

/** "+1.5 pp", "−4.0 pp", "+0.0353%", "±0.0 pp": a change with its sign and unit (points keep one decimal at least). */
export function changeText(change: number, unit: QualityKindInfo['unit']): string {
  const sign = change > 0 ? '+' : change < 0 ? '−' : '±';
  const abs = Math.abs(change);
  return unit === 'pp' ? `${sign}${abs.toFixed(Math.max(1, decimals(abs)))} pp` : `${sign}${String(abs)}%`;
}
