/**
 * Weight memory: exact from `model.safetensors.index.json` (metadata.total_size) when it sits next to
 * the config, else a parameter count from the config — embeddings, attention projections (MLA's down
 * and up projections included), dense MLPs and *all* MoE experts (they are all resident), norms, and
 * the output head unless tied — times the bytes per weight the quantization implies.
 */
import type { AttentionSpec, LayerSpec } from './attentionSpec';
import type { RecurrentState } from './recurrentState';
import { int as fmt, params as fmtParams } from './format';
import { bool, num, numAt, list, type ModelConfig } from './modelConfig';

export interface ParamBreakdown {
  embedding: number;
  attention: number;
  mlp: number;
  /** Routed + shared experts and routers, all layers. */
  experts: number;
  norms: number;
  lmHead: number;
  total: number;
  /** Parameters used per token (routed experts counted only for the top-k). */
  active: number;
}

/**
 * One linear module of a decoder layer, as a checkpoint names it under `model.layers.<i>.`: the
 * projections a weight quantizer converts (or leaves alone when `modules_to_not_convert` names them).
 * Modules whose inner names vary by family (MLA, MoE blocks, non-gated MLPs) are one entry under their
 * block's name, with their output rows approximated as params / hidden.
 */
export interface LinearModule {
  layer: number;
  /** e.g. `self_attn.q_proj`, `mlp.down_proj`, or a whole block `self_attn`, `mlp`. */
  name: string;
  params: number;
  /** Output rows (one row-wise scale each). */
  rows: number;
}

export interface WeightEstimate {
  params: ParamBreakdown;
  bytes: number;
  bytesPerParamText: string;
  source: 'estimate' | 'safetensors-index';
  derivation: string[];
}

/**
 * Parameters of a layer's recurrent mixer (≈: the projections, conv and SSM parameters of the
 * reference implementations; small gates and norms included where the shape says them).
 */
function mixerParams(hidden: number, s: RecurrentState): number {
  const conv = s.convChannels * s.convKernel;
  switch (s.mixer) {
    case 'mamba2': // in_proj → [z, xBC, dt]; out_proj; A, D, dt_bias; gated norm
      return hidden * (s.innerSize + s.convChannels + s.heads) + conv + s.innerSize * hidden + 3 * s.heads + s.innerSize;
    case 'mamba1': { // in_proj → [x, z]; x_proj → [dt, B, C]; dt_proj; A; D; out_proj
      const dtRank = Math.ceil(hidden / 16);
      const state = s.recurrentElements / s.innerSize;
      return hidden * 2 * s.innerSize + conv + s.innerSize * (dtRank + 2 * state) + dtRank * s.innerSize + s.innerSize + s.recurrentElements + s.innerSize + s.innerSize * hidden;
    }
    case 'short-conv': // in_proj → [B, C, x]; conv; out_proj
      return hidden * 3 * hidden + conv + hidden * hidden;
    default: // linear attention: q, k, v (and gates) in, o out
      return hidden * (s.convChannels || 3 * s.innerSize) + conv + 2 * hidden * s.heads + s.innerSize * hidden;
  }
}

/** Attention projection parameters of one layer (no norms). */
export function attentionParams(hidden: number, layer: LayerSpec, bias: boolean): number {
  if (layer.variant === null) return 0; // a recurrent mixer (mixerParams) or nothing
  if (layer.mla) {
    const m = layer.mla;
    const qk = m.qkNopeHeadDim + m.qkRopeHeadDim;
    const q = m.qLoraRank !== null ? hidden * m.qLoraRank + m.qLoraRank + m.qLoraRank * layer.qHeads * qk : hidden * layer.qHeads * qk;
    const kvDown = hidden * (m.kvLoraRank + m.qkRopeHeadDim) + m.kvLoraRank; // W_DKV + k_pe, and the latent norm
    const kvUp = m.kvLoraRank * layer.qHeads * (m.qkNopeHeadDim + m.vHeadDim); // W_UK and W_UV
    const out = layer.qHeads * m.vHeadDim * hidden;
    return q + kvDown + kvUp + out;
  }
  const q = hidden * layer.qHeads * layer.kHeadDim;
  const k = hidden * layer.kvHeads * layer.kHeadDim;
  const v = hidden * layer.kvHeads * layer.vHeadDim;
  const o = layer.qHeads * layer.vHeadDim * hidden;
  const b = bias ? layer.qHeads * layer.kHeadDim + layer.kvHeads * (layer.kHeadDim + layer.vHeadDim) : 0;
  return q + k + v + o + b;
}

