/**
 * Weight measurement on tiny generated checkpoints (real safetensors files written by our own writer):
 * GQA pooling of exactly duplicated heads, MLA on exactly low-rank projections, BF16/F16/F32 and sharded
 * files giving the same numbers, KV quantization ordering, calibration from the embedding table, and
 * every kind of bad file refused with a QualityInputError that says what is wrong.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { deriveAttentionSpec, type AttentionSpec } from '../../src/core/attentionSpec';
import { loadModelConfig } from '../../src/core/modelConfig';
import { measureWeights, timeLeft, type WeightsMeasurement } from '../../src/quality/measure';
import { openCheckpoint, QualityInputError, readHeader, readTensor } from '../../src/quality/safetensors';
import { writeSafetensors, type TensorToWrite, type WritableDtype } from '../helpers/safetensorsWriter';
import { parseMeasureTargets } from '../../src/quality/targets';
import { jsKernels, wasmKernels } from '../../src/quality/kernels';
import { roundE4M3, roundE2M1, quantizationError, f16Round, gqaPoolErrors } from '../../src/quality/conversions';
import { Rng } from '../../src/quality/linalg';
import type { WeightsMeasurementJson } from '../../src/shared/qualityProtocol';

const root = mkdtempSync(path.join(tmpdir(), 'attention-lens-quality-'));
let dirCount = 0;
const newDir = (label: string): string => {
  const d = path.join(root, `${label}-${dirCount++}`);
  mkdirSync(d);
  return d;
};

const CONFIG = {
  model_type: 'llama', hidden_size: 64, num_hidden_layers: 4, num_attention_heads: 8, num_key_value_heads: 4, head_dim: 16,
  max_position_embeddings: 2048, torch_dtype: 'bfloat16', vocab_size: 100, intermediate_size: 128,
};
const H = 64, KVH = 4, HD = 16, QH = 8, LAYERS = 4, VOCAB = 100;

function specOf(dir: string, config: Record<string, unknown> = CONFIG): AttentionSpec {
  const file = path.join(dir, 'config.json');
  const text = JSON.stringify(config, null, 2);
  writeFileSync(file, text);
  return deriveAttentionSpec(loadModelConfig(file, text));
}

type Kind = 'pairs' | 'rank8' | 'random';

/** Integer-valued weights (exact in BF16, F16 and F32), so every dtype gives identical numbers. */
function layerWeights(kind: Kind, layer: number): { k: Float32Array; v: Float32Array; q: Float32Array } {
  const rng = new Rng(100 + layer);
  const int = (): number => Math.floor(rng.next() * 9) - 4; // −4 … 4
  const q = Float32Array.from({ length: QH * HD * H }, int);
  if (kind === 'rank8') {
    // [W_k; W_v] = [A_k; A_v]·B with B 8 × H: joint rank 8 exactly.
    const B = Array.from({ length: 8 * H }, int);
    const mk = (rows: number): Float32Array => {
      const A = Array.from({ length: rows * 8 }, () => Math.floor(rng.next() * 3) - 1);
      const W = new Float32Array(rows * H);
      for (let r = 0; r < rows; r++) for (let c = 0; c < H; c++) { let s = 0; for (let t = 0; t < 8; t++) s += A[r * 8 + t]! * B[t * H + c]!; W[r * H + c] = s; }
      return W;
    };
    return { k: mk(KVH * HD), v: mk(KVH * HD), q };
  }
  const k = Float32Array.from({ length: KVH * HD * H }, int);
  const v = Float32Array.from({ length: KVH * HD * H }, int);
  if (kind === 'pairs') {
    // heads 1 = 0, 3 = 2: exact duplicates in pairs.
    for (const W of [k, v]) for (const [dst, src] of [[1, 0], [3, 2]] as const) W.copyWithin(dst * HD * H, src * HD * H, (src + 1) * HD * H);
  }
  return { k, v, q };
}

interface ModelOptions {
  kind?: Kind;
  dtype?: WritableDtype;
  embed?: boolean;
  shards?: number;
  fused?: boolean;
  /** Where K/V live (default: separate k_proj/v_proj; `fused` = Phi-3 qkv_proj). */
  layout?: FusedLayoutName;
  /** K and V biases (in the layout's own place). */
  bias?: boolean;
  prefix?: string;
  extra?: TensorToWrite[];
}

type FusedLayoutName = 'falcon' | 'neox' | 'chatglm' | 'mpt' | 'gpt2';

/** Layer biases: integers, so every dtype holds them exactly. */
const biasOf = (rows: number, seed: number): Float32Array => Float32Array.from({ length: rows }, (_, i) => ((i * 7 + seed) % 9) - 4);

/**
 * One layer's Q/K/V written the way each family's checkpoint stores them (see src/quality/layouts.ts):
 * contiguous [Q|K|V] rows, grouped per KV head [q… k v], or GPT-2's Conv1D [hidden, Q|K|V].
 */
function fusedLayer(layout: FusedLayoutName, l: number, w: { q: Float32Array; k: Float32Array; v: Float32Array }, bias: boolean, dtype: WritableDtype): TensorToWrite[] {
  const rows = QH * HD + 2 * KVH * HD;
  const order: number[][] = []; // [source (0 q, 1 k, 2 v), first row] per head_dim block, in file order
  if (layout === 'falcon' || layout === 'neox') {
    const per = QH / KVH;
    for (let h = 0; h < KVH; h++) {
      for (let j = 0; j < per; j++) order.push([0, (h * per + j) * HD]);
      order.push([1, h * HD], [2, h * HD]);
    }
  } else {
    for (let h = 0; h < QH; h++) order.push([0, h * HD]);
    for (let h = 0; h < KVH; h++) order.push([1, h * HD]);
    for (let h = 0; h < KVH; h++) order.push([2, h * HD]);
  }
  const src = [w.q, w.k, w.v];
  const srcBias = [biasOf(QH * HD, 0), biasOf(KVH * HD, 1 + l), biasOf(KVH * HD, 2 + l)];
  const W = new Float32Array(rows * H);
  const B = new Float32Array(rows);
  order.forEach(([s, r0], block) => {
    for (let r = 0; r < HD; r++) {
      const dst = block * HD + r;
      B[dst] = srcBias[s!]![r0! + r]!;
      for (let c = 0; c < H; c++) {
        const value = src[s!]![(r0! + r) * H + c]!;
        if (layout === 'gpt2') W[c * rows + dst] = value; // Conv1D [in, out]
        else W[dst * H + c] = value;
      }
    }
  });
  const at: Record<FusedLayoutName, [string, string, string]> = {
    falcon: ['transformer.', `h.${l}.self_attention.`, 'query_key_value'],
    neox: ['gpt_neox.', `layers.${l}.attention.`, 'query_key_value'],
    chatglm: ['transformer.', `encoder.layers.${l}.self_attention.`, 'query_key_value'],
    mpt: ['transformer.', `blocks.${l}.attn.`, 'Wqkv'],
    gpt2: ['', `h.${l}.attn.`, 'c_attn'],
  };
  const [prefix, module, name] = at[layout];
  const out: TensorToWrite[] = [{ name: `${prefix}${module}${name}.weight`, dtype, shape: layout === 'gpt2' ? [H, rows] : [rows, H], data: W }];
  if (bias) out.push({ name: `${prefix}${module}${name}.bias`, dtype, shape: [rows], data: B });
  return out;
}

