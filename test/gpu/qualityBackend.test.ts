/**
 * Choosing where the quality math runs (src/quality/gpu/backend.ts through measureWeights) on this
 * machine's adapter: 'auto' keeps a software adapter (lavapipe) off the GPU path, 'gpu' forces it and
 * matches the CPU, no adapter and a device lost in the middle of a layer both finish on the CPU with a
 * note — and the built CLI's worker loads its WebGPU chunk for `--device gpu`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { deriveAttentionSpec } from '../../src/core/attentionSpec';
import { loadModelConfig } from '../../src/core/modelConfig';
import { NoAdapterError, noAdapterMessage } from '../../src/gpu/device';
import { openQualityGpu } from '../../src/quality/gpu/index';
import type { QualityGpu } from '../../src/quality/gpu/types';
import { Rng } from '../../src/quality/linalg';
import { measureWeights, type MeasureOptions, type WeightsMeasurement } from '../../src/quality/measure';
import { writeSafetensors, type TensorToWrite } from '../helpers/safetensorsWriter';
import { parseMeasureTargets } from '../../src/quality/targets';

const ROOT = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '../../..');
const LAYERS = 3;
const TARGETS = ['mla-8', 'mla-48'];

/** Llama-shaped, hidden 96, 4 KV heads × 32: [W_k; W_v] is 256 × 96, a 96×96 Gram of columns. */
function model(): { dir: string; configFile: string; text: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'al-quality-gpu-'));
  const config = { model_type: 'llama', hidden_size: 96, num_hidden_layers: LAYERS, num_attention_heads: 4, num_key_value_heads: 4, head_dim: 32, max_position_embeddings: 2048, torch_dtype: 'bfloat16', vocab_size: 32, intermediate_size: 192 };
  const text = JSON.stringify(config, null, 2);
  const configFile = path.join(dir, 'config.json');
  writeFileSync(configFile, text);
  const tensors: TensorToWrite[] = [];
  for (let l = 0; l < LAYERS; l++) {
    for (const p of ['k', 'v']) {
      const rng = new Rng(100 + 2 * l + (p === 'k' ? 0 : 1));
      tensors.push({ name: `model.layers.${l}.self_attn.${p}_proj.weight`, dtype: 'BF16', shape: [128, 96], data: () => rng.gaussian() * 0.02 });
    }
  }
  writeSafetensors(path.join(dir, 'model.safetensors'), tensors);
  return { dir, configFile, text };
}

const M = model();
const spec = deriveAttentionSpec(loadModelConfig(M.configFile, M.text));
const measure = (extra: Partial<MeasureOptions>): Promise<WeightsMeasurement> =>
  measureWeights({ configDir: M.dir, spec, targets: parseMeasureTargets(TARGETS), ...extra });

/** Same numbers as the f64 CPU run, to f32 rounding (see qualityMath.test.ts for the tolerances). */
function sameAsCpu(got: WeightsMeasurement, cpu: WeightsMeasurement): void {
  for (const c of cpu.conversions) {
    const g = got.conversions.find((x) => x.target === c.target)!;
    assert.ok(Math.abs(g.energyRetained! - c.energyRetained!) < 1e-6, `${c.target} energy ${g.energyRetained} vs ${c.energyRetained}`);
    assert.ok(Math.abs(g.kRelError - c.kRelError) < 1e-5 && Math.abs(g.vRelError - c.vRelError) < 1e-5, `${c.target} K ${g.kRelError} vs ${c.kRelError}`);
    assert.ok(Math.abs(g.rank99! - c.rank99!) <= 1);
    assert.equal(g.perLayer.length, LAYERS);
  }
}

let cpuRun: WeightsMeasurement | undefined;
const cpu = async (): Promise<WeightsMeasurement> => (cpuRun ??= await measure({ device: 'cpu', loadGpu: openQualityGpu }));

test("device 'cpu' never opens the GPU and says it ran on the CPU kernels", async () => {
  let opened = false;
  const r = await measure({ device: 'cpu', loadGpu: async () => { opened = true; return openQualityGpu(); } });
  assert.equal(opened, false);
  assert.equal(r.backend?.kind, 'cpu');
  assert.match(r.conversions[0]!.method!, /on the CPU in f64/);
});

test("device 'auto' on a software adapter (lavapipe here) picks the CPU and says why", async (t) => {
  const probe = await openQualityGpu();
  const software = probe.software;
  const adapter = probe.adapter;
  probe.destroy();
  t.diagnostic(`adapter: ${adapter} (software: ${software})`);
  const r = await measure({ device: 'auto', loadGpu: openQualityGpu });
  if (!software) {
    assert.equal(r.backend?.kind, 'webgpu', 'a hardware adapter runs the math on WebGPU under auto');
    return;
  }
  assert.equal(r.backend?.kind, 'cpu');
  assert.ok(r.notes.some((n) => /device auto: .*software rasterizer.*--device gpu/.test(n)), r.notes.join('\n'));
  sameAsCpu(r, await cpu());
});

