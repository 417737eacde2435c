/**
 * Measures each target conversion on the checkpoint beside a config: finds the K/V projections of
 * every attention layer, reads each tensor once (only its byte range), and reports per layer and over
 * the model the weight-space errors of GQA/MQA pooling and joint low-rank (MLA) factorization and the
 * KV-cache quantization errors on calibration inputs. JSON contract: src/shared/qualityProtocol.ts
 * (WeightsMeasurementJson; fields here are a superset).
 */
import * as path from 'node:path';
import type { AttentionSpec, LayerSpec } from '../core/attentionSpec';
import {
  gqaPoolErrors, headRmsNorm, jointLowRankDoubles, KV_FORMAT_TEXT, project, quantizationError,
  type JointSpectrum, type KvQuantDtype, type SquaredError,
} from './conversions';
import { MathBackend } from './gpu/backend';
import type { LoadQualityGpu, QualityBackendJson, QualityDevice } from './gpu/types';
import { arenaBytes, defaultKernels, MAX_ARENA_BYTES, type Kernels } from './kernels';
import { Rng } from './linalg';
import { embeddingName, layerTensors, projectionNames, readKvProjections, resolveLayout, type ResolvedLayout } from './layouts';
import { MEASURABLE_DTYPES, openCheckpoint, QualityInputError, readTensor, readTensorRows, type Checkpoint } from './safetensors';
import { targetName, type QualityTargetSpec } from './targets';

export type { QualityTargetSpec } from './targets';

export interface MeasureOptions {
  /** The folder holding config.json and the safetensors. */
  configDir: string;
  spec: AttentionSpec;
  targets: QualityTargetSpec[];
  /** Calibration tokens for the KV-quantization targets (default 256). */
  calibrationTokens?: number;
  /** Embedding rows to use as calibration inputs (default: seeded random ids). */
  calibrationTokenIds?: number[];
  /** Seed of the Gaussian inputs and the random token ids (default 1234). */
  seed?: number;
  onProgress?: (done: number, total: number, message: string) => void;
  signal?: AbortSignal;
  /** Override the kernels (tests compare WebAssembly with JavaScript). */
  kernels?: Kernels;
  /** Where the MLA eigenproblems run (default 'auto'; see gpu/backend.ts). */
  device?: QualityDevice;
  /** Opens the WebGPU backend (gpu/index.ts, ESM + native): given by the builds that bundle it; without it the CPU runs. */
  loadGpu?: LoadQualityGpu;
  /**
   * Read layer l+1 and queue its GPU work while layer l finishes (default true; only MLA targets have
   * such work). false: one layer at a time, each stage's time its own (benchmarks compare).
   */
  overlap?: boolean;
}

export interface LayerConversion {
  layer: number;
  kRelError: number;
  vRelError: number;
  energyRetained?: number;
  rank99?: number;
}

export interface ConversionMeasurement {
  target: string;
  /** Over all measured layers: sqrt(Σ_layers ‖ΔK‖² / Σ_layers ‖K‖²). */
  kRelError: number;
  vRelError: number;
  /** MLA: Σ_layers kept energy / Σ_layers total energy of [W_k; W_v]. */
  energyRetained?: number;
  /** MLA: the largest per-layer rank keeping 99% of the energy (the rank a uniform latent needs). */
  rank99?: number;
  perLayer: LayerConversion[];
  /** What the number is, in plain words. */
  what: string;
  /** How it was computed (e.g. exact eigendecomposition of a 4096×4096 Gram matrix). */
  method?: string;
  /** Related numbers (int4 with one scale per token and head). */
  alternatives?: { label: string; kRelError: number; vRelError: number }[];
}

export interface WeightsMeasurement {
  weights: {
    found: boolean;
    /** Safetensors files, relative to configDir. */
    files: string[];
    /** The dtype holding most bytes (BF16, F16, F32 …). */
    dtype: string;
    layersRead: number;
    tensorsRead: string[];
    bytesRead: number;
  };
  conversions: ConversionMeasurement[];
  notes: string[];
  calibration?: { source: 'embedding' | 'gaussian'; tokens: number; tensor?: string; seed: number };
  /** What ran the MLA math (absent when no MLA target was measured). */
  backend?: QualityBackendJson;
  /** Where the time went (ms), for benchmarks; `mla` split into its stages. */
  timings?: {
    totalMs: number; readMs: number; gqaMs: number; mlaMs: number; kvMs: number; kernels: string;
    mla: { gramMs: number; tridiagonalMs: number; eigenvaluesMs: number; vectorsMs: number; backTransformMs: number; splitMs: number };
  };
}

/** One layer's tensors, read (possibly ahead of its turn), and its MLA job when one was begun early. */
interface LayerInputs {
  li: number;
  Wk: Float32Array;
  Wv: Float32Array;
  kBias: Float32Array | undefined;
  vBias: Float32Array | undefined;
  kNorm: Float32Array | undefined;
  inNorm: Float32Array | undefined;
  /** Bytes read for it. */
  bytes: number;
  job?: { finish(onGpuFree: () => void): Promise<JointSpectrum> };
}

