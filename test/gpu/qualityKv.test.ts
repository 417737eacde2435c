/**
 * The KV-quantization projections on WebGPU (src/quality/gpu/project.ts through measureWeights) against
 * the f64 CPU path, on this machine's adapter (lavapipe here, so the shapes stay small).
 *
 * Tolerances. The GPU computes K = X·Wᵀ in f32 with 256-term partial sums: each entry's rounding error
 * is below (256 + hidden/256)·ε·Σ|x·w| ≈ 1.5e-5·Σ|x·w| (ε = 6e-8) and typically √hidden·ε of |K|, so
 * ‖ΔK‖/‖K‖ is bounded at 1e-5 (measured ~1e-7). The round-trips run on the f64 copies of those values
 * with the CPU's own code. Their error ‖K − Q(K)‖ is continuous and Lipschitz in K for int8, int4 and
 * fp8 (round-to-nearest: |x − Q(x)| is the same on both sides of a midpoint; the absmax scales are
 * continuous), so the relative errors differ by about ‖ΔK‖/‖K‖: bounded at 1e-4. q8_0, q4_0 and
 * nvfp4 round their block scales to f16 / e4m3, which jumps when a block's absmax sits within ΔK of a
 * rounding midpoint: a rare block's scale moves one step, shifting the total by up to ~1e-4 of it
 * (measured gaps: ≤ 1.5e-6 for every format), so those are bounded at 1e-3.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { deriveAttentionSpec } from '../../src/core/attentionSpec';
import { loadModelConfig } from '../../src/core/modelConfig';
import { openGpu } from '../../src/gpu/device';
import { openQualityGpu } from '../../src/quality/gpu/index';
import { projectOnGpu } from '../../src/quality/gpu/project';
import { GpuSession } from '../../src/quality/gpu/session';
import type { QualityGpu } from '../../src/quality/gpu/types';
import { Rng } from '../../src/quality/linalg';
import { measureWeights, type MeasureOptions, type WeightsMeasurement } from '../../src/quality/measure';
import { writeSafetensors, type TensorToWrite } from '../helpers/safetensorsWriter';
import { parseMeasureTargets } from '../../src/quality/targets';

const gaussian = (n: number, seed: number, scale = 1): Float32Array => {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.gaussian() * scale);
};

/** X·Wᵀ in f64. */
function exactProduct(X: Float32Array, tokens: number, hidden: number, W: Float32Array, rows: number): Float64Array {
  const out = new Float64Array(tokens * rows);
  for (let t = 0; t < tokens; t++) {
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let i = 0; i < hidden; i++) s += X[t * hidden + i]! * W[r * hidden + i]!;
      out[t * rows + r] = s;
    }
  }
  return out;
}

function relGap(got: Float32Array, exact: Float64Array): number {
  let d = 0, n = 0;
  for (let i = 0; i < exact.length; i++) {
    d += (got[i]! - exact[i]!) ** 2;
    n += exact[i]! ** 2;
  }
  return Math.sqrt(d / n);
}

/** A session whose storage bindings hold `bytes`: forces the row-chunked upload of W on small shapes. */
class SmallBindings extends GpuSession {
  constructor(ctx: ConstructorParameters<typeof GpuSession>[0], private readonly bytes: number) {
    super(ctx);
  }
  override get maxBindingBytes(): number {
    return this.bytes;
  }
}

test('X·Wᵀ on the GPU matches f64 to 1e-5 — edges off the 64-tile grid, two projections, W uploaded in row chunks', async (t) => {
  const tokens = 70, hidden = 200, kRows = 72, vRows = 40;
  const X = gaussian(tokens * hidden, 1), Wk = gaussian(kRows * hidden, 2, 0.05), Wv = gaussian(vRows * hidden, 3, 0.05);
  const ctx = await openGpu({ forceF32: true });
  // 30 rows of W per binding (and X, 56 KB, still fits): three chunks for K, two for V.
  const s = new SmallBindings(ctx, Math.max(tokens * hidden * 4, tokens * kRows * 4));
  try {
    const [K, V] = await projectOnGpu(s, X, tokens, hidden, [{ W: Wk, rows: kRows }, { W: Wv, rows: vRows }]);
    const gk = relGap(K!, exactProduct(X, tokens, hidden, Wk, kRows));
    const gv = relGap(V!, exactProduct(X, tokens, hidden, Wv, vRows));
    t.diagnostic(`‖ΔK‖/‖K‖ = ${gk.toExponential(2)}, ‖ΔV‖/‖V‖ = ${gv.toExponential(2)}`);
    assert.ok(gk < 1e-5 && gv < 1e-5, `${gk} ${gv}`);
  } finally {
    s.destroy();
  }
});

