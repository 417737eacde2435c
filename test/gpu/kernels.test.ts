/**
 * Every kernel against the f32 CPU reference on a real WebGPU adapter (lavapipe in CI): MHA, GQA at
 * several group sizes, MQA, MLA absorbed and naive, sliding window and chunks, odd and random lengths
 * with NaN-filled padding, prefill, f16 and f32 storage, and the naive baseline.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { create } from 'webgpu';
import { describeMatrixConfig, pickMatrixConfig } from '../../src/gpu/matrices';
import { openGpu, type GpuContext } from '../../src/gpu/device';
import { chooseLaunch, planKvChunks, prepareAttention, splitsForWaves, type KernelGeneration, type KernelKind, type LaunchOptions, type MatrixConfigChoice } from '../../src/gpu/attention';
import { compareRows, randomArray, referenceAttention, roundToF16, type AttentionProblem } from '../../src/gpu/reference';
import { matrixPeakWgsl, mlaMatrixWgsl, workgroupBytes, type StorageType } from '../../src/gpu/shaders';
import { TooSlowError } from '../../src/gpu/timing';
import { withMatrixPeak } from '../../src/gpu/peaks';
import { measureWave } from '../../src/gpu/wave';
import { defaultProducts, kernelGeneration, runCase, runPlan } from '../../src/gpu/profile';
import { deriveAttentionSpec } from '../../src/core/attentionSpec';
import { loadModelConfig } from '../../src/core/modelConfig';
import { buildProfilePlan } from '../../src/core/profilePlan';
import type { DeviceInfo } from '../../src/shared/profileProtocol';

let ctx: GpuContext;
before(async () => {
  ctx = await openGpu();
});
after(() => ctx?.destroy());

interface Case {
  name: string;
  batch?: number;
  qHeads: number;
  kvHeads: number;
  dk: number;
  dv?: number;
  seqLens: number[];
  maxLen?: number;
  numQueries?: number;
  window?: number;
  chunk?: number;
  sharedKv?: boolean;
  scale?: number;
}

interface CheckOptions {
  kind?: KernelKind;
  targetWorkgroups?: number;
  /** A smaller storage-binding limit than the device's forces K/V into chunks. */
  bindLimit?: number;
  mlaKernel?: 'decode' | 'tiled';
  prefillKernel?: 'prefill' | 'tiled';
  kernel?: KernelChoice;
  /** MLA absorbed decode on (emulated) subgroup matrices: mlaMatrix.wgsl. */
  matrix?: MatrixConfigChoice;
  /** Multiplies each token's K row by this (the scores then grow along the sequence: rescales). */
  kRowScale?: (t: number) => number;
  /** Another device than the shared one (opened with subgroup matrices). */
  gpu?: GpuContext;
  /** A smaller workgroup memory than the device's: shorter tiles. */
  storageBytes?: number;
  /** MLA absorbed decode on tile2: the type it multiplies in (checked against the shape chosen). */
  products?: 'f16' | 'f32';
  /** tile2: register prefetch of the next K/V block (checked against the shape chosen). */
  prefetch?: boolean;
}

/** A kernel generation and, for v2, how its lanes sum their dots: subgroup shuffles or workgroup memory. */
interface KernelChoice {
  generation: KernelGeneration;
  subgroupMinSize: number | null;
  name: string;
}

/** v1, v2 through workgroup memory, and v2 with subgroups where the adapter has them. */
const kernels = (): KernelChoice[] => [
  { generation: 'v1', subgroupMinSize: null, name: 'v1' },
  { generation: 'v2', subgroupMinSize: null, name: 'v2 (workgroup memory)' },
  ...(ctx.subgroupMinSize ? [{ generation: 'v2' as const, subgroupMinSize: ctx.subgroupMinSize, name: `v2 (subgroups of ${ctx.subgroupMinSize})` }] : []),
];

async function check(c: Case, storage: StorageType, o: CheckOptions = {}): Promise<number> {
  const { kind = 'flash', targetWorkgroups = 64, bindLimit, mlaKernel, prefillKernel, matrix } = o;
  const kernel = o.kernel ?? { generation: 'v1', subgroupMinSize: null, name: 'v1' };
  const batch = c.batch ?? c.seqLens.length;
  const dv = c.dv ?? c.dk;
  const maxLen = c.maxLen ?? Math.max(...c.seqLens) + 7;
  const p: AttentionProblem = {
    batch, qHeads: c.qHeads, kvHeads: c.kvHeads, numQueries: c.numQueries ?? 1, dk: c.dk, dv, maxLen, seqLens: c.seqLens,
    window: c.window ?? 0, chunk: c.chunk ?? 0, sharedKv: c.sharedKv ?? false, scale: c.scale ?? 1 / Math.sqrt(c.dk),
  };
  const round = (a: Float32Array): Float32Array => (storage === 'f16' ? roundToF16(a) : a);
  const q = randomArray(batch * p.qHeads * p.numQueries * p.dk, 1);
  const kRaw = randomArray(batch * p.kvHeads * maxLen * p.dk, 2);
  if (o.kRowScale) for (let row = 0; row < kRaw.length / p.dk; row++) for (let d = 0; d < p.dk; d++) kRaw[row * p.dk + d] = kRaw[row * p.dk + d]! * o.kRowScale(row % maxLen);
  const k = round(kRaw);
  const v = round(randomArray(batch * p.kvHeads * maxLen * dv, 3));
  // NaN past each sequence's end: an out-of-bounds read poisons the output.
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < p.kvHeads; h++) {
      const row = (b * p.kvHeads + h) * maxLen;
      k.fill(NaN, (row + c.seqLens[b]!) * p.dk, (row + maxLen) * p.dk);
      v.fill(NaN, (row + c.seqLens[b]!) * dv, (row + maxLen) * dv);
    }
  }
  // A smaller storage-binding limit than the device's forces K/V into chunks.
  const device = o.gpu ?? ctx;
  const limits = { ...device.limits, ...(bindLimit === undefined ? {} : { maxStorageBufferBindingSize: bindLimit }), ...(o.storageBytes === undefined ? {} : { maxComputeWorkgroupStorageSize: o.storageBytes }) };
  const gpu = { ...device, limits };
  const launch = chooseLaunch(p, gpu, { kind, storage, targetWorkgroups, mlaKernel, prefillKernel, generation: kernel.generation, subgroupMinSize: kernel.subgroupMinSize, matrix, products: o.products, prefetch: o.prefetch });
  if (o.prefetch !== undefined && launch.shape.kernel === 'tile2') assert.equal(launch.shape.prefetch, o.prefetch, `${c.name}: prefetch ${o.prefetch}`);
  if (o.products) assert.equal(launch.shape.f16Products === true, o.products === 'f16', `${c.name}: ${o.products} products`);
  if (matrix) assert.equal(launch.shape.kernel, 'mlaMatrix', `${c.name}: the subgroup-matrix kernel chosen`);
  // v2 takes every MHA/GQA/MQA decode whose head dims split into 16-byte loads.
  if (kernel.generation === 'v2' && kind === 'flash' && p.numQueries === 1 && !p.sharedKv) assert.equal(launch.shape.kernel, 'decode2', `${c.name}: v2 decode kernel chosen`);
  // v2 takes prefill and MLA absorbed decode with its tiles unless a v1 kernel is named.
  if (kernel.generation === 'v2' && kind === 'flash' && (p.numQueries > 1 || p.sharedKv) && !prefillKernel && !mlaKernel && !matrix) assert.equal(launch.shape.kernel, 'tile2', `${c.name}: v2 tiles chosen`);
  if (kernel.generation === 'v1') assert.ok(launch.shape.kernel !== 'decode2' && launch.shape.kernel !== 'tile2', `${c.name}: v1 kernel`);
  if (prefillKernel) assert.equal(launch.shape.kernel, prefillKernel);
  if (mlaKernel) assert.equal(launch.shape.kernel, mlaKernel === 'tiled' ? 'tiled' : 'decode');
  const run = prepareAttention(gpu, p, { q, k, v }, launch);
  if (bindLimit !== undefined) assert.ok(run.chunks > 1, `${c.name}: split into chunks`);
  try {
    const gpu = await run.read();
    // The matrix kernel multiplies Q as its matrices' component type: the reference takes the same rounded Q.
    const ref = referenceAttention(p, { q: matrix?.component === 'f16' ? roundToF16(q) : q, k, v });
    // Its P is rounded to f16 too (about 5e-4 of each weight).
    const tol = storage === 'f16' || matrix?.component === 'f16' ? 1e-2 : 1e-4;
    const r = compareRows(p, gpu, ref, undefined, tol, tol);
    assert.equal(r.nonFinite, 0, `${c.name} ${storage} ${kernel.name}: ${r.nonFinite} non-finite outputs (out-of-bounds read?)`);
    assert.ok(r.ok, `${c.name} ${storage} ${kind} ${kernel.name}: max error ${r.maxAbsError} (splits ${launch.numSplits}, rows ${launch.shape.headsPerGroupBlock}×${launch.shape.queriesPerBlock}, tile ${launch.shape.tileTokens})`);
    return launch.numSplits;
  } finally {
    run.destroy();
  }
}

