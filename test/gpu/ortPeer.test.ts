/**
 * bench:peers' ONNX Runtime peer on a real adapter: the GroupQueryAttention model our protobuf writer
 * makes loads in onnxruntime-web's WebGPU execution provider (over the same `webgpu` package) and its
 * decode output matches the f32 CPU reference every kernel is held to — GQA, MQA, f32 and f16 — so the
 * peer's figures are of the same attention as ours. A wrong scale must not match (the check can fail).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { loadOrt, prepareOrtDecode, type GqaProblem, type Ort } from '../../bench/peers/ortPeer';
import { compareRows, randomArray, referenceAttention, roundToF16, type AttentionProblem } from '../../src/gpu/reference';

/**
 * onnxruntime-web, or a skip where it is not installed: a GPU kit built with --no-peers, or whose
 * peers archive did not unpack, carries these tests but not the package. Any other failure to load
 * fails the test.
 */
async function ortOrSkip(t: TestContext): Promise<Ort | undefined> {
  try {
    return await loadOrt();
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    t.skip('onnxruntime-web is not installed here (a GPU kit without its peers archive)');
    return undefined;
  }
}

async function decode(shape: GqaProblem, options: { scale?: number } = {}): Promise<{ maxAbsError: number; ok: boolean; nonFinite: number; adapter: string }> {
  const ort = await loadOrt();
  const d = shape.headDim;
  const p: AttentionProblem = { batch: 1, qHeads: shape.qHeads, kvHeads: shape.kvHeads, numQueries: 1, dk: d, dv: d, maxLen: shape.tokens, seqLens: [shape.tokens], window: 0, chunk: 0, sharedKv: false, scale: 1 / Math.sqrt(d) };
  const round = (a: Float32Array): Float32Array => (shape.storage === 'f16' ? roundToF16(a) : a);
  const x = { q: round(randomArray(shape.qHeads * d, 21)), k: round(randomArray(shape.kvHeads * shape.tokens * d, 22)), v: round(randomArray(shape.kvHeads * shape.tokens * d, 23)) };
  const peer = await prepareOrtDecode(ort, shape, x, options);
  try {
    const out = await peer.output();
    const tol = shape.storage === 'f16' ? 1e-2 : 1e-4;
    return { ...compareRows(p, out, referenceAttention(p, x), undefined, tol, tol), adapter: peer.adapter };
  } finally {
    await peer.release();
  }
}

test('ONNX Runtime Web GroupQueryAttention (WebGPU EP) decodes like the CPU reference: GQA 8 q / 2 kv × 64 at 70 tokens, f32', async (t) => {
  if (!(await ortOrSkip(t))) return;
  const r = await decode({ qHeads: 8, kvHeads: 2, headDim: 64, tokens: 70, storage: 'f32' });
  assert.equal(r.nonFinite, 0);
  assert.ok(r.ok, `max error ${r.maxAbsError}`);
  assert.ok(r.adapter.length > 0);
});

test('ONNX Runtime Web GroupQueryAttention: MQA 4 q / 1 kv × 128 at 300 tokens, f16 where the adapter has shader-f16', async (t) => {
  const ort = await ortOrSkip(t);
  if (!ort) return;
  // ORT's device exists once a session was made (the test above, or this f32 probe).
  const probe = await decode({ qHeads: 4, kvHeads: 1, headDim: 128, tokens: 300, storage: 'f32' });
  assert.ok(probe.ok, `f32 max error ${probe.maxAbsError}`);
  if (!ort.env.webgpu.device?.features.has('shader-f16')) return t.skip('ONNX Runtime\'s device has no shader-f16');
  const r = await decode({ qHeads: 4, kvHeads: 1, headDim: 128, tokens: 300, storage: 'f16' });
  assert.equal(r.nonFinite, 0);
  assert.ok(r.ok, `f16 max error ${r.maxAbsError}`);
});

test('the comparison can fail: the same model with scale 1 instead of 1/√d does not match the reference', async (t) => {
  if (!(await ortOrSkip(t))) return;
  const r = await decode({ qHeads: 8, kvHeads: 2, headDim: 64, tokens: 70, storage: 'f32' }, { scale: 1 });
  assert.equal(r.ok, false);
  assert.ok(r.maxAbsError > 1e-2, `max error ${r.maxAbsError}`);
});
