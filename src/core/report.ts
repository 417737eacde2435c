/**
 * The engine's front door: config text (+ options) → KvReport and VariantsReport, the objects every
 * surface reads (CLI text and `--json`, and later lenses, hovers and charts). Pure: no I/O here.
 */
import { deriveAttentionSpec, type AttentionSpec, type LayerKind } from './attentionSpec';
import { MIXER_NAMES } from './recurrentState';
import { computeBudget, DEFAULT_CONCURRENCY_CONTEXTS, DEFAULT_RESERVE_BYTES, type Budget } from './budget';
import { describeGpusNeeded, gpusNeeded, type GpusNeeded } from './gpusNeeded';
import { MAX_CONTEXT_TOKENS } from './configKeys';
import { UsageError } from './errors';
import { bytes as fmtBytes, int, params as fmtParams } from './format';
import { customGpu, findGpu, type GpuPreset } from './gpus';
import { autoKvDtype, KV_DTYPES, parseKvDtype, type KvDtype, type Runtime } from './kvDtypes';
import { computeKvCost, stateGroups, DEFAULT_KV_OPTIONS, type KvCost, type KvOptions, type LlamaCppMlaLayout, type MlaCacheLayout } from './kvCost';
import { bool, KV_MAY_BE_WRONG, loadModelConfig, type ModelConfig } from './modelConfig';
import { decodeAttentionFlops, DEFAULT_MLA_RANK, DEFAULT_MLA_ROPE, headVariants, ownLabel, totalAttentionParams, type VariantShape } from './variants';
import { estimateWeights, weightsFromIndex } from './weights';

export const DEFAULT_GPU = 'h100-sxm';

/** What a user can choose; every field optional, defaults as documented in the CLI help. */
export interface ReportOptions {
  contextTokens?: number;
  batch?: number;
  kvDtype?: string;
  kDtype?: string;
  vDtype?: string;
  runtime?: Runtime;
  tp?: number;
  gpu?: string;
  gpuMemGiB?: number;
  utilization?: number;
  reserveGiB?: number;
  mlaCache?: MlaCacheLayout;
  llamacppMla?: LlamaCppMlaLayout;
  /** llama.cpp -fa: on (default; what `auto` gives wherever the backend has it) or off. */
  llamacppFlashAttention?: boolean;
  vllmMaxBatchedTokens?: number;
  mlaRank?: number;
  mlaRope?: number;
}

export interface ModelInput {
  file: string;
  text: string;
  /** Text of model.safetensors.index.json next to the config, if any. */
  indexText?: string;
}

export interface PerLayerJson {
  layer: number;
  kind: LayerKind;
  windowTokens?: number;
  variant: string | null;
  kvHeads: number;
  kBytesPerToken: number;
  vBytesPerToken: number;
  bytesPerToken: number;
  cachedTokens: number;
  totalBytes: number;
}

/** The `--json` contract of `attention-lens kv` (fields may be added, never renamed or dropped). */
export interface KvReportJson {
  file: string;
  model: { modelType: string | null; family: string; layers: number; hiddenSize: number; dtype: string; maxContextTokens: number; params: number; activeParams: number; weightsBytes: number; weightsSource: string };
  attention: {
    variant: string;
    label: string;
    qHeads: number;
    kvHeads: number;
    configKvHeads: number;
    headDim: number;
    vHeadDim: number;
    /** Layers by kind: full/sliding/chunked cache tokens; linear, mamba and conv keep a fixed state; shared read another layer's K/V; none hold nothing. */
    layerKinds: Record<LayerKind, number>;
    windows: { sliding: number[]; chunked: number[] };
    mla: { kvLoraRank: number; qkRopeHeadDim: number; qkNopeHeadDim: number; vHeadDim: number; latentDim: number; cache: MlaCacheLayout | LlamaCppMlaLayout } | null;
    /** The fixed per-sequence state of every layer that keeps one (linear attention, Mamba, conv, hybrids). */
    linearState: { bytesPerSequence: number; layers: number } | null;
    /** The same, per mixer, with the dims it is sized from (as this runtime allocates it). */
    recurrentState: { bytesPerSequence: number; layers: number; mixers: { mixer: string; layers: number; bytesPerLayer: number; dims: string }[] } | null;
  };
  kv: {
    dtype: string;
    kDtype: KvDtype;
    vDtype: KvDtype;
    dtypeReason: string;
    runtime: Runtime;
    tp: number;
    bytesPerToken: number;
    bytesPerTokenPerGpu: number;
    contextTokens: number;
    batch: number;
    totalBytes: number;
    totalBytesPerGpu: number;
    stateBytes: number;
    /** llama.cpp only: whether flash attention (-fa) is assumed on; it decides the V layout. */
    flashAttention?: boolean;
    perLayer: PerLayerJson[];
  };
  /** gpusNeeded: the smallest GPU count of this kind that holds the weights and one request at the context (gpusNeeded.ts). */
  budget: Omit<Budget, 'derivation'> & { gpusNeeded: GpusNeeded };
  notes: string[];
  /** kvMayBeWrong: the warning says the KV figures themselves may be wrong (an unmodelled structural key, an unknown family). */
  warnings: { code: string; message: string; key?: string; line?: number; kvMayBeWrong: boolean }[];
  /** False when any warning says the KV figures may be wrong: the numbers are then a best reading, not exact. */
  exact: boolean;
  derivation?: string[];
}

