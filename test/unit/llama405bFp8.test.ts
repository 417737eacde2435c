/**
 * Llama-3.1-405B-Instruct-FP8 (fbgemm_fp8) on 8× H100, as Meta and vLLM deploy it; the weights the GPU
 * count rests on, against Meta's own checkpoint sizes. Sources: test/fixtures/PUBLIC_FACTS.md §3
 * (F3.8–F3.11); the fixture's provenance: test/fixtures/configs/SOURCES.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { run } from '../../src/cli/main';
import { moduleNotConverted } from '../../src/core/weights';
import { FIXTURES, GiB, fixtureText, kv, kvText } from './helpers';

const NAME = 'llama-3.1-405b-instruct-fp8';

/** The parts of `kv --json` these tests read. */
type KvJson = { model: { weightsBytes: number }; kv: { bytesPerToken: number; totalBytes: number }; budget: { gpusNeeded: { gpus: number; tp: number; pipelineStages: number; nodes: number; fits: boolean; maxContextTokens: number | null; maxBatchAtContext: number; cacheTokens: number; contextTokens: number } } };

/** `attention-lens kv <fixture> … --json`, in process, as a user runs it. */
async function kvJson(args: string[]): Promise<KvJson> {
  let out = '';
  let err = '';
  const code = await run(['kv', path.join(FIXTURES, `${NAME}.json`), ...args, '--json'], { out: (s) => { out += s; }, err: (s) => { err += s; } });
  assert.equal(code, 0, err);
  return JSON.parse(out) as KvJson;
}

/** The same model in BF16 (meta-llama/Llama-3.1-405B-Instruct): the FP8 config without its quantization_config. */
function bf16Text(): string {
  const config = JSON.parse(fixtureText(NAME)) as Record<string, unknown>;
  delete config.quantization_config;
  return JSON.stringify(config, null, 2);
}

test('Llama-3.1-405B-Instruct-FP8: the weights are the size of Meta\'s FP8 checkpoint (only layers 1–124\'s MLPs in fp8)', () => {
  // meta-llama/llama-models models/sku_list.py, llama_meta_pth_size(): the fp8_mixed checkpoint's
  // consolidated.NN.pth is 60903742309 bytes, one per GPU of its 8 (the BF16 MP8 one 101470976045).
  // meta-llama/llama-models models/llama3/quantization/loader.py: only feed_forward w1/w3/w2 go to fp8,
  // skipping `block.layer_id == 0 or block.layer_id == (model.n_layers - 1)`.
  const fp8 = kv(NAME).json.model;
  assert.ok(Math.abs(fp8.weightsBytes / (8 * 60_903_742_309) - 1) < 0.001, `fp8 weights ${fp8.weightsBytes}`);
  const bf16 = kvText(bf16Text()).json.model;
  assert.ok(Math.abs(bf16.weightsBytes / (8 * 101_470_976_045) - 1) < 0.001, `bf16 weights ${bf16.weightsBytes}`);
  // vllm-project/vllm#6746 (vLLM 0.5.3, TP 8 on 8× H100): "Loading model weights took 57.7520 GB" per worker
  // (GiB: vLLM divides by 2**30). That is the checkpoint's share plus vLLM's own buffers: ours is below it, within 2%.
  const perGpuGiB = fp8.weightsBytes / 8 / GiB;
  assert.ok(perGpuGiB < 57.752 && perGpuGiB > 57.752 * 0.98, `per GPU ${perGpuGiB.toFixed(3)} GiB`);
});

