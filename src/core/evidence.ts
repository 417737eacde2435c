/**
 * The published quality evidence for a what-if (GQA-N, MQA, MLA, KV quantization, windows): each row as
 * its source reports it, with the model scale, the training budget and what the number does not say.
 * Nothing here is derived or extrapolated; a row whose number could not be checked against the paper
 * has `value: null`. Where every number was checked: test/fixtures/EVIDENCE_SOURCES.md.
 * Pure data and lookups, no I/O; hovers, the report and `attention-lens quality` all read from here.
 */

import { parseVariantName } from './variantNames';

export type EvidenceKind = 'gqa' | 'mqa' | 'mla' | 'kv-quant' | 'window' | 'cross-layer';

export interface Evidence {
  /** Stable, e.g. 'gqa-t5xxl-uptrain'. */
  id: string;
  kind: EvidenceKind;
  /** What the row is about, matched against targets: { groups: 8 } is GQA-8 (8 KV heads), { bits: 8 } 8-bit KV, { keptFraction: 0.125 } an MLA cache 12.5% of MHA's, { windowTokens: 4096 }. */
  match: { groups?: number; bits?: number; keptFraction?: number; windowTokens?: number };
  setting: string;
  modelScale: string;
  trainingBudget: string;
  /** trained-in vs converted checkpoint vs inference-time only. */
  origin: 'trained' | 'converted' | 'post-hoc';
  metric: string;
  /** null when the source gives no number or it could not be verified. */
  value: number | null;
  baseline: number | null;
  baselineLabel: string;
  higherIsBetter: boolean;
  source: string;
  url: string;
  /** What the number does NOT say (scale, uptraining, benchmark). */
  caveat: string;
  /** How it was checked: in the paper, in a full-text copy of the paper, in docs, in a repository or PR. */
  verified: 'paper' | 'paper-copy' | 'docs' | 'repository';
  /** For rows without numbers, the source's own words. */
  quote?: string;
}

/** Lookup-only facts kept beside each row: the hover subject, the budget phrase and, for ordering only, the parameter count. */
interface RowMeta {
  /** Subject of the hover line: 'T5-XXL GQA-8'. */
  short: string;
  /** How the number was obtained, for the hover: 'after 5% uptraining'. */
  when: string;
  /** Parameters of the model the row is about (ordering by scale only; never shown as a result). */
  params?: number;
  /** KV storage format of the row (kv-quant only): an exact-format row comes before other rows of the same width. */
  format?: string;
}

type Def = Evidence & RowMeta;

const GQA = { source: 'Ainslie et al. 2023, GQA, arXiv 2305.13245', url: 'https://arxiv.org/abs/2305.13245' };
const MQA_PAPER = { source: 'Shazeer 2019, Fast Transformer Decoding: One Write-Head is All You Need, arXiv 1911.02150', url: 'https://arxiv.org/abs/1911.02150' };
const DSV2 = { source: 'DeepSeek-AI 2024, DeepSeek-V2, arXiv 2405.04434', url: 'https://arxiv.org/abs/2405.04434' };
const GEMMA2 = { source: 'Gemma Team 2024, Gemma 2, arXiv 2408.00118', url: 'https://arxiv.org/abs/2408.00118' };
const CLA = { source: 'Brandon et al. 2024, Cross-Layer Attention, arXiv 2405.12981, Table 1', url: 'https://arxiv.org/abs/2405.12981' };
const MHA2MLA = { source: 'Ji et al. 2025, MHA2MLA, arXiv 2502.14837', url: 'https://arxiv.org/abs/2502.14837' };
const KIVI = { source: 'Liu et al. 2024, KIVI, jy-yuan/KIVI docs/long_bench.md', url: 'https://github.com/jy-yuan/KIVI/blob/main/docs/long_bench.md' };
const KVQUANT = { source: 'Hooper et al. 2024, KVQuant, arXiv 2401.18079, Table 18 (Appendix O; LLaMA-7B column)', url: 'https://arxiv.org/abs/2401.18079' };

const DS_DENSE_CAVEAT = 'One ablation at one scale, by the authors of MLA, made to show MHA ahead of GQA/MQA on hard benchmarks; the three models differ in layer count (parameters aligned to ~7B).';
const DS_MOE_CAVEAT = 'MLA trained in from the start on MoE models, not a conversion of an existing checkpoint; MLA is not ahead everywhere (small MoE C-Eval: 50.9 MLA vs 51.6 MHA).';
const MHA2MLA_T1_CAVEAT = 'A converted Llama-2-7B (partial RoPE + joint SVD of the K/V projections, then fine-tuning); short-context commonsense benchmarks only; smaller models lose more.';
const MHA2MLA_DROP_CAVEAT = 'The drops are as this table lists them; the 7B figure does not follow from the Table 1 averages above (59.61 vs 59.85 is 0.40%), so they are probably taken against another reference — check the paper before quoting one.';
const KVQUANT_CAVEAT = 'Post-hoc, but not plain rounding: per-layer non-uniform datatypes calibrated offline on 16 Wikitext-2 samples, pre-RoPE per-channel keys; perplexity on the calibration domain at LLaMA\'s 2K context.';

