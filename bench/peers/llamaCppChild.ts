/**
 * The llama.cpp peer's child process (out/bench/peersLlamaCpp.mjs): node-llama-cpp 3.21.1's Vulkan
 * prebuilt (a dev dependency) runs a one-layer model whose attention has the case's shape, and times
 * decode steps at the case's context. Started by bench/peers/llamaCppPeer.ts with
 * GGML_VK_VISIBLE_DEVICES naming one Vulkan device, so an abort inside llama.cpp ends this process,
 * not the benchmark. One JSON object per stdout line, written synchronously (an abort loses none).
 *
 * The model (zero weights, written with the oracle's GGUF writer): llama architecture, one block,
 * head_count / head_count_kv / key_length / value_length = the case's, an embedding of 64 and a
 * feed-forward of 32, so the step's other work (projections 64 × Hq·d, a 260-token head) is a few
 * hundred KiB beside the cache it attends over. context_length = the context created: llama.cpp
 * (through node-llama-cpp's resource estimate) also sizes a cache at the trained context, and on
 * lavapipe a layer's K beyond maxStorageBufferRange (128 MiB) aborts with "pre-allocated tensor
 * (cache_k_l0) in a buffer (Vulkan0) that cannot run the operation (NONE)" (ggml-backend.cpp:941:
 * ggml-vulkan's supports_op refuses a tensor over the range) — a model that says 131072 tokens does.
 *
 * argv[2]: JSON { mode: 'name' } (print the device llama.cpp opens) or
 *          { mode: 'measure', cases: LlamaCase[], warmup, samples, maxCaseSeconds, flashAttention }.
 * A step: llama_decode of one token at position N − 1 over a cache of N − 1 tokens (prefilled once),
 * resolved when node-llama-cpp's worker has it back; the token is then erased (untimed).
 */
import { mkdtempSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { f32, str, u32, writeGguf, type GgufTensor, type GgufValue } from '../../test/helpers/ggufWriter';
import { byteFallbackVocabulary } from '../../test/oracle/convert/shrink';
import { interleaveSteps } from './stepTiming';
import type { LlamaCase, LlamaChildLine, LlamaChildRequest } from './llamaCppPeer';

const say = (line: LlamaChildLine): void => void writeSync(1, `${JSON.stringify(line)}\n`);

const EMBEDDING = 64;
const FFN = 32;
const VOCAB = 260;

function writeModel(path: string, c: LlamaCase, contextTokens: number): void {
  const a = 'llama';
  const metadata: Record<string, GgufValue> = {
    'general.architecture': str(a),
    'general.name': str('attention-lens bench:peers'),
    [`${a}.block_count`]: u32(1),
    [`${a}.context_length`]: u32(contextTokens),
    [`${a}.embedding_length`]: u32(EMBEDDING),
    [`${a}.feed_forward_length`]: u32(FFN),
    [`${a}.attention.head_count`]: u32(c.qHeads),
    [`${a}.attention.head_count_kv`]: u32(c.kvHeads),
    [`${a}.attention.key_length`]: u32(c.headDim),
    [`${a}.attention.value_length`]: u32(c.headDim),
    [`${a}.rope.dimension_count`]: u32(c.headDim),
    [`${a}.attention.layer_norm_rms_epsilon`]: f32(1e-5),
    [`${a}.rope.freq_base`]: f32(500000),
    ...byteFallbackVocabulary(),
  };
  const t = (name: string, shape: number[], type: 'F32' | 'F16' = 'F16'): GgufTensor => ({ name, shape, type });
  const q = c.qHeads * c.headDim;
  const kv = c.kvHeads * c.headDim;
  writeGguf(path, {
    metadata,
    tensors: [
      t('token_embd.weight', [EMBEDDING, VOCAB]), t('output_norm.weight', [EMBEDDING], 'F32'), t('output.weight', [EMBEDDING, VOCAB]),
      t('blk.0.attn_norm.weight', [EMBEDDING], 'F32'), t('blk.0.attn_q.weight', [EMBEDDING, q]), t('blk.0.attn_k.weight', [EMBEDDING, kv]),
      t('blk.0.attn_v.weight', [EMBEDDING, kv]), t('blk.0.attn_output.weight', [q, EMBEDDING]), t('blk.0.ffn_norm.weight', [EMBEDDING], 'F32'),
      t('blk.0.ffn_gate.weight', [EMBEDDING, FFN]), t('blk.0.ffn_up.weight', [EMBEDDING, FFN]), t('blk.0.ffn_down.weight', [FFN, EMBEDDING]),
    ],
  });
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '{}') as LlamaChildRequest;
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: 'vulkan', build: 'never', usePrebuiltBinaries: true, progressLogs: false, logLevel: LlamaLogLevel.error, logger: (_level, message) => void writeSync(2, `${message}\n`) });
  const names = await llama.getGpuDeviceNames();
  say({ type: 'device', gpu: String(llama.gpu), names });
  if (request.mode === 'name') {
    await llama.dispose();
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'attention-lens-peers-'));
  try {
    for (const c of request.cases) {
      say({ type: 'start', id: c.id, tokens: c.tokens });
      // The context holds exactly N tokens: N − 1 in the cache, and each step's new one, dropped after
      // the step so that every step attends N. (A longer context would also cross lavapipe's 128 MiB
      // storage range at MHA 16k: 32 × 16384 × 128 × 2 B is exactly 128 MiB.)
      const contextTokens = c.tokens;
      const path = join(dir, `${c.id}-${c.tokens}.gguf`);
      writeModel(path, c, contextTokens);
      try {
        const model = await llama.loadModel({ modelPath: path, gpuLayers: 'max' });
        const context = await model.createContext({ contextSize: contextTokens, sequences: 1, flashAttention: request.flashAttention });
        try {
          const sequence = context.getSequence();
          // The cache: N − 1 tokens (any ids; with zero weights every K and V is zero, which costs
          // a GPU the same reads), then decode steps of one token each at N, N + 1, …
          const prompt = Array.from({ length: c.tokens - 1 }, (_, i) => 3 + (i % 256));
          const t0 = performance.now();
          await sequence.evaluateWithoutGeneratingNewTokens(prompt as never);
          const prefillSeconds = (performance.now() - t0) / 1000;
          const last = c.tokens - 1;
          const timed = await interleaveSteps([{
            name: 'llama.cpp',
            step: () => sequence.evaluateWithoutGeneratingNewTokens([7] as never),
            reset: () => sequence.eraseContextTokenRanges([{ start: last, end: last + 1 }]),
          }], {
            warmup: request.warmup, samples: request.samples, minSamples: Math.min(3, request.samples), maxSeconds: request.maxCaseSeconds,
          });
          say({ type: 'result', id: c.id, tokens: c.tokens, step: timed.summaries[0]!, prefillSeconds, contextTokens, flashAttention: context.flashAttention === true, ...(timed.note ? { note: timed.note } : {}) });
        } finally {
          await context.dispose();
          await model.dispose();
        }
      } catch (e) {
        say({ type: 'error', id: c.id, tokens: c.tokens, message: e instanceof Error ? e.message : String(e) });
      } finally {
        rmSync(path, { force: true });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await llama.dispose();
  }
}

main().catch((e: unknown) => {
  say({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  process.exitCode = 1;
});
