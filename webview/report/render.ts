/**
 * The page's DOM: header, controls, the three chart sections (each with its table of the same
 * numbers), the variants table with a derivation under every row, and the budget table. Text goes in
 * through textContent only. Charts are drawn by main.ts once their canvases are in the document.
 */
import type { MeasuredQualityPoint, MeasuredRun, ReportChoices, ReportData, ReportLaunch, ReportVariant } from '../../src/shared/reportProtocol';
import { changeUnitWords, chartedKinds, chartedMeasured, measuredSeries, placeEvidence, reported, slots, variantLabel, type ChartSpec, type LegendEntry, type PlacedEvidence } from './charts';
import { changeText, QUALITY_KINDS, type QualityKind } from '../../src/core/qualityMetrics';
import { h, idOf, srOnly, svg, type Child } from './dom';
import { bytes, int, maxContext, micros, percent, ratio, signedParams, tokens, when } from './format';
import { dashCss, POINT_STYLES, SERIES_VAR } from './theme';

/** What a section needs from the page: persisted open/closed state. */
export interface UiState {
  isOpen(key: string): boolean;
  setOpen(key: string, open: boolean): void;
}

/** A chart section waiting for its canvas to be drawn. */
export interface PendingChart {
  key: string;
  canvas: HTMLCanvasElement;
  legend: HTMLElement;
  build: () => ChartSpec;
}

// ---------------------------------------------------------------- small pieces

/** A `<details>` whose open state survives redraws and reloads. */
export function details(ui: UiState, key: string, summary: Child | Child[], body: Child | Child[], cls = ''): HTMLDetailsElement {
  const d = h('details', { class: cls || null, 'data-key': key }, h('summary', null, summary), body);
  d.open = ui.isOpen(key);
  d.addEventListener('toggle', () => ui.setOpen(key, d.open));
  return d;
}

export function lines(items: readonly string[]): HTMLOListElement {
  return h('ol', { class: 'lines' }, items.map((l) => h('li', null, l)));
}

/** A line-and-marker sample matching a chart series (colours are CSS variables, so themes follow). */
export function swatch(slot: number, dash: number[] | string, point: string | false, hollow = false): SVGElement {
  const stroke = slot < 0 ? 'var(--vscode-foreground)' : `var(${SERIES_VAR(slot)})`;
  const line = svg('line', { x1: 1, y1: 6, x2: 27, y2: 6, 'stroke-width': 2, 'stroke-dasharray': typeof dash === 'string' ? dash : dash.length ? dash.join(' ') : null });
  (line as SVGElement & ElementCSSInlineStyle).style.stroke = stroke;
  const marker = point ? markerShape(point) : null;
  if (marker) {
    const s = (marker as SVGElement & ElementCSSInlineStyle).style;
    s.stroke = stroke;
    s.fill = hollow || point === 'crossRot' ? 'var(--vscode-editor-background)' : stroke;
  }
  return svg('svg', { class: 'swatch', width: 28, height: 12, viewBox: '0 0 28 12', 'aria-hidden': 'true', focusable: 'false' }, line, marker);
}

function markerShape(point: string): SVGElement | null {
  switch (point) {
    case 'circle': return svg('circle', { cx: 14, cy: 6, r: 3.5, 'stroke-width': 1.5 });
    case 'rect': return svg('rect', { x: 10.5, y: 2.5, width: 7, height: 7, 'stroke-width': 1.5 });
    case 'triangle': return svg('polygon', { points: '14,1.5 18.5,10 9.5,10', 'stroke-width': 1.5 });
    case 'rectRot': return svg('polygon', { points: '14,1 19,6 14,11 9,6', 'stroke-width': 1.5 });
    case 'crossRot': return svg('path', { d: 'M10.5 2.5 L17.5 9.5 M17.5 2.5 L10.5 9.5', 'stroke-width': 2 });
    case 'star': return svg('path', { d: 'M14 1.5 V10.5 M9.5 6 H18.5 M10.8 2.8 L17.2 9.2 M17.2 2.8 L10.8 9.2', 'stroke-width': 1.5 });
    default: return null;
  }
}

/** A table row that expands to its derivation (a disclosure button; the open state persists). */
function disclosureRows(ui: UiState, key: string, head: Child[], cells: Child[], derivation: readonly string[], cls = ''): HTMLTableSectionElement {
  const id = `drv-${idOf(key)}`;
  const open = ui.isOpen(key);
  const btn = h('button', { type: 'button', class: 'disclosure', 'aria-expanded': String(open), 'aria-controls': id }, h('span', { class: 'chevron', 'aria-hidden': 'true' }), head);
  const detail = h('tr', { class: 'derivation', id }, h('td', { colspan: cells.length + 1 }, lines(derivation)));
  detail.hidden = !open;
  btn.addEventListener('click', () => {
    const now = btn.getAttribute('aria-expanded') !== 'true';
    btn.setAttribute('aria-expanded', String(now));
    detail.hidden = !now;
    ui.setOpen(key, now);
  });
  const row = h('tr', { class: cls || null }, h('th', { scope: 'row' }, btn), cells);
  return h('tbody', { class: 'group' }, row, detail);
}