const storages = (): StorageType[] => (ctx.hasF16 ? ['f32', 'f16'] : ['f32']);
/** v2 reads f16 K/V as packed u32s: f16 on every adapter, shader-f16 or not. */
const storagesFor = (k: KernelChoice): StorageType[] => (k.generation === 'v2' ? ['f32', 'f16'] : storages());
/**
 * Every decode kernel, each storage at least once: v1 in each storage the adapter has; v2 in f32 through
 * workgroup memory and in f16 (packed) with subgroups where the adapter has them (else through workgroup
 * memory too). Every v2 path and both of its storages, without the full product (lavapipe compiles each
 * pipeline for seconds).
 */
const decodeKernels = (): [KernelChoice, StorageType][] => {
  const [v1, wg, sg] = kernels();
  return [...storages().map((s) => [v1!, s] as [KernelChoice, StorageType]), [wg!, 'f32'], [sg ?? wg!, 'f16']];
};

test('decode MHA 8 heads × 64, one sequence of 1000 tokens, split-K', async () => {
  for (const [kernel, s] of decodeKernels()) {
    const splits = await check({ name: 'mha', qHeads: 8, kvHeads: 8, dk: 64, seqLens: [1000] }, s, { kernel });
    assert.ok(splits > 1, 'split-K engaged');
  }
});

test('decode GQA at group sizes 2, 4, 8 and 16 (head dim 128), random lengths in a batch', async () => {
  for (const [q, kv] of [[8, 4], [16, 4], [32, 4], [32, 2]] as const) {
    for (const [kernel, s] of decodeKernels()) await check({ name: `gqa ${q}/${kv}`, qHeads: q, kvHeads: kv, dk: 128, seqLens: [777, 1, 1300] }, s, { kernel });
  }
});

test('decode MQA 16 heads over one KV head, odd lengths', async () => {
  for (const [kernel, s] of decodeKernels()) await check({ name: 'mqa', qHeads: 16, kvHeads: 1, dk: 64, seqLens: [333, 1021, 5] }, s, { kernel });
});

test('decode v2 at every group size 1–32, head dims 64/128/256 and K ≠ V (192/128), batch > 1, odd lengths', async () => {
  const v2 = kernels().filter((k) => k.generation === 'v2');
  const shapes = [
    { qHeads: 4, kvHeads: 4, dk: 64 },
    { qHeads: 8, kvHeads: 4, dk: 128 },
    { qHeads: 12, kvHeads: 4, dk: 128 },
    { qHeads: 32, kvHeads: 1, dk: 128 },
    { qHeads: 4, kvHeads: 1, dk: 256 },
    { qHeads: 4, kvHeads: 4, dk: 192, dv: 128 },
  ];
  // Each shape once, the paths and storages alternating over the shapes (every one of them several times).
  const combos = v2.flatMap((kernel) => storagesFor(kernel).map((s) => [kernel, s] as const));
  for (const [i, shape] of shapes.entries()) {
    const [kernel, s] = combos[i % combos.length]!;
    await check({ name: `v2 ${shape.qHeads}/${shape.kvHeads}×${shape.dk}/${shape.dv ?? shape.dk}`, ...shape, seqLens: [257, 3, 130], scale: 1 / Math.sqrt(shape.dk) }, s, { kernel, targetWorkgroups: 16 });
  }
});

test('decode v2 with more splits than the merge has threads (merge2.wgsl: strided maxima, weights and sums)', async () => {
  for (const kernel of kernels().filter((k) => k.generation === 'v2')) {
    const splits = await check({ name: 'many splits', qHeads: 2, kvHeads: 1, dk: 64, seqLens: [30000, 333] }, 'f16', { kernel, targetWorkgroups: 1024 });
    assert.ok(splits > 64, `${splits} splits`);
  }
});

test('decode MLA absorbed: 576-wide latent rows, V = the first 512 values, 16 heads', async () => {
  for (const s of storages()) {
    for (const mlaKernel of ['decode', 'tiled'] as const) {
      await check({ name: `mla ${mlaKernel}`, qHeads: 16, kvHeads: 1, dk: 576, dv: 512, sharedKv: true, seqLens: [517, 64], scale: 1 / Math.sqrt(192) }, s, { mlaKernel });
    }
  }
});