test("device 'gpu' runs every layer on WebGPU, records the adapter, and matches the f64 CPU run", async () => {
  const r = await measure({ device: 'gpu', loadGpu: openQualityGpu });
  assert.equal(r.backend?.kind, 'webgpu');
  if (r.backend?.kind !== 'webgpu') return;
  assert.equal(r.backend.gpuLayers, LAYERS);
  assert.equal(r.backend.cpuLayers, 0);
  assert.ok(r.backend.adapter.length > 0);
  assert.match(r.conversions[0]!.method!, /on WebGPU \(/);
  assert.ok(!r.notes.some((n) => /WebGPU .* failed/.test(n)));
  sameAsCpu(r, await cpu());
});

test('no adapter: the run finishes on the CPU with a note naming the reason', async () => {
  const r = await measure({ device: 'gpu', loadGpu: () => Promise.reject(new NoAdapterError(noAdapterMessage('default'))) });
  assert.equal(r.backend?.kind, 'cpu');
  assert.ok(r.notes.some((n) => /device gpu: no WebGPU device \(no WebGPU adapter/.test(n)), r.notes.join('\n'));
  sameAsCpu(r, await cpu());
});

test('a device lost in the middle of a layer: that layer and the rest finish on the CPU, with a note', async () => {
  let calls = 0;
  const lossy = async (): Promise<QualityGpu> => {
    const real = await openQualityGpu();
    return {
      adapter: real.adapter, api: real.api, software: real.software,
      get lostReason() { return real.lostReason; },
      destroy: () => real.destroy(),
      project: (...args) => real.project(...args),
      jointLowRank: (...args) => real.jointLowRank(...args),
      beginJointLowRank: (...args) => {
        const job = real.beginJointLowRank(...args);
        if (++calls !== 2) return job;
        // The second layer's device dies while its own work is in flight (destroy() is how Dawn loses one
        // on purpose): when its finish starts, the first layer is done, its Gram and tridiagonalization queued.
        return { abandon: () => job.abandon(), finish: (onGpuFree) => (setImmediate(() => real.destroy()), job.finish(onGpuFree)) };
      },
    };
  };
  const r = await measure({ device: 'gpu', loadGpu: lossy });
  assert.equal(r.backend?.kind, 'webgpu');
  if (r.backend?.kind !== 'webgpu') return;
  assert.equal(r.backend.gpuLayers, 1);
  assert.equal(r.backend.cpuLayers, LAYERS - 1);
  assert.ok(r.notes.some((n) => /WebGPU \(.*\) failed at layer 1 \(MLA spectrum\): .*measured on the CPU/.test(n)), r.notes.join('\n'));
  assert.match(r.conversions[0]!.method!, /2 layers on the CPU/);
  sameAsCpu(r, await cpu());
});

test('layers overlapped (layer l+1 read and its Gram and tridiagonalization queued while layer l finishes): the same bits as one layer at a time, progress per layer, abort between layers', async () => {
  const seen: [number, number][] = [];
  const overlapped = await measure({ device: 'gpu', loadGpu: openQualityGpu, onProgress: (d, t) => seen.push([d, t]) });
  const serial = await measure({ device: 'gpu', loadGpu: openQualityGpu, overlap: false });
  assert.equal(overlapped.backend?.kind, 'webgpu');
  assert.equal(JSON.stringify(overlapped.conversions), JSON.stringify(serial.conversions));
  assert.deepEqual(overlapped.weights, serial.weights);
  assert.deepEqual(seen, Array.from({ length: LAYERS + 1 }, (_, i) => [i, LAYERS]));
  sameAsCpu(overlapped, await cpu());
  // Abort after the first layer: the second layer's GPU work is already queued; the run still stops there.
  const controller = new AbortController();
  await assert.rejects(
    measure({ device: 'gpu', loadGpu: openQualityGpu, signal: controller.signal, onProgress: (d) => { if (d === 1) controller.abort(); } }),
    (e: Error) => e.name === 'AbortError',
  );
});

test('the built CLI: `quality --device gpu --json` loads the worker\'s WebGPU chunk and reports the backend; a bad --device is a usage error', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'quality', M.configFile, '--targets', TARGETS.join(','), ...args], { encoding: 'utf8', cwd: ROOT });
  const r = run('--device', 'gpu', '--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { backend: { kind: string; gpuLayers?: number } };
  assert.equal(out.backend.kind, 'webgpu');
  assert.equal(out.backend.gpuLayers, LAYERS);
  const bad = run('--device', 'tpu');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--device "tpu": choose auto, gpu or cpu/);
});