function linearLayerParams(spec: AttentionSpec, hidden: number): number {
  const s = spec.linear;
  if (!s) return 0;
  const qk = 2 * s.numKeyHeads * s.keyHeadDim;
  const v = s.numValueHeads * s.valueHeadDim;
  const inProj = hidden * (qk + 2 * v) + hidden * 2 * s.numValueHeads; // q,k,v,z and the a,b gates
  const conv = (qk + v) * s.convKernel;
  const out = v * hidden;
  return inProj + conv + out + 2 * s.numValueHeads + s.valueHeadDim;
}

/** Attention projections of a standard (non-MLA) attention layer, each with its output rows. */
function attentionModules(hidden: number, layer: LayerSpec, bias: boolean): LinearModule[] {
  const qRows = layer.qHeads * layer.kHeadDim;
  const kRows = layer.kvHeads * layer.kHeadDim;
  const vRows = layer.kvHeads * layer.vHeadDim;
  const b = (rows: number): number => (bias ? rows : 0);
  return [
    { layer: layer.index, name: 'self_attn.q_proj', params: hidden * qRows + b(qRows), rows: qRows },
    { layer: layer.index, name: 'self_attn.k_proj', params: hidden * kRows + b(kRows), rows: kRows },
    { layer: layer.index, name: 'self_attn.v_proj', params: hidden * vRows + b(vRows), rows: vRows },
    { layer: layer.index, name: 'self_attn.o_proj', params: layer.qHeads * layer.vHeadDim * hidden, rows: hidden },
  ];
}

/**
 * Parameters by kind; with `linears`, also the decoder layers' linear modules (attention projections and
 * MLPs/experts; recurrent mixers are not listed and so stay in the checkpoint's dtype).
 */
export function estimateParams(config: ModelConfig, spec: AttentionSpec, linears?: LinearModule[]): ParamBreakdown {
  const info = config.typeInfo;
  const h = spec.hiddenSize;
  const vocab = num(config, 'vocabSize') ?? 0;
  const bias = bool(config, 'attentionBias') ?? false;
  const qkvBias = info.qkvBias === true || bias;
  const gated = info.gatedMlp;
  const mats = gated ? 3 : 2;
  const ratio = num(config, 'expansionRatio');
  // intermediate_size may be one per layer (Gemma-3n): each layer's own width.
  const fallbackInter = ratio ? Math.round(ratio * h) : 4 * h;
  const interAt = (i: number): number => numAt(config, 'intermediateSize', i) ?? fallbackInter;
  const inter = interAt(0);
  const denseInterAt = (i: number): number => num(config, 'intermediateSizeMlp') ?? interAt(i);

  const experts = num(config, 'numExperts') ?? 0;
  const topK = num(config, 'numExpertsPerToken') ?? 0;
  const moeInter = num(config, 'moeIntermediateSize') ?? inter;
  const shared = num(config, 'numSharedExperts') ?? (info.sharedExpertFromIntermediate ? 1 : 0);
  const sharedInter = num(config, 'sharedExpertIntermediateSize') ?? (info.sharedExpertFromIntermediate ? inter : moeInter);
  const firstDense = num(config, 'firstKDenseReplace') ?? 0;
  const freqValue = config.get('moeLayerFreq')?.value;
  // moe_layer_freq as a list marks each MoE layer with 1; as a number, every n-th layer is one.
  const moeFlags = Array.isArray(freqValue) ? (freqValue as number[]) : undefined;
  const freq = typeof freqValue === 'number' ? freqValue : 1;
  const sparseStep = num(config, 'decoderSparseStep') ?? 1;
  const mlpOnly = new Set(list<number>(config, 'mlpOnlyLayers') ?? []);
  const interleave = num(config, 'interleaveMoeLayerStep') ?? 1;

  const isMoeLayer = (i: number): boolean => {
    if (experts === 0) return false;
    if (moeFlags) return moeFlags[i] === 1;
    if (i < firstDense || i % freq !== 0) return false;
    if (mlpOnly.has(i)) return false;
    if (sparseStep > 0 && (i + 1) % sparseStep !== 0) return false;
    if (interleave > 1 && (i + 1) % interleave !== 0) return false;
    return true;
  };

  let attention = 0;
  let mlp = 0;
  let expertParams = 0;
  let activeExperts = 0;
  let norms = 0;
  for (const layer of spec.layers) {
    const linearLayer = layer.kind === 'linear' && spec.linear && layer.state?.mixer !== 'kda';
    attention += linearLayer ? linearLayerParams(spec, h) : attentionParams(h, layer, qkvBias) + (layer.state && !(layer.kind === 'linear' && spec.linear) ? mixerParams(h, layer.state) : 0);
    if (linears && !linearLayer && layer.variant !== null) {
      if (layer.mla) {
        const p = attentionParams(h, layer, qkvBias);
        linears.push({ layer: layer.index, name: 'self_attn', params: p, rows: Math.round(p / h) });
      } else {
        linears.push(...attentionModules(h, layer, qkvBias));
      }
    }
    norms += 2 * h;
    if (layer.mlp === 'none') continue; // a single-mixer block (Nemotron-H) or a NAS block whose FFN is a no-op
    if (layer.mlp === 'moe' || (layer.mlp === undefined && isMoeLayer(layer.index))) {
      const routed = experts * mats * h * moeInter;
      const sharedP = shared * mats * h * sharedInter;
      const router = h * experts;
      expertParams += routed + sharedP + router;
      activeExperts += topK * mats * h * moeInter + sharedP + router;
      linears?.push({ layer: layer.index, name: 'mlp', params: routed + sharedP + router, rows: Math.round((routed + sharedP + router) / h) });
    } else {
      // Llama 4's dense layers use intermediate_size_mlp; DeepSeek's dense layers use intermediate_size.
      const width = experts > 0 ? denseInterAt(layer.index) : interAt(layer.index);
      const p = mats * h * width + (gated ? 0 : bias ? width + h : 0);
      mlp += p;
      if (linears && gated) {
        linears.push(
          { layer: layer.index, name: 'mlp.gate_proj', params: h * width, rows: width },
          { layer: layer.index, name: 'mlp.up_proj', params: h * width, rows: width },
          { layer: layer.index, name: 'mlp.down_proj', params: width * h, rows: h },
        );
      } else {
        linears?.push({ layer: layer.index, name: 'mlp', params: p, rows: Math.round(p / h) });
      }
    }
  }
  norms += h;
  const embedding = vocab * h + (info.learnedPositions ? spec.maxContextTokens * h : 0);
  const tied = bool(config, 'tieWordEmbeddings') ?? false;
  const lmHead = tied ? 0 : vocab * h;
  const total = embedding + attention + mlp + expertParams + norms + lmHead;
  return { embedding, attention, mlp, experts: expertParams, norms, lmHead, total, active: total - expertParams + activeExperts };
}

