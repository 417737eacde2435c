// The report page in headless Chromium (playwright-core + Debian's /usr/bin/chromium): the bundle
// (dist/webview/report.js + .css) inlined by reportHtml exactly as the panel and the export do it,
// a stub acquireVsCodeApi that records postMessage and keeps get/setState, and sample --vscode-*
// variables for light, dark and high contrast. Screenshots go to test-artifacts/webview/.
// Run: npm run test:webview (builds dist/ and out/ first).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const root = new URL('../../', import.meta.url);
const at = (p) => new URL(p, root).pathname;
const { buildReportData } = require(at('out/src/core/reportData.js'));
const { readMeasurement } = require(at('out/src/core/reportMeasured.js'));
const { reportHtml, embedJson } = require(at('out/src/shared/reportHtml.js'));
const fmt = require(at('out/src/core/format.js'));

const SCRIPT_PATH = at('dist/webview/report.js');
const CSS_PATH = at('dist/webview/report.css');
const ARTIFACTS = at('test-artifacts/webview/');
const ORIGIN = 'https://attention-lens.test';
const NONCE = 'dGVzdG5vbmNlMTIzNDU2Nzg5MA';

// ------------------------------------------------------------------ inputs

const config = (name) => readFileSync(at(`test/fixtures/configs/${name}.json`), 'utf8');
const dataFor = (name, extra = {}) => buildReportData({
  input: { file: `models/${name}/config.json`, text: config(name) }, options: {}, generator: 'test', now: new Date('2026-01-15T10:30:00Z'), ...extra,
});

/**
 * TEST INPUT, not a measurement: a small, plausible ProfileReport (the worker's result shape) for the
 * measured chart. Times follow a roofline of 2,000 GB/s / 50 TFLOP/s with overhead, nothing more.
 */
function fakeProfileReport() {
  const copyGBps = 2000;
  const f32TFlops = 50;
  const shapes = [
    { variant: 'gqa', label: 'GQA-8 32 heads', own: true, kvHeads: 8 },
    { variant: 'mha', label: 'MHA 32 heads', own: false, kvHeads: 32 },
    { variant: 'mqa', label: 'MQA 32 heads', own: false, kvHeads: 1 },
    { variant: 'mla', label: 'MLA absorbed, 32 heads over latent 512 + RoPE 64', own: false, kvHeads: 0 },
  ];
  const results = [];
  for (const s of shapes) {
    for (const mode of ['decode', 'prefill']) {
      if (mode === 'prefill' && !s.own) continue;
      for (const context of mode === 'decode' ? [1024, 4096, 16384, 32768] : [1024, 4096]) {
        const perToken = s.variant === 'mla' ? 576 * 2 : s.kvHeads * 2 * 128 * 2;
        const bytes = context * perToken + 32 * 128 * 2 * 2;
        const flops = mode === 'decode' ? 4 * 32 * 128 * context : 2 * 32 * 128 * context * context;
        const roof = Math.max(bytes / (copyGBps * 1e3), flops / (f32TFlops * 1e6));
        const medianUs = roof * (mode === 'decode' ? 1.6 : 2.4) + 6;
        results.push({
          id: `${s.variant}-${mode}-${context}`, variant: s.variant, label: s.label, own: s.own, qHeads: 32, kvHeads: s.kvHeads, headDim: 128, vHeadDim: 128,
          mode, layerKind: 'full', windowTokens: 0, chunkTokens: 0, context, batch: 1, storage: 'f16',
          medianUs, minUs: medianUs * 0.97, p90Us: medianUs * 1.05, gbps: bytes / (medianUs * 1e3), pctBandwidth: null, tflops: null, pctFlops: null, pctRoofline: (roof / medianUs) * 100,
          bytes, flops, maxAbsError: 1e-3, ok: true, status: 'measured', samples: 30, timing: 'timestamp',
        });
      }
    }
  }
  // A skipped case: must not be drawn.
  results.push({ ...results[0], id: 'skipped', context: 131072, medianUs: null, status: 'skipped', ok: false, skipped: 'test: over the time limit' });
  return {
    device: {
      adapter: 'Test GPU (fixture, not a measurement)', backend: 'vulkan', vendor: 'test', architecture: 'test', features: ['shader-f16', 'timestamp-query'],
      storage: 'f16', timing: 'timestamp', limits: {}, peaks: { copyGBps, f32TFlops, f16TFlops: null, derivation: ['test fixture'] },
    },
    results, notes: [], startedAt: '2026-01-14T09:00:00Z', finishedAt: '2026-01-14T09:05:00Z',
  };
}

/**
 * A REAL measurement (attention-lens quality --json) of the tiny generated model of test/unit/quality.test.ts
 * (8 query heads, 4 KV heads duplicated in pairs): test/fixtures/quality/make-tiny-measurement.mjs.
 */
const TINY_CONFIG = readFileSync(at('test/fixtures/quality/tiny-gqa4/config.json'), 'utf8');
const TINY_MEASUREMENT = readMeasurement(JSON.parse(readFileSync(at('test/fixtures/quality/tiny-gqa4/quality.json'), 'utf8')));
const tinyData = (options = {}, measurement = TINY_MEASUREMENT) => buildReportData({
  input: { file: 'models/tiny-gqa4/config.json', text: TINY_CONFIG }, options, measurement, generator: 'test', now: new Date('2026-01-15T10:30:00Z'),
});

/** TEST INPUT, not a measurement: synthetic weight-space errors for Llama-3.1-8B's variants (drawing cost only). */
const SYNTHETIC_MEASUREMENT = readMeasurement({
  weights: { found: true, files: ['synthetic.safetensors'], dtype: 'BF16', layersRead: 32 },
  conversions: ['gqa-4', 'mqa', 'mla-512', 'kv-fp8', 'kv-int4'].map((target, i) => ({ target, kRelError: 0.1 * (i + 1), vRelError: 0.1 * (i + 1) + 0.05, what: 'synthetic test input, not a measurement' })),
  notes: ['synthetic test input'],
});

/**
 * TEST INPUT, not published results: quality points for the charts, under real metric names so the metric
 * table classifies them — an accuracy (points), a perplexity (lower is better) and a generation score, and
 * one point without a baseline (listed, not charted).
 */
const FAKE = { source: 'test fixture (not a real result)', baselineLabel: 'test baseline', modelScale: 'test model 8B', trainingBudget: 'test budget 1T tokens' };
const MMLU = 'MMLU accuracy, 5-shot (Appendix D.1, Table 8)';
const WIKI = 'Wikitext-2 perplexity';
const FAKE_EVIDENCE = [
  { variant: 'own', metric: MMLU, value: 66.5, baseline: null, source: FAKE.source, caveat: 'test input' },
  { ...FAKE, variant: 'kv-fp8', metric: MMLU, value: 66.1, baseline: 66.5, caveat: 'test input' },
  { ...FAKE, variant: 'mqa', metric: MMLU, value: 61.0, baseline: 66.5, caveat: '' },
  { ...FAKE, variant: 'mla-512', metric: MMLU, value: 65.2, baseline: 66.5, caveat: 'needs fine-tuning' },
  { ...FAKE, variant: 'mha', metric: MMLU, value: 66.6, baseline: 66.5, caveat: '' },
  { ...FAKE, variant: 'mqa', metric: WIKI, value: 6.2, baseline: 5.9, caveat: '' },
  { ...FAKE, variant: 'kv-fp8', metric: WIKI, value: 5.95, baseline: 5.9, caveat: '' },
  { ...FAKE, variant: 'mha', metric: WIKI, value: 6.0, baseline: 5.9, caveat: '' },
  { ...FAKE, variant: 'mqa', metric: 'LongBench average', value: 40.1, baseline: 41.0, caveat: '' },
];

// ------------------------------------------------------------------ themes (sample --vscode-* values)

