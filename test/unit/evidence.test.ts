/**
 * The published-evidence table (src/core/evidence.ts): every row carries its source, scale, budget and
 * caveat; the target grammar; the ordering of evidenceFor; and no number that the sources do not give —
 * each value and baseline must appear in ../shared/reference/quality.md or in the verification record
 * test/fixtures/EVIDENCE_SOURCES.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { EVIDENCE, evidenceFor, evidenceLine, parseTarget } from '../../src/core/evidence';
import { ROOT } from './helpers';

/**
 * The team's quality reference (../shared/reference/quality.md beside the checkout) as a snapshot in the
 * repository, so CI — a clean clone without ../shared — checks provenance too; the test below holds the
 * snapshot to the shared file wherever that one is present.
 */
const QUALITY_MD = path.join(ROOT, 'test', 'fixtures', 'reference', 'quality.md');
const SHARED_QUALITY_MD = path.resolve(ROOT, '..', 'shared', 'reference', 'quality.md');
const SOURCES_MD = path.join(ROOT, 'test', 'fixtures', 'EVIDENCE_SOURCES.md');

/** Whether `x` is written in `text` as a number (5.4 as "5.4" or "5.40"), not as part of a longer one. */
function writtenIn(text: string, x: number): boolean {
  const forms = new Set([String(x), ...[1, 2, 3, 4].map((d) => x.toFixed(d))].filter((s) => Number(s) === x));
  for (const f of forms) {
    const re = new RegExp(`(?<![\\d.])${f.replace('.', '\\.')}(?![\\d])`);
    if (re.test(text)) return true;
  }
  return false;
}

