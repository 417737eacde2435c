/**
 * Profile plans from real configs: the kernels measure each model's own attention with its public
 * shape, and the bytes a decode kernel must read are the KV cache the public sources report.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveAttentionSpec } from '../../src/core/attentionSpec';
import { loadModelConfig } from '../../src/core/modelConfig';
import { buildProfilePlan, kernelWork, kernelWorkDerivation, type KernelCase, type ProfileOptions } from '../../src/core/profilePlan';
import { UsageError } from '../../src/core/errors';
import { profileCaseDerivation } from '../../src/core/text/renderProfile';
import { isWorkerEvent, isWorkerRequest } from '../../src/shared/profileProtocol';
import { fixtureText, MiB } from './helpers';

function plan(name: string, options: ProfileOptions = {}) {
  return buildProfilePlan(deriveAttentionSpec(loadModelConfig(`${name}.json`, fixtureText(name))), options);
}
const find = (cases: KernelCase[], id: string, mode = 'decode', context?: number): KernelCase => {
  const c = cases.find((x) => x.id === id && x.mode === mode && (context === undefined || x.contextTokens === context));
  assert.ok(c, `case ${id} ${mode} ${context ?? ''}`);
  return c;
};
/** KV bytes of the decode read, without the queries read and outputs written (f32). */
const kvRead = (c: KernelCase, elemBytes: number): number => kernelWork(c, elemBytes).bytes - c.batch * c.qHeads * (c.headDim + c.vHeadDim) * 4;

test('Llama-2-7B: one decode layer at 4096 tokens reads 64 MiB of f16 K/V — llama.cpp logs 2048 MiB for 32 layers (F1.1)', () => {
  const p = plan('llama-2-7b', { variants: 'own', contexts: [4096], mode: 'decode' });
  const c = find(p.cases, 'mha');
  assert.equal(c.own, true);
  assert.deepEqual([c.qHeads, c.kvHeads, c.headDim, c.vHeadDim], [32, 32, 128, 128]);
  assert.equal(kvRead(c, 2) * 32, 2048 * MiB);
  // FlashMLA's FLOPs: 2 · Hq · (dk + dv) · tokens.
  assert.equal(kernelWork(c, 2).flops, 2 * 32 * 256 * 4096);
});

test('DeepSeek-V3: MLA absorbed over 576-wide latent rows with V = the first 512 (FlashMLA README, F10.3); 1152 B per token per layer', () => {
  const p = plan('deepseek-v3', { variants: 'own', contexts: [1024], mode: 'decode' });
  const mla = find(p.cases, 'mla');
  assert.deepEqual([mla.qHeads, mla.kvHeads, mla.headDim, mla.vHeadDim, mla.sharedKv], [128, 1, 576, 512, true]);
  assert.equal(kvRead(mla, 2), 1152 * 1024);
  assert.ok(Math.abs(mla.scale - 1 / Math.sqrt(192)) < 1e-12, 'softmax scale of the 128 + 64 query/key dims');
  const naive = find(p.cases, 'mla-naive');
  assert.deepEqual([naive.qHeads, naive.kvHeads, naive.headDim, naive.vHeadDim, naive.sharedKv], [128, 128, 192, 128, false]);
  // The decompressed cache holds 128 · (192 + 128) values per token: 71× the latent's 576.
  assert.equal(kvRead(naive, 2) / kvRead(mla, 2), (128 * 320) / 576);
});

test('default sweep: own, MHA, GQA-8, MQA, MLA and the naive baseline at 1k/4k/16k/32k, decode and prefill', () => {
  const p = plan('llama-3.1-8b');
  assert.deepEqual(p.contexts, [1024, 4096, 16384, 32768]);
  assert.deepEqual(p.modes, ['decode', 'prefill']);
  const ids = [...new Set(p.cases.map((c) => c.id))];
  assert.deepEqual(ids, ['gqa-8', 'mha', 'mqa', 'mla-512', 'naive']);
  assert.equal(find(p.cases, 'gqa-8').own, true);
  assert.equal(p.cases.filter((c) => c.naive && c.mode === 'prefill').length, 0, 'the baseline is decode-only');
  const pre = find(p.cases, 'gqa-8', 'prefill', 4096);
  assert.equal(pre.numQueries, 4096);
  // Causal prefill attends to n(n+1)/2 tokens.
  assert.equal(kernelWork(pre, 2).attendedTokens, (4096 * 4097) / 2);
});

test('a model with a short maximum context is not profiled past it; explicit contexts are kept', () => {
  const p = plan('llama-2-7b'); // max_position_embeddings 4096
  assert.deepEqual(p.contexts, [1024, 4096]);
  assert.ok(p.notes.some((n) => /maximum/.test(n)));
  assert.deepEqual(plan('llama-2-7b', { contexts: [8192, 512] }).contexts, [512, 8192]);
});