const ROWS: readonly Def[] = [
  // ---- Grouped-query and multi-query attention ----
  {
    id: 'gqa-t5xxl-uptrain', kind: 'gqa', match: { groups: 8 },
    setting: 'T5-XXL MHA checkpoint mean-pooled to GQA-8 (8 KV heads) in decoder self- and cross-attention, then uptrained on 5% of the original pre-training steps',
    modelScale: 'T5-XXL (11B)', trainingBudget: '5% uptraining (α = 0.05, about 600 TPUv3 chip-days)', origin: 'converted',
    metric: 'average dev score: ROUGE-1 on CNN/DM, arXiv, PubMed, MediaSum, MultiNews; BLEU on WMT EN-DE; F1 on TriviaQA (Table 1)',
    value: 47.1, baseline: 47.2, baselineLabel: 'MHA', higherIsBetter: true,
    source: `${GQA.source}, Table 1`, url: GQA.url,
    caveat: 'Encoder-decoder T5, not a decoder-only LLM; GQA only in the decoder (8× smaller decoder KV, 64 → 8 heads); 0.28 s vs 1.51 s per sample (TPUv4); no from-scratch GQA model to compare at this scale.',
    verified: 'paper-copy', short: 'T5-XXL GQA-8', when: 'after 5% uptraining', params: 11e9,
  },
  {
    id: 'mqa-t5xxl-uptrain', kind: 'mqa', match: { groups: 1 },
    setting: 'T5-XXL MHA checkpoint mean-pooled to MQA (1 KV head) in decoder self- and cross-attention, then uptrained on 5% of the original pre-training steps',
    modelScale: 'T5-XXL (11B)', trainingBudget: '5% uptraining (α = 0.05, about 600 TPUv3 chip-days)', origin: 'converted',
    metric: 'average dev score: ROUGE-1 on CNN/DM, arXiv, PubMed, MediaSum, MultiNews; BLEU on WMT EN-DE; F1 on TriviaQA (Table 1)',
    value: 46.6, baseline: 47.2, baselineLabel: 'MHA', higherIsBetter: true,
    source: `${GQA.source}, Table 1`, url: GQA.url,
    caveat: 'Encoder-decoder T5; MQA only in the decoder (64× smaller decoder KV); 0.24 s vs 1.51 s per sample (TPUv4); the paper finds MQA needs the uptraining to be useful, where GQA is reasonable right after conversion (Fig. 5).',
    verified: 'paper-copy', short: 'T5-XXL MQA', when: 'after 5% uptraining', params: 11e9,
  },
  {
    id: 'mqa-t5large-conversion-init', kind: 'mqa', match: { groups: 1 },
    setting: 'T5-Large uptrained to MQA (α = 0.05) with the KV head initialized three ways: mean-pooling the heads, the first head, or random',
    modelScale: 'T5-Large', trainingBudget: '5% uptraining (α = 0.05)', origin: 'converted',
    metric: 'performance on CNN/DM, MultiNews and TriviaQA (Fig. 4, a bar chart; no numbers in the text)',
    value: null, baseline: null, baselineLabel: 'first-head and random initialization', higherIsBetter: true,
    source: `${GQA.source}, Fig. 4`, url: GQA.url,
    caveat: 'A ranking read from a figure, not a number; one model (T5-Large), MQA only; the bar values are not printed in the paper.',
    verified: 'paper-copy',
    quote: 'Mean pooling appears to work best, followed by selecting a single head and then random initialization.',
    short: 'T5-Large MHA→MQA initialization', when: 'after 5% uptraining', params: 0.77e9,
  },
  {
    id: 'mqa-wmt14-bleu', kind: 'mqa', match: { groups: 1 },
    setting: 'WMT14 EN-DE encoder-decoder Transformer (6 layers, d_model 1024, h = 8, d_k = d_v = 128) trained with multi-query attention in every attention layer; FFN widened 4096 → 5440 to keep the parameter count',
    modelScale: '211M parameters', trainingBudget: '100k steps (~20 epochs) from scratch, each model', origin: 'trained',
    metric: 'BLEU on the dev set, greedy decoding (Table 1)',
    value: 26.5, baseline: 26.7, baselineLabel: 'MHA', higherIsBetter: true,
    source: `${MQA_PAPER.source}, Table 1`, url: MQA_PAPER.url,
    caveat: 'A small 2019 translation model with 8 heads (8× KV saving); on test with beam 4 MQA scored 28.5 vs 28.4; decoder inference 3.8 vs 46 µs per token on TPUv2 (Table 2).',
    verified: 'paper-copy', short: 'WMT14 EN-DE MQA (211M), dev BLEU', when: 'with both trained from scratch', params: 211e6,
  },
  {
    id: 'mqa-wmt14-lnppl', kind: 'mqa', match: { groups: 1 },
    setting: 'WMT14 EN-DE encoder-decoder Transformer (6 layers, d_model 1024, h = 8, d_k = d_v = 128) trained with multi-query attention in every attention layer; FFN widened 4096 → 5440 to keep the parameter count',
    modelScale: '211M parameters', trainingBudget: '100k steps (~20 epochs) from scratch, each model', origin: 'trained',
    metric: 'per-subword-token ln(PPL) on the dev set (Table 1)',
    value: 1.439, baseline: 1.424, baselineLabel: 'MHA', higherIsBetter: false,
    source: `${MQA_PAPER.source}, Table 1`, url: MQA_PAPER.url,
    caveat: 'A small 2019 translation model with 8 heads (8× KV saving); decoder inference 3.8 vs 46 µs per token on TPUv2 (Table 2).',
    verified: 'paper-copy', short: 'WMT14 EN-DE MQA (211M), dev ln(PPL)', when: 'with both trained from scratch', params: 211e6,
  },
  ...denseAblation('gqa', 8, 'GQA (8 groups)', 'dense 7B (GQA 6.9B, MHA 6.9B parameters)', { mmlu: 41.2, bbh: 35.6, ceval: 37.7 }),
  ...denseAblation('mqa', 1, 'MQA', 'dense 7B (MQA 7.1B, MHA 6.9B parameters)', { mmlu: 37.9, bbh: 33.2, ceval: 30.0 }),
  {
    id: 'gqa-gemma2-9b', kind: 'gqa', match: { groups: 8 },
    setting: 'Two instances of the Gemma 2 9B model, one with GQA (two query heads per KV head), one with MHA',
    modelScale: 'Gemma 2 9B', trainingBudget: 'trained from scratch (token count not given in the Table 8 caption)', origin: 'trained',
    metric: 'average over 4 benchmarks (Table 8)',
    value: 50.8, baseline: 50.3, baselineLabel: 'MHA', higherIsBetter: true,
    source: `${GEMMA2.source}, Table 8`, url: GEMMA2.url,
    caveat: 'Only a 2× KV saving; the benchmarks are not named in the caption; the authors read it as "overall few changes in performance", not as GQA being better.',
    verified: 'paper', short: 'Gemma 2 9B GQA (2× fewer KV heads)', when: 'with both trained from scratch', params: 9e9,
  },
  {
    id: 'gqa-cla-1b', kind: 'gqa', match: { groups: 4 },
    setting: '1B decoder trained with GQA-4 (4 KV heads) vs MHA: 40,960 vs 163,840 KV bytes per token',
    modelScale: '1B', trainingBudget: '30B tokens from scratch', origin: 'trained',
    metric: 'validation perplexity (Table 1)',
    value: 13.36, baseline: 13.15, baselineLabel: 'MHA', higherIsBetter: false,
    source: CLA.source, url: CLA.url,
    caveat: 'A small model on a short 30B-token budget; perplexity only, no downstream tasks.',
    verified: 'paper', short: '1B GQA-4, val PPL', when: 'with both trained on 30B tokens', params: 1e9,
  },
  {
    id: 'mqa-cla-1b', kind: 'mqa', match: { groups: 1 },
    setting: '1B decoder trained with MQA vs MHA: 10,240 vs 163,840 KV bytes per token',
    modelScale: '1B', trainingBudget: '30B tokens from scratch', origin: 'trained',
    metric: 'validation perplexity (Table 1)',
    value: 13.54, baseline: 13.15, baselineLabel: 'MHA', higherIsBetter: false,
    source: CLA.source, url: CLA.url,
    caveat: 'A small model on a short 30B-token budget; perplexity only, no downstream tasks.',
    verified: 'paper', short: '1B MQA, val PPL', when: 'with both trained on 30B tokens', params: 1e9,
  },
  // ---- Multi-head latent attention ----
  {
    id: 'mla-deepseek-v2-kv-formula', kind: 'mla', match: {},
    setting: 'KV elements cached per token: MHA 2·n_h·d_h·l, GQA 2·n_g·d_h·l, MQA 2·d_h·l, MLA (d_c + d_h^R)·l ≈ 4.5·d_h·l, i.e. MLA caches as much as GQA with 2.25 groups',
    modelScale: 'DeepSeek-V2 architecture (no model trained for this row)', trainingBudget: 'none (cache-size arithmetic)', origin: 'trained',
    metric: 'KV cache elements per token (Table 1); not a quality number',
    value: null, baseline: null, baselineLabel: 'MHA', higherIsBetter: true,
    source: `${DSV2.source}, Table 1`, url: DSV2.url,
    caveat: 'Cache arithmetic only; the quality claim for MLA rests on the Table 9 ablation, not on this table.',
    verified: 'paper', short: 'DeepSeek-V2 MLA cache size', when: 'cache arithmetic only',
  },
  ...moeAblation('small', 0.14, 'small MoE, 15.7B total / 2.4B activated (MHA variant 15.8B / 2.5B); 15.6K vs 110.6K KV elements per token', '1.33T tokens from scratch', 15.7e9, { mmlu: [50.0, 48.7], bbh: [39.0, 37.9] }),
  ...moeAblation('large', 0.04, 'large MoE, 247.4B total / 21.5B activated (MHA variant 250.8B / 25.0B); 34.6K vs 860.2K KV elements per token', '420B tokens from scratch', 247.4e9, { mmlu: [59.0, 57.5], bbh: [50.7, 46.6] }),
  {
    id: 'mla-deepseek-v2-deployed', kind: 'mla', match: {},
    setting: 'DeepSeek-V2 as deployed vs DeepSeek 67B: KV cache −93.3%, maximum generation throughput 5.76×',
    modelScale: 'DeepSeek-V2 (MoE) vs DeepSeek 67B (dense)', trainingBudget: 'full pre-training of both models', origin: 'trained',
    metric: 'KV cache size and generation throughput (§3.2.3); not a quality number',
    value: null, baseline: null, baselineLabel: 'DeepSeek 67B', higherIsBetter: true,
    source: `${DSV2.source}, §3.2.3`, url: DSV2.url,
    caveat: 'Includes KV-cache quantization (about 6 bits per element) on top of MLA and compares two different models: not the saving of MLA alone.',
    verified: 'paper', quote: 'reduces the KV cache by 93.3%', short: 'DeepSeek-V2 (deployed)', when: 'as deployed',
  },
  ...mha2mlaTable1(),
  {
    id: 'mla-mha2mla-llama2-7b-int4-longbench', kind: 'mla', match: { keptFraction: 0.0781 },
    setting: 'Llama-2-7B converted to MLA with MHA2MLA and its KV cache also quantized to Int4: KV cache −92.19%',
    modelScale: 'Llama-2-7B', trainingBudget: '6B tokens of fine-tuning (conversion), quantization post-hoc', origin: 'converted',
    metric: 'LongBench average (Table 2)',
    value: 26.9, baseline: 27.4, baselineLabel: 'original Llama-2-7B', higherIsBetter: true,
    source: `${MHA2MLA.source}, Table 2`, url: MHA2MLA.url,
    caveat: 'Two compressions stacked (MLA conversion + 4-bit KV); LongBench only.',
    verified: 'paper', short: 'Llama-2-7B → MLA + Int4 KV, LongBench', when: 'after 6B tokens of fine-tuning', params: 7e9,
  },
  ...mha2mlaDrops(),
  {
    id: 'mla-x-ecomla-llama32-1b-6_4x', kind: 'mla', match: { keptFraction: 0.156 },
    setting: 'Llama3.2-1B-Instruct converted to MLA by distillation (X-EcoMLA), KV cache 6.4× smaller',
    modelScale: 'Llama3.2-1B-Instruct', trainingBudget: 'distillation (token budget not recorded here)', origin: 'converted',
    metric: 'average benchmark score, % of the original model',
    value: 100, baseline: 100, baselineLabel: 'original model', higherIsBetter: true,
    source: 'X-EcoMLA 2025, arXiv 2503.11132', url: 'https://arxiv.org/abs/2503.11132',
    caveat: 'A 1B instruct model recovered by distillation from a teacher; one small model; score relative to the original, not an absolute benchmark number.',
    verified: 'paper', short: 'Llama3.2-1B → MLA (6.4× smaller KV)', when: 'after distillation', params: 1e9,
  },
  {
    id: 'mla-x-ecomla-llama32-1b-10_6x', kind: 'mla', match: { keptFraction: 0.0943 },
    setting: 'Llama3.2-1B-Instruct converted to MLA by distillation (X-EcoMLA), KV cache 10.6× smaller',
    modelScale: 'Llama3.2-1B-Instruct', trainingBudget: 'distillation (token budget not recorded here)', origin: 'converted',
    metric: 'average benchmark score, % of the original model',
    value: 99.9, baseline: 100, baselineLabel: 'original model', higherIsBetter: true,
    source: 'X-EcoMLA 2025, arXiv 2503.11132', url: 'https://arxiv.org/abs/2503.11132',
    caveat: 'The source says more than 99.9%; a 1B instruct model recovered by distillation; score relative to the original.',
    verified: 'paper', short: 'Llama3.2-1B → MLA (10.6× smaller KV)', when: 'after distillation', params: 1e9,
  },
  {
    id: 'mla-transmla-llama2-7b', kind: 'mla', match: { keptFraction: 0.07 },
    setting: 'Llama-2-7B converted to MLA with TransMLA: KV cache −93%, 10.6× speedup at 8K context',
    modelScale: 'Llama-2-7B', trainingBudget: '6B tokens of fine-tuning', origin: 'converted',
    metric: 'quality relative to the original (abstract; no number recorded here)',
    value: null, baseline: null, baselineLabel: 'original Llama-2-7B', higherIsBetter: true,
    source: 'TransMLA 2025, arXiv 2502.07864, abstract', url: 'https://arxiv.org/abs/2502.07864',
    caveat: 'An abstract-level claim: which benchmarks are "on par" is not recorded here.',
    verified: 'paper', quote: 'on par', short: 'Llama-2-7B → MLA (TransMLA, −93% KV)', when: 'after 6B tokens of fine-tuning', params: 7e9,
  },
  // ---- KV-cache quantization ----
  {
    id: 'kv-llamacpp-q8_0', kind: 'kv-quant', match: { bits: 8 },
    setting: 'llama.cpp CUDA research build: K and V cache both q8_0 (8.5 bits per value), f16 weights',
    modelScale: 'model not named in the PR comment read (f16 weights)', trainingBudget: 'none (post-hoc)', origin: 'post-hoc',
    metric: 'perplexity from the llama.cpp perplexity tool',
    value: 6.2344, baseline: 6.2322, baselineLabel: 'f16 KV', higherIsBetter: false,
    source: 'Gaessler 2024, llama.cpp PR #7412 (CUDA: quantized KV cache demo), comment of 2024-05-20', url: 'https://github.com/ggml-org/llama.cpp/pull/7412',
    caveat: 'A research-only demo PR, one model, one run; KL divergence to the reference 0.00098 (f16 KV itself 0.00019).',
    verified: 'repository', short: 'llama.cpp KV q8_0/q8_0', when: 'with no retraining', format: 'q8_0',
  },
  {
    id: 'kv-vllm-fp8-e4m3', kind: 'kv-quant', match: { bits: 8 },
    setting: 'vLLM FP8 E4M3 KV cache with per-tensor scaling factors',
    modelScale: 'any (general statement)', trainingBudget: 'none (post-hoc)', origin: 'post-hoc',
    metric: 'none (statement without numbers)',
    value: null, baseline: null, baselineLabel: 'fp16/bf16 KV', higherIsBetter: true,
    source: 'vLLM docs, FP8 E4M3 KV Cache', url: 'https://docs.vllm.ai/en/latest/quantization/fp8_e4m3_kvcache.html',
    caveat: 'The page gives no numbers, model or benchmark.',
    verified: 'docs', quote: 'Studies have shown that FP8 E4M3 quantization typically only minimally degrades inference accuracy.',
    short: 'vLLM FP8 E4M3 KV', when: 'with no retraining', format: 'fp8',
  },
  ...hfKvQuant(),
  {
    id: 'kv-kivi4-longchat7b', kind: 'kv-quant', match: { bits: 4 },
    setting: 'KIVI 4-bit KV (keys per channel, values per token, grouped, recent tokens kept in full precision) on LongChat-7B',
    modelScale: 'LongChat-7B (MHA)', trainingBudget: 'none (post-hoc, tuning-free)', origin: 'post-hoc',
    metric: 'LongBench average',
    value: 38.79, baseline: 38.72, baselineLabel: 'fp16 KV', higherIsBetter: true,
    source: KIVI.source, url: KIVI.url,
    caveat: 'One 7B MHA model; the full-precision residual window and group scales add to the 4 bits.',
    verified: 'repository', short: 'LongChat-7B KIVI-4, LongBench', when: 'with no retraining', params: 7e9, format: 'kivi',
  },
  {
    id: 'kv-kivi2-longchat7b', kind: 'kv-quant', match: { bits: 2 },
    setting: 'KIVI 2-bit KV (keys per channel, values per token, grouped, recent tokens kept in full precision) on LongChat-7B',
    modelScale: 'LongChat-7B (MHA)', trainingBudget: 'none (post-hoc, tuning-free)', origin: 'post-hoc',
    metric: 'LongBench average',
    value: 38.30, baseline: 38.72, baselineLabel: 'fp16 KV', higherIsBetter: true,
    source: KIVI.source, url: KIVI.url,
    caveat: 'One 7B MHA model; the full-precision residual window and group scales add to the 2 bits.',
    verified: 'repository', short: 'LongChat-7B KIVI-2, LongBench', when: 'with no retraining', params: 7e9, format: 'kivi',
  },
  {
    id: 'kv-kivi2-mistral7b', kind: 'kv-quant', match: { bits: 2 },
    setting: 'KIVI 2-bit KV on Mistral-7B, a GQA model (8 KV heads, so each KV head already serves 4 query heads)',
    modelScale: 'Mistral-7B (GQA)', trainingBudget: 'none (post-hoc, tuning-free)', origin: 'post-hoc',
    metric: 'LongBench average',
    value: 42.43, baseline: 43.54, baselineLabel: 'fp16 KV', higherIsBetter: true,
    source: KIVI.source, url: KIVI.url,
    caveat: 'The authors advise 4-bit for GQA/MQA models: their KV is already shared, so 2-bit hurts more.',
    verified: 'repository', short: 'Mistral-7B (GQA) KIVI-2, LongBench', when: 'with no retraining', params: 7e9, format: 'kivi',
  },
  {
    id: 'kv-kivi2-mistral7b-passage-retrieval', kind: 'kv-quant', match: { bits: 2 },
    setting: 'KIVI 2-bit KV on Mistral-7B (GQA), LongBench PassageRetrieval task',
    modelScale: 'Mistral-7B (GQA)', trainingBudget: 'none (post-hoc, tuning-free)', origin: 'post-hoc',
    metric: 'LongBench PassageRetrieval score',
    value: 80.8, baseline: 89.3, baselineLabel: 'fp16 KV', higherIsBetter: true,
    source: KIVI.source, url: KIVI.url,
    caveat: 'One retrieval task, where the loss is largest; the authors advise 4-bit for GQA/MQA models.',
    verified: 'repository', short: 'Mistral-7B (GQA) KIVI-2, PassageRetrieval', when: 'with no retraining', params: 7e9, format: 'kivi',
  },
  ...kvQuantRows(),
  // ---- Sliding windows, local:global mixes, cross-layer sharing ----
  {
    id: 'window-mistral7b-4096', kind: 'window', match: { windowTokens: 4096 },
    setting: 'Mistral 7B trained with a 4096-token sliding window and a rolling-buffer cache',
    modelScale: 'Mistral 7B', trainingBudget: 'trained with the window (token count not disclosed)', origin: 'trained',
    metric: 'none (claim without an ablation)',
    value: null, baseline: null, baselineLabel: 'full attention', higherIsBetter: true,
    source: 'Jiang et al. 2023, Mistral 7B, arXiv 2310.06825, §2', url: 'https://arxiv.org/abs/2310.06825',
    caveat: 'The 8× is the cache at 32K vs an unbounded cache; the paper shows no quality ablation of the window.',
    verified: 'paper-copy', quote: 'On a sequence length of 32k tokens, this reduces the cache memory usage by 8x, without impacting the model quality.',
    short: 'Mistral 7B window 4096', when: 'trained with the window', params: 7e9,
  },
  ...gemma2Windows(),
  {
    id: 'window-gemma3-local-global', kind: 'window', match: { windowTokens: 1024 },
    setting: 'Gemma 3 with 5 local layers (1024-token window) per global layer vs 1:1: KV overhead at 32K from 60% to under 15%',
    modelScale: 'Gemma 3 (ablation model size not recorded here)', trainingBudget: 'trained with the layer pattern', origin: 'trained',
    metric: 'perplexity (Fig. 3, §5.2); no number recorded here',
    value: null, baseline: null, baselineLabel: 'local:global 1:1', higherIsBetter: false,
    source: 'Gemma Team 2025, Gemma 3, arXiv 2503.19786, Fig. 3, §5.2', url: 'https://arxiv.org/abs/2503.19786',
    caveat: 'Global layers still see the whole context; the impact stays small up to 7:1 in their ablation, for models trained that way.',
    verified: 'paper', quote: 'minimal', short: 'Gemma 3 local:global 5:1 (window 1024)', when: 'trained with the pattern',
  },
  {
    id: 'window-streamingllm-llama2-13b', kind: 'window', match: { windowTokens: 1024 },
    setting: 'Llama-2-13B, trained with full attention, run with a cache of only the 1024 most recent tokens over a 65K-token book',
    modelScale: 'Llama-2-13B', trainingBudget: 'none (post-hoc)', origin: 'post-hoc',
    metric: 'perplexity on the first book (65K tokens) of the PG19 test set (Table 1)',
    value: 5158.07, baseline: 5.40, baselineLabel: '4 initial "sink" tokens + 1020 recent', higherIsBetter: false,
    source: 'Xiao et al. 2023, StreamingLLM, arXiv 2309.17453, Table 1', url: 'https://arxiv.org/abs/2309.17453',
    caveat: 'A window-only cache on a model not trained for it collapses; this says nothing about models trained with sliding windows. Keeping 4 initial tokens restores 5.40.',
    verified: 'paper-copy', short: 'Llama-2-13B window-only cache (1024)', when: 'with no retraining', params: 13e9,
  },
  {
    id: 'cla2-mqa-1b', kind: 'cross-layer', match: {},
    setting: 'CLA2 (each pair of adjacent layers shares one KV) on top of MQA, 1B decoder: 5,120 KV bytes per token, 2× below MQA',
    modelScale: '1B', trainingBudget: '30B tokens from scratch', origin: 'trained',
    metric: 'validation perplexity (Table 1)',
    value: 13.60, baseline: 13.54, baselineLabel: 'MQA', higherIsBetter: false,
    source: CLA.source, url: CLA.url,
    caveat: 'A small model on a short 30B-token budget; perplexity only.',
    verified: 'paper', short: '1B CLA2 + MQA, val PPL', when: 'with both trained on 30B tokens', params: 1e9,
  },
];

