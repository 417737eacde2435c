/**
 * Code-lens titles on real configs, checked against public figures (test/fixtures/PUBLIC_FACTS.md):
 * each lens sits on the key it is about, at that key's line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeLenses, type LensModel } from '../../src/core/lenses';
import { fixtureText } from './helpers';

const lenses = (name: string, options = {}): LensModel[] => computeLenses({ file: `${name}.json`, text: fixtureText(name) }, options);
const lineOf = (name: string, key: string): number => fixtureText(name).split('\n').findIndex((l) => l.includes(`"${key}"`));

test('Llama-3.1-8B: GQA 32/8 at 128 KiB per token; 16.0 GiB at 131,072 tokens (vLLM log F3.6) fits 3× on an H100', () => {
  const ls = lenses('llama-3.1-8b');
  const [attention, profile, compare, context] = ls;
  assert.equal(attention!.title, 'GQA · 32 q / 8 kv heads · 128 KiB/token');
  assert.equal(attention!.key, 'num_key_value_heads');
  assert.equal(attention!.range.start.line, lineOf('llama-3.1-8b', 'num_key_value_heads'));
  assert.equal(attention!.action, 'openReport');
  assert.deepEqual([profile!.title, profile!.action, compare!.title, compare!.action], ['$(play) Profile', 'profile', 'Compare variants', 'compareVariants']);
  assert.equal(context!.title, 'KV at 131,072 tokens: 16.0 GiB (bf16) · fits 3× on H100 SXM 80GB');
  assert.equal(context!.key, 'max_position_embeddings');
  // Beside the budget lens, on the same key: the budget as a launch command.
  const copy = ls[4]!;
  assert.deepEqual([copy.title, copy.action, copy.key], ['$(copy) Copy launch command', 'copyLaunchCommand', 'max_position_embeddings']);
  assert.match(copy.tooltip, /vLLM, SGLang or llama\.cpp command sized by this budget \(1× H100 SXM 80GB/);
  assert.equal(ls.length, 5, 'no layer-mix lens for an all-full model');
});

test('no launch lens when no count of the GPU holds the model (DeepSeek-V3 on a 1 GiB GPU)', () => {
  assert.ok(lenses('deepseek-v3', { gpu: 'h200' }).some((l) => l.action === 'copyLaunchCommand'));
  assert.ok(!lenses('deepseek-v3', { gpuMemGiB: 1 }).some((l) => l.action === 'copyLaunchCommand'));
});

test('Llama-2-7B: MHA at 512 KiB per token (llama.cpp log F1.1: 2048 MiB at 4096 tokens)', () => {
  const [attention, , , context] = lenses('llama-2-7b');
  assert.equal(attention!.title, 'MHA · 32 q / 32 kv heads · 512 KiB/token');
  assert.match(context!.title, /^KV at 4,096 tokens: 2\.00 GiB \(/);
});

test('DeepSeek-V3: MLA latent 576 at 68.6 KiB per token (FlashMLA F10.3: 1152 B × 61 layers), on kv_lora_rank', () => {
  const [mla] = lenses('deepseek-v3');
  assert.equal(mla!.key, 'kv_lora_rank');
  // MHA with DeepSeek-V3's value head size: 128 heads × 2 × 128 × 2 B × 61 layers = 3,997,696 B → 56.9×.
  assert.equal(mla!.title, 'MLA latent 576 · 68.6 KiB/token · 56.9× less than MHA');
});

test('layer mix on the pattern key: Gemma 3 (5 local : 1 global, F13.1) and gpt-oss-20b (alternating, F18.1)', () => {
  const gemma = lenses('gemma-3-27b-it').find((l) => /layers$/.test(l.title));
  assert.equal(gemma?.title, '52 sliding (1,024) + 10 full layers');
  const oss = lenses('gpt-oss-20b').find((l) => /layers$/.test(l.title));
  assert.equal(oss?.title, '12 sliding (128) + 12 full layers');
  assert.equal(oss?.key, 'layer_types');
});

test('lens numbers follow the chosen GPU, KV dtype and context settings', () => {
  const [, , , context] = lenses('llama-3.1-8b', { gpu: 'rtx-4090', kvDtype: 'fp8', contextTokens: 32768 });
  assert.match(context!.title, /^KV at 32,768 tokens: 2\.00 GiB \(fp8\) · fits \d+× on GeForce RTX 4090 24GB$/);
  const [attention] = lenses('llama-3.1-8b', { kvDtype: 'fp8' });
  assert.equal(attention!.title, 'GQA · 32 q / 8 kv heads · 64.0 KiB/token');
});

test('DeepSeek-V3 on one H100: the weights (671B params, fp8 checkpoint) leave no room, and the lens says how many GPUs do', () => {
  const context = lenses('deepseek-v3').find((l) => l.key === 'max_position_embeddings');
  // SGLang's DeepSeek V3 guide: FP8 on "2 x 8 x H100"; the tooltip says why one GPU cannot.
  assert.match(context!.title, /^KV at 163,840 tokens: .* · needs 16× H100 SXM 80GB \(TP 8 × PP 2, 2 nodes\): fits \d+× there$/);
  assert.match(context!.tooltip, /H100 SXM 80GB cannot hold 627 GiB of weights and one 163,840-token request .* GPUs needed: 8 GPUs of one node cannot hold/);
  assert.match(lenses('deepseek-v3', { gpu: 'h200' }).find((l) => l.key === 'max_position_embeddings')!.title, /needs 8× H200 SXM 141GB \(TP 8\): fits \d+× there$/);
  const tp8 = lenses('deepseek-v3', { gpu: 'h200', tp: 8 }).find((l) => l.key === 'max_position_embeddings');
  assert.match(tp8!.title, /fits \d+× on 8× H200 SXM 141GB$/);
});
