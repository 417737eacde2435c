/**
 * KV figures checked against public facts — runtime log lines, model cards, papers — never against
 * our own output. Each expected value is written as the source states it (or as the arithmetic on the
 * numbers the source gives); the fact and where it comes from sit next to the assertion. See
 * test/fixtures/PUBLIC_FACTS.md for the full quotes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GiB, kv, kvText, MiB } from './helpers';

/** Round to 2 decimals the way runtimes print "2048.00 MiB" / "3.81GiB". */
const mib2 = (bytes: number): string => (bytes / MiB).toFixed(2);
const gib2 = (bytes: number): string => (bytes / GiB).toFixed(2);

test('Llama-2-7B: llama.cpp "KV self size = 2048.00 MiB" at 4096 cells (f16)', () => {
  // Arm learning path llama-chatbot.md, llama.cpp log with n_ctx 4096.
  const r = kv('llama-2-7b', { runtime: 'llamacpp', contextTokens: 4096 });
  assert.equal(r.json.attention.variant, 'mha');
  assert.equal(mib2(r.json.kv.totalBytes), '2048.00');
  // NVIDIA "Mastering LLM inference" blog: 2 × 32 layers × 4096 hidden × 2 B = 0.5 MiB per token.
  assert.equal(r.json.kv.bytesPerToken, 2 * 32 * 4096 * 2);
});

test('OPT-13B: PagedAttention paper, "800 KB" per token and "1.6 GB" for 2048 tokens', () => {
  // Kwon et al. 2023 §3: 2 (K,V) × 5120 (hidden) × 40 (layers) × 2 (FP16 bytes) = 800 KB; OPT is not a
  // model_type Attention Lens knows, so this also exercises the generic fallback.
  const opt13b = JSON.stringify({ model_type: 'opt', hidden_size: 5120, num_hidden_layers: 40, num_attention_heads: 40, ffn_dim: 20480, max_position_embeddings: 2048, torch_dtype: 'float16', vocab_size: 50272 });
  const r = kvText(opt13b, { contextTokens: 2048 });
  assert.equal(r.json.kv.bytesPerToken, 819_200); // 800 KiB
  assert.equal((r.json.kv.totalBytes / 1e9).toFixed(1), '1.7'); // 1.68e9 B: the paper rounds to "1.6 GB" (GiB: 1.56)
  assert.equal((r.json.kv.totalBytes / GiB).toFixed(2), '1.56');
  assert.ok(r.json.notes.some((n) => n.includes('"opt" is not one Attention Lens knows')));
});

test('Llama-3.1-8B: vLLM "16.00 GiB KV cache is needed" for max_model_len 131072', () => {
  // mlcommons/mlperf-automations#550 (vLLM V1 error message).
  for (const runtime of ['hf', 'vllm'] as const) {
    const r = kv('llama-3.1-8b', { runtime, contextTokens: 131072 });
    assert.equal(gib2(r.json.kv.totalBytes), '16.00');
  }
  // llama.cpp maintainers (PR #10136): "With a context size of 4096, the KV takes around 512MB".
  assert.equal(kv('llama-3.1-8b', { runtime: 'llamacpp', contextTokens: 4096 }).json.kv.totalBytes, 512 * MiB);
});

test('Llama 3.1 blog (Hugging Face): KV cache at 128k tokens — 8B 15.62 GB, 70B 39.06 GB (fp16)', () => {
  // huggingface.co/blog/llama31, "KV cache size requirements": the "128k" column is 128,000 tokens, "GB" is GiB.
  // (Its 405B row is 2× the config — a known erratum, huggingface/blog#2345 — so it is not used.)
  assert.equal(gib2(kv('llama-3.1-8b', { contextTokens: 128_000 }).json.kv.totalBytes), '15.63'); // 15.625 exactly; the blog truncates
  assert.equal(gib2(kv('llama-3.1-70b', { contextTokens: 128_000 }).json.kv.totalBytes), '39.06');
  // The "1k" column (1024 tokens): 0.125 GB and 0.313 GB.
  assert.equal(kv('llama-3.1-8b', { contextTokens: 1024 }).json.kv.totalBytes / GiB, 0.125);
  assert.equal((kv('llama-3.1-70b', { contextTokens: 1024 }).json.kv.totalBytes / GiB).toFixed(3), '0.313');
});

