/**
 * What the editor's code lenses say, computed from the same KvReport as the CLI: one entry per lens,
 * anchored on the config key it is about (its range in the file), with the action a click runs. The
 * VS Code provider only turns these into CodeLens objects; the titles are tested here on real configs.
 */
import { describeGpusNeeded } from './gpusNeeded';
import type { ConfigField } from './configKeys';
import type { SourceRange } from './errors';
import { bytes, int, layerMix, ratio } from './format';
import { kvCaveat } from './caveat';
import { buildKvReport, buildVariantsReport, type KvReport, type ModelInput, type ReportOptions } from './report';

/** What clicking a lens does; the editor maps each to a command. */
export type LensAction = 'openReport' | 'profile' | 'compareVariants' | 'copyLaunchCommand';

export interface LensModel {
  /** The field the lens sits on, and the key spelling and range it has in this file. */
  field: ConfigField;
  key: string;
  range: SourceRange;
  title: string;
  tooltip: string;
  action: LensAction;
}

/** Keys whose lens tells the layer mix, in the order they are looked for. */
const PATTERN_FIELDS: readonly ConfigField[] = ['layerTypes', 'hybridOverridePattern', 'blockConfigs', 'linearAttnConfig', 'attnLayerPeriod', 'attnLayerIndices', 'fullAttnIdxs', 'numKvSharedLayers', 'slidingWindowPattern', 'attentionChunkSize', 'useSlidingWindow', 'slidingWindow', 'fullAttentionInterval', 'attnTypeList'];
/** Keys that define the attention shape, most specific first. */
const ATTENTION_FIELDS: readonly ConfigField[] = ['numKvHeads', 'multiQuery', 'multiQueryAttention', 'numHeads'];

export function computeLenses(input: ModelInput, options: ReportOptions = {}, report: KvReport = buildKvReport(input, options)): LensModel[] {
  const { json } = report;
  const out: LensModel[] = [];
  const at = (fields: readonly ConfigField[]): { field: ConfigField; key: string; range: SourceRange } | undefined => {
    for (const field of fields) {
      const source = report.config.get(field)?.source;
      if (source?.kind === 'key') return { field, key: source.key, range: source.range };
    }
    return undefined;
  };
  const perToken = `${bytes(json.kv.bytesPerToken)}/token`;

  if (json.attention.mla) {
    const anchor = at(['kvLoraRank']);
    if (anchor) {
      const mha = buildVariantsReport(input, options).rows.find((r) => r.id === 'mha');
      const saving = mha ? ` · ${ratio(mha.bytesPerToken / json.kv.bytesPerToken)} less than MHA` : '';
      out.push({ ...anchor, title: `MLA latent ${json.attention.mla.latentDim} · ${perToken}${saving}`, tooltip: tooltipOf(report), action: 'openReport' });
      out.push(...actions(anchor));
    }
  } else {
    const anchor = at(ATTENTION_FIELDS);
    if (anchor) {
      const a = json.attention;
      const heads = a.variant === 'mixed' || a.variant === 'none' ? a.label : `${a.variant.toUpperCase()} · ${a.qHeads} q / ${a.kvHeads} kv heads`;
      out.push({ ...anchor, title: `${heads} · ${perToken}`, tooltip: tooltipOf(report), action: 'openReport' });
      out.push(...actions(anchor));
    }
  }

  const context = at(['maxContext']);
  if (context) {
    const b = json.budget;
    const gpus = b.gpus > 1 ? `${b.gpus}× ${b.gpu.name}` : b.gpu.name;
    const n = b.gpusNeeded;
    const needs = n.fits ? `needs ${describeGpusNeeded(n, b.gpu.name)}: fits ${n.maxBatchAtContext}× there` : `no count of ${b.gpu.name} fits it`;
    const fits = b.maxBatchAtContext > 0 ? `fits ${b.maxBatchAtContext}× on ${gpus}` : needs;
    out.push({ ...context, title: `KV at ${int(json.kv.contextTokens)} tokens: ${bytes(json.kv.totalBytes)} (${json.kv.dtype}) · ${fits}`, tooltip: b.maxBatchAtContext > 0 ? `Usable for KV on one ${b.gpu.name}: ${bytes(b.usableBytesPerGpu)} after ${bytes(b.weightsBytesPerGpu)} of weights and a ${bytes(b.reserveBytes)} reserve.` : `${gpus} cannot hold ${bytes(b.weightsBytes)} of weights and one ${int(json.kv.contextTokens)}-token request (${bytes(b.weightsBytesPerGpu)} of weights per GPU). GPUs needed: ${n.reason}.`, action: 'openReport' });
    // The budget as a command: the runtime is picked on click, each refusal said there.
    if (n.fits) {
      out.push({
        ...context, title: '$(copy) Copy launch command',
        tooltip: `A vLLM, SGLang or llama.cpp command sized by this budget (${describeGpusNeeded(n, b.gpu.name)}, or the tensor-parallel size set above 1; ${int(json.kv.contextTokens)}-token context; the requests that fit at once), each flag's reason in a comment above it.`,
        action: 'copyLaunchCommand',
      });
    }
  }

  const mix = mixOf(report);
  const pattern = mix ? at(PATTERN_FIELDS) : undefined;
  if (pattern && mix) out.push({ ...pattern, title: mix, tooltip: 'Layers by kind: sliding and chunked layers keep at most their window of tokens.', action: 'openReport' });
  return markUncertain(out, report);
}

/**
 * When a warning says the figures may be wrong, every figure lens says so in its title, naming the
 * keys, and its tooltip carries the warnings: never a clean number for a structure not modelled.
 */
function markUncertain(lenses: LensModel[], report: KvReport): LensModel[] {
  const caveat = kvCaveat(report.json);
  if (!caveat) return lenses;
  const why = report.json.warnings.filter((w) => w.kvMayBeWrong).map((w) => `⚠ ${w.line ? `line ${w.line}: ` : ''}${w.message}`).join('\n');
  return lenses.map((l) => (l.action === 'openReport' ? { ...l, title: `$(warning) ${l.title} · ${caveat}`, tooltip: `${why}\n\n${l.tooltip}` } : l));
}

function actions(anchor: { field: ConfigField; key: string; range: SourceRange }): LensModel[] {
  return [
    { ...anchor, title: '$(play) Profile', tooltip: 'Run this attention and its variants on your GPU (measured, checked against a CPU reference)', action: 'profile' },
    { ...anchor, title: 'Compare variants', tooltip: 'The same model as MHA, GQA, MQA, MLA and other KV dtypes', action: 'compareVariants' },
  ];
}

/** The layer mix for a lens; undefined when every layer is full attention (nothing to say). */
function mixOf(report: KvReport): string | undefined {
  const { layerKinds, windows } = report.json.attention;
  return layerKinds.full === report.json.model.layers ? undefined : layerMix(layerKinds, windows);
}

function tooltipOf(report: KvReport): string {
  const { json } = report;
  return `${json.attention.label}: ${int(json.kv.bytesPerToken)} B of KV per token (K ${json.kv.kDtype}, V ${json.kv.vDtype}) over ${json.model.layers} layers. Click for the report.`;
}
