/**
 * The report's data, against public figures: the memory chart's points, the budget table, the
 * variants; measured runs become roofline-bounded points; nothing is invented where nothing exists;
 * and the protocol guards refuse what the page must not draw.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildReportData, MEMORY_CONTEXTS } from '../../src/core/reportData';
import { buildVariantsReport } from '../../src/core/report';
import { mlaRowMatches } from '../../src/core/qualityNotes';
import { readMeasurement, variantForTarget, type MeasurementInput } from '../../src/core/reportMeasured';
import type { ProfileReport } from '../../src/shared/profileProtocol';
import { isHostMessage, isReportData, isViewMessage, type ReportData } from '../../src/shared/reportProtocol';
import { fixtureText, GiB, ROOT } from './helpers';
import { EVIDENCE } from '../../src/core/evidence';

const data = (name: string, options = {}, runs: ProfileReport[] = []) =>
  buildReportData({ input: { file: `examples/${name}/config.json`, text: fixtureText(name) }, options, runs, generator: 'test', now: new Date('2026-01-01T00:00:00Z') });

test('Llama-3.1-8B: the own line reaches 16.0 GiB at 131,072 tokens (vLLM log F3.6); H100 fits 3 such requests', () => {
  const d = data('llama-3.1-8b');
  assert.equal(d.title, 'llama-3.1-8b');
  assert.deepEqual(d.memory.contexts, MEMORY_CONTEXTS);
  const own = d.memory.series.find((s) => s.variant === 'own')!;
  assert.equal(own.bytes[d.memory.contexts.indexOf(131072)], 16 * GiB);
  assert.equal(d.summary.bytesPerToken, 131072);
  const h100 = d.budgetTable.rows.find((r) => r.gpu === 'h100-sxm' && r.variant === 'own')!;
  assert.equal(h100.concurrency[d.budgetTable.contexts.indexOf(131072)], 3);
  // The budget line is the usable memory the lens and CLI report.
  assert.equal(d.memory.budgetBytes, d.summary.usableBytesPerGpu);
});

test('Llama-2-7B (MHA): 512 KiB per token (llama.cpp log F1.1), no MHA variant of itself, MQA 32× smaller', () => {
  const d = data('llama-2-7b');
  assert.equal(d.variants.find((v) => v.own)!.bytesPerToken, 512 * 1024);
  assert.equal(d.variants.some((v) => v.id === 'mha'), false);
  assert.equal(d.variants.find((v) => v.id === 'mqa')!.savingVsOwn, 32);
});

test('DeepSeek-V3 (MLA): 1,152 B × 61 layers per token (FlashMLA F10.3); at most six charted lines; every variant has a derivation', () => {
  const d = data('deepseek-v3');
  assert.equal(d.summary.bytesPerToken, 1152 * 61);
  assert.ok(d.memory.series.length <= 6 && d.memory.series.length >= 4);
  assert.ok(d.variants.every((v) => v.derivation.length >= 4));
  assert.ok(d.derivation.some((l) => l.includes('kv_lora_rank 512')));
});

test('the panel choices are echoed; a custom GPU size is offered as a choice', () => {
  const d = data('llama-3.1-8b', { gpu: 'h200', kvDtype: 'fp8', runtime: 'vllm', tp: 2, batch: 4 });
  assert.deepEqual(d.choices, { gpu: 'h200', kvDtype: 'fp8', runtime: 'vllm', batch: 4, tp: 2 });
  const custom = data('llama-3.1-8b', { gpuMemGiB: 48 });
  assert.equal(custom.choices.gpu, 'custom');
  assert.equal(custom.options.gpus[0]!.id, 'custom');
});

test('the tradeoff points are published rows about that very shape, as reported', () => {
  const d = data('llama-2-7b');
  // Llama-2-7B's GQA-8 variant carries the rows about 8 KV heads (T5-XXL, Gemma 2, DeepSeek's 7B ablation), nothing else.
  const gqa8 = d.quality.evidence.filter((e) => e.variant === 'gqa-8');
  assert.ok(gqa8.some((e) => e.value === 47.1 && e.baseline === 47.2 && /Ainslie/.test(e.source)), 'T5-XXL GQA-8 47.1 vs MHA 47.2 (GQA Table 1)');
  for (const e of d.quality.evidence) {
    const row = EVIDENCE.find((r) => r.value === e.value && e.source.startsWith(r.source));
    assert.ok(row, `${e.variant} ${e.metric} ${e.value} is a published row`);
    if (e.variant.startsWith('gqa-')) assert.equal(row.match.groups, Number(e.variant.slice(4)));
    // MQA is one KV head: a GQA-8 or GQA-4 row (47.1, 41.2, 13.36) is never placed at MQA's bytes.
    if (e.variant === 'mqa') assert.equal(row.match.groups, 1, `${row.id} at MQA`);
  }
  const mqa = d.quality.evidence.filter((e) => e.variant === 'mqa');
  assert.ok(mqa.some((e) => e.value === 46.6 && e.baseline === 47.2), 'T5-XXL MQA 46.6 vs MHA 47.2 (GQA Table 1)');
  assert.equal(mqa.some((e) => e.value === 47.1 || e.value === 41.2 || e.value === 13.36), false);
});

test('measured runs become points with the device roofline; without runs nothing is made up', () => {
  const empty = data('llama-3.1-8b');
  assert.deepEqual(empty.measured, []);
  const run = sampleRun();
  const d = data('llama-3.1-8b', {}, [run]);
  const p = d.measured[0]!.points[0]!;
  // 1,081,344 B at 6 GB/s = 180.2 µs; 4,194,304 FLOP at 0.044 TFLOP/s = 95.3 µs → memory bound.
  assert.equal(p.rooflineUs.toFixed(1), (1081344 / 6e3).toFixed(1));
  assert.equal(p.medianUs, 1761);
  assert.equal(d.measured[0]!.points.length, 1, 'the skipped case is not drawn');
  // A report written before results named their kernel: no kernel line.
  assert.equal(p.derivation.some((l) => l.startsWith('kernel ')), false);
});

test('a measured point names the kernel that ran it and its types: K/V as stored, products as multiplied, prefetch', () => {
  const run = sampleRun();
  run.results[0] = { ...run.results[0]!, kernel: 'v2', kernelName: 'tile2', products: 'f16', prefetch: true };
  const p = data('llama-3.1-8b', {}, [run]).measured[0]!.points[0]!;
  assert.equal(p.derivation.at(-1), 'kernel tile2.wgsl (v2), K/V stored as f16, products in f16, sums in f32, register prefetch');
  run.results[0] = { ...run.results[0], kernel: 'v1', kernelName: 'decode', products: 'f32', prefetch: undefined };
  assert.equal(data('llama-3.1-8b', {}, [run]).measured[0]!.points[0]!.derivation.at(-1), 'kernel decode.wgsl (v1), K/V stored as f16, products in f32');
});

test('guards: data and messages the page must refuse', () => {
  const d = data('llama-2-7b');
  assert.ok(isReportData(d));
  assert.ok(isHostMessage({ type: 'data', data: d }));
  const broken = structuredClone(d);
  broken.memory.series[0]!.bytes.pop();
  assert.equal(isHostMessage({ type: 'data', data: broken }), false, 'a series shorter than its contexts');
  assert.equal(isHostMessage({ type: 'data', data: { ...d, summary: { ...d.summary, bytesPerToken: '512' } } }), false);
  assert.equal(isHostMessage({ type: 'paint' }), false);
  assert.equal(isHostMessage(null), false);
  assert.ok(isViewMessage({ type: 'choose', choices: { gpu: 'h200', kvDtype: 'auto', runtime: 'vllm', batch: 1, tp: 1 } }));
  assert.equal(isViewMessage({ type: 'choose', choices: { gpu: 'h200', kvDtype: 'auto', runtime: 'sglang', batch: 1, tp: 1 } }), false);
  assert.ok(isViewMessage({ type: 'measureQuality' }));
  assert.equal(isViewMessage({ type: 'choose', choices: { gpu: 'h200', kvDtype: 'auto', runtime: 'hf', batch: 0, tp: 1 } }), false);
  assert.equal(isViewMessage({ type: 'export', format: 'pdf' }), false);
});

// ---------------------------------------------------------------- measured on this model's weights

/**
 * A REAL measurement (attention-lens quality --json) of the tiny generated model of quality.test.ts:
 * 8 query heads, 4 KV heads duplicated in pairs; test/fixtures/quality/make-tiny-measurement.mjs.
 */
