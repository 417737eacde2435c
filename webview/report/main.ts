/**
 * The report page. In the panel it talks to the extension only through src/shared/reportProtocol.ts:
 * it posts `ready`, draws every `data` the host sends, shows `busy` and `error`, and drops (and counts
 * in body[data-rejected-messages]) anything that fails the guards. The exported HTML has no host: it
 * draws the ReportData embedded in #report-data and shows the settings as text.
 *
 * For tests and benchmarks: body[data-rendered="true"] once a report is drawn whole (every chart) and
 * laid out, body[data-render-ms] the time from the data's arrival to its first frame (every chart in
 * view drawn), body[data-all-charts-ms] to every chart drawn, canvas[data-series-colors] the colours in use,
 * window.attentionLensChart Chart.js's Chart (its getChart(canvas) gives a drawn chart's data and scales).
 */
import { isHostMessage, type HostMessage, type ReportData, type ViewMessage } from '../../src/shared/reportProtocol';
import { Chart, destroyAll, draw, measuredChart, memoryChart, qualityChart, weightsChart, type ChartSpec } from './charts';
import { h } from './dom';
import { choicesText, content, controls, fillLegend, header, type Controls, type PendingChart, type UiState } from './render';
import { followColorScheme, readPalette, reducedMotion, watchTheme } from './theme';
import { isDrawable } from './validate';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare const acquireVsCodeApi: undefined | (() => VsCodeApi);

/** What survives hide/show and reloads (VS Code keeps it; the serializer reads `data.source`). */
interface SavedState {
  data?: ReportData;
  ui?: { open?: string[]; hidden?: Record<string, string[]> };
}

const body = document.body;
(window as unknown as { attentionLensChart?: typeof Chart }).attentionLensChart = Chart;
const app = document.getElementById('app') ?? body.appendChild(h('main', { id: 'app' }));
const exportMode = body.dataset.mode === 'export';
const api: VsCodeApi | undefined = !exportMode && typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : undefined;
const interactive = api !== undefined;

let current: ReportData | undefined;
let rejected = 0;
/** True while a theme or motion change redraws the same data (no animation for that). */
let redrawing = false;
const open = new Set<string>();
const hidden = new Map<string, Set<string>>();
let drawn: { pending: PendingChart; spec: ChartSpec }[] = [];
/** Charts out of view at render(), drawn once the first frame is out. */
let offscreen: PendingChart[] = [];
const motion = reducedMotion();

const ui: UiState = {
  isOpen: (key) => open.has(key),
  setOpen: (key, isOpen) => {
    if (isOpen) open.add(key);
    else open.delete(key);
    save();
  },
};

function post(m: ViewMessage): void {
  api?.postMessage(m);
}

function save(): void {
  if (!api) return;
  const state: SavedState = { data: current, ui: { open: [...open], hidden: Object.fromEntries([...hidden].map(([k, v]) => [k, [...v]])) } };
  api.setState(state);
}

function valid(data: unknown): data is ReportData {
  return isHostMessage({ type: 'data', data }) && isDrawable(data as ReportData);
}

// ---------------------------------------------------------------- skeleton (built once)

const headerSlot = h('div', { id: 'header' });
const toolbar: Controls | undefined = interactive ? controls(post) : undefined;
const toolbarSlot = h('div', { id: 'toolbar-slot' }, toolbar?.el);
const bannerText = h('span', { class: 'banner-text' });
const dismiss = h('button', { type: 'button', class: 'button secondary small' }, 'Dismiss');
const banner = h('div', { class: 'banner error', id: 'error-banner', role: 'alert' }, h('span', { class: 'banner-icon', 'aria-hidden': 'true' }, '!'), bannerText, dismiss);
banner.hidden = true;
dismiss.addEventListener('click', () => { banner.hidden = true; });
const main = h('div', { id: 'content' }, h('p', { class: 'loading', id: 'loading' }, interactive ? 'Loading the report…' : 'This page has no report data.'));
app.replaceChildren(headerSlot, toolbarSlot, banner, main);
body.dataset.rejectedMessages = '0';
body.dataset.motion = motion.matches ? 'reduce' : 'full';

function showError(text: string): void {
  bannerText.textContent = text;
  banner.hidden = false;
}

// ---------------------------------------------------------------- drawing

function render(d: ReportData): void {
  destroyAll(main);
  const pending: PendingChart[] = [];
  headerSlot.replaceChildren(header(d, ui));
  if (toolbar) toolbar.update(d);
  else toolbarSlot.replaceChildren(choicesText(d));
  const animate = (): boolean => !motion.matches && !redrawing;
  main.replaceChildren(...content(d, ui, {
    memory: () => memoryChart(d, readPalette(), animate()),
    measured: (run) => measuredChart(d, run, readPalette(), animate()),
    quality: (kind) => qualityChart(d, kind, readPalette(), animate()),
    weights: () => weightsChart(d, readPalette(), animate()),
  }, pending, interactive, post));
  // Charts whose section is in view are drawn for the first frame; the others right after it (show).
  // A section's own box is known without laying out its content (style.css defers that).
  const inView = (p: PendingChart): boolean => {
    const box = (p.canvas.closest('.card') ?? p.canvas).getBoundingClientRect();
    return box.bottom > 0 && box.top < window.innerHeight;
  };
  drawn = pending.filter(inView).map((p) => ({ pending: p, spec: drawChart(p) }));
  offscreen = pending.filter((p) => !inView(p));
  app.setAttribute('aria-busy', 'false');
}

