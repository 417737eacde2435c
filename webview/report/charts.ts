/**
 * The charts, on Chart.js with only the pieces they use registered (line controller, line and
 * point elements, linear and log scales, tooltip): no legend plugin (the legend is HTML, keyboard
 * reachable), no animation under prefers-reduced-motion. Every chart is drawn from a ReportData and
 * a Palette read from the --vscode-* variables; a theme change rebuilds it with a fresh palette.
 */
import {
  Chart, LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip,
  type ChartConfiguration, type ChartDataset, type Plugin, type Scale, type TooltipItem,
} from 'chart.js';
import type { MeasuredPoint, MeasuredQualityPoint, MeasuredRun, QualityEvidence, ReportData, ReportVariant } from '../../src/shared/reportProtocol';
import { bytes, hasFiniteMax, int, maxContext, micros, percent, pow2Bytes, tokens } from './format';
import { DASHES, POINT_STYLES, type Palette } from './theme';
import { changeText, metricClass, QUALITY_KIND_ORDER, QUALITY_KINDS, type QualityKind } from '../../src/core/qualityMetrics';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip);

type XY = { x: number; y: number | null };
/** alKind: the metric kind a published-quality dataset belongs to (one per chart; the webview test reads it). */
type LineDataset = ChartDataset<'line', XY[]> & { alRole?: 'series' | 'budget' | 'marker' | 'roofline' | 'front'; alLink?: number; alTip?: string[][]; alKey?: string[]; alKind?: QualityKind };
export type LineConfig = ChartConfiguration<'line', XY[]>;

/** One entry of the HTML legend: which datasets it toggles and how its swatch looks. */
export interface LegendEntry {
  label: string;
  color: number;
  dash: number[];
  point: string | false;
  datasets: number[];
}

export interface ChartSpec {
  config: LineConfig;
  legend: LegendEntry[];
  /** The canvas's aria-label. */
  summary: string;
}

interface Overlay {
  guides?: { x: number; y: number; color: string }[];
  label?: { y: number; text: string; color: string; font: string };
  /** Text above a point (the measured conversions' names), centred on x. */
  tags?: { x: number; y: number; text: string; color: string; font: string }[];
}

/** Vertical guides down from each max-context marker and the budget line's label, drawn over the datasets. */
const overlay: Plugin<'line'> = {
  id: 'alOverlay',
  afterDatasetsDraw(chart, _args, opts: Overlay) {
    const { ctx, chartArea: area, scales } = chart;
    const xs = scales.x;
    const ys = scales.y;
    if (!xs || !ys) return;
    ctx.save();
    ctx.beginPath();
    ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
    ctx.clip();
    for (const g of opts.guides ?? []) {
      const meta = chart.data.datasets.findIndex((d) => (d as LineDataset).alRole === 'marker' && (d.data[0] as XY | undefined)?.x === g.x);
      if (meta >= 0 && !chart.isDatasetVisible(meta)) continue;
      const px = xs.getPixelForValue(g.x);
      const py = ys.getPixelForValue(g.y);
      if (!Number.isFinite(px) || !Number.isFinite(py)) continue;
      ctx.strokeStyle = g.color;
      ctx.lineWidth = 1;
      ctx.setLineDash([2, 3]);
      ctx.beginPath();
      ctx.moveTo(px, area.bottom);
      ctx.lineTo(px, py);
      ctx.stroke();
    }
    const l = opts.label;
    if (l) {
      const py = ys.getPixelForValue(l.y);
      if (Number.isFinite(py) && py > area.top + 4) {
        ctx.setLineDash([]);
        ctx.fillStyle = l.color;
        ctx.font = l.font;
        ctx.textAlign = 'left';
        ctx.textBaseline = 'bottom';
        ctx.fillText(l.text, area.left + 6, py - 3);
      }
    }
    for (const t of opts.tags ?? []) {
      const px = xs.getPixelForValue(t.x);
      const py = ys.getPixelForValue(t.y);
      if (!Number.isFinite(px) || !Number.isFinite(py)) continue;
      ctx.setLineDash([]);
      ctx.fillStyle = t.color;
      ctx.font = t.font;
      ctx.textAlign = 'center';
      // Above the point where there is room, below it otherwise.
      const above = py - 10 > area.top + 10;
      ctx.textBaseline = above ? 'bottom' : 'top';
      ctx.fillText(t.text, Math.min(Math.max(px, area.left + ctx.measureText(t.text).width / 2), area.right - ctx.measureText(t.text).width / 2), above ? py - 8 : py + 8);
    }
    ctx.restore();
  },
};

const log2Floor = (v: number): number => 2 ** Math.floor(Math.log2(v));
const log2Ceil = (v: number): number => 2 ** Math.ceil(Math.log2(v));

/**
 * A log axis whose bounds and ticks are powers of two (binary bytes, token counts), at most ~8 ticks. `span`,
 * when it has a value, is the whole range (every position of charts that must line up, a superset of this
 * chart's data): Chart.js widens a one-point log axis tenfold each way, which the span replaces.
 */