/**
 * Whether `modules_to_not_convert` names this module or a block above it. Entries are matched from their
 * `layers.` part on (so `model.layers.0`, `model.language_model.layers.0.mlp` and `layers.0.mlp.up_proj`
 * all work) and on whole dotted name parts otherwise (`down_proj`, `self_attn`), as transformers' quantizers
 * match them; `layers.1` never matches layer 10. vLLM's fbgemm_fp8 loader matches the full module names
 * the checkpoints list (per projection), which this agrees with.
 */
export function moduleNotConverted(module: Pick<LinearModule, 'layer' | 'name'>, modulesToNotConvert: readonly string[]): boolean {
  return notConvertedMatcher(modulesToNotConvert)(module);
}

/**
 * moduleNotConverted for many modules against one list: the entries' cores in a set, each module
 * looked up by its runs of whole name parts (`layers.3.mlp.up_proj` has ten). Llama-3.1-405B FP8 lists
 * 508 entries for its 882 projections; matching each pair as a substring took 17 ms per report.
 */
export function notConvertedMatcher(modulesToNotConvert: readonly string[]): (module: Pick<LinearModule, 'layer' | 'name'>) => boolean {
  const cores = new Set<string>();
  for (const entry of modulesToNotConvert) {
    const at = entry.indexOf('layers.');
    const core = at >= 0 && (at === 0 || entry[at - 1] === '.') ? entry.slice(at) : entry;
    if (core.length > 0) cores.add(core);
  }
  // Answers by module name, then layer: no key string to build on a repeat question.
  const answers = new Map<string, (boolean | undefined)[]>();
  return (module) => {
    if (cores.size === 0) return false;
    let byLayer = answers.get(module.name);
    if (!byLayer) answers.set(module.name, (byLayer = []));
    let answer = byLayer[module.layer];
    if (answer === undefined) {
      // `.${core}.` is inside `.layers.N.name.` exactly when core is a run of its whole parts.
      answer = false;
      const parts = `layers.${module.layer}.${module.name}`.split('.');
      for (let i = 0; i < parts.length && !answer; i++) {
        let run = '';
        for (let j = i; j < parts.length && !answer; j++) {
          run = j === i ? parts[i]! : `${run}.${parts[j]!}`;
          answer = cores.has(run);
        }
      }
      byLayer[module.layer] = answer;
    }
    return answer;
  };
}

/**
 * One matcher (and its answers) per modules_to_not_convert list, by content: every variant of a report,
 * and every report of the same config, asks about the same modules. The last few lists are kept.
 */