/** The charts render() left for after the first frame, drawn now. */
function drawOffscreen(): void {
  drawn.push(...offscreen.map((p) => ({ pending: p, spec: drawChart(p) })));
  offscreen = [];
}

function drawChart(p: PendingChart): ChartSpec {
  const spec = p.build();
  const hide = hidden.get(p.key) ?? new Set<string>();
  const hiddenIdx = new Set(spec.legend.filter((e) => hide.has(e.label)).flatMap((e) => e.datasets));
  const chart = draw(p.canvas, spec, hiddenIdx);
  p.canvas.setAttribute('aria-label', spec.summary);
  fillLegend(p.legend, spec.legend, hide, (entry, visible) => {
    for (const i of entry.datasets) chart.setDatasetVisibility(i, visible);
    chart.update();
    const set = hidden.get(p.key) ?? new Set<string>();
    if (visible) set.delete(entry.label);
    else set.add(entry.label);
    hidden.set(p.key, set);
    save();
  });
  return spec;
}

/** Theme or motion preference changed: the same data, fresh colours, no animation for the swap. */
function redrawCharts(): void {
  body.dataset.motion = motion.matches ? 'reduce' : 'full';
  redrawing = true;
  try {
    drawn = drawn.map(({ pending }) => ({ pending, spec: drawChart(pending) }));
  } finally {
    redrawing = false;
  }
  body.dataset.themeRedraws = String(Number(body.dataset.themeRedraws ?? '0') + 1);
}

/** Reports shown so far: a frame callback of an older one leaves the newer one's state alone. */
let shown = 0;

function show(d: ReportData, arrival: number): void {
  body.dataset.rendered = 'false';
  // Sections below the first wait for the frame after this one to be laid out (style.css).
  body.dataset.deferOffscreen = 'true';
  const generation = ++shown;
  const previous = current;
  try {
    render(d);
    current = d;
  } catch (e) {
    // Data that passed the guards but still cannot be drawn: keep what was there.
    rejected++;
    body.dataset.rejectedMessages = String(rejected);
    console.error('attention-lens report: could not draw the report', e);
    if (previous) {
      try { render(previous); } catch { /* nothing better to show */ }
    }
    showError('This report could not be drawn; the previous one is still shown.');
    delete body.dataset.deferOffscreen;
    try { drawOffscreen(); } catch { /* the banner says it already */ }
    body.dataset.rendered = 'true';
    return;
  }
  save();
  requestAnimationFrame(() => {
    // The first frame with every chart drawn; the rest of the page is laid out after it is out.
    body.dataset.renderMs = (performance.now() - arrival).toFixed(1);
    setTimeout(() => {
      if (generation !== shown) return; // a newer report is on its way: its own frame says when
      delete body.dataset.deferOffscreen;
      drawOffscreen();
      body.dataset.allChartsMs = (performance.now() - arrival).toFixed(1);
      body.dataset.rendered = 'true';
    }, 0);
  });
}

function onMessage(m: HostMessage, arrival: number): void {
  switch (m.type) {
    case 'data':
      toolbar?.setStatus('');
      banner.hidden = true;
      show(m.data, arrival);
      return;
    case 'busy':
      toolbar?.setStatus(m.message || 'Recomputing…');
      body.dataset.busy = 'true';
      return;
    case 'error':
      toolbar?.setStatus('');
      showError(m.message);
      return;
  }
}

// ---------------------------------------------------------------- start

const start = performance.now();
if (exportMode || !interactive) followColorScheme();

const saved = api?.getState() as SavedState | null | undefined;
if (saved && typeof saved === 'object') {
  for (const k of Array.isArray(saved.ui?.open) ? saved.ui.open : []) if (typeof k === 'string') open.add(k);
  for (const [k, v] of Object.entries(saved.ui?.hidden ?? {})) if (Array.isArray(v)) hidden.set(k, new Set(v.filter((x): x is string => typeof x === 'string')));
}

let initial: ReportData | undefined = saved && valid(saved.data) ? saved.data : undefined;
if (!initial) {
  const embedded = document.getElementById('report-data');
  if (embedded?.textContent) {
    try {
      const parsed: unknown = JSON.parse(embedded.textContent);
      if (valid(parsed)) initial = parsed;
      else showError('The embedded report data is malformed.');
    } catch {
      showError('The embedded report data is not valid JSON.');
    }
  }
}

window.addEventListener('message', (event: MessageEvent) => {
  const arrival = performance.now();
  const m: unknown = event.data;
  if (!isHostMessage(m) || (m.type === 'data' && !isDrawable(m.data))) {
    rejected++;
    body.dataset.rejectedMessages = String(rejected);
    return;
  }
  if (m.type !== 'busy') delete body.dataset.busy;
  onMessage(m, arrival);
});

if (initial) show(initial, start);
watchTheme(redrawCharts);
motion.addEventListener('change', redrawCharts);
post({ type: 'ready' });
