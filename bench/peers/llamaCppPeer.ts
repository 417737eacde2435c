/**
 * The llama.cpp peer, parent side: finds the Vulkan device that is our adapter (llama.cpp numbers
 * Vulkan's physical devices; Dawn names adapters its own way), then runs bench/peers/llamaCppChild.ts
 * in a child process with GGML_VK_VISIBLE_DEVICES set to it — set even for a GPU, and needed on
 * lavapipe: ggml-vulkan skips a device of type CPU unless it is named there. An abort or a hang in
 * llama.cpp costs this column, never the benchmark: each case's row then says what happened.
 */
import { spawn } from 'node:child_process';
import type { StepSummary } from './stepTiming';

export interface LlamaCase {
  id: string;
  tokens: number;
  qHeads: number;
  kvHeads: number;
  headDim: number;
}

export type LlamaChildRequest =
  | { mode: 'name' }
  | { mode: 'measure'; cases: LlamaCase[]; warmup: number; samples: number; maxCaseSeconds: number; flashAttention: boolean };

export type LlamaChildLine =
  | { type: 'device'; gpu: string; names: string[] }
  | { type: 'start'; id: string; tokens: number }
  | { type: 'result'; id: string; tokens: number; step: StepSummary; prefillSeconds: number; contextTokens: number; flashAttention: boolean; note?: string }
  | { type: 'error'; id?: string; tokens?: number; message: string };

export interface LlamaOutcome {
  id: string;
  tokens: number;
  step?: StepSummary;
  prefillSeconds?: number;
  flashAttention?: boolean;
  note?: string;
  /** Why there is no figure. */
  error?: string;
}

export interface LlamaRun {
  /** The Vulkan device llama.cpp ran on, as it names it; null when none was found. */
  device: string | null;
  /** GGML_VK_VISIBLE_DEVICES given to the child. */
  vulkanIndex: number | null;
  outcomes: LlamaOutcome[];
  notes: string[];
  /** Why llama.cpp opened no device that is our adapter; null when it did. */
  error: string | null;
}

/** Lowercase words of a device name without the words every name has (vendors' and drivers'). */
function words(name: string): string[] {
  const common = new Set(['nvidia', 'amd', 'intel', 'apple', 'radeon', 'geforce', 'graphics', 'corporation', 'gpu', 'vulkan', 'llvm', 'bits', 'mesa', 'driver', 'ati', 'the']);
  return name.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length >= 3 && !/^\d+$/.test(w) && !common.has(w));
}

/**
 * Whether llama.cpp's name of a Vulkan device is Dawn's adapter: the same software rasterizer
 * (llvmpipe, SwiftShader), or a model word in common — Dawn's "NVIDIA: 580.159.04 … nvidia-h200" and
 * Vulkan's "NVIDIA H200" share "h200".
 */
export function sameDevice(dawnAdapter: string, vulkanName: string): boolean {
  for (const software of ['llvmpipe', 'swiftshader', 'lavapipe']) {
    const a = dawnAdapter.toLowerCase().includes(software);
    const b = vulkanName.toLowerCase().includes(software);
    if (a || b) return a && b;
  }
  const a = new Set(words(dawnAdapter).flatMap((w) => [w, ...w.split(/(?<=[a-z])(?=\d)/)]));
  return words(vulkanName).some((w) => a.has(w));
}

/** Lines of JSON a child printed, the others ignored. */
export function parseChildLines(stdout: string): LlamaChildLine[] {
  const out: LlamaChildLine[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as LlamaChildLine);
    } catch {
      // a partial line cut by an abort
    }
  }
  return out;
}

/** The line that says why a process died: llama.cpp's GGML_ABORT text (file:line: message), else the last line of stderr. */
export function deathReason(stderr: string, code: number | null, signal: string | null, timedOutSeconds: number | null): string {
  if (timedOutSeconds !== null) return `no result within ${timedOutSeconds} s (stopped)`;
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const abort = [...lines].reverse().find((l) => /\.(cpp|c|h):\d+: /.test(l) || /GGML_ASSERT|abort/i.test(l));
  const tail = abort ?? lines[lines.length - 1];
  const how = signal ? `killed by ${signal}` : `exit code ${code}`;
  return tail ? `${tail.replace(/^\S*\/llama\.cpp\//, '')} (${how})` : `llama.cpp's process ended, ${how}, saying nothing`;
}

interface ChildRun {
  lines: LlamaChildLine[];
  stderr: string;
  code: number | null;
  signal: string | null;
  timedOut: boolean;
}

function runChild(script: string, request: LlamaChildRequest, env: NodeJS.ProcessEnv, limitSeconds: number, onLine?: (l: LlamaChildLine) => void): Promise<ChildRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, JSON.stringify(request)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      pending += chunk.toString();
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const line of parseChildLines(parts.join('\n'))) onLine?.(line);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-20000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, limitSeconds * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ lines: parseChildLines(stdout), stderr, code, signal, timedOut });
    });
  });
}

export interface LlamaOptions {
  /** out/bench/peersLlamaCpp.mjs */
  script: string;
  /** Dawn's name of the adapter our kernels ran on. */
  adapter: string;
  warmup: number;
  samples: number;
  maxCaseSeconds: number;
  /** The whole llama.cpp part, device search included. */
  limitSeconds: number;
  flashAttention: boolean;
  log: (line: string) => void;
  /** PEERS_LLAMA_VK_DEVICE: the Vulkan index to use, skipping the search. */
  vulkanIndex?: number;
}

