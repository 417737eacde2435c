/**
 * Runs a ProfilePlan on an open device: the device's peaks first, then every case through the
 * correctness gate (sampled rows against the f32 CPU reference, NaN past every sequence's end) and,
 * only if it passes, through the timer. Results are reported as they come; nothing is shown for a case
 * that failed its gate or could not run here, only the reason.
 */
import { isSoftwareAdapter as isSoftwareAdapterInfo } from './host/adapterText';
import type { GpuContext } from './device';
import { chooseLaunch, planKvChunks, prepareAttention } from './attention';
import { measurePeaks, peakDrift, PEAK_DRIFT_LIMIT, sustainLoad, withMatrixPeak } from './peaks';
import { measureWave } from './wave';
import { pickMatrixConfig } from './matrices';
import { generationOf, kernelWgsl, productsOf } from './shaders';
import { compareRows, randomArray, referenceAttention, roundToF16, type AttentionProblem } from './reference';
import { DispatchTooLongError, TooSlowError, type TimingOptions } from './timing';
import { kernelWork, type KernelCase, type ProfilePlan } from '../core/profilePlan';
import type { DeviceInfo, DevicePeaks, KernelGeneration, ProfileReport, ProfileResult, ProfileSettings, WorkerEvent } from '../shared/profileProtocol';

/** Tokens allocated past the longest sequence and filled with NaN: an out-of-bounds read poisons the output. */
const PAD_TOKENS = 5;
/**
 * Working set that timed runs rotate K/V through, so they come from memory rather than a warm cache: 4× the
 * last-level cache the adapter could have. WebGPU does not tell it: assume 256 MB for a GPU (H100 50 MB,
 * MI300X's Infinity Cache 256 MB) and 64 MB for a software adapter's CPU.
 */
function coldTargetBytes(ctx: GpuContext): number {
  return 4 * (isSoftwareAdapter(ctx) ? 64 : 256) * 1024 * 1024;
}
const MAX_COPIES = 64;
const MEMORY_BUDGET = 2 * 1024 ** 3;
/** Sustained load before the peaks and before each case on a GPU; a software adapter runs on the CPU and gets a token warm-up. */
const SUSTAIN_SECONDS = 1;
const SUSTAIN_SECONDS_SOFTWARE = 0.05;
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
  const sustain = settings.sustainSeconds ?? (isSoftwareAdapter(ctx) ? SUSTAIN_SECONDS_SOFTWARE : SUSTAIN_SECONDS);
  const sustainedSeconds = await sustainLoad(ctx, sustain, signal);
  const peakTiming = { ...timing, samples: Math.min(settings.samples, 30), peakBytes: settings.peakBytes };
  const measured = await measurePeaks(ctx, peakTiming);
  const peaks = settings.matrices ? await withMatrixPeak(ctx, measured, peakTiming) : measured;
  // --matrices on an adapter without usable subgroup matrices: MLA runs as without it, and the run says why.
  const matrixPick = settings.matrices ? pickMatrixConfig(ctx) : undefined;
  const matrixNote = matrixPick && 'reason' in matrixPick ? `--matrices: not used: ${matrixPick.reason}; MLA absorbed decode ran on tile2.wgsl` : undefined;
  if (matrixNote) emit({ type: 'log', level: 'warn', message: matrixNote });
  const wave = await measureWave(ctx, peakTiming, isSoftwareAdapter(ctx));
  const device: DeviceInfo = { ...deviceInfo(ctx, peaks), sustainedSeconds, wave: { workgroups: wave.workgroups, derivation: wave.line } };
  emit({ type: 'device', device });
  emit({ type: 'log', level: 'info', message: wave.line });
  emit({ type: 'log', level: 'info', message: `peaks: copy ${peaks.copyGBps.toFixed(1)} GB/s, read ${peaks.readGBps?.toFixed(1)} GB/s, f32 ${peaks.f32TFlops.toFixed(3)} TFLOP/s${peaks.f16TFlops === null ? '' : `, f16 ${peaks.f16TFlops.toFixed(3)} TFLOP/s`}` });

  const results: ProfileResult[] = [];
  for (const [i, c] of plan.cases.entries()) {
    signal?.throwIfAborted();
    emit({ type: 'progress', done: i + 1, total, message: `${c.mode} ${c.label}${c.layerKind === 'full' ? '' : ` (${c.layerKind})`} at ${c.contextTokens} tokens` });
    await sustainLoad(ctx, sustain, signal);
    const result = await runCase(ctx, c, device, settings, timing);
    results.push(result);
    emit({ type: 'result', result });
  }
  // The same peaks after the cases: a run whose clocks moved (thermal throttling, a boost that ended) says so.
  const notes = [...plan.notes, ...(matrixNote ? [matrixNote] : [])];
  let peaksAfter: DevicePeaks | undefined;
  if (results.some((r) => r.status === 'measured')) {
    peaksAfter = await measurePeaks(ctx, peakTiming);
    const moved = peakDrift(peaks, peaksAfter).filter((d) => Math.abs(d.change) > PEAK_DRIFT_LIMIT);
    if (moved.length > 0) {
      const what = moved.map((d) => `${d.peak} ${d.change > 0 ? '+' : ''}${(100 * d.change).toFixed(0)}%`).join(', ');
      notes.push(`clocks moved during the run: the peaks changed by ${what} between the start and the end (over ${PEAK_DRIFT_LIMIT * 100}%), so these figures are not steady; rerun on an idle, cool device`);
      emit({ type: 'log', level: 'warn', message: `peaks moved during the run: ${what}` });
    }
  }
  return { device, ...(peaksAfter ? { peaksAfter } : {}), results, notes, startedAt, finishedAt: new Date().toISOString() };
}

