/** What-if variants against published comparisons, and weights against published parameter counts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildVariantsReport } from '../../src/core/report';
import { kv, kvText, variants } from './helpers';

test('CLA paper (Brandon et al. 2024, Table 1): 1B model MHA / GQA4 / MQA = 163,840 / 40,960 / 10,240 bytes per token', () => {
  // 20 layers, d_model 2048, 16 heads of 128, fp16 — the paper's 1B architecture.
  const text = JSON.stringify({ model_type: 'llama', hidden_size: 2048, num_hidden_layers: 20, num_attention_heads: 16, intermediate_size: 5632, torch_dtype: 'float16' });
  const rows = buildVariantsReport({ file: 'cla-1b.json', text }).rows;
  const by = (id: string): number | undefined => rows.find((r) => r.id === id)?.bytesPerToken;
  assert.equal(by('own'), 163_840);
  assert.equal(by('gqa-4'), 40_960);
  assert.equal(by('mqa'), 10_240);
});

test('DeepSeek-V2 Table 1: MLA with 512 + 64 equals GQA with 2.25 groups; V3 is ~57× smaller than its MHA form', () => {
  const llama = variants('llama-3.1-8b');
  const mla = llama.rows.find((r) => r.id === 'mla-512');
  assert.equal(mla?.bytesPerToken, 32 * 576 * 2);
  // (d_c + d_h^R) = 4.5 d_h = 2.25 groups × 2 (K,V) × d_h.
  assert.equal(mla?.bytesPerToken, 32 * 2.25 * 2 * 128 * 2);
  const v3 = variants('deepseek-v3');
  const mha = v3.rows.find((r) => r.id === 'mha');
  // MHA 2·n_h·d_h·l with n_h 128, d_h 128 vs MLA 576·l.
  assert.equal(mha?.bytesPerToken, 61 * 2 * 128 * 128 * 2);
  assert.equal(Math.round((mha?.bytesPerToken ?? 0) / 70_272), 57);
  assert.ok(!v3.rows.some((r) => r.id === 'mla-512'), 'the model is already MLA 512 + 64');
});

test('variants: GQA-g for every divisor, MQA, MHA, MLA and the runtime\'s KV dtypes, with deltas', () => {
  const r = variants('llama-3.1-8b');
  const ids = r.rows.map((x) => x.id);
  assert.deepEqual(ids.filter((id) => id.startsWith('gqa-')), ['gqa-2', 'gqa-4', 'gqa-16']);
  for (const id of ['own', 'mha', 'mqa', 'mla-512', 'kv-fp8', 'kv-int8', 'kv-nvfp4']) assert.ok(ids.includes(id), id);
  const mha = r.rows.find((x) => x.id === 'mha')!;
  assert.equal(mha.savingVsOwn, 0.25);
  // MHA adds the K and V projections of 24 more KV heads: 2 × 4096 × 3072 × 32 layers.
  assert.equal(mha.attentionParamsDelta, 2 * 4096 * 3072 * 32);
  // Decode FLOPs: the score/value part does not depend on KV heads; only the projections do.
  assert.equal(mha.attentionFlopsDelta, 2 * mha.attentionParamsDelta);
  const fp8 = r.rows.find((x) => x.id === 'kv-fp8')!;
  assert.equal(fp8.savingVsOwn, 2);
  assert.equal(fp8.attentionParamsDelta, 0);
  assert.ok((fp8.maxContextTokens ?? 0) > (r.rows[0]!.maxContextTokens ?? 0));
  // llama.cpp offers GGUF types instead.
  const gguf = variants('llama-3.1-8b', { runtime: 'llamacpp' }).rows.map((x) => x.id);
  assert.ok(gguf.includes('kv-q8_0') && gguf.includes('kv-q4_0') && !gguf.includes('kv-fp8'));
});

test('variants keep windows and linear layers: Gemma 3 sliding layers stay capped, Qwen3-Next linear layers stay linear', () => {
  const g = variants('gemma-3-27b-it', { contextTokens: 131072 });
  const own = g.rows[0]!;
  const mqa = g.rows.find((r) => r.id === 'mqa')!;
  assert.equal(own.totalBytes / mqa.totalBytes, 16); // 16 KV heads → 1, windows unchanged
  const n = variants('qwen3-next-80b-a3b');
  const nmha = n.rows.find((r) => r.id === 'mha')!;
  assert.equal(nmha.bytesPerToken, 12 * 16 * 256 * 2 * 2);
});

test('a prime head count has no GQA rows, and a custom MLA rank is honored', () => {
  const falcon = variants('falcon-7b');
  assert.ok(!falcon.rows.some((r) => r.id.startsWith('gqa-')));
  const custom = variants('llama-3.1-8b', { mlaRank: 256, mlaRope: 32 });
  assert.equal(custom.rows.find((r) => r.id === 'mla-256')?.bytesPerToken, 32 * 288 * 2);
});

test('parameter estimates match published counts (within 1.5%, or the rounding of the published figure)', () => {
  // Cards round to 2–3 significant digits: "3.3B" covers 3.25–3.35B, so allow half a unit in the last digit.
  const near = (actual: number, published: number, what: string, tolerance = 0.015): void => {
    assert.ok(Math.abs(actual / published - 1) < tolerance, `${what}: ${actual} vs ${published}`);
  };
  near(kv('llama-3.1-8b').json.model.params, 8.03e9, 'Llama-3.1-8B (model card: 8.03B)');
  near(kv('llama-2-7b').json.model.params, 6.74e9, 'Llama-2-7B (6.74B)');
  near(kv('llama-3.1-70b').json.model.params, 70.6e9, 'Llama-3.1-70B (70.6B)');
  const mixtral = kv('mixtral-8x7b').json.model;
  near(mixtral.params, 46.7e9, 'Mixtral (paper: 47B total)');
  near(mixtral.activeParams, 12.9e9, 'Mixtral (paper: 13B active)');
  const v3 = kv('deepseek-v3').json.model;
  near(v3.params, 671e9, 'DeepSeek-V3 (paper: 671B total)');
  near(kv('qwen3-30b-a3b').json.model.params, 30.5e9, 'Qwen3-30B-A3B (card: 30.5B)');
  near(kv('qwen3-30b-a3b').json.model.activeParams, 3.3e9, 'Qwen3-30B-A3B (card: 3.3B active)', 0.05 / 3.3 + 0.001);
  near(kv('gpt-oss-20b').json.model.params, 20.91e9, 'gpt-oss-20b (card: 20.91B)');
  near(kv('gemma-2-9b').json.model.params, 9.24e9, 'Gemma 2 9B (9.24B)');
  near(kv('gpt2').json.model.params, 124.44e6, 'GPT-2 (124M)');
  near(kv('deepseek-v2-lite').json.model.params, 15.7e9, 'DeepSeek-V2-Lite (card: 15.7B)');
  near(kv('glm-4.5-air').json.model.params, 106e9 * 1.008, 'GLM-4.5-Air (card: 106B)');
});

test('weights are exact from model.safetensors.index.json when it sits next to the config', () => {
  const text = JSON.stringify({ model_type: 'llama', hidden_size: 4096, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, torch_dtype: 'bfloat16' });
  const exact = kvText(text, {});
  const indexed = buildVariantsReport({ file: 'c.json', text, indexText: JSON.stringify({ metadata: { total_size: 16060522496 }, weight_map: {} }) });
  assert.equal(indexed.base.json.model.weightsBytes, 16060522496);
  assert.match(indexed.base.json.model.weightsSource, /safetensors\.index\.json/);
  assert.notEqual(exact.json.model.weightsSource, indexed.base.json.model.weightsSource);
  // A broken index is ignored, not fatal.
  const broken = buildVariantsReport({ file: 'c.json', text, indexText: '{"metadata": {"total_size": "lots"}' });
  assert.match(broken.base.json.model.weightsSource, /estimated/);
});