const num = (text: string, title?: string): HTMLTableCellElement => h('td', { class: 'num', title: title ?? null }, text);

function section(id: string, title: string, sub: Child | Child[], ...body: Child[]): HTMLElement {
  return h('section', { class: 'card', id, 'aria-labelledby': `${id}-h` },
    h('div', { class: 'card-head' }, h('h2', { id: `${id}-h` }, title), sub ? h('p', { class: 'sub' }, sub) : null),
    ...body);
}

/** A chart with its HTML legend and its table (the same numbers) under a persisted `<details>`; `table` null when a shared table follows several charts. */
function chartFigure(ui: UiState, key: string, build: () => ChartSpec, table: HTMLElement | null, pending: PendingChart[], extra: Child[] = []): HTMLElement {
  const canvas = h('canvas', { id: `chart-${key}`, role: 'img' });
  const legend = h('div', { class: 'legend', role: 'group', 'aria-label': 'Series shown (toggle)' });
  pending.push({ key, canvas, legend, build });
  return h('figure', { class: 'chart', id: `fig-${key}` },
    h('div', { class: 'chart-box' }, canvas),
    legend,
    ...extra,
    table ? details(ui, `table:${key}`, ['Table', h('span', { class: 'muted' }, ' — the same numbers as the chart')], h('div', { class: 'table-wrap' }, table), 'table-toggle') : null);
}

/** Fills a chart's HTML legend: one toggle button per series (aria-pressed), swatch = colour + dash + marker. */
export function fillLegend(el: HTMLElement, entries: LegendEntry[], hidden: ReadonlySet<string>, toggle: (e: LegendEntry, visible: boolean) => void): void {
  el.replaceChildren(...entries.map((e) => {
    const b = h('button', { type: 'button', class: 'legend-item', 'aria-pressed': String(!hidden.has(e.label)) }, swatch(e.color, e.dash, e.point), h('span', null, e.label));
    b.addEventListener('click', () => {
      const visible = b.getAttribute('aria-pressed') !== 'true';
      b.setAttribute('aria-pressed', String(visible));
      toggle(e, visible);
    });
    return b;
  }));
}

// ---------------------------------------------------------------- header

export function header(d: ReportData, ui: UiState): HTMLElement {
  const s = d.summary;
  const item = (term: string, ...def: Child[]): HTMLDivElement => h('div', { class: 'item' }, h('dt', null, term), h('dd', null, ...def));
  return h('header', { class: 'report-header' },
    h('div', { class: 'titles' },
      h('h1', null, d.title, h('span', { class: 'kicker' }, ' · attention report')),
      h('p', { class: 'file' }, h('code', { title: d.file }, d.file))),
    h('dl', { class: 'summary' },
      item('Attention', s.attention),
      item('Layers', s.layerMix),
      item('KV per token', bytes(s.bytesPerToken), h('span', { class: 'muted' }, ` ${s.dtype}`)),
      item(`KV at ${tokens(s.contextTokens)}${d.choices.batch > 1 ? ` × ${d.choices.batch}` : ' tokens'}`, bytes(s.totalBytes),
        s.contextTokens > s.modelMaxContextTokens ? h('span', { class: 'muted' }, ` (beyond the model’s ${tokens(s.modelMaxContextTokens)})`) : null),
      item('GPU', s.gpus > 1 ? `${s.gpus} × ${s.gpuName}` : s.gpuName),
      item('Usable per GPU', s.usableBytesPerGpu > 0 ? bytes(s.usableBytesPerGpu) : 'none', h('span', { class: 'muted' }, ` after ${bytes(s.weightsBytesPerGpu)} of weights`)),
      s.gpusNeeded && (s.gpusNeeded.gpus !== s.gpus || s.gpusNeeded.pipelineStages > 1)
        ? item('GPUs needed', s.gpusNeeded.fits ? `${gpusNeededText(s.gpusNeeded)} × ${s.gpuName}` : 'none that fits', h('span', { class: 'muted', title: s.gpusNeeded.reason }, s.gpusNeeded.fits ? ` → ${s.gpusNeeded.maxBatchAtContext} request${s.gpusNeeded.maxBatchAtContext === 1 ? '' : 's'} at ${tokens(s.contextTokens)}` : ` (${s.gpusNeeded.reason})`))
        : null),
    h('p', { class: 'meta' }, `Generated ${when(d.generatedAt)} by ${d.generator}`),
    d.notes.length ? h('ul', { class: 'notes', 'aria-label': 'Notes' }, d.notes.map((n) => h('li', null, n))) : null,
    details(ui, 'deriv:model', 'How these numbers are derived', lines(d.derivation), 'derivation'));
}

// ---------------------------------------------------------------- controls

export interface Controls {
  el: HTMLElement;
  update(d: ReportData): void;
  setStatus(text: string): void;
}

const RUNTIMES: ReportChoices['runtime'][] = ['hf', 'vllm', 'llamacpp'];

