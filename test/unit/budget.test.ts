/**
 * Budgets against runtime log lines: vLLM's block arithmetic, "Maximum concurrency … Yx" and its
 * "estimated maximum model length", given the KV memory the log says was available.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { budgetFromUsable } from '../../src/core/budget';
import { findGpu, GPU_PRESETS } from '../../src/core/gpus';
import { GiB, kv } from './helpers';

test('vLLM (Llama-3.1-8B, mlperf-automations#550): 4.92 GiB available → "estimated maximum model length is 40304"', () => {
  const r = kv('llama-3.1-8b', { runtime: 'vllm', contextTokens: 131072 });
  const b = budgetFromUsable(r.cost, Math.round(4.92 * GiB), 131072, []);
  assert.equal(b.maxContextTokens, 40304);
  assert.equal(b.fitsModelContext, false);
});

test('vLLM (Llama-3.1-8B on an RTX 3090, vllm#10517): 1952 blocks = 3.81 GiB, "Maximum concurrency for 20000 tokens per request: 1.56x"', () => {
  const r = kv('llama-3.1-8b', { runtime: 'vllm', contextTokens: 20000 });
  const usable = 1952 * 16 * r.cost.bytesPerTokenPerRank;
  assert.equal((usable / GiB).toFixed(2), '3.81');
  const b = budgetFromUsable(r.cost, usable, 131072, [20000]);
  assert.equal(b.cacheTokens, 31232);
  assert.equal(b.concurrency[0]?.concurrencyRatio.toFixed(2), '1.56');
  assert.equal(b.concurrency[0]?.maxConcurrency, 1);
  // Same log, later run: 1478 blocks → "maximum number of tokens that can be stored in KV cache (23648)", 0.82x at 29000.
  const later = budgetFromUsable(kv('llama-3.1-8b', { runtime: 'vllm', contextTokens: 29000 }).cost, 1478 * 16 * 131072, 131072, [29000]);
  assert.equal(later.cacheTokens, 23648);
  assert.equal(later.concurrency[0]?.concurrencyRatio.toFixed(2), '0.82');
  assert.equal(later.maxContextTokens, 23648);
});

test('vLLM (Llama-3-8B on an A100 40GB, vllm#12330): 11.12 GiB → 5691 blocks, "11.12x" at 8192 tokens', () => {
  const r = kv('llama-3.1-8b', { runtime: 'vllm', contextTokens: 8192, gpu: 'a100-40' });
  // The log: total_gpu_memory (39.50GiB) — the A100 40GB preset uses that visible size.
  assert.equal(findGpu('a100-40').memoryBytes, Math.round(39.5 * GiB));
  const usable = 5691 * 16 * 131072;
  assert.equal((usable / GiB).toFixed(2), '11.12');
  const b = budgetFromUsable(r.cost, usable, 131072, [8192]);
  assert.equal(b.cacheTokens / 16, 5691);
  assert.equal(b.concurrency[0]?.concurrencyRatio.toFixed(2), '11.12');
  assert.equal(b.concurrency[0]?.maxConcurrency, 11);
});

test('budget: usable = memory × utilization − weights − reserve, and the weights from a safetensors index are exact', () => {
  const r = kv('llama-3.1-8b', { gpu: 'h100-sxm', utilization: 0.9, reserveGiB: 2 });
  const b = r.budget;
  assert.equal(b.usableBytesPerGpu, Math.floor(80 * GiB * 0.9) - b.weightsBytesPerGpu - 2 * GiB);
  // meta-llama/Llama-3.1-8B: 8.03B parameters in bf16 → ~16.06 GB.
  assert.ok(Math.abs(b.weightsBytes / 1e9 - 16.06) < 0.05, `weights ${b.weightsBytes}`);
  // 3 requests of 128k fit on an H100 80GB (16 GiB each, ~55 GiB free).
  assert.equal(b.concurrency.find((c) => c.contextTokens === 131072)?.maxConcurrency, 3);
});

test('budget: windowed models fit far longer contexts, and linear-attention state is charged per sequence', () => {
  const gemma = kv('gemma-3-27b-it', { gpu: 'h200' });
  const asFull = gemma.budget.usableBytesPerGpu / gemma.json.kv.bytesPerToken;
  assert.ok((gemma.budget.maxContextTokens ?? 0) > 4 * asFull, 'sliding layers stop growing at 1024 tokens');
  const next = kv('qwen3-next-80b-a3b', { gpu: 'h200', tp: 2 });
  assert.ok(next.budget.fits);
  assert.ok(next.json.kv.stateBytes > 0);
});

test('budget: weights that do not fit say so instead of a negative context', () => {
  const r = kv('deepseek-v3', { gpu: 'h100-sxm' });
  assert.equal(r.budget.fits, false);
  assert.equal(r.budget.maxContextTokens, null);
  assert.ok(r.budget.concurrency.every((c) => c.maxConcurrency === 0));
});

test('GPU presets: every one has memory, bandwidth and a source; the required set is present', () => {
  for (const id of ['h100-sxm', 'h100-pcie', 'h200', 'b200', 'a100-40', 'a100-80', 'l40s', 'l4', 'rtx-3090', 'rtx-4090', 'rtx-5090', 'mi300x', 'm4-max']) {
    const g = findGpu(id);
    assert.ok(g.memoryBytes > 0 && g.bandwidthGBps > 0 && g.source.length > 10, id);
  }
  assert.ok(GPU_PRESETS.every((g) => g.vendor !== 'Apple' || (g.unified === true && g.defaultUtilization < 0.9)));
  assert.throws(() => findGpu('tpu-v5'), /unknown GPU "tpu-v5"; choose one of/);
  // Vendor figures: H100 SXM 3.35 TB/s, H200 141 GB at 4.8 TB/s, MI300X 192 GB at 5.3 TB/s.
  assert.equal(findGpu('h100').bandwidthGBps, 3350);
  assert.equal(findGpu('h200').marketedGB, 141);
  assert.equal(findGpu('mi300x').bandwidthGBps, 5300);
});
