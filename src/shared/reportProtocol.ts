/**
 * The report panel's data and messages, shared by the extension (which builds ReportData in the
 * engine) and the webview (which draws it), and by the exported HTML (which embeds one ReportData).
 * Types plus runtime guards: the webview checks every message it receives and drops the rest.
 */

export interface ReportChoices {
  gpu: string;
  kvDtype: string;
  runtime: 'hf' | 'vllm' | 'llamacpp';
  batch: number;
  tp: number;
}

export interface ReportVariant {
  id: string;
  label: string;
  /** own | heads | mla | dtype */
  kind: string;
  own: boolean;
  kvDtype: string;
  bytesPerToken: number;
  /** KV at the report's context × batch. */
  totalBytes: number;
  savingVsOwn: number;
  maxContextTokens: number | null;
  maxBatchAtContext: number;
  attentionParamsDelta: number;
  attentionFlopsDelta: number;
  /** Whether it is drawn in the charts (the tables list every variant). */
  charted: boolean;
  derivation: string[];
}

export interface MeasuredPoint {
  variant: string;
  label: string;
  own: boolean;
  mode: 'decode' | 'prefill';
  contextTokens: number;
  medianUs: number;
  /** The device's own roofline for this case: max(bytes / measured copy GB/s, FLOPs / measured FMA rate). */
  rooflineUs: number;
  derivation: string[];
}

export interface MeasuredRun {
  device: string;
  backend: string;
  storage: string;
  date: string;
  /** readGBps: absent in runs measured before the read peak was. */
  peaks: { copyGBps: number; f32TFlops: number; readGBps?: number };
  /** A software adapter (lavapipe, SwiftShader): the figures are the CPU's, not a GPU's. */
  software?: boolean;
  points: MeasuredPoint[];
}

export interface QualityEvidence {
  variant: string;
  metric: string;
  value: number;
  baseline: number | null;
  source: string;
  caveat: string;
  /** What the baseline is in the same study ("MHA", "fp16 KV"); absent in data saved before it was recorded. */
  baselineLabel?: string;
  /** The model the result is about ("T5-XXL (11B)") and how it was trained or converted ("5% uptraining"). */
  modelScale?: string;
  trainingBudget?: string;
  /** The metric's kind (core/qualityMetrics.ts): each kind is charted on its own axis. */
  metricKind?: 'accuracy' | 'perplexity' | 'generation';
  /** Accuracy-like: value − baseline, in percentage points. */
  changePoints?: number;
  /** Perplexity-like and generation scores: (value / baseline − 1) × 100, relative (ln PPL: the perplexity ratio). */
  changePercent?: number;
  /** Why the result is listed in the table but not charted (no baseline, not a quality score, metric not classified). */
  uncharted?: string;
}

/**
 * One conversion measured on this model's own weights (`attention-lens quality`, "Measure Quality on
 * Local Weights"): a weight-space relative error, not an accuracy, so it is never drawn on the
 * published results' axis. Placed at the report variant of the same shape, or listed without a place.
 */
export interface MeasuredQualityPoint {
  /** As measured: gqa-4, mqa, mla-256, kv-int8. */
  target: string;
  /** GQA-4, MQA, MLA-256, KV int8. */
  label: string;
  /** The report variant with this very shape; absent when the report has none (listed, not charted). */
  variant?: string;
  /** KV bytes per token of that shape in this report's settings; absent when the engine cannot price it. */
  bytesPerToken?: number;
  kRelError: number;
  vRelError: number;
  /** MLA: fraction of the joint [W_k; W_v] energy the rank keeps. */
  energyRetained?: number;
  /** MLA: the largest per-layer rank keeping 99% of the energy. */
  rank99?: number;
  /** What the number is, in the measurement's own words. */
  what: string;
  /** How it was computed. */
  method?: string;
  derivation: string[];
}

/** The checkpoint a measurement read. */
export interface MeasuredWeights {
  files: string[];
  dtype: string;
  layersRead: number;
  /** ISO time of the measurement, when it was recorded. */
  measuredAt?: string;
  notes: string[];
}

/**
 * A launch command per runtime (core/launch), sized by the report's budget: the commented shell text the
 * page shows and copies, or why the runtime cannot take the report's settings (a KV dtype it lacks).
 */
export interface ReportLaunch {
  runtime: 'vllm' | 'sglang' | 'llamacpp';
  name: string;
  /** What the command is sized for: "8× H200 SXM 141GB (TP 8): 4 requests of 163,840 tokens at once". */
  summary?: string;
  /** The command with a comment line per value saying why (runs as pasted). */
  text?: string;
  /** The command on one line. */
  command?: string;
  refused?: string;
}

