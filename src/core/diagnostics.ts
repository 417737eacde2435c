/**
 * What the editor's Problems panel says about a config: everything the engine would refuse (wrong
 * types, heads that do not divide, missing keys) plus the configs that are legal but misleading — the
 * ones other tools famously get wrong. Each issue carries the key and its range so the squiggle sits on
 * the key to fix. JSON syntax errors are left to VS Code's own JSON support (it already marks them).
 * Pure: the VS Code provider only maps these to vscode.Diagnostic.
 */
import { deriveAttentionSpec, type AttentionSpec } from './attentionSpec';
import type { ConfigField } from './configKeys';
import { ConfigError, type ConfigIssue, type SourceRange } from './errors';
import { int } from './format';
import { num, readModelConfig, type ModelConfig } from './modelConfig';

/** Codes the editor does not repeat: VS Code's JSON language service reports these already. */
const LEFT_TO_JSON_SUPPORT = new Set(['json-syntax', 'empty']);

export interface ConfigDiagnostics {
  issues: ConfigIssue[];
  /** The derived spec, when the config is usable (no error); the caller can reuse it. */
  spec: AttentionSpec | undefined;
}

export function configDiagnostics(file: string, text: string): ConfigDiagnostics {
  const config = readModelConfig(file, text);
  const issues = config.issues.filter((i) => !LEFT_TO_JSON_SUPPORT.has(i.code));
  if (config.issues.some((i) => i.severity === 'error')) return { issues, spec: undefined };
  let spec: AttentionSpec;
  try {
    spec = deriveAttentionSpec(config);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { issues: [...issues, e.issue], spec: undefined };
  }
  issues.push(...spec.issues, ...misleading(config, spec));
  return { issues: dedupe(issues), spec };
}

/** Legal configs whose numbers are easy to misread; each names what the engine assumed. */
function misleading(config: ModelConfig, spec: AttentionSpec): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const at = (field: ConfigField): { key: string; range: SourceRange } | undefined => {
    const source = config.get(field)?.source;
    return source?.kind === 'key' ? { key: source.key, range: source.range } : undefined;
  };

  // A missing or unknown model_type is the spec's own warning (every surface shows it), not repeated here.

  // head_dim that is not hidden_size / heads: right for Gemma or Qwen3, but formulas that derive the
  // head size from hidden_size get this model's KV wrong by the ratio.
  const headKey = at('headDim');
  const hidden = num(config, 'hiddenSize');
  if (headKey && !spec.mla && hidden !== undefined && hidden % spec.qHeads === 0 && hidden / spec.qHeads !== spec.headDim) {
    const derived = hidden / spec.qHeads;
    out.push({
      severity: 'info', code: 'head-dim-differs', ...headKey,
      message: `head_dim ${spec.headDim} differs from hidden_size / num_attention_heads = ${int(hidden)} / ${spec.qHeads} = ${derived}: the KV cache uses head_dim, ${ratioText(spec.headDim / derived)} what hidden_size / heads would give`,
      hint: 'Intended for models such as Gemma and Qwen3; check the model card if it is not.',
    });
  }

  // A sliding window that is switched off, or that covers the whole context, saves nothing.
  const windowKey = at('slidingWindow');
  const window = num(config, 'slidingWindow');
  const useWindow = config.get('useSlidingWindow');
  if (windowKey && window !== undefined && useWindow?.value === false && config.typeInfo.layerPattern === 'qwen-window-layers') {
    out.push({
      severity: 'info', code: 'window-off', ...windowKey,
      message: `sliding_window ${int(window)} is set but use_sliding_window is false: every layer attends to the full context and caches every token`,
      hint: 'Set "use_sliding_window": true if the model was trained with the window.',
    });
  }
  const sliding = spec.layers.filter((l) => (l.kind === 'sliding' || l.kind === 'chunked') && l.windowTokens !== undefined);
  const widest = Math.max(0, ...sliding.map((l) => l.windowTokens!));
  if (sliding.length > 0 && widest >= spec.maxContextTokens) {
    const kind = sliding[0]!.kind === 'chunked' ? 'chunk' : 'sliding window';
    const anchor = (sliding[0]!.kind === 'chunked' ? at('attentionChunkSize') : windowKey) ?? at('maxContext');
    out.push({
      severity: 'warning', code: 'window-exceeds-context', ...anchor,
      message: `${kind} ${int(widest)} is not smaller than the context ${int(spec.maxContextTokens)} (${contextKeyName(config)}): the ${sliding.length} windowed layer${sliding.length === 1 ? '' : 's'} cache every token, as full layers do`,
      hint: `A window saves memory only below the context; check ${anchor?.key ?? 'the window'} against the model card.`,
    });
  }
  return out;
}

function contextKeyName(config: ModelConfig): string {
  const source = config.get('maxContext')?.source;
  return source?.kind === 'key' ? source.key : 'assumed';
}

function ratioText(x: number): string {
  return x >= 1 ? `${Number(x.toFixed(2))}×` : `${Number((1 / x).toFixed(2))}× less than`;
}

/** The engine may report one fact twice (config and spec); keep the first of each code on each key. */
function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const id = `${i.code}|${i.key ?? ''}|${i.range?.offset ?? ''}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