const DEFAULT_TOKENS = 256;
const TOKEN_CHUNK = 512;

function abortIfNeeded(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    const e = new Error('the measurement was aborted');
    e.name = 'AbortError';
    throw e;
  }
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const rel = (e: SquaredError): number => (e.norm2 > 0 ? Math.sqrt(e.err2 / e.norm2) : 0);
const add = (a: SquaredError, b: SquaredError): void => {
  a.err2 += b.err2;
  a.norm2 += b.norm2;
};
const zero = (): SquaredError => ({ err2: 0, norm2: 0 });

export async function measureWeights(opts: MeasureOptions): Promise<WeightsMeasurement> {
  const kernels = opts.kernels ?? defaultKernels();
  const notes: string[] = [];
  // Opens the GPU on the first MLA layer, if at all; closed whatever happens.
  const backend = new MathBackend(opts.device ?? 'auto', opts.loadGpu, kernels, notes);
  try {
    return await measureWith(opts, kernels, notes, backend);
  } finally {
    backend.close();
  }
}

async function measureWith(opts: MeasureOptions, kernels: Kernels, notes: string[], backend: MathBackend): Promise<WeightsMeasurement> {
  const t0 = performance.now();
  const { spec, signal } = opts;
  abortIfNeeded(signal);
  const ckpt = openCheckpoint(opts.configDir);
  if (!ckpt) {
    return {
      weights: { found: false, files: [], dtype: '', layersRead: 0, tensorsRead: [], bytesRead: 0 },
      conversions: [],
      notes: [`no safetensors beside the config in ${opts.configDir} (model.safetensors, model.safetensors.index.json or *.safetensors): nothing measured`],
    };
  }
  const dir = path.resolve(opts.configDir);
  const tensorsRead: string[] = [];
  const timings = {
    totalMs: 0, readMs: 0, gqaMs: 0, mlaMs: 0, kvMs: 0, kernels: kernels.kind,
    mla: { gramMs: 0, tridiagonalMs: 0, eigenvaluesMs: 0, vectorsMs: 0, backTransformMs: 0, splitMs: 0 },
  };
  const result: WeightsMeasurement = {
    weights: { found: true, files: ckpt.files.map((f) => path.relative(dir, f) || path.basename(f)), dtype: ckpt.dtype, layersRead: 0, tensorsRead, bytesRead: 0 },
    conversions: [],
    notes,
  };

  const layers = spec.layers.filter((l) => l.variant !== null && l.kind !== 'linear' && l.kind !== 'none');
  const skipped = spec.layers.length - layers.length;
  if (skipped > 0) notes.push(`${skipped} of ${spec.layers.length} layers have no softmax attention (linear/state layers) and keep no K/V cache: not measured.`);
  for (const t of opts.targets) if (t.kind === 'unmeasured') notes.push(`${t.target}: ${t.reason}.`);
  let targets = opts.targets.filter((t) => t.kind !== 'unmeasured');
  if (layers.length === 0 || targets.length === 0) {
    if (layers.length === 0) notes.push('The config has no attention layers: nothing to measure.');
    result.weights.bytesRead = ckpt.bytesRead;
    return result;
  }

  const layout = resolveLayout(ckpt, layers[0]!, spec);
  const names = layers.map((l) => layerTensors(ckpt, layout, l, spec));

  // Which targets apply.
  const isMla = names[0]!.kind === 'mla';
  if (isMla) {
    const weightTargets = targets.filter((t) => t.kind !== 'kv');
    if (weightTargets.length > 0) {
      notes.push(`${weightTargets.map(targetName).join(', ')}: this model already caches an MLA latent (rank ${spec.mla?.kvLoraRank}); GQA/MQA pooling and a joint low-rank conversion apply to per-head K/V projections, which it does not have — skipped.`);
    }
    targets = targets.filter((t) => t.kind === 'kv');
  }
  // Unsupported dtypes (quantized checkpoints).
  const firstTensors = projectionNames(names[0]!);
  const badDtype = firstTensors.map((n) => ckpt.tensors.get(n)!).find((t) => !MEASURABLE_DTYPES.includes(t.dtype));
  if (badDtype) {
    notes.push(`${badDtype.name} is ${badDtype.dtype} (a quantized checkpoint): measurement reads ${MEASURABLE_DTYPES.join(', ')} weights only; measure the BF16 release of this model — nothing measured.`);
    result.weights.bytesRead = ckpt.bytesRead;
    return result;
  }

  const gqa = new Map<string, { groups: number; k: SquaredError; v: SquaredError; perLayer: LayerConversion[] }>();
  const mlaRanks: number[] = [];
  const kvDtypes: KvQuantDtype[] = [];
  for (const t of targets) {
    if (t.kind === 'gqa' || t.kind === 'mqa') {
      const groups = t.kind === 'mqa' ? 1 : t.groups;
      const name = targetName(t);
      const bad = layers.find((l) => l.kvHeads % groups !== 0 || groups > l.kvHeads);
      if (bad) {
        notes.push(groups > bad.kvHeads
          ? `${name}: the model has ${bad.kvHeads} KV heads, fewer than ${groups} groups — not a reduction; skipped.`
          : `${name}: ${groups} groups do not divide the ${bad.kvHeads} KV heads (layer ${bad.index}); pick a divisor — skipped.`);
        continue;
      }
      if (groups === layers[0]!.kvHeads) notes.push(`${name}: the model already has ${groups} KV head${groups === 1 ? '' : 's'}, so pooling changes nothing (error 0).`);
      gqa.set(name, { groups, k: zero(), v: zero(), perLayer: [] });
    } else if (t.kind === 'mla') mlaRanks.push(t.rank);
    else if (t.kind === 'kv') kvDtypes.push(t.dtype);
  }

  // MLA: check the working memory before reading anything.
  if (mlaRanks.length > 0) {
    const l = layers[0]!;
    const kRows = l.kvHeads * l.kHeadDim, vRows = l.kvHeads * l.vHeadDim;
    const bytes = arenaBytes(jointLowRankDoubles(kRows, vRows, spec.hiddenSize, mlaRanks));
    if (bytes > MAX_ARENA_BYTES) {
      notes.push(`${mlaRanks.map((r) => `mla-${r}`).join(', ')}: the ${Math.min(kRows + vRows, spec.hiddenSize)}-order eigenproblem needs ${(bytes / 2 ** 30).toFixed(1)} GiB of working memory, beyond the 4 GiB WebAssembly limit — skipped.`);
      mlaRanks.length = 0;
    } else {
      const full = Math.min(kRows + vRows, spec.hiddenSize);
      for (const r of mlaRanks) if (r >= full) notes.push(`mla-${r}: rank ≥ ${full}, the full rank of [W_k; W_v] — no compression (energy 100%).`);
    }
  }
  if (gqa.size === 0 && mlaRanks.length === 0 && kvDtypes.length === 0) {
    result.weights.bytesRead = ckpt.bytesRead;
    return result;
  }
  const mla = { perRank: new Map<number, { k: SquaredError; v: SquaredError; kept: number; total: number; perLayer: LayerConversion[] }>(), rank99: 0, orders: new Set<string>() };
  for (const r of mlaRanks) mla.perRank.set(r, { k: zero(), v: zero(), kept: 0, total: 0, perLayer: [] });

  // Calibration inputs (unit RMS rows, f32), only when a KV target is asked for.
  const seed = opts.seed ?? 1234;
  let X: Float32Array | undefined;
  let tokens = 0;
  if (kvDtypes.length > 0) {
    tokens = Math.max(1, Math.floor(opts.calibrationTokens ?? DEFAULT_TOKENS));
    const cal = calibrationInputs(ckpt, layout, spec, tokens, opts.calibrationTokenIds, seed, notes);
    X = cal.X;
    result.calibration = { source: cal.tensor ? 'embedding' : 'gaussian', tokens, ...(cal.tensor ? { tensor: cal.tensor } : {}), seed };
    if (cal.tensor) tensorsRead.push(cal.tensor);
  }
  const kv = new Map<string, { k: SquaredError; v: SquaredError; perLayer: LayerConversion[] }>();
  const kvKeys = [...kvDtypes.map((d) => `kv-${d}`), ...(kvDtypes.includes('int4') ? ['kv-int4/head'] : [])];
  for (const key of kvKeys) kv.set(key, { k: zero(), v: zero(), perLayer: [] });

  const total = layers.length;
  opts.onProgress?.(0, total, `reading ${ckpt.files.length} safetensors file${ckpt.files.length === 1 ? '' : 's'} (${ckpt.dtype}); ${total} attention layers`);
  const gemma = (spec.modelType ?? '').startsWith('gemma');
  const loopStartMs = performance.now();

  const needKv = kvDtypes.length > 0;
  /** Reads one (non-MLA) layer's K/V projections and, for KV targets, its biases and norms. */
  const readLayer = (li: number): LayerInputs => {
    const tr = performance.now();
    const bytesBefore = ckpt.bytesRead;
    const layer = layers[li]!;
    const tn = names[li]!;
    if (tn.kind === 'mla') throw new Error('readLayer: an MLA layer has no per-head K/V projections');
    const { Wk, Wv, kBias, vBias } = readKvProjections(ckpt, tn, layer, spec.hiddenSize, needKv);
    const kNorm = needKv && tn.kNorm ? readTensor(ckpt, tn.kNorm) : undefined;
    const inNorm = needKv && tn.inputNorm ? readTensor(ckpt, tn.inputNorm) : undefined;
    tensorsRead.push(...projectionNames(tn));
    const biasNames = tn.kind === 'separate' ? [tn.kBias, tn.vBias] : [tn.bias];
    if (needKv) for (const n of biasNames) if (n) tensorsRead.push(n);
    for (const [t, n] of [[kNorm, tn.kNorm], [inNorm, tn.inputNorm]] as const) if (t && n) tensorsRead.push(n);
    timings.readMs += performance.now() - tr;
    return { li, Wk, Wv, kBias, vBias, kNorm, inNorm, bytes: ckpt.bytesRead - bytesBefore };
  };
  // Overlap (MLA targets): layer l+1 is read while layer l's Gram and tridiagonalization run on the GPU,
  // and its own Gram and tridiagonalization are queued as soon as layer l's d, e are back, so they run
  // while layer l's eigenvalues and eigenvectors are computed on the CPU. Same work, same order on the
  // GPU's queue for each layer: the same bits as one layer at a time (tests compare).
  const overlap = (opts.overlap ?? true) && mlaRanks.length > 0;
  // The GPU (if any) open before the first layer, so beginJointLowRank can queue at once.
  if (mlaRanks.length > 0) await backend.ready();
  let ahead: LayerInputs | undefined;

  for (let li = 0; li < layers.length; li++) {
    await yieldToEventLoop();
    abortIfNeeded(signal);
    const layer = layers[li]!;
    const tn = names[li]!;
    const steps: string[] = [];
    const tr = performance.now();

    if (tn.kind === 'mla') {
      const m = spec.mla!;
      const Wa = readTensor(ckpt, tn.kvA);
      const Wb = readTensor(ckpt, tn.kvB);
      const aNorm = tn.kvANorm ? readTensor(ckpt, tn.kvANorm) : undefined;
      const inNorm = tn.inputNorm ? readTensor(ckpt, tn.inputNorm) : undefined;
      tensorsRead.push(...projectionNames(tn), ...(tn.kvANorm ? [tn.kvANorm] : []), ...(tn.inputNorm ? [tn.inputNorm] : []));
      timings.readMs += performance.now() - tr;
      const tk = performance.now();
      mlaLatentQuantization(kernels, X!, tokens, spec.hiddenSize, Wa, Wb, aNorm, inNorm, gemma, m.kvLoraRank, m.qkRopeHeadDim, layer.qHeads, m.qkNopeHeadDim, m.vHeadDim, kvDtypes, layer.index, kv);
      timings.kvMs += performance.now() - tk;
      steps.push('MLA latent quantized');
    } else {
      const kRows = layer.kvHeads * layer.kHeadDim;
      const vRows = layer.kvHeads * layer.vHeadDim;
      const inputs = ahead?.li === li ? ahead : readLayer(li);
      ahead = undefined;
      const { Wk, Wv, kBias, vBias, kNorm, inNorm } = inputs;
      steps.push(`K/V read (${fmtMiB(inputs.bytes)})`);

      const tg = performance.now();
      if (gqa.size > 0) {
        // Every target from one pass over each of W_k and W_v.
        const pools = [...gqa.values()];
        const groupCounts = pools.map((g) => g.groups);
        const k = gqaPoolErrors(Wk, layer.kvHeads, layer.kHeadDim, spec.hiddenSize, groupCounts);
        const v = gqaPoolErrors(Wv, layer.kvHeads, layer.vHeadDim, spec.hiddenSize, groupCounts);
        pools.forEach((g, i) => {
          const kErr = { err2: k.err2[i]!, norm2: k.norm2 };
          const vErr = { err2: v.err2[i]!, norm2: v.norm2 };
          add(g.k, kErr);
          add(g.v, vErr);
          g.perLayer.push({ layer: layer.index, kRelError: rel(kErr), vRelError: rel(vErr) });
        });
      }
      timings.gqaMs += performance.now() - tg;
      if (gqa.size > 0) steps.push('GQA pooled');

      if (mlaRanks.length > 0) {
        const order = Math.min(kRows + vRows, spec.hiddenSize);
        if (order >= 1024) opts.onProgress?.(li, total, `layer ${layer.index} (${li + 1}/${total}): eigendecomposition of a ${order}×${order} Gram matrix for ${mlaRanks.map((r) => `mla-${r}`).join(', ')}…`);
        const job = inputs.job ?? backend.beginJointLowRank(Wk, kRows, Wv, vRows, spec.hiddenSize, mlaRanks, layer.index);
        const next = li + 1;
        if (overlap && next < layers.length && names[next]!.kind !== 'mla') ahead = readLayer(next);
        const tm = performance.now();
        const js = await job.finish(() => {
          // This layer's GPU queue is drained up to its back-transform: queue the next layer's Gram and tridiagonalization.
          if (ahead) {
            const l = layers[next]!;
            ahead.job = backend.beginJointLowRank(ahead.Wk, l.kvHeads * l.kHeadDim, ahead.Wv, l.kvHeads * l.vHeadDim, spec.hiddenSize, mlaRanks, l.index);
          }
        });
        let total2 = 0;
        for (const s of js.spectrum) total2 += s;
        mla.rank99 = Math.max(mla.rank99, js.rank99);
        for (const key of Object.keys(timings.mla) as (keyof typeof timings.mla)[]) timings.mla[key] += js.timings[key];
        mla.orders.add(`${js.order}×${js.order} (${js.side === 'rows' ? '[W_k; W_v]·[W_k; W_v]ᵀ' : '[W_k; W_v]ᵀ·[W_k; W_v]'})`);
        for (const r of js.ranks) {
          const acc = mla.perRank.get(r.rank)!;
          const k = { err2: r.kErr2, norm2: js.kNorm2 };
          const v = { err2: r.vErr2, norm2: js.vNorm2 };
          add(acc.k, k);
          add(acc.v, v);
          acc.kept += r.energy * total2;
          acc.total += total2;
          acc.perLayer.push({ layer: layer.index, kRelError: rel(k), vRelError: rel(v), energyRetained: r.energy, rank99: js.rank99 });
        }
        timings.mlaMs += performance.now() - tm;
        steps.push(`MLA spectrum (${js.order}×${js.order} eigenproblem, ${((performance.now() - tm) / 1000).toFixed(1)} s)`);
      }

      if (needKv) {
        const tk = performance.now();
        // The products X·Wᵀ on the GPU when it runs (the rest stays here, in f64); undefined: the CPU projects.
        const onGpu = await backend.project(scaledInputs(X!, tokens, spec.hiddenSize, inNorm, gemma), tokens, spec.hiddenSize, [{ W: Wk, rows: kRows }, { W: Wv, rows: vRows }], layer.index);
        kvQuantization(kernels, X!, tokens, spec.hiddenSize, Wk, Wv, kRows, vRows, layer, kBias, vBias, kNorm, inNorm, gemma, kvDtypes, kv, onGpu);
        timings.kvMs += performance.now() - tk;
        steps.push(onGpu ? 'KV quantized (products on WebGPU)' : 'KV quantized');
      }
    }
    result.weights.layersRead++;
    opts.onProgress?.(li + 1, total, `layer ${layer.index} (${li + 1}/${total}): ${steps.join(', ')}${timeLeft(performance.now() - loopStartMs, li + 1, total)}`);
  }

  // Assemble.
  for (const t of targets) {
    const name = targetName(t);
    if (t.kind === 'gqa' || t.kind === 'mqa') {
      const g = gqa.get(name);
      if (!g) continue;
      result.conversions.push({
        target: name, kRelError: rel(g.k), vRelError: rel(g.v), perLayer: g.perLayer,
        what: 'weight-space relative error of the mean-pooled K/V projections, before any uptraining — not an accuracy',
        method: `exact: ‖W − pooled‖_F/‖W‖_F with the KV heads mean-pooled into ${g.groups} group${g.groups === 1 ? '' : 's'} (Ainslie et al. 2023's conversion), K and V separately`,
      });
    } else if (t.kind === 'mla') {
      const acc = mla.perRank.get(t.rank);
      if (!acc) continue;
      result.conversions.push({
        target: name, kRelError: rel(acc.k), vRelError: rel(acc.v), energyRetained: acc.total > 0 ? acc.kept / acc.total : 1, rank99: mla.rank99, perLayer: acc.perLayer,
        what: `weight-space relative error of the best joint rank-${t.rank} factorization of [W_k; W_v], before any fine-tuning — not an accuracy`,
        method: `exact truncated SVD of the stacked [W_k; W_v] (the MHA2MLA/TransMLA initialization): all eigenvalues of the ${[...mla.orders].join(', ')} Gram matrix per layer (Householder tridiagonalization, root-free implicit QL/QR as LAPACK dsterf), the top-${t.rank} eigenvectors (inverse iteration) for the K/V split, ${backend.methodText()}; energy kept = Σσ²(≤${t.rank})/Σσ² over all layers, rank99 = the largest per-layer rank keeping 99%`,
      });
    } else if (t.kind === 'kv') {
      const acc = kv.get(name)!;
      const products = isMla ? '' : backend.kvMethodText();
      const conv: ConversionMeasurement = {
        target: name, kRelError: rel(acc.k), vRelError: rel(acc.v), perLayer: acc.perLayer,
        what: `relative error of the cached ${isMla ? 'MLA latent, as K and V rebuilt from it' : 'K and V'} after ${t.dtype.startsWith('q') ? 'a' : 'an'} ${t.dtype} round-trip on ${tokens} calibration tokens — not an accuracy`,
        method: isMla
          ? `${KV_FORMAT_TEXT[t.dtype]}, applied to the latent c_kv and to k_pe of each token; errors of K = [c·W_UKᵀ; k_pe] per head and V = c·W_UVᵀ, on ${calibrationText(result.calibration)}`
          : `${KV_FORMAT_TEXT[t.dtype]}; ‖K − Q(K)‖_F/‖K‖_F for K = X·W_kᵀ (+ bias), and V alike, on ${calibrationText(result.calibration)}${products ? `; ${products}` : ''}`,
      };
      if (t.dtype === 'int4') {
        const alt = kv.get('kv-int4/head')!;
        conv.alternatives = [{ label: 'int4 with one absmax scale per token and head', kRelError: rel(alt.k), vRelError: rel(alt.v) }];
      }
      result.conversions.push(conv);
    }
  }
  if (kvDtypes.length > 0) {
    notes.push(`KV quantization inputs: ${result.calibration?.source === 'embedding' ? `rows of ${result.calibration.tensor} for ${tokens} token ids` : `${tokens} Gaussian N(0,1) rows (seed ${seed}; no embedding table found)`}, normalized to unit RMS and scaled by each layer's input_layernorm weight where present — a stand-in for real hidden states; keys before RoPE${isMla ? '' : '; per-head k_norm applied where the model has one'}. fp8/nvfp4 per-tensor scales are dynamic (absmax of each ≤${TOKEN_CHUNK}-token chunk).`);
  }
  if (gqa.size > 0 || mlaRanks.length > 0) notes.push('Weight-space errors: how far the converted projections are from the original ones, before the uptraining or fine-tuning the published methods use — small is necessary, not sufficient, for quality.');
  result.weights.bytesRead = ckpt.bytesRead;
  timings.totalMs = performance.now() - t0;
  result.timings = timings;
  if (mlaRanks.length > 0 || (kvDtypes.length > 0 && !isMla)) result.backend = backend.describe();
  return result;
}

