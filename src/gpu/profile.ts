/**
 * Runs a ProfilePlan on an open device: the device's peaks first, then every case through the
 * correctness gate (sampled rows against the f32 CPU reference, NaN past every sequence's end) and,
 * only if it passes, through the timer. Results are reported as they come; nothing is shown for a case
 * that failed its gate or could not run here, only the reason.
 */
import type { GpuContext } from './device';
import { chooseLaunch, planKvChunks, prepareAttention } from './attention';
import { measurePeaks } from './peaks';
import { kernelWgsl } from './shaders';
import { compareRows, randomArray, referenceAttention, roundToF16, type AttentionProblem } from './reference';
import { TooSlowError, type TimingOptions } from './timing';
import { kernelWork, type KernelCase, type ProfilePlan } from '../core/profilePlan';
import type { DeviceInfo, DevicePeaks, ProfileReport, ProfileResult, ProfileSettings, WorkerEvent } from '../shared/profileProtocol';

/** Tokens allocated past the longest sequence and filled with NaN: an out-of-bounds read poisons the output. */
const PAD_TOKENS = 5;
/** Working set that timed runs rotate through, so K/V come from memory rather than a warm cache. */
const COLD_BYTES = 256 * 1024 * 1024;
const MAX_COPIES = 8;
const MEMORY_BUDGET = 2 * 1024 ** 3;
/** Rows checked against the reference per case (all when there are fewer). */
const GATE_ROWS = 24;
/** Kernels reach a fraction of the roofline; assume 1/4 when estimating whether a case fits the time limit. */
const ESTIMATE_EFFICIENCY = 0.25;

export type Emit = (event: WorkerEvent) => void;

export async function runPlan(ctx: GpuContext, plan: ProfilePlan, settings: ProfileSettings, emit: Emit, signal?: AbortSignal): Promise<ProfileReport> {
  const startedAt = new Date().toISOString();
  const timing: TimingOptions = { warmupPasses: settings.warmupPasses, samples: settings.samples, minPassUs: 200, maxRepeats: 64, signal };
  const total = plan.cases.length + 1;
  emit({ type: 'progress', done: 0, total, message: `measuring the device's peaks on ${ctx.adapterName}` });
  const peaks = await measurePeaks(ctx, { ...timing, samples: Math.min(settings.samples, 30), peakBytes: settings.peakBytes });
  const device = deviceInfo(ctx, peaks);
  emit({ type: 'device', device });
  emit({ type: 'log', level: 'info', message: `peaks: copy ${peaks.copyGBps.toFixed(1)} GB/s, f32 ${peaks.f32TFlops.toFixed(3)} TFLOP/s${peaks.f16TFlops === null ? '' : `, f16 ${peaks.f16TFlops.toFixed(3)} TFLOP/s`}` });

  const results: ProfileResult[] = [];
  for (const [i, c] of plan.cases.entries()) {
    signal?.throwIfAborted();
    emit({ type: 'progress', done: i + 1, total, message: `${c.mode} ${c.label}${c.layerKind === 'full' ? '' : ` (${c.layerKind})`} at ${c.contextTokens} tokens` });
    const result = await runCase(ctx, c, device, settings, timing);
    results.push(result);
    emit({ type: 'result', result });
  }
  return { device, results, notes: plan.notes, startedAt, finishedAt: new Date().toISOString() };
}

function deviceInfo(ctx: GpuContext, peaks: DevicePeaks): DeviceInfo {
  return {
    adapter: ctx.adapterName,
    backend: ctx.backend,
    vendor: ctx.vendor,
    architecture: ctx.architecture,
    features: ctx.features,
    storage: ctx.hasF16 ? 'f16' : 'f32',
    timing: ctx.hasTimestamps ? 'timestamp' : 'wall-clock',
    limits: { ...ctx.limits },
    peaks,
  };
}

