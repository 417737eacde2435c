/**
 * The measured half of the report's quality section: the weight-space errors a measurement found on
 * this model's own checkpoint (`attention-lens quality --json`, "Measure Quality on Local Weights"),
 * each placed at the report variant of the very same shape — GQA-g at the variant with g KV heads, MQA
 * at MQA, MLA-r only at an MLA variant of rank r, kv-<dtype> at that KV dtype — or listed without a
 * place when the report has no such variant. Nothing is re-measured or estimated here; pure, no I/O.
 */
import { parseTarget } from './evidence';
import { int, percent } from './format';
import type { VariantRow } from './report';
import type { MeasuredQualityPoint, MeasuredWeights } from '../shared/reportProtocol';

/** What the report reads from a measurement: the fields of WeightsMeasurementJson it draws (and `method`, `measuredAt` when present). */
export interface MeasurementInput {
  weights: { found: boolean; files: readonly string[]; dtype: string; layersRead: number };
  conversions: readonly MeasuredConversion[];
  notes?: readonly string[];
  measuredAt?: string;
}

export interface MeasuredConversion {
  target: string;
  kRelError: number;
  vRelError: number;
  energyRetained?: number;
  rank99?: number;
  perLayer?: readonly { layer: number; kRelError: number; vRelError: number }[];
  what: string;
  method?: string;
  alternatives?: readonly { label: string; kRelError: number; vRelError: number }[];
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isStr = (x: unknown): x is string => typeof x === 'string';
/** A relative error or an energy fraction: finite and not negative. */
const isFraction = (x: unknown): x is number => isNum(x) && x >= 0;
const MAX_CONVERSIONS = 256;
const MAX_LAYERS = 100_000;

/**
 * Checks a measurement read from a file or from workspace state (the JSON `attention-lens quality
 * --json` writes): the result, or one sentence saying what is wrong. Unknown fields are ignored.
 */
export function readMeasurement(x: unknown): MeasurementInput | string {
  if (!isObj(x)) return 'not a JSON object';
  const w = x.weights;
  if (!isObj(w) || typeof w.found !== 'boolean') return 'no "weights" object with "found" (is this the output of attention-lens quality --json?)';
  if (!Array.isArray(x.conversions)) return 'no "conversions" list (is this the output of attention-lens quality --json?)';
  if (x.conversions.length > MAX_CONVERSIONS) return `${x.conversions.length} conversions; at most ${MAX_CONVERSIONS}`;
  const conversions: MeasuredConversion[] = [];
  for (const [i, c] of x.conversions.entries()) {
    if (!isObj(c) || !isStr(c.target) || !isFraction(c.kRelError) || !isFraction(c.vRelError) || !isStr(c.what)) {
      return `conversions[${i}] needs a target, finite non-negative kRelError and vRelError, and what`;
    }
    if ((c.energyRetained !== undefined && !isFraction(c.energyRetained)) || (c.rank99 !== undefined && !(isNum(c.rank99) && Number.isInteger(c.rank99) && c.rank99 >= 0))) {
      return `conversions[${i}] (${c.target}): energyRetained and rank99 must be non-negative numbers`;
    }
    const out: MeasuredConversion = { target: c.target, kRelError: c.kRelError, vRelError: c.vRelError, what: c.what };
    if (c.energyRetained !== undefined) out.energyRetained = c.energyRetained;
    if (c.rank99 !== undefined) out.rank99 = c.rank99;
    if (isStr(c.method)) out.method = c.method;
    if (Array.isArray(c.perLayer) && c.perLayer.length <= MAX_LAYERS) {
      out.perLayer = c.perLayer.filter((l): l is { layer: number; kRelError: number; vRelError: number } => isObj(l) && isNum(l.layer) && isFraction(l.kRelError) && isFraction(l.vRelError));
    }
    if (Array.isArray(c.alternatives)) {
      out.alternatives = c.alternatives.filter((a): a is { label: string; kRelError: number; vRelError: number } => isObj(a) && isStr(a.label) && isFraction(a.kRelError) && isFraction(a.vRelError));
    }
    conversions.push(out);
  }
  const files = Array.isArray(w.files) ? w.files.filter(isStr) : [];
  const input: MeasurementInput = {
    weights: { found: w.found, files, dtype: isStr(w.dtype) ? w.dtype : '', layersRead: isNum(w.layersRead) && w.layersRead >= 0 ? Math.floor(w.layersRead) : 0 },
    conversions,
    notes: Array.isArray(x.notes) ? x.notes.filter(isStr) : [],
  };
  if (isStr(x.measuredAt) && !Number.isNaN(Date.parse(x.measuredAt))) input.measuredAt = x.measuredAt;
  return input;
}

/** How the report names its variants (what `measuredPoints` needs of each row). */
export type VariantShapeRow = Pick<VariantRow, 'id' | 'label' | 'kind' | 'variant' | 'kvHeads' | 'kvDtype' | 'bytesPerToken'>;

/**
 * The variant with the same shape as a measured target, or undefined. GQA-g / MQA: a softmax variant
 * with g KV heads (the config's own when it has g); MLA-r: an MLA variant of rank r only (its id is
 * mla-r); kv-<dtype>: the dtype variant, or the own row when the report already stores that dtype.
 */
export function variantForTarget(target: string, rows: readonly VariantShapeRow[]): VariantShapeRow | undefined {
  const t = parseTarget(target);
  if (!t) return undefined;
  switch (t.kind) {
    case 'gqa': case 'mqa': {
      const g = t.groups ?? 1;
      const heads = (r: VariantShapeRow): boolean => (r.variant === 'mha' || r.variant === 'gqa' || r.variant === 'mqa') && r.kvHeads === g;
      return rows.find((r) => r.kind === 'heads' && heads(r)) ?? rows.find((r) => r.kind === 'own' && heads(r));
    }
    case 'mla':
      return rows.find((r) => r.kind === 'mla' && r.id === `mla-${t.rank}`);
    case 'kv-quant': {
      const dtype = target.trim().toLowerCase().slice(3);
      return rows.find((r) => r.kind === 'dtype' && r.id === `kv-${dtype}`) ?? rows.find((r) => r.kind === 'own' && r.kvDtype === dtype);
    }
    default:
      return undefined;
  }
}

/**
 * The measurement's points for the report. `bytesElsewhere` prices a target no variant has (an MLA rank
 * other than the report's, a KV dtype the runtime does not list); undefined when it cannot.
 */
export function measuredPoints(m: MeasurementInput, rows: readonly VariantShapeRow[], bytesElsewhere: (target: string) => number | undefined): { points: MeasuredQualityPoint[]; weights: MeasuredWeights } {
  const weights: MeasuredWeights = { files: [...m.weights.files], dtype: m.weights.dtype, layersRead: m.weights.layersRead, notes: [...(m.notes ?? [])] };
  if (m.measuredAt !== undefined) weights.measuredAt = m.measuredAt;
  const points = m.conversions.map((c): MeasuredQualityPoint => {
    const row = variantForTarget(c.target, rows);
    const elsewhere = row ? undefined : bytesElsewhere(c.target);
    const bytesPerToken = row?.bytesPerToken ?? elsewhere;
    const p: MeasuredQualityPoint = {
      target: c.target, label: parseTarget(c.target)?.label ?? c.target, kRelError: c.kRelError, vRelError: c.vRelError, what: c.what,
      derivation: derivation(c, row, elsewhere),
    };
    if (row) p.variant = row.id;
    if (bytesPerToken !== undefined && bytesPerToken > 0) p.bytesPerToken = bytesPerToken;
    if (c.energyRetained !== undefined) p.energyRetained = c.energyRetained;
    if (c.rank99 !== undefined) p.rank99 = c.rank99;
    if (c.method !== undefined) p.method = c.method;
    return p;
  });
  return { points, weights };
}

function derivation(c: MeasuredConversion, row: VariantShapeRow | undefined, elsewhere: number | undefined): string[] {
  const lines = [`what: ${c.what}`];
  if (c.method) lines.push(`method: ${c.method}`);
  const layers = c.perLayer ?? [];
  if (layers.length > 0) {
    const worst = (key: 'kRelError' | 'vRelError') => layers.reduce((a, b) => (b[key] > a[key] ? b : a));
    const low = (key: 'kRelError' | 'vRelError') => layers.reduce((m, l) => Math.min(m, l[key]), Infinity);
    const k = worst('kRelError');
    const v = worst('vRelError');
    lines.push(`per layer over ${layers.length} layers: K error ${percent(low('kRelError'))} to ${percent(k.kRelError)} (largest in layer ${k.layer}), V error ${percent(low('vRelError'))} to ${percent(v.vRelError)} (largest in layer ${v.layer})`);
  }
  if (c.energyRetained !== undefined) lines.push(`energy of [W_k; W_v] kept: ${percent(c.energyRetained)}${c.rank99 !== undefined ? `; the rank keeping 99% in every layer: ${int(c.rank99)}` : ''}`);
  for (const a of c.alternatives ?? []) lines.push(`also measured: ${a.label}: K error ${percent(a.kRelError)}, V error ${percent(a.vRelError)}`);
  if (row) lines.push(`placed at ${row.label}: ${int(row.bytesPerToken)} B of KV per token in this report's settings`);
  else if (elsewhere !== undefined) lines.push(`no variant in this report has this shape, so it is listed, not charted; that shape would cache ${int(elsewhere)} B per token in this report's settings`);
  else lines.push('no variant in this report has this shape and the report cannot price its cache, so it is listed, not charted');
  return lines;
}
