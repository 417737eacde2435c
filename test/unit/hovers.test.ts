/** Hover content on real configs: the key table's meaning and KV effect, and this model's own numbers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hoverAt, hoverMarkdown } from '../../src/core/hovers';
import { fixtureText } from './helpers';

const input = (name: string) => ({ file: `${name}.json`, text: fixtureText(name) });
const offsetOf = (name: string, key: string): number => fixtureText(name).indexOf(`"${key}"`) + 2;

test('num_key_value_heads on Llama-3.1-8B: meaning, KV effect, and 8 kv heads × 2 × 128 × 2 B = 4,096 B per layer', () => {
  const h = hoverAt(input('llama-3.1-8b'), offsetOf('llama-3.1-8b', 'num_key_value_heads'))!;
  assert.equal(h.field, 'numKvHeads');
  assert.match(h.meaning, /key\/value heads/);
  assert.match(h.kvEffect, /directly proportional/);
  assert.ok(h.derivation.includes('KV heads = 8 (num_key_value_heads (line 18))'), h.derivation.join('\n'));
  assert.ok(h.derivation.some((l) => l === 'bytes per token = Σ over caching layers = 131,072 B (128 KiB)'));
  const md = hoverMarkdown(h, [{ label: 'Profile', uri: 'command:attentionLens.profile' }]);
  assert.match(md, /^\*\*num_key_value_heads\*\* — /);
  assert.match(md, /\[Profile\]\(command:attentionLens\.profile\)$/);
});

test('kv_lora_rank on DeepSeek-V3 shows the latent row: (512 + 64) × 2 B = 1,152 B per layer (FlashMLA, F10.3); off any key there is no hover', () => {
  const h = hoverAt(input('deepseek-v3'), offsetOf('deepseek-v3', 'kv_lora_rank'))!;
  assert.equal(h.key, 'kv_lora_rank');
  assert.ok(h.derivation.some((l) => /\(kv_lora_rank 512 \+ qk_rope_head_dim 64\) × 2 B = 1,152 B/.test(l)), h.derivation.join('\n'));
  assert.equal(hoverAt(input('deepseek-v3'), 0), undefined);
  assert.equal(hoverAt(input('deepseek-v3'), offsetOf('deepseek-v3', 'architectures')), undefined);
});

test('the KV-heads hover says what the savings cost: published rows with their scale and budget, measured errors once a run exists', () => {
  const text = fixtureText('llama-2-7b');
  const offset = text.indexOf('"num_key_value_heads"') + 2;
  const h = hoverAt({ file: 'llama-2-7b.json', text }, offset)!;
  assert.ok(h.quality.some((l) => l.startsWith('mqa: published: ')), h.quality.join('\n'));
  const measured = { weights: { found: true, files: ['model.safetensors'], dtype: 'BF16', layersRead: 32 }, notes: [], conversions: [{ target: 'mqa', kRelError: 0.031, vRelError: 0.054, perLayer: [], what: 'mean-pooled, before any uptraining' }] };
  const withRun = hoverAt({ file: 'llama-2-7b.json', text }, offset, {}, undefined, measured)!;
  assert.ok(withRun.quality.some((l) => l.startsWith("mqa: MQA on this model's weights: K error 3.1%, V error 5.4% (mean-pooled, before any uptraining) · published: ")));
  assert.match(hoverMarkdown(withRun), /\*Quality cost:\*/);
});

test('max_position_embeddings on DeepSeek-V3 when one H100 cannot hold it: the hover says how many GPUs do (2 × 8 H100, as SGLang deploys it)', () => {
  const h = hoverAt(input('deepseek-v3'), offsetOf('deepseek-v3', 'max_position_embeddings'))!;
  assert.equal(h.field, 'maxContext');
  assert.ok(h.derivation.some((l) => /^GPUs needed: 16× H100 SXM 80GB \(TP 8 × PP 2, 2 nodes\) — 8 GPUs of one node cannot hold/.test(l)), h.derivation.join('\n'));
  // Where one GPU holds it, no such line.
  const small = hoverAt(input('llama-3.1-8b'), offsetOf('llama-3.1-8b', 'max_position_embeddings'))!;
  assert.ok(!small.derivation.some((l) => l.startsWith('GPUs needed:')));
});
