/**
 * Host side of attention.wgsl + merge.wgsl: picks a launch (rows per workgroup, tile, splits) that fits
 * the device's limits, uploads Q/K/V, runs, reads back, and times. One code path for decode (split-K),
 * prefill (query blocks, causal), MLA absorbed (shared latent rows) and the naive baseline (one
 * workgroup per query head, no splits — the common approach, kept to show the gain).
 */
import type { GpuContext } from './device';
import type { KernelGeneration } from '../shared/profileProtocol';
import { accumulatorsOf, elementsPerLoad, generationOf, kernelWgsl, merge2Wgsl, MERGE2_MAX_SPLITS, mergeWgsl, prefillMicroTile, rowsOf, workgroupBytes, type AttentionShape, type MatrixShape, type StorageType } from './shaders';
import { toHalfArray, type AttentionData, type AttentionProblem } from './reference';
import { timeWork, type Timing, type TimingOptions } from './timing';

export type KernelKind = 'flash' | 'naive';

export interface Launch {
  shape: AttentionShape;
  numSplits: number;
  splitTokens: number;
  headBlocks: number;
  qBlocks: number;
  workgroups: number;
}

export interface LaunchOptions {
  kind: KernelKind;
  storage: StorageType;
  /** Workgroups to aim for when choosing splits (fill the device). */
  targetWorkgroups: number;
  /** MLA absorbed decode: decode.wgsl (default) or the workgroup-tile kernel (each row staged once). */
  mlaKernel?: 'decode' | 'tiled';
  /** Prefill: prefill.wgsl (default) or the general tiled kernel. */
  prefillKernel?: 'prefill' | 'tiled';
  /**
   * Kernel generation: v2 (default) runs decode2.wgsl for MHA/GQA/MQA decode where the shape allows;
   * v1 keeps decode.wgsl, the reference the v2 figures stand beside. Other modes are v1's either way.
   */
  generation?: KernelGeneration;
  /**
   * Workgroups the adapter runs at once (wave.ts, measured): split-K then fills whole waves
   * (splitsForWaves) instead of aiming at targetWorkgroups.
   */
  waveWorkgroups?: number;
  /** The adapter's smallest subgroup size when the `subgroups` feature is on; null forces the fallback. */
  subgroupMinSize?: number | null;
  /**
   * A subgroup-matrix configuration to run MLA absorbed decode on (v2, flash, no kernel named):
   * mlaMatrix.wgsl instead of tile2.wgsl. pickMatrixConfig chooses it from the adapter's.
   */
  matrix?: MatrixConfigChoice;
  /**
   * MLA absorbed decode on tile2.wgsl: the type it multiplies in. f16 (where K/V are stored in f16,
   * which needs shader-f16): Q and the tiles staged in f16, products in f16, sums in f32. f32 (the
   * default): the tiles staged and multiplied in f32. The profiler asks for f16 where the adapter's
   * measured f16 FMA rate is above its f32 rate (defaultProducts).
   */
  products?: 'f16' | 'f32';
  /** tile2.wgsl: register prefetch of the next K chunk or V block (default on); false loads each when it is staged. */
  prefetch?: boolean;
}

/** A subgroup-matrix configuration for mlaMatrix.wgsl: the shape, and the adapter's one subgroup size. */
export type MatrixConfigChoice = Omit<MatrixShape, 'subgroups'>;

export type { KernelGeneration };

const MIN_SPLIT_TOKENS = 256;
const LONG_CONTEXT = 32768;
const LONG_SPLIT_TOKENS = 1024;
/** decode2: threads per workgroup, and the f32 registers a lane may spend on its queries and accumulators. */
const DECODE2_THREADS = 128;
const DECODE2_REGISTER_FLOATS = 128;
const DECODE2_LOAD_FLOATS = 96;