function modelTensors(o: ModelOptions): TensorToWrite[] {
  const dtype = o.dtype ?? 'BF16';
  const prefix = o.prefix ?? 'model.';
  const out: TensorToWrite[] = [];
  if (o.embed) {
    const rng = new Rng(7);
    out.push({ name: `${prefix}embed_tokens.weight`, dtype, shape: [VOCAB, H], data: Float32Array.from({ length: VOCAB * H }, () => Math.round(rng.gaussian() * 64) / 64) });
  }
  for (let l = 0; l < LAYERS; l++) {
    const w = layerWeights(o.kind ?? 'random', l);
    const base = `${prefix}layers.${l}.self_attn.`;
    if (o.layout) {
      out.push(...fusedLayer(o.layout, l, w, o.bias ?? false, dtype));
      continue;
    }
    if (o.fused) {
      const qkv = new Float32Array((QH * HD + 2 * KVH * HD) * H);
      qkv.set(w.q, 0);
      qkv.set(w.k, QH * HD * H);
      qkv.set(w.v, (QH * HD + KVH * HD) * H);
      out.push({ name: `${base}qkv_proj.weight`, dtype, shape: [QH * HD + 2 * KVH * HD, H], data: qkv });
    } else {
      out.push({ name: `${base}q_proj.weight`, dtype, shape: [QH * HD, H], data: w.q });
      out.push({ name: `${base}k_proj.weight`, dtype, shape: [KVH * HD, H], data: w.k });
      out.push({ name: `${base}v_proj.weight`, dtype, shape: [KVH * HD, H], data: w.v });
      if (o.bias) {
        out.push({ name: `${base}k_proj.bias`, dtype, shape: [KVH * HD], data: biasOf(KVH * HD, 1 + l) });
        out.push({ name: `${base}v_proj.bias`, dtype, shape: [KVH * HD], data: biasOf(KVH * HD, 2 + l) });
      }
    }
    out.push({ name: `${prefix}layers.${l}.input_layernorm.weight`, dtype, shape: [H], data: new Float32Array(H).fill(1) });
  }
  return [...out, ...(o.extra ?? [])];
}

function writeModel(dir: string, o: ModelOptions = {}): void {
  const tensors = modelTensors(o);
  const shards = o.shards ?? 1;
  if (shards === 1) {
    writeSafetensors(path.join(dir, 'model.safetensors'), tensors, { format: 'pt' });
    return;
  }
  const weightMap: Record<string, string> = {};
  const per = Math.ceil(tensors.length / shards);
  for (let s = 0; s < shards; s++) {
    const file = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const part = tensors.slice(s * per, (s + 1) * per);
    writeSafetensors(path.join(dir, file), part);
    for (const t of part) weightMap[t.name] = file;
  }
  writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
}

async function measure(dir: string, targets: string[], extra: Partial<Parameters<typeof measureWeights>[0]> = {}, config?: Record<string, unknown>): Promise<WeightsMeasurement> {
  const spec = specOf(dir, config);
  return measureWeights({ configDir: dir, spec, targets: parseMeasureTargets(targets), calibrationTokens: 64, ...extra });
}

const conv = (m: WeightsMeasurement, target: string) => {
  const c = m.conversions.find((x) => x.target === target);
  assert.ok(c, `${target} in ${m.conversions.map((x) => x.target).join(', ')}; notes: ${m.notes.join(' | ')}`);
  return c;
};

function assertNoNaN(m: WeightsMeasurement): void {
  const text = JSON.stringify(m);
  assert.doesNotMatch(text, /NaN|Infinity|null/);
}

// ───────────────────────── GQA / MQA ─────────────────────────

test('KV heads duplicated in pairs: GQA-2 pooling error is exactly 0, GQA-1 and MQA are not', async () => {
  const dir = newDir('pairs');
  writeModel(dir, { kind: 'pairs' });
  const m = await measure(dir, ['gqa-2', 'gqa-1', 'mqa', 'gqa-4', 'gqa-3', 'gqa-8']);
  assertNoNaN(m);
  assert.equal(conv(m, 'gqa-2').kRelError, 0);
  assert.equal(conv(m, 'gqa-2').vRelError, 0);
  assert.equal(conv(m, 'gqa-2').perLayer.length, LAYERS);
  assert.ok(conv(m, 'gqa-1').kRelError > 0.3 && conv(m, 'gqa-1').vRelError > 0.3);
  assert.deepEqual(conv(m, 'mqa').kRelError, conv(m, 'gqa-1').kRelError);
  assert.equal(conv(m, 'gqa-4').kRelError, 0);
  assert.match(m.notes.join('\n'), /gqa-4: the model already has 4 KV heads/);
  assert.match(m.notes.join('\n'), /gqa-3: 3 groups do not divide the 4 KV heads/);
  assert.match(m.notes.join('\n'), /gqa-8: the model has 4 KV heads, fewer than 8 groups/);
  assert.ok(!m.conversions.some((c) => c.target === 'gqa-3' || c.target === 'gqa-8'));
  assert.match(conv(m, 'gqa-2').what, /not an accuracy/);
  assert.equal(m.weights.found, true);
  assert.equal(m.weights.layersRead, LAYERS);
  assert.deepEqual(m.weights.files, ['model.safetensors']);
  assert.equal(m.weights.dtype, 'BF16');
  assert.equal(m.weights.tensorsRead.length, 2 * LAYERS, 'only K and V: no norms, no queries without KV targets');
  assert.equal(m.weights.bytesRead, 2 * LAYERS * KVH * HD * H * 2);
  // The JSON contract the CLI and the extension read.
  const json: WeightsMeasurementJson = m;
  assert.ok(json.conversions.length > 0);
});

test('GQA error against a direct computation on random heads', async () => {
  const dir = newDir('gqa-direct');
  writeModel(dir, { kind: 'random', dtype: 'F32' });
  const m = await measure(dir, ['gqa-2']);
  let err = 0, norm = 0;
  for (let l = 0; l < LAYERS; l++) {
    const { k } = layerWeights('random', l);
    for (let g = 0; g < 2; g++) {
      for (let x = 0; x < HD * H; x++) {
        const a = k[(2 * g) * HD * H + x]!, b = k[(2 * g + 1) * HD * H + x]!;
        const mean = (a + b) / 2;
        err += (a - mean) ** 2 + (b - mean) ** 2;
        norm += a * a + b * b;
      }
    }
  }
  assert.ok(Math.abs(conv(m, 'gqa-2').kRelError - Math.sqrt(err / norm)) < 1e-12);
});

test('all pooling targets from one pass: each equals the definition computed alone, nested or not, across chunk boundaries', () => {
  // 12 heads × 3 × 700 = 2100 values per head: two full 1024-value chunks and a partial one.
  const heads = 12, headDim = 3, hidden = 700;
  const rng = new Rng(77);
  const W = Float32Array.from({ length: heads * headDim * hidden }, () => rng.gaussian());
  const direct = (groups: number): { err2: number; norm2: number } => {
    const per = heads / groups, size = headDim * hidden;
    let err2 = 0, norm2 = 0;
    for (let g = 0; g < groups; g++) {
      for (let x = 0; x < size; x++) {
        let sum = 0;
        for (let h = g * per; h < (g + 1) * per; h++) sum += W[h * size + x]!;
        const mean = sum / per;
        for (let h = g * per; h < (g + 1) * per; h++) {
          err2 += (W[h * size + x]! - mean) ** 2;
          norm2 += W[h * size + x]! ** 2;
        }
      }
    }
    return { err2, norm2 };
  };
  // 6 → 3 → 1 nest; 4 and 2 nest in each other and in 12 but not in 6 or 3; 12 is the identity.
  const groups = [1, 2, 3, 4, 6, 12, 1];
  const all = gqaPoolErrors(W, heads, headDim, hidden, groups);
  groups.forEach((g, i) => {
    const d = direct(g);
    assert.ok(Math.abs(all.err2[i]! - d.err2) <= 1e-12 * d.norm2, `${g} groups: ${all.err2[i]} vs ${d.err2}`);
    assert.ok(Math.abs(all.norm2 - d.norm2) <= 1e-12 * d.norm2);
  });
  assert.equal(all.err2[groups.indexOf(12)], 0);
  // Integer heads duplicated in pairs: pairs exactly 0 whichever targets come along.
  const D = new Float32Array(W.length);
  const size = headDim * hidden;
  for (let h = 0; h < heads; h += 2) for (let x = 0; x < size; x++) D[h * size + x] = D[(h + 1) * size + x] = Math.round(rng.gaussian() * 100);
  const pairs = gqaPoolErrors(D, heads, headDim, hidden, [1, 3, 6, 2]);
  assert.equal(pairs.err2[2], 0);
  assert.ok(pairs.err2[0]! > 0 && pairs.err2[1]! > 0 && pairs.err2[3]! > 0);
  assert.throws(() => gqaPoolErrors(W, heads, headDim, hidden, [5]), RangeError);
});