function pow2Axis(p: Palette, title: string, format: (v: number) => string, maxTicks = 8, pad = false, span?: readonly number[]): Record<string, unknown> {
  const k = pad ? 1.001 : 1;
  return {
    type: 'logarithmic',
    bounds: 'data',
    title: { display: true, text: title, color: p.muted, font: { family: p.font, size: p.fontSize } },
    grid: { color: p.grid, lineWidth: 1 },
    border: { color: p.grid },
    ticks: { color: p.fg, font: { family: p.font, size: p.fontSize - 1 }, autoSkip: true, maxRotation: 0, callback: (v: number | string) => format(Number(v)) },
    afterDataLimits: (axis: Scale) => {
      const shared = (span ?? []).filter((v) => v > 0);
      if (shared.length > 0) {
        axis.min = Math.min(...shared);
        axis.max = Math.max(...shared);
      }
      // pad: strictly outside the data, so no point sits on the frame.
      if (axis.min > 0) axis.min = log2Floor(axis.min / k);
      if (axis.max > 0) axis.max = log2Ceil(axis.max * k);
      if (axis.max <= axis.min) axis.max = axis.min * 2;
    },
    afterBuildTicks: (axis: Scale) => {
      const lo = Math.round(Math.log2(axis.min));
      const hi = Math.round(Math.log2(axis.max));
      const step = Math.max(1, Math.ceil((hi - lo) / maxTicks));
      const ticks = [];
      for (let e = lo; e <= hi; e += step) ticks.push({ value: 2 ** e, major: true });
      axis.ticks = ticks;
    },
  };
}

/** A log axis in decades with 1-2-5 ticks when the range is small (microseconds). */
function decadeAxis(p: Palette, title: string, format: (v: number) => string): Record<string, unknown> {
  return {
    type: 'logarithmic',
    bounds: 'data',
    title: { display: true, text: title, color: p.muted, font: { family: p.font, size: p.fontSize } },
    grid: { color: p.grid },
    border: { color: p.grid },
    ticks: { color: p.fg, font: { family: p.font, size: p.fontSize - 1 }, autoSkip: true, maxRotation: 0, callback: (v: number | string) => format(Number(v)) },
    afterDataLimits: (axis: Scale) => {
      if (axis.min > 0) axis.min = 10 ** Math.floor(Math.log10(axis.min * 0.999));
      if (axis.max > 0) axis.max = 10 ** Math.ceil(Math.log10(axis.max * 1.001));
      if (axis.max <= axis.min) axis.max = axis.min * 10;
    },
    afterBuildTicks: (axis: Scale) => {
      const lo = Math.round(Math.log10(axis.min));
      const hi = Math.round(Math.log10(axis.max));
      const mantissas = hi - lo <= 3 ? [1, 2, 5] : [1];
      const ticks = [];
      for (let e = lo; e <= hi; e++) {
        for (const m of mantissas) {
          const v = m * 10 ** e;
          if (v >= axis.min * 0.999 && v <= axis.max * 1.001) ticks.push({ value: v, major: m === 1 });
        }
      }
      axis.ticks = ticks;
    },
  };
}

/**
 * The options every chart starts from: a plain object each chart completes (scales, the tooltip's
 * callbacks, the overlay's options) before handing it to Chart.js.
 */
interface ChartOptionsDraft extends Record<string, unknown> {
  plugins: { tooltip: Record<string, unknown>; alOverlay?: Overlay };
}

function baseOptions(p: Palette, animate: boolean): ChartOptionsDraft {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: animate ? { duration: 250 } : false,
    layout: { padding: { top: 6, right: 10, left: 2, bottom: 0 } },
    font: { family: p.font, size: p.fontSize },
    color: p.fg,
    elements: { line: { tension: 0 }, point: { hitRadius: 6, hoverRadius: 6 } },
    interaction: { mode: 'nearest', intersect: false, axis: 'x' },
    plugins: {
      tooltip: {
        backgroundColor: p.tooltipBg || p.bg,
        titleColor: p.tooltipFg,
        bodyColor: p.tooltipFg,
        footerColor: p.tooltipFg,
        borderColor: p.tooltipBorder,
        borderWidth: 1,
        titleFont: { family: p.font, size: p.fontSize, weight: 'bold' },
        bodyFont: { family: p.font, size: p.fontSize },
        footerFont: { family: p.font, size: p.fontSize - 1, weight: 'normal' },
        padding: 8,
        usePointStyle: true,
        boxPadding: 4,
      },
    },
  };
}

const styleOf = (p: Palette, i: number): { color: string; dash: number[]; point: string } => ({
  color: p.series[i % p.series.length]!,
  dash: DASHES[i % DASHES.length]!,
  point: POINT_STYLES[i % POINT_STYLES.length]!,
});