test('decode MLA naive (decompressed): 8 heads, K 192 and V 128 per head', async () => {
  for (const [kernel, s] of decodeKernels()) await check({ name: 'mla-naive', qHeads: 8, kvHeads: 8, dk: 192, dv: 128, seqLens: [301], scale: 1 / Math.sqrt(192) }, s, { kernel });
});

test('decode with a sliding window and with chunks', async () => {
  for (const [kernel, s] of decodeKernels()) {
    await check({ name: 'sliding', qHeads: 8, kvHeads: 2, dk: 64, seqLens: [1500, 90], window: 128 }, s, { kernel });
    await check({ name: 'chunked', qHeads: 8, kvHeads: 2, dk: 64, seqLens: [1500, 700], chunk: 512 }, s, { kernel });
  }
});

test('the naive baseline (one workgroup per query head, no splits) computes the same', async () => {
  for (const s of storages()) {
    const splits = await check({ name: 'naive', qHeads: 8, kvHeads: 2, dk: 64, seqLens: [800] }, s, { kind: 'naive' });
    assert.equal(splits, 1);
  }
});

test('prefill, causal, GQA heads packed: 37 queries over 37 tokens; and a chunked prefill', async () => {
  for (const s of storages()) {
    await check({ name: 'prefill', qHeads: 4, kvHeads: 2, dk: 64, seqLens: [37], numQueries: 37 }, s);
    await check({ name: 'prefill-window', qHeads: 4, kvHeads: 1, dk: 32, seqLens: [70, 70], numQueries: 70, window: 16 }, s);
  }
});

test('prefill of a chunk after a cached prefix: 40 queries at the end of 90 and 75 tokens, 8 heads over 1 KV head × 128', async () => {
  for (const s of storages()) await check({ name: 'prefill-chunk', qHeads: 8, kvHeads: 1, dk: 128, seqLens: [90, 75], numQueries: 40 }, s);
});

/** v2 tiles through workgroup memory and with subgroups where the adapter has them, alternating storages. */
const tileKernels = (): [KernelChoice, StorageType][] => {
  const v2 = kernels().filter((k) => k.generation === 'v2');
  return v2.map((k, i) => [k, storages()[i % storages().length]!] as [KernelChoice, StorageType]);
};

test('prefill v2 (tile2.wgsl): causal GQA, windows and chunks, a chunk after a prefix, batch > 1, head dims 64/128/256 and K ≠ V', async () => {
  const shapes: Case[] = [
    // Q staged once (64-wide rows fit with the K tile), GQA heads packed with queries.
    { name: 'tile2 prefill gqa', qHeads: 4, kvHeads: 2, dk: 64, seqLens: [37], numQueries: 37 },
    { name: 'tile2 prefill window', qHeads: 4, kvHeads: 1, dk: 32, seqLens: [70, 70], numQueries: 70, window: 16 },
    { name: 'tile2 prefill chunks', qHeads: 2, kvHeads: 2, dk: 64, seqLens: [100, 81], numQueries: 81, chunk: 32 },
    // Q in head-dim chunks on a 32 KiB adapter; 40 queries after a cached prefix, batch of 2.
    { name: 'tile2 prefill after prefix', qHeads: 8, kvHeads: 1, dk: 128, seqLens: [90, 75], numQueries: 40 },
    { name: 'tile2 prefill mqa-32', qHeads: 32, kvHeads: 1, dk: 64, seqLens: [45], numQueries: 45 },
    { name: 'tile2 prefill k≠v', qHeads: 4, kvHeads: 4, dk: 192, dv: 128, seqLens: [50], numQueries: 50, scale: 1 / Math.sqrt(192) },
    { name: 'tile2 prefill d256', qHeads: 2, kvHeads: 1, dk: 256, seqLens: [33], numQueries: 33 },
  ];
  const combos = tileKernels();
  for (const [i, shape] of shapes.entries()) {
    const [kernel, s] = combos[i % combos.length]!;
    // Register prefetch on and off, across both kernels' paths (pairs of shapes alternate).
    await check(shape, s, { kernel, prefetch: Math.floor(i / 2) % 2 === 0 });
  }
});

test('MLA absorbed decode v2 (tile2.wgsl): 16 and 128 heads over the 576-wide latent, splits, token-range chunks', async () => {
  for (const [kernel, s] of tileKernels()) {
    const mla = { qHeads: 16, kvHeads: 1, dk: 576, dv: 512, sharedKv: true, scale: 1 / Math.sqrt(192) };
    const splits = await check({ name: 'tile2 mla', ...mla, seqLens: [517, 64] }, s, { kernel });
    assert.ok(splits > 1, 'split-K engaged');
    await check({ name: 'tile2 mla 128 heads, no prefetch', ...mla, qHeads: 128, seqLens: [300] }, s, { kernel, targetWorkgroups: 16, prefetch: false });
    const elem = s === 'f16' ? 2 : 4;
    // Prefetch across token-range chunks: the next tile's loads stop at each chunk's end.
    await check({ name: 'tile2 mla token chunks', ...mla, seqLens: [1500, 64] }, s, { kernel, bindLimit: 800 * 576 * elem, prefetch: true });
  }
});

test('MLA absorbed decode v2 with f16 products (tile2.wgsl, K/V in f16 where shader-f16 exists): splits, rescales mid-split, with and without subgroups, beside f32 products', async (t) => {
  if (!ctx.hasF16) {
    t.skip(`the adapter has no shader-f16 (${ctx.adapterName}): f16 products need it`);
    return;
  }
  const mla = { qHeads: 16, kvHeads: 1, dk: 576, dv: 512, sharedKv: true, scale: 1 / Math.sqrt(192) };
  for (const kernel of kernels().filter((k) => k.generation === 'v2')) {
    const splits = await check({ name: `f16 products ${kernel.name}`, ...mla, seqLens: [517, 64] }, 'f16', { kernel, products: 'f16' });
    assert.ok(splits > 1, 'split-K engaged');
    // Scores that grow along the sequence (up to ~7× the row scale): the running maximum moves inside a
    // split, and P stays ≤ 1 for its f16 chains.
    await check({ name: `f16 products rescale ${kernel.name}`, ...mla, seqLens: [300] }, 'f16', { kernel, products: 'f16', targetWorkgroups: 1, kRowScale: (t) => (t < 100 ? 0.05 : 1 + t / 50) });
    await check({ name: `f32 products ${kernel.name}`, ...mla, seqLens: [300] }, 'f16', { kernel, products: 'f32' });
  }
});

/** Emulated subgroup matrices (plain WGSL, every adapter): NVIDIA's shape, Apple's, and Apple's f32 one. */
const emulatedMatrices: MatrixConfigChoice[] = [
  { m: 16, n: 16, k: 16, component: 'f16', subgroupSize: 32, emulated: true },
  { m: 8, n: 8, k: 8, component: 'f16', subgroupSize: 8, emulated: true },
  { m: 8, n: 8, k: 8, component: 'f32', subgroupSize: 8, emulated: true },
];