// ── measureWeights end to end: a Qwen3-like model with biases, k_norm, input norms and an embedding table ──

const H = 160, KVH = 2, HD = 32, LAYERS = 2, VOCAB = 50, TOKENS = 600;
const TARGETS = ['kv-int8', 'kv-int4', 'kv-fp8', 'kv-q8_0', 'kv-q4_0', 'kv-nvfp4'];

function model(): { dir: string; spec: ReturnType<typeof deriveAttentionSpec> } {
  const dir = mkdtempSync(path.join(tmpdir(), 'al-quality-kv-gpu-'));
  const config = { model_type: 'qwen3', hidden_size: H, num_hidden_layers: LAYERS, num_attention_heads: 4, num_key_value_heads: KVH, head_dim: HD, max_position_embeddings: 2048, torch_dtype: 'bfloat16', vocab_size: VOCAB, intermediate_size: 320 };
  const text = JSON.stringify(config, null, 2);
  writeFileSync(path.join(dir, 'config.json'), text);
  const tensors: TensorToWrite[] = [{ name: 'model.embed_tokens.weight', dtype: 'BF16', shape: [VOCAB, H], data: gaussian(VOCAB * H, 9) }];
  for (let l = 0; l < LAYERS; l++) {
    const base = `model.layers.${l}.`;
    for (const [p, seed] of [['k', 10], ['v', 20]] as const) {
      tensors.push({ name: `${base}self_attn.${p}_proj.weight`, dtype: 'BF16', shape: [KVH * HD, H], data: gaussian(KVH * HD * H, seed + l, 0.05) });
      tensors.push({ name: `${base}self_attn.${p}_proj.bias`, dtype: 'BF16', shape: [KVH * HD], data: gaussian(KVH * HD, seed + 5 + l, 0.3) });
    }
    tensors.push({ name: `${base}self_attn.k_norm.weight`, dtype: 'BF16', shape: [HD], data: Float32Array.from(gaussian(HD, 30 + l, 0.2), (x) => 1 + x) });
    tensors.push({ name: `${base}input_layernorm.weight`, dtype: 'BF16', shape: [H], data: Float32Array.from(gaussian(H, 40 + l, 0.3), (x) => 1 + x) });
  }
  writeSafetensors(path.join(dir, 'model.safetensors'), tensors);
  return { dir, spec: deriveAttentionSpec(loadModelConfig(path.join(dir, 'config.json'), text)) };
}

const M = model();
const measure = (extra: Partial<MeasureOptions>): Promise<WeightsMeasurement> =>
  measureWeights({ configDir: M.dir, spec: M.spec, targets: parseMeasureTargets(TARGETS), calibrationTokens: TOKENS, ...extra });

let cpuRun: WeightsMeasurement;
before(async () => {
  cpuRun = await measure({ device: 'cpu' });
});

/** Largest relative gap of any error (totals, per layer, alternatives), per target. */
function gaps(got: WeightsMeasurement, cpu: WeightsMeasurement): Map<string, number> {
  const out = new Map<string, number>();
  const r = (a: number, b: number): number => Math.abs(a - b) / Math.max(b, 1e-30);
  for (const c of cpu.conversions) {
    const g = got.conversions.find((x) => x.target === c.target)!;
    assert.ok(g, c.target);
    let worst = Math.max(r(g.kRelError, c.kRelError), r(g.vRelError, c.vRelError));
    assert.equal(g.perLayer.length, c.perLayer.length);
    c.perLayer.forEach((p, i) => (worst = Math.max(worst, r(g.perLayer[i]!.kRelError, p.kRelError), r(g.perLayer[i]!.vRelError, p.vRelError))));
    (c.alternatives ?? []).forEach((a, i) => (worst = Math.max(worst, r(g.alternatives![i]!.kRelError, a.kRelError), r(g.alternatives![i]!.vRelError, a.vRelError))));
    out.set(c.target, worst);
  }
  return out;
}

