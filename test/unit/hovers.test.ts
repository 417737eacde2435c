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
