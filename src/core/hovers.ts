/**
 * What the editor's hover says on a config key: its meaning and KV effect from the one key table
 * (configKeys.ts) and this model's own derivation lines from the KvReport that mention it. The VS Code
 * provider renders `hoverMarkdown`; nothing here knows about VS Code.
 */
import { CONFIG_KEYS, type ConfigField } from './configKeys';
import type { SourceRange } from './errors';
import { qualityLines, targetsForField } from './qualityNotes';
import { buildKvReport, type KvReport, type ModelInput, type ReportOptions } from './report';
import type { WeightsMeasurementJson } from '../shared/qualityProtocol';

export interface HoverModel {
  field: ConfigField;
  /** The key as spelled in this file. */
  key: string;
  range: SourceRange;
  meaning: string;
  kvEffect: string;
  /** This model's derivation lines that use the key, then the totals it feeds. */
  derivation: string[];
  /** What the memory savings this key controls cost: measured on the weights (when run) and published. */
  quality: string[];
  /** Warnings that say this model's KV figures may be wrong (shown first). */
  caveats: string[];
}

/** The hover for the key at `offset` (a character offset into the text), or undefined off known keys. */
export function hoverAt(input: ModelInput, offset: number, options: ReportOptions = {}, report: KvReport = buildKvReport(input, options), measured?: WeightsMeasurementJson): HoverModel | undefined {
  for (const field of Object.keys(CONFIG_KEYS) as ConfigField[]) {
    const source = report.config.get(field)?.source;
    if (source?.kind !== 'key') continue;
    const { range, key } = source;
    if (offset < range.offset || offset > range.offset + range.length) continue;
    const info = CONFIG_KEYS[field];
    const leaf = key.split('.').pop()!;
    const uses = report.derivation.filter((line) => line.includes(leaf));
    // A key that changes the KV cache also shows the totals it feeds.
    const totals = info.kvEffect ? report.derivation.filter((line) => /^(bytes per token|total at) /.test(line) && !uses.includes(line)) : [];
    const { json } = report;
    const quality = qualityLines(targetsForField(field, report.spec), { params: json.model.params, kvHeads: json.attention.kvHeads, qHeads: json.attention.qHeads }, measured);
    const caveats = json.warnings.filter((w) => w.kvMayBeWrong).map((w) => `${w.line ? `line ${w.line}: ` : ''}${w.message}`);
    // The context key: when the chosen GPUs cannot hold one request, how many do (gpusNeeded.ts).
    const gpus = field === 'maxContext' && json.budget.maxBatchAtContext === 0 ? report.derivation.filter((line) => line.startsWith('GPUs needed:')) : [];
    return { field, key, range, meaning: info.meaning, kvEffect: info.kvEffect, derivation: [...uses, ...totals, ...gpus], quality, caveats };
  }
  return undefined;
}

/** Markdown for a hover; `links` are command links the editor trusts (label → command URI). */
export function hoverMarkdown(h: HoverModel, links: readonly { label: string; uri: string }[] = []): string {
  const out = [`**${h.key}** — ${h.meaning}`];
  if (h.caveats.length > 0) out.push('', '**⚠ The KV figures below may be wrong:**', '', ...h.caveats.map((l) => `- ${escapeMarkdown(l)}`));
  if (h.kvEffect) out.push('', `*KV cache:* ${h.kvEffect}`);
  if (h.derivation.length > 0) out.push('', '*This model:*', '', ...h.derivation.map((l) => `- ${escapeMarkdown(l)}`));
  if (h.quality.length > 0) out.push('', '*Quality cost:*', '', ...h.quality.map((l) => `- ${escapeMarkdown(l)}`));
  if (links.length > 0) out.push('', links.map((l) => `[${l.label}](${l.uri})`).join(' · '));
  return out.join('\n');
}

function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_[\]<>|])/g, '\\$1');
}