/** Which colour/dash/point slot each variant gets: the memory chart's order, shared by every chart. */
export function slots(d: ReportData): Map<string, number> {
  const m = new Map<string, number>();
  d.memory.series.forEach((s, i) => m.set(s.variant, i));
  let next = d.memory.series.length;
  for (const v of d.variants) if (!m.has(v.id)) m.set(v.id, next++);
  return m;
}

export const variantLabel = (d: ReportData, id: string): string => d.variants.find((v) => v.id === id)?.label ?? id;

// ---------------------------------------------------------------- Chart 1: KV memory vs context

export function memoryChart(d: ReportData, p: Palette, animate: boolean): ChartSpec {
  const { contexts, series, budgetBytes } = d.memory;
  const datasets: LineDataset[] = [];
  const legend: LegendEntry[] = [];
  const guides: Overlay['guides'] = [];
  const variants = new Map(d.variants.map((v) => [v.id, v]));
  series.forEach((s, i) => {
    const st = styleOf(p, i);
    const v = variants.get(s.variant);
    const own = v?.own ?? false;
    const entry: LegendEntry = { label: v?.label ?? s.variant, color: i, dash: st.dash, point: st.point, datasets: [datasets.length] };
    datasets.push({
      label: entry.label,
      alRole: 'series',
      data: contexts.map((c, k) => ({ x: c, y: (s.bytes[k] ?? 0) > 0 ? s.bytes[k]! : null })),
      borderColor: st.color,
      backgroundColor: st.color,
      borderDash: st.dash,
      borderWidth: own ? p.lineWidth + 1 : p.lineWidth,
      pointStyle: st.point,
      pointRadius: 3,
      pointBackgroundColor: st.color,
      spanGaps: false,
    });
    const mc = v?.maxContextTokens ?? null;
    if (budgetBytes > 0 && hasFiniteMax(mc)) {
      entry.datasets.push(datasets.length);
      datasets.push({
        label: `${entry.label}: max context`,
        alRole: 'marker',
        data: [{ x: mc, y: budgetBytes }],
        showLine: false,
        borderColor: st.color,
        backgroundColor: p.bg,
        pointBackgroundColor: p.bg,
        pointBorderColor: st.color,
        pointBorderWidth: 2,
        pointStyle: st.point,
        pointRadius: 6,
        pointHoverRadius: 8,
      });
      guides.push({ x: mc, y: budgetBytes, color: st.color });
    }
    legend.push(entry);
  });
  const xs = [...contexts, ...guides.map((g) => g.x)];
  const budgetLabel = `usable on ${d.summary.gpuName}`;
  if (budgetBytes > 0 && xs.length > 0) {
    legend.push({ label: `${budgetLabel} (${bytes(budgetBytes)})`, color: -1, dash: [6, 3], point: false, datasets: [datasets.length] });
    datasets.push({
      label: budgetLabel,
      alRole: 'budget',
      data: [{ x: Math.min(...xs), y: budgetBytes }, { x: Math.max(...xs), y: budgetBytes }],
      borderColor: p.fg,
      backgroundColor: p.fg,
      borderDash: [6, 3],
      borderWidth: p.lineWidth === 2 ? 1.5 : 2.5,
      pointRadius: 0,
      pointHitRadius: 0,
    });
  }

  const options = baseOptions(p, animate);
  options.scales = {
    x: pow2Axis(p, 'Context (tokens)', tokens, 7),
    y: pow2Axis(p, `KV cache per GPU (batch ${d.choices.batch}${d.choices.tp > 1 ? `, TP ${d.choices.tp}` : ''})`, pow2Bytes, 7, true),
  };
  options.plugins.alOverlay = {
    guides,
    label: budgetBytes > 0 ? { y: budgetBytes, text: `${budgetLabel}: ${bytes(budgetBytes)}`, color: p.fg, font: `${p.fontSize - 1}px ${p.font}` } : undefined,
  } satisfies Overlay;
  options.plugins.tooltip.callbacks = {
    title: (items: TooltipItem<'line'>[]) => {
      const it = items[0];
      if (!it) return '';
      return (it.dataset as LineDataset).alRole === 'marker' ? 'Max context at batch 1' : `${int(it.parsed.x ?? 0)} tokens`;
    },
    label: (it: TooltipItem<'line'>) => {
      const ds = it.dataset as LineDataset;
      if (ds.alRole === 'marker') return `${ds.label?.replace(/: max context$/, '')}: ${int(it.parsed.x ?? 0)} tokens`;
      if (ds.alRole === 'budget') return `${ds.label}: ${bytes(it.parsed.y ?? 0)}`;
      return `${ds.label}: ${bytes(it.parsed.y ?? 0)}`;
    },
  };
  options.plugins.tooltip.itemSort = (a: TooltipItem<'line'>, b: TooltipItem<'line'>) => (b.parsed.y ?? 0) - (a.parsed.y ?? 0);
  options.plugins.tooltip.filter = (it: TooltipItem<'line'>) => (it.dataset as LineDataset).alRole !== 'budget';

  const last = contexts.length - 1;
  const at = last >= 0 ? contexts[last]! : 0;
  const parts = series.map((s) => `${variantLabel(d, s.variant)} ${bytes(s.bytes[last] ?? 0)}`);
  const maxes = series.map((s) => `${variantLabel(d, s.variant)} ${maxContext(variants.get(s.variant)?.maxContextTokens ?? null)}`);
  const summary = contexts.length === 0 ? 'KV memory chart: no contexts.'
    : `Line chart, log–log: KV cache bytes per GPU against context from ${tokens(contexts[0]!)} to ${tokens(at)} tokens for ${series.length} variants. `
      + `At ${tokens(at)} tokens: ${parts.join('; ')}. `
      + (budgetBytes > 0 ? `Budget line: ${bytes(budgetBytes)} ${budgetLabel}. Max context at batch 1: ${maxes.join('; ')}.` : `No budget line: the weights leave no memory for a KV cache on ${d.summary.gpuName}.`)
      + ' The table below lists every point.';
  return { config: { type: 'line', data: { datasets }, options, plugins: [overlay] }, legend, summary };
}