/** Webview controls: selects and whole-number inputs that post `choose`; export, run profile. */
export function controls(post: (m: import('../../src/shared/reportProtocol').ViewMessage) => void): Controls {
  const select = (id: string, label: string): [HTMLDivElement, HTMLSelectElement] => {
    const s = h('select', { id, name: id });
    return [h('div', { class: 'field' }, h('label', { for: id }, label), s), s];
  };
  const numberField = (id: string, label: string, max: number): [HTMLDivElement, HTMLInputElement, HTMLSpanElement] => {
    const i = h('input', { id, name: id, type: 'number', min: 1, max, step: 1, inputmode: 'numeric', 'aria-describedby': `${id}-err` });
    const err = h('span', { class: 'field-error', id: `${id}-err`, 'aria-live': 'polite' });
    return [h('div', { class: 'field number' }, h('label', { for: id }, label), i, err), i, err];
  };
  const [fGpu, gpu] = select('c-gpu', 'GPU');
  const [fDtype, dtype] = select('c-kv-dtype', 'KV dtype');
  const [fRuntime, runtime] = select('c-runtime', 'Runtime');
  const [fBatch, batch, batchErr] = numberField('c-batch', 'Batch', 1048576);
  const [fTp, tp, tpErr] = numberField('c-tp', 'Tensor parallel', 1024);
  const status = h('span', { class: 'status', id: 'status', role: 'status', 'aria-live': 'polite' });
  const button = (id: string, text: string, cls: string, m: import('../../src/shared/reportProtocol').ViewMessage): HTMLButtonElement => {
    const b = h('button', { type: 'button', id, class: cls }, text);
    b.addEventListener('click', () => post(m));
    return b;
  };
  const form = h('form', { class: 'controls', id: 'controls', 'aria-label': 'What-if settings', novalidate: true }, fGpu, fDtype, fRuntime, fBatch, fTp);
  const actions = h('div', { class: 'actions' },
    status,
    button('run-profile', 'Run profile', 'button', { type: 'runProfile' }),
    button('export-html', 'Export HTML', 'button secondary', { type: 'export', format: 'html' }),
    button('export-json', 'Export JSON', 'button secondary', { type: 'export', format: 'json' }));
  const el = h('div', { class: 'toolbar', id: 'toolbar' }, form, actions);
  let current: ReportChoices | undefined;

  const wholeNumber = (input: HTMLInputElement, err: HTMLSpanElement, max: number): number | undefined => {
    const text = input.value.trim();
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    const ok = Number.isSafeInteger(n) && n >= 1 && n <= max;
    input.setAttribute('aria-invalid', String(!ok));
    err.textContent = ok ? '' : Number.isSafeInteger(n) && n > max ? `at most ${int(max)}` : 'a whole number ≥ 1';
    return ok ? n : undefined;
  };
  const submit = (): void => {
    const b = wholeNumber(batch, batchErr, 1048576);
    const t = wholeNumber(tp, tpErr, 1024);
    const rt = runtime.value as ReportChoices['runtime'];
    if (b === undefined || t === undefined || !RUNTIMES.includes(rt)) return;
    const choices: ReportChoices = { gpu: gpu.value, kvDtype: dtype.value, runtime: rt, batch: b, tp: t };
    if (current && JSON.stringify(current) === JSON.stringify(choices)) return;
    current = choices;
    post({ type: 'choose', choices });
  };
  form.addEventListener('change', submit);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });

  const fill = (s: HTMLSelectElement, opts: { id: string; name: string }[], value: string): void => {
    const all = opts.some((o) => o.id === value) ? opts : [...opts, { id: value, name: value }];
    const sig = JSON.stringify(all);
    if (s.dataset.sig !== sig) {
      s.replaceChildren(...all.map((o) => h('option', { value: o.id }, o.name)));
      s.dataset.sig = sig;
    }
    s.value = value;
  };
  return {
    el,
    update(d) {
      current = d.choices;
      fill(gpu, d.options.gpus, d.choices.gpu);
      fill(dtype, d.options.kvDtypes.map((k) => ({ id: k, name: k === 'auto' ? `auto (${d.summary.dtype})` : k })), d.choices.kvDtype);
      fill(runtime, d.options.runtimes, d.choices.runtime);
      for (const [input, err, v] of [[batch, batchErr, d.choices.batch], [tp, tpErr, d.choices.tp]] as const) {
        input.value = String(v);
        input.removeAttribute('aria-invalid');
        err.textContent = '';
      }
    },
    setStatus(text) {
      status.textContent = text;
      status.classList.toggle('busy', text !== '');
    },
  };
}

/** The export's (or a preview's) settings as plain text. */
export function choicesText(d: ReportData): HTMLElement {
  const name = (list: { id: string; name: string }[], id: string): string => list.find((x) => x.id === id)?.name ?? id;
  const pair = (k: string, v: string): HTMLDivElement => h('div', { class: 'item' }, h('dt', null, k), h('dd', null, v));
  return h('div', { class: 'toolbar static', id: 'toolbar' }, h('dl', { class: 'choices', 'aria-label': 'Settings of this report' },
    pair('GPU', name(d.options.gpus, d.choices.gpu)),
    pair('KV dtype', d.choices.kvDtype === 'auto' ? `auto (${d.summary.dtype})` : d.choices.kvDtype),
    pair('Runtime', name(d.options.runtimes, d.choices.runtime)),
    pair('Batch', int(d.choices.batch)),
    pair('Tensor parallel', int(d.choices.tp))));
}

