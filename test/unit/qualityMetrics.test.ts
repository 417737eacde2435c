/**
 * The metric-kind table (src/core/qualityMetrics.ts) and the change of a published result against its own
 * baseline: every evidence row's metric is classified (a new metric fails here until it is), each kind has
 * one direction and one unit, and the arithmetic is checked against the rows' own numbers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EVIDENCE } from '../../src/core/evidence';
import { changeText, METRIC_CLASSES, metricClass, QUALITY_KIND_ORDER, QUALITY_KINDS, qualityChange } from '../../src/core/qualityMetrics';
import { withChange } from '../../src/core/qualityNotes';
import { buildReportData } from '../../src/core/reportData';
import { fixtureText } from './helpers';

const row = (id: string) => {
  const e = EVIDENCE.find((r) => r.id === id);
  assert.ok(e, id);
  return e;
};
const changeOf = (id: string) => {
  const e = row(id);
  return qualityChange(e.metric, e.value!, e.baseline);
};

test('every evidence row\'s metric is in the table; every table entry is some row\'s metric', () => {
  for (const e of EVIDENCE) assert.ok(metricClass(e.metric), `${e.id}: metric "${e.metric}" is not classified in src/core/qualityMetrics.ts`);
  const used = new Set(EVIDENCE.map((e) => e.metric));
  for (const metric of Object.keys(METRIC_CLASSES)) assert.ok(used.has(metric), `"${metric}" is no row's metric`);
  // An unknown metric is not guessed at.
  assert.equal(metricClass('MMLU accuracy'), undefined);
  assert.equal(metricClass('toString'), undefined, 'no prototype keys');
  const c = qualityChange('some new benchmark', 50, 49);
  assert.ok('uncharted' in c && /not classified/.test(c.uncharted));
});

test('short names are unique; each kind has one direction and one unit, and the rows agree with it', () => {
  const shorts = Object.values(METRIC_CLASSES).map((c) => c.short);
  assert.equal(new Set(shorts).size, shorts.length, 'short names unique');
  assert.deepEqual(QUALITY_KIND_ORDER, ['accuracy', 'perplexity', 'generation']);
  assert.deepEqual(Object.values(QUALITY_KINDS).map((k) => [k.change, k.unit, k.higherIsBetter]), [['points', 'pp', true], ['percent', '%', false], ['percent', '%', true]]);
  for (const e of EVIDENCE) {
    const c = metricClass(e.metric)!;
    if (c.kind === null || c.uncharted !== undefined) continue;
    assert.equal(e.higherIsBetter, QUALITY_KINDS[c.kind].higherIsBetter, `${e.id}: ${c.kind} direction`);
  }
  // Spot checks of the classification the charts rest on.
  assert.equal(metricClass(row('gqa-deepseek-dense7b-mmlu').metric)!.kind, 'accuracy');
  assert.equal(metricClass(row('gqa-deepseek-dense7b-bbh').metric)!.kind, 'accuracy');
  assert.equal(metricClass(row('gqa-t5xxl-uptrain').metric)!.kind, 'generation');
  assert.equal(metricClass(row('mqa-wmt14-bleu').metric)!.kind, 'generation');
  assert.equal(metricClass(row('kv-kivi2-longchat7b').metric)!.kind, 'generation');
  assert.equal(metricClass(row('kv-kivi2-mistral7b-passage-retrieval').metric)!.kind, 'accuracy');
  assert.equal(metricClass(row('gqa-cla-1b').metric)!.kind, 'perplexity');
  assert.equal(metricClass(row('kv-llamacpp-q8_0').metric)!.kind, 'perplexity');
  assert.equal(metricClass(row('mqa-wmt14-lnppl').metric)!.scale, 'ln');
  assert.equal(metricClass(row('mla-deepseek-v2-kv-formula').metric)!.kind, null);
});

test('accuracy-like: the change in percentage points, to the precision the numbers are written in', () => {
  assert.deepEqual(changeOf('gqa-deepseek-dense7b-mmlu'), { kind: 'accuracy', short: 'MMLU 5-shot (dense 7B ablation)', changePoints: -4 });
  assert.deepEqual(changeOf('mqa-deepseek-dense7b-ceval'), { kind: 'accuracy', short: 'C-Eval 5-shot (dense 7B ablation)', changePoints: -12.9 });
  assert.deepEqual(changeOf('mla-deepseek-large-moe-bbh'), { kind: 'accuracy', short: 'BBH 3-shot (MoE ablation)', changePoints: 4.1 });
  // 59.51 − 59.85 in floating point is −0.3400000000000034: written to two places.
  assert.equal((changeOf('mla-mha2mla-llama2-7b-68_75') as { changePoints: number }).changePoints, -0.34);
  assert.equal((changeOf('kv-kivi2-mistral7b-passage-retrieval') as { changePoints: number }).changePoints, -8.5);
  assert.equal((changeOf('mla-x-ecomla-llama32-1b-6_4x') as { changePoints: number }).changePoints, 0);
});

test('perplexity-like and generation: relative change in %, three significant digits; ln PPL as the perplexity ratio', () => {
  // 13.36 / 13.15 = 1.01597 → +1.60%.
  assert.equal((changeOf('gqa-cla-1b') as { changePercent: number }).changePercent, 1.6);
  assert.equal((changeOf('mqa-cla-1b') as { changePercent: number }).changePercent, 2.97);
  // 6.2344 / 6.2322 = 1.000353 → +0.0353%.
  assert.equal((changeOf('kv-llamacpp-q8_0') as { changePercent: number }).changePercent, 0.0353);
  // ln PPL 1.439 vs 1.424: perplexity e^1.439 / e^1.424 = e^0.015 = 1.01511 → +1.51% (not 1.439 / 1.424 − 1 = +1.05%).
  assert.equal((changeOf('mqa-wmt14-lnppl') as { changePercent: number }).changePercent, 1.51);
  // 47.1 / 47.2 → −0.212%; 26.5 / 26.7 → −0.749%.
  assert.equal((changeOf('gqa-t5xxl-uptrain') as { changePercent: number }).changePercent, -0.212);
  assert.equal((changeOf('mqa-wmt14-bleu') as { changePercent: number }).changePercent, -0.749);
  assert.equal((changeOf('kv-int2-quanto-llama2-7b') as { changePercent: number }).changePercent, -32.5);
});

test('every row with a value and a baseline gets a change of the sign of value − baseline, or a reason', () => {
  let charted = 0;
  for (const e of EVIDENCE) {
    if (e.value === null) continue;
    const c = qualityChange(e.metric, e.value, e.baseline);
    if ('uncharted' in c) {
      assert.ok(e.baseline === null || metricClass(e.metric)!.uncharted !== undefined, `${e.id}: uncharted with a baseline: ${c.uncharted}`);
      continue;
    }
    charted++;
    const change = 'changePoints' in c ? c.changePoints : c.changePercent;
    assert.ok(Number.isFinite(change), e.id);
    assert.equal(Math.sign(change), Math.sign(Number((e.value - e.baseline!).toFixed(6))), `${e.id}: sign`);
  }
  assert.ok(charted >= 30, `${charted} charted rows`);
  // No baseline, a drop with no stated reference, a zero baseline: listed with the reason, never guessed.
  const drop = changeOf('mla-mha2mla-drop-7b');
  assert.ok('uncharted' in drop && /only the drop/.test(drop.uncharted), JSON.stringify(drop));
  const noBase = qualityChange('Wikitext-2 perplexity', 5.7, null);
  assert.ok('uncharted' in noBase && /no baseline/.test(noBase.uncharted));
  const zero = qualityChange('Wikitext-2 perplexity', 5.7, 0);
  assert.ok('uncharted' in zero && /baseline is 0/.test(zero.uncharted));
  const notQuality = qualityChange('KV cache elements per token (Table 1); not a quality number', 1, 2);
  assert.deepEqual(notQuality, { kind: null, short: 'KV cache elements per token', uncharted: 'not a quality score' });
});

test('changeText: sign, unit, at least one decimal for points', () => {
  assert.equal(changeText(-4, 'pp'), '−4.0 pp');
  assert.equal(changeText(1.28, 'pp'), '+1.28 pp');
  assert.equal(changeText(0, 'pp'), '±0.0 pp');
  assert.equal(changeText(0.0353, '%'), '+0.0353%');
  assert.equal(changeText(-32.5, '%'), '−32.5%');
});

test('withChange recomputes from metric, value and baseline, whatever the point carried', () => {
  const stale = { variant: 'mqa', metric: 'Wikitext-2 perplexity', value: 6.01, baseline: 5.68, source: 's', caveat: '', metricKind: 'accuracy' as const, changePoints: 99, uncharted: 'x' };
  assert.deepEqual(withChange(stale), { variant: 'mqa', metric: 'Wikitext-2 perplexity', value: 6.01, baseline: 5.68, source: 's', caveat: '', metricKind: 'perplexity', changePercent: 5.81 });
  assert.deepEqual(withChange({ variant: 'own', metric: 'test score', value: 1, baseline: null, source: 's', caveat: '' }).uncharted?.includes('not classified'), true);
});

test('the report\'s published points carry kind, change, baseline label, model and budget (Llama-2-7B)', () => {
  const d = buildReportData({ input: { file: 'examples/llama-2-7b/config.json', text: fixtureText('llama-2-7b') }, options: {}, generator: 'test', now: new Date('2026-01-01T00:00:00Z') });
  assert.ok(d.quality.evidence.length > 5);
  for (const e of d.quality.evidence) {
    const c = metricClass(e.metric);
    assert.ok(c, e.metric);
    assert.equal(e.metricKind, c.kind ?? undefined);
    assert.ok(e.baselineLabel && e.modelScale && e.trainingBudget, `${e.variant} ${e.metric}: baseline label, model, budget`);
    const n = Number(e.changePoints !== undefined) + Number(e.changePercent !== undefined) + Number(e.uncharted !== undefined);
    assert.equal(n, 1, `${e.variant} ${e.metric}: exactly one of changePoints, changePercent, uncharted`);
    if (e.metricKind === 'accuracy' && e.uncharted === undefined) assert.ok(e.changePoints !== undefined);
    if ((e.metricKind === 'perplexity' || e.metricKind === 'generation') && e.uncharted === undefined) assert.ok(e.changePercent !== undefined);
  }
  const mmlu = d.quality.evidence.find((e) => e.variant === 'gqa-8' && e.metric.startsWith('MMLU'))!;
  assert.deepEqual([mmlu.value, mmlu.baseline, mmlu.baselineLabel, mmlu.changePoints, mmlu.modelScale, mmlu.trainingBudget],
    [41.2, 45.2, 'MHA', -4, 'dense 7B (GQA 6.9B, MHA 6.9B parameters)', '1.33T tokens from scratch']);
});
