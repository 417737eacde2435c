/**
 * Budgets on a GPU: usable = memory × utilization − weights per GPU − a stated reserve; from it the
 * longest context at batch 1, the concurrency at given contexts, and the runtime's "KV cache size in
 * tokens" — all window-aware and under the runtime's allocation rules (pages, padded cells).
 */
import { int, bytes as fmtBytes } from './format';
import type { GpuPreset } from './gpus';
import { heldBytesPerRank, type KvCost, type KvOptions, type LayerGroup, groupLayers } from './kvCost';
import { MAX_CONTEXT_TOKENS } from './configKeys';

/** CUDA context, activations at the batched-token peak and graph pools: vLLM measures this at start-up. */
export const DEFAULT_RESERVE_BYTES = 2 * 2 ** 30;
export const DEFAULT_CONCURRENCY_CONTEXTS = [8192, 32768, 131072] as const;

export interface BudgetOptions {
  gpu: GpuPreset;
  utilization: number;
  reserveBytes: number;
  /** Whole-model weights; divided over TP ranks. */
  weightsBytes: number;
  weightsSource: string;
  concurrencyContexts: readonly number[];
}

export interface ConcurrencyRow {
  contextTokens: number;
  /** Whole requests of this length that fit at once. */
  maxConcurrency: number;
  /** vLLM's "Maximum concurrency for X tokens per request: Y×": cache tokens / tokens held per request. */
  concurrencyRatio: number;
}

export interface Budget {
  gpu: { id: string; name: string; memoryBytes: number; bandwidthGBps: number; source: string };
  gpus: number;
  utilization: number;
  reserveBytes: number;
  weightsBytes: number;
  weightsBytesPerGpu: number;
  weightsSource: string;
  /** KV memory per GPU; ≤ 0 means the weights alone do not fit. */
  usableBytesPerGpu: number;
  fits: boolean;
  /** Longest context one sequence can have; null if nothing fits; MAX_CONTEXT_TOKENS when every layer's cache is bounded. */
  maxContextTokens: number | null;
  /** Whether that reaches the model's configured maximum context. */
  fitsModelContext: boolean;
  /** Tokens the KV cache holds, counting every layer's bytes per token (vLLM's "GPU KV cache size: N tokens"). */
  cacheTokens: number;
  /** Sequences of the report's context that fit at once. */
  maxBatchAtContext: number;
  concurrency: ConcurrencyRow[];
  derivation: string[];
}

export function computeBudget(cost: KvCost, modelMaxContext: number, options: BudgetOptions): Budget {
  const tp = cost.options.tp;
  const memory = options.gpu.memoryBytes;
  const weightsPerGpu = Math.ceil(options.weightsBytes / tp);
  const usable = Math.floor(memory * options.utilization) - weightsPerGpu - options.reserveBytes;
  const derivation = [
    `usable per GPU = ${fmtBytes(memory)} × ${options.utilization} − weights ${fmtBytes(weightsPerGpu)}${tp > 1 ? ` (${fmtBytes(options.weightsBytes)} / ${tp} GPUs)` : ''} − reserve ${fmtBytes(options.reserveBytes)} = ${fmtBytes(usable)}`,
    `weights: ${options.weightsSource}`,
    `reserve: CUDA context, activations and graphs (vLLM profiles it at start-up); change with --reserve-gib`,
  ];
  const result = budgetFromUsable(cost, usable, modelMaxContext, options.concurrencyContexts);
  return {
    gpu: { id: options.gpu.id, name: options.gpu.name, memoryBytes: memory, bandwidthGBps: options.gpu.bandwidthGBps, source: options.gpu.source },
    gpus: tp,
    utilization: options.utilization,
    reserveBytes: options.reserveBytes,
    weightsBytes: options.weightsBytes,
    weightsBytesPerGpu: weightsPerGpu,
    weightsSource: options.weightsSource,
    ...result,
    derivation: [...derivation, ...result.derivation],
  };
}