/** A software adapter (lavapipe, SwiftShader, WARP) measures a CPU: adapterText's one rule, on the open device. */
function isSoftwareAdapter(ctx: Pick<GpuContext, 'adapterName' | 'vendor' | 'architecture'>): boolean {
  return isSoftwareAdapterInfo({ vendor: ctx.vendor, architecture: ctx.architecture, description: ctx.adapterName });
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
    software: isSoftwareAdapter(ctx),
  };
}

export async function runCase(ctx: GpuContext, c: KernelCase, device: DeviceInfo, settings: ProfileSettings, timing: TimingOptions): Promise<ProfileResult> {
  const generation = kernelGeneration(ctx, settings, c);
  const storage = caseStorage(c, device, settings, generation);
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
  // K/V larger than a binding are split into chunks; a plan that cannot be made skips the case.
  try {
    planKvChunks(p, elemBytes, bindLimit);
  } catch (e) {
    return { ...base, skipped: `${e instanceof Error ? e.message : String(e)}; profile a shorter context` };
  }
  const peakTflops = device.peaks.f32TFlops;
  // Decode only reads K and V: its memory bound is the read peak.
  const memoryGBps = c.mode === 'decode' && device.peaks.readGBps !== undefined ? device.peaks.readGBps : device.peaks.copyGBps;
  const rooflineUs = Math.max(work.bytes / (memoryGBps * 1e3), work.flops / (peakTflops * 1e6));
  const runs = 2 + settings.warmupPasses + settings.samples;
  const estimatedS = (rooflineUs / ESTIMATE_EFFICIENCY) * runs * 1e-6;
  if (estimatedS > settings.maxCaseSeconds) {
    return { ...base, skipped: `estimated ${Math.round(estimatedS)} s on this device (roofline ${(rooflineUs / 1e3).toFixed(1)} ms × ${runs} runs at ${ESTIMATE_EFFICIENCY * 100}% efficiency) exceeds the ${settings.maxCaseSeconds} s limit per case` };
  }

  // A shape no kernel supports on this device (head dims not a multiple of 4, too little workgroup
  // memory) is reported for this case; the others still run.
  let launch;
  try {
    const pick = settings.matrices ? pickMatrixConfig(ctx) : undefined;
    const matrix = pick && 'config' in pick ? pick.config : undefined;
    launch = chooseLaunch(p, ctx, { kind: c.naive ? 'naive' : 'flash', storage, targetWorkgroups: targetWorkgroups(ctx), waveWorkgroups: device.wave?.workgroups, generation, subgroupMinSize: ctx.subgroupMinSize, matrix, products: settings.products ?? defaultProducts(device.peaks), prefetch: settings.prefetch });
    kernelWgsl(launch.shape);
  } catch (e) {
    return { ...base, skipped: `no kernel for this shape on this device: ${e instanceof Error ? e.message : String(e)}` };
  }
  const data = makeData(p, storage);
  // Enough copies that one pass over all of them is 4× any cache, within a memory budget of 2 GiB.
  const coldTarget = coldTargetBytes(ctx);
  const kvBytes = Math.max(1, kBytes + vBytes);
  const copies = Math.max(1, Math.min(MAX_COPIES, Math.ceil(coldTarget / kvBytes), Math.floor(MEMORY_BUDGET / kvBytes)));
  const coldBytes = copies * (kBytes + vBytes);
  const coldNote = coldBytes >= coldTarget ? undefined
    : `K/V rotated through ${copies} cop${copies === 1 ? 'y' : 'ies'} = ${mib(coldBytes)}, under the ${mib(coldTarget)} cold target (4× the last-level cache assumed): part of it may be served from cache`;
  // One failure costs one case: out of memory, a shader the driver will not compile, a buffer it
  // refuses — each is this case's reason, and the run goes on. A lost device ends the run.
  let run: ReturnType<typeof prepareAttention> | undefined;
  try {
    run = prepareAttention(ctx, p, data, launch, copies);
    ctx.throwIfErrored();
  } catch (e) {
    run?.destroy();
    clearErrors(ctx);
    if (await isLost(ctx)) throw e;
    return { ...base, skipped: `could not set this case up on this device: ${e instanceof Error ? e.message : String(e)}` };
  }
  try {
    const gpu = await run.read();
    ctx.throwIfErrored();
    const rows = gateRows(p);
    // mlaMatrix multiplies Q and P as f16 where its matrices are f16: the reference takes the same Q.
    const halfMatrices = launch.shape.matrix?.component === 'f16';
    const ref = referenceAttention(p, halfMatrices ? { ...data, q: roundToF16(data.q) } : data, rows);
    const tol = storage === 'f16' || halfMatrices ? 1e-2 : 1e-4;
    const gate = compareRows(p, gpu, ref, rows, tol, tol);
    const checked = { ...base, maxAbsError: gate.nonFinite > 0 ? null : gate.maxAbsError, kernel: generationOf(launch.shape.kernel), kernelName: launch.shape.kernel, products: productsOf(launch.shape), ...(launch.shape.kernel === 'tile2' ? { prefetch: launch.shape.prefetch === true } : {}), splits: launch.numSplits, coldCopies: copies, coldBytes, ...(coldNote ? { coldNote } : {}), kvChunks: run.chunks };
    if (!gate.ok) {
      return { ...checked, status: 'failed', skipped: gate.nonFinite > 0 ? `${gate.nonFinite} non-finite outputs: the kernel read past the sequence` : `max error ${gate.maxAbsError.toExponential(2)} exceeds ${tol}: not timed` };
    }
    let t;
    try {
      t = await run.time({ ...timing, maxSeconds: settings.maxCaseSeconds, ...(isSoftwareAdapter(ctx) ? {} : { maxDispatchSeconds: MAX_DISPATCH_SECONDS }) });
    } catch (e) {
      if (e instanceof TooSlowError) return { ...checked, ok: false, status: 'skipped', skipped: `${e.message}; raise --max-case-seconds or use fewer --samples` };
      if (e instanceof DispatchTooLongError) return { ...checked, ok: false, status: 'skipped', skipped: `${e.message}; profile a shorter context` };
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
      pctReadBandwidth: device.peaks.readGBps ? (100 * gbps) / device.peaks.readGBps : null,
      tflops, pctFlops: (100 * tflops) / peakTflops,
      ...(launch.shape.kernel === 'mlaMatrix' ? { pctMatrixFlops: device.peaks.matrixTFlops ? (100 * tflops) / device.peaks.matrixTFlops : null } : {}),
      ...(launch.shape.f16Products ? { pctF16Flops: device.peaks.f16TFlops ? (100 * tflops) / device.peaks.f16TFlops : null } : {}),
      pctRoofline: (100 * rooflineUs) / t.medianUs,
      samples: t.samples, timing: t.method, wallClockUs: t.wallClockUs,
      ...(t.note ? { timingNote: t.note } : {}),
    };
  } catch (e) {
    clearErrors(ctx);
    if (await isLost(ctx)) throw e;
    return { ...base, skipped: `failed on this device while running: ${e instanceof Error ? e.message : String(e)}` };
  } finally {
    run.destroy();
  }
}

