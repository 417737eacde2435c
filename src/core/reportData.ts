/**
 * Everything the report panel and the exported HTML draw, built from the engine in one pure call:
 * the variants (with derivations), KV memory against context per variant with the GPU budget line,
 * the budget over every GPU preset, measured profile runs with each case's roofline bound, and the
 * quality evidence there is (none is invented): published results, and the weight-space errors a
 * measurement found on this model's own weights when one is passed in. The webview only draws what is here.
 */
import type { AttentionSpec } from './attentionSpec';
import { ConfigError, UsageError } from './errors';
import { parseTarget } from './evidence';
import { int, layerMix } from './format';
import { GPU_PRESETS } from './gpus';
import { KV_DTYPE_NAMES } from './kvDtypes';
import { reportEvidence, withChange, type MlaShape } from './qualityNotes';
import { buildKvReport, buildVariantsReport, resolveOptions, runtimeName, type ModelInput, type ReportOptions, type VariantRow } from './report';
import { measuredPoints, type MeasurementInput } from './reportMeasured';
import { withKvHeads } from './variants';
import type { ProfileReport, ProfileResult } from '../shared/profileProtocol';
import type { MeasuredRun, QualityEvidence, ReportChoices, ReportData, ReportLaunch, ReportVariant } from '../shared/reportProtocol';
import { buildLaunch, LAUNCH_CLIS, LAUNCH_RUNTIMES, launchOptions, type LaunchFiles } from './launch';
import { launchSummary, renderLaunch } from './text/renderLaunch';

/** Contexts of the memory chart: 1k to 1M tokens, doubling at every other step. */
export const MEMORY_CONTEXTS = [1024, 4096, 16384, 32768, 65536, 131072, 262144, 1048576];
const BUDGET_CONTEXTS = [8192, 32768, 131072];
const MAX_CHARTED = 6;

export interface ReportDataInput {
  input: ModelInput;
  options: ReportOptions;
  /** Past profile runs of this config, newest first. */
  runs?: readonly ProfileReport[];
  evidence?: readonly QualityEvidence[];
  /** The latest weight measurement of this config (checked with readMeasurement), if there is one. */
  measurement?: MeasurementInput;
  generator: string;
  now?: Date;
  /** For the launch commands: the config's path as a terminal finds it (default input.file) and the GGUFs beside it. */
  launch?: LaunchFiles & { file?: string };
}

