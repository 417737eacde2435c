/**
 * Measurement targets: the one vocabulary (core/variantNames.ts: gqa-4 / gqa4, mqa, mla-256 / mla256,
 * kv-int8 / int8 …) ⇄ QualityTargetSpec. Targets
 * that are not a weight-space conversion (window-N) stay in the list as `unmeasured`, so the result can
 * say why they have no number.
 */
import type { KvQuantDtype } from './conversions';
import { QualityInputError } from './safetensors';
import { parseVariantName, variantName } from '../core/variantNames';

export type QualityTargetSpec =
  | { kind: 'gqa'; groups: number }
  | { kind: 'mqa' }
  | { kind: 'mla'; rank: number }
  | { kind: 'kv'; dtype: KvQuantDtype }
  | { kind: 'unmeasured'; target: string; reason: string };

const KV_DTYPES: readonly KvQuantDtype[] = ['int8', 'int4', 'fp8', 'q8_0', 'q4_0', 'nvfp4'];

/** The target's name in results: gqa-4, mqa, mla-256, kv-int8 … */
export function targetName(t: QualityTargetSpec): string {
  switch (t.kind) {
    case 'gqa': return `gqa-${t.groups}`;
    case 'mqa': return 'mqa';
    case 'mla': return `mla-${t.rank}`;
    case 'kv': return `kv-${t.dtype}`;
    case 'unmeasured': return t.target;
  }
}

/** Parses CLI targets; throws QualityInputError for one that is not a target at all. */
export function parseMeasureTargets(targets: readonly string[]): QualityTargetSpec[] {
  const out: QualityTargetSpec[] = [];
  const seen = new Set<string>();
  for (const raw of targets) {
    const v = parseVariantName(raw);
    let spec: QualityTargetSpec | undefined;
    if (v?.kind === 'mqa') spec = { kind: 'mqa' };
    else if (v?.kind === 'gqa') spec = { kind: 'gqa', groups: v.kvHeads };
    else if (v?.kind === 'mla' && v.rank !== undefined) spec = { kind: 'mla', rank: v.rank };
    else if (v?.kind === 'kv' && (KV_DTYPES as readonly string[]).includes(v.dtype)) spec = { kind: 'kv', dtype: v.dtype as KvQuantDtype };
    else if (v?.kind === 'window') spec = { kind: 'unmeasured', target: variantName(v), reason: 'a sliding window drops old tokens rather than changing weights: nothing to measure on the weights' };
    if (!spec || (spec.kind === 'gqa' && spec.groups < 1) || (spec.kind === 'mla' && spec.rank < 1)) {
      throw new QualityInputError(`"${raw}" is not a measurable target; use gqa-N (or gqaN), mqa, mla-R (or mlaR), kv-int8 (or int8), kv-int4, kv-fp8, kv-q8_0, kv-q4_0, kv-nvfp4 (or window-N, which is not measured on weights)`);
    }
    const name = targetName(spec);
    if (seen.has(name)) continue;
    seen.add(name);
    out.push(spec);
  }
  return out;
}
