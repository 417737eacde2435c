/** Text output of the CLI: the KV report and the variants table, readable in an 100-column terminal. */
import { describeGpusNeeded } from '../gpusNeeded';
import { bytes, int, layerMix, params, ratio, signed, tokens } from '../format';
import { kvCaveat } from '../caveat';
import { runtimeName, type KvReport, type VariantsReport } from '../report';
import { renderTable } from './table';

export function renderKvReport(report: KvReport, explain: boolean): string {
  const { json, spec, budget } = report;
  const out: string[] = [];
  out.push(`${json.file}`);
  out.push(`  model      ${json.model.modelType ?? 'unknown model_type'} (${json.model.family}) · ${json.model.layers} layers · hidden ${int(json.model.hiddenSize)} · ${json.model.dtype} · ${params(json.model.params)} params${json.model.activeParams !== json.model.params ? ` (${params(json.model.activeParams)} active)` : ''}`);
  out.push(`  attention  ${json.attention.label} · head dim ${json.attention.headDim}${json.attention.vHeadDim !== json.attention.headDim ? `/${json.attention.vHeadDim}` : ''} · ${layerMix(json.attention.layerKinds, json.attention.windows)}`);
  out.push(`  KV cache   K ${json.kv.kDtype}, V ${json.kv.vDtype} (${json.kv.dtypeReason}) · ${runtimeName(json.kv.runtime)}${json.kv.tp > 1 ? ` · tensor parallel ${json.kv.tp}` : ''}`);
  out.push('');
  const caveat = kvCaveat(json);
  if (caveat) out.push(`  ⚠ The KV figures ${caveat} (see the warnings below)`, '');
  out.push(`  KV per token                  ${int(json.kv.bytesPerToken)} B  (${bytes(json.kv.bytesPerToken)})${json.kv.tp > 1 ? `   per GPU ${int(json.kv.bytesPerTokenPerGpu)} B` : ''}`);
  out.push(`  KV at ${int(json.kv.contextTokens)} tokens × ${json.kv.batch}`.padEnd(32) + `${int(json.kv.totalBytes)} B  (${bytes(json.kv.totalBytes)})${json.kv.tp > 1 ? `   per GPU ${bytes(json.kv.totalBytesPerGpu)}` : ''}`);
  if (json.kv.stateBytes > 0) {
    const mixers = json.attention.recurrentState?.mixers.map((m) => `${m.layers} ${m.mixer}`).join(', ') ?? '';
    out.push(`  recurrent state               ${int(json.kv.stateBytes)} B  (${bytes(json.kv.stateBytes)}, fixed per sequence${json.kv.batch > 1 ? ` × ${json.kv.batch}` : ''}: ${mixers})`);
  }
  out.push('');

  // Per-layer table: identical layers grouped, their indices as compact ranges.
  const groups = new Map<string, { layers: number[]; row: (typeof json.kv.perLayer)[number] }>();
  for (const l of json.kv.perLayer) {
    const key = `${l.kind}|${l.windowTokens}|${l.variant}|${l.kvHeads}|${l.bytesPerToken}|${l.cachedTokens}`;
    const g = groups.get(key);
    if (g) g.layers.push(l.layer);
    else groups.set(key, { layers: [l.layer], row: l });
  }
  const rows = [...groups.values()].map(({ layers, row: a }) => [
    `${layers.length}`,
    compactRanges(layers),
    a.kind,
    a.windowTokens !== undefined ? int(a.windowTokens) : '—',
    a.kind === 'linear' ? '—' : a.variant === 'mla' ? 'latent' : `${a.kvHeads}`,
    int(a.bytesPerToken),
    int(a.cachedTokens),
    bytes(a.totalBytes),
    bytes(a.totalBytes * layers.length),
  ]);
  out.push(renderTable(['layers', 'which', 'kind', 'window', spec.variant === 'mla' ? 'kv' : 'kv heads', 'B/token/layer', 'held tokens', 'KV/layer', 'KV'], rows, ['right', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'right']));
  out.push('');

  out.push(`  Budget on ${budget.gpu.name}${budget.gpus > 1 ? ` × ${budget.gpus}` : ''} (utilization ${budget.utilization}, reserve ${bytes(budget.reserveBytes)})`);
  out.push(`    weights          ${bytes(budget.weightsBytes)}${budget.gpus > 1 ? ` (${bytes(budget.weightsBytesPerGpu)} per GPU)` : ''} — ${budget.weightsSource}`);
  const needed = json.budget.gpusNeeded;
  if (needed.gpus !== budget.gpus || needed.pipelineStages > 1) {
    out.push(needed.fits
      ? `    GPUs needed      ${describeGpusNeeded(needed, budget.gpu.name)} → max context ${needed.maxContextTokens !== null && needed.maxContextTokens >= 2 ** 31 ? 'unbounded' : int(needed.maxContextTokens ?? 0)}, ${int(needed.maxBatchAtContext)} request${needed.maxBatchAtContext === 1 ? '' : 's'} at ${tokens(needed.contextTokens)} (${needed.reason}; pin another count with --tp)`
      : `    GPUs needed      none that fits: ${needed.reason}`);
  }
  if (!budget.fits) {
    out.push(`    usable for KV    ${bytes(budget.usableBytesPerGpu)} per GPU — the weights do not leave room for a KV cache on ${budget.gpus === 1 ? 'one GPU' : `${budget.gpus} GPUs`}${needed.fits ? `; ${describeGpusNeeded(needed, budget.gpu.name)} do (above)` : '; try a bigger GPU or a quantized checkpoint'}`);
  } else {
    out.push(`    usable for KV    ${bytes(budget.usableBytesPerGpu)} per GPU → ${int(budget.cacheTokens)} cache tokens`);
    out.push(`    max context      ${budget.maxContextTokens !== null && budget.maxContextTokens >= 2 ** 31 ? 'unbounded (all caching layers are windowed)' : `${int(budget.maxContextTokens ?? 0)} tokens at batch 1`}${budget.fitsModelContext ? ` (≥ the model's ${int(spec.maxContextTokens)})` : ` (model allows ${int(spec.maxContextTokens)})`}`);
    out.push(`    batch at ${tokens(json.kv.contextTokens).padEnd(7)} ${int(budget.maxBatchAtContext)} sequence${budget.maxBatchAtContext === 1 ? '' : 's'}`);
    out.push(`    concurrency      ${budget.concurrency.map((c) => `${tokens(c.contextTokens)}: ${int(c.maxConcurrency)}`).join(' · ')} requests`);
  }
  appendNotes(out, json.notes, json.warnings);
  if (explain) {
    out.push('', '  Derivation');
    for (const line of report.derivation) out.push(`    ${line}`);
  }
  return out.join('\n');
}

export function renderVariants(report: VariantsReport, explain: boolean): string {
  const { base, rows } = report;
  const json = base.json;
  const out: string[] = [];
  out.push(`${json.file}`);
  out.push(`  ${json.attention.label} · ${json.model.layers} layers · ${layerMix(json.attention.layerKinds, json.attention.windows)} · KV ${json.kv.kDtype === json.kv.vDtype ? json.kv.kDtype : `${json.kv.kDtype}/${json.kv.vDtype}`} · ${runtimeName(json.kv.runtime)}`);
  out.push(`  at ${int(json.kv.contextTokens)} tokens × ${json.kv.batch}, budget on ${base.budget.gpu.name}${base.budget.gpus > 1 ? ` × ${base.budget.gpus}` : ''}`);
  out.push('');
  const table = rows.map((r) => [
    r.id,
    r.label,
    int(r.bytesPerToken),
    bytes(r.totalBytes),
    r.id === 'own' ? '—' : r.savingVsOwn >= 1 ? `${ratio(r.savingVsOwn)} less` : `${ratio(1 / r.savingVsOwn)} more`,
    r.attentionParamsDelta === 0 ? '—' : signed(params(r.attentionParamsDelta), r.attentionParamsDelta),
    gflops(r.attentionFlopsPerToken),
    r.maxContextTokens === null ? "doesn't fit" : r.maxContextTokens >= 2 ** 31 ? 'unbounded' : int(r.maxContextTokens),
    int(r.maxBatchAtContext),
  ]);
  out.push(renderTable(
    ['id', 'variant', 'KV B/token', `KV @ ${tokens(json.kv.contextTokens)}`, 'vs own', 'attn params Δ', 'decode GFLOP/token', 'max context', `batch @ ${tokens(json.kv.contextTokens)}`],
    table,
    ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  ));
  const flagged = rows.filter((r) => r.note);
  if (flagged.length > 0) {
    out.push('');
    for (const r of flagged) out.push(`  ${r.id}: ${r.note}`);
  }
  appendNotes(out, report.json.notes, json.warnings);
  if (explain) {
    out.push('', '  Derivation (as configured)');
    for (const line of base.derivation) out.push(`    ${line}`);
    out.push('    variants: the same layers and windows with the heads (or latent) changed; attention params = q, k, v, o projections (MLA: q, down, up, o);');
    out.push('    decode FLOPs = 2 × attention params + 2 × q heads × attended tokens × (d_k + d_v) per layer (MLA absorbed: 2·rank + rope)');
  }
  return out.join('\n');
}

function gflops(f: number): string {
  return (f / 1e9).toFixed(f >= 1e11 ? 0 : f >= 1e10 ? 1 : 2);
}

/** [0,1,2,3,4,6,7,8] → "0–4, 6–8"; long lists end with "…". */
export function compactRanges(indices: readonly number[], maxChars = 28): string {
  const parts: string[] = [];
  let start = indices[0];
  for (let i = 1; i <= indices.length; i++) {
    const prev = indices[i - 1]!;
    const cur = indices[i];
    if (cur !== prev + 1) {
      parts.push(start === prev ? `${prev}` : `${start}–${prev}`);
      start = cur;
    }
  }
  let text = '';
  for (const p of parts) {
    const next = text ? `${text}, ${p}` : p;
    if (next.length > maxChars) return `${text}, …`;
    text = next;
  }
  return text;
}

function appendNotes(out: string[], notes: readonly string[], warnings: readonly { message: string; line?: number; key?: string }[]): void {
  if (notes.length === 0 && warnings.length === 0) return;
  out.push('');
  for (const w of warnings) out.push(`  warning: ${w.line ? `line ${w.line}: ` : ''}${w.message}`);
  for (const n of notes) out.push(`  note: ${n}`);
}