export interface ReportData {
  version: 1;
  file: string;
  /** The config's URI when the editor built it: lets a restored panel find its config again. */
  source?: string;
  title: string;
  generatedAt: string;
  generator: string;
  choices: ReportChoices;
  /** What the controls offer. */
  options: { gpus: { id: string; name: string }[]; kvDtypes: string[]; runtimes: { id: ReportChoices['runtime']; name: string }[] };
  summary: {
    attention: string;
    layerMix: string;
    layers: number;
    dtype: string;
    bytesPerToken: number;
    contextTokens: number;
    modelMaxContextTokens: number;
    totalBytes: number;
    gpuName: string;
    gpus: number;
    weightsBytesPerGpu: number;
    usableBytesPerGpu: number;
    /** The smallest count of this GPU for the weights and one request at the context (core/gpusNeeded.ts), with its budget. */
    gpusNeeded?: { gpus: number; tp: number; pipelineStages: number; nodes: number; fits: boolean; maxContextTokens: number | null; maxBatchAtContext: number; reason: string };
  };
  derivation: string[];
  variants: ReportVariant[];
  /** Chart 1: KV bytes per GPU vs context, per charted variant, with the budget line. */
  memory: { contexts: number[]; series: { variant: string; bytes: number[] }[]; budgetBytes: number; budgetDerivation: string[] };
  /** Chart 2: measured runs (newest first); empty until a profile has run. */
  measured: MeasuredRun[];
  /**
   * Chart 3: quality per variant; only what a source or a measurement reported. Published evidence and
   * weight-space errors measured on this model's weights are different quantities: drawn apart.
   * `measured` and `weights` are absent in data saved before they existed and when nothing was measured.
   */
  quality: { evidence: QualityEvidence[]; note: string; measured?: MeasuredQualityPoint[]; weights?: MeasuredWeights };
  /** Table 4: GPU presets × variants. */
  budgetTable: {
    contexts: number[];
    /** gpusNeeded: the config's own smallest count of this GPU for its weights and one request (core/gpusNeeded.ts). */
    gpus: { id: string; name: string; memoryBytes: number; gpusNeeded?: { gpus: number; tp: number; pipelineStages: number; nodes: number; fits: boolean } }[];
    rows: { gpu: string; variant: string; fits: boolean; maxContextTokens: number | null; concurrency: number[] }[];
  };
  notes: string[];
  /** Launch commands for vLLM, SGLang and llama.cpp; absent in data saved before they existed. */
  launch?: ReportLaunch[];
}

export type HostMessage =
  | { type: 'data'; data: ReportData }
  | { type: 'busy'; message: string }
  | { type: 'error'; message: string };

export type ViewMessage =
  | { type: 'ready' }
  | { type: 'choose'; choices: ReportChoices }
  | { type: 'runProfile' }
  | { type: 'measureQuality' }
  | { type: 'export'; format: 'html' | 'json' }
  | { type: 'copyLaunch'; runtime: ReportLaunch['runtime'] };

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isStr = (x: unknown): x is string => typeof x === 'string';
const isArr = Array.isArray;
const isLaunchRuntime = (x: unknown): x is ReportLaunch['runtime'] => x === 'vllm' || x === 'sglang' || x === 'llamacpp';

export function isReportChoices(x: unknown): x is ReportChoices {
  return isObject(x) && isStr(x.gpu) && isStr(x.kvDtype) && (x.runtime === 'hf' || x.runtime === 'vllm' || x.runtime === 'llamacpp')
    && isNum(x.batch) && Number.isInteger(x.batch) && x.batch >= 1 && isNum(x.tp) && Number.isInteger(x.tp) && x.tp >= 1;
}

/** Deep enough to refuse anything the charts would choke on; the extension is the only sender. */
export function isReportData(x: unknown): x is ReportData {
  if (!isObject(x) || x.version !== 1 || !isStr(x.file) || !isStr(x.title) || !isReportChoices(x.choices)) return false;
  const { summary, memory, variants, budgetTable, measured, quality } = x;
  if (!isObject(summary) || !isNum(summary.bytesPerToken) || !isNum(summary.usableBytesPerGpu)) return false;
  if (!isArr(variants) || !variants.every((v) => isObject(v) && isStr(v.id) && isStr(v.label) && isNum(v.bytesPerToken) && isArr(v.derivation))) return false;
  if (!isObject(memory) || !isArr(memory.contexts) || !memory.contexts.every(isNum) || !isNum(memory.budgetBytes)) return false;
  if (!isArr(memory.series) || !memory.series.every((s) => isObject(s) && isStr(s.variant) && isArr(s.bytes) && s.bytes.length === (memory.contexts as unknown[]).length && s.bytes.every(isNum))) return false;
  if (!isArr(measured) || !measured.every((r) => isObject(r) && isStr(r.device) && isArr(r.points) && r.points.every((p) => isObject(p) && isNum(p.medianUs) && isNum(p.contextTokens) && isNum(p.rooflineUs)))) return false;
  if (!isObject(quality) || !isArr(quality.evidence)) return false;
  if (quality.measured !== undefined && !(isArr(quality.measured) && quality.measured.every((p) => isObject(p) && isStr(p.target) && isNum(p.kRelError) && isNum(p.vRelError)
    && (p.bytesPerToken === undefined || (isNum(p.bytesPerToken) && p.bytesPerToken > 0)) && (p.variant === undefined || isStr(p.variant))))) return false;
  if (quality.weights !== undefined && !(isObject(quality.weights) && isArr(quality.weights.files) && isNum(quality.weights.layersRead))) return false;
  if (!isObject(budgetTable) || !isArr(budgetTable.rows) || !isArr(budgetTable.gpus) || !isArr(budgetTable.contexts)) return false;
  if (x.launch !== undefined && !(isArr(x.launch) && x.launch.every((l) => isObject(l) && isLaunchRuntime(l.runtime) && isStr(l.name)
    && (isStr(l.text) || isStr(l.refused)) && (l.text === undefined || isStr(l.text)) && (l.refused === undefined || isStr(l.refused))
    && (l.summary === undefined || isStr(l.summary)) && (l.command === undefined || isStr(l.command))))) return false;
  return true;
}

export function isHostMessage(x: unknown): x is HostMessage {
  if (!isObject(x)) return false;
  if (x.type === 'data') return isReportData(x.data);
  if (x.type === 'busy' || x.type === 'error') return isStr(x.message);
  return false;
}

export function isViewMessage(x: unknown): x is ViewMessage {
  if (!isObject(x)) return false;
  switch (x.type) {
    case 'ready': case 'runProfile': case 'measureQuality': return true;
    case 'choose': return isReportChoices(x.choices);
    case 'export': return x.format === 'html' || x.format === 'json';
    case 'copyLaunch': return isLaunchRuntime(x.runtime);
    default: return false;
  }
}
