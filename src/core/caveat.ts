/**
 * The one phrase every surface shows when the KV figures may be wrong (an unmodelled structural key,
 * an unknown or missing model_type): the lens, the hover, the status bar, the sidebar and the text
 * report say the same words, naming the keys, from the report's own warnings.
 */
import type { KvReportJson } from './report';

/** "may be wrong: attn_layer_period, model_type "foo"" — undefined when the figures are exact. */
export function kvCaveat(json: Pick<KvReportJson, 'exact' | 'warnings'>): string | undefined {
  if (json.exact) return undefined;
  const what = json.warnings.filter((w) => w.kvMayBeWrong).map((w) => (w.code === 'no-model-type' ? 'no model_type' : w.code === 'unknown-model-type' ? `unknown model_type` : w.key ?? w.code));
  return `may be wrong: ${[...new Set(what)].join(', ')}`;
}