export interface KvReport {
  config: ModelConfig;
  spec: AttentionSpec;
  cost: KvCost;
  budget: Budget;
  json: KvReportJson;
  /** Every number's derivation, in reading order. */
  derivation: string[];
}

interface Resolved {
  kv: KvOptions;
  dtypeReason: string;
  gpu: GpuPreset;
  utilization: number;
  reserveBytes: number;
  mlaRank: number;
  mlaRope: number;
}

/** Validates options against the spec and fills in the defaults. */
export function resolveOptions(spec: AttentionSpec, options: ReportOptions): Resolved {
  const runtime = options.runtime ?? DEFAULT_KV_OPTIONS.runtime;
  if (!['hf', 'vllm', 'llamacpp'].includes(runtime)) throw new UsageError(`unknown runtime "${runtime}"; choose hf, vllm or llamacpp`);
  const contextTokens = options.contextTokens ?? spec.maxContextTokens;
  positiveInt('--context', contextTokens, MAX_CONTEXT_TOKENS);
  const batch = options.batch ?? 1;
  positiveInt('--batch', batch, 1 << 20);
  const tp = options.tp ?? 1;
  positiveInt('--tp', tp, 1024);
  const auto = autoKvDtype(spec.dtype, runtime);
  const pick = (name: string | undefined): KvDtype | undefined => {
    if (name === undefined) return undefined;
    const d = parseKvDtype(name);
    return d === 'auto' ? auto.dtype : d;
  };
  const both = pick(options.kvDtype) ?? auto.dtype;
  const kDtype = pick(options.kDtype) ?? both;
  const vDtype = pick(options.vDtype) ?? both;
  const chosen = options.kvDtype !== undefined && options.kvDtype !== 'auto';
  const dtypeReason = chosen || options.kDtype || options.vDtype ? 'chosen' : auto.why;
  const gpu = options.gpuMemGiB !== undefined ? customGpu(options.gpuMemGiB) : findGpu(options.gpu ?? DEFAULT_GPU);
  const utilization = options.utilization ?? gpu.defaultUtilization;
  if (!(utilization > 0 && utilization <= 1)) throw new UsageError(`--util ${utilization}: give a fraction between 0 and 1 (vLLM's default is 0.9)`);
  const reserveGiB = options.reserveGiB ?? DEFAULT_RESERVE_BYTES / 2 ** 30;
  if (!(reserveGiB >= 0 && reserveGiB < 1 << 20)) throw new UsageError(`--reserve-gib ${reserveGiB}: give a non-negative number of GiB`);
  const maxBatched = options.vllmMaxBatchedTokens ?? DEFAULT_KV_OPTIONS.vllmMaxBatchedTokens;
  positiveInt('--max-batched-tokens', maxBatched, 1 << 24);
  const mlaRank = options.mlaRank ?? DEFAULT_MLA_RANK;
  positiveInt('--mla-rank', mlaRank, 1 << 16);
  const mlaRope = options.mlaRope ?? DEFAULT_MLA_ROPE;
  positiveInt('--mla-rope', mlaRope, 1 << 16);
  return {
    kv: {
      ...DEFAULT_KV_OPTIONS,
      contextTokens, batch, tp, runtime, kDtype, vDtype,
      mlaCache: options.mlaCache ?? DEFAULT_KV_OPTIONS.mlaCache,
      llamacppMla: options.llamacppMla ?? DEFAULT_KV_OPTIONS.llamacppMla,
      llamacppFlashAttention: options.llamacppFlashAttention ?? DEFAULT_KV_OPTIONS.llamacppFlashAttention,
      vllmMaxBatchedTokens: maxBatched,
    },
    dtypeReason,
    gpu,
    utilization,
    reserveBytes: Math.round(reserveGiB * 2 ** 30),
    mlaRank,
    mlaRope,
  };
}