export function chooseLaunch(p: AttentionProblem, ctx: Pick<GpuContext, 'limits'>, options: LaunchOptions): Launch {
  if (p.dk % 4 !== 0 || p.dv % 4 !== 0) throw new Error(`head dims must be multiples of 4 (got ${p.dk}/${p.dv}): the kernels load K and V as vec4s`);
  const group = p.qHeads / p.kvHeads;
  const budget = ctx.limits.maxComputeWorkgroupStorageSize;
  const maxThreads = Math.min(128, ctx.limits.maxComputeInvocationsPerWorkgroup);
  const prefill = p.numQueries > 1;
  const headChoices = options.kind === 'naive' ? [1] : divisorsDescending(group).filter((d) => d <= 16);
  const queryChoices = prefill ? [16, 8, 4, 2, 1] : [1];
  const tileChoices = [32, 16, 8, 4, 2, 1];

  let best: AttentionShape | undefined;
  const v2 = (options.generation ?? 'v2') === 'v2';
  if (v2 && !prefill && !p.sharedKv && options.kind === 'flash') best = chooseDecode2Shape(p, group, budget, maxThreads, options);
  // v2 MLA absorbed decode on the adapter's subgroup matrices, where it has them and no kernel was named.
  if (v2 && !prefill && p.sharedKv && options.kind === 'flash' && options.matrix && options.mlaKernel === undefined) best = chooseMlaMatrixShape(p, group, budget, ctx.limits.maxComputeInvocationsPerWorkgroup, options.storage, options.matrix);
  // v2 tiles: prefill and MLA absorbed decode, unless a v1 kernel was asked for by name.
  const explicitTiled = prefill ? options.prefillKernel === 'tiled' : options.mlaKernel === 'tiled';
  if (!best && v2 && options.kind === 'flash' && (prefill || p.sharedKv) && !explicitTiled) best = chooseTile2Shape(p, group, budget, ctx.limits.maxComputeInvocationsPerWorkgroup, options);
  if (!best && !prefill && (options.mlaKernel !== 'tiled' || !p.sharedKv)) best = chooseDecodeShape(p, group, budget, maxThreads, options);
  if (!best && prefill && !p.sharedKv && options.prefillKernel !== 'tiled') best = choosePrefillShape(p, group, budget, maxThreads, options);
  let bestScore = -1;
  for (const gb of best ? [] : headChoices) {
    for (const qb of queryChoices) {
      if (gb * qb > 16) continue;
      for (const tile of tileChoices) {
        const rows = gb * qb;
        const wg = pickWorkgroupSize(rows * p.dv, maxThreads);
        if (wg === undefined) continue;
        const shape: AttentionShape = { kernel: 'tiled', storage: options.storage, workgroupSize: wg, tileTokens: tile, dk: p.dk, dv: p.dv, headsPerGroupBlock: gb, queriesPerBlock: qb, sharedKv: p.sharedKv };
        if (workgroupBytes(shape) > budget || accumulatorsOf(shape) > 32) continue;
        // Prefer sharing KV among more rows, then bigger tiles.
        const score = rows * 1000 + tile * (prefill ? 10 : 1);
        if (score > bestScore) {
          bestScore = score;
          best = shape;
        }
        break; // largest tile that fits for this (gb, qb)
      }
    }
  }
  if (!best) throw new Error(`no attention launch fits ${budget} B of workgroup memory for head dims ${p.dk}/${p.dv}`);
  const headBlocks = group / best.headsPerGroupBlock;
  const qBlocks = Math.ceil(p.numQueries / best.queriesPerBlock);
  const base = qBlocks * p.kvHeads * headBlocks * p.batch;
  const longest = Math.max(...p.seqLens);
  let numSplits = 1;
  // v2: at long context at least 1k tokens per split, so a split's fixed costs (queries, the merge
  // of its lane groups, the second pass) stay small beside its reads.
  const minSplit = best.kernel === 'decode2' && longest >= LONG_CONTEXT ? LONG_SPLIT_TOKENS : MIN_SPLIT_TOKENS;
  const maxSplits = Math.max(1, Math.floor(longest / minSplit));
  if (options.kind === 'flash' && !prefill && options.waveWorkgroups) {
    numSplits = splitsForWaves(base, longest, maxSplits, options.waveWorkgroups);
  } else if (options.kind === 'flash' && !prefill && base < options.targetWorkgroups) {
    numSplits = Math.max(1, Math.min(Math.ceil(options.targetWorkgroups / base), maxSplits));
  }
  const splitTokens = numSplits === 1 ? Math.max(1, longest) : roundUp(Math.ceil(longest / numSplits), best.tileTokens);
  numSplits = Math.max(1, Math.ceil(longest / splitTokens));
  return { shape: best, numSplits, splitTokens, headBlocks, qBlocks, workgroups: base * numSplits };
}