/** DeepSeek-V2 Appendix D.1, Table 8: dense 7B models trained with MHA, GQA-8 or MQA, three benchmarks. */
function denseAblation(kind: 'gqa' | 'mqa', groups: number, name: string, modelScale: string, v: { mmlu: number; bbh: number; ceval: number }): Def[] {
  const mha = { mmlu: 45.2, bbh: 37.0, ceval: 42.9 };
  const benches = [['mmlu', 'MMLU accuracy, 5-shot', 'MMLU'], ['bbh', 'BBH exact match, 3-shot', 'BBH'], ['ceval', 'C-Eval accuracy, 5-shot', 'C-Eval']] as const;
  return benches.map(([key, metric, label]) => ({
    id: `${kind}-deepseek-dense7b-${key}`, kind, match: { groups },
    setting: `Dense 7B trained with ${name} vs MHA, same architecture otherwise; parameters aligned to ~7B by the number of layers`,
    modelScale, trainingBudget: '1.33T tokens from scratch', origin: 'trained' as const,
    metric: `${metric} (Appendix D.1, Table 8)`,
    value: v[key], baseline: mha[key], baselineLabel: 'MHA', higherIsBetter: true,
    source: `${DSV2.source}, Appendix D.1 Table 8`, url: DSV2.url,
    caveat: DS_DENSE_CAVEAT, verified: 'paper' as const,
    short: `Dense 7B ${kind === 'gqa' ? 'GQA-8' : 'MQA'}, ${label}`, when: 'with both trained on 1.33T tokens', params: 7e9,
  }));
}

