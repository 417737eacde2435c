/**
 * vLLM's `vllm serve` flags, checked against vllm-project/vllm vllm/engine/arg_utils.py @ 99d7eb5
 * (add_cli_args: --tensor-parallel-size/-tp, --pipeline-parallel-size/-pp, --max-model-len,
 * --gpu-memory-utilization, --kv-cache-dtype, --max-num-seqs; the v0.11 line, whose deprecations say
 * "removed in v0.12.0") and vllm/config/cache.py @ c1d8642 (CacheDType, the --kv-cache-dtype choices).
 */
import { autoKvDtype, type KvDtype } from '../kvDtypes';
import { UsageError } from '../errors';
import { bytes } from '../format';
import { GPUS_PER_NODE } from '../gpusNeeded';
import { maxRequestsArg, type LaunchArg, type LaunchContext, type RuntimeCli } from './model';

/** vllm/config/cache.py @ c1d8642: CacheDType. */
const KV_CACHE_DTYPES = ['auto', 'bfloat16', 'fp8', 'fp8_e4m3', 'fp8_e5m2', 'fp8_inc', 'fp8_ds_mla'] as const;
/** The fp8 spellings that store what the budget's `fp8` counts: one byte per value, a per-tensor scale. */
const FP8_NAMES: readonly string[] = ['fp8', 'fp8_e4m3', 'fp8_e5m2'];

export const VLLM: RuntimeCli = {
  id: 'vllm',
  name: 'vLLM',
  source: 'vllm-project/vllm vllm/engine/arg_utils.py @ 99d7eb5 and vllm/config/cache.py @ c1d8642 (v0.11 line)',
  program: ['vllm', 'serve'],
  budgetRules: 'vllm',
  kvCacheDtypes: KV_CACHE_DTYPES,
  build(c) {
    const { shape } = c;
    const args: LaunchArg[] = [
      { flag: null, value: c.model.argument, why: c.model.why },
      { flag: '--tensor-parallel-size', value: String(shape.tp), why: shape.pipelineStages > 1 ? `${shape.tp}-way tensor parallelism in each of the ${shape.pipelineStages} pipeline stages` : shape.why },
    ];
    if (shape.pipelineStages > 1) args.push({ flag: '--pipeline-parallel-size', value: String(shape.pipelineStages), why: shape.why });
    args.push(
      { flag: '--max-model-len', value: String(c.contextTokens), why: c.contextWhy },
      kvCacheDtype(c),
      {
        flag: '--gpu-memory-utilization', value: String(c.utilization),
        why: `the fraction of each GPU the budget let vLLM use (weights, KV cache and its ${bytes(c.reserveBytes)} activation reserve)${c.utilization === 0.9 ? "; vLLM's default" : ''}`,
      },
    );
    const warnings: string[] = [];
    const requests = maxRequestsArg(c, '--max-num-seqs', 'vLLM', '16-token blocks');
    if ('arg' in requests) args.push(requests.arg);
    else warnings.push(requests.warning);
    if (shape.nodes > 1) {
      warnings.push(`${shape.gpus} GPUs span ${shape.nodes} nodes of ${GPUS_PER_NODE}: vLLM runs over nodes on a Ray cluster — start one over the ${shape.nodes} nodes and run this command on its head node`);
    }
    return { args, warnings };
  },
};

/** --kv-cache-dtype: the one name vLLM has for what the budget counted, or a refusal that says what vLLM has. */
function kvCacheDtype(c: LaunchContext): LaunchArg {
  const { k, v, requested } = c.kv;
  const offered = `vLLM's --kv-cache-dtype offers ${KV_CACHE_DTYPES.join(', ')}`;
  if (k !== v) throw new UsageError(`vLLM has one --kv-cache-dtype for K and V, not K ${k} and V ${v}; give --kv-dtype instead of --k-dtype/--v-dtype`);
  const auto = autoKvDtype(c.report.spec.dtype, 'vllm');
  if (k === auto.dtype) return { flag: '--kv-cache-dtype', value: 'auto', why: `${auto.why}; the budget counted ${k}` };
  const name = requested?.toLowerCase().replace(/-/g, '_');
  const spelled: Partial<Record<KvDtype, string>> = {
    fp8: name !== undefined && FP8_NAMES.includes(name) ? name : 'fp8',
    ...(c.report.spec.mla ? { fp8_ds_mla: 'fp8_ds_mla' } : {}),
  };
  const value = spelled[k];
  if (value !== undefined) {
    const why = k === 'fp8'
      ? `1 byte per value with a per-tensor scale, as the budget counted (vLLM's fp8 is fp8_e4m3)`
      : "vLLM's DeepSeek MLA fp8 layout: 656 B per token per layer, as the budget counted";
    return { flag: '--kv-cache-dtype', value, why };
  }
  if (k === 'fp8_ds_mla') throw new UsageError(`fp8_ds_mla is vLLM's layout of an MLA latent cache; this model has no MLA (${offered})`);
  if (k === 'bf16' || k === 'fp16' || k === 'fp32') {
    throw new UsageError(`vLLM keeps the KV cache in the model's dtype (--kv-cache-dtype auto: ${auto.dtype} here), not ${k}; its "bfloat16" choice is only for models whose KV defaults to fp8 (vllm/config/cache.py). Use --kv-dtype auto or fp8`);
  }
  throw new UsageError(`vLLM has no ${k} KV cache: ${offered} (vllm/config/cache.py @ c1d8642). Use --kv-dtype auto or fp8`);
}
