/**
 * `npm run gpu:check` — and what the GPU kit's run-gpu-check.sh runs — the one command a machine with
 * a GPU runs: it finds the host's Vulkan driver (src/gpu/host/vulkanHost.ts), says in one line what it
 * found, and then runs, each in a process of its own with its own time limit:
 *   adapters — every adapter Dawn offers and the one a profile opens;
 *   tests    — the GPU kernel tests (out/test/gpu);
 *   bench    — the kernel benchmark (bench/kernels.ts) at 4k, 16k and 128k for MHA, GQA-8, MQA, MLA
 *              and prefill;
 *   quality  — the quality worker's stages on one 7B-shaped layer, on the GPU and on the CPU, held
 *              against each other;
 *   peers    — our decode beside ONNX Runtime Web's and llama.cpp's Vulkan decode on the same adapter
 *              (bench/peers.ts), where the checkout or the kit carries them.
 * It writes <out>/<adapter>.json (the benchmark's results file, with a `check` object added),
 * <adapter>.md, peers-<adapter>.json and .md (bench:peers' files) and gpu-check.log. `--quick` is the reduced case list CI runs on lavapipe.
 *
 * Usage: gpuCheck.mjs [--out DIR] [--quick] [--budget SECONDS] [--icd auto|nvidia|software|all] [--adapter A]
 *                     [--parts adapters,tests,bench,quality,peers] [--allow-software] [--kit DIR] [--host-root DIR]
 */
import { copyFileSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chooseLoader, findingLine, probeHost, runQuietly, type AdapterOutcome, type IcdPreference } from '../../src/gpu/host/vulkanHost';
import type { AdapterEntry, ChosenAdapter } from '../../src/gpu/host/adapters';
import { checkMarkdown, resultsSlug, type CheckReport, type CheckResults, type KitInfo } from './results';
import { runPart, skippedPart, type PartRun } from './runPart';
import { compareQuality, parseTap, qualityRun, QUALITY_AGREEMENT, type QualityRun } from './summaries';
import type { KernelsBenchResults } from '../kernelsMarkdown';
import type { PeersResults } from '../peers/peersMarkdown';
import { peersSummary } from './peersSummary';

/** The app root: out/bench/gpuCheck.mjs → two folders up (the repository, or the kit's app/). */
const APP = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const started = performance.now();

const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(`--${name}`);
const option = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
};
const quick = flag('quick');
const kitDir = option('kit', '');
const outDir = path.resolve(option('out', kitDir ? 'gpu-check-results' : path.join(APP, 'bench', 'results')));
const budgetSeconds = Number(option('budget', quick ? '1200' : '480'));
const icdPreference = option('icd', 'auto') as IcdPreference;
const hostRoot = option('host-root', '/');
const PARTS = ['adapters', 'tests', 'bench', 'quality', 'peers'];
const wantedParts = new Set(option('parts', PARTS.join(',')).split(','));
/** --adapter: an index or a part of a name from the adapters part's list; every part runs on it. */
const adapterSpec = option('adapter', '').trim();
const allowSoftware = flag('allow-software');
if (!['auto', 'nvidia', 'software', 'all'].includes(icdPreference)) usage(`--icd ${icdPreference}: choose auto, nvidia, software or all`);
if (!Number.isFinite(budgetSeconds) || budgetSeconds <= 0) usage(`--budget ${option('budget', '')}: a number of seconds`);
for (const p of wantedParts) if (!PARTS.includes(p)) usage(`--parts: unknown part ${p} (${PARTS.join(', ')})`);

function usage(message: string): never {
  process.stderr.write(`gpu-check: ${message}\n`);
  process.exit(2);
}

/**
 * Limits per part, in seconds. On a GPU the whole check fits in 8 minutes (480 s); on lavapipe the
 * quick list takes a few minutes (a CPU running the kernels).
 */