/** DeepSeek-V2 Appendix D.2, Table 9: MoE models trained with MLA vs MHA at two scales. */
function moeAblation(size: 'small' | 'large', keptFraction: number, modelScale: string, trainingBudget: string, params: number, v: { mmlu: [number, number]; bbh: [number, number] }): Def[] {
  const benches = [['mmlu', 'MMLU accuracy, 5-shot', 'MMLU'], ['bbh', 'BBH exact match, 3-shot', 'BBH']] as const;
  return benches.map(([key, metric, label]) => ({
    id: `mla-deepseek-${size}-moe-${key}`, kind: 'mla' as const, match: { keptFraction },
    setting: `${size === 'small' ? 'Small' : 'Large'} MoE trained with MLA vs MHA, same architecture otherwise; MLA keeps ${Math.round(keptFraction * 100)}% of MHA's KV cache`,
    modelScale, trainingBudget, origin: 'trained' as const,
    metric: `${metric} (Appendix D.2, Table 9)`,
    value: v[key][0], baseline: v[key][1], baselineLabel: 'MHA', higherIsBetter: true,
    source: `${DSV2.source}, Appendix D.2 Table 9`, url: DSV2.url,
    caveat: DS_MOE_CAVEAT, verified: 'paper' as const,
    short: `${size === 'small' ? 'Small (15.7B)' : 'Large (247B)'} MoE MLA, ${label}`, when: `with both trained on ${trainingBudget.replace(' from scratch', '')}`, params,
  }));
}