/**
 * A workgroup's fixed cost — its queries, its partial output, its share of the merge — in tokens'
 * worth of K/V reads. An estimate (a few hundred bytes of Q and O against 512 B per f16 token row of
 * K and V at d = 128); it only breaks near-ties between split counts.
 */
const SPLIT_FIXED_TOKENS = 64;

/**
 * Split count for `base` workgroups over `tokens`, given a wave of `wave` workgroups: the least
 * predicted time, waves × (tokens per split + a workgroup's fixed cost). Whole waves win: 32 heads on a
 * wave of 1,056 take 33 splits (one wave), not 32 (one wave, longer splits) or 34 (a second wave of 32
 * workgroups).
 */
export function splitsForWaves(base: number, tokens: number, maxSplits: number, wave: number): number {
  let best = 1;
  let bestTime = Infinity;
  for (let s = 1; s <= maxSplits; s++) {
    const time = Math.ceil((base * s) / wave) * (Math.ceil(tokens / s) + SPLIT_FIXED_TOKENS);
    if (time < bestTime) {
      best = s;
      bestTime = time;
    }
  }
  return best;
}

/**
 * decode.wgsl: a tile of 128 tokens (one per thread; more when V rows are wider than 128 vec4s), and
 * as many of the group's query heads per workgroup as fit (at most 16; 1 for the naive baseline).
 */
function chooseDecodeShape(p: AttentionProblem, group: number, budget: number, maxThreads: number, options: LaunchOptions): AttentionShape | undefined {
  const dv4 = p.dv / 4;
  const wg = Math.max(128, dv4);
  if (p.dk % 4 !== 0 || p.dv % 4 !== 0 || wg % dv4 !== 0 || wg > maxThreads) return undefined;
  const heads = options.kind === 'naive' ? [1] : divisorsDescending(group).filter((d) => d <= 16);
  for (const gb of heads) {
    const shape: AttentionShape = { kernel: 'decode', storage: options.storage, workgroupSize: wg, tileTokens: wg, dk: p.dk, dv: p.dv, headsPerGroupBlock: gb, queriesPerBlock: 1, sharedKv: p.sharedKv };
    if (workgroupBytes(shape) <= budget) return shape;
  }
  return undefined;
}

/**
 * decode2.wgsl: L lanes per token row, L the largest power of two that divides both rows into 16-byte
 * loads (at most 32, and within the adapter's smallest subgroup when shuffles sum the dots; 16 through
 * workgroup memory), and as many of the group's query heads as a lane's registers hold.
 */
function chooseDecode2Shape(p: AttentionProblem, group: number, budget: number, maxThreads: number, options: LaunchOptions): AttentionShape | undefined {
  const per = elementsPerLoad(options.storage);
  if (p.dk % per !== 0 || p.dv % per !== 0) return undefined;
  const subgroups = (options.subgroupMinSize ?? 0) >= 2;
  const maxLanes = subgroups ? Math.min(32, options.subgroupMinSize!) : 16;
  let lanes = 1;
  while (lanes * 2 <= maxLanes && (p.dk / per) % (lanes * 2) === 0 && (p.dv / per) % (lanes * 2) === 0) lanes *= 2;
  const wg = DECODE2_THREADS;
  if (wg > maxThreads || p.dv / 4 > wg) return undefined;
  const floatsPerHead = (p.dk + p.dv) / lanes;
  const maxHeads = Math.max(1, Math.floor(DECODE2_REGISTER_FLOATS / floatsPerHead));
  // Tokens per lane group per step: as many as a lane's load registers hold, for the current step
  // unpacked and the next one in flight (each token: its K and V slice, in raw words and in floats).
  const wordsPerToken = ((p.dk + p.dv) / lanes) * (options.storage === 'f16' ? 0.5 : 1);
  const floatsPerToken = floatsPerHead + wordsPerToken;
  const tokensPerLane = [4, 2, 1].find((u) => u * floatsPerToken <= DECODE2_LOAD_FLOATS) ?? 1;
  for (const gb of divisorsDescending(group).filter((d) => d <= Math.min(32, maxHeads))) {
    const shape: AttentionShape = { kernel: 'decode2', storage: options.storage, workgroupSize: wg, tileTokens: (wg / lanes) * tokensPerLane, dk: p.dk, dv: p.dv, headsPerGroupBlock: gb, queriesPerBlock: 1, sharedKv: false, lanes, subgroups, tokensPerLane };
    if (workgroupBytes(shape) <= budget) return shape;
  }
  return undefined;
}