const LIMITS = quick ? { adapters: 60, tests: 600, bench: 300, quality: 240, peers: 300 } : { adapters: 40, tests: 100, bench: 270, quality: 40, peers: 120 };
/** The benchmark's case list: the issue's contexts on a GPU, one small context on lavapipe. */
const BENCH_ENV = quick
  ? { BENCH_CONTEXTS: '1k', BENCH_MLA_CONTEXTS: '1k', BENCH_PREFILL_CONTEXTS: '256', BENCH_SAMPLES: '5', BENCH_WARMUP: '2', BENCH_MAX_CASE_SECONDS: '30', BENCH_LEAK_RUNS: '20' }
  : { BENCH_CONTEXTS: '4k,16k,128k', BENCH_MLA_CONTEXTS: '4k,16k,128k', BENCH_PREFILL_CONTEXTS: '4k,16k,128k', BENCH_SAMPLES: '30', BENCH_WARMUP: '10', BENCH_MAX_CASE_SECONDS: '20', BENCH_LEAK_RUNS: '100' };
/** One 7B-shaped layer (hidden 4096, 32 KV heads × 128); on lavapipe a small one. */
const QUALITY_ARGS = quick ? ['--hidden', '512', '--kv-heads', '4', '--tokens', '64'] : ['--hidden', '4096', '--kv-heads', '32', '--tokens', '256'];
/**
 * The peers' case list: bench:peers' shapes on a GPU (MHA, GQA-8, MQA at 1k, 4k, 16k) with llama.cpp
 * timed; on lavapipe one shape at 1k against ONNX Runtime, and llama.cpp only opened (its pipelines take
 * minutes to compile on a CPU).
 */
const PEERS_ENV = quick
  ? { PEERS_CONTEXTS: '1k', PEERS_VARIANTS: 'own', PEERS_SAMPLES: '3', PEERS_GPU_SAMPLES: '3', PEERS_WARMUP: '1', PEERS_MAX_CASE_SECONDS: '30', PEERS_LLAMA: 'open' }
  : { PEERS_CONTEXTS: '1k,4k,16k', PEERS_VARIANTS: 'mha,own,mqa', PEERS_SAMPLES: '10', PEERS_GPU_SAMPLES: '10', PEERS_WARMUP: '2', PEERS_MAX_CASE_SECONDS: '10', PEERS_LLAMA: '1' };
/** What the peers part runs; a kit built with --no-peers, or without its peers archive beside it, has none of them. */
const PEERS_FILES = ['out/bench/peers.mjs', 'out/bench/peersLlamaCpp.mjs', 'node_modules/onnxruntime-web/package.json', 'node_modules/node-llama-cpp/package.json'];
/** On lavapipe, the fast GPU tests: every kernel family once, and the quality worker's GPU paths. */
const QUICK_TESTS = "decode MHA 8 heads|decode MLA naive|naive baseline|empty sequence|device 'gpu'|X·Wᵀ on the GPU";

mkdirSync(outDir, { recursive: true });
const scratch = mkdtempSync(path.join(tmpdir(), 'attention-lens-gpu-check-'));
const logPath = path.join(outDir, 'gpu-check.log');
const log = createWriteStream(logPath);
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
  log.write(`${line}\n`);
};
const remaining = (): number => budgetSeconds - (performance.now() - started) / 1000;
const limitFor = (part: keyof typeof LIMITS): number => Math.max(1, Math.min(LIMITS[part], Math.floor(remaining())));

const kit = readKit(kitDir);
const host = probeHost({ root: hostRoot, runCommand: hostRoot === '/' ? runQuietly : () => undefined });
const choice = chooseLoader(host, icdPreference, scratch, hostRoot);
if (choice.generated) writeFileSync(choice.generated.path, choice.generated.json);
// Libraries the ICD's library cannot find that the kit carries (glvnd's libGLdispatch and libEGL for
// NVIDIA's): the kit's folder that holds them joins the path, and they are no longer missing.
const kitLibDirs = kitDir ? ['glvnd', 'fallback'].map((f) => path.join(kitDir, 'lib', f)) : [];
for (const icd of choice.icds) {
  const provided: string[] = [];
  for (const lib of icd.missingLibraries ?? []) {
    const dir = kitLibDirs.find((d) => existsSync(path.join(d, lib)));
    if (!dir) continue;
    provided.push(lib);
    if (!choice.libraryDirs.includes(dir)) choice.libraryDirs.push(dir);
  }
  if (!provided.length) continue;
  choice.notes.push(`${icd.resolvedLibrary} needs ${provided.join(', ')}, missing on this host: the kit's copies are used`);
  icd.missingLibraries = icd.missingLibraries!.filter((l) => !provided.includes(l));
}
const childEnv: NodeJS.ProcessEnv = {
  ...process.env,
  XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp',
  ...choice.env,
  // The kit's loader stays first (run-gpu-check.sh put it there); the ICD library's own folder after it.
  LD_LIBRARY_PATH: [process.env.LD_LIBRARY_PATH, ...choice.libraryDirs].filter(Boolean).join(':'),
  ...(adapterSpec ? { ATTENTION_LENS_ADAPTER: adapterSpec } : {}),
};
// Run under a test runner (the kit's own test), the GPU tests must still report to this check.
delete childEnv.NODE_TEST_CONTEXT;
let loader = kit?.vulkanLoader ? `the kit's ${kit.vulkanLoader}` : 'the system\'s libvulkan';