/** MHA2MLA Table 1: Llama-2-7B converted to MLA at three cache reductions. */
function mha2mlaTable1(): Def[] {
  const rows = [[68.75, 0.3125, 59.51], [81.25, 0.1875, 59.61], [87.5, 0.125, 58.96]] as const;
  return rows.map(([cut, keptFraction, value]) => ({
    id: `mla-mha2mla-llama2-7b-${String(cut).replace('.', '_')}`, kind: 'mla' as const, match: { keptFraction },
    setting: `Llama-2-7B (MHA) converted to MLA with MHA2MLA (partial RoPE + joint SVD), then fine-tuned: KV cache −${cut}%`,
    modelScale: 'Llama-2-7B', trainingBudget: '6B tokens of fine-tuning', origin: 'converted' as const,
    metric: 'average over commonsense-reasoning benchmarks (Table 1)',
    value, baseline: 59.85, baselineLabel: 'original Llama-2-7B', higherIsBetter: true,
    source: `${MHA2MLA.source}, Table 1`, url: MHA2MLA.url,
    caveat: MHA2MLA_T1_CAVEAT, verified: 'paper' as const,
    short: `Llama-2-7B → MLA (−${cut}% KV)`, when: 'after 6B tokens of fine-tuning', params: 7e9,
  }));
}