/**
 * "; about 12 min left" once the layers done say so (every layer does the same work), when more than
 * half a minute remains: a long run on a CPU should say how long, not just that it is busy.
 */
export function timeLeft(elapsedMs: number, done: number, total: number): string {
  if (done <= 0 || done >= total) return '';
  const leftS = (elapsedMs / done) * (total - done) / 1000;
  if (!(leftS > 30)) return '';
  return `; about ${leftS < 90 ? `${Math.round(leftS / 10) * 10} s` : `${Math.round(leftS / 60)} min`} left`;
}

function calibrationText(c: WeightsMeasurement['calibration']): string {
  if (!c) return 'no calibration inputs';
  return c.source === 'embedding' ? `${c.tokens} embedding rows (${c.tensor}), RMS-normalized` : `${c.tokens} Gaussian N(0,1) rows (seed ${c.seed}), RMS-normalized`;
}

function fmtMiB(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/**
 * Calibration rows X (tokens × hidden, f32, each row scaled to unit RMS): embedding rows for the given
 * (or seeded random) token ids when the checkpoint has an embedding table in a readable dtype, else
 * Gaussian N(0,1) rows.
 */
function calibrationInputs(ckpt: Checkpoint, layout: ResolvedLayout, spec: AttentionSpec, tokens: number, ids: number[] | undefined, seed: number, notes: string[]): { X: Float32Array; tensor?: string } {
  const hidden = spec.hiddenSize;
  const X = new Float32Array(tokens * hidden);
  const rng = new Rng(seed);
  const embedName = embeddingName(ckpt, layout);
  const embed = embedName ? ckpt.tensors.get(embedName) : undefined;
  let tensor: string | undefined;
  if (embed && MEASURABLE_DTYPES.includes(embed.dtype) && embed.shape.length === 2 && embed.shape[1] === hidden && embed.shape[0]! > 0) {
    const vocab = embed.shape[0]!;
    const chosen = ids && ids.length > 0 ? ids : Array.from({ length: tokens }, () => Math.floor(rng.next() * vocab));
    for (let t = 0; t < tokens; t++) {
      const id = chosen[t % chosen.length]!;
      if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new QualityInputError(`calibration token id ${id} is outside the embedding table's ${vocab} rows`);
      X.set(readTensorRows(ckpt, embedName!, id, 1), t * hidden);
    }
    tensor = embedName;
  } else {
    if (embed) notes.push(`${embedName} is not a readable [vocab, ${hidden}] table (${embed.dtype} ${JSON.stringify(embed.shape)}): Gaussian calibration inputs used instead.`);
    for (let i = 0; i < X.length; i++) X[i] = rng.gaussian();
  }
  for (let t = 0; t < tokens; t++) {
    let s = 0;
    for (let i = 0; i < hidden; i++) s += X[t * hidden + i]! ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s / hidden) : 0;
    for (let i = 0; i < hidden; i++) X[t * hidden + i] = X[t * hidden + i]! * inv;
  }
  return tensor ? { X, tensor } : { X };
}

