/**
 * `npm run bench`: the attention kernels on this machine's WebGPU adapter, reported as ratios to the
 * device's own measured peaks (a benchmark, never a pass/fail timing). Shapes (kernels.md):
 *   decode — Llama-3.1-8B's layer (32 q heads × 128) as MHA-32, its own GQA 32q/8kv, MQA, and the naive
 *            baseline (one workgroup per q head, as ONNX Runtime's WebGPU decode), at 1k / 4k / 16k;
 *   MLA    — DeepSeek-V3's layer: absorbed over the 576-wide latent (128 heads) and decompressed;
 *   prefill— the GQA layer, causal, at 256, 1k and 4k tokens;
 *   leaks  — 100 profile runs in a row: resident memory after 10 and after 100;
 *   v1     — every case that v2 runs with a kernel of its own, again with the v1 kernels (`generations`).
 *   matrix — MLA absorbed decode on the adapter's subgroup matrices, where it has them;
 *   tile2  — tile2's cases again without each of its choices: the other products' type (MLA absorbed
 *            decode with K/V in f16: f16 or f32), no register prefetch (`tile2Options`).
 * Writes bench/results/<adapter>.json and .md, naming the adapter and backend.
 * Environment: BENCH_CONTEXTS (decode, e.g. 1k,4k,16k,32k), BENCH_MLA_CONTEXTS (default: the decode
 * contexts from 4k), BENCH_PREFILL_CONTEXTS (256,1k,4k), BENCH_SAMPLES (30), BENCH_WARMUP (10),
 * BENCH_MAX_CASE_SECONDS (120), BENCH_LEAK_RUNS (100), BENCH_RESULTS_DIR (bench/results; `gpu:check`
 * points it at its own folder).
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { kernelsMarkdown, resultsSlug, type KernelsBenchResults, type Tile2OptionPair } from './kernelsMarkdown';
import * as path from 'node:path';
import { deriveAttentionSpec } from '../src/core/attentionSpec';
import { loadModelConfig } from '../src/core/modelConfig';
import { buildProfilePlan, type KernelCase, type ProfileOptions } from '../src/core/profilePlan';
import { openGpu } from '../src/gpu/device';
import { pickMatrixConfig } from '../src/gpu/matrices';
import { runCase, runPlan } from '../src/gpu/profile';
import { sustainLoad, withMatrixPeak } from '../src/gpu/peaks';
import type { ProfileResult, ProfileSettings } from '../src/shared/profileProtocol';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const tokenList = (text: string): number[] => text.split(',').map((c) => Number(c.replace(/k$/i, '')) * (/k$/i.test(c) ? 1024 : 1));
const contexts = tokenList(process.env.BENCH_CONTEXTS ?? '1k,4k,16k');
const mlaContexts = process.env.BENCH_MLA_CONTEXTS ? tokenList(process.env.BENCH_MLA_CONTEXTS) : contexts.filter((c) => c >= 4096);
const prefillContexts = tokenList(process.env.BENCH_PREFILL_CONTEXTS ?? '256,1k,4k');
// At least 20: the growth is measured from the 10th run to the last.
const leakRuns = Math.max(20, Number(process.env.BENCH_LEAK_RUNS ?? 100));
// The main pass runs v2 wherever it has a kernel; v1 follows on those cases (`generations`).
const settings: ProfileSettings = { samples: Number(process.env.BENCH_SAMPLES ?? 30), warmupPasses: Number(process.env.BENCH_WARMUP ?? 10), maxCaseSeconds: Number(process.env.BENCH_MAX_CASE_SECONDS ?? 120), kernel: 'v2' };

function plan(example: string, options: ProfileOptions): KernelCase[] {
  const file = path.join(ROOT, 'examples', example, 'config.json');
  return buildProfilePlan(deriveAttentionSpec(loadModelConfig(file, readFileSync(file, 'utf8'))), options).cases;
}

const cases: KernelCase[] = [
  ...plan('llama-3.1-8b', { variants: ['mha', 'own', 'mqa', 'naive'], contexts, mode: 'decode' }),
  ...(mlaContexts.length ? plan('deepseek-v3', { variants: 'own', contexts: mlaContexts, mode: 'decode' }) : []),
  ...plan('llama-3.1-8b', { variants: ['own'], contexts: prefillContexts, mode: 'prefill' }),
];

// With subgroup matrices where the adapter has them: MLA absorbed decode also runs on mlaMatrix.wgsl.
const ctx = await openGpu({ matrices: true });
const log = (s: string): void => void process.stderr.write(`${s}\n`);
const report = await runPlan(ctx, { modelType: undefined, contexts, batch: 1, modes: ['decode', 'prefill'], cases, notes: [] }, settings, (e) => {
  if (e.type === 'progress') log(`[${e.done}/${e.total - 1}] ${e.message}`);
  if (e.type === 'result') log(`    ${e.result.medianUs === null ? `not timed: ${e.result.skipped}` : `${e.result.medianUs.toFixed(0)} µs · ${e.result.gbps!.toFixed(2)} GB/s (${e.result.pctBandwidth!.toFixed(0)}% BW) · ${e.result.tflops!.toFixed(4)} TFLOP/s (${e.result.pctFlops!.toFixed(0)}% FMA)`}`);
});

// Leaks: the same small case 100 times (upload, gate, time, destroy), resident memory sampled.
log(`leak check: ${leakRuns} profile runs in a row`);
const small = plan('llama-3.1-8b', { variants: 'own', contexts: [1024], mode: 'decode' })[0]!;
const rss: number[] = [];
for (let i = 1; i <= leakRuns; i++) {
  await runCase(ctx, small, report.device, { ...settings, samples: 3, warmupPasses: 1 }, { warmupPasses: 1, samples: 3, minPassUs: 200, maxRepeats: 4 });
  if (i === 10 || i === leakRuns) {
    (globalThis as { gc?: () => void }).gc?.();
    rss.push(process.memoryUsage().rss);
  }
}
const leak = { runs: leakRuns, rssAfter10MiB: rss[0]! / 1048576, rssAfter100MiB: rss[1]! / 1048576, growthMiB: (rss[1]! - rss[0]!) / 1048576 };

const dir = process.env.BENCH_RESULTS_DIR ? path.resolve(process.env.BENCH_RESULTS_DIR) : path.join(ROOT, 'bench', 'results');
mkdirSync(dir, { recursive: true });
const slug = resultsSlug(report.device.adapter, report.device.backend);

/** One of tile2's choices, the results it applies to, and the settings that undo it. */
interface Ablation {
  option: string;
  without: string;
  applies: (r: ProfileResult) => boolean;
  settings: Partial<ProfileSettings>;
}
interface Ablated {
  ablation: Ablation;
  base: ProfileResult;
  result: ProfileResult;
}

