/**
 * llama.cpp's `llama-server` flags, checked against ggml-org/llama.cpp common/arg.cpp @ 145b628
 * (-m/--model, -c/--ctx-size, -np/--parallel, -ctk/--cache-type-k, -ctv/--cache-type-v and their
 * kv_cache_types list, -fa/--flash-attn [on|off|auto], -ngl/--n-gpu-layers, -sm/--split-mode
 * {none,layer,row}) and src/llama-cparams.h @ 0349835 (LLAMA_MAX_SEQ 256: llama_context refuses more
 * sequences, "n_seq_max must be <= 256").
 */
import { UsageError } from '../errors';
import { bytes, int } from '../format';
import { GPUS_PER_NODE } from '../gpusNeeded';
import { isQuantizedCacheType } from '../llamaCppRules';
import type { KvDtype } from '../kvDtypes';
import { requestsWhy, UNBOUNDED_REQUESTS, type LaunchArg, type RuntimeCli } from './model';

/** common/arg.cpp @ 145b628: kv_cache_types, by ggml_type_name. */
const CACHE_TYPES = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_1', 'iq4_nl', 'q5_0', 'q5_1'] as const;
/** Our KV dtypes under their ggml names; the rest have no llama.cpp cache type. */
const CACHE_TYPE_OF: Partial<Record<KvDtype, (typeof CACHE_TYPES)[number]>> = { fp32: 'f32', fp16: 'f16', bf16: 'bf16', q8_0: 'q8_0', q4_0: 'q4_0' };
/** src/llama-cparams.h: LLAMA_MAX_SEQ. */
const MAX_SEQUENCES = 256;
/** -c is read with std::stoi: an int32. */
const MAX_CTX = 2 ** 31 - 1;
/** More than any model's layer count: -ngl 999 puts every layer on the GPU. */
const ALL_LAYERS = '999';

export const LLAMACPP: RuntimeCli = {
  id: 'llamacpp',
  name: 'llama.cpp',
  source: 'ggml-org/llama.cpp common/arg.cpp @ 145b628 and src/llama-cparams.h @ 0349835',
  program: ['llama-server'],
  budgetRules: 'llamacpp',
  kvCacheDtypes: CACHE_TYPES,
  build(c) {
    const { shape, report } = c;
    const warnings: string[] = [];
    const cacheType = (d: KvDtype, which: 'K' | 'V'): string => {
      const t = CACHE_TYPE_OF[d];
      if (t === undefined) throw new UsageError(`llama.cpp has no ${d} cache type for ${which}: its -ctk/-ctv take ${CACHE_TYPES.join(', ')} (common/arg.cpp @ 145b628). Use --kv-dtype f16, q8_0 or q4_0`);
      return t;
    };
    const k = cacheType(c.kv.k, 'K');
    const v = cacheType(c.kv.v, 'V');
    const flash = report.json.kv.flashAttention !== false;

    let slots = shape.maxConcurrentRequests;
    const cap = Math.min(MAX_SEQUENCES, Math.floor(MAX_CTX / c.contextTokens));
    if (slots > cap) {
      warnings.push(slots >= UNBOUNDED_REQUESTS
        ? `memory does not bound the number of ${int(c.contextTokens)}-token requests here: -np is llama.cpp's most, ${cap}`
        : `the budget fits ${int(slots)} requests of ${int(c.contextTokens)} tokens, but llama.cpp takes at most ${cap} slots (${cap === MAX_SEQUENCES ? 'LLAMA_MAX_SEQ' : '-c is an int32'}): -np ${cap}`);
      slots = cap;
    }
    const cells = slots * c.contextTokens;
    const kvWhy = (d: KvDtype): string => (c.kv.chosen ? `the chosen ${d}, as the budget counted` : "llama.cpp's default cache type, as the budget counted");
    const args: LaunchArg[] = [
      { flag: '-m', value: c.model.argument, why: c.model.why },
      { flag: '-c', value: String(cells), why: `${slots} slot${slots === 1 ? '' : 's'} × ${int(c.contextTokens)} tokens: -c is the cache cells of all slots together, each slot gets ${int(c.contextTokens)} (${c.contextWhy})` },
      {
        flag: '-np', value: String(slots),
        why: `${requestsWhy(c, 'cells padded to 256')}${slots < shape.maxConcurrentRequests ? `; capped at ${slots}` : ''}`,
      },
      { flag: '-ctk', value: k, why: kvWhy(c.kv.k) },
      { flag: '-ctv', value: v, why: kvWhy(c.kv.v) },
      {
        flag: '-fa', value: flash ? 'on' : 'off',
        why: !flash ? 'chosen with --flash-attn off: V is stored transposed (padded to the widest layer), as the budget counted'
          : isQuantizedCacheType(c.kv.v) ? `a quantized V cache (${v}) needs flash attention: llama.cpp refuses it without (src/llama-context.cpp)`
            : 'the budget counted V as flash attention stores it; on says so wherever auto would decide',
      },
      { flag: '-ngl', value: ALL_LAYERS, why: 'every layer on the GPU (999 is more than any model has): the budget holds all the weights in GPU memory' },
    ];
    if (shape.gpus > 1) {
      args.push({ flag: '-sm', value: 'layer', why: `${shape.why}; layer is llama.cpp's default split, said so the command matches the budget` });
    }
    if (shape.nodes > 1) {
      warnings.push(`${shape.gpus} GPUs span ${shape.nodes} nodes of ${GPUS_PER_NODE}: llama.cpp reaches the other machines' GPUs through its RPC backend (rpc-server on each, --rpc HOST:PORT,… here), which this command does not set up`);
    }
    warnings.push(`llama.cpp has no memory fraction: the budget kept ${Math.round((1 - c.utilization) * 100)}% of each GPU and a ${bytes(c.reserveBytes)} reserve free, which this command leaves unused`);
    return { args, warnings };
  },
};