// ───────────────────────── MLA ─────────────────────────

test('K/V projections of joint rank 8: MLA-8 keeps 100% of the energy, MLA-4 less', async () => {
  const dir = newDir('rank8');
  writeModel(dir, { kind: 'rank8' });
  const m = await measure(dir, ['mla-8', 'mla-4', 'mla-200']);
  assertNoNaN(m);
  const r8 = conv(m, 'mla-8');
  assert.ok(r8.energyRetained! >= 1 - 1e-9, `energy ${r8.energyRetained}`);
  assert.ok(r8.kRelError < 1e-6 && r8.vRelError < 1e-6, `errors ${r8.kRelError} ${r8.vRelError}`);
  for (const l of r8.perLayer) assert.ok(l.energyRetained! >= 1 - 1e-9);
  const r4 = conv(m, 'mla-4');
  assert.ok(r4.energyRetained! < 0.999 && r4.energyRetained! > 0.2, `energy ${r4.energyRetained}`);
  assert.ok(r4.kRelError > 0.01 && r4.vRelError > 0.01);
  assert.ok(r8.rank99! <= 8 && r8.rank99! >= 4, `rank99 ${r8.rank99}`);
  assert.equal(conv(m, 'mla-200').energyRetained, 1);
  assert.match(m.notes.join('\n'), /mla-200: rank ≥ 64/);
  assert.match(r8.method!, /exact/);
});

test('every asked rank at or above the full rank: energy 100%, no eigenvectors needed, no arena overflow', async () => {
  const dir = newDir('full-rank');
  writeModel(dir, { kind: 'random' });
  const m = await measure(dir, ['mla-64', 'mla-512']);
  assertNoNaN(m);
  for (const t of ['mla-64', 'mla-512']) {
    assert.equal(conv(m, t).energyRetained, 1);
    assert.equal(conv(m, t).kRelError, 0);
  }
  assert.match(m.notes.join('\n'), /mla-64: rank ≥ 64, the full rank of \[W_k; W_v\] — no compression/);
});

/** Cyclic Jacobi eigen-decomposition (brute force reference for small symmetric matrices). */
function jacobi(A0: number[][]): { values: number[]; vectors: number[][] } {
  const n = A0.length;
  const A = A0.map((r) => [...r]);
  const V: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += A[i]![j]! ** 2;
    if (off < 1e-26) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(A[p]![q]!) < 1e-300) continue;
        const theta = (A[q]![q]! - A[p]![p]!) / (2 * A[p]![q]!);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) { const akp = A[k]![p]!, akq = A[k]![q]!; A[k]![p] = c * akp - s * akq; A[k]![q] = s * akp + c * akq; }
        for (let k = 0; k < n; k++) { const apk = A[p]![k]!, aqk = A[q]![k]!; A[p]![k] = c * apk - s * aqk; A[q]![k] = s * apk + c * aqk; }
        for (let k = 0; k < n; k++) { const vkp = V[k]![p]!, vkq = V[k]![q]!; V[k]![p] = c * vkp - s * vkq; V[k]![q] = s * vkp + c * vkq; }
      }
    }
  }
  const order = A.map((r, i) => [r[i]!, i] as const).sort((a, b) => b[0] - a[0]);
  return { values: order.map(([v]) => v), vectors: order.map(([, i]) => V.map((r) => r[i]!)) };
}

test('joint low rank against a brute-force SVD (Jacobi) on both Gram sides, WebAssembly and JavaScript', async () => {
  const { jointLowRank } = await import('../../src/quality/conversions');
  const rng = new Rng(9);
  for (const [kRows, vRows, hidden] of [[12, 12, 40], [24, 16, 20], [7, 9, 11]] as const) {
    const Wk = Float32Array.from({ length: kRows * hidden }, () => rng.gaussian());
    const Wv = Float32Array.from({ length: vRows * hidden }, () => rng.gaussian());
    const rows = kRows + vRows;
    // Reference: eigen of M·Mᵀ, rank-r approximation U_r·U_rᵀ·M, K-row error directly.
    const M = Array.from({ length: rows }, (_, r) => Array.from({ length: hidden }, (_, c) => (r < kRows ? Wk[r * hidden + c]! : Wv[(r - kRows) * hidden + c]!)));
    const G = M.map((a) => M.map((b) => a.reduce((s, x, i) => s + x * b[i]!, 0)));
    const ref = jacobi(G);
    const ranks = [1, 3, 5, Math.min(rows, hidden)];
    for (const kernels of [jsKernels, wasmKernels()!]) {
      const got = jointLowRank(kernels, Wk, kRows, Wv, vRows, hidden, ranks);
      const m = Math.min(rows, hidden);
      for (let i = 0; i < m; i++) assert.ok(Math.abs(got.spectrum[i]! - Math.max(0, ref.values[i]!)) < 1e-9 * ref.values[0]!, `σ²_${i}`);
      const total = ref.values.reduce((s, x) => s + Math.max(0, x), 0);
      for (const r of got.ranks) {
        let kErr = 0, kNorm = 0, vErr = 0, vNorm = 0, kept = 0;
        for (let i = 0; i < Math.min(r.rank, rows); i++) kept += Math.max(0, ref.values[i]!);
        for (let row = 0; row < rows; row++) {
          for (let c = 0; c < hidden; c++) {
            let approx = 0;
            for (let i = 0; i < Math.min(r.rank, rows); i++) {
              const u = ref.vectors[i]!;
              let proj = 0;
              for (let t = 0; t < rows; t++) proj += u[t]! * M[t]![c]!;
              approx += u[row]! * proj;
            }
            const d = (M[row]![c]! - approx) ** 2;
            if (row < kRows) { kErr += d; kNorm += M[row]![c]! ** 2; } else { vErr += d; vNorm += M[row]![c]! ** 2; }
          }
        }
        assert.ok(Math.abs(r.energy - kept / total) < 1e-9, `energy at ${r.rank}: ${r.energy} vs ${kept / total}`);
        assert.ok(Math.abs(Math.sqrt(r.kErr2 / kNorm) - Math.sqrt(kErr / kNorm)) < 1e-6, `K error at rank ${r.rank} (${kRows},${vRows},${hidden}, ${kernels.kind}, side ${got.side}): ${Math.sqrt(r.kErr2 / kNorm)} vs ${Math.sqrt(kErr / kNorm)}`);
        assert.ok(Math.abs(Math.sqrt(r.vErr2 / vNorm) - Math.sqrt(vErr / vNorm)) < 1e-6, `V error at rank ${r.rank}`);
      }
    }
  }
});

// ───────────────────────── eigensolver ─────────────────────────