// ---------------------------------------------------------------- Chart 2: measured latency vs context

export interface MeasuredSeries {
  key: string;
  variant: string;
  label: string;
  own: boolean;
  mode: MeasuredPoint['mode'];
  points: MeasuredPoint[];
  slot: number;
}

/** The newest run's points grouped by (variant, label, mode), contexts ascending; own first. */
export function measuredSeries(d: ReportData, run: MeasuredRun): MeasuredSeries[] {
  const groups = new Map<string, MeasuredSeries>();
  const slotByLabel = new Map<string, number>();
  const memSlots = slots(d);
  const used = new Set<number>();
  const chartedIds = d.memory.series.map((s) => s.variant);
  const guessSlot = (pt: MeasuredPoint): number => {
    const k = `${pt.variant}|${pt.label}`;
    const known = slotByLabel.get(k);
    if (known !== undefined) return known;
    let id: string | undefined;
    if (pt.own) id = d.variants.find((v) => v.own)?.id;
    else if (pt.variant === 'mha' || pt.variant === 'mqa') id = pt.variant;
    else if (pt.variant === 'gqa') id = chartedIds.find((c) => c.startsWith('gqa-'));
    else if (pt.variant === 'mla') id = d.variants.find((v) => v.kind === 'mla' && chartedIds.includes(v.id))?.id;
    let slot = id !== undefined ? memSlots.get(id) : undefined;
    if (slot === undefined || used.has(slot) || slot >= DASHES.length) {
      slot = 0;
      while (used.has(slot)) slot++;
    }
    used.add(slot);
    slotByLabel.set(k, slot);
    return slot;
  };
  const sorted = [...run.points].sort((a, b) => Number(b.own) - Number(a.own));
  for (const pt of sorted) {
    const key = `${pt.variant}|${pt.label}|${pt.mode}`;
    let g = groups.get(key);
    if (!g) {
      g = { key, variant: pt.variant, label: pt.label, own: pt.own, mode: pt.mode, points: [], slot: guessSlot(pt) };
      groups.set(key, g);
    }
    g.points.push(pt);
  }
  const out = [...groups.values()];
  for (const g of out) g.points.sort((a, b) => a.contextTokens - b.contextTokens);
  return out.sort((a, b) => a.slot - b.slot || (a.mode === b.mode ? 0 : a.mode === 'decode' ? -1 : 1));
}