export function buildReportData({ input, options, runs = [], evidence, measurement, generator, now = new Date(), launch }: ReportDataInput): ReportData {
  const base = buildKvReport(input, options);
  const variants = buildVariantsReport(input, options);
  const { json } = base;
  const choices: ReportChoices = {
    gpu: options.gpuMemGiB !== undefined ? 'custom' : json.budget.gpu.id, kvDtype: options.kvDtype ?? 'auto', runtime: json.kv.runtime, batch: json.kv.batch, tp: json.kv.tp,
  };
  const charted = chartedIds(variants.rows);
  const rows: ReportVariant[] = variants.rows.map((r) => ({
    id: r.id, label: r.label, kind: r.kind, own: r.kind === 'own', kvDtype: r.kvDtype, bytesPerToken: r.bytesPerToken, totalBytes: r.totalBytes,
    savingVsOwn: r.savingVsOwn, maxContextTokens: r.maxContextTokens, maxBatchAtContext: r.maxBatchAtContext,
    attentionParamsDelta: r.attentionParamsDelta, attentionFlopsDelta: r.attentionFlopsDelta, charted: charted.has(r.id),
    derivation: variantDerivation(r, json.kv.contextTokens, json.kv.batch),
  }));

  // Given points (tests, other front ends) get their kind and change from the same table as the engine's.
  const published = evidence?.map(withChange) ?? reportEvidence(rows.filter((r) => r.charted), { params: json.model.params, kvHeads: json.attention.kvHeads, qHeads: json.attention.qHeads, mla: mlaShape(base.spec, options) });
  const measured = measurement?.weights.found ? measuredPoints(measurement, variants.rows, (target) => bytesElsewhere(input, options, target)) : undefined;

  // Memory vs context: the same choices at each context, KV per GPU (what the budget line is in).
  const series = rows.filter((r) => r.charted).map((r) => ({ variant: r.id, bytes: [] as number[] }));
  for (const contextTokens of MEMORY_CONTEXTS) {
    const at = buildVariantsReport(input, { ...options, contextTokens });
    for (const s of series) {
      const row = at.rows.find((x) => x.id === s.variant);
      s.bytes.push(row ? Math.ceil(row.totalBytes / json.kv.tp) : 0);
    }
  }

  return {
    version: 1,
    file: input.file,
    title: modelTitle(input.file, json.model.modelType),
    generatedAt: now.toISOString(),
    generator,
    choices,
    options: {
      gpus: [...(options.gpuMemGiB !== undefined ? [{ id: 'custom', name: json.budget.gpu.name }] : []), ...GPU_PRESETS.map((g) => ({ id: g.id, name: g.name }))],
      kvDtypes: ['auto', ...KV_DTYPE_NAMES],
      runtimes: (['hf', 'vllm', 'llamacpp'] as const).map((id) => ({ id, name: runtimeName(id) })),
    },
    summary: {
      attention: json.attention.label,
      layerMix: layerMix(json.attention.layerKinds, json.attention.windows),
      layers: json.model.layers,
      dtype: json.kv.dtype,
      bytesPerToken: json.kv.bytesPerToken,
      contextTokens: json.kv.contextTokens,
      modelMaxContextTokens: json.model.maxContextTokens,
      totalBytes: json.kv.totalBytes,
      gpuName: json.budget.gpu.name,
      gpus: json.budget.gpus,
      weightsBytesPerGpu: json.budget.weightsBytesPerGpu,
      usableBytesPerGpu: json.budget.usableBytesPerGpu,
      gpusNeeded: (({ gpus, tp, pipelineStages, nodes, fits, maxContextTokens, maxBatchAtContext, reason }) => ({ gpus, tp, pipelineStages, nodes, fits, maxContextTokens, maxBatchAtContext, reason }))(json.budget.gpusNeeded),
    },
    derivation: base.derivation,
    variants: rows,
    memory: { contexts: MEMORY_CONTEXTS, series, budgetBytes: Math.max(0, json.budget.usableBytesPerGpu), budgetDerivation: base.budget.derivation.slice(0, 1) },
    measured: runs.map(measuredRun),
    quality: {
      evidence: [...published],
      note: published.length > 0
        ? 'Each published result is drawn as its change against its own baseline in the same study — percentage points for accuracy-like scores, % relative for perplexity and generation scores — one chart per kind of metric, at this model\'s KV bytes per token for the variant it is about. Each point names its model, training budget, baseline and source; results from different studies are about different models. The table keeps the reported values.'
        : 'No published result with a number matches these variants. Nothing here is estimated.',
      ...(measured ? { measured: measured.points, weights: measured.weights } : {}),
    },
    budgetTable: budgetTable(input, options, rows.filter((r) => r.charted).map((r) => r.id)),
    notes: [...json.notes, ...json.warnings.map((w) => `${w.key ? `${w.key}: ` : ''}${w.message}`)],
    launch: launchCommands(launch?.file !== undefined ? { ...input, file: launch.file } : input, options, launch ?? {}),
  };
}

/** The report's budget as each runtime's command, or why that runtime cannot take these settings. */
function launchCommands(input: ModelInput, options: ReportOptions, files: LaunchFiles): ReportLaunch[] {
  return LAUNCH_RUNTIMES.map((runtime) => {
    try {
      const plan = buildLaunch(input, launchOptions(options), runtime, files);
      return { runtime, name: plan.runtimeName, summary: launchSummary(plan), text: renderLaunch(plan), command: plan.command };
    } catch (e) {
      if (e instanceof UsageError || e instanceof ConfigError) return { runtime, name: LAUNCH_CLIS[runtime].name, refused: e.message };
      throw e;
    }
  });
}