/** The part of a budget that depends only on the KV memory available per GPU. */
export function budgetFromUsable(
  cost: KvCost,
  usableBytesPerGpu: number,
  modelMaxContext: number,
  concurrencyContexts: readonly number[],
): Pick<Budget, 'usableBytesPerGpu' | 'fits' | 'maxContextTokens' | 'fitsModelContext' | 'cacheTokens' | 'maxBatchAtContext' | 'concurrency' | 'derivation'> {
  const rules = cost.options;
  const groups = groupLayers(cost.layers);
  const perSeqState = cost.stateBytesPerSequence / rules.tp;
  const held = (T: number, b: number): number => heldBytesPerRank(groups, rules, T, b) + perSeqState * b;
  const derivation: string[] = [];
  const usable = usableBytesPerGpu;
  if (usable <= 0 || held(1, 1) > usable) {
    derivation.push('the weights and reserve leave no room for a KV cache on this GPU');
    return { usableBytesPerGpu: usable, fits: false, maxContextTokens: null, fitsModelContext: false, cacheTokens: 0, maxBatchAtContext: 0, concurrency: concurrencyContexts.map((c) => ({ contextTokens: c, maxConcurrency: 0, concurrencyRatio: 0 })), derivation };
  }

  const block = rules.runtime === 'vllm' ? rules.vllmBlockTokens : 1;
  let cacheTokens = cost.bytesPerTokenPerRank > 0 ? Math.floor(usable / cost.bytesPerTokenPerRank) : MAX_CONTEXT_TOKENS;
  cacheTokens = Math.min(MAX_CONTEXT_TOKENS, Math.floor(cacheTokens / block) * block);
  derivation.push(`cache tokens = ${fmtBytes(usable)} / ${int(cost.bytesPerTokenPerRank)} B per token per GPU${block > 1 ? `, in whole ${block}-token blocks` : ''} = ${int(cacheTokens)}`);

  const maxContext = largestFitting((T) => held(T, 1) <= usable, MAX_CONTEXT_TOKENS);
  const maxContextTokens = rules.runtime === 'vllm' ? Math.floor(maxContext / block) * block : maxContext;
  derivation.push(maxContextTokens >= MAX_CONTEXT_TOKENS
    ? 'max context: unbounded by memory (every caching layer is windowed)'
    : `max context at batch 1 = the longest T with KV(T) ≤ ${fmtBytes(usable)} = ${int(maxContextTokens)} tokens`);

  const concurrency = concurrencyContexts.map((C) => concurrencyAt(groups, rules, held, usable, C, cacheTokens));
  const at = concurrencyAt(groups, rules, held, usable, rules.contextTokens, cacheTokens);
  for (const row of concurrency) {
    derivation.push(`concurrency at ${int(row.contextTokens)} tokens = ${int(row.maxConcurrency)} requests (ratio ${row.concurrencyRatio.toFixed(2)}×)`);
  }
  return {
    usableBytesPerGpu: usable,
    fits: true,
    maxContextTokens,
    fitsModelContext: maxContextTokens >= modelMaxContext,
    cacheTokens,
    maxBatchAtContext: at.maxConcurrency,
    concurrency,
    derivation,
  };
}

function concurrencyAt(
  groups: readonly LayerGroup[],
  rules: KvOptions,
  held: (T: number, b: number) => number,
  usable: number,
  contextTokens: number,
  cacheTokens: number,
): ConcurrencyRow {
  const one = held(contextTokens, 1);
  const maxConcurrency = one <= 0 ? Number.MAX_SAFE_INTEGER : largestFitting((b) => held(contextTokens, b) <= usable, 1 << 30);
  // vLLM divides its cache (in tokens of all layers) by the tokens a request needs, windows included.
  const tokensPerRequest = groups.length === 0 ? 0 : heldBytesPerRank(groups, rules, contextTokens, 1) / groups.reduce((s, g) => s + g.count * g.bytesPerTokenPerRank, 0);
  const concurrencyRatio = tokensPerRequest > 0 ? cacheTokens / tokensPerRequest : Number.POSITIVE_INFINITY;
  return { contextTokens, maxConcurrency, concurrencyRatio: Number.isFinite(concurrencyRatio) ? concurrencyRatio : 0 };
}

/** Largest n in [0, limit] with fits(n), for a monotone predicate (fits(0) assumed true). */
function largestFitting(fits: (n: number) => boolean, limit: number): number {
  if (fits(limit)) return limit;
  let lo = 0;
  let hi = limit;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}
