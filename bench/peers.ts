/**
 * `npm run bench:peers`: our decode attention beside its peers on the same adapter in the same run —
 * ONNX Runtime Web's WebGPU execution provider (com.microsoft.GroupQueryAttention, in this process, over
 * the same Dawn package) and llama.cpp's Vulkan backend (node-llama-cpp's prebuilt, in a child process
 * so an abort cannot end the benchmark). A benchmark: it reports, it never fails on a timing.
 *
 * Shapes: Llama-3.1-8B's layer (32 q heads, 8 KV heads, d 128) and the same layer as MHA-32 and MQA,
 * at 1k, 4k and 16k tokens, batch 1. Our figures come from the profile code path (src/gpu/profile.ts
 * runPlan: peaks, correctness gate, GPU timestamps) and from the same kernels timed per step the way
 * the peers are (bench/peers/stepTiming.ts). Writes bench/results/peers-<adapter>.json and .md.
 *
 * Environment: PEERS_CONTEXTS (1k,4k,16k), PEERS_VARIANTS (mha,own,mqa), PEERS_SAMPLES (10 steps per
 * contender), PEERS_WARMUP (2 rounds), PEERS_MAX_CASE_SECONDS (120: fewer samples past it),
 * PEERS_GPU_SAMPLES (10, the profile path's), PEERS_LLAMA (0 skips llama.cpp; open only finds and opens its
 * Vulkan device, times nothing: gpu:check's quick list), PEERS_LLAMA_SECONDS
 * (whole llama.cpp part; 2400 s on a software adapter, where it compiles its pipelines for minutes and prefills each context; 600 on a GPU), PEERS_LLAMA_VK_DEVICE (its Vulkan
 * index; default: the one named like our adapter), PEERS_LLAMA_FLASH_ATTENTION (default 1 on a GPU,
 * 0 on a software adapter),
 * PEERS_RESULTS_DIR (bench/results).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { deriveAttentionSpec } from '../src/core/attentionSpec';
import { loadModelConfig } from '../src/core/modelConfig';
import { buildProfilePlan, type KernelCase } from '../src/core/profilePlan';
import { chooseLaunch, prepareAttention } from '../src/gpu/attention';
import { openGpu, type GpuContext } from '../src/gpu/device';
import { gateRows, kernelGeneration, runPlan, targetWorkgroups } from '../src/gpu/profile';
import { compareRows, randomArray, referenceAttention, roundToF16, type AttentionProblem } from '../src/gpu/reference';
import type { ProfileResult, ProfileSettings } from '../src/shared/profileProtocol';
import { resultsSlug } from './kernelsMarkdown';
import { runLlamaCpp, type LlamaRun } from './peers/llamaCppPeer';
import { loadOrt, prepareOrtDecode, type Ort, type OrtDecode } from './peers/ortPeer';
import { peersMarkdown, type PeerRow, type PeersResults } from './peers/peersMarkdown';
import { interleaveSteps, speedup, speedupGoal, type Contender } from './peers/stepTiming';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const env = process.env;
const tokenList = (text: string): number[] => text.split(',').map((c) => Number(c.replace(/k$/i, '')) * (/k$/i.test(c) ? 1024 : 1));
const contexts = tokenList(env.PEERS_CONTEXTS ?? '1k,4k,16k');
const variants = (env.PEERS_VARIANTS ?? 'mha,own,mqa').split(',');
const warmup = Number(env.PEERS_WARMUP ?? 2);
const samples = Number(env.PEERS_SAMPLES ?? 10);
const maxCaseSeconds = Number(env.PEERS_MAX_CASE_SECONDS ?? 120);
const gpuSamples = Number(env.PEERS_GPU_SAMPLES ?? 10);
const log = (s: string): void => void process.stderr.write(`${s}\n`);

const file = path.join(ROOT, 'examples', 'llama-3.1-8b', 'config.json');
const cases: KernelCase[] = buildProfilePlan(deriveAttentionSpec(loadModelConfig(file, readFileSync(file, 'utf8'))), { variants, contexts, mode: 'decode' }).cases.filter((c) => !c.naive && !c.sharedKv);

const ctx = await openGpu();
const storage: 'f16' | 'f32' = ctx.hasF16 ? 'f16' : 'f32';
// Every contender stores K/V alike: f16 where the adapter has shader-f16 (ORT needs it for f16), else f32 (ours too).
const settings: ProfileSettings = { samples: gpuSamples, warmupPasses: Math.min(10, Math.max(2, gpuSamples)), maxCaseSeconds, forceF32: storage === 'f32' };
log(`bench:peers on ${ctx.adapterName} (${ctx.backend}), K/V ${storage}`);
const report = await runPlan(ctx, { modelType: undefined, contexts, batch: 1, modes: ['decode'], cases, notes: [] }, settings, (e) => {
  if (e.type === 'progress') log(`[ours ${e.done}/${e.total - 1}] ${e.message}`);
  if (e.type === 'result') log(`    ${e.result.medianUs === null ? `not timed: ${e.result.skipped}` : `${e.result.medianUs.toFixed(0)} µs on the GPU`}`);
});
const adapter = report.device.adapter;

let ort: Ort | undefined;
let ortError: string | undefined;
try {
  ort = await loadOrt();
} catch (e) {
  ortError = `onnxruntime-web did not load: ${e instanceof Error ? e.message : String(e)}`;
}
let ortDevice: string | null = null;
const rows: PeerRow[] = [];
const notes: string[] = [...report.notes];

for (const [i, c] of cases.entries()) {
  const r = report.results[i]!;
  log(`[peers ${i + 1}/${cases.length}] ${c.label} at ${c.contextTokens} tokens`);
  rows.push(await runRow(c, r));
}

function baseRow(c: KernelCase, r: ProfileResult): PeerRow {
  return {
    id: c.id, label: c.label, qHeads: c.qHeads, kvHeads: c.kvHeads, headDim: c.headDim, context: c.contextTokens, storage: r.medianUs !== null ? r.storage : storage, adapter,
    oursGpuUs: r.medianUs, oursKernel: r.kernelName ?? null, ours: null, ort: null, llamaCpp: null, ortSpeedup: null, llamaCppSpeedup: null,
    oursMaxError: null, ortMaxError: null, ortSessionSeconds: null,
    ...(r.medianUs === null ? { oursNote: `profile path: ${r.skipped ?? 'not timed'}` } : {}),
  };
}

/** One shape: our step and ORT's step on the same numbers, each checked against the CPU reference, then timed interleaved. */
async function runRow(c: KernelCase, r: ProfileResult): Promise<PeerRow> {
  const row = baseRow(c, r);
  const p: AttentionProblem = {
    batch: 1, qHeads: c.qHeads, kvHeads: c.kvHeads, numQueries: 1, dk: c.headDim, dv: c.vHeadDim, maxLen: c.contextTokens, seqLens: [c.contextTokens],
    window: 0, chunk: 0, sharedKv: false, scale: c.scale,
  };
  const round = (a: Float32Array): Float32Array => (row.storage === 'f16' ? roundToF16(a) : a);
  const x = { q: round(randomArray(c.qHeads * c.headDim, 11)), k: round(randomArray(c.kvHeads * c.contextTokens * c.headDim, 12)), v: round(randomArray(c.kvHeads * c.contextTokens * c.vHeadDim, 13)) };
  const rows = gateRows(p);
  const ref = referenceAttention(p, x, rows);
  const tol = row.storage === 'f16' ? 1e-2 : 1e-4;
  const check = (out: Float32Array): { ok: boolean; maxAbsError: number | null; why: string } => {
    const g = compareRows(p, out, ref, rows, tol, tol);
    return { ok: g.ok, maxAbsError: g.nonFinite > 0 ? null : g.maxAbsError, why: g.nonFinite > 0 ? `${g.nonFinite} non-finite outputs` : `max error ${g.maxAbsError.toExponential(2)} exceeds ${tol}` };
  };
  const contenders: Contender[] = [];
  const who: ('ours' | 'ort')[] = [];
  let ours: ReturnType<typeof prepareAttention> | undefined;
  let peer: OrtDecode | undefined;
  try {
    try {
      const generation = r.kernel ?? kernelGeneration(ctx, settings);
      const launch = chooseLaunch(p, ctx, { kind: 'flash', storage: row.storage, targetWorkgroups: targetWorkgroups(ctx), generation, subgroupMinSize: ctx.subgroupMinSize });
      ours = prepareAttention(ctx, p, x, launch, 1);
      const g = check(await ours.read());
      ctx.throwIfErrored();
      row.oursMaxError = g.maxAbsError;
      if (g.ok) {
        const run = ours;
        contenders.push({ name: 'ours', step: () => run.read() });
        who.push('ours');
      } else row.oursNote = `${g.why}: not timed`;
    } catch (e) {
      clearErrors(ctx);
      row.oursNote = `step: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (!ort) row.ortNote = ortError ?? 'onnxruntime-web did not load';
    else {
      try {
        peer = await prepareOrtDecode(ort, { qHeads: c.qHeads, kvHeads: c.kvHeads, headDim: c.headDim, tokens: c.contextTokens, storage: row.storage }, x, { scale: c.scale });
        ortDevice = peer.adapter;
        row.ortSessionSeconds = peer.sessionSeconds;
        const g = check(await peer.output());
        row.ortMaxError = g.maxAbsError;
        if (g.ok) {
          const run = peer;
          contenders.push({ name: 'ort', step: () => run.step() });
          who.push('ort');
        } else row.ortNote = `${g.why}: not timed`;
      } catch (e) {
        row.ortNote = `GroupQueryAttention (${row.storage}) did not run: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
      }
    }
    if (contenders.length) {
      const t = await interleaveSteps(contenders, { warmup, samples, maxSeconds: maxCaseSeconds, minSamples: Math.min(3, samples) });
      for (const [j, s] of t.summaries.entries()) row[who[j]!] = s;
      if (t.note) row.note = t.note;
      row.ortSpeedup = speedup(row.ort?.medianUs, row.ours?.medianUs);
      log(`    ours ${fmtMs(row.ours?.medianUs)} · ONNX Runtime ${fmtMs(row.ort?.medianUs)} per step${row.ortSpeedup ? ` (${row.ortSpeedup.toFixed(1)}×)` : ''}`);
    }
  } finally {
    ours?.destroy();
    await peer?.release();
  }
  return row;
}