/** MHA2MLA: the loss at 18.75% of the KV cache kept, by model size. */
function mha2mlaDrops(): Def[] {
  const rows = [['135m', '135M (SmolLM family)', 0.135e9, 2.41], ['360m', '360M (SmolLM family)', 0.36e9, 2.69], ['1_7b', '1.7B (SmolLM family)', 1.7e9, 1.28], ['7b', 'Llama-2-7B', 7e9, 0.61]] as const;
  return rows.map(([key, modelScale, params, value]) => ({
    id: `mla-mha2mla-drop-${key}`, kind: 'mla' as const, match: { keptFraction: 0.1875 },
    setting: `${modelScale} converted to MLA with MHA2MLA keeping 18.75% of the KV cache`,
    modelScale, trainingBudget: 'fine-tuning (MHA2MLA recipe; token budget for this size not recorded here)', origin: 'converted' as const,
    metric: 'drop in average score vs the original model, % (lower is better)',
    value, baseline: null, baselineLabel: 'original model (the value is the drop)', higherIsBetter: false,
    source: MHA2MLA.source, url: MHA2MLA.url,
    caveat: MHA2MLA_DROP_CAVEAT, verified: 'paper' as const,
    short: `${modelScale.replace(' (SmolLM family)', '')} → MLA (18.75% KV kept), drop %`, when: 'after fine-tuning', params,
  }));
}