test('Llama-3.1-70B: llama.cpp "size = 1280.00 MiB (4096 cells, 80 layers)", K 640 MiB, V 640 MiB', () => {
  // Arm learning path, distributed inference with llama.cpp (F3.3).
  const r = kv('llama-3.1-70b', { runtime: 'llamacpp', contextTokens: 4096 });
  assert.equal(mib2(r.json.kv.totalBytes), '1280.00');
  const k = r.json.kv.perLayer.reduce((s, l) => s + l.kBytesPerToken * l.cachedTokens, 0);
  assert.equal(mib2(k), '640.00');
});

test('Mistral 7B: window 4096 "reduces the cache memory usage by 8x" on a 32k sequence', () => {
  // Jiang et al. 2023 (arXiv 2310.06825) §2, rolling buffer cache; Table 1: 32 layers, 8 KV heads, head dim 128.
  const windowed = kv('mistral-7b-v0.1', { contextTokens: 32768 });
  assert.equal(windowed.json.attention.layerKinds.sliding, 32);
  assert.equal(windowed.json.kv.bytesPerToken, 32 * 8 * 128 * 2 * 2);
  const full = 32768 * windowed.json.kv.bytesPerToken;
  assert.equal(full / windowed.json.kv.totalBytes, 8);
});

test('Mixtral 8x7B: dense 32k context, 8 KV heads × 128 over 32 layers', () => {
  // Jiang et al. 2024 (arXiv 2401.04088) Table 1 and "fully dense context length of 32k tokens".
  const r = kv('mixtral-8x7b');
  assert.equal(r.json.attention.layerKinds.full, 32);
  assert.equal(r.json.kv.contextTokens, 32768);
  assert.equal(r.json.kv.bytesPerToken, 131_072);
  assert.equal(r.json.kv.totalBytes, 4 * GiB);
});

test('Qwen2.5-7B: llama.cpp 224.00 MiB at 4096 cells; use_sliding_window false keeps every layer full', () => {
  // llama.cpp log for Qwen2.5(-Coder)-7B, same 28-layer 4-KV-head geometry (F6.1).
  const r = kv('qwen2.5-7b-instruct', { runtime: 'llamacpp', contextTokens: 4096 });
  assert.equal(mib2(r.json.kv.totalBytes), '224.00');
  assert.equal(r.json.attention.layerKinds.sliding, 0); // sliding_window 131072 is present but switched off
  assert.equal(kv('qwen2.5-7b-instruct').json.kv.bytesPerToken, 57_344);
});

test('Qwen3-0.6B: head_dim 128 (not hidden 1024 / 16 heads = 64), 8 KV heads, 28 layers', () => {
  // Qwen/Qwen3-0.6B model card: 28 layers, 16 Q / 8 KV heads; config head_dim 128.
  const r = kv('qwen3-0.6b');
  assert.equal(r.json.attention.headDim, 128);
  assert.equal(r.json.kv.bytesPerToken, 28 * 8 * 128 * 2 * 2);
});

test('Qwen3-30B-A3B: vLLM "24.0 GiB KV cache is needed" at 262,144 tokens', () => {
  // vllm-project/vllm#34076 (Qwen3-Coder-30B-A3B, the same 48-layer, 4-KV-head attention).
  const r = kv('qwen3-30b-a3b', { runtime: 'vllm', contextTokens: 262_144 });
  assert.equal((r.json.kv.totalBytes / GiB).toFixed(1), '24.0');
  assert.equal(r.json.kv.bytesPerToken, 98_304);
});

test('Qwen3-Next-80B-A3B: 12 gated-attention layers (2 KV heads × 256) and 36 Gated DeltaNet layers', () => {
  // Model card: 48 layers laid out as 12 × (3 × Gated DeltaNet + 1 × Gated Attention); attention 16 Q / 2 KV heads, head dim 256.
  const r = kv('qwen3-next-80b-a3b');
  assert.deepEqual(r.json.attention.layerKinds, { full: 12, sliding: 0, chunked: 0, linear: 36, mamba: 0, conv: 0, shared: 0, none: 0 });
  assert.equal(r.json.kv.bytesPerToken, 12 * 2 * 256 * 2 * 2);
  assert.ok(r.json.kv.stateBytes > 0, 'linear layers report their fixed state');
  assert.deepEqual(r.json.kv.perLayer.filter((l) => l.kind === 'linear').map((l) => l.bytesPerToken).filter((b) => b !== 0), []);
});