export async function runCase(ctx: GpuContext, c: KernelCase, device: DeviceInfo, settings: ProfileSettings, timing: TimingOptions): Promise<ProfileResult> {
  const storage = device.storage;
  const elemBytes = storage === 'f16' ? 2 : 4;
  const work = kernelWork(c, elemBytes);
  const base: ProfileResult = {
    id: c.id, variant: c.variant, label: c.label, own: c.own, qHeads: c.qHeads, kvHeads: c.kvHeads, headDim: c.headDim, vHeadDim: c.vHeadDim,
    mode: c.mode, layerKind: c.layerKind, windowTokens: c.windowTokens, chunkTokens: c.chunkTokens, context: c.contextTokens, batch: c.batch, storage,
    medianUs: null, minUs: null, p90Us: null, gbps: null, pctBandwidth: null, tflops: null, pctFlops: null, pctRoofline: null,
    bytes: work.bytes, flops: work.flops, maxAbsError: null, ok: false, status: 'skipped',
  };
  const p: AttentionProblem = {
    batch: c.batch, qHeads: c.qHeads, kvHeads: c.kvHeads, numQueries: c.numQueries, dk: c.headDim, dv: c.vHeadDim,
    maxLen: c.contextTokens + PAD_TOKENS, seqLens: new Array<number>(c.batch).fill(c.contextTokens), window: c.windowTokens, chunk: c.chunkTokens,
    sharedKv: c.sharedKv, scale: c.scale,
  };

  const kBytes = c.batch * c.kvHeads * p.maxLen * c.headDim * elemBytes;
  const vBytes = c.sharedKv ? 0 : c.batch * c.kvHeads * p.maxLen * c.vHeadDim * elemBytes;
  const bindLimit = Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize);
  let chunks: number;
  try {
    chunks = planKvChunks(p, elemBytes, bindLimit).length;
  } catch (e) {
    return { ...base, skipped: `${e instanceof Error ? e.message : String(e)}; profile a shorter context` };
  }
  const peakTflops = device.peaks.f32TFlops;
  const rooflineUs = Math.max(work.bytes / (device.peaks.copyGBps * 1e3), work.flops / (peakTflops * 1e6));
  const runs = 2 + settings.warmupPasses + settings.samples;
  const estimatedS = (rooflineUs / ESTIMATE_EFFICIENCY) * runs * 1e-6;
  if (estimatedS > settings.maxCaseSeconds) {
    return { ...base, skipped: `estimated ${Math.round(estimatedS)} s on this device (roofline ${(rooflineUs / 1e3).toFixed(1)} ms × ${runs} runs at ${ESTIMATE_EFFICIENCY * 100}% efficiency) exceeds the ${settings.maxCaseSeconds} s limit per case` };
  }

  // A shape no kernel supports on this device (head dims not a multiple of 4, too little workgroup
  // memory) is reported for this case; the others still run.
  let launch;
  try {
    launch = chooseLaunch(p, ctx, { kind: c.naive ? 'naive' : 'flash', storage, targetWorkgroups: targetWorkgroups(ctx) });
    kernelWgsl(launch.shape);
  } catch (e) {
    return { ...base, skipped: `no kernel for this shape on this device: ${e instanceof Error ? e.message : String(e)}` };
  }
  const data = makeData(p, storage);
  // Enough copies that one pass over all of them exceeds any cache, within a memory budget of 2 GiB.
  const copies = Math.max(1, Math.min(MAX_COPIES, Math.ceil(COLD_BYTES / Math.max(1, kBytes + vBytes)), Math.floor(MEMORY_BUDGET / Math.max(1, kBytes + vBytes))));
  const run = await prepareAttention(ctx, p, data, launch, copies);
  try {
    const gpu = await run.read();
    ctx.throwIfErrored();
    const rows = gateRows(p);
    const ref = referenceAttention(p, data, rows);
    const tol = storage === 'f16' ? 1e-2 : 1e-4;
    const gate = compareRows(p, gpu, ref, rows, tol, tol);
    const checked = { ...base, maxAbsError: gate.nonFinite > 0 ? null : gate.maxAbsError, splits: launch.numSplits, coldCopies: copies, kvChunks: chunks };
    if (!gate.ok) {
      return { ...checked, status: 'failed', skipped: gate.nonFinite > 0 ? `${gate.nonFinite} non-finite outputs: the kernel read past the sequence` : `max error ${gate.maxAbsError.toExponential(2)} exceeds ${tol}: not timed` };
    }
    let t;
    try {
      t = await run.time({ ...timing, maxSeconds: settings.maxCaseSeconds });
    } catch (e) {
      if (e instanceof TooSlowError) return { ...checked, ok: false, status: 'skipped', skipped: `${e.message}; raise --max-case-seconds or use fewer --samples` };
      throw e;
    }
    ctx.throwIfErrored();
    const gbps = work.bytes / (t.medianUs * 1e3);
    const tflops = work.flops / (t.medianUs * 1e6);
    return {
      ...checked,
      ok: true,
      status: 'measured',
      medianUs: t.medianUs, minUs: t.minUs, p90Us: t.p90Us,
      gbps, pctBandwidth: (100 * gbps) / device.peaks.copyGBps,
      tflops, pctFlops: (100 * tflops) / peakTflops,
      pctRoofline: (100 * rooflineUs) / t.medianUs,
      samples: t.samples, timing: t.method, wallClockUs: t.wallClockUs,
    };
  } finally {
    run.destroy();
  }
}