test('every row has an id, a source, a url, a scale, a budget and a caveat', () => {
  assert.ok(EVIDENCE.length >= 30, `${EVIDENCE.length} rows`);
  const ids = new Set<string>();
  for (const e of EVIDENCE) {
    assert.ok(!ids.has(e.id), `duplicate id ${e.id}`);
    ids.add(e.id);
    for (const key of ['setting', 'modelScale', 'trainingBudget', 'metric', 'baselineLabel', 'source', 'caveat'] as const) {
      assert.ok(e[key].trim().length > 0, `${e.id}: empty ${key}`);
    }
    assert.match(e.url, /^https:\/\//, `${e.id}: url`);
    assert.ok(['trained', 'converted', 'post-hoc'].includes(e.origin), `${e.id}: origin`);
    assert.ok(['paper', 'paper-copy', 'docs', 'repository'].includes(e.verified), `${e.id}: verified`);
    if (e.value === null) assert.ok(e.baseline === null || Number.isFinite(e.baseline), `${e.id}: baseline`);
    else assert.ok(Number.isFinite(e.value), `${e.id}: value`);
    if (e.value === null && e.quote !== undefined) assert.ok(e.quote.length > 0);
  }
});

test('no value is invented: every number appears in quality.md or in the verification record', () => {
  // Where the shared reference sits beside the checkout, the snapshot must be a copy of it.
  if (existsSync(SHARED_QUALITY_MD)) assert.equal(readFileSync(QUALITY_MD, 'utf8'), readFileSync(SHARED_QUALITY_MD, 'utf8'), 'test/fixtures/reference/quality.md is out of date: copy ../shared/reference/quality.md over it');
  const text = readFileSync(QUALITY_MD, 'utf8') + '\n' + readFileSync(SOURCES_MD, 'utf8');
  for (const e of EVIDENCE) {
    for (const x of [e.value, e.baseline]) {
      if (x === null) continue;
      assert.ok(writtenIn(text, x), `${e.id}: ${x} is in neither quality.md nor EVIDENCE_SOURCES.md`);
    }
  }
});

test('every row id appears in the verification record', () => {
  const record = readFileSync(SOURCES_MD, 'utf8');
  for (const e of EVIDENCE) assert.ok(record.includes(e.id), `${e.id} missing from EVIDENCE_SOURCES.md`);
});

test('the transcribed numbers ship as checked against the paper text', () => {
  const byId = new Map(EVIDENCE.map((e) => [e.id, e]));
  const gqa = byId.get('gqa-t5xxl-uptrain')!;
  assert.deepEqual([gqa.value, gqa.baseline, gqa.match.groups, gqa.origin], [47.1, 47.2, 8, 'converted']);
  assert.deepEqual([byId.get('mqa-t5xxl-uptrain')!.value, byId.get('mqa-t5xxl-uptrain')!.baseline], [46.6, 47.2]);
  assert.deepEqual([byId.get('mqa-wmt14-bleu')!.value, byId.get('mqa-wmt14-bleu')!.baseline], [26.5, 26.7]);
  assert.deepEqual([byId.get('mqa-wmt14-lnppl')!.value, byId.get('mqa-wmt14-lnppl')!.baseline], [1.439, 1.424]);
  // KVQuant: 5.72 is the 4-bit configuration WITHOUT outliers; with 1% outliers the paper gives 5.69.
  assert.equal(byId.get('kv-kvquant-4bit-llama7b')!.value, 5.72);
  assert.equal(byId.get('kv-kvquant-4bit-1pct-llama7b')!.value, 5.69);
  assert.equal(byId.get('kv-kvquant-3bit-1pct-llama7b')!.value, 5.75);
  assert.equal(byId.get('kv-kvquant-2bit-1pct-llama7b')!.value, 6.01);
  assert.equal(byId.get('kv-int3-naive-llama7b')!.value, 10.87);
  const sink = byId.get('window-streamingllm-llama2-13b')!;
  assert.deepEqual([sink.value, sink.baseline, sink.match.windowTokens, sink.origin], [5158.07, 5.40, 1024, 'post-hoc']);
  // Fig. 4 gives a ranking, not numbers: the row carries the paper's words and no value.
  const fig4 = byId.get('mqa-t5large-conversion-init')!;
  assert.equal(fig4.value, null);
  assert.match(fig4.quote ?? '', /Mean pooling appears to work best/);
});

test('parseTarget accepts the CLI grammar', () => {
  assert.deepEqual(parseTarget('gqa-4'), { kind: 'gqa', groups: 4, label: 'GQA-4' });
  assert.deepEqual(parseTarget('gqa4'), { kind: 'gqa', groups: 4, label: 'GQA-4' });
  assert.deepEqual(parseTarget('mqa'), { kind: 'mqa', groups: 1, label: 'MQA' });
  assert.deepEqual(parseTarget('mla-256'), { kind: 'mla', rank: 256, label: 'MLA-256' });
  assert.deepEqual(parseTarget('mla256'), { kind: 'mla', rank: 256, label: 'MLA-256' });
  assert.deepEqual(parseTarget('window-4096'), { kind: 'window', windowTokens: 4096, label: 'window 4096' });
  assert.deepEqual(parseTarget(' GQA-8 '), { kind: 'gqa', groups: 8, label: 'GQA-8' });
  const bits: Record<string, number> = { 'kv-int8': 8, 'kv-fp8': 8, 'kv-q8_0': 8, 'kv-int4': 4, 'kv-nvfp4': 4, 'kv-q4_0': 4, 'kv-int2': 2 };
  for (const [target, b] of Object.entries(bits)) {
    const t = parseTarget(target);
    assert.equal(t?.kind, 'kv-quant', target);
    assert.equal(t?.bits, b, target);
  }
});

test('parseTarget rejects junk', () => {
  for (const junk of ['gqa-0', 'gqa-', 'gqa--4', 'gqa-04', 'gqa-4.5', 'kv-int3x', 'kv-', 'kv-fp16', 'mla-', 'mla-0', 'window-', 'window-0', 'mha', '', '   ', 'gqa-99999999999', 'mqa-2']) {
    assert.equal(parseTarget(junk), undefined, JSON.stringify(junk));
  }
});

test("evidenceFor('gqa-8') starts with the T5-XXL GQA-8 row; exact group matches come before neighbours", () => {
  const rows = evidenceFor('gqa-8');
  assert.equal(rows[0]?.id, 'gqa-t5xxl-uptrain');
  const firstNeighbour = rows.findIndex((e) => e.match.groups !== 8);
  assert.ok(firstNeighbour > 0);
  assert.ok(rows.slice(firstNeighbour).every((e) => e.match.groups !== 8), 'exact rows are contiguous at the top');
  assert.ok(rows.every((e) => e.kind === 'gqa' || e.kind === 'mqa'));
  assert.ok(rows.some((e) => e.id === 'gqa-deepseek-dense7b-mmlu' && e.origin === 'trained'));
  // GQA-4 is the nearest neighbour of GQA-8 (one halving); MQA (three) comes after it.
  const near = rows.findIndex((e) => e.id === 'gqa-cla-1b');
  const far = rows.findIndex((e) => e.id === 'mqa-t5xxl-uptrain');
  assert.ok(near >= firstNeighbour && near < far);
});

test('evidenceFor puts rows about a model of closer scale first when params are given', () => {
  const at7b = evidenceFor('gqa-8', { params: 7e9, kvHeads: 8, qHeads: 32 });
  assert.match(at7b[0]!.id, /^gqa-deepseek-dense7b-/);
  const at11b = evidenceFor('gqa-8', { params: 11e9 });
  assert.equal(at11b[0]!.id, 'gqa-t5xxl-uptrain');
  const mqa = evidenceFor('mqa');
  assert.equal(mqa[0]!.match.groups, 1);
  assert.ok(mqa.findIndex((e) => e.value === null) > mqa.findIndex((e) => e.value !== null), 'numbers before words');
});

test("evidenceFor('kv-int8') includes the llama.cpp q8_0 row; kv-q8_0 and kv-fp8 put their own format first", () => {
  const int8 = evidenceFor('kv-int8');
  assert.ok(int8.some((e) => e.id === 'kv-llamacpp-q8_0'));
  assert.ok(int8.every((e) => e.kind === 'kv-quant'));
  assert.equal(int8[0]!.match.bits, 8);
  assert.equal(evidenceFor('kv-q8_0')[0]!.id, 'kv-llamacpp-q8_0');
  assert.equal(evidenceFor('kv-fp8')[0]!.id, 'kv-vllm-fp8-e4m3');
  const int4 = evidenceFor('kv-int4');
  assert.ok(int4.slice(0, 4).every((e) => e.match.bits === 4));
  assert.ok(evidenceFor('kv-int2').slice(0, 3).every((e) => e.match.bits === 2));
});

test("evidenceFor('mla-512') has DeepSeek-V2 rows flagged trained and MHA2MLA rows flagged converted", () => {
  const rows = evidenceFor('mla-512');
  assert.ok(rows.every((e) => e.kind === 'mla'));
  const ds = rows.filter((e) => e.source.includes('DeepSeek-V2'));
  const conv = rows.filter((e) => e.source.includes('MHA2MLA'));
  assert.ok(ds.length >= 4 && ds.every((e) => e.origin === 'trained'));
  assert.ok(conv.length >= 4 && conv.every((e) => e.origin === 'converted'));
  assert.ok(conv.some((e) => e.match.keptFraction === 0.125));
});

test('window targets: exact window first; unknown targets give nothing', () => {
  assert.equal(evidenceFor('window-4096')[0]!.id, 'window-mistral7b-4096');
  assert.ok(evidenceFor('window-1024').slice(0, 3).every((e) => e.match.windowTokens === 1024));
  assert.deepEqual(evidenceFor('mha'), []);
  assert.deepEqual(evidenceFor('kv-fp16'), []);
  assert.deepEqual(evidenceFor(''), []);
});

test('evidenceLine keeps the scale, the budget and the citation', () => {
  const byId = new Map(EVIDENCE.map((e) => [e.id, e]));
  assert.equal(evidenceLine(byId.get('gqa-t5xxl-uptrain')!), 'T5-XXL GQA-8 47.1 vs MHA 47.2 after 5% uptraining (Ainslie et al. 2023)');
  assert.equal(evidenceLine(byId.get('mqa-deepseek-dense7b-ceval')!), 'Dense 7B MQA, C-Eval 30.0 vs MHA 42.9 with both trained on 1.33T tokens (DeepSeek-AI 2024)');
  assert.equal(evidenceLine(byId.get('window-streamingllm-llama2-13b')!), 'Llama-2-13B window-only cache (1024) 5158.07 vs 4 initial "sink" tokens + 1020 recent 5.40 with no retraining (Xiao et al. 2023)');
  assert.match(evidenceLine(byId.get('kv-vllm-fp8-e4m3')!), /^vLLM FP8 E4M3 KV: "Studies have shown .*", with no retraining \(vLLM docs\)$/);
  for (const e of EVIDENCE) {
    const line = evidenceLine(e);
    assert.ok(line.length > 0 && !line.includes('undefined') && !line.includes('NaN'), `${e.id}: ${line}`);
  }
});

test('the table is frozen', () => {
  assert.ok(Object.isFrozen(EVIDENCE));
  assert.ok(Object.isFrozen(EVIDENCE[0]));
  assert.throws(() => { (EVIDENCE[0] as { value: number | null }).value = 0; });
});