test('MLA absorbed decode on subgroup matrices (mlaMatrix.wgsl, emulated): splits, rescales, odd lengths, batch > 1, uneven DK steps, token-range chunks', async () => {
  const v2 = kernels().find((k) => k.generation === 'v2')!;
  // An MLA-shaped problem small enough for the emulation (every lane computes whole matrices): 16 heads
  // over one 96-wide latent row per token (72 for DK steps that four subgroups share unevenly), V its first 64.
  const mla = { qHeads: 16, kvHeads: 1, dk: 96, dv: 64, sharedKv: true, scale: 1 / Math.sqrt(48) };
  for (const [i, matrix] of emulatedMatrices.entries()) {
    const s = storages()[i % storages().length]!;
    const name = `${matrix.m}×${matrix.n}×${matrix.k} ${matrix.component}`;
    const splits = await check({ name: `mla matrix ${name}`, ...mla, seqLens: [517, 64, 3] }, s, { kernel: v2, matrix, targetWorkgroups: 16 });
    assert.ok(splits > 1, 'split-K engaged');
    // Later tokens' scores far above the first tiles' maximum: the accumulators are rescaled mid-split.
    await check({ name: `mla matrix rescale ${name}`, ...mla, seqLens: [300] }, s, { kernel: v2, matrix, targetWorkgroups: 1, kRowScale: (t) => (t < 100 ? 0.05 : 1 + t / 50) });
  }
  const [nvidia, apple] = emulatedMatrices;
  // 16-token tiles in 14 KiB: the rescale's 16 × 16 tiles in an array of their own (at 32 tokens they share the partial scores').
  await check({ name: 'mla matrix 16-token tiles', ...mla, seqLens: [300] }, 'f32', { kernel: v2, matrix: nvidia, targetWorkgroups: 1, storageBytes: 14 * 1024, kRowScale: (t) => (t < 100 ? 0.05 : 1 + t / 50) });
  await check({ name: 'mla matrix 32 heads, uneven steps', ...mla, qHeads: 32, dk: 72, seqLens: [130, 45] }, 'f32', { kernel: v2, matrix: apple, targetWorkgroups: 4 });
  await check({ name: 'mla matrix token chunks', ...mla, seqLens: [1500, 64] }, 'f32', { kernel: v2, matrix: apple, bindLimit: 600 * 96 * 4, targetWorkgroups: 16 });
  await check({ name: 'mla matrix window', ...mla, seqLens: [400], window: 100 }, 'f32', { kernel: v2, matrix: apple });
  // A one-token sequence beside a longer one: its later splits are empty and merge to nothing.
  await check({ name: 'mla matrix one token', ...mla, seqLens: [1, 40] }, 'f32', { kernel: v2, matrix: nvidia });
});

test('mlaMatrix launch choice: 16 heads, the longest token tile the workgroup memory holds; tile2 where the heads or the shape do not tile', () => {
  const nvidia = { m: 16, n: 16, k: 16, component: 'f16' as const, subgroupSize: 32, emulated: false };
  const choose = (qHeads: number, storageBytes: number, matrix: MatrixConfigChoice) => chooseLaunch(
    { batch: 1, qHeads, kvHeads: 1, numQueries: 1, dk: 576, dv: 512, maxLen: 4096, seqLens: [4096], window: 0, chunk: 0, sharedKv: true, scale: 1 },
    { limits: { ...ctx.limits, maxComputeWorkgroupStorageSize: storageBytes, maxComputeInvocationsPerWorkgroup: 256 } },
    { kind: 'flash', storage: 'f16', targetWorkgroups: 1024, generation: 'v2', subgroupMinSize: 32, matrix },
  ).shape;
  // DeepSeek-V3 (128 heads): 16-token tiles at 32 KiB (32 tokens of staged f16 rows are 37 KiB); 32 at
  // NVIDIA's 48 KiB, where the rescale's tiles share the partial scores' memory (46 KiB in all).
  for (const [bytes, tokens] of [[32768, 16], [49152, 32], [65536, 32]] as const) {
    const s = choose(128, bytes, nvidia);
    assert.deepEqual({ kernel: s.kernel, heads: s.headsPerGroupBlock, tokens: s.tileTokens, threads: s.workgroupSize }, { kernel: 'mlaMatrix', heads: 16, tokens, threads: 128 }, `${bytes} B`);
    assert.ok(workgroupBytes(s) <= bytes, `${workgroupBytes(s)} B within ${bytes}`);
  }
  // Apple's 8 × 8 × 8 in f32: 8-token tiles of f32 rows.
  assert.equal(choose(16, 32768, { ...nvidia, m: 8, n: 8, k: 8, component: 'f32' }).tileTokens, 8);
  // 8 heads cannot fill 16 rows: tile2. So does an adapter whose 4 subgroups exceed the invocation limit.
  assert.equal(choose(8, 32768, nvidia).kernel, 'tile2');
  assert.equal(choose(128, 32768, { ...nvidia, subgroupSize: 128 }).kernel, 'tile2');
});

test("MLA absorbed decode on the adapter's own subgroup matrices (mlaMatrix.wgsl), where it has them", async (t) => {
  const mctx = await openGpu({ matrices: true });
  try {
    const pick = pickMatrixConfig(mctx);
    if (!('config' in pick)) {
      t.skip(`${pick.reason}: the emulated test above checks the kernel here; a GPU with subgroup matrices runs this one (npm run gpu:check)`);
      return;
    }
    const v2 = { generation: 'v2' as const, subgroupMinSize: mctx.subgroupMinSize, name: `v2 on ${describeMatrixConfig({ componentType: pick.config.component, resultComponentType: 'f32', M: pick.config.m, N: pick.config.n, K: pick.config.k })}` };
    const mla = { qHeads: 16, kvHeads: 1, dk: 576, dv: 512, sharedKv: true, scale: 1 / Math.sqrt(192) };
    const o = { kernel: v2, matrix: pick.config, gpu: mctx };
    for (const s of mctx.hasF16 ? (['f16', 'f32'] as const) : (['f32'] as const)) {
      const splits = await check({ name: 'mla on matrices', ...mla, seqLens: [517, 64, 3] }, s, { ...o, targetWorkgroups: 16 });
      assert.ok(splits > 1, 'split-K engaged');
    }
    await check({ name: 'mla on matrices, 128 heads', ...mla, qHeads: 128, seqLens: [300] }, 'f32', o);
    await check({ name: 'mla on matrices, rescales', ...mla, seqLens: [700] }, 'f32', { ...o, targetWorkgroups: 1, kRowScale: (t) => (t < 200 ? 0.05 : 1 + t / 200) });
    await check({ name: 'mla on matrices, token chunks', ...mla, seqLens: [1500, 64] }, 'f32', { ...o, bindLimit: 600 * 576 * 4, targetWorkgroups: 16 });
  } finally {
    mctx.destroy();
  }
});