export function measuredChart(d: ReportData, run: MeasuredRun, p: Palette, animate: boolean): ChartSpec {
  const groups = measuredSeries(d, run);
  const datasets: LineDataset[] = [];
  const legend: LegendEntry[] = [];
  for (const g of groups) {
    const st = styleOf(p, g.slot);
    const dash = g.mode === 'prefill' ? [8, 4] : [];
    const label = `${g.label}${g.own ? ' (own)' : ''} · ${g.mode}`;
    const i = datasets.length;
    datasets.push({
      label,
      alRole: 'series',
      data: g.points.map((pt) => ({ x: pt.contextTokens, y: pt.medianUs > 0 ? pt.medianUs : null })),
      borderColor: st.color,
      backgroundColor: st.color,
      borderDash: dash,
      borderWidth: g.own ? p.lineWidth + 1 : p.lineWidth,
      pointStyle: st.point,
      pointRadius: 3.5,
      pointBackgroundColor: g.mode === 'prefill' ? p.bg : st.color,
      pointBorderColor: st.color,
      spanGaps: false,
    });
    datasets.push({
      label: `${label} roofline`,
      alRole: 'roofline',
      alLink: i,
      data: g.points.map((pt) => ({ x: pt.contextTokens, y: pt.rooflineUs > 0 ? pt.rooflineUs : null })),
      borderColor: st.color,
      backgroundColor: st.color,
      borderDash: [1.5, 3],
      borderWidth: 1.5,
      pointRadius: 0,
      pointHitRadius: 4,
      spanGaps: false,
    });
    legend.push({ label, color: g.slot, dash, point: st.point, datasets: [i, i + 1] });
  }
  const options = baseOptions(p, animate);
  options.scales = {
    x: pow2Axis(p, 'Context (tokens)', tokens, 7),
    y: decadeAxis(p, 'Attention time per layer (median)', micros),
  };
  options.plugins.tooltip.callbacks = {
    title: (items: TooltipItem<'line'>[]) => (items[0] ? `${int(items[0].parsed.x ?? 0)} tokens` : ''),
    label: (it: TooltipItem<'line'>) => {
      const ds = it.dataset as LineDataset;
      return ds.alRole === 'roofline' ? `${ds.label}: ≥ ${micros(it.parsed.y ?? 0)}` : `${ds.label}: ${micros(it.parsed.y ?? 0)}`;
    },
  };
  options.plugins.tooltip.itemSort = (a: TooltipItem<'line'>, b: TooltipItem<'line'>) => (b.parsed.y ?? 0) - (a.parsed.y ?? 0);
  const ctxs = [...new Set(run.points.map((pt) => pt.contextTokens))].sort((a, b) => a - b);
  const desc = groups.map((g) => {
    const lastPt = g.points[g.points.length - 1];
    return lastPt ? `${g.label} ${g.mode} ${micros(lastPt.medianUs)} at ${tokens(lastPt.contextTokens)} (roofline ${micros(lastPt.rooflineUs)})` : '';
  }).filter(Boolean);
  const summary = `Line chart, log–log: measured median attention time per layer against context `
    + (ctxs.length ? `from ${tokens(ctxs[0]!)} to ${tokens(ctxs[ctxs.length - 1]!)} tokens ` : '')
    + `on ${run.device} (${run.backend}), ${groups.length} series with dotted roofline bounds. ${desc.join('; ')}. The table below lists every point.`;
  return { config: { type: 'line', data: { datasets }, options }, legend, summary };
}

// ---------------------------------------------------------------- Chart 3: published quality, one chart per metric kind

export interface PlacedEvidence {
  e: QualityEvidence;
  variant: ReportVariant | undefined;
  /** The kind whose chart it is on (core/qualityMetrics.ts); undefined when the data names none. */
  kind: QualityKind | undefined;
  /** The change drawn against its own baseline, in its kind's unit; undefined when it is only listed. */
  change: number | undefined;
  /** Why it is listed and not charted; '' when charted. */
  why: string;
  /** Best for its KV bytes among the results of its own study (same metric, same baseline). */
  onFront: boolean;
}

/** The short name of a metric for legends and labels (the metric table's), or the metric itself. */
export const metricShort = (metric: string): string => metricClass(metric)?.short ?? metric;

/**
 * Each published result with its variant, its kind and its change, or why it is not charted; then the
 * Pareto front (fewest bytes, best change in the kind's direction) within each study — one metric against
 * one baseline — never across studies, whose models differ.
 */
export function placeEvidence(d: ReportData): PlacedEvidence[] {
  const out: PlacedEvidence[] = d.quality.evidence.map((e) => {
    const variant = d.variants.find((v) => v.id === e.variant);
    const kind = e.metricKind !== undefined && e.metricKind in QUALITY_KINDS ? e.metricKind : undefined;
    const change = kind === undefined ? undefined : QUALITY_KINDS[kind].change === 'points' ? e.changePoints : e.changePercent;
    const why = e.uncharted ?? (!variant ? 'its variant is not in this report'
      : kind === undefined || change === undefined ? 'this report was saved without its change against the baseline: refresh it to chart the point' : '');
    return { e, variant, kind, change: why ? undefined : change, why, onFront: false };
  });
  const studies = new Map<string, PlacedEvidence[]>();
  for (const x of out) {
    if (x.change === undefined || !x.variant || !x.kind) continue;
    const key = `${x.kind}|${x.e.metric}|${x.e.baselineLabel ?? ''}|${x.e.baseline}`;
    studies.set(key, [...(studies.get(key) ?? []), x]);
  }
  for (const pts of studies.values()) {
    const up = QUALITY_KINDS[pts[0]!.kind!].higherIsBetter ? 1 : -1;
    pts.sort((a, b) => a.variant!.bytesPerToken - b.variant!.bytesPerToken || up * (b.change! - a.change!));
    let best = -Infinity;
    for (const x of pts) {
      if (up * x.change! > best) {
        x.onFront = true;
        best = up * x.change!;
      }
    }
  }
  return out;
}

/** The kinds that have a charted point, in the metric table's order. */
export function chartedKinds(d: ReportData): QualityKind[] {
  const placed = placeEvidence(d);
  return QUALITY_KIND_ORDER.filter((k) => placed.some((x) => x.kind === k && x.change !== undefined));
}

