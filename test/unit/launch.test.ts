/**
 * Launch commands: each emitted command is read back as a shell reads it and held to the budget the
 * engine derives on its own (GPUs, context, requests), every flag and KV-cache choice to the runtime's
 * documented CLI as transcribed below from its source, and the combinations a runtime lacks are refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildLaunch, LAUNCH_CLIS, type LaunchPlan, type LaunchRuntime } from '../../src/core/launch';
import { UsageError } from '../../src/core/errors';
import { renderLaunch } from '../../src/core/text/renderLaunch';
import { run } from '../../src/cli/main';
import { buildReportData } from '../../src/core/reportData';
import { isReportData, isViewMessage } from '../../src/shared/reportProtocol';
import type { ReportOptions } from '../../src/core/report';
import { fixtureText, kv, ROOT } from './helpers';

// ------------------------------------------------------------------ the runtimes' documented CLIs

/**
 * vLLM, vllm-project/vllm @ 99d7eb5 vllm/engine/arg_utils.py, EngineArgs.add_cli_args (v0.11 line: its
 * deprecated flags say "removed in v0.12.0"): `vllm serve <model>` and the flags a launch uses, with
 * their short forms. --kv-cache-dtype choices: vllm/config/cache.py @ c1d8642, CacheDType.
 */
const VLLM_FLAGS = new Set(['--model', '--tensor-parallel-size', '-tp', '--pipeline-parallel-size', '-pp', '--max-model-len', '--kv-cache-dtype', '--gpu-memory-utilization', '--max-num-seqs', '--max-num-batched-tokens', '--block-size', '--dtype', '--data-parallel-size', '-dp']);
const VLLM_KV_CACHE_DTYPES = ['auto', 'bfloat16', 'fp8', 'fp8_e4m3', 'fp8_e5m2', 'fp8_inc', 'fp8_ds_mla'];
/**
 * SGLang, sgl-project/sglang @ 001067f python/sglang/srt/server_args.py (ServerArgs fields, the flag
 * derived from the field name: model_path → --model-path with alias --model, tp_size → --tp-size with
 * alias --tensor-parallel-size, pp_size → --pp-size, nnodes, node_rank, dist_init_addr, context_length,
 * kv_cache_dtype, mem_fraction_static, max_running_requests), run as `python -m sglang.launch_server`.
 */
const SGLANG_FLAGS = new Set(['--model-path', '--model', '--tp-size', '--tensor-parallel-size', '--pp-size', '--pipeline-parallel-size', '--nnodes', '--node-rank', '--dist-init-addr', '--context-length', '--kv-cache-dtype', '--mem-fraction-static', '--max-running-requests', '--max-total-tokens', '--page-size']);
const SGLANG_KV_CACHE_DTYPES = ['auto', 'fp8_e5m2', 'fp8_e4m3', 'mxfp8', 'bf16', 'bfloat16', 'nvfp4', 'fp4_mx_block16', 'fp4_e2m1'];
/**
 * llama.cpp, ggml-org/llama.cpp @ 145b628 common/arg.cpp: -m/--model, -c/--ctx-size, -np/--parallel,
 * -ctk/--cache-type-k, -ctv/--cache-type-v (kv_cache_types: F32, F16, BF16, Q8_0, Q4_0, Q4_1, IQ4_NL,
 * Q5_0, Q5_1 by ggml_type_name), -fa/--flash-attn [on|off|auto], -ngl/--gpu-layers/--n-gpu-layers,
 * -sm/--split-mode {none,layer,row}. src/llama-cparams.h @ 0349835: #define LLAMA_MAX_SEQ 256.
 */
const LLAMACPP_FLAGS = new Set(['-m', '--model', '-c', '--ctx-size', '-np', '--parallel', '-ctk', '--cache-type-k', '-ctv', '--cache-type-v', '-fa', '--flash-attn', '-ngl', '--gpu-layers', '--n-gpu-layers', '-sm', '--split-mode', '-ts', '--tensor-split']);
const LLAMACPP_CACHE_TYPES = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_1', 'iq4_nl', 'q5_0', 'q5_1'];
const LLAMA_MAX_SEQ = 256;