/** MHA2MLA Table 2: Llama-2-7B with the Hugging Face quantized KV cache (HQQ and Quanto backends). */
function hfKvQuant(): Def[] {
  const rows = [[4, 'hqq', 'HQQ', 27.5], [4, 'quanto', 'Quanto', 27.3], [2, 'hqq', 'HQQ', 21.2], [2, 'quanto', 'Quanto', 18.5]] as const;
  return rows.map(([bits, key, backend, value]) => ({
    id: `kv-int${bits}-${key}-llama2-7b`, kind: 'kv-quant' as const, match: { bits },
    setting: `Llama-2-7B with its KV cache quantized to Int${bits} (${backend} backend of the Hugging Face quantized cache); KV cache −${bits === 4 ? 75 : 87.5}%`,
    modelScale: 'Llama-2-7B', trainingBudget: 'none (post-hoc)', origin: 'post-hoc' as const,
    metric: 'LongBench average (MHA2MLA Table 2)',
    value, baseline: 27.4, baselineLabel: 'fp16 KV', higherIsBetter: true,
    source: `${MHA2MLA.source}, Table 2`, url: MHA2MLA.url,
    caveat: `A baseline in another paper's table; the evaluation keeps a full-precision window of recent tokens (residual_length 128 in the MHA2MLA scripts).${bits === 2 ? ' 2-bit loses most of the score.' : ''}`,
    verified: 'paper' as const,
    short: `Llama-2-7B KV Int${bits} (${backend}), LongBench`, when: 'with no retraining', params: 7e9, format: `int${bits}`,
  }));
}

/** KVQuant, LLaMA-7B on Wikitext-2: the 4/3/2-bit configurations and the naive int3 baseline. */
function kvQuantRows(): Def[] {
  const rows = [
    ['kvquant-4bit', 4, 'KVQuant 4-bit (nuq4, no outliers)', 5.72, 'KVQuant 4-bit'],
    ['kvquant-4bit-1pct', 4, 'KVQuant 4-bit with 1% outliers in fp16 (nuq4-1%, ~4.3 bits on average)', 5.69, 'KVQuant 4-bit + 1% outliers'],
    ['kvquant-3bit-1pct', 3, 'KVQuant 3-bit with 1% outliers in fp16 (nuq3-1%, ~3.3 bits on average)', 5.75, 'KVQuant 3-bit + 1% outliers'],
    ['kvquant-2bit-1pct', 2, 'KVQuant 2-bit with 1% outliers in fp16 (nuq2-1%, ~2.3 bits on average)', 6.01, 'KVQuant 2-bit + 1% outliers'],
    ['int3-naive', 3, 'uniform int3 without grouping (the naive baseline in the same table)', 10.87, 'naive int3'],
  ] as const;
  return rows.map(([key, bits, setting, value, label]) => ({
    id: `kv-${key}-llama7b`, kind: 'kv-quant' as const, match: { bits },
    setting: `LLaMA-7B, KV cache quantized with ${setting}`,
    modelScale: 'LLaMA-7B', trainingBudget: 'none (post-hoc; offline calibration on 16 samples)', origin: 'post-hoc' as const,
    metric: 'Wikitext-2 perplexity',
    value, baseline: 5.68, baselineLabel: 'fp16 KV', higherIsBetter: false,
    source: KVQUANT.source, url: KVQUANT.url,
    caveat: key === 'int3-naive' ? 'What plain 3-bit rounding does without KVQuant\'s methods: the perplexity nearly doubles.' : KVQUANT_CAVEAT,
    verified: 'paper-copy' as const,
    short: `LLaMA-7B ${label}, Wikitext-2 PPL`, when: 'with no retraining', params: 7e9, format: key === 'int3-naive' ? 'int3' : 'kvquant',
  }));
}

/** Gemma 2 Table 10: the 9B model, trained with 4096-token local windows, evaluated with smaller ones. */
function gemma2Windows(): Def[] {
  const rows = [[2048, 1.63], [1024, 1.64]] as const;
  return rows.map(([windowTokens, value]) => ({
    id: `window-gemma2-9b-${windowTokens}`, kind: 'window' as const, match: { windowTokens },
    setting: `Gemma 2 9B, trained with 4096-token sliding windows on its local layers, evaluated with a ${windowTokens}-token window`,
    modelScale: 'Gemma 2 9B', trainingBudget: 'none (window changed at inference only)', origin: 'post-hoc' as const,
    metric: 'validation perplexity (Table 10)',
    value, baseline: 1.63, baselineLabel: 'window 4096 (as trained)', higherIsBetter: false,
    source: `${GEMMA2.source}, Table 10`, url: GEMMA2.url,
    caveat: 'Only the local layers use the window (global layers see the whole context), and the model was trained with a window: not a window-only model.',
    verified: 'paper' as const,
    short: `Gemma 2 9B local window ${windowTokens}`, when: 'with the window shrunk at inference', params: 9e9,
  }));
}

const META = new Map<string, RowMeta>(ROWS.map((r) => [r.id, { short: r.short, when: r.when, params: r.params, format: r.format }]));

function strip(r: Def): Evidence {
  const e: Evidence = {
    id: r.id, kind: r.kind, match: Object.freeze({ ...r.match }), setting: r.setting, modelScale: r.modelScale, trainingBudget: r.trainingBudget,
    origin: r.origin, metric: r.metric, value: r.value, baseline: r.baseline, baselineLabel: r.baselineLabel, higherIsBetter: r.higherIsBetter,
    source: r.source, url: r.url, caveat: r.caveat, verified: r.verified,
  };
  if (r.quote !== undefined) e.quote = r.quote;
  return Object.freeze(e);
}

/** Every published row, in table order (within a target, the order `evidenceFor` falls back to). */
export const EVIDENCE: readonly Evidence[] = Object.freeze(ROWS.map(strip));

export interface Target {
  kind: EvidenceKind;
  groups?: number;
  rank?: number;
  bits?: number;
  windowTokens?: number;
  label: string;
}

