/**
 * isHostMessage (src/shared/reportProtocol.ts) checks what the charts would choke on; the page draws
 * every field, so a `data` message must also pass this: every number it prints is a finite number,
 * every string a string, every list a list. Anything else is dropped like a malformed message.
 */
import type { ReportData } from '../../src/shared/reportProtocol';

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const str = (x: unknown): x is string => typeof x === 'string';
const numOrNull = (x: unknown): boolean => x === null || num(x);
const strs = (x: unknown): boolean => Array.isArray(x) && x.every(str);
const nums = (x: unknown): boolean => Array.isArray(x) && x.every(num);
const every = (x: unknown, f: (o: Obj) => boolean): boolean => Array.isArray(x) && x.every((o) => isObj(o) && f(o));
const MAX_ITEMS = 10_000;

export function isDrawable(d: ReportData): boolean {
  const x = d as unknown as Obj;
  if (!str(x.generatedAt) || !str(x.generator) || !strs(x.derivation) || !strs(x.notes)) return false;
  if (x.source !== undefined && !str(x.source)) return false;
  const o = x.options;
  if (!isObj(o) || !every(o.gpus, (g) => str(g.id) && str(g.name)) || !strs(o.kvDtypes) || !every(o.runtimes, (r) => str(r.id) && str(r.name))) return false;
  const s = x.summary as Obj;
  if (!str(s.attention) || !str(s.layerMix) || !num(s.layers) || !str(s.dtype) || !num(s.contextTokens) || !num(s.modelMaxContextTokens)
    || !num(s.totalBytes) || !str(s.gpuName) || !num(s.gpus) || !num(s.weightsBytesPerGpu)) return false;
  if (!every(x.variants, (v) => str(v.kind) && typeof v.own === 'boolean' && str(v.kvDtype) && num(v.totalBytes) && num(v.savingVsOwn)
    && numOrNull(v.maxContextTokens) && num(v.maxBatchAtContext) && num(v.attentionParamsDelta) && num(v.attentionFlopsDelta)
    && typeof v.charted === 'boolean' && strs(v.derivation))) return false;
  const m = x.memory as Obj;
  if (!strs(m.budgetDerivation) || (m.contexts as unknown[]).length > MAX_ITEMS || !(m.contexts as number[]).every((c) => c > 0)) return false;
  if (!every(x.measured, (r) => str(r.backend) && str(r.storage) && str(r.date) && isObj(r.peaks) && num(r.peaks.copyGBps) && num(r.peaks.f32TFlops)
    && every(r.points, (p) => str(p.variant) && str(p.label) && typeof p.own === 'boolean' && (p.mode === 'decode' || p.mode === 'prefill') && strs(p.derivation)))) return false;
  const q = x.quality as Obj;
  // Optional fields: data saved before they existed has none.
  const optNum = (v: unknown): boolean => v === undefined || num(v);
  const optStr = (v: unknown): boolean => v === undefined || str(v);
  if (!str(q.note) || !every(q.evidence, (e) => str(e.variant) && str(e.metric) && num(e.value) && numOrNull(e.baseline) && str(e.source) && str(e.caveat)
    && optStr(e.baselineLabel) && optStr(e.modelScale) && optStr(e.trainingBudget) && optStr(e.uncharted) && optNum(e.changePoints) && optNum(e.changePercent)
    && (e.metricKind === undefined || e.metricKind === 'accuracy' || e.metricKind === 'perplexity' || e.metricKind === 'generation'))) return false;
  if (q.measured !== undefined && !(every(q.measured, (m) => str(m.target) && str(m.label) && optStr(m.variant) && optNum(m.bytesPerToken)
    && num(m.kRelError) && num(m.vRelError) && optNum(m.energyRetained) && optNum(m.rank99) && str(m.what) && optStr(m.method) && strs(m.derivation))
    && (q.measured as unknown[]).length <= MAX_ITEMS)) return false;
  if (q.weights !== undefined) {
    const w = q.weights;
    if (!isObj(w) || !strs(w.files) || !str(w.dtype) || !num(w.layersRead) || !optStr(w.measuredAt) || !strs(w.notes)) return false;
  }
  const b = x.budgetTable as Obj;
  const nContexts = (b.contexts as unknown[]).length;
  if (!nums(b.contexts) || !every(b.gpus, (g) => str(g.id) && str(g.name) && num(g.memoryBytes))) return false;
  if (!every(b.rows, (r) => str(r.gpu) && str(r.variant) && typeof r.fits === 'boolean' && numOrNull(r.maxContextTokens) && nums(r.concurrency) && (r.concurrency as unknown[]).length === nContexts)) return false;
  return true;
}