test('Gemma 3: sliding layers (window 1024, F13.1) are profiled beside the full layers; the window bounds the read', () => {
  const p = plan('gemma-3-27b-it', { variants: 'own', contexts: [16384], mode: 'decode' });
  const kinds = p.cases.map((c) => `${c.layerKind}:${c.windowTokens}`);
  assert.deepEqual(kinds, ['full:0', 'sliding:1024']);
  const [full, sliding] = p.cases as [KernelCase, KernelCase];
  assert.equal(kvRead(full, 2) / kvRead(sliding, 2), 16);
});

test('Llama 4 Scout: chunked layers (8192, F20.1) attend within their chunk', () => {
  const p = plan('llama-4-scout', { variants: 'own', contexts: [10000], mode: 'decode' });
  const chunked = p.cases.find((c) => c.layerKind === 'chunked')!;
  assert.equal(chunked.chunkTokens, 8192);
  assert.deepEqual([chunked.qHeads, chunked.kvHeads, chunked.headDim], [40, 8, 128]);
  assert.equal(kernelWork(chunked, 2).attendedTokens, 10000 - 8192);
});

test('Qwen3-Next: linear layers are left out with a note; its gated attention layers are profiled', () => {
  const p = plan('qwen3-next-80b-a3b', { variants: 'own', contexts: [1024], mode: 'decode' });
  assert.equal(p.cases.length, 1);
  assert.ok(p.notes.some((n) => /recurrent layers \(linear attention, Mamba, conv\) keep a fixed state and are not profiled/.test(n)));
});