/**
 * prefill.wgsl: 128 threads, 16-key tiles, 32 rows per workgroup (fewer when workgroup memory is
 * short), packing as many of the group's query heads as the rows allow.
 */
function choosePrefillShape(p: AttentionProblem, group: number, budget: number, maxThreads: number, options: LaunchOptions): AttentionShape | undefined {
  const wg = 128;
  const tile = 16;
  if (p.dk % 4 !== 0 || p.dv % 4 !== 0 || wg > maxThreads) return undefined;
  for (const rows of [32, 16, 8]) {
    const gb = divisorsDescending(group).find((d) => d <= rows && rows % d === 0) ?? 1;
    const micro = prefillMicroTile(rows, tile, p.dv / 4, wg);
    if (!micro) continue;
    const shape: AttentionShape = { kernel: 'prefill', storage: options.storage, workgroupSize: wg, tileTokens: tile, dk: p.dk, dv: p.dv, headsPerGroupBlock: gb, queriesPerBlock: rows / gb, sharedKv: false, micro };
    if (workgroupBytes(shape) <= budget) return shape;
  }
  return undefined;
}

/**
 * tile2.wgsl: the largest tiles that fit the workgroup memory — rows (query heads × queries) and keys per
 * tile, 256 threads for MLA's 512-wide output when the adapter allows — preferring Q staged once, then
 * the head dim in chunks. Score blocks of up to 4 × 4, output blocks of up to 64 accumulators a thread.
 */
function chooseTile2Shape(p: AttentionProblem, group: number, budget: number, maxInvocations: number, options: LaunchOptions): AttentionShape | undefined {
  const prefill = p.numQueries > 1;
  const dk4 = p.dk / 4;
  const dv4 = p.dv / 4;
  const candidates: { rows: number; keys: number; threads: number }[] = [
    { rows: 32, keys: 32, threads: 256 },
    { rows: 32, keys: 32, threads: 128 },
    { rows: 32, keys: 16, threads: 128 },
    { rows: 16, keys: 32, threads: 128 },
    { rows: 16, keys: 16, threads: 128 },
    { rows: 8, keys: 16, threads: 64 },
    { rows: 4, keys: 16, threads: 32 },
    { rows: 1, keys: 32, threads: 32 },
  ];
  // Q staged once first (half the staging of Q re-read per tile: a 32 KiB adapter takes 16-key tiles
  // for it at d = 128), then the head dim in chunks (MLA's 576-wide rows never fit whole).
  const chunkChoices = [32, 16, 8, 4].filter((c) => c < dk4 && dk4 % c === 0);
  const f16Products = p.sharedKv && !prefill && options.storage === 'f16' && options.products === 'f16';
  for (const resident of [true, false]) {
    for (const { rows, keys, threads } of candidates) {
      // 256 threads only for a wide output (MLA's 512): prefill's 128-wide rows keep 128 threads' larger blocks.
      if (threads > maxInvocations || (threads > 128 && dv4 < 64)) continue;
      // Q staged once is worth it only at full-size tiles; smaller ones take the chunked pass.
      if (resident && rows * keys < 512) continue;
      // MLA decode puts the group's heads on the rows; prefill packs heads × queries (heads first).
      const gb = divisorsDescending(group).find((d) => d <= rows && rows % d === 0) ?? 1;
      if (!prefill && gb !== rows) continue;
      const micro = tile2MicroTile(rows, keys, dv4, threads);
      if (!micro || micro.ro * micro.do * 4 > 64 || micro.rs * micro.cs > 16) continue;
      const rowGroup = keys / micro.cs;
      const subgroups = (options.subgroupMinSize ?? 0) >= rowGroup && (rowGroup & (rowGroup - 1)) === 0;
      for (const dkChunk4 of resident ? [dk4] : chunkChoices) {
        for (const vTokens of [keys, 16, 8, 4, 2, 1].filter((v) => v <= keys && keys % v === 0)) {
          const shape: AttentionShape = {
            kernel: 'tile2', storage: options.storage, workgroupSize: threads, tileTokens: keys, dk: p.dk, dv: p.dv,
            headsPerGroupBlock: gb, queriesPerBlock: rows / gb, sharedKv: p.sharedKv, micro, subgroups, dkChunk4, vTokens,
            ...(f16Products ? { f16Products } : {}),
            prefetch: options.prefetch ?? true,
          };
          if (workgroupBytes(shape) <= budget) return shape;
        }
      }
    }
  }
  return undefined;
}

