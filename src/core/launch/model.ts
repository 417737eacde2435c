/**
 * The shared model of a launch command: what one runtime's flag table (vllm.ts, sglang.ts, llamacpp.ts)
 * is given — the budget the engine derived, the request it was sized for, the KV dtype, the model
 * argument — and what it gives back: each flag with its value and why. buildLaunch (index.ts) turns that
 * into argv, one shell line and the `--json` contract; text/renderLaunch.ts into commented shell text.
 */
import type { KvDtype, Runtime } from '../kvDtypes';
import { bytes, int } from '../format';
import type { KvReport } from '../report';

export type LaunchRuntime = 'vllm' | 'sglang' | 'llamacpp';

/** One value of the command: a flag with its value (flag null for a positional argument) and why. */
export interface LaunchArg {
  flag: string | null;
  value: string;
  why: string;
}

/** The GPUs and the requests the command is sized for, as the budget derived them. */
export interface LaunchShape {
  gpus: number;
  tp: number;
  pipelineStages: number;
  nodes: number;
  /** Requests of contextTokens that the KV cache holds at once on that many GPUs. */
  maxConcurrentRequests: number;
  /** KV memory per GPU after the weights and the reserve. */
  usableBytesPerGpu: number;
  /** KV bytes one token takes on one GPU: its tensor-parallel share of its pipeline stage's layers. */
  kvBytesPerTokenPerGpu: number;
  /** Why this many GPUs (the user's --tp, or the smallest count that holds the model). */
  why: string;
}

export interface LaunchContext {
  report: KvReport;
  shape: LaunchShape;
  contextTokens: number;
  contextWhy: string;
  /** The K and V dtypes the budget used; `requested` is the name the user typed (fp8_e5m2 keeps its variant). */
  kv: { k: KvDtype; v: KvDtype; chosen: boolean; requested: string | undefined };
  model: { argument: string; why: string };
  utilization: number;
  reserveBytes: number;
}

/** One runtime's command line: its program, where its flags were checked, and how it spells each value. */
export interface RuntimeCli {
  id: LaunchRuntime;
  name: string;
  /** The documented CLI the flags and choices were checked against (file, commit, version). */
  source: string;
  program: readonly string[];
  /** Whose allocation rules size the budget (the engine's runtimes). */
  budgetRules: Runtime;
  /** The KV-cache dtype names the runtime's CLI accepts, as its source lists them. */
  kvCacheDtypes: readonly string[];
  /** The flags, in command order; throws UsageError for a combination the runtime does not offer. */
  build(context: LaunchContext): { args: LaunchArg[]; warnings: string[] };
}

/** The `--json` contract of `attention-lens launch` (fields may be added, never renamed or dropped). */
export interface LaunchPlan {
  runtime: LaunchRuntime;
  runtimeName: string;
  /** The command as words, ready for execve or a subprocess call. */
  argv: string[];
  /** The same as one shell line, each word quoted where the shell needs it. */
  command: string;
  /** Every value the command sets, with why (flag "model" for the positional model of vllm serve). */
  reasons: { flag: string; value: string; why: string }[];
  /** What the command leaves to the user or assumes (other nodes, a conversion, a capped count). */
  warnings: string[];
  /** The runtime CLI the flags were checked against. */
  source: string;
  model: { argument: string; why: string };
  budget: {
    gpu: string;
    gpus: number;
    tp: number;
    pipelineStages: number;
    nodes: number;
    contextTokens: number;
    maxConcurrentRequests: number;
    usableBytesPerGpu: number;
    utilization: number;
    reserveBytes: number;
    /** The engine runtime whose allocation rules sized the budget. */
    rules: Runtime;
  };
}

/** Requests above this many are no bound a runtime needs (every caching layer windowed, no per-token KV). */
export const UNBOUNDED_REQUESTS = 1 << 20;

/**
 * Why the budget's request count: how many contextTokens-token requests the KV cache left per GPU holds.
 * `rounding`: how the runtime rounds a request's cache (vLLM's 16-token blocks, llama.cpp's 256 cells).
 */
export function requestsWhy(c: LaunchContext, rounding?: string): string {
  const n = c.shape.maxConcurrentRequests;
  return `${int(n)} request${n === 1 ? '' : 's'} of ${int(c.contextTokens)} tokens fit at once in the ${bytes(c.shape.usableBytesPerGpu)} of KV cache per GPU the budget leaves (${int(c.shape.kvBytesPerTokenPerGpu)} B per token per GPU${rounding ? `, ${rounding}` : ''})`;
}

/**
 * A server's limit on requests running at once (vLLM's --max-num-seqs, SGLang's --max-running-requests)
 * set to the budget's count; when memory does not bound it, no flag and a warning saying the default stays.
 */
export function maxRequestsArg(c: LaunchContext, flag: string, runtimeName: string, rounding?: string): { arg: LaunchArg } | { warning: string } {
  if (c.shape.maxConcurrentRequests >= UNBOUNDED_REQUESTS) {
    return { warning: `memory does not bound the number of ${int(c.contextTokens)}-token requests here (no per-token KV past the windows): ${flag} is left at ${runtimeName}'s default` };
  }
  return { arg: { flag, value: String(c.shape.maxConcurrentRequests), why: `${requestsWhy(c, rounding)}; shorter requests could run more` } };
}

/** A word as a POSIX shell reads it back: plain when it has no special characters, else single-quoted. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** 0.8858… → "0.885": rounded down, so the runtime never takes more than the budget gave. */
export function fractionDown(x: number, digits = 3): string {
  const scale = 10 ** digits;
  return String(Math.floor(x * scale + 1e-9) / scale);
}