const parts: PartRun[] = [];
const report: CheckReport = {
  finding: '',
  quick,
  budgetSeconds,
  totalSeconds: 0,
  kit,
  host,
  loader: { description: loader, icds: choice.icds.map((i) => i.path), generatedIcd: choice.generated?.path ?? null, libraryDirs: choice.libraryDirs, env: choice.env, notes: choice.notes },
  adapters: { list: [], chosen: null, error: null, libraries: null },
  parts: [],
  tests: null,
  quality: null,
  peers: null,
};

// 1. Adapters: always, and first, because the one-line finding names the adapter.
let adapter: AdapterOutcome;
{
  const run = await runPart('adapters', [path.join(APP, 'out/bench/gpuAdapters.mjs')], { env: childEnv, cwd: APP, limitSeconds: limitFor('adapters'), log });
  parts.push(run);
  const line = run.stdout.trim().split('\n').pop() ?? '';
  type AdapterProbe = { adapters?: AdapterEntry[]; chosen?: ChosenAdapter | null; libraries?: { loader: string[]; drivers: string[] } | null; error?: string };
  let parsed: AdapterProbe;
  try {
    parsed = JSON.parse(line) as AdapterProbe;
  } catch {
    parsed = { error: run.outcome.status === 'timed-out' ? `the adapter probe hung for ${run.outcome.limitSeconds} s (a driver that hangs on open?)` : `the adapter probe ${run.outcome.summary}: ${run.tail.slice(-3).join(' / ')}` };
  }
  report.adapters = { list: parsed.adapters ?? [], chosen: parsed.chosen ?? null, error: parsed.error ?? null, libraries: parsed.libraries ?? null };
  // The loader that really served the probe, from its memory map: the kit's, or (said plainly) another.
  const mapped = parsed.libraries?.loader[0];
  if (mapped) loader = kitDir && mapped.startsWith(kitDir) && kit ? `the kit's ${kit.vulkanLoader}` : `${mapped}${kitDir ? ' (not the kit\'s)' : ''}`;
  report.loader.description = loader;
  const backend = process.platform === 'darwin' ? 'metal' : process.platform === 'win32' ? 'd3d12' : 'vulkan';
  adapter = parsed.chosen ? { name: parsed.chosen.name, backend, software: parsed.chosen.software } : { error: parsed.error ?? 'Dawn found no adapter' };
  if (parsed.chosen) run.outcome.summary = `${report.adapters.list.length} adapter${report.adapters.list.length === 1 ? '' : 's'} (${report.adapters.list.map((a) => `${a.name} [${a.backend}]`).join(', ') || 'none listed'}); chosen: ${parsed.chosen.name}`;
  else {
    if (run.outcome.status === 'passed') run.outcome.status = 'failed';
    run.outcome.summary = 'error' in adapter ? adapter.error : run.outcome.summary;
  }
}
report.finding = findingLine(host, choice, loader, adapter);
say(report.finding);
for (const note of choice.notes) log.write(`note: ${note}\n`);

const hasGpu = !('error' in adapter);
const onlySoftware = hasGpu && 'software' in adapter && adapter.software;
const nvidiaHere = host.nvidiaDriver !== null || host.nvidiaGpus.length > 0;
/** Why the GPU parts do not run, or null. */
const stop = !hasGpu ? 'no adapter' : onlySoftware && nvidiaHere && !quick && !allowSoftware ? 'an NVIDIA GPU is here but only a software adapter opened: the figures would be a CPU\'s (--allow-software runs them anyway)' : null;