function sameAsCpu(got: WeightsMeasurement, t: { diagnostic(s: string): void }): void {
  const g = gaps(got, cpuRun);
  t.diagnostic([...g].map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', '));
  for (const [target, gap] of g) assert.ok(gap < (/q8_0|q4_0|nvfp4/.test(target) ? 1e-3 : 1e-4), `${target}: relative gap ${gap}`);
}

test("device 'gpu': K/V products on WebGPU, every format's error (per layer, int4's per-head alternative) within bounds of f64", async (t) => {
  assert.equal(cpuRun.backend?.kind, 'cpu');
  assert.ok(cpuRun.weights.tensorsRead.includes('model.layers.0.self_attn.k_norm.weight'), 'the fixture exercises k_norm');
  const r = await measure({ device: 'gpu', loadGpu: openQualityGpu });
  assert.equal(r.backend?.kind, 'webgpu');
  if (r.backend?.kind !== 'webgpu') return;
  assert.equal(r.backend.gpuLayers, LAYERS);
  assert.equal(r.backend.cpuLayers, 0);
  for (const c of r.conversions) assert.match(c.method!, /K and V products in f32 on WebGPU \(.+\); bias, k_norm and the round-trips in f64 on the CPU/);
  assert.ok(!cpuRun.conversions.some((c) => /WebGPU/.test(c.method!)));
  sameAsCpu(r, t);
  // Errors of a 600-token run are not trivially small or equal across formats (the comparison bites).
  const int8 = r.conversions.find((c) => c.target === 'kv-int8')!, int4 = r.conversions.find((c) => c.target === 'kv-int4')!;
  assert.ok(int8.kRelError > 1e-3 && int4.kRelError > 5 * int8.kRelError, `${int8.kRelError} ${int4.kRelError}`);
});

let gpuForLoss: QualityGpu | undefined;
after(() => gpuForLoss?.destroy());

test('a device lost during the second layer\'s projections: that layer and the rest on the CPU, with a note, same numbers', async (t) => {
  let calls = 0;
  const lossy = async (): Promise<QualityGpu> => {
    const real = await openQualityGpu();
    gpuForLoss = real;
    return {
      adapter: real.adapter, api: real.api, software: real.software,
      get lostReason() { return real.lostReason; },
      destroy: () => real.destroy(),
      jointLowRank: (...args) => real.jointLowRank(...args),
      beginJointLowRank: (...args) => real.beginJointLowRank(...args),
      project: (...args) => {
        const run = real.project(...args);
        if (++calls === 2) setImmediate(() => real.destroy());
        return run;
      },
    };
  };
  const r = await measure({ device: 'gpu', loadGpu: lossy });
  assert.equal(r.backend?.kind, 'webgpu');
  if (r.backend?.kind !== 'webgpu') return;
  assert.equal(r.backend.gpuLayers, 1);
  assert.equal(r.backend.cpuLayers, 1);
  assert.ok(r.notes.some((n) => /WebGPU \(.*\) failed at layer 1 \(KV projections\): .*measured on the CPU/.test(n)), r.notes.join('\n'));
  assert.match(r.conversions[0]!.method!, /1 layer entirely on the CPU/);
  sameAsCpu(r, t);
});

test("device 'auto' on a software adapter keeps the projections on the CPU: results identical to the CPU run", async () => {
  const probe = await openQualityGpu();
  const software = probe.software;
  probe.destroy();
  const r = await measure({ device: 'auto', loadGpu: openQualityGpu });
  if (!software) {
    assert.equal(r.backend?.kind, 'webgpu');
    return;
  }
  assert.equal(r.backend?.kind, 'cpu');
  assert.deepEqual(r.conversions, cpuRun.conversions);
});
