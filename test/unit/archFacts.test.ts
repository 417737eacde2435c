/**
 * The architectures of 2025–26, each checked against a fact outside this engine: a runtime's log line,
 * a model card, a weight table, or the cache shapes the modeling code allocates. Every number below is
 * the one test/fixtures/ARCH_FACTS.md derives (with the quoted code and its commit) — never our output.
 * Configs saying float32 are priced at bf16 (--kv-dtype bf16), as the facts are.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureText, kv, kvText, MiB } from './helpers';
import type { ReportOptions } from '../../src/core/report';

const bf16: ReportOptions = { kvDtype: 'bf16' };
const kinds = (name: string) => kv(name).json.attention.layerKinds;

test('Jamba 1.5 Mini: attention on layers 4, 12, 20, 28 (i % 8 == 4), Mamba-1 elsewhere', () => {
  // configuration_jamba.py layers_block_type; modeling_jamba.py HybridMambaAttentionDynamicCache.
  const r = kv('jamba-1.5-mini');
  assert.equal(r.json.exact, true);
  assert.deepEqual(r.json.kv.perLayer.filter((l) => l.bytesPerToken > 0).map((l) => l.layer), [4, 12, 20, 28]);
  assert.equal(r.json.kv.bytesPerToken, 16_384); // 4 × 8 × (128 + 128) × 2 B
  assert.equal(kinds('jamba-1.5-mini').mamba, 28);
  // d_inner 8192, d_state 16, d_conv 4: vLLM keeps 3 conv columns, transformers 4.
  assert.equal(kv('jamba-1.5-mini', { runtime: 'vllm' }).json.kv.stateBytes, 8_716_288);
  assert.equal(r.json.kv.stateBytes, 9_175_040);
  assert.equal(kv('jamba-1.5-mini', { runtime: 'llamacpp' }).json.kv.stateBytes, 17_432_576); // all f32
});

test('Granite-4.0-H-Small: layer_types "mamba"/"attention" (4 attention of 40), Mamba-2 state', () => {
  const r = kv('granite-4.0-h-small', { runtime: 'vllm' });
  assert.equal(r.json.exact, true);
  assert.equal(r.json.kv.bytesPerToken, 16_384);
  assert.equal(r.json.kv.stateBytes, 77_322_240);
});

test('Bamba-9B-v2: attn_layer_indices (0-based) attention, Mamba-2 elsewhere', () => {
  const r = kv('bamba-9b-v2', { ...bf16, runtime: 'vllm' });
  assert.equal(r.json.exact, true);
  assert.equal(r.json.kv.bytesPerToken, 12_288);
  // The file says float32: the state is kept at 4 B per element, twice the bf16 fact of 62,287,360 B.
  assert.equal(r.json.kv.stateBytes, 2 * 62_287_360);
});

test('Nemotron-H 8B and 47B: hybrid_override_pattern — * attention, M Mamba-2, - MLP (no cache)', () => {
  // vLLM's NemotronHForCausalLMConfig hook keeps the SSM state in mamba_ssm_cache_dtype, float32 when the
  // config omits it (NemotronHConfig's default too): conv bf16 + SSM f32 (ARCH_FACTS §4–5).
  const small = kv('nemotron-h-8b-base-8k', { runtime: 'vllm' });
  assert.equal(small.json.exact, true);
  assert.deepEqual({ full: small.json.attention.layerKinds.full, mamba: small.json.attention.layerKinds.mamba, none: small.json.attention.layerKinds.none }, { full: 4, mamba: 24, none: 24 });
  assert.deepEqual(small.json.kv.perLayer.filter((l) => l.bytesPerToken > 0).map((l) => l.layer), [7, 18, 29, 40]);
  assert.equal(small.json.kv.bytesPerToken, 16_384);
  assert.equal(small.json.kv.stateBytes, 102_137_856);
  assert.equal(kv('nemotron-h-8b-base-8k', { runtime: 'llamacpp' }).json.kv.stateBytes, 103_612_416); // all f32
  const big = kv('nemotron-h-47b-reasoning-128k', { runtime: 'vllm' });
  assert.equal(big.json.kv.bytesPerToken, 20_480);
  assert.equal(big.json.kv.stateBytes, 760_504_320);
});

test('Llama-3.3-Nemotron-Super-49B: block_configs — no_op blocks hold nothing, kv heads = 64 / n_heads_in_group', () => {
  const r = kv('llama-3.3-nemotron-super-49b');
  assert.equal(r.json.exact, true);
  assert.equal(r.json.kv.bytesPerToken, 200_704);
  assert.ok(r.json.attention.layerKinds.none > 0);
});

test('Kimi-Linear: linear_attn_config lists are 1-indexed; MLA latent on the full layers, KDA state in f32 (vLLM)', () => {
  const r = kv('kimi-linear-48b-a3b-instruct', { runtime: 'vllm' });
  assert.equal(r.json.exact, true);
  assert.equal(r.json.kv.bytesPerToken, 8_064); // 7 MLA layers × 576 × 2 B
  assert.equal(r.json.kv.stateBytes, 43_417_600);
});

test('Qwen3.5-27B: 16 full-attention layers (Q4_0 KV 1152 MiB at 64K) and 48 Gated DeltaNet states (llama.cpp f32)', () => {
  // Luce-Org/lucebox PR #21: "KV @ 64K | … | 1152 MiB"; llama.cpp PR #23792: R (f32) 11.25 MiB + S (f32) 288 MiB for 2 seqs.
  const q4 = kv('qwen3.5-27b', { runtime: 'llamacpp', kvDtype: 'q4_0', contextTokens: 65_536 });
  assert.equal(q4.json.kv.totalBytes, 1152 * MiB);
  const cpp = kv('qwen3.5-27b', { runtime: 'llamacpp', contextTokens: 4096 });
  assert.equal(cpp.json.kv.stateBytes * 2, (11.25 + 288) * MiB);
  assert.equal(kv('qwen3.5-27b', { runtime: 'vllm' }).json.kv.stateBytes, 78_446_592); // all bf16
  assert.equal(kv('qwen3.5-27b').json.kv.bytesPerToken, 65_536);
});

test('Mamba 2.8B: no attention at all — 0 B per token, "each KV slot takes 23.75 MiB" in llama.cpp', () => {
  // ggml-org/llama.cpp PR #5328 (compilade): "For Mamba 3B, each KV slot takes 23.75 MiB".
  const r = kv('mamba-2.8b-hf', { runtime: 'llamacpp' });
  assert.equal(r.json.exact, true);
  assert.equal(r.json.attention.variant, 'none');
  assert.equal(r.json.kv.bytesPerToken, 0);
  assert.equal(r.json.kv.totalBytes, 0);
  assert.equal(r.json.kv.stateBytes, 23.75 * MiB);
});

test('Falcon-Mamba-7B: the mixer is intermediate_size (8192) wide, not expand × hidden', () => {
  const r = kv('falcon-mamba-7b', { runtime: 'vllm' });
  assert.equal(r.json.kv.stateBytes, 19_922_944);
});

test('GPT-BigCode (SantaCoder, StarCoder): multi_query → one KV head', () => {
  const santa = kv('gpt-bigcode-santacoder', bf16);
  assert.equal(santa.json.attention.variant, 'mqa');
  assert.equal(santa.json.kv.bytesPerToken, 12_288);
  assert.equal(kv('starcoder', bf16).json.kv.bytesPerToken, 20_480);
});

test('Command A: sliding_window_pattern 4 — 48 sliding (4096) + 16 full; 2.75 GiB at 32k', () => {
  const r = kv('command-a-03-2025', { contextTokens: 32_768 });
  assert.equal(r.json.exact, true);
  assert.equal(r.json.kv.bytesPerToken, 262_144);
  assert.equal(r.json.kv.totalBytes, 2_952_790_016);
});

test('EXAONE 4.5, GLM-4-0414, Qwen3-VL-MoE, Llama-4 Maverick, LFM2, MiniMax: per-token bytes', () => {
  assert.equal(kv('exaone-4.5-33b').json.kv.bytesPerToken, 262_144);
  assert.equal(kv('glm-4-32b-0414').json.kv.bytesPerToken, 62_464);
  assert.equal(kv('qwen3-vl-30b-a3b-instruct').json.kv.bytesPerToken, 98_304);
  assert.equal(kv('llama-4-maverick').json.kv.bytesPerToken, 196_608);
  for (const [name, state] of [['lfm2-8b-a1b', 147_456], ['lfm2-vl-1.6b', 81_920]] as const) {
    const r = kv(name, { runtime: 'vllm' });
    assert.equal(r.json.exact, true, name);
    assert.equal(r.json.kv.bytesPerToken, 12_288, name);
    assert.equal(r.json.kv.stateBytes, state, name);
  }
  const m1 = kv('minimax-m1-40k', { ...bf16, runtime: 'vllm' });
  assert.equal(m1.json.kv.bytesPerToken, 40_960);
  assert.equal(m1.json.kv.stateBytes, 2 * 146_800_640); // float32 file: twice the bf16 fact
  assert.equal(kv('minimax-m2', bf16).json.kv.bytesPerToken, 253_952);
});

test('Gemma 4 E2B: full layers 512 wide (global_head_dim), the last 20 layers share K/V — 9 MiB at 512, 30 MiB at 4096, 774 MiB at 128k', () => {
  // modeling_gemma4.py: head_dim = global_head_dim if not sliding; is_kv_shared_layer = layer_idx >= num_hidden_layers − num_kv_shared_layers.
  const at = (contextTokens: number) => kv('gemma-4-e2b', { contextTokens }).json;
  const r = at(4096);
  assert.equal(r.exact, true, r.warnings.map((w) => w.key).join(', '));
  assert.deepEqual({ full: r.attention.layerKinds.full, sliding: r.attention.layerKinds.sliding, shared: r.attention.layerKinds.shared }, { full: 3, sliding: 12, shared: 20 });
  assert.equal(r.kv.bytesPerToken, 18_432);
  assert.equal(at(512).kv.totalBytes, 9 * MiB);
  assert.equal(r.kv.totalBytes, 30 * MiB);
  assert.equal(at(131_072).kv.totalBytes, 774 * MiB);
});

test('Gemma-3n (Gemma3nTextConfig defaults): every 5th layer full, the last 15 of 35 layers share K/V — 20 layers cache', () => {
  // configuration_gemma3n.py: layer_types "full_attention" if (i + 1) % 5 == 0; num_kv_shared_layers 15,
  // num_key_value_heads 2, head_dim 256, sliding_window 512; modeling_gemma3n.py is_kv_shared_layer.
  const r = kvText(JSON.stringify({ model_type: 'gemma3n_text', torch_dtype: 'bfloat16' }), { contextTokens: 4096 }).json;
  assert.equal(r.exact, true, r.warnings.map((w) => w.code).join(', '));
  assert.deepEqual({ full: r.attention.layerKinds.full, sliding: r.attention.layerKinds.sliding, shared: r.attention.layerKinds.shared }, { full: 4, sliding: 16, shared: 15 });
  assert.equal(r.kv.bytesPerToken, 20 * 2 * (256 + 256) * 2);
  assert.equal(r.kv.totalBytes, 16 * 2 * 512 * 2 * 512 + 4 * 2 * 512 * 2 * 4096);
});

test('MiMo-V2.5: hybrid_layer_pattern — 39 sliding (128) layers of 8 KV heads, 9 full of 4, K 192 / V 128 everywhere', () => {
  // vLLM mimo_v2_flash.py (swa_num_key_value_heads, swa_head_dim, swa_v_head_dim); the qkv_proj weight table.
  const at = (contextTokens: number) => kv('mimo-v2.5', { contextTokens, kvDtype: 'bf16' }).json;
  const r = at(4096);
  assert.equal(r.exact, true, r.warnings.map((w) => w.key).join(', '));
  assert.equal(r.kv.bytesPerToken, 222_720);
  assert.equal(r.kv.totalBytes, 119_930_880);
  assert.equal(at(32_768).kv.totalBytes, 780_533_760);
  assert.equal(at(1_048_576).kv.totalBytes, 24_184_750_080);
});

test("structures not modelled are flagged, never clean: transformers 5's per_layer_config, a MiMo hybrid_block_size", () => {
  const llama = JSON.parse(fixtureText('llama-3.1-8b')) as Record<string, unknown>;
  const perLayer = kvText(JSON.stringify({ ...llama, per_layer_config: { '3': { num_key_value_heads: 2 } } })).json;
  assert.equal(perLayer.exact, false);
  assert.ok(perLayer.warnings.some((w) => w.kvMayBeWrong && w.key === 'per_layer_config'));
  const mimo = JSON.parse(fixtureText('mimo-v2.5')) as Record<string, unknown>;
  const blocks = kvText(JSON.stringify({ ...mimo, hybrid_block_size: 6 })).json;
  assert.equal(blocks.exact, false);
  assert.ok(blocks.warnings.some((w) => w.kvMayBeWrong && w.key === 'hybrid_block_size'));
});

test('layer rules of transformers 5.18 families without layer_types: OLMo 3, AFMoE, Granite SWA, SmolLM3, MiMo-V2-Flash', () => {
  // Each rule as its configuration_*.py __post_init__ writes layer_types (transformers v5.18.0).
  const full = (text: Record<string, unknown>) => kvText(JSON.stringify({ hidden_size: 1024, num_attention_heads: 8, torch_dtype: 'bfloat16', ...text })).json.kv.perLayer.filter((l) => l.kind === 'full').map((l) => l.layer);
  // olmo3: "sliding_attention" if (i + 1) % 4 != 0 else "full_attention"
  assert.deepEqual(full({ model_type: 'olmo3', num_hidden_layers: 8, sliding_window: 4096 }), [3, 7]);
  // afmoe: "sliding_attention" if bool((i + 1) % global_attn_every_n_layers) else "full_attention"
  assert.deepEqual(full({ model_type: 'afmoe', num_hidden_layers: 9, global_attn_every_n_layers: 3, sliding_window: 1024 }), [2, 5, 8]);
  // granite_swa: "full_attention" if i % 4 == 0 else "sliding_attention"
  assert.deepEqual(full({ model_type: 'granite_swa', num_hidden_layers: 8, sliding_window: 128 }), [0, 4]);
  // smollm3: NoPE layers (no_rope_layers 0, every 4th by default) slide when use_sliding_window is on
  assert.deepEqual(full({ model_type: 'smollm3', num_hidden_layers: 8, use_sliding_window: true, sliding_window: 4096 }), [0, 1, 2, 4, 5, 6]);
  assert.deepEqual(full({ model_type: 'smollm3', num_hidden_layers: 8 }), [0, 1, 2, 3, 4, 5, 6, 7]);
  // mimo_v2_flash: "full_attention" if (i == 0 or not ((i + 1) % 6)); SWA layers num_key_value_heads * 2
  const flash = kvText(JSON.stringify({ model_type: 'mimo_v2_flash', hidden_size: 4096, num_hidden_layers: 12, num_attention_heads: 64, num_key_value_heads: 4, head_dim: 192, v_head_dim: 128, sliding_window: 128, torch_dtype: 'bfloat16' })).json;
  assert.equal(flash.exact, true);
  assert.deepEqual(flash.kv.perLayer.filter((l) => l.kind === 'full').map((l) => l.layer), [0, 5, 11]);
  assert.equal(flash.kv.bytesPerToken, 3 * 4 * (192 + 128) * 2 + 9 * 8 * (192 + 128) * 2);
});

test('a pattern key the family does not read is said, not ignored: sliding_window_pattern in a Llama config', () => {
  const llama = JSON.parse(fixtureText('llama-3.1-8b')) as Record<string, unknown>;
  const r = kvText(JSON.stringify({ ...llama, sliding_window: 4096, sliding_window_pattern: 4 })).json;
  assert.equal(r.exact, false);
  assert.ok(r.warnings.some((w) => w.key === 'sliding_window_pattern' && /not read by LlamaConfig's layer rule/.test(w.message)));
});