test('the matrix peak: none without subgroup matrices; where it cannot be measured, null with the reason and the other peaks kept', async () => {
  const peaks = { copyGBps: 1, readGBps: 1, f32TFlops: 1, f16TFlops: null, derivation: ['copy'] };
  const timing = { warmupPasses: 1, samples: 3, minPassUs: 200, maxRepeats: 4 };
  assert.deepEqual(await withMatrixPeak({ ...ctx, subgroupMatrixConfigs: [] }, peaks, timing), peaks);
  // A device that claims a shape but was opened without the feature: its shader cannot compile.
  const claims = { ...ctx, subgroupMatrixConfigs: [{ componentType: 'f16', resultComponentType: 'f32', M: 16, N: 16, K: 16 }], subgroupMinSize: 32, subgroupMaxSize: 32 };
  const failed = await withMatrixPeak(claims, peaks, timing);
  assert.equal(failed.matrixTFlops, null);
  assert.equal(failed.matrixShape, 'f16 × f16 → f32 at 16 × 16 × 16');
  assert.deepEqual(failed.derivation.slice(0, 1), ['copy']);
  assert.match(failed.derivation[1]!, /^matrix TFLOP\/s \(f16 × f16 → f32 at 16 × 16 × 16\): not measured: ./);
  assert.equal(failed.f32TFlops, 1);
  // The device is still usable.
  await check({ name: 'after a failed matrix peak', qHeads: 4, kvHeads: 4, dk: 32, seqLens: [40] }, 'f32');
});

test('profile --matrices on an adapter without subgroup matrices: MLA runs on tile2, checked, and the report says why the matrices were not used', async () => {
  const spec = deriveAttentionSpec(loadModelConfig('tiny-mla.json', JSON.stringify({
    model_type: 'deepseek_v3', hidden_size: 256, num_attention_heads: 16, num_key_value_heads: 16, num_hidden_layers: 2, max_position_embeddings: 4096, vocab_size: 1000,
    kv_lora_rank: 64, qk_rope_head_dim: 16, qk_nope_head_dim: 32, v_head_dim: 32, q_lora_rank: null, first_k_dense_replace: 2, n_routed_experts: null,
  })));
  const plan = buildProfilePlan(spec, { variants: ['own'], contexts: [64], mode: 'decode' });
  const settings = { samples: 2, warmupPasses: 1, maxCaseSeconds: 60, sustainSeconds: 0, kernel: 'v2' as const, matrices: true };
  const report = await runPlan(ctx, plan, settings, () => {});
  assert.ok(report.notes.some((n) => /^--matrices: not used: the adapter has no subgroup matrices .*; MLA absorbed decode ran on tile2\.wgsl$/.test(n)), report.notes.join(' | '));
  const mla = report.results.find((r) => r.variant === 'mla');
  assert.equal(mla?.kernelName, 'tile2');
  assert.equal(mla?.status, 'measured');
  // Its products: f16 only where K/V are f16 and the adapter's measured f16 FMA rate beats its f32 rate
  // (lavapipe's is about a third of it: f32 there).
  const { f16TFlops, f32TFlops } = report.device.peaks;
  assert.equal(mla.products, report.device.storage === 'f16' && f16TFlops !== null && f16TFlops > f32TFlops ? 'f16' : 'f32');
  assert.equal(defaultProducts({ f16TFlops: 0.0115, f32TFlops: 0.0355 }), 'f32');
  assert.equal(defaultProducts({ f16TFlops: 160, f32TFlops: 80 }), 'f16');
  assert.equal(defaultProducts({ f16TFlops: null, f32TFlops: 80 }), 'f32');
  // Asked for f16 products: a percentage of the f16 FMA peak as well.
  if (report.device.storage === 'f16') {
    const again = await runPlan(ctx, plan, { ...settings, products: 'f16' }, () => {});
    const f16 = again.results.find((r) => r.variant === 'mla')!;
    assert.equal(f16.products, 'f16');
    assert.equal(f16.status, 'measured');
    assert.equal(f16.pctF16Flops, (100 * f16.tflops!) / again.device.peaks.f16TFlops!);
  }
});

test("mlaMatrix's subgroup-matrix WGSL and its matrix peak are valid for the adapters' shapes (Dawn's null backend validates what lavapipe cannot run)", async () => {
  const gpu = create(['backend=null', 'enable-dawn-features=allow_unsafe_apis']);
  const adapter = await gpu.requestAdapter();
  if (!adapter?.features.has('chromium-experimental-subgroup-matrix')) {
    assert.fail("Dawn's null backend no longer offers chromium-experimental-subgroup-matrix: the real path of mlaMatrix.wgsl would go unvalidated");
  }
  const device = await adapter.requestDevice({ requiredFeatures: ['chromium-experimental-subgroup-matrix', 'subgroups', 'shader-f16'] as GPUFeatureName[] });
  try {
    const configs: [number, number, number, 'f16' | 'f32'][] = [[16, 16, 16, 'f16'], [16, 8, 16, 'f16'], [8, 8, 8, 'f16'], [8, 8, 8, 'f32']];
    for (const [m, n, k, component] of configs) {
      // 16 × 16 tiles: apart at 16 tokens, in the partial scores' memory at 32; 8 × 8 tiles: in it at both.
      for (const [storage, tileTokens] of [['f16', 16], ['f32', 32]] as const) {
        const code = mlaMatrixWgsl({
          kernel: 'mlaMatrix', storage, workgroupSize: 128, tileTokens, dk: 576, dv: 512, headsPerGroupBlock: 16, queriesPerBlock: 1, sharedKv: true,
          matrix: { m, n, k, component, subgroupSize: 32, subgroups: 4, emulated: false },
        });
        const info = await device.createShaderModule({ code }).getCompilationInfo();
        const errors = info.messages.filter((msg) => msg.type === 'error').map((msg) => `${msg.lineNum}: ${msg.message}`);
        assert.deepEqual(errors, [], `${m}×${n}×${k} ${component}, KV ${storage}, ${tileTokens} tokens`);
        // Nothing deprecated either: the next Dawn would drop it.
        assert.deepEqual(info.messages.map((msg) => msg.message), [], `${m}×${n}×${k} ${component}, KV ${storage}, ${tileTokens} tokens`);
        // The three free slots of 16 heads' partial scores hold four subgroups' M × N tiles, or not.
        const apart = 3 * 16 * tileTokens < 4 * m * n;
        assert.equal(code.includes('var<workgroup> oX'), apart, `${m}×${n}, ${tileTokens} tokens: the rescale's tiles ${apart ? 'apart' : 'in sP'}`);
      }
      // The matrix peak the kernel's results are a percentage of, on the same shape.
      const peak = await device.createShaderModule({ code: matrixPeakWgsl({ m, n, k, component, subgroupSize: 32, emulated: false }) }).getCompilationInfo();
      assert.deepEqual(peak.messages.map((msg) => `${msg.type} ${msg.lineNum}: ${msg.message}`), [], `peak ${m}×${n}×${k} ${component}`);
    }
  } finally {
    device.destroy();
  }
});