/** What an MLA evidence row's kept fraction is compared with: this model's MHA cache per layer, and the report's RoPE width. */
function mlaShape(spec: AttentionSpec, options: ReportOptions): MlaShape | undefined {
  const layer = withKvHeads(spec, spec.qHeads).layers.find((l) => l.variant !== null);
  if (!layer) return undefined;
  return { mhaElementsPerLayer: layer.kvHeads * (layer.kHeadDim + layer.vHeadDim), ropeDim: resolveOptions(spec, options).mlaRope };
}

/** KV bytes per token of a measured shape no report variant has: an MLA rank other than the report's, a KV dtype not listed. */
function bytesElsewhere(input: ModelInput, options: ReportOptions, target: string): number | undefined {
  const t = parseTarget(target);
  const { kDtype: _k, vDtype: _v, ...rest } = options;
  try {
    if (t?.kind === 'mla' && t.rank !== undefined) return buildVariantsReport(input, { ...options, mlaRank: t.rank }).rows.find((r) => r.id === `mla-${t.rank}`)?.bytesPerToken;
    const dtype = target.trim().toLowerCase().slice(3);
    if (t?.kind === 'kv-quant' && (KV_DTYPE_NAMES as readonly string[]).includes(dtype)) return buildKvReport(input, { ...rest, kvDtype: dtype }).json.kv.bytesPerToken;
  } catch (e) {
    // A shape the engine refuses for this model (a rank out of range, a dtype whose blocks do not fit): not priced.
    if (e instanceof UsageError || e instanceof ConfigError) return undefined;
    throw e;
  }
  return undefined;
}

/** The own attention, MHA, one GQA, MQA, MLA and the first other KV dtype: at most six lines a chart can keep apart. */
function chartedIds(rows: readonly VariantRow[]): Set<string> {
  const pick: string[] = [];
  const add = (r: VariantRow | undefined): void => {
    if (r && !pick.includes(r.id) && pick.length < MAX_CHARTED) pick.push(r.id);
  };
  add(rows.find((r) => r.kind === 'own'));
  add(rows.find((r) => r.id === 'mha'));
  add(rows.find((r) => r.id === 'gqa-8') ?? rows.find((r) => r.id.startsWith('gqa-')));
  add(rows.find((r) => r.id === 'mqa'));
  add(rows.find((r) => r.kind === 'mla'));
  add(rows.find((r) => r.kind === 'dtype'));
  return new Set(pick);
}

function variantDerivation(r: VariantRow, contextTokens: number, batch: number): string[] {
  return [
    `KV per token = ${int(r.bytesPerToken)} B (${r.kvDtype})`,
    `KV at ${int(contextTokens)} tokens × batch ${batch} = ${int(r.totalBytes)} B`,
    `saving vs the config's own attention = own bytes per token / ${int(r.bytesPerToken)} B = ${r.savingVsOwn.toFixed(2)}×`,
    r.maxContextTokens === null ? 'max context: the weights leave no room for a KV cache' : `max context at batch 1 = the longest T with KV(T) ≤ usable memory = ${int(r.maxContextTokens)} tokens`,
    `attention parameters ${r.attentionParamsDelta >= 0 ? '+' : ''}${int(r.attentionParamsDelta)}, decode FLOPs per token ${r.attentionFlopsDelta >= 0 ? '+' : ''}${int(r.attentionFlopsDelta)} vs own`,
    ...(r.note ? [r.note] : []),
  ];
}