/** Subgroups per mlaMatrix workgroup: each takes a quarter of Q·Kᵀ's steps and of the output tiles. */
const MLA_MATRIX_SUBGROUPS = 4;

/**
 * mlaMatrix.wgsl: 16 heads a workgroup (a multiple of the matrices' rows; 16 × 512 f32 accumulators over
 * four subgroups is 64 a lane at 32 lanes), and the longest tile of tokens — 32, 16 or 8, a multiple of
 * the matrices' N and K — whose staged rows fit the workgroup memory (DeepSeek-V3's f16 rows: 32 tokens
 * in NVIDIA's 48 KiB, 16 in 32 KiB).
 */
function chooseMlaMatrixShape(p: AttentionProblem, group: number, budget: number, maxInvocations: number, storage: StorageType, config: MatrixConfigChoice): AttentionShape | undefined {
  const matrix: MatrixShape = { ...config, subgroups: MLA_MATRIX_SUBGROUPS };
  const threads = config.subgroupSize * MLA_MATRIX_SUBGROUPS;
  if (threads > maxInvocations) return undefined;
  const rows = Math.max(16, config.m);
  const outputTiles = ((rows / config.m) * (p.dv / config.n)) / MLA_MATRIX_SUBGROUPS;
  if (group % rows !== 0 || p.dk % config.k !== 0 || p.dv % config.n !== 0 || !Number.isInteger(outputTiles)) return undefined;
  for (const tokens of [32, 16, 8]) {
    if (tokens % config.n !== 0 || tokens % config.k !== 0) continue;
    const shape: AttentionShape = {
      kernel: 'mlaMatrix', storage, workgroupSize: threads, tileTokens: tokens, dk: p.dk, dv: p.dv,
      headsPerGroupBlock: rows, queriesPerBlock: 1, sharedKv: true, matrix,
    };
    if (workgroupBytes(shape) <= budget) return shape;
  }
  return undefined;
}

/** tile2's per-thread blocks: rows × keys of the scores (keys 2, 4 or 1 a thread) and rows × vec4 columns of the output. */
export function tile2MicroTile(rows: number, keys: number, dv4: number, threads: number): AttentionShape['micro'] {
  const block = (a: number, b: number, inners: number[]): [number, number] | undefined => {
    const per = (a * b) / threads;
    if (!Number.isInteger(per) || per < 1) return undefined;
    for (const inner of inners) {
      const outer = per / inner;
      if (Number.isInteger(outer) && a % outer === 0 && b % inner === 0 && (a / outer) * (b / inner) === threads) return [outer, inner];
    }
    return undefined;
  };
  const s = block(rows, keys, [2, 4, 1]);
  // The output block as square as it divides (4 × 4 for MLA's 16 vec4s), else more rows than columns:
  // p is one scalar per row, v one vec4 per column.
  const o = block(rows, dv4, [4, 2, 8, 1].sort((a, b) => Math.abs((rows * dv4) / threads / a - a) - Math.abs((rows * dv4) / threads / b - b) || a - b));
  return s && o ? { rs: s[0], cs: s[1], ro: o[0], do: o[1] } : undefined;
}