test('DeepSeek-V2-Lite: vLLM "0.95 GiB KV cache is needed" at 32,768 (MLA latent 576 × 27 layers)', () => {
  // vllm-project/vllm#15871.
  const r = kv('deepseek-v2-lite', { runtime: 'vllm', contextTokens: 32768 });
  assert.equal(r.json.attention.variant, 'mla');
  assert.equal(r.json.kv.bytesPerToken, 27 * 576 * 2);
  assert.equal(gib2(r.json.kv.totalBytes), '0.95');
  // DeepSeek-V2 paper, Appendix D.2 Table 9: the small MLA MoE caches 15.6K elements per token (27 × 576 = 15,552).
  assert.equal(r.json.kv.bytesPerToken / 2, 15_552);
});

test('DeepSeek-V3: FlashMLA 576-wide latent rows; ik_llama.cpp "c^KV (q8_0): 1166.62 MiB" at 32,768', () => {
  // deepseek-ai/FlashMLA README: head_dim_k 576 (512 + 64 RoPE), V the first 512 of the same row.
  const r = kv('deepseek-v3');
  assert.equal(r.json.attention.mla?.latentDim, 576);
  assert.equal(r.json.kv.bytesPerToken, 61 * 576 * 2); // 70,272 B = 68.6 KiB
  // ikawrakow/ik_llama.cpp PR #259 log: K-only latent cache in q8_0 (34 B per 32 values) at 32,768 cells.
  const q8 = kv('deepseek-v3', { runtime: 'llamacpp', kvDtype: 'q8_0', contextTokens: 32768 });
  // 61 × 612 B × 32,768 = 1166.625 MiB exactly, which C's printf("%.2f") rounds half-to-even to "1166.62".
  assert.equal(q8.json.kv.totalBytes / MiB, 1166.625);
  // vLLM fp8_ds_mla layout: 656 B per token per layer (FlashMLA README).
  assert.equal(kv('deepseek-v3', { runtime: 'vllm', kvDtype: 'fp8_ds_mla' }).json.kv.bytesPerToken, 61 * 656);
});

test('Kimi K2: MLA despite num_key_value_heads 64 — the same 70,272 B/token as DeepSeek-V3', () => {
  // MoonshotAI/Kimi-K2 README Model Summary: 61 layers, 64 attention heads, MLA; config kv_lora_rank 512 + rope 64.
  const r = kv('kimi-k2');
  assert.equal(r.json.attention.variant, 'mla');
  assert.equal(r.json.attention.configKvHeads, 64);
  assert.equal(r.json.attention.qHeads, 64);
  assert.equal(r.json.kv.bytesPerToken, 70_272);
});

test('Gemma 2 9B: local 4096 on every other layer, global 8192 — 21 + 21 of 42 layers', () => {
  // HF blog "Welcome Gemma 2": sliding window on every other layer (4096), global layers in between (8192);
  // Gemma 2 report Table 1 (9B): 42 layers, 8 KV heads, head size 256.
  const r = kv('gemma-2-9b', { kvDtype: 'bf16' });
  assert.deepEqual(r.json.attention.layerKinds, { full: 21, sliding: 21, chunked: 0, linear: 0, mamba: 0, conv: 0, shared: 0, none: 0 });
  assert.equal(r.json.attention.windows.sliding[0], 4096);
  const perLayer = 8 * 256 * 2 * 2;
  assert.equal(r.json.kv.totalBytes, 21 * 8192 * perLayer + 21 * 4096 * perLayer);
  assert.equal(r.json.kv.perLayer[0]?.kind, 'sliding'); // layer 0 is local
  // The published config says torch_dtype float32, so transformers' default cache is 4 B per value.
  assert.equal(kv('gemma-2-9b').json.kv.bytesPerToken, 42 * 8 * 256 * 2 * 4);
});