function measuredRun(report: ProfileReport): MeasuredRun {
  const { peaks } = report.device;
  return {
    device: report.device.adapter,
    backend: report.device.backend,
    storage: report.device.storage,
    ...(report.device.software ? { software: true } : {}),
    date: report.finishedAt,
    peaks: { copyGBps: peaks.copyGBps, f32TFlops: peaks.f32TFlops, ...(peaks.readGBps !== undefined ? { readGBps: peaks.readGBps } : {}) },
    points: report.results.filter((r) => r.status === 'measured' && r.medianUs !== null && r.layerKind === 'full').map((r) => {
      // Decode only reads K and V: its memory bound is the read peak where one was measured.
      const bound = r.mode === 'decode' && peaks.readGBps !== undefined ? { name: 'read', gbps: peaks.readGBps } : { name: 'copy', gbps: peaks.copyGBps };
      const memoryUs = r.bytes / (bound.gbps * 1e3);
      const computeUs = r.flops / (peaks.f32TFlops * 1e6);
      return {
        variant: r.variant, label: r.label, own: r.own, mode: r.mode, contextTokens: r.context, medianUs: r.medianUs!,
        rooflineUs: Math.max(memoryUs, computeUs),
        derivation: [
          `median ${r.medianUs!.toFixed(1)} µs per layer over ${r.samples ?? '—'} samples (${r.timing ?? 'timestamp'} timing)`,
          `roofline = max(${int(r.bytes)} B / ${bound.gbps.toFixed(2)} GB/s (${bound.name} peak), ${int(r.flops)} FLOP / ${peaks.f32TFlops.toFixed(4)} TFLOP/s (f32 FMA peak)) = ${Math.max(memoryUs, computeUs).toFixed(1)} µs (measured peaks of this device)`,
          ...(r.kernelName ? [kernelLine(r)] : []),
        ],
      };
    }),
  };
}

/** Which kernel produced a measured point, and in which types: K/V as stored, products as multiplied. */
function kernelLine(r: ProfileResult): string {
  const products = r.products === 'f16' ? ', products in f16, sums in f32' : r.products ? ', products in f32' : '';
  const prefetch = r.prefetch === undefined ? '' : r.prefetch ? ', register prefetch' : ', no prefetch';
  return `kernel ${r.kernelName}.wgsl (${r.kernel ?? 'v1'}), K/V stored as ${r.storage}${products}${prefetch}`;
}

function budgetTable(input: ModelInput, options: ReportOptions, variantIds: string[]): ReportData['budgetTable'] {
  const rows: ReportData['budgetTable']['rows'] = [];
  const gpus: ReportData['budgetTable']['gpus'] = [];
  const { gpuMemGiB: _custom, utilization: _u, ...rest } = options;
  for (const gpu of GPU_PRESETS) {
    const perContext = BUDGET_CONTEXTS.map((contextTokens) => buildVariantsReport(input, { ...rest, gpu: gpu.id, contextTokens, ...(options.utilization !== undefined ? { utilization: options.utilization } : {}) }));
    // Sized for one request at the first budget context (the table's own first column).
    const n = perContext[0]!.json.budget.gpusNeeded;
    gpus.push({ id: gpu.id, name: gpu.name, memoryBytes: gpu.memoryBytes, gpusNeeded: { gpus: n.gpus, tp: n.tp, pipelineStages: n.pipelineStages, nodes: n.nodes, fits: n.fits } });
    for (const id of variantIds) {
      const first = perContext[0]!.rows.find((r) => r.id === id);
      if (!first) continue;
      rows.push({
        gpu: gpu.id, variant: id, fits: first.maxContextTokens !== null, maxContextTokens: first.maxContextTokens,
        concurrency: perContext.map((v) => v.rows.find((r) => r.id === id)?.maxBatchAtContext ?? 0),
      });
    }
  }
  return { contexts: BUDGET_CONTEXTS, gpus, rows };
}

function modelTitle(file: string, modelType: string | null): string {
  const parts = file.split(/[\\/]/).filter(Boolean);
  const folder = parts.length >= 2 ? parts[parts.length - 2] : undefined;
  return folder ?? modelType ?? 'model';
}