/** The calibration rows scaled by the layer's input norm weight in f32 (the GPU's input); X itself when there is none. */
function scaledInputs(X: Float32Array, tokens: number, hidden: number, inNorm: Float32Array | undefined, gemma: boolean): Float32Array {
  if (!inNorm) return X;
  const out = new Float32Array(tokens * hidden);
  for (let t = 0; t < tokens; t++) for (let i = 0; i < hidden; i++) out[t * hidden + i] = X[t * hidden + i]! * (gemma ? 1 + inNorm[i]! : inNorm[i]!);
  return out;
}

/** Copies calibration rows [t0, t0+n) into f64, scaled by the layer's input norm weight (Gemma: 1 + w). */
function fillInputs(Xc: Float64Array, X: Float32Array, t0: number, n: number, hidden: number, inNorm: Float32Array | undefined, gemma: boolean): void {
  for (let t = 0; t < n; t++) {
    const src = (t0 + t) * hidden;
    for (let i = 0; i < hidden; i++) Xc[t * hidden + i] = X[src + i]! * (inNorm ? (gemma ? 1 + inNorm[i]! : inNorm[i]!) : 1);
  }
}

/** out ← P (+ bias per column) in f64: conversions.ts's project() for products computed elsewhere. */
function withBias(out: Float64Array, P: Float32Array, tokens: number, rows: number, bias: Float32Array | undefined): void {
  for (let t = 0; t < tokens; t++) for (let r = 0; r < rows; r++) out[t * rows + r] = P[t * rows + r]! + (bias ? bias[r]! : 0);
}

