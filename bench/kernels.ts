/**
 * `npm run bench`: the attention kernels on this machine's WebGPU adapter, reported as ratios to the
 * device's own measured peaks (a benchmark, never a pass/fail timing). Shapes (kernels.md):
 *   decode — Llama-3.1-8B's layer (32 q heads × 128) as MHA-32, its own GQA 32q/8kv, MQA, and the naive
 *            baseline (one workgroup per q head, as ONNX Runtime's WebGPU decode), at 1k / 4k / 16k;
 *   MLA    — DeepSeek-V3's layer: absorbed over the 576-wide latent (128 heads) and decompressed;
 *   prefill— the GQA layer, causal, at 256, 1k and 4k tokens;
 *   leaks  — 100 profile runs in a row: resident memory after 10 and after 100.
 * Writes bench/results/<adapter>.json and .md, naming the adapter and backend.
 * Environment: BENCH_CONTEXTS (e.g. 1k,4k,16k,32k), BENCH_SAMPLES (30), BENCH_MAX_CASE_SECONDS (120).
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { deriveAttentionSpec } from '../src/core/attentionSpec';
import { loadModelConfig } from '../src/core/modelConfig';
import { buildProfilePlan, type KernelCase, type ProfileOptions } from '../src/core/profilePlan';
import { openGpu } from '../src/gpu/device';
import { runCase, runPlan } from '../src/gpu/profile';
import type { ProfileResult, ProfileSettings } from '../src/shared/profileProtocol';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const contexts = (process.env.BENCH_CONTEXTS ?? '1k,4k,16k').split(',').map((c) => Number(c.replace(/k$/i, '')) * (/k$/i.test(c) ? 1024 : 1));
const settings: ProfileSettings = { samples: Number(process.env.BENCH_SAMPLES ?? 30), warmupPasses: 10, maxCaseSeconds: Number(process.env.BENCH_MAX_CASE_SECONDS ?? 120) };

function plan(example: string, options: ProfileOptions): KernelCase[] {
  const file = path.join(ROOT, 'examples', example, 'config.json');
  return buildProfilePlan(deriveAttentionSpec(loadModelConfig(file, readFileSync(file, 'utf8'))), options).cases;
}

const cases: KernelCase[] = [
  ...plan('llama-3.1-8b', { variants: ['mha', 'own', 'mqa', 'naive'], contexts, mode: 'decode' }),
  ...plan('deepseek-v3', { variants: 'own', contexts: contexts.filter((c) => c >= 4096), mode: 'decode' }),
  ...plan('llama-3.1-8b', { variants: ['own'], contexts: [256, 1024, 4096], mode: 'prefill' }),
];

const ctx = await openGpu();
const log = (s: string): void => void process.stderr.write(`${s}\n`);
const report = await runPlan(ctx, { modelType: undefined, contexts, batch: 1, modes: ['decode', 'prefill'], cases, notes: [] }, settings, (e) => {
  if (e.type === 'progress') log(`[${e.done}/${e.total - 1}] ${e.message}`);
  if (e.type === 'result') log(`    ${e.result.medianUs === null ? `not timed: ${e.result.skipped}` : `${e.result.medianUs.toFixed(0)} µs · ${e.result.gbps!.toFixed(2)} GB/s (${e.result.pctBandwidth!.toFixed(0)}% BW) · ${e.result.tflops!.toFixed(4)} TFLOP/s (${e.result.pctFlops!.toFixed(0)}% FMA)`}`);
});

// Leaks: the same small case 100 times (upload, gate, time, destroy), resident memory sampled.
log('leak check: 100 profile runs in a row');
const small = plan('llama-3.1-8b', { variants: 'own', contexts: [1024], mode: 'decode' })[0]!;
const rss: number[] = [];
for (let i = 1; i <= 100; i++) {
  await runCase(ctx, small, report.device, { ...settings, samples: 3, warmupPasses: 1 }, { warmupPasses: 1, samples: 3, minPassUs: 200, maxRepeats: 4 });
  if (i === 10 || i === 100) {
    (globalThis as { gc?: () => void }).gc?.();
    rss.push(process.memoryUsage().rss);
  }
}
const leak = { runs: 100, rssAfter10MiB: rss[0]! / 1048576, rssAfter100MiB: rss[1]! / 1048576, growthMiB: (rss[1]! - rss[0]!) / 1048576 };
ctx.destroy();

// Goals of the issue, computed from the figures (reported, not asserted).
const find = (id: string, context: number, mode = 'decode'): ProfileResult | undefined => report.results.find((r) => r.id === id && r.context === context && r.mode === mode && r.medianUs !== null);
const at = contexts.includes(16384) ? 16384 : Math.max(...contexts);
const ratio = (id: string): number | null => {
  const a = find(id, at);
  const m = find('mha', at);
  return a && m ? a.medianUs! / m.medianUs! : null;
};
const longDecode = report.results.filter((r) => ['mha', 'gqa', 'mqa'].includes(r.variant) && r.mode === 'decode' && r.context >= 16384 && r.pctBandwidth !== null);
const mla = report.results.filter((r) => r.variant === 'mla' && r.pctFlops !== null);
const prefill = report.results.filter((r) => r.mode === 'prefill' && r.pctFlops !== null);
const best = (rows: ProfileResult[], key: 'pctBandwidth' | 'pctFlops'): number | null => (rows.length ? Math.max(...rows.map((r) => r[key]!)) : null);
const goals = [
  { goal: `GQA 32q/8kv decode ≤ 0.35× MHA-32 at ${at} tokens`, value: ratio('gqa-8'), target: 0.35, lowerIsBetter: true, unit: '×' },
  { goal: `MQA decode ≤ 0.15× MHA-32 at ${at} tokens`, value: ratio('mqa'), target: 0.15, lowerIsBetter: true, unit: '×' },
  { goal: 'MHA/GQA decode at ≥ 16k: ≥ 75% of measured copy bandwidth (best case)', value: best(longDecode, 'pctBandwidth'), target: 75, lowerIsBetter: false, unit: '%' },
  { goal: 'MLA absorbed decode, 128 heads: ≥ 50% of measured f32 FMA peak (best case)', value: best(mla, 'pctFlops'), target: 50, lowerIsBetter: false, unit: '%' },
  { goal: 'Prefill: ≥ 50% of measured f32 FMA peak (best case)', value: best(prefill, 'pctFlops'), target: 50, lowerIsBetter: false, unit: '%' },
  { goal: '100 profile runs: resident memory growth after the first 10 (MiB)', value: leak.growthMiB, target: 16, lowerIsBetter: true, unit: ' MiB' },
].map((g) => ({ ...g, met: g.value === null ? null : g.lowerIsBetter ? g.value <= g.target : g.value >= g.target }));

// "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6) …" → "llvmpipe-vulkan"; "NVIDIA H100 80GB HBM3" → "nvidia-h100-80gb-hbm3-vulkan".
const slug = `${report.device.adapter.split(/[:(]/)[0]!}-${report.device.backend}`.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
const out = { date: new Date().toISOString(), node: process.version, platform: `${process.platform}-${process.arch}`, settings, device: report.device, goals, leak, results: report.results };
const dir = path.join(ROOT, 'bench', 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, `${slug}.json`), `${JSON.stringify(out, null, 2)}\n`);
writeFileSync(path.join(dir, `${slug}.md`), markdown(out));
process.stdout.write(markdown(out));
process.stdout.write(`\nwritten: bench/results/${slug}.json and .md\n`);
// No process.exit: with the device destroyed and Dawn's instance dropped, Node ends on its own.

function markdown(o: typeof out): string {
  const d = o.device;
  const lines = [
    `# Attention kernels on ${d.adapter}`,
    '',
    `Backend **${d.backend}**, KV stored as ${d.storage}, ${d.timing} timing, ${o.settings.samples} samples after ${o.settings.warmupPasses} warm-up passes, cold K/V (rotated copies). ${o.date.slice(0, 10)}, Node ${o.node}, ${o.platform}.`,
    '',
    `Measured peaks: copy **${d.peaks.copyGBps.toFixed(2)} GB/s**, f32 FMA **${d.peaks.f32TFlops.toFixed(4)} TFLOP/s**${d.peaks.f16TFlops === null ? '' : `, f16 FMA **${d.peaks.f16TFlops.toFixed(4)} TFLOP/s**`}. Every percentage is of these.`,
    '',
    '## Goals',
    '',
    '| goal | reached | met |',
    '|---|---|---|',
    ...o.goals.map((g) => `| ${g.goal} | ${g.value === null ? 'not measured' : `${g.value.toFixed(2)}${g.unit}`} | ${g.met === null ? '—' : g.met ? 'yes' : 'no'} |`),
    '',
    '## Results (one layer, batch 1)',
    '',
    '| mode | variant | context | median µs | p90 µs | GB/s | % BW | TFLOP/s | % FMA | % roofline | max error |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...o.results.map((r) => `| ${r.mode} | ${r.label} | ${r.context} | ${r.medianUs === null ? `not timed: ${r.skipped}` : r.medianUs.toFixed(0)} | ${r.p90Us?.toFixed(0) ?? '—'} | ${r.gbps?.toFixed(2) ?? '—'} | ${r.pctBandwidth?.toFixed(1) ?? '—'} | ${r.tflops?.toFixed(4) ?? '—'} | ${r.pctFlops?.toFixed(1) ?? '—'} | ${r.pctRoofline?.toFixed(1) ?? '—'} | ${r.maxAbsError?.toExponential(1) ?? '—'} |`),
    '',
    `Leak check: ${o.leak.runs} runs, resident ${o.leak.rssAfter10MiB.toFixed(0)} MiB after 10 and ${o.leak.rssAfter100MiB.toFixed(0)} MiB after 100 (growth ${o.leak.growthMiB.toFixed(1)} MiB).`,
    '',
  ];
  return lines.join('\n');
}