test('Llama-3.1-405B-Instruct-FP8 needs 8× H100 under vLLM (TP 8, one node), with room for a 128k request', async () => {
  // vLLM blog "Announcing Llama 3.1 Support in vLLM" (2024-07-23): "vLLM runs the official FP8 quantized model
  // natively on 8xA100 or 8xH100"; "You can run the model with latest vLLM on a single 8xH100 or 8xA100 with
  // the following command: $ vllm serve meta-llama/Meta-Llama-3.1-405B-Instruct-FP8 --tensor-parallel-size 8".
  // Meta's meta-llama/llama-models sku_list.py: "Llama 3.1 405b instruct model (FP8 quantized)",
  // HardwareRequirements(gpu_count=8, memory_gb_per_gpu=70), max_seq_length CONTEXT_LENGTH = 131072.
  const j = await kvJson(['--runtime', 'vllm', '--gpu', 'h100-sxm']);
  const n = j.budget.gpusNeeded;
  assert.deepEqual([n.gpus, n.tp, n.pipelineStages, n.nodes, n.fits], [8, 8, 1, 1, true]);
  // That command sets no --max-model-len, so vLLM sizes for the config's 131072 tokens and refuses to start
  // unless its KV cache holds them: at 8 GPUs one request of the full context fits.
  assert.equal(n.contextTokens, 131072);
  assert.ok(n.maxBatchAtContext >= 1 && (n.maxContextTokens ?? 0) >= 131072 && n.cacheTokens >= 131072, JSON.stringify(n));
  // Meta's 70 GB per GPU holds each GPU's share of the weights and of one 131072-token cache
  // (KV: 126 layers × 8 KV heads × 128 × 2 × 2 B = 516,096 B/token, F3.2's llama.cpp log).
  assert.equal(j.kv.bytesPerToken, 516_096);
  const perGpu = (j.model.weightsBytes + 131072 * 516_096) / 8;
  assert.ok(perGpu <= 70e9, `${(perGpu / 1e9).toFixed(1)} GB per GPU`);
  // 4 GPUs cannot hold the weights (≈ 113 GiB each), so 8 is the smallest count.
  assert.ok(j.model.weightsBytes / 4 > 80 * GiB);
  // The same count on the A100 80GB the blog names too, at a short context only: a community walkthrough
  // ("Llama 3.1 405B FP8 Inference on 8XH100s or 8XA100s with VLLM", index id 9043072028) says "Max model len
  // will have to be reduced on the A100s" (A100 has no FP8 units; vLLM's weight-only FP8 path there is not
  // modelled), so the full context is not asserted on it.
  const a100 = (await kvJson(['--runtime', 'vllm', '--gpu', 'a100-80', '--context', '8192'])).budget.gpusNeeded;
  assert.deepEqual([a100.gpus, a100.tp, a100.pipelineStages], [8, 8, 1]);
});

test('Llama-3.1-405B-Instruct in BF16 needs 16× H100 (TP 8 × PP 2), or one node of 8× H200 / MI300X', () => {
  // vLLM blog (2024-07-23): "What if you want to run the Llama 3.1 405B model without quantization? You can do it
  // with 16xH100 or 16xA100 GPUs using vLLM's pipeline parallelism! … 2-way pipeline parallelism and 8-way tensor
  // parallelism"; "AMD MI300x or NVIDIA H200: vLLM can run the model on a single 8xMI300x or 8xH200 machine".
  // Meta's sku_list.py: BF16 "gpu_count=16, memory_gb_per_gpu=70" (MP16) and "gpu_count=8, memory_gb_per_gpu=120" (MP8).
  const h100 = kvText(bf16Text(), { runtime: 'vllm', gpu: 'h100-sxm' }).json.budget.gpusNeeded;
  assert.deepEqual([h100.gpus, h100.tp, h100.pipelineStages, h100.nodes], [16, 8, 2, 2]);
  for (const gpu of ['h200', 'mi300x']) {
    const n = kvText(bf16Text(), { runtime: 'vllm', gpu }).json.budget.gpusNeeded;
    assert.deepEqual([n.gpus, n.tp, n.pipelineStages], [8, 8, 1], gpu);
    assert.ok(n.maxBatchAtContext >= 1, gpu);
  }
  const weights = kvText(bf16Text()).json.model.weightsBytes;
  assert.ok((weights + 131072 * 516_096) / 16 <= 70e9 && (weights + 131072 * 516_096) / 8 <= 120e9);
});

test('modules_to_not_convert: matched as transformers and vLLM match it, never layer 1 for layer 10', () => {
  const list = ['model.layers.1.self_attn', 'model.layers.0', 'lm_head', 'layers.7.mlp.up_proj', 'model.language_model.layers.3.mlp'];
  assert.equal(moduleNotConverted({ layer: 1, name: 'self_attn.q_proj' }, list), true);
  assert.equal(moduleNotConverted({ layer: 10, name: 'self_attn.q_proj' }, list), false);
  assert.equal(moduleNotConverted({ layer: 0, name: 'mlp.down_proj' }, list), true);
  assert.equal(moduleNotConverted({ layer: 7, name: 'mlp.up_proj' }, list), true);
  assert.equal(moduleNotConverted({ layer: 7, name: 'mlp.gate_proj' }, list), false);
  assert.equal(moduleNotConverted({ layer: 3, name: 'mlp.gate_proj' }, list), true);
  assert.equal(moduleNotConverted({ layer: 2, name: 'mlp.down_proj' }, ['down_proj']), true);
  assert.equal(moduleNotConverted({ layer: 2, name: 'mlp.down_proj' }, ['own_proj', '']), false);
});
