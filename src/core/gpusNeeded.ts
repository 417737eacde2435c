/**
 * How many GPUs of one kind a model needs: the smallest tensor-parallel count within a node (≤ 8, one
 * that divides the heads as runtimes require) whose budget holds the weights and one request at the
 * report's context; beyond 8, pipeline stages of 8-way TP over nodes, each stage holding an equal share
 * of the layers (its weights and their KV cache). The budget at that count comes with it.
 */
import { computeBudget, budgetFromUsable, type BudgetOptions } from './budget';
import { computeKvCost, tpChoices, type KvOptions } from './kvCost';
import type { AttentionSpec } from './attentionSpec';
import { bytes, int } from './format';

export const GPUS_PER_NODE = 8;
const MAX_PIPELINE_STAGES = 64;

export interface GpusNeeded {
  /** GPUs in all: tensor-parallel ranks × pipeline stages. */
  gpus: number;
  tp: number;
  pipelineStages: number;
  /** Nodes of GPUS_PER_NODE GPUs the count spans (1 within a node). */
  nodes: number;
  /** Whether any count up to 8 × 64 holds the weights and one request. */
  fits: boolean;
  /** The budget at that count (per GPU; cache tokens and context are the whole model's). */
  usableBytesPerGpu: number;
  maxContextTokens: number | null;
  maxBatchAtContext: number;
  cacheTokens: number;
  /** The request the count is sized for. */
  contextTokens: number;
  /** One line: why this count. */
  reason: string;
}

export function gpusNeeded(spec: AttentionSpec, kv: KvOptions, budget: Omit<BudgetOptions, 'concurrencyContexts'>): GpusNeeded {
  const contextTokens = kv.contextTokens;
  // llama.cpp has no tensor parallelism: it splits layers over GPUs (--split-mode layer), as stages do.
  const layerSplit = kv.runtime === 'llamacpp';
  const choices = layerSplit ? [1] : tpChoices(spec).filter((tp) => tp <= GPUS_PER_NODE);
  const what = `${bytes(budget.weightsBytes)} of weights and one ${int(contextTokens)}-token request`;
  for (const tp of choices) {
    // Weights alone past the GPUs' usable memory: no cache to cost (computeBudget would say usable ≤ 0).
    if (Math.floor(budget.gpu.memoryBytes * budget.utilization) - Math.ceil(budget.weightsBytes / tp) - budget.reserveBytes <= 0) continue;
    let cost;
    try {
      cost = computeKvCost(spec, { ...kv, tp, batch: 1 });
    } catch {
      continue; // a count the runtime refuses for this model (its rule is said where --tp is given)
    }
    const b = computeBudget(cost, spec.maxContextTokens, { ...budget, concurrencyContexts: [] });
    if (b.maxBatchAtContext >= 1) {
      return {
        gpus: tp, tp, pipelineStages: 1, nodes: 1, fits: true, usableBytesPerGpu: b.usableBytesPerGpu, maxContextTokens: b.maxContextTokens,
        maxBatchAtContext: b.maxBatchAtContext, cacheTokens: b.cacheTokens, contextTokens,
        reason: tp === 1 ? `one ${budget.gpu.name} holds ${what}` : `the smallest tensor-parallel count (of ${choices.join(', ')}, the ones the heads divide into) whose GPUs hold ${what}`,
      };
    }
  }
  // Beyond a node: 8-way (or the widest allowed) TP in each of p pipeline stages. A stage holds 1/p of the
  // layers, so its GPUs hold 1/p of the weights and of every request's cache: KV(T) ≤ usable × p.
  const tp = choices[choices.length - 1] ?? 1;
  const cost = computeKvCost(spec, { ...kv, tp, batch: 1 });
  const memory = Math.floor(budget.gpu.memoryBytes * budget.utilization);
  for (let p = 2; p <= MAX_PIPELINE_STAGES; p++) {
    const usable = memory - Math.ceil(budget.weightsBytes / (tp * p)) - budget.reserveBytes;
    if (usable <= 0) continue;
    const b = budgetFromUsable(cost, usable * p, spec.maxContextTokens, []);
    if (b.maxBatchAtContext >= 1) {
      const gpus = tp * p;
      return {
        gpus, tp, pipelineStages: p, nodes: Math.ceil(gpus / GPUS_PER_NODE), fits: true, usableBytesPerGpu: usable, maxContextTokens: b.maxContextTokens,
        maxBatchAtContext: b.maxBatchAtContext, cacheTokens: b.cacheTokens, contextTokens,
        reason: layerSplit
          ? `one ${budget.gpu.name} cannot hold ${what}: llama.cpp splits the layers over ${p} GPUs (--split-mode layer), each with 1/${p} of the layers${gpus > GPUS_PER_NODE ? `, over ${Math.ceil(gpus / GPUS_PER_NODE)} nodes (llama.cpp's RPC backend)` : ''}`
          : `${GPUS_PER_NODE} GPUs of one node cannot hold ${what}: ${p} pipeline stages of ${tp}-way tensor parallelism, over ${Math.ceil(gpus / GPUS_PER_NODE)} nodes, each stage with 1/${p} of the layers`,
      };
    }
  }
  return {
    gpus: tp * MAX_PIPELINE_STAGES, tp, pipelineStages: MAX_PIPELINE_STAGES, nodes: Math.ceil((tp * MAX_PIPELINE_STAGES) / GPUS_PER_NODE), fits: false, usableBytesPerGpu: 0,
    maxContextTokens: null, maxBatchAtContext: 0, cacheTokens: 0, contextTokens,
    reason: `even ${MAX_PIPELINE_STAGES} pipeline stages of ${tp} ${budget.gpu.name}s cannot hold ${what}`,
  };
}

/** "8× H100 SXM 80GB (TP 8)", "16× H100 SXM 80GB (TP 8 × PP 2, 2 nodes)", "3× RTX 4090 (layers split over 3)". */
export function describeGpusNeeded(n: GpusNeeded, gpuName: string): string {
  if (n.gpus === 1) return `1× ${gpuName}`;
  const shape = n.tp === 1 ? `layers split over ${n.pipelineStages}${n.nodes > 1 ? `, ${n.nodes} nodes` : ''}` : n.pipelineStages > 1 ? `TP ${n.tp} × PP ${n.pipelineStages}, ${n.nodes} nodes` : `TP ${n.tp}`;
  return `${n.gpus}× ${gpuName} (${shape})`;
}