function kvQuantization(
  kernels: Kernels, X: Float32Array, tokens: number, hidden: number, Wk: Float32Array, Wv: Float32Array, kRows: number, vRows: number, layer: LayerSpec,
  kBias: Float32Array | undefined, vBias: Float32Array | undefined, kNorm: Float32Array | undefined, inNorm: Float32Array | undefined, gemma: boolean,
  dtypes: KvQuantDtype[], acc: Map<string, { k: SquaredError; v: SquaredError; perLayer: LayerConversion[] }>,
  /** [X·W_kᵀ, X·W_vᵀ] (tokens × rows, f32) from the GPU; absent: projected here in f64. */
  products?: Float32Array[],
): void {
  const chunk = Math.min(TOKEN_CHUNK, tokens);
  const layerAcc = new Map<string, { k: SquaredError; v: SquaredError }>();
  for (const key of acc.keys()) layerAcc.set(key, { k: zero(), v: zero() });
  kernels.withArena([kRows * hidden, vRows * hidden, chunk * hidden, chunk * kRows, chunk * vRows], (arena) => {
    const Wk64 = arena.f64(kRows * hidden);
    const Wv64 = arena.f64(vRows * hidden);
    if (!products) {
      Wk64.set(Wk);
      Wv64.set(Wv);
    }
    const Xc = arena.f64(chunk * hidden);
    const K = arena.f64(chunk * kRows);
    const V = arena.f64(chunk * vRows);
    for (let t0 = 0; t0 < tokens; t0 += chunk) {
      const n = Math.min(chunk, tokens - t0);
      if (products) {
        // Same chunks (fp8's per-tensor scale is per chunk) and the same f64 bias, norm and round-trips.
        withBias(K, products[0]!.subarray(t0 * kRows, (t0 + n) * kRows), n, kRows, kBias);
        withBias(V, products[1]!.subarray(t0 * vRows, (t0 + n) * vRows), n, vRows, vBias);
      } else {
        fillInputs(Xc, X, t0, n, hidden, inNorm, gemma);
        project(kernels, Xc, n, hidden, Wk64, kRows, K, kBias);
        project(kernels, Xc, n, hidden, Wv64, vRows, V, vBias);
      }
      if (kNorm && kNorm.length === layer.kHeadDim) headRmsNorm(K, n, layer.kvHeads, layer.kHeadDim, kNorm, gemma);
      for (const d of dtypes) {
        const a = layerAcc.get(`kv-${d}`)!;
        add(a.k, quantizationError(K, n, layer.kvHeads, layer.kHeadDim, d));
        add(a.v, quantizationError(V, n, layer.kvHeads, layer.vHeadDim, d));
        if (d === 'int4') {
          const h = layerAcc.get('kv-int4/head')!;
          add(h.k, quantizationError(K, n, layer.kvHeads, layer.kHeadDim, 'int4', layer.kHeadDim));
          add(h.v, quantizationError(V, n, layer.kvHeads, layer.vHeadDim, 'int4', layer.vHeadDim));
        }
      }
    }
  });
  for (const [key, a] of layerAcc) {
    const total = acc.get(key)!;
    add(total.k, a.k);
    add(total.v, a.v);
    total.perLayer.push({ layer: layer.index, kRelError: rel(a.k), vRelError: rel(a.v) });
  }
}