test('Gemma 3 27B in llama.cpp at 128k: 10,240 MiB global + 624 MiB local (iSWA)', () => {
  // Community llama.cpp measurements quoted in F13 (62 layers, 16 KV heads × 128, window 1024, 5 local : 1 global).
  const r = kv('gemma-3-27b-it', { runtime: 'llamacpp', contextTokens: 131072 });
  const sum = (kind: string): number => r.json.kv.perLayer.filter((l) => l.kind === kind).reduce((s, l) => s + l.totalBytes, 0);
  assert.equal(sum('full') / MiB, 10_240);
  assert.equal(sum('sliding') / MiB, 624);
  // The same table's "full" column (every layer global): 63,488 MiB.
  assert.equal((r.json.kv.bytesPerToken * 131072) / MiB, 63_488);
  assert.deepEqual(r.json.attention.layerKinds, { full: 10, sliding: 52, chunked: 0, linear: 0, mamba: 0, conv: 0, shared: 0, none: 0 });
});

test('Phi-3-mini-4k: llama.cpp 1536.00 MiB at 4096 cells (full cache: llama.cpp ignores its 2047 window)', () => {
  // llama.cpp log (F14.1): 32 layers × 32 KV heads × 96 × 2 × 2 B per cell.
  const r = kv('phi-3-mini-4k', { runtime: 'llamacpp', contextTokens: 4096 });
  assert.equal(mib2(r.json.kv.totalBytes), '1536.00');
  assert.equal(r.json.kv.bytesPerToken, 393_216);
});

test('Falcon-7B: multi-query — 1 KV head although num_kv_heads says 71', () => {
  // tiiuae/falcon-7b card: "multiquery" attention (Shazeer 2019), 32 layers, d_model 4544, head dim 64.
  const r = kv('falcon-7b');
  assert.equal(r.json.attention.variant, 'mqa');
  assert.equal(r.json.attention.kvHeads, 1);
  assert.equal(r.json.kv.bytesPerToken, 32 * 1 * 64 * 2 * 2);
  assert.ok(r.json.warnings.some((w) => w.code === 'falcon-multi-query'));
});

test('Falcon-40B: new decoder architecture, 8 KV groups × 64 over 60 layers', () => {
  // tiiuae/falcon-40b card: 60 layers, d_model 8192, head dim 64; num_kv_heads 8 with new_decoder_architecture.
  const r = kv('falcon-40b');
  assert.equal(r.json.attention.variant, 'gqa');
  assert.equal(r.json.kv.bytesPerToken, 60 * 8 * 64 * 2 * 2);
});

test('GPT-2: no torch_dtype → float32 cache, 12 layers × 768 hidden, 1024 positions', () => {
  // Radford et al. 2019 Table 2 (smallest model: 12 layers, d_model 768), context 1024 tokens.
  const r = kv('gpt2');
  assert.equal(r.json.model.dtype, 'float32');
  assert.equal(r.json.kv.bytesPerToken, 12 * 2 * 768 * 4);
  assert.equal(r.json.kv.contextTokens, 1024);
  // vLLM runs float32 checkpoints in float16 (its dtype "auto").
  assert.equal(kv('gpt2', { runtime: 'vllm' }).json.kv.bytesPerToken, 12 * 2 * 768 * 2);
});

test('MPT-7B: attn_config multihead attention, 32 layers × 4096', () => {
  // mosaicml/mpt-7b card: n_layers 32, n_heads 32, d_model 4096, max_seq_len 2048.
  const r = kv('mpt-7b');
  assert.equal(r.json.attention.variant, 'mha');
  assert.equal(r.json.kv.bytesPerToken, 32 * 2 * 4096 * 2);
});

test('gpt-oss-20b in llama.cpp at 131,072: 3072 MiB for the 12 full layers + 18 MiB for the 12 banded (768 cells)', () => {
  // llama.cpp log (F18.3); model card: alternating dense and 128-token banded layers, 8 KV heads of 64.
  const r = kv('gpt-oss-20b', { runtime: 'llamacpp', contextTokens: 131072 });
  const full = r.json.kv.perLayer.filter((l) => l.kind === 'full');
  const swa = r.json.kv.perLayer.filter((l) => l.kind === 'sliding');
  assert.equal(full.length, 12);
  assert.equal(full.reduce((s, l) => s + l.totalBytes, 0) / MiB, 3072);
  assert.equal(swa.reduce((s, l) => s + l.totalBytes, 0) / MiB, 18);
  assert.ok(swa.every((l) => l.cachedTokens === 768 && l.windowTokens === 128));
});