const DOCUMENTED: Record<LaunchRuntime, { program: string[]; flags: Set<string>; kvValues: (argv: string[]) => string[]; choices: string[] }> = {
  vllm: { program: ['vllm', 'serve'], flags: VLLM_FLAGS, kvValues: (a) => values(a, '--kv-cache-dtype'), choices: VLLM_KV_CACHE_DTYPES },
  sglang: { program: ['python', '-m', 'sglang.launch_server'], flags: SGLANG_FLAGS, kvValues: (a) => values(a, '--kv-cache-dtype'), choices: SGLANG_KV_CACHE_DTYPES },
  llamacpp: { program: ['llama-server'], flags: LLAMACPP_FLAGS, kvValues: (a) => [...values(a, '-ctk'), ...values(a, '-ctv')], choices: LLAMACPP_CACHE_TYPES },
};

// ------------------------------------------------------------------ reading a command back

/** Words as a POSIX shell splits them: whitespace, single quotes, backslash-newline continuations. */
function shellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      assert.ok(end > i, 'quotes are closed');
      word += text.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (ch === '\\') {
      if (text[i + 1] !== '\n') {
        word += text[i + 1];
        inWord = true;
      }
      i++;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** The commented text as pasted into a shell: comment lines dropped, the rest split into words. */
function pasted(text: string): string[] {
  return shellWords(text.split('\n').filter((l) => !l.startsWith('#')).join('\n'));
}

function values(argv: string[], flag: string): string[] {
  return argv.flatMap((w, i) => (w === flag ? [argv[i + 1]!] : []));
}

function value(argv: string[], flag: string): string | undefined {
  const v = values(argv, flag);
  assert.ok(v.length <= 1, `${flag} given once`);
  return v[0];
}

/** The flags of a command (words starting with "-" after the program), and every one documented. */
function checkDocumented(plan: LaunchPlan): void {
  const doc = DOCUMENTED[plan.runtime];
  const argv = shellWords(plan.command);
  assert.deepEqual(argv, plan.argv, 'the one-line command reads back as argv');
  assert.deepEqual(pasted(renderLaunch(plan)), plan.argv, 'the commented text runs as the same command');
  assert.deepEqual(argv.slice(0, doc.program.length), doc.program);
  const rest = argv.slice(doc.program.length);
  for (let i = 0; i < rest.length; i++) {
    if (!rest[i]!.startsWith('-')) continue;
    assert.ok(doc.flags.has(rest[i]!), `${plan.runtime}: ${rest[i]} is a documented flag`);
    i++; // its value
  }
  for (const v of doc.kvValues(argv)) assert.ok(doc.choices.includes(v), `${plan.runtime}: KV cache ${v} is one of ${doc.choices.join(', ')}`);
  // Every value the command sets says why.
  for (const r of plan.reasons) assert.ok(r.why.length > 10, `${r.flag} says why`);
}

const input = (name: string, file = `models/${name}/config.json`) => ({ file, text: fixtureText(name) });
const launch = (name: string, runtime: LaunchRuntime, options: ReportOptions = {}, ggufs?: string[]): LaunchPlan => {
  const plan = buildLaunch(input(name), options, runtime, ggufs ? { ggufs } : {});
  checkDocumented(plan);
  return plan;
};
const refusal = (fn: () => unknown, pattern: RegExp): void => {
  assert.throws(fn, (e: unknown) => e instanceof UsageError && pattern.test(e.message));
};

// ------------------------------------------------------------------ tests

test('the flag tables hold the runtimes\' documented KV-cache choices', () => {
  assert.deepEqual([...LAUNCH_CLIS.vllm.kvCacheDtypes], VLLM_KV_CACHE_DTYPES);
  assert.deepEqual([...LAUNCH_CLIS.sglang.kvCacheDtypes], SGLANG_KV_CACHE_DTYPES);
  assert.deepEqual([...LAUNCH_CLIS.llamacpp.kvCacheDtypes], LLAMACPP_CACHE_TYPES);
});

test('DeepSeek-V3 on 8× H200 with vLLM: vllm serve … --tensor-parallel-size 8, as vLLM\'s DeepSeek-V3 recipe runs it', () => {
  // vLLM recipes, DeepSeek-V3 usage guide: "vllm serve deepseek-ai/DeepSeek-V3 --tensor-parallel-size 8" on 8×H200.
  const plan = buildLaunch({ file: 'examples/deepseek-v3/config.json', text: readFileSync(path.join(ROOT, 'examples/deepseek-v3/config.json'), 'utf8') }, { gpu: 'h200' }, 'vllm');
  checkDocumented(plan);
  const argv = shellWords(plan.command);
  assert.equal(value(argv, '--tensor-parallel-size'), '8');
  assert.equal(value(argv, '--pipeline-parallel-size'), undefined, 'one node of 8 holds it');
  // deepseek-ai/DeepSeek-V3 config.json: max_position_embeddings 163840.
  assert.equal(value(argv, '--max-model-len'), '163840');
  assert.equal(argv[2], 'examples/deepseek-v3', 'the config\'s folder (the example has no _name_or_path)');
  assert.match(plan.model.why, /folder/);
  // The request count is the budget's at TP 8, computed here from the engine's own budget.
  const budget = kv('deepseek-v3', { gpu: 'h200', runtime: 'vllm', tp: 8 }).budget;
  assert.ok(budget.maxBatchAtContext >= 1);
  assert.equal(value(argv, '--max-num-seqs'), String(budget.maxBatchAtContext));
  assert.equal(value(argv, '--gpu-memory-utilization'), String(budget.utilization));
  assert.equal(value(argv, '--kv-cache-dtype'), 'auto', 'the config\'s torch_dtype bfloat16 is what auto stores');
});

test('vLLM on Llama-3.1-8B / H100: TP, context and requests read back equal the budget', () => {
  const plan = launch('llama-3.1-8b', 'vllm', { gpu: 'h100' });
  const argv = shellWords(plan.command);
  const r = kv('llama-3.1-8b', { gpu: 'h100', runtime: 'vllm' });
  assert.equal(value(argv, '--tensor-parallel-size'), String(r.json.budget.gpusNeeded.tp));
  assert.equal(value(argv, '--tensor-parallel-size'), '1');
  // meta-llama/Llama-3.1-8B config.json: max_position_embeddings 131072.
  assert.equal(value(argv, '--max-model-len'), '131072');
  assert.equal(value(argv, '--max-num-seqs'), String(r.budget.maxBatchAtContext));
  assert.equal(plan.budget.maxConcurrentRequests, r.budget.maxBatchAtContext);
  // Every value has its comment line above the command.
  const text = renderLaunch(plan);
  for (const flag of ['--tensor-parallel-size', '--max-model-len', '--kv-cache-dtype', '--gpu-memory-utilization', '--max-num-seqs']) {
    assert.match(text, new RegExp(`^# ${flag} \\S+: .+`, 'm'), flag);
  }
  assert.match(text, /^# --max-model-len 131072: the config's max_position_embeddings$/m);
});

test('a pinned --tp is the command\'s; one that cannot hold the model is refused with the count that can', () => {
  const plan = launch('llama-3.1-8b', 'vllm', { gpu: 'h100', tp: 2 });
  const r = kv('llama-3.1-8b', { gpu: 'h100', runtime: 'vllm', tp: 2 });
  assert.equal(value(plan.argv, '--tensor-parallel-size'), '2');
  assert.equal(value(plan.argv, '--max-num-seqs'), String(r.budget.maxBatchAtContext));
  refusal(() => buildLaunch(input('deepseek-v3'), { gpu: 'h200', tp: 4 }, 'vllm'), /cannot hold .* it takes 8× H200 SXM 141GB \(TP 8\)/);
});

test('vLLM over two nodes: DeepSeek-V3 on H100 adds --pipeline-parallel-size 2 and says a Ray cluster spans the nodes', () => {
  // SGLang's DeepSeek V3 guide: FP8 on "2 x 8 x H100"; gpusNeeded gives TP 8 × PP 2.
  const plan = launch('deepseek-v3', 'vllm', { gpu: 'h100-sxm' });
  assert.equal(value(plan.argv, '--tensor-parallel-size'), '8');
  assert.equal(value(plan.argv, '--pipeline-parallel-size'), '2');
  assert.equal(plan.budget.gpus, 16);
  assert.ok(plan.warnings.some((w) => /Ray cluster/.test(w) && /2 nodes/.test(w)));
});

test('SGLang: --tp-size, --context-length and --max-running-requests from the budget; the static pool is utilization less the reserve', () => {
  const plan = launch('llama-3.1-8b', 'sglang', { gpu: 'h100' });
  const argv = plan.argv;
  const r = kv('llama-3.1-8b', { gpu: 'h100' });
  assert.equal(value(argv, '--tp-size'), '1');
  assert.equal(value(argv, '--context-length'), '131072');
  assert.equal(value(argv, '--max-running-requests'), String(r.budget.maxBatchAtContext));
  // 0.9 of 80 GiB less a 2 GiB reserve: 0.9 − 2/80 = 0.875 of the GPU for weights and KV.
  assert.equal(value(argv, '--mem-fraction-static'), '0.875');
  assert.equal(value(argv, '--kv-cache-dtype'), 'auto');
  // DeepSeek-V3 on 2 × 8 H100: pipeline stages over two nodes, and what each node still needs.
  const ds = launch('deepseek-v3', 'sglang', { gpu: 'h100-sxm' });
  assert.deepEqual([value(ds.argv, '--tp-size'), value(ds.argv, '--pp-size'), value(ds.argv, '--nnodes')], ['8', '2', '2']);
  assert.ok(ds.warnings.some((w) => /--node-rank/.test(w) && /--dist-init-addr/.test(w)));
});

test('SGLang spells fp8 as fp8_e4m3 (it has no bare fp8) and keeps e5m2 when asked', () => {
  assert.equal(value(launch('llama-3.1-8b', 'sglang', { kvDtype: 'fp8' }).argv, '--kv-cache-dtype'), 'fp8_e4m3');
  assert.equal(value(launch('llama-3.1-8b', 'sglang', { kvDtype: 'fp8_e5m2' }).argv, '--kv-cache-dtype'), 'fp8_e5m2');
  assert.equal(value(launch('llama-3.1-8b', 'vllm', { kvDtype: 'fp8_e5m2' }).argv, '--kv-cache-dtype'), 'fp8_e5m2');
  assert.equal(value(launch('llama-3.1-8b', 'vllm', { kvDtype: 'fp8' }).argv, '--kv-cache-dtype'), 'fp8');
  // The fp8 budget holds twice the bf16 requests' worth of tokens per GPU: the command follows it.
  const fp8 = kv('llama-3.1-8b', { kvDtype: 'fp8', runtime: 'vllm' }).budget.maxBatchAtContext;
  assert.equal(value(launch('llama-3.1-8b', 'vllm', { kvDtype: 'fp8' }).argv, '--max-num-seqs'), String(fp8));
});

test('a KV dtype the runtime lacks is refused, naming what the runtime offers', () => {
  // vLLM's CacheDType has fp8, fp8_e4m3, fp8_e5m2, … but no 4-bit or int8 KV cache.
  refusal(() => buildLaunch(input('llama-3.1-8b'), { kvDtype: 'q4_0' }, 'vllm'), /vLLM has no q4_0 KV cache: .*auto, bfloat16, fp8, fp8_e4m3, fp8_e5m2/);
  refusal(() => buildLaunch(input('llama-3.1-8b'), { kvDtype: 'int8' }, 'vllm'), /vLLM has no int8/);
  refusal(() => buildLaunch(input('llama-3.1-8b'), { kvDtype: 'nvfp4' }, 'vllm'), /vLLM has no nvfp4/);
  refusal(() => buildLaunch(input('llama-3.1-8b'), { kvDtype: 'fp16' }, 'vllm'), /model's dtype .*bf16/);
  refusal(() => buildLaunch(input('llama-3.1-8b'), { kDtype: 'fp8', vDtype: 'bf16' }, 'vllm'), /one --kv-cache-dtype for K and V/);
  // SGLang: no int8 and no GGUF blocks; llama.cpp: no fp8 cache type.
  refusal(() => buildLaunch(input('llama-3.1-8b'), { kvDtype: 'int8' }, 'sglang'), /SGLang has no int8 KV cache: .*fp8_e5m2, fp8_e4m3/);
  refusal(() => buildLaunch(input('llama-3.1-8b'), { kvDtype: 'q8_0' }, 'sglang'), /SGLang has no q8_0/);
  refusal(() => buildLaunch(input('llama-3.1-8b'), { kvDtype: 'fp8' }, 'llamacpp'), /llama\.cpp has no fp8 cache type .* f32, f16, bf16, q8_0, q4_0/);
  // llama.cpp has no tensor parallelism.
  refusal(() => buildLaunch(input('llama-3.1-8b'), { tp: 2 }, 'llamacpp'), /no tensor parallelism/);
  // fp8_ds_mla is vLLM's MLA layout: fine for DeepSeek-V3, refused elsewhere.
  assert.equal(value(launch('deepseek-v3', 'vllm', { gpu: 'h200', kvDtype: 'fp8_ds_mla' }).argv, '--kv-cache-dtype'), 'fp8_ds_mla');
});

test('llama.cpp: a quantized V cache comes with -fa on, and is refused with flash attention off', () => {
  // llama.cpp refuses a quantized V cache without flash attention (src/llama-context.cpp, llama_init_from_model).
  const plan = launch('llama-3.1-8b', 'llamacpp', { gpu: 'h100', kDtype: 'q8_0', vDtype: 'q4_0' });
  assert.equal(value(plan.argv, '-ctk'), 'q8_0');
  assert.equal(value(plan.argv, '-ctv'), 'q4_0');
  assert.equal(value(plan.argv, '-fa'), 'on');
  assert.match(plan.reasons.find((r) => r.flag === '-fa')!.why, /quantized V cache \(q4_0\) needs flash attention/);
  refusal(() => buildLaunch(input('llama-3.1-8b'), { vDtype: 'q4_0', llamacppFlashAttention: false }, 'llamacpp'), /flash attention for a quantized V cache/);
  // An f16 cache without flash attention is a choice llama.cpp takes: -fa off.
  assert.equal(value(launch('llama-3.1-8b', 'llamacpp', { llamacppFlashAttention: false }).argv, '-fa'), 'off');
});

test('llama.cpp: -c is -np slots × the context, -np the budget\'s requests, every layer offloaded', () => {
  const plan = launch('llama-3.1-8b', 'llamacpp', { gpu: 'h100', contextTokens: 32768 });
  const argv = pasted(renderLaunch(plan));
  const r = kv('llama-3.1-8b', { gpu: 'h100', runtime: 'llamacpp', contextTokens: 32768 });
  const np = Number(value(argv, '-np'));
  assert.equal(np, r.budget.maxBatchAtContext);
  assert.equal(Number(value(argv, '-c')), np * 32768);
  assert.equal(value(argv, '-ctk'), 'f16', "llama.cpp's default cache type");
  assert.equal(value(argv, '-ngl'), '999');
  assert.equal(value(argv, '-sm'), undefined, 'one GPU: no split');
});

test('llama.cpp takes at most 256 sequences (LLAMA_MAX_SEQ): a budget for more is capped, and says so', () => {
  // gpt-oss-20b keeps 128-token windows on half its layers: at 4k tokens an H200 holds far more than 256.
  const r = kv('gpt-oss-20b', { gpu: 'h200', runtime: 'llamacpp', contextTokens: 4096 });
  assert.ok(r.budget.maxBatchAtContext > LLAMA_MAX_SEQ);
  const plan = launch('gpt-oss-20b', 'llamacpp', { gpu: 'h200', contextTokens: 4096 });
  assert.equal(value(plan.argv, '-np'), String(LLAMA_MAX_SEQ));
  assert.equal(value(plan.argv, '-c'), String(LLAMA_MAX_SEQ * 4096));
  assert.ok(plan.warnings.some((w) => /at most 256 slots/.test(w)));
});

test('llama.cpp over several GPUs splits layers (-sm layer) and names the GGUF beside the config', () => {
  const plan = launch('deepseek-v3', 'llamacpp', { gpu: 'h200' }, ['mmproj-f16.gguf', 'DeepSeek-V3-Q4_K_M-00002-of-00009.gguf', 'DeepSeek-V3-Q4_K_M-00001-of-00009.gguf']);
  const n = kv('deepseek-v3', { gpu: 'h200', runtime: 'llamacpp' }).json.budget.gpusNeeded;
  assert.equal(n.tp, 1);
  assert.equal(plan.budget.gpus, n.gpus);
  assert.equal(value(plan.argv, '-sm'), 'layer');
  assert.equal(value(plan.argv, '-m'), 'models/deepseek-v3/DeepSeek-V3-Q4_K_M-00001-of-00009.gguf', 'the first shard, not the projector');
  assert.equal(value(plan.argv, '-np'), String(n.maxBatchAtContext));
  // Without a GGUF the command names the converter's output and says how to write it.
  const convert = launch('llama-3.1-8b', 'llamacpp');
  assert.equal(value(convert.argv, '-m'), 'models/llama-3.1-8b/llama-3.1-8b.gguf');
  assert.ok(convert.warnings.some((w) => w.includes('convert_hf_to_gguf.py models/llama-3.1-8b --outfile models/llama-3.1-8b/llama-3.1-8b.gguf')));
});

test('the model: the config\'s _name_or_path when it is a Hugging Face repo id, else the config\'s folder, quoted for the shell', () => {
  // meta-llama/Llama-2-7b-hf config.json: "_name_or_path": "meta-llama/Llama-2-7b-hf".
  const plan = launch('llama-2-7b', 'vllm');
  assert.equal(plan.argv[2], 'meta-llama/Llama-2-7b-hf');
  assert.match(plan.model.why, /_name_or_path/);
  assert.equal(value(launch('llama-2-7b', 'sglang').argv, '--model-path'), 'meta-llama/Llama-2-7b-hf');
  // A local path in _name_or_path is not a repo id: the folder it is.
  const local = buildLaunch({ file: 'my models/llama\'s/config.json', text: fixtureText('llama-3.1-8b').replace('{', '{"_name_or_path": "/raid/ckpt/llama",') }, {}, 'vllm');
  checkDocumented(local);
  assert.equal(local.argv[2], "my models/llama's");
  assert.match(local.command, /^vllm serve 'my models\/llama'\\''s' /);
  assert.match(local.model.why, /"\/raid\/ckpt\/llama" is a path/);
});

test('no count of the GPU holds the model: refused with why', () => {
  // A 1 GiB GPU: even 64 pipeline stages of 8 hold less than DeepSeek-V3's 627 GiB of weights.
  refusal(() => buildLaunch(input('deepseek-v3'), { gpuMemGiB: 1 }, 'vllm'), /no count of 1 GiB GPU/);
});

test('CLI: the README line runs, text and --json (a stable contract)', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s) };
  const config = path.join(ROOT, 'examples/llama-3.1-8b/config.json');
  assert.equal(await run(['launch', config, '--runtime', 'vllm', '--gpu', 'h100'], io), 0, err.join('\n'));
  const argv = pasted(out.join('\n'));
  assert.deepEqual(argv.slice(0, 3), ['vllm', 'serve', path.dirname(config)]);
  assert.equal(value(argv, '--max-model-len'), '131072');
  out.length = 0;
  assert.equal(await run(['launch', config, '--runtime', 'llama.cpp', '--json'], io), 0, err.join('\n'));
  const json = JSON.parse(out.join('\n')) as LaunchPlan;
  assert.equal(json.runtime, 'llamacpp');
  assert.ok(Array.isArray(json.argv) && typeof json.command === 'string' && Array.isArray(json.warnings));
  assert.ok(json.reasons.every((r) => typeof r.flag === 'string' && typeof r.value === 'string' && typeof r.why === 'string'));
  // Without a runtime, or with one it does not write, the CLI says what it takes (exit 2).
  err.length = 0;
  assert.equal(await run(['launch', config], io), 2);
  assert.match(err.join('\n'), /launch needs --runtime vllm\|sglang\|llamacpp/);
  assert.equal(await run(['launch', config, '--runtime', 'vllm', '--kv-dtype', 'q4_0'], io), 2);
  assert.match(err.join('\n'), /vLLM has no q4_0 KV cache/);
  assert.equal(await run(['launch', config, '--runtime', 'hf'], io), 2);
});

test('the report carries each runtime\'s command (the text it shows and copies) or why that runtime cannot take its settings', () => {
  const data = buildReportData({ input: input('deepseek-v3'), options: { gpu: 'h200' }, generator: 'test', now: new Date('2026-01-15T10:30:00Z') });
  assert.deepEqual(data.launch?.map((l) => l.runtime), ['vllm', 'sglang', 'llamacpp']);
  const vllm = data.launch.find((l) => l.runtime === 'vllm')!;
  // vLLM's DeepSeek-V3 recipe: 8×H200, --tensor-parallel-size 8 (as in the CLI test above).
  assert.equal(value(pasted(vllm.text!), '--tensor-parallel-size'), '8');
  assert.deepEqual(shellWords(vllm.command!), pasted(vllm.text!));
  assert.ok(isReportData(data));
  // The report's own choices: a llama.cpp-only KV dtype leaves vLLM and SGLang without a command, said.
  const q8 = buildReportData({ input: input('llama-3.1-8b'), options: { kvDtype: 'q8_0', tp: 1 }, generator: 'test' });
  assert.match(q8.launch!.find((l) => l.runtime === 'vllm')!.refused!, /vLLM has no q8_0 KV cache/);
  assert.match(q8.launch!.find((l) => l.runtime === 'sglang')!.refused!, /SGLang has no q8_0/);
  assert.equal(value(pasted(q8.launch!.find((l) => l.runtime === 'llamacpp')!.text!), '-ctk'), 'q8_0');
  // The panel's report choices carry TP 1 by default: that leaves the count to the budget, not pins it.
  assert.equal(value(pasted(buildReportData({ input: input('deepseek-v3'), options: { gpu: 'h200', tp: 1 }, generator: 'test' }).launch![0]!.text!), '--tensor-parallel-size'), '8');
  // The protocol: the page asks the host to copy one runtime's command; anything else is dropped.
  assert.ok(isViewMessage({ type: 'copyLaunch', runtime: 'sglang' }));
  assert.ok(!isViewMessage({ type: 'copyLaunch', runtime: 'hf' }));
  assert.ok(!isReportData({ ...data, launch: [{ runtime: 'vllm', name: 'vLLM' }] }), 'neither a command nor why not');
  assert.ok(!isReportData({ ...data, launch: [{ runtime: 'tgi', name: 'TGI', text: 'x' }] }));
});