// ---------------------------------------------------------------- sections

export interface SectionBuilders {
  memory: () => ChartSpec;
  measured: (run: MeasuredRun) => ChartSpec;
  /** One chart per metric kind with a charted point. */
  quality: (kind: QualityKind) => ChartSpec;
  weights: () => ChartSpec;
}

export function content(d: ReportData, ui: UiState, charts: SectionBuilders, pending: PendingChart[], interactive: boolean, post: (m: { type: 'runProfile' } | { type: 'measureQuality' } | { type: 'copyLaunch'; runtime: ReportLaunch['runtime'] }) => void): HTMLElement[] {
  const launch = launchSection(d, interactive, post);
  return [memorySection(d, ui, charts, pending), variantsSection(d, ui), measuredSection(d, ui, charts, pending, interactive, post), qualitySection(d, ui, charts, pending, interactive, post), budgetSection(d), ...(launch ? [launch] : [])];
}

function memorySection(d: ReportData, ui: UiState, charts: SectionBuilders, pending: PendingChart[]): HTMLElement {
  const { contexts, series, budgetBytes } = d.memory;
  const byId = new Map(d.variants.map((v) => [v.id, v]));
  const slot = slots(d);
  const table = h('table', { id: 'table-memory', class: 'data' },
    h('caption', null, `KV cache per GPU at each context, batch ${d.choices.batch}${d.choices.tp > 1 ? `, tensor parallel ${d.choices.tp}` : ''}. Usable on ${d.summary.gpuName}: ${budgetBytes > 0 ? bytes(budgetBytes) : 'none'}.`),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Context (tokens)'),
      series.map((s) => h('th', { scope: 'col', class: 'num' }, swatch(slot.get(s.variant) ?? 0, dashCss(slot.get(s.variant) ?? 0), POINT_STYLES[(slot.get(s.variant) ?? 0) % POINT_STYLES.length]!), variantLabel(d, s.variant))))),
    h('tbody', null, contexts.map((c, k) => h('tr', null, h('th', { scope: 'row', class: 'num' }, int(c)),
      series.map((s) => num(bytes(s.bytes[k] ?? 0), `${int(s.bytes[k] ?? 0)} B`))))),
    h('tfoot', null, h('tr', null, h('th', { scope: 'row' }, 'Max context at batch 1'),
      series.map((s) => num(maxContext(byId.get(s.variant)?.maxContextTokens ?? null))))));
  const budget = d.memory.budgetDerivation.length ? details(ui, 'deriv:budget', `How “usable on ${d.summary.gpuName}” is derived`, lines(d.memory.budgetDerivation), 'derivation') : null;
  const sub = budgetBytes > 0
    ? ['Each line is a variant; the dashed line is the memory left for the KV cache on ', h('strong', null, d.summary.gpuName), '; hollow markers on it are each variant’s longest context at batch 1.']
    : ['Each line is a variant. ', h('strong', null, `The weights alone exceed the usable memory of ${d.summary.gpuName}`), ', so there is no budget line and no variant fits.'];
  if (series.length === 0) return section('memory', 'KV memory vs context', 'No variant to chart.');
  return section('memory', 'KV memory vs context', sub, chartFigure(ui, 'memory', charts.memory, table, pending, budget ? [budget] : []));
}

function variantsSection(d: ReportData, ui: UiState): HTMLElement {
  const slot = slots(d);
  const ctx = d.summary.contextTokens;
  const cols = ['KV per token', 'Saving vs own', 'Max context (batch 1)', `Batch at ${tokens(ctx)}`, 'Δ attention params', 'Δ decode FLOPs / token'];
  const rowFor = (v: ReportVariant): HTMLTableSectionElement => {
    const s = slot.get(v.id) ?? 0;
    const head: Child[] = [
      v.charted ? swatch(s, dashCss(s), POINT_STYLES[s % POINT_STYLES.length]!) : h('span', { class: 'swatch-gap', 'aria-hidden': 'true' }),
      h('span', { class: 'label' }, v.label),
      v.own ? h('span', { class: 'badge' }, 'own') : null,
    ];
    return disclosureRows(ui, `var:${v.id}`, head, [
      num(bytes(v.bytesPerToken), `${int(v.bytesPerToken)} B per token (${v.kvDtype})`),
      num(v.own ? '—' : ratio(v.savingVsOwn)),
      num(maxContext(v.maxContextTokens)),
      num(v.maxBatchAtContext > 0 ? int(v.maxBatchAtContext) : '0 (doesn’t fit)'),
      num(signedParams(v.attentionParamsDelta), int(v.attentionParamsDelta)),
      num(signedParams(v.attentionFlopsDelta), int(v.attentionFlopsDelta)),
    ], v.derivation, v.own ? 'own' : '');
  };
  const table = h('table', { id: 'table-variants', class: 'data variants' },
    h('caption', { class: 'sr-only' }, `Every variant at ${int(ctx)} tokens × batch ${d.choices.batch} on ${d.summary.gpuName}; each row expands to its derivation.`),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Variant'), cols.map((c) => h('th', { scope: 'col', class: 'num' }, c)))),
    d.variants.map(rowFor));
  return section('variants', 'Variants', [`Every variant at ${int(ctx)} tokens × batch ${d.choices.batch} on ${d.summary.gpuName}. `, 'Select a variant to see how each number is derived; the ones with a line sample are charted.'],
    h('div', { class: 'table-wrap' }, table));
}