function pickWorkgroupSize(elements: number, maxThreads: number): number | undefined {
  for (const wg of [128, 64, 32, 16, 8, 4]) if (wg <= maxThreads && elements % wg === 0) return wg;
  return undefined;
}

function divisorsDescending(n: number): number[] {
  const out: number[] = [];
  for (let d = n; d >= 1; d--) if (n % d === 0) out.push(d);
  return out;
}

function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}

export interface AttentionRun {
  launch: Launch;
  /** Bytes of K/V (and Q) uploaded per copy. */
  kvBytes: number;
  /** Number of K/V copies rotated through for cold timing. */
  copies: number;
  /** K/V chunks (dispatches) the cache was split into to fit the storage-binding limit. */
  chunks: number;
  read(): Promise<Float32Array>;
  time(options: TimingOptions): Promise<Timing>;
  destroy(): void;
}

/**
 * Uploads the problem and builds the pipelines. `copies` > 1 rotates several K/V buffers so timed runs
 * read from memory rather than a warm cache.
 */
/**
 * A slice of the K/V cache small enough for one storage binding: whole (sequence, KV head) rows, or —
 * when one row is larger than a binding (MLA's 576-wide latent at long context) — a token range of one
 * row, covering whole splits.
 */
export interface KvChunk {
  batchBase: number;
  batchCount: number;
  kvHeadBase: number;
  kvHeadCount: number;
  /** First token and tokens per row in this chunk: 0 and maxLen for whole rows. */
  tokenBase: number;
  tokenCount: number;
}

/**
 * Splits K/V into chunks that each fit one storage binding (128 MiB by default in WebGPU). One chunk
 * when everything fits; else per sequence, as many KV heads as fit, in chunks of equal size; else, when
 * one head's row of one sequence is too large, token ranges of whole splits (decode only: a split reads
 * its own tokens, so a range of splits reads a range of tokens).
 */
export function planKvChunks(p: AttentionProblem, elemBytes: number, bindLimit: number, splitTokens?: number): KvChunk[] {
  const tokenBytes = Math.max(p.dk, p.sharedKv ? 0 : p.dv) * elemBytes;
  const rowBytes = p.maxLen * tokenBytes;
  const whole = { tokenBase: 0, tokenCount: p.maxLen };
  if (rowBytes * p.batch * p.kvHeads <= bindLimit) return [{ batchBase: 0, batchCount: p.batch, kvHeadBase: 0, kvHeadCount: p.kvHeads, ...whole }];
  const maxHeads = Math.floor(bindLimit / rowBytes);
  const chunks: KvChunk[] = [];
  if (maxHeads < 1) {
    const fits = Math.floor(bindLimit / tokenBytes);
    const step = splitTokens ?? 1;
    const tokens = Math.floor(fits / step) * step;
    if (p.numQueries !== 1 || tokens < 1) {
      throw new Error(`one KV head of ${p.maxLen} tokens × ${Math.max(p.dk, p.dv)} needs ${rowBytes} B, more than this device's storage-binding limit of ${bindLimit} B${p.numQueries !== 1 ? ' (prefill cannot split a row by tokens)' : `, and one split of ${step} tokens does not fit it`}`);
    }
    for (let b = 0; b < p.batch; b++) {
      for (let h = 0; h < p.kvHeads; h++) {
        for (let t = 0; t < p.maxLen; t += tokens) chunks.push({ batchBase: b, batchCount: 1, kvHeadBase: h, kvHeadCount: 1, tokenBase: t, tokenCount: Math.min(tokens, p.maxLen - t) });
      }
    }
    return chunks;
  }
  // Chunks of equal size: 32 heads under a 31-head limit go as 16 + 16, not 31 + 1 (a lone head's
  // dispatch would run on a handful of workgroups after the others).
  const heads = Math.ceil(p.kvHeads / Math.ceil(p.kvHeads / maxHeads));
  for (let b = 0; b < p.batch; b++) {
    for (let h = 0; h < p.kvHeads; h += heads) chunks.push({ batchBase: b, batchCount: 1, kvHeadBase: h, kvHeadCount: Math.min(heads, p.kvHeads - h), ...whole });
  }
  return chunks;
}