test('tile2 launch choice: Q staged once where the memory allows, head-dim chunks where not, subgroup sums within the subgroup, 256 threads for MLA', () => {
  const choose = (p: Partial<AttentionProblem>, storageBytes: number, subgroupMinSize: number | null, o: Partial<LaunchOptions> = {}) => chooseLaunch(
    { batch: 1, qHeads: 32, kvHeads: 8, numQueries: 4096, dk: 128, dv: 128, maxLen: 4096, seqLens: [4096], window: 0, chunk: 0, sharedKv: false, scale: 1, ...p },
    { limits: { ...ctx.limits, maxComputeWorkgroupStorageSize: storageBytes, maxComputeInvocationsPerWorkgroup: 256 } },
    { kind: 'flash', storage: 'f32', targetWorkgroups: 1024, generation: 'v2', subgroupMinSize, ...o },
  ).shape;
  const pick = (s: ReturnType<typeof choose>) => ({ kernel: s.kernel, rows: s.headsPerGroupBlock * s.queriesPerBlock, heads: s.headsPerGroupBlock, keys: s.tileTokens, threads: s.workgroupSize, chunk4: s.dkChunk4, vTokens: s.vTokens, subgroups: s.subgroups, micro: s.micro });
  // Llama-3.1-8B's prefill with 48 KiB (NVIDIA's Vulkan limit) and subgroups of 32: Q once, 4 × 2 scores, 4 rows × 2 vec4 of output.
  assert.deepEqual(pick(choose({}, 49152, 32)), { kernel: 'tile2', rows: 32, heads: 4, keys: 32, threads: 128, chunk4: 32, vTokens: 32, subgroups: true, micro: { rs: 4, cs: 2, ro: 4, do: 2 } });
  // 32 KiB (D3D12, Metal, lavapipe) without subgroups: Q still staged once, with 16-key tiles; sums through workgroup memory.
  assert.deepEqual(pick(choose({}, 32768, null)), { kernel: 'tile2', rows: 32, heads: 4, keys: 16, threads: 128, chunk4: 32, vTokens: 16, subgroups: false, micro: { rs: 2, cs: 2, ro: 4, do: 2 } });
  // Head dim 256 at 32 KiB: Q no longer fits whole; Q and K in chunks of 16 vec4s, V 16 tokens at a time over
  // the same memory, 256 threads for the 256-wide output.
  assert.deepEqual(pick(choose({ qHeads: 8, kvHeads: 4, dk: 256, dv: 256 }, 32768, null)), { kernel: 'tile2', rows: 32, heads: 2, keys: 32, threads: 256, chunk4: 16, vTokens: 16, subgroups: false, micro: { rs: 2, cs: 2, ro: 4, do: 2 } });
  // Subgroups of 8 cannot hold a row group of 16 threads: workgroup memory.
  assert.equal(choose({}, 49152, 8).subgroups, false);
  // DeepSeek-V3's MLA decode: 32 of 128 heads per workgroup on 256 threads, 9 chunks of the 576-wide row, V 8 tokens at a time.
  const deepseek = { qHeads: 128, kvHeads: 1, numQueries: 1, dk: 576, dv: 512, sharedKv: true };
  assert.deepEqual(pick(choose(deepseek, 32768, 32)), { kernel: 'tile2', rows: 32, heads: 32, keys: 32, threads: 256, chunk4: 16, vTokens: 8, subgroups: true, micro: { rs: 2, cs: 2, ro: 4, do: 4 } });
  // f16 products asked for (K/V in f16): tiles staged in f16 take half the memory, so V goes 16 tokens at a time
  // (8 B × (1 + max(2 × 32 × 17, 16 × 128)) + 4 B × (32 × 33 + 4 × 32 + 1) = 21132 B; 32 tokens would take 37516).
  const f16 = choose(deepseek, 32768, 32, { storage: 'f16', products: 'f16' });
  assert.deepEqual({ ...pick(f16), f16Products: f16.f16Products }, { kernel: 'tile2', rows: 32, heads: 32, keys: 32, threads: 256, chunk4: 16, vTokens: 16, subgroups: true, micro: { rs: 2, cs: 2, ro: 4, do: 4 }, f16Products: true });
  assert.equal(workgroupBytes(f16), 21132);
  // Not asked for, asked for f32, prefill (f16 products are MLA decode's), or K/V in f32: f32 tiles.
  assert.equal(choose(deepseek, 32768, 32, { storage: 'f16' }).f16Products, undefined);
  assert.equal(choose(deepseek, 32768, 32, { storage: 'f16', products: 'f32' }).f16Products, undefined);
  assert.equal(choose({}, 32768, 32, { storage: 'f16', products: 'f16' }).f16Products, undefined);
  assert.equal(choose(deepseek, 32768, 32, { products: 'f16' }).f16Products, undefined);
  // Register prefetch unless asked not to.
  assert.equal(choose({}, 32768, 32).prefetch, true);
  assert.equal(choose({}, 32768, 32, { prefetch: false }).prefetch, false);
  // Every shape's workgroup memory within the limit it was chosen under.
  for (const [bytes, p] of [[32768, {}], [16384, {}], [16384, { qHeads: 128, kvHeads: 1, numQueries: 1, dk: 576, dv: 512, sharedKv: true }]] as const) {
    assert.ok(workgroupBytes(choose(p, bytes, null)) <= bytes, `${bytes} B`);
  }
});

test('the general tiled kernel still computes prefill (kept for MLA prefill)', async () => {
  await check({ name: 'prefill-tiled', qHeads: 4, kvHeads: 2, dk: 64, seqLens: [37], numQueries: 37 }, 'f32', { prefillKernel: 'tiled' });
});

test('K/V larger than one storage binding: split per sequence into KV-head chunks, one dispatch each, same result', async () => {
  for (const [kernel, storage] of decodeKernels()) {
    const elem = storage === 'f16' ? 2 : 4;
    // 3 KV heads of 207 tokens × 64 fit per binding: 8 heads × 2 sequences become 6 chunks.
    await check({ name: 'chunked-kv', qHeads: 16, kvHeads: 8, dk: 64, seqLens: [200, 131] }, storage, { bindLimit: 3 * 207 * 64 * elem, kernel });
  }
});