function measuredSection(d: ReportData, ui: UiState, charts: SectionBuilders, pending: PendingChart[], interactive: boolean, post: (m: { type: 'runProfile' } | { type: 'measureQuality' }) => void): HTMLElement {
  const run = d.measured[0];
  const title = 'Measured attention latency vs context';
  if (!run || run.points.length === 0) {
    const btn = interactive ? h('button', { type: 'button', class: 'button', id: 'run-profile-empty' }, 'Run profile') : null;
    btn?.addEventListener('click', () => post({ type: 'runProfile' }));
    return section('measured', title, null,
      h('div', { class: 'empty', id: 'measured-empty' },
        h('p', null, run ? 'The newest profile run measured no full-attention case for this config.' : 'Nothing measured yet for this config on this machine.'),
        h('p', { class: 'muted' }, interactive ? 'A profile times the attention kernels of this config and its variants on this machine’s GPU.' : 'Profile the config in VS Code (Attention Lens: Profile Attention Config) to time it on a GPU.'),
        btn));
  }
  const groups = measuredSeries(d, run);
  const table = h('table', { id: 'table-measured', class: 'data' },
    h('caption', null, `Median attention time per layer on ${run.device}; the roofline bound is this device’s measured peaks.`),
    h('thead', null, h('tr', null, ['Variant', 'Mode', 'Context (tokens)', 'Median', 'Roofline bound', 'Median ÷ bound'].map((c, i) => h('th', { scope: 'col', class: i >= 2 ? 'num' : null }, c)))),
    groups.flatMap((g) => g.points.map((pt) => disclosureRows(ui, `meas:${g.key}:${pt.contextTokens}`,
      [swatch(g.slot, g.mode === 'prefill' ? '8 4' : 'none', POINT_STYLES[g.slot % POINT_STYLES.length]!, g.mode === 'prefill'), h('span', { class: 'label' }, pt.label), pt.own ? h('span', { class: 'badge' }, 'own') : null],
      [h('td', null, pt.mode), num(int(pt.contextTokens)), num(micros(pt.medianUs), `${pt.medianUs} µs`), num(micros(pt.rooflineUs), `${pt.rooflineUs} µs`), num(pt.rooflineUs > 0 ? ratio(pt.medianUs / pt.rooflineUs) : '—')],
      pt.derivation))));
  const meta = h('p', { class: 'run-meta' },
    h('span', null, h('strong', null, run.device)), ' · ', `${run.backend}`, ' · ', `KV ${run.storage}`, ' · ', h('time', { datetime: run.date }, when(run.date)),
    ' · ', `measured peaks: copy ${run.peaks.copyGBps.toFixed(1)} GB/s${run.peaks.readGBps === undefined ? '' : `, read ${run.peaks.readGBps.toFixed(1)} GB/s`}, f32 ${run.peaks.f32TFlops.toFixed(2)} TFLOP/s`,
    d.measured.length > 1 ? h('span', { class: 'muted' }, ` · newest of ${d.measured.length} runs`) : null,
    run.software ? h('span', { class: 'muted' }, ' · a software adapter: these figures are this machine’s CPU, not a GPU') : null);
  return section('measured', title, ['Solid lines: decode; dashed: prefill; dotted: the roofline bound of the same variant (what this device’s measured bandwidth and FMA rate allow).'],
    meta, chartFigure(ui, 'measured', () => charts.measured(run), table, pending));
}

/**
 * Chart 3 in two parts, one above the other and never on one axis: published results, each as its change
 * against its own study's baseline in one chart per metric kind (accuracy-like in points; perplexity-like
 * and generation scores in % relative), and the weight-space errors measured on this model's weights (not
 * an accuracy); all on the same KV-bytes range so a variant sits at the same x in each.
 */
function qualitySection(d: ReportData, ui: UiState, charts: SectionBuilders, pending: PendingChart[], interactive: boolean, post: (m: { type: 'measureQuality' }) => void): HTMLElement {
  return section('quality', 'Quality vs KV bytes per token',
    ['Different quantities, kept apart: ', h('strong', null, 'published results'), ' as their change against the baseline of their own study, one chart per kind of metric, and the ', h('strong', null, 'weight-space error'),
      ' each conversion makes in this model’s own K/V weights — how far the converted weights are from the original ones, not an accuracy. Both are placed at the KV bytes per token of the variant they are about.'],
    h('div', { class: 'quality-parts' }, publishedPart(d, ui, charts, pending), weightsPart(d, ui, charts, pending, interactive, post)));
}