function positiveInt(flag: string, value: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new UsageError(`${flag} ${value}: give a whole number between 1 and ${int(max)}`);
  }
}

export function buildKvReport(input: ModelInput, options: ReportOptions = {}): KvReport {
  const config = loadModelConfig(input.file, input.text);
  const spec = deriveAttentionSpec(config);
  const resolved = resolveOptions(spec, options);
  return assembleReport(input, config, spec, resolved);
}

function weightsOf(input: ModelInput, config: ModelConfig, spec: AttentionSpec): { bytes: number; source: string; params: number; active: number; derivation: string[] } {
  const estimate = estimateWeights(config, spec);
  const exact = input.indexText !== undefined ? weightsFromIndex(input.indexText) : undefined;
  if (exact !== undefined) {
    return { bytes: exact, source: 'model.safetensors.index.json metadata.total_size (exact)', params: estimate.params.total, active: estimate.params.active, derivation: [`weights = ${int(exact)} B from model.safetensors.index.json (exact); the estimate was ${int(estimate.bytes)} B`] };
  }
  return { bytes: estimate.bytes, source: `estimated from the config: ${fmtParams(estimate.params.total)} params, ${estimate.bytesPerParamText}`, params: estimate.params.total, active: estimate.params.active, derivation: estimate.derivation };
}