test('symmetric eigensolver: diagonal, constructed Q·diag·Qᵀ with repeated eigenvalues, random; WebAssembly = JavaScript', async () => {
  const { symmetricEigen, eigenWorkDoubles } = await import('../../src/quality/linalg');
  const rng = new Rng(3);
  const cases: { n: number; build: () => { A: Float64Array; values: number[] | undefined } }[] = [
    { n: 9, build: () => { const vals = [5, -2, 0, 3.5, 1e-3, 7, 7, 2, -9]; const A = new Float64Array(81); vals.forEach((v, i) => (A[i * 9 + i] = v)); return { A, values: vals }; } },
    ...[30, 67].map((n) => ({ n, build: () => {
      // Q = product of two Householder reflectors; spectrum with a 5-fold repeated eigenvalue and zeros.
      const vals = Array.from({ length: n }, (_, i) => (i < 5 ? 3 : i < 10 ? 0 : rng.gaussian() * 4));
      const D = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? vals[i]! : 0)));
      let Q: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
      for (let r = 0; r < 2; r++) {
        const v = Array.from({ length: n }, () => rng.gaussian());
        const vv = v.reduce((s, x) => s + x * x, 0);
        Q = Q.map((row) => { const dot = row.reduce((s, x, k) => s + x * v[k]!, 0); return row.map((x, k) => x - (2 * dot * v[k]!) / vv); });
      }
      const A = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { let s = 0; for (let k = 0; k < n; k++) s += Q[i]![k]! * D[k]![k]! * Q[j]![k]!; A[i * n + j] = s; }
      return { A, values: vals };
    } })),
    { n: 101, build: () => { const A = new Float64Array(101 * 101); for (let i = 0; i < 101; i++) for (let j = 0; j <= i; j++) { const v = rng.gaussian(); A[i * 101 + j] = v; A[j * 101 + i] = v; } return { A, values: undefined }; } },
  ];
  for (const c of cases) {
    const { A: A0, values } = c.build();
    const n = c.n;
    const count = Math.min(n, 12);
    const results: Float64Array[] = [];
    for (const kernels of [jsKernels, wasmKernels()!]) {
      kernels.withArena([n * n, ...eigenWorkDoubles(n, count)], (arena) => {
        const A = arena.f64(n * n);
        A.set(A0);
        const r = symmetricEigen(kernels, arena, A, n, count);
        results.push(Float64Array.from(r.values));
        if (values) {
          const want = [...values].sort((a, b) => b - a);
          for (let i = 0; i < n; i++) assert.ok(Math.abs(r.values[i]! - want[i]!) < 1e-10 * 10, `eigenvalue ${i} of ${n}: ${r.values[i]} vs ${want[i]}`);
        }
        for (let v = 0; v < count; v++) {
          for (let i = 0; i < n; i++) {
            let s = 0;
            for (let j = 0; j < n; j++) s += A0[i * n + j]! * r.vectors[v * n + j]!;
            assert.ok(Math.abs(s - r.values[v]! * r.vectors[v * n + i]!) < 1e-9, `residual of vector ${v} (n ${n})`);
          }
          for (let w = 0; w <= v; w++) {
            let s = 0;
            for (let j = 0; j < n; j++) s += r.vectors[v * n + j]! * r.vectors[w * n + j]!;
            assert.ok(Math.abs(s - (v === w ? 1 : 0)) < 1e-9, `orthonormality ${v},${w} (n ${n}): ${s}`);
          }
        }
      });
    }
    for (let i = 0; i < n; i++) assert.ok(Math.abs(results[0]![i]! - results[1]![i]!) < 1e-10);
  }
});

test('A·Bᵀ kernel: WebAssembly equals JavaScript on odd shapes and the lower-triangle mode', () => {
  const wasm = wasmKernels();
  assert.ok(wasm, 'WebAssembly SIMD is available in Node 20');
  const rng = new Rng(5);
  for (const [m, n, k] of [[1, 1, 1], [3, 5, 7], [8, 8, 300], [67, 41, 513], [2, 4, 2]] as const) {
    const outs: Float64Array[] = [];
    for (const kernels of [jsKernels, wasm]) {
      kernels.withArena([m * k, n * k, m * n, m * k, m * m], (arena) => {
        const A = arena.f64(m * k), B = arena.f64(n * k), C = arena.f64(m * n);
        const rngA = new Rng(m * 1000 + k);
        for (let i = 0; i < A.length; i++) A[i] = rngA.gaussian();
        for (let i = 0; i < B.length; i++) B[i] = rngA.gaussian();
        kernels.gemmABt(A, k, m, B, k, n, k, C, n);
        const G = arena.f64(m * m);
        kernels.gemmABt(A, k, m, A, k, m, k, G, m, true);
        const lower = new Float64Array(m * m);
        for (let i = 0; i < m; i++) for (let j = 0; j <= i; j++) lower[i * m + j] = G[i * m + j]!;
        outs.push(Float64Array.from(C), lower);
      });
    }
    for (let i = 0; i < outs[0]!.length; i++) assert.ok(Math.abs(outs[0]![i]! - outs[2]![i]!) < 1e-9, `C[${i}] ${m}×${n}×${k}`);
    for (let i = 0; i < outs[1]!.length; i++) assert.ok(Math.abs(outs[1]![i]! - outs[3]![i]!) < 1e-9, `G[${i}]`);
  }
  void rng;
});

test('helper threads: the parallel A·Bᵀ, tridiagonal steps and back-transform give the single-thread results', async () => {
  const { symmetricEigen, eigenWorkDoubles } = await import('../../src/quality/linalg');
  const two = wasmKernels(2)!;
  const one = wasmKernels(1)!;
  assert.equal(two.threads, 2);
  const n = 520, count = 40, k = 300;
  const outs: Float64Array[][] = [];
  for (const kernels of [one, two, jsKernels]) {
    kernels.withArena([n * n, n * k, n * n, ...eigenWorkDoubles(n, count)], (arena) => {
      const rng = new Rng(21);
      const X = arena.f64(n * k);
      for (let i = 0; i < X.length; i++) X[i] = rng.gaussian();
      const G = arena.f64(n * n);
      kernels.gemmABt(X, k, n, X, k, n, k, G, n, true); // 520·520·300 ≥ 2²² multiply-adds: split across threads
      const lower = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) lower[i * n + j] = G[i * n + j]!;
      const A = arena.f64(n * n);
      A.set(lower);
      const r = symmetricEigen(kernels, arena, A, n, count);
      outs.push([lower, Float64Array.from(r.values), Float64Array.from(r.vectors)]);
    });
  }
  for (const other of [outs[1]!, outs[2]!]) {
    for (let part = 0; part < 3; part++) {
      const a = outs[0]![part]!, b = other[part]!;
      const scale = part === 2 ? 1 : Math.abs(outs[0]![1]![0]!);
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-9 * scale, `part ${part} [${i}]: ${a[i]} vs ${b[i]}`);
    }
  }
});

// ───────────────────────── dtypes and files ─────────────────────────

test('BF16, F16 and F32 files of the same (exactly representable) weights give the same numbers; a sharded checkpoint too', async () => {
  const targets = ['gqa-2', 'mqa', 'mla-8', 'mla-32', 'kv-int8', 'kv-fp8'];
  const runs: WeightsMeasurement[] = [];
  for (const dtype of ['BF16', 'F16', 'F32'] as const) {
    const dir = newDir(`dtype-${dtype}`);
    writeModel(dir, { kind: 'random', dtype });
    const m = await measure(dir, targets);
    assert.equal(m.weights.dtype, dtype);
    runs.push(m);
  }
  const shardDir = newDir('sharded');
  writeModel(shardDir, { kind: 'random', shards: 3 });
  const sharded = await measure(shardDir, targets);
  assert.equal(sharded.weights.files.length, 3);
  assert.deepEqual(sharded.weights.files, ['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors']);
  const strip = (m: WeightsMeasurement) => JSON.stringify(m.conversions);
  assert.equal(strip(runs[1]!), strip(runs[0]!));
  assert.equal(strip(runs[2]!), strip(runs[0]!));
  assert.equal(strip(sharded), strip(runs[0]!));
});