function part(id: string, title: string, ...body: Child[]): HTMLElement {
  return h('div', { class: 'quality-part', id, 'aria-labelledby': `${id}-h`, role: 'group' }, h('h3', { id: `${id}-h` }, title), ...body);
}

function publishedPart(d: ReportData, ui: UiState, charts: SectionBuilders, pending: PendingChart[]): HTMLElement {
  const title = 'Published results — change against each study’s own baseline';
  if (d.quality.evidence.length === 0) {
    return part('quality-published', title, h('div', { class: 'empty', id: 'quality-empty' }, h('p', null, 'No quality evidence for these variants.'), h('p', { class: 'muted' }, d.quality.note)));
  }
  const placed = placeEvidence(d);
  const kinds = chartedKinds(d);
  const kindText = (x: PlacedEvidence): string => (x.kind ? `${QUALITY_KINDS[x.kind].label} (${QUALITY_KINDS[x.kind].unit}, ${QUALITY_KINDS[x.kind].higherIsBetter ? 'higher' : 'lower'} is better)` : '—');
  const table = h('table', { id: 'table-quality', class: 'data' },
    h('caption', null, 'Every published result as its source reports it, with its baseline in the same study and the change the chart draws. The Pareto front keeps the best change for the fewest KV bytes within one study (one metric against one baseline).'),
    h('thead', null, h('tr', null, ['Variant', 'KV per token', 'Metric', 'Kind', 'Value', 'Baseline', 'Change', 'Model · training', 'Source', 'Caveat', 'Charted', 'Pareto front'].map((c, i) => h('th', { scope: 'col', class: i === 1 || (i >= 4 && i <= 6) ? 'num' : null }, c)))),
    h('tbody', null, placed.map((x) => h('tr', { 'data-kind': x.kind ?? null },
      h('th', { scope: 'row' }, x.variant?.label ?? `${x.e.variant} (not in this report)`),
      num(x.variant ? bytes(x.variant.bytesPerToken) : '—'),
      h('td', { class: 'wrap' }, x.e.metric), h('td', { class: 'wrap narrow' }, kindText(x)),
      num(reported(x.e).value), num(x.e.baseline === null ? '—' : `${x.e.baselineLabel ? `${x.e.baselineLabel} ` : ''}${reported(x.e).baseline}`),
      num(x.change !== undefined && x.kind ? changeText(x.change, QUALITY_KINDS[x.kind].unit) : '—'),
      h('td', { class: 'wrap narrow' }, [x.e.modelScale, x.e.trainingBudget].filter(Boolean).join(' · ') || '—'),
      h('td', { class: 'wrap' }, x.e.source), h('td', { class: 'wrap' }, x.e.caveat || '—'),
      h('td', { class: 'wrap' }, x.change !== undefined ? 'yes' : `no: ${x.why}`),
      h('td', null, x.change === undefined ? '—' : x.onFront ? 'yes' : 'no')))));
  const listed = placed.filter((x) => x.change === undefined);
  const why = listed.length > 0
    ? h('p', { class: 'part-sub', id: 'quality-uncharted' }, kinds.length === 0 ? 'None of these results can be charted; the table lists them: ' : `${listed.length} result${listed.length === 1 ? ' is' : 's are'} listed in the table, not charted: `,
      [...new Set(listed.map((x) => x.why))].join('; '), '.')
    : null;
  const figures = kinds.map((kind) => {
    const k = QUALITY_KINDS[kind];
    return h('div', { class: 'quality-kind', id: `quality-kind-${kind}`, 'data-kind': kind },
      h('h4', null, k.label, h('span', { class: 'muted' }, ` — ${k.examples}; change in ${changeUnitWords(kind)}, ${k.higherIsBetter ? 'higher' : 'lower'} is better`)),
      chartFigure(ui, `quality-${kind}`, () => charts.quality(kind), null, pending));
  });
  return part('quality-published', title,
    h('p', { class: 'part-sub' }, d.quality.note, kinds.length > 0 ? ' Hover a point for its model, baseline, source and caveat.' : ''),
    ...figures, why,
    details(ui, 'table:quality', ['Table', h('span', { class: 'muted' }, ' — every result with its reported values')], h('div', { class: 'table-wrap' }, table), 'table-toggle'));
}