test('v2 launch choice: lanes from row widths and the subgroup size, tokens per step and heads from registers; v1 where v2 cannot', () => {
  const limits = { ...ctx.limits, maxComputeWorkgroupStorageSize: 32768, maxComputeInvocationsPerWorkgroup: 256 };
  const launch = (qHeads: number, kvHeads: number, dk: number, dv: number, storage: StorageType, subgroupMinSize: number | null) => chooseLaunch(
    { batch: 1, qHeads, kvHeads, numQueries: 1, dk, dv, maxLen: 4100, seqLens: [4096], window: 0, chunk: 0, sharedKv: false, scale: 1 },
    { limits }, { kind: 'flash', storage, targetWorkgroups: 1024, generation: 'v2', subgroupMinSize },
  ).shape;
  const pick = (s: ReturnType<typeof launch>) => ({ kernel: s.kernel, lanes: s.lanes, u: s.tokensPerLane, heads: s.headsPerGroupBlock, subgroups: s.subgroups });
  // Llama-3.1-8B's GQA layer on a subgroup-32 GPU: a 256-byte f16 row is 16 lanes × 16 B; 4 tokens per step.
  assert.deepEqual(pick(launch(32, 8, 128, 128, 'f16', 32)), { kernel: 'decode2', lanes: 16, u: 4, heads: 4, subgroups: true });
  // MQA: the 32-head group in blocks of 8 (16 registers per head per lane).
  assert.deepEqual(pick(launch(32, 1, 128, 128, 'f16', 32)), { kernel: 'decode2', lanes: 16, u: 4, heads: 8, subgroups: true });
  // f32 rows are 512 bytes: 32 lanes.
  assert.deepEqual(pick(launch(32, 8, 128, 128, 'f32', 32)), { kernel: 'decode2', lanes: 32, u: 4, heads: 4, subgroups: true });
  // Subgroups of 8 (lavapipe): 8 lanes, each 2 loads per row, 2 tokens per step.
  assert.deepEqual(pick(launch(32, 8, 128, 128, 'f16', 8)), { kernel: 'decode2', lanes: 8, u: 2, heads: 4, subgroups: true });
  // No subgroups: workgroup-memory sums over 16 lanes.
  assert.deepEqual(pick(launch(32, 8, 128, 128, 'f16', null)), { kernel: 'decode2', lanes: 16, u: 4, heads: 4, subgroups: false });
  // K ≠ V (192/128): 24 and 16 loads per row share 8 lanes; one token per step.
  assert.deepEqual(pick(launch(8, 8, 192, 128, 'f16', 32)), { kernel: 'decode2', lanes: 8, u: 1, heads: 1, subgroups: true });
  // Head dim 80 (10 loads): 2 lanes. Head dim 36 in f16 (not whole 16-byte loads): a v1 kernel.
  assert.equal(launch(8, 8, 80, 80, 'f16', 32).lanes, 2);
  assert.notEqual(launch(8, 8, 36, 36, 'f16', 32).kernel, 'decode2');
});

test('splits fill whole measured waves: 32 heads on a wave of 1,056 take 33 splits, a CPU of 2 takes 1, a longer context more', () => {
  // 16k tokens, at least 256 per split: 64 splits at most.
  assert.equal(splitsForWaves(32, 16384, 64, 1056), 33);
  // A wave that holds every head's workgroup once: splitting only adds fixed costs on a 2-thread CPU.
  assert.equal(splitsForWaves(8, 4096, 16, 2), 1);
  // 8 KV-head groups on a wave of 264 (2 per SM on 132 SMs): 33 splits, one wave.
  assert.equal(splitsForWaves(8, 131072, 128, 264), 33);
  // Never past the cap the minimum split length sets.
  assert.equal(splitsForWaves(1, 4096, 4, 1056), 4);
  // Through chooseLaunch: the launch's workgroups are whole waves (or under one).
  const launch = chooseLaunch(
    { batch: 1, qHeads: 32, kvHeads: 32, numQueries: 1, dk: 128, dv: 128, maxLen: 16384, seqLens: [16384], window: 0, chunk: 0, sharedKv: false, scale: 1 },
    { limits: { ...ctx.limits, maxComputeWorkgroupStorageSize: 49152, maxComputeInvocationsPerWorkgroup: 256 } },
    { kind: 'flash', storage: 'f16', targetWorkgroups: 1024, waveWorkgroups: 1056, generation: 'v2', subgroupMinSize: 32 },
  );
  assert.ok(launch.workgroups <= 1056, `${launch.workgroups} workgroups in one wave of 1056`);
  assert.ok(launch.numSplits >= 16, `${launch.numSplits} splits`);
});