test('GLM-4-9B (ChatGLM spelling): multi_query_group_num 2, kv_channels 128, 40 layers', () => {
  // THUDM/glm-4-9b-chat config (F19.1): 40 × 2 × 128 × 2 × 2 = 40,960 B/token; 5.0 GiB at 131,072 tokens.
  const r = kv('glm-4-9b-chat');
  assert.equal(r.json.attention.kvHeads, 2);
  assert.equal(r.json.kv.bytesPerToken, 40_960);
  assert.equal(r.json.kv.totalBytes, 5 * GiB);
});

test('GLM-4.5-Air: 46 layers, 96 query heads, 8 KV heads × 128', () => {
  // zai-org/GLM-4.5-Air config and the GLM-4.5 report: GQA with 8 query groups, kv_channels 128.
  const r = kv('glm-4.5-air');
  assert.equal(r.json.attention.qHeads, 96);
  assert.equal(r.json.kv.bytesPerToken, 46 * 8 * 128 * 2 * 2);
});

test('Llama 4 Scout: 12 global + 36 chunked (8192) layers, as vLLM groups them', () => {
  // vllm-project/vllm PR #21761: "(FullAttention x 12) (ChunkedLocalAttention x 12) × 3"; text_config 8 KV heads × 128.
  const r = kv('llama-4-scout', { contextTokens: 1_048_576 });
  assert.deepEqual(r.json.attention.layerKinds, { full: 12, sliding: 0, chunked: 36, linear: 0, mamba: 0, conv: 0, shared: 0, none: 0 });
  const perLayer = 8 * 128 * 2 * 2;
  assert.equal(r.json.kv.totalBytes, 12 * 1_048_576 * perLayer + 36 * 8192 * perLayer);
  assert.equal(r.json.model.modelType, 'llama4_text');
});

test('GPUs needed: DeepSeek-V3 (FP8) on 8× H200, on 8× B200, and on 2 × 8 H100 — as vLLM\'s and SGLang\'s deployment guides say', () => {
  // vLLM recipes, DeepSeek-V3 usage guide: "8xH200 with fp8" (vllm serve … --tensor-parallel-size 8).
  // SGLang docs, DeepSeek V3/V3.1/R1 usage, recommended settings for FP8: "8 x H200", "8 x B200",
  // "2 x 8 x H100/800/20".
  const h200 = kv('deepseek-v3', { gpu: 'h200' }).json.budget.gpusNeeded;
  assert.deepEqual([h200.gpus, h200.tp, h200.pipelineStages, h200.nodes], [8, 8, 1, 1]);
  const b200 = kv('deepseek-v3', { gpu: 'b200' }).json.budget.gpusNeeded;
  assert.deepEqual([b200.gpus, b200.tp, b200.pipelineStages], [8, 8, 1]);
  const h100 = kv('deepseek-v3', { gpu: 'h100-sxm' }).json.budget.gpusNeeded;
  assert.deepEqual([h100.gpus, h100.tp, h100.pipelineStages, h100.nodes], [16, 8, 2, 2]);
  // Each count holds at least one request at the model's full context, and says so.
  for (const n of [h200, b200, h100]) assert.ok(n.fits && n.maxBatchAtContext >= 1 && n.contextTokens === 163840);
  // A model one GPU holds needs one: Llama-3.1-8B (16 GB of bf16 weights) on an H100.
  assert.equal(kv('llama-3.1-8b', { gpu: 'h100-sxm' }).json.budget.gpusNeeded.gpus, 1);
  // The budget at a pinned --tp stays the user's; the count needed is reported beside it.
  const pinned = kv('deepseek-v3', { gpu: 'h200', tp: 1 }).json.budget;
  assert.equal(pinned.gpus, 1);
  assert.equal(pinned.fits, false);
  assert.equal(pinned.gpusNeeded.gpus, 8);
});