/** "percentage points" / "% relative". */
export const changeUnitWords = (kind: QualityKind): string => (QUALITY_KINDS[kind].unit === 'pp' ? 'percentage points' : '% relative');

/** Decimal places of a number as written (45.2 → 1). */
function decimals(x: number): number {
  const s = String(x);
  const dot = s.indexOf('.');
  return dot < 0 || s.includes('e') ? 0 : s.length - dot - 1;
}

/** A result and its baseline as the source writes them, to the same places: "41.2" and "45.2", "37.0" next to "35.6". */
export function reported(e: QualityEvidence): { value: string; baseline: string | null } {
  const dp = Math.min(6, Math.max(decimals(e.value), e.baseline === null ? 0 : decimals(e.baseline)));
  return { value: e.value.toFixed(dp), baseline: e.baseline === null ? null : e.baseline.toFixed(dp) };
}

/** "41.2 vs MHA baseline 45.2" (or the value alone when the source gives no baseline). */
export function versusBaseline(e: QualityEvidence): string {
  const r = reported(e);
  return r.baseline === null ? r.value : `${r.value} vs ${e.baselineLabel ? `${e.baselineLabel} baseline` : 'baseline'} ${r.baseline}`;
}

/** The caveat without the "model, budget (origin);" the engine puts first when the point carries those apart. */
function caveatRest(e: QualityEvidence): string {
  const prefix = `${e.modelScale ?? ''}, ${e.trainingBudget ?? ''}`;
  if (!e.modelScale || !e.trainingBudget || !e.caveat.startsWith(prefix)) return e.caveat;
  return e.caveat.slice(prefix.length).replace(/^\s*\(([^)]*)\);?\s*/, '$1; ').replace(/;\s*$/, '');
}

/** A point's label: what, the reported value against its baseline, the change; the model and its training; where it sits. */
export function evidenceTip(x: PlacedEvidence): string[] {
  const { e } = x;
  const kind = x.kind!;
  const caveat = caveatRest(e);
  return [
    `${x.variant?.label ?? e.variant}: ${metricShort(e.metric)}`,
    `${versusBaseline(e)} → ${changeText(x.change!, QUALITY_KINDS[kind].unit)}`,
    ...(e.modelScale || e.trainingBudget ? [[e.modelScale, e.trainingBudget].filter(Boolean).join(' · ')] : []),
    ...(x.variant ? [`placed at this model’s ${x.variant.label}: KV per token ${bytes(x.variant.bytesPerToken)}`] : []),
    ...wrap(`source: ${e.source}`),
    ...(caveat ? wrap(`caveat: ${caveat}`) : []),
  ];
}

/**
 * The published results of one kind of metric: each as its change against its own baseline (0 = as good
 * as the baseline of its study), against the KV bytes per token of the variant it is about. One kind per
 * chart, so an accuracy in points, a perplexity and a generation score never share an axis.
 */