test('BF16 and F16 conversion of non-representable values rounds to nearest', () => {
  const dir = newDir('rounding');
  const values = Float32Array.from([1, -2.5, 0.1, 1 / 3, 65504, 1e-7, -0, 3.14159]);
  for (const dtype of ['BF16', 'F16', 'F32'] as const) {
    writeSafetensors(path.join(dir, `${dtype}.safetensors`), [{ name: 'x', dtype, shape: [values.length], data: values }]);
  }
  const ckpt = (f: string) => ({ ...openCheckpointFile(path.join(dir, f)) });
  const bf = readTensor(ckpt('BF16.safetensors'), 'x');
  const f16 = readTensor(ckpt('F16.safetensors'), 'x');
  const f32 = readTensor(ckpt('F32.safetensors'), 'x');
  assert.deepEqual([...f32], [...values]);
  for (let i = 0; i < values.length; i++) {
    assert.ok(Math.abs(bf[i]! - values[i]!) <= Math.abs(values[i]!) * 2 ** -8, `bf16 ${values[i]} → ${bf[i]}`);
    if (Math.abs(values[i]!) > 6e-5) assert.ok(Math.abs(f16[i]! - values[i]!) <= Math.abs(values[i]!) * 2 ** -11, `f16 ${values[i]} → ${f16[i]}`);
    if (values[i] !== 0) assert.equal(f16[i], f16Round(values[i]!));
  }
  assert.equal(bf[0], 1);
  assert.equal(f16[4], 65504);
});

/** A checkpoint of one file (readTensor needs a Checkpoint). */
function openCheckpointFile(file: string) {
  const h = readHeader(file);
  const tensors = new Map([...h.tensors].map(([n, t]) => [n, { ...t, file, dataStart: h.dataStart }]));
  return { dir: path.dirname(file), files: [file], dtype: '', tensors, bytesRead: 0 };
}

test('fused qkv_proj (Phi-3) and a language_model.model. prefix give the same numbers as separate k_proj/v_proj', async () => {
  const targets = ['gqa-2', 'mla-16', 'kv-int4'];
  const a = newDir('separate');
  writeModel(a, { kind: 'random' });
  const b = newDir('fused');
  writeModel(b, { kind: 'random', fused: true });
  const c = newDir('prefixed');
  writeModel(c, { kind: 'random', prefix: 'language_model.model.' });
  const [ma, mb, mc] = [await measure(a, targets), await measure(b, targets), await measure(c, targets)];
  assert.equal(JSON.stringify(mb.conversions), JSON.stringify(ma.conversions));
  assert.equal(JSON.stringify(mc.conversions), JSON.stringify(ma.conversions));
  assert.ok(mb.weights.tensorsRead.includes('model.layers.0.self_attn.qkv_proj.weight'));
  // Only the K and V rows of the fused tensor were read.
  assert.equal(mb.weights.bytesRead, ma.weights.bytesRead);
});

test('fused Q/K/V of Falcon (grouped per KV head), GPT-NeoX, ChatGLM, MPT and GPT-2 (Conv1D, transposed) give the numbers of separate k_proj/v_proj, biases included', async () => {
  const targets = ['gqa-2', 'mqa', 'mla-16', 'kv-int8', 'kv-int4'];
  const a = newDir('separate-bias');
  writeModel(a, { kind: 'random', bias: true });
  const ma = await measure(a, targets);
  assert.ok(ma.weights.tensorsRead.includes('model.layers.0.self_attn.k_proj.bias'));
  for (const layout of ['falcon', 'neox', 'chatglm', 'mpt', 'gpt2'] as const) {
    const d = newDir(layout);
    writeModel(d, { kind: 'random', layout, bias: true });
    const m = await measure(d, targets);
    assert.equal(JSON.stringify(m.conversions), JSON.stringify(ma.conversions), layout);
    assert.equal(m.weights.layersRead, LAYERS, layout);
    assert.ok(m.weights.tensorsRead.some((n) => /(query_key_value|Wqkv|c_attn)\.bias$/.test(n)), `${layout}: bias read (${m.weights.tensorsRead.join(', ')})`);
  }
});