// 2. The GPU tests, with a TAP copy for the counts.
if (wantedParts.has('tests')) {
  if (stop) parts.push(skippedPart('tests', LIMITS.tests, stop));
  else {
    const tap = path.join(scratch, 'tests.tap');
    const files = readdirSync(path.join(APP, 'out/test/gpu')).filter((f) => f.endsWith('.test.mjs')).sort().map((f) => path.join(APP, 'out/test/gpu', f));
    const args = ['--test', '--test-concurrency=1', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...(quick ? [`--test-name-pattern=${QUICK_TESTS}`] : []), ...files];
    const run = await runPart('tests', args, { env: childEnv, cwd: APP, limitSeconds: limitFor('tests'), log });
    report.tests = existsSync(tap) ? parseTap(readFileSync(tap, 'utf8')) : null;
    const t = report.tests;
    if (t) run.outcome.summary = `${t.pass} passed, ${t.fail} failed${t.skipped ? `, ${t.skipped} skipped${quick ? ' (not in the quick list)' : ''}` : ''}${t.fail ? `: ${t.failures.join('; ')}` : ''}${run.outcome.status === 'timed-out' ? ` (stopped at ${run.outcome.limitSeconds} s)` : ''}`;
    parts.push(run);
  }
}

// 3. The kernel benchmark, into a folder of its own; its results file is the one this check writes.
let bench: KernelsBenchResults | null = null;
if (wantedParts.has('bench')) {
  if (stop) parts.push(skippedPart('bench', LIMITS.bench, stop));
  else {
    const dir = path.join(scratch, 'bench');
    const run = await runPart('bench', ['--expose-gc', path.join(APP, 'out/bench/kernels.mjs')], { env: { ...childEnv, ...BENCH_ENV, BENCH_RESULTS_DIR: dir }, cwd: APP, limitSeconds: limitFor('bench'), log, onLine: (l) => (/^\[\d+\/\d+\]/.test(l) ? process.stdout.write(`  bench ${l}\n`) : undefined) });
    const file = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.json')) : undefined;
    if (file) {
      bench = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as KernelsBenchResults;
      const measured = bench.results.filter((r) => r.medianUs !== null).length;
      run.outcome.summary = `${measured} of ${bench.results.length} cases timed, peaks: copy ${bench.device.peaks.copyGBps.toFixed(1)} GB/s, f32 ${bench.device.peaks.f32TFlops.toFixed(2)} TFLOP/s`;
    }
    parts.push(run);
  }
}

// 4. Quality: the same layer on the GPU path and on the CPU path, figures held against each other.
if (wantedParts.has('quality')) {
  if (stop) parts.push(skippedPart('quality', LIMITS.quality, stop));
  else {
    const runs: Record<string, QualityRun | null> = {};
    const limit = limitFor('quality');
    const partStart = performance.now();
    const outcomes: PartRun[] = [];
    for (const device of ['gpu', 'cpu']) {
      const json = path.join(scratch, `quality-${device}.json`);
      const left = Math.max(1, Math.floor(limit - (performance.now() - partStart) / 1000));
      const run = await runPart(`quality-${device}`, [path.join(APP, 'out/bench/quality.mjs'), '--device', device, '--layers', '1', '--only', 'all', ...QUALITY_ARGS, '--json', json], { env: childEnv, cwd: APP, limitSeconds: left, log });
      outcomes.push(run);
      runs[device] = existsSync(json) ? qualityRun(JSON.parse(readFileSync(json, 'utf8')), device) : null;
      if (run.outcome.status !== 'passed') break;
    }
    const gpu = runs.gpu ?? null;
    const cpu = runs.cpu ?? null;
    const agreement = gpu && cpu ? compareQuality(gpu, cpu) : [];
    const worst = agreement.reduce((m, a) => Math.max(m, a.absoluteDifference), 0);
    const agrees = agreement.length > 0 && worst <= QUALITY_AGREEMENT;
    report.quality = { shape: QUALITY_ARGS.join(' '), gpu, cpu, agreement, maxAbsoluteDifference: agreement.length ? worst : null, tolerance: QUALITY_AGREEMENT, agrees };
    const failed = outcomes.find((o) => o.outcome.status !== 'passed');
    const seconds = outcomes.reduce((s, o) => s + o.outcome.seconds, 0);
    const summary = failed ? `quality-${failed.outcome.name.split('-')[1]} ${failed.outcome.summary}` : gpu && cpu ? `GPU ${gpu.secondsPerLayer.toFixed(2)} s/layer, CPU ${cpu.secondsPerLayer.toFixed(2)} s/layer; figures ${agrees ? 'agree' : 'DIFFER'} (max |Δ| ${worst.toExponential(1)}, tolerance ${QUALITY_AGREEMENT})` : 'no figures read back';
    const status = failed ? failed.outcome.status : agrees ? 'passed' : 'failed';
    parts.push({ outcome: { name: 'quality', status, seconds, limitSeconds: limit, exitCode: failed?.outcome.exitCode ?? 0, summary }, stdout: '', tail: failed?.tail ?? [] });
  }
}