/** The results file, written after the v2 pass (a check stopped at its time limit still leaves it) and again with v1 beside it. */
function writeResults(v1Results: ProfileResult[], matrixResults: ProfileResult[] = [], ablations: Ablated[] = []): KernelsBenchResults {
  // Goals of the issue, computed from the figures (reported, not asserted).
  const find = (id: string, context: number, mode = 'decode'): ProfileResult | undefined => report.results.find((r) => r.id === id && r.context === context && r.mode === mode && r.medianUs !== null);
  // v2 over v1, case by case (time ratio: below 1 is faster).
  const pairs = v1Results.flatMap((v1) => {
    const v2 = report.results.find((r) => r.id === v1.id && r.context === v1.context && r.mode === v1.mode && r.kernel === 'v2');
    return v1.medianUs !== null && v2 !== undefined && v2.medianUs !== null ? [{ id: v1.id, label: v1.label, context: v1.context, v1Us: v1.medianUs, v2Us: v2.medianUs, v1Storage: v1.storage, v2Storage: v2.storage, ratio: v2.medianUs / v1.medianUs }] : [];
  });
  // Each tile2 choice over the same case without it.
  const tile2Options: Tile2OptionPair[] = ablations.flatMap(({ ablation, base, result }) =>
    base.medianUs !== null && result.medianUs !== null
      ? [{ option: ablation.option, without: ablation.without, id: base.id, label: base.label, mode: base.mode, context: base.context, withUs: base.medianUs, withoutUs: result.medianUs, ratio: base.medianUs / result.medianUs }]
      : []);
  const at = contexts.includes(16384) ? 16384 : Math.max(...contexts);
  const ratio = (id: string): number | null => {
    const a = find(id, at);
    const m = find('mha', at);
    return a && m ? a.medianUs! / m.medianUs! : null;
  };
  const longDecode = report.results.filter((r) => ['mha', 'gqa', 'mqa'].includes(r.variant) && r.mode === 'decode' && r.context >= 16384 && typeof r.pctReadBandwidth === 'number');
  const mla = report.results.filter((r) => r.variant === 'mla' && r.pctFlops !== null);
  const prefill = report.results.filter((r) => r.mode === 'prefill' && r.pctFlops !== null);
  const onMatrices = matrixResults.filter((r) => typeof r.pctMatrixFlops === 'number');
  const best = (rows: ProfileResult[], key: 'pctReadBandwidth' | 'pctFlops' | 'pctMatrixFlops'): number | null => (rows.length ? Math.max(...rows.map((r) => r[key]!)) : null);
  const goals = [
    { goal: `GQA 32q/8kv decode ≤ 0.30× MHA-32 at ${at} tokens`, value: ratio('gqa-8'), target: 0.3, lowerIsBetter: true, unit: '×' },
    { goal: `MQA decode ≤ 0.12× MHA-32 at ${at} tokens`, value: ratio('mqa'), target: 0.12, lowerIsBetter: true, unit: '×' },
    { goal: 'v2 (decode, prefill, MLA) no slower than v1 on any case (worst v2/v1 time)', value: pairs.length ? Math.max(...pairs.map((p) => p.ratio)) : null, target: 1, lowerIsBetter: true, unit: '×' },
    { goal: 'MHA/GQA decode at ≥ 16k: ≥ 90% of the measured read peak (best case)', value: best(longDecode, 'pctReadBandwidth'), target: 90, lowerIsBetter: false, unit: '%' },
    { goal: 'MLA absorbed decode, 128 heads: ≥ 50% of measured f32 FMA peak (best case)', value: best(mla, 'pctFlops'), target: 50, lowerIsBetter: false, unit: '%' },
    { goal: 'MLA absorbed decode on subgroup matrices, 128 heads: ≥ 25% of the measured matrix peak (best case)', value: best(onMatrices, 'pctMatrixFlops'), target: 25, lowerIsBetter: false, unit: '%' },
    { goal: 'Prefill: ≥ 50% of measured f32 FMA peak (best case)', value: best(prefill, 'pctFlops'), target: 50, lowerIsBetter: false, unit: '%' },
    { goal: `${leakRuns} profile runs: resident memory growth after the first 10 (MiB)`, value: leak.growthMiB, target: 16, lowerIsBetter: true, unit: ' MiB' },
  ].map((g) => ({ ...g, met: g.value === null ? null : g.lowerIsBetter ? g.value <= g.target : g.value >= g.target }));

  const out: KernelsBenchResults = {
    date: new Date().toISOString(), node: process.version, platform: `${process.platform}-${process.arch}`, settings, device: report.device, goals, leak, results: [...report.results, ...v1Results, ...ablations.map((a) => a.result), ...matrixResults], generations: pairs,
    ...(tile2Options.length ? { tile2Options } : {}),
    ...(report.peaksAfter ? { peaksAfter: report.peaksAfter } : {}), notes: report.notes,
  };
  writeFileSync(path.join(dir, `${slug}.json`), `${JSON.stringify(out, null, 2)}\n`);
  writeFileSync(path.join(dir, `${slug}.md`), kernelsMarkdown(out));
  return out;
}

