/** Parsing and normalization: key ranges, spellings, nesting, class defaults and layer patterns. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readModelConfig, loadModelConfig } from '../../src/core/modelConfig';
import { deriveAttentionSpec } from '../../src/core/attentionSpec';
import { fieldForKey, CONFIG_KEYS } from '../../src/core/configKeys';
import { fixtureText, kv, kvText } from './helpers';

test('every value keeps the range of its key (0-based line and character, like VS Code)', () => {
  const text = '{\n  "model_type": "llama",\n  "hidden_size": 4096,\n  "num_hidden_layers": 32,\n  "num_attention_heads": 32\n}';
  const config = loadModelConfig('c.json', text);
  const source = config.get('hiddenSize')?.source;
  assert.equal(source?.kind, 'key');
  if (source?.kind !== 'key') return;
  assert.equal(source.key, 'hidden_size');
  assert.deepEqual(source.range.start, { line: 2, character: 2 });
  assert.equal(text.slice(source.range.offset, source.range.offset + source.range.length), '"hidden_size"');
});

test('text_config nesting (Gemma 3, Llama 4): keys read inside, dtype from the top level, defaults of the text class', () => {
  const g = kv('gemma-3-27b-it');
  assert.equal(g.json.model.modelType, 'gemma3_text');
  assert.equal(g.config.textPath.join('.'), 'text_config');
  const layers = g.config.get('numLayers')?.source;
  assert.equal(layers?.kind === 'key' ? layers.key : undefined, 'text_config.num_hidden_layers');
  // sliding_window_pattern and max_position_embeddings are omitted in the file: Gemma3TextConfig defaults (6, 131072).
  assert.equal(g.json.kv.contextTokens, 131072);
  assert.ok(g.json.notes.some((n) => n.includes('class defaults (Gemma3TextConfig, transformers src/transformers/models/gemma3/configuration_gemma3.py @ v5.18.0)') && n.includes('max_position_embeddings = 131072')), g.json.notes.join('\n'));
  const wrapped = kvText(JSON.stringify({ model_type: 'llava', torch_dtype: 'float16', text_config: { hidden_size: 4096, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8 } }));
  assert.equal(wrapped.json.model.dtype, 'float16');
  assert.equal(wrapped.json.model.modelType, 'llama');
  assert.equal(wrapped.json.kv.bytesPerToken, 32 * 8 * 128 * 2 * 2);
  const thinker = kvText(JSON.stringify({ model_type: 'qwen2_5_omni', thinker_config: { text_config: { model_type: 'qwen2', hidden_size: 3584, num_hidden_layers: 28, num_attention_heads: 28, num_key_value_heads: 4, torch_dtype: 'bfloat16' } } }));
  assert.equal(thinker.json.kv.bytesPerToken, 28 * 4 * 128 * 2 * 2);
});

test('spellings: GPT-2 n_embd/n_layer/n_head/n_positions, MPT d_model/n_layers/max_seq_len, ChatGLM num_layers/seq_length', () => {
  const gpt2 = kv('gpt2').config;
  assert.equal(gpt2.get('hiddenSize')?.value, 768);
  const mpt = kv('mpt-7b');
  assert.equal(mpt.json.model.hiddenSize, 4096);
  assert.equal(mpt.json.kv.contextTokens, 2048);
  const glm = kv('glm-4-9b-chat');
  assert.equal(glm.json.model.layers, 40);
});

test('MPT attn_type and Falcon flags decide KV heads', () => {
  const base = { model_type: 'mpt', d_model: 4096, n_heads: 32, n_layers: 32, torch_dtype: 'bfloat16' };
  assert.equal(kvText(JSON.stringify({ ...base, attn_config: { attn_type: 'multiquery_attention' } })).json.attention.kvHeads, 1);
  assert.equal(kvText(JSON.stringify({ ...base, attn_config: { attn_type: 'grouped_query_attention', kv_n_heads: 8 } })).json.attention.kvHeads, 8);
  assert.equal(kvText(JSON.stringify(base)).json.attention.kvHeads, 32);
  const falcon = { model_type: 'falcon', hidden_size: 4544, num_hidden_layers: 32, num_attention_heads: 71, torch_dtype: 'bfloat16' };
  assert.equal(kvText(JSON.stringify({ ...falcon, multi_query: false })).json.attention.variant, 'mha');
  assert.equal(kvText(JSON.stringify(falcon)).json.attention.kvHeads, 1); // FalconConfig default multi_query: true
  assert.equal(kvText(JSON.stringify({ ...falcon, num_attention_heads: 128, hidden_size: 8192, new_decoder_architecture: true, num_kv_heads: 8 })).json.attention.kvHeads, 8);
});

test('num_key_value_heads absent or null means MHA; head_dim null means hidden / heads', () => {
  const llama2 = kv('llama-2-7b');
  assert.equal(llama2.json.attention.kvHeads, 32);
  const nulls = kvText(JSON.stringify({ model_type: 'llama', hidden_size: 2048, num_hidden_layers: 4, num_attention_heads: 16, num_key_value_heads: null, head_dim: null, torch_dtype: 'bfloat16' }));
  assert.equal(nulls.json.attention.kvHeads, 16);
  assert.equal(nulls.json.attention.headDim, 128);
});

test('layer patterns: layer_types is authoritative; Qwen2 use_sliding_window with max_window_layers; null windows are off', () => {
  const types = ['sliding_attention', 'full_attention', 'sliding_attention', 'full_attention'];
  const lt = kvText(JSON.stringify({ model_type: 'mistral', hidden_size: 1024, num_hidden_layers: 4, num_attention_heads: 8, num_key_value_heads: 2, sliding_window: 512, layer_types: types, torch_dtype: 'bfloat16' }), { contextTokens: 4096 });
  assert.deepEqual(lt.json.kv.perLayer.map((l) => l.kind), ['sliding', 'full', 'sliding', 'full']);
  const qwen = { model_type: 'qwen2', hidden_size: 1024, num_hidden_layers: 8, num_attention_heads: 8, num_key_value_heads: 2, sliding_window: 512, max_window_layers: 6, torch_dtype: 'bfloat16' };
  assert.deepEqual(kvText(JSON.stringify({ ...qwen, use_sliding_window: true })).json.kv.perLayer.map((l) => l.kind), ['full', 'full', 'full', 'full', 'full', 'full', 'sliding', 'sliding']);
  assert.ok(kvText(JSON.stringify(qwen)).json.kv.perLayer.every((l) => l.kind === 'full'));
  // Mistral v0.2+: sliding_window null turns off the MistralConfig default of 4096.
  assert.ok(kvText(JSON.stringify({ model_type: 'mistral', hidden_size: 4096, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, sliding_window: null, torch_dtype: 'bfloat16' })).json.kv.perLayer.every((l) => l.kind === 'full'));
  // ...and an omitted one takes it.
  assert.ok(kvText(JSON.stringify({ model_type: 'mistral', hidden_size: 4096, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, torch_dtype: 'bfloat16' })).json.kv.perLayer.every((l) => l.kind === 'sliding' && l.windowTokens === 4096));
});

test('layer_types of the wrong length or an unknown type is a clear error', () => {
  const base = { model_type: 'mistral', hidden_size: 1024, num_hidden_layers: 4, num_attention_heads: 8, sliding_window: 512 };
  assert.throws(() => kvText(JSON.stringify({ ...base, layer_types: ['full_attention'] })), /layer_types lists 1 layers but the model has 4/);
  assert.throws(() => kvText(JSON.stringify({ ...base, layer_types: ['full_attention', 'x', 'full_attention', 'full_attention'] })), /layer 1 has type "x"/);
});

test('MiniMax attn_type_list: 0 linear, 1 softmax', () => {
  const r = kvText(JSON.stringify({ model_type: 'minimax', hidden_size: 6144, num_hidden_layers: 8, num_attention_heads: 64, num_key_value_heads: 8, head_dim: 128, attn_type_list: [0, 0, 0, 1, 0, 0, 0, 1], torch_dtype: 'bfloat16' }));
  assert.deepEqual(r.json.attention.layerKinds, { full: 2, sliding: 0, chunked: 0, linear: 6, mamba: 0, conv: 0, shared: 0, none: 0 });
  assert.equal(r.json.kv.bytesPerToken, 2 * 8 * 128 * 2 * 2);
});

test('unknown model_type: generic keys, and the report says what was assumed', () => {
  const r = kvText(JSON.stringify({ model_type: 'brand_new', d_model: 2048, n_layers: 16, n_heads: 16, torch_dtype: 'bfloat16', sliding_window: 1024 }));
  assert.equal(r.json.attention.layerKinds.sliding, 16);
  assert.ok(r.json.notes.some((n) => n.includes('"brand_new" is not one Attention Lens knows')));
  assert.ok(r.json.notes.some((n) => n.includes('max_position_embeddings') || n.includes('assumed 2,048')));
});

test('the key table: one entry per field, reachable from every spelling', () => {
  assert.equal(fieldForKey('n_head_kv'), 'numKvHeads');
  assert.equal(fieldForKey('kv_n_heads'), 'numKvHeads');
  assert.equal(fieldForKey('_sliding_window_pattern'), 'slidingWindowPattern');
  for (const info of Object.values(CONFIG_KEYS)) assert.ok(info.meaning.length > 10);
});

test('readModelConfig collects every issue without throwing; JSON errors carry line and column', () => {
  const c = readModelConfig('c.json', '{\n  "num_hidden_layers": "32",\n  "hidden_size": 4096.5\n}');
  const found = c.issues.map((i) => `${i.key}@${i.range?.start.line}`).sort();
  assert.deepEqual(found, ['hidden_size@2', 'num_hidden_layers@1']);
  const broken = readModelConfig('c.json', '{\n  "a": 1,\n  "b": \n}');
  assert.equal(broken.issues[0]?.code, 'json-syntax');
  assert.equal(broken.issues[0]?.range?.start.line, 3);
  assert.doesNotThrow(() => deriveAttentionSpec(loadModelConfig('x.json', fixtureText('qwen3-next-80b-a3b'))));
});
