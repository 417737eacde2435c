/**
 * The contexts each fixture is checked at: f16, q8_0 and q4_0 caches, K and V apart, with flash
 * attention where llama.cpp requires it for a quantized V; sizes that are not multiples of 256; one past
 * 10,486 cells, where llama.cpp's two-decimal MiB figure pins every byte per cell (two per-cell sizes one
 * byte apart differ by more than 0.01 MiB in total); and the model's full context, which reaches every
 * window and chunk rule. The first case allocates for real; the rest use llama.cpp's no_alloc mode.
 */
import type { ContextRequest } from './llamaCpp';

export interface OracleCase extends ContextRequest {
  label: string;
  /** Allocate the cache for real (else llama.cpp's no_alloc: real tensors on an empty buffer). */
  allocate?: boolean;
}

/** The full-context case, capped so a model that claims 10M tokens still checks in a moment. */
export const MAX_CHECKED_CONTEXT = 1_048_576;

export function oracleCases(maxContextTokens: number): OracleCase[] {
  const full = Math.min(maxContextTokens, MAX_CHECKED_CONTEXT);
  return [
    { label: 'f16, 1000 tokens, allocated', allocate: true, contextSize: 1000, kType: 'F16', vType: 'F16', flashAttention: false },
    // A quantized V cache needs flash attention (llama-context.cpp refuses it otherwise).
    { label: 'q8_0, 3000 tokens, flash attention', contextSize: 3000, kType: 'Q8_0', vType: 'Q8_0', flashAttention: true },
    { label: 'K q4_0 / V f16, 2048 tokens', contextSize: 2048, kType: 'Q4_0', vType: 'F16', flashAttention: false },
    { label: 'K q8_0 / V q4_0, 20333 tokens, flash attention', contextSize: 20_333, kType: 'Q8_0', vType: 'Q4_0', flashAttention: true },
    { label: `f16, ${full} tokens (the model's context)`, contextSize: full, kType: 'F16', vType: 'F16', flashAttention: false },
    { label: `q4_0, ${full - 77} tokens, flash attention`, contextSize: full - 77, kType: 'Q4_0', vType: 'Q4_0', flashAttention: true },
  ];
}
