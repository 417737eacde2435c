/**
 * SGLang's `python -m sglang.launch_server` flags, checked against sgl-project/sglang
 * python/sglang/srt/server_args.py @ 001067f (ServerArgs: each flag derived from its field name —
 * model_path → --model-path, tp_size → --tp-size, pp_size → --pp-size, nnodes, node_rank,
 * dist_init_addr, context_length, kv_cache_dtype with its choices, mem_fraction_static,
 * max_running_requests) and docs/advanced_features/server_arguments.md @ b36e8e1 (multi-node launch).
 */
import type { ModelDtype } from '../attentionSpec';
import { UsageError } from '../errors';
import { bytes } from '../format';
import { GPUS_PER_NODE } from '../gpusNeeded';
import type { KvDtype } from '../kvDtypes';
import { fractionDown, maxRequestsArg, type LaunchArg, type LaunchContext, type RuntimeCli } from './model';

/** server_args.py @ 001067f: kv_cache_dtype choices. */
const KV_CACHE_DTYPES = ['auto', 'fp8_e5m2', 'fp8_e4m3', 'mxfp8', 'bf16', 'bfloat16', 'nvfp4', 'fp4_mx_block16', 'fp4_e2m1'] as const;

/**
 * What SGLang's "auto" stores: the dtype it runs the model in, which its --dtype help gives as "FP16
 * precision for FP32 and FP16 models, and BF16 precision for BF16 models".
 */
export function sglangAutoKv(model: ModelDtype): { dtype: KvDtype; why: string } {
  return model === 'bfloat16'
    ? { dtype: 'bf16', why: "the model's dtype (bfloat16), which SGLang's auto keeps" }
    : { dtype: 'fp16', why: model === 'float32' ? 'SGLang runs float32 checkpoints in float16 (--dtype auto) and auto keeps the KV in it' : "the model's dtype (float16), which SGLang's auto keeps" };
}

export const SGLANG: RuntimeCli = {
  id: 'sglang',
  name: 'SGLang',
  source: 'sgl-project/sglang python/sglang/srt/server_args.py @ 001067f and docs/advanced_features/server_arguments.md @ b36e8e1',
  program: ['python', '-m', 'sglang.launch_server'],
  // SGLang's pool holds KV token by token (no 16-token pages), so the budget counts exact bytes.
  budgetRules: 'hf',
  kvCacheDtypes: KV_CACHE_DTYPES,
  build(c) {
    const { shape, report } = c;
    const memory = report.budget.gpu.memoryBytes;
    const fraction = fractionDown(c.utilization - c.reserveBytes / memory);
    const args: LaunchArg[] = [
      { flag: '--model-path', value: c.model.argument, why: c.model.why },
      { flag: '--tp-size', value: String(shape.tp), why: shape.pipelineStages > 1 ? `${shape.tp}-way tensor parallelism in each of the ${shape.pipelineStages} pipeline stages` : shape.why },
    ];
    if (shape.pipelineStages > 1) args.push({ flag: '--pp-size', value: String(shape.pipelineStages), why: shape.why });
    if (shape.nodes > 1) args.push({ flag: '--nnodes', value: String(shape.nodes), why: `${shape.gpus} GPUs over nodes of ${GPUS_PER_NODE}` });
    args.push(
      { flag: '--context-length', value: String(c.contextTokens), why: c.contextWhy },
      kvCacheDtype(c),
      {
        flag: '--mem-fraction-static', value: fraction,
        why: `SGLang's static pool is weights + KV cache: the budget's ${c.utilization} of ${bytes(memory)} less its ${bytes(c.reserveBytes)} activation reserve (${c.utilization} − ${bytes(c.reserveBytes)} / ${bytes(memory)}, rounded down)`,
      },
    );
    const warnings: string[] = [];
    const requests = maxRequestsArg(c, '--max-running-requests', 'SGLang');
    if ('arg' in requests) args.push(requests.arg);
    else warnings.push(requests.warning);
    if (shape.nodes > 1) {
      warnings.push(`run this on each of the ${shape.nodes} nodes with --node-rank 0 … ${shape.nodes - 1}, adding --dist-init-addr HOST:PORT of the first node (SGLang's multi-node launch)`);
    }
    if (report.spec.layers.some((l) => l.kind === 'sliding' || l.kind === 'chunked')) {
      warnings.push('SGLang sizes the pool of its sliding-window layers by --swa-full-tokens-ratio, not by the window: the request count is the bound exact windowed bytes give');
    }
    return { args, warnings };
  },
};

/** --kv-cache-dtype: SGLang's name for what the budget counted, or a refusal that says what SGLang has. */
function kvCacheDtype(c: LaunchContext): LaunchArg {
  const { k, v, requested } = c.kv;
  const offered = `SGLang's --kv-cache-dtype offers ${KV_CACHE_DTYPES.join(', ')}`;
  if (k !== v) throw new UsageError(`SGLang has one --kv-cache-dtype for K and V, not K ${k} and V ${v}; give --kv-dtype instead of --k-dtype/--v-dtype`);
  const auto = sglangAutoKv(c.report.spec.dtype);
  if (k === auto.dtype) return { flag: '--kv-cache-dtype', value: 'auto', why: `${auto.why}; the budget counted ${k}` };
  const name = requested?.toLowerCase().replace(/-/g, '_');
  switch (k) {
    case 'fp8':
      // SGLang has no bare "fp8": e4m3 unless the user asked for e5m2.
      return { flag: '--kv-cache-dtype', value: name === 'fp8_e5m2' ? 'fp8_e5m2' : 'fp8_e4m3', why: '1 byte per value with a per-tensor scale, as the budget counted' };
    case 'bf16':
      return { flag: '--kv-cache-dtype', value: 'bf16', why: '2 bytes per value, as the budget counted' };
    case 'nvfp4':
      return { flag: '--kv-cache-dtype', value: 'nvfp4', why: "4-bit E2M1 values with an fp8 scale per block of 16, as the budget counted (SGLang's help: CUDA 12.8+ and PyTorch 2.8.0+)" };
    default:
      throw new UsageError(`SGLang has no ${k} KV cache: ${offered} (server_args.py @ 001067f). Use --kv-dtype auto, fp8, bf16 or nvfp4`);
  }
}