/**
 * MLA (DeepSeek-V2/V3): the cache holds the latent c = RMSNorm(x·W_DKVᵀ)·γ (kv_lora_rank values) and
 * k_pe (qk_rope_head_dim values) per token. Each is round-tripped through the format (one "head" each);
 * K_nope = c·W_UKᵀ and V = c·W_UVᵀ per head, so ‖ΔK_nope‖² = Σ_t Δc_t·G_UK·Δc_tᵀ with G_UK = W_UKᵀ·W_UK
 * (and V alike); K's error adds k_pe's, counted once per head.
 */
function mlaLatentQuantization(
  kernels: Kernels, X: Float32Array, tokens: number, hidden: number, Wa: Float32Array, Wb: Float32Array, aNorm: Float32Array | undefined,
  inNorm: Float32Array | undefined, gemma: boolean, rank: number, rope: number, heads: number, nope: number, vDim: number,
  dtypes: KvQuantDtype[], layerIndex: number, acc: Map<string, { k: SquaredError; v: SquaredError; perLayer: LayerConversion[] }>,
): void {
  const aRows = rank + rope;
  const chunk = Math.min(TOKEN_CHUNK, tokens);
  const per = nope + vDim;
  const layerAcc = new Map<string, { k: SquaredError; v: SquaredError }>();
  for (const key of acc.keys()) layerAcc.set(key, { k: zero(), v: zero() });
  kernels.withArena([aRows * hidden, rank * heads * nope, rank * heads * vDim, rank * rank, rank * rank, chunk * hidden, chunk * aRows, chunk * rank, chunk * rope, chunk * rank, chunk * rank, rank], (arena) => {
    const Wa64 = arena.f64(aRows * hidden);
    Wa64.set(Wa);
    // W_UKᵀ (rank × heads·nope) and W_UVᵀ from kv_b_proj rows [head: nope K rows, then vDim V rows].
    const UKt = arena.f64(rank * heads * nope);
    const UVt = arena.f64(rank * heads * vDim);
    for (let h = 0; h < heads; h++) {
      for (let r = 0; r < per; r++) {
        const row = (h * per + r) * rank;
        for (let c = 0; c < rank; c++) {
          if (r < nope) UKt[c * heads * nope + h * nope + r] = Wb[row + c]!;
          else UVt[c * heads * vDim + h * vDim + (r - nope)] = Wb[row + c]!;
        }
      }
    }
    const GK = arena.f64(rank * rank);
    const GV = arena.f64(rank * rank);
    kernels.gemmABt(UKt, heads * nope, rank, UKt, heads * nope, rank, heads * nope, GK, rank);
    kernels.gemmABt(UVt, heads * vDim, rank, UVt, heads * vDim, rank, heads * vDim, GV, rank);
    const Xc = arena.f64(chunk * hidden);
    const C = arena.f64(chunk * aRows);
    const lat = arena.f64(chunk * rank);
    const pe = arena.f64(chunk * rope);
    const dLat = arena.f64(chunk * rank);
    const qLat = arena.f64(chunk * rank);
    const tmp = arena.f64(rank);
    const quad = (G: Float64Array, x: Float64Array, off: number): number => {
      // xᵀ·G·x for one token's latent
      let s = 0;
      for (let i = 0; i < rank; i++) {
        let r = 0;
        for (let j = 0; j < rank; j++) r += G[i * rank + j]! * x[off + j]!;
        tmp[i] = r;
        s += r * x[off + i]!;
      }
      return s;
    };
    for (let t0 = 0; t0 < tokens; t0 += chunk) {
      const n = Math.min(chunk, tokens - t0);
      fillInputs(Xc, X, t0, n, hidden, inNorm, gemma);
      project(kernels, Xc, n, hidden, Wa64, aRows, C);
      for (let t = 0; t < n; t++) {
        let s = 0;
        for (let i = 0; i < rank; i++) s += C[t * aRows + i]! ** 2;
        const inv = 1 / Math.sqrt(s / rank + 1e-6);
        for (let i = 0; i < rank; i++) lat[t * rank + i] = C[t * aRows + i]! * inv * (aNorm ? aNorm[i]! : 1);
        for (let i = 0; i < rope; i++) pe[t * rope + i] = C[t * aRows + rank + i]!;
      }
      let kNope2 = 0, v2 = 0, pe2 = 0;
      for (let t = 0; t < n; t++) {
        kNope2 += quad(GK, lat, t * rank);
        v2 += quad(GV, lat, t * rank);
      }
      for (let i = 0; i < n * rope; i++) pe2 += pe[i]! ** 2;
      const variants: [string, KvQuantDtype, number][] = [];
      for (const d of dtypes) {
        variants.push([`kv-${d}`, d, 32]);
        if (d === 'int4') variants.push(['kv-int4/head', 'int4', Math.max(rank, rope)]);
      }
      for (const [key, d, group] of variants) {
        quantizationError(lat, n, 1, rank, d, group, qLat);
        const dPe = quantizationError(pe, n, 1, rope, d, group);
        for (let i = 0; i < n * rank; i++) dLat[i] = lat[i]! - qLat[i]!;
        let dk = 0, dv = 0;
        for (let t = 0; t < n; t++) {
          dk += quad(GK, dLat, t * rank);
          dv += quad(GV, dLat, t * rank);
        }
        const a = layerAcc.get(key)!;
        add(a.k, { err2: Math.max(0, dk) + heads * dPe.err2, norm2: kNope2 + heads * pe2 });
        add(a.v, { err2: Math.max(0, dv), norm2: v2 });
      }
    }
  });
  for (const [key, a] of layerAcc) {
    const total = acc.get(key)!;
    add(total.k, a.k);
    add(total.v, a.v);
    total.perLayer.push({ layer: layerIndex, kRelError: rel(a.k), vRelError: rel(a.v) });
  }
}