/**
 * Workgroups to aim for when splitting the token range. WebGPU does not say how many compute units
 * there are; memory-bound decode needs several workgroups in flight per unit to hide latency, so aim
 * for ~1024 (8 per unit on a 132-SM H100). A software adapter (lavapipe) runs one per CPU thread.
 */
function targetWorkgroups(ctx: GpuContext): number {
  return /llvmpipe|lavapipe|swiftshader/i.test(`${ctx.adapterName} ${ctx.vendor}`) ? 8 : 1024;
}

function mib(n: number): string {
  return `${(n / 1048576).toFixed(0)} MiB`;
}

/**
 * Uniform(−1, 1) data, f16-rounded when stored as f16 so the reference sees what the GPU sees. Long
 * contexts repeat a prime-length random block (cheap to make, still no two neighbouring rows alike).
 * Past each sequence's end: NaN.
 */
function makeData(p: AttentionProblem, storage: 'f16' | 'f32'): { q: Float32Array; k: Float32Array; v: Float32Array } {
  const round = (a: Float32Array): Float32Array => (storage === 'f16' ? roundToF16(a) : a);
  const block = (n: number, seed: number): Float32Array => {
    const period = 1_000_003;
    const pattern = round(randomArray(Math.min(n, period), seed));
    if (n <= period) return pattern;
    const out = new Float32Array(n);
    for (let o = 0; o < n; o += period) out.set(pattern.subarray(0, Math.min(period, n - o)), o);
    return out;
  };
  const q = randomArray(p.batch * p.qHeads * p.numQueries * p.dk, 1);
  const k = block(p.batch * p.kvHeads * p.maxLen * p.dk, 2);
  const v = p.sharedKv ? new Float32Array(0) : block(p.batch * p.kvHeads * p.maxLen * p.dv, 3);
  for (let b = 0; b < p.batch; b++) {
    for (let h = 0; h < p.kvHeads; h++) {
      const row = (b * p.kvHeads + h) * p.maxLen;
      k.fill(NaN, (row + p.seqLens[b]!) * p.dk, (row + p.maxLen) * p.dk);
      if (!p.sharedKv) v.fill(NaN, (row + p.seqLens[b]!) * p.dv, (row + p.maxLen) * p.dv);
    }
  }
  return { q, k, v };
}

/** A spread of (batch, head, query) rows: first and last heads and queries, and evenly spaced others. */
export function gateRows(p: AttentionProblem): [number, number, number][] {
  const total = p.batch * p.qHeads * p.numQueries;
  const out: [number, number, number][] = [];
  const seen = new Set<number>();
  const add = (i: number): void => {
    if (i < 0 || i >= total || seen.has(i)) return;
    seen.add(i);
    const q = i % p.numQueries;
    const h = Math.floor(i / p.numQueries) % p.qHeads;
    const b = Math.floor(i / (p.numQueries * p.qHeads));
    out.push([b, h, q]);
  };
  add(0);
  add(total - 1);
  add(p.numQueries - 1);
  const step = Math.max(1, Math.floor(total / GATE_ROWS));
  for (let i = 0; out.length < Math.min(GATE_ROWS, total) && i < total; i += step) add(i + (i % 7));
  return out;
}