const TINY_DIR = path.join(ROOT, 'test', 'fixtures', 'quality', 'tiny-gqa4');
const TINY = { file: 'tiny-gqa4/config.json', text: readFileSync(path.join(TINY_DIR, 'config.json'), 'utf8') };
const TINY_JSON: unknown = JSON.parse(readFileSync(path.join(TINY_DIR, 'quality.json'), 'utf8'));
const tinyMeasurement = (): MeasurementInput => {
  const m = readMeasurement(TINY_JSON);
  if (typeof m === 'string') assert.fail(m);
  return m;
};
const tiny = (options = {}, measurement: MeasurementInput | undefined = tinyMeasurement()) =>
  buildReportData({ input: TINY, options, measurement, generator: 'test', now: new Date('2026-01-01T00:00:00Z') });

test('measured conversions sit at the variant of the same shape, with the numbers measured and nothing else', () => {
  const d = tiny();
  const m = tinyMeasurement();
  const at = Object.fromEntries(d.quality.measured!.map((p) => [p.target, p]));
  assert.equal(at['gqa-2']!.variant, 'gqa-2');
  assert.equal(at['mqa']!.variant, 'mqa');
  assert.equal(at['kv-fp8']!.variant, 'kv-fp8');
  assert.equal(at['kv-int8']!.variant, 'kv-int8');
  for (const p of d.quality.measured!) {
    const c = m.conversions.find((x) => x.target === p.target)!;
    assert.equal(p.kRelError, c.kRelError, `${p.target}: K as measured`);
    assert.equal(p.vRelError, c.vRelError, `${p.target}: V as measured`);
    assert.equal(p.what, c.what);
    if (p.variant) assert.equal(p.bytesPerToken, d.variants.find((v) => v.id === p.variant)!.bytesPerToken);
  }
  assert.equal(at['gqa-2']!.kRelError, 0, 'KV heads duplicated in pairs: pooling them into 2 is exact');
  assert.equal(d.quality.weights!.layersRead, 4);
  assert.deepEqual(d.quality.weights!.files, ['model.safetensors']);
  assert.ok(isReportData(d));
});

