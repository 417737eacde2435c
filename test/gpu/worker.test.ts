/**
 * The profiler's worker process end to end on a real adapter: a whole plan from a config through the
 * typed protocol into the `--json` contract, and every way it can end badly — cancelled, timed out,
 * crashed, device lost, no adapter — each turned into a clear ProfileError with the child gone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { deriveAttentionSpec } from '../../src/core/attentionSpec';
import { loadModelConfig } from '../../src/core/modelConfig';
import { buildProfilePlan, type ProfileOptions } from '../../src/core/profilePlan';
import { ProfileError, runProfile } from '../../src/gpu/workerClient';
import { chosenAdapter } from '../../src/gpu/host/adapters';
import type { ProfileReport, ProfileSettings, WorkerEvent } from '../../src/shared/profileProtocol';

const ROOT = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '../../..');
const WORKER = path.join(ROOT, 'dist', 'worker.mjs');
const CLI = path.join(ROOT, 'dist', 'cli.js');

// A small GQA model (8 q / 2 kv heads × 32) so the kernels compile and run quickly on lavapipe.
const TINY = JSON.stringify({ model_type: 'llama', hidden_size: 256, num_attention_heads: 8, num_key_value_heads: 2, num_hidden_layers: 2, intermediate_size: 512, vocab_size: 1000, max_position_embeddings: 4096 });
const SETTINGS: ProfileSettings = { samples: 3, warmupPasses: 1, maxCaseSeconds: 60, peakBytes: 16 * 1024 * 1024 };

function tinyPlan(options: ProfileOptions = {}) {
  return buildProfilePlan(deriveAttentionSpec(loadModelConfig('tiny.json', TINY)), { variants: ['own', 'mha', 'mqa'], contexts: [64, 300], ...options });
}

const gone = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

test('a plan runs in the worker: device and peaks, every case checked then timed, results streamed as they come', async () => {
  const events: WorkerEvent[] = [];
  const plan = tinyPlan();
  let pid = 0;
  const report = await runProfile(plan, SETTINGS, { workerPath: WORKER, timeoutMs: 600_000, onEvent: (e) => events.push(e), onSpawn: (p) => (pid = p) });
  // The worker ends on its own once its device is destroyed (its forced exit waits 5 s).
  for (let i = 0; i < 30 && !gone(pid); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(gone(pid), 'the worker exited by itself after reporting');
  assert.ok(report.device.adapter.length > 0);
  assert.ok(report.device.peaks.copyGBps > 0 && report.device.peaks.f32TFlops > 0);
  // Each peak carries its derivation: the 16 MiB working set read and written, over its median time.
  assert.match(report.device.peaks.derivation[0]!, new RegExp(`^copy GB/s = 2 × 16777216 B \\(read \\+ written\\) / [\\d.]+ µs median of 3 = ${report.device.peaks.copyGBps.toFixed(3).replace('.', '\\.')}$`));
  // The read-only peak (decode's bound) over the same working set, read once.
  assert.ok(report.device.peaks.readGBps! > 0);
  assert.match(report.device.peaks.derivation[1]!, new RegExp(`^read GB/s = 16777216 B \\(read only\\) / [\\d.]+ µs median of 3 = ${report.device.peaks.readGBps!.toFixed(3).replace('.', '\\.')}$`));
  // Clocks: sustained load came first, and the peaks were measured again after the cases.
  assert.ok(report.device.sustainedSeconds! > 0);
  assert.ok(report.peaksAfter && report.peaksAfter.copyGBps > 0 && report.peaksAfter.readGBps! > 0);
  assert.equal(report.results.length, plan.cases.length);
  for (const r of report.results) {
    assert.equal(r.status, 'measured', `${r.id} ${r.mode} ${r.context}: ${r.skipped ?? ''}`);
    assert.ok(r.ok && r.medianUs! > 0 && r.gbps! > 0 && r.tflops! > 0 && r.pctBandwidth! > 0);
    // Each % is of a named peak: the same GB/s over the read peak and over the copy peak.
    assert.ok(Math.abs(r.pctReadBandwidth! - (100 * r.gbps!) / report.device.peaks.readGBps!) < 1e-9);
    assert.ok(r.coldCopies! >= 1 && r.coldBytes! > 0);
    assert.ok(r.maxAbsError! < 1e-2);
  }
  assert.equal(events.filter((e) => e.type === 'result').length, plan.cases.length);
  assert.ok(events.some((e) => e.type === 'progress'));
  // Decode bytes follow the KV heads: MQA reads 1/8 of MHA's K/V.
  const mha = report.results.find((r) => r.variant === 'mha' && r.mode === 'decode' && r.context === 300)!;
  const mqa = report.results.find((r) => r.variant === 'mqa' && r.mode === 'decode' && r.context === 300)!;
  assert.ok(mqa.bytes < mha.bytes / 4);
});

test('the CLI prints the --json contract of the issue', () => {
  const dir = path.join(ROOT, 'test', 'fixtures', 'configs');
  const r = spawnSync(process.execPath, [CLI, 'profile', path.join(dir, 'gpt2.json'), '--contexts', '64', '--variants', 'own,mqa', '--mode', 'decode', '--samples', '3', '--warmup', '1', '--json'], { encoding: 'utf8', timeout: 600_000 });
  assert.equal(r.status, 0, r.stderr);
  const json = JSON.parse(r.stdout) as ProfileReport;
  for (const k of ['adapter', 'backend', 'features', 'peaks']) assert.ok(k in json.device, k);
  for (const k of ['copyGBps', 'readGBps', 'f32TFlops', 'f16TFlops']) assert.ok(k in json.device.peaks, k);
  assert.equal(json.results.length, 2);
  for (const row of json.results) {
    for (const k of ['variant', 'qHeads', 'kvHeads', 'headDim', 'mode', 'context', 'batch', 'medianUs', 'gbps', 'pctBandwidth', 'pctReadBandwidth', 'tflops', 'pctFlops', 'maxAbsError', 'ok']) assert.ok(k in row, k);
  }
  assert.deepEqual(json.results.map((x) => [x.variant, x.qHeads, x.kvHeads, x.headDim]), [['mha', 12, 12, 64], ['mqa', 12, 1, 64]]);
});

test('cancel kills the worker mid-run', async () => {
  const abort = new AbortController();
  let pid = 0;
  const run = runProfile(tinyPlan({ contexts: [64, 128, 256, 512, 1024] }), SETTINGS, {
    workerPath: WORKER, timeoutMs: 600_000, signal: abort.signal,
    onSpawn: (p) => (pid = p),
    onEvent: (e) => e.type === 'result' && abort.abort(),
  });
  await assert.rejects(run, (e: unknown) => e instanceof ProfileError && e.code === 'cancelled');
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(pid > 0 && gone(pid), 'the worker process is gone');
});

test('a worker that hangs is stopped by the timeout', async () => {
  let pid = 0;
  const run = runProfile(tinyPlan(), SETTINGS, { workerPath: WORKER, timeoutMs: 3000, env: { ATTENTION_LENS_WORKER_FAULT: 'hang' }, onSpawn: (p) => (pid = p) });
  await assert.rejects(run, (e: unknown) => e instanceof ProfileError && e.code === 'timeout' && /longer than 3 s/.test(e.message));
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(gone(pid));
});

test('a worker that crashes (abort, as a driver crash would) is reported, not hung on', async () => {
  const run = runProfile(tinyPlan(), SETTINGS, { workerPath: WORKER, timeoutMs: 60_000, env: { ATTENTION_LENS_WORKER_FAULT: 'crash' } });
  await assert.rejects(run, (e: unknown) => e instanceof ProfileError && e.code === 'crashed' && /signal SIGABRT/.test(e.message));
});

test('a lost device becomes an error result naming the loss', async () => {
  const run = runProfile(tinyPlan(), SETTINGS, { workerPath: WORKER, timeoutMs: 60_000, env: { ATTENTION_LENS_WORKER_FAULT: 'device-lost' } });
  await assert.rejects(run, (e: unknown) => e instanceof ProfileError && e.code === 'device-lost' && /device was lost/.test(e.message));
});

test('no adapter: the error says which backend failed and how to fix it on this OS', { skip: process.platform !== 'linux' && 'the Vulkan loader override is Linux-only' }, async () => {
  // Point the Vulkan loader at no driver at all: Dawn then finds no adapter.
  const run = runProfile(tinyPlan(), SETTINGS, { workerPath: WORKER, timeoutMs: 60_000, env: { VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' } });
  await assert.rejects(run, (e: unknown) => e instanceof ProfileError && e.code === 'no-adapter' && /lavapipe/.test(e.message) && /bookworm-backports/.test(e.message));
  // The CLI turns it into one line and exit status 1.
  const r = spawnSync(process.execPath, [CLI, 'profile', path.join(ROOT, 'test', 'fixtures', 'configs', 'gpt2.json'), '--contexts', '64'], { encoding: 'utf8', env: { ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' } });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /attention-lens: profile: no WebGPU adapter/);
});

test('no adapter on a host with an NVIDIA GPU: the error says why for this host (a container without the graphics capability) and how to fix it', { skip: process.platform !== 'linux' && 'the host diagnosis reads Linux files' }, async () => {
  // A fake host (the worker's ATTENTION_LENS_HOST_ROOT): NVIDIA's kernel driver, a docker container, no Vulkan ICD.
  const root = mkdtempSync(path.join(tmpdir(), 'attention-lens-host-'));
  try {
    mkdirSync(path.join(root, 'proc/driver/nvidia'), { recursive: true });
    writeFileSync(path.join(root, 'proc/driver/nvidia/version'), 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024\n');
    writeFileSync(path.join(root, '.dockerenv'), '');
    const env = { VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json', ATTENTION_LENS_HOST_ROOT: root, NVIDIA_DRIVER_CAPABILITIES: 'compute,utility' };
    const run = runProfile(tinyPlan(), SETTINGS, { workerPath: WORKER, timeoutMs: 60_000, env });
    await assert.rejects(run, (e: unknown) => e instanceof ProfileError && e.code === 'no-adapter'
      && /This host: an NVIDIA GPU is here but its Vulkan ICD is not: inside a docker container .*NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics/.test(e.message));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('--list-adapters names every adapter Dawn offers, numbered, and the default; --adapter picks one by index or name, and a wrong one is refused with the list', async () => {
  const listed = spawnSync(process.execPath, [CLI, 'profile', '--list-adapters', '--json'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(listed.status, 0, listed.stderr);
  const list = JSON.parse(listed.stdout) as { adapters: { index: number; name: string; backend: string; chosen: boolean }[]; chosen: { name: string; software: boolean } | null };
  assert.ok(list.adapters.length >= 1, 'at least the adapter the tests run on');
  assert.deepEqual(list.adapters.map((a) => a.index), list.adapters.map((_, i) => i));
  assert.equal(list.adapters.filter((a) => a.chosen).length, 1, 'the default is marked');
  assert.ok(list.chosen !== null);
  const text = spawnSync(process.execPath, [CLI, 'profile', '--list-adapters'], { encoding: 'utf8', timeout: 120_000 });
  assert.match(text.stdout, new RegExp(`^  0  ${list.adapters[0]!.name.replace(/[()]/g, '\\$&')} \\(${list.adapters[0]!.backend}\\)`, 'm'));
  // By index and by a part of the name, lower-cased: the worker opens that adapter.
  for (const adapter of ['0', list.adapters[0]!.name.slice(0, 5).toLowerCase()]) {
    const report = await runProfile(tinyPlan({ variants: 'own', contexts: [64], mode: 'decode' }), { ...SETTINGS, adapter }, { workerPath: WORKER, timeoutMs: 300_000 });
    assert.equal(report.results[0]!.status, 'measured', adapter);
  }
  await assert.rejects(runProfile(tinyPlan(), { ...SETTINGS, adapter: '99' }, { workerPath: WORKER, timeoutMs: 60_000 }), (e: unknown) => e instanceof ProfileError && e.code === 'no-adapter' && /no adapter 99 \(adapters here: 0: /.test(e.message));
  // gpu:check --adapter reaches every part through ATTENTION_LENS_ADAPTER: the same resolution and refusal.
  const viaEnv = await runProfile(tinyPlan({ variants: 'own', contexts: [64], mode: 'decode' }), SETTINGS, { workerPath: WORKER, timeoutMs: 300_000, env: { ATTENTION_LENS_ADAPTER: '0' } });
  assert.equal(viaEnv.results[0]!.status, 'measured');
  await assert.rejects(runProfile(tinyPlan(), SETTINGS, { workerPath: WORKER, timeoutMs: 60_000, env: { ATTENTION_LENS_ADAPTER: '99' } }), (e: unknown) => e instanceof ProfileError && e.code === 'no-adapter' && /ATTENTION_LENS_ADAPTER "99": no adapter 99/.test(e.message));
});

test('the chosen adapter lists the features Dawn offers only with its unsafe APIs allowed (subgroup matrices live there), apart from the others', async () => {
  const chosen = await chosenAdapter();
  assert.ok(chosen, 'an adapter');
  assert.ok(Array.isArray(chosen.experimentalFeatures));
  assert.deepEqual(chosen.experimentalFeatures.filter((f) => chosen.features.includes(f)), [], 'no feature in both lists');
  // Dawn keeps its experimental features behind allow_unsafe_apis; the safe list never shows them.
  assert.ok(!chosen.features.some((f) => f.startsWith('chromium-experimental-')), chosen.features.join(', '));
  if (!chosen.experimentalFeatures.includes('chromium-experimental-subgroup-matrix')) assert.deepEqual(chosen.subgroupMatrixConfigs, []);
  // Dawn's null backend offers every feature, subgroup matrices among the unsafe ones, with no shapes to multiply.
  const none = await chosenAdapter(['backend=null']);
  assert.ok(none, 'Dawn\'s null backend');
  assert.ok(none.experimentalFeatures.includes('chromium-experimental-subgroup-matrix'), none.experimentalFeatures.join(', '));
  assert.deepEqual(none.subgroupMatrixConfigs, []);
});

test('a shape no kernel supports (head dim 6) is reported with the reason, and the run completes', async () => {
  const odd = JSON.stringify({ model_type: 'llama', hidden_size: 24, num_attention_heads: 4, num_key_value_heads: 4, num_hidden_layers: 1, intermediate_size: 48, vocab_size: 100, max_position_embeddings: 1024 });
  const plan = buildProfilePlan(deriveAttentionSpec(loadModelConfig('odd.json', odd)), { variants: 'own', contexts: [64], mode: 'decode' });
  const report = await runProfile(plan, SETTINGS, { workerPath: WORKER, timeoutMs: 300_000 });
  assert.equal(report.results.length, 1);
  const [r] = report.results;
  assert.equal(r!.status, 'skipped');
  assert.match(r!.skipped!, /no kernel for this shape on this device: .*multiples of 4/);
});