function assembleReport(input: ModelInput, config: ModelConfig, spec: AttentionSpec, r: Resolved): KvReport {
  const cost = computeKvCost(spec, r.kv);
  const weights = weightsOf(input, config, spec);
  const budget = computeBudget(cost, spec.maxContextTokens, {
    gpu: r.gpu, utilization: r.utilization, reserveBytes: r.reserveBytes, weightsBytes: weights.bytes, weightsSource: weights.source,
    concurrencyContexts: DEFAULT_CONCURRENCY_CONTEXTS,
  });
  const needed = gpusNeeded(spec, r.kv, { gpu: r.gpu, utilization: r.utilization, reserveBytes: r.reserveBytes, weightsBytes: weights.bytes, weightsSource: weights.source });
  const notes = [...spec.notes, ...cost.notes, ...runtimeNotes(spec, r)];
  const derivation = [...explainReport(spec, cost, r, weights.derivation, budget), `GPUs needed: ${describeGpusNeeded(needed, r.gpu.name)} — ${needed.reason}`];

  const kinds: Record<LayerKind, number> = { full: 0, sliding: 0, chunked: 0, linear: 0, mamba: 0, conv: 0, shared: 0, none: 0 };
  const sliding = new Set<number>();
  const chunked = new Set<number>();
  for (const l of spec.layers) {
    kinds[l.kind]++;
    if (l.kind === 'sliding' && l.windowTokens !== undefined) sliding.add(l.windowTokens);
    if (l.kind === 'chunked' && l.windowTokens !== undefined) chunked.add(l.windowTokens);
  }
  const states = stateGroups(spec, r.kv.runtime);
  const stateLayers = states.reduce((n, g) => n + g.layers, 0);
  const { derivation: _d, ...budgetJson } = budget;
  const warnings = [...config.issues, ...spec.issues].filter((i) => i.severity !== 'error').map((i) => ({
    code: i.code, message: i.message, ...(i.key ? { key: i.key } : {}), ...(i.range ? { line: i.range.start.line + 1 } : {}), kvMayBeWrong: KV_MAY_BE_WRONG.has(i.code),
  }));
  const json: KvReportJson = {
    file: input.file,
    model: {
      modelType: spec.modelType ?? null, family: spec.family, layers: spec.numLayers, hiddenSize: spec.hiddenSize, dtype: spec.dtype,
      maxContextTokens: spec.maxContextTokens, params: weights.params, activeParams: weights.active, weightsBytes: weights.bytes, weightsSource: weights.source,
    },
    attention: {
      variant: spec.variant,
      label: ownLabel(spec),
      qHeads: spec.qHeads,
      kvHeads: spec.kvHeads,
      configKvHeads: spec.configKvHeads,
      headDim: spec.headDim,
      vHeadDim: spec.vHeadDim,
      layerKinds: kinds,
      windows: { sliding: [...sliding], chunked: [...chunked] },
      mla: spec.mla
        ? {
          kvLoraRank: spec.mla.kvLoraRank, qkRopeHeadDim: spec.mla.qkRopeHeadDim, qkNopeHeadDim: spec.mla.qkNopeHeadDim, vHeadDim: spec.mla.vHeadDim,
          latentDim: spec.mla.kvLoraRank + spec.mla.qkRopeHeadDim, cache: r.kv.runtime === 'llamacpp' ? r.kv.llamacppMla : r.kv.mlaCache,
        }
        : null,
      linearState: states.length ? { bytesPerSequence: cost.stateBytesPerSequence, layers: stateLayers } : null,
      recurrentState: states.length ? { bytesPerSequence: cost.stateBytesPerSequence, layers: stateLayers, mixers: states.map((g) => ({ mixer: MIXER_NAMES[g.mixer], layers: g.layers, bytesPerLayer: g.bytesPerLayer, dims: g.dims })) } : null,
    },
    kv: {
      dtype: r.kv.kDtype === r.kv.vDtype ? r.kv.kDtype : `${r.kv.kDtype}/${r.kv.vDtype}`,
      kDtype: r.kv.kDtype,
      vDtype: r.kv.vDtype,
      dtypeReason: r.dtypeReason,
      runtime: r.kv.runtime,
      tp: r.kv.tp,
      bytesPerToken: cost.bytesPerToken,
      bytesPerTokenPerGpu: cost.bytesPerTokenPerRank,
      contextTokens: r.kv.contextTokens,
      batch: r.kv.batch,
      totalBytes: cost.totalBytes,
      totalBytesPerGpu: cost.totalBytesPerRank,
      stateBytes: cost.stateBytes,
      ...(r.kv.runtime === 'llamacpp' ? { flashAttention: r.kv.llamacppFlashAttention } : {}),
      perLayer: cost.layers.map((l) => ({
        layer: l.layer, kind: l.kind, ...(l.windowTokens !== undefined ? { windowTokens: l.windowTokens } : {}), variant: l.variant, kvHeads: l.kvHeadsPerRank,
        kBytesPerToken: l.kBytesPerToken, vBytesPerToken: l.vBytesPerToken, bytesPerToken: l.bytesPerToken, cachedTokens: l.cachedTokens, totalBytes: l.totalBytes,
      })),
    },
    budget: { ...budgetJson, gpusNeeded: needed },
    notes,
    warnings,
    exact: !warnings.some((w) => w.kvMayBeWrong),
  };
  return { config, spec, cost, budget, json, derivation };
}

function runtimeNotes(spec: AttentionSpec, r: Resolved): string[] {
  const notes: string[] = [];
  for (const d of new Set([r.kv.kDtype, r.kv.vDtype])) {
    if (!KV_DTYPES[d].runtimes.includes(r.kv.runtime)) {
      notes.push(`${d} is not a KV-cache type ${runtimeName(r.kv.runtime)} offers; shown as a what-if (${KV_DTYPES[d].note})`);
    }
  }
  if (r.kv.contextTokens > spec.maxContextTokens) {
    notes.push(`context ${int(r.kv.contextTokens)} exceeds the model's configured maximum ${int(spec.maxContextTokens)} tokens`);
  }
  if (spec.mla && r.kv.runtime === 'hf' && r.kv.mlaCache === 'latent') {
    notes.push("MLA: counted as the latent cache (what vLLM, SGLang and FlashMLA store); transformers' own DeepSeek code caches per-head K and V instead — see --mla-cache decompressed");
  }
  const windowed = spec.layers.filter((l) => (l.kind === 'sliding' || l.kind === 'chunked') && l.windowTokens !== undefined && l.windowTokens >= r.kv.contextTokens);
  if (windowed.length > 0 && windowed.length === spec.layers.filter((l) => l.kind === 'sliding' || l.kind === 'chunked').length) {
    notes.push(`every window (${int(windowed[0]?.windowTokens ?? 0)}) is ≥ the context ${int(r.kv.contextTokens)}: windows save nothing here`);
  }
  return notes;
}