function weightsPart(d: ReportData, ui: UiState, charts: SectionBuilders, pending: PendingChart[], interactive: boolean, post: (m: { type: 'measureQuality' }) => void): HTMLElement {
  const title = 'Measured on this model’s weights — weight-space error, not accuracy';
  const measured = d.quality.measured ?? [];
  const w = d.quality.weights;
  if (!w || measured.length === 0) {
    // In the panel, one click measures (the host checks trust and that weights are there).
    const btn = interactive ? h('button', { type: 'button', class: 'button', id: 'measure-quality-empty' }, 'Measure on local weights') : null;
    btn?.addEventListener('click', () => post({ type: 'measureQuality' }));
    return part('quality-weights', title, h('div', { class: 'empty', id: 'weights-empty' },
      h('p', null, w ? 'The measurement holds no conversion to show.' : 'Nothing measured on this model’s weights yet.'),
      h('p', { class: 'muted' }, 'With the model’s *.safetensors next to its config, run ', h('strong', null, 'Attention Lens: Measure Quality on Local Weights'),
        ' in VS Code, or ', h('code', null, 'attention-lens quality <config> --json > quality.json'), ' and then ', h('code', null, 'attention-lens report <config> --quality quality.json'), '.'),
      h('p', { class: 'muted' }, 'It reads only the K/V projections and measures how far each conversion (GQA pooling, MLA low rank, KV quantization) moves them — before any uptraining.'),
      btn));
  }
  const charted = chartedMeasured(d);
  const rowFor = (m: MeasuredQualityPoint): HTMLTableSectionElement => disclosureRows(ui, `weights:${m.target}`,
    [h('span', { class: 'label' }, m.label)],
    [
      h('td', null, m.variant !== undefined ? variantLabel(d, m.variant) : h('span', { class: 'muted' }, 'not in this report (listed, not charted)')),
      num(m.bytesPerToken !== undefined ? bytes(m.bytesPerToken) : '—', m.bytesPerToken !== undefined ? `${int(m.bytesPerToken)} B per token` : undefined),
      num(percent(m.kRelError)), num(percent(m.vRelError)),
      num(m.energyRetained !== undefined ? percent(m.energyRetained) : '—'), num(m.rank99 !== undefined ? int(m.rank99) : '—'),
      h('td', { class: 'wrap' }, m.what),
    ], m.derivation);
  const table = h('table', { id: 'table-weights', class: 'data' },
    h('caption', null, 'Every measured conversion: relative error of K and V after the conversion, on this model’s weights. Select a row for how it was measured.'),
    h('thead', null, h('tr', null, ['Conversion', 'Placed at', 'KV per token', 'K error', 'V error', 'Energy kept', 'Rank for 99%', 'What it is'].map((c, i) => h('th', { scope: 'col', class: i >= 2 && i <= 6 ? 'num' : null }, c)))),
    measured.map(rowFor));
  const files = w.files.length === 1 ? w.files[0]! : `${w.files.length} files`;
  const meta = h('p', { class: 'run-meta', id: 'weights-meta' },
    'Read from ', h('strong', null, files), w.dtype ? ` (${w.dtype})` : '', ` · ${int(w.layersRead)} layer${w.layersRead === 1 ? '' : 's'}`,
    w.measuredAt ? [' · ', h('time', { datetime: w.measuredAt }, when(w.measuredAt))] : null);
  const about = w.notes.length > 0 ? details(ui, 'weights:notes', 'About these measurements', lines(w.notes), 'derivation') : null;
  if (charted.length === 0) {
    return part('quality-weights', title, meta,
      h('p', { class: 'part-sub', id: 'weights-uncharted' }, 'None of the measured conversions is a variant of this report, so none is charted; the table lists them.'),
      h('div', { class: 'table-wrap' }, table), about);
  }
  return part('quality-weights', title, meta,
    h('p', { class: 'part-sub' }, 'Each conversion is placed at the variant with the same shape; a conversion no variant has is listed in the table only. Hover a point for what it measures.'),
    chartFigure(ui, 'weights', charts.weights, table, pending, about ? [about] : []));
}

function budgetSection(d: ReportData): HTMLElement {
  const bt = d.budgetTable;
  const ids = [...new Set(bt.rows.map((r) => r.variant))];
  const slot = slots(d);
  const rows = new Map(bt.rows.map((r) => [`${r.gpu}|${r.variant}`, r]));
  const current = d.choices.gpu;
  const table = h('table', { id: 'table-budget', class: 'data budget' },
    h('caption', { class: 'sr-only' }, `Max context at batch 1 and max concurrent sequences at ${bt.contexts.map(tokens).join(', ')} tokens, per GPU preset and variant. The current GPU is marked.`),
    h('thead', null,
      h('tr', null, h('th', { scope: 'col', rowspan: 2 }, 'GPU'), h('th', { scope: 'col', rowspan: 2, class: 'num', title: 'The smallest count of this GPU that holds the config’s weights and one request at the first context: tensor parallel within a node (≤ 8), pipeline stages over nodes beyond' }, 'GPUs needed'),
        ids.map((id) => { const s = slot.get(id) ?? 0; return h('th', { scope: 'colgroup', colspan: 1 + bt.contexts.length, class: 'group-head' }, swatch(s, dashCss(s), POINT_STYLES[s % POINT_STYLES.length]!), variantLabel(d, id)); })),
      h('tr', null, ids.flatMap((id) => [
        h('th', { scope: 'col', class: 'num group-start', title: `${variantLabel(d, id)}: max context at batch 1` }, 'Max context'),
        ...bt.contexts.map((c) => h('th', { scope: 'col', class: 'num', title: `${variantLabel(d, id)}: concurrent sequences at ${int(c)} tokens` }, `× @ ${tokens(c)}`)),
      ]))),
    h('tbody', null, bt.gpus.map((g) => {
      const isCurrent = g.id === current;
      return h('tr', { class: isCurrent ? 'current' : null, 'aria-current': isCurrent ? 'true' : null, 'data-gpu': g.id },
        h('th', { scope: 'row' }, isCurrent ? h('span', { class: 'marker', 'aria-hidden': 'true' }, '▶ ') : null, g.name, isCurrent ? h('span', { class: 'current-tag' }, ' (current)') : null),
        num(gpusNeededText(g.gpusNeeded)),
        ids.flatMap((id) => {
          const r = rows.get(`${g.id}|${id}`);
          if (!r) return [h('td', { class: 'num group-start muted', colspan: 1 + bt.contexts.length }, '—')];
          if (!r.fits) return [h('td', { class: 'num group-start muted', colspan: 1 + bt.contexts.length }, `weights don’t fit${g.gpusNeeded?.fits ? ` — needs ${gpusNeededText(g.gpusNeeded)}` : ''}`)];
          return [
            h('td', { class: 'num group-start' }, maxContext(r.maxContextTokens)),
            ...r.concurrency.map((c) => num(c > 0 ? int(c) : '0')),
          ];
        }));
    })));
  return section('budget', 'Budget on every GPU',
    [`Longest context at batch 1, and how many sequences of ${bt.contexts.map(tokens).join(' / ')} tokens fit at once (× @), with ${d.choices.kvDtype === 'auto' ? 'the model’s KV dtype' : `KV ${d.choices.kvDtype}`}, ${d.options.runtimes.find((r) => r.id === d.choices.runtime)?.name ?? d.choices.runtime} rules${d.choices.tp > 1 ? `, tensor parallel ${d.choices.tp}` : ''}. `,
      ...(current === 'custom' ? ['The current GPU is a custom size, not one of these presets.'] : ['The current GPU is marked ', h('strong', null, '▶'), ' and bold.'])],
    h('div', { class: 'table-wrap' }, table));
}