test('a measured shape no variant has is listed without a place: priced by the engine when it can be, never charted', () => {
  const d = tiny();
  const at = Object.fromEntries(d.quality.measured!.map((p) => [p.target, p]));
  // The report's MLA variant has rank 512: MLA-8 and MLA-32 are not it.
  assert.ok(d.variants.some((v) => v.id === 'mla-512'));
  for (const t of ['mla-8', 'mla-32']) {
    assert.equal(at[t]!.variant, undefined, t);
    const rank = Number(t.slice(4));
    assert.equal(at[t]!.bytesPerToken, buildVariantsReport(TINY, { mlaRank: rank }).rows.find((r) => r.id === t)!.bytesPerToken);
    assert.match(at[t]!.derivation.at(-1)!, /listed, not charted/);
  }
  // int4 is not a KV cache format the report prices.
  assert.equal(at['kv-int4']!.variant, undefined);
  assert.equal(at['kv-int4']!.bytesPerToken, undefined);
  // With the MLA variant at rank 32, MLA-32 has its place and MLA-8 still has none.
  const r32 = tiny({ mlaRank: 32 });
  assert.equal(r32.quality.measured!.find((p) => p.target === 'mla-32')!.variant, 'mla-32');
  assert.equal(r32.quality.measured!.find((p) => p.target === 'mla-8')!.variant, undefined);
});