function fmtMs(us: number | undefined): string {
  return us === undefined ? '—' : `${(us / 1000).toFixed(2)} ms`;
}

function clearErrors(c: GpuContext): void {
  try {
    c.throwIfErrored();
  } catch {
    // this row's error, already its note
  }
}

const dir = env.PEERS_RESULTS_DIR ? path.resolve(env.PEERS_RESULTS_DIR) : path.join(ROOT, 'bench', 'results');
mkdirSync(dir, { recursive: true });
const slug = `peers-${resultsSlug(adapter, report.device.backend)}`;
const readJson = (p: string): Record<string, unknown> | null => {
  try {
    return JSON.parse(readFileSync(path.join(ROOT, p), 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
};

function write(llama: LlamaRun | null): PeersResults {
  const out: PeersResults = {
    date: new Date().toISOString(), node: process.version, platform: `${process.platform}-${process.arch}`, adapter, backend: report.device.backend, software: report.device.software === true,
    versions: { onnxruntimeWeb: ort?.env.versions.web ?? null, nodeLlamaCpp: (readJson('node_modules/node-llama-cpp/package.json')?.version as string | undefined) ?? null, llamaCppRelease: (readJson('node_modules/node-llama-cpp/llama/binariesGithubRelease.json')?.release as string | undefined) ?? null },
    settings: { warmup, samples, maxCaseSeconds, gpuSamples, contexts, llamaCppFlashAttention: llama ? llamaFlashAttention : null },
    peerDevices: { ort: ortDevice, llamaCpp: llama?.device ?? null, llamaCppVulkanIndex: llama?.vulkanIndex ?? null },
    goals: [
      speedupGoal('ours ≥ 10× ONNX Runtime Web\'s WebGPU decode (its step / ours)', rows.map((r) => r.ortSpeedup), 10),
      speedupGoal('ours ≥ llama.cpp\'s Vulkan decode (its step / ours)', rows.map((r) => r.llamaCppSpeedup), 1),
    ],
    rows,
    notes: [...notes, ...(llama?.notes ?? [])],
  };
  writeFileSync(path.join(dir, `${slug}.json`), `${JSON.stringify(out, null, 2)}\n`);
  writeFileSync(path.join(dir, `${slug}.md`), peersMarkdown(out));
  return out;
}

write(null);

let llama: LlamaRun | null = null;
/**
 * llama.cpp's flash attention (its Vulkan attention, kernels.md's peer) on a GPU; off on a software
 * adapter, where lavapipe's LLVM did not finish compiling its flash-attention shader in 15 minutes
 * (one thread in LLVM's CoroSplit pass throughout); without it llama.cpp's pipelines compiled in about
 * 4 minutes and it decoded. PEERS_LLAMA_FLASH_ATTENTION=1 or 0 decides.
 */
const llamaFlashAttention = env.PEERS_LLAMA_FLASH_ATTENTION ? env.PEERS_LLAMA_FLASH_ATTENTION !== '0' : !report.device.software;
const llamaMode = env.PEERS_LLAMA ?? '1';
if (llamaMode !== '0') {
  if (!llamaFlashAttention) notes.push(`llama.cpp ran without flash attention${report.device.software ? ': on this software adapter its flash-attention shader did not finish compiling in lavapipe\'s LLVM in 15 minutes (PEERS_LLAMA_FLASH_ATTENTION=1 tries it)' : ' (PEERS_LLAMA_FLASH_ATTENTION=0)'}; its attention is then matrix products and a softmax over the whole cache`);
  const llamaCases = llamaMode === 'open' ? [] : cases.map((c) => ({ id: c.id, tokens: c.contextTokens, qHeads: c.qHeads, kvHeads: c.kvHeads, headDim: c.headDim }));
  llama = await runLlamaCpp(llamaCases, {
    script: path.join(ROOT, 'out', 'bench', 'peersLlamaCpp.mjs'),
    adapter,
    warmup, samples, maxCaseSeconds,
    limitSeconds: Number(env.PEERS_LLAMA_SECONDS ?? (report.device.software ? 2400 : 600)),
    flashAttention: llamaFlashAttention,
    log,
    ...(env.PEERS_LLAMA_VK_DEVICE ? { vulkanIndex: Number(env.PEERS_LLAMA_VK_DEVICE) } : {}),
  });
  for (const o of llama.outcomes) {
    const row = rows.find((r) => r.id === o.id && r.context === o.tokens);
    if (!row) continue;
    if (o.step) {
      row.llamaCpp = o.step;
      row.llamaCppSpeedup = speedup(o.step.medianUs, row.ours?.medianUs);
      if (o.note) row.llamaCppNote = o.note;
    } else row.llamaCppNote = o.error ?? 'no result';
  }
  if (llamaMode === 'open') {
    const opened = llama.error ?? `llama.cpp opened Vulkan device ${llama.vulkanIndex} (${llama.device ?? 'unnamed'})`;
    notes.push(`${opened}; not timed (PEERS_LLAMA=open)`);
    for (const row of rows) row.llamaCppNote = `not timed (PEERS_LLAMA=open): ${opened}`;
  }
} else notes.push('llama.cpp not run (PEERS_LLAMA=0)');

ctx.destroy();
const out = write(llama);
process.stdout.write(peersMarkdown(out));
process.stdout.write(`\nwritten: ${path.relative(process.cwd(), path.join(dir, slug))}.json and .md\n`);
// ORT's WebGPU device and wasm runtime keep Node alive: leave once the results are written.
process.exit(0);
