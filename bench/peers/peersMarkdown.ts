/**
 * The peer benchmark's results file (bench/results/peers-<adapter>.json, written by `npm run
 * bench:peers`) and its Markdown form. Pure: the unit tests render it from made-up figures.
 */
import type { PeerGoal, StepSummary } from './stepTiming';

export interface PeerRow {
  /** mha | gqa-8 | mqa */
  id: string;
  label: string;
  qHeads: number;
  kvHeads: number;
  headDim: number;
  context: number;
  /** K/V storage of every contender on this row. */
  storage: 'f16' | 'f32';
  adapter: string;
  /** Our kernel through the profile path (runCase): GPU timestamps, cold K/V, median µs. */
  oursGpuUs: number | null;
  oursKernel: string | null;
  /** Our decode step on the wall clock, as the peers are timed: dispatch, output read back to the CPU. */
  ours: StepSummary | null;
  ort: StepSummary | null;
  llamaCpp: StepSummary | null;
  /** Peer step / our step: above 1, ours is faster. */
  ortSpeedup: number | null;
  llamaCppSpeedup: number | null;
  /** Max |output − f32 CPU reference| over the checked rows. */
  oursMaxError: number | null;
  ortMaxError: number | null;
  ortSessionSeconds: number | null;
  /** Why a contender has no figure on this row. */
  oursNote?: string;
  ortNote?: string;
  llamaCppNote?: string;
  note?: string;
}

export interface PeersResults {
  date: string;
  node: string;
  platform: string;
  adapter: string;
  backend: string;
  software: boolean;
  versions: { onnxruntimeWeb: string | null; nodeLlamaCpp: string | null; llamaCppRelease: string | null };
  settings: { warmup: number; samples: number; maxCaseSeconds: number; gpuSamples: number; contexts: number[]; llamaCppFlashAttention: boolean | null };
  /** Where each peer ran: ORT's adapter as its device reports it, llama.cpp's Vulkan device. */
  peerDevices: { ort: string | null; llamaCpp: string | null; llamaCppVulkanIndex: number | null };
  goals: PeerGoal[];
  rows: PeerRow[];
  notes: string[];
}

const us = (s: StepSummary | null | undefined): string => (s ? fmt(s.medianUs) : '—');
const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
/** A speedup as the tables and gpu:check's summary print it: 8.35×, 20.8×. */
export const times = (x: number | null): string => (x === null ? '—' : `${x.toFixed(x >= 10 ? 1 : 2)}×`);
const err = (x: number | null): string => (x === null ? '—' : x.toExponential(1));

export function peersMarkdown(o: PeersResults): string {
  const lines = [
    `# Decode attention beside peers on ${o.adapter}`,
    '',
    ...(o.software ? [`**${o.adapter} is a software adapter: these figures are this machine's CPU, not a GPU.**`, ''] : []),
    `Backend **${o.backend}**; one process, one adapter: ours and ONNX Runtime Web ${o.versions.onnxruntimeWeb ?? '?'} (WebGPU EP, ${o.peerDevices.ort ?? 'device unknown'}) in the benchmark's process, llama.cpp ${o.versions.llamaCppRelease ?? '?'} (node-llama-cpp ${o.versions.nodeLlamaCpp ?? '?'}, Vulkan${o.peerDevices.llamaCppVulkanIndex === null ? '' : ` device ${o.peerDevices.llamaCppVulkanIndex}`}: ${o.peerDevices.llamaCpp ?? 'none'}${o.settings.llamaCppFlashAttention === null ? '' : `, flash attention ${o.settings.llamaCppFlashAttention ? 'on' : 'off'}`}) in a child process. ${o.date.slice(0, 10)}, Node ${o.node}, ${o.platform}.`,
    '',
    `**How each is timed.** A decode step on the wall clock, from JavaScript until its output is back on the CPU, batch 1, one layer, K/V already in GPU memory: ours (our decode kernel and its merge, one command buffer, the output copied back and mapped); ONNX Runtime's \`com.microsoft.GroupQueryAttention\` through \`session.run\` (the new token's Q/K/V uploaded, past and present K/V one shared GPU buffer, the output downloaded: the readback session.run implies); llama.cpp's decode of one token on a one-layer model with this attention (its other weights a few hundred KiB). Ours and ONNX Runtime's steps interleaved (one of each in turn), llama.cpp's timed afterwards in its own process (the token each of its steps adds is erased, untimed, so every step attends the context's N tokens; ORT's step rewrites the cache's last row with the same values); ${o.settings.warmup} warm-up rounds, median of ${o.settings.samples} (fewer where a note says so). "Ours, GPU" is our kernel alone through the profile path (GPU timestamps, cold K/V, median of ${o.settings.gpuSamples}), for reference; the speedups compare steps with steps. Every output was checked against the f32 CPU reference (max error column).`,
    '',
    '## Goals (reported, not asserted)',
    '',
    '| goal | worst row | met |',
    '|---|---|---|',
    ...o.goals.map((g) => `| ${g.goal} | ${g.value === null ? 'not measured' : `${times(g.value)} over ${g.rows} row${g.rows === 1 ? '' : 's'}`} | ${g.met === null ? '—' : g.met ? 'yes' : 'no'} |`),
    '',
    '## Decode step, µs (median)',
    '',
    '| shape | context | KV | ours, GPU (kernel) | ours | ONNX Runtime | ORT / ours | llama.cpp | llama.cpp / ours | max error ours / ORT | adapter |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---|---|',
    ...o.rows.map((r) => `| ${r.label} | ${r.context} | ${r.storage} | ${r.oursGpuUs === null ? '—' : `${fmt(r.oursGpuUs)}${r.oursKernel ? ` (${r.oursKernel})` : ''}`} | ${us(r.ours)} | ${r.ort ? us(r.ort) : `—${footnote(r.ortNote)}`} | ${times(r.ortSpeedup)} | ${r.llamaCpp ? us(r.llamaCpp) : `—${footnote(r.llamaCppNote)}`} | ${times(r.llamaCppSpeedup)} | ${err(r.oursMaxError)} / ${err(r.ortMaxError)} | ${r.adapter} |`),
    '',
  ];
  const why = o.rows.flatMap((r) => [
    ...(r.oursNote ? [`- ${r.label} at ${r.context}, ours: ${r.oursNote}`] : []),
    ...(r.ortNote ? [`- ${r.label} at ${r.context}, ONNX Runtime: ${r.ortNote}`] : []),
    ...(r.llamaCppNote ? [`- ${r.label} at ${r.context}, llama.cpp: ${r.llamaCppNote}`] : []),
    ...(r.note ? [`- ${r.label} at ${r.context}: ${r.note}`] : []),
  ]);
  if (why.length) lines.push('## Notes per row', '', ...dedupe(why), '');
  if (o.notes.length) lines.push(...o.notes.map((n) => `Note: ${n}`), '');
  return lines.join('\n');
}

function footnote(note: string | undefined): string {
  return note ? ' (see notes)' : '';
}

/** The same reason on every row of a peer is said once, with the rows it covers. */
function dedupe(lines: string[]): string[] {
  const byReason = new Map<string, string[]>();
  for (const l of lines) {
    const m = /^- (.+?) at (\d+), (ours|ONNX Runtime|llama\.cpp): (.*)$/.exec(l);
    const k = m ? `${m[3]}: ${m[4]}` : l;
    byReason.set(k, [...(byReason.get(k) ?? []), m ? `${m[1]} at ${m[2]}` : '']);
  }
  return [...byReason].map(([reason, rows]) => (rows.every((r) => r === '') ? reason : `- ${rows.join('; ')} — ${reason}`));
}