test('variant lists: names, group counts that must divide the heads, and bad names', () => {
  const p = plan('llama-3.1-8b', { variants: ['mha', 'gqa-4', 'gqa2', 'mqa', 'mla256', 'mla-naive', 'own'], contexts: [1024], mode: 'decode' });
  assert.deepEqual(p.cases.map((c) => c.id), ['mha', 'gqa-4', 'gqa-2', 'mqa', 'mla-256', 'mla-naive', 'gqa-8']);
  assert.equal(find(p.cases, 'mla-256').headDim, 256 + 64);
  assert.throws(() => plan('llama-3.1-8b', { variants: ['gqa5'] }), (e: unknown) => e instanceof UsageError && /must divide the model's 32 query heads/.test(e.message));
  assert.throws(() => plan('llama-3.1-8b', { variants: ['gqa'] }), UsageError);
  assert.throws(() => plan('llama-3.1-8b', { variants: ['flash'] }), (e: unknown) => e instanceof UsageError && /unknown variant "flash"/.test(e.message));
  assert.throws(() => plan('llama-3.1-8b', { batch: 0 }), UsageError);
  assert.throws(() => plan('llama-3.1-8b', { contexts: [0] }), UsageError);
});

test('the worker protocol guards reject malformed messages', () => {
  assert.equal(isWorkerEvent({ type: 'progress', done: 1, total: 2, message: 'x' }), true);
  for (const bad of [null, 'done', { type: 'done' }, { type: 'progress', done: '1', total: 2, message: 'x' }, { type: 'result', result: { variant: 'mha' } }, { type: 'nope' }, [1]]) {
    assert.equal(isWorkerEvent(bad), false, JSON.stringify(bad));
  }
  assert.equal(isWorkerRequest({ type: 'run', plan: { cases: [] }, settings: { samples: 30, warmupPasses: 10, maxCaseSeconds: 60 } }), true);
  assert.equal(isWorkerRequest({ type: 'run', plan: { cases: [] }, settings: { samples: 0, warmupPasses: 10, maxCaseSeconds: 60 } }), false);
});

test('--explain: the bytes and FLOPs derivation carries the case\'s own numbers', () => {
  const c = plan('llama-2-7b', { variants: 'own', contexts: [4096], mode: 'decode' }).cases[0]!;
  const lines = kernelWorkDerivation(c, 2);
  assert.match(lines[1]!, /^bytes = 4,096 × 32 kv heads × \(128 \+ 128\) × 2 B \+ 1 × 1 queries × 32 q heads × \(128 \+ 128\) × 4 B = 67,141,632 B$/);
  assert.equal(67_141_632, 64 * MiB + 32 * 256 * 4);
  assert.match(lines[3]!, /^FLOPs = 2 × 32 q heads × \(128 \+ 128\) × 4,096 = 67,108,864$/);
});

test('--explain on matrices: a case run on subgroup matrices names the matrix peak it is a percentage of, with its shape', () => {
  const profilePlan = plan('deepseek-v3', { variants: 'own', contexts: [4096], mode: 'decode' });
  const c = profilePlan.cases[0]!;
  const work = kernelWork(c, 2);
  // 1 ms for the case's FLOPs is flops / 1e9 TFLOP/s; against a 100 TFLOP/s matrix peak that is that / 100 × 100 %.
  const tflops = work.flops / 1e9;
  const result = {
    id: c.id, variant: c.variant, label: c.label, own: c.own, qHeads: c.qHeads, kvHeads: c.kvHeads, headDim: c.headDim, vHeadDim: c.vHeadDim, mode: c.mode,
    layerKind: c.layerKind, windowTokens: c.windowTokens, chunkTokens: c.chunkTokens, context: c.contextTokens, batch: c.batch, storage: 'f16' as const,
    medianUs: 1000, minUs: 990, p90Us: 1010, gbps: work.bytes / 1e6, pctBandwidth: 1, tflops, pctFlops: 1, pctMatrixFlops: tflops, pctRoofline: 1,
    bytes: work.bytes, flops: work.flops, maxAbsError: 1e-3, ok: true, status: 'measured' as const, kernelName: 'mlaMatrix',
  };
  const peaks = { copyGBps: 4000, readGBps: 4300, f32TFlops: 50, f16TFlops: 100, matrixTFlops: 100, matrixShape: 'f16 × f16 → f32 at 16 × 16 × 16', derivation: [] };
  const device = { adapter: 'gpu', backend: 'vulkan', vendor: 'nvidia', architecture: '', features: [], storage: 'f16' as const, timing: 'timestamp' as const, limits: {}, peaks };
  const lines = profileCaseDerivation(profilePlan, { device, results: [result], notes: [], startedAt: '', finishedAt: '' }, result);
  const line = lines.find((l) => l.startsWith('% matrix peak'));
  assert.equal(line, `% matrix peak = ${tflops.toFixed(5)} / 100.00000 measured subgroup-matrix TFLOP/s (f16 × f16 → f32 at 16 × 16 × 16) = ${tflops.toFixed(1)}%`);
  // Without a matrix figure, no such line.
  assert.equal(profileCaseDerivation(profilePlan, { device, results: [result], notes: [], startedAt: '', finishedAt: '' }, { ...result, pctMatrixFlops: undefined }).some((l) => l.startsWith('% matrix')), false);
});

test('--explain with f16 products: a tile2 MLA case that multiplied in f16 names the f16 FMA peak it is a percentage of', () => {
  const profilePlan = plan('deepseek-v3', { variants: 'own', contexts: [4096], mode: 'decode' });
  const c = profilePlan.cases[0]!;
  const work = kernelWork(c, 2);
  // 1 ms for the case's FLOPs is flops / 1e9 TFLOP/s; against an 80 TFLOP/s f16 FMA peak that is that / 80 × 100 %.
  const tflops = work.flops / 1e9;
  const pctF16Flops = (tflops / 80) * 100;
  const result = {
    id: c.id, variant: c.variant, label: c.label, own: c.own, qHeads: c.qHeads, kvHeads: c.kvHeads, headDim: c.headDim, vHeadDim: c.vHeadDim, mode: c.mode,
    layerKind: c.layerKind, windowTokens: c.windowTokens, chunkTokens: c.chunkTokens, context: c.contextTokens, batch: c.batch, storage: 'f16' as const,
    medianUs: 1000, minUs: 990, p90Us: 1010, gbps: work.bytes / 1e6, pctBandwidth: 1, tflops, pctFlops: 1, pctF16Flops, pctRoofline: 1,
    bytes: work.bytes, flops: work.flops, maxAbsError: 1e-3, ok: true, status: 'measured' as const, kernelName: 'tile2', products: 'f16' as const,
  };
  const peaks = { copyGBps: 4000, readGBps: 4300, f32TFlops: 40, f16TFlops: 80, derivation: [] };
  const device = { adapter: 'gpu', backend: 'vulkan', vendor: 'amd', architecture: '', features: [], storage: 'f16' as const, timing: 'timestamp' as const, limits: {}, peaks };
  const report = { device, results: [result], notes: [], startedAt: '', finishedAt: '' };
  const line = profileCaseDerivation(profilePlan, report, result).find((l) => l.startsWith('% f16 FMA'));
  assert.equal(line, `% f16 FMA = ${tflops.toFixed(5)} / 80.00000 measured f16 FMA TFLOP/s (its products are f16, its sums f32) = ${pctF16Flops.toFixed(1)}%`);
  // An f32-products case has no such line.
  assert.equal(profileCaseDerivation(profilePlan, report, { ...result, pctF16Flops: undefined, products: 'f32' as const }).some((l) => l.startsWith('% f16')), false);
});