test('matching rules: GQA-g by KV heads (the own attention included), MQA, MLA by rank only, KV dtypes by name', () => {
  const rows = buildVariantsReport(TINY, {}).rows;
  assert.equal(variantForTarget('gqa-4', rows)?.id, 'own', 'the config is GQA with 4 KV heads');
  assert.equal(variantForTarget('gqa-8', rows)?.id, 'mha', '8 KV heads for 8 query heads is the MHA variant');
  assert.equal(variantForTarget('gqa-2', rows)?.id, 'gqa-2');
  assert.equal(variantForTarget('gqa-3', rows), undefined, '3 does not divide 8: no such variant');
  assert.equal(variantForTarget('mqa', rows)?.id, 'mqa');
  assert.equal(variantForTarget('mla-512', rows)?.id, 'mla-512');
  assert.equal(variantForTarget('mla-256', rows), undefined);
  assert.equal(variantForTarget('kv-nvfp4', rows)?.id, 'kv-nvfp4');
  assert.equal(variantForTarget('kv-q4_0', rows), undefined, 'not a dtype Hugging Face transformers offers here');
  assert.equal(variantForTarget('window-1024', rows), undefined);
  assert.equal(variantForTarget('nonsense', rows), undefined);
  // Under a runtime that stores fp8 already, KV fp8 is the own row.
  assert.equal(variantForTarget('kv-fp8', buildVariantsReport(TINY, { kvDtype: 'fp8' }).rows)?.id, 'own');
  // An MLA config's own attention is not MQA, whatever its kvHeads (1) say.
  assert.notEqual(variantForTarget('mqa', buildVariantsReport({ file: 'dsv3.json', text: fixtureText('deepseek-v3') }, {}).rows)?.kind, 'own');
});

test('nothing measured, or no weights found: no measured points at all', () => {
  const bare = buildReportData({ input: TINY, options: {}, generator: 'test' });
  assert.equal(bare.quality.measured, undefined);
  assert.equal(bare.quality.weights, undefined);
  const none = readMeasurement({ weights: { found: false, files: [], dtype: '', layersRead: 0 }, conversions: [], notes: [] });
  assert.ok(typeof none !== 'string');
  assert.equal(tiny({}, none).quality.measured, undefined);
  assert.equal(tiny({}, none).quality.weights, undefined);
});

test('readMeasurement: the JSON of attention-lens quality --json, or one sentence saying what is wrong', () => {
  const good = TINY_JSON as { conversions: Record<string, unknown>[] };
  assert.equal(typeof readMeasurement(good), 'object');
  assert.match(readMeasurement(null) as string, /not a JSON object/);
  assert.match(readMeasurement({ conversions: [] }) as string, /"weights"/);
  assert.match(readMeasurement({ weights: { found: true } }) as string, /"conversions"/);
  const with1 = (c: Record<string, unknown>) => readMeasurement({ ...good, conversions: [{ ...good.conversions[0], ...c }] });
  assert.match(with1({ kRelError: '0.1' }) as string, /conversions\[0\]/);
  assert.match(with1({ vRelError: -1 }) as string, /conversions\[0\]/);
  assert.match(with1({ energyRetained: 'most' }) as string, /energyRetained/);
  const stamped = readMeasurement({ ...good, measuredAt: '2026-01-02T03:04:05.000Z' });
  assert.ok(typeof stamped !== 'string' && stamped.measuredAt === '2026-01-02T03:04:05.000Z');
  const badDate = readMeasurement({ ...good, measuredAt: 'yesterday' });
  assert.ok(typeof badDate !== 'string' && badDate.measuredAt === undefined);
});

test('guards: data saved before measured points existed still validates; malformed measured points do not', () => {
  const d = tiny();
  const old = structuredClone(d);
  delete old.quality.measured;
  delete old.quality.weights;
  assert.ok(isReportData(old));
  assert.ok(isReportData(d));
  const bad = structuredClone(d);
  (bad.quality.measured![0] as unknown as Record<string, unknown>).kRelError = '0.1';
  assert.equal(isReportData(bad), false);
  const neg = structuredClone(d);
  neg.quality.measured![0]!.bytesPerToken = -1;
  assert.equal(isReportData(neg), false);
});