/**
 * The budget as each runtime's launch command, shown whole (the exported page keeps the text). Copy: in
 * the panel the extension writes the clipboard (a `copyLaunch` message); the exported page uses the
 * browser's clipboard, or selects the command for the user to copy when the browser refuses.
 */
function launchSection(d: ReportData, interactive: boolean, post: (m: { type: 'copyLaunch'; runtime: ReportLaunch['runtime'] }) => void): HTMLElement | null {
  const launches = d.launch ?? [];
  if (launches.length === 0) return null;
  const status = h('p', { class: 'status', id: 'launch-status', role: 'status', 'aria-live': 'polite' });
  const items = launches.map((l) => {
    const id = `launch-${l.runtime}`;
    const head = (...extra: Child[]): HTMLDivElement => h('div', { class: 'launch-head' }, h('h3', { id: `${id}-h` }, l.name), ...extra);
    if (l.text === undefined) {
      return h('div', { class: 'launch refused', id, 'data-runtime': l.runtime }, head(), h('p', { class: 'muted' }, `No command for these settings: ${l.refused ?? 'not available'}`));
    }
    const text = l.text;
    const pre = h('pre', { class: 'launch-text', id: `${id}-text`, tabindex: 0, 'aria-labelledby': `${id}-h` }, h('code', null, text));
    const copy = h('button', { type: 'button', class: 'button secondary small', id: `${id}-copy`, 'aria-label': `Copy the ${l.name} command` }, 'Copy');
    copy.addEventListener('click', () => {
      if (interactive) post({ type: 'copyLaunch', runtime: l.runtime });
      else copyInPage(text, pre, status, l.name);
    });
    return h('div', { class: 'launch', id, 'data-runtime': l.runtime }, head(l.summary ? h('span', { class: 'muted' }, l.summary) : null, copy), pre);
  });
  return section('launch', 'Launch commands',
    ['This budget as each runtime’s command: tensor and pipeline parallelism, context, KV dtype and the requests that fit at once, each value’s reason in a comment above it. ',
      'They run as pasted; a runtime that lacks these settings says why.'],
    status, ...items);
}

function copyInPage(text: string, pre: HTMLElement, status: HTMLElement, name: string): void {
  const selectIt = (): void => {
    const range = document.createRange();
    range.selectNodeContents(pre);
    const selection = window.getSelection();
    selection?.removeAllRanges();
    selection?.addRange(range);
    status.textContent = `The ${name} command is selected: copy it with the keyboard (the page has no clipboard access here).`;
  };
  if (!navigator.clipboard?.writeText) {
    selectIt();
    return;
  }
  navigator.clipboard.writeText(text).then(() => { status.textContent = `Copied the ${name} command.`; }, selectIt);
}

export { srOnly };

/** "1", "8 (TP 8)", "16 (TP 8 × PP 2)", "—" when no count fits or the data predates the column. */
function gpusNeededText(n: { gpus: number; tp: number; pipelineStages: number; fits: boolean } | undefined): string {
  if (!n || !n.fits) return '—';
  if (n.gpus === 1) return '1';
  if (n.tp === 1) return `${n.gpus} (layer split)`;
  return n.pipelineStages > 1 ? `${n.gpus} (TP ${n.tp} × PP ${n.pipelineStages})` : `${n.gpus} (TP ${n.tp})`;
}