/**
 * Uploads the problem and builds the pipelines. `copies` > 1 rotates several K/V buffers so timed runs
 * read from memory rather than a warm cache. K/V beyond one binding are split into chunks, one
 * dispatch each (planKvChunks), merged by the same second pass.
 */
export function prepareAttention(ctx: GpuContext, p: AttentionProblem, data: AttentionData, launch: Launch, copies = 1): AttentionRun {
  const { device } = ctx;
  const { shape } = launch;
  const elemBytes = shape.storage === 'f16' ? 2 : 4;
  const chunks = planKvChunks(p, elemBytes, Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize), launch.splitTokens);
  const storage = (bytes: number, usage = 0): GPUBuffer => device.createBuffer({ size: Math.max(16, roundUp(bytes, 16)), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | usage });
  // Convert to f16 once, however many copies are uploaded.
  const kData = shape.storage === 'f16' ? toHalfArray(data.k) : data.k;
  const vData = p.sharedKv ? undefined : shape.storage === 'f16' ? toHalfArray(data.v) : data.v;

  const seq = storage(p.batch * 4);
  device.queue.writeBuffer(seq, 0, new Uint32Array(p.seqLens));
  // mlaMatrix multiplies Q as the matrices' component type (f16 where the adapter's matrices are f16).
  const qData = shape.kernel === 'mlaMatrix' && shape.matrix?.component === 'f16' ? toHalfArray(data.q) : data.q;
  const q = storage(qData.byteLength);
  writeAligned(device, q, qData);
  const rows = p.batch * p.qHeads * p.numQueries;
  const partO = storage(rows * launch.numSplits * p.dv * 4);
  const partML = storage(rows * launch.numSplits * 8);
  const out = storage(rows * p.dv * 4, GPUBufferUsage.COPY_SRC);
  const buffers: GPUBuffer[] = [seq, q, partO, partML, out];

  const attention = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code: kernelWgsl(shape) }), entryPoint: 'main' } });
  // v2's split kernels are merged by merge2.wgsl (each split's weight once per row); v1 keeps its own
  // merge, and so does one split (prefill's always): with nothing to reduce over, merge2's two
  // workgroup reductions are barriers for nothing: one 64-thread workgroup with 14 barriers per query
  // row made tile2's prefill at 256 tokens 1.16-1.31x v1's time on lavapipe, 0.96x without them.
  const mergeCode = generationOf(shape.kernel) === 'v2' && launch.numSplits > 1 && launch.numSplits <= MERGE2_MAX_SPLITS ? merge2Wgsl(p.dv) : mergeWgsl(p.dv);
  const merge = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code: mergeCode }), entryPoint: 'main' } });
  const maxDim = ctx.limits.maxComputeWorkgroupsPerDimension;

  /** Per chunk: its params, its grid, and one bind group per cold copy. */
  const dispatches = chunks.map((chunk) => {
    // A token-range chunk runs the splits whose tokens it holds; a chunk of whole rows runs them all.
    const splitBase = Math.floor(chunk.tokenBase / launch.splitTokens);
    const dispatchSplits = chunk.tokenCount === p.maxLen ? launch.numSplits : Math.min(launch.numSplits - splitBase, Math.ceil(chunk.tokenCount / launch.splitTokens));
    const params = device.createBuffer({ size: 80, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    const pu = new Uint32Array(20);
    pu.set([p.batch, p.qHeads, p.kvHeads, p.numQueries, p.maxLen, launch.numSplits, launch.splitTokens, p.window, p.chunk, launch.headBlocks, launch.qBlocks, 0, chunk.kvHeadCount, chunk.kvHeadBase, chunk.batchBase, chunk.tokenCount, chunk.tokenBase, splitBase, dispatchSplits, 0]);
    new Float32Array(pu.buffer)[11] = p.scale * Math.LOG2E;
    device.queue.writeBuffer(params, 0, pu);
    buffers.push(params);
    const grid = [dispatchSplits * launch.qBlocks, chunk.kvHeadCount * launch.headBlocks, chunk.batchCount] as const;
    if (grid.some((g) => g > maxDim)) throw new Error(`grid ${grid.join('×')} exceeds ${maxDim} workgroups per dimension`);
    const slice = (all: Float32Array | Uint16Array, width: number): Float32Array | Uint16Array => {
      // Rows of one sequence are contiguous over heads; a multi-sequence chunk is the whole buffer.
      const start = ((chunk.batchBase * p.kvHeads + chunk.kvHeadBase) * p.maxLen + chunk.tokenBase) * width;
      const count = chunk.batchCount * chunk.kvHeadCount * chunk.tokenCount * width;
      return all.subarray(start, start + count);
    };
    const kSlice = slice(kData, p.dk);
    const vSlice = vData ? slice(vData, p.dv) : undefined;
    const groups: GPUBindGroup[] = [];
    for (let c = 0; c < copies; c++) {
      const k = storage(kSlice.byteLength);
      writeAligned(device, k, kSlice);
      const v = storage(vSlice ? vSlice.byteLength : 16);
      if (vSlice) writeAligned(device, v, vSlice);
      buffers.push(k, v);
      // mlaMatrix never names V (its latent rows are K and V), so its automatic layout has no binding 4.
      const entries = [params, seq, q, k, v, partO, partML].map((buffer, binding) => ({ binding, resource: { buffer } }));
      groups.push(device.createBindGroup({
        layout: attention.getBindGroupLayout(0),
        entries: shape.kernel === 'mlaMatrix' ? entries.filter((e) => e.binding !== 4) : entries,
      }));
    }
    return { grid, groups };
  });

  const rowsPerY = Math.min(rows, maxDim);
  const mergeParams = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(mergeParams, 0, new Uint32Array([rows, launch.numSplits, rowsPerY, 0]));
  buffers.push(mergeParams);
  const mergeGroup = device.createBindGroup({
    layout: merge.getBindGroupLayout(0),
    entries: [mergeParams, partO, partML, out].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  ctx.throwIfErrored();

  const encode = (pass: GPUComputePassEncoder, i: number): void => {
    pass.setPipeline(attention);
    for (const d of dispatches) {
      pass.setBindGroup(0, d.groups[i % d.groups.length]);
      pass.dispatchWorkgroups(d.grid[0], d.grid[1], d.grid[2]);
    }
    pass.setPipeline(merge);
    pass.setBindGroup(0, mergeGroup);
    pass.dispatchWorkgroups(rowsPerY, Math.ceil(rows / rowsPerY));
  };

  const kvElems = p.batch * p.kvHeads * p.maxLen;
  return {
    launch,
    kvBytes: kvElems * (p.dk + (p.sharedKv ? 0 : p.dv)) * elemBytes,
    copies,
    chunks: chunks.length,
    async read() {
      const staging = device.createBuffer({ size: out.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      encode(pass, 0);
      pass.end();
      encoder.copyBufferToBuffer(out, 0, staging, 0, out.size);
      device.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      const result = new Float32Array(staging.getMappedRange().slice(0, rows * p.dv * 4));
      staging.unmap();
      staging.destroy();
      return result;
    },
    time: (options) => timeWork(ctx, encode, options),
    destroy() {
      for (const b of buffers) b.destroy();
    },
  };
}

/** writeBuffer needs sizes in multiples of 4 bytes: pad a Uint16 payload with one zero when odd. */
function writeAligned(device: GPUDevice, buffer: GPUBuffer, values: Float32Array | Uint16Array): void {
  if (values.byteLength % 4 === 0) {
    device.queue.writeBuffer(buffer, 0, values);
    return;
  }
  const padded = new Uint16Array(values.length + 1);
  padded.set(values);
  device.queue.writeBuffer(buffer, 0, padded);
}

export { rowsOf };