test('the wave probe measures how many workgroups this adapter runs at once, and says how', async () => {
  const wave = await measureWave(ctx, { warmupPasses: 1, samples: 3, minPassUs: 200, maxRepeats: 8 }, /llvmpipe|lavapipe/i.test(ctx.adapterName));
  assert.ok(Number.isInteger(wave.workgroups) && wave.workgroups >= 1, `${wave.workgroups}`);
  assert.match(wave.line, new RegExp(`^wave = ${wave.workgroups} workgroups? of 128 threads × 16 KiB: 1 took [\\d.]+ µs`));
  // The probe stopped where a dispatch took over 1.5× one workgroup's time, or at its limit.
  assert.match(wave.line, /took [\d.]+ µs \(> 1\.5× one workgroup's\)$|probed at most\)$/);
});

test('K/V chunks are equal: 32 heads under a 31-head binding limit go as 16 + 16', () => {
  const p = { batch: 1, qHeads: 32, kvHeads: 32, numQueries: 1, dk: 128, dv: 128, maxLen: 1000, seqLens: [1000], window: 0, chunk: 0, sharedKv: false, scale: 1 };
  const chunks = planKvChunks(p, 4, 31 * 1000 * 128 * 4);
  assert.deepEqual(chunks.map((c) => c.kvHeadCount), [16, 16]);
});

test('--kernel auto: v2 on a software adapter but for MLA absorbed decode, v1 on a GPU until one measures v2 ahead; an explicit choice stands', () => {
  const lavapipe = { adapterName: 'llvmpipe (LLVM 15.0.6, 256 bits)', vendor: 'mesa', architecture: '' };
  const h200 = { adapterName: 'NVIDIA: 580.159.04 580.159.4.0 nvidia-h200', vendor: 'nvidia', architecture: '' };
  assert.equal(kernelGeneration(lavapipe, {}), 'v2');
  assert.equal(kernelGeneration(h200, {}), 'v1');
  assert.equal(kernelGeneration(h200, { kernel: 'auto' }), 'v1');
  assert.equal(kernelGeneration(h200, { kernel: 'v2' }), 'v2');
  assert.equal(kernelGeneration(lavapipe, { kernel: 'v1' }), 'v1');
  // Per case on a software adapter: MLA absorbed decode keeps v1 (tile2 measured slower there); its
  // decompressed form, prefill and an explicit v2 do not.
  assert.equal(kernelGeneration(lavapipe, {}, { sharedKv: true, mode: 'decode' }), 'v1');
  assert.equal(kernelGeneration(lavapipe, {}, { sharedKv: false, mode: 'decode' }), 'v2');
  assert.equal(kernelGeneration(lavapipe, {}, { sharedKv: false, mode: 'prefill' }), 'v2');
  assert.equal(kernelGeneration(lavapipe, { kernel: 'v2' }, { sharedKv: true, mode: 'decode' }), 'v2');
  assert.equal(kernelGeneration(h200, {}, { sharedKv: true, mode: 'decode' }), 'v1');
});

test('one K/V row larger than a binding (MLA at long context): token ranges of whole splits, one dispatch each, same result', async () => {
  for (const s of storages()) {
    const elem = s === 'f16' ? 2 : 4;
    // 800 latent rows per binding: each sequence's row of 1507 tokens goes in token ranges.
    await check({ name: 'mla token chunks', qHeads: 16, kvHeads: 1, dk: 576, dv: 512, sharedKv: true, seqLens: [1500, 64], scale: 1 / Math.sqrt(192) }, s, { bindLimit: 800 * 576 * elem });
  }
  for (const [kernel, s] of decodeKernels()) {
    const elem = s === 'f16' ? 2 : 4;
    await check({ name: 'token chunks', qHeads: 8, kvHeads: 2, dk: 64, seqLens: [1500, 700], window: 1100 }, s, { bindLimit: 600 * 64 * elem, kernel });
  }
  // The naive baseline has one split per row: a row past the binding cannot run, and says why.
  await assert.rejects(check({ name: 'naive too long', qHeads: 4, kvHeads: 1, dk: 64, seqLens: [1500] }, 'f32', { kind: 'naive', bindLimit: 600 * 64 * 4 }), /storage-binding limit .* one split of 1500 tokens does not fit it/);
});

test('an empty sequence yields zeros, not NaN', async () => {
  for (const kernel of kernels()) await check({ name: 'empty', qHeads: 4, kvHeads: 4, dk: 32, seqLens: [1, 9] }, 'f32', { kernel });
});

test('timing: GPU timestamps, and the wall-clock fallback when an adapter has no timestamp-query', async () => {
  const p: AttentionProblem = { batch: 1, qHeads: 8, kvHeads: 2, numQueries: 1, dk: 64, dv: 64, maxLen: 600, seqLens: [600], window: 0, chunk: 0, sharedKv: false, scale: 0.125 };
  const data = { q: randomArray(8 * 64, 1), k: randomArray(2 * 600 * 64, 2), v: randomArray(2 * 600 * 64, 3) };
  for (const timestamps of [true, false]) {
    if (timestamps && !ctx.hasTimestamps) continue;
    const gpu: GpuContext = { ...ctx, hasTimestamps: timestamps };
    const run = prepareAttention(gpu, p, data, chooseLaunch(p, gpu, { kind: 'flash', storage: 'f32', targetWorkgroups: 8 }));
    try {
      const t = await run.time({ warmupPasses: 1, samples: 5, minPassUs: 200, maxRepeats: 8 });
      assert.equal(t.method, timestamps ? 'timestamp' : 'wall-clock');
      assert.equal(t.samples, 5);
      assert.ok(t.minUs > 0 && t.minUs <= t.medianUs && t.medianUs <= t.p90Us, JSON.stringify(t));
      assert.ok(t.wallClockUs > 0);
    } finally {
      run.destroy();
    }
  }
});

test('timing gives up early, with the measured figure, when a case would take too long', async () => {
  const p: AttentionProblem = { batch: 1, qHeads: 4, kvHeads: 4, numQueries: 1, dk: 32, dv: 32, maxLen: 300, seqLens: [300], window: 0, chunk: 0, sharedKv: false, scale: 0.2 };
  const data = { q: randomArray(4 * 32, 1), k: randomArray(4 * 300 * 32, 2), v: randomArray(4 * 300 * 32, 3) };
  const run = prepareAttention(ctx, p, data, chooseLaunch(p, ctx, { kind: 'flash', storage: 'f32', targetWorkgroups: 8 }));
  try {
    await assert.rejects(run.time({ warmupPasses: 10, samples: 30, minPassUs: 200, maxRepeats: 8, maxSeconds: 1e-6 }), (e: unknown) => e instanceof TooSlowError && /over the 0\.000001 s limit/.test(e.message));
  } finally {
    run.destroy();
  }
});

test('one failure costs one case: a buffer the device refuses skips that case with the reason, and the next case runs', async () => {
  const spec = deriveAttentionSpec(loadModelConfig('tiny.json', JSON.stringify({ model_type: 'llama', hidden_size: 256, num_attention_heads: 4, num_key_value_heads: 2, num_hidden_layers: 2, max_position_embeddings: 4096 })));
  const plan = buildProfilePlan(spec, { variants: ['own'], contexts: [2048, 64], mode: 'decode' });
  const device: DeviceInfo = {
    adapter: ctx.adapterName, backend: ctx.backend, vendor: ctx.vendor, architecture: ctx.architecture, features: ctx.features, storage: 'f32',
    timing: ctx.hasTimestamps ? 'timestamp' : 'wall-clock', limits: { ...ctx.limits }, peaks: { copyGBps: 1, readGBps: 1, f32TFlops: 0.01, f16TFlops: null, derivation: [] },
  };
  const settings = { samples: 2, warmupPasses: 1, maxCaseSeconds: 60, sustainSeconds: 0 };
  const timing = { warmupPasses: 1, samples: 2, minPassUs: 200, maxRepeats: 4 };
  // The device refuses any buffer over 256 KiB, as one out of memory would: the 2048-token K/V copies are.
  const createBuffer = ctx.device.createBuffer.bind(ctx.device);
  ctx.device.createBuffer = (descriptor: GPUBufferDescriptor) => {
    if (descriptor.size > 256 * 1024) throw new Error(`out of memory allocating ${descriptor.size} B (test)`);
    return createBuffer(descriptor);
  };
  try {
    const [long, short] = [plan.cases.find((c) => c.contextTokens === 2048)!, plan.cases.find((c) => c.contextTokens === 64)!];
    const failed = await runCase(ctx, long, device, settings, timing);
    assert.equal(failed.status, 'skipped');
    assert.match(failed.skipped ?? '', /could not set this case up on this device: out of memory allocating \d+ B \(test\)/);
    const next = await runCase(ctx, short, device, settings, timing);
    assert.equal(next.status, 'measured', next.skipped);
    assert.ok(next.maxAbsError! < 1e-3);
  } finally {
    ctx.device.createBuffer = createBuffer;
  }
});