test('a fused tensor whose shape does not fit the config is refused with both shapes', async () => {
  const d = newDir('falcon-mismatch');
  writeModel(d, { kind: 'random', layout: 'falcon' });
  // The config claims 2 KV heads; the tensor holds 4.
  await assert.rejects(measure(d, ['gqa-2'], {}, { ...CONFIG, num_key_value_heads: 2 }), (e: unknown) =>
    e instanceof QualityInputError && /query_key_value\.weight" has shape \[256,64\] but the config implies \[192, 64\]/.test(e.message));
});

// ───────────────────────── KV quantization ─────────────────────────

test('KV quantization on Gaussian data: int8 < 1%, int4 > fp8 > int8, per-layer rows, calibration recorded', async () => {
  const dir = newDir('kv');
  writeModel(dir, { kind: 'random' });
  const m = await measure(dir, ['kv-int8', 'kv-int4', 'kv-fp8', 'kv-q8_0', 'kv-q4_0', 'kv-nvfp4'], { calibrationTokens: 128 });
  assertNoNaN(m);
  const [i8, i4, f8] = [conv(m, 'kv-int8'), conv(m, 'kv-int4'), conv(m, 'kv-fp8')];
  assert.ok(i8.kRelError < 0.01 && i8.vRelError < 0.01, `int8 ${i8.kRelError}`);
  assert.ok(i4.kRelError > f8.kRelError && f8.kRelError > i8.kRelError, `int4 ${i4.kRelError} fp8 ${f8.kRelError} int8 ${i8.kRelError}`);
  assert.ok(i4.vRelError > f8.vRelError && f8.vRelError > i8.vRelError);
  assert.ok(f8.kRelError < 0.05);
  assert.ok(conv(m, 'kv-q4_0').kRelError > conv(m, 'kv-q8_0').kRelError);
  assert.ok(conv(m, 'kv-nvfp4').kRelError > i8.kRelError && conv(m, 'kv-nvfp4').kRelError < 0.2);
  assert.equal(i8.perLayer.length, LAYERS);
  assert.equal(i4.alternatives?.[0]?.label, 'int4 with one absmax scale per token and head');
  assert.equal(m.calibration?.source, 'gaussian');
  assert.equal(m.calibration?.tokens, 128);
  assert.match(m.notes.join('\n'), /Gaussian N\(0,1\) rows/);
  // Deterministic: same seed, same numbers.
  const again = await measure(dir, ['kv-int8'], { calibrationTokens: 128 });
  assert.equal(conv(again, 'kv-int8').kRelError, i8.kRelError);
});

test('calibration uses the embedding table when the checkpoint has one', async () => {
  const dir = newDir('embed');
  writeModel(dir, { kind: 'random', embed: true });
  const m = await measure(dir, ['kv-int8']);
  assert.equal(m.calibration?.source, 'embedding');
  assert.equal(m.calibration?.tensor, 'model.embed_tokens.weight');
  assert.ok(m.weights.tensorsRead.includes('model.embed_tokens.weight'));
  assert.ok(m.weights.tensorsRead.includes('model.layers.0.input_layernorm.weight'));
  assert.match(conv(m, 'kv-int8').method!, /64 embedding rows \(model\.embed_tokens\.weight\)/);
  // Only the 64 rows used were read from the table, not all 100.
  const kvBytes = 2 * LAYERS * KVH * HD * H * 2 + LAYERS * H * 2;
  assert.ok(m.weights.bytesRead <= kvBytes + 64 * H * 2, `${m.weights.bytesRead}`);
  const ids = await measure(dir, ['kv-int8'], { calibrationTokenIds: [1, 2, 3] });
  assert.notEqual(conv(ids, 'kv-int8').kRelError, conv(m, 'kv-int8').kRelError);
});

test('fp8 e4m3, e2m1 and f16 rounding', () => {
  assert.equal(roundE4M3(1.1), 1.125);
  assert.equal(roundE4M3(448), 448);
  assert.equal(roundE4M3(500), 448);
  assert.equal(roundE4M3(-1e9), -448);
  assert.equal(roundE4M3(2 ** -9), 2 ** -9);
  assert.equal(roundE4M3(2 ** -10), 0); // tie between 0 and 2⁻⁹ → even (0)
  assert.equal(roundE4M3(1.0625), 1); // tie → even mantissa
  assert.equal(roundE4M3(1.1875), 1.25);
  assert.equal(roundE4M3(240), 240);
  assert.equal(roundE2M1(2.5), 2);
  assert.equal(roundE2M1(2.6), 3);
  assert.equal(roundE2M1(5), 4);
  assert.equal(roundE2M1(9), 6);
  assert.equal(roundE2M1(-0.3), -0.5);
  assert.equal(f16Round(1 / 3), 0.333251953125);
  // Constant data quantizes exactly with absmax scales.
  const K = new Float64Array(64).fill(0.5);
  for (const d of ['int8', 'int4', 'fp8', 'q4_0', 'nvfp4'] as const) assert.equal(quantizationError(K, 2, 2, 16, d).err2, 0, d);
  // q8_0 stores its scale in f16: 0.5/127 is not exact there, 127/128 ÷ 127 = 1/128 is.
  assert.ok(quantizationError(K, 2, 2, 16, 'q8_0').err2 > 0);
  assert.equal(quantizationError(new Float64Array(64).fill(127 / 128), 2, 2, 16, 'q8_0').err2, 0);
});

/** e4m3 by its textbook form (Math.log2 for the exponent, ties to even), independent of conversions.ts's. */
function e4m3Reference(v: number): number {
  const a = Math.abs(v);
  if (a === 0 || Number.isNaN(a)) return 0;
  if (a >= 448) return Math.sign(v) * 448;
  const e = Math.max(-6, Math.floor(Math.log2(a)));
  const quantum = 2 ** (e - 3);
  const y = a / quantum;
  let r = Math.round(y);
  if (Math.abs(y - Math.trunc(y)) === 0.5 && r % 2 !== 0) r -= 1;
  return Math.sign(v) * Math.min(448, r * quantum);
}

/**
 * The formats' definitions one value at a time (the reference form quantizationError's loops replaced):
 * absmax scales, round half away from zero for the integer formats, roundE4M3 / roundE2M1 / f16Round.
 */
function referenceQuantization(K: Float64Array, tokens: number, heads: number, headDim: number, dtype: 'int8' | 'int4' | 'fp8' | 'q8_0' | 'q4_0' | 'nvfp4', groupSize: number, out: Float64Array): { err2: number; norm2: number } {
  const width = heads * headDim;
  let norm2 = 0, absmax = 0, err2 = 0;
  for (let i = 0; i < tokens * width; i++) {
    norm2 += K[i]! ** 2;
    absmax = Math.max(absmax, Math.abs(K[i]!));
  }
  const away = (x: number): number => (x < 0 ? -Math.round(-x) : Math.round(x));
  const blockMax = (start: number, len: number): number => {
    let a = 0;
    for (let i = start; i < start + len; i++) a = Math.max(a, Math.abs(K[i]!));
    return a;
  };
  const put = (i: number, q: number): void => {
    out[i] = q;
    err2 += (K[i]! - q) ** 2;
  };
  const blocks = (len: number, perRow: number): [number, number][] => {
    const list: [number, number][] = [];
    for (let r = 0; r < tokens * width / perRow; r++) for (let b = 0; b < perRow; b += len) list.push([r * perRow + b, Math.min(len, perRow - b)]);
    return list;
  };
  if (dtype === 'int8' || dtype === 'int4') {
    const levels = dtype === 'int8' ? 127 : 7;
    for (const [start, len] of blocks(dtype === 'int8' ? headDim : Math.min(groupSize, headDim), headDim)) {
      const s = blockMax(start, len) / levels;
      for (let i = start; i < start + len; i++) put(i, s === 0 ? 0 : Math.max(-levels, Math.min(levels, away(K[i]! / s))) * s);
    }
  } else if (dtype === 'fp8') {
    const s = absmax / 448;
    for (let i = 0; i < tokens * width; i++) put(i, s === 0 ? 0 : e4m3Reference(K[i]! / s) * s);
  } else if (dtype === 'q8_0' || dtype === 'q4_0') {
    for (const [start, len] of blocks(32, width)) {
      if (dtype === 'q8_0') {
        const d = f16Round(blockMax(start, len) / 127);
        for (let i = start; i < start + len; i++) put(i, d === 0 ? 0 : Math.max(-127, Math.min(127, away(K[i]! / d))) * d);
      } else {
        let max = 0;
        for (let i = start; i < start + len; i++) if (Math.abs(K[i]!) > Math.abs(max)) max = K[i]!;
        const d = f16Round(max / -8);
        const id = d !== 0 ? 1 / d : 0;
        for (let i = start; i < start + len; i++) put(i, (Math.min(15, Math.trunc(K[i]! * id + 8.5)) - 8) * d);
      }
    }
  } else {
    const global = absmax / (448 * 6);
    for (const [start, len] of blocks(16, width)) {
      const s = global === 0 ? 0 : e4m3Reference(blockMax(start, len) / 6 / global) * global;
      for (let i = start; i < start + len; i++) put(i, s === 0 ? 0 : roundE2M1(K[i]! / s) * s);
    }
  }
  return { err2, norm2 };
}

test('KV round-trips: the fast loops give the bits of the definitions, value by value, ties and zero blocks included', () => {
  const tokens = 6, heads = 3, headDim = 40; // blocks of 32 and 16 cut across heads; a partial int4 group per head
  const rng = new Rng(99);
  const K = Float64Array.from({ length: tokens * heads * headDim }, () => rng.gaussian() * (rng.next() < 0.05 ? 20 : 1));
  // Token 1: multiples of 1/16 with absmax 127/8 per head: int8 scale 1/8 exactly, so x/s hits .5 ties.
  for (let i = 0; i < heads * headDim; i++) K[headDim * heads + i] = (Math.floor(rng.next() * 509) - 254) / 16;
  for (let h = 0; h < heads; h++) K[(heads + h) * headDim] = 127 / 8;
  // Token 2: the largest double below 0.5 times the int8 scale, and a block of zeros (scale 0).
  const t2 = 2 * heads * headDim;
  K[t2] = 127;
  K[t2 + 1] = 0.5 - 2 ** -54; // int8 scale 1 in this head: x/s is that double itself
  K[t2 + 2] = -(0.5 - 2 ** -54);
  K.fill(0, 3 * heads * headDim, 4 * heads * headDim);
  for (const dtype of ['int8', 'int4', 'fp8', 'q8_0', 'q4_0', 'nvfp4'] as const) {
    for (const group of dtype === 'int4' ? [32, headDim] : [32]) {
      const want = new Float64Array(K.length), got = new Float64Array(K.length);
      const ref = referenceQuantization(K, tokens, heads, headDim, dtype, group, want);
      const fast = quantizationError(K, tokens, heads, headDim, dtype, group, got);
      assert.equal(fast.err2, ref.err2, `${dtype}/${group} err2`);
      assert.equal(fast.norm2, ref.norm2, `${dtype}/${group} norm2`);
      for (let i = 0; i < K.length; i++) assert.equal(got[i], want[i], `${dtype}/${group} value ${i}: ${K[i]}`);
      assert.equal(quantizationError(K, tokens, heads, headDim, dtype, group).err2, ref.err2, `${dtype}/${group} without out`);
    }
  }
  // e4m3 over its whole range: every code, every midpoint between neighbours (ties), and just below each code.
  const codes = new Set<number>([0]);
  for (let m = 1; m < 8; m++) codes.add((m / 8) * 2 ** -6); // subnormals
  for (let e = -6; e <= 8; e++) for (let m = 0; m < 8; m++) codes.add((1 + m / 8) * 2 ** e);
  const sorted = [...codes].filter((x) => x <= 448).sort((x, y) => x - y);
  const q = new Float64Array(2);
  for (let i = 0; i + 1 < sorted.length; i++) {
    for (const x of [sorted[i]!, (sorted[i]! + sorted[i + 1]!) / 2, sorted[i + 1]! * (1 - 2 ** -53), -sorted[i + 1]!]) {
      quantizationError(Float64Array.from([448, x]), 1, 1, 2, 'fp8', 32, q); // scale 448/448 = 1
      assert.equal(q[1], e4m3Reference(x), `e4m3(${x})`);
      assert.equal(roundE4M3(x), e4m3Reference(x), `roundE4M3(${x})`);
    }
  }
});

// ───────────────────────── MLA models ─────────────────────────

test('an MLA model: GQA/MQA/MLA targets skipped with a reason, KV quantization measured on the latent', async () => {
  const dir = newDir('mla-model');
  const cfg = {
    model_type: 'deepseek_v2', hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 4, kv_lora_rank: 32, q_lora_rank: null,
    qk_nope_head_dim: 16, qk_rope_head_dim: 8, v_head_dim: 16, max_position_embeddings: 4096, torch_dtype: 'bfloat16', vocab_size: 100, intermediate_size: 128,
  };
  const rng = new Rng(11);
  const g = (n: number) => Float32Array.from({ length: n }, () => rng.gaussian());
  const tensors: TensorToWrite[] = [];
  for (let l = 0; l < 2; l++) {
    tensors.push({ name: `model.layers.${l}.self_attn.kv_a_proj_with_mqa.weight`, dtype: 'BF16', shape: [40, 64], data: g(40 * 64) });
    tensors.push({ name: `model.layers.${l}.self_attn.kv_a_layernorm.weight`, dtype: 'BF16', shape: [32], data: new Float32Array(32).fill(1) });
    tensors.push({ name: `model.layers.${l}.self_attn.kv_b_proj.weight`, dtype: 'BF16', shape: [4 * 32, 32], data: g(128 * 32) });
  }
  writeSafetensors(path.join(dir, 'model.safetensors'), tensors);
  const m = await measure(dir, ['gqa-2', 'mla-16', 'kv-int8', 'kv-int4', 'kv-fp8'], {}, cfg);
  assertNoNaN(m);
  assert.match(m.notes.join('\n'), /gqa-2, mla-16: this model already caches an MLA latent \(rank 32\)/);
  const onlySkipped = await measure(dir, ['mqa'], {}, cfg);
  assert.deepEqual(onlySkipped.conversions, []);
  assert.equal(onlySkipped.weights.bytesRead, 0);
  assert.ok(!m.conversions.some((c) => c.target === 'gqa-2'));
  const i8 = conv(m, 'kv-int8');
  assert.ok(i8.kRelError > 0 && i8.kRelError < 0.02, `${i8.kRelError}`);
  assert.ok(conv(m, 'kv-int4').kRelError > i8.kRelError);
  assert.match(i8.what, /MLA latent/);
  assert.match(i8.method!, /k_pe/);
  assert.equal(m.weights.layersRead, 2);
});

// ───────────────────────── progress, abort, absent ─────────────────────────

test('progress per layer, abort between layers, no safetensors → found false', async () => {
  const dir = newDir('progress');
  writeModel(dir, { kind: 'random' });
  const seen: [number, number][] = [];
  await measure(dir, ['gqa-2'], { onProgress: (d, t) => seen.push([d, t]) });
  assert.deepEqual(seen, [[0, 4], [1, 4], [2, 4], [3, 4], [4, 4]]);

  const controller = new AbortController();
  await assert.rejects(
    measure(dir, ['gqa-2'], { signal: controller.signal, onProgress: (d) => { if (d === 1) controller.abort(); } }),
    (e: Error) => e.name === 'AbortError',
  );

  const empty = newDir('empty');
  const m = await measure(empty, ['gqa-2']);
  assert.equal(m.weights.found, false);
  assert.deepEqual(m.conversions, []);
});

test('WebAssembly and JavaScript kernels give the same measurement', async () => {
  const dir = newDir('kernels');
  writeModel(dir, { kind: 'random', embed: true });
  const targets = ['mla-8', 'mla-40', 'kv-int8', 'kv-fp8'];
  const a = await measure(dir, targets, { kernels: jsKernels });
  const b = await measure(dir, targets, { kernels: wasmKernels()! });
  for (const c of a.conversions) {
    const d = conv(b, c.target);
    assert.ok(Math.abs(c.kRelError - d.kRelError) < 1e-9 && Math.abs(c.vRelError - d.vRelError) < 1e-9, c.target);
  }
});

// ───────────────────────── bad input ─────────────────────────

function rawFile(dir: string, name: string, header: string | Buffer, data: Buffer = Buffer.alloc(0), lengthField?: bigint): string {
  const h = typeof header === 'string' ? Buffer.from(header) : header;
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lengthField ?? BigInt(h.length));
  const file = path.join(dir, name);
  writeFileSync(file, Buffer.concat([len, h, data]));
  return file;
}