const KV_BITS: Readonly<Record<string, number>> = { fp8: 8, int8: 8, q8_0: 8, nvfp4: 4, int4: 4, q4_0: 4, int3: 3, int2: 2 };
const MAX_HEADS = 1 << 16;
const MAX_RANK = 1 << 20;
const MAX_WINDOW = 2 ** 31;

function posInt(s: string | undefined, max: number): number | undefined {
  if (s === undefined || !/^[1-9]\d*$/.test(s)) return undefined;
  const n = Number(s);
  return n <= max ? n : undefined;
}

/** A target in the one vocabulary (variantNames.ts): gqa-4 / gqa4 (4 KV heads), mqa, mla-256 / mla256 (latent rank), kv-int8 / int8, kv-fp8, kv-q8_0, kv-int4, kv-nvfp4, kv-q4_0, kv-int2, window-4096. */
export function parseTarget(target: string): Target | undefined {
  const v = parseVariantName(target);
  switch (v?.kind) {
    case 'mqa':
      return { kind: 'mqa', groups: 1, label: 'MQA' };
    case 'gqa': {
      const groups = posInt(String(v.kvHeads), MAX_HEADS);
      return groups === undefined ? undefined : { kind: 'gqa', groups, label: `GQA-${groups}` };
    }
    case 'mla': {
      const rank = v.rank === undefined ? undefined : posInt(String(v.rank), MAX_RANK);
      return rank === undefined ? undefined : { kind: 'mla', rank, label: `MLA-${rank}` };
    }
    case 'kv': {
      const bits = KV_BITS[v.dtype];
      return bits === undefined ? undefined : { kind: 'kv-quant', bits, label: `KV ${v.dtype}` };
    }
    case 'window': {
      const windowTokens = posInt(String(v.tokens), MAX_WINDOW);
      return windowTokens === undefined ? undefined : { kind: 'window', windowTokens, label: `window ${windowTokens}` };
    }
    default:
      return undefined;
  }
}

/** Distance between a target and a row of its family: 0 is an exact match; rows of another family are excluded. */
function matchDistance(t: Target, e: Evidence, format: string | undefined): number | undefined {
  const log2 = (x: number): number => Math.log2(x);
  switch (t.kind) {
    case 'gqa': case 'mqa': {
      if (e.kind !== 'gqa' && e.kind !== 'mqa') return undefined;
      const g = t.groups ?? 1;
      return e.match.groups === undefined ? 64 : Math.abs(log2(e.match.groups) - log2(g));
    }
    case 'mla':
      // A latent rank says nothing about the kept fraction without the model's head size: no rank is "exact".
      return e.kind === 'mla' ? 0 : undefined;
    case 'kv-quant': {
      if (e.kind !== 'kv-quant') return undefined;
      if (e.match.bits === undefined || t.bits === undefined) return 64;
      // Same width: an exact-format row first (kv-q8_0 → the llama.cpp q8_0 row), then the others.
      if (e.match.bits === t.bits) return format !== undefined && t.label === `KV ${format}` ? 0 : 0.5;
      return 1 + Math.abs(e.match.bits - t.bits);
    }
    case 'window':
      if (e.kind !== 'window') return undefined;
      return e.match.windowTokens === undefined || t.windowTokens === undefined ? 64 : Math.abs(log2(e.match.windowTokens) - log2(t.windowTokens));
    case 'cross-layer':
      return e.kind === 'cross-layer' ? 0 : undefined;
  }
}

/**
 * Evidence relevant to a target, most relevant first: same family; exact group/bit/window match before
 * neighbours; then, when `params` is given, rows about a model of closer scale; rows with a number before
 * rows with only words; then table order. Rows are returned as published (origin says trained/converted/post-hoc).
 * Unknown targets give no rows.
 */
export function evidenceFor(target: string, context: { params?: number; kvHeads?: number; qHeads?: number } = {}): Evidence[] {
  const t = parseTarget(target);
  if (!t) return [];
  const scale = (id: string): number => {
    const p = META.get(id)?.params;
    return context.params === undefined || !(context.params > 0) ? 0 : p === undefined ? Infinity : Math.abs(Math.log10(p) - Math.log10(context.params));
  };
  const ranked: { e: Evidence; d: number; s: number; n: number; i: number }[] = [];
  EVIDENCE.forEach((e, i) => {
    const d = matchDistance(t, e, META.get(e.id)?.format);
    if (d !== undefined) ranked.push({ e, d, s: scale(e.id), n: e.value === null ? 1 : 0, i });
  });
  ranked.sort((a, b) => a.d - b.d || a.s - b.s || a.n - b.n || a.i - b.i);
  return ranked.map((r) => r.e);
}

/** Decimal places of a number as written ("47.1" → 1); value and baseline share the larger, so 37.0 stays 37.0 next to 35.6. */
function decimals(x: number): number {
  const s = String(x);
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

/** Author and year: the part of `source` before its first comma ("Ainslie et al. 2023"). */
function citation(e: Evidence): string {
  return e.source.split(',')[0]!.trim();
}

/** A one-line summary for hovers: "T5-XXL GQA-8 47.1 vs MHA 47.2 after 5% uptraining (Ainslie et al. 2023)". */
export function evidenceLine(e: Evidence): string {
  const meta = META.get(e.id);
  const subject = meta?.short ?? e.setting;
  const when = meta?.when ?? e.trainingBudget;
  if (e.value === null) {
    const said = e.quote !== undefined ? `"${e.quote}"` : 'no number';
    return `${subject}: ${said}, ${when} (${citation(e)})`;
  }
  const dp = Math.max(decimals(e.value), e.baseline === null ? 0 : decimals(e.baseline));
  const vs = e.baseline === null ? '' : ` vs ${e.baselineLabel} ${e.baseline.toFixed(dp)}`;
  return `${subject} ${e.value.toFixed(dp)}${vs} ${when} (${citation(e)})`;
}