writeResults([]);
// Both kernel generations side by side: v1 (the reference kernels) on every case where v2 runs a kernel
// of its own, measured after the v2 pass on the same device in the same process.
const v1Results: ProfileResult[] = [];
const v2Cases = cases.filter((c, i) => report.results[i]?.kernel === 'v2');
for (const [i, c] of v2Cases.entries()) {
  log(`[v1 ${i + 1}/${v2Cases.length}] ${c.mode} ${c.label} at ${c.contextTokens} tokens`);
  await sustainLoad(ctx, report.device.sustainedSeconds ?? 1);
  const r = await runCase(ctx, c, report.device, { ...settings, kernel: 'v1' }, { warmupPasses: settings.warmupPasses, samples: settings.samples, minPassUs: 200, maxRepeats: 64 });
  log(`    ${r.medianUs === null ? `not timed: ${r.skipped}` : `${r.medianUs.toFixed(0)} µs`}`);
  v1Results.push(r);
}

// Written after each pass: a check stopped at its time limit keeps what was measured.
writeResults(v1Results);

// MLA absorbed decode on the adapter's subgroup matrices (mlaMatrix.wgsl), beside tile2's rows above.
const matrixResults: ProfileResult[] = [];
const matrixPick = pickMatrixConfig(ctx);
if ('config' in matrixPick) {
  // The matrix peak its results are a percentage of, measured now: an experimental feature that failed
  // or took the device down costs this pass, not the figures above.
  report.device.peaks = await withMatrixPeak(ctx, report.device.peaks, { warmupPasses: settings.warmupPasses, samples: Math.min(settings.samples, 30), minPassUs: 200, maxRepeats: 64 });
  const mlaCases = cases.filter((c) => c.sharedKv && c.mode === 'decode');
  for (const [i, c] of mlaCases.entries()) {
    log(`[matrices ${i + 1}/${mlaCases.length}] ${c.label} at ${c.contextTokens} tokens`);
    await sustainLoad(ctx, report.device.sustainedSeconds ?? 1);
    const r = await runCase(ctx, c, report.device, { ...settings, kernel: 'v2', matrices: true }, { warmupPasses: settings.warmupPasses, samples: settings.samples, minPassUs: 200, maxRepeats: 64 });
    log(`    ${r.medianUs === null ? `not timed: ${r.skipped}` : `${r.medianUs.toFixed(0)} µs (${r.kernelName})`}`);
    matrixResults.push(r);
  }
} else {
  report.notes.push(`MLA absorbed decode on subgroup matrices (mlaMatrix.wgsl): not measured: ${matrixPick.reason}.`);
}