export function qualityChart(d: ReportData, kind: QualityKind, p: Palette, animate: boolean): ChartSpec {
  const info = QUALITY_KINDS[kind];
  const placed = placeEvidence(d).filter((x) => x.kind === kind && x.change !== undefined && x.variant);
  const metrics = [...new Set(placed.map((x) => x.e.metric))];
  const datasets: LineDataset[] = [];
  const legend: LegendEntry[] = [];
  metrics.forEach((m, i) => {
    const st = styleOf(p, i);
    const pts = placed.filter((x) => x.e.metric === m);
    const label = metricShort(m);
    const entry: LegendEntry = { label, color: i, dash: [], point: st.point, datasets: [datasets.length] };
    datasets.push({
      label,
      alRole: 'series',
      alKind: kind,
      data: pts.map((x) => ({ x: x.variant!.bytesPerToken, y: x.change! })),
      alTip: pts.map(evidenceTip),
      showLine: false,
      borderColor: st.color,
      backgroundColor: st.color,
      pointStyle: st.point,
      pointRadius: 5,
      pointHoverRadius: 7,
    });
    // One front line per study (same metric, same baseline); a study with one point has none.
    const studies = new Map<string, PlacedEvidence[]>();
    for (const x of pts.filter((y) => y.onFront)) studies.set(`${x.e.baselineLabel ?? ''}|${x.e.baseline}`, [...(studies.get(`${x.e.baselineLabel ?? ''}|${x.e.baseline}`) ?? []), x]);
    for (const front of studies.values()) {
      if (front.length < 2) continue;
      front.sort((a, b) => a.variant!.bytesPerToken - b.variant!.bytesPerToken);
      entry.datasets.push(datasets.length);
      datasets.push({
        label: `${label}: Pareto front`,
        alRole: 'front',
        alKind: kind,
        data: front.map((x) => ({ x: x.variant!.bytesPerToken, y: x.change! })),
        // Horizontal, then to the better value: a point dominates everything with more bytes and a worse change.
        stepped: 'before',
        borderColor: st.color,
        backgroundColor: st.color,
        borderDash: [6, 3],
        borderWidth: 1.5,
        pointRadius: 0,
        pointHitRadius: 0,
      });
    }
    legend.push(entry);
  });
  const unit = (v: number): string => changeText(Number(v.toPrecision(6)), info.unit);
  const direction = info.higherIsBetter ? 'higher is better' : 'lower is better';
  const options = baseOptions(p, animate);
  options.interaction = { mode: 'nearest', intersect: true };
  options.scales = {
    x: pow2Axis(p, 'KV cache per token', pow2Bytes, 7, true, qualityBytesSpan(d)),
    y: {
      type: 'linear',
      // The baseline (0) is always in view: a point reads as above or below its own study's baseline.
      suggestedMin: 0,
      suggestedMax: 0,
      title: { display: true, text: `Change vs baseline (${info.unit})`, color: p.muted, font: { family: p.font, size: p.fontSize } },
      grid: { color: (c: { tick?: { value: number } }) => (c.tick?.value === 0 ? p.fg : p.grid) },
      border: { color: p.grid },
      ticks: { color: p.fg, font: { family: p.font, size: p.fontSize - 1 }, callback: (v: number | string) => unit(Number(v)) },
      grace: '10%',
      afterFit: alignedYAxis,
    },
  };
  options.plugins.alOverlay = {
    label: { y: 0, text: `baseline of each study (${direction})`, color: p.muted, font: `${p.fontSize - 1}px ${p.font}` },
  } satisfies Overlay;
  options.plugins.tooltip.filter = (it: TooltipItem<'line'>) => (it.dataset as LineDataset).alRole === 'series';
  options.plugins.tooltip.callbacks = {
    title: () => '',
    label: (it: TooltipItem<'line'>) => (it.dataset as LineDataset).alTip?.[it.dataIndex] ?? '',
  };
  const summary = `Scatter chart, ${info.label.toLowerCase()}: each published result's change against its own baseline in ${changeUnitWords(kind)} (${direction}; 0 is the baseline), against KV cache bytes per token, `
    + `${placed.length} point${placed.length === 1 ? '' : 's'} over ${metrics.length} metric${metrics.length === 1 ? '' : 's'}, with each study's Pareto front as a dashed step line. `
    + placed.map((x) => `${x.variant!.label}: ${metricShort(x.e.metric)} ${versusBaseline(x.e)}, ${changeText(x.change!, info.unit)} (${[x.e.modelScale, x.e.trainingBudget].filter(Boolean).join(', ')}) at ${bytes(x.variant!.bytesPerToken)} per token`).join('; ')
    + '. The table below lists every result with its reported values and source.';
  return { config: { type: 'line', data: { datasets }, options, plugins: [overlay] }, legend, summary };
}

// ---------------------------------------------------------------- Chart 3b: weight-space error measured on this model's weights

/** Measured points the chart can place: a variant of this report and its bytes per token. */
export function chartedMeasured(d: ReportData): (MeasuredQualityPoint & { variant: string; bytesPerToken: number })[] {
  return (d.quality.measured ?? []).filter((m): m is MeasuredQualityPoint & { variant: string; bytesPerToken: number } => m.variant !== undefined && m.bytesPerToken !== undefined && m.bytesPerToken > 0);
}

/** Chart 3's y axes all take the same width (or their own, if wider), so their x axes line up one above the other. */
function alignedYAxis(axis: Scale): void {
  axis.width = Math.max(axis.width, 96);
}

/** Every KV-bytes position of chart 3's charts: all x axes cover it, so one variant sits at one x in each. */
function qualityBytesSpan(d: ReportData): number[] {
  return [...placeEvidence(d).flatMap((x) => (x.variant && x.change !== undefined ? [x.variant.bytesPerToken] : [])), ...chartedMeasured(d).map((m) => m.bytesPerToken)];
}

/** Breaks a long sentence into tooltip lines of about `width` characters. */
function wrap(text: string, width = 64): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

/**
 * K and V relative errors (%) against the KV bytes per token of the variant each conversion becomes:
 * its own chart and axis, because a weight-space error is not an accuracy and is never put on the
 * published results' scale. Colour and marker tell K from V; each conversion is named above its points.
 */