test('MLA published rows attach only at the cache fraction they state (this model\'s rank), or when they state none', () => {
  // Llama-2-7B: MHA with 32 heads × 128, K+V = 8,192 elements per layer and token.
  const mla = (rank: number) => data('llama-2-7b', { mlaRank: rank }).quality.evidence.filter((e) => e.variant === `mla-${rank}`);
  // Rank 512 + RoPE 64 keeps 7.03%: no row with a number states that fraction.
  assert.deepEqual(mla(512), []);
  // Rank 960 + 64 keeps 12.5%: MHA2MLA's −87.5% row (58.96 vs 59.85), and no row about another fraction.
  const r960 = mla(960);
  assert.ok(r960.some((e) => e.value === 58.96 && e.baseline === 59.85), JSON.stringify(r960));
  for (const e of r960) {
    const row = EVIDENCE.find((r) => r.value === e.value && e.source.startsWith(r.source))!;
    assert.ok(row.match.keptFraction === undefined || row.match.keptFraction === 0.125, `${row.id} states ${row.match.keptFraction}`);
  }
  // Rank 1,472 + 64 keeps 18.75%: Table 1's −81.25% row and the drops at 18.75%.
  assert.ok(mla(1472).some((e) => e.value === 59.61));
  assert.ok(mla(1472).every((e) => !/−87\.5%/.test(e.source)));
  // The rule itself: stated precision, no fraction matches any rank, no model shape matches nothing sized.
  const shape = { mhaElementsPerLayer: 8192, ropeDim: 64 };
  assert.equal(mlaRowMatches(0.07, 512, shape), true, '7.03% is 0.07 to the two places stated');
  assert.equal(mlaRowMatches(0.0781, 512, shape), false);
  assert.equal(mlaRowMatches(undefined, 512, shape), true);
  assert.equal(mlaRowMatches(0.125, 960, undefined), false);
});

test('attention-lens report --quality draws a quality --json file; a bad file or a stray --quality exits 2 with one line', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), ...args], { encoding: 'utf8', cwd: ROOT });
  const config = path.join(TINY_DIR, 'config.json');
  const ok = cli('report', config, '--quality', path.join(TINY_DIR, 'quality.json'), '--json');
  assert.equal(ok.status, 0, ok.stderr);
  const d = JSON.parse(ok.stdout) as ReportData;
  assert.equal(d.quality.measured?.find((p) => p.target === 'mqa')?.variant, 'mqa');
  assert.equal(ok.stderr, '', 'the fixture names this config: no warning');
  const dir = mkdtempSync(path.join(tmpdir(), 'al-report-quality-'));
  const broken = path.join(dir, 'broken.json');
  writeFileSync(broken, '{"weights": {"found": true}}');
  const bad = cli('report', config, '--quality', broken, '--json');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr.trim(), /^attention-lens: report: --quality .*broken\.json: no "conversions" list/);
  const missing = cli('report', config, '--quality', path.join(dir, 'none.json'), '--json');
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read it/);
  const other = path.join(dir, 'other.json');
  writeFileSync(other, JSON.stringify({ ...(TINY_JSON as object), file: 'somewhere/else/config.json' }));
  const warned = cli('report', config, '--quality', other, '--json');
  assert.equal(warned.status, 0);
  assert.match(warned.stderr, /warning: .* was measured for somewhere\/else\/config\.json/);
  const stray = cli('kv', config, '--quality', path.join(TINY_DIR, 'quality.json'));
  assert.equal(stray.status, 2);
  assert.match(stray.stderr.trim(), /^attention-lens: --quality belongs to attention-lens report/);
});

/** A profile run shaped as the worker reports it (test input, not shown to anyone). */
function sampleRun(): ProfileReport {
  const result = {
    id: 'own', variant: 'gqa' as const, label: 'GQA-8 32 q / 8 kv heads × 128', own: true, qHeads: 32, kvHeads: 8, headDim: 128, vHeadDim: 128,
    mode: 'decode' as const, layerKind: 'full' as const, windowTokens: 0, chunkTokens: 0, context: 256, batch: 1, storage: 'f16' as const,
    medianUs: 1761, minUs: 1700, p90Us: 1800, gbps: 0.61, pctBandwidth: 10, tflops: 0.0024, pctFlops: 5, pctRoofline: 10,
    bytes: 1081344, flops: 4194304, maxAbsError: 8e-8, ok: true, status: 'measured' as const, samples: 30, timing: 'timestamp' as const,
  };
  return {
    device: { adapter: 'llvmpipe', backend: 'vulkan', vendor: 'mesa', architecture: '', features: [], storage: 'f16', timing: 'timestamp', limits: {}, peaks: { copyGBps: 6, f32TFlops: 0.044, f16TFlops: null, derivation: [] } },
    results: [result, { ...result, context: 4096, medianUs: null, minUs: null, p90Us: null, gbps: null, pctBandwidth: null, tflops: null, pctFlops: null, pctRoofline: null, ok: false, status: 'skipped', skipped: 'time limit' }],
    notes: [], startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:01:00Z',
  };
}