/**
 * `--kernel auto`: the generation measured faster on this kind of adapter for this kind of case
 * (KERNEL_CHOICES says why). Without a case: the adapter's generation for the rest.
 */
/**
 * MLA absorbed decode's products on tile2: f16 where the adapter multiplies f16 faster than f32 by its
 * own measured peaks (a GPU with packed f16 math), else f32 — lavapipe's f16 FMA runs at a third of its
 * f32 rate (it converts each operation), and there f16 products took 1.2× the time of f32 ones.
 */
export function defaultProducts(peaks: Pick<DevicePeaks, 'f16TFlops' | 'f32TFlops'>): 'f16' | 'f32' {
  return peaks.f16TFlops !== null && peaks.f16TFlops > peaks.f32TFlops ? 'f16' : 'f32';
}

export function kernelGeneration(ctx: Pick<GpuContext, 'adapterName' | 'vendor' | 'architecture'>, settings: Pick<ProfileSettings, 'kernel'>, c?: Pick<KernelCase, 'sharedKv' | 'mode'>): KernelGeneration {
  const choice = settings.kernel ?? 'auto';
  if (choice !== 'auto') return choice;
  if (!isSoftwareAdapter(ctx)) return 'v1';
  // MLA absorbed decode: tile2's per-thread register blocks take 1.1-1.3x v1's time on lavapipe, which
  // rewards loads every lane makes at one address (docs/kernels.md, bench/results/llvmpipe-vulkan.md).
  return c?.sharedKv && c.mode === 'decode' ? 'v1' : 'v2';
}