/**
 * llama.cpp on every case, in one child; the cases it did not finish get the reason it stopped. With no
 * cases it only finds and opens the Vulkan device that is our adapter (gpu:check's quick list).
 */
export async function runLlamaCpp(cases: readonly LlamaCase[], o: LlamaOptions): Promise<LlamaRun> {
  const started = performance.now();
  const left = (): number => Math.max(1, Math.floor(o.limitSeconds - (performance.now() - started) / 1000));
  const notes: string[] = [];
  const env = (index: number): NodeJS.ProcessEnv => ({ ...process.env, GGML_VK_VISIBLE_DEVICES: String(index) });
  let index = o.vulkanIndex ?? null;
  let device: string | null = null;
  const seen: string[] = [];
  if (index === null) {
    // Vulkan device i, one process each (llama.cpp reads the variable once): the first that is our adapter.
    for (let i = 0; i < 8 && index === null; i++) {
      const r = await runChild(o.script, { mode: 'name' }, env(i), Math.min(120, left()));
      const names = r.lines.flatMap((l) => (l.type === 'device' ? l.names : []));
      if (names.length === 0) {
        if (i === 0) return failAll(cases, `llama.cpp's Vulkan backend opened no device: ${deathReason(r.stderr, r.code, r.signal, r.timedOut ? Math.min(120, left()) : null)}`, notes);
        break; // past the last device ("Invalid Vulkan device index")
      }
      seen.push(...names);
      if (names.some((n) => sameDevice(o.adapter, n))) {
        index = i;
        device = names[0]!;
      }
    }
    if (index === null) return failAll(cases, `none of llama.cpp's Vulkan devices (${seen.join(', ') || 'none'}) is ${o.adapter}`, notes);
  }
  o.log(`llama.cpp: Vulkan device ${index}${device ? ` (${device})` : ''}`);
  const outcomes = new Map<string, LlamaOutcome>();
  const key = (id: string, tokens: number): string => `${id}@${tokens}`;
  // One child for the cases (llama.cpp compiles its pipelines once per process); when it dies, the case
  // it was on gets the reason and a new child takes the rest, while time is left.
  let remaining = [...cases];
  while (remaining.length > 0) {
    const limit = left();
    if (limit <= 1) break;
    const at: { current: LlamaCase | null } = { current: null };
    const r = await runChild(o.script, { mode: 'measure', cases: remaining, warmup: o.warmup, samples: o.samples, maxCaseSeconds: o.maxCaseSeconds, flashAttention: o.flashAttention }, env(index), limit, (l) => {
      if (l.type === 'start') {
        at.current = remaining.find((c) => c.id === l.id && c.tokens === l.tokens) ?? null;
        o.log(`llama.cpp: ${l.id} at ${l.tokens} tokens`);
      }
      if (l.type === 'result') o.log(`    ${(l.step.medianUs / 1000).toFixed(2)} ms per step (prefill ${l.prefillSeconds.toFixed(1)} s)`);
      if (l.type === 'error') o.log(`    llama.cpp: ${l.message}`);
    });
    for (const l of r.lines) {
      if (l.type === 'device' && !device) device = l.names[0] ?? null;
      if (l.type === 'result') outcomes.set(key(l.id, l.tokens), { id: l.id, tokens: l.tokens, step: l.step, prefillSeconds: l.prefillSeconds, flashAttention: l.flashAttention, ...(l.note ? { note: l.note } : {}) });
      if (l.type === 'error' && l.id !== undefined && l.tokens !== undefined) outcomes.set(key(l.id, l.tokens), { id: l.id, tokens: l.tokens, error: `llama.cpp: ${l.message}` });
    }
    const general = r.lines.find((l): l is Extract<LlamaChildLine, { type: 'error' }> => l.type === 'error' && l.id === undefined);
    const died = r.code !== 0 || r.timedOut;
    const reason = general ? `llama.cpp: ${general.message}` : died ? `llama.cpp stopped: ${deathReason(r.stderr, r.code, r.signal, r.timedOut ? limit : null)}` : 'llama.cpp gave no result for this case';
    const current = at.current;
    if (current && !outcomes.has(key(current.id, current.tokens))) outcomes.set(key(current.id, current.tokens), { id: current.id, tokens: current.tokens, error: reason });
    const before = remaining.length;
    remaining = remaining.filter((c) => !outcomes.has(key(c.id, c.tokens)));
    // A child that failed before any case (no device, no binary) or ran out of time: the rest share its reason.
    if (!died || r.timedOut || general || remaining.length === before) {
      for (const c of remaining) outcomes.set(key(c.id, c.tokens), { id: c.id, tokens: c.tokens, error: reason });
      break;
    }
    notes.push(`llama.cpp's process died on a case (${reason}); a new one took the remaining cases`);
  }
  const list = cases.map((c) => outcomes.get(key(c.id, c.tokens)) ?? { id: c.id, tokens: c.tokens, error: 'llama.cpp: no time left for this case' });
  return { device, vulkanIndex: index, outcomes: list, notes, error: null };
}

function failAll(cases: readonly LlamaCase[], reason: string, notes: string[]): LlamaRun {
  return { device: null, vulkanIndex: null, outcomes: cases.map((c) => ({ id: c.id, tokens: c.tokens, error: reason })), notes, error: reason };
}