const THEMES = {
  light: {
    cls: 'vscode-light',
    vars: {
      'font-family': 'system-ui, "Segoe UI", Ubuntu, sans-serif', 'font-size': '13px', 'editor-font-family': 'monospace',
      'foreground': '#3b3b3b', 'descriptionForeground': '#717171', 'errorForeground': '#f85149', 'editor-background': '#ffffff', 'editor-foreground': '#3b3b3b',
      'panel-border': '#e5e5e5', 'focusBorder': '#005fb8', 'textLink-foreground': '#005fb8', 'textCodeBlock-background': '#f5f5f5',
      'button-background': '#005fb8', 'button-foreground': '#ffffff', 'button-hoverBackground': '#0258a8', 'button-secondaryBackground': '#e5e5e5', 'button-secondaryForeground': '#3b3b3b',
      'dropdown-background': '#ffffff', 'dropdown-foreground': '#3b3b3b', 'dropdown-border': '#cecece', 'input-background': '#ffffff', 'input-foreground': '#3b3b3b', 'input-border': '#cecece',
      'inputValidation-errorBackground': '#f2dede', 'inputValidation-errorBorder': '#be1100', 'list-hoverBackground': '#f2f2f2', 'badge-background': '#cccccc', 'badge-foreground': '#3b3b3b',
      'editorHoverWidget-background': '#f8f8f8', 'editorHoverWidget-foreground': '#3b3b3b', 'editorHoverWidget-border': '#c8c8c8',
      'charts-blue': '#1a85ff', 'charts-red': '#e51400', 'charts-green': '#388a34', 'charts-yellow': '#bf8803', 'charts-orange': '#d18616', 'charts-purple': '#652d90',
    },
  },
  dark: {
    cls: 'vscode-dark',
    vars: {
      'font-family': 'system-ui, "Segoe UI", Ubuntu, sans-serif', 'font-size': '13px', 'editor-font-family': 'monospace',
      'foreground': '#cccccc', 'descriptionForeground': '#9d9d9d', 'errorForeground': '#f85149', 'editor-background': '#1f1f1f', 'editor-foreground': '#cccccc',
      'panel-border': '#2b2b2b', 'focusBorder': '#0078d4', 'textLink-foreground': '#4daafc', 'textCodeBlock-background': '#2b2b2b',
      'button-background': '#0078d4', 'button-foreground': '#ffffff', 'button-hoverBackground': '#026ec1', 'button-secondaryBackground': '#313131', 'button-secondaryForeground': '#cccccc',
      'dropdown-background': '#313131', 'dropdown-foreground': '#cccccc', 'dropdown-border': '#3c3c3c', 'input-background': '#313131', 'input-foreground': '#cccccc', 'input-border': '#3c3c3c',
      'inputValidation-errorBackground': '#5a1d1d', 'inputValidation-errorBorder': '#be1100', 'list-hoverBackground': '#2a2d2e', 'badge-background': '#616161', 'badge-foreground': '#f8f8f8',
      'editorHoverWidget-background': '#202020', 'editorHoverWidget-foreground': '#cccccc', 'editorHoverWidget-border': '#454545',
      'charts-blue': '#3794ff', 'charts-red': '#f14c4c', 'charts-green': '#89d185', 'charts-yellow': '#cca700', 'charts-orange': '#d18616', 'charts-purple': '#b180d7',
    },
  },
  'high-contrast': {
    cls: 'vscode-high-contrast',
    vars: {
      'font-family': 'system-ui, "Segoe UI", Ubuntu, sans-serif', 'font-size': '13px', 'editor-font-family': 'monospace',
      'foreground': '#ffffff', 'descriptionForeground': '#ffffffb3', 'errorForeground': '#f48771', 'editor-background': '#000000', 'editor-foreground': '#ffffff',
      'panel-border': '#6fc3df', 'contrastBorder': '#6fc3df', 'focusBorder': '#f38518', 'textLink-foreground': '#21a6ff', 'textCodeBlock-background': '#000000',
      'button-background': '#000000', 'button-foreground': '#ffffff', 'button-border': '#6fc3df', 'button-secondaryBackground': '#000000', 'button-secondaryForeground': '#ffffff',
      'dropdown-background': '#000000', 'dropdown-foreground': '#ffffff', 'dropdown-border': '#6fc3df', 'input-background': '#000000', 'input-foreground': '#ffffff', 'input-border': '#6fc3df',
      'inputValidation-errorBackground': '#000000', 'inputValidation-errorBorder': '#f48771', 'badge-background': '#000000', 'badge-foreground': '#ffffff',
      'editorHoverWidget-background': '#0c141f', 'editorHoverWidget-foreground': '#ffffff', 'editorHoverWidget-border': '#6fc3df',
      'charts-blue': '#3794ff', 'charts-red': '#f14c4c', 'charts-green': '#89d185', 'charts-yellow': '#ffd700', 'charts-orange': '#ff9e1b', 'charts-purple': '#c586c0',
    },
  },
};

// ------------------------------------------------------------------ browser helpers

let browser;
let assets;

before(async () => {
  assert.ok(existsSync(SCRIPT_PATH) && existsSync(CSS_PATH), 'dist/webview/report.js and report.css are missing: run `node scripts/build.mjs` first');
  assets = { script: readFileSync(SCRIPT_PATH, 'utf8'), css: readFileSync(CSS_PATH, 'utf8') };
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
});

const webviewHtml = () => reportHtml({ title: 'Attention: test', script: assets.script, css: assets.css, nonce: NONCE, mode: 'webview', cspSource: ORIGIN });