function expectInputError(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof QualityInputError, `QualityInputError, got ${String(e)}`);
    for (const p of patterns) assert.match(e.message, p);
    assert.doesNotMatch(e.message, /undefined|NaN|\[object/);
    return true;
  });
}

test('bad safetensors files: each a QualityInputError naming the file and the problem', () => {
  const dir = newDir('bad');
  const short = path.join(dir, 'short.safetensors');
  writeFileSync(short, Buffer.from([1, 2, 3, 4, 5]));
  expectInputError(() => readHeader(short), /short\.safetensors: the file is 5 bytes, shorter than the 8-byte header length/, /re-download/);

  const tooLong = rawFile(dir, 'toolong.safetensors', '{}', Buffer.alloc(0), 1000n);
  expectInputError(() => readHeader(tooLong), /header length field says 1000 bytes but the file holds only 2 bytes/);

  const huge = rawFile(dir, 'hugeheader.safetensors', '{}', Buffer.alloc(0), 2n ** 40n);
  expectInputError(() => readHeader(huge), /more than the 100 MB/);

  const notJson = rawFile(dir, 'notjson.safetensors', '{"a": [1, 2');
  expectInputError(() => readHeader(notJson), /header is not valid JSON/);

  const array = rawFile(dir, 'array.safetensors', '[1,2]');
  expectInputError(() => readHeader(array), /not a JSON object/);

  const outOfRange = rawFile(dir, 'range.safetensors', JSON.stringify({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }), Buffer.alloc(8));
  expectInputError(() => readHeader(outOfRange), /tensor "w" claims bytes 0\.\.16 \(16 bytes\) of the data buffer, but it holds only 8 bytes/);

  const unknown = rawFile(dir, 'dtype.safetensors', JSON.stringify({ w: { dtype: 'F7', shape: [1], data_offsets: [0, 1] } }), Buffer.alloc(1));
  expectInputError(() => readHeader(unknown), /tensor "w" has the unknown dtype "F7"/);

  const big = rawFile(dir, 'twogb.safetensors', JSON.stringify({ w: { dtype: 'F16', shape: [32768, 32768], data_offsets: [0, 2 ** 31] } }), Buffer.alloc(64));
  expectInputError(() => readHeader(big), /tensor "w" claims bytes 0\.\.2147483648 \(2\.00 GiB\) of the data buffer, but it holds only 64 bytes/);

  const sizeMismatch = rawFile(dir, 'size.safetensors', JSON.stringify({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 8] } }), Buffer.alloc(16));
  expectInputError(() => readHeader(sizeMismatch), /spans 8 bytes but shape \[2,2\] × F32 \(4 bytes\) needs 16/);

  const negative = rawFile(dir, 'neg.safetensors', JSON.stringify({ w: { dtype: 'U8', shape: [4], data_offsets: [-4, 0] } }), Buffer.alloc(4));
  expectInputError(() => readHeader(negative), /negative data_offsets \[-4, 0\], which would overlap the header/);

  const badShape = rawFile(dir, 'shape.safetensors', JSON.stringify({ w: { dtype: 'U8', shape: [-1], data_offsets: [0, 0] } }));
  expectInputError(() => readHeader(badShape), /bad shape \[-1\]/);

  const overlap = rawFile(dir, 'overlap.safetensors', JSON.stringify({ a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] }, b: { dtype: 'U8', shape: [4], data_offsets: [2, 6] } }), Buffer.alloc(6));
  expectInputError(() => readHeader(overlap), /tensors "a" and "b" overlap/);

  // Known but not measurable dtypes: the header reads, reading the tensor says why not.
  const i8 = rawFile(dir, 'int8.safetensors', JSON.stringify({ w: { dtype: 'I8', shape: [4], data_offsets: [0, 4] }, __metadata__: { format: 'pt' } }), Buffer.alloc(4));
  const h = readHeader(i8);
  assert.equal(h.tensors.get('w')?.dtype, 'I8');
  assert.equal(h.metadata.format, 'pt');
  expectInputError(() => readTensor(openCheckpointFile(i8), 'w'), /"w" is I8, an unsupported dtype for measurement \(supported: BF16, F16, F32\)/);

  // A valid file still reads after all of that.
  const good = path.join(dir, 'good.safetensors');
  writeSafetensors(good, [{ name: 'w', dtype: 'F32', shape: [2], data: Float32Array.from([1, 2]) }]);
  assert.deepEqual([...readTensor(openCheckpointFile(good), 'w')], [1, 2]);
});