// Written before the last pass: a check stopped at its time limit keeps the matrix figures.
writeResults(v1Results, matrixResults);

// tile2's choices, each undone on the cases where the main pass made it: its products' type (MLA absorbed
// decode with K/V in f16, where either can run) against the other, register prefetch against none.
const ablations: Ablated[] = [];
const tile2Ablations: Ablation[] = [
  { option: 'f16 products', without: 'f32 products', applies: (r) => r.products === 'f16', settings: { products: 'f32' } },
  { option: 'f32 products', without: 'f16 products', applies: (r) => r.products === 'f32' && r.variant === 'mla' && r.storage === 'f16', settings: { products: 'f16' } },
  { option: 'register prefetch', without: 'no prefetch', applies: (r) => r.prefetch === true, settings: { prefetch: false } },
];
for (const ablation of tile2Ablations) {
  const runs = cases.flatMap((c, i) => {
    const base = report.results[i];
    return base?.kernelName === 'tile2' && base.medianUs !== null && ablation.applies(base) ? [{ c, base }] : [];
  });
  for (const [i, { c, base }] of runs.entries()) {
    log(`[${ablation.without} ${i + 1}/${runs.length}] ${c.mode} ${c.label} at ${c.contextTokens} tokens`);
    await sustainLoad(ctx, report.device.sustainedSeconds ?? 1);
    const result = await runCase(ctx, c, report.device, { ...settings, ...ablation.settings }, { warmupPasses: settings.warmupPasses, samples: settings.samples, minPassUs: 200, maxRepeats: 64 });
    log(`    ${result.medianUs === null ? `not timed: ${result.skipped}` : `${result.medianUs.toFixed(0)} µs`}`);
    ablations.push({ ablation, base, result });
  }
}

ctx.destroy();
const out = writeResults(v1Results, matrixResults, ablations);
process.stdout.write(kernelsMarkdown(out));
process.stdout.write(`\nwritten: ${path.relative(process.cwd(), path.join(dir, slug))}.json and .md\n`);
// No process.exit: with the device destroyed and Dawn's instance dropped, Node ends on its own.