/** A page as a VS Code webview sees it: the panel's HTML, a stub acquireVsCodeApi, no network. */
async function openWebview({ theme = 'light', reducedMotion = 'reduce', width = 1100, html = webviewHtml() } = {}) {
  const context = await browser.newContext({ viewport: { width, height: 900 }, reducedMotion, deviceScaleFactor: 1 });
  const requests = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    requests.push(url);
    if (url === `${ORIGIN}/report.html`) return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html });
    return route.abort();
  });
  await context.addInitScript(() => {
    window.__posted = [];
    window.__csp = [];
    let acquired = false;
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    // Like VS Code: one acquire per page; the state outlives reloads of the same panel (sessionStorage here).
    window.acquireVsCodeApi = () => {
      if (acquired) throw new Error('acquireVsCodeApi called twice');
      acquired = true;
      return {
        postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
        getState: () => { const s = sessionStorage.getItem('vscode-state'); return s ? JSON.parse(s) : undefined; },
        setState: (s) => { sessionStorage.setItem('vscode-state', JSON.stringify(s)); return s; },
      };
    };
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  await page.goto(`${ORIGIN}/report.html`);
  await setTheme(page, theme);
  return { context, page, errors, requests };
}

async function setTheme(page, name) {
  const t = THEMES[name];
  await page.evaluate(({ cls, vars }) => {
    const style = document.documentElement.style;
    for (let i = style.length - 1; i >= 0; i--) if (style[i].startsWith('--vscode-')) style.removeProperty(style[i]);
    for (const [k, v] of Object.entries(vars)) style.setProperty(`--vscode-${k}`, v);
    document.body.classList.remove('vscode-light', 'vscode-dark', 'vscode-high-contrast');
    document.body.classList.add(cls);
  }, t);
}

async function postData(page, data) {
  await page.evaluate(() => { document.body.dataset.rendered = 'pending'; });
  await page.evaluate((d) => window.postMessage({ type: 'data', data: d }, '*'), data);
  await page.waitForSelector('body[data-rendered="true"]');
}

const post = (page, m) => page.evaluate((msg) => window.postMessage(msg, '*'), m);
const posted = (page) => page.evaluate(() => window.__posted);
const body = (page, key) => page.evaluate((k) => document.body.dataset[k], key);

/** Pixels drawn on a chart's canvas (alpha > 0). */
const inkedPixels = (page, id) => page.evaluate((sel) => {
  const c = document.querySelector(sel);
  if (!c) return -1;
  const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
  let n = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
  return n;
}, `#chart-${id}`);

/**
 * Every drawn chart as its Chart.js instance holds it (window.attentionLensChart is Chart.js's Chart): the
 * canvas id, the y axis's title, and each dataset's role, metric kind, points and point labels.
 */
const chartData = (page) => page.evaluate(() => [...document.querySelectorAll('canvas')].map((c) => {
  const chart = window.attentionLensChart.getChart(c);
  return {
    id: c.id,
    yTitle: chart.options.scales.y.title.text,
    x: { min: chart.scales.x.min, max: chart.scales.x.max, left: chart.scales.x.left, right: chart.scales.x.right },
    datasets: chart.data.datasets.map((d) => ({ label: d.label, role: d.alRole, kind: d.alKind ?? null, points: d.data.map((p) => ({ x: p.x, y: p.y })), tips: d.alTip ?? null })),
  };
}));

/** A published result's value and baseline as the page writes them: to the same decimal places. */
const written = (e) => {
  const dp = (x) => (String(x).split('.')[1] ?? '').length;
  const n = Math.max(dp(e.value), e.baseline === null ? 0 : dp(e.baseline));
  return { value: e.value.toFixed(n), baseline: e.baseline === null ? null : e.baseline.toFixed(n) };
};

/**
 * The published-quality charts against the data: one chart per metric kind, every dataset of that kind,
 * the y axis in that kind's unit, exactly the charted results of that kind at (variant bytes, change),
 * and every point's label with its baseline ("vs MHA baseline 45.2"), model and training budget.
 */
async function assertQualityCharts(page, d) {
  const units = { accuracy: '(pp)', perplexity: '(%)', generation: '(%)' };
  const charted = d.quality.evidence.filter((e) => e.metricKind && (e.changePoints ?? e.changePercent) !== undefined && d.variants.some((v) => v.id === e.variant));
  const charts = (await chartData(page)).filter((c) => c.id.startsWith('chart-quality-'));
  assert.deepEqual(charts.map((c) => c.id.slice('chart-quality-'.length)).sort(), [...new Set(charted.map((e) => e.metricKind))].sort(), 'one chart per kind with a charted result');
  // One x range and one plot width for all of them (a one-point chart too): a variant sits at one x in each.
  for (const c of charts) assert.deepEqual(c.x, charts[0].x, `${c.id}: x axis as ${charts[0].id}`);
  for (const c of charts) {
    const kind = c.id.slice('chart-quality-'.length);
    assert.ok(c.yTitle.includes(units[kind]), `${c.id}: y axis "${c.yTitle}" in ${units[kind]}`);
    assert.ok(c.datasets.length > 0 && c.datasets.every((ds) => ds.kind === kind), `${c.id}: every dataset is ${kind}: ${c.datasets.map((ds) => ds.kind)}`);
    const series = c.datasets.filter((ds) => ds.role === 'series');
    const drawn = series.flatMap((ds) => ds.points.map((pt, i) => ({ ...pt, tip: ds.tips[i].join('\n') })));
    const expected = charted.filter((e) => e.metricKind === kind);
    assert.equal(drawn.length, expected.length, `${c.id}: ${drawn.length} points for ${expected.length} results of this kind`);
    for (const e of expected) {
      const x = d.variants.find((v) => v.id === e.variant).bytesPerToken;
      const y = kind === 'accuracy' ? e.changePoints : e.changePercent;
      const w = written(e);
      const label = `${w.value} vs ${e.baselineLabel} baseline ${w.baseline}`;
      const pt = drawn.find((p) => p.x === x && p.y === y && p.tip.includes(label));
      assert.ok(pt, `${c.id}: ${e.variant} ${e.metric} at (${x}, ${y}) labelled "${label}"`);
      assert.ok(pt.tip.includes(e.modelScale) && pt.tip.includes(e.trainingBudget), `${c.id}: model and budget in ${pt.tip}`);
    }
    // Every point, whatever the data, names its baseline.
    for (const p of drawn) assert.match(p.tip, / vs .*baseline \S+ → [+−±]/, `${c.id}: baseline in "${p.tip}"`);
  }
  return charts;
}

/** A table's cells as text, row by row (th and td). */
const tableText = (page, sel) => page.evaluate((s) => [...document.querySelectorAll(`${s} tr`)].map((tr) => [...tr.children].map((c) => c.textContent.trim())), sel);

const shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

// ------------------------------------------------------------------ reportHtml (no browser)

describe('reportHtml', () => {
  const d = dataFor('llama-3.1-8b');
  test('webview CSP: nonce scripts and styles, cspSource for styles, images and fonts, nothing else', () => {
    const html = reportHtml({ title: 't', script: 'void 0', css: 'body{}', nonce: NONCE, mode: 'webview', cspSource: ORIGIN });
    const csp = html.match(/http-equiv="Content-Security-Policy" content="([^"]*)"/)[1];
    assert.equal(csp, `default-src 'none'; script-src 'nonce-${NONCE}'; style-src ${ORIGIN} 'nonce-${NONCE}'; img-src ${ORIGIN} data:; font-src ${ORIGIN}`.replace(/'/g, '&#39;'));
    for (const tag of html.match(/<(script|style)\b[^>]*>/g)) assert.match(tag, new RegExp(`nonce="${NONCE}"`), tag);
    assert.doesNotMatch(html, /report-data/, 'no data embedded unless given');
    assert.doesNotMatch(html, /--vscode-foreground:/, 'VS Code supplies the theme variables in the panel');
    // A host with no cspSource (code-server gives none here): nothing may load from the extension.
    const bare = reportHtml({ title: 't', script: '', css: '', nonce: NONCE, mode: 'webview' }).match(/http-equiv="Content-Security-Policy" content="([^"]*)"/)[1].replace(/&#39;/g, "'");
    assert.equal(bare, `default-src 'none'; script-src 'nonce-${NONCE}'; style-src 'nonce-${NONCE}'; img-src data:; font-src 'none'`);
    assert.throws(() => reportHtml({ title: 't', script: '', css: '', nonce: NONCE, mode: 'webview', cspSource: "x; script-src *" }), /cspSource/);
    assert.throws(() => reportHtml({ title: 't', script: '', css: '', nonce: 'x"y', mode: 'export' }), /nonce/);
  });
  test('export CSP: no remote sources; theme fallbacks light and dark; data embedded safely', () => {
    const evil = { ...d, title: '</script><script>alert(1)</script>', notes: ['<!-- x', '</SCRIPT>', 'a\u2028b'] };
    const html = reportHtml({ title: '<b>t</b>', script: 'var s = "</script>";', css: 'a::after{content:"</style>"}', nonce: NONCE, mode: 'export', data: evil });
    const csp = html.match(/http-equiv="Content-Security-Policy" content="([^"]*)"/)[1].replace(/&#39;/g, "'");
    assert.equal(csp, `default-src 'none'; script-src 'nonce-${NONCE}'; style-src 'nonce-${NONCE}'; img-src data:`);
    assert.match(html, /<title>&lt;b&gt;t&lt;\/b&gt;<\/title>/);
    assert.match(html, /--vscode-foreground:#3b3b3b/);
    assert.match(html, /@media \(prefers-color-scheme: dark\)\{:root\{[^}]*--vscode-foreground:#cccccc/);
    assert.match(html, /<body class="vscode-light" data-mode="export">/);
    const json = html.match(/<script type="application\/json" id="report-data" nonce="[^"]+">([\s\S]*?)<\/script>/)[1];
    assert.doesNotMatch(json, /</, 'no "<" inside the embedded JSON');
    assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify(evil)));
    assert.equal(embedJson({ a: '<' }), '{"a":"\\u003c"}');
    // The inlined script and CSS cannot close their own elements.
    assert.equal((html.match(/<\/script>/gi) ?? []).length, 2);
    assert.equal((html.match(/<\/style>/gi) ?? []).length, 2);
    assert.doesNotMatch(html, /https?:\/\//, 'no URL at all in the export');
  });
});

// ------------------------------------------------------------------ the panel

describe('report webview', () => {
  test('draws every config in every theme; tables carry the data\'s numbers', async () => {
    for (const name of ['llama-2-7b', 'llama-3.1-8b', 'deepseek-v3']) {
      // No evidence here, to see the empty state; the published points are drawn in the quality test.
      const d = dataFor(name, { evidence: [] });
      for (const theme of ['light', 'dark', 'high-contrast']) {
        const { context, page, errors, requests } = await openWebview({ theme });
        await postData(page, d);
        assert.ok(await inkedPixels(page, 'memory') > 5000, `${name}/${theme}: memory chart drawn`);
        assert.deepEqual(requests, [`${ORIGIN}/report.html`], 'the page loads nothing but itself');
        assert.equal(await page.locator('#chart-measured').count(), 0, 'no measured chart without a run');
        await page.locator('#measured-empty', { hasText: 'Nothing measured yet for this config on this machine.' }).waitFor();
        assert.equal(await page.locator('#quality-published canvas').count(), 0, 'no quality chart without evidence');
        assert.match(await page.locator('#quality-empty').innerText(), /Nothing here is estimated/);
        await page.locator('#variants .disclosure').first().click();
        await shot(page, `${name}-${theme}`);
        if (name === 'llama-3.1-8b') await page.locator('#memory').screenshot({ path: join(ARTIFACTS, `memory-chart-${theme}.png`) });
        assert.deepEqual(errors, [], `${name}/${theme}: no page errors`);
        assert.deepEqual(await page.evaluate(() => window.__csp), [], 'no CSP violations');
        await context.close();
      }
    }
  });

  test('variants, memory and budget tables match the data (GQA: 128 KiB per token)', async () => {
    const d = dataFor('llama-3.1-8b');
    const { context, page, errors } = await openWebview();
    await postData(page, d);
    // Variants: every variant, every column.
    const rows = await page.evaluate(() => [...document.querySelectorAll('#table-variants tbody.group > tr:first-child')].map((tr) => [...tr.children].map((c) => c.textContent.trim())));
    assert.equal(rows.length, d.variants.length);
    d.variants.forEach((v, i) => {
      const [label, perToken, saving, maxCtx, batch, dParams, dFlops] = rows[i];
      assert.ok(label.startsWith(v.label), `${label} ~ ${v.label}`);
      assert.equal(perToken, fmt.bytes(v.bytesPerToken));
      assert.equal(saving, v.own ? '—' : fmt.ratio(v.savingVsOwn));
      assert.equal(maxCtx, v.maxContextTokens === null ? 'doesn’t fit' : v.maxContextTokens >= 2 ** 31 ? 'unbounded' : fmt.int(v.maxContextTokens));
      assert.equal(batch, v.maxBatchAtContext > 0 ? fmt.int(v.maxBatchAtContext) : '0 (doesn’t fit)');
      assert.equal(dParams, v.attentionParamsDelta === 0 ? '±0' : fmt.signed(fmt.params(v.attentionParamsDelta), v.attentionParamsDelta));
      assert.equal(dFlops, v.attentionFlopsDelta === 0 ? '±0' : fmt.signed(fmt.params(v.attentionFlopsDelta), v.attentionFlopsDelta));
    });
    const own = d.variants.find((v) => v.own);
    assert.equal(rows[d.variants.indexOf(own)][1], '128 KiB', 'GQA-8 llama-3.1-8b: 128 KiB per token');
    // Each row expands to its derivation.
    const first = page.locator('#table-variants .disclosure').first();
    assert.equal(await first.getAttribute('aria-expanded'), 'false');
    await first.focus();
    await page.keyboard.press('Enter');
    assert.equal(await first.getAttribute('aria-expanded'), 'true');
    assert.deepEqual(await page.locator('#table-variants tr.derivation:not([hidden])').first().locator('li').allInnerTexts(), d.variants[0].derivation);
    // The model's derivation.
    await page.locator('details[data-key="deriv:model"] > summary').click();
    assert.deepEqual(await page.locator('details[data-key="deriv:model"] li').allInnerTexts(), d.derivation);
    // Memory table = memory.series.
    await page.locator('details[data-key="table:memory"] > summary').click();
    const mem = await tableText(page, '#table-memory');
    assert.deepEqual(mem[0].slice(1), d.memory.series.map((s) => d.variants.find((v) => v.id === s.variant).label));
    d.memory.contexts.forEach((c, k) => {
      assert.deepEqual(mem[1 + k], [fmt.int(c), ...d.memory.series.map((s) => fmt.bytes(s.bytes[k]))]);
    });
    // Budget table: the H100 row is current (bold + marker + aria-current) and matches budgetTable.rows.
    const h100 = page.locator('#table-budget tr[data-gpu="h100-sxm"]');
    assert.equal(await h100.getAttribute('aria-current'), 'true');
    assert.match(await h100.locator('th').innerText(), /^▶ H100 SXM 80GB \(current\)$/);
    assert.equal(await h100.evaluate((tr) => getComputedStyle(tr.children[1]).fontWeight), '700');
    const cells = (await h100.locator('td').allInnerTexts()).map((t) => t.trim());
    // First the GPUs the config needs there (Llama-3.1-8B: one H100), then each variant's columns.
    assert.equal(d.budgetTable.gpus.find((g) => g.id === 'h100-sxm').gpusNeeded.gpus, 1);
    assert.equal(cells.shift(), '1');
    const expected = d.memory.series.flatMap((s) => {
      const r = d.budgetTable.rows.find((x) => x.gpu === 'h100-sxm' && x.variant === s.variant);
      return [fmt.int(r.maxContextTokens), ...r.concurrency.map((c) => fmt.int(c))];
    });
    assert.deepEqual(cells, expected);
    assert.equal(await page.locator('#table-budget tbody tr').count(), d.budgetTable.gpus.length);
    assert.equal(await page.locator('#table-budget tr[aria-current]').count(), 1);
    // Canvas accessibility.
    const canvas = page.locator('#chart-memory');
    assert.equal(await canvas.getAttribute('role'), 'img');
    assert.match(await canvas.getAttribute('aria-label'), /KV cache bytes per GPU against context from 1k to 1M tokens for 6 variants.*usable on H100 SXM 80GB/);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('MLA whose weights exceed the GPU: no budget line, "doesn’t fit" everywhere', async () => {
    const d = dataFor('deepseek-v3');
    assert.equal(d.memory.budgetBytes, 0);
    const { context, page, errors } = await openWebview();
    await postData(page, d);
    assert.match(await page.locator('#memory .sub').innerText(), /weights alone exceed/);
    assert.match(await page.locator('#chart-memory').getAttribute('aria-label'), /No budget line/);
    const maxCells = await page.evaluate(() => [...document.querySelectorAll('#table-variants tbody.group > tr:first-child')].map((tr) => tr.children[3].textContent));
    assert.ok(maxCells.every((t) => t === 'doesn’t fit'), maxCells.join());
    assert.match(await page.locator('#table-budget tr[data-gpu="h100-sxm"]').innerText(), /weights don’t fit/);
    // How many GPUs do: SGLang's DeepSeek V3 guide says FP8 on 8 x H200 and 2 x 8 x H100.
    assert.match(await page.locator('#table-budget tr[data-gpu="h100-sxm"]').innerText(), /16 \(TP 8 × PP 2\)/);
    assert.match(await page.locator('#table-budget tr[data-gpu="h200"]').innerText(), /8 \(TP 8\)/);
    assert.match(await page.locator('.summary').innerText(), /GPUs needed\s*16 \(TP 8 × PP 2\) × H100 SXM 80GB/i);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('measured chart for the newest run; roofline dotted; table of the same points', async () => {
    const run = fakeProfileReport();
    const d = dataFor('llama-3.1-8b', { runs: [run, { ...run, finishedAt: '2025-12-01T00:00:00Z' }] });
    for (const theme of ['light', 'dark']) {
      const { context, page, errors } = await openWebview({ theme });
      await postData(page, d);
      assert.equal(await page.locator('#measured-empty').count(), 0);
      assert.ok(await inkedPixels(page, 'measured') > 5000, 'measured chart drawn');
      assert.match(await page.locator('#measured .run-meta').innerText(), /Test GPU \(fixture, not a measurement\) · vulkan · KV f16 · 2026-01-14 09:05 UTC.*newest of 2 runs/);
      await page.locator('details[data-key="table:measured"] > summary').click();
      const points = d.measured[0].points;
      assert.equal(points.length, 4 * 4 + 2, 'the skipped case is not a point');
      const rows = await page.evaluate(() => [...document.querySelectorAll('#table-measured tbody.group > tr:first-child')].map((tr) => [...tr.children].map((c) => c.textContent.trim())));
      assert.equal(rows.length, points.length);
      for (const p of points) {
        const row = rows.find((r) => r[0].startsWith(p.label) && r[1] === p.mode && r[2] === fmt.int(p.contextTokens));
        assert.ok(row, `${p.label} ${p.mode} ${p.contextTokens}`);
      }
      const legend = await page.locator('#fig-measured .legend-item').allInnerTexts();
      assert.equal(legend.length, 5, 'four decode series and one prefill');
      assert.match(legend[0], /GQA-8 32 heads \(own\) · decode/);
      if (theme === 'light') {
        // Toggling a legend entry hides the series and its roofline; keyboard reachable.
        const before = await inkedPixels(page, 'measured');
        const b = page.locator('#fig-measured .legend-item').nth(1);
        await b.focus();
        await page.keyboard.press('Space');
        assert.equal(await b.getAttribute('aria-pressed'), 'false');
        assert.ok(await inkedPixels(page, 'measured') < before);
        await page.keyboard.press('Space');
      }
      await shot(page, `measured-${theme}`);
      await page.locator('#measured').screenshot({ path: join(ARTIFACTS, `measured-chart-${theme}.png`) });
      assert.deepEqual(errors, []);
      await context.close();
    }
  });

  test('published quality: one chart per metric kind, each point its change against its own baseline (Llama-2-7B, the engine\'s evidence)', async () => {
    const d = dataFor('llama-2-7b');
    assert.ok(d.quality.evidence.length > 0);
    const { context, page, errors } = await openWebview();
    await postData(page, d);
    const charts = await assertQualityCharts(page, d);
    // Llama-2-7B's GQA-8 and MQA carry MMLU/BBH/C-Eval (accuracy), CLA and WMT14 perplexities, T5 and BLEU generation scores.
    assert.deepEqual(charts.map((c) => c.id), ['chart-quality-accuracy', 'chart-quality-perplexity', 'chart-quality-generation']);
    for (const c of charts) assert.ok(await inkedPixels(page, c.id.slice('chart-'.length)) > 2000, `${c.id} drawn`);
    const accuracy = charts[0].datasets.filter((ds) => ds.role === 'series').flatMap((ds) => ds.tips.map((t) => t.join(' ')));
    assert.ok(accuracy.some((t) => t.includes('MMLU') && t.includes('41.2 vs MHA baseline 45.2 → −4.0 pp') && t.includes('1.33T tokens from scratch')), accuracy.join('\n'));
    // ln PPL is charted as the perplexity ratio: e^(1.439 − 1.424) − 1 = +1.51%.
    const ppl = charts[1].datasets.flatMap((ds) => ds.tips ?? []).map((t) => t.join(' '));
    assert.ok(ppl.some((t) => t.includes('1.439 vs MHA baseline 1.424 → +1.51%')), ppl.join('\n'));
    // The headings say the direction; the canvases say what they show.
    assert.match(await page.locator('#quality-kind-perplexity h4').innerText(), /Perplexity-like.*lower is better/);
    assert.match(await page.locator('#quality-kind-accuracy h4').innerText(), /percentage points, higher is better/);
    assert.match(await page.locator('#chart-quality-accuracy').getAttribute('aria-label'), /MMLU 5-shot \(dense 7B ablation\) 41\.2 vs MHA baseline 45\.2, −4\.0 pp \(dense 7B .*, 1\.33T tokens from scratch\)/);
    // The raw values stay in the table, with the change beside them.
    await page.locator('details[data-key="table:quality"] > summary').click();
    const rows = (await tableText(page, '#table-quality')).slice(1);
    assert.equal(rows.length, d.quality.evidence.length);
    const t5 = rows.find((r) => /Ainslie et al\. 2023/.test(r[8]) && r[0].startsWith('GQA-8'));
    assert.deepEqual([t5[4], t5[5], t5[6], t5[10]], ['47.1', 'MHA 47.2', '−0.212%', 'yes']);
    await shot(page, 'quality-published-light');
    await page.locator('#quality-published').screenshot({ path: join(ARTIFACTS, 'quality-published-chart-light.png') });
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('published quality: kinds apart, each study\'s Pareto front in its direction, a point without a baseline listed with why', async () => {
    const d = dataFor('llama-3.1-8b', { evidence: FAKE_EVIDENCE });
    assert.equal(d.quality.evidence.find((e) => e.variant === 'own').uncharted, 'the source gives no baseline value in the same study to set it against');
    for (const theme of ['light', 'dark']) {
      const { context, page, errors } = await openWebview({ theme });
      await postData(page, d);
      const charts = await assertQualityCharts(page, d);
      assert.deepEqual(charts.map((c) => c.id), ['chart-quality-accuracy', 'chart-quality-perplexity', 'chart-quality-generation']);
      // MMLU: 4 charted points (own has no baseline); perplexity 3; LongBench 1.
      assert.deepEqual(charts.map((c) => c.datasets.filter((ds) => ds.role === 'series').reduce((n, ds) => n + ds.points.length, 0)), [4, 3, 1]);
      assert.match(await page.locator('#quality-uncharted').innerText(), /1 result is listed in the table, not charted: the source gives no baseline value/);
      await page.locator('details[data-key="table:quality"] > summary').click();
      const rows = (await tableText(page, '#table-quality')).slice(1);
      assert.equal(rows.length, FAKE_EVIDENCE.length);
      const label = (id) => d.variants.find((v) => v.id === id).label;
      const row = (id, metric) => rows.find((r) => r[0] === label(id) && r[2] === metric);
      for (const r of rows) assert.equal(r[1], fmt.bytes(d.variants.find((v) => r[0] === v.label).bytesPerToken));
      assert.deepEqual(row('own', MMLU).slice(4, 7), ['66.5', '—', '—']);
      assert.match(row('own', MMLU)[10], /^no: the source gives no baseline/);
      assert.equal(row('own', MMLU)[11], '—');
      // MMLU, higher is better, fewest bytes first: MQA −5.5, MLA −1.3, fp8 −0.4, MHA +0.1 — each better than all with fewer bytes.
      assert.deepEqual(row('mqa', MMLU).slice(4, 7), ['61.0', 'test baseline 66.5', '−5.5 pp']);
      for (const id of ['mqa', 'mla-512', 'kv-fp8', 'mha']) assert.equal(row(id, MMLU)[11], 'yes', `${id} MMLU on the front`);
      // Perplexity, lower is better: MQA +5.08%, fp8 +0.847% (better: front), MHA +1.69% (worse than fp8 with more bytes: not).
      assert.deepEqual([row('mqa', WIKI)[6], row('kv-fp8', WIKI)[6], row('mha', WIKI)[6]], ['+5.08%', '+0.847%', '+1.69%']);
      assert.deepEqual([row('mqa', WIKI)[11], row('kv-fp8', WIKI)[11], row('mha', WIKI)[11]], ['yes', 'yes', 'no']);
      const front = charts[1].datasets.find((ds) => ds.role === 'front');
      assert.deepEqual(front.points.map((p) => p.y), [5.08, 0.847], 'the perplexity front: MQA then fp8');
      await shot(page, `quality-${theme}`);
      await page.locator('#quality').screenshot({ path: join(ARTIFACTS, `quality-chart-${theme}.png`) });
      assert.deepEqual(errors, []);
      await context.close();
    }
  });

  test('published quality: data saved before the change was recorded lists its points and charts none', async () => {
    const d = dataFor('llama-2-7b');
    const old = { ...d, quality: { ...d.quality, evidence: d.quality.evidence.map(({ variant, metric, value, baseline, source, caveat }) => ({ variant, metric, value, baseline, source, caveat })) } };
    const { context, page, errors } = await openWebview();
    await postData(page, old);
    assert.equal(await page.locator('#quality-published canvas').count(), 0, 'no change, no chart: nothing is guessed');
    assert.match(await page.locator('#quality-uncharted').innerText(), /None of these results can be charted.*refresh it/);
    await page.locator('details[data-key="table:quality"] > summary').click();
    assert.equal((await tableText(page, '#table-quality')).length - 1, d.quality.evidence.length);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('controls post choose / export / runProfile / measureQuality; bad numbers are refused locally', async () => {
    const d = dataFor('llama-3.1-8b');
    const { context, page, errors } = await openWebview();
    await postData(page, d);
    assert.deepEqual((await posted(page))[0], { type: 'ready' });
    await page.selectOption('#c-gpu', 'h200');
    let last = (await posted(page)).at(-1);
    assert.deepEqual(last, { type: 'choose', choices: { ...d.choices, gpu: 'h200' } });
    await page.selectOption('#c-kv-dtype', 'fp8');
    await page.selectOption('#c-runtime', 'vllm');
    await page.fill('#c-batch', '4');
    await page.press('#c-batch', 'Enter');
    await page.fill('#c-tp', '2');
    await page.press('#c-tp', 'Tab');
    last = (await posted(page)).at(-1);
    assert.deepEqual(last, { type: 'choose', choices: { gpu: 'h200', kvDtype: 'fp8', runtime: 'vllm', batch: 4, tp: 2 } });
    const count = (await posted(page)).length;
    for (const bad of ['0', '2.5', '-3', '']) {
      await page.fill('#c-batch', bad);
      await page.press('#c-batch', 'Enter');
      assert.equal(await page.getAttribute('#c-batch', 'aria-invalid'), 'true', `batch "${bad}" refused`);
    }
    assert.equal((await posted(page)).length, count, 'nothing posted for invalid numbers');
    assert.match(await page.locator('#c-batch-err').innerText(), /whole number/);
    // busy → status, data clears it; error → banner.
    await post(page, { type: 'busy', message: 'Recomputing…' });
    await page.locator('#status', { hasText: 'Recomputing…' }).waitFor();
    assert.equal(await page.getAttribute('#status', 'aria-live'), 'polite');
    await shot(page, 'busy-light');
    await postData(page, { ...d, choices: { ...d.choices, gpu: 'h200' } });
    assert.equal(await page.locator('#status').innerText(), '');
    assert.equal(await page.inputValue('#c-gpu'), 'h200');
    assert.equal(await page.inputValue('#c-batch'), '1', 'controls follow the data');
    await post(page, { type: 'error', message: 'the config cannot be read: line 3' });
    await page.locator('#error-banner', { hasText: 'the config cannot be read: line 3' }).waitFor({ state: 'visible' });
    assert.equal(await page.getAttribute('#error-banner', 'role'), 'alert');
    await shot(page, 'error-light');
    await page.click('#export-html');
    await page.click('#export-json');
    await page.click('#run-profile');
    await page.click('#run-profile-empty');
    await page.click('#measure-quality-empty');
    assert.deepEqual((await posted(page)).slice(-5), [{ type: 'export', format: 'html' }, { type: 'export', format: 'json' }, { type: 'runProfile' }, { type: 'runProfile' }, { type: 'measureQuality' }]);
    // Keyboard: every control is reachable with Tab and shows a focus outline.
    await page.locator('#c-gpu').focus();
    const seen = [];
    for (let i = 0; i < 9; i++) {
      seen.push(await page.evaluate(() => document.activeElement.id || document.activeElement.className));
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
      assert.notEqual(outline, 'none', `focus outline on ${seen.at(-1)}`);
      await page.keyboard.press('Tab');
    }
    for (const id of ['c-gpu', 'c-kv-dtype', 'c-runtime', 'c-batch', 'c-tp', 'run-profile', 'export-html', 'export-json']) assert.ok(seen.includes(id), `${id} in tab order: ${seen}`);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('malformed messages are dropped and counted; the previous report stays', async () => {
    const d = dataFor('llama-3.1-8b');
    const { context, page, errors } = await openWebview();
    await postData(page, d);
    assert.equal(await body(page, 'rejectedMessages'), '0');
    const before = await page.locator('#content').innerText();
    const s0 = d.memory.series[0];
    const bad = [
      null, 'data', 42, [], { type: 'nope' }, { type: 'data' }, { type: 'data', data: null }, { type: 'busy' }, { type: 'error', message: 7 },
      { type: 'data', data: { ...d, version: 2 } },
      { type: 'data', data: { ...d, memory: { ...d.memory, series: [{ ...s0, bytes: s0.bytes.slice(1) }, ...d.memory.series.slice(1)] } } },
      { type: 'data', data: { ...d, summary: { ...d.summary, bytesPerToken: String(d.summary.bytesPerToken) } } },
      { type: 'data', data: { ...d, variants: d.variants.map((v, i) => (i === 0 ? { ...v, maxContextTokens: '450907' } : v)) } },
      { type: 'data', data: { ...d, variants: d.variants.map((v, i) => (i === 0 ? { ...v, bytesPerToken: 'lots' } : v)) } },
      { type: 'data', data: { ...d, memory: { ...d.memory, contexts: d.memory.contexts.map(String) } } },
      { type: 'data', data: { ...d, budgetTable: { ...d.budgetTable, rows: d.budgetTable.rows.map((r) => ({ ...r, concurrency: r.concurrency.map(String) })) } } },
      { type: 'data', data: { ...d, measured: [{ device: 'x', points: [{ medianUs: '5', contextTokens: 1, rooflineUs: 1 }] }] } },
      { type: 'data', data: { ...d, choices: { ...d.choices, batch: 0 } } },
      { type: 'data', data: { ...d, quality: { evidence: [{ variant: 'own', metric: 'm', value: 'high' }], note: '' } } },
      { type: 'data', data: { ...d, quality: { ...d.quality, evidence: [{ variant: 'own', metric: 'm', value: 1, baseline: 1, source: 's', caveat: '', metricKind: 'speed', changePoints: 0 }] } } },
      { type: 'data', data: { ...d, quality: { ...d.quality, evidence: [{ variant: 'own', metric: 'm', value: 1, baseline: 1, source: 's', caveat: '', metricKind: 'accuracy', changePoints: '0' }] } } },
      { type: 'data', data: { ...d, quality: { ...d.quality, evidence: [{ variant: 'own', metric: 'm', value: 1, baseline: 1, source: 's', caveat: '', baselineLabel: 7 }] } } },
      { type: 'data', data: { ...d, title: 7 } },
    ];
    for (const m of bad) await post(page, m);
    await page.waitForFunction((n) => document.body.dataset.rejectedMessages === String(n), bad.length);
    assert.equal(await page.locator('#content').innerText(), before, 'the previous report is still shown');
    assert.equal(await page.locator('#error-banner').isVisible(), false);
    assert.ok(await inkedPixels(page, 'memory') > 5000);
    assert.deepEqual(errors, [], 'no uncaught errors');
    // A good message after the bad ones is drawn.
    await postData(page, dataFor('llama-2-7b'));
    assert.match(await page.locator('#table-variants').innerText(), /MHA 32 heads/);
    assert.equal(await body(page, 'rejectedMessages'), String(bad.length));
    await context.close();
  });

  test('theme switch re-colours the charts from the --vscode-* variables', async () => {
    const d = dataFor('llama-3.1-8b', { runs: [fakeProfileReport()] });
    const { context, page, errors } = await openWebview({ theme: 'light' });
    await postData(page, d);
    const colors = () => page.locator('#chart-memory').getAttribute('data-series-colors');
    const light = await colors();
    assert.equal(light.split(',')[0], THEMES.light.vars['charts-blue']);
    await setTheme(page, 'dark');
    await page.waitForFunction((c) => document.querySelector('#chart-memory').dataset.seriesColors !== c, light);
    const dark = await colors();
    assert.equal(dark.split(',')[0], THEMES.dark.vars['charts-blue']);
    assert.deepEqual(dark.split(','), ['charts-blue', 'charts-orange', 'charts-green', 'charts-purple', 'charts-red', 'charts-yellow'].map((k) => THEMES.dark.vars[k]));
    assert.notEqual(await page.locator('#chart-measured').getAttribute('data-series-colors'), null);
    await setTheme(page, 'high-contrast');
    await page.waitForFunction((c) => document.querySelector('#chart-memory').dataset.seriesColors !== c, dark);
    assert.equal((await colors()).split(',')[5], THEMES['high-contrast'].vars['charts-yellow']);
    // Only the variables change (two dark themes): still re-coloured.
    await setTheme(page, 'dark');
    await page.waitForFunction((c) => document.querySelector('#chart-memory').dataset.seriesColors === c, dark);
    await page.evaluate(() => document.documentElement.style.setProperty('--vscode-charts-blue', '#00ffaa'));
    await page.waitForFunction(() => document.querySelector('#chart-memory').dataset.seriesColors.startsWith('#00ffaa'));
    assert.ok(await inkedPixels(page, 'memory') > 5000);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('prefers-reduced-motion: no chart animation; otherwise a short one', async () => {
    const d = dataFor('llama-3.1-8b');
    {
      const { context, page } = await openWebview({ reducedMotion: 'reduce' });
      await postData(page, d);
      assert.equal(await body(page, 'motion'), 'reduce');
      assert.equal(await page.locator('#chart-memory').getAttribute('data-animation'), 'off');
      await page.emulateMedia({ reducedMotion: 'no-preference' });
      await page.waitForFunction(() => document.body.dataset.motion === 'full');
      await context.close();
    }
    {
      const { context, page, errors } = await openWebview({ reducedMotion: 'no-preference' });
      await postData(page, d);
      assert.equal(await body(page, 'motion'), 'full');
      assert.equal(await page.locator('#chart-memory').getAttribute('data-animation'), 'on');
      await page.waitForTimeout(400);
      assert.ok(await inkedPixels(page, 'memory') > 5000);
      await page.emulateMedia({ reducedMotion: 'reduce' });
      await page.waitForFunction(() => document.body.dataset.motion === 'reduce');
      assert.equal(await page.locator('#chart-memory').getAttribute('data-animation'), 'off');
      assert.deepEqual(errors, []);
      await context.close();
    }
  });

  test('state: a reload redraws at once from getState, with the open tables and derivations', async () => {
    const d = dataFor('llama-3.1-8b');
    const { context, page, errors } = await openWebview();
    await postData(page, d);
    await page.locator('#table-variants .disclosure').nth(2).click();
    await page.locator('details[data-key="table:memory"] > summary').click();
    await page.locator('#fig-memory .legend-item').nth(1).click();
    const state = await page.evaluate(() => JSON.parse(sessionStorage.getItem('vscode-state')));
    assert.equal(state.data.title, d.title);
    assert.ok(state.ui.open.includes(`var:${d.variants[2].id}`) && state.ui.open.includes('table:memory'));
    await page.reload();
    await setTheme(page, 'light');
    await page.waitForSelector('body[data-rendered="true"]');
    assert.deepEqual(await posted(page), [{ type: 'ready' }], 'ready posted after the reload');
    assert.equal(await page.locator('#table-variants .disclosure').nth(2).getAttribute('aria-expanded'), 'true');
    assert.equal(await page.locator('details[data-key="table:memory"]').evaluate((el) => el.open), true);
    assert.equal(await page.locator('#fig-memory .legend-item').nth(1).getAttribute('aria-pressed'), 'false');
    assert.ok(await inkedPixels(page, 'memory') > 5000);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('narrow panel: responsive layout, charts still drawn', async () => {
    const { context, page, errors } = await openWebview({ width: 420, theme: 'dark' });
    await postData(page, dataFor('llama-3.1-8b', { runs: [fakeProfileReport()] }));
    assert.ok(await inkedPixels(page, 'memory') > 3000);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no horizontal page scroll (tables scroll inside): ${overflow}px`);
    await shot(page, 'narrow-dark');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('first render time, 6 variants × 8 contexts (a figure, printed)', async () => {
    const d = dataFor('llama-3.1-8b', { runs: [fakeProfileReport()], evidence: FAKE_EVIDENCE, measurement: SYNTHETIC_MEASUREMENT });
    assert.ok(d.quality.measured.filter((m) => m.variant).length >= 3, 'the weights chart is drawn too');
    assert.equal(d.memory.series.length, 6);
    assert.equal(d.memory.contexts.length, 8);
    const { context, page, errors } = await openWebview();
    await postData(page, d);
    const first = Number(await body(page, 'renderMs'));
    const again = [];
    for (let i = 0; i < 5; i++) {
      await postData(page, d);
      again.push(Number(await body(page, 'renderMs')));
    }
    again.sort((a, b) => a - b);
    console.log(`# report first render: ${first.toFixed(1)} ms (data arrival → charts drawn, 6 variants × 8 contexts, measured, quality and weight-error charts too); re-render median ${again[2].toFixed(1)} ms`);
    assert.ok(first > 0 && first < 5000, `first render ${first} ms`);
    assert.deepEqual(errors, []);
    await context.close();
  });
});

// ------------------------------------------------------------------ the export

describe('exported HTML', () => {
  test('opens from file:// with the network off, draws every chart (a published-quality chart per kind), < 1 MB', async () => {
    const d = dataFor('llama-3.1-8b', { runs: [fakeProfileReport()], evidence: FAKE_EVIDENCE });
    const html = reportHtml({ title: `${d.title} — Attention Lens report`, script: assets.script, css: assets.css, nonce: NONCE, mode: 'export', data: { ...d, title: 'llama-3.1-8b </script><script>window.__pwned=1</script>' } });
    const dir = mkdtempSync(join(tmpdir(), 'al-export-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, html);
    const size = statSync(file).size;
    console.log(`# export size: ${(size / 1024).toFixed(1)} KiB (bundle ${(assets.script.length / 1024).toFixed(1)} KiB + css ${(assets.css.length / 1024).toFixed(1)} KiB)`);
    assert.ok(size < 1024 * 1024, `export ${size} B`);
    try {
      for (const colorScheme of ['light', 'dark']) {
        const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, colorScheme, reducedMotion: 'reduce', offline: true });
        const requests = [];
        await context.route('**/*', (r) => (r.request().url().startsWith('file:') ? r.continue() : r.abort()));
        context.on('request', (r) => requests.push(r.url()));
        await context.addInitScript(() => {
          window.__csp = [];
          document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
        });
        const page = await context.newPage();
        const errors = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        await page.goto(pathToFileURL(file).href);
        await page.waitForSelector('body[data-rendered="true"]');
        for (const id of ['memory', 'measured', 'quality-accuracy', 'quality-perplexity', 'quality-generation']) assert.ok(await inkedPixels(page, id) > 2000, `${colorScheme}: ${id} drawn`);
        await assertQualityCharts(page, d);
        assert.equal(await page.evaluate(() => document.body.className), colorScheme === 'dark' ? 'vscode-dark' : 'vscode-light');
        assert.equal(await page.locator('#controls').count(), 0, 'no controls in the export');
        assert.equal(await page.locator('#run-profile, #export-html, #run-profile-empty, #measure-quality-empty').count(), 0);
        assert.match(await page.locator('#toolbar').innerText(), /GPU\s+H100 SXM 80GB[\s\S]*Runtime\s+Hugging Face transformers/i);
        assert.match(await page.locator('h1').innerText(), /<\/script><script>window.__pwned=1<\/script>/, 'the title is text');
        assert.equal(await page.evaluate(() => window.__pwned), undefined);
        assert.equal(await page.evaluate(() => document.body.dataset.rejectedMessages), '0');
        assert.ok(requests.every((u) => u.startsWith('file:')), `only file:// requested: ${requests.join(' ')}`);
        assert.deepEqual(await page.evaluate(() => window.__csp), []);
        await page.screenshot({ path: join(ARTIFACTS, `export-${colorScheme}.png`), fullPage: true });
        assert.deepEqual(errors, []);
        await context.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ------------------------------------------------------------------ weight-space errors measured on this model's weights

describe('quality measured on this model’s weights', () => {
  test('its own chart and axis under the published results; the table with what and method; light and dark', async () => {
    const d = tinyData();
    const measured = d.quality.measured;
    const charted = measured.filter((m) => m.variant !== undefined);
    assert.deepEqual(charted.map((m) => m.target), ['gqa-2', 'mqa', 'kv-fp8', 'kv-int8']);
    for (const theme of ['light', 'dark']) {
      const { context, page, errors } = await openWebview({ theme });
      await postData(page, d);
      assert.ok(await inkedPixels(page, 'weights') > 2000, `${theme}: the weights chart is drawn`);
      // Its own canvas: the published results (if any) are never on this axis.
      assert.equal(await page.locator('#quality-weights canvas').count(), 1);
      assert.equal(await page.locator('#quality-weights canvas[id^="chart-quality-"]').count(), 0);
      const label = await page.locator('#chart-weights').getAttribute('aria-label');
      assert.match(label, /weight-space relative error/);
      assert.match(label, /Not an accuracy/);
      for (const m of charted) assert.ok(label.includes(`${m.label}: K ${fmt.percent(m.kRelError)}, V ${fmt.percent(m.vRelError)} at ${fmt.bytes(m.bytesPerToken)}`), `${m.label} in ${label}`);
      assert.doesNotMatch(label, /MLA-8|KV int4/, 'a conversion no variant has is not charted');
      // K and V in the palette's first two colours.
      assert.equal(await page.locator('#chart-weights').getAttribute('data-series-colors'), [THEMES[theme].vars['charts-blue'], THEMES[theme].vars['charts-orange']].join(','));
      assert.deepEqual(await page.locator('#fig-weights .legend-item').allInnerTexts(), ['K error', 'V error']);
      assert.match(await page.locator('#quality-weights h3').innerText(), /weight-space error, not accuracy/);
      assert.match(await page.locator('#weights-meta').innerText(), /model\.safetensors \(BF16\) · 4 layers/);
      // The table: every measured conversion, charted or not.
      await page.locator('details[data-key="table:weights"] > summary').click();
      const rows = await page.evaluate(() => [...document.querySelectorAll('#table-weights tbody.group > tr:first-child')].map((tr) => [...tr.children].map((c) => c.textContent.trim())));
      assert.equal(rows.length, measured.length);
      measured.forEach((m, i) => {
        const [name, at, perToken, k, v, energy, , what] = rows[i];
        assert.equal(name, m.label);
        assert.equal(at, m.variant ? d.variants.find((x) => x.id === m.variant).label : 'not in this report (listed, not charted)');
        assert.equal(perToken, m.bytesPerToken === undefined ? '—' : fmt.bytes(m.bytesPerToken));
        assert.equal(k, fmt.percent(m.kRelError));
        assert.equal(v, fmt.percent(m.vRelError));
        assert.equal(energy, m.energyRetained === undefined ? '—' : fmt.percent(m.energyRetained));
        assert.equal(what, m.what);
      });
      assert.equal(rows.find((r) => r[0] === 'GQA-2')[3], '0.000%', 'KV heads duplicated in pairs: pooling them is exact');
      // A row opens to how it was measured.
      const mla = page.locator('#table-weights tbody.group', { hasText: 'MLA-32' }).locator('.disclosure');
      await mla.click();
      const how = await page.locator('#table-weights tbody.group', { hasText: 'MLA-32' }).locator('tr.derivation li').allInnerTexts();
      assert.deepEqual(how, measured.find((m) => m.target === 'mla-32').derivation);
      assert.ok(how.some((l) => l.startsWith('method: exact truncated SVD')), how.join('\n'));
      await shot(page, `quality-measured-${theme}`);
      await page.locator('#quality').screenshot({ path: join(ARTIFACTS, `quality-measured-chart-${theme}.png`) });
      assert.deepEqual(errors, []);
      await context.close();
    }
  });

  test('a conversion the report has no variant for is listed, not charted; nothing measured at all shows how to measure', async () => {
    const only = { ...TINY_MEASUREMENT, conversions: TINY_MEASUREMENT.conversions.filter((c) => c.target === 'kv-int4' || c.target === 'mla-8') };
    const { context, page, errors } = await openWebview();
    await postData(page, tinyData({}, only));
    assert.equal(await page.locator('#chart-weights').count(), 0);
    await page.locator('#weights-uncharted', { hasText: 'none is charted' }).waitFor();
    assert.equal(await page.locator('#table-weights tbody.group').count(), 2);
    // Data without the measured fields (saved before they existed, or nothing measured): the how-to.
    const old = dataFor('llama-3.1-8b');
    assert.equal('measured' in old.quality, false);
    await postData(page, old);
    const empty = await page.locator('#weights-empty').innerText();
    assert.match(empty, /Nothing measured on this model’s weights yet/);
    assert.match(empty, /Attention Lens: Measure Quality on Local Weights/);
    assert.match(empty, /attention-lens quality <config> --json/);
    assert.ok(await inkedPixels(page, 'memory') > 5000);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('state saved before measured points existed still restores; malformed measured points are refused', async () => {
    const { context, page, errors } = await openWebview();
    const old = dataFor('llama-2-7b');
    delete old.quality.measured;
    delete old.quality.weights;
    await page.evaluate((data) => sessionStorage.setItem('vscode-state', JSON.stringify({ data, ui: { open: ['table:quality'] } })), old);
    await page.reload();
    await page.waitForSelector('body[data-rendered="true"]');
    assert.ok(await inkedPixels(page, 'quality-accuracy') > 2000, 'the published charts as before');
    await page.locator('#weights-empty').waitFor();
    const d = tinyData();
    const bad = [
      { ...d, quality: { ...d.quality, measured: [{ ...d.quality.measured[0], kRelError: '0.1' }] } },
      { ...d, quality: { ...d.quality, measured: [{ ...d.quality.measured[0], bytesPerToken: -5 }] } },
      { ...d, quality: { ...d.quality, measured: [{ ...d.quality.measured[0], derivation: 'x' }] } },
      { ...d, quality: { ...d.quality, weights: { ...d.quality.weights, files: 'model.safetensors' } } },
    ];
    for (const data of bad) await post(page, { type: 'data', data });
    await page.waitForFunction((n) => document.body.dataset.rejectedMessages === String(n), bad.length);
    await page.locator('#weights-empty').waitFor();
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('the exported page draws the measured points, offline', async () => {
    const d = tinyData();
    const html = reportHtml({ title: 'tiny — Attention Lens report', script: assets.script, css: assets.css, nonce: NONCE, mode: 'export', data: d });
    const dir = mkdtempSync(join(tmpdir(), 'al-export-weights-'));
    try {
      const file = join(dir, 'report.html');
      writeFileSync(file, html);
      const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, colorScheme: 'dark', reducedMotion: 'reduce', offline: true });
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(pathToFileURL(file).href);
      await page.waitForSelector('body[data-rendered="true"]');
      assert.ok(await inkedPixels(page, 'weights') > 2000);
      assert.match(await page.locator('#weights-empty, #fig-weights').first().innerText(), /K error/);
      assert.deepEqual(errors, []);
      await context.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ------------------------------------------------------------------ launch commands

describe('launch commands', () => {
  test('each runtime\'s command shown whole; Copy asks the extension; a runtime without these settings says why', async () => {
    const { context, page, errors } = await openWebview({ theme: 'dark' });
    await postData(page, dataFor('deepseek-v3', { options: { gpu: 'h200' } }));
    assert.equal(await page.locator('#launch .launch').count(), 3);
    const vllm = await page.locator('#launch-vllm-text').innerText();
    // vLLM's DeepSeek-V3 recipe: vllm serve deepseek-ai/DeepSeek-V3 --tensor-parallel-size 8 on 8×H200.
    assert.match(vllm, /^vllm serve models\/deepseek-v3 \\$/m);
    assert.match(vllm, /^ {2}--tensor-parallel-size 8 \\$/m);
    assert.match(vllm, /^# --tensor-parallel-size 8: /m, 'each value says why');
    assert.match(await page.locator('#launch-sglang-text').innerText(), /^python -m sglang\.launch_server \\$/m);
    await page.click('#launch-sglang-copy');
    assert.deepEqual((await posted(page)).at(-1), { type: 'copyLaunch', runtime: 'sglang' });
    await page.locator('#launch').screenshot({ path: join(ARTIFACTS, 'launch-dark.png') });
    // A KV dtype only llama.cpp has: vLLM and SGLang say why, with no command and no Copy.
    await postData(page, dataFor('llama-3.1-8b', { options: { kvDtype: 'q8_0' } }));
    assert.match(await page.locator('#launch-vllm').innerText(), /No command for these settings: vLLM has no q8_0 KV cache/);
    assert.equal(await page.locator('#launch-vllm-copy, #launch-sglang-copy').count(), 0);
    assert.match(await page.locator('#launch-llamacpp-text').innerText(), /-ctk q8_0/);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('the exported page shows the commands and copies them itself (or selects them when the browser refuses)', async () => {
    const d = dataFor('llama-3.1-8b');
    const dir = mkdtempSync(join(tmpdir(), 'al-export-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, reportHtml({ title: 'llama-3.1-8b — Attention Lens report', script: assets.script, css: assets.css, nonce: NONCE, mode: 'export', data: d }));
    try {
      const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, reducedMotion: 'reduce', offline: true });
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(pathToFileURL(file).href);
      await page.waitForSelector('body[data-rendered="true"]');
      assert.match(await page.locator('#launch-vllm-text').innerText(), /^vllm serve models\/llama-3\.1-8b \\$/m);
      assert.match(await page.locator('#launch-llamacpp-text').innerText(), /^llama-server \\$/m);
      await page.click('#launch-vllm-copy');
      await page.waitForFunction(() => (document.getElementById('launch-status')?.textContent ?? '') !== '');
      const status = await page.locator('#launch-status').innerText();
      if (/selected/.test(status)) assert.match(await page.evaluate(() => String(window.getSelection())), /vllm serve/);
      else assert.match(status, /Copied the vLLM command/);
      assert.deepEqual(errors, []);
      await context.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