const matchers = new Map<string, ReturnType<typeof notConvertedMatcher>>();
const MATCHERS_KEPT = 8;
function matcherFor(list: readonly unknown[]): ReturnType<typeof notConvertedMatcher> {
  const entries = list.filter((e): e is string => typeof e === 'string');
  const key = entries.join('\n');
  let m = matchers.get(key);
  if (!m) {
    m = notConvertedMatcher(entries);
    if (matchers.size >= MATCHERS_KEPT) matchers.delete(matchers.keys().next().value!);
    matchers.set(key, m);
  }
  return m;
}

/**
 * Bytes per weight from `quantization_config` (weights, not KV): fp8 checkpoints 1 B (+ fp32 block
 * scales); fbgemm_fp8 (Meta's Llama 3.1 FP8) 1 B + an fp32 scale per output row on every decoder
 * projection `modules_to_not_convert` does not name, the rest at the checkpoint dtype; mxfp4 4.25 bits on
 * the experts; awq/gptq `bits` with group scales; otherwise the dtype.
 */
export function estimateWeights(config: ModelConfig, spec: AttentionSpec): WeightEstimate {
  const linears: LinearModule[] = [];
  const params = estimateParams(config, spec, linears);
  const dtypeBytes = spec.dtype === 'float32' ? 4 : 2;
  const q = config.get('quantizationConfig')?.value as Record<string, unknown> | null | undefined;
  const method = typeof q?.quant_method === 'string' ? q.quant_method.toLowerCase() : undefined;
  const derivation = [
    `params ≈ ${fmt(params.total)} (embedding ${fmt(params.embedding)} + attention ${fmt(params.attention)} + MLP ${fmt(params.mlp)} + experts ${fmt(params.experts)} + norms ${fmt(params.norms)} + lm_head ${fmt(params.lmHead)}${params.lmHead === 0 ? ', tied' : ''})`,
  ];
  const unquantized = params.embedding + params.lmHead + params.norms;
  let bytes: number;
  let text: string;
  if (method === 'fbgemm_fp8') {
    // transformers' FbgemmFp8Linear and vLLM's FBGEMMFp8LinearMethod: an fp8 e4m3 weight and a float32
    // scale per output row; lm_head and embeddings are never converted.
    const list = q?.modules_to_not_convert;
    const notConverted = Array.isArray(list) ? matcherFor(list as unknown[]) : (): boolean => false;
    let converted = 0;
    let kept = 0;
    let scaleBytes = 0;
    const layersConverted = new Set<number>();
    for (const m of linears) {
      if (notConverted(m)) {
        kept += m.params;
      } else {
        converted += m.params;
        scaleBytes += 4 * m.rows;
        layersConverted.add(m.layer);
      }
    }
    bytes = params.total * dtypeBytes - converted * (dtypeBytes - 1) + scaleBytes;
    text = `fbgemm_fp8: ${fmtParams(converted)} projection weights in ${layersConverted.size} of ${spec.layers.length} layers at 1 B + an fp32 scale per output row; the ${fmtParams(kept)} modules_to_not_convert names, embeddings, lm_head and norms at ${dtypeBytes} B`;
  } else if (method === 'fp8') {
    const linear = params.total - unquantized;
    bytes = linear * (1 + 4 / (128 * 128)) + unquantized * dtypeBytes;
    text = `fp8 linear weights (1 B + fp32 scale per 128×128 block), embeddings/norms at ${dtypeBytes} B`;
  } else if (method === 'mxfp4') {
    bytes = params.experts * (4.25 / 8) + (params.total - params.experts) * dtypeBytes;
    text = `mxfp4 experts (4 bits + an 8-bit scale per 32 = 4.25 bits), the rest at ${dtypeBytes} B`;
  } else if (method && typeof q?.bits === 'number' && q.bits > 0 && q.bits <= 16) {
    const group = typeof q.group_size === 'number' && q.group_size > 0 ? q.group_size : 128;
    const perWeight = q.bits / 8 + 4 / group; // fp16 scale + zero per group
    const linear = params.total - unquantized;
    bytes = linear * perWeight + unquantized * dtypeBytes;
    text = `${method} ${q.bits}-bit linear weights (+ scales/zeros per ${group}), embeddings/norms at ${dtypeBytes} B`;
  } else {
    bytes = params.total * dtypeBytes;
    text = `${dtypeBytes} B per weight (${spec.dtype})`;
  }
  bytes = Math.round(bytes);
  derivation.push(`weights ≈ ${fmt(bytes)} B: ${text}`);
  return { params, bytes, bytesPerParamText: text, source: 'estimate', derivation };
}

/** metadata.total_size of a safetensors index, validated; undefined if the text is not a usable index. */
export function weightsFromIndex(indexText: string): number | undefined {
  try {
    const index = JSON.parse(indexText) as { metadata?: { total_size?: unknown } };
    const size = index?.metadata?.total_size;
    const n = typeof size === 'string' ? Number(size) : size;
    return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}