// 5. The peers, last: the part most likely to run out of time, and the one the others never wait on.
if (wantedParts.has('peers')) {
  const missing = PEERS_FILES.filter((f) => !existsSync(path.join(APP, f)));
  if (stop) parts.push(skippedPart('peers', LIMITS.peers, stop));
  else if (missing.length) parts.push(skippedPart('peers', LIMITS.peers, `no ${missing.join(', ')} here: ${kitDir ? 'a kit built with --no-peers, or attention-lens-gpu-kit-peers.tar.br not beside run-gpu-check.sh' : 'run npm ci and npm run build:tests'}`));
  else {
    const dir = path.join(scratch, 'peers');
    const limit = limitFor('peers');
    // llama.cpp gets half the part: ours and ONNX Runtime's rows come first and are written before it starts.
    const env = { ...childEnv, ...PEERS_ENV, PEERS_RESULTS_DIR: dir, PEERS_LLAMA_SECONDS: String(Math.max(20, Math.floor(limit / 2))) };
    const run = await runPart('peers', [path.join(APP, 'out/bench/peers.mjs')], { env, cwd: APP, limitSeconds: limit, log, onLine: (l) => (/^\[peers \d+\/\d+\]/.test(l) ? process.stdout.write(`  ${l}\n`) : undefined) });
    const file = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.json')) : undefined;
    if (file) {
      const peers = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as PeersResults;
      for (const f of readdirSync(dir)) copyFileSync(path.join(dir, f), path.join(outDir, f));
      report.peers = peersSummary(peers, file);
      run.outcome.summary = report.peers.summary;
    }
    parts.push(run);
  }
}

report.parts = parts.map((p) => p.outcome);
report.totalSeconds = (performance.now() - started) / 1000;
for (const p of parts) {
  say(`  ${p.outcome.name.padEnd(9)} ${p.outcome.status.padEnd(9)} ${p.outcome.seconds.toFixed(0).padStart(4)} s / ${p.outcome.limitSeconds} s  ${p.outcome.summary}`);
  if (p.outcome.status === 'failed' || p.outcome.status === 'timed-out') for (const l of p.tail.slice(-12)) say(`      | ${l}`);
}

const results: CheckResults = bench
  ? { ...bench, check: report }
  : { date: new Date().toISOString(), node: process.version, platform: `${process.platform}-${process.arch}`, settings: null, device: null, goals: [], leak: null, results: [], check: report };
const slug = bench ? resultsSlug(bench.device.adapter, bench.device.backend) : resultsSlug(report.adapters.chosen?.name ?? 'no-adapter', 'vulkan');
writeFileSync(path.join(outDir, `${slug}.json`), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(path.join(outDir, `${slug}.md`), checkMarkdown(results));
say(`gpu-check: ${report.parts.filter((p) => p.status === 'passed').length} of ${report.parts.length} parts passed in ${report.totalSeconds.toFixed(0)} s; wrote ${path.join(outDir, slug)}.json, .md and gpu-check.log`);
log.end();
rmSync(scratch, { recursive: true, force: true });
await new Promise<void>((r) => log.on('close', () => r()));
process.exit(report.parts.every((p) => p.status === 'passed') ? 0 : 1);

function readKit(dir: string): KitInfo | null {
  if (!dir) return null;
  try {
    return JSON.parse(readFileSync(path.join(dir, 'KIT.json'), 'utf8')) as KitInfo;
  } catch {
    return null;
  }
}

