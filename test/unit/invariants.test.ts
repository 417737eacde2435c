/** Properties that hold for every config: they catch formula slips the fact tests cannot enumerate. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { computeKvCost } from '../../src/core/kvCost';
import { withKvHeads } from '../../src/core/variants';
import { FIXTURES, kv, variants } from './helpers';

const ALL = readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));

test('at least 15 real public configs are fixtures, each listed in SOURCES.md', async () => {
  const { readFileSync } = await import('node:fs');
  const sources = readFileSync(`${FIXTURES}/SOURCES.md`, 'utf8');
  assert.ok(ALL.length >= 15, `${ALL.length} fixtures`);
  for (const name of ALL) assert.ok(sources.includes(`${name}.json`), `${name}.json has no row in SOURCES.md`);
});

test('every fixture: finite, integer, non-negative numbers everywhere; bytesPerToken = Σ layers', () => {
  for (const name of ALL) {
    for (const runtime of ['hf', 'vllm', 'llamacpp'] as const) {
      const r = kv(name, { runtime, contextTokens: 32768 });
      const nums: number[] = [];
      JSON.stringify(r.json, (k, v: unknown) => {
        // usableBytesPerGpu is the one signed figure: negative says by how much the weights overflow the GPU.
        if (typeof v === 'number' && k !== 'usableBytesPerGpu') nums.push(v);
        return v;
      });
      assert.ok(nums.every((n) => Number.isFinite(n) && n >= 0), `${name}/${runtime}: a NaN, Infinity or negative number`);
      assert.ok(Number.isFinite(r.json.budget.usableBytesPerGpu));
      assert.equal(r.json.budget.fits, r.json.budget.usableBytesPerGpu > 0);
      assert.equal(r.json.kv.bytesPerToken, r.json.kv.perLayer.reduce((s, l) => s + l.bytesPerToken, 0), name);
      assert.equal(r.json.kv.totalBytes, r.json.kv.perLayer.reduce((s, l) => s + l.totalBytes, 0), name);
      assert.ok(Number.isSafeInteger(r.json.kv.totalBytes), `${name}: totalBytes ${r.json.kv.totalBytes}`);
    }
  }
});

test('GQA with g = query heads equals MHA; MQA has exactly one KV head', () => {
  for (const name of ['llama-3.1-8b', 'mistral-7b-v0.1', 'qwen3-0.6b', 'gemma-3-27b-it']) {
    const r = kv(name);
    const mha = withKvHeads(r.spec, r.spec.qHeads);
    assert.equal(mha.variant, 'mha');
    const opts = r.cost.options;
    assert.equal(computeKvCost(mha, opts).bytesPerToken, r.spec.numLayers * r.spec.qHeads * (r.spec.headDim + r.spec.vHeadDim) * 2, name);
    const mqa = withKvHeads(r.spec, 1);
    assert.ok(mqa.layers.every((l) => l.variant === null || l.kvHeads === 1));
    assert.equal(computeKvCost(mqa, opts).bytesPerToken * r.spec.qHeads, computeKvCost(mha, opts).bytesPerToken);
  }
  // The variants table has no GQA-32 row for a 32-head model: that is MHA.
  const rows = variants('llama-2-7b').rows.map((r) => r.id);
  assert.ok(!rows.includes('gqa-32') && rows.includes('mqa') && rows.includes('gqa-8'));
});

test('totals grow with context and stop growing past a window', () => {
  for (const runtime of ['hf', 'vllm', 'llamacpp'] as const) {
    let previous = 0;
    for (const ctx of [512, 1024, 4096, 8192, 32768, 131072]) {
      const total = kv('llama-3.1-8b', { runtime, contextTokens: ctx }).json.kv.totalBytes;
      assert.ok(total > previous, `${runtime} ${ctx}`);
      previous = total;
    }
  }
  // Mistral v0.1: every layer slides over 4096 → flat past the window (hf).
  const at8k = kv('mistral-7b-v0.1', { contextTokens: 8192 }).json.kv.totalBytes;
  assert.equal(kv('mistral-7b-v0.1', { contextTokens: 1_000_000 }).json.kv.totalBytes, at8k);
  assert.equal(kv('mistral-7b-v0.1', { contextTokens: 4096 }).json.kv.totalBytes, at8k);
  // gpt-oss: the banded layers stay at 128 tokens while the dense ones grow.
  const small = kv('gpt-oss-20b', { contextTokens: 128 }).json.kv.perLayer.filter((l) => l.kind === 'sliding');
  const large = kv('gpt-oss-20b', { contextTokens: 100_000 }).json.kv.perLayer.filter((l) => l.kind === 'sliding');
  assert.deepEqual(small.map((l) => l.totalBytes), large.map((l) => l.totalBytes));
});

test('tensor parallelism never stores fewer than one KV head per rank; MLA is replicated', () => {
  for (const tp of [1, 2, 4, 8, 16, 32]) {
    const r = kv('llama-3.1-8b', { tp, runtime: 'vllm' });
    assert.ok(r.json.kv.perLayer.every((l) => l.kvHeads >= 1));
    assert.equal(r.json.kv.perLayer[0]?.kvHeads, Math.max(1, 8 / tp));
    // Replication past 8 ranks: the cluster total grows, the per-GPU share does not shrink below one head.
    assert.equal(r.json.kv.bytesPerTokenPerGpu, 32 * Math.max(1, 8 / tp) * 128 * 2 * 2);
  }
  const mla = kv('deepseek-v3', { tp: 8, runtime: 'vllm' });
  assert.equal(mla.json.kv.bytesPerTokenPerGpu, 70_272);
  assert.equal(mla.json.kv.bytesPerToken, 8 * 70_272);
  assert.ok(mla.json.notes.some((n) => n.includes('replicated')));
  assert.throws(() => kv('llama-3.1-8b', { tp: 3 }), /--tp 3: 32 query heads are not divisible by 3/);
});

test('KV dtypes: exact bytes with scales, K and V apart', () => {
  const base = kv('llama-3.1-8b').json.kv.bytesPerToken; // bf16
  assert.equal(kv('llama-3.1-8b', { kvDtype: 'fp32' }).json.kv.bytesPerToken, base * 2);
  assert.equal(kv('llama-3.1-8b', { kvDtype: 'fp8' }).json.kv.bytesPerToken, base / 2);
  // int8 per token-head scales: 1 B per value + 4 B per head, K and V.
  assert.equal(kv('llama-3.1-8b', { kvDtype: 'int8' }).json.kv.bytesPerToken, 32 * 8 * 2 * (128 + 4));
  // NVFP4: d/2 + d/16 per head.
  assert.equal(kv('llama-3.1-8b', { kvDtype: 'nvfp4' }).json.kv.bytesPerToken, 32 * 8 * 2 * (64 + 8));
  // GGUF: q8_0 34 B / 32 values, q4_0 18 B / 32 values.
  assert.equal(kv('llama-3.1-8b', { kvDtype: 'q8_0', runtime: 'llamacpp' }).json.kv.bytesPerToken, 32 * 2 * (1024 / 32) * 34);
  assert.equal(kv('llama-3.1-8b', { kvDtype: 'q4_0', runtime: 'llamacpp' }).json.kv.bytesPerToken, 32 * 2 * (1024 / 32) * 18);
  // llama.cpp -ctk q8_0 -ctv f16.
  const mixed = kv('llama-3.1-8b', { kDtype: 'q8_0', vDtype: 'fp16', runtime: 'llamacpp' });
  assert.equal(mixed.json.kv.bytesPerToken, 32 * ((1024 / 32) * 34 + 1024 * 2));
  assert.equal(mixed.json.kv.dtype, 'q8_0/fp16');
  // MLA in older llama.cpp builds: K 576 + V 512.
  assert.equal(kv('deepseek-v3', { runtime: 'llamacpp', llamacppMla: 'k+v' }).json.kv.bytesPerToken, 61 * (576 + 512) * 2);
  // MLA decompressed (transformers' eager DeepSeek code): 128 heads × (192 + 128).
  assert.equal(kv('deepseek-v3', { mlaCache: 'decompressed' }).json.kv.bytesPerToken, 61 * 128 * (192 + 128) * 2);
});

test('runtimes: vLLM pages of 16 and its sliding-window reserve; llama.cpp pads cells to 256', () => {
  // 1000 tokens → 63 pages of 16 = 1008 slots per full layer.
  const v = kv('llama-3.1-8b', { runtime: 'vllm', contextTokens: 1000 });
  assert.ok(v.json.kv.perLayer.every((l) => l.cachedTokens === 1008));
  // Mistral sliding 4096 at 32k in vLLM: ⌈min(4096 − 1 + 8192, 32768)/16⌉ + 1 = 769 pages.
  const m = kv('mistral-7b-v0.1', { runtime: 'vllm', contextTokens: 32768 });
  assert.ok(m.json.kv.perLayer.every((l) => l.cachedTokens === 769 * 16));
  // llama.cpp: 1000 tokens → 1024 cells.
  assert.ok(kv('llama-3.1-8b', { runtime: 'llamacpp', contextTokens: 1000 }).json.kv.perLayer.every((l) => l.cachedTokens === 1024));
  // hf: exact.
  assert.ok(kv('llama-3.1-8b', { contextTokens: 1000 }).json.kv.perLayer.every((l) => l.cachedTokens === 1000));
  // batch multiplies.
  assert.equal(kv('llama-3.1-8b', { contextTokens: 1000, batch: 4 }).json.kv.totalBytes, 4 * 1000 * 131072);
});