export function weightsChart(d: ReportData, p: Palette, animate: boolean): ChartSpec {
  const pts = chartedMeasured(d);
  const datasets: LineDataset[] = [];
  const legend: LegendEntry[] = [];
  const tip = (m: (typeof pts)[number]): string[] => [
    `${m.label} on this model’s weights, at ${variantLabel(d, m.variant)}`,
    `K error ${percent(m.kRelError)} · V error ${percent(m.vRelError)}${m.energyRetained !== undefined ? ` · energy kept ${percent(m.energyRetained)}` : ''}`,
    `KV per token ${bytes(m.bytesPerToken)}`,
    ...wrap(m.what),
  ];
  const parts = [
    // K on top of V (lower `order` is drawn last): a filled triangle inside a hollow diamond when they coincide.
    { key: 'k', label: 'K error', slot: 0, point: 'triangle', hollow: false, radius: 5, order: 1, value: (m: MeasuredQualityPoint) => m.kRelError },
    { key: 'v', label: 'V error', slot: 1, point: 'rectRot', hollow: true, radius: 8, order: 2, value: (m: MeasuredQualityPoint) => m.vRelError },
  ] as const;
  for (const part of parts) {
    const st = styleOf(p, part.slot);
    legend.push({ label: part.label, color: part.slot, dash: [], point: part.point, datasets: [datasets.length] });
    datasets.push({
      label: part.label,
      alRole: 'series',
      data: pts.map((m) => ({ x: m.bytesPerToken, y: part.value(m) * 100 })),
      alTip: pts.map(tip),
      alKey: pts.map((m) => m.target),
      showLine: false,
      borderColor: st.color,
      backgroundColor: part.hollow ? p.bg : st.color,
      pointBackgroundColor: part.hollow ? p.bg : st.color,
      pointBorderColor: st.color,
      pointBorderWidth: 2,
      pointStyle: part.point,
      pointRadius: part.radius,
      pointHoverRadius: part.radius + 2,
      order: part.order,
      // An exact conversion (0%) sits on the axis: draw its whole marker, not the half above the frame.
      clip: part.radius + 4,
    });
  }
  // One name per position: conversions that land on the same bytes (GQA-2 and KV fp8 can) share a tag.
  const byX = new Map<number, { y: number; names: string[] }>();
  for (const m of pts) {
    const at = byX.get(m.bytesPerToken) ?? { y: 0, names: [] };
    at.y = Math.max(at.y, m.kRelError * 100, m.vRelError * 100);
    if (!at.names.includes(m.label)) at.names.push(m.label);
    byX.set(m.bytesPerToken, at);
  }
  const options = baseOptions(p, animate);
  options.interaction = { mode: 'nearest', intersect: true };
  options.scales = {
    x: pow2Axis(p, 'KV cache per token', pow2Bytes, 7, true, qualityBytesSpan(d)),
    y: {
      type: 'linear',
      min: 0,
      title: { display: true, text: 'K / V relative error (%)', color: p.muted, font: { family: p.font, size: p.fontSize } },
      grid: { color: p.grid },
      border: { color: p.grid },
      ticks: { color: p.fg, font: { family: p.font, size: p.fontSize - 1 }, callback: (v: number | string) => `${Number(v)}%` },
      grace: '15%',
      afterFit: alignedYAxis,
    },
  };
  options.plugins.alOverlay = {
    tags: [...byX].map(([x, at]) => ({ x, y: at.y, text: at.names.join(' · '), color: p.fg, font: `${p.fontSize - 1}px ${p.font}` })),
  } satisfies Overlay;
  options.plugins.tooltip.filter = (it: TooltipItem<'line'>, i: number, items: TooltipItem<'line'>[]) => {
    // K and V of one conversion carry the same lines: show them once.
    const key = (x: TooltipItem<'line'>): string | undefined => (x.dataset as LineDataset).alKey?.[x.dataIndex];
    return items.findIndex((o) => key(o) === key(it)) === i;
  };
  options.plugins.tooltip.callbacks = {
    title: () => '',
    label: (it: TooltipItem<'line'>) => (it.dataset as LineDataset).alTip?.[it.dataIndex] ?? '',
  };
  const summary = `Scatter chart: the weight-space relative error of K and V measured on this model’s weights for ${pts.length} conversion${pts.length === 1 ? '' : 's'}, against the KV cache bytes per token of the variant each becomes. `
    + pts.map((m) => `${m.label}: K ${percent(m.kRelError)}, V ${percent(m.vRelError)} at ${bytes(m.bytesPerToken)} per token`).join('; ')
    + '. Not an accuracy. The table below lists every conversion with what it is and how it was measured.';
  return { config: { type: 'line', data: { datasets }, options, plugins: [overlay] }, legend, summary };
}

// ---------------------------------------------------------------- drawing

/** Draws (or redraws) a chart on a canvas that is already in the document; returns the resolved series colours. */
export function draw(canvas: HTMLCanvasElement, spec: ChartSpec, hidden: ReadonlySet<number> = new Set()): Chart<'line', XY[]> {
  Chart.getChart(canvas)?.destroy();
  for (const i of hidden) {
    const ds = spec.config.data.datasets[i];
    if (ds) ds.hidden = true;
  }
  const chart = new Chart(canvas, spec.config);
  canvas.dataset.seriesColors = spec.config.data.datasets
    .filter((d) => (d as LineDataset).alRole === 'series')
    .map((d) => (typeof d.borderColor === 'string' ? d.borderColor : '')).join(',');
  canvas.dataset.animation = spec.config.options?.animation === false ? 'off' : 'on';
  return chart;
}

export function destroyAll(root: ParentNode): void {
  for (const c of root.querySelectorAll('canvas')) Chart.getChart(c)?.destroy();
}

export { Chart };