test('bad checkpoints: index naming a missing shard or a path outside the folder, duplicate tensors, mismatched config, unknown names', async () => {
  const missing = newDir('missing-shard');
  writeModel(missing, { kind: 'random', shards: 2 });
  const idx = { weight_map: { 'model.layers.0.self_attn.k_proj.weight': 'model-00009-of-00009.safetensors' } };
  writeFileSync(path.join(missing, 'model.safetensors.index.json'), JSON.stringify(idx));
  expectInputError(() => openCheckpoint(missing), /model\.safetensors\.index\.json: 1 of 1 shard files named in the weight_map are missing: model-00009-of-00009\.safetensors; download them/);
  await assert.rejects(measure(missing, ['gqa-2']), QualityInputError);

  const escape = newDir('escape');
  writeFileSync(path.join(escape, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { w: '../other/model.safetensors' } }));
  expectInputError(() => openCheckpoint(escape), /names "\.\.\/other\/model\.safetensors", which is not a file in the checkpoint folder/);

  const noMap = newDir('nomap');
  writeFileSync(path.join(noMap, 'model.safetensors.index.json'), JSON.stringify({ metadata: {} }));
  expectInputError(() => openCheckpoint(noMap), /no "weight_map" object/);

  const wrongShard = newDir('wrong-shard');
  writeModel(wrongShard, { kind: 'random', shards: 2 });
  const index = { weight_map: { 'model.layers.0.self_attn.k_proj.weight': 'model-00002-of-00002.safetensors' } };
  writeFileSync(path.join(wrongShard, 'model.safetensors.index.json'), JSON.stringify(index));
  expectInputError(() => openCheckpoint(wrongShard), /puts "model\.layers\.0\.self_attn\.k_proj\.weight" in model-00002-of-00002\.safetensors, but that shard does not hold it/);

  const dup = newDir('duplicate');
  writeSafetensors(path.join(dup, 'a.safetensors'), [{ name: 'w', dtype: 'F32', shape: [1], data: Float32Array.from([1]) }]);
  writeSafetensors(path.join(dup, 'b.safetensors'), [{ name: 'w', dtype: 'F32', shape: [1], data: Float32Array.from([1]) }]);
  expectInputError(() => openCheckpoint(dup), /tensor "w" is also in .*a\.safetensors; the folder mixes two checkpoints/);

  const mismatch = newDir('mismatch');
  writeModel(mismatch, { kind: 'random' });
  await assert.rejects(measure(mismatch, ['gqa-2'], {}, { ...CONFIG, num_key_value_heads: 2 }), (e: Error) => {
    assert.ok(e instanceof QualityInputError);
    assert.match(e.message, /"model\.layers\.0\.self_attn\.k_proj\.weight" has shape \[64,64\] but the config implies \[32, 64\] \(2 KV heads × head_dim 16/);
    return true;
  });

  const foreign = newDir('foreign');
  writeSafetensors(path.join(foreign, 'model.safetensors'), [{ name: 'encoder.block.0.layer.0.SelfAttention.k.weight', dtype: 'F32', shape: [2], data: Float32Array.from([1, 2]) }]);
  await assert.rejects(measure(foreign, ['gqa-2']), (e: Error) => {
    assert.ok(e instanceof QualityInputError);
    assert.match(e.message, /no K\/V projection tensors for layer 0; looked for Llama, [^:]*: "model\.layers\.0\.self_attn\.k_proj\.weight" \+ "model\.layers\.0\.self_attn\.v_proj\.weight" \(also prefixed "model\.language_model\.", "language_model\.model\."/);
    assert.match(e.message, /Phi-3 \(fused qkv_proj\): "model\.layers\.0\.self_attn\.qkv_proj\.weight"/);
    assert.match(e.message, /Falcon, Bloom \(fused query_key_value\): "transformer\.h\.0\.self_attention\.query_key_value\.weight"/);
    assert.match(e.message, /GPT-2 \(Conv1D c_attn\): "transformer\.h\.0\.attn\.c_attn\.weight"/);
    assert.match(e.message, /names layer 0's tensors like "encoder\.block\.0\.layer\.0\.SelfAttention\.k\.weight"/);
    return true;
  });

  const partial = newDir('partial');
  writeSafetensors(path.join(partial, 'model.safetensors'), modelTensors({ kind: 'random' }).filter((t) => !t.name.startsWith('model.layers.3.')));
  await assert.rejects(measure(partial, ['gqa-2']), /layer 3 has no K\/V projections/);

  // A quantized checkpoint: a note, no numbers, no exception.
  const quant = newDir('quantized');
  writeSafetensors(path.join(quant, 'model.safetensors'), modelTensors({ kind: 'random', dtype: 'F32' }));
  const bytes = readFileSync(path.join(quant, 'model.safetensors'));
  const hl = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + hl).toString()) as Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>;
  const k0 = header['model.layers.0.self_attn.k_proj.weight']!;
  k0.dtype = 'I32'; // same byte size as F32
  let text = JSON.stringify(header);
  text += ' '.repeat(hl - text.length);
  bytes.write(text, 8, 'utf8');
  writeFileSync(path.join(quant, 'model.safetensors'), bytes);
  const q = await measure(quant, ['gqa-2', 'kv-int8']);
  assert.deepEqual(q.conversions, []);
  assert.match(q.notes.join('\n'), /model\.layers\.0\.self_attn\.k_proj\.weight is I32 \(a quantized checkpoint\)/);

  // Targets that are not targets.
  expectInputError(() => parseMeasureTargets(['gqa-x']), /"gqa-x" is not a measurable target/);
  assert.deepEqual(parseMeasureTargets(['window-4096', 'mqa', 'MQA']), [{ kind: 'unmeasured', target: 'window-4096', reason: 'a sliding window drops old tokens rather than changing weights: nothing to measure on the weights' }, { kind: 'mqa' }]);

  // And the valid model next door is still measurable.
  const ok = newDir('still-ok');
  writeModel(ok, { kind: 'pairs' });
  assert.equal(conv(await measure(ok, ['gqa-2']), 'gqa-2').kRelError, 0);
});

test('progress says how long is left once it is worth saying', () => {
  assert.equal(timeLeft(10_000, 1, 32), '; about 5 min left'); // 10 s a layer, 31 to go
  assert.equal(timeLeft(2_000, 1, 32), '; about 60 s left');
  assert.equal(timeLeft(500, 1, 32), '', 'under half a minute: nothing');
  assert.equal(timeLeft(10_000, 32, 32), '', 'done');
  assert.equal(timeLeft(0, 0, 32), '');
});