export function runtimeName(runtime: Runtime): string {
  return runtime === 'hf' ? 'Hugging Face transformers' : runtime === 'vllm' ? 'vLLM' : 'llama.cpp';
}

function explainReport(spec: AttentionSpec, cost: KvCost, r: Resolved, weightLines: string[], budget: Budget): string[] {
  const lines: string[] = [];
  lines.push(`query heads = ${spec.qHeads} (${spec.sources.qHeads})`);
  lines.push(spec.mla
    ? `KV = MLA latent: kv_lora_rank ${spec.mla.kvLoraRank} + qk_rope_head_dim ${spec.mla.qkRopeHeadDim} per token per layer (the config's ${spec.configKvHeads} KV heads are not cached)`
    : `KV heads = ${spec.kvHeads} (${spec.sources.kvHeads})`);
  lines.push(`head dim = ${spec.headDim} (${spec.sources.headDim})`);
  lines.push(`layers = ${spec.numLayers} (${spec.sources.layers}); pattern: ${spec.sources.pattern}`);
  lines.push(`KV dtype = K ${r.kv.kDtype}, V ${r.kv.vDtype} (${r.dtypeReason})`);
  // Group identical layers so a 126-layer model explains in a few lines.
  const groups = new Map<string, { first: number; last: number; count: number; formula: string; tokens: string; bytes: number; total: number }>();
  for (const l of cost.layers) {
    const key = `${l.formula}|${l.tokensFormula}`;
    const g = groups.get(key);
    if (g) { g.count++; g.last = l.layer; }
    else groups.set(key, { first: l.layer, last: l.layer, count: 1, formula: l.formula, tokens: l.tokensFormula, bytes: l.bytesPerToken, total: l.totalBytes });
  }
  for (const g of groups.values()) {
    const kind = cost.layers[g.first]?.kind ?? 'full';
    const w = cost.layers[g.first]?.windowTokens;
    lines.push(`${g.count} ${kind}${w !== undefined ? ` (${int(w)})` : ''} layer${g.count === 1 ? '' : 's'} (first ${g.first}, last ${g.last}): ${g.formula}${r.kv.tp > 1 && g.bytes > 0 ? ` × ${r.kv.tp} ranks` : ''}; holds ${g.tokens}`);
  }
  lines.push(`bytes per token = Σ over caching layers = ${int(cost.bytesPerToken)} B (${fmtBytes(cost.bytesPerToken)})${r.kv.tp > 1 ? `, ${int(cost.bytesPerTokenPerRank)} B per GPU` : ''}`);
  lines.push(`total at ${int(r.kv.contextTokens)} tokens × batch ${r.kv.batch} (${runtimeName(r.kv.runtime)}) = Σ layers (held tokens × bytes per token) = ${int(cost.totalBytes)} B (${fmtBytes(cost.totalBytes)})`);
  if (cost.stateBytesPerSequence > 0) {
    for (const g of stateGroups(spec, r.kv.runtime)) {
      lines.push(`${MIXER_NAMES[g.mixer]} state = ${g.layers} layers × ${int(g.bytesPerLayer)} B (${g.dims}; ${r.kv.runtime === 'hf' ? 'transformers keeps the last kernel inputs' : 'the last kernel − 1 inputs'}, ${r.kv.runtime === 'llamacpp' ? 'f32' : spec.dtype})`);
    }
    lines.push(`recurrent state = ${int(cost.stateBytesPerSequence)} B per sequence (${fmtBytes(cost.stateBytesPerSequence)}), fixed, not per token`);
  }
  lines.push(...weightLines);
  lines.push(...budget.derivation);
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Variants

export interface VariantRow {
  id: string;
  label: string;
  kind: VariantShape['kind'];
  variant: string;
  kvHeads: number;
  kvDtype: string;
  bytesPerToken: number;
  totalBytes: number;
  /** Own bytes per token / this variant's: > 1 means smaller. */
  savingVsOwn: number;
  attentionParams: number;
  attentionParamsDelta: number;
  /** Decode FLOPs for one token at the context, attention layers only. */
  attentionFlopsPerToken: number;
  attentionFlopsDelta: number;
  maxContextTokens: number | null;
  maxBatchAtContext: number;
  note?: string;
}

export interface VariantsReport {
  base: KvReport;
  rows: VariantRow[];
  json: { file: string; model: KvReportJson['model']; attention: KvReportJson['attention']; kv: Omit<KvReportJson['kv'], 'perLayer'>; budget: KvReportJson['budget']; variants: VariantRow[]; notes: string[] };
}

export function buildVariantsReport(input: ModelInput, options: ReportOptions = {}): VariantsReport {
  const base = buildKvReport(input, options);
  const { spec, config } = base;
  const r = resolveOptions(spec, options);
  const weights = { bytes: base.json.model.weightsBytes, source: base.json.model.weightsSource };
  const bias = config.typeInfo.qkvBias === true || (bool(config, 'attentionBias') ?? false);
  const ownParams = totalAttentionParams(spec, bias);
  const ownFlops = decodeAttentionFlops(spec, r.kv.contextTokens, bias);

  const row = (shape: VariantShape, kv: KvOptions): VariantRow => {
    const cost = computeKvCost(shape.spec, kv);
    const p = totalAttentionParams(shape.spec, bias);
    const f = decodeAttentionFlops(shape.spec, kv.contextTokens, bias);
    const weightsBytes = Math.max(0, weights.bytes + (p - ownParams) * (spec.dtype === 'float32' ? 4 : 2));
    const budget = computeBudget(cost, spec.maxContextTokens, {
      gpu: r.gpu, utilization: r.utilization, reserveBytes: r.reserveBytes, weightsBytes, weightsSource: weights.source, concurrencyContexts: [],
    });
    return {
      id: shape.id,
      label: shape.label,
      kind: shape.kind,
      variant: shape.spec.variant,
      kvHeads: shape.spec.kvHeads,
      kvDtype: kv.kDtype === kv.vDtype ? kv.kDtype : `${kv.kDtype}/${kv.vDtype}`,
      bytesPerToken: cost.bytesPerToken,
      totalBytes: cost.totalBytes,
      savingVsOwn: cost.bytesPerToken > 0 ? base.cost.bytesPerToken / cost.bytesPerToken : 0,
      attentionParams: p,
      attentionParamsDelta: p - ownParams,
      attentionFlopsPerToken: f,
      attentionFlopsDelta: f - ownFlops,
      maxContextTokens: budget.maxContextTokens,
      maxBatchAtContext: budget.maxBatchAtContext,
      ...(shape.note ? { note: shape.note } : {}),
    };
  };

  const rows: VariantRow[] = [];
  const notes = [...base.json.notes];
  for (const shape of headVariants(spec, r.mlaRank, r.mlaRope)) {
    try {
      rows.push(row(shape, r.kv));
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      notes.push(`${shape.label}: skipped — ${e.message}`);
    }
  }
  for (const dtype of dtypeAlternatives(r.kv.kDtype, r.kv.runtime, spec)) {
    const shape: VariantShape = { id: `kv-${dtype}`, label: `${ownLabel(spec)}, KV ${dtype}`, kind: 'dtype', spec, kvDtype: dtype, note: KV_DTYPES[dtype].note };
    try {
      rows.push(row(shape, { ...r.kv, kDtype: dtype, vDtype: dtype }));
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      notes.push(`KV ${dtype}: skipped — ${e.message}`);
    }
  }
  const { perLayer: _p, ...kv } = base.json.kv;
  return { base, rows, json: { file: input.file, model: base.json.model, attention: base.json.attention, kv, budget: base.json.budget, variants: rows, notes } };
}

/** KV dtypes worth comparing under a runtime (the ones it offers), other than the current one. */
function dtypeAlternatives(current: KvDtype, runtime: Runtime, spec: AttentionSpec): KvDtype[] {
  const candidates: KvDtype[] = ['bf16', 'fp8', 'int8', 'nvfp4', 'q8_0', 'q4_0'];
  if (spec.mla && runtime === 'vllm') candidates.push('fp8_ds_mla');
  return candidates.filter((d) => d !== current && !(d === 'bf16' && current === 'fp16') && KV_DTYPES[d].runtimes.includes(runtime) && (d !== 'fp8_ds_mla' || spec.mla?.kvLoraRank === 512));
}