/**
 * K/V storage of one case: the device's (f16 with shader-f16, else f32), except that v2's decode kernel
 * reads f16 as packed u32 and so stores f16 on every adapter — as the runtimes' caches are — unless
 * --f32 asked for f32.
 */
function caseStorage(c: KernelCase, device: DeviceInfo, settings: ProfileSettings, generation: KernelGeneration): 'f16' | 'f32' {
  if (device.storage === 'f16' || settings.forceF32 || generation !== 'v2') return device.storage;
  if (c.naive || c.sharedKv || c.numQueries !== 1) return device.storage;
  const per = 8; // halves per 16-byte load
  return c.headDim % per === 0 && c.vHeadDim % per === 0 ? 'f16' : device.storage;
}

/** A dispatch longer than this risks the OS's GPU watchdog (Windows TDR: 2 s) resetting the device. */
const MAX_DISPATCH_SECONDS = 1;

/** Whether the device is gone (its lost promise settled), checked without waiting. */
async function isLost(ctx: GpuContext): Promise<boolean> {
  return Promise.race([ctx.lost.then(() => true), new Promise<boolean>((resolve) => setImmediate(() => resolve(false)))]);
}

/** The case's own errors were reported with it: clear them so the next case starts clean. */
function clearErrors(ctx: GpuContext): void {
  try {
    ctx.throwIfErrored();
  } catch {
    // this case's error, already its reason
  }
}

/**
 * Workgroups to aim for when splitting the token range. WebGPU does not say how many compute units
 * there are; memory-bound decode needs several workgroups in flight per unit to hide latency, so aim
 * for ~1024 (8 per unit on a 132-SM H100). A software adapter (lavapipe) runs one per CPU thread.
 */
export function targetWorkgroups(ctx: GpuContext): number {
  return isSoftwareAdapter(ctx) ? 8 : 1024;
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
