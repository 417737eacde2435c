/**
 * One vocabulary for attention variants and measurement targets, everywhere a user types one:
 * `profile --variants`, `quality --targets`, the report's and the hovers' target lists, the settings.
 * Spellings accepted: gqa8 / gqa-8 / gqa_8, mla256 / mla-256, kv-int8 / int8 (a bare KV dtype where it
 * names nothing else), window-4096 / window4096; mha, mqa, mla, mla-naive, naive, own. One canonical
 * name each (gqa-8, mla-256, kv-int8, window-4096) in results.
 */

/** KV-cache dtypes a target can name (their bits per value: evidence.ts; the measurable ones: quality/targets.ts). */
export const KV_TARGET_DTYPES = ['int8', 'int4', 'int3', 'int2', 'fp8', 'q8_0', 'q4_0', 'nvfp4'] as const;
export type KvTargetDtype = (typeof KV_TARGET_DTYPES)[number];

export type VariantName =
  | { kind: 'own' | 'mha' | 'mqa' | 'naive' | 'mla-naive' }
  | { kind: 'gqa'; kvHeads: number }
  | { kind: 'mla'; rank?: number }
  | { kind: 'kv'; dtype: KvTargetDtype }
  | { kind: 'window'; tokens: number };

/** Parses one name; undefined when it is none of the vocabulary (the caller says which list it belongs to). */
export function parseVariantName(text: string): VariantName | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'own' || t === 'mha' || t === 'mqa' || t === 'naive' || t === 'mla-naive' || t === 'mla_naive') return { kind: t === 'mla_naive' ? 'mla-naive' : t };
  if (t === 'mla') return { kind: 'mla' };
  let m = /^gqa[-_]?(0|[1-9]\d*)$/.exec(t);
  if (m) return { kind: 'gqa', kvHeads: Number(m[1]) };
  m = /^mla[-_]?(0|[1-9]\d*)$/.exec(t);
  if (m) return { kind: 'mla', rank: Number(m[1]) };
  m = /^(?:kv[-_])?([a-z0-9_]+)$/.exec(t);
  if (m && (KV_TARGET_DTYPES as readonly string[]).includes(m[1]!)) return { kind: 'kv', dtype: m[1] as KvTargetDtype };
  m = /^window[-_]?(0|[1-9]\d*)$/.exec(t);
  if (m) return { kind: 'window', tokens: Number(m[1]) };
  return undefined;
}

/** The canonical name: gqa-8, mla-256 (mla without a rank), kv-int8, window-4096, mha … */
export function variantName(v: VariantName): string {
  switch (v.kind) {
    case 'gqa': return `gqa-${v.kvHeads}`;
    case 'mla': return v.rank === undefined ? 'mla' : `mla-${v.rank}`;
    case 'kv': return `kv-${v.dtype}`;
    case 'window': return `window-${v.tokens}`;
    default: return v.kind;
  }
}

/** How the vocabulary reads in an error message. */
export const VARIANT_VOCABULARY = 'mha, gqa-N (or gqaN), mqa, mla, mla-R (or mlaR), mla-naive, naive, own, kv-int8 (or int8), kv-int4, kv-fp8, kv-q8_0, kv-q4_0, kv-nvfp4, window-N';
